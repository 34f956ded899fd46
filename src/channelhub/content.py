"""Pieces (editorial articles, analyst notes, pulled partner and analyst posts) and the content index.

A piece is a Markdown file under one of the piece folders of docs/. This module owns what a
piece's front matter may say and turns each file into a `Piece`, or into problems; whether a
piece is on the site at a given moment (`publication`: published, draft, scheduled, expired);
and the content index, which keeps the pieces that are not published apart from those that are.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from channelhub import dates, frontmatter
from channelhub.config import Hub, slug_list
from channelhub.dates import parse_date
from channelhub.frontmatter import Document, FrontMatterError
from channelhub.problems import Problem, did_you_mean, errors, not_a_flag
from channelhub.problems import describe as _kind
from channelhub.urls import is_web_url

Kind = Literal["editorial", "partner", "analyst"]
KIND_LABELS: dict[str, str] = {
    "editorial": "Editorial",
    "partner": "Partner",
    "analyst": "Analyst note",
}

#: folders of docs/ whose Markdown files are pieces
PIECE_DIRS = ("articles", "notes", "sources")
#: file names that make a section page (not a piece) at the top of a piece folder
SECTION_FILES = frozenset({"index.md", "README.md"})

PIECE_KEYS = frozenset(frontmatter.PIECE_ORDER) | {
    "expected_topics",  # a labelled piece for `channelhub tag --evaluate`
    # Material keys an editor may reasonably set on a piece
    "hide",
    "search",
    "image",
}

_FRONTMATTER_TAGS = re.compile(r"<[^>]*>")
#: an alias: a path from the site's root, '/old/url/' or '/old/page.html', in URL-safe segments
#: none of which starts with a dot (so no '.', '..' or hidden file)
_ALIAS = re.compile(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*)?")


@dataclass(frozen=True)
class Piece:
    """One piece of content, as listing pages, feeds and the tagger need it."""

    src_uri: str  # path under docs/, posix, e.g. articles/2026/x.md
    title: str
    date: datetime
    kind: Kind
    topics: tuple[str, ...] = ()
    summary: str = ""
    editor: tuple[str, ...] = ()  # its authors' editor ids, first author first
    source: str | None = None
    canonical: str | None = None
    author: str | None = None
    analyst: str | None = None
    firm: str | None = None
    figure: str | None = None
    updated: datetime | None = None
    words: int = 0
    auto_topics: tuple[str, ...] | None = None
    draft: bool = False
    expires: datetime | None = None
    featured: bool = False
    aliases: tuple[str, ...] = ()  # old site paths that redirect here: '/old/url/'
    #: the front matter's text and its reading (`frontmatter.Document.engine`), from which
    #: `frontmatter.engine_meta` makes the engine's own, so that the engine need not parse it
    #: again; never in the cache (not pickled); a build takes it once (`take_engine`), a
    #: preview keeps it while the piece's file is unchanged (`HubBuild.engine_front_matter`)
    engine: tuple[str, Any] | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "engine": None}

    def take_engine(self) -> tuple[str, Any] | None:
        """`engine`, once: the engine reads a page once a build, and the text and data would
        otherwise stay with the piece to the end of the build (about 3 KB a piece)."""
        found = self.engine
        if found is not None:
            object.__setattr__(self, "engine", None)  # not compared, hashed nor pickled
        return found

    @property
    def url(self) -> str:
        """The piece's URL path with directory URLs: articles/2026/x.md -> /articles/2026/x/."""
        return "/" + url_of(self.src_uri)

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / 230))

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def tagger_owned(self) -> bool:
        """True while the topics are the ones the tagger last wrote."""
        return self.auto_topics is not None and tuple(self.auto_topics) == self.topics


class Publication(enum.Enum):
    """Whether a piece is on the site at a given moment."""

    PUBLISHED = "published"
    DRAFT = "draft"  # `draft: true`
    SCHEDULED = "scheduled"  # dated later than now
    EXPIRED = "expired"  # `expires` is now or earlier


