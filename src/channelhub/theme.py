"""What the hub's theme overrides (overrides/) get from the hub besides the page: a memo for the
parts of a page that come out the same on many pages, rendered once a build.

Material renders the nav (tabs and sidebar) and its config script into every page. On a page
that is not in the nav they depend on nothing of the page but where it sits: the links to the
nav's pages and to the theme's assets, relative to the page. `places` says where a page sits;
pages at the same places share those parts, so a build of 10,000 pieces renders them a few
dozen times instead of 10,000 (issue 19: a fifth of a page's template time).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from channelhub.markup import relative_url

#: set to 0 to render every part of every page (the memo's own test compares both)
ENV_SWITCH = "CHANNELHUB_THEME_MEMO"


def places(page: Any, nav: Any) -> tuple[str, ...] | None:
    """Where a page sits: the links from it to the site's root, to each page of the nav and to
    the theme's assets. None for a page of the nav (its nav entry is active and carries its
    table of contents) and outside a page."""
    if page is None or nav is None:
        return None
    url = page.url
    targets = [p.url for p in nav.pages]
    if url in targets:
        return None
    return (
        relative_url("", url),
        relative_url("assets/", url),
        *(relative_url(t, url) for t in targets),
    )


class Memo:
    """`{% call hub_memo(name, key) %}...{% endcall %}`: the block's output for that name and
    key, rendered the first time only (a key of None renders it every time). One a build."""

    def __init__(self, *, enabled: bool | None = None) -> None:
        self.enabled = os.environ.get(ENV_SWITCH, "1") != "0" if enabled is None else enabled
        self.done: dict[tuple[object, ...], str] = {}

    def __call__(self, name: str, key: object, *, caller: Callable[[], str]) -> str:
        if key is None or not self.enabled:
            return caller()
        found = self.done.get((name, key))
        if found is None:
            found = self.done[(name, key)] = caller()
        return found


def template_globals() -> dict[str, Any]:
    """What a build gives the templates (a fresh memo each build)."""
    return {"hub_memo": Memo(), "hub_places": places}
