"""One build's reuse of the last: which pages it may leave as they are, and what it leaves behind.

A page is left as it is (the engine neither reads, renders, templates nor writes it) when all
of these hold: the last build finished and had the same global key; the page is not in the
nav (every page shows the nav's titles); its key (the global key, the nav, the page's own
inputs) equals the last one; its output in the site still has the bytes the last build wrote
(by stat, else by digest); and every link lookup its rendering made has the same answer now.
A page that logged a warning is always rendered again, so a build fails the same way twice.

The engine objects it touches are duck-typed (a file's `src_uri`, `abs_src_path`,
`abs_dest_path`, `is_documentation_page()`, a settable `is_modified`; the files' settable
`get_file_from_path`), so this module imports no engine: hooks/hub.py hands them in.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from channelhub import content
from channelhub.config import Hub
from channelhub.content import Piece
from channelhub.problems import Problem
from channelhub.rebuild import keys
from channelhub.rebuild.store import (
    PageRecord,
    Snapshot,
    Store,
    bytes_digest,
    file_digest,
    pickled,
    stale_caches,
    stat_text,
    unpickled,
)

#: Markdown that includes other files (pymdownx.snippets): its output depends on them
SNIPPET = b"--8<--"

#: what a page's key is made of besides the global key: computed by the hub for each page
#: from its path and the digest of its file (None for a generated page); None = always render
PageParts = Callable[[str, str | None], str | None]


@dataclass
class _Mode:
    """How this process runs the engine: set once by `on_startup`, kept across `serve` builds."""

    command: str = ""
    dirty: bool = False


_MODE = _Mode()


def started(command: str, dirty: bool) -> None:
    """The engine's command (`build`, `serve`) and whether it builds dirty (`--dirty`): only a
    dirty build may reuse pages; any other still records what it did for the next one."""
    _MODE.command, _MODE.dirty = command, dirty


def serving() -> bool:
    """Whether the engine runs `serve`: a preview, which shows the pieces not published too."""
    return _MODE.command == "serve"


class _Listener(logging.Handler):
    """The engine's log, as a rebuild needs it: a page that logs a warning while it is
    rendered is rendered again in every build (so a build fails the same way twice). One for
    the process."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.current: Rebuild | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.current is not None:
            self.current.warn(self.current.rendering())


def _no_dirty_notice(record: logging.LogRecord) -> bool:
    """Drops the engine's warning that a dirty build may be inaccurate and its advice to build
    clean because the site has files: the hub's keys make it exact, and the warning would fail
    every strict build."""
    message = record.getMessage()
    return "'dirty' build" not in message and "contains stale files" not in message


_LISTENER = _Listener()

#: a piece as read from a file: its key in the cache, and the piece (None) with its problems
_Parsed = tuple[str, tuple[Piece | None, list[Problem]]]

#: the pieces the last build of this process read, by (reading key, path, shown path, digest
#: of the bytes): a preview's next build takes them as they are, without unpickling them, as
#: long as the cache it trusts still holds each one (Piece is frozen)
_PARSED: dict[tuple[str, str, str, str], _Parsed] = {}

#: the engine's page objects that the last build of this process into an output folder left
#: as they were (neither read, rendered nor written), by its cache file: the generation of the
#: cache that build saved, each page by its docs/ path (`Rebuild.untouched_pages`), and the
#: engine's files of the pages it rendered, for `make_pages` to make theirs anew
_UNTOUCHED: dict[Path, tuple[str, dict[str, Any], dict[str, Any]]] = {}


def listen(engine_log: logging.Logger, build_log: logging.Logger) -> None:
    """Watch the engine's log (`engine_log`: its whole log; `build_log`: its build command's,
    which warns about dirty builds). Safe to call for every build."""
    engine_log.addHandler(_LISTENER)
    build_log.addFilter(_no_dirty_notice)


