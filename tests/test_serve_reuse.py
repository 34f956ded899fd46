"""What a process that builds again and again (the preview's worker) keeps between builds, and
that it never changes a byte of the site (issue 19: `channelhub serve` at 10,000 pieces).

The engine's page objects of the pages a build leaves as they are are taken up by the next
build into the same folder instead of being made again; a same-size edit that keeps the
file's modification time is still seen. Each case builds in this process, as the preview's
worker does, and compares the site with a clean build of the same tree.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import rebuilding
from channelhub.rebuild import session
from channelhub.rebuild.store import RACY_COARSE_NS, RACY_NS, stat_text
from rebuilding import Built, Hub, build, check_against_clean, same_site, small_hub

pytestmark = pytest.mark.build


def _made_pages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The docs/ path of every page object the engine makes from now on."""
    from mkdocs.structure.pages import Page

    made: list[str] = []
    init = Page.__init__

    def recording(self: Page, title: Any, file: Any, config: Any) -> None:
        made.append(file.src_uri)
        init(self, title, file, config)

    monkeypatch.setattr(Page, "__init__", recording)
    return made


def _page(site: Path, piece: str) -> str:
    out = site / piece.removeprefix("docs/").removesuffix(".md") / "index.html"
    return out.read_text(encoding="utf-8")


def _incremental(hub: Hub, tmp_path: Path, made: list[str]) -> tuple[Built, int]:
    """A build reusing the last into tmp_path/site and the page objects the engine made in it;
    the site must be the clean build's of the same tree."""
    made.clear()
    built = build(hub.root, tmp_path / "site")
    count = len(made)
    shutil.rmtree(tmp_path / "clean", ignore_errors=True)
    reference = build(hub.root, tmp_path / "clean", clean=True)
    assert built.status == reference.status == 0, (built.warnings, reference.warnings)
    assert built.warnings == reference.warnings
    assert same_site(tmp_path / "site", tmp_path / "clean") == ""
    return built, count


def test_the_pages_a_build_leaves_are_taken_up_by_the_next_and_the_site_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = Hub(small_hub(tmp_path / "hub"))
    pieces = hub.pieces()
    made = _made_pages(monkeypatch)
    _incremental(hub, tmp_path, made)  # no cache yet: every page rendered
    hub.edit(pieces[0], body="\nA first edit.\n")
    second, all_made = _incremental(hub, tmp_path, made)  # reuses pages, makes every object
    assert second.reused > 0

    hub.edit(pieces[1], body="\nA second edit, in a later build.\n")
    monkeypatch.setitem(rebuilding.ENV, "SOURCE_DATE_EPOCH", "1767700000")  # the next day
    third, made_now = _incremental(hub, tmp_path, made)
    assert third.reused == second.reused
    rendered_now, rendered_before = all_made - third.reused, all_made - second.reused
    # objects are made only for the pages this build renders and those the last one rendered
    # (never taken up); every other page's object is the last build's
    assert 0 < made_now <= rendered_now + rendered_before < all_made, (made_now, all_made)
    assert "A second edit" in _page(tmp_path / "site", pieces[1])
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "2026-01-06" in sitemap and "2026-01-05" not in sitemap  # every page's date: today


def test_a_failed_build_leaves_nothing_for_the_next_to_take_up(tmp_path: Path) -> None:
    hub = Hub(small_hub(tmp_path / "hub"))
    pieces = hub.pieces()
    site = tmp_path / "site"
    assert build(hub.root, site).status == 0
    assert build(hub.root, site).reused > 0
    cache = session.Store(hub.root, site).path
    assert session._UNTOUCHED[cache][1]  # pages left untouched, to take up
    main = hub.root / "overrides" / "main.html"
    text = main.read_text(encoding="utf-8")
    failing = text.replace(
        "{% block site_meta %}", "{% block site_meta %}{{ undefined_call() }}", 1
    )
    assert failing != text
    main.write_text(failing, encoding="utf-8")
    assert build(hub.root, site).status == 1
    assert cache not in session._UNTOUCHED  # the failed build left none
    main.write_text(text, encoding="utf-8")
    hub.edit(pieces[2], body="\nAfter the failure.\n")
    assert check_against_clean(hub.root, tmp_path).status == 0


