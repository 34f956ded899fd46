"""Untrusted feed values -> safe plain text, safe URLs and safe Markdown.

This module owns layers 2 and 3 of the hub's defence against hostile feeds (issue 5):

* `plain_text` / `summary_to_text`: every field of a feed except the entry's HTML body is text,
  never markup: tags stripped, entities decoded once, control and bidi-override characters
  dropped, whitespace collapsed, length capped.
* `safe_url`: http(s) only (mailto for authors), judged after normalising entities, control
  characters and whitespace the way browsers do; the result is percent-encoded so it can sit
  inside Markdown link syntax or an HTML attribute without breaking out of it.
* `html_to_markdown`: nh3 sanitises on a strict allowlist, then a small converter over nh3's
  well-formed output writes Markdown in which every text character that means something to
  Python-Markdown or the site's extensions (raw HTML, attr_list, admonitions, snippets, Jinja,
  front matter, link syntax) is escaped and every URL re-checked, so rendering the result can
  only produce the allowlisted elements.

Escaping for the place a value lands (YAML, templates, feeds) stays the caller's job.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3

from channelhub.urls import is_web_url

TITLE_MAX = 300
AUTHOR_MAX = 200
SUMMARY_MAX = 400
URL_MAX = 2048
# Bodies above this are truncated before sanitising: a pulled post, not a book.
HTML_MAX = 1_000_000

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
        "caption", "img", "figure", "figcaption", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href"},
    "img": {"src", "alt"},
    "ol": {"start"},
    "td": {"colspan"},
    "th": {"colspan"},
}
# Elements removed together with their content (the rest of a disallowed element's text stays),
# in feed bodies and again in rendered pulled pieces (channelhub.sanitize).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
        "select", "textarea", "title", "noembed", "noframes", "xmp", "frameset", "frame",
        "applet", "head",
    }
)  # fmt: skip
LINK_REL = "nofollow noopener"

# Block-level tags whose boundaries separate words when markup becomes text.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|"
    r"header|footer|dd|dt|dl|figure|figcaption|hr|img)\b)",
    re.IGNORECASE,
)
# Characters kept although Unicode calls them "format": joiners used by emoji and scripts.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
_TAG_CHARS = range(0xE0020, 0xE0080)  # emoji subdivision flags are spelled with tag characters


def _is_dropped_char(char: str) -> bool:
    """Control, bidi/format, surrogate and non-characters: invisible or able to reorder text."""
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return True
    if category == "Cf":
        return char not in _KEPT_FORMAT and ord(char) not in _TAG_CHARS
    return ord(char) in (0xFFFE, 0xFFFF)


@lru_cache(maxsize=4096)
def _dropped(char: str) -> bool:
    return _is_dropped_char(char)


_WHITESPACE_CONTROLS = str.maketrans({c: " " for c in "\t\n\r\x0b\x0c\x85\u2028\u2029"})
_ASCII_SAFE = re.compile(r"[\x20-\x7e]*")


def strip_invisible(value: str) -> str:
    """Line/paragraph separators become spaces; other control and format characters go."""
    value = value.translate(_WHITESPACE_CONTROLS)
    if _ASCII_SAFE.fullmatch(value):
        return value
    return "".join(c for c in value if not _dropped(c))


def _cap(text: str, max_len: int) -> str:
    """Cut at a word boundary near `max_len` and mark the cut with an ellipsis."""
    if len(text) <= max_len:
        return text
    cut = text[: max(max_len - 1, 0)]
    space = cut.rfind(" ")
    if space >= max_len * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


@lru_cache(maxsize=1)
def _tag_stripper() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT), attributes={})


def plain_text(value: str | None, *, max_len: int, markup: bool = True) -> str:
    """A feed field as one line of plain text, at most `max_len` characters.

    With `markup=True` (HTML values) tags are stripped and entities decoded once. With
    `markup=False` the value is already text (its entities were decoded by the XML parser), so
    entities are left alone; anything tag-like is still stripped, as defence in depth for
    the places that forget to escape.
    """
    if not value:
        return ""
    # Bound the work on absurd input; the cap below keeps at most max_len characters anyway.
    value = value[: max(max_len * 20, 10_000)]
    if not markup:
        value = value.replace("&", "&amp;")  # so the tag stripper decodes nothing of the text
    if "<" in value:
        value = _tag_stripper().clean(_BLOCK_TAG.sub(" <", value))
    if "&" in value:
        value = html.unescape(value)
    value = strip_invisible(value)
    return _cap(" ".join(value.split()), max_len)


def summary_to_text(value: str | None, *, max_len: int = SUMMARY_MAX) -> str:
    """An entry's summary (HTML) as one paragraph of plain text, cut at a word boundary."""
    return plain_text(value, max_len=max_len, markup=True)