def publication(piece: Piece, now: datetime) -> Publication:
    """The decision for one piece at one moment (a draft stays a draft whatever its dates)."""
    if piece.draft:
        return Publication.DRAFT
    if piece.date > now:
        return Publication.SCHEDULED
    if piece.expires is not None and piece.expires <= now:
        return Publication.EXPIRED
    return Publication.PUBLISHED


def url_of(src_uri: str) -> str:
    """Directory URL (without the leading slash) of a Markdown file under docs/."""
    stem = src_uri[:-3] if src_uri.endswith(".md") else src_uri
    if stem == "index" or stem.endswith("/index") or stem == "README" or stem.endswith("/README"):
        stem = stem.rpartition("/")[0]
        return f"{stem}/" if stem else ""
    return f"{stem}/"


@dataclass
class _Check:
    """Problems found while reading one piece."""

    path: str
    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        key: str | None,
        message: str,
        severity: Literal["error", "warning"] = "error",
        *,
        item: int | None = None,
    ) -> None:
        """A problem at the line of `key` (of its `item`-th list item when the list has lines)."""
        line = self.doc.line_of(key) if key else 1
        value = self.doc.meta.get(key) if key else None
        if item is not None and isinstance(value, frontmatter.LineList):
            line = value.line_of(item)
        self.problems.append(Problem(self.path, line, message, severity))

    def text(self, key: str) -> str | None:
        value = self.doc.meta.get(key)
        if value is None:
            return None
        if isinstance(value, bool | list | dict):
            self.add(key, f"Expected text for '{key}', got {_kind(value)}")
            return None
        return str(value).strip() or None

    def flag(self, key: str) -> bool:
        value = self.doc.meta.get(key)
        if value is None:
            return False
        wrong = not_a_flag(key, value)
        if wrong is not None:
            self.add(key, wrong)
            return False
        return bool(value)


def piece_from_document(
    doc: Document, src_uri: str, hub: Hub, *, display: str
) -> tuple[Piece | None, list[Problem]]:
    """Validate a piece's front matter against the hub's data; return the piece and its problems."""
    check = _Check(display, doc)
    meta = doc.meta
    if not doc.has_front_matter:
        check.add(None, "no front matter: a piece starts with '---', then title and date")
        return None, check.problems
    for key in meta:
        if key == "template":
            check.add(
                key,
                "'template' is not allowed in a piece: it would let a pull request choose any theme template",
            )
        elif key not in PIECE_KEYS:
            check.add(key, f"unknown front-matter key '{key}'")
    title = check.text("title")
    if title is None and "title" not in meta:
        check.add(None, "missing 'title'")
    elif title is None:
        check.add("title", "'title' is empty")
    when = None
    if "date" not in meta:
        check.add(None, "missing 'date'")
    else:
        when = parse_date(meta["date"])
        if when is None:
            check.add(
                "date",
                f"'date' is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ): {meta['date']!r}",
            )
    updated = None
    if "updated" in meta:
        updated = parse_date(meta["updated"])
        if updated is None:
            check.add("updated", f"'updated' is not an ISO 8601 date: {meta['updated']!r}")
    expires = None
    if "expires" in meta:
        expires = parse_date(meta["expires"])
        if expires is None:
            check.add("expires", f"'expires' is not an ISO 8601 date: {meta['expires']!r}")
        elif when is not None and expires <= when:
            check.add(
                "expires",
                f"'expires' ({dates.utc_text(expires)}) is not after 'date' ({dates.utc_text(when)})",
            )
    topics = _topics(check, hub, "topics")
    auto_topics = (
        _topics(check, hub, "auto_topics", report_unknown=False) if "auto_topics" in meta else None
    )
    summary = check.text("summary") or ""
    editor, source = _editors(check, hub), check.text("source")
    kind: Kind = "editorial"
    top = src_uri.split("/", 1)[0]
    if editor and source:
        check.add(
            "source", "a piece has either 'editor' (written here) or 'source' (pulled), not both"
        )
    elif editor:
        kind = "analyst" if top == "notes" else "editorial"
    elif source:
        found = hub.source(source)
        if found is not None:
            kind = found.kind
        elif hub.sources:  # no sources at all: sources.yml's own problem, reported there
            hint = (
                did_you_mean(source, (s.id for s in hub.sources)) or " (not in feeds/sources.yml)"
            )
            check.add("source", f"unknown source '{source}'{hint}")
        if "canonical" not in meta:
            check.add(None, "a pulled piece needs 'canonical', the original URL")
    elif "editor" not in meta:
        check.add(
            None, "missing 'editor' (for a piece written here) or 'source' (for a pulled one)"
        )
    canonical = check.text("canonical")
    if canonical and not is_web_url(canonical):
        check.add("canonical", f"'canonical' must be an http(s) URL: {canonical}")
        canonical = None
    if top == "sources" and not source:
        check.add(None, "pieces under docs/sources/ are pulled from a feed and need 'source'")
    draft, featured = check.flag("draft"), check.flag("featured")
    aliases = _aliases(check)
    if errors(check.problems):
        return None, check.problems
    assert title is not None and when is not None
    piece = Piece(
        src_uri=src_uri,
        title=title,
        date=when,
        kind=kind,
        topics=topics,
        summary=summary,
        editor=editor,
        source=source,
        canonical=canonical,
        author=check.text("author"),
        analyst=check.text("analyst"),
        firm=check.text("firm"),
        figure=check.text("figure"),
        updated=updated,
        words=len(doc.body.split()),  # for reading time; a quarter of the cost of counting \w+ runs
        auto_topics=auto_topics,
        draft=draft,
        expires=expires,
        featured=featured,
        aliases=aliases,
        engine=doc.engine,
    )
    return piece, check.problems


