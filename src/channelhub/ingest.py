"""Feed entries -> pulled piece files under docs/sources/<source-id>/<yyyy>/<slug>.md.

This module owns what `pull` writes for an entry and when: the piece's front matter and body
(per the source's excerpt/full policy, tagged by the topic tagger), its stable path (found
again by `guid`, never recomputed), the dates it may trust, deduplication of the same link
syndicated by several sources, and the `pulled_hash` that tells an upstream change (rewrite)
from an editor's edit (keep). The CPU-heavy half (`prepare_feed`: parse, clean, convert,
tag) is a pure function that runs in a limited worker process; the other half (`Ingestor`)
decides and writes in the main process, atomically.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from slugify import slugify

from channelhub import frontmatter
from channelhub import ledger as ledger_store
from channelhub.clean import escape_text, html_to_markdown, plain_text, summary_to_text
from channelhub.config import Images, Source, Topic
from channelhub.dates import parse_date, utc_text
from channelhub.files import write_atomic
from channelhub.frontmatter import FrontMatterError
from channelhub.ledger import SOURCES_DIR, Ledger, Pulled
from channelhub.parse import Entry, parse_feed
from channelhub.problems import Problem
from channelhub.profiles import HubTagger, Profiles
from channelhub.sourcerules import EntryRules
from channelhub.tagger import compile_rules
from channelhub.takedowns import TAKEDOWNS_FILE, Takedown, Takedowns, record_of
from channelhub.urls import normalise_link

#: bump when the written pieces change shape, so unchanged feeds are re-ingested once
FORMAT_VERSION = "1"
SLUG_MAX = 60
EXCERPT_WORDS = 60
MAX_TOPICS = 3
#: feed dates before this are not trusted
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
#: a feed date this far after the first-seen time is "in the future" (clock skew allowed)
FUTURE_SLACK = timedelta(days=1)
HASH_KEY = "pulled_hash"

Action = Literal[
    "new", "updated", "unchanged", "filtered", "kept_down", "kept_edits", "duplicate", "skipped"
]
#: how much of the summary the keep and block rules read (the written summary is shorter)
RULES_SUMMARY_MAX = 4000


# --- the worker half: entry -> prepared piece ---------------------------------------------------


@dataclass(frozen=True)
class FeedSpec:
    """What `prepare_feed` needs to know about the source and the hub's topics."""

    source_id: str
    policy: Literal["excerpt", "full"]
    default_topics: tuple[str, ...]
    topics: tuple[Topic, ...]
    topics_key: str  # identifies `topics`, so a worker compiles the tagger once per run
    #: the run's first-seen time: workers render new pieces with it (YAML is the costly part)
    now: datetime | None = None
    #: the topics' profiles (small arrays, built once in the main process); None: rules only
    profiles: Profiles | None = None
    keep: tuple[str, ...] = ()
    block: tuple[str, ...] = ()
    require_topics: bool = False
    images: Images = "keep"

    @classmethod
    def of(
        cls,
        source: Source,
        topics: Sequence[Topic],
        now: datetime | None = None,
        profiles: Profiles | None = None,
        *,
        key: str | None = None,
    ) -> FeedSpec:
        """The spec of one source's feed; `key` is `topics_key(topics)` when the caller has
        it already (a pull makes one spec per source, all with the same topics)."""
        return cls(
            source.id,
            source.policy,
            source.topics,
            tuple(topics),
            key or topics_key(topics),
            now,
            profiles,
            keep=source.keep,
            block=source.block,
            require_topics=source.require_topics,
            images=source.images,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled for a worker with the topics and profiles as bytes pickled once per run
        and unpickled once per worker: pickling them for every feed was a fortieth of the
        pull's CPU, for data that is the same for every feed of a run."""
        key, blob = _shared_pickle(self.topics, self.profiles)
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _SHARED}
        return (_spec_with_shared, (key, blob, own))

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same feed bytes would be written differently."""
        parts = [
            FORMAT_VERSION,
            self.policy,
            ",".join(self.default_topics),
            self.topics_key,
            self.profiles.key if self.profiles is not None else "",
        ]
        # only set rules join the basis: a source without them keeps the fingerprint it had
        if self.keep or self.block or self.require_topics:
            parts += ["\x1e".join(self.keep), "\x1e".join(self.block), str(self.require_topics)]
        if self.images != "keep":
            parts.append(f"images={self.images}")
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


#: the FeedSpec fields every feed of a run shares, pickled once (`FeedSpec.__reduce__`)
_SHARED = ("topics", "profiles")
#: most runs' shared fields a process keeps (a pull has one; tests make a few)
_SHARED_KEPT = 4
#: in the main process: the last few (topics, profiles, key, their pickle), found by identity:
#: an entry holds its objects, so no other object can be taken for them (an id could be)
_PICKLED: list[tuple[object, object, str, bytes]] = []
#: in a worker: (topics, profiles) by key
_UNPICKLED: dict[str, tuple[tuple[Topic, ...], Profiles | None]] = {}


def _shared_pickle(topics: tuple[Topic, ...], profiles: Profiles | None) -> tuple[str, bytes]:
    """(a key naming these topics and profiles, their pickle), pickled once per process."""
    for known_topics, known_profiles, key, blob in _PICKLED:
        if known_topics is topics and known_profiles is profiles:
            return key, blob
    blob = pickle.dumps((topics, profiles), protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.sha256(blob).hexdigest()
    del _PICKLED[: max(0, len(_PICKLED) + 1 - _SHARED_KEPT)]  # the oldest go
    _PICKLED.append((topics, profiles, key, blob))
    return key, blob


def _spec_with_shared(key: str, blob: bytes, own: dict[str, Any]) -> FeedSpec:
    """A FeedSpec unpickled in a worker: the shared fields unpickled the first time only."""
    shared = _UNPICKLED.get(key)
    if shared is None:
        if len(_UNPICKLED) >= _SHARED_KEPT:
            _UNPICKLED.clear()
        shared = _UNPICKLED[key] = pickle.loads(blob)
    return FeedSpec(topics=shared[0], profiles=shared[1], **own)


def topics_key(topics: Sequence[Topic]) -> str:
    """A short hash of the topics and their rules."""
    basis = repr([(t.slug, sorted(t.rules.items(), key=str), t.replaces) for t in topics])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Rendered:
    """A piece's full text (with its pulled_hash line) and that hash."""

    text: str
    digest: str


