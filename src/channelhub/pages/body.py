"""A generated page before rendering: its front matter now, its body when the page renders.

Owns `Body` (Markdown for what editors wrote and for headings, HTML for the rest), the
placeholders that carry its HTML through Python-Markdown untouched, and `fill`, which puts
the HTML back into the rendered page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from channelhub import frontmatter
from channelhub.markup import Links
from channelhub.pages.inputs import Inputs


class Body:
    """A generated page's body: Markdown for what editors wrote and for headings, HTML for the rest.

    Cards, bylines and pagination are written as HTML straight away: through Markdown they
    cost five times a piece's own text (inline patterns, md_in_html's HTML parser) for an
    answer known in advance. Markdown sees each HTML part as a placeholder comment, which it
    passes through untouched, and `fill` puts the HTML back into the rendered page.
    """

    def __init__(self) -> None:
        self._parts: list[tuple[bool, str]] = []  # (is_html, text)

    def md(self, *parts: str) -> Body:
        self._parts += [(False, p) for p in parts if p]
        return self

    def html(self, *parts: str) -> Body:
        self._parts += [(True, p) for p in parts if p]
        return self

    def parts(self) -> list[str]:
        """Each part as text, marked as Markdown or HTML (what a page's key is made of)."""
        return [("H" if is_html else "M") + part for is_html, part in self._parts]

    def markdown(self, token: str) -> tuple[str, list[str]]:
        """The Markdown to render, with a placeholder for each run of HTML, and those runs.
        A body that is all HTML (most listing pages) has no Markdown at all: the engine's
        Markdown returns nothing for it at once, and `fill` gives its one run."""
        if all(is_html for is_html, _ in self._parts):
            return "", ["\n".join(part for _, part in self._parts)] if self._parts else []
        blocks: list[str] = []
        fragments: list[str] = []
        previous_html = False
        for is_html, part in self._parts:
            if is_html and previous_html:
                fragments[-1] += "\n" + part
            elif is_html:
                blocks.append(placeholder(token, len(fragments)))
                fragments.append(part)
            else:
                blocks.append(part.strip("\n"))
            previous_html = is_html
        return "\n\n".join(blocks) + "\n", fragments


def placeholder(token: str, number: int) -> str:
    return f"<!--channelhub:{token}:{number}-->"


def fill(html: str, token: str, fragments: Sequence[str]) -> str:
    """The rendered page with each placeholder replaced by its HTML; a body rendered from no
    Markdown (all HTML) is its HTML."""
    if not html:
        return "\n".join(fragments)
    pattern = re.compile(f"<!--channelhub:{re.escape(token)}:([0-9]+)-->")
    return pattern.sub(lambda m: fragments[int(m.group(1))], html)


@dataclass(frozen=True)
class Generated:
    """A page the hub adds: its front matter now, its body when the page is rendered, and
    what that body reads, for the page's key (`reads`: every input of `body`, as plain values
    of `Inputs`; anything `body` shows that `reads` leaves out would let a rebuild keep a
    stale page)."""

    title: str
    body: Callable[[Links], Body]
    reads: Callable[[Inputs], object]
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def source(self) -> str:
        """The file MkDocs reads: front matter only (the body comes in `HubBuild.page_markdown`)."""
        meta: dict[str, Any] = {"title": self.title}
        if self.description:
            meta["description"] = self.description
        meta.update(self.extra)
        # Rendered in memory and never written to docs/: the read-back check is for files on disk.
        return frontmatter.render(meta, "", verify=False)
