"""The pull's memory between runs: `feeds/state.json`, one record per source.

This module owns the file's shape and its reading and writing. A record keeps only what
changes when a feed's content or health changes (validators exactly as received, the URL a
301/308 moved the feed to, gone, Retry-After, status, failures, message, when content last
arrived and when pieces last changed, when the current run of failures began, a fingerprint
of the last ingested body), never the
time of a run, so a pull of unchanged feeds leaves the file byte for byte as it was.
`channelhub.health` reads `status`, `last_pulled`, `last_changed`, `failures` and
`failing_since` from the same records for the source pages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from channelhub.dates import parse_date, utc_text_or_none
from channelhub.files import write_atomic
from channelhub.problems import Problem

STATE_FILE = "feeds/state.json"
VERSION = 1


class SourceStatus(StrEnum):
    """A source's health after its last run (the source pages word it for readers)."""

    OK = "ok"
    ERROR = "error"
    GONE = "gone"  # HTTP 410: never asked again
    DEFERRED = "deferred"  # failing with a Retry-After
    REFUSED = "refused"  # the address policy refused it


@dataclass(frozen=True)
class SourceState:
    """What the last runs learned about one source."""

    url: str  # the URL in sources.yml this record belongs to; a different one starts afresh
    current_url: str | None = None  # where a 301/308 moved the feed
    etag: str | None = None
    last_modified: str | None = None
    fingerprint: str | None = None  # hash of the last fully ingested body and its settings
    gone: bool = False
    retry_after: datetime | None = None
    status: SourceStatus = SourceStatus.OK
    message: str = ""
    failures: int = 0
    last_pulled: datetime | None = None  # the last fetch that brought new content
    last_changed: datetime | None = None  # the last run that wrote a piece of this source
    failing_since: datetime | None = None  # the first failed run since the source last answered

    @property
    def fetch_url(self) -> str:
        """The URL to ask: the moved-to one once a permanent redirect said so."""
        return self.current_url or self.url


_DEFAULTS = SourceState(url="")
_STATUSES = frozenset(s.value for s in SourceStatus)
_TIMES = frozenset({"retry_after", "last_pulled", "last_changed", "failing_since"})
_FIELDS = tuple(f.name for f in fields(SourceState))


def to_json(state: SourceState) -> dict[str, Any]:
    """A record as JSON data; keys at their default are left out to keep the file short."""
    out: dict[str, Any] = {}
    for key in _FIELDS:
        value = getattr(state, key)
        if key != "url" and value == getattr(_DEFAULTS, key):
            continue
        out[key] = utc_text_or_none(value) if key in _TIMES else value
    return out


def from_json(raw: Mapping[str, Any]) -> SourceState | None:
    """A record from JSON data, ignoring keys of the wrong type; None without a url."""
    url = raw.get("url")
    if not isinstance(url, str) or not url:
        return None
    values: dict[str, Any] = {}
    for item in fields(SourceState):
        if item.name == "url" or item.name not in raw:
            continue
        value = raw[item.name]
        if item.name in _TIMES:
            values[item.name] = parse_date(value) if isinstance(value, str) else None
        elif item.name == "gone":
            values[item.name] = value is True
        elif item.name == "failures":
            values[item.name] = value if isinstance(value, int) and value >= 0 else 0
        elif item.name == "status":
            if value in _STATUSES:
                values[item.name] = SourceStatus(value)
        elif isinstance(value, str):
            values[item.name] = value
    return replace(SourceState(url=url), **values)


def load(root: Path) -> tuple[dict[str, SourceState], list[Problem]]:
    """Every source's record; a missing file is a first run, a broken one is a warning."""
    path = root / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [
            Problem(
                STATE_FILE, 1, f"cannot read the feed state ({exc}); starting afresh", "warning"
            )
        ]
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return {}, [
            Problem(STATE_FILE, line, f"not valid JSON ({exc}); starting afresh", "warning")
        ]
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, dict):
        return {}, [
            Problem(STATE_FILE, 1, 'expected {"sources": {...}}; starting afresh', "warning")
        ]
    states: dict[str, SourceState] = {}
    for source_id, raw in sources.items():
        record = from_json(raw) if isinstance(raw, dict) else None
        if record is not None:
            states[str(source_id)] = record
    return states, []


def dumps(states: Mapping[str, SourceState]) -> str:
    """The file's text: sorted keys and a trailing newline, so equal states give equal bytes."""
    data = {"version": VERSION, "sources": {k: to_json(states[k]) for k in sorted(states)}}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save(root: Path, states: Mapping[str, SourceState]) -> bool:
    """Write the state atomically; False when the file already held exactly this."""
    return write_atomic(root / STATE_FILE, dumps(states))