# --- URLs -------------------------------------------------------------------------------------

# Numeric references with or without ';' (browsers accept both), named ones only with ';' so a
# query such as `?a=1&copy=2` keeps its meaning.
_CHAR_REF = re.compile(r"&(#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,8};?|[A-Za-z][A-Za-z0-9]{1,31};)")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# Outside these, characters are percent-encoded: no quote, space, paren, bracket or angle
# bracket can end a Markdown link or an HTML attribute early.
_PATH_SAFE = "/:@!$&*+,;=-._~%"
_QUERY_SAFE = "/?:@!$&*+,;=-._~%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9\-_]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-_]*[a-z0-9])?)*\.?")
_MAILBOX = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.\-]{1,255}")


def _decode_char_refs(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        ref = match.group(0)
        decoded = html.unescape(ref if ref.endswith(";") else ref + ";")
        return ref if decoded == ref + ";" else decoded

    return _CHAR_REF.sub(one, value)


def _normalise_url_text(value: str) -> str:
    """What a browser would act on: entities decoded, tabs/newlines/controls gone."""
    value = _decode_char_refs(value)
    # WHATWG URL parsing removes tabs and newlines anywhere and trims C0 controls and spaces.
    value = "".join(c for c in value if not (c in "\t\n\r" or _dropped(c)))
    value = value.replace("\u2028", "").replace("\u2029", "")
    return value.strip(" \x0c\xa0")


def _quote(part: str, safe: str) -> str:
    return _LONE_PERCENT.sub("%25", quote(part, safe=safe))


def _normalise_host(hostname: str) -> str | None:
    if hostname.startswith("[") or ":" in hostname:
        return None
    try:
        ascii_host = hostname.encode("idna").decode("ascii") if not hostname.isascii() else hostname
    except UnicodeError:
        return None
    ascii_host = ascii_host.lower()
    return ascii_host if _HOST.fullmatch(ascii_host) else None


def _web_url(value: str) -> str | None:
    # Browsers read '\' as '/' in http(s) URLs, so "https:\\evil.example" is a real host.
    value = value.replace("\\", "/")
    if not is_web_url(value):
        return None
    parts = urlsplit(value)
    raw_host = parts.netloc.rpartition("@")[2]
    if raw_host.startswith("["):
        host = raw_host[: raw_host.find("]") + 1].lower()
        if not re.fullmatch(r"\[[0-9a-f:.]+\]", host):
            return None
    else:
        normalised = _normalise_host(parts.hostname or "")  # is_web_url saw a host
        if normalised is None:
            return None
        host = normalised
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            _quote(parts.path, _PATH_SAFE) or "/",
            _quote(parts.query, _QUERY_SAFE),
            _quote(parts.fragment, _QUERY_SAFE),
        )
    )


def _mailto(value: str) -> str | None:
    address = value.split(":", 1)[1].split("?", 1)[0]
    if not _MAILBOX.fullmatch(address):
        return None
    return "mailto:" + _quote(address, "@.+-_~!$*=,;%")


def safe_url(url: str | None, *, base: str | None = None, allow_mailto: bool = False) -> str | None:
    """An absolute http(s) URL (or mailto: when allowed) that is safe to print, else None.

    The URL is judged after decoding character references and dropping the characters a browser
    ignores, so `&#106;avascript:`, `java\\tscript:` or a U+2028 before `javascript:` are seen
    for what they are. Relative URLs are resolved against `base` (itself checked first).
    """
    if not url:
        return None
    value = _normalise_url_text(url[: URL_MAX * 2])
    if not value:
        return None
    scheme = _URL_SCHEME.match(value)
    if scheme is None:
        base_url = _checked_base(base) if base else None
        if base_url is None:
            return None
        value = urljoin(base_url, value.replace("\\", "/"))
    elif scheme.group(1).lower() == "mailto":
        return _mailto(value) if allow_mailto else None
    result = _web_url(value)
    if result is None or len(result) > URL_MAX:
        return None
    return result


@lru_cache(maxsize=256)
def _checked_base(base: str) -> str | None:
    """safe_url of a base URL, once: a body's links and images all share one base."""
    return safe_url(base)


