"""Incremental builds: after any edits, the site a dirty build leaves is byte for byte the site
a clean build of the same tree makes, and it re-renders only the pages whose content changed.

Each case builds a small hub (tests/rebuilding.py), changes it, builds it again reusing the
last build and from nothing, and compares status, warnings and every file; a stateful
hypothesis test does the same after random sequences of edits.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import initialize, invariant
from jinja2.bccache import bc_magic

from channelhub.rebuild import CACHE_DIR
from channelhub.rebuild.store import TEMPLATE_DIR
from rebuilding import (
    EDITORS,
    SOURCES,
    TOPICS,
    Hub,
    HubEdits,
    build,
    check_against_clean,
    small_hub,
)
from scratch import channelhub

pytestmark = pytest.mark.build

#: pages of the nav: built every time (every page shows their titles)
NAV = 5


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    """A small hub, built once (clean) into tmp_path/site."""
    small = Hub(small_hub(tmp_path / "hub"))
    first = build(small.root, tmp_path / "site", clean=True)
    assert first.status == 0, first.warnings
    return small


def _mtimes(site: Path) -> dict[str, int]:
    return {
        p.relative_to(site).as_posix(): p.stat().st_mtime_ns
        for p in site.rglob("*.html")
        if p.is_file()
    }


def _rendered(tmp_path: Path, change: Callable[[], object]) -> set[str]:
    """Apply a change, check the incremental build against a clean one, and return the HTML
    pages it wrote (those whose output it did not leave as it was)."""
    site = tmp_path / "site"
    before = _mtimes(site)
    change()
    check_against_clean(Path(tmp_path / "hub"), tmp_path)
    after = _mtimes(site)
    return {page for page, mtime in after.items() if before.get(page) != mtime}


def _nav_pages() -> set[str]:
    return {
        "index.html",
        "topics/index.html",
        "editors/index.html",
        "notes/index.html",
        "about/index.html",
    }


def test_nothing_changed_renders_only_the_nav(hub: Hub, tmp_path: Path) -> None:
    written = _rendered(tmp_path, lambda: None)
    assert written - {"404.html"} == _nav_pages()


def test_a_body_edit_renders_that_piece_alone(hub: Hub, tmp_path: Path) -> None:
    path = hub.pieces()[0]
    written = _rendered(tmp_path, lambda: hub.edit(path, body="\nNew words entirely.\n"))
    page = path.removeprefix("docs/").removesuffix(".md") + "/index.html"
    assert written - {"404.html"} == _nav_pages() | {page}


def test_a_title_edit_renders_the_piece_and_the_listings_that_show_it(
    hub: Hub, tmp_path: Path
) -> None:
    path = hub.pieces()[0]
    written = _rendered(tmp_path, lambda: hub.edit(path, title="A brand new title"))
    page = path.removeprefix("docs/").removesuffix(".md") + "/index.html"
    assert page in written
    site = tmp_path / "site"
    showing = {
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if "A brand new title" in p.read_text(encoding="utf-8")
    }
    assert showing <= written  # every page that shows the new title was written again
    assert len(written) < len(_mtimes(site)) / 2  # and not the whole site


@pytest.mark.parametrize(
    "change",
    [
        "add",
        "delete",
        "rename",
        "date",
        "topics",
        "topic title",
        "editor name",
        "source name",
        "override",
        "page size",
        "topic intro",
        "draft",
        "date in the future",
        "expired",
        "alias",
        "featured",
        "co-author",
    ],
)
def test_each_kind_of_edit_gives_the_clean_build(hub: Hub, tmp_path: Path, change: str) -> None:
    first = hub.pieces()[0]
    edits: dict[str, Callable[[], object]] = {
        "add": lambda: hub.add_piece(40, days=100),
        "delete": lambda: hub.remove(first),
        "rename": lambda: hub.rename(first),
        "date": lambda: hub.edit(first, date="2026-12-01"),
        "topics": lambda: hub.edit(first, topics=[TOPICS[3]]),
        "topic title": lambda: hub.retitle_topic(TOPICS[0], "Marketing & IT, together"),
        "editor name": lambda: hub.rename_editor(next(iter(EDITORS)), "Ann Leigh-Smith"),
        "source name": lambda: hub.rename_source(next(iter(SOURCES)), "Acme <Partner> Blog"),
        "override": lambda: hub.override("a comment in the theme"),
        "page size": lambda: (hub.root / "mkdocs.yml").write_text(
            (hub.root / "mkdocs.yml")
            .read_text(encoding="utf-8")
            .replace("page_size: 2", "page_size: 3"),
            encoding="utf-8",
        ),
        "topic intro": lambda: hub.topic_intro(TOPICS[1], "Our own words about *mobile*."),
        "draft": lambda: hub.edit(first, draft=True),
        "date in the future": lambda: hub.edit(first, date="2026-09-01T08:00:00Z"),
        "expired": lambda: hub.edit(first, expires="2026-03-01"),
        "alias": lambda: hub.alias(first, "/old/place/"),
        "featured": lambda: hub.edit(first, featured=True),
        "co-author": lambda: hub.co_author(first, list(EDITORS)[2]),
    }
    edits[change]()
    check_against_clean(hub.root, tmp_path)
    check_against_clean(hub.root, tmp_path)  # and a build with nothing changed after it


def _page(path: str) -> str:
    return path.removeprefix("docs/").removesuffix(".md") + "/index.html"


@pytest.mark.parametrize(
    ("key", "value"),
    [("draft", True), ("featured", True), ("aliases", ["/old/place/", "/older/one.html"])],
)
def test_a_flag_set_then_taken_back(hub: Hub, tmp_path: Path, key: str, value: object) -> None:
    first = hub.pieces()[0]
    hub.edit(first, **{key: value})
    check_against_clean(hub.root, tmp_path)
    hub.edit(first, **{key: None})
    check_against_clean(hub.root, tmp_path)
    site = tmp_path / "site"
    assert (site / _page(first)).is_file()
    assert not (site / "old" / "place").exists() and not (site / "older").exists()


def test_now_crossing_a_scheduled_then_an_expiry_time(hub: Hub, tmp_path: Path) -> None:
    """Nothing in the tree changes: only CHANNELHUB_NOW moves past a piece's date, then past
    its expiry. The page set follows, exactly as a clean build's."""
    first = hub.pieces()[0]
    hub.edit(first, date="2026-09-01T08:00:00Z", expires="2026-10-01T00:00:00Z")
    page = tmp_path / "site" / _page(first)
    check_against_clean(hub.root, tmp_path)
    assert not page.exists()  # scheduled
    check_against_clean(hub.root, tmp_path, now="2026-09-01T07:59:59Z")
    assert not page.exists()
    published = check_against_clean(hub.root, tmp_path, now="2026-09-01T08:00:00Z")
    assert page.is_file() and published.reused > 0
    check_against_clean(hub.root, tmp_path, now="2026-10-01T00:00:01Z")
    assert not page.exists()  # expired


