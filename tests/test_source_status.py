"""A source's status for readers: the pull's memory of when failing began, the plain words the
source pages show (never the pull's raw error), and the sources table at 375 px in Chromium.

The pull runs against a real HTTP server on 127.0.0.1 (a port that refuses, then a feed);
the pages come from a real `channelhub build` of a repository copy whose feeds/state.json
holds one source of each status.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from browser import SCREENSHOTS, axe_violations, chromium, local_only, serve
from channelhub.config import Source
from channelhub.health import SourceHealth, Tone, badge, load_health, status_of
from channelhub.pull import pull
from channelhub.state import SourceStatus
from feedserver import FeedServer
from scratch import channelhub, copy_repository

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def browser_test(test: Callable[..., None]) -> Callable[..., None]:
    """A real build, then Chromium; one worker builds the site for all of them."""
    marked: Callable[..., None] = pytest.mark.xdist_group("source-status")(test)
    return pytest.mark.browser(pytest.mark.build(marked))  # type: ignore[no-any-return]


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SOURCE = Source(id="acme", name="Acme", url="https://acme.example/feed.xml")
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Acme</title>'
    b"<link>https://acme.example/</link><item><title>Mobile wins</title>"
    b"<link>https://acme.example/mobile-wins</link><guid>1</guid>"
    b"<pubDate>Sun, 01 Mar 2026 10:00:00 GMT</pubDate>"
    b"<description>A short summary.</description></item></channel></rss>"
)


def test_failing_since_is_the_first_failure_of_a_run_and_clears_on_success(
    hub: Path, feed_server: FeedServer
) -> None:
    url = feed_server.url("/feed.xml")
    (hub / "feeds" / "sources.yml").write_text(
        f"sources:\n  - id: acme\n    name: Acme\n    url: {url}\n    kind: partner\n",
        encoding="utf-8",
    )
    feed_server.route("/feed.xml", status=500, body=b"down")

    def pulled(at: datetime) -> SourceHealth:
        pull(hub, allow_private=True, now=at)
        return load_health(hub)["acme"]

    first = pulled(NOW)
    assert (first.status, first.failures, first.failing_since) == (SourceStatus.ERROR, 1, NOW)
    second = pulled(NOW + timedelta(hours=6))
    assert (second.failures, second.failing_since) == (2, NOW)  # still the first failure
    assert status_of(SOURCE, second).label == "Failing since 10 March 2026"
    feed_server.route("/feed.xml", body=FEED)
    healthy = pulled(NOW + timedelta(days=1))
    assert (healthy.status, healthy.failures, healthy.failing_since) == (SourceStatus.OK, 0, None)
    assert (
        "failing_since" not in json.loads((hub / "feeds/state.json").read_text())["sources"]["acme"]
    )
    feed_server.route("/feed.xml", status=404, body=b"gone away")
    again = pulled(NOW + timedelta(days=2))
    assert again.failing_since == NOW + timedelta(days=2)  # a new run of failures


@pytest.mark.parametrize(
    ("enabled", "health", "label", "tone"),
    [
        (True, None, "Not pulled yet", Tone.OFF),
        (False, SourceHealth(SourceStatus.OK), "Paused", Tone.OFF),
        (True, SourceHealth(SourceStatus.OK, last_changed=NOW), "Up to date", Tone.OK),
        (True, SourceHealth(SourceStatus.GONE), "Gone", Tone.GONE),
        (
            True,
            SourceHealth(SourceStatus.ERROR, failures=3, failing_since=NOW),
            "Failing since 10 March 2026",
            Tone.FAILING,
        ),
        (
            True,
            SourceHealth(SourceStatus.REFUSED, failures=1, failing_since=NOW),
            "Failing since 10 March 2026",
            Tone.FAILING,
        ),
        (True, SourceHealth(SourceStatus.DEFERRED, failures=1), "Failing", Tone.FAILING),
    ],
)
def test_status_in_plain_words(
    enabled: bool, health: SourceHealth | None, label: str, tone: Tone
) -> None:
    source = Source(id="acme", name="Acme", url="https://acme.example/feed.xml", enabled=enabled)
    assert (status_of(source, health).label, status_of(source, health).tone) == (label, tone)
    assert badge(source, health) == f'<span class="hub-status hub-status-{tone}">{label}</span>'


# --- the sources pages as built, in Chromium at 375 px ---------------------------------------

RAW_ERROR = "cannot connect to 127.0.0.1:8765: Connection refused"
LONG_NAME = "The Very Long-Named Channel Partner Programme Journal of Indirect Sales"
#: source id -> its record in feeds/state.json, one of each status
STATES = {
    "northwind-partner-blog": {"last_changed": "2026-03-01T08:00:00Z"},
    "brightpath-martech-journal": {
        "last_changed": "2026-02-20T08:00:00Z",
        "status": "error",
        "message": RAW_ERROR,
        "failures": 4,
        "failing_since": "2026-03-02T06:00:00Z",
    },
    "lumen-data-field-notes": {"status": "gone", "gone": True, "message": "HTTP 410 Gone"},
    "ridgeline-research-briefs": {"last_changed": "2026-03-01T08:00:00Z"},  # disabled below
    # "long-named-partner" has no record: not pulled yet
}
EXPECTED = {
    "northwind-partner-blog": ("1 March 2026", "Up to date"),
    "brightpath-martech-journal": ("20 February 2026", "Failing since 2 March 2026"),
    "lumen-data-field-notes": ("none yet", "Gone"),
    "ridgeline-research-briefs": ("1 March 2026", "Paused"),
    "long-named-partner": ("none yet", "Not pulled yet"),
}
PHONE = {"width": 375, "height": 800}


@pytest.fixture(scope="module")
def status_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The repository's hub with one source of each status, built and served on 127.0.0.1."""
    root = copy_repository(tmp_path_factory.mktemp("statuses") / "hub")
    sources = root / "feeds" / "sources.yml"
    text = sources.read_text(encoding="utf-8")
    ridgeline = text.index("  - id: ridgeline-research-briefs")
    text = text[:ridgeline] + text[ridgeline:].replace("enabled: true", "enabled: false", 1)
    text += (
        f"\n  - id: long-named-partner\n    name: {LONG_NAME}\n"
        "    url: feeds/demo/northwind-partner-blog.xml\n    kind: partner\n"
    )
    sources.write_text(text, encoding="utf-8")
    records = {k: {"url": f"feeds/demo/{k}.xml", **v} for k, v in STATES.items()}
    (root / "feeds" / "state.json").write_text(
        json.dumps({"version": 1, "sources": records}), encoding="utf-8"
    )
    site = root / "site"
    result = channelhub(root, "build", "-d", str(site), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _phone(browser: Browser, base_url: str, scheme: str = "light") -> Page:
    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "color_scheme": scheme}
    page: Page = local_only(browser.new_context(**options), base_url).new_page()
    return page


