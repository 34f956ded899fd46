"""Links and images in the pages under docs/, checked before the build, the way the build reads them.

Owns `SiteFiles` (every file a build of the hub holds: the files under docs/ as MkDocs collects
them, plus the pages and feeds the hub generates) and `check_links`, which holds a page's links
to them:

* a relative Markdown link or image (`[a](x.md)`, `![a](x.png)`, `[a][ref]` with
  `[ref]: x.md`) must name one of those files, from the Markdown file's folder: MkDocs rewrites
  it to the target's URL, and a strict build fails on one it cannot resolve (a link to a folder,
  such as `../topics/x/`, included);
* a link in raw HTML (`<a href>`, `<img src>`) is not rewritten, so it must lead to a page or
  file of the site from the page's own address (`/articles/2026/x/` for articles/2026/x.md);
* an absolute path (`/topics/x/`) must be a page or file of the site; MkDocs leaves those as
  they are, so one that leads nowhere is a warning, not an error.

Code spans and code blocks are not links: the links come from a render with the site's own
Markdown extensions (`safety.render`), and only their lines from the text.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib

from channelhub.content import url_of
from channelhub.problems import Problem, Severity, closest, did_you_mean
from channelhub.safety import Rendered, destinations, mask_code
from channelhub.urls import resolve_address

# What MkDocs leaves out of a build by default (its `exclude_docs` defaults).
_EXCLUDED_TOP = ("templates",)
# Paths the engine or the theme serve although no file under docs/ or of the hub's names them.
_ENGINE_FILES = frozenset({"sitemap.xml", "sitemap.xml.gz", "404.html"})
_ENGINE_PREFIXES = ("search-index/", "assets/javascripts/", "assets/stylesheets/", "assets/images/")
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def docs_files(docs_dir: Path) -> list[str]:
    """Every file under docs/ that MkDocs puts in a build, as a posix path under docs/."""
    found = []
    for path in docs_dir.rglob("*"):
        parts = path.relative_to(docs_dir).parts
        if any(p.startswith(".") for p in parts) or parts[0] in _EXCLUDED_TOP:
            continue
        if path.is_file():
            found.append("/".join(parts))
    return sorted(found)


@dataclass(frozen=True)
class SiteFiles:
    """The files of one build by their path under docs/ (what a Markdown link names)."""

    files: frozenset[str]

    @cached_property
    def urls(self) -> dict[str, str]:
        """Each file's address from the site's root (a page's directory URL), to the file."""
        return {(url_of(f) if f.endswith(".md") else f): f for f in sorted(self.files)}

    @cached_property
    def _by_folder(self) -> Mapping[str, list[str]]:
        folders: dict[str, list[str]] = {}
        for name in self.files:
            folder, _, base = name.rpartition("/")
            folders.setdefault(folder, []).append(base)
        return folders

    def serves(self, address: str) -> bool:
        """Whether the site answers at `address` (no leading slash; '' is the home page)."""
        address = "" if address == "." else address
        if address.endswith("index.html"):
            address = address[: -len("index.html")]
        return (
            address in self.urls
            or f"{address}/" in self.urls
            or address in _ENGINE_FILES
            or address.startswith(_ENGINE_PREFIXES)
        )

    def closest_file(self, src_uri: str) -> str | None:
        """The file of the build closest in name to a missing `src_uri`, in the same folder."""
        folder, _, base = src_uri.rpartition("/")
        found = closest(base, self._by_folder.get(folder, ()))
        return f"{folder}/{found}" if folder and found else found


@dataclass(frozen=True)
class Verdict:
    """What is wrong with one link target."""

    message: str
    severity: Severity = "error"


def _what(tag: str) -> str:
    return "image" if tag == "img" else "link"


def target_problem(
    site: SiteFiles, src_uri: str, tag: str, url: str, *, raw_html: bool = False
) -> Verdict | None:
    """What is wrong with a link or image (`tag` "a" or "img") of the page `src_uri`, or None:
    a Markdown one as MkDocs resolves it, from the file's folder; one in raw HTML (`raw_html`),
    which MkDocs leaves as written, from the page's address."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None  # another site
    if url.startswith(("/", "\\")):
        return absolute_target(site, tag, url)
    if not parts.path or posixpath.normpath(parts.path) == ".":
        return None  # an anchor or a query on this very page
    path = unquote(parts.path)
    if raw_html:
        return _from_address(site, src_uri, tag, url, path)
    return _from_file(site, src_uri, tag, url, path)


def _from_file(site: SiteFiles, src_uri: str, tag: str, url: str, path: str) -> Verdict | None:
    target = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), path)).lstrip("/")
    if target in site.files:
        return None
    what = _what(tag)
    if target == ".." or target.startswith("../"):
        return Verdict(f"{what} '{url}' climbs out of docs/: link to files under docs/ only")
    folder = posixpath.dirname(src_uri) or "."
    if not posixpath.splitext(path)[1]:
        for guess in (f"{target}/index.md", f"{target}.md", f"{target}/README.md"):
            if guess in site.files:
                return Verdict(
                    f"link '{url}' names a folder, which the build cannot resolve: "
                    f"link to its page, '{posixpath.relpath(guess, folder)}'"
                )
        return Verdict(f"broken {what} '{url}': there is no docs/{target}")
    message = f"broken {what} '{url}': there is no docs/{target}"
    found = site.closest_file(target)
    if found:
        message += f" (did you mean '{posixpath.relpath(found, folder)}'?)"
    return Verdict(message)


def _from_address(site: SiteFiles, src_uri: str, tag: str, url: str, path: str) -> Verdict | None:
    here = url_of(src_uri)
    target = resolve_address(here, path)
    if site.serves(target):
        return None
    message = (
        f"broken {_what(tag)} '{url}' in HTML: from this page's address /{here} "
        f"it leads to /{target}, which is not on the site"
    )
    from_file = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), path))
    if from_file in site.files:
        address = url_of(from_file) if from_file.endswith(".md") else from_file
        slash = "/" if address == "" or address.endswith("/") else ""
        better = posixpath.relpath("/" + address, "/" + here) + slash
        message += (
            f" (HTML links are relative to the page's address, not its file: write '{better}')"
        )
    return Verdict(message)


def absolute_target(site: SiteFiles, tag: str, url: str) -> Verdict | None:
    """A link by its path from the site's root, which the build leaves as written."""
    path = urlsplit(url).path
    address = posixpath.normpath("/" + unquote(path).lstrip("/\\")).lstrip("/")
    if site.serves(address):
        return None
    known = ("/" + u for u in site.urls if u.endswith("/") or not u.endswith(".md"))
    hint = did_you_mean("/" + address + ("/" if path.endswith("/") else ""), known)
    return Verdict(f"{_what(tag)} '{url}' is not a page or file of this site{hint}", "warning")


class _RawLinks(HTMLParser):
    """<a href> and <img src> written as HTML, with their lines (in text whose code is masked)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.found.append((self.getpos()[0], tag, value))

    handle_startendtag = handle_starttag


def _rendered_links(html_text: str) -> Counter[tuple[str, str]]:
    """(tag, URL) of every link and image in rendered HTML, as a browser parses it."""
    tree = html5lib.parseFragment(html_text, treebuilder="etree", namespaceHTMLElements=False)
    found: Counter[tuple[str, str]] = Counter()
    for element in tree.iter():
        if element.tag == "a" and element.get("href") is not None:
            found["a", element.get("href")] += 1
        elif element.tag == "img" and element.get("src") is not None:
            found["img", element.get("src")] += 1
    return found


@dataclass
class _Lines:
    """Where a page's link targets are written, to point at the right line."""

    masked: str
    destinations: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.destinations = [
            (d.line, _MARKDOWN_ESCAPE.sub(r"\1", d.url.strip())) for d in destinations(self.masked)
        ]

    def of(self, url: str) -> list[int]:
        lines = sorted({line for line, written in self.destinations if written == url})
        if lines:
            return lines
        found = self.masked.find(url)
        return [self.masked.count("\n", 0, found) + 1 if found >= 0 else 1]


def check_links(
    text: str,
    rendered: Rendered,
    *,
    src_uri: str,
    path: str,
    body_line: int,
    site: SiteFiles,
    held: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Broken links and images in one Markdown body (`rendered`: its `safety.render`), and
    links to the pieces a build leaves out (`held`: path under docs/ -> what it is)."""
    problems: list[Problem] = []
    masked = mask_code(text)
    lines = _Lines(masked)
    for tag, url in dict.fromkeys(rendered.links):
        verdict = target_problem(site, src_uri, tag, url)
        if verdict is None and held and tag == "a":
            verdict = _held_target(held, src_uri, url)
        if verdict is not None:
            problems += [
                Problem(path, body_line + n - 1, verdict.message, verdict.severity)
                for n in lines.of(url)
            ]
    problems += _raw_html_problems(
        masked, rendered, src_uri=src_uri, path=path, body_line=body_line, site=site
    )
    return problems


def link_target(src_uri: str, url: str) -> str | None:
    """The file under docs/ a relative Markdown link of `src_uri` names, or None."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path or url.startswith(("/", "\\")):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), unquote(parts.path)))


def _held_target(held: Mapping[str, str], src_uri: str, url: str) -> Verdict | None:
    target = link_target(src_uri, url)
    if target is None or target not in held:
        return None
    return Verdict(
        f"links to {held[target]} (docs/{target}): the build shows the link's text without"
        " the link until it is published",
        "warning",
    )


def _raw_html_problems(
    masked: str, rendered: Rendered, *, src_uri: str, path: str, body_line: int, site: SiteFiles
) -> Iterator[Problem]:
    if "<a" not in masked.lower() and "<img" not in masked.lower():
        return
    scanner = _RawLinks()
    scanner.feed(masked)
    scanner.close()
    if not scanner.found:
        return
    # Only what really is HTML in the render: not a tag inside an indented code block.
    raw = _rendered_links(rendered.html) - Counter(rendered.links)
    for line, tag, url in scanner.found:
        if raw[tag, url] <= 0:
            continue
        verdict = target_problem(site, src_uri, tag, url, raw_html=True)
        if verdict is not None:
            yield Problem(path, body_line + line - 1, verdict.message, verdict.severity)


def site_files(docs: Iterable[str], generated: Iterable[str]) -> SiteFiles:
    """The build's files: those under docs/ and those the hub adds (a hand-written file wins)."""
    return SiteFiles(frozenset(docs) | frozenset(generated))
