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
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import markdown
import pytest

from channelhub import frontmatter, pages, theme
from channelhub.config import load_hub
from channelhub.content import load_index
from channelhub.markup import Links
from channelhub.pages import Site
from channelhub.pages.fragments import byline
from channelhub.safety import SITE_EXTENSIONS
from channelhub.settings import Settings
from scratch import channelhub, copy_repository

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


# ---------------------------------------------------------------- issue 14: publication, co-authors,
# the lead, the archive and aliases, on the same fixture hub with a few more pieces

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
EDITOR_BO = "---\nname: Bo Chen\nrole: Analyst\n---\nBo writes about data.\n"


def _hub_with(root: Path, pieces: dict[str, dict[str, object]]) -> Path:
    """The check fixture hub plus a second editor and the given pieces (docs/ path -> front matter)."""
    shutil.copytree(DATA / "check" / "base", root)
    (root / "docs/editors/bo-chen.md").write_text(EDITOR_BO, encoding="utf-8")
    for src_uri, meta in pieces.items():
        frontmatter.write(root / "docs" / src_uri, dict(meta), f"Body of {meta['title']}.\n")
    return root


def _site(root: Path, *, now: datetime = NOW, preview: bool = False, page_size: int = 5) -> Site:
    hub = load_hub(root)
    index = load_index(hub, now=now, occupied=lambda path: pages.page_at(hub, root / "docs", path))
    assert not hub.problems and not index.problems, index.problems
    return Site(
        hub=hub,
        index=index.previewing() if preview else index,
        settings=Settings(page_size=page_size, site_url="https://hub.example/", title="Hub"),
    )


def _everything(site: Site) -> dict[str, str]:
    """Every generated page, feed and redirect of a site, as text."""
    from channelhub.feeds import feeds

    out = dict(rendered(site))
    out.update({path: data.decode() for path, data in feeds(site).items()})
    out.update(pages.redirects(site, site.settings.site_url))
    return out


def _piece(title: str, date: str, **more: object) -> dict[str, object]:
    return {"title": title, "date": date, "topics": ["mobile-marketing"], "summary": f"About {title}.", "editor": "ann-lee", **more}


HELD = {
    "articles/2026/held-draft.md": _piece("Quillfeather draft", "2026-05-01", draft=True, aliases=["/old/quillfeather/"]),
    "articles/2026/held-scheduled.md": _piece("Marrowlight scheduled", "2026-06-01T12:00:01Z"),
    "articles/2026/held-expired.md": _piece("Tessellin expired", "2026-04-01", expires="2026-06-01T12:00:00Z"),
}
SHOWN = {
    "articles/2026/shown-expiring.md": _piece("Still here until July", "2026-04-02", expires="2026-07-01"),
    "articles/2026/shown-now.md": _piece("Dated this very moment", "2026-06-01T12:00:00Z"),
}


@pytest.fixture
def held_hub(tmp_path: Path) -> Path:
    return _hub_with(tmp_path / "hub", {**HELD, **SHOWN})


def test_held_pieces_are_on_no_generated_page_feed_or_related_list(held_hub: Path) -> None:
    site = _site(held_hub)
    states = {h.piece.src_uri: h.state.value for h in site.index.held}
    assert states == {
        "articles/2026/held-draft.md": "draft",
        "articles/2026/held-scheduled.md": "scheduled",
        "articles/2026/held-expired.md": "expired",
    }
    assert {p.src_uri for p in site.index.pieces} >= set(SHOWN)
    for path, text in _everything(site).items():
        for word in ("Quillfeather", "Marrowlight", "Tessellin", "held-", "quillfeather"):
            assert word not in text, (path, word)
    assert all(r.src_uri not in states for related in site.related_pieces.values() for r in related)


def test_a_preview_shows_held_pieces_with_their_banner_and_badge(held_hub: Path) -> None:
    site = _site(held_hub, preview=True)
    home = rendered(site)["topics/mobile-marketing/index.md"]
    for state in ("draft", "scheduled", "expired"):
        assert f'<span class="hub-status hub-status-{state}">{state.title()}</span>' in home
    links = Links(pages.directory_urls(site, pages.generated_pages(site)))
    banners = {uri: pages.piece_decoration(site, links, site.pieces_by_uri[uri]).banner for uri in HELD}
    assert '<p class="admonition-title">Draft</p>' in banners["articles/2026/held-draft.md"]
    assert "Scheduled for 1 June 2026, 12:00 UTC" in banners["articles/2026/held-scheduled.md"]
    assert "Expired on 1 June 2026, 12:00 UTC" in banners["articles/2026/held-expired.md"]
    for uri in SHOWN:
        assert pages.piece_decoration(site, links, site.pieces_by_uri[uri]).banner == ""
    assert "old/quillfeather/index.html" in pages.redirects(site, "https://hub.example/")


