"""Takedowns: pulled pieces the editors removed, which no pull may write again.

Owns `feeds/takedowns.yml`, the record editors read and edit (YAML with a commented header,
one item per piece: `source` + `guid`, `link`, and `path`, `title`, `date`, `reason` for
people), its validation with `path:line` problems, the look-up the pull makes for every entry
(by source and entry id, and by normalised link, so the same article from another source is
kept down too), adding records as text so the editors' comments survive, and
`channelhub takedown` (`take_down`). Deleting a record undoes the takedown.

How a deletion nobody recorded becomes a record is `ledger`'s part: the pull notices a piece it
listed in `feeds/pulled.jsonl` whose file is gone and calls `Takedowns.add`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from channelhub import frontmatter, yamllists
from channelhub import ledger as ledger_store
from channelhub.config import SLUG, _Reader
from channelhub.files import write_atomic
from channelhub.frontmatter import FrontMatterError
from channelhub.ledger import Pulled
from channelhub.problems import Problem
from channelhub.urls import is_web_url, normalise_link

TAKEDOWNS_FILE = "feeds/takedowns.yml"
RECORD_KEYS = frozenset({"source", "guid", "link", "path", "title", "date", "reason"})
#: the reason written when `channelhub takedown` is given none
DEFAULT_REASON = "taken down with channelhub takedown"
#: what a new file starts with (the repository's copy says the same at more length)
HEADER = """\
# Pulled pieces the editors took down: `channelhub pull` never writes them again.
# Delete a record to undo its takedown; the next pull that reads its feed writes it anew.
"""


@dataclass(frozen=True)
class Takedown:
    """One record of feeds/takedowns.yml."""

    source: str = ""
    guid: str = ""
    link: str = ""  # the original URL; matched by its normalised form
    path: str = ""  # where the piece was, for people
    title: str = ""
    date: str = ""  # YYYY-MM-DD
    reason: str = ""
    line: int = 0  # where the record starts in the file (0 before it is written)

    @property
    def entry_key(self) -> tuple[str, str] | None:
        return (self.source, self.guid) if self.source and self.guid else None

    @property
    def link_key(self) -> str | None:
        return normalise_link(self.link) if self.link else None

    def describe(self) -> str:
        """Why an entry was not written, for the pull report."""
        when = f" on {self.date}" if self.date else ""
        why = f" ({self.reason})" if self.reason else ""
        where = f"{TAKEDOWNS_FILE}:{self.line}" if self.line else TAKEDOWNS_FILE
        return f"taken down{when}{why}; delete its record in {where} to allow it again"

    def as_yaml(self) -> dict[str, str]:
        """The record's keys as they are written, empty ones left out."""
        values = {
            "source": self.source,
            "guid": self.guid,
            "link": self.link,
            "path": self.path,
            "title": self.title,
            "date": self.date,
            "reason": self.reason,
        }
        return {key: value for key, value in values.items() if value}


def record_of(piece: Pulled, *, today: date, reason: str, title: str = "") -> Takedown:
    return Takedown(
        source=piece.source,
        guid=piece.guid,
        link=piece.link,
        path=piece.path,
        title=title,
        date=today.isoformat(),
        reason=reason,
    )


@dataclass
class Takedowns:
    """The records of feeds/takedowns.yml, found by (source, guid) and by link."""

    root: Path
    records: list[Takedown] = field(default_factory=list)
    _by_entry: dict[tuple[str, str], Takedown] = field(default_factory=dict)
    _by_link: dict[str, Takedown] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for record in self.records:
            self._index(record)

    def _index(self, record: Takedown) -> None:
        if record.entry_key is not None:
            self._by_entry.setdefault(record.entry_key, record)
        if record.link_key is not None:
            self._by_link.setdefault(record.link_key, record)

    def blocking(self, source_id: str, guid: str, link_key: str) -> Takedown | None:
        """The record that keeps this entry down, if any (two dict look-ups)."""
        if not self.records:
            return None
        return self._by_entry.get((source_id, guid)) or self._by_link.get(link_key)

    def covers(self, record: Takedown) -> bool:
        """True when an existing record already keeps this piece down."""
        return (record.entry_key is not None and record.entry_key in self._by_entry) or (
            record.link_key is not None and record.link_key in self._by_link
        )

    def hold(self, records: Iterable[Takedown]) -> None:
        """Keep these down in this process only (their file could not take them)."""
        for record in records:
            self.records.append(record)
            self._index(record)

    def add(self, records: Iterable[Takedown]) -> list[Takedown]:
        """Append the records not covered yet to the file (atomically, comments kept) and
        return them with their lines; ValueError when the file cannot take them."""
        new: list[Takedown] = []
        for record in records:
            if not self.covers(record) and not any(_same(record, n) for n in new):
                new.append(record)
        if not new:
            return []
        path = self.root / TAKEDOWNS_FILE
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = HEADER + "takedowns:\n"
        text = yamllists.appended_text(
            current, "takedowns", [r.as_yaml() for r in new], path=TAKEDOWNS_FILE
        )
        write_atomic(path, text)
        reloaded, _ = parse(text, self.root)
        added = reloaded.records[len(reloaded.records) - len(new) :]
        self.records.extend(added)
        for record in added:
            self._index(record)
        return added


