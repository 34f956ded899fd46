"""Takedowns end to end: real git, real HTTP on 127.0.0.1, the real `channelhub` command.

A pulled piece deleted by git (or by hand, or by `channelhub takedown`) stays deleted: the
next pulls do not write it again when the feed changes, when its entry is updated upstream,
when the same article arrives through another source, or after feeds/state.json is deleted.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from channelhub import ledger as ledger_store
from channelhub.ledger import LEDGER_FILE, Pulled
from channelhub.pull import PullConfigError, summary_lines
from channelhub.takedowns import TAKEDOWNS_FILE, Takedown, Takedowns, parse
from feedserver import FeedServer
from pulling import NOW, Item, PullHub, hub, items, rss, sandbox, source
from scratch import channelhub

__all__ = ["hub", "sandbox"]  # the fixtures this module uses from pulling.py

GONE = "docs/sources/acme/2026/post-number-1.md"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def records(root: Path) -> list[dict[str, str]]:
    data = yaml.safe_load((root / TAKEDOWNS_FILE).read_text(encoding="utf-8"))
    return list(data["takedowns"] or [])


def guids_on_disk(hub: PullHub) -> dict[str, str]:
    return {str(doc.meta["guid"]): path for path, doc in hub.pieces().items()}


@pytest.fixture
def repo(hub: PullHub, feed_server: FeedServer) -> PullHub:
    """The scratch hub as a git repository with three pulled pieces of `acme` committed."""
    git(hub.root, "init", "-q", "-b", "main")
    feed_server.route("/acme.xml", body=rss(*items(3)))
    hub.sources(source("acme", feed_server.url("/acme.xml")))
    hub.pull()
    commit_all(hub.root, "First pull")
    return hub


def test_a_piece_deleted_in_git_stays_down(repo: PullHub, feed_server: FeedServer) -> None:
    hub = repo
    assert GONE in hub.pieces()
    git(hub.root, "rm", "-q", GONE)
    commit_all(hub.root, "Take down post 1")

    # the feed changes: a new entry, the deleted entry and another one updated upstream
    posts = [*items(4)]
    posts[0].description = "Post 0 changed upstream."
    posts[1].title = "Post number 1, revised"
    posts[1].description = "The deleted post changed upstream."
    feed_server.route("/acme.xml", body=rss(*posts))
    # and the same article arrives through a second source, with tracking parameters
    copy = Item(
        "Post number 1 (syndicated)",
        "http://partner.example/post-1/?utm_source=feed",
        guid="b-1",
    )
    feed_server.route("/b.xml", body=rss(copy, *items(1, "other", host="b.example")))
    hub.sources(
        source("acme", feed_server.url("/acme.xml")), source("second", feed_server.url("/b.xml"))
    )
    report = hub.pull(now=NOW + timedelta(hours=6))

    on_disk = guids_on_disk(hub)
    assert "post-1" not in on_disk and "b-1" not in on_disk and GONE not in hub.pieces()
    assert on_disk["post-3"] == "docs/sources/acme/2026/post-number-3.md"
    assert on_disk["other-0"] == "docs/sources/second/2026/other-number-0.md"
    acme, second = report.sources
    assert [i.path for i in acme.of("new")] == ["docs/sources/acme/2026/post-number-3.md"]
    assert [i.path for i in acme.of("updated")] == ["docs/sources/acme/2026/post-number-0.md"]
    [kept] = acme.of("kept_down")
    assert (kept.guid, kept.path) == ("post-1", GONE)
    assert kept.reason.startswith("taken down on 2026-03-10 (deleted from the repository;")
    assert f"delete its record in {TAKEDOWNS_FILE}:" in kept.reason
    [kept_copy] = second.of("kept_down")
    assert kept_copy.guid == "b-1"

    # the deletion became a record, with the header's comments kept
    [record] = report.takedowns
    assert record.path == GONE and record.guid == "post-1" and record.source == "acme"
    assert records(hub.root) == [
        {
            "source": "acme",
            "guid": "post-1",
            "link": "https://partner.example/post-1",
            "path": GONE,
            "date": "2026-03-10",
            "reason": "deleted from the repository; found by pull",
        }
    ]
    assert (hub.root / TAKEDOWNS_FILE).read_text().startswith("# Pulled pieces the editors")
    assert report.exit_code == 0
    lines = summary_lines(report)
    assert lines[0] == "acme: ok: 1 new, 1 updated, 1 unchanged, 1 kept down"
    assert lines[1].startswith(f"  kept down: {GONE}: taken down on 2026-03-10")
    assert lines[-2].startswith(f"taken down: {GONE}: deleted from the repository; found by pull")
    assert lines[-1] == ("2 sources: 2 ok; entries: 2 new, 1 updated, 1 unchanged, 2 kept down")
    data = report.to_json()
    assert data["totals"]["kept_down"] == 2
    assert data["takedowns"][0]["path"] == GONE
    assert data["sources"][0]["kept_down"][0]["guid"] == "post-1"
    commit_all(hub.root, "Second pull")

    # the same with the feed state gone: every feed is read again, the piece stays down
    (hub.root / "feeds" / "state.json").unlink()
    again = hub.pull(now=NOW + timedelta(hours=12))
    assert again.takedowns == ()  # already recorded
    assert again.totals["kept_down"] == 2 and again.totals["new"] == 0
    assert "post-1" not in guids_on_disk(hub)
    assert GONE not in (hub.root / LEDGER_FILE).read_text()


def test_deletions_from_before_the_ledger_are_found_in_git_history(
    repo: PullHub, feed_server: FeedServer
) -> None:
    hub = repo
    git(hub.root, "rm", "-q", GONE)
    deleted_in = commit_all(hub.root, "Take down post 1")
    (hub.root / "docs/sources/acme/2026/post-number-2.md").unlink()  # not committed yet
    # a repository from before the ledger (or one whose ledger was deleted), state lost too
    (hub.root / LEDGER_FILE).unlink()
    (hub.root / "feeds" / "state.json").unlink()
    report = hub.pull(now=NOW + timedelta(days=1))
    assert sorted(guids_on_disk(hub)) == ["post-0"]
    assert report.totals["kept_down"] == 2
    by_guid = {r["guid"]: r for r in records(hub.root)}
    today = datetime.now(UTC).date().isoformat()
    assert by_guid["post-1"]["reason"] == (
        f"deleted in commit {deleted_in[:10]} of {today}; found in git history by pull"
    )
    assert by_guid["post-2"]["reason"] == "deleted in the working tree; found by pull"
    assert report.problems == ()
    ledger, _ = ledger_store.load(hub.root)
    assert list(ledger.rows) == ["docs/sources/acme/2026/post-number-0.md"]


def test_without_git_history_a_warning_says_what_cannot_be_known(
    hub: PullHub, feed_server: FeedServer
) -> None:
    feed_server.route("/acme.xml", body=rss(*items(2)))
    hub.sources(source("acme", feed_server.url("/acme.xml")))
    hub.pull()
    (hub.root / "docs/sources/acme/2026/post-number-1.md").unlink()
    (hub.root / LEDGER_FILE).unlink()  # no ledger and no git: the deletion cannot be known
    (hub.root / "feeds" / "state.json").unlink()
    report = hub.pull(now=NOW + timedelta(hours=1))
    [problem] = report.problems
    assert str(problem).startswith(
        f"{LEDGER_FILE}:1: warning: no ledger yet and not a git repository"
    )
    assert [i.guid for i in report.sources[0].of("new")] == ["post-1"]  # written again
    # from now on the ledger knows: a deletion by hand is a takedown
    (hub.root / "docs/sources/acme/2026/post-number-1.md").unlink()
    (hub.root / "feeds" / "state.json").unlink()
    later = hub.pull(now=NOW + timedelta(hours=2))
    assert [i.guid for i in later.sources[0].of("kept_down")] == ["post-1"]
    assert later.problems == ()


def test_a_moved_piece_is_not_a_takedown(repo: PullHub, feed_server: FeedServer) -> None:
    hub = repo
    moved = hub.root / "docs/sources/acme/2025/an-older-post.md"
    moved.parent.mkdir()
    git(hub.root, "mv", GONE, "docs/sources/acme/2025/an-older-post.md")
    commit_all(hub.root, "Move post 1")
    posts = items(3)
    posts[1].description = "Changed upstream."
    feed_server.route("/acme.xml", body=rss(*posts))
    report = hub.pull(now=NOW + timedelta(hours=1))
    assert report.takedowns == ()
    assert [i.path for i in report.sources[0].of("updated")] == [
        "docs/sources/acme/2025/an-older-post.md"
    ]
    assert "Changed upstream." in moved.read_text()


def test_takedown_command_records_deletes_and_undo_restores(
    repo: PullHub, feed_server: FeedServer
) -> None:
    hub = repo
    target = "docs/sources/acme/2026/post-number-0.md"
    done = channelhub(hub.root, "takedown", target, "--reason", "the partner  asked us")
    assert done.returncode == 0, done.stderr
    line = len((hub.root / TAKEDOWNS_FILE).read_text().splitlines())
    assert done.stdout == f"taken down: {target} (recorded in {TAKEDOWNS_FILE}:{line - 6})\n"
    assert not (hub.root / target).exists()
    [record] = records(hub.root)
    assert record == {
        "source": "acme",
        "guid": "post-0",
        "link": "https://partner.example/post-0",
        "path": target,
        "title": "Post number 0",
        "date": datetime.now(UTC).date().isoformat(),
        "reason": "the partner asked us",
    }
    assert target not in (hub.root / LEDGER_FILE).read_text()

    (hub.root / "feeds" / "state.json").unlink()
    kept = hub.pull(now=NOW + timedelta(hours=1))
    assert [i.guid for i in kept.sources[0].of("kept_down")] == ["post-0"]
    assert kept.takedowns == ()  # the command recorded it already

    # undo: delete the record (an editor's edit), and the next pull writes the piece again
    text = (hub.root / TAKEDOWNS_FILE).read_text()
    (hub.root / TAKEDOWNS_FILE).write_text(text[: text.index("  - source: acme")])
    (hub.root / "feeds" / "state.json").unlink()
    back = hub.pull(now=NOW + timedelta(hours=2))
    assert [i.path for i in back.sources[0].of("new")] == [target]
    assert (hub.root / target).is_file()


def test_takedown_of_a_file_already_deleted_uses_the_ledger(repo: PullHub) -> None:
    hub = repo
    git(hub.root, "rm", "-q", GONE)
    done = channelhub(hub.root, "takedown", GONE)
    assert done.returncode == 0, done.stderr
    [record] = records(hub.root)
    assert (record["guid"], record["reason"]) == ("post-1", "taken down with channelhub takedown")
    again = channelhub(hub.root, "takedown", GONE)  # nothing new to record, nothing to delete
    assert again.returncode == 2
    assert "no such file, and no pull wrote it" in again.stderr


def test_takedown_refuses_what_is_not_a_pulled_piece_and_changes_nothing(repo: PullHub) -> None:
    hub = repo
    (hub.root / "docs" / "articles").mkdir()
    (hub.root / "docs" / "articles" / "mine.md").write_text("---\ntitle: Mine\n---\nText.\n")
    before = hub.snapshot()
    done = channelhub(
        hub.root,
        "takedown",
        "docs/sources/acme/2026/post-number-0.md",
        "docs/articles/mine.md",
        "docs/sources/acme/2026/nothing-here.md",
        "docs/sources/acme",
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "Error: docs/articles/mine.md: not a pulled piece (pulled pieces are under docs/sources/)",
        "docs/sources/acme/2026/nothing-here.md: no such file, and no pull wrote it",
        "docs/sources/acme: a folder; name the pieces (docs/sources/<id>/<year>/*.md)",
    ]
    assert hub.snapshot() == before  # the valid path was not taken down either
    assert not (hub.root / TAKEDOWNS_FILE).exists()


def test_a_broken_takedowns_file_stops_the_pull_with_its_line(
    repo: PullHub,
) -> None:
    hub = repo
    (hub.root / TAKEDOWNS_FILE).write_text(
        "# comment\ntakedowns:\n  - reason: no keys\n  - link: ftp://x.example/a\n"
        "  - source: acme\n    guid: post-0\n    why: typo\n"
    )
    with pytest.raises(PullConfigError) as caught:
        hub.pull(now=NOW + timedelta(hours=1))
    assert caught.value.lines == (
        f"{TAKEDOWNS_FILE}:3: a takedown needs 'source' and 'guid', or 'link'",
        f"{TAKEDOWNS_FILE}:4: link must be an http(s) URL: ftp://x.example/a",
        f"{TAKEDOWNS_FILE}:7: unknown key 'why' in a takedown (known: date, guid, link, path,"
        " reason, source, title)",
    )
    done = channelhub(hub.root, "pull", "--allow-private")
    assert done.returncode == 2
    assert f"{TAKEDOWNS_FILE}:3: a takedown needs" in done.stderr


# --- the records and the ledger on their own --------------------------------------------------


def test_records_match_by_entry_and_by_normalised_link(tmp_path: Path) -> None:
    text = (
        "takedowns:\n"
        "  - source: acme\n    guid: g-1\n"
        "  - link: https://Vendor.example/blog/post/\n    date: 2026-03-01\n    reason: legal\n"
    )
    takedowns, problems = parse(text, tmp_path)
    assert problems == []
    assert takedowns.blocking("acme", "g-1", "elsewhere.example/x") is not None
    assert takedowns.blocking("other", "g-1", "elsewhere.example/x") is None
    found = takedowns.blocking("any", "z", "vendor.example/blog/post")
    assert found is not None and found.line == 4
    assert found.describe() == (
        f"taken down on 2026-03-01 (legal); delete its record in {TAKEDOWNS_FILE}:4 to allow"
        " it again"
    )
    assert Takedowns(tmp_path).blocking("acme", "g-1", "x") is None


def test_adding_records_keeps_comments_and_skips_what_is_covered(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    takedowns = Takedowns(tmp_path)
    first = takedowns.add([Takedown(source="acme", guid="g-1", reason="a: b # c")])
    assert [r.line for r in first] == [5]
    text = (tmp_path / TAKEDOWNS_FILE).read_text()
    assert text.startswith("# Pulled pieces the editors took down")
    assert takedowns.add([Takedown(source="acme", guid="g-1"), Takedown(link="https://x.example/")])
    assert len(takedowns.add([Takedown(link="http://X.example")])) == 0
    reloaded, problems = parse((tmp_path / TAKEDOWNS_FILE).read_text(), tmp_path)
    assert problems == []
    assert [(r.guid, r.link, r.reason) for r in reloaded.records] == [
        ("g-1", "", "a: b # c"),
        ("", "https://x.example/", ""),
    ]


def test_ledger_round_trip_and_a_bad_line(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    ledger, problems = ledger_store.load(tmp_path)
    assert (ledger.exists, problems) == (False, [])
    ledger.add(Pulled("docs/sources/b/2026/z.md", "b", "g\n2", "https://b.example/z"))
    ledger.add(Pulled("docs/sources/a/2026/y.md", "a", "ü", ""))
    assert ledger.save(tmp_path) is True
    assert ledger.save(tmp_path) is False  # unchanged: not written again
    text = (tmp_path / LEDGER_FILE).read_text()
    assert text.splitlines()[0].startswith('{"path": "docs/sources/a/2026/y.md"')
    (tmp_path / LEDGER_FILE).write_text(text + "not json\n")
    again, problems = ledger_store.load(tmp_path)
    assert again.rows == ledger.rows
    assert [str(p) for p in problems] == [f"{LEDGER_FILE}:3: warning: not a ledger row; dropped"]
    assert json.loads(text.splitlines()[1])["guid"] == "g\n2"


def test_a_takedowns_file_that_cannot_take_a_record(repo: PullHub) -> None:
    hub = repo
    (hub.root / TAKEDOWNS_FILE).write_text(
        "takedowns:\n  - link: https://x.example/a\nnotes: the list is not last\n"
    )
    (hub.root / GONE).unlink()
    (hub.root / "feeds" / "state.json").unlink()
    report = hub.pull(now=NOW + timedelta(hours=1))
    cannot = (
        f"{TAKEDOWNS_FILE}: cannot append: the 'takedowns:' list must be the last thing in the file"
    )
    assert [str(p) for p in report.problems] == [
        f"{TAKEDOWNS_FILE}:1: cannot record 1 takedown(s), kept down in this run: {cannot}"
    ]
    assert report.exit_code == 1
    assert [i.guid for i in report.sources[0].of("kept_down")] == ["post-1"]
    assert GONE not in hub.pieces()
    assert GONE in (hub.root / LEDGER_FILE).read_text()  # the next pull tries again

    piece = "docs/sources/acme/2026/post-number-0.md"
    done = channelhub(hub.root, "takedown", piece)
    assert (done.returncode, done.stderr) == (2, f"Error: {cannot}\n")
    assert (hub.root / piece).is_file()