def test_a_link_target_appearing_and_disappearing(hub: Hub, tmp_path: Path) -> None:
    target = "articles/2026/later.md"
    hub.about_links_to([target])
    assert check_against_clean(hub.root, tmp_path).status == 1  # the target is missing
    hub.write(f"docs/{target}", (hub.root / hub.pieces()[0]).read_text(encoding="utf-8"))
    assert check_against_clean(hub.root, tmp_path).status == 0  # it appeared: the link works
    about = (tmp_path / "site" / "about" / "index.html").read_text(encoding="utf-8")
    assert 'href="../articles/2026/later/"' in about
    hub.remove(f"docs/{target}")
    failed = check_against_clean(hub.root, tmp_path)
    assert failed.status == 1 and any("later.md" in w for w in failed.warnings)


def test_a_link_to_a_held_piece_becomes_a_link_when_it_is_published(
    hub: Hub, tmp_path: Path
) -> None:
    """The About page links to a draft: the build shows the link's text only (no 404 for
    readers); once the draft is published the reused About page must link to it, and after it
    is held again (scheduled) the link must go back to text, exactly as a clean build."""
    target = hub.pieces()[0]
    hub.about_links_to([target.removeprefix("docs/")])
    hub.edit(target, draft=True)
    about = tmp_path / "site" / "about" / "index.html"
    check_against_clean(hub.root, tmp_path)
    link = 'href="../' + target.removeprefix("docs/").removesuffix(".md") + '/"'
    assert link not in about.read_text(encoding="utf-8")
    hub.edit(target, draft=None)
    check_against_clean(hub.root, tmp_path)
    assert link in about.read_text(encoding="utf-8")
    hub.edit(target, date="2027-01-01T00:00:00Z")
    check_against_clean(hub.root, tmp_path)
    assert link not in about.read_text(encoding="utf-8")


