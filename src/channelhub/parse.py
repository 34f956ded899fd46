"""Feed bytes -> `ParsedFeed` of `Entry` dataclasses: RSS, Atom (feedparser) and JSON Feed.

This module owns the parser boundary and layer 1 of the defence against hostile feeds:

* the bytes are checked before any parser sees them: a size cap, no entity declarations in an
  internal DTD subset (billion laughs, quadratic blowup), and the text of author-like elements
  cut short where feedparser's author parsing is quadratic;
* feedparser only ever gets the bytes (never a URL or path: it would fetch or open it);
* JSON Feed 1.0/1.1 is read by hand with type checks;
* every field of an `Entry` except `summary_html`/`content_html` is already plain text or a
  safe absolute URL (see `clean`); the HTML stays untrusted until `clean.html_to_markdown`,
  and its relative links stay relative: `Entry.base` says what they resolve against (the
  xml:base in scope, else the entry's link), and the converter resolves the few it keeps;
* an entry that cannot be mapped is skipped and recorded, never fatal; a document that is not
  a usable feed raises `FeedError`;
* bytes from the network are parsed in a limited worker process: pull runs `prepare_feed`
  (which calls `parse_feed`) in a `sandbox.Sandbox`.

Policy for survivable problems: encoding mismatches and XML that feedparser could read
leniently become `warnings`; a bad entry becomes a `SkippedEntry`; a document with no
entries that is malformed, refused or not a feed at all is a `FeedError`.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import time
import xml.sax
import xml.sax.expatreader
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import feedparser
import feedparser.api
import feedparser.html
import feedparser.mixin
import feedparser.urls
from feedparser.encodings import convert_to_utf8

from channelhub.clean import AUTHOR_MAX, TITLE_MAX, plain_text, safe_url

MAX_DOCUMENT_BYTES = 20 * 2**20
MAX_ENTRIES = 2000
# feedparser's author parsing is quadratic (16 KB took 2.25 s); 512 bytes takes about 1 ms.
AUTHOR_TEXT_CAP = 512
ID_MAX = 2048
CATEGORY_MAX = 100
MAX_CATEGORIES = 50
HTML_FIELD_MAX = 2_000_000


class FeedError(Exception):
    """The document is not a usable feed; `message` is one line for the pull report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Entry:
    """One feed entry. Text fields are plain text; the two HTML fields are untrusted HTML whose
    relative links resolve against `base`."""

    id: str
    title: str
    link: str | None
    published: datetime | None
    updated: datetime | None
    author: str
    summary_html: str
    content_html: str
    categories: tuple[str, ...]
    #: the base of the HTML that is converted (content, else summary): the xml:base in scope
    #: there, else the entry's link, else the document's URL (not checked: `safe_url` does that)
    base: str | None = None


