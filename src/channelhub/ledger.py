"""The pull's ledger, `feeds/pulled.jsonl`: every pulled piece the repository holds, so that a
piece deleted by anyone (a pull request, `git rm`, a file manager) is noticed as a takedown.

Owns the file and the two ways of knowing what was deleted:

* the ledger itself: one JSON object a line, `{"path", "source", "guid", "link"}`, sorted by
  path, so a pull that writes pieces adds lines and git merges it like any text. Each pull that
  reads the pieces on disk compares them with the ledger: a listed path whose file is gone, and
  whose entry and link are nowhere else on disk (not a move), was taken down. The ledger is
  then rewritten from the disk, so it heals itself when pieces are added or moved by hand;
* git history, once, when the ledger is missing (a repository from before the ledger, or a
  ledger deleted): the pulled pieces deleted in any commit or in the working tree, read from
  the commit before their deletion. A shallow clone or a folder outside git has no history;
  then only the deletions after the first ledger are known (`HistoryScan.note` says so).

Editors never edit this file; what they read and edit is `feeds/takedowns.yml` (`takedowns`).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channelhub import frontmatter
from channelhub.files import write_atomic
from channelhub.frontmatter import FrontMatterError
from channelhub.problems import Problem

LEDGER_FILE = "feeds/pulled.jsonl"
#: a str as a JSON string, non-ASCII kept (the encoder json.dumps uses with ensure_ascii=False)
_json_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
SOURCES_DIR = "docs/sources"
#: the longest a look into git history may take before the pull goes on without it
GIT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Pulled:
    """One pulled piece: where it is, its source (the folder), its entry id and its link."""

    path: str  # relative to the repository root, posix
    source: str
    guid: str = ""
    link: str = ""  # the `canonical` URL as written

    def line(self) -> str:
        """The row as one line of JSON (what json.dumps writes, at a fifth of its cost)."""
        path, source, guid, link = map(_json_string, (self.path, self.source, self.guid, self.link))
        return f'{{"path": {path}, "source": {source}, "guid": {guid}, "link": {link}}}'

    @classmethod
    def of_meta(cls, path: str, meta: Mapping[str, Any]) -> Pulled | None:
        """The row for a piece's front matter; None when it has neither a guid nor a link."""
        parts = path.split("/")
        if len(parts) < 4 or "/".join(parts[:2]) != SOURCES_DIR:
            return None
        guid, link = meta.get("guid"), meta.get("canonical")
        guid_text = str(guid) if guid is not None and not isinstance(guid, dict | list) else ""
        link_text = link if isinstance(link, str) else ""
        if not guid_text and not link_text:
            return None
        return cls(path, parts[2], guid_text, link_text)


@dataclass
class Ledger:
    """The rows of feeds/pulled.jsonl by path, and each row's line as it will be written."""

    rows: dict[str, Pulled] = field(default_factory=dict)
    exists: bool = False
    _lines: dict[str, str] = field(default_factory=dict)
    _saved: str | None = None

    def add(self, row: Pulled) -> None:
        if self.rows.get(row.path) != row:
            self.rows[row.path] = row
            self._lines[row.path] = row.line()

    def remove(self, path: str) -> bool:
        self._lines.pop(path, None)
        return self.rows.pop(path, None) is not None

    def replace_all(self, rows: Iterable[Pulled]) -> None:
        kept = {row.path: row for row in rows}
        for path in [p for p in self.rows if p not in kept]:
            self.remove(path)
        for row in kept.values():
            self.add(row)

    def dumps(self) -> str:
        return "".join(self._lines[path] + "\n" for path in sorted(self._lines))

    def save(self, root: Path) -> bool:
        """Write the ledger when it changed since it was read or last saved."""
        text = self.dumps()
        if text == self._saved:
            return False
        # not fsynced, like the pieces it lists: git holds the durable copy
        write_atomic(root / LEDGER_FILE, text, durable=False)
        self._saved = text
        self.exists = True
        return True


def load(root: Path) -> tuple[Ledger, list[Problem]]:
    """The ledger on disk (empty and `exists=False` when there is none); a line that cannot
    be read is left out with a warning (the next save drops it)."""
    path = root / LEDGER_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger(), []
    except (OSError, UnicodeDecodeError) as exc:
        return Ledger(), [Problem(LEDGER_FILE, 1, f"cannot read it ({exc}); rebuilt", "warning")]
    ledger = Ledger(exists=True, _saved=text)
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        row = _row(line)
        if row is None:
            if line.strip():
                problems.append(
                    Problem(LEDGER_FILE, number, "not a ledger row; dropped", "warning")
                )
            continue
        ledger.rows[row.path] = row
        ledger._lines[row.path] = line  # as written: an unchanged ledger is not rewritten
    return ledger, problems


