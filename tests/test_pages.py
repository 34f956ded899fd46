"""Generated pages: golden Markdown compared with ==, and the structure listing pages promise.

Refresh the golden files after an intended change with `pytest tests/test_pages.py --update-golden`
and review the diff.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import markdown
import pytest

from channelhub import frontmatter, pages
from channelhub.config import load_hub
from channelhub.content import load_index
from channelhub.pages import Settings, Site

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """The check fixture hub plus seven more mobile articles: two pages of five for the topic."""
    root = tmp_path / "hub"
    shutil.copytree(DATA / "check" / "base", root)
    for day in range(1, 8):
        meta = {
            "title": f"Mobile note {day} <b>bold</b> [x](javascript:alert(1))",
            "date": f"2026-04-0{day}",
            "topics": ["mobile-marketing", "data-analytics"] if day % 2 else ["mobile-marketing"],
            "summary": f"Summary {day} {{: onclick=evil }}",
            "editor": "ann-lee",
        }
        frontmatter.write(root / f"docs/articles/2026/mobile-{day}.md", meta, f"Body {day}.\n")
    hub = load_hub(root)
    index = load_index(hub)
    assert not hub.problems and not index.problems
    return Site(hub=hub, index=index, settings=Settings(page_size=5, site_url="https://hub.example/", title="Hub"))


def test_generated_pages_match_golden(site: Site, update_golden: bool) -> None:
    generated = pages.generated_pages(site)
    for src_uri, text in sorted(generated.items()):
        golden = GOLDEN / src_uri
        if update_golden:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert golden.is_file(), f"no golden file for {src_uri}: run with --update-golden"
        assert text == golden.read_text(encoding="utf-8"), src_uri
    on_disk = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.md")}
    assert on_disk == set(generated), "golden files for pages no longer generated"


def test_topic_pagination_boundaries(site: Site) -> None:
    generated = pages.generated_pages(site)
    mobile = [p for p in site.index.pieces if "mobile-marketing" in p.topics]
    assert len(mobile) == 8
    assert "topics/mobile-marketing/page/2/index.md" in generated
    assert "topics/mobile-marketing/page/3/index.md" not in generated
    first = generated["topics/mobile-marketing/index.md"]
    second = generated["topics/mobile-marketing/page/2/index.md"]
    assert [p.title for p in mobile[:5]] == _titles(first)
    assert [p.title for p in mobile[5:]] == _titles(second)
    assert "rel=next" in first and "rel=prev" not in first
    assert "rel=prev" in second and "rel=next" not in second
    assert "(../../index.md)" in second  # page 2 links back to page 1


def test_piece_titles_are_shown_not_interpreted(site: Site) -> None:
    html = markdown.markdown(
        frontmatter.split(pages.generated_pages(site)["topics/mobile-marketing/index.md"])[1],
        extensions=["attr_list", "md_in_html", "tables"],
    )
    assert "<b>" not in html and "javascript:" not in html.replace("javascript&#58;", "")
    assert "onclick" not in html.replace("onclick&#61;", "")
    assert "Mobile note 7 &#60;b&#62;bold&#60;/b&#62;" in html


def test_pagination_window_stays_short() -> None:
    nav = pages.pagination("topics/t/page/50/index.md", 50, 300, lambda n: pages.topic_uri("t", n))
    numbers = [part for part in nav.split() if part.startswith("[") and part[1].isdigit()]
    assert len(numbers) <= 6  # 1, 48, 49, 51, 52, 300


def test_related_pieces_share_topics(site: Site) -> None:
    for piece in site.index.pieces:
        for other in site.related_pieces[piece.src_uri]:
            assert set(other.topics) & set(piece.topics)
            assert other.src_uri != piece.src_uri


def test_feed_entries_are_newest(site: Site) -> None:
    import feedparser

    from channelhub.feeds import feeds

    parsed = feedparser.parse(feeds(site)["feed.xml"])
    assert parsed.bozo == 0
    assert [e.title for e in parsed.entries] == [p.title for p in site.index.pieces]
    assert parsed.entries[0].link == "https://hub.example/articles/2026/mobile-7/"
    assert datetime(*parsed.entries[0].published_parsed[:6], tzinfo=UTC) == site.index.pieces[0].date


def _titles(page: str) -> list[str]:
    import html as html_module
    import re

    return [html_module.unescape(m) for m in re.findall(r"\n\[([^\]]+)\]\([^)]+\)\{ \.hub-card-title \}", page)]
