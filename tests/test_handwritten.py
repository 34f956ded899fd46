"""A hand-written page at a generated page's path wins, and still gets the hub's listing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from channelhub.build import HubBuild
from channelhub.settings import Settings

BASE = Path(__file__).parent / "data" / "check" / "base"


def test_handwritten_topic_intro_wins_and_keeps_the_listing(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    shutil.copytree(BASE, root)
    intro = "An editor's own words about **mobile**.\n"
    (root / "docs" / "topics").mkdir()
    (root / "docs" / "topics" / "mobile-marketing.md").write_text(
        f"---\ntitle: Mobile\n---\n{intro}", encoding="utf-8"
    )
    build = HubBuild.start(root, root / "docs", Settings(page_size=5))
    on_disk = {p.relative_to(root / "docs").as_posix() for p in (root / "docs").rglob("*.md")}

    generated = build.generated_files(exists=lambda uri: uri in on_disk)

    assert "topics/mobile-marketing/index.md" not in generated  # the editor's file stands there
    assert "topics/data-analytics/index.md" in generated
    page = build.page_markdown("topics/mobile-marketing.md", intro)
    assert page is not None
    assert page.startswith(intro)
    html = build.page_html("topics/mobile-marketing.md", f"<p>{intro}</p>\n{page}")
    assert html is not None
    assert (
        'href="../../articles/2026/good/">A good article</a>' in html
    )  # the listing is still added
    assert "Apps and phones." not in html  # the intro replaces the topics.yml description


def test_editor_page_gets_role_bio_and_pieces(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    shutil.copytree(BASE, root)
    build = HubBuild.start(root, root / "docs", Settings())
    build.generated_files()
    bio = "Ann writes about mobile.\n"
    page = build.page_markdown("editors/ann-lee.md", bio)
    assert page is not None
    assert bio.strip() in page
    html = build.page_html("editors/ann-lee.md", page)  # the Markdown stands in for its rendering
    assert html is not None
    assert build.page_title("editors/ann-lee.md") == "Ann Lee"
    assert '<p class="hub-editor-role"><strong>Editor</strong></p>' in html
    assert 'href="../../articles/2026/good/">A good article</a>' in html
    assert "A pulled post" not in html  # a source's piece is not the editor's
    assert build.link_problems() == []


@pytest.mark.build
def test_a_handwritten_topic_page_builds_strictly_and_listings_link_to_it(tmp_path: Path) -> None:
    """Cards and chips on every other page reach the hand-written page, in a strict build."""
    from scratch import channelhub, copy_repository

    repo = copy_repository(tmp_path / "repo")
    intro = "Our editors' own *introduction* to mobile."
    (repo / "docs" / "topics").mkdir(exist_ok=True)
    (repo / "docs" / "topics" / "mobile-marketing.md").write_text(
        f"---\ntitle: Mobile marketing\n---\n{intro}\n", encoding="utf-8"
    )
    site = tmp_path / "site"
    result = channelhub(repo, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr  # strict: a broken link would fail it
    page = (site / "topics" / "mobile-marketing" / "index.html").read_text(encoding="utf-8")
    assert "<em>introduction</em>" in page and 'class="hub-card"' in page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="topics/mobile-marketing/"' in home