@dataclass
class Rebuild:
    """The hub's reuse of the last build into one output folder (see the module's docstring)."""

    store: Store
    site_dir: Path
    before: Snapshot
    after: Snapshot
    global_key: str
    #: pages may be left as they are (a dirty build, a usable cache)
    reuse: bool
    #: why nothing is reused, when the build would have liked to (for the log)
    why: str = ""
    #: the site folder must be emptied first (a dirty build whose cache cannot be trusted)
    must_clean: bool = False
    #: page -> key this build gave it
    keys: dict[str, str | None] = field(default_factory=dict)
    #: pages left as they are
    kept: set[str] = field(default_factory=set)
    #: page -> its link lookups while rendering: path -> answer
    deps: dict[str, dict[str, str]] = field(default_factory=dict)
    #: pages that logged a warning while rendering
    warned: set[str] = field(default_factory=set)
    #: page -> digest of the output written
    written: dict[str, str] = field(default_factory=dict)
    #: documentation page -> its output path
    dests: dict[str, str] = field(default_factory=dict)
    #: every file the engine writes or leaves in the site this build
    outputs: set[str] = field(default_factory=set)
    #: input file -> (digest, includes snippets) as this build read it
    seen: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: output -> its stat now, for kept pages whose output was read to check it
    refreshed: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    #: the page the engine is rendering now (None between pages)
    rendering: Callable[[], str | None] = lambda: None
    #: `finish` saved this build's cache (a failure after it leaves it as it is)
    saved: bool = False
    #: the fingerprint of the search index this build kept for the next, once its indexer said so
    search_kept: str = ""
    #: the pieces this build read, for the next build of this process (`_PARSED`)
    parsed: dict[tuple[str, str, str, str], _Parsed] = field(default_factory=dict)
    #: pages rendered so far (`rendered`)
    rendered_pages: int = 0
    #: the engine's files of the pages outside the nav, by docs/ path
    page_files: dict[str, Any] = field(default_factory=dict)
    #: the engine's pages the last build of this process left untouched (`_UNTOUCHED`)
    untouched: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        root: Path,
        site_dir: Path,
        config: Mapping[str, Any],
        *,
        extra: Mapping[str, str] | None = None,
        today: str = "",
    ) -> Rebuild:
        """Open the folder's cache (waiting for any other build into it), decide whether this
        build may reuse pages, and mark the cache as being rebuilt.

        `config`: the engine's resolved config (a mapping: its theme with `dirs`, its hooks
        by name with their modules, its plugins by name); `extra`: other switches that reach
        pages; `today`: the build date (keyed only if a template of the hub prints it)."""
        store = Store(root, site_dir)
        store.lock()
        why = ""
        global_key = ""
        hooks = dict(config.get("hooks") or {})
        try:
            global_key = keys.global_key(
                config,
                root,
                theme_dirs=getattr(config.get("theme"), "dirs", []),
                hook_files=[
                    getattr(module, "__file__", "") or name for name, module in hooks.items()
                ],
                extra=extra,
                today=today,
            )
        except (keys.Unkeyable, OSError) as exc:
            why = str(exc)
        foreign = keys.foreign_plugins(config.get("plugins") or {}, hooks)
        if foreign:
            why = f"plugins other than the hub's hooks ({', '.join(foreign)}) may read every page"
        # only a dirty build reuses anything: another reads nothing of the last (0.2 s at 3,000)
        before = store.load() if global_key and not why and _MODE.dirty else Snapshot()
        reuse = bool(
            _MODE.dirty
            and not why
            and before.complete
            and before.global_key == global_key
            and site_dir.is_dir()
        )
        if not why and not reuse:
            why = (
                "the last build did not finish"
                if not before.complete
                else "the hub's code, the theme or the config changed"
            )
        if not reuse:
            before = Snapshot()  # nothing of it is trusted: not its pages, pieces or digests
        # a previous build's pages: only for the very cache this build reuses
        generation, untouched = _UNTOUCHED.pop(store.path, ("", {}, {}))[:2]
        for gone in [path for path in _UNTOUCHED if not path.exists()]:
            del _UNTOUCHED[gone]  # e.g. a test's folders, removed
        if not reuse or generation != before.generation:
            untouched = {}
        _thaw()  # after the last build's pages not taken up are let go: collected, not frozen
        store.mark_building(global_key, fresh=not reuse)
        for stale in stale_caches(root, [store.path]):  # e.g. `mkdocs serve`'s old folders
            with contextlib.suppress(OSError):
                stale.unlink()
        after = Snapshot(global_key=global_key)
        _LISTENER.current = rebuild = cls(
            store=store,
            site_dir=site_dir,
            before=before,
            after=after,
            global_key=global_key,
            reuse=reuse,
            why=why if _MODE.dirty else "",
            must_clean=_MODE.dirty and not reuse,
            untouched=untouched,
        )
        return rebuild

    # ------------------------------------------------------------ inputs

    def facts(self, path: str) -> tuple[str, bool, bytes | None]:
        """An input file's digest and whether it includes snippets: from its stat when the last
        build read the same file (like git's index), else from its bytes, which are returned
        too. The stat is taken before the read, so a file changed meanwhile is read again next
        time. ("", True, None) for a file that cannot be read. Once a build for each file: a
        piece's key is made from the bytes its piece was read from."""
        seen = self.seen.get(path)
        if seen is not None:
            return seen[0], seen[1], None
        try:
            stat = stat_text(os.stat(path), time.time_ns())
            known = self.before.inputs.get(path) if stat else None
            if known is not None and known[0] == stat:
                self.after.inputs[path] = known
                self.seen[path] = (known[1], known[2])
                return known[1], known[2], None
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return "", True, None
        file_hash, snippets = bytes_digest(data), SNIPPET in data
        if stat:
            self.after.inputs[path] = (stat, file_hash, snippets)
        self.seen[path] = (file_hash, snippets)
        return file_hash, snippets, data

    def piece_reader(self, hub: Hub) -> content.Reader:
        """`content.load_index`'s reader, with each piece as read last time from the same bytes."""
        # the topics with their rules: a long text, digested once rather than with every piece
        base = keys.digest(content.reading_key(hub))

        def read(path: Path, src_uri: str, display: str) -> tuple[Piece | None, list[Problem]]:
            file_hash, _snippets, data = self.facts(str(path))
            # this process read it already (a preview's last build): the piece as it was
            known = _PARSED.get((base, src_uri, display, file_hash)) if file_hash else None
            if known is not None and known[0] in self.before.pieces:
                self.after.pieces[known[0]] = self.before.pieces[known[0]]
                self.parsed[(base, src_uri, display, file_hash)] = known
                return known[1]
            key = keys.digest(base, src_uri, display, file_hash)
            cached = self.before.pieces.get(key) or self.after.pieces.get(key)
            if file_hash and cached is not None:
                self.after.pieces[key] = cached
                found: tuple[Piece | None, list[Problem]] = unpickled(cached)
            else:
                found = content.read_piece(
                    path, src_uri, hub, display=display, with_lines=False, data=data
                )
                if not file_hash or data is None:
                    return found
                self.after.pieces[key] = pickled(found)  # keyed by the very bytes it was read from
            self.parsed[(base, src_uri, display, file_hash)] = (key, found)
            return found

        return read

    # ------------------------------------------------------------ deciding

    def plan(
        self,
        files: Any,
        page_parts: PageParts,
        *,
        nav: Any,
        rendering: Callable[[], str | None],
        keep: Callable[[str, str], bool] = lambda _page, _key: True,
    ) -> list[str]:
        """Key every documentation page and tell the engine which to leave as they are (each
        file's `is_modified`); record the link lookups of the pages it renders (`rendering`
        names the page being rendered, or None). `nav`: the config's nav; `keep`: whether the
        hub can do without rendering a page whose output is as it was (a piece the search
        index does not hold must be rendered). Returns the pages left as they are."""
        named = nav_paths(nav)
        nav_key = keys.digest(*sorted(set(named)))
        in_nav = {nav_uri(path) for path in named}
        lookup = files.get_file_from_path
        preview = serving()
        for file in files:
            if not (file.inclusion.is_in_serve() if preview else file.inclusion.is_included()):
                continue  # not written (a piece held back): its old output is pruned
            self.outputs.add(file.abs_dest_path)
            if not file.is_documentation_page():
                file.is_modified = _ALWAYS  # static files and the hub's feeds: always written
                continue
            src = file.src_uri
            self.dests[src] = file.abs_dest_path
            if src in in_nav:  # always built: no key needed
                self.keys[src] = None
                file.is_modified = _ALWAYS
                continue
            key = self._key(src, file, page_parts, nav_key)
            self.keys[src] = key
            self.page_files[src] = file
            if self.reuse and self._unchanged(src, key, lookup) and keep(src, key or ""):
                self.kept.add(src)
                file.is_modified = _NEVER
            else:
                file.is_modified = _ALWAYS

        def recording(path: str) -> Any:
            found = lookup(path)
            page = rendering()
            if page is not None:
                self.deps.setdefault(page, {})[path] = _answer(found)
            return found

        files.get_file_from_path = recording
        self.rendering = rendering
        _freeze()
        return sorted(self.kept)

    def _key(self, src: str, file: Any, page_parts: PageParts, nav_key: str) -> str | None:
        source = file.abs_src_path
        file_hash: str | None = None
        if source is not None:
            file_hash, snippets, _data = self.facts(source)
            if not file_hash or snippets:
                return None  # unreadable, or its output depends on the files it includes
        parts = page_parts(src, file_hash)
        if parts is None:
            return None
        return keys.digest(self.global_key, nav_key, src, file_hash or "", parts)

    def _unchanged(self, src: str, key: str | None, lookup: Callable[[str], Any]) -> bool:
        record = self.before.pages.get(src)
        if key is None or record is None or record.key != key:
            return False
        if record.dest != self.dests[src] or not self._output_intact(record):
            return False
        return all(_answer(lookup(path)) == answer for path, answer in record.deps.items())

    def _output_intact(self, record: PageRecord) -> bool:
        """The output has the bytes the last build wrote: by stat, else by reading it."""
        now = time.time_ns()
        try:
            stat = stat_text(os.stat(record.dest), now)
        except OSError:
            return False
        if stat and stat == record.stat:
            return True
        try:
            intact = file_digest(record.dest) == record.out_hash
        except OSError:
            return False
        if intact:
            self.refreshed[record.dest] = stat  # trusted by its stat from now on (unless racy)
        return intact

    def untouched_pages(self) -> Iterator[tuple[Any, Any]]:
        """(file, page) for each page left as it is whose engine page the last build of this
        process into the same folder left untouched too, at the same URL and output path: the
        engine may take that page for the file instead of making one (a preview's build made
        10,000 of them for pages it never reads). A page is made from its file and the config
        only (the config is in the global key, the same as that build's, and this build reuses
        that build's very cache) and is changed only when it is read or in the nav, so the
        page taken is the page the engine would make, but for its build date (the hook sets
        it). A page read or rendered by that build is never among them."""
        for src, file in self.page_files.items():
            page = self.untouched.get(src)
            if page is None or src not in self.kept:
                continue
            old = page.file
            if (
                old.src_uri == src
                and old.url == file.url
                and old.abs_dest_path == file.abs_dest_path
            ):
                yield file, page
        self.untouched = {}

    def nav_pages(self, pages: Iterable[Any]) -> None:
        """The engine's nav: its pages are always built (every page shows their titles)."""
        for page in pages:
            self.kept.discard(page.file.src_uri)
            page.file.is_modified = _ALWAYS

    # ------------------------------------------------------------ rendering

    def rendered(self) -> None:
        """A page is rendered: after every `BATCH` of them, what rendering let go is collected
        and what it keeps (the engine's pages, their HTML and tables of contents) is frozen
        (`_settle_rendered`)."""
        self.rendered_pages += 1
        if self.rendered_pages % BATCH == 0:
            _settle_rendered()

    def all_rendered(self) -> None:
        """Every page is rendered: the last of them out of the way of the collections while
        templates are applied and pages written."""
        _settle_rendered()

    def warn(self, page: str | None) -> None:
        if page is not None:
            self.warned.add(page)

    def wrote(self, page: str, output: bytes) -> None:
        self.written[page] = bytes_digest(output)

    # ------------------------------------------------------------ after the build

    def search_state(self) -> tuple[Path, str]:
        """Where the search indexer keeps its index for the next build, and the fingerprint of
        the index the last build wrote ("" when nothing of the last build may be reused)."""
        return self.store.search_state, self.before.search

    def search_saved(self, fingerprint: str) -> None:
        """The search indexer wrote an index and kept it for the next build (its
        `fingerprint`; "" when it did not): a failed build's cache names it (`salvage`)."""
        if fingerprint:
            self.search_kept = fingerprint

    def finish(self, outputs: Iterable[str], *, search: str = "") -> str:
        """Remove what the last build wrote and this one did not, remember this build for the
        next, and say what was reused. `outputs`: files the engine wrote besides its files'
        (its static templates: 404.html, sitemap.xml); `search`: the fingerprint of the search
        index written."""
        now = self.outputs | set(outputs) | {self.dests[p] for p in self.written}
        removed = prune(self.site_dir, self.before.outputs - now)
        taken = time.time_ns()
        for src, dest in self.dests.items():
            previous = self.before.pages.get(src)
            if src in self.kept and previous is not None:
                stat = self.refreshed.get(dest, previous.stat)
                record = PageRecord(previous.key, dest, previous.out_hash, stat, previous.deps)
            elif src in self.written:
                try:
                    stat = stat_text(os.stat(dest), taken)
                except OSError:
                    continue  # the engine wrote nothing (an empty page)
                record = self._written_record(src, dest, stat)
            else:
                continue  # not built this time (excluded): nothing to reuse
            self.after.pages[src] = record
        self.after.outputs = now
        self.after.search = search
        if self.global_key:
            self.store.save(self.before, self.after)
            files = self.page_files
            untouched = {s: f.page for s, f in files.items() if s in self.kept and f.page}
            # only a preview's worker makes their pages anew (`make_pages`); elsewhere the
            # rendered pages are let go with the build
            unmade = (
                {s: f for s, f in files.items() if s not in self.kept and s in self.written}
                if serving()
                else {}
            )
            _UNTOUCHED[self.store.path] = (self.after.generation, untouched, unmade)
        self.saved = True
        self._close()
        rendered = len(self.written)
        return (
            f"rebuild: {len(self.kept)} pages reused, {rendered} rendered, {removed} stale files "
            f"removed ({time.monotonic() - self.started:.1f} s since the cache was opened)"
        )

    def abandon(self) -> None:
        """The build failed before it finished: the next one goes on from what this one knew
        (`salvage`). A build killed before it could say so leaves the cache marked as being
        rebuilt, so the next build starts from nothing."""
        try:
            if self.global_key and not self.saved:
                # the last build's rows (none when this build cleared them: `before` is empty)
                self.store.save(self.before, self.salvage())
        finally:
            self._close()

    def salvage(self) -> Snapshot:
        """What a failed build leaves for the next: the last build's pages, those this one
        rendered as it rendered them, and a manifest with every file it may have written.

        Exact for the same reasons as a finished build's cache: a page is left as it is only
        when its output still has the bytes of its record (a record of this build's has no
        stat, so its output is read), and whatever this build wrote that the next does not is
        pruned. The search index checks its own files (`search.IndexWriter.load`); it is named
        by the fingerprint of the one this build kept, if its indexer said it kept one
        (`search_saved`): the state holds that one now, not the last build's."""
        pages = dict(self.before.pages)
        for src in self.written:
            dest = self.dests.get(src)
            if dest is not None:
                pages[src] = self._written_record(src, dest, "")
        outputs = self.before.outputs | self.outputs | {self.dests[p] for p in self.written}
        return Snapshot(
            global_key=self.global_key,
            search=self.search_kept or self.before.search,
            pages=pages,
            outputs=outputs,
            pieces={**self.before.pieces, **self.after.pieces},
            inputs={**self.before.inputs, **self.after.inputs},
        )

    def _written_record(self, src: str, dest: str, stat: str) -> PageRecord:
        """The record of a page this build rendered and wrote to `dest` (`stat`: its output's
        stat, "" when it must be read to be trusted): no key when it warned, so that it is
        rendered, and warns, again."""
        key = None if src in self.warned else self.keys.get(src)
        return PageRecord(key, dest, self.written[src], stat, self.deps.get(src, {}))

    def _close(self) -> None:
        if _LISTENER.current is self:
            _LISTENER.current = None
        if self.parsed:  # only this build's pieces: what the next one is likely to read
            _PARSED.clear()
            _PARSED.update(self.parsed)
        self.store.unlock()


