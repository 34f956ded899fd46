"""The build cache on disk: one SQLite file per output folder, under .cache/channelhub/build/.

Owns what a build leaves for the next one: each page's key, its output's digest and stat, the
link lookups it made; every file the build wrote (the manifest that stale outputs are pruned
from); the pieces as read (by the digest of their bytes); the digests of input files by their
stat. Beside it, the engine's templates compiled (`template_cache`). SQLite because a build changes a few rows of tens of thousands and every save is one
transaction: a killed build leaves the last complete cache.

A cache is trusted only when its state says the build that wrote it finished (`complete`);
a build marks it `building` before it writes anything into the site. Any error reading it
means an empty cache, i.e. a clean build: never a wrong site. A process that builds again
(`mkdocs serve`) keeps the cache in memory between builds (`_MEMORY`), checked against the
file's generation.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pickle
import secrets
import shutil
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from channelhub import search
from channelhub.rebuild.keys import FORMAT, digest, versions

#: under the repository root
CACHE_DIR = Path(".cache") / "channelhub" / "build"
#: the engine's templates compiled, beside it (a folder for each set of versions)
TEMPLATE_DIR = Path(".cache") / "channelhub" / "templates"

#: in one transaction: each statement on its own was a commit, and each commit waits for the
#: disk three times (fdatasync), 15 times in all for a new cache
_SCHEMA = """
begin;
create table if not exists meta (name text primary key, value text not null);
create table if not exists pages (
    src_uri text primary key, key text, dest text not null, out_hash text not null,
    stat text not null, deps text not null, checksum text not null);
create table if not exists outputs (dest text primary key);
create table if not exists pieces (key text primary key, data blob not null, checksum text not null);
create table if not exists inputs (
    path text primary key, stat text not null, digest text not null, snippets integer not null,
    checksum text not null);
commit;
"""

#: a file whose mtime is this close to the moment its stat was taken may still change within
#: the same timestamp tick without its stat changing ("racy git"): its digest is not trusted
RACY_NS = 100_000_000
#: the same for a file system that keeps whole seconds only (FAT keeps two): a same-size edit
#: within the second its stat was taken in would leave every time in it as it was
RACY_COARSE_NS = 2_000_000_000


@dataclass
class PageRecord:
    """What the last build left of one page."""

    key: str | None  # None: always rebuilt (it logged a warning, or cannot be keyed)
    dest: str
    out_hash: str  # digest of the output file's bytes
    stat: str  # "ino:size:mtime_ns:ctime_ns" of the output when it was trusted ("" if racy)
    deps: dict[str, str]  # link lookups while rendering: path -> answer ("" = not found)


@dataclass
class Snapshot:
    """A cache's contents in memory."""

    generation: str = ""
    global_key: str = ""
    complete: bool = False
    search: str = ""  # fingerprint of the search index the build wrote (channelhub.search)
    pages: dict[str, PageRecord] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)
    pieces: dict[str, bytes] = field(default_factory=dict)  # key -> pickled (Piece, problems)
    #: input file -> (stat, digest of its bytes, whether it includes snippets)
    inputs: dict[str, tuple[str, str, bool]] = field(default_factory=dict)


#: the last snapshot each cache file had in this process, for builds that run again in it
_MEMORY: dict[Path, Snapshot] = {}