@dataclass(frozen=True)
class SkippedEntry:
    """An entry left out, by its 0-based position in the document, and why."""

    index: int
    reason: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[Entry, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    warnings: tuple[str, ...] = ()


def parse_feed(body: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
    """Parse a fetched feed document; raise FeedError if it is not a usable feed.

    `url` is where the bytes came from (the base for relative links); `content_type` is the
    HTTP Content-Type header, if any. Runs in the calling process: run it in a
    `sandbox.Sandbox` for bytes from the network.
    """
    if not isinstance(body, bytes):
        raise TypeError("parse_feed takes the document's bytes")
    if len(body) > MAX_DOCUMENT_BYTES:
        raise FeedError(
            f"document is {len(body) / 2**20:.1f} MB, over the {MAX_DOCUMENT_BYTES // 2**20} MB cap"
        )
    if not body.strip():
        raise FeedError("empty document")
    if _is_json(body, content_type):
        return _parse_json_feed(body, url)
    return _parse_xml_feed(body, url, content_type)


def _is_json(body: bytes, content_type: str | None) -> bool:
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return True
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return start != b"<" and (mime.endswith("/json") or mime.endswith("+json"))


# --- layer 1: the bytes -----------------------------------------------------------------------

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DOCTYPE_WITH_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_AUTHOR_OPEN = re.compile(
    rb"<((?:[A-Za-z_][\w.\-]*:)?(?:author|creator|publisher|managingEditor|webMaster))"
    rb"(?:\s[^<>]*)?(?<!/)>",
    re.IGNORECASE,
)
_MARKUP_TOKEN = re.compile(rb"(<!\[CDATA\[.*?\]\]>|<!--.*?-->|<[^>]*>)", re.DOTALL)
_PARTIAL_ENTITY = re.compile(rb"&[#\w]{0,12}$")


def refuse_entity_declarations(document: bytes) -> None:
    """Raise FeedError when an internal DTD subset declares entities (expansion attacks)."""
    first = _FIRST_ELEMENT.search(document)
    prolog = document[: first.start()] if first else document
    doctype = _DOCTYPE_WITH_SUBSET.search(prolog)
    if doctype and _ENTITY_DECLARATION.search(document, doctype.end()):
        raise FeedError(
            "refused: the DOCTYPE declares entities (<!ENTITY ...>), which can expand without bound"
        )


def _cut(text: bytes, budget: int) -> bytes:
    """At most `budget` bytes of XML text, not ending inside a character or an entity."""
    if len(text) <= budget:
        return text
    cut = text[:budget].decode("utf-8", "ignore").encode("utf-8")
    return _PARTIAL_ENTITY.sub(b"", cut)


def _cap_element_text(content: bytes, budget: int) -> bytes:
    """Keep the markup of an element's content but at most `budget` bytes of its text."""
    pieces: list[bytes] = []
    for token in _MARKUP_TOKEN.split(content):
        if token.startswith(b"<![CDATA["):
            kept = _cut(token[9:-3], budget)
            budget -= len(kept)
            pieces.append(b"<![CDATA[" + kept + b"]]>")
        elif token.startswith(b"<!--"):
            continue  # comments would let text runs join up past the cap
        elif token.startswith(b"<"):
            pieces.append(token)
        else:
            kept = _cut(token, budget)
            budget -= len(kept)
            pieces.append(kept)
    return b"".join(pieces)


def cap_author_elements(document: bytes, cap: int = AUTHOR_TEXT_CAP) -> bytes:
    """Truncate the text inside author-like elements to `cap` bytes before feedparser runs."""
    out: list[bytes] = []
    position = 0
    for match in _AUTHOR_OPEN.finditer(document):
        if match.start() < position:
            continue  # inside an element already capped
        close = re.compile(rb"</" + re.escape(match.group(1)) + rb"\s*>", re.IGNORECASE)
        end_match = close.search(document, match.end())
        end = end_match.start() if end_match else len(document)
        if end - match.end() <= cap:
            continue
        out.append(document[position : match.end()])
        out.append(_cap_element_text(document[match.end() : end], cap))
        position = end
    if not out:
        return document
    out.append(document[position:])
    return b"".join(out)


def _to_utf8(body: bytes, content_type: str | None) -> tuple[bytes, dict[str, str], list[str]]:
    """feedparser's own decoding, done first so the byte checks see what the parser will see."""
    headers = {"content-type": content_type} if content_type else {}
    result: dict[str, Any] = {}
    data = convert_to_utf8(headers, body, result)
    warnings = [_describe(result["bozo_exception"])] if result.get("bozo") else []
    if result.get("encoding"):
        return data, {"content-type": "application/xml; charset=utf-8"}, warnings
    return body, headers, warnings


# --- RSS and Atom through feedparser ----------------------------------------------------------


class _BufferedExpatParser(xml.sax.expatreader.ExpatParser):
    """expat that hands over each run of text at once: escaped HTML in a feed is a run of
    entities, and without buffering each one was its own callback into feedparser."""

    def reset(self) -> None:
        super().reset()
        self._parser.buffer_text = True  # type: ignore[attr-defined]


def create_parser() -> xml.sax.expatreader.ExpatParser:
    """The SAX driver feedparser asks for by this module's name (xml.sax.make_parser)."""
    return _BufferedExpatParser()


# feedparser builds its SAX parser from this list of driver modules; the text is the same,
# in a tenth of the calls (about 15% of parse time on typical posts)
feedparser.api.PREFERRED_XML_PARSERS = [__name__]
# feedparser joins the xml:base in scope with itself at every start tag, and each link and id
# with it at the end tag: about 165 urljoins a feed of 20 entries, a quarter of the parse's CPU,
# of a handful of distinct strings. Both functions are pure (strings in, a string out); their
# caches are emptied after each document, so nothing of one feed stays in a worker's memory.
URL_CACHE = 4096
_URL_JOINS = (
    lru_cache(URL_CACHE)(feedparser.urls.make_safe_absolute_uri),
    lru_cache(URL_CACHE)(feedparser.urls._urljoin),
)
feedparser.mixin.make_safe_absolute_uri, feedparser.mixin._urljoin = _URL_JOINS


class _ContentParamsCopy:
    """feedparser.mixin's `copy`, as far as it uses it: a deepcopy of the content construct's
    parameters (type, language, base, src: strings and flags) at each text element's end.
    Their values are immutable, so a copy of the mapping is the same as the generic deepcopy,
    in a tenth of its time (three per entry)."""

    @staticmethod
    def deepcopy(params: dict[str, Any]) -> dict[str, Any]:
        return type(params)(params)


feedparser.mixin.copy = _ContentParamsCopy  # type: ignore[assignment]

# feedparser maps Windows-1252's C1 controls in every text element with str.translate over a
# 32-entry dict, where each other non-ASCII character is a failed lookup (an exception raised
# and caught): 0.4 ms for a 2,700-character post with one curly quote in it. The same mapping
# with every character up to U+2FFF present as itself gives the same strings in a fifth of
# the time (ASCII takes a fast path either way; characters above U+2FFF are looked up as
# before). About 1 MB per process.
C1_TABLE_END = 0x3000
_C1_AS_CP1252 = {code: code for code in range(C1_TABLE_END)} | feedparser.html._cp1252
feedparser.mixin._cp1252 = _C1_AS_CP1252


def _parse_xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    data, headers, warnings = _to_utf8(body, content_type)
    refuse_entity_declarations(data)
    data = cap_author_elements(data)
    try:
        result = feedparser.parse(
            io.BytesIO(data),  # a stream, never str/bytes: those may be opened as a path or URL
            response_headers={**headers, "content-location": url},
            # links are resolved by the converter, against Entry.base: feedparser's resolver
            # re-parsed every HTML field in Python, about a third of the parse's CPU
            resolve_relative_uris=False,
            sanitize_html=False,  # nh3 sanitises later; feedparser's sanitizer has known bypasses
        )
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # feedparser's own bugs on hostile input end this feed only
        raise FeedError(f"feedparser failed: {_describe(exc)}") from None
    finally:
        for join in _URL_JOINS:
            join.cache_clear()
    if result.get("bozo"):
        warnings.append(_describe(result.get("bozo_exception")))
    raw_entries = list(result.get("entries") or [])
    if not raw_entries:
        problem = result.get("bozo_exception")
        if isinstance(problem, xml.sax.SAXException):
            raise FeedError(f"malformed XML with no entries: {_describe(problem)}")
        if not result.get("version"):
            raise FeedError("not a feed: no RSS, Atom or RDF root element and no entries")
    if len(raw_entries) > MAX_ENTRIES:
        warnings.append(f"{len(raw_entries)} entries; only the first {MAX_ENTRIES} are read")
        raw_entries = raw_entries[:MAX_ENTRIES]
    feed = result.get("feed") or {}
    entries: list[Entry] = []
    skipped: list[SkippedEntry] = []
    for index, raw in enumerate(raw_entries):
        try:
            entries.append(_entry_from_feedparser(raw, url))
        except Exception as exc:  # one bad entry never sinks the feed
            skipped.append(SkippedEntry(index, f"{type(exc).__name__}: {exc}"))
    return ParsedFeed(
        title=_detail_text(feed.get("title"), feed.get("title_detail"), TITLE_MAX),
        link=safe_url(feed.get("link"), base=url),
        entries=tuple(entries),
        skipped=tuple(skipped),
        warnings=tuple(dict.fromkeys(w for w in warnings if w)),
    )


def _describe(exc: object) -> str:
    if exc is None:
        return ""
    if isinstance(exc, xml.sax.SAXParseException):
        return f"not well-formed XML (line {exc.getLineNumber()}: {exc.getMessage()})"
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _detail_text(value: Any, detail: Any, max_len: int) -> str:
    """A text construct as plain text: markup only when feedparser says it is HTML."""
    if not isinstance(value, str):
        return ""
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    return plain_text(value, max_len=max_len, markup=kind in _HTML_TYPES)


def _detail_html(value: Any, kind: str | None) -> str:
    """A text construct as HTML: plain text is escaped, HTML kept (still untrusted)."""
    if not isinstance(value, str) or not value.strip():
        return ""
    value = value[:HTML_FIELD_MAX]
    if kind in _HTML_TYPES:
        return value
    return text_to_html(value)


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines separate them)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _struct_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError, TypeError):
        return None