# --- HTML -> Markdown -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _sanitiser() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes={"http", "https", "mailto"},
    )


def sanitize_html(value: str) -> str:
    """nh3 on the hub's strict allowlist; URLs are re-checked by the Markdown converter."""
    return _sanitiser().clean(value[:HTML_MAX])


# Text characters that Python-Markdown or an enabled extension would read as syntax. Backslash
# escapes where Python-Markdown honours them, character references where it does not.
_TEXT_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "{": "&#123;",  # not "\\{": Jinja would still see the "{%" in "\\{%"
        "}": "&#125;",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "!": "\\!",
        "|": "\\|",
        ">": "&gt;",
        "<": "&lt;",
        "&": "&amp;",
    }
)
_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(map(chr, _TEXT_ESCAPES))) + "]")
_TEXT_RUNS = re.compile(r"\?(?=\?\?)|~(?=~~)")  # details (???) and tilde fences (~~~)
# List, setext and thematic-break markers (and YAML's "...") at the start of a line.
_LINE_START = re.compile(r"^(\s*)(?:([-+.])|([0-9]+)([.)])|(=))")
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")
_SNIPPET_LINE = re.compile(r"^([ \t]*)(;*-+8<-+)", re.MULTILINE)


def escape_text(text: str) -> str:
    """Inline Markdown that renders as exactly `text` (one line, no syntax of any extension)."""
    # The searches first: most prose has none of these, and translate() costs more than a scan.
    if _NEEDS_ESCAPE.search(text):
        text = text.translate(_TEXT_ESCAPES)
    if "???" in text or "~~~" in text:
        text = _TEXT_RUNS.sub(lambda m: f"&#{ord(m.group())};", text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, bullet, digits, delimiter, equals = match.groups()
    if bullet:
        return f"{indent}\\{bullet}"
    if digits:
        return f"{indent}{digits}\\{delimiter}"
    return f"{indent}&#{ord(equals)};"


def _defuse_code(code: str) -> str:
    """Code stays literal, but Jinja and snippet preprocessors run before code is recognised."""
    code = _JINJA_OPEN.sub("{\u200b", code)
    # pymdownx.snippets drops one leading ';' from a marker line and includes nothing.
    return _SNIPPET_LINE.sub(r"\1;\2", code)


def _code_span(code: str) -> str:
    code = _defuse_code(" ".join(code.split()))
    if not code:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or code.startswith(" ") else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def strip_invisible_code(code: str) -> str:
    """Code keeps tabs and newlines; other control and bidi characters go (Trojan Source)."""
    return "".join(c for c in code if c in "\t\n" or not _dropped(c))


# markdownify over BeautifulSoup cost ~6.6 ms a body, over the pull budget (<= 0.5 ms): nh3's
# output is small and well-formed, so a regex tokenizer and a tree walk write the Markdown.

# nh3 (html5ever) writes lower-case tags, double-quoted attributes, `<` escaped in text and
# attributes and no comments; anything else (a stray `<`) is read as text and escaped.
_TOKEN = re.compile(
    r"<([a-z][a-z0-9]*)((?:\s+[^\s\"'>/=]+=\"[^\"]*\")*)\s*/?>|</([a-z][a-z0-9]*)\s*>|[^<]+|<"
)
_ATTRIBUTE = re.compile(r"([^\s\"'>/=]+)=\"([^\"]*)\"")
_VOID = frozenset({"br", "img", "hr"})
_INLINE = frozenset({"a", "em", "strong", "b", "i", "code", "img", "br"})
_HEADING_LEVEL = {f"h{n}": n for n in range(1, 7)}
_SPACES = re.compile(" {2,}")
# Printable ASCII that escape_text leaves alone (it never adds to this set, only removes).
_PLAIN_TEXT = re.compile(r"[ \"$%'()+,\-./0-9:;=?@A-Z^a-z~]*")
_LIST_START = re.compile(r"[0-9]{1,9}")
# Real posts nest lists and quotes a few levels deep; hostile ones thousands, past the recursion
# limit of this module and of Python-Markdown.
MAX_DEPTH = 32
# A cell may say colspan=1000; no table of a pulled post needs more columns than this.
MAX_TABLE_COLUMNS = 64

Block = tuple[str, str]  # (kind, Markdown): kind is "text", "list", "heading", "quote", ...


class _Element:
    """One element of the sanitised tree: its tag, attributes and children (str = text)."""

    __slots__ = ("attrs", "children", "has_block", "tag")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Element | str] = []
        self.has_block = False  # some descendant is not inline (set by the parser)


