"""How each source fares, as the source pages show it to readers.

Owns `SourceHealth` (read from the pull's records in feeds/state.json, through
`channelhub.state`, the one reader of that file) and the plain-language status a reader sees
for it (`status_of`): up to date, failing since a date, gone, paused or not pulled yet. The
pull's raw error messages belong in the pull report and the feeds pull request, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from channelhub import state
from channelhub.config import Source
from channelhub.markup import attr, human_date


@dataclass(frozen=True)
class SourceHealth:
    """What the last pulls said about one source."""

    status: state.SourceStatus
    last_pulled: datetime | None = None
    last_changed: datetime | None = None
    failures: int = 0
    failing_since: datetime | None = None


def load_health(root: Path) -> dict[str, SourceHealth]:
    """Per-source health from the pull state; an unreadable file means no health yet."""
    records, _problems = state.load(root)  # the pull reports a broken file; pages just show less
    return {
        source_id: SourceHealth(
            status=record.status,
            last_pulled=record.last_pulled,
            last_changed=record.last_changed,
            failures=record.failures,
            failing_since=record.failing_since,
        )
        for source_id, record in records.items()
    }


class Tone(StrEnum):
    """How a status looks (its badge's colour); the words always say it too."""

    OK = "ok"
    FAILING = "failing"
    GONE = "gone"
    OFF = "off"


@dataclass(frozen=True)
class Status:
    """A source's status in a reader's words."""

    label: str
    tone: Tone


_FAILING = frozenset(
    {state.SourceStatus.ERROR, state.SourceStatus.REFUSED, state.SourceStatus.DEFERRED}
)


def status_of(source: Source, health: SourceHealth | None) -> Status:
    """Up to date / Failing since <date> / Gone / Paused / Not pulled yet."""
    if not source.enabled:
        return Status("Paused", Tone.OFF)
    if health is None:
        return Status("Not pulled yet", Tone.OFF)
    if health.status == state.SourceStatus.GONE:
        return Status("Gone", Tone.GONE)
    if health.status in _FAILING:
        since = health.failing_since
        return Status(f"Failing since {human_date(since)}" if since else "Failing", Tone.FAILING)
    return Status("Up to date", Tone.OK)


def last_new_content(health: SourceHealth | None) -> datetime | None:
    """When the hub last got new or changed pieces from the source."""
    return health.last_changed if health else None


def badge(source: Source, health: SourceHealth | None) -> str:
    """The status as the badge the source pages show (escaped HTML)."""
    status = status_of(source, health)
    return f'<span class="hub-status hub-status-{status.tone}">{attr(status.label)}</span>'