@dataclass(frozen=True)
class PreparedEntry:
    """An entry cleaned, converted and tagged; dates and path are decided by the `Ingestor`."""

    index: int
    guid: str
    title: str
    link: str | None
    published: datetime | None
    updated: datetime | None
    author: str
    summary: str
    body: str
    topics: tuple[str, ...]
    slug: str = ""  # the file name a new piece would get (before any -2, -3...)
    tagged: bool = False  # the tagger found a hub topic (not only the source's default topics)
    draft: Rendered | None = None  # the file as a new piece first seen at `draft_seen`
    draft_seen: datetime | None = None


@dataclass(frozen=True)
class Skipped:
    """An entry left out, with why."""

    index: int
    title: str
    guid: str
    reason: str


@dataclass(frozen=True)
class PreparedFeed:
    title: str
    entries: tuple[PreparedEntry, ...]
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    filtered: tuple[Skipped, ...] = ()  # left out by the source's keep, block or require_topics


_TAGGERS: dict[tuple[str, str], HubTagger] = {}


def _tagger(spec: FeedSpec) -> HubTagger:
    """The rules (compiled once per worker) with the spec's profiles."""
    key = (spec.topics_key, spec.profiles.key if spec.profiles is not None else "")
    tagger = _TAGGERS.get(key)
    if tagger is None:
        rules = next((t.rules for (k, _), t in _TAGGERS.items() if k == spec.topics_key), None)
        tagger = HubTagger(rules or compile_rules(spec.topics), spec.profiles)
        _TAGGERS[key] = tagger
    return tagger


def _first_words(text: str, count: int) -> str:
    words = text.split()
    if len(words) <= count:
        return text
    return " ".join(words[:count]).rstrip(" ,;:.-") + "…"


