"""Layer 1 and the parser boundary (channelhub.parse, channelhub.sandbox).

Hand-written feeds in tests/data/feeds sit beside their expected result (`x.xml` +
`x.expected.json`); hostile byte-level inputs are generated here.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channelhub.clean import html_to_markdown
from channelhub.parse import (
    AUTHOR_TEXT_CAP,
    MAX_DOCUMENT_BYTES,
    FeedError,
    ParsedFeed,
    cap_author_elements,
    parse_feed,
    refuse_entity_declarations,
)
from channelhub.sandbox import Sandbox, SandboxError
from scratch import billion_laughs, quadratic_blowup
from test_clean import assert_safe_markdown

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"
FEED_URL = "https://acme.example/feeds/main.xml"
CASES = sorted(p for p in FEEDS.iterdir() if not p.name.endswith(".expected.json"))


def as_json(feed: ParsedFeed) -> Any:
    return json.loads(json.dumps(dataclasses.asdict(feed), default=lambda o: o.isoformat()))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_feed_matches_expected(path: Path) -> None:
    expected = json.loads((FEEDS / (path.stem + ".expected.json")).read_text(encoding="utf-8"))
    feed = parse_feed(path.read_bytes(), url=FEED_URL, content_type=None)
    assert as_json(feed) == expected
    for entry in feed.entries:
        for value in (entry.published, entry.updated):
            assert value is None or value.tzinfo is UTC
        for html_field in (entry.summary_html, entry.content_html):
            assert_safe_markdown(html_to_markdown(html_field, base_url=entry.link or FEED_URL))


def test_rss_fields_in_detail() -> None:
    feed = parse_feed((FEEDS / "rss20.xml").read_bytes(), url=FEED_URL, content_type="text/xml")
    first, link_only, hashed = feed.entries
    assert first.id == "acme-1234"
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert first.categories == ("Budgets", "Marketing & IT")
    assert link_only.id == link_only.link == "https://acme.example/blog/2024/link-only"
    assert hashed.link is None  # javascript: link refused
    assert hashed.id.startswith("sha256:")
    again = parse_feed((FEEDS / "rss20.xml").read_bytes(), url=FEED_URL, content_type=None)
    assert again.entries[2].id == hashed.id  # stable between runs


def test_json_feed_detected_by_content_type_and_by_brace() -> None:
    body = (FEEDS / "jsonfeed11.json").read_bytes()
    by_type = parse_feed(b"\n" + body, url=FEED_URL, content_type="application/feed+json")
    by_sniff = parse_feed(body, url=FEED_URL, content_type="text/plain")
    assert by_type == by_sniff
    assert [s.index for s in by_type.skipped] == [2, 3, 4]


def test_json_feed_1_0_author_object() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "title": "Old",
            "items": [{"id": "a", "author": {"name": "One"}, "content_text": "x"}],
        }
    ).encode()
    (entry,) = parse_feed(body, url=FEED_URL, content_type=None).entries
    assert (entry.id, entry.author, entry.content_html) == ("a", "One", "<p>x</p>")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty document"),
        (b"<html><body><p>Not a feed</p></body></html>", "not a feed"),
        (b"<rss version='2.0'><channel><title>x</ti", "malformed XML with no entries"),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}',
            "'items' must be an array",
        ),
        (b'{"items": []}', "not a JSON Feed"),
        (b"{not json", "invalid JSON"),
        (b"[" * 100_000, "malformed XML"),
    ],
)
def test_unusable_documents_raise_feed_error(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message.replace("(", r"\(")):
        parse_feed(body, url=FEED_URL, content_type=None)


def test_deeply_nested_json_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match="invalid JSON"):
        parse_feed(b"{" + b'"a":[' * 100_000, url=FEED_URL, content_type=None)


def test_malformed_xml_with_entries_is_read_leniently_with_a_warning() -> None:
    body = b"<rss version='2.0'><channel><item><title>x</title><link>https://a.example/</link>"
    feed = parse_feed(body, url=FEED_URL, content_type=None)
    assert [e.title for e in feed.entries] == ["x"]
    assert feed.warnings and "not well-formed" in feed.warnings[0]


def test_bytes_are_never_opened_as_a_path(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text(
        "<rss version='2.0'><channel><item><title>LEAK</title></item></channel></rss>"
    )
    with pytest.raises(FeedError):
        parse_feed(str(secret).encode(), url=FEED_URL, content_type=None)


def test_document_size_cap() -> None:
    with pytest.raises(FeedError, match="MB cap"):
        parse_feed(b" " * (MAX_DOCUMENT_BYTES + 1), url=FEED_URL, content_type=None)


# --- layer 1: bytes ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [billion_laughs, quadratic_blowup])
def test_entity_expansion_is_refused_quickly_and_in_isolation(make: Any) -> None:
    body = make()
    with Sandbox(1, time_limit=5.0) as sandbox:
        sandbox.run(abs, -1)  # the worker's start is not what is measured
        started = time.monotonic()
        with pytest.raises(FeedError, match="declares entities"):
            sandbox.run(parse_feed, body, url=FEED_URL, content_type=None)
        # refused before any expansion: well inside the 5 s CPU limit the worker runs under
        assert time.monotonic() - started < 5.0


def test_entity_check_variants() -> None:
    refuse_entity_declarations(b"<!DOCTYPE rss SYSTEM 'x.dtd'><rss/>")  # no internal subset
    refuse_entity_declarations(b"<rss><![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>]]></rss>")
    with pytest.raises(FeedError):
        refuse_entity_declarations(b"<!doctype rss [ <!entity % p 'x'> ]><rss/>")
    with pytest.raises(FeedError):
        refuse_entity_declarations(b"<!DOCTYPE rss [<!ENTITY a '<b>x</b>'>]><rss/>")


def test_utf16_feed_is_checked_after_decoding() -> None:
    body = billion_laughs().decode().replace('version="1.0"', 'version="1.0" encoding="utf-16"')
    with pytest.raises(FeedError, match="declares entities"):
        parse_feed(body.encode("utf-16"), url=FEED_URL, content_type=None)


def test_author_text_is_capped_before_feedparser() -> None:
    long = b"a." * 20_000
    body = (
        b"<rss version='2.0'><channel><item><title>t</title><author>" + long
        + b"<!-- split -->" + long + b"<![CDATA[" + long + b"]]></author></item></channel></rss>"
    )  # fmt: skip
    capped = cap_author_elements(body)
    assert len(capped) < 2 * AUTHOR_TEXT_CAP + 200
    started = time.monotonic()
    feed = parse_feed(body, url=FEED_URL, content_type=None)
    assert time.monotonic() - started < 3  # a DoS bound, not a speed test: uncapped took about 6 s
    assert feed.entries[0].author.startswith("a.a.")
    assert len(feed.entries[0].author) <= 200


def test_author_cap_keeps_atom_structure_and_entities_whole() -> None:
    name = b"&amp;" * 300
    body = b"<feed><entry><author><name>" + name + b"</name></author></entry></feed>"
    capped = cap_author_elements(body)
    assert capped.count(b"<name>") == 1 and capped.count(b"</name>") == 1
    assert b"&am<" not in capped and capped.endswith(b"</name></author></entry></feed>")


def test_feedparser_reads_text_through_the_buffered_expat_driver() -> None:
    import xml.sax

    import feedparser.api

    from channelhub.parse import _BufferedExpatParser

    parser = xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS)
    assert isinstance(parser, _BufferedExpatParser)
    # escaped HTML arrives as many text runs split at entities, and a run longer than expat's
    # buffer arrives in pieces: the text must come out whole either way
    html = "<p>" + "a &amp; b &lt;i&gt;c&lt;/i&gt; " * 5000 + "</p>"
    escaped = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = (
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        f"<channel><item><title>T &amp; U</title><link>https://acme.example/t</link>"
        f"<content:encoded>{escaped}</content:encoded></item></channel></rss>"
    ).encode()
    (entry,) = parse_feed(body, url=FEED_URL, content_type=None).entries
    assert (entry.title, entry.content_html) == ("T & U", html)


# --- isolation --------------------------------------------------------------------------------


def test_parse_in_a_sandbox_equals_parse_feed() -> None:
    body = (FEEDS / "atom10.xml").read_bytes()
    with Sandbox(1) as sandbox:
        isolated = sandbox.run(parse_feed, body, url=FEED_URL, content_type=None)
    assert isolated == parse_feed(body, url=FEED_URL, content_type=None)


def test_sandbox_map_keeps_order_and_reports_failures_as_values() -> None:
    calls = [
        functools.partial(
            parse_feed, (FEEDS / "rss20.xml").read_bytes(), url=FEED_URL, content_type=None
        ),
        functools.partial(parse_feed, b"<html>nope</html>", url=FEED_URL, content_type=None),
        functools.partial(
            parse_feed,
            (FEEDS / "jsonfeed11.json").read_bytes(),
            url=FEED_URL,
            content_type="application/feed+json",
        ),
    ]
    with Sandbox(2) as sandbox:
        results = list(sandbox.map(calls))
    assert isinstance(results[0], ParsedFeed) and results[0].title == "Acme Partner Blog & News"
    assert isinstance(results[1], FeedError) and "not a feed" in results[1].message
    assert isinstance(results[2], ParsedFeed) and results[2].title == "Channel Notes"


def test_sandbox_memory_limit_fails_one_task_and_recovers() -> None:
    with Sandbox(1, time_limit=5.0, memory_limit=256 * 2**20) as sandbox:
        with pytest.raises(SandboxError, match="memory limit"):
            sandbox.run(bytearray, 1024 * 2**20)
        assert sandbox.run(math.factorial, 10) == 3628800


def test_sandbox_cpu_limit_kills_a_runaway_task_and_recovers() -> None:
    started = time.monotonic()
    with Sandbox(1, time_limit=1.0) as sandbox:
        # On a busy machine the wall-clock deadline may stop it before the CPU limit does.
        with pytest.raises(SandboxError, match=r"CPU time limit|wall time"):
            sandbox.run(sum, range(10**12))  # a C loop: no Python-level check could stop it
        assert sandbox.run(sum, range(10)) == 45
    assert time.monotonic() - started < 60


def test_sandbox_wall_clock_deadline() -> None:
    with Sandbox(1, time_limit=0.5) as sandbox:
        with pytest.raises(SandboxError, match="wall time"):
            sandbox.run(time.sleep, 30)
        assert sandbox.run(abs, -3) == 3


def test_a_worker_death_fails_that_task_only_and_the_next_feed_parses() -> None:
    with Sandbox(1, time_limit=1.0) as sandbox:
        sandbox.run(functools.partial(sum, range(10)))  # start the worker
        with pytest.raises(SandboxError):
            sandbox.run(sum, range(10**12))
        feed = sandbox.run(
            parse_feed, (FEEDS / "rss20.xml").read_bytes(), url=FEED_URL, content_type=None
        )
        assert len(feed.entries) == 3


def test_the_content_params_copy_changes_no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """feedparser's deepcopy of a content construct's parameters is replaced by a copy of the
    mapping (parse.py): every feed here parses to the same entries and details with either."""
    import copy

    import feedparser.html
    import feedparser.mixin

    from channelhub import parse

    xhtml = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
      <id>urn:x</id><entry><id>1</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
      A <b>bold</b> title</div></title><summary type="text">Plain &amp; simple \xe2\x80\x9cquoted\xe2\x80\x9d caf\xc3\xa9</summary>
      <content type="html" xml:lang="fr" xml:base="https://a.example/x/">&lt;p&gt;Un&lt;/p&gt;
      </content></entry></feed>"""
    documents = [xhtml, *(p.read_bytes() for p in sorted(FEEDS.glob("*.xml")))]

    def both() -> list[tuple[Any, Any]]:
        return [
            (
                parse.parse_feed(d, url="https://a.example/feed", content_type=None),
                feedparser.parse(d, sanitize_html=False, resolve_relative_uris=False),
            )
            for d in documents
        ]

    copied = both()
    monkeypatch.setattr(feedparser.mixin, "copy", copy)
    monkeypatch.setattr(feedparser.mixin, "_cp1252", feedparser.html._cp1252)
    assert copied == both()
    assert copied[0][1].entries[0]["content"][0]["language"] == "fr"


def test_the_c1_table_translates_as_feedparsers_own() -> None:
    import feedparser.html

    from channelhub.parse import _C1_AS_CP1252, C1_TABLE_END

    text = "".join(map(chr, range(C1_TABLE_END + 512))) + "😀 \x85 \x93quoted\x94 café"
    assert text.translate(_C1_AS_CP1252) == text.translate(feedparser.html._cp1252)
    assert "\x93x\x94".translate(_C1_AS_CP1252) == "“x”"