@dataclass
class _Collector:
    """Whether the objects frozen for the garbage collector were frozen by `Rebuild.plan`."""

    frozen: bool = False


_GC = _Collector()


def _freeze() -> None:
    """Once every page is planned, what the build keeps to its end (the engine's files and
    pages, the pieces, the keys) is frozen: the collector's full passes while pages render go
    only through what rendering makes (they went through every piece and page, several times
    a build: 0.2-0.5 s of a rebuild at 10,000 pieces, 3 s of a clean build)."""
    gc.freeze()
    _GC.frozen = True


#: pages rendered between two passes of `_settle_rendered`
BATCH = 1000


def _settle_rendered() -> None:
    """Collect what the pages rendered since the last pass let go, then freeze what they keep
    to the end of the build. The engine keeps every page's HTML, table of contents and meta
    from rendering to templates, and the collector's full passes while pages render went
    through all of it again and again; young collections did too, each touching what it
    refers to, so that the collector cost more per page the larger the site (7.8 s of CPU at
    30,000 pieces, 3.7 times its 2.1 s at 10,000). A pass goes through the last `BATCH`
    pages' objects only (nothing is frozen that is garbage: it is collected first)."""
    gc.collect()
    _freeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No collections while the pieces are read: reading makes no reference cycles (YAML's
    loaders are disposed of, a piece is plain data), and the collector's full passes, as the
    pieces piled up, went through everything the engine had loaded, several times (0.6 s of
    CPU at 30,000 pieces, seven passes). `Rebuild.plan` freezes the pieces after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _thaw() -> None:
    """Before the next build of the same process (`mkdocs serve`): what the last build froze
    is collected, so that nothing of it stays for good (unfrozen only, it would be frozen
    again by this build, which pauses the collector while it reads and freezes after)."""
    if _GC.frozen:
        gc.unfreeze()
        gc.collect()
        _GC.frozen = False