def excerpt_markdown(summary_html: str) -> str:
    """The excerpt policy's body: the summary as escaped plain text, about sixty words."""
    text = plain_text(summary_html, max_len=4000)
    return escape_text(_first_words(text, EXCERPT_WORDS)) if text else ""


def prepare_entry(entry: Entry, index: int, spec: FeedSpec, tagger: HubTagger) -> PreparedEntry:
    """Clean, convert and tag one entry (pure)."""
    summary_source = entry.summary_html or entry.content_html
    summary = summary_to_text(summary_source)
    if spec.policy == "full":
        html = entry.content_html or entry.summary_html
        body = html_to_markdown(
            html, base_url=entry.base or entry.link, images=spec.images == "keep"
        )
    else:
        body = excerpt_markdown(summary_source)
    title = plain_text(entry.title, max_len=300, markup=False) or _first_words(summary, 12)
    scores = tagger.tag(title, summary, body) if title else []
    topics = tuple(s.slug for s in scores[:MAX_TOPICS]) or spec.default_topics
    return PreparedEntry(
        index=index,
        guid=entry.id,
        title=title,
        link=entry.link,
        published=entry.published,
        updated=entry.updated,
        author=plain_text(entry.author, max_len=200, markup=False),
        summary=summary,
        body=body,
        topics=topics,
        slug=_slug(title, entry.id),
        tagged=bool(scores),
    )


def prepare_feed(body: bytes, url: str, content_type: str | None, spec: FeedSpec) -> PreparedFeed:
    """Parse a feed document and prepare each entry; raises parse.FeedError for a bad feed.

    Module-level and pure so that it can run in a `sandbox.Sandbox` worker.
    """
    parsed = parse_feed(body, url=url, content_type=content_type)
    tagger = _tagger(spec)
    rules = EntryRules.of(spec.keep, spec.block)
    entries: list[PreparedEntry] = []
    skipped = [Skipped(s.index, "", "", s.reason) for s in parsed.skipped]
    filtered: list[Skipped] = []
    for index, entry in enumerate(parsed.entries):
        try:
            if rules is not None:
                dropped = _rule_drop(rules, entry, index)
                if dropped is not None:
                    filtered.append(dropped)
                    continue
            prepared = prepare_entry(entry, index, spec, tagger)
            if spec.require_topics and not prepared.tagged:
                why = "require_topics: the tagger found no hub topic in it"
                filtered.append(Skipped(index, prepared.title, prepared.guid, why))
                continue
            if spec.now is not None and prepared.link and prepared.title:
                _, draft = render_entry(prepared, spec.source_id, spec.now)
                prepared = replace(prepared, draft=draft, draft_seen=spec.now)
            entries.append(prepared)
        except Exception as exc:  # one bad entry never sinks the feed
            skipped.append(Skipped(index, entry.title, entry.id, f"{type(exc).__name__}: {exc}"))
    return PreparedFeed(
        parsed.title, tuple(entries), tuple(skipped), parsed.warnings, tuple(filtered)
    )


def _rule_drop(rules: EntryRules, entry: Entry, index: int) -> Skipped | None:
    """The entry as dropped by its source's keep or block rule (title, summary, categories)."""
    title = plain_text(entry.title, max_len=300, markup=False)
    summary = plain_text(entry.summary_html or entry.content_html, max_len=RULES_SUMMARY_MAX)
    why = rules.drop_reason(title, summary, entry.categories)
    return None if why is None else Skipped(index, title, entry.id, why)


# --- dates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dates:
    date: datetime
    updated: datetime | None
    note: str | None


def _untrusted(when: datetime, first_seen: datetime) -> str | None:
    if when > first_seen + FUTURE_SLACK:
        return f"the feed's date {when:%Y-%m-%d} is in the future; first-seen time used"
    if when < EARLIEST:
        return f"the feed's date {when:%Y-%m-%d} is before 1990; first-seen time used"
    return None


