"""What the hub's theme overrides (overrides/) get from the hub besides the page: a memo for the
parts of a page that come out the same on many pages, rendered once a build.

Material renders the nav (tabs and sidebar) and its config script into every page. On a page
that is not in the nav they depend on nothing of the page but where it sits: the links to the
nav's pages, to the theme's assets and to the config's own files (extra CSS and JavaScript,
favicon, logo), relative to the page. `Places` says where a page sits; pages at the same places
share those parts, so a build of 10,000 pieces renders them a few dozen times instead of 10,000
(issue 19: a fifth of a page's template time).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup, escape

from channelhub.markup import relative_url

#: set to 0 to render every part of every page (tests/test_pages.py compares both)
ENV_SWITCH = "CHANNELHUB_THEME_MEMO"


class Places:
    """`hub_places(page, nav)`: where a page sits, as the links from it to the site's root, to
    the theme's assets, to each of `files` (the config's own: extra CSS and JavaScript, favicon,
    logo) and to each page of the nav. None for a page of the nav (its nav entry is active and
    carries its table of contents) and outside a page.
    Worked out once a page (the templates ask several times)."""

    def __init__(self, files: Iterable[str] = ()) -> None:
        self.files = tuple(dict.fromkeys(f for f in files if f))
        self._seen: dict[str, tuple[str, ...] | None] = {}

    def __call__(self, page: Any, nav: Any) -> tuple[str, ...] | None:
        if page is None or nav is None:
            return None
        url = page.url
        if url in self._seen:
            return self._seen[url]
        targets = [p.url for p in nav.pages]
        found = (
            None
            if url in targets
            else (
                relative_url("", url),
                relative_url("assets/", url),
                *(relative_url(f, url) for f in self.files),
                *(relative_url(t, url) for t in targets),
            )
        )
        self._seen[url] = found
        return found


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


class PageTexts:
    """`hub.title(page)`, `hub.description(page, config)`, `hub.is_piece(page)`: a page's title
    and description as escaped text, for every place the theme prints them (MkDocs does not
    autoescape, and a pulled piece's title or author is text from a feed). In Python rather than
    as Jinja macros: importing a macro file costs Jinja a comparison of every global on each
    page that imports it (three imports a page).

    A front-matter title is plain text (escaped as is); a title MkDocs took from the first
    heading is rendered HTML (its tags stripped first, so '&amp;' is not doubled)."""

    @staticmethod
    def title(page: Any) -> Markup:
        meta = page.meta if page else None
        if meta and meta.get("title"):
            return escape(str(meta["title"]))
        if page and page.title:
            return escape(Markup(str(page.title)).striptags())
        return Markup()

    @staticmethod
    def description(page: Any, config: Any) -> Markup:
        meta = page.meta if page else None
        for key in ("description", "summary"):
            if meta and meta.get(key):
                return escape(str(meta[key]))
        if config.site_description:
            return escape(config.site_description)
        return Markup()

    @staticmethod
    def is_piece(page: Any) -> bool:
        """A piece (article, analyst note, pulled post) has a date and an editor or a source."""
        meta = page.meta if page else None
        return bool(meta and meta.get("date") and (meta.get("editor") or meta.get("source")))


def config_files(config: Any) -> list[str]:
    """The config's own files that every page links to (beside the theme's assets): extra CSS
    and JavaScript (a path or an entry with one), favicon and logo."""
    files: list[str] = []
    for entry in [*config.get("extra_css", []), *config.get("extra_javascript", [])]:
        path = entry if isinstance(entry, str) else getattr(entry, "path", None)
        if isinstance(path, str) and "://" not in path:
            files.append(path)
    theme = config.get("theme")
    for name in ("favicon", "logo"):
        value = theme.get(name) if theme is not None else None
        if isinstance(value, str) and "://" not in value:
            files.append(value)
    return files


def template_globals(files: Iterable[str] = ()) -> dict[str, Any]:
    """What a build gives the templates (a fresh memo each build); `files`: `config_files`."""
    return {"hub_memo": Memo(), "hub_places": Places(files), "hub": PageTexts()}