def _editors(check: _Check, hub: Hub) -> tuple[str, ...]:
    """`editor:` as a tuple of ids (one id, or a list of co-authors), each a known editor."""
    value = check.doc.meta.get("editor")
    if value is None:
        return ()
    given: list[tuple[int | None, str]] = []
    named = False  # an item was reported: no "'editor' is empty" on top of it
    if isinstance(value, str):
        given = [(None, value.strip())] if value.strip() else []
    elif isinstance(value, list):
        for number, item in enumerate(value):
            if not isinstance(item, str):
                what = f"{_kind(item)} ({item!r})" if isinstance(item, int | float) else _kind(item)
                check.add(
                    "editor",
                    f"item {number + 1} of 'editor' is {what}, not an editor id",
                    item=number,
                )
            elif item.strip():
                given.append((number, item.strip()))
            elif len(value) > 1:
                check.add("editor", f"item {number + 1} of 'editor' is empty", item=number)
                named = True
    else:
        check.add(
            "editor",
            f"Expected an editor id or a list of editor ids for 'editor', got {_kind(value)}",
        )
        return ()
    ids = tuple(dict.fromkeys(editor_id for _, editor_id in given))
    if not ids and not named:
        check.add("editor", "'editor' is empty: give your editor id, e.g. editor: jane-doe")
    for position, editor_id in given if hub.editors else ():
        if hub.editor(editor_id) is None:
            where = f" (no docs/editors/{editor_id}.md)"
            hint = did_you_mean(editor_id, (e.id for e in hub.editors)) or where
            check.add("editor", f"unknown editor '{editor_id}'{hint}", item=position)
    return ids


def _aliases(check: _Check) -> tuple[str, ...]:
    """`aliases:` as site paths ('/old/url/' or '/old/page.html'), each written once."""
    value = check.doc.meta.get("aliases")
    if value is None:
        return ()
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
        check.add("aliases", f"Expected a list of site paths for 'aliases', got {_kind(value)}")
        return ()
    found: list[str] = []
    for number, raw in enumerate(given):
        alias = site_path(raw)
        if alias is None:
            check.add(
                "aliases",
                f"alias {raw!r} is not a site path: write the old address from the site's root, "
                "e.g. /articles/2025/old-name/",
                item=number,
            )
        else:
            found.append(alias)
    return tuple(dict.fromkeys(found))


