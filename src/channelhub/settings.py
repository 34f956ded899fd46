"""The hub's settings, from `extra.hub` in mkdocs.yml: page sizes, feed size, related pieces.

Owns their names, defaults (a production hub's) and validation; a bad value is a ValueError
with a message naming the setting, which the build turns into a clear error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: the settings a whole number configures, each at least 1
COUNTS = ("page_size", "home_latest", "feed_size", "related")


@dataclass(frozen=True)
class Settings:
    """Reader-facing settings, from `extra.hub` in mkdocs.yml (plus the site's own name and URL)."""

    page_size: int = 20  # pieces on one listing page
    home_latest: int = 9
    feed_size: int = 30
    related: int = 4
    #: pull the feeds before each build (`pull_enabled` decides, with the env)
    pull_on_build: bool = False
    site_url: str = ""
    title: str = "channelhub"
    description: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, **extra: Any) -> Settings:
        if raw is not None and not isinstance(raw, Mapping):
            raise ValueError(f"extra.hub must be a mapping of settings, got {raw!r}")
        raw = dict(raw or {})
        values: dict[str, Any] = {}
        for name in COUNTS:
            if name in raw:
                value = raw[name]
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(
                        f"extra.hub.{name} must be a whole number of at least 1, got {value!r}"
                    )
                values[name] = value
        pull_on_build = raw.get("pull_on_build", False)
        if not isinstance(pull_on_build, bool):
            raise ValueError(
                f"extra.hub.pull_on_build must be true or false, got {pull_on_build!r}"
            )
        values["pull_on_build"] = pull_on_build
        known = {*COUNTS, "pull_on_build"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(
                f"unknown setting extra.hub.{sorted(unknown)[0]} (known: {', '.join(sorted(known))})"
            )
        return cls(**values, **extra)


def pull_enabled(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a build should pull first: CHANNELHUB_PULL=1, or extra.hub.pull_on_build: true
    as `Settings` reads it (here, not in `channelhub.pull`, so that a build that does not pull
    never imports it)."""
    env = os.environ if environ is None else environ
    if env.get("CHANNELHUB_PULL", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    return settings.pull_on_build