def settle_dates(
    published: datetime | None, updated: datetime | None, first_seen: datetime
) -> Dates:
    """The piece's date (the feed's if it can be trusted, else the first-seen time), a later
    `updated`, and a note saying why the feed's date was not used."""
    given = published or updated
    if given is None:
        return Dates(first_seen, None, "the feed gave no date; first-seen time used")
    note = _untrusted(given, first_seen)
    date = first_seen if note else given
    later = None
    if updated is not None and _untrusted(updated, first_seen) is None and updated > date:
        later = updated
    return Dates(date.replace(microsecond=0), later and later.replace(microsecond=0), note)


# --- the pulled hash --------------------------------------------------------------------------

_HASH_LINE = re.compile(rf"^{HASH_KEY}:[^\n]*\n", re.MULTILINE)


def _front_matter_end(text: str) -> int:
    """Offset of the closing '---' line of the front matter (0 when there is none)."""
    if not text.startswith("---\n"):
        return 0
    end = text.find("\n---\n", 3)
    return end + 1 if end >= 0 else 0


def _split_hash(text: str) -> tuple[str | None, str]:
    """(stored hash or None, the text without its pulled_hash line)."""
    end = _front_matter_end(text)
    match = _HASH_LINE.search(text, 0, end)
    if match is None:
        return None, text
    value = match.group(0).split(":", 1)[1].strip().strip("'\"")
    return value, text[: match.start()] + text[match.end() :]


def hash_text(text_without_hash: str) -> str:
    return hashlib.sha256(text_without_hash.encode("utf-8")).hexdigest()


def stored_hash(text: str) -> str | None:
    return _split_hash(text)[0]


def is_untouched(text: str) -> bool:
    """True when the file is exactly what pull (or a tool that called `rehash`) wrote."""
    stored, rest = _split_hash(text)
    return stored is not None and stored == hash_text(rest)


def with_hash(text_without_hash: str) -> str:
    """Add the pulled_hash line as the last front-matter line (where KEY_ORDER puts it)."""
    end = _front_matter_end(text_without_hash)
    if not end:
        raise ValueError("a pulled piece starts with front matter")
    line = f"{HASH_KEY}: {hash_text(text_without_hash)}\n"
    return text_without_hash[:end] + line + text_without_hash[end:]


def rehash(path: Path) -> bool:
    """Store the hash of a pulled piece as it is now, after a tool changed it on purpose (for
    example `channelhub tag --retag`), so the next pull still sees it as untouched.

    Returns False when the file already carried its current hash.
    """
    text = path.read_text(encoding="utf-8")
    stored, rest = _split_hash(text)
    digest = hash_text(rest)
    if stored == digest:
        return False
    if stored is None:
        new_text = with_hash(rest)
    else:
        # keep the line where it was, so the file changes in that one line only
        match = _HASH_LINE.search(text, 0, _front_matter_end(text))
        assert match is not None
        new_text = text[: match.start()] + f"{HASH_KEY}: {digest}\n" + text[match.end() :]
    return write_atomic(path, new_text)


# --- the main-process half: decide and write ---------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """What happened to one entry, for the pull report."""

    action: Action
    title: str
    guid: str
    path: str | None = None  # relative to the repository root, posix
    topics: tuple[str, ...] = ()
    reason: str = ""
    link_key: str = ""  # the entry's normalised link (kept down: to ask later if it still is)


@dataclass
class _Known:
    """One pulled piece already on disk."""

    source_id: str
    path: Path