def _attributes(source: str) -> dict[str, str]:
    return {
        name: html.unescape(value) if "&" in value else value
        for name, value in _ATTRIBUTE.findall(source)
    }


def _parse_sanitised(markup: str) -> _Element:
    """nh3's output as a tree; end tags close what they match, anything unexpected is text.

    Elements nested deeper than MAX_DEPTH are left out (their text stays in the element
    above), so neither this module nor Python-Markdown recurses without bound.
    """
    root = _Element("", {})
    stack = [root]
    too_deep: list[str] = []  # open elements left out, innermost last
    for match in _TOKEN.finditer(markup):
        start, attrs, end = match.group(1, 2, 3)
        if start in ALLOWED_TAGS and len(stack) > MAX_DEPTH and start not in _VOID:
            too_deep.append(start)
            continue
        if end is not None and too_deep:
            if too_deep[-1] == end:  # always, for nh3's well-formed output
                too_deep.pop()
                continue
            if end in too_deep:
                while too_deep.pop() != end:
                    pass
                continue
        if start in ALLOWED_TAGS:
            element = _Element(start, _attributes(attrs) if attrs else {})
            stack[-1].children.append(element)
            if start not in _INLINE:
                for open_element in stack:
                    open_element.has_block = True
            if start not in _VOID:
                stack.append(element)
            continue
        if end in ALLOWED_TAGS:
            if stack[-1].tag == end:
                stack.pop()
            elif any(open_element.tag == end for open_element in stack[1:]):
                while stack.pop().tag != end:
                    pass
            continue
        text = match.group(0)
        # Not merged with a text before it (only a left-out tag splits text): no quadratic +=.
        stack[-1].children.append(html.unescape(text) if "&" in text else text)
    return root


def _raw_text(node: _Element | str) -> str:
    """A subtree's text as <pre> shows it: tags gone, <br> a newline."""
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join([_raw_text(child) for child in node.children])


def _text_markdown(text: str) -> str:
    """A text node as one line of escaped inline Markdown (whitespace runs become a space)."""
    line = " ".join(text.split())  # line separators too: line starts only come from structure
    if not line:
        return " " if text else ""
    if text[0].isspace():
        line = " " + line
    if text[-1].isspace():
        line += " "
    if _PLAIN_TEXT.fullmatch(line) and "???" not in line and "~~~" not in line:
        return _LINE_START.sub(_escape_line_start, line)  # the common case, checked in one scan
    if not _ASCII_SAFE.fullmatch(line):
        line = "".join(c for c in line if not _dropped(c))
    return escape_text(line)


def _chomp(text: str) -> tuple[str, str, str]:
    """Edge spaces and breaks move outside the markup, so `<b> x<br></b>` is ` **x**` + break."""
    core = text.strip(" \n")
    if not core:
        return ("\n" if "\n" in text else " " if text else ""), "", ""
    lead = text[: len(text) - len(text.lstrip(" \n"))]
    trail = text[len(text.rstrip(" \n")) :]
    return (
        "\n" if "\n" in lead else lead[:1],
        core,
        "\n" if "\n" in trail else trail[:1],
    )


def _paragraphs(run: list[str]) -> list[Block]:
    """Inline content as paragraphs: one <br> is a hard break, two or more end a paragraph."""
    out: list[Block] = []
    lines: list[str] = []
    for line in "".join(run).split("\n"):
        line = line.strip(" ")
        if "  " in line:  # where inline pieces meet; text itself is already one-spaced
            line = _SPACES.sub(" ", line)
        if line:
            lines.append(line)
        elif lines:
            out.append(("text", "  \n".join(lines)))
            lines = []
    if lines:
        out.append(("text", "  \n".join(lines)))
    return out


def _join(blocks: list[Block]) -> str:
    return "\n\n".join(markdown for _, markdown in blocks)


def _code_block(code: str, top: bool) -> list[Block]:
    code = code.strip("\n")
    if not code.strip():
        return []
    if not top:
        # Inside a list, quote, table or heading a fence may not be recognised, and then its
        # unescaped lines would be Markdown: write one code span per line instead.
        spans = [_code_span(line) for line in code.splitlines()]
        return [("text", "  \n".join(s for s in spans if s))]
    code = _defuse_code(strip_invisible_code(code))
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return [("code", f"{fence}\n{code}\n{fence}")]