def _best_content(raw: Any) -> dict[str, Any] | None:
    """The entry's content construct to use: the first HTML one, else the first with a value."""
    contents = [c for c in (raw.get("content") or []) if isinstance(c, dict) and c.get("value")]
    if not contents:
        return None
    return next((c for c in contents if c.get("type") in _HTML_TYPES), contents[0])


def _html_base(detail: Any, url: str, link: str | None) -> str | None:
    """What relative links in a text construct resolve against: its xml:base, else the link.

    feedparser records in `base` the xml:base in scope, or the document's URL where none is;
    with no xml:base the page the entry links to is the better base (RSS has no other).
    """
    declared = detail.get("base") if isinstance(detail, dict) else None
    if isinstance(declared, str) and declared and declared != url:
        return declared
    return link or url or None


_RSS_AUTHOR = re.compile(r"\s*[^\s@()]+@[^\s()]+\s*\((?P<name>[^()]+)\)\s*")


def _author(raw: Any) -> str:
    written = raw.get("author")
    # RSS "email (Name)": feedparser's own split mangles long top-level domains.
    rss = _RSS_AUTHOR.fullmatch(written) if isinstance(written, str) else None
    if rss:
        names = [rss.group("name")]
    else:
        names = [a.get("name") for a in (raw.get("authors") or []) if isinstance(a, dict)]
        names = [n for n in names if isinstance(n, str) and n.strip()]
    if not names:
        detail = raw.get("author_detail") or {}
        names = [detail.get("name") or written or ""]
    return plain_text(", ".join(dict.fromkeys(names)), max_len=AUTHOR_MAX)


