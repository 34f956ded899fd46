"""The built hub in a real browser: a reader's journey, pagination, axe-core, phone width, dark mode.

Debian's chromium driven by Playwright for Python, against the demo site (conftest's `built_site`)
served by a threaded http.server on 127.0.0.1; every other request is refused, so the pages are
judged as they render offline. Screenshots of home, a topic and a piece at desktop and phone
width go to artifacts/screenshots/, which CI keeps. Without Chromium, Playwright or axe-core
the tests skip with a message, and fail under CI=true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import pytest

from browser import (
    DEMO_PAGE_SIZE,
    SCREENSHOTS,
    BuiltSite,
    axe_violations,
    chromium,
    chromium_path,
    in_ci,
    local_only,
    serve,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.build, pytest.mark.xdist_group("reader-site")]

if chromium_path() is None and not in_ci():  # skip before building the demo for nothing
    pytest.skip(
        "Chromium is not installed (apt-get install chromium); browser tests skipped",
        allow_module_level=True,
    )

PAGE_SIZE = DEMO_PAGE_SIZE  # set in the demo's copy by browser.build_demo
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
#: the four kinds of page the issue names, by a path in the demo
PIECE = "articles/2026/who-owns-the-martech-budget/"
TOPIC = "topics/marketing-it-alignment/"
EDITOR = "editors/maya-okafor/"
#: the archive (issue 14): its years, and a year's pieces by month
ARCHIVE, ARCHIVE_YEAR = "archive/", "archive/2026/"
AUDITED = {
    "home": "",
    "topic": TOPIC,
    "piece": PIECE,
    "editor": EDITOR,
    "archive": ARCHIVE,
    "archive-year": ARCHIVE_YEAR,
}
#: a demo piece that moved, and its old address
MOVED, ALIAS = (
    "articles/2026/a-martech-rfp-scorecard-for-both-teams/",
    "articles/2026/martech-rfp-scorecard/",
)


@pytest.fixture(scope="module")
def base_url(built_site: BuiltSite) -> Iterator[str]:
    with serve(built_site.site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    """A fresh context (no stored palette) that only reaches the local server."""
    context: BrowserContext = local_only(
        browser.new_context(color_scheme="light", **options), base_url
    )
    return context


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = _context(browser, base_url, viewport=DESKTOP)
    yield context.new_page()
    context.close()


def _h1(page: Page) -> str:
    return " ".join(page.locator("article h1").first.inner_text().split())


def _cards(page: Page) -> list[str]:
    return [
        " ".join(t.split()) for t in page.locator(".hub-card .hub-card-title").all_inner_texts()
    ]


def test_reader_journey_home_topic_piece_editor_and_back(page: Page, base_url: str) -> None:
    page.goto(base_url)
    assert page.locator(".hub-card").count() > 0
    topic_link = page.locator(".hub-columns a[href*='topics/']").first
    topic_title = " ".join(topic_link.inner_text().split())
    topic_link.click()
    page.wait_for_url(re.compile(r"/topics/[a-z0-9-]+/$"))
    topic_url = page.url
    assert _h1(page) == topic_title
    assert page.title() == f"{topic_title} - Channel Hub"

    card = page.locator(".hub-card:has(.hub-card-byline a[href*='editors/'])").first
    piece_title = " ".join(card.locator(".hub-card-title").inner_text().split())
    card.locator(".hub-card-title").click()
    page.wait_for_url(lambda url: url != topic_url)
    piece_url = page.url
    assert _h1(page) == piece_title
    assert page.locator(".hub-byline").inner_text().count("min read") == 1
    assert page.locator("meta[property='og:title']").get_attribute("content") == piece_title

    editor_link = page.locator(".hub-byline a[href*='editors/']")
    editor_name = " ".join(editor_link.inner_text().split())
    editor_link.click()
    page.wait_for_url(re.compile(r"/editors/[a-z0-9-]+/$"))
    assert _h1(page) == editor_name
    assert piece_title in _cards(page) or page.locator(".hub-pagination").count() == 1

    page.go_back()
    page.wait_for_url(piece_url)
    assert _h1(page) == piece_title
    page.go_back()
    page.wait_for_url(topic_url)
    assert _h1(page) == topic_title


def test_a_topic_with_more_pieces_than_a_page_has_a_working_page_two(
    page: Page, base_url: str
) -> None:
    page.goto(base_url + "topics/")
    counts: dict[str, int] = {}
    for topic in page.locator(".hub-topic").all():
        href = topic.locator("a.hub-card-title").get_attribute("href") or ""
        counts[href] = int(re.findall(r"\d+", topic.locator(".hub-count").inner_text())[0])
    href, count = max(counts.items(), key=lambda item: item[1])
    assert count > PAGE_SIZE, "the demo needs a topic with more pieces than a page"
    page.locator(f".hub-topic a.hub-card-title[href='{href}']").click()
    first_url = urljoin(base_url + "topics/", href)
    page.wait_for_url(first_url)  # a click only starts the navigation
    assert len(_cards(page)) == PAGE_SIZE
    first_page = _cards(page)

    page.locator(".hub-pagination a.hub-next").click()
    page.wait_for_url(re.compile(r"/page/2/$"))
    second_page = _cards(page)
    pages = -(-count // PAGE_SIZE)
    assert len(second_page) == (PAGE_SIZE if pages > 2 else count - PAGE_SIZE)
    assert not set(first_page) & set(second_page)
    assert page.locator(".hub-pagination .hub-current").inner_text() == "2"
    assert page.locator(".hub-pagination a.hub-next").count() == (1 if pages > 2 else 0)
    assert f"(page 2 of {pages})" in _h1(page)

    page.locator(".hub-pagination a.hub-prev").click()
    page.wait_for_url(first_url)
    assert _cards(page) == first_page


def test_an_alias_takes_the_reader_to_the_piece(page: Page, base_url: str) -> None:
    page.goto(base_url + ALIAS)
    page.wait_for_url(base_url + MOVED)
    assert page.locator(".hub-byline").count() == 1


def test_the_archive_takes_the_reader_from_a_month_to_its_pieces(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.locator(".md-content a[href$='archive/']").first.click()
    page.wait_for_url(base_url + ARCHIVE)
    month = page.locator(".hub-months a").nth(1)  # the second month of the newest year
    name = month.inner_text().strip()
    month.click()
    page.wait_for_url(re.compile(r"/archive/\d{4}/(page/\d+/)?#" + name.lower() + "$"))
    heading = page.locator(f"h2#{name.lower()}")
    assert heading.is_visible() and heading.inner_text().startswith(name)
    assert page.locator(f"h2#{name.lower()} + .hub-cards .hub-card").count() >= 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", sorted(AUDITED))
def test_axe_finds_no_serious_violation(
    browser: Browser, base_url: str, name: str, scheme: str
) -> None:
    context = _context(browser, base_url, viewport=DESKTOP)
    page = context.new_page()
    page.goto(base_url + AUDITED[name])
    if scheme == "dark":
        _toggle_palette(page, "slate")
    violations = axe_violations(page)
    context.close()
    assert violations == [], f"{name} ({scheme}): " + "; ".join(violations)


@pytest.mark.parametrize("name", sorted(AUDITED))
def test_no_horizontal_scroll_at_phone_width(browser: Browser, base_url: str, name: str) -> None:
    context = _context(browser, base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(base_url + AUDITED[name])
    width, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    wide = page.evaluate(
        """() => [...document.querySelectorAll('.md-content *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                    && !e.closest('.md-typeset__table, pre, .md-sidebar'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    context.close()
    assert client == PHONE["width"]
    assert width <= client, f"{name}: page is {width}px wide at {client}px; too wide: {wide}"
    assert wide == []


def _scheme(page: Page) -> str:
    return page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")


def _toggle_palette(page: Page, expected: str) -> None:
    """Click the visible light/dark toggle and wait (up to 5 s) for the body to take the scheme."""
    from playwright.sync_api import expect

    page.locator("form[data-md-component='palette'] label:not([hidden])").click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", expected, timeout=5000)


def test_light_dark_toggle_switches_the_scheme(page: Page, base_url: str) -> None:
    page.goto(base_url + PIECE)
    assert _scheme(page) == "default"
    light_background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    _toggle_palette(page, "slate")
    assert (
        page.evaluate("() => getComputedStyle(document.body).backgroundColor") != light_background
    )
    page.goto(base_url)  # the choice is remembered on the next page
    assert _scheme(page) == "slate"
    _toggle_palette(page, "default")


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_for_review(
    browser: Browser, base_url: str, width: str, viewport: dict[str, int]
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = _context(browser, base_url, viewport=viewport)
    page = context.new_page()
    for name in ("home", "topic", "piece"):
        page.goto(base_url + AUDITED[name])
        target = SCREENSHOTS / f"{name}-{width}.png"
        target.unlink(missing_ok=True)
        png = page.screenshot(path=str(target), full_page=True)
        assert target.read_bytes() == png
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == viewport["width"]  # the IHDR width
        assert int.from_bytes(png[20:24], "big") >= viewport["height"]
    context.close()