def _list_item(bullet: str, blocks: list[Block]) -> str:
    """Python-Markdown's reading: the first block's lines (up to a blank line) stay in the
    item with a 2-space indent; a nested list and every later block need 4 spaces."""
    first_kind, first = blocks[0]
    lines = [bullet + _indent(first, "    " if first_kind == "list" else "  ")]
    for kind, markdown in blocks[1:]:
        lines.append(("\n" if kind == "list" else "\n\n") + "    " + _indent(markdown, "    "))
    return "".join(lines)


def _indent(markdown: str, prefix: str) -> str:
    """Every line but the first gets `prefix`; blank lines stay empty."""
    return markdown.replace("\n", "\n" + prefix).replace("\n" + prefix + "\n", "\n\n")


def _table_markdown(rows: list[list[tuple[str, int]]], header: bool) -> str:
    width = min(max(sum(span for _, span in row) for row in rows), MAX_TABLE_COLUMNS)

    def row_line(cells: list[tuple[str, int]]) -> str:
        # colspan: the cell, then empty cells, as Python-Markdown has no spans.
        parts = [f" {text} |" + " |" * (span - 1) for text, span in cells]
        return "|" + "".join(parts)

    head = rows[0] if header else [("", 1)] * width
    head_line = row_line(head) + " |" * (width - sum(span for _, span in head))
    lines = [head_line, "|" + " --- |" * width]
    lines.extend(row_line(row) for row in (rows[1:] if header else rows))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Writer:
    """Writes the Markdown of one body; links and images are resolved against `base_url`."""

    base_url: str | None
    rel: str
    images: bool = True  # False: an image becomes its alt text

    # Inline content: one logical line, '\n' only for <br>. `flat` (headings, table cells,
    # link text): blocks and <br> become spaces, images their alt text.

    def inline(self, node: _Element | str, flat: bool) -> str:
        if isinstance(node, str):
            return _text_markdown(node)
        tag = node.tag
        if tag == "a":
            return self.link(node, flat)
        if tag in ("em", "i", "strong", "b"):
            prefix, text, suffix = _chomp(self.inlines(node.children, flat))
            if not text:
                return prefix
            marker = "*" if tag in ("em", "i") else "**"
            return f"{prefix}{marker}{text}{marker}{suffix}"
        if tag == "code":
            return _code_span(strip_invisible(_raw_text(node)))
        if tag == "img":
            return self.image(node, flat)
        if tag == "br":
            return " " if flat else "\n"
        if tag == "pre":
            return f" {_code_span(strip_invisible(_raw_text(node)))} "
        return f" {self.inlines(node.children, flat)} "  # a block inside inline content

    def inlines(self, nodes: list[_Element | str], flat: bool) -> str:
        return "".join([self.inline(node, flat) for node in nodes])

    def link(self, element: _Element, flat: bool) -> str:
        # A line break would split the link text: a space does instead.
        prefix, text, suffix = _chomp(self.inlines(element.children, flat).replace("\n", " "))
        href = safe_url(element.attrs.get("href"), base=self.base_url, allow_mailto=True)
        if not text or href is None:
            return f"{prefix}{text}{suffix}"
        return f"{prefix}[{text}]({href}){self.rel}{suffix}"

    def image(self, element: _Element, flat: bool) -> str:
        alt = escape_text(plain_text(element.attrs.get("alt"), max_len=300, markup=False))
        if flat or not self.images:
            return alt
        src = safe_url(element.attrs.get("src"), base=self.base_url)
        return alt if src is None else f"![{alt}]({src})"

    def line(self, nodes: list[_Element | str]) -> str:
        """Inline content on one line: a heading or a table cell."""
        return " ".join(self.inlines(nodes, True).split())

    # Blocks: (kind, Markdown) pairs; a container joins them with blank lines.

    def blocks(self, nodes: list[_Element | str], top: bool) -> list[Block]:
        """The blocks of a container; `top` when a code fence would sit at the document root."""
        out: list[Block] = []
        run: list[str] = []
        for node in nodes:
            if isinstance(node, str):
                run.append(_text_markdown(node))
                continue
            if node.tag in _INLINE and not node.has_block:
                run.append(self.inline(node, False))
                continue
            if run:
                out.extend(_paragraphs(run))
                run = []
            out.extend(self.block(node, top))
        if run:
            out.extend(_paragraphs(run))
        return out

    def block(self, element: _Element, top: bool) -> list[Block]:
        tag = element.tag
        level = _HEADING_LEVEL.get(tag)
        if level is not None:
            # Only the page title is an h1; a feed's h1 becomes a section heading.
            text = self.line(element.children)
            return [("heading", f"{'#' * max(level, 2)} {text}")] if text else []
        if tag in ("ul", "ol"):
            return self.list_blocks(
                element.children, ordered=tag == "ol", start=element.attrs.get("start")
            )
        if tag == "li":  # an item outside a list
            return self.list_blocks([element], ordered=False, start=None)
        if tag == "blockquote":
            inner = _join(self.blocks(element.children, False))
            quoted = "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
            return [("quote", quoted)] if inner else []
        if tag == "pre":
            return _code_block(_raw_text(element), top)
        if tag == "table":
            return self.table(element)
        if tag == "hr":
            # Never '---': a line of its own could be read as a front-matter delimiter.
            return [("hr", "* * *")]
        # p, figure, figcaption, caption, stray table parts, inline elements holding blocks
        return self.blocks(element.children, top)

    def list_blocks(
        self, nodes: list[_Element | str], ordered: bool, start: str | None
    ) -> list[Block]:
        number = int(start) if start and _LIST_START.fullmatch(start) else 1
        out: list[Block] = []
        items: list[str] = []
        stray: list[_Element | str] = []  # text or elements directly in <ul>/<ol>
        for node in nodes:
            if isinstance(node, str) and node.isspace():
                continue  # the newlines between items
            if isinstance(node, str) or node.tag != "li":
                stray.append(node)
                continue
            if stray:
                out.extend(_list_block(items))
                out.extend(self.blocks(stray, False))
                items, stray = [], []
            blocks = self.blocks(node.children, False)
            if blocks:
                items.append(_list_item(f"{number}. " if ordered else "- ", blocks))
            number += 1
        out.extend(_list_block(items))
        out.extend(self.blocks(stray, False))
        return out

    def table(self, table: _Element) -> list[Block]:
        before: list[Block] = []  # the caption
        after: list[_Element | str] = []  # anything else that is not a row
        rows: list[list[tuple[str, int]]] = []
        header = False
        for section in table.children:
            if isinstance(section, _Element) and section.tag == "caption":
                before.extend(self.blocks(section.children, False))
                continue
            in_head = isinstance(section, _Element) and section.tag == "thead"
            members = (
                section.children
                if isinstance(section, _Element) and section.tag in ("thead", "tbody", "tfoot")
                else [section]
            )
            for row in members:
                if not isinstance(row, _Element) or row.tag != "tr":
                    after.append(row)
                    continue
                cells = [
                    c for c in row.children if isinstance(c, _Element) and c.tag in ("td", "th")
                ]
                after.extend(
                    c
                    for c in row.children
                    if not isinstance(c, _Element) or c.tag not in ("td", "th")
                )
                if not cells:
                    continue
                if not rows:
                    header = in_head or all(c.tag == "th" for c in cells)
                rows.append([(self.line(c.children), _colspan(c)) for c in cells])
        blocks = before
        if any(text for row in rows for text, _ in row):
            blocks.append(("table", _table_markdown(rows, header)))
        return blocks + self.blocks(after, False)