def test_a_failing_build_fails_again_then_builds_once_fixed(hub: Hub, tmp_path: Path) -> None:
    path = hub.pieces()[1]
    hub.edit(path, topics=["no-such-topic"])
    assert check_against_clean(hub.root, tmp_path).status == 1
    assert check_against_clean(hub.root, tmp_path).status == 1  # nothing changed: fails the same
    hub.edit(path, topics=[TOPICS[0]])
    assert check_against_clean(hub.root, tmp_path).status == 0


def test_a_build_that_stops_half_way_leaves_the_next_one_incremental_and_exact(
    hub: Hub, tmp_path: Path
) -> None:
    """A build that fails (a missing snippet while pages render, nothing written yet; a missing
    template while pages are written) does not make the next one whole: it goes on from what
    the failed one knew, and equals the clean build, without what the failed one wrote."""
    site = tmp_path / "site"
    pieces = hub.pieces()
    broken = hub.root / pieces[0]
    original = broken.read_text(encoding="utf-8")
    hub.edit(pieces[1], title="Retitled in the save that also breaks a snippet")
    broken.write_text(original + '\n--8<-- "no-such-snippet.md"\n', encoding="utf-8")
    assert build(hub.root, site).status == 1
    broken.write_text(original, encoding="utf-8")
    fixed = check_against_clean(hub.root, tmp_path)
    assert fixed.reused > 0, fixed.rebuild

    early = "docs/articles/2026/aaa-written-before-the-failure.md"
    hub.write(early, (hub.root / pieces[0]).read_text(encoding="utf-8"))
    late = max(pieces)  # a source's piece: written after the articles
    hub.edit(late, template="no-such-template.html")
    failed = build(hub.root, site)
    assert failed.status == 1 and any("no-such-template" in w for w in failed.warnings), failed
    written = site / "articles" / "2026" / "aaa-written-before-the-failure" / "index.html"
    assert written.is_file()  # the failed build did write into the site
    hub.remove(early)
    hub.edit(late, template=None, title="Fixed after the failure")
    fixed = check_against_clean(hub.root, tmp_path)  # the early page is gone again
    assert fixed.reused > 0, fixed.rebuild
    assert not written.exists()


def test_a_build_that_fails_after_writing_the_search_index_leaves_it_for_the_next(
    hub: Hub, tmp_path: Path
) -> None:
    """A build that fails once the search index is written and kept (a missing template while
    pages are written, after the indexer was asked to write) names that index in its cache:
    the build that fixes it takes it up, so it renders no piece the failed build did not
    touch (it rendered every piece again when the cache named the last build's index), and
    equals the clean build."""
    site = tmp_path / "site"
    pieces = hub.pieces()
    html = {p: p.removeprefix("docs/").removesuffix(".md") + "/index.html" for p in pieces}
    late = max(pieces)  # a source's piece: written after the articles
    hub.edit(pieces[0], title="Retitled in the save that also breaks a template")
    hub.edit(late, template="no-such-template.html")
    first = _mtimes(site)
    failed = build(hub.root, site)
    assert failed.status == 1 and any("no-such-template" in w for w in failed.warnings), failed
    then = _mtimes(site)
    # pieces the failed build wrote depend on what changed (the retitled one, its neighbours)
    untouched = {p for p, page in html.items() if first.get(page) == then.get(page)} - {late}
    assert untouched, "the failed build wrote every piece: the test shows nothing"
    hub.edit(late, template=None)
    fixed = check_against_clean(hub.root, tmp_path)
    now = _mtimes(site)
    rendered = {p for p, page in html.items() if then.get(page) != now.get(page)}
    assert late in rendered and not rendered & untouched, (fixed.rebuild, len(rendered & untouched))


def test_a_damaged_or_unfinished_cache_means_a_clean_build(hub: Hub, tmp_path: Path) -> None:
    (cache,) = (hub.root / CACHE_DIR).glob("site-*.sqlite")
    with sqlite3.connect(cache) as db:
        db.execute("update meta set value = 'building' where name = 'state'")
    hub.edit(hub.pieces()[0], summary="Changed while the cache says a build was killed.")
    assert build(hub.root, tmp_path / "site").reused == 0
    cache.write_bytes(b"this is not a database")
    hub.edit(hub.pieces()[0], summary="Changed again, with the cache unreadable.")
    assert check_against_clean(hub.root, tmp_path).reused == 0
    assert check_against_clean(hub.root, tmp_path).reused > 0  # and a good cache again after it