def _categories(terms: Iterable[Any]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for term in terms:
        text = plain_text(term if isinstance(term, str) else "", max_len=CATEGORY_MAX)
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
        if len(seen) >= MAX_CATEGORIES:
            break
    return tuple(seen.values())


def fallback_id(title: str, published: datetime | None, body: str = "") -> str:
    """A stable id for an entry with neither id nor link: a hash of title and date."""
    basis = "\n".join([title, published.isoformat() if published else "", "" if title else body])
    return "sha256:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def _entry_id(raw_id: Any, link: str | None, title: str, published: datetime | None,
              body: str) -> str:  # fmt: skip
    if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool):
        text = plain_text(str(raw_id), max_len=ID_MAX, markup=False)
        if text:
            return text
    return link or fallback_id(title, published, body[:1000])


def _entry_from_feedparser(raw: Any, url: str) -> Entry:
    title = _detail_text(raw.get("title"), raw.get("title_detail"), TITLE_MAX)
    link = safe_url(raw.get("link"), base=url)
    # dict.get: FeedParserDict.get maps a missing updated_parsed to published_parsed.
    published = _struct_to_datetime(
        dict.get(raw, "published_parsed") or dict.get(raw, "created_parsed")
    )
    updated = _struct_to_datetime(dict.get(raw, "updated_parsed"))
    summary_detail = raw.get("summary_detail") or {}
    summary_html = _detail_html(raw.get("summary"), summary_detail.get("type", "text/html"))
    content = _best_content(raw)
    content_html = _detail_html(content.get("value"), content.get("type")) if content else ""
    tags = [t.get("term") or t.get("label") for t in (raw.get("tags") or []) if isinstance(t, dict)]
    return Entry(
        id=_entry_id(raw.get("id"), link, title, published, content_html or summary_html),
        title=title,
        link=link,
        published=published,
        updated=updated,
        author=_author(raw),
        summary_html=summary_html,
        content_html=content_html,
        categories=_categories(tags),
        base=_html_base(content if content_html else summary_detail, url, link),
    )


# --- JSON Feed 1.0 / 1.1 ----------------------------------------------------------------------