def test_co_authors_are_in_the_byline_on_each_editor_page_and_in_the_feed(tmp_path: Path) -> None:
    import feedparser

    from channelhub.feeds import feeds

    root = _hub_with(
        tmp_path / "hub",
        {"articles/2026/together.md": _piece("Written together", "2026-05-20", editor=["bo-chen", "ann-lee"])},
    )
    site = _site(root)
    generated = rendered(site)
    card = re.search(r'<p class="hub-card-byline">(By .*?)<br />', generated["topics/mobile-marketing/index.md"])
    assert card is not None
    assert card.group(1) == 'By <a href="../../editors/bo-chen/">Bo Chen</a> and <a href="../../editors/ann-lee/">Ann Lee</a>'
    for editor in ("ann-lee", "bo-chen"):
        assert site.by_editor[editor][0].src_uri == "articles/2026/together.md"
    entry = next(e for e in feedparser.parse(feeds(site)["feed.xml"]).entries if e.title == "Written together")
    assert [a["name"] for a in entry.authors] == ["Bo Chen", "Ann Lee"]
    trio = replace(site.pieces_by_uri["articles/2026/together.md"], editor=("bo-chen", "ann-lee", "zed"))
    assert re.sub(r"<[^>]+>", "", byline(site, Links({}), trio, "x.md")) == "By Bo Chen, Ann Lee and zed"


def test_home_leads_with_featured_pieces_and_keeps_a_section_for_the_editors(tmp_path: Path) -> None:
    pulled = {
        f"sources/acme/2026/flood-{n}.md": {
            "title": f"Partner post {n}",
            "date": f"2026-05-{10 + n:02d}",
            "topics": ["data-analytics"],
            "source": "acme",
            "canonical": f"https://blog.acme.example/{n}",
        }
        for n in range(12)  # newer than every piece written here
    }
    featured = {
        f"articles/2026/featured-{n}.md": _piece(f"Featured {n}", f"2026-02-0{n + 1}", featured=True) for n in range(4)
    }
    site = _site(_hub_with(tmp_path / "hub", {**pulled, **featured}))
    home = rendered(site)["index.md"]
    sections = re.split(r'<h2 id="([a-z-]+)">', home)
    titles = {sections[i]: _titles(sections[i + 1]) for i in range(1, len(sections) - 1, 2)}
    assert titles["featured"] == ["Featured 3", "Featured 2", "Featured 1"]  # newest first, three
    written = [p.title for p in site.index.pieces if p.editor and p.title not in titles["featured"]]
    assert titles["from-the-editors"] == written[: site.settings.home_latest]
    assert "Featured 0" in titles["from-the-editors"]  # the fourth is in its section
    assert titles["from-partners-and-analysts"] == [f"Partner post {n}" for n in range(11, 2, -1)]
    assert '<div class="hub-cards hub-lead">' in home
    assert '<a href="archive/">Archive</a>' in home


def test_archive_lists_years_and_months_and_pages_each_year(tmp_path: Path) -> None:
    more = {f"articles/2024/old-{n}.md": _piece(f"Old {n}", f"2024-{12 - n:02d}-01") for n in range(3)}
    more |= {f"articles/2025/mid-{n}.md": _piece(f"Mid {n}", f"2025-03-{n + 1:02d}") for n in range(6)}
    more |= {f"articles/2026/april-{n}.md": _piece(f"April {n}", f"2026-04-0{n + 1}") for n in range(7)}
    site = _site(_hub_with(tmp_path / "hub", more))
    generated = rendered(site)
    by_year = {y: [p.title for p in site.index.pieces if p.date.year == y] for y in (2026, 2025, 2024)}
    assert [len(t) for t in by_year.values()] == [9, 6, 3]
    index = generated["archive/index.md"]
    assert re.findall(r'<h2 id="year-(\d+)"><a href="([^"]+)">\d+</a> <span class="hub-count">(\d+) pieces', index) == [
        ("2026", "2026/", "9"), ("2025", "2025/", "6"), ("2024", "2024/", "3"),
    ]
    months = re.findall(r'<a href="([^"]+)">(\w+)</a> <span class="hub-count">(\d+)</span>', index)
    assert months == [
        ("2026/#april", "April", "7"), ("2026/page/2/#march", "March", "2"),
        ("2025/#march", "March", "6"),
        ("2024/#december", "December", "1"), ("2024/#november", "November", "1"), ("2024/#october", "October", "1"),
    ]
    for year, titles in by_year.items():
        listed, n = [], 1
        while (uri := pages.archive_uri(year, n)) in generated:
            page = generated[uri]
            assert len(_titles(page)) == (5 if len(titles) > n * 5 else len(titles) - (n - 1) * 5)
            listed += _titles(page)
            assert ('rel="next"' in page) == (len(titles) > n * 5)
            assert ('rel="prev"' in page) == (n > 1)
            n += 1
        assert listed == titles, year
        assert pages.archive_uri(year, n) not in generated
    second = generated["archive/2026/page/2/index.md"]
    assert '<h2 id="april">April 2026 (continued)</h2>' in second
    assert '<h2 id="march">March 2026</h2>' in second
    assert "archive/2023/index.md" not in generated