def test_a_same_size_edit_that_keeps_the_modification_time_is_seen(tmp_path: Path) -> None:
    """An editor that saves within the same second, or sets the time back, leaves the size and
    the modification time as they were: the change time, which nothing sets back, tells."""
    hub = Hub(small_hub(tmp_path / "hub"))
    piece = hub.root / hub.pieces()[0]
    assert build(hub.root, tmp_path / "site").status == 0
    time.sleep(RACY_NS / 1e9 + 0.05)  # the piece's stat is trusted from now on
    assert build(hub.root, tmp_path / "site").reused > 0
    before = piece.stat()
    text = piece.read_text(encoding="utf-8")
    marker = "Zebra"
    edited = text.rstrip("\n")[: -len(marker)] + marker + "\n"
    assert len(edited.encode()) == len(text.encode()) and edited != text
    piece.write_text(edited, encoding="utf-8")
    os.utime(piece, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = piece.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    check_against_clean(hub.root, tmp_path)
    assert marker in _page(tmp_path / "site", hub.pieces()[0])


def _stat(mtime_ns: int, ctime_ns: int) -> os.stat_result:
    times = {"st_atime_ns": mtime_ns, "st_mtime_ns": mtime_ns, "st_ctime_ns": ctime_ns}
    return os.stat_result((0o100644, 7, 1, 1, 0, 0, 10, 0, 0, 0), times)


def test_a_stat_in_whole_seconds_is_trusted_only_two_seconds_later() -> None:
    """A file system that keeps whole seconds (FAT: two) cannot tell a same-size edit within
    the second from no edit: such a stat is not trusted until two seconds have passed."""
    second = 1_767_600_000 * 10**9
    fine = _stat(second + 123_456_789, second + 123_456_789)
    assert stat_text(fine, second + 123_456_789 + RACY_NS + 1)  # 100 ms later: trusted
    coarse = _stat(second, second)
    assert stat_text(coarse, second + RACY_NS + 1) == ""
    assert stat_text(coarse, second + RACY_COARSE_NS - 1) == ""
    assert stat_text(coarse, second + RACY_COARSE_NS) == f"7:10:{second}:{second}"


def test_the_preview_makes_the_pages_a_build_rendered_anew_between_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a whole build, the first edit makes page objects only for the pages it renders:
    the worker made the others' between the builds (`Builds.tidy`)."""
    from channelhub import preview_build
    from channelhub.preview import Start

    hub = Hub(small_hub(tmp_path / "hub"))
    piece = hub.pieces()[0]
    made = _made_pages(monkeypatch)
    start = Start("mkdocs", hub.root / "mkdocs.yml", "127.0.0.1:8123", tmp_path / "served")
    builds = preview_build.Builds(start)
    try:
        assert not builds.build().failed
        whole = len(made)
        builds.tidy()
        assert len(made) > whole  # made between the builds
        made.clear()
        hub.edit(piece, body="\nSaved in the preview.\n")
        assert not builds.build().failed
        assert 0 < len(made) < whole / 2, (len(made), whole)
        assert "Saved in the preview." in _page(tmp_path / "served", piece)
    finally:
        builds.shutdown()
        rebuilding.build(hub.root, tmp_path / "site")  # this process builds as `build` again


def test_a_nav_entry_written_another_way_keeps_its_title_in_later_previews(
    tmp_path: Path,
) -> None:
    """The nav may name a page "./about.md": the engine finds about.md, and so must the plan,
    or the worker would hand the engine a page object without the nav's title (review, round 7)."""
    from channelhub import preview_build
    from channelhub.preview import Start

    hub = Hub(small_hub(tmp_path / "hub"))
    config = hub.root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  - About: about.md\n" in text
    config.write_text(text.replace("  - About: about.md\n", "  - About the hub: ./about.md\n"))
    start = Start("mkdocs", config, "127.0.0.1:8124", tmp_path / "served")
    builds = preview_build.Builds(start)
    try:
        for edit in range(2):
            assert not builds.build().failed
            builds.tidy()
            about = (tmp_path / "served" / "about" / "index.html").read_text(encoding="utf-8")
            assert "About the hub" in about, edit
            hub.edit(hub.pieces()[edit], body=f"\nSaved in the preview, {edit}.\n")
        assert not builds.build().failed
        home = (tmp_path / "served" / "index.html").read_text(encoding="utf-8")
        assert "About the hub" in home
    finally:
        builds.shutdown()
        rebuilding.build(hub.root, tmp_path / "site")  # this process builds as `build` again