class _BadItem(Exception):
    """An item whose fields have the wrong types; the message is the skip reason."""


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, (int, float)) else "null"
    )


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadItem(f"'{key}' must be a string, got {_type_name(value)}")
    return value


def _json_datetime(
    obj: dict[str, Any], key: str, warnings: list[str], where: str
) -> datetime | None:
    value = _opt_str(obj, key)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        warnings.append(f"{where}: '{key}' is not an RFC 3339 date: {value[:40]!r}")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # RFC 3339 requires an offset; assume UTC
    return parsed.astimezone(UTC)


def _json_authors(obj: dict[str, Any]) -> list[str]:
    """Names from JSON Feed 1.1 `authors` or 1.0 `author`."""
    authors = obj.get("authors")
    if authors is None and obj.get("author") is not None:
        authors = [obj["author"]]
    if authors is None:
        return []
    if not isinstance(authors, list):
        raise _BadItem(f"'authors' must be an array, got {_type_name(authors)}")
    names = []
    for author in authors:
        if not isinstance(author, dict):
            raise _BadItem(f"an author must be an object, got {_type_name(author)}")
        name = _opt_str(author, "name")
        if name and name.strip():
            names.append(name)
    return names


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FeedError(f"invalid JSON: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(document, dict):
        raise FeedError(f"not a JSON Feed: the top level is {_type_name(document)}, not an object")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedError("not a JSON Feed: 'version' is missing or not a jsonfeed.org URL")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError(f"not a JSON Feed: 'items' must be an array, got {_type_name(items)}")
    warnings: list[str] = []
    if len(items) > MAX_ENTRIES:
        warnings.append(f"{len(items)} items; only the first {MAX_ENTRIES} are read")
        items = items[:MAX_ENTRIES]
    title = document.get("title")
    if not isinstance(title, str):
        warnings.append("feed 'title' is missing or not a string")
        title = ""
    home = document.get("home_page_url")
    try:
        feed_authors = _json_authors(document)
    except _BadItem as exc:
        warnings.append(f"feed authors ignored: {exc}")
        feed_authors = []
    entries: list[Entry] = []
    skipped: list[SkippedEntry] = []
    for index, item in enumerate(items):
        try:
            entries.append(_entry_from_json(item, url, feed_authors, warnings, index))
        except _BadItem as exc:
            skipped.append(SkippedEntry(index, str(exc)))
        except Exception as exc:  # one bad item never sinks the feed
            skipped.append(SkippedEntry(index, f"{type(exc).__name__}: {exc}"))
    return ParsedFeed(
        title=plain_text(title, max_len=TITLE_MAX, markup=False),
        link=safe_url(home if isinstance(home, str) else None, base=url),
        entries=tuple(entries),
        skipped=tuple(skipped),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _entry_from_json(item: Any, url: str, feed_authors: list[str], warnings: list[str],
                     index: int) -> Entry:  # fmt: skip
    if not isinstance(item, dict):
        raise _BadItem(f"item is {_type_name(item)}, not an object")
    raw_id = item.get("id")
    if raw_id is not None and (
        isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, float))
    ):
        raise _BadItem(f"'id' must be a string, got {_type_name(raw_id)}")
    where = f"item {index}"
    link = safe_url(_opt_str(item, "url"), base=url) or safe_url(
        _opt_str(item, "external_url"), base=url
    )
    title = plain_text(_opt_str(item, "title"), max_len=TITLE_MAX, markup=False)
    content_html = _opt_str(item, "content_html")
    content_text = _opt_str(item, "content_text")
    content = (content_html or "")[:HTML_FIELD_MAX] or text_to_html(content_text or "")
    summary = _opt_str(item, "summary")
    tags = item.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise _BadItem("'tags' must be an array of strings")
    published = _json_datetime(item, "date_published", warnings, where)
    authors = _json_authors(item) or feed_authors
    return Entry(
        id=_entry_id(
            str(raw_id) if isinstance(raw_id, float) else raw_id, link, title, published, content
        ),
        title=title,
        link=link,
        published=published,
        updated=_json_datetime(item, "date_modified", warnings, where),
        author=plain_text(", ".join(dict.fromkeys(authors)), max_len=AUTHOR_MAX, markup=False),
        summary_html=text_to_html(summary or ""),
        content_html=content,
        categories=_categories(tags or []),
        base=link or url or None,
    )