def _row(line: str) -> Pulled | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    values = [data.get(key, "") for key in ("path", "source", "guid", "link")]
    if not all(isinstance(v, str) for v in values) or not values[0] or not values[1]:
        return None
    return Pulled(*values)


# --- git history: the takedowns from before the ledger ----------------------------------------


@dataclass(frozen=True)
class Deleted:
    """A pulled piece deleted in a commit (or in the working tree when `commit` is empty)."""

    piece: Pulled
    commit: str = ""
    date: str = ""  # YYYY-MM-DD of the commit

    @property
    def reason(self) -> str:
        if not self.commit:
            return "deleted in the working tree; found by pull"
        return f"deleted in commit {self.commit[:10]} of {self.date}; found in git history by pull"


@dataclass(frozen=True)
class HistoryScan:
    deleted: tuple[Deleted, ...] = ()
    note: str | None = None  # why history could not be read, when it could not


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def deleted_in_git(root: Path) -> HistoryScan:
    """Every pulled piece deleted in git history or in the working tree, newest first."""
    inside = _git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository")
    if inside is None:
        return HistoryScan(note="not a git repository (or git is not installed)")
    if inside.split()[-1:] == [b"true"]:
        return HistoryScan(note="a shallow clone: git history is incomplete")
    listing = _git(
        root,
        "-c", "core.quotePath=false",
        "log", "--diff-filter=D", "--no-renames", "--name-only", "--relative",
        "--format=%x00%H %cs", "--", SOURCES_DIR,
    )  # fmt: skip
    if listing is None:  # no commit yet: nothing was ever deleted
        return HistoryScan()
    wanted: dict[str, tuple[str, str]] = {}  # path -> (commit, date) of its latest deletion
    for commit, date, path in _deletions(listing.decode("utf-8", "replace")):
        wanted.setdefault(path, (commit, date))
    worktree = _git(
        root,
        "-c", "core.quotePath=false",
        "diff", "--diff-filter=D", "--no-renames", "--name-only", "--relative", "HEAD",
        "--", SOURCES_DIR,
    )  # fmt: skip
    for path in (worktree or b"").decode("utf-8", "replace").splitlines():
        if _is_piece(path):
            wanted[path] = ("", "")
    found: list[Deleted] = []
    for path, (commit, date), text in _blobs(root, wanted):
        try:
            meta = frontmatter.parse(text, path=path, with_lines=False).meta
        except FrontMatterError:
            continue
        row = Pulled.of_meta(path, meta)
        if row is not None:
            found.append(Deleted(row, commit, date))
    return HistoryScan(tuple(found))


def _is_piece(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.endswith(".md") and not name.startswith(".") and name != "index.md"


def _deletions(listing: str) -> Iterator[tuple[str, str, str]]:
    """(commit, date, path) from `git log --name-only --format=%x00%H %cs`."""
    for block in listing.split("\x00")[1:]:
        lines = block.strip("\n").splitlines()
        if not lines:
            continue
        commit, _, date = lines[0].partition(" ")
        for path in lines[1:]:
            if path and _is_piece(path):
                yield commit, date, path


def _blobs(
    root: Path, wanted: dict[str, tuple[str, str]]
) -> Iterator[tuple[str, tuple[str, str], str]]:
    """Each deleted file's text before its deletion, read in one `git cat-file --batch`."""
    order = list(wanted.items())
    if not order:
        return
    # "<rev>:./<path>" names a path relative to the current folder, like --relative above
    specs = "".join(
        f"{commit or 'HEAD'}{'^' if commit else ''}:./{path}\n" for path, (commit, _) in order
    )
    output = _git(root, "cat-file", "--batch", stdin=specs.encode("utf-8"))
    if output is None:
        return
    offset = 0
    for path, when in order:
        end = output.find(b"\n", offset)
        if end < 0:
            return
        header = output[offset:end].split()
        offset = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<spec> missing": not in that commit
        size = int(header[2])
        blob = output[offset : offset + size]
        offset += size + 1
        yield path, when, blob.decode("utf-8", "replace")
