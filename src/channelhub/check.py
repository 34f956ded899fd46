"""`channelhub check`: every problem in the data files and the content, as `path:line: message`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from channelhub import markup
from channelhub.config import SOURCES_FILE, TOPICS_FILE, Hub, load_hub
from channelhub.content import Publication, display_path, load_index
from channelhub.dates import utc_text
from channelhub.pages import page_at
from channelhub.problems import Problem
from channelhub.safety import check_tree
from channelhub.tagger import validate_topics


def check_hub(hub: Hub) -> list[Problem]:
    """Problems in the data files and in every piece, in file order."""
    problems = list(hub.problems)
    problems += validate_topics(hub.topics)
    index = load_index(hub, occupied=partial(page_at, hub, hub.root / "docs"))
    problems += index.problems
    problems += check_tree(hub.root)
    return sorted(set(problems))


def run_check(
    root: Path, paths: Sequence[str] = (), *, sources_file: str = SOURCES_FILE
) -> list[Problem]:
    """Check everything, or only the problems in the given files and folders."""
    hub = load_hub(root, sources_file=sources_file)
    problems = check_hub(hub)
    if not paths:
        return problems
    wanted = [_relative(root, p) for p in paths]
    return [p for p in problems if any(_within(p.path, w) for w in wanted)]


@dataclass(frozen=True, order=True)
class Upcoming:
    """A moment when a piece goes live (it is scheduled) or comes off the site (it expires)."""

    when: datetime
    path: str
    what: str  # "goes live" or "comes off the site"

    def __str__(self) -> str:
        return f"{self.path}: {self.what} on {markup.human_date(self.when)}, {self.when:%H:%M} UTC"

    def github(self) -> str:
        """A notice on the pull request's file (workflow command), as problems are annotated."""
        path = self.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::notice file={path}::{self.what} at {utc_text(self.when)}"


def upcoming(
    root: Path, paths: Sequence[str] = (), *, now: datetime, sources_file: str = SOURCES_FILE
) -> list[Upcoming]:
    """The pieces (all, or those in `paths`) that go live or come off the site after `now`,
    soonest first; drafts are left out, as they go live only when an editor says so."""
    hub = load_hub(root, sources_file=sources_file)
    index = load_index(hub, now=now)
    docs = display_path(hub.root / "docs", hub.root)
    scheduled = [h.piece for h in index.held if h.state is Publication.SCHEDULED]
    events = [Upcoming(p.date, f"{docs}/{p.src_uri}", "goes live") for p in scheduled]
    events += [
        Upcoming(p.expires, f"{docs}/{p.src_uri}", "comes off the site")
        for p in (*scheduled, *index.pieces)
        if p.expires is not None
    ]
    wanted = [_relative(root, p) for p in paths]
    return sorted(e for e in events if not wanted or any(_within(e.path, w) for w in wanted))


def _relative(root: Path, given: str) -> str:
    path = Path(given)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _within(problem_path: str, wanted: str) -> bool:
    wanted = wanted.rstrip("/")
    return wanted in ("", ".") or problem_path == wanted or problem_path.startswith(wanted + "/")


def missing_paths(root: Path, paths: Iterable[str]) -> list[str]:
    return [p for p in paths if not (Path(p) if Path(p).is_absolute() else Path.cwd() / p).exists()]


__all__ = [
    "SOURCES_FILE",
    "TOPICS_FILE",
    "Upcoming",
    "check_hub",
    "missing_paths",
    "run_check",
    "upcoming",
]
