"""One Python-Markdown instance for the pages of a build, where a reset one is as good as new.

The engine makes an instance with every extension for each page it renders (0.3 ms a page: 3 s
at 10,000 pieces). Python-Markdown provides `Markdown.reset()` for reuse, but an extension whose
state of one page `reset()` does not clear would carry it into the next page; so an instance is
shared only when every configured extension is one whose source was read for that. Written here
because no library keeps such a list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import markdown

#: extensions whose whole state of one page `reset()` clears (footnotes, toc, superfences,
#: details, snippets and md_in_html reset theirs; the others keep none; abbr's definitions only
#: from Python-Markdown 3.7, which pyproject.toml requires)
RESETTABLE = frozenset(
    {
        "abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html",
        "tables", "toc", "pymdownx.details", "pymdownx.superfences", "pymdownx.snippets",
    }
)  # fmt: skip


def shareable(extensions: Sequence[object], configs: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether one reset instance renders every page as a new instance would."""
    if not all(isinstance(e, str) and e in RESETTABLE for e in extensions):
        return False
    if configs.get("footnotes", {}).get("UNIQUE_IDS"):
        return False  # its ids count the documents an instance has seen
    # a fence formatter of the site's own may keep state on the instance that reset() misses
    return not configs.get("pymdownx.superfences", {}).get("custom_fences")


class SharedMarkdown:
    """The build's instance: made at the first page, dropped when the build's pages are done
    or one of them fails (a failed conversion may leave state behind)."""

    def __init__(self) -> None:
        self._made = False
        self._md: markdown.Markdown | None = None

    def instance(
        self, extensions: Sequence[object], configs: Mapping[str, Mapping[str, Any]]
    ) -> markdown.Markdown | None:
        """The instance, reset for the next page; None when the extensions do not allow sharing
        (the engine then makes its own instance for each page)."""
        if not self._made:
            self._made = True
            if shareable(extensions, configs):
                self._md = markdown.Markdown(extensions=list(extensions), extension_configs=configs)
        if self._md is not None:
            self._md.reset()
        return self._md

    def drop(self) -> None:
        self._made, self._md = False, None
