"""`channelhub pull` end to end against a real HTTP server on 127.0.0.1 (tests/feedserver.py).

Each test builds a small hub in a temporary folder (the real topics.yml, a sources file
pointing at the test server), pulls, and asserts on the server's request log, the files
written under docs/sources/, feeds/state.json and the PullReport.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from channelhub import frontmatter
from channelhub.ingest import is_untouched, rehash
from channelhub.pull import (
    PullConfigError,
    new_sandbox,
    pull_before_build,
)
from channelhub.settings import Settings, pull_enabled
from feedserver import FeedServer, RecordedRequest, Reply
from pulling import NOW, Item, PullHub, hub, items, outcome, rss, sandbox, source
from scratch import channelhub, scratch_hub

REPO = Path(__file__).parents[1]
__all__ = ["hub", "sandbox"]  # the fixtures this module uses from pulling.py


# --- new, updated, unchanged, idempotent ------------------------------------------------------


def test_new_then_updated_then_unchanged(hub: PullHub, feed_server: FeedServer) -> None:
    posts = items(3)
    feed_server.route("/feed.xml", body=rss(*posts))
    hub.sources(source("acme", feed_server.url("/feed.xml")))

    first = hub.pull()
    assert first.exit_code == 0
    assert first.totals["new"] == 3
    pieces = hub.pieces("acme")
    assert sorted(pieces) == [
        "docs/sources/acme/2026/post-number-0.md",
        "docs/sources/acme/2026/post-number-1.md",
        "docs/sources/acme/2026/post-number-2.md",
    ]
    meta = pieces["docs/sources/acme/2026/post-number-1.md"].meta
    assert meta["title"] == "Post number 1"
    assert meta["date"] == "2026-03-01T10:00:00Z"
    assert meta["source"] == "acme"
    assert meta["canonical"] == "https://partner.example/post-1"
    assert meta["guid"] == "post-1"
    assert meta["first_seen"] == "2026-03-10T12:00:00Z"
    assert meta["topics"] == meta["auto_topics"]
    assert "date_note" not in meta
    assert list(meta) == [k for k in frontmatter.KEY_ORDER if k in meta]

    posts[1].title = "Post number 1, revised"
    posts[1].description = "The summary changed upstream."
    feed_server.route("/feed.xml", body=rss(*posts))
    second = hub.pull(now=NOW + timedelta(hours=6))
    source_report = second.sources[0]
    assert [i.path for i in source_report.of("updated")] == [
        "docs/sources/acme/2026/post-number-1.md"
    ]
    assert source_report.counts["unchanged"] == 2
    revised = hub.pieces("acme")["docs/sources/acme/2026/post-number-1.md"].meta
    assert revised["title"] == "Post number 1, revised"  # same path although the title changed
    assert revised["summary"] == "The summary changed upstream."
    assert revised["first_seen"] == "2026-03-10T12:00:00Z"  # kept from the first pull
    assert sorted(hub.pieces("acme")) == sorted(pieces)


def test_second_pull_of_unchanged_feeds_touches_no_file(
    hub: PullHub, feed_server: FeedServer
) -> None:
    feed_server.route("/plain.xml", body=rss(*items(4, "plain")))  # no validators: 200 each time
    feed_server.route(
        "/tagged.xml", body=rss(*items(2, "tagged")), headers={"ETag": '"abc"'}
    )  # the server ignores If-None-Match: 200 again with the same bytes
    hub.sources(
        source("plain", feed_server.url("/plain.xml")),
        source("tagged", feed_server.url("/tagged.xml")),
    )
    hub.pull()
    before = hub.snapshot()
    time.sleep(0.02)  # a rewrite would show in the nanosecond mtimes
    again = hub.pull(now=NOW + timedelta(hours=1))
    assert hub.snapshot() == before
    assert [s.outcome for s in again.sources] == ["unchanged", "unchanged"]
    assert len(feed_server.requests("/plain.xml")) == 2

    # even with the fast path lost (no state), re-ingesting finds every piece unchanged
    (hub.root / "feeds" / "state.json").unlink()
    third = hub.pull(now=NOW + timedelta(hours=2))
    assert third.totals["unchanged"] == 6 and third.totals["new"] == 0
    after = hub.snapshot()
    assert {k: v for k, v in after.items() if k != "feeds/state.json"} == {
        k: v for k, v in before.items() if k != "feeds/state.json"
    }


# --- conditional GET and the HTTP outcomes ----------------------------------------------------


def test_validators_echoed_and_304_rewrites_nothing(hub: PullHub, feed_server: FeedServer) -> None:
    etag = 'W/"feed-v1"'
    modified = "Sun, 01 Mar 2026 10:00:00 GMT"

    def handler(request: RecordedRequest) -> Reply:
        if request.header("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, rss(*items(2)), {"ETag": etag, "Last-Modified": modified})

    feed_server.route("/feed.xml", handler=handler)
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    hub.pull()
    assert hub.state()["acme"]["etag"] == etag
    assert hub.state()["acme"]["last_modified"] == modified
    before = hub.snapshot()

    report = hub.pull(now=NOW + timedelta(hours=1))
    assert outcome(report, "acme") == "not_modified"
    assert report.sources[0].http_status == 304
    first, second = feed_server.requests("/feed.xml")
    assert first.header("If-None-Match") is None
    assert second.header("If-None-Match") == etag
    assert second.header("If-Modified-Since") == modified
    assert hub.snapshot() == before


def test_301_moves_the_stored_url_and_302_does_not(hub: PullHub, feed_server: FeedServer) -> None:
    feed_server.route("/new.xml", body=rss(*items(1, "moved")))
    feed_server.redirect("/old.xml", "/new.xml", status=301)
    feed_server.route("/b-target.xml", body=rss(*items(1, "temp", host="b.example")))
    feed_server.redirect("/b.xml", "/b-target.xml", status=302)
    hub.sources(
        source("moved", feed_server.url("/old.xml")), source("temp", feed_server.url("/b.xml"))
    )

    first = hub.pull()
    moved = first.sources[0]
    assert moved.moved_to == feed_server.url("/new.xml")
    assert first.sources[1].moved_to is None
    assert hub.state()["moved"]["current_url"] == feed_server.url("/new.xml")
    assert "current_url" not in hub.state()["temp"]
    assert len(hub.pieces("moved")) == 1 and len(hub.pieces("temp")) == 1

    second = hub.pull(now=NOW + timedelta(hours=1))
    assert len(feed_server.requests("/old.xml")) == 1  # the moved feed is asked at its new URL
    assert len(feed_server.requests("/new.xml")) == 2
    assert len(feed_server.requests("/b.xml")) == 2  # a 302 keeps the original URL
    assert second.sources[0].moved_to == feed_server.url("/new.xml")  # still reported


def test_410_marks_gone_and_no_request_follows(hub: PullHub, feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", status=410, body=b"gone")
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    first = hub.pull()
    assert outcome(first, "acme") == "gone"
    assert hub.state()["acme"]["gone"] is True
    assert hub.state()["acme"]["status"] == "gone"
    second = hub.pull(now=NOW + timedelta(days=1))
    assert outcome(second, "acme") == "gone"
    assert len(feed_server.requests("/feed.xml")) == 1
    assert second.exit_code == 0


def test_retry_after_nothing_fetched_inside_the_window(
    hub: PullHub, feed_server: FeedServer
) -> None:
    feed_server.route("/busy.xml", status=503, headers={"Retry-After": "3600"})
    feed_server.route("/ok.xml", body=rss(*items(1)))
    hub.sources(
        source("busy", feed_server.url("/busy.xml")), source("fine", feed_server.url("/ok.xml"))
    )
    first = hub.pull()
    assert outcome(first, "busy") == "error"
    assert first.exit_code == 1
    assert hub.state()["busy"]["retry_after"] == "2026-03-10T13:00:00Z"
    assert hub.state()["busy"]["status"] == "deferred"

    inside = hub.pull(now=NOW + timedelta(minutes=30))
    assert outcome(inside, "busy") == "deferred"
    assert inside.exit_code == 0
    assert len(feed_server.requests("/busy.xml")) == 1

    feed_server.route("/busy.xml", body=rss(*items(1, "late", host="busy.example")))
    after = hub.pull(now=NOW + timedelta(hours=2))
    assert outcome(after, "busy") == "ok"
    assert len(feed_server.requests("/busy.xml")) == 2
    assert "retry_after" not in hub.state()["busy"]


@pytest.mark.parametrize("status", [404, 500])
def test_404_and_500_reported_and_retried(
    hub: PullHub, feed_server: FeedServer, status: int
) -> None:
    feed_server.route("/feed.xml", status=status, body=b"nope")
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    first = hub.pull()
    assert first.exit_code == 1
    assert first.sources[0].http_status == status
    assert first.sources[0].error is not None and str(status) in first.sources[0].error
    assert hub.state()["acme"]["failures"] == 1
    second = hub.pull(now=NOW + timedelta(minutes=5))
    assert len(feed_server.requests("/feed.xml")) == 2
    assert hub.state()["acme"]["failures"] == 2
    assert second.exit_code == 1


def test_one_malformed_feed_does_not_stop_the_others(hub: PullHub, feed_server: FeedServer) -> None:
    feed_server.route("/broken.xml", body=b"<html><body>Not a feed <b>at all")
    feed_server.route("/good.xml", body=rss(*items(2)))
    hub.sources(
        source("broken", feed_server.url("/broken.xml")),
        source("good", feed_server.url("/good.xml")),
    )
    report = hub.pull()
    assert report.exit_code == 1
    assert outcome(report, "broken") == "error"
    assert report.sources[0].error
    assert outcome(report, "good") == "ok"
    assert len(hub.pieces("good")) == 2
    assert hub.state()["broken"]["status"] == "error"
    assert "fingerprint" not in hub.state()["broken"]


def test_a_bad_entry_is_skipped_and_reported(hub: PullHub, feed_server: FeedServer) -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON partner",
        "items": [
            {
                "id": "1",
                "url": "https://json.example/a",
                "title": "Good item",
                "content_html": "<p>Fine.</p>",
            },
            {"id": "2", "url": "https://json.example/b", "title": ["not", "a", "string"]},
            {"id": "3", "title": "No link at all", "content_html": "<p>Where from?</p>"},
        ],
    }
    feed_server.route(
        "/feed.json",
        body=json.dumps(feed).encode(),
        headers={"Content-Type": "application/feed+json"},
    )
    hub.sources(source("jsonfeed", feed_server.url("/feed.json"), policy="full"))
    report = hub.pull()
    assert report.exit_code == 0
    skipped = report.sources[0].of("skipped")
    reasons = sorted(item.reason for item in skipped)
    assert len(reasons) == 2
    assert any("'title' must be a string" in r for r in reasons)
    assert any("no http(s) link" in r for r in reasons)
    [(path, doc)] = hub.pieces("jsonfeed").items()
    assert path == "docs/sources/jsonfeed/2026/good-item.md"
    assert doc.body == "Fine.\n"
    assert doc.meta["date_note"] == "the feed gave no date; first-seen time used"
    assert doc.meta["date"] == "2026-03-10T12:00:00Z"


# --- what is written --------------------------------------------------------------------------


def test_dedupe_across_sources(hub: PullHub, feed_server: FeedServer) -> None:
    article = "https://Vendor.example/blog/joint-launch/"
    feed_server.route("/a.xml", body=rss(Item("Joint launch", article, guid="a-1")))
    syndicated = "http://vendor.example/blog/joint-launch?utm_source=feed&utm_medium=rss&ref=x#top"
    feed_server.route("/b.xml", body=rss(Item("Joint launch (syndicated)", syndicated, guid="b-1")))
    hub.sources(
        source("first", feed_server.url("/a.xml")), source("second", feed_server.url("/b.xml"))
    )
    report = hub.pull()
    [duplicate] = report.sources[1].of("duplicate")
    assert duplicate.path == "docs/sources/first/2026/joint-launch.md"
    assert "same link as docs/sources/first/2026/joint-launch.md" in duplicate.reason
    assert list(hub.pieces()) == ["docs/sources/first/2026/joint-launch.md"]

    # the one already on disk wins even when its source comes later in sources.yml
    (hub.root / "feeds" / "state.json").unlink()  # make both feeds count as new bytes
    hub.sources(
        source("second", feed_server.url("/b.xml")), source("first", feed_server.url("/a.xml"))
    )
    again = hub.pull(now=NOW + timedelta(hours=1))
    assert list(hub.pieces()) == ["docs/sources/first/2026/joint-launch.md"]
    assert again.totals["duplicate"] == 1


def test_editor_edits_are_kept(hub: PullHub, feed_server: FeedServer) -> None:
    posts = items(2)
    feed_server.route("/feed.xml", body=rss(*posts))
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    hub.pull()
    path = hub.root / "docs/sources/acme/2026/post-number-0.md"
    edited = path.read_text().replace(
        "A short summary of the post.\n", "An editor's better intro.\n"
    )
    edited = edited.replace("topics: [", "topics: [mobile, ", 1)
    path.write_text(edited)
    assert not is_untouched(edited)

    unchanged_upstream = hub.pull(now=NOW + timedelta(hours=1))  # fingerprint fast path
    assert path.read_text() == edited
    (hub.root / "feeds" / "state.json").unlink()  # force re-ingest: still "unchanged"
    report = hub.pull(now=NOW + timedelta(hours=2))
    assert report.sources[0].counts["unchanged"] == 2
    assert unchanged_upstream.exit_code == 0

    posts[0].description = "Upstream rewrote the summary."
    posts[1].description = "Upstream rewrote this one too."
    feed_server.route("/feed.xml", body=rss(*posts))
    changed = hub.pull(now=NOW + timedelta(hours=3))
    [kept] = changed.sources[0].of("kept_edits")
    assert kept.path == "docs/sources/acme/2026/post-number-0.md"
    assert "kept editor's edits" in kept.reason
    assert path.read_text() == edited
    [updated] = changed.sources[0].of("updated")
    assert updated.path == "docs/sources/acme/2026/post-number-1.md"


def test_rehash_makes_a_deliberate_change_untouched(hub: PullHub, feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", body=rss(*items(1)))
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    hub.pull()
    [path] = (hub.root / "docs/sources/acme").rglob("*.md")
    text = path.read_text()
    retagged = text.replace("auto_topics: [", "auto_topics: [mobile, ").replace(
        "\ntopics: [", "\ntopics: [mobile, "
    )
    path.write_text(retagged)
    assert not is_untouched(retagged)
    assert rehash(path) is True
    assert is_untouched(path.read_text())
    assert rehash(path) is False
    assert path.read_text().replace(path.read_text().split("pulled_hash: ")[1][:64], "") == (
        retagged.replace(retagged.split("pulled_hash: ")[1][:64], "")
    )  # only the hash line changed


@pytest.mark.parametrize(
    ("date", "expected_date", "note"),
    [
        (None, "2026-03-10T12:00:00Z", "the feed gave no date; first-seen time used"),
        (
            "Mon, 01 Jan 2091 00:00:00 GMT",
            "2026-03-10T12:00:00Z",
            "the feed's date 2091-01-01 is in the future; first-seen time used",
        ),
        (
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "2026-03-10T12:00:00Z",
            "the feed's date 1970-01-01 is before 1990; first-seen time used",
        ),
        ("Sun, 01 Mar 2026 10:00:00 +0200", "2026-03-01T08:00:00Z", None),
    ],
)
def test_dates(
    hub: PullHub, feed_server: FeedServer, date: str | None, expected_date: str, note: str | None
) -> None:
    feed_server.route(
        "/feed.xml", body=rss(Item("Dated", "https://partner.example/d", "d", date=date))
    )
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    hub.pull()
    [doc] = hub.pieces("acme").values()
    assert doc.meta["date"] == expected_date
    assert doc.meta.get("date_note") == note


def test_json_feed_source_with_full_policy(hub: PullHub, feed_server: FeedServer) -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Lumen",
        "items": [
            {
                "id": "https://json.example/cdp",
                "url": "https://json.example/cdp",
                "title": "CDP contracts & more",
                "content_html": '<h1>Intro</h1><p>Data <a href="/guide">contracts</a> matter.</p><script>alert(1)</script>',
                "summary": "Why contracts.",
                "date_published": "2026-02-03T15:00:00+01:00",
                "date_modified": "2026-02-05T09:00:00Z",
                "authors": [{"name": "Sofia Marchetti"}],
            }
        ],
    }
    feed_server.route("/feed.json", body=json.dumps(feed).encode())
    hub.sources(source("lumen", feed_server.url("/feed.json"), policy="full"))
    hub.pull()
    [(path, doc)] = hub.pieces("lumen").items()
    assert path == "docs/sources/lumen/2026/cdp-contracts-more.md"
    assert doc.meta["title"] == "CDP contracts & more"
    assert doc.meta["date"] == "2026-02-03T14:00:00Z"
    assert doc.meta["updated"] == "2026-02-05T09:00:00Z"
    assert doc.meta["author"] == "Sofia Marchetti"
    assert doc.meta["summary"] == "Why contracts."
    assert doc.body == (
        '## Intro\n\nData [contracts](https://json.example/guide){: rel="nofollow noopener" } matter.\n'
    )


def test_excerpt_policy_writes_about_sixty_words_of_escaped_text(
    hub: PullHub, feed_server: FeedServer
) -> None:
    words = " ".join(f"word{i}" for i in range(100))
    post = Item(
        "Long post",
        "https://partner.example/long",
        "long",
        description=f"<p>Intro *not bold* {words}</p>",
        content="<p>The whole post, which the excerpt policy must not copy.</p>",
    )
    feed_server.route("/feed.xml", body=rss(post))
    hub.sources(source("acme", feed_server.url("/feed.xml"), policy="excerpt"))
    hub.pull()
    [doc] = hub.pieces("acme").values()
    body = doc.body.strip()
    assert body.startswith("Intro \\*not bold\\* word0 word1")
    assert body.endswith("word56…")
    assert len(body.split()) == 60
    assert "whole post" not in body
    assert doc.meta["summary"].startswith("Intro *not bold* word0")


def test_topics_from_the_tagger_else_the_source_defaults(
    hub: PullHub, feed_server: FeedServer
) -> None:
    on_topic = Item(
        "Marketing automation for lead nurturing",
        "https://partner.example/ma",
        "ma",
        description="Marketing automation workflows, lead scoring and nurture programs in the marketing automation platform.",
    )
    off_topic = Item(
        "Our office dog", "https://partner.example/dog", "dog", description="Meet Biscuit."
    )
    feed_server.route("/feed.xml", body=rss(on_topic, off_topic))
    hub.sources(source("acme", feed_server.url("/feed.xml"), topics=["channel-partners"]))
    report = hub.pull()
    by_guid = {i.guid: i.topics for i in report.sources[0].items}
    assert by_guid["ma"][0] == "marketing-automation"
    assert by_guid["dog"] == ("channel-partners",)
    docs = {d.meta["guid"]: d.meta for d in hub.pieces("acme").values()}
    assert docs["dog"]["topics"] == docs["dog"]["auto_topics"] == ["channel-partners"]


def test_same_title_gets_a_numbered_slug_and_the_path_never_changes(
    hub: PullHub, feed_server: FeedServer
) -> None:
    twins = [Item("Weekly update", f"https://partner.example/w{i}", f"w{i}") for i in range(3)]
    feed_server.route("/feed.xml", body=rss(*twins))
    hub.sources(source("acme", feed_server.url("/feed.xml")))
    hub.pull()
    assert sorted(hub.pieces("acme")) == [
        "docs/sources/acme/2026/weekly-update-2.md",
        "docs/sources/acme/2026/weekly-update-3.md",
        "docs/sources/acme/2026/weekly-update.md",
    ]
    by_guid = {d.meta["guid"]: p for p, d in hub.pieces("acme").items()}
    twins.reverse()  # a different order upstream must not move any file
    feed_server.route("/feed.xml", body=rss(*twins))
    hub.pull(now=NOW + timedelta(hours=1))
    assert {d.meta["guid"]: p for p, d in hub.pieces("acme").items()} == by_guid


# --- configuration, CLI, hook -----------------------------------------------------------------


def test_a_source_taken_out_of_sources_yml_leaves_the_state(
    hub: PullHub, feed_server: FeedServer
) -> None:
    feed_server.route("/a.xml", body=rss(*items(1, "a")))
    feed_server.route("/b.xml", body=rss(*items(1, "b")))
    hub.sources(source("a", feed_server.url("/a.xml")), source("b", feed_server.url("/b.xml")))
    hub.pull()
    assert set(hub.state()) == {"a", "b"}
    hub.sources(source("a", feed_server.url("/a.xml")))
    hub.pull(now=NOW + timedelta(hours=1), only="a")  # pulling one source keeps the others
    assert set(hub.state()) == {"a", "b"}
    hub.pull(now=NOW + timedelta(hours=2))
    assert set(hub.state()) == {"a"}
    assert len(hub.pieces("b")) == 1  # published pieces stay; removing them is an editor's call


def test_bad_sources_file_is_a_config_error(hub: PullHub) -> None:
    (hub.root / "feeds" / "sources.yml").write_text("sources:\n  - id: Bad Id\n    url: ftp://x\n")
    with pytest.raises(PullConfigError) as caught:
        hub.pull()
    assert caught.value.lines[0].startswith("feeds/sources.yml:2: source id 'Bad Id'")


def test_cli_exit_codes_plain_lines_and_json_report(hub: PullHub, feed_server: FeedServer) -> None:
    feed_server.route("/good.xml", body=rss(*items(2)))
    hub.sources(
        source("good", feed_server.url("/good.xml")), source("missing", feed_server.url("/404.xml"))
    )
    refused = channelhub(hub.root, "pull")  # 127.0.0.1 is refused without --allow-private
    assert refused.returncode == 1
    assert "good: failed: refused" in refused.stdout

    done = channelhub(hub.root, "pull", "--allow-private", "--report", "out/report.json")
    assert done.returncode == 1
    # one line per source, printed as each is done, then totals that add the lines up
    assert done.stdout.splitlines() == [
        "good: ok: 2 new",
        "missing: failed: HTTP 404 Not Found",
        "2 sources: 1 ok, 1 failed; entries: 2 new",
    ]
    assert done.stderr == ""
    report = json.loads((hub.root / "out" / "report.json").read_text())
    assert report["exit_status"] == 1
    assert report["totals"]["new"] == 2 and report["totals"]["failed"] == 1
    good = report["sources"][0]
    assert [i["path"] for i in good["new"]] == [
        "docs/sources/good/2026/post-number-0.md",
        "docs/sources/good/2026/post-number-1.md",
    ]
    assert report["sources"][1]["status"] == "failed"

    one = channelhub(hub.root, "pull", "--allow-private", "--source", "good", "--quiet")
    assert one.returncode == 0
    assert one.stderr == ""
    assert one.stdout.strip() == "1 source: 1 unchanged; no entries"
    assert (hub.root / ".cache/channelhub/pull-report.json").is_file()

    unknown = channelhub(hub.root, "pull", "--source", "nope")
    assert unknown.returncode == 2
    assert "no source 'nope'" in unknown.stderr

    (hub.root / "feeds" / "sources.yml").write_text("sources:\n  - id: x\n    url: [1]\n")
    bad = channelhub(hub.root, "pull")
    assert bad.returncode == 2
    assert "feeds/sources.yml:3: Expected text for 'url'" in bad.stderr


def test_pull_before_build_reports_in_lines_and_writes_the_report(hub: PullHub) -> None:
    (hub.root / "feeds" / "demo").mkdir()
    (hub.root / "feeds" / "demo" / "x.xml").write_bytes(rss(*items(2)))
    hub.sources(source("local", "feeds/demo/x.xml"))  # a bundled copy: no network at all
    info, warnings = pull_before_build(hub.root)
    assert info == ["pull: 1 source: 1 ok; entries: 2 new"]
    assert warnings == []
    assert (hub.root / ".cache/channelhub/pull-report.json").is_file()
    (hub.root / "feeds" / "sources.yml").write_text("sources: 3\n")
    info, warnings = pull_before_build(hub.root)
    assert info == [] and warnings[0].startswith("pull skipped: feeds/sources.yml:1:")


def test_pull_enabled_only_when_asked() -> None:
    """The build's one reading of extra.hub (`Settings`) decides, with the environment."""
    assert not pull_enabled(Settings.from_mapping(None), {})
    assert not pull_enabled(Settings.from_mapping({"page_size": 5}), {"CHANNELHUB_PULL": "0"})
    assert pull_enabled(Settings.from_mapping(None), {"CHANNELHUB_PULL": "1"})
    assert pull_enabled(Settings.from_mapping({"pull_on_build": True}), {})
    with pytest.raises(ValueError, match=r"extra\.hub\.pull_on_build must be true or false"):
        Settings.from_mapping({"pull_on_build": "yes"})  # an error, not silently no pull
    for wrong in (5, "yes", ["pull_on_build"]):  # `hub: 5` in mkdocs.yml: a message, no traceback
        with pytest.raises(ValueError, match=r"extra\.hub must be a mapping of settings"):
            Settings.from_mapping(wrong)  # type: ignore[arg-type]