def stat_text(st: os.stat_result, taken_ns: int) -> str:
    """A file's identity for trusting a digest without reading it ("" when it is racy).

    Its change time is in it: a same-size edit whose modification time is set back (an
    editor that keeps it, `touch -r`) still changes that, which nothing can set. Times in
    whole seconds, both of them, say the file system keeps no finer ones (a nanosecond clock
    gives that once in a billion), and then a stat taken within two seconds is not trusted."""
    coarse = st.st_mtime_ns % 1_000_000_000 == 0 and st.st_ctime_ns % 1_000_000_000 == 0
    racy = RACY_COARSE_NS if coarse else RACY_NS
    if taken_ns - st.st_mtime_ns < racy or taken_ns - st.st_ctime_ns < racy:
        return ""
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def bytes_digest(data: bytes) -> str:
    """The digest of a file's bytes (inputs and outputs alike)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


class Store:
    """One output folder's cache file, locked while a build uses it."""

    def __init__(self, root: Path, site_dir: Path) -> None:
        self.site_dir = str(site_dir.resolve())
        name = f"{site_dir.name or 'site'}-{digest(self.site_dir)[:12]}.sqlite"
        self.path = root / CACHE_DIR / name
        self._lock: int | None = None

    def lock(self) -> None:
        """Wait for any other build into the same folder to finish (one build at a time)."""
        if self._lock is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._lock = fd

    def unlock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                os.close(self._lock)
            self._lock = None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=60)
        db.execute("pragma synchronous=normal")  # a power cut may lose the cache, not corrupt it
        db.executescript(_SCHEMA)
        return db

    def load(self) -> Snapshot:
        """The cache as the last build left it; an empty one if it is missing, of another
        format or folder, or unreadable (which also removes the file)."""
        try:
            with contextlib.closing(self._connect()) as db:
                meta = dict(db.execute("select name, value from meta"))
                if meta.get("format") != FORMAT or meta.get("site_dir") != self.site_dir:
                    return Snapshot()
                generation = meta.get("generation", "")
                known = _MEMORY.get(self.path)
                complete = meta.get("state") == "complete"
                if known is not None and complete and generation == known.generation:
                    return known  # this process wrote it last: no need to read it again
                snapshot = Snapshot(
                    generation=generation,
                    global_key=meta.get("global_key", ""),
                    complete=complete,
                    search=meta.get("search", ""),
                )
                # every row carries a checksum: a damaged row is a page built again, never trusted
                for *row, checksum in db.execute("select * from pages"):
                    if _row_checksum(row) == checksum:
                        src_uri, key, dest, out_hash, stat, deps = row
                        snapshot.pages[src_uri] = PageRecord(
                            key, dest, out_hash, stat, json.loads(deps)
                        )
                snapshot.outputs = {dest for (dest,) in db.execute("select dest from outputs")}
                for key, data, checksum in db.execute("select key, data, checksum from pieces"):
                    if digest(data) == checksum:  # a damaged entry is read again from its file
                        snapshot.pieces[key] = data
                for *row, checksum in db.execute("select * from inputs"):
                    if _row_checksum(row) == checksum:
                        path, stat, file_hash, snippets = row
                        snapshot.inputs[path] = (stat, file_hash, bool(snippets))
                return snapshot
        except (sqlite3.Error, ValueError, TypeError, OSError):
            self.discard()
            return Snapshot()

    @property
    def search_state(self) -> Path:
        """Where the search indexer keeps its index for the next build."""
        return self.path.with_suffix(".search")

    def discard(self) -> None:
        _MEMORY.pop(self.path, None)
        for suffix in ("", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")
        search.remove_state(self.search_state)

    def mark_building(self, global_key: str, *, fresh: bool = False) -> None:
        """Before the build writes into the site: until `save`, the cache is not trusted.
        `fresh`: nothing of the cache is reused, so its rows go too (a piece read by other
        code, a page keyed by it, must never come back in a later build)."""
        _MEMORY.pop(self.path, None)
        try:
            with contextlib.closing(self._connect()) as db, db:
                if fresh:
                    for table in ("pages", "outputs", "pieces", "inputs"):
                        db.execute(f"delete from {table}")
                db.executemany(
                    "insert or replace into meta values (?, ?)",
                    [
                        ("format", FORMAT),
                        ("site_dir", self.site_dir),
                        ("state", "building"),
                        ("global_key", global_key),
                        ("generation", ""),
                    ],
                )
        except sqlite3.Error:
            self.discard()  # the next build starts from nothing

    def save(self, before: Snapshot, after: Snapshot) -> None:
        """Write what changed from `before` to `after` in one transaction, and mark it complete."""
        after.generation = secrets.token_hex(8)
        after.complete = True
        try:
            with contextlib.closing(self._connect()) as db, db:
                _sync(
                    db,
                    "pages",
                    "src_uri",
                    before.pages,
                    after.pages,
                    lambda src, r: _with_checksum(
                        (src, r.key, r.dest, r.out_hash, r.stat, json.dumps(r.deps))
                    ),
                )
                gone = before.outputs - after.outputs
                db.executemany("delete from outputs where dest = ?", [(d,) for d in gone])
                new = after.outputs - before.outputs
                db.executemany("insert or replace into outputs values (?)", [(d,) for d in new])
                _sync(
                    db,
                    "pieces",
                    "key",
                    before.pieces,
                    after.pieces,
                    lambda key, data: (key, data, digest(data)),
                    changed=lambda old, now: False,  # content-addressed: same key, same data
                )
                _sync(
                    db,
                    "inputs",
                    "path",
                    before.inputs,
                    after.inputs,
                    lambda path, value: _with_checksum((path, value[0], value[1], int(value[2]))),
                )
                db.executemany(
                    "insert or replace into meta values (?, ?)",
                    [
                        ("format", FORMAT),
                        ("site_dir", self.site_dir),
                        ("state", "complete"),
                        ("global_key", after.global_key),
                        ("generation", after.generation),
                        ("search", after.search),
                    ],
                )
        except sqlite3.Error:
            self.discard()
            return
        _MEMORY[self.path] = after


def _sync(
    db: sqlite3.Connection,
    table: str,
    column: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    row: Any,
    changed: Any = None,
) -> None:
    """Make the table hold `after`, touching only the rows that differ from `before`."""
    differs = changed or (lambda old, now: old != now)
    gone = [(key,) for key in before if key not in after]
    db.executemany(f"delete from {table} where {column} = ?", gone)
    rows = [
        row(key, value)
        for key, value in after.items()
        if key not in before or differs(before[key], value)
    ]
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        db.executemany(f"insert or replace into {table} values ({marks})", rows)


def _row_checksum(row: Iterable[Any]) -> str:
    return digest(*(str(value) for value in row))


def _with_checksum(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row, _row_checksum(row))


def pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def unpickled(data: bytes) -> Any:
    return pickle.loads(data)


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's compiled templates on disk, which never fail a build: an entry that cannot be
    read or written means the template is compiled, as without a cache."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry: pickle and marshal raise many kinds
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def template_cache(root: Path) -> jinja2.BytecodeCache | None:
    """Where the engine's Jinja environment keeps its compiled templates between builds
    (compiling the theme's templates again was a tenth of a rebuild that renders nothing).
    Jinja recompiles a template whose source changed; the folder is one for each version of
    Python, the engine, the theme and Jinja, as compiled code depends on them. None if it
    cannot be made (the templates are then compiled as usual)."""
    folder = root / TEMPLATE_DIR / digest(versions())[:12]
    try:
        if not folder.is_dir():
            for old in folder.parent.glob("*") if folder.parent.is_dir() else []:
                shutil.rmtree(old, ignore_errors=True)  # compiled by other versions
            folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder))


def stale_caches(root: Path, keep: Iterable[Path]) -> list[Path]:
    """Cache files (and their search indexes) of output folders that no longer exist (e.g.
    `mkdocs serve`'s temporary folders), to remove."""
    folder = root / CACHE_DIR
    kept = {p.resolve() for p in keep}
    out = []
    for path in folder.glob("*.sqlite") if folder.is_dir() else []:
        if path.resolve() in kept:
            continue
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=1)) as db:
                row = db.execute("select value from meta where name = 'site_dir'").fetchone()
        except sqlite3.Error:
            continue
        if row and not Path(row[0]).exists():
            out += [path, path.with_suffix(".search")]
    return out
