"""What a source contributes and how long it may take: `keep`, `block`, `require_topics`,
`images` and `timeout` in feeds/sources.yml, each on a feed made for it (real HTTP on
127.0.0.1), their validation by `channelhub check`, and the pull's one line per source."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from channelhub.config import load_sources
from channelhub.pull import summary_lines, totals_line
from channelhub.sourcerules import EntryRules
from feedserver import FeedServer, Reply
from pulling import NOW, Item, PullHub, hub, items, rss, sandbox, source
from scratch import channelhub

__all__ = ["hub", "sandbox"]  # the fixtures this module uses from pulling.py


def post(slug: str, title: str, description: str = "A post.", **extra: object) -> Item:
    return Item(
        title, f"https://partner.example/{slug}", guid=slug, description=description, **extra
    )


def written(hub: PullHub) -> list[str]:
    return sorted(str(doc.meta["guid"]) for doc in hub.pieces().values())


def filtered(hub: PullHub, source_id: str = "acme") -> dict[str, str]:
    report = hub.runs[-1]
    found = next(s for s in report.sources if s.id == source_id)
    return {item.guid: item.reason for item in found.of("filtered")}


# --- the rules on their own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "text", "matches"),
    [
        (("CIO",), "What the CIO wants", True),
        (("CIO",), "what the cio's team wants", True),  # case-insensitive, up to the apostrophe
        (("CIO",), "CIO-led programs", True),  # a hyphen ends a word
        (("CIO",), "Two CIOs agree", False),  # whole words only
        (("CIO",), "Sociology of teams", False),
        (("marketing operations",), "Marketing\n   Operations playbook", True),  # any spacing
        (("marketing operations",), "marketing and operations", False),
        (("C++",), "Hiring C++ developers", True),  # a word may end with a symbol
        (("martech", "CIO"), "martech stack", True),
    ],
)
def test_words_and_phrases_match_whole_words(
    words: tuple[str, ...], text: str, matches: bool
) -> None:
    rules = EntryRules.of(words, ())
    assert rules is not None
    assert (rules.drop_reason(text, "", ()) is None) is matches


def test_block_wins_and_no_phrase_spans_two_fields() -> None:
    rules = EntryRules.of(("CIO",), ("webinar", "job opening"))
    assert rules is not None
    assert rules.drop_reason("CIO webinar", "", ()) == "block rule: contains 'webinar'"
    assert (
        rules.drop_reason("Our CIO", "", ("Job  Opening",)) == "block rule: contains 'Job Opening'"
    )
    assert rules.drop_reason("A job", "", ("opening",)) == (
        "keep rule: none of 'CIO' in its title, summary or categories"
    )  # "job" ends the title, "opening" is a category: not the phrase
    assert rules.drop_reason("News", "The CIO said", ()) is None
    assert EntryRules.of((), ()) is None


# --- each rule on a feed made for it --------------------------------------------------------------


def test_keep_takes_only_entries_with_one_of_its_words(
    hub: PullHub, feed_server: FeedServer
) -> None:
    feed_server.route(
        "/acme.xml",
        body=rss(
            post("title", "A CIO on budgets"),
            post("summary", "Planning", "How martech teams plan."),
            post("category", "Field notes", categories=("Marketing Operations",)),
            post("plural", "Two CIOs and a budget"),
            post("none", "Our office dog"),
        ),
    )
    hub.sources(
        source(
            "acme", feed_server.url("/acme.xml"), keep=["CIO", "martech", "marketing operations"]
        )
    )
    report = hub.pull()
    assert written(hub) == ["category", "summary", "title"]
    assert filtered(hub) == {
        "plural": "keep rule: none of 'CIO', 'martech', 'marketing operations' in its title,"
        " summary or categories",
        "none": "keep rule: none of 'CIO', 'martech', 'marketing operations' in its title,"
        " summary or categories",
    }
    assert summary_lines(report)[0] == "acme: ok: 3 new, 2 filtered"
    assert report.to_json()["sources"][0]["filtered"][0]["title"] == "Two CIOs and a budget"


def test_block_drops_entries_and_wins_over_keep(hub: PullHub, feed_server: FeedServer) -> None:
    feed_server.route(
        "/acme.xml",
        body=rss(
            post("webinar", "Join our Webinar on CIO priorities"),
            post("jobs", "CIO office news", categories=("Job opening",)),
            post("fine", "What a CIO asks of marketing"),
            post("long", "CIO notes", "<p>" + "word " * 500 + "then a <b>webinar</b>.</p>"),
        ),
    )
    hub.sources(
        source("acme", feed_server.url("/acme.xml"), keep=["CIO"], block=["webinar", "job opening"])
    )
    report = hub.pull()
    assert written(hub) == ["fine"]
    assert filtered(hub) == {
        "webinar": "block rule: contains 'Webinar'",
        "jobs": "block rule: contains 'Job opening'",
        "long": "block rule: contains 'webinar'",  # far past the 400 characters a summary keeps
    }
    assert report.totals["filtered"] == 3


def test_require_topics_drops_what_the_tagger_files_nowhere(
    hub: PullHub, feed_server: FeedServer
) -> None:
    on_topic = post(
        "ma",
        "Marketing automation for lead nurturing",
        "Marketing automation workflows, lead scoring and nurture programs in the marketing"
        " automation platform.",
    )
    off_topic = post("dog", "Our office dog", "Meet Biscuit.")
    feed_server.route("/acme.xml", body=rss(on_topic, off_topic))
    # the source's default topics are a fallback for writing, not a topic the tagger found
    hub.sources(
        source(
            "acme", feed_server.url("/acme.xml"), require_topics=True, topics=["channel-partners"]
        )
    )
    hub.pull()
    assert written(hub) == ["ma"]
    assert filtered(hub) == {"dog": "require_topics: the tagger found no hub topic in it"}


def test_a_new_rule_filters_what_arrives_and_deletes_nothing(
    hub: PullHub, feed_server: FeedServer
) -> None:
    posts = [post("webinar", "Our webinar recap"), post("notes", "Field notes")]
    feed_server.route("/acme.xml", body=rss(*posts))
    hub.sources(source("acme", feed_server.url("/acme.xml")))
    hub.pull()
    before = hub.snapshot()
    hub.sources(source("acme", feed_server.url("/acme.xml"), block=["webinar"]))
    report = hub.pull(now=NOW + timedelta(hours=1))  # same bytes, new rules: read again
    assert written(hub) == ["notes", "webinar"]
    assert {k: v for k, v in hub.snapshot().items() if k.startswith("docs/")} == {
        k: v for k, v in before.items() if k.startswith("docs/")
    }
    assert summary_lines(report)[0] == "acme: ok: 1 unchanged, 1 filtered"
    posts.append(post("webinar-2", "Another webinar"))
    posts[0].description = "Changed upstream."
    feed_server.route("/acme.xml", body=rss(*posts))
    later = hub.pull(now=NOW + timedelta(hours=2))
    assert written(hub) == ["notes", "webinar"]  # neither updated nor the new one written
    assert (
        "Changed upstream"
        not in (hub.root / "docs/sources/acme/2026/our-webinar-recap.md").read_text()
    )
    assert later.totals["filtered"] == 2


def test_images_drop_keeps_the_alt_text(hub: PullHub, feed_server: FeedServer) -> None:
    body = '<p>Before <img src="/chart.png" alt="Budget chart"> after.</p><figure><img src="https://cdn.example/x.jpg" alt="A team"></figure>'
    feed_server.route(
        "/a.xml", body=rss(Item("With images", "https://a.example/p", "p", content=body))
    )
    feed_server.route(
        "/b.xml", body=rss(Item("With images too", "https://b.example/p", "p", content=body))
    )
    hub.sources(
        source("kept", feed_server.url("/a.xml"), policy="full"),
        source("dropped", feed_server.url("/b.xml"), policy="full", images="drop"),
    )
    hub.pull()
    [kept] = hub.pieces("kept").values()
    [dropped] = hub.pieces("dropped").values()
    assert kept.body == (
        "Before ![Budget chart](https://a.example/chart.png) after.\n\n"
        "![A team](https://cdn.example/x.jpg)\n"
    )
    assert dropped.body == "Before Budget chart after.\n\nA team\n"


# --- the deadline -----------------------------------------------------------------------------------


def test_a_dripping_feed_is_cut_at_its_sources_timeout(
    hub: PullHub, feed_server: FeedServer
) -> None:
    feed_server.route("/drip.xml", body=rss(*items(3)), drip=1.0)  # a byte a second: minutes
    feed_server.route("/a.xml", body=rss(*items(2, "a", host="a.example")))
    feed_server.route("/b.xml", body=rss(*items(2, "b", host="b.example")))
    hub.sources(
        source("a", feed_server.url("/a.xml")),
        source("drip", feed_server.url("/drip.xml"), timeout=1.5),
        source("b", feed_server.url("/b.xml")),
    )
    started = time.monotonic()
    report = hub.pull()
    wall = time.monotonic() - started
    print(f"pull with a dripping source (timeout 1.5 s): {wall:.2f} s wall")  # for -s runs
    a, drip, b = report.sources
    assert (a.outcome, b.outcome) == ("ok", "ok")
    assert drip.outcome == "error"
    assert drip.error == "deadline of 1.5 s exceeded"  # the fetch layer's own words
    assert drip.elapsed >= 1.5  # the deadline, not an earlier failure, ended it
    assert 0 < feed_server.body_bytes_sent("/drip.xml") < len(rss(*items(3)))
    assert report.totals["new"] == 4
    assert hub.state()["drip"]["message"] == "deadline of 1.5 s exceeded"


# --- validation by `check` --------------------------------------------------------------------------


BAD_RULES = """\
sources:
  - id: acme
    name: Acme
    url: https://acme.example/feed.xml
    keep: CIO
    block: []
    require_topics: "yes"
    timeout: 0
    images: maybe
  - id: beta
    name: Beta
    url: https://beta.example/feed.xml
    keep:
      - CIO
      - "  "
      - 2026
    timeout: fast
