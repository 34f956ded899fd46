"""How each source fared on its last pull, as the source pages show it to readers.

Owns `SourceHealth` (read from the pull's records in feeds/state.json, through
`channelhub.state`, the one reader of that file) and the words a reader sees for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from channelhub import state
from channelhub.config import Source


@dataclass(frozen=True)
class SourceHealth:
    """What the last pull said about one source."""

    status: state.SourceStatus
    last_pulled: datetime | None = None
    last_changed: datetime | None = None
    message: str = ""
    failures: int = 0


def load_health(root: Path) -> dict[str, SourceHealth]:
    """Per-source health from the pull state; an unreadable file means no health yet."""
    records, _problems = state.load(root)  # the pull reports a broken file; pages just show less
    return {
        source_id: SourceHealth(
            status=record.status,
            last_pulled=record.last_pulled,
            last_changed=record.last_changed,
            message=record.message,
            failures=record.failures,
        )
        for source_id, record in records.items()
    }


_WORDS = {
    state.SourceStatus.OK: "fine",
    state.SourceStatus.ERROR: "failing",
    state.SourceStatus.GONE: "gone (410)",
    state.SourceStatus.DEFERRED: "waiting (Retry-After)",
    state.SourceStatus.REFUSED: "refused",
}


def health_text(source: Source, health: SourceHealth | None) -> str:
    """A source's health in a few words for the sources page."""
    if not source.enabled:
        return "disabled"
    if health is None:
        return "not pulled yet"
    words = _WORDS[health.status]
    if health.failures > 1:
        words += f", {health.failures} runs in a row"
    if health.message and health.status != state.SourceStatus.OK:
        words += ": " + health.message
    return words