# --- kill safety ------------------------------------------------------------------------------


def pieces_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.md") if not p.name.startswith(".")]


def test_killing_pull_leaves_whole_files_and_a_rerun_completes(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    scratch_hub(root)
    with FeedServer() as server:
        entries = []
        for n in range(6):
            path = f"/feed-{n}.xml"
            server.route(path, body=rss(*items(25, f"s{n}", host=f"s{n}.example")), delay=0.25)
            entries.append(source(f"source-{n}", server.url(path)))
        (root / "feeds" / "sources.yml").write_text(yaml.safe_dump({"sources": entries}))
        command = [sys.executable, "-m", "channelhub", "pull", "--allow-private", "--quiet"]
        kills = 0
        for _ in range(3):
            # kill as soon as a few more pieces have landed: mid-run, between or inside writes
            target = len(pieces_in(root)) + 15
            process = subprocess.Popen(
                command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 60
            while len(pieces_in(root)) < target and process.poll() is None:
                assert time.monotonic() < deadline, "pull wrote nothing for a minute"
                time.sleep(0.005)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=10)
            for path in pieces_in(root):
                doc = frontmatter.read(path)
                assert doc.meta["source"].startswith("source-")
                assert is_untouched(path.read_text())
            state_file = root / "feeds" / "state.json"
            if state_file.exists():
                recorded = json.loads(state_file.read_text())["sources"]
                for source_id in recorded:  # the state never claims a source before its pieces
                    assert len(pieces_in(root / "docs" / "sources" / source_id)) == 25
        assert kills >= 2
        done = channelhub(root, "pull", "--allow-private", "--quiet", timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert len(pieces_in(root)) == 6 * 25
    assert set(json.loads((root / "feeds" / "state.json").read_text())["sources"]) == {
        f"source-{n}" for n in range(6)
    }


# --- the public corpora through the whole write path ------------------------------------------

CORPORA = REPO.parent / "shared" / "corpora"
CORPUS_FOLDERS = ("feedparser", "feedvalidator/testcases")
PER_FEED_SECONDS = 10.0


@pytest.mark.corpus
def test_corpus_feeds_through_prepare_and_ingest(tmp_path: Path) -> None:
    """Every corpus feed: prepared in a limited worker, then written; no exception escapes,
    each feed stays within its budget, and every piece written is valid for `check`."""
    from concurrent.futures import ThreadPoolExecutor

    from channelhub.config import Source, load_hub
    from channelhub.content import piece_from_document
    from channelhub.ingest import FeedSpec, Ingestor, PreparedFeed, prepare_feed
    from channelhub.parse import FeedError
    from channelhub.sandbox import SandboxError

    if not all((CORPORA / folder).is_dir() for folder in CORPUS_FOLDERS):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CORPORA} is missing; CI must have ../shared/corpora")
        pytest.skip(f"{CORPORA} is absent (the public corpora live in ../shared/corpora)")
    files = [p for f in CORPUS_FOLDERS for p in sorted((CORPORA / f).rglob("*")) if p.is_file()]
    scratch_hub(tmp_path)
    (tmp_path / "feeds" / "sources.yml").write_text(
        yaml.safe_dump({"sources": [source("corpus", "https://feeds.example/x", policy="full")]})
    )
    hub = load_hub(tmp_path)
    spec = FeedSpec.of(
        Source(id="corpus", name="Corpus", url="https://feeds.example/x", policy="full"),
        hub.topics,
        NOW,
    )

    def prepare(path: Path) -> tuple[PreparedFeed | str, float]:
        started = time.monotonic()
        try:
            url = f"https://feeds.example/{path.name}"
            result: PreparedFeed | str = pool.run(prepare_feed, path.read_bytes(), url, None, spec)
        except (FeedError, SandboxError) as exc:
            result = exc.message
        return result, time.monotonic() - started

    ingestor = Ingestor(tmp_path, NOW)
    counts = {"feeds": 0, "errors": 0, "written": 0}
    with new_sandbox(2) as pool, ThreadPoolExecutor(2) as threads:
        for path, (result, seconds) in zip(files, threads.map(prepare, files), strict=True):
            assert seconds < PER_FEED_SECONDS, f"{path}: {seconds:.1f} s"
            if isinstance(result, str):
                counts["errors"] += 1
                continue
            counts["feeds"] += 1
            results = ingestor.ingest("corpus", result)
            # every entry is accounted for: written, skipped with a reason, or a duplicate
            assert len(results) == len(result.entries) + len(result.skipped)
            assert all(r.reason for r in results if r.action in ("skipped", "duplicate"))
            for item in results:
                counts[item.action] = counts.get(item.action, 0) + 1
    problems = []
    for piece in (tmp_path / "docs" / "sources").rglob("*.md"):
        doc = frontmatter.read(piece)
        src_uri = piece.relative_to(tmp_path / "docs").as_posix()
        _, found = piece_from_document(doc, src_uri, hub, display=src_uri)
        problems += [str(p) for p in found if p.severity == "error"]
        assert is_untouched(piece.read_text())
    assert problems == []
    # the corpora reuse a few links (example.com...) across files: most entries are duplicates
    assert counts["feeds"] > 3000 and counts["new"] > 100 and counts["duplicate"] > 100, counts


def test_terminal_table_and_summary_words(hub: PullHub, feed_server: FeedServer) -> None:
    from rich.console import Console

    from channelhub.cli.pull import report_table
    from channelhub.pull import summary_lines

    feed_server.route("/new.xml", body=rss(*items(2)))
    feed_server.redirect("/old.xml", "/new.xml", status=308)
    feed_server.route("/bad.xml", status=500)
    hub.sources(
        source("moved", feed_server.url("/old.xml")), source("broken", feed_server.url("/bad.xml"))
    )
    report = hub.pull()
    console = Console(record=True, width=200, force_terminal=True)
    console.print(report_table(report))
    table = console.export_text()
    assert "moved to " + feed_server.url("/new.xml") + ": update sources.yml" in table
    assert "HTTP 500" in table
    lines = summary_lines(report)
    assert lines[0] == "moved: ok: 2 new"
    assert lines[1].startswith("broken: failed: HTTP 500")
    assert f"update sources.yml: moved moved to {feed_server.url('/new.xml')}" in lines
    assert summary_lines(report, quiet=True)[0].startswith("broken: failed")
