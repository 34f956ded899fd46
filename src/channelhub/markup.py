"""Safe building blocks for the pages the hub generates: escaped text, relative links, dates.

Every string that reaches a generated page goes through `text()` in Markdown, or `attr()` in
HTML, so a title from a feed or a pull request is shown, never interpreted.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache, lru_cache

# Characters that mean something to Markdown or its extensions (attr_list, tables, emphasis,
# snippets, Jinja-like macros): written as numeric character references, which every
# Markdown renderer passes through and every browser shows as the character itself.
_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-!|~^=$%:<>&\"']")
_SPACE = re.compile(r"\s+")


def text(value: str) -> str:
    """Plain text as inline Markdown that renders to exactly that text and nothing else."""
    collapsed = _SPACE.sub(" ", value).strip()
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group())};", collapsed)


@lru_cache(maxsize=1 << 16)  # titles, names and topics recur on every listing that shows them
def attr(value: str) -> str:
    """Text for HTML: an attribute value in double quotes, or the text of an element."""
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


class Links:
    """Relative hrefs between the files of one build, from the URLs the engine serves them at.

    The HTML the hub writes straight into pages does not pass MkDocs' link check, so this
    does its job: a target that is not in the build is kept in `missing` (the hook warns,
    and a strict build fails) and the link is still written, as MkDocs would.
    """

    def __init__(self, urls: Mapping[str, str]) -> None:
        self.urls = urls  # docs/ path -> URL from the site root: "./", "topics/", "a/b.html"
        self.missing: list[tuple[str, str]] = []

    def href(self, here: str, to: str) -> str:
        target = self.urls.get(to)
        if target is None:
            self.missing.append((here, to))
            target = to
        return relative_url(target, self.urls.get(here, here))

    def a(self, label: str, here: str, to: str, *, classes: str = "", extra: str = "") -> str:
        """An <a> with an escaped label; `extra` is further attributes, already safe."""
        cls = f' class="{classes}"' if classes else ""
        more = f" {extra}" if extra else ""
        return f'<a{cls} href="{attr(self.href(here, to))}"{more}>{attr(label)}</a>'


def relative_url(url: str, other: str) -> str:
    """`url` relative to the page at `other`: mkdocs.utils.get_relative_url's answer, cached per page."""
    other_parts = _dir_parts(other)
    dest_parts, dest, slash = _target(url)
    if other_parts and dest_parts and other_parts[0] != dest_parts[0]:
        return _UP * len(other_parts) + dest + slash  # nothing in common: most links
    common = 0
    for a, b in zip(other_parts, dest_parts, strict=False):
        if a != b:
            break
        common += 1
    relurl = "/".join([".."] * (len(other_parts) - common) + dest_parts[common:]) or "."
    return relurl + slash


_UP = "../"


@cache  # one entry a URL linked to or from: the build's files, no more
def _target(url: str) -> tuple[list[str], str, str]:
    """A URL's segments, joined again, and "/" if it ends with one."""
    parts = _norm_parts(url)
    return parts, "/".join(parts), "/" if url.endswith("/") else ""


@lru_cache(maxsize=4096)  # a page asks for its own folder once a link: the last pages suffice
def _dir_parts(url: str) -> list[str]:
    """The folder of a page's URL as segments (a last segment with a dot is a file name); the
    segments `_target` keeps for that folder (a page's URL is most often a link target too)."""
    dirname, _, basename = url.rpartition("/")
    return _target(dirname if "." in basename else url)[0]


def _norm_parts(path: str) -> list[str]:
    path = posixpath.normpath("/" + path.lstrip("/"))[1:] if _odd(path) else path.strip("/")
    return path.split("/") if path else []


def _odd(path: str) -> bool:
    """A path normpath would change beyond its outer slashes ('.', '..', '//' inside)."""
    return "//" in path.strip("/") or any(s in (".", "..") for s in path.split("/"))


@lru_cache(maxsize=1 << 16)  # a piece's date recurs on every card, byline and related list of it
def human_date(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def human_moment(when: datetime) -> str:
    """'14 March 2027, 09:00 UTC': a moment for an editor (a banner, check's upcoming list)."""
    when = when.astimezone(UTC)
    return f"{human_date(when)}, {when:%H:%M} UTC"


def time_tag(when: datetime) -> str:
    return f'<time datetime="{when.date().isoformat()}">{human_date(when)}</time>'


def safe_href(url: str) -> str | None:
    """An http(s) or mailto URL fit for a Markdown link target, or None."""
    url = url.strip()
    if not re.match(r"^(https?://|mailto:)[^\s<>\"'`]+$", url, re.IGNORECASE):
        return None
    return url.replace("(", "%28").replace(")", "%29")
