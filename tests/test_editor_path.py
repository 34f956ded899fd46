"""The whole editor path on a copy of the repository: `new article` -> `check` -> `build`.

Copies the repository's site sources into tmp_path, runs the real `channelhub` command there
as an editor would, fills in the summary, then builds the site and follows the links on the
home page, the article's topic pages (every pagination page) and its editor's page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import html5lib
import pytest

from channelhub import frontmatter
from scratch import channelhub, copy_repository

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Who runs the customer data platform: marketing or IT?"
SLUG = "who-runs-the-customer-data-platform-marketing-or-it"
TOPICS = ("data-analytics", "customer-experience")
UNRELATED_TOPIC = "channel-partners"

pytestmark = pytest.mark.build


def newest_piece_day(repo: Path) -> date:
    """The latest date among the existing pieces, so the new one can be the newest."""
    days = [date.min]
    for folder in ("articles", "notes", "sources"):
        for path in (repo / "docs" / folder).rglob("*.md"):
            value = str(frontmatter.read(path, with_lines=False).meta.get("date", ""))[:10]
            if len(value) == 10:
                days.append(date.fromisoformat(value))
    return max(days)


def links_on(page: Path, site: Path) -> set[str]:
    """The site paths every <a href> on a built page points to (relative links resolved)."""
    url = "/" + page.relative_to(site).parent.as_posix().strip(".") + "/"
    url = url.replace("//", "/")
    tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
    return {urlsplit(urljoin(url, a.get("href", ""))).path for a in tree.iter("a")}


def topic_pages(site: Path, topic: str) -> list[Path]:
    """A topic's first page and every /topics/<slug>/page/<n>/ after it."""
    folder = site / "topics" / topic
    return [folder / "index.html", *sorted((folder / "page").glob("*/index.html"))]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    """The copy after `new article` and `build`: (repo, site, article URL, editor id)."""
    repo = copy_repository(tmp_path_factory.mktemp("hub"))
    editors = sorted(p.stem for p in (repo / "docs" / "editors").glob("*.md") if p.stem != "index")
    assert editors, "the demo has no editors to write as"
    editor = editors[0]
    today = datetime.now(UTC).date()
    args = ["new", "article", "--title", TITLE, "--editor", editor, "--topics", ",".join(TOPICS)]
    newest = newest_piece_day(repo)
    env: dict[str, str] = {}
    if newest >= today:
        # Demo pieces dated later than today would push ours off the home page; a later date
        # schedules the piece, so the build runs as of that day (issue 14).
        day = newest + timedelta(days=1)
        args += ["--date", day.isoformat()]
        env["CHANNELHUB_NOW"] = f"{day.isoformat()}T12:00:00Z"
    created = channelhub(repo, *args)
    assert created.returncode == 0, created.stderr
    path = created.stdout.strip()
    year = path.split("/")[2]
    assert path == f"docs/articles/{year}/{SLUG}.md"

    # The editor fills in the summary and writes the piece.
    doc = frontmatter.read(repo / path)
    meta = {**doc.meta, "summary": "Marketing buys the platform; IT keeps it connected."}
    body = "\nThe customer data platform sits between both teams, which is the problem.\n"
    frontmatter.write(repo / path, meta, body)

    checked = channelhub(repo, "check", path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == ""
    checked_all = channelhub(repo, "check", env=env)
    assert checked_all.returncode == 0, checked_all.stdout + checked_all.stderr

    site = repo / "site"
    build = channelhub(repo, "build", env=env)
    assert build.returncode == 0, build.stdout + build.stderr
    return repo, site, f"/articles/{year}/{SLUG}/", editor


def test_the_article_page_is_built(built: tuple[Path, Path, str, str]) -> None:
    _, site, url, _ = built
    page = site / url.strip("/") / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "<h1" in html and TITLE in html
    assert "The customer data platform sits between both teams" in html


@pytest.mark.parametrize("topic", TOPICS)
def test_the_article_is_on_each_of_its_topic_pages(
    built: tuple[Path, Path, str, str], topic: str
) -> None:
    _, site, url, _ = built
    first, *rest = topic_pages(site, topic)
    # Newest first, so a piece dated today is on the first page.
    assert url in links_on(first, site)
    assert all(url not in links_on(page, site) for page in rest)


def test_the_article_is_not_on_other_topic_pages(built: tuple[Path, Path, str, str]) -> None:
    _, site, url, _ = built
    pages = topic_pages(site, UNRELATED_TOPIC)
    assert pages[0].is_file()
    assert all(url not in links_on(page, site) for page in pages)


def test_the_article_is_on_its_editors_page(built: tuple[Path, Path, str, str]) -> None:
    _, site, url, editor = built
    assert url in links_on(site / "editors" / editor / "index.html", site)
    others = [p for p in (site / "editors").glob("*/index.html") if p.parent.name != editor]
    assert others, "expected the other demo editors' pages"
    assert all(url not in links_on(page, site) for page in others)


def test_the_article_is_on_the_home_page(built: tuple[Path, Path, str, str]) -> None:
    _, site, url, _ = built
    assert url in links_on(site / "index.html", site)
