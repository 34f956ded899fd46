"""Script safety of editor-written pages: the pull-request check.

This module owns layer 5 of the hub's defence against hostile content (issue 5; layer 4, the
last net over pulled pieces, is `channelhub.sanitize`):

* `check_markdown` / `check_html` / `check_tree`: pages under docs/, pulled pieces included (an
  editor may edit one by hand in a pull request; what pull itself writes passes), may not carry
  script: raw `<script>`, `<iframe>`, `<object>`, `<embed>` (and their kin), on* handlers in
  HTML or in an attr_list, `javascript:`/`vbscript:`/`data:text/html` URLs, or snippet
  includes that reach outside docs/. Code spans and fenced code blocks show code, so they are
  not flagged.

Markdown is scanned twice: a text scan gives exact lines, and a render with the site's own
extensions (`render`, parsed with html5lib, as a browser would) catches whatever the text scan
cannot see, such as code spans that are literal inside a raw HTML block. The same render
collects the Markdown links and images the build would resolve, for `channelhub.links`.
Layer 6 (front matter that always round-trips) lives in `channelhub.frontmatter`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import html5lib
import markdown
from markdown.treeprocessors import Treeprocessor

from channelhub.frontmatter import split
from channelhub.problems import Problem
from channelhub.urls import is_web_url

# --- layer 5: what an editor's pull request may contain ------------------------------------------

#: elements that run or embed active content wherever they appear in a page
ACTIVE_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base", "meta"}
)
#: attributes whose value a browser follows or loads as a URL (SVG animation values included)
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
        "cite", "codebase", "dynsrc", "lowsrc", "srcset", "srcdoc", "ping", "manifest",
        "longdesc", "usemap", "icon", "archive", "classid", "content", "values", "to", "from",
        "by", "xml:base",
    }
)  # fmt: skip
# Attributes holding a list of values (SVG animation); each value may be a URL.
_LIST_ATTRIBUTES = frozenset({"values", "to", "from", "by", "srcset", "content"})
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:")
_SAFE_DATA = re.compile(r"data:image/(?:png|gif|jpe?g|webp|avif|bmp|x-icon)[;,]")
# Characters a browser's URL parser drops or a renderer strips before the scheme is read.
_URL_INVISIBLE = re.compile(
    r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]"
)
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_LIST_SEPARATOR = re.compile(r"[;,\s]+")


def dangerous_scheme(url: str) -> str | None:
    """The script-running scheme a URL really has ('javascript:', 'data:text/html', ...), or None.

    Judged the way a browser reads it: character references decoded once, Markdown escapes
    undone, whitespace/control/invisible characters removed, case folded.
    """
    value = _URL_INVISIBLE.sub("", _MARKDOWN_ESCAPE.sub(r"\1", html.unescape(url))).lower()
    for scheme in _SCRIPT_SCHEMES:
        if value.startswith(scheme):
            return scheme
    if value.startswith("data:") and not _SAFE_DATA.match(value):
        media = re.match(r"data:([a-z0-9.+\-]+/[a-z0-9.+\-]+)?", value)
        return "data:" + ((media and media.group(1)) or "")
    return None


def _attribute_scheme(name: str, value: str) -> str | None:
    if name in _LIST_ATTRIBUTES:
        text = re.sub(r"[\t\n\r]", "", html.unescape(value))
        parts = (re.sub(r"(?i)^url=", "", part) for part in _LIST_SEPARATOR.split(text))
        found = (dangerous_scheme(part) for part in parts if part)
        return next((scheme for scheme in found if scheme), None)
    return dangerous_scheme(value)


@dataclass(frozen=True)
class Finding:
    """One thing that could run script: where (line in the scanned text) and what."""

    line: int
    key: tuple[str, str]  # ("tag", "script") | ("handler", "onclick") | ("url", "javascript:")
    where: str = ""  # how it was written: "a Markdown link", "attribute 'href'", ...


def message(finding: Finding) -> str:
    """The line an editor reads for a finding."""
    kind, what = finding.key
    if kind == "tag":
        return _TAG_MESSAGES.get(what, f"<{what}> is not allowed: it embeds active content")
    if kind == "handler":
        how = " in an attribute list" if finding.where == "attr_list" else ""
        return f"event handler attribute '{what}'{how} is not allowed: it runs script"
    if kind == "snippet":
        return (
            f"snippet include '{what}' reaches outside docs/: "
            "include files under docs/ by a path relative to it"
        )
    return f"'{what}' URL in {finding.where or 'a link'} is not allowed: use http, https or mailto"


_TAG_MESSAGES = {
    "script": "raw <script> is not allowed: it runs in readers' browsers (show code in a fenced code block)",
    "iframe": "<iframe> is not allowed: embedded pages can run script (link to the page instead)",
    "object": "<object> is not allowed: embedded content can run script (link to it instead)",
    "embed": "<embed> is not allowed: embedded content can run script (link to it instead)",
    "base": "<base> is not allowed: it redirects every relative link on the page",
    "meta": "<meta> is not allowed in a page: it can redirect readers",
}


class _TagScanner(HTMLParser):
    """Start tags in (masked) text with their line: active elements, handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[Finding] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        raw = self.get_starttag_text() or ""
        if tag in ACTIVE_TAGS:
            self.findings.append(Finding(line, ("tag", tag)))
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.findings.append(Finding(_line_in(raw, name, line), ("handler", name)))
            elif name in URL_ATTRIBUTES and value and (scheme := _attribute_scheme(name, value)):
                where = f"attribute '{name}'"
                self.findings.append(Finding(_line_in(raw, name, line), ("url", scheme), where))

    handle_startendtag = handle_starttag


