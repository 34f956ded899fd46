"""Unit tests of channelhub.ingest: links, dates, the pulled hash, bodies, paths and decisions."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub import frontmatter
from channelhub.config import Source, load_topics
from channelhub.frontmatter import _plain_front_matter
from channelhub.ingest import (
    EXCERPT_WORDS,
    FeedSpec,
    Ingestor,
    PreparedEntry,
    PreparedFeed,
    excerpt_markdown,
    is_untouched,
    normalise_link,
    prepare_entry,
    prepare_feed,
    rehash,
    render_piece,
    settle_dates,
    stored_hash,
    with_hash,
)
from channelhub.parse import Entry, FeedError
from channelhub.tagger import compile_rules

REPO = Path(__file__).parents[1]
FIRST_SEEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://Example.com/post/", "http://example.com/post"),
        ("https://example.com:443/post", "https://example.com/post"),
        ("http://example.com:80/post", "https://example.com/post"),
        ("https://example.com/post?utm_source=x&utm_medium=rss", "https://example.com/post"),
        (
            "https://example.com/post?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=5",
            "https://example.com/post",
        ),
        ("https://example.com/post?b=2&a=1", "https://example.com/post?a=1&b=2"),
        ("https://example.com/post#comments", "https://example.com/post"),
        ("https://example.com/post/?UTM_Campaign=z", "https://example.com/post"),
    ],
)
def test_links_that_name_the_same_article_normalise_alike(a: str, b: str) -> None:
    assert normalise_link(a) == normalise_link(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/post", "https://example.com/Post"),  # paths are case-sensitive
        ("https://example.com/post?id=1", "https://example.com/post?id=2"),
        ("https://example.com:8443/post", "https://example.com/post"),
        ("https://example.com/post", "https://other.example.com/post"),
    ],
)
def test_different_articles_stay_different(a: str, b: str) -> None:
    assert normalise_link(a) != normalise_link(b)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_dates_trusted_flagged_and_updated() -> None:
    plain = settle_dates(utc(2026, 3, 1, 10), None, FIRST_SEEN)
    assert (plain.date, plain.updated, plain.note) == (utc(2026, 3, 1, 10), None, None)

    later = settle_dates(utc(2026, 3, 1, 10), utc(2026, 3, 2, 8), FIRST_SEEN)
    assert later.updated == utc(2026, 3, 2, 8)
    assert settle_dates(utc(2026, 3, 1, 10), utc(2026, 3, 1, 10), FIRST_SEEN).updated is None

    only_updated = settle_dates(None, utc(2026, 2, 1), FIRST_SEEN)
    assert (only_updated.date, only_updated.updated, only_updated.note) == (
        utc(2026, 2, 1),
        None,
        None,
    )

    missing = settle_dates(None, None, FIRST_SEEN)
    assert missing.date == FIRST_SEEN
    assert missing.note == "the feed gave no date; first-seen time used"

    future = settle_dates(utc(2091, 1, 1), None, FIRST_SEEN)
    assert future.date == FIRST_SEEN
    assert future.note == "the feed's date 2091-01-01 is in the future; first-seen time used"

    ancient = settle_dates(utc(1970, 1, 1), None, FIRST_SEEN)
    assert ancient.note == "the feed's date 1970-01-01 is before 1990; first-seen time used"

    skew = settle_dates(utc(2026, 3, 10, 20), None, FIRST_SEEN)  # hours ahead: clock skew
    assert skew.note is None and skew.date == utc(2026, 3, 10, 20)

    bogus_update = settle_dates(utc(2026, 3, 1), utc(2099, 1, 1), FIRST_SEEN)
    assert bogus_update.updated is None


def test_hash_detects_any_edit_and_ignores_its_own_line() -> None:
    text = frontmatter.render(
        {"title": "T", "date": "2026-03-01T00:00:00Z", "source": "s"}, "Body\n"
    )
    hashed = with_hash(text)
    assert hashed.splitlines()[4].startswith("pulled_hash: ")
    assert hashed.replace(hashed.splitlines()[4] + "\n", "") == text
    assert is_untouched(hashed)
    assert not is_untouched(hashed.replace("Body", "Body!"))
    assert not is_untouched(hashed.replace("title: T", "title: U"))
    assert not is_untouched(text)  # no hash at all: never pull's own
    # a "pulled_hash:" line in the body is text, not the hash
    assert stored_hash("---\ntitle: T\n---\npulled_hash: abc\n") is None


def test_rehash_changes_only_the_hash_line(tmp_path: Path) -> None:
    path = tmp_path / "piece.md"
    original = with_hash(
        frontmatter.render({"title": "T", "topics": ["a"], "source": "s"}, "Body\n")
    )
    path.write_text(original.replace("topics: [a]", "topics: [b]"))
    assert rehash(path)
    lines, before = path.read_text().splitlines(), original.splitlines()
    assert [i for i, (x, y) in enumerate(zip(lines, before, strict=True)) if x != y] == [
        2,
        4,
    ]  # topics, pulled_hash
    assert is_untouched(path.read_text())

    unhashed = tmp_path / "unhashed.md"
    unhashed.write_text(frontmatter.render({"title": "T", "source": "s"}, "Body\n"))
    assert rehash(unhashed) and is_untouched(unhashed.read_text())


def test_render_piece_round_trips_hostile_text() -> None:
    meta: dict[str, object] = {
        "title": "---\nsource: evil",
        "date": "2026-03-01T00:00:00Z",
        "topics": [],
        "auto_topics": [],
        "summary": "key: value # not a comment",
        "source": "s",
        "canonical": "https://example.com/x",
        "guid": "123",
    }
    rendered = render_piece(meta, "Body")
    doc = frontmatter.parse(rendered.text, path="x.md")
    assert {k: v for k, v in doc.meta.items() if k != "pulled_hash"} == meta
    assert doc.meta["pulled_hash"] == rendered.digest
    assert doc.body == "Body\n"


def test_excerpt_is_escaped_plain_text_of_about_sixty_words() -> None:
    html = "<p>Use <b>[links](javascript:x)</b> &amp; <script>alert(1)</script> # not a heading</p>"
    assert excerpt_markdown(html) == "Use \\[links\\](javascript:x) &amp; \\# not a heading"
    long = excerpt_markdown("<p>" + " ".join(["word"] * 200) + "</p>")
    assert len(long.split()) == EXCERPT_WORDS and long.endswith("word…")
    assert excerpt_markdown("") == ""


def spec(policy: str = "full", defaults: tuple[str, ...] = ("mobile",)) -> FeedSpec:
    topics, _ = load_topics(REPO)
    source = Source(
        id="acme", name="Acme", url="https://acme.example/feed", policy=policy, topics=defaults
    )  # type: ignore[arg-type]
    return FeedSpec.of(source, topics)


def entry(**fields: object) -> Entry:
    values: dict[str, object] = {
        "id": "e1",
        "title": "A title",
        "link": "https://acme.example/a",
        "published": datetime(2026, 3, 1, tzinfo=UTC),
        "updated": None,
        "author": "Jo",
        "summary_html": "<p>The summary.</p>",
        "content_html": "<p>The <em>full</em> text.</p>",
        "categories": (),
    }
    values.update(fields)
    return Entry(**values)  # type: ignore[arg-type]


def test_prepare_entry_per_policy_and_title_fallback() -> None:
    full = spec("full")
    tagger = compile_rules(full.topics)
    prepared = prepare_entry(entry(), 0, full, tagger)
    assert prepared.body == "The *full* text."
    assert prepared.summary == "The summary."
    assert prepared.topics == ("mobile",)  # nothing to tag: the source's default
    excerpt = prepare_entry(entry(), 0, spec("excerpt"), tagger)
    assert excerpt.body == "The summary."
    untitled = prepare_entry(entry(title=""), 0, full, tagger)
    assert untitled.title == "The summary."


def test_prepare_feed_raises_for_a_non_feed_and_keeps_parse_skips() -> None:
    with pytest.raises(FeedError):
        prepare_feed(b"<html><body>hello</body></html>", "https://x.example/", "text/html", spec())
    doc = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "url": "https://x.example/1", "title": "ok"}, 7]}'
    feed = prepare_feed(doc, "https://x.example/feed.json", None, spec())
    assert [e.title for e in feed.entries] == ["ok"]
    assert len(feed.skipped) == 1 and "not an object" in feed.skipped[0].reason


_LINKS = '<p><a href="{0}a">A</a> <img src="{0}i.png" alt="I"> <a href="/root">R</a></p>'


def _atom(feed_base: str = "", entry_base: str = "", content_base: str = "") -> bytes:
    def attr(base: str) -> str:
        return f' xml:base="{base}"' if base else ""

    links = _LINKS.format("").replace("&", "&amp;").replace("<", "&lt;")
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{attr(feed_base)}><title>T</title>'
        f"<entry{attr(entry_base)}><id>e1</id><title>Links</title>"
        '<link rel="alternate" href="https://acme.example/posts/2026/one/"/>'
        "<updated>2026-03-01T00:00:00Z</updated>"
        f'<content type="html"{attr(content_base)}>{links}</content></entry>'
        '<entry><id>e2</id><title>Outside</title><link href="https://acme.example/x/two"/>'
        f'<updated>2026-03-01T00:00:00Z</updated><content type="html">{links}</content>'
        "</entry></feed>"
    ).encode()


def _links(base: str) -> str:
    rel = '{: rel="nofollow noopener" }'
    return f"[A]({base}a){rel} ![I]({base}i.png) [R](https://{base.split('/')[2]}/root){rel}"


@pytest.mark.parametrize(
    ("document", "first", "second"),
    [
        # no xml:base: relative links resolve against the entry's own link, not the feed's URL
        (_atom(), "https://acme.example/posts/2026/one/", "https://acme.example/x/"),
        # on the feed: every entry; a relative xml:base resolves against the document's URL
        (_atom(feed_base="/research/"), *["https://acme.example/research/"] * 2),
        # on one entry: that entry only; the other keeps its link
        (_atom(entry_base="https://cdn.example/e/"), "https://cdn.example/e/", "https://acme.example/x/"),
        # on the content, nested in the feed's: resolved against the enclosing one
        (_atom(feed_base="https://other.example/blog/", content_base="media/"),
         "https://other.example/blog/media/", "https://other.example/blog/"),
    ],
)  # fmt: skip
def test_relative_links_resolve_against_xml_base_else_the_entry_link(
    document: bytes, first: str, second: str
) -> None:
    feed = prepare_feed(document, "https://acme.example/feeds/main.atom", None, spec())
    assert [e.body for e in feed.entries] == [_links(first), _links(second)]


def test_relative_links_in_rss_and_json_resolve_against_the_entry_link() -> None:
    html = _LINKS.format("").replace("&", "&amp;").replace("<", "&lt;")
    rss = (
        "<rss version='2.0'><channel><title>T</title><item><title>One</title>"
        f"<link>https://acme.example/p/one/</link><description>{html}</description></item>"
        "</channel></rss>"
    ).encode()
    (entry,) = prepare_feed(rss, "https://acme.example/feed.xml", None, spec()).entries
    assert entry.body == _links("https://acme.example/p/one/")
    item = {"id": "1", "url": "https://json.example/p/one/", "content_html": _LINKS.format("")}
    document = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [item]}).encode()
    (pulled,) = prepare_feed(document, "https://json.example/feed.json", None, spec()).entries
    assert pulled.body == _links("https://json.example/p/one/")


def test_unsafe_xml_base_is_not_a_base() -> None:
    document = _atom(entry_base="javascript:alert(1)//")
    feed = prepare_feed(document, "https://acme.example/feeds/main.atom", None, spec())
    assert feed.entries[0].body == _links("https://acme.example/posts/2026/one/")
    assert "javascript" not in feed.entries[0].body


def prepared(guid: str, title: str, link: str | None, **extra: object) -> PreparedEntry:
    values: dict[str, object] = {
        "index": 0,
        "guid": guid,
        "title": title,
        "link": link,
        "published": datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        "updated": None,
        "author": "",
        "summary": "",
        "body": "Body",
        "topics": ("mobile",),
    }
    values.update(extra)
    return PreparedEntry(**values)  # type: ignore[arg-type]


def test_ingestor_paths_years_skips_and_repeats(tmp_path: Path) -> None:
    ingestor = Ingestor(tmp_path, FIRST_SEEN)
    feed = PreparedFeed(
        "t",
        (
            prepared(
                "1",
                "Ünïcode & Co: a very long title that keeps going well past sixty characters",
                "https://a.example/1",
            ),
            prepared("2", "No link", None),
            prepared("1", "Repeated id", "https://a.example/again"),
            prepared("3", "🙂", "https://a.example/3"),
        ),
    )
    results = ingestor.ingest("acme", feed)
    actions = [(r.action, r.path, r.reason) for r in results]
    assert actions[0] == (
        "new",
        "docs/sources/acme/2025/unicode-co-a-very-long-title-that-keeps-going-well-past.md",
        "",
    )
    assert actions[1] == ("skipped", None, "no http(s) link to the original")
    assert actions[2] == ("skipped", None, "the feed repeats this entry's id")
    assert actions[3][0] == "new" and actions[3][1].startswith("docs/sources/acme/2025/item-")
    written = frontmatter.read(tmp_path / actions[0][1])
    assert written.meta["date"] == "2025-12-31T23:30:00Z"
    assert "author" not in written.meta and "summary" not in written.meta

    # a new run finds the file by guid even though the title changed
    later = Ingestor(tmp_path, FIRST_SEEN.replace(day=11))
    [again] = later.ingest(
        "acme", PreparedFeed("t", (prepared("1", "Renamed", "https://a.example/1"),))
    )
    assert (again.action, again.path) == ("updated", actions[0][1])
    assert frontmatter.read(tmp_path / actions[0][1]).meta["first_seen"] == "2026-03-10T12:00:00Z"


def test_a_write_that_fails_is_skipped_and_leaves_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "docs" / "sources" / "acme" / "2025"
    folder.mkdir(parents=True)
    (folder / f".blocked.md.{os.getpid()}.tmp").mkdir()  # the temp file's name: open fails
    ingestor = Ingestor(tmp_path, FIRST_SEEN)
    feed = PreparedFeed(
        "t",
        tuple(
            prepared(str(n), title, f"https://a.example/{title.lower()}")
            for n, title in enumerate(["Fine", "Blocked", "Also fine"])
        ),
    )
    results = ingestor.ingest("acme", feed)
    # another source links the same article: the failed piece is not its owner
    [other] = ingestor.ingest(
        "beta", PreparedFeed("t", (prepared("9", "Blocked", "https://a.example/blocked"),))
    )
    assert [(r.action, r.path) for r in results] == [
        ("new", "docs/sources/acme/2025/fine.md"),
        ("skipped", None),
        ("new", "docs/sources/acme/2025/also-fine.md"),
    ]
    assert results[1].reason == "cannot write: Is a directory"
    assert ("acme", "1") not in ingestor.index.by_guid
    assert (other.action, other.path) == ("new", "docs/sources/beta/2025/blocked.md")
    assert frontmatter.read(tmp_path / "docs/sources/acme/2025/also-fine.md").meta["guid"] == "2"
    assert sorted(p.name for p in folder.iterdir()) == [
        f".blocked.md.{os.getpid()}.tmp",
        "also-fine.md",
        "fine.md",
    ]


def test_a_file_that_is_not_valid_front_matter_is_kept(tmp_path: Path) -> None:
    ingestor = Ingestor(tmp_path, FIRST_SEEN)
    [first] = ingestor.ingest(
        "acme", PreparedFeed("t", (prepared("1", "T", "https://a.example/1"),))
    )
    path = tmp_path / str(first.path)
    path.write_text(path.read_text().replace("guid: '1'", "guid: '1'\nbroken: [unclosed"))
    # the guid index cannot read it, so the entry looks new; the slug clash keeps both files
    again = Ingestor(tmp_path, FIRST_SEEN)
    [result] = again.ingest("acme", PreparedFeed("t", (prepared("1", "T", "https://a.example/1"),)))
    assert result.action == "new" and result.path != first.path
    assert "broken: [unclosed" in path.read_text()


HOSTILE = [
    "---", "--- x", "...", "a: b", "#x", "x #y", "'q'", '"q"', "yes", "no", "null", "~", "1e5",
    "0x1F", "12:30", "2026-01-01", " lead", "trail ", "- item", "? k", "@at", "`bt", "%p",
    "!tag", "&a", "*a", "|", ">", "[", "{", "\t", "a\u2028b", "\ufeffx", "\x85", "é", "ǅ",
    "\u00a0x", "x\u00a0", "😍 astral", "line\nbreak", "𠜎𠜱", "",
]  # fmt: skip


def test_fast_front_matter_is_byte_identical_to_pyyaml() -> None:
    import json

    strings = list(HOSTILE)
    blns = REPO.parent / "shared" / "corpora" / "xss" / "blns.json"
    if blns.is_file():  # the corpus widens the check; the list above always runs
        strings += json.loads(blns.read_text(encoding="utf-8"))
    for text in strings:
        meta: dict[str, object] = {
            "title": text,
            "date": "2026-03-01T00:00:00Z",
            "topics": [text[:50]] if 0 < len(text) < 60 else ["mobile"],
            "auto_topics": ["mobile"],
            "summary": text + " tail",
            "source": "s",
            "canonical": "https://example.com/x",
            "guid": text,
        }
        assert frontmatter.dump_meta(meta) == frontmatter._dump_pyyaml(meta), repr(text)


# Words and characters where YAML's plain scalars end: indicators, resolvable words, spaces.
_YAML_EDGES = st.sampled_from(
    ["yes", "No", "ON", "off", "null", "Null", "~", "true", "FALSE", "0", "12", "1:20", "0x1F",
     "1e3", ".5", "-", ":", ": ", " #", "#", "'", '"', "=", "<<", "&a", "*a", "!", "%", "@", "`",
     "?", ",", "[", "]", "{", "}", "|", ">", " ", "  ", "\t", "\n", "---", "...", "é", "\u2028",
     "a", "Z", "9", "x-y", "/", "(", ")", "+", ";", "_"]
)  # fmt: skip
_YAML_TEXT = st.lists(_YAML_EDGES, max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(title=_YAML_TEXT, summary=_YAML_TEXT, topic=_YAML_TEXT, author=_YAML_TEXT)
def test_plain_front_matter_lines_are_what_yaml_writes(
    title: str, summary: str, topic: str, author: str
) -> None:
    meta: dict[str, object] = {
        "title": title,
        "date": "2026-03-01T00:00:00Z",
        "topics": [topic, "mobile"],
        "auto_topics": [],
        "summary": summary,
        "source": "s",
        "canonical": "https://example.com/x?a=1&b=2#frag",
        "author": author,
        "guid": title + ":" + summary,
    }
    assert frontmatter.dump_meta(meta) == frontmatter._dump_pyyaml(meta)


def test_plain_front_matter_takes_the_line_path_for_plain_values() -> None:
    meta: dict[str, object] = {
        "title": "Budgets, CMOs & CIOs (2026): who pays?",
        "date": "2026-03-01T00:00:00Z",
        "topics": ["martech-budgets"],
        "guid": "tag:acme.example,2026:1",
        "author": "yes",  # a YAML 1.1 boolean: quoted, so the whole mapping goes through YAML
    }
    assert _plain_front_matter(meta) is None
    meta["author"] = "Jo O'Neil"
    assert _plain_front_matter(meta) is None  # ': ' in the title needs quotes
    meta["title"] = "Budgets, CMOs & CIOs in 2026 - who pays?"
    expected = frontmatter.dump_meta(meta)
    assert _plain_front_matter(meta) == expected
    assert expected.startswith("title: Budgets, CMOs & CIOs in 2026 - who pays?\n")


def test_a_feed_spec_pickles_its_shared_fields_once_and_unpickles_them_once() -> None:
    import pickle
    from dataclasses import replace as copy_with

    from channelhub import ingest

    first = spec()
    second = copy_with(first, source_id="other", policy="excerpt")  # the same run's topics
    ingest._PICKLED.clear()
    ingest._UNPICKLED.clear()
    sent = [pickle.dumps(s) for s in (first, second)]
    # the topics travel as one pickle made once: the same bytes inside both specs
    assert len(ingest._PICKLED) == 1
    blob = ingest._PICKLED[0][3]
    assert all(blob in data for data in sent)
    received = [pickle.loads(data) for data in sent]
    assert received[0] == first and received[1] == second
    assert received[0].topics is received[1].topics  # unpickled once in this process
    assert [r.fingerprint for r in received] == [first.fingerprint, second.fingerprint]
    # other topics make another pickle under another key
    changed = copy_with(first, topics=first.topics[:3])
    assert pickle.loads(pickle.dumps(changed)).topics == first.topics[:3]
    assert len(ingest._UNPICKLED) == 2


def test_topics_made_one_after_another_never_share_a_pickle() -> None:
    """Each run's topics, made and dropped in turn (CPython gives a new tuple the address of
    one just freed, so an id could name a dead object): each spec carries its own topics."""
    import gc
    import pickle
    from dataclasses import replace as copy_with

    from channelhub import ingest

    base = spec()
    for n in range(40):
        topics = tuple(copy_with(t, title=f"{t.title} {n}") for t in base.topics[: 2 + n % 3])
        sent = pickle.dumps(copy_with(base, topics=topics))
        assert pickle.loads(sent).topics == topics, n
        del topics, sent
        gc.collect()
    assert len(ingest._PICKLED) <= ingest._SHARED_KEPT