def _colspan(cell: _Element) -> int:
    value = cell.attrs.get("colspan", "")
    return min(int(value), MAX_TABLE_COLUMNS) if _LIST_START.fullmatch(value) and int(value) else 1


def _list_block(items: list[str]) -> list[Block]:
    if not items:
        return []
    # An item of several blocks makes the list loose; without a blank line before it, the
    # next item would be read as a lazy continuation of the last paragraph.
    loose = any("\n\n" in item for item in items)
    return [("list", ("\n\n" if loose else "\n").join(items))]


def html_to_markdown(
    html_text: str | None, *, base_url: str | None, rel_attrs: bool = True, images: bool = True
) -> str:
    """Untrusted HTML as Markdown that renders to the allowlisted elements only.

    Relative links and images are resolved against `base_url`; links that are not http(s) or
    mailto are dropped (their text stays). With `rel_attrs`, links carry
    `{: rel="nofollow noopener" }` for attr_list; pass False where attr_list is not enabled.
    With `images=False` every image becomes its alt text (a source's `images: drop`).
    """
    if not html_text or not html_text.strip():
        return ""
    tree = _parse_sanitised(sanitize_html(html_text))
    writer = _Writer(base_url, '{: rel="nofollow noopener" }' if rel_attrs else "", images)
    return _join(writer.blocks(tree.children, True))