def _line_in(raw_tag: str, attribute: str, tag_line: int) -> int:
    """The line an attribute sits on, for a tag written over several lines."""
    found = re.search(rf"[\s/\"']{re.escape(attribute)}(?=[\s=/>]|$)", raw_tag, re.IGNORECASE)
    return tag_line + (raw_tag.count("\n", 0, found.start() + 1) if found else 0)


def _scan_tags(text: str) -> list[Finding]:
    scanner = _TagScanner()
    scanner.feed(text)
    scanner.close()
    return scanner.findings


# Markdown that opens or closes a fenced code block (superfences allows any indent and `~~~`).
_FENCE = re.compile(r"^[ \t]*(?:>[ \t]?)*(`{3,}|~{3,})(.*)$")
_BACKTICKS = re.compile(r"`+")


@lru_cache(maxsize=2)  # the script check and the link check both mask the page being read
def mask_code(text: str) -> str:
    """`text` with fenced code blocks and code spans blanked out (lines and columns kept).

    An unclosed fence is not code for Python-Markdown, so it is left as text.
    """
    return _mask_code_spans(mask_fences(text))


def mask_fences(text: str) -> str:
    """`text` with fenced code blocks blanked out (lines and columns kept)."""
    lines = text.split("\n")
    code_lines: set[int] = set()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            close = _closing_fence(lines, index, opening.group(1))
            if close is not None:
                code_lines.update(range(index, close + 1))
                index = close + 1
                continue
        index += 1
    return "\n".join(_blank(line) if i in code_lines else line for i, line in enumerate(lines))


def _closing_fence(lines: list[str], start: int, fence: str) -> int | None:
    for index in range(start + 1, len(lines)):
        closing = _FENCE.match(lines[index])
        if (
            closing
            and closing.group(1)[0] == fence[0]
            and len(closing.group(1)) >= len(fence)
            and not closing.group(2).strip()
        ):
            return index
    return None


def _blank(value: str) -> str:
    return re.sub(r"[^\n]", " ", value)


def _mask_code_spans(text: str) -> str:
    """Blank each code span the way Python-Markdown finds them: equal backtick runs, one paragraph."""
    out = []
    for paragraph in re.split(r"(\n[ \t]*\n)", text):
        out.append(_mask_spans_in(paragraph))
    return "".join(out)


def _mask_spans_in(paragraph: str) -> str:
    chars = list(paragraph)
    runs = [m for m in _BACKTICKS.finditer(paragraph) if not _escaped(paragraph, m.start())]
    used = 0
    for i, run in enumerate(runs):
        if run.start() < used:
            continue
        closing = next(
            (r for r in runs[i + 1 :] if len(r.group()) == len(run.group())),
            None,
        )
        if closing is None:
            continue
        for j in range(run.start(), closing.end()):
            if chars[j] != "\n":
                chars[j] = " "
        used = closing.end()
    return "".join(chars)