def settle() -> None:
    """Between two builds of a process that builds again and again (the preview's worker, once
    the browsers have their pages): collect what the last build let go, then freeze what is
    left (the engine, the hub's modules, what the next build takes up), for the next build's
    collections to skip; it stays frozen until the next `settle`."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _GC.frozen = False


def make_pages(make: Callable[[Any], Any]) -> int:
    """Between builds of a process that builds again (the preview's worker, once the browsers
    have their pages): for each page outside the nav that the last build rendered, a page
    object as the engine makes it (`make(file)`, from the file of that build), for the next
    build to take up as it takes up the pages left untouched (`Rebuild.untouched_pages`), so
    that an edit after a whole build makes none either. Returns how many were made."""
    made = 0
    for _generation, pages, unmade in _UNTOUCHED.values():
        for src, file in unmade.items():
            pages[src] = make(file)
            made += 1
        unmade.clear()
    return made


def nav_uri(path: str) -> str:
    """The docs/ path the engine finds for a nav entry (`Files.get_file_from_path` normalises
    "./about.md" to "about.md"; a leading "/" is dropped, as the engine does for links relative
    to docs/: otherwise such an entry is a link, and counting it in the nav only costs a reuse)."""
    return PurePath(path.lstrip("/")).as_posix()


def nav_paths(entry: Any) -> list[str]:
    """The docs/ paths of a nav ("x.md", {"Title": "x.md"}, a section's list, or a list)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        return [path for value in entry.values() for path in nav_paths(value)]
    if isinstance(entry, list):
        return [path for item in entry for path in nav_paths(item)]
    return []


def prune(site_dir: Path, stale: Iterable[str]) -> int:
    """Delete stale outputs, then every folder they leave empty (up to the site's root)."""
    removed = 0
    folders: set[str] = set()
    root = str(site_dir)
    for path in sorted(stale):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed += 1
        folder = os.path.dirname(path)
        while folder.startswith(root) and folder != root:
            folders.add(folder)
            folder = os.path.dirname(folder)
    for folder in sorted(folders, key=len, reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # only when empty
    return removed


def _answer(found: Any) -> str:
    """What a link lookup told the page: the target's URL and whether it is in the site."""
    if found is None:
        return ""
    excluded = found.inclusion.is_excluded() if hasattr(found, "inclusion") else False
    return f"{found.url}|{'excluded' if excluded else ''}"


def _always() -> bool:
    return True


def _never() -> bool:
    return False


_ALWAYS = _always
_NEVER = _never