@browser_test
def test_sources_table_says_each_status_in_words_and_never_the_raw_error(
    browser: Browser, status_site: str
) -> None:
    page = _phone(browser, status_site)
    page.goto(status_site + "sources/")
    head = page.locator("table.hub-sources thead th").all_inner_texts()
    assert [" ".join(h.split()) for h in head] == ["Source", "Pieces", "Last new content", "Status"]
    rows = {}
    for row in page.locator("table.hub-sources tbody tr").all():
        href = row.locator("th a").get_attribute("href") or ""
        cells = [" ".join(t.split()) for t in row.locator("td").all_inner_texts()]
        rows[href.strip("./").split("/")[-1]] = (cells[1], cells[2])
    assert rows == EXPECTED
    assert RAW_ERROR not in page.content() and "Connection refused" not in page.content()
    page.goto(status_site + "sources/brightpath-martech-journal/")
    facts = " ".join(page.locator(".hub-source-facts").inner_text().split())
    assert facts.endswith("last new content 20 February 2026 · Failing since 2 March 2026")
    assert "Connection refused" not in page.content()
    page.context.close()


@browser_test
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sources_table_fits_a_phone_with_every_status_in_view(
    browser: Browser, status_site: str, scheme: str
) -> None:
    page = _phone(browser, status_site, scheme)
    page.goto(status_site + "sources/")
    width, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert (client, width) == (PHONE["width"], PHONE["width"])  # no sideways scrolling
    badges = page.locator("table.hub-sources .hub-status")
    assert badges.count() == len(EXPECTED)
    for badge_box in (b.bounding_box() for b in badges.all()):
        assert badge_box is not None
        assert badge_box["x"] >= 0 and badge_box["x"] + badge_box["width"] <= PHONE["width"]
    if scheme == "dark":
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == "slate"
    else:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "sources-phone.png"), full_page=True)
    assert axe_violations(page) == []
    page.context.close()