def test_a_cache_that_is_not_reused_keeps_no_row_for_later_builds(hub: Hub, tmp_path: Path) -> None:
    """A build that reuses nothing (here: the cache is from other code) clears the cache's rows:
    a piece as other code read it must not come back in the build after it."""
    (cache,) = (hub.root / CACHE_DIR).glob("site-*.sqlite")
    with sqlite3.connect(cache) as db:
        db.execute(
            "update meta set value = 'other code' where name in ('global_key', 'generation')"
        )
        db.execute("insert into pieces values ('read by other code', x'00', 'x')")
        db.execute("insert into inputs values ('/elsewhere.md', '1:2:3:4', 'd', 0, 'x')")
    assert build(hub.root, tmp_path / "site").reused == 0
    with sqlite3.connect(cache) as db:
        assert not db.execute("select 1 from pieces where key = 'read by other code'").fetchall()
        assert not db.execute("select 1 from inputs where path = '/elsewhere.md'").fetchall()
    assert check_against_clean(hub.root, tmp_path).reused > 0


def test_outputs_changed_or_removed_behind_its_back_are_written_again(
    hub: Hub, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    page = site / hub.pieces()[0].removeprefix("docs/").removesuffix(".md") / "index.html"
    page.write_text("vandalised", encoding="utf-8")
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))  # even with an older mtime
    check_against_clean(hub.root, tmp_path)
    shutil.rmtree(site / "topics")
    check_against_clean(hub.root, tmp_path)
    (site / "stray.html").write_text("not the hub's", encoding="utf-8")
    build(hub.root, site)
    assert (site / "stray.html").exists()  # a file the hub never wrote is not the hub's to remove


def test_compiled_templates_are_kept_and_never_trusted_blindly(hub: Hub, tmp_path: Path) -> None:
    """The engine's templates are compiled once for later builds; a damaged entry is compiled
    again and a changed template is used at once (Jinja checks each entry's source)."""
    (folder,) = (hub.root / TEMPLATE_DIR).iterdir()
    entries = sorted(folder.glob("*.cache"))
    assert entries
    for entry in entries:  # Jinja's header, then a checksum cut short
        entry.write_bytes(bc_magic + entry.read_bytes()[len(bc_magic) : len(bc_magic) + 3])
    assert check_against_clean(hub.root, tmp_path).status == 0
    main = hub.root / "overrides" / "main.html"
    text = main.read_text(encoding="utf-8")
    main.write_text(
        text.replace("{% block site_meta %}", "{% block site_meta %}<!-- compiled anew -->", 1),
        encoding="utf-8",
    )
    assert check_against_clean(hub.root, tmp_path).status == 0
    assert "<!-- compiled anew -->" in (tmp_path / "site" / "about" / "index.html").read_text(
        encoding="utf-8"
    )


def test_channelhub_build_reuses_and_clean_starts_over(hub: Hub, tmp_path: Path) -> None:
    site = tmp_path / "cli-site"
    first = channelhub(hub.root, "build", "--site-dir", str(site))
    assert first.returncode == 0, first.stderr
    again = channelhub(hub.root, "build", "--site-dir", str(site))
    assert again.returncode == 0, again.stderr
    assert "pages reused" in again.stderr and "A 'dirty' build" not in again.stderr
    clean = channelhub(hub.root, "build", "--clean", "--site-dir", str(site))
    assert clean.returncode == 0 and " 0 pages reused" in clean.stderr


# ---------------------------------------------------------------- random sequences of edits


class RandomEdits(HubEdits):
    """Random edits, additions, deletions, renames, topic, editor and source changes, theme
    and config changes, links that appear and go, builds that fail, drafts, schedules and
    expiries with time passing, aliases, featured pieces and co-authors: after each, the
    dirty build must equal a clean build of the same tree as of the same moment."""

    @initialize()
    def start(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="rebuild-"))
        self.hub = Hub(small_hub(self.tmp / "hub", pieces=8))
        self.added = 100
        build(self.hub.root, self.tmp / "site", clean=True)

    def teardown(self) -> None:
        shutil.rmtree(getattr(self, "tmp", ""), ignore_errors=True)

    @invariant()
    def equals_a_clean_build(self) -> None:
        if hasattr(self, "hub"):
            check_against_clean(self.hub.root, self.tmp, now=self.hub.now)


TestRandomEdits = RandomEdits.TestCase
TestRandomEdits.settings = settings(
    max_examples=int(os.environ.get("REBUILD_EXAMPLES", "4")),
    stateful_step_count=int(os.environ.get("REBUILD_STEPS", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