def _escaped(text: str, at: int) -> bool:
    """True when the character at `at` follows an odd run of backslashes."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


_INLINE_LINK = re.compile(r"\]\(\s*(?:<([^>\n]*)>|([^\s)]+(?:\([^\s)]*\))?[^\s)]*))")
_REFERENCE = re.compile(r"^[ \t]{0,3}\[(?!\^)[^\]\n]+\]:[ \t]*(?:<([^>\n]*)>|(\S+))", re.MULTILINE)
_AUTOLINK = re.compile(r"(?<!\()<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>")
_ATTR_LIST = re.compile(r"\{:?([^{}\n]*)\}")
_ATTR_PAIR = re.compile(r"""([^\s=#.{}]+)=("[^"]*"|'[^']*'|[^\s}]+)""")


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class Destination:
    """Where a Markdown link, image or link definition points, as written, and its line."""

    line: int
    url: str
    where: str  # "a Markdown link" | "a Markdown image" | "a link definition"


def destinations(masked: str) -> Iterator[Destination]:
    """Inline links and images, then link definitions, in text whose code is masked."""
    for match in _INLINE_LINK.finditer(masked):
        url = match.group(1) if match.group(1) is not None else match.group(2)
        opening = masked.rfind("[", 0, match.start())
        image = opening > 0 and masked[opening - 1] == "!"
        where = "a Markdown image" if image else "a Markdown link"
        yield Destination(_line_at(masked, match.start()), url, where)
    for match in _REFERENCE.finditer(masked):
        url = match.group(1) if match.group(1) is not None else match.group(2)
        yield Destination(_line_at(masked, match.start()), url, "a link definition")


def _markdown_findings(masked: str) -> Iterator[Finding]:
    """Script URLs in Markdown links, images, definitions and autolinks; handlers in attr_list."""
    for found in destinations(masked):
        if scheme := dangerous_scheme(found.url):
            yield Finding(found.line, ("url", scheme), found.where)
    for match in _AUTOLINK.finditer(masked):
        if scheme := dangerous_scheme(match.group(1)):
            yield Finding(_line_at(masked, match.start()), ("url", scheme), "an autolink")
    for match in _ATTR_LIST.finditer(masked):
        line = _line_at(masked, match.start())
        for pair in _ATTR_PAIR.finditer(match.group(1)):
            name, value = pair.group(1).lower(), pair.group(2).strip("\"'")
            if re.fullmatch(r"on[a-z]+", name):
                yield Finding(line, ("handler", name), "attr_list")
            elif name in URL_ATTRIBUTES and (scheme := _attribute_scheme(name, value)):
                yield Finding(line, ("url", scheme), f"attribute list key '{name}'")


# pymdownx.snippets' own markers: `--8<-- "path"` on a line, or a block between `--8<--` lines.
_SNIPPET_LINE = re.compile(
    r"""^[ \t]*(?P<escape>;*)(?:-+8<-+[ \t]+(?P<quoted>"(?:\\"|[^"\n\r])+?"|'(?:\\'|[^'\n\r])+?')"""
    r"""(?![ \t])|(?P<block>-+8<-+)(?![ \t]))\r?$"""
)
_SNIPPET_SUFFIX = re.compile(
    r"(?:(?::-?[0-9]*){1,2}(?:,-?[0-9]*(?::-?[0-9]*)?)*|:[a-z][-_0-9a-z]*)$", re.I
)


def snippet_paths(text: str) -> Iterator[tuple[int, str]]:
    """(line, path) of every snippet include, inside code blocks too: snippets run first."""
    in_block = False
    for number, line in enumerate(text.split("\n"), start=1):
        marker = _SNIPPET_LINE.match(line)
        if marker and marker.group("escape"):
            continue
        if marker and marker.group("block"):
            in_block = not in_block
        elif marker and not in_block:
            yield number, marker.group("quoted")[1:-1].strip()
        elif in_block and line.strip() and not line.strip().startswith(";"):
            yield number, line.strip()


def escapes_docs(path: str, docs_dir: Path | None = None) -> bool:
    """True when a snippet path is absolute, climbs with '..', or resolves outside docs/."""
    target = _SNIPPET_SUFFIX.sub("", path).strip()
    if is_web_url(target, host=False):
        return False  # remote snippets are off in mkdocs.yml (url_download); the build refuses them
    parts = re.split(r"[\\/]+", target)
    if target.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", target) or ".." in parts:
        return True
    if docs_dir is None:
        return False
    base = docs_dir.resolve()
    return not (base / target).resolve().is_relative_to(base)


# The site's Markdown extensions (mkdocs.yml) without snippets, which are checked as text above.
SITE_EXTENSIONS: tuple[str, ...] = (
    "attr_list",
    "md_in_html",
    "admonition",
    "footnotes",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
)


class _LinkCollector(Treeprocessor):
    """The Markdown links and images of a render, at the point MkDocs rewrites and checks them
    (its own treeprocessor runs last, at priority 0, as this one does); raw HTML is not there."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.found: list[tuple[str, str]] = []

    def run(self, root: Any) -> None:
        for element in root.iter():
            if element.tag == "a" and element.get("href") is not None:
                self.found.append(("a", element.get("href")))
            elif element.tag == "img" and element.get("src") is not None:
                self.found.append(("img", element.get("src")))


@lru_cache(maxsize=1)
def _renderer() -> tuple[markdown.Markdown, _LinkCollector]:
    md = markdown.Markdown(
        extensions=list(SITE_EXTENSIONS), extension_configs={"toc": {"permalink": True}}
    )
    collector = _LinkCollector(md)
    md.treeprocessors.register(collector, "hub-links", 0)
    return md, collector


@dataclass(frozen=True)
class Rendered:
    """A Markdown body rendered with the site's extensions (snippets aside)."""

    html: str
    #: (tag, URL) of each Markdown link ("a") and image ("img"), as the build would resolve them
    links: tuple[tuple[str, str], ...]


def render(text: str) -> Rendered:
    """Render a Markdown body once, for the script check and the link check alike."""
    renderer, collector = _renderer()
    renderer.reset()
    collector.found = []
    html_text = renderer.convert(text)
    return Rendered(html_text, tuple(collector.found))


def rendered_keys(html_text: str) -> Counter[tuple[str, str]]:
    """What in an HTML fragment could run script, as a browser parses it (html5lib)."""
    found: Counter[tuple[str, str]] = Counter()
    tree = html5lib.parseFragment(html_text, treebuilder="etree", namespaceHTMLElements=False)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        tag = element.tag.rpartition("}")[2].lower()
        if tag in ACTIVE_TAGS:
            found["tag", tag] += 1
        for raw_name, value in element.attrib.items():
            name = _attribute_name(raw_name)
            if re.fullmatch(r"on[a-z]+", name):
                found["handler", name] += 1
            elif name in URL_ATTRIBUTES and (scheme := _attribute_scheme(name, value)):
                found["url", scheme] += 1
    return found


def _attribute_name(raw: str) -> str:
    if raw.startswith("{http://www.w3.org/1999/xlink}"):
        return "xlink:" + raw.rpartition("}")[2]
    return raw.rpartition("}")[2].lower()


def _needle(key: tuple[str, str]) -> re.Pattern[str]:
    kind, what = key
    if kind == "tag":
        return re.compile(rf"<{re.escape(what)}\b", re.IGNORECASE)
    if kind == "handler":
        return re.compile(rf"\b{re.escape(what)}\s*=", re.IGNORECASE)
    return re.compile(re.escape(what.partition(":")[0]), re.IGNORECASE)


def _locate(text: str, masked: str, key: tuple[str, str]) -> int:
    """Best line for something only the render saw: first outside code, else first anywhere."""
    needle = _needle(key)
    for source in (masked, text):
        found = needle.search(source)
        if found:
            return _line_at(source, found.start())
    return 1


def scan_markdown(text: str, rendered: Rendered | None = None) -> list[Finding]:
    """Findings in a Markdown body, by line of `text` (1-based), without snippet includes;
    `rendered` is the body's `render` when the caller has it already."""
    masked = mask_code(text)
    findings = _scan_tags(masked) + list(_markdown_findings(masked))
    seen = Counter(f.key for f in findings)
    for key, count in rendered_keys((rendered or render(text)).html).items():
        findings += [Finding(_locate(text, masked, key), key)] * max(0, count - seen[key])
    return findings


def _problems(findings: list[Finding], *, path: str, first_line: int) -> list[Problem]:
    problems = {Problem(path, first_line + f.line - 1, message(f)) for f in findings}
    return sorted(problems)


def check_markdown(
    text: str,
    *,
    path: str,
    body_line: int = 1,
    docs_dir: Path | None = None,
    rendered: Rendered | None = None,
) -> list[Problem]:
    """Problems in a Markdown body; `body_line` is the file line it starts on.

    With `docs_dir`, snippet paths are also resolved (symlinks included) to prove they stay inside.
    """
    findings = scan_markdown(text, rendered)
    findings += [
        Finding(line, ("snippet", target))
        for line, target in snippet_paths(text)
        if escapes_docs(target, docs_dir)
    ]
    return _problems(findings, path=path, first_line=body_line)


def check_html(text: str, *, path: str) -> list[Problem]:
    """Problems in a static HTML or SVG file that the site would serve from its own origin."""
    findings = _scan_tags(text)
    seen = Counter(f.key for f in findings)
    for key, count in rendered_keys(text).items():
        findings += [Finding(_locate(text, text, key), key)] * max(0, count - seen[key])
    return _problems(findings, path=path, first_line=1)


#: static files under docs/ that a browser would run as a page of the site
ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".svg"})
PULLED_DIR = "sources"


