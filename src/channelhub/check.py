"""`channelhub check`: every problem in the data files and the content, as `path:line: message`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from channelhub.config import SOURCES_FILE, TOPICS_FILE, Hub, load_hub
from channelhub.content import load_index
from channelhub.problems import Problem
from channelhub.safety import check_tree
from channelhub.tagger import validate_topics


def check_hub(hub: Hub) -> list[Problem]:
    """Problems in the data files and in every piece, in file order."""
    problems = list(hub.problems)
    problems += validate_topics(hub.topics)
    index = load_index(hub)
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


__all__ = ["SOURCES_FILE", "TOPICS_FILE", "check_hub", "missing_paths", "run_check"]
