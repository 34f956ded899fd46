"""Safe building blocks for the Markdown the hub generates: escaped text, relative links, dates.

Every string that reaches a generated page goes through `text()` (or `attr()` inside an HTML
attribute), so a title from a feed or a pull request is shown, never interpreted.
"""

from __future__ import annotations

import html
import posixpath
import re
from datetime import datetime

# Characters that mean something to Markdown or its extensions (attr_list, tables, emphasis,
# snippets, Jinja-like macros): written as numeric character references, which every
# Markdown renderer passes through and every browser shows as the character itself.
_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-!|~^=$%:<>&\"']")
_SPACE = re.compile(r"\s+")


def text(value: str) -> str:
    """Plain text as inline Markdown that renders to exactly that text and nothing else."""
    collapsed = _SPACE.sub(" ", value).strip()
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group())};", collapsed)


def attr(value: str) -> str:
    """Text for an HTML attribute value in double quotes."""
    return html.escape(_SPACE.sub(" ", value).strip(), quote=True)


def rel(from_src: str, to_src: str) -> str:
    """Relative link from one docs/ file to another, as MkDocs resolves and checks it.

    Plain segment arithmetic, the same answer as posixpath.relpath (which resolves both
    paths against the working directory, a third of a listing page's own time).
    """
    start = from_src.rpartition("/")[0]
    if not ((not start or _plain(start)) and _plain(to_src)):
        return posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")
    base = start.split("/") if start else []
    target = to_src.split("/")
    common = 0
    for here, there in zip(base, target, strict=False):
        if here != there:
            break
        common += 1
    return "/".join([".."] * (len(base) - common) + target[common:]) or "."


def _plain(path: str) -> bool:
    """A non-empty relative path with no empty, '.' or '..' segment (every generated path is one)."""
    return all(s not in ("", ".", "..") for s in path.split("/"))


def link(label: str, from_src: str, to_src: str, *, classes: str = "") -> str:
    """A Markdown link with an escaped label; MkDocs checks the target in a strict build."""
    target = rel(from_src, to_src)
    suffix = f"{{ .{' .'.join(classes.split())} }}" if classes else ""
    return f"[{text(label)}]({target}){suffix}"


def human_date(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def time_tag(when: datetime) -> str:
    return f'<time datetime="{when.date().isoformat()}">{human_date(when)}</time>'


def safe_href(url: str) -> str | None:
    """An http(s) or mailto URL fit for a Markdown link target, or None."""
    url = url.strip()
    if not re.match(r"^(https?://|mailto:)[^\s<>\"'`]+$", url, re.IGNORECASE):
        return None
    return url.replace("(", "%28").replace(")", "%29")