def _same(a: Takedown, b: Takedown) -> bool:
    return (a.entry_key is not None and a.entry_key == b.entry_key) or (
        a.link_key is not None and a.link_key == b.link_key
    )


def load(root: Path) -> tuple[Takedowns, list[Problem]]:
    """The records (none when the file does not exist) and the problems of the file."""
    path = root / TAKEDOWNS_FILE
    if not path.exists():
        return Takedowns(root), []
    try:
        text = frontmatter.read_text(path, TAKEDOWNS_FILE)
    except FrontMatterError as exc:
        return Takedowns(root), [exc.problem()]
    return parse(text, root)


def parse(text: str, root: Path) -> tuple[Takedowns, list[Problem]]:
    reader = _Reader(TAKEDOWNS_FILE)
    try:
        data = frontmatter.load_yaml(text, path=TAKEDOWNS_FILE)
    except FrontMatterError as exc:
        return Takedowns(root), [exc.problem()]
    if data is None:
        return Takedowns(root), []
    records: list[Takedown] = []
    for item in reader.entries(data, "takedowns"):
        reader.unknown_keys(item, RECORD_KEYS, "a takedown")
        values = {
            key: reader.text(item, key, required=False, what="a takedown") or ""
            for key in sorted(RECORD_KEYS)
        }
        record = Takedown(**values, line=item.line)
        if record.source and not SLUG.match(record.source):
            reader.problem(item.line_of("source"), f"'{record.source}' is not a source id")
            continue
        if record.link and not is_web_url(record.link):
            reader.problem(item.line_of("link"), f"link must be an http(s) URL: {record.link}")
            continue
        if record.entry_key is None and record.link_key is None:
            reader.problem(item.line, "a takedown needs 'source' and 'guid', or 'link'")
            continue
        records.append(record)
    return Takedowns(root, records), reader.problems


# --- channelhub takedown ----------------------------------------------------------------------


class TakedownError(Exception):
    """Nothing was taken down: `lines` say why (`path: message` or `path:line: message`)."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


def _relative(root: Path, given: str) -> str | None:
    """The repository-relative posix path of a command-line path, or None when outside."""
    try:
        return Path(given).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def take_down(root: Path, paths: Sequence[str], *, reason: str = "", today: date) -> list[Takedown]:
    """Record the pulled pieces at `paths`, then delete their files; nothing changes unless
    every path is a pulled piece (a file under docs/sources/, or one the ledger lists).

    Returns the records, new or already there, in the order given.
    """
    root = root.resolve()
    takedowns, problems = load(root)
    if problems:
        raise TakedownError([str(p) for p in problems])
    listed, _ = ledger_store.load(root)
    found: list[tuple[Takedown, Path | None]] = []
    refused: list[str] = []
    for given in paths:
        rel = _relative(root, given)
        if rel is None or not rel.startswith(ledger_store.SOURCES_DIR + "/"):
            refused.append(f"{given}: not a pulled piece (pulled pieces are under docs/sources/)")
            continue
        file = root / rel
        if file.is_dir():
            refused.append(f"{given}: a folder; name the pieces (docs/sources/<id>/<year>/*.md)")
            continue
        if file.is_file():
            try:
                doc = frontmatter.read(file, display=rel, with_lines=False)
            except FrontMatterError as exc:
                refused.append(str(exc))
                continue
            piece = Pulled.of_meta(rel, doc.meta)
            title = doc.meta.get("title")
            title_text = title if isinstance(title, str) else ""
        else:
            piece, title_text = listed.rows.get(rel), ""
            if piece is None:
                refused.append(f"{given}: no such file, and no pull wrote it")
                continue
        if piece is None:
            refused.append(f"{given}: not a pulled piece (no guid and no canonical link)")
            continue
        record = record_of(
            piece, today=today, reason=" ".join(reason.split()) or DEFAULT_REASON, title=title_text
        )
        found.append((record, file if file.is_file() else None))
    if refused:
        raise TakedownError(refused)
    try:
        takedowns.add(record for record, _ in found)
    except ValueError as exc:  # the file's own words: "feeds/takedowns.yml: cannot append: ..."
        raise TakedownError([str(exc)]) from None
    except OSError as exc:
        raise TakedownError([f"{TAKEDOWNS_FILE}: cannot write: {exc.strerror or exc}"]) from None
    for record, present in found:
        if present is not None:
            present.unlink(missing_ok=True)
        listed.remove(record.path)
    if listed.exists:
        listed.save(root)
    return [_recorded(takedowns, record) for record, _ in found]


def _recorded(takedowns: Takedowns, record: Takedown) -> Takedown:
    """The record in the file that covers `record` (with its line)."""
    return next((r for r in takedowns.records if _same(r, record)), record)
