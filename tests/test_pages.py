"""Generated pages: golden rendered HTML compared with ==, and the structure listing pages promise.

Each page is rendered as a build renders it: its Markdown through Python-Markdown with the
site's extensions, then its HTML parts filled back in (`pages.fill`).

Refresh the golden files after an intended change with `pytest tests/test_pages.py --update-golden`
and review the diff.
"""

from __future__ import annotations

import html as html_module
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import markdown
import pytest

from channelhub import frontmatter, pages
from channelhub.config import load_hub
from channelhub.content import load_index
from channelhub.markup import Links
from channelhub.pages import Site
from channelhub.safety import SITE_EXTENSIONS
from channelhub.settings import Settings

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
    return Site(
        hub=hub,
        index=index,
        settings=Settings(page_size=5, site_url="https://hub.example/", title="Hub"),
    )


TOKEN = "0123456789abcdef"


def rendered(site: Site) -> dict[str, str]:
    """Every generated page as front matter plus the content HTML a build gives it."""
    generated = pages.generated_pages(site)
    links = Links(pages.directory_urls(site, generated))
    out = {}
    for src_uri, page in generated.items():
        text, fragments = page.body(links).markdown(TOKEN)
        content = pages.fill(
            markdown.markdown(text, extensions=list(SITE_EXTENSIONS)), TOKEN, fragments
        )
        out[src_uri] = page.source() + content + "\n"
    assert links.missing == []  # every link the hub wrote reaches a file of the build
    return out


def test_generated_pages_match_golden(site: Site, update_golden: bool) -> None:
    generated = rendered(site)
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
    generated = rendered(site)
    mobile = [p for p in site.index.pieces if "mobile-marketing" in p.topics]
    assert len(mobile) == 8
    assert "topics/mobile-marketing/page/2/index.md" in generated
    assert "topics/mobile-marketing/page/3/index.md" not in generated
    first = generated["topics/mobile-marketing/index.md"]
    second = generated["topics/mobile-marketing/page/2/index.md"]
    assert [p.title for p in mobile[:5]] == _titles(first)
    assert [p.title for p in mobile[5:]] == _titles(second)
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert '<a class="hub-prev" href="../../" rel="prev">' in second  # page 2 links back to page 1


def test_piece_titles_are_shown_not_interpreted(site: Site) -> None:
    import html5lib

    html = frontmatter.split(rendered(site)["topics/mobile-marketing/index.md"])[1]
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    assert tree.findall(".//b") == []
    attributes = [(k, v) for el in tree.iter() for k, v in el.attrib.items()]
    assert not [a for a in attributes if a[0].startswith("on") or "javascript" in a[1]]
    titles = [el.text for el in tree.iter("a") if el.get("class") == "hub-card-title"]
    assert "Mobile note 7 <b>bold</b> [x](javascript:alert(1))" in titles  # shown as written
    summaries = [el.text for el in tree.iter("p") if (el.text or "").startswith("Summary 7")]
    assert summaries == ["Summary 7 {: onclick=evil }"]


def test_an_editor_cannot_forge_a_placeholder(site: Site) -> None:
    """Text that looks like the hub's HTML placeholders stays text: the token is the build's secret."""
    forged = pages.placeholder("guessed", 0)
    page = pages.rewrite_handwritten(site, "topics/mobile-marketing.md", f"Intro.\n\n{forged}\n")
    assert page is not None
    text, fragments = page.body(Links(pages.directory_urls(site, []))).markdown(TOKEN)
    html = pages.fill(markdown.markdown(text, extensions=list(SITE_EXTENSIONS)), TOKEN, fragments)
    assert forged in html and html.count('<div class="hub-card">') == 5


def test_links_to_files_outside_the_build_are_reported(site: Site) -> None:
    links = Links({"topics/index.md": "topics/", "index.md": "./"})
    assert links.href("topics/index.md", "index.md") == "../"
    assert links.href("topics/index.md", "articles/gone.md") == "../articles/gone.md"
    assert links.missing == [("topics/index.md", "articles/gone.md")]


def test_pagination_window_stays_short() -> None:
    links = Links({})
    nav = pages.pagination(
        links, "topics/t/page/50/index.md", 50, 300, lambda n: pages.topic_uri("t", n)
    )
    numbers = re.findall(r'class="hub-page"[^>]*>(\d+)</a>', nav)
    assert numbers == ["1", "48", "49", "51", "52", "300"]
    assert '<span class="hub-current" aria-current="page">50</span>' in nav


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
    assert (
        datetime(*parsed.entries[0].published_parsed[:6], tzinfo=UTC) == site.index.pieces[0].date
    )


def _titles(page: str) -> list[str]:
    return [
        html_module.unescape(m)
        for m in re.findall(r'<a class="hub-card-title" href="[^"]+">([^<]+)</a>', page)
    ]
