"""Untrusted feed values -> safe plain text, safe URLs and safe Markdown.

This module owns layers 2 and 3 of the hub's defence against hostile feeds (issue 5):

* `plain_text` / `summary_to_text`: every field of a feed except the entry's HTML body is text,
  never markup: tags stripped, entities decoded once, control and bidi-override characters
  dropped, whitespace collapsed, length capped.
* `safe_url`: http(s) only (mailto for authors), judged after normalising entities, control
  characters and whitespace the way browsers do; the result is percent-encoded so it can sit
  inside Markdown link syntax or an HTML attribute without breaking out of it.
* `html_to_markdown`: nh3 sanitises on a strict allowlist, then a markdownify converter writes
  Markdown in which every text character that means something to Python-Markdown or the site's
  extensions (raw HTML, attr_list, admonitions, snippets, Jinja, front matter, link syntax) is
  escaped, so rendering the result can only produce the allowlisted elements.

Escaping for the place a value lands (YAML, templates, feeds) stays the caller's job.
"""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3
from bs4 import MarkupResemblesLocatorWarning, Tag
from markdownify import (  # type: ignore[attr-defined]  # helpers absent from its stubs
    MarkdownConverter,
    should_remove_whitespace_inside,
    should_remove_whitespace_outside,
)

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
# Elements removed together with their content (the rest of a disallowed element's text stays).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
        "select", "textarea", "title", "noembed", "noframes", "xmp", "frameset", "head",
    }
)  # fmt: skip
LINK_REL = "nofollow noopener"

# Feed HTML that looks like a URL or file name is still HTML; bs4's hint is noise here.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

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
    parts = urlsplit(value.replace("\\", "/"))
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    raw_host = parts.netloc.rpartition("@")[2]
    if raw_host.startswith("["):
        host = raw_host[: raw_host.find("]") + 1].lower()
        if not re.fullmatch(r"\[[0-9a-f:.]+\]", host):
            return None
    else:
        normalised = _normalise_host(parts.hostname)
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
        base_url = safe_url(base) if base else None
        if base_url is None:
            return None
        value = urljoin(base_url, value.replace("\\", "/"))
    elif scheme.group(1).lower() == "mailto":
        return _mailto(value) if allow_mailto else None
    result = _web_url(value)
    if result is None or len(result) > URL_MAX:
        return None
    return result


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
_TEXT_RUNS = re.compile(r"\?(?=\?\?)|~(?=~~)")  # details (???) and tilde fences (~~~)
# List, setext and thematic-break markers (and YAML's "...") at the start of a line.
_LINE_START = re.compile(r"^(\s*)(?:([-+.])|([0-9]+)([.)])|(=))")
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")
_SNIPPET_LINE = re.compile(r"^([ \t]*)(;*-+8<-+)", re.MULTILINE)
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_TOP_LEVEL = frozenset({"[document]", "figure"})


def escape_text(text: str) -> str:
    """Inline Markdown that renders as exactly `text` (one line, no syntax of any extension)."""
    escaped = _TEXT_RUNS.sub(lambda m: f"&#{ord(m.group())};", text.translate(_TEXT_ESCAPES))
    return _LINE_START.sub(_escape_line_start, escaped)


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


class _SafeConverter(MarkdownConverter):  # type: ignore[misc]
    """markdownify with every text node escaped and every URL re-checked against the base."""

    def __init__(self, base_url: str | None, rel_attrs: bool) -> None:
        super().__init__(
            heading_style="atx",
            bullets="-",
            escape_asterisks=False,
            escape_underscores=False,
            escape_misc=False,
            autolinks=False,
            strip_document="strip",
            bs4_options="html.parser",
        )
        self.base_url = base_url
        self.rel_attrs = rel_attrs

    def process_text(self, el: Any, parent_tags: set[str] | None = None) -> str:
        parent_tags = parent_tags or set()
        text = str(el)
        if "pre" not in parent_tags:
            # One line per text node: line starts only come from the structure we write.
            text = _WHITESPACE.sub(" ", strip_invisible(text))
        if "_noformat" not in parent_tags:
            text = escape_text(text)
        # markdownify's own rule: no whitespace at the edges of block elements.
        if should_remove_whitespace_outside(el.previous_sibling) or (
            should_remove_whitespace_inside(el.parent) and not el.previous_sibling
        ):
            text = text.lstrip(" \t\r\n")
        if should_remove_whitespace_outside(el.next_sibling) or (
            should_remove_whitespace_inside(el.parent) and not el.next_sibling
        ):
            text = text.rstrip()
        return text

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags:
            return text
        href = safe_url(str(el.get("href") or ""), base=self.base_url, allow_mailto=True)
        prefix = " " if text.startswith(" ") else ""
        suffix = " " if text.endswith(" ") else ""
        text = text.strip()
        if not text or not href:
            return f"{prefix}{text}{suffix}"
        rel = '{: rel="nofollow noopener" }' if self.rel_attrs else ""
        return f"{prefix}[{text}]({href}){rel}{suffix}"

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        alt = escape_text(plain_text(str(el.get("alt") or ""), max_len=300, markup=False))
        src = safe_url(str(el.get("src") or ""), base=self.base_url)
        if src is None:
            return alt
        if "_inline" in parent_tags:
            return alt
        return f"![{alt}]({src})"

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags:
            return text
        return _code_span(el.get_text())

    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        code = el.get_text().strip("\n")
        if not code.strip():
            return ""
        if not set(parent_tags) <= _TOP_LEVEL:
            # Inside a list, quote, table or heading a fence may not be recognised, and then its
            # unescaped lines would be Markdown: write one code span per line instead.
            spans = [_code_span(line) for line in code.splitlines()]
            return "\n\n" + "  \n".join(s for s in spans if s) + "\n\n"
        code = _defuse_code(strip_invisible_code(code))
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}\n{code}\n{fence}\n\n"

    def convert_hN(self, n: int, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Only the page title is an h1; a feed's h1 becomes a section heading.
        return str(super().convert_hN(max(n, 2), el, text, parent_tags))  # type: ignore[misc]

    def convert_hr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Never '---': a line of its own could be read as a front-matter delimiter.
        return "\n\n* * *\n\n"

    def convert_td(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return " " + text.strip().replace("\n", " ") + " |"

    convert_th = convert_td


def strip_invisible_code(code: str) -> str:
    """Code keeps tabs and newlines; other control and bidi characters go (Trojan Source)."""
    return "".join(c for c in code if c in "\t\n" or not _dropped(c))


def html_to_markdown(html_text: str | None, *, base_url: str | None, rel_attrs: bool = True) -> str:
    """Untrusted HTML as Markdown that renders to the allowlisted elements only.

    Relative links and images are resolved against `base_url`; links that are not http(s) or
    mailto are dropped (their text stays). With `rel_attrs`, links carry
    `{: rel="nofollow noopener" }` for attr_list; pass False where attr_list is not enabled.
    """
    if not html_text or not html_text.strip():
        return ""
    converter = _SafeConverter(base_url, rel_attrs)
    markdown = str(converter.convert(sanitize_html(html_text)))
    markdown = _BLANK_LINES.sub("\n\n", markdown).strip()
    return "\n".join(
        line.rstrip() if not line.endswith("  ") else line for line in markdown.split("\n")
    )
