"""Dates and times as the hub reads and writes them: ISO 8601, always aware, always UTC.

Owns the one reader of a date or date-time written by an editor, a feed or the pull state
(`parse_date`) and the one way the hub writes a moment (`utc_text`: `2026-03-14T09:30:00Z`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")


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