_PULLED_MARK = re.compile(r"^source:[ \t]*\S", re.MULTILINE)


@dataclass(frozen=True)
class PageFile:
    """A page or active file under docs/, read once for every check of it."""

    path: Path
    display: str  # the path from the repository's root, for messages
    text: str  # without a byte-order mark
    front_matter: str | None  # the YAML text of a Markdown file's front matter
    body: str
    body_line: int  # the file line the body starts on

    @property
    def is_markdown(self) -> bool:
        return self.path.suffix == ".md"


def page_files(
    root: Path, wanted: Callable[[str], bool] = lambda _display: True
) -> Iterator[PageFile]:
    """Pages and active files under `root`/docs (those whose path from `root` is `wanted`),
    hidden folders aside; unreadable files are left to the content model, which reports them
    with their own message."""
    docs_dir = root / "docs"
    if not docs_dir.is_dir():
        return
    for path in sorted(docs_dir.rglob("*")):
        relative = path.relative_to(docs_dir).parts
        if any(part.startswith(".") for part in relative):
            continue
        if not path.is_file() or not (
            path.suffix == ".md" or path.suffix.lower() in ACTIVE_SUFFIXES
        ):
            continue
        display = path.relative_to(root).as_posix()
        if not wanted(display):
            continue
        try:
            text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError):
            continue
        if path.suffix != ".md":
            yield PageFile(path, display, text, None, text, 1)
            continue
        front_matter, body, body_line = split(text)
        yield PageFile(path, display, text, front_matter, body, body_line)


def is_pulled(page: PageFile, docs_dir: Path) -> bool:
    """A piece that pull wrote (or an editor edits) under docs/sources/, with its `source:`."""
    in_sources = page.path.relative_to(docs_dir).parts[0] == PULLED_DIR
    return (
        in_sources
        and page.front_matter is not None
        and bool(_PULLED_MARK.search(page.front_matter))
    )


def check_page(page: PageFile, docs_dir: Path, rendered: Rendered | None = None) -> list[Problem]:
    """Script-safety problems in one page (`rendered`: its body's `render`, if made already)."""
    if not page.is_markdown:
        return check_html(page.text, path=page.display)
    return check_markdown(
        page.body, path=page.display, body_line=page.body_line, docs_dir=docs_dir, rendered=rendered
    )


def check_tree(root: Path) -> list[Problem]:
    """Script-safety problems in every page under `root`/docs, pulled pieces included."""
    return [p for page in page_files(root) for p in check_page(page, root / "docs")]