@dataclass
class PieceIndex:
    """The pulled pieces on disk, read once per run and kept current as pull writes.

    Finds an entry's file by (source, guid) and a link's owner by its normalised form, and
    keeps each piece's ledger row (`pieces`) and every file's path (`paths`, readable or not).
    """

    root: Path
    by_guid: dict[tuple[str, str], Path] = field(default_factory=dict)
    by_link: dict[str, _Known] = field(default_factory=dict)
    pieces: dict[str, Pulled] = field(default_factory=dict)
    paths: set[str] = field(default_factory=set)
    loaded: bool = False

    def load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        folder = self.root / SOURCES_DIR
        if not folder.is_dir():
            return
        prefix = len(str(self.root)) + 1
        for source_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for path in _markdown_files(source_dir):
                self._add_file(source_dir.name, path, str(path)[prefix:].replace(os.sep, "/"))

    def _add_file(self, source_id: str, path: Path, rel: str) -> None:
        self.paths.add(rel)
        try:
            doc = frontmatter.read(path, with_lines=False)
        except FrontMatterError:
            return  # `channelhub check` reports it; its path stays taken on disk
        guid, canonical = doc.meta.get("guid"), doc.meta.get("canonical")
        if guid is not None:
            self.by_guid.setdefault((source_id, str(guid)), path)
        if isinstance(canonical, str) and canonical:
            self.by_link.setdefault(normalise_link(canonical), _Known(source_id, path))
        row = Pulled.of_meta(rel, doc.meta)
        if row is not None:
            self.pieces[rel] = row

    def holds(self, piece: Pulled) -> bool:
        """True when the piece's entry or its link is on disk (under any path)."""
        return (piece.source, piece.guid) in self.by_guid or (
            bool(piece.link) and normalise_link(piece.link) in self.by_link
        )


def _markdown_files(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".md") and not name.startswith(".") and name != "index.md":
                yield Path(dirpath, name)


def piece_meta(
    entry: PreparedEntry, source_id: str, dates: Dates, first_seen: datetime
) -> dict[str, object]:
    """The front matter of a pulled piece (frontmatter.KEY_ORDER decides the written order)."""
    meta: dict[str, object] = {"title": entry.title, "date": utc_text(dates.date)}
    if dates.updated is not None:
        meta["updated"] = utc_text(dates.updated)
    meta["topics"] = list(entry.topics)
    meta["auto_topics"] = list(entry.topics)
    if entry.summary:
        meta["summary"] = entry.summary
    meta["source"] = source_id
    meta["canonical"] = entry.link
    if entry.author:
        meta["author"] = entry.author
    meta["guid"] = entry.guid
    meta["first_seen"] = utc_text(first_seen)
    if dates.note:
        meta["date_note"] = dates.note
    return meta


def render_entry(
    entry: PreparedEntry, source_id: str, first_seen: datetime
) -> tuple[Dates, Rendered]:
    """The piece an entry becomes when first seen at `first_seen`."""
    dates = settle_dates(entry.published, entry.updated, first_seen)
    return dates, render_piece(piece_meta(entry, source_id, dates, first_seen), entry.body)


def render_piece(meta: dict[str, object], body: str) -> Rendered:
    """The file's text with its pulled_hash line, and that hash."""
    text = f"---\n{frontmatter.dump_meta(meta)}---\n" + (
        body.strip() + "\n" if body.strip() else ""
    )
    full = with_hash(text)
    return Rendered(full, hash_text(text))


def _slug(title: str, guid: str) -> str:
    slug = slugify(title, max_length=SLUG_MAX, word_boundary=True)
    return slug or "item-" + hashlib.sha256(guid.encode("utf-8")).hexdigest()[:8]