"""


def test_check_reports_bad_rules_at_their_lines(hub: PullHub) -> None:
    (hub.root / "feeds" / "sources.yml").write_text(BAD_RULES)
    done = channelhub(hub.root, "check")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "feeds/sources.yml:5: Expected a list of words or phrases for 'keep', got text",
        "feeds/sources.yml:6: 'block' of source 'acme' is empty: list words, or remove the key",
        "feeds/sources.yml:7: Expected true or false for 'require_topics', got text",
        "feeds/sources.yml:8: timeout of source 'acme' must be more than 0 and at most 300"
        " seconds, got 0",
        "feeds/sources.yml:9: images of source 'acme' must be keep or drop, got 'maybe'",
        "feeds/sources.yml:15: empty word in 'keep' of source 'beta'",
        "feeds/sources.yml:16: Expected a word or phrase in 'keep', got a number: quote it",
        "feeds/sources.yml:17: Expected a number of seconds for 'timeout', got text",
    ]
    good = BAD_RULES.replace("keep: CIO", 'keep: [CIO, "marketing  operations"]')
    good = good.replace("block: []", "block: [webinar]").replace('"yes"', "true")
    good = good.replace("timeout: 0", "timeout: 12.5").replace("maybe", "drop")
    good = good.replace('      - "  "\n      - 2026\n', "").replace("timeout: fast", "timeout: 45")
    (hub.root / "feeds" / "sources.yml").write_text(good)
    sources, problems = load_sources(hub.root)
    assert problems == []
    acme, beta = sources
    assert acme.keep == ("CIO", "marketing operations") and acme.block == ("webinar",)
    assert (acme.require_topics, acme.timeout, acme.images) == (True, 12.5, "drop")
    assert (beta.keep, beta.timeout, beta.images, beta.require_topics) == (
        ("CIO",),
        45.0,
        "keep",
        False,
    )


# --- one line per source --------------------------------------------------------------------------


def test_one_line_per_source_and_totals_that_add_up(hub: PullHub, feed_server: FeedServer) -> None:
    etag = '"v1"'

    def answer(name: str) -> Reply:
        return Reply(200, rss(*items(2, name, host=f"{name}.example")), {"ETag": etag})

    for name in ("a", "b", "c", "d"):
        fresh = answer(name)
        feed_server.route(
            f"/{name}.xml",
            handler=lambda request, fresh=fresh: (
                Reply(304) if request.header("If-None-Match") == etag else fresh
            ),
        )
    hub.sources(*(source(n, feed_server.url(f"/{n}.xml")) for n in ("a", "b", "c", "d")))
    first = hub.pull()
    assert totals_line(first) == "4 sources: 4 ok; entries: 8 new"
    again = channelhub(hub.root, "pull", "--allow-private")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "a: unchanged (HTTP 304)",
        "b: unchanged (HTTP 304)",
        "c: unchanged (HTTP 304)",
        "d: unchanged (HTTP 304)",
        "4 sources: 4 unchanged; no entries",
    ]
    assert again.stderr == ""
    quiet = channelhub(hub.root, "pull", "--allow-private", "--quiet")
    assert quiet.stdout == "4 sources: 4 unchanged; no entries\n"
