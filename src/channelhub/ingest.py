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
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from slugify import slugify

from channelhub import frontmatter
from channelhub.clean import escape_text, html_to_markdown, plain_text, summary_to_text
from channelhub.config import Source, Topic
from channelhub.dates import parse_date, utc_text
from channelhub.files import write_atomic
from channelhub.frontmatter import FrontMatterError
from channelhub.parse import Entry, parse_feed
from channelhub.profiles import HubTagger, Profiles
from channelhub.tagger import compile_rules
from channelhub.urls import normalise_link

#: bump when the written pieces change shape, so unchanged feeds are re-ingested once
FORMAT_VERSION = "1"
SOURCES_DIR = "docs/sources"
SLUG_MAX = 60
EXCERPT_WORDS = 60
MAX_TOPICS = 3
#: feed dates before this are not trusted
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
#: a feed date this far after the first-seen time is "in the future" (clock skew allowed)
FUTURE_SLACK = timedelta(days=1)
HASH_KEY = "pulled_hash"

Action = Literal["new", "updated", "unchanged", "kept_edits", "duplicate", "skipped"]


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

    @classmethod
    def of(
        cls,
        source: Source,
        topics: Sequence[Topic],
        now: datetime | None = None,
        profiles: Profiles | None = None,
    ) -> FeedSpec:
        return cls(
            source.id,
            source.policy,
            source.topics,
            tuple(topics),
            topics_key(topics),
            now,
            profiles,
        )

    @property
    def fingerprint(self) -> str:
        """Changes whenever the same feed bytes would be written differently."""
        basis = "\x1f".join(
            [
                FORMAT_VERSION,
                self.policy,
                ",".join(self.default_topics),
                self.topics_key,
                self.profiles.key if self.profiles is not None else "",
            ]
        )
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


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
        body = html_to_markdown(html, base_url=entry.base or entry.link)
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
    )


def prepare_feed(body: bytes, url: str, content_type: str | None, spec: FeedSpec) -> PreparedFeed:
    """Parse a feed document and prepare each entry; raises parse.FeedError for a bad feed.

    Module-level and pure so that it can run in a `sandbox.Sandbox` worker.
    """
    parsed = parse_feed(body, url=url, content_type=content_type)
    tagger = _tagger(spec)
    entries: list[PreparedEntry] = []
    skipped = [Skipped(s.index, "", "", s.reason) for s in parsed.skipped]
    for index, entry in enumerate(parsed.entries):
        try:
            prepared = prepare_entry(entry, index, spec, tagger)
            if spec.now is not None and prepared.link and prepared.title:
                _, draft = render_entry(prepared, spec.source_id, spec.now)
                prepared = replace(prepared, draft=draft, draft_seen=spec.now)
            entries.append(prepared)
        except Exception as exc:  # one bad entry never sinks the feed
            skipped.append(Skipped(index, entry.title, entry.id, f"{type(exc).__name__}: {exc}"))
    return PreparedFeed(parsed.title, tuple(entries), tuple(skipped), parsed.warnings)


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


@dataclass
class _Known:
    """One pulled piece already on disk."""

    source_id: str
    path: Path


@dataclass
class PieceIndex:
    """The pulled pieces on disk, read once per run and kept current as pull writes.

    Finds an entry's file by (source, guid) and a link's owner by its normalised form.
    """

    root: Path
    by_guid: dict[tuple[str, str], Path] = field(default_factory=dict)
    by_link: dict[str, _Known] = field(default_factory=dict)
    loaded: bool = False

    def load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        folder = self.root / SOURCES_DIR
        if not folder.is_dir():
            return
        for source_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for path in _markdown_files(source_dir):
                self._add_file(source_dir.name, path)

    def _add_file(self, source_id: str, path: Path) -> None:
        try:
            doc = frontmatter.read(path, with_lines=False)
        except FrontMatterError:
            return  # `channelhub check` reports it; its path stays taken on disk
        guid, canonical = doc.meta.get("guid"), doc.meta.get("canonical")
        if guid is not None:
            self.by_guid.setdefault((source_id, str(guid)), path)
        if isinstance(canonical, str) and canonical:
            self.by_link.setdefault(normalise_link(canonical), _Known(source_id, path))


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
    """Writes one run's prepared entries; keeps the index current for dedupe across sources."""

    def __init__(self, root: Path, now: datetime) -> None:
        self.root = root
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.index = PieceIndex(root)
        self._prefix = str(root) + os.sep
        self._folders: dict[Path, set[str]] = {}  # names in each year folder this run touched

    def rel(self, path: Path) -> str:
        text = str(path)
        if text.startswith(self._prefix):  # every path here is built from root: skip pathlib
            return text[len(self._prefix) :].replace(os.sep, "/")
        return path.relative_to(self.root).as_posix()

    def _new_path(self, source_id: str, year: int, slug: str) -> Path:
        folder = self.root / SOURCES_DIR / source_id / f"{year:04d}"
        names = self._folders.get(folder)
        if names is None:
            # one listing per folder and run instead of two stat calls per new piece
            folder.mkdir(parents=True, exist_ok=True)
            names = self._folders[folder] = set(os.listdir(folder))
        candidate, n = f"{slug}.md", 1
        # a folder named like the file (a page bundle) would give the same URL
        while candidate in names or candidate[:-3] in names:
            n += 1
            candidate = f"{slug}-{n}.md"
        names.add(candidate)
        return folder / candidate

    def ingest(self, source_id: str, feed: PreparedFeed) -> list[ItemResult]:
        """Write (or keep) every entry of one source's feed; one entry's failure is its own."""
        self.index.load()
        results = [ItemResult("skipped", s.title, s.guid, reason=s.reason) for s in feed.skipped]
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
        existing = self.index.by_guid.get((source_id, entry.guid))
        link_key = normalise_link(entry.link)
        if existing is None:
            owner = self.index.by_link.get(link_key)
            if owner is not None:
                reason = f"same link as {self.rel(owner.path)} (from {owner.source_id})"
                return ItemResult(
                    "duplicate", entry.title, entry.guid, self.rel(owner.path), reason=reason
                )
            return self._write_new(source_id, entry, link_key)
        return self._update(source_id, entry, existing)

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
        self.index.by_guid[(source_id, entry.guid)] = path
        self.index.by_link.setdefault(link_key, _Known(source_id, path))
        return ItemResult("new", entry.title, entry.guid, self.rel(path), entry.topics)

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
        return ItemResult("updated", entry.title, entry.guid, rel, entry.topics)