class Ingestor:
    """Writes one run's prepared entries; keeps the index current for dedupe across sources,
    keeps taken-down entries down, and notices pieces deleted since the ledger was written."""

    def __init__(self, root: Path, now: datetime, takedowns: Takedowns | None = None) -> None:
        self.root = root
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.index = PieceIndex(root)
        self.takedowns = takedowns if takedowns is not None else Takedowns(root)
        self.ledger = Ledger()
        #: the takedowns this run found and recorded, and what it could not know
        self.recorded: list[Takedown] = []
        self.problems: list[Problem] = []
        self._prefix = str(root) + os.sep
        # each (source, year) folder this run touched, and the names in it
        self._folders: dict[tuple[str, int], tuple[Path, set[str]]] = {}

    def rel(self, path: Path) -> str:
        text = str(path)
        if text.startswith(self._prefix):  # every path here is built from root: skip pathlib
            return text[len(self._prefix) :].replace(os.sep, "/")
        return path.relative_to(self.root).as_posix()

    def load(self) -> None:
        """Read the pieces on disk once, record the ones deleted since the ledger was written
        as takedowns, and make the ledger list what is on disk."""
        if self.index.loaded:
            return
        self.index.load()
        self.ledger, problems = ledger_store.load(self.root)
        self.problems += problems
        gone = [
            (row, "deleted from the repository; found by pull")
            for path, row in self.ledger.rows.items()
            if path not in self.index.paths
        ]
        if not self.ledger.exists:
            gone += self._deleted_before_the_ledger()
        today = self.now.date()
        records = [
            record_of(row, today=today, reason=reason)
            for row, reason in gone
            if not self.index.holds(row)  # moved, or the same article is still on the site
        ]
        kept = [
            row
            for path, row in self.ledger.rows.items()
            if path in self.index.paths and path not in self.index.pieces
        ]  # fmt: skip  (unreadable files keep their rows)
        # recorded before the ledger forgets them, so a kill in between loses nothing
        try:
            self.recorded = self.takedowns.add(records)
        except (OSError, ValueError) as exc:
            self.takedowns.hold(records)  # kept down in this run; the next run records them
            kept += [row for row, _ in gone if self.ledger.rows.get(row.path) == row]
            message = f"cannot record {len(records)} takedown(s), kept down in this run: {exc}"
            self.problems.append(Problem(TAKEDOWNS_FILE, 1, message))
        self.ledger.replace_all([*self.index.pieces.values(), *kept])

    def _deleted_before_the_ledger(self) -> list[tuple[Pulled, str]]:
        """With no ledger yet, the pulled pieces git history says were deleted."""
        scan = ledger_store.deleted_in_git(self.root)
        if scan.note is not None and self.index.pieces:
            self.problems.append(
                Problem(
                    ledger_store.LEDGER_FILE,
                    1,
                    f"no ledger yet and {scan.note}: pieces deleted before this pull are not"
                    " known, so a later pull may write them again (take them down with"
                    " `channelhub takedown` or add them to feeds/takedowns.yml)",
                    "warning",
                )
            )
        return [(deleted.piece, deleted.reason) for deleted in scan.deleted]

    def save(self) -> bool:
        """Write the ledger if this run changed it (call before saving the feed state)."""
        if not self.index.loaded:
            return False
        return self.ledger.save(self.root)

    def _new_path(self, source_id: str, year: int, slug: str) -> Path:
        known = self._folders.get((source_id, year))
        if known is None:
            folder = self.root / SOURCES_DIR / source_id / f"{year:04d}"
            # one listing per folder and run instead of two stat calls per new piece
            folder.mkdir(parents=True, exist_ok=True)
            known = self._folders[source_id, year] = (folder, set(os.listdir(folder)))
        folder, names = known
        candidate, n = f"{slug}.md", 1
        # a folder named like the file (a page bundle) would give the same URL
        while candidate in names or candidate[:-3] in names:
            n += 1
            candidate = f"{slug}-{n}.md"
        names.add(candidate)
        return folder / candidate

    def ingest(self, source_id: str, feed: PreparedFeed) -> list[ItemResult]:
        """Write (or keep) every entry of one source's feed; one entry's failure is its own."""
        self.load()
        results = [ItemResult("skipped", s.title, s.guid, reason=s.reason) for s in feed.skipped]
        results += [ItemResult("filtered", f.title, f.guid, reason=f.reason) for f in feed.filtered]
        seen: set[str] = set()
        for entry in feed.entries:
            if entry.guid in seen:
                results.append(
                    ItemResult(
                        "skipped",
                        entry.title,
                        entry.guid,
                        reason="the feed repeats this entry's id",
                    )
                )
                continue
            seen.add(entry.guid)
            try:
                results.append(self._one(source_id, entry))
            except OSError as exc:
                reason = f"cannot write: {exc.strerror or exc}"
                results.append(ItemResult("skipped", entry.title, entry.guid, reason=reason))
            except Exception as exc:  # one entry's surprise never stops the others
                reason = f"{type(exc).__name__}: {exc}"
                results.append(ItemResult("skipped", entry.title, entry.guid, reason=reason))
        return results

    def _one(self, source_id: str, entry: PreparedEntry) -> ItemResult:
        if not entry.link:
            return ItemResult(
                "skipped", entry.title, entry.guid, reason="no http(s) link to the original"
            )
        if not entry.title:
            return ItemResult("skipped", "", entry.guid, reason="no title and no summary")
        link_key = normalise_link(entry.link)
        down = self.takedowns.blocking(source_id, entry.guid, link_key)
        if down is not None:
            deleted = self._delete(source_id, entry.guid, link_key)
            reason = down.describe()
            return ItemResult(
                "kept_down",
                entry.title,
                entry.guid,
                deleted or down.path or None,
                reason=f"file deleted: {reason}" if deleted else reason,
                link_key=link_key,
            )
        existing = self.index.by_guid.get((source_id, entry.guid))
        if existing is None:
            owner = self.index.by_link.get(link_key)
            if owner is not None:
                reason = f"same link as {self.rel(owner.path)} (from {owner.source_id})"
                return ItemResult(
                    "duplicate", entry.title, entry.guid, self.rel(owner.path), reason=reason
                )
            return self._write_new(source_id, entry, link_key)
        return self._update(source_id, entry, existing)

    def _delete(self, source_id: str, guid: str, link_key: str) -> str | None:
        """Delete the file of an entry a record keeps down (the record was added by hand:
        an editor asked for the piece to go); its path, or None when there was none."""
        path = self.index.by_guid.pop((source_id, guid), None)
        owner = self.index.by_link.get(link_key)
        if path is None and owner is not None and owner.source_id == source_id:
            path = owner.path
        if path is None:
            return None
        if owner is not None and owner.path == path:
            del self.index.by_link[link_key]
        path.unlink(missing_ok=True)
        rel = self.rel(path)
        self.ledger.remove(rel)
        self.index.pieces.pop(rel, None)
        self.index.paths.discard(rel)
        return rel

    def _write_new(self, source_id: str, entry: PreparedEntry, link_key: str) -> ItemResult:
        if entry.draft is not None and entry.draft_seen == self.now:
            dates, rendered = settle_dates(entry.published, entry.updated, self.now), entry.draft
        else:
            dates, rendered = render_entry(entry, source_id, self.now)
        path = self._new_path(
            source_id, dates.date.year, entry.slug or _slug(entry.title, entry.guid)
        )
        # no fsync (~5 ms a file would dominate a pull): git holds the durable copy
        write_atomic(path, rendered.text, durable=False, if_changed=False)
        rel = self.rel(path)
        self.index.by_guid[(source_id, entry.guid)] = path
        self.index.by_link.setdefault(link_key, _Known(source_id, path))
        self.ledger.add(Pulled(rel, source_id, entry.guid, entry.link or "", entry.title))
        return ItemResult("new", entry.title, entry.guid, rel, entry.topics)

    def _update(self, source_id: str, entry: PreparedEntry, path: Path) -> ItemResult:
        rel = self.rel(path)
        try:
            current = path.read_text(encoding="utf-8")
            meta = frontmatter.parse(current, path=rel, with_lines=False).meta
        except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
            return ItemResult(
                "kept_edits", entry.title, entry.guid, rel, reason=f"cannot read it: {exc}"
            )
        first_seen = parse_date(meta.get("first_seen")) or self.now
        _, rendered = render_entry(entry, source_id, first_seen)
        if rendered.text == current or rendered.digest == stored_hash(current):
            return ItemResult("unchanged", entry.title, entry.guid, rel, entry.topics)
        if not is_untouched(current):
            return ItemResult(
                "kept_edits", entry.title, entry.guid, rel, entry.topics,
                reason="kept editor's edits: the original changed upstream",
            )  # fmt: skip
        write_atomic(path, rendered.text, durable=False, if_changed=False)
        # the link may have changed upstream: the ledger follows the file
        self.ledger.add(Pulled(rel, source_id, entry.guid, entry.link or "", entry.title))
        return ItemResult("updated", entry.title, entry.guid, rel, entry.topics)