def site_path(text: str) -> str | None:
    """An alias as the hub keeps it ('/old/url' -> '/old/url/'), or None when it is not a path
    from the site's root made of URL-safe segments."""
    alias = text.strip()
    if not _ALIAS.fullmatch(alias):
        return None
    if alias.endswith("/index.html"):
        return alias[: -len("index.html")]  # the same file as the folder's URL
    return alias if alias.endswith(("/", ".html")) else alias + "/"  # directory URLs, as the hub's


def _topics(check: _Check, hub: Hub, key: str, *, report_unknown: bool = True) -> tuple[str, ...]:
    value = check.doc.meta.get(key)
    if value is None:
        return ()
    given = slug_list(value)
    if given is None:
        check.add(key, f"Expected a list of topic slugs for '{key}', got {_kind(value)}")
        return ()
    slugs: list[str] = []
    renamed = hub.renamed
    for slug in given:
        if hub.topic(slug):
            slugs.append(slug)
        elif slug in renamed:
            if report_unknown:
                check.add(
                    key,
                    f"topic '{slug}' was renamed to '{renamed[slug]}' (run `channelhub tag --retag` to migrate)",
                    "warning",
                )
            slugs.append(renamed[slug])
        elif report_unknown and hub.topics:
            hint = did_you_mean(slug, (t.slug for t in hub.topics)) or " (not in feeds/topics.yml)"
            check.add(key, f"unknown topic '{slug}'{hint}")
    return tuple(dict.fromkeys(slugs))


def meta_text(meta: Mapping[str, Any], key: str) -> str:
    """A front matter value that should be text, or "" when it is absent or not text."""
    value = meta.get(key)
    return value if isinstance(value, str) else ""


def piece_files(docs_dir: Path) -> Iterator[Path]:
    """Every piece file under docs/, in a stable order."""
    for path, _src_uri in piece_paths(docs_dir):
        yield path


def piece_paths(docs_dir: Path) -> Iterator[tuple[Path, str]]:
    """Every piece file under docs/ with its path under docs/ ("articles/2026/x.md"), in a
    stable order. Each folder's path under docs/ is worked out once, not each file's (a path
    object's `relative_to` for each file was most of the walk: 0.17 -> 0.05 s of CPU at 10,000
    pieces)."""
    for top in PIECE_DIRS:
        folder = docs_dir / top
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            under = Path(dirpath).relative_to(docs_dir).as_posix()
            for name in sorted(filenames):
                if name.endswith(".md") and not name.startswith("."):
                    src_uri = f"{under}/{name}"
                    if not is_section_page(src_uri):
                        yield Path(dirpath, name), src_uri


def is_section_page(src_uri: str) -> bool:
    """articles/index.md, notes/index.md, sources/index.md and sources/<id>/index.md are
    hand-written section pages; an index.md deeper down is a piece kept in its own folder."""
    parts = src_uri.split("/")
    if parts[-1] not in SECTION_FILES:
        return False
    return len(parts) == 2 or (len(parts) == 3 and parts[0] == "sources")


@dataclass(frozen=True)
class Held:
    """A valid piece that is not on the site at the index's moment, and why."""

    piece: Piece
    state: Publication

    def words(self) -> str:
        """What a link to it leads to, for `check`: 'a draft piece', 'a piece scheduled for
        <time>', 'an expired piece'."""
        if self.state == Publication.SCHEDULED:
            return f"a piece scheduled for {dates.utc_text(self.piece.date)}"
        return "an expired piece" if self.state == Publication.EXPIRED else "a draft piece"