def test_aliases_redirect_with_noindex_and_canonical(tmp_path: Path) -> None:
    import html5lib

    root = _hub_with(
        tmp_path / "hub",
        {"articles/2026/moved.md": _piece("Moved <here>", "2026-05-01", aliases=["/old/moved", "/old/moved.html"])},
    )
    site = _site(root)
    redirects = pages.redirects(site, "https://hub.example/")
    assert set(redirects) == {"old/moved/index.html", "old/moved.html", "topics/analytics/index.html"}
    for path, href in (("old/moved/index.html", "../../articles/2026/moved/"), ("old/moved.html", "../articles/2026/moved/")):
        tree = html5lib.parse(redirects[path], namespaceHTMLElements=False)
        meta = {m.get("name") or m.get("http-equiv"): m.get("content") for m in tree.iter("meta")}
        assert meta["robots"] == "noindex"
        assert meta["refresh"] == f"0; url={href}"
        assert [link.get("href") for link in tree.iter("link") if link.get("rel") == "canonical"] == [
            "https://hub.example/articles/2026/moved/"
        ]
        assert "".join(tree.find(".//a").itertext()) == "Moved <here>"


def test_generated_output_is_a_function_of_the_index_settings_and_now(held_hub: Path) -> None:
    """Two sites read from the same files at the same moment render byte for byte the same."""
    assert _everything(_site(held_hub)) == _everything(_site(held_hub))
    later = _site(held_hub, now=datetime(2026, 6, 1, 12, 0, 1, tzinfo=UTC))
    assert "Marrowlight scheduled" in _everything(later)["feed.xml"]


@pytest.mark.parametrize(
    ("alias", "taken"),
    [
        ("/", "the hub's page /"),
        ("/archive/1999/", "the hub's page /archive/1999/"),
        ("/topics/anything/page/7/", "the hub's page /topics/anything/page/7/"),
        ("/topics/mobile-marketing/", "the hub's page /topics/mobile-marketing/"),
        ("/topics/analytics/", "the redirect of the renamed topic 'analytics'"),
        ("/sources/acme/", "the hub's page /sources/acme/"),
        ("/editors/ann-lee/", "docs/editors/ann-lee.md"),
        ("/articles/2026/good/", "docs/articles/2026/good.md"),
        ("/feed.xml/", "the hub's file /feed.xml"),
        ("/topics/data-analytics/feed.xml/old/", "the hub's file /topics/data-analytics/feed.xml"),
        ("/articles/2026/good.md/x.html", "docs/articles/2026/good.md"),
        ("/about/", None),
        ("/topics/unknown/", None),
        ("/articles/2026/good/older/", None),
    ],
)
def test_page_at_says_what_an_alias_would_land_on(tmp_path: Path, alias: str, taken: str | None) -> None:
    root = _hub_with(tmp_path / "hub", {})
    assert pages.page_at(load_hub(root), root / "docs", alias) == taken


def test_theme_memo_changes_no_page(tmp_path: Path) -> None:
    """The parts of pages the theme renders once per places (nav, tabs and config script:
    `channelhub.theme`) are what rendering every page gives, byte for byte."""
    repo = copy_repository(tmp_path / "repo")
    built: dict[str, dict[str, bytes]] = {}
    for switch in ("1", "0"):
        site = tmp_path / f"site-{switch}"
        done = channelhub(repo, "build", "--clean", "-d", str(site), env={theme.ENV_SWITCH: switch})
        assert done.returncode == 0, done.stderr
        built[switch] = {
            p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()
        }
    assert built["1"].keys() == built["0"].keys()
    pages_checked = [name for name in built["1"] if name.endswith(".html")]
    assert len(pages_checked) > 20
    assert [n for n in pages_checked if built["1"][n] != built["0"][n]] == []
