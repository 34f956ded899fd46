"""The folder `channelhub serve` answers from, kept equal to the folder it builds in.

The preview builds incrementally, in place, into a folder of its own (`<site>.build`, kept
between sessions with its build cache), and serves another (`<site>`) that no build writes
into: a build that fails half-way leaves the last good pages served. After each build that
worked, `Mirror.update` brings the served folder up to date with the build folder: it copies
the files whose size or times changed since it last looked (each one replaced atomically, and
left alone when its bytes are the same) and removes the files the build folder no longer has.

Within a session it remembers the stat of every file it copied, so an update stats the build
folder and reads only what the build wrote. A new session (or one after a failed update) first
compares the two folders by size and modification time, as rsync does: a copy keeps the
build's modification time. As git does with its index, a stat is trusted only when the file
was not modified within the same moment it was taken (`rebuild.store.stat_text`): a file
written again so soon that its times would not change is read again instead.
Engine-neutral: `channelhub.preview_build` calls it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from channelhub.files import write_atomic
from channelhub.rebuild.session import prune
from channelhub.rebuild.store import RACY_NS, stat_text


@dataclass(frozen=True)
class Updated:
    """What one update did."""

    files: int  # in the build folder
    compared: int  # read because their stat changed (or was not known)
    copied: int  # written into the served folder because their bytes changed
    removed: int  # gone from the build folder, so from the served folder
    seconds: float

    def __str__(self) -> str:
        return (
            f"preview: {self.copied} files updated, {self.removed} removed "
            f"({self.compared} of {self.files} compared, {self.seconds:.2f} s)"
        )


class Mirror:
    """Keeps `served` equal to `built`, file for file (see the module's docstring)."""

    def __init__(self, built: Path, served: Path) -> None:
        self.built = built
        self.served = served
        #: every file in the served folder -> the stat (`stat_text`) of the build folder's file
        #: it is a copy of ("": not known to be one); None before the first update of a session
        self.known: dict[str, str] | None = None
        #: the served folder `known` describes (device, inode): another means compare again
        self.folder: tuple[int, int] | None = None

    def update(self) -> Updated:
        """Make the served folder hold exactly the build folder's files; an error (OSError)
        leaves every file whole, old or new, and the next update compares everything."""
        started = time.monotonic()
        taken = time.time_ns()  # before the stats: a file written after it is racy
        built = _files(self.built)
        known = self.known if self.folder == _identity(self.served) else None
        self.known = None  # until this update is done
        if known is None:
            known = {
                rel: stat_text(built[rel], taken) if _copy_of(built.get(rel), st) else ""
                for rel, st in _files(self.served).items()
            }
        gone = [rel for rel in known if rel not in built]
        if known and not built:  # a build that "worked" and left nothing is not a site
            raise OSError(f"{self.built}: the build left no file; the last pages stay served")
        # A reader may load a page while this runs: each file is whole, old or new, and the
        # order keeps what it loads complete. First only the files that stand where a folder
        # must go (or in a folder that must become a file), then every file pages refer to,
        # then the pages and the search index's manifest, then what the build no longer has.
        blocking = _blocking(gone, built) if gone else []
        removed = prune(self.served, (os.path.join(self.served, rel) for rel in blocking))
        for rel in blocking:
            del known[rel]
        compared = copied = 0
        for rel in sorted(built, key=_last):
            st = built[rel]
            stat = stat_text(st, taken)
            if stat and known.get(rel) == stat:
                continue
            compared += 1
            target = os.path.join(self.served, rel)
            with open(os.path.join(self.built, rel), "rb") as source:
                data = source.read()
            copied += write_atomic(target, data, durable=False)  # a preview is made again
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # for the next session
            known[rel] = stat
        rest = [rel for rel in gone if rel in known]
        removed += prune(self.served, (os.path.join(self.served, rel) for rel in rest))
        for rel in rest:
            del known[rel]
        os.makedirs(self.served, exist_ok=True)  # even for a build that has no file
        self.known, self.folder = known, _identity(self.served)
        return Updated(len(built), compared, copied, removed, time.monotonic() - started)


def _files(folder: Path) -> dict[str, os.stat_result]:
    """Every file under `folder` (symbolic links to files followed), by path relative to it."""
    found: dict[str, os.stat_result] = {}
    pending = [("", str(folder))]
    while pending:
        prefix, path = pending.pop()
        try:
            entries = os.scandir(path)
        except FileNotFoundError:
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file():
                    found[prefix + entry.name] = entry.stat()
    return found


def _blocking(gone: list[str], built: dict[str, os.stat_result]) -> list[str]:
    """The files gone from the build that stand where it has a folder (or in a folder where it
    has a file): removed before anything is copied."""
    folders: set[str] = set()
    for rel in built:
        folder = rel.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return [rel for rel in gone if rel in folders or _under_a_file(rel, built)]


def _under_a_file(rel: str, built: dict[str, os.stat_result]) -> bool:
    """Whether a folder holding `rel` must become a file of the build's."""
    return any(rel[:i] in built for i, c in enumerate(rel) if c == "/")


def _last(rel: str) -> bool:
    """Pages and the search manifest are copied after the files they refer to."""
    return rel.endswith((".html", "manifest.json"))


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _copy_of(built: os.stat_result | None, served: os.stat_result) -> bool:
    """A served file is the copy of a built one: same size and modification time, and the
    built file was not modified within the moment the copy was made (its ctime)."""
    return (
        built is not None
        and built.st_size == served.st_size
        and built.st_mtime_ns == served.st_mtime_ns
        and served.st_ctime_ns - built.st_mtime_ns >= RACY_NS
    )