@dataclass(frozen=True)
class ContentIndex:
    """The valid pieces on the site, newest first, with the lookups listing pages need.

    Pieces that are not published at `now` (drafts, scheduled, expired) are kept apart in
    `held`, so a build never sees them; a preview (`previewing()`) puts them among `pieces`.
    """

    pieces: tuple[Piece, ...]
    problems: tuple[Problem, ...] = ()
    held: tuple[Held, ...] = ()
    #: the moment the pieces were split at (None: every piece was taken as published)
    now: datetime | None = None
    #: True when `held` pieces are among `pieces` (`channelhub serve`)
    preview: bool = False

    def previewing(self) -> ContentIndex:
        """The index a preview shows: every valid piece, the held ones marked (`state_of`)."""
        if self.preview:
            return self
        every = newest_first([*self.pieces, *(h.piece for h in self.held)])
        return replace(self, pieces=tuple(every), preview=True)

    @cached_property
    def _held_states(self) -> dict[str, Publication]:
        return {h.piece.src_uri: h.state for h in self.held}

    @cached_property
    def held_by_uri(self) -> dict[str, Held]:
        """The held pieces by path under docs/ (none in a preview: it shows them)."""
        return {} if self.preview else {h.piece.src_uri: h for h in self.held}

    def state_of(self, piece: Piece) -> Publication:
        """PUBLISHED, or why a held piece is not on the site (shown in a preview)."""
        return self._held_states.get(piece.src_uri, Publication.PUBLISHED)

    def by_topic(self) -> dict[str, list[Piece]]:
        groups: dict[str, list[Piece]] = {}
        for piece in self.pieces:
            for slug in piece.topics:
                groups.setdefault(slug, []).append(piece)
        return groups

    def group(self, key: Literal["editor", "source"]) -> dict[str, list[Piece]]:
        """Pieces grouped by 'editor' or 'source', newest first; a co-authored piece is in
        the group of each of its editors."""
        groups: dict[str, list[Piece]] = {}
        for piece in self.pieces:
            value = getattr(piece, key)
            for name in (value,) if isinstance(value, str) else value or ():
                groups.setdefault(name, []).append(piece)
        return groups

    def of_kind(self, kind: Kind) -> list[Piece]:
        return [p for p in self.pieces if p.kind == kind]


def newest_first(pieces: Iterable[Piece]) -> list[Piece]:
    return sorted(pieces, key=lambda p: (p.date, p.src_uri), reverse=True)


#: reads one piece file: (path, src_uri, display path) -> the piece or None, and its problems
Reader = Callable[[Path, str, str], tuple["Piece | None", list[Problem]]]


#: what the site has at a path from its root ('/about/'), in words, or None when it is free
Occupied = Callable[[str], str | None]


def load_index(
    hub: Hub,
    docs_dir: Path | None = None,
    *,
    now: datetime | None = None,
    occupied: Occupied | None = None,
    with_lines: bool = False,
    read: Reader | None = None,
) -> ContentIndex:
    """Read every piece under docs/; invalid pieces are left out and reported.

    The pieces published at `now` (default: `dates.now()`) are the index's pieces; the others
    are held. Each alias is checked against `occupied` (the pages the site has besides its
    aliases) and against the aliases of earlier files; one that collides is reported and dropped.
    `read` reads one file (default `read_piece`); a build passes one that reuses what an
    earlier build read from the same bytes (`channelhub.rebuild`).
    """
    docs_dir = docs_dir or hub.root / "docs"
    moment = dates.now() if now is None else now
    pieces: list[Piece] = []
    held: list[Held] = []
    problems: list[Problem] = []
    by_url: dict[str, str] = {}
    by_alias: dict[str, tuple[str, Path]] = {}  # alias -> the file that has it (shown, path)
    docs_shown = display_path(docs_dir, hub.root)  # once: per piece it was a tenth of the read
    for path, src_uri in piece_paths(docs_dir):
        display = f"{docs_shown}/{src_uri}"
        if read is None:
            piece, found = read_piece(path, src_uri, hub, display=display, with_lines=with_lines)
        else:
            piece, found = read(path, src_uri, display)
        problems += found
        url = url_of(src_uri)
        if url in by_url:
            problems.append(Problem(display, 1, f"same URL /{url} as {by_url[url]}"))
            continue
        by_url[url] = display
        if piece is None:
            continue
        if piece.aliases:
            piece, found = _claim_aliases(piece, path, display, by_alias, occupied)
            problems += found
        state = publication(piece, moment)
        if state is Publication.PUBLISHED:
            pieces.append(piece)
        else:
            held.append(Held(piece, state))
    return ContentIndex(
        pieces=tuple(newest_first(pieces)),
        problems=tuple(problems),
        held=tuple(sorted(held, key=lambda h: (h.piece.date, h.piece.src_uri), reverse=True)),
        now=moment,
    )


