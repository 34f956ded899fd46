"""Dates and times as the hub reads and writes them: ISO 8601, always aware, always UTC.

Owns the one reader of a date or date-time written by an editor, a feed or the pull state
(`parse_date`), the one way the hub writes a moment (`utc_text`: `2026-03-14T09:30:00Z`), and
"now" (`now`: the clock, or `CHANNELHUB_NOW` when set, so a build can be made as of any moment).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: the environment variable that sets "now" for `build`, `serve` and `check`
NOW_VARIABLE = "CHANNELHUB_NOW"


class NowError(ValueError):
    """CHANNELHUB_NOW is set to something that is not an ISO 8601 moment with a zone."""


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; naive times are taken as UTC.

    A date alone means 00:00 UTC that day. None when the value is not such a date.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        text = value.strip()
        if not _ISO_START.match(text):
            return None
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def utc_text(when: datetime) -> str:
    """`2026-03-14T09:30:00Z`: how the hub writes a moment (front matter, state, reports)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text_or_none(when: datetime | None) -> str | None:
    """`utc_text`, or None for no moment (a JSON null)."""
    return utc_text(when) if when is not None else None


def now(environ: Mapping[str, str] | None = None) -> datetime:
    """The moment the hub publishes as of: `CHANNELHUB_NOW` (ISO 8601 with a zone) when it is
    set and not empty, else the clock; always aware and in UTC. NowError for a bad value."""
    raw = (os.environ if environ is None else environ).get(NOW_VARIABLE, "").strip()
    if not raw:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(raw) if _ISO_START.match(raw) and len(raw) > 10 else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise NowError(
            f"{NOW_VARIABLE} must be an ISO 8601 date and time with a zone, "
            f"e.g. 2026-03-14T09:00:00Z; got {raw!r}"
        )
    return parsed.astimezone(UTC)
