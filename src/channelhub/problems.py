"""Problems found in the hub's files, returned as values; callers decide how loud they are."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, at one line."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"

    def github(self) -> str:
        """The problem as a GitHub Actions workflow command (an annotation on the pull request)."""
        kind = "warning" if self.severity == "warning" else "error"
        message = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = self.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::{kind} file={path},line={self.line}::{message}"


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The errors among `problems` (warnings left out)."""
    return [p for p in problems if p.is_error]


def describe(value: Any) -> str:
    """What kind of YAML value this is, in an editor's words (for 'Expected X, got Y')."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to `name` (difflib), or None when none is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or '' when none is close; for
    messages about an unknown topic, editor or source id."""
    close = closest(name, known)
    return f" (did you mean '{close}'?)" if close else ""