def _claim_aliases(
    piece: Piece,
    path: Path,
    display: str,
    by_alias: dict[str, tuple[str, Path]],
    occupied: Occupied | None,
) -> tuple[Piece, list[Problem]]:
    """The piece with the aliases no page and no earlier alias has; a problem for each other,
    and one on the earlier file of an alias two files give (each editor sees the clash)."""
    kept: list[str] = []
    messages: list[tuple[str, str]] = []
    earlier: dict[tuple[str, Path], list[tuple[str, str]]] = {}
    for alias in piece.aliases:
        taken = occupied(alias) if occupied else None
        if taken is None and alias in by_alias:
            taken = f"an alias of {by_alias[alias][0]}"
            message = f"alias '{alias}' collides with an alias of {display}"
            earlier.setdefault(by_alias[alias], []).append((alias, message))
        if taken is None:
            by_alias[alias] = (display, path)
            kept.append(alias)
        else:
            messages.append((alias, f"alias '{alias}' collides with {taken}"))
    if not messages:
        return piece, []
    problems = _alias_problems(path, display, messages)
    for (shown, other), found in earlier.items():
        problems += _alias_problems(other, shown, found)
    return replace(piece, aliases=tuple(kept)), problems


def _alias_problems(path: Path, display: str, messages: list[tuple[str, str]]) -> list[Problem]:
    """Each (alias, message) at the line of that alias in the file's `aliases:` list."""
    check = _Check(display, frontmatter.read(path, display=display, with_lines=True))
    given = check.doc.meta.get("aliases")
    written = (
        [site_path(v) if isinstance(v, str) else None for v in given]
        if isinstance(given, list)
        else []
    )
    for alias, message in messages:
        check.add("aliases", message, item=written.index(alias) if alias in written else None)
    return check.problems


def read_piece(
    path: Path,
    src_uri: str,
    hub: Hub,
    *,
    display: str,
    with_lines: bool = True,
    data: bytes | None = None,
) -> tuple[Piece | None, list[Problem]]:
    """One piece file as a piece and its problems; from `data` when the caller read the bytes."""
    try:
        text = (
            frontmatter.read_text(path, display)
            if data is None
            else frontmatter.decode(data, display)
        )
        doc = frontmatter.parse(text, path=display, with_lines=with_lines, engine=True)
        piece, problems = piece_from_document(doc, src_uri, hub, display=display)
        if problems and not with_lines:
            # Parse again with line numbers only when there is something to point at (PyYAML
            # with lines refuses a recursive alias that libyaml without them reads).
            doc = frontmatter.parse(text, path=display, with_lines=True)
            piece, problems = piece_from_document(doc, src_uri, hub, display=display)
    except FrontMatterError as exc:
        return None, [exc.problem()]
    except RecursionError:  # nested about as deep as YAML parsers go
        return None, [Problem(display, 1, "front matter nested too deeply")]
    return piece, problems


def reading_key(hub: Hub) -> str:
    """Everything besides a file's bytes that `piece_from_document` reads from the hub (the
    topics, the sources, the editors' ids), as text: a piece read under the same key from the
    same bytes is the same piece with the same problems."""
    return repr((hub.topics, hub.renamed, hub.sources, [e.id for e in hub.editors]))


def display_path(path: Path, root: Path) -> str:
    """`path` as problems show it: relative to the repository when it is inside."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def meta_of(piece: Piece) -> Mapping[str, Any]:
    """The piece as plain data (for JSON and templates)."""
    return {
        "url": piece.url,
        "title": piece.title,
        "date": piece.date.isoformat(),
        "kind": piece.kind,
        "topics": list(piece.topics),
        "summary": piece.summary,
        "editor": list(piece.editor),
        "source": piece.source,
    }
