"""A published piece that links to a draft, a scheduled or an expired piece: `check` warns at
the link's line, and the build writes the link's text without the link (readers would get a
404), with a real `channelhub build` of a copy of the repository."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit

import html5lib
import pytest

from channelhub import frontmatter
from scratch import channelhub, copy_repository

pytestmark = [pytest.mark.build]

NOW = "2030-01-01T00:00:00Z"
LINKER = "docs/articles/2029/links-to-held-pieces.md"
HELD = {
    "docs/articles/2029/held-draft.md": {"draft": True, "date": "2029-06-01"},
    "docs/articles/2030/held-scheduled.md": {"date": "2030-06-01T09:30:00Z"},
    "docs/articles/2029/held-expired.md": {"date": "2029-01-01", "expires": "2029-12-31T23:00:00Z"},
}
BODY = """
The first paragraph links to [the draft](held-draft.md) and to [a later piece](../2030/held-scheduled.md).

The second links to [an offer that ended](held-expired.md) and to [the live one](live-piece.md).
"""


def _meta(title: str, **extra: object) -> dict[str, object]:
    return {
        "title": title,
        "topics": ["data-analytics"],
        "summary": f"{title}.",
        "editor": "maya-okafor",
        **extra,
    }


def _hrefs(page: Path, url: str) -> set[str]:
    tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
    return {urlsplit(urljoin(url, a.get("href", ""))).path for a in tree.iter("a")}


def test_links_to_held_pieces_warn_in_check_and_are_text_in_the_build(tmp_path: Path) -> None:
    repo = copy_repository(tmp_path / "hub")
    for path, extra in HELD.items():
        frontmatter.write(repo / path, _meta(f"Held {Path(path).stem}", **extra), "\nHeld.\n")
    live = "docs/articles/2029/live-piece.md"
    frontmatter.write(repo / live, _meta("The live piece", date="2029-04-01"), "\nLive.\n")
    frontmatter.write(repo / LINKER, _meta("Links to held pieces", date="2029-05-01"), BODY)
    env = {"CHANNELHUB_NOW": NOW}

    checked = channelhub(repo, "check", LINKER, env=env)
    lines = (checked.stdout + checked.stderr).splitlines()
    body_line = (repo / LINKER).read_text().splitlines().index(BODY.strip().splitlines()[0]) + 1
    expected = [
        f"{LINKER}:{body_line}: warning: links to a draft piece (docs/articles/2029/held-draft.md)",
        f"{LINKER}:{body_line}: warning: links to a piece scheduled for 2030-06-01T09:30:00Z"
        " (docs/articles/2030/held-scheduled.md)",
        f"{LINKER}:{body_line + 2}: warning: links to an expired piece"
        " (docs/articles/2029/held-expired.md)",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert not any("live-piece" in line for line in lines)
    assert checked.returncode == 0, lines  # warnings only

    site = repo / "site"
    built = channelhub(repo, "build", env=env, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    page = site / "articles/2029/links-to-held-pieces/index.html"
    held_urls = {
        "/articles/2029/held-draft/",
        "/articles/2030/held-scheduled/",
        "/articles/2029/held-expired/",
    }
    hrefs = _hrefs(page, "/articles/2029/links-to-held-pieces/")
    assert "/articles/2029/live-piece/" in hrefs
    assert not hrefs & held_urls
    text = page.read_text()
    for words in ("the draft", "a later piece", "an offer that ended"):
        assert words in text
    for url in held_urls:
        assert not (site / url.strip("/") / "index.html").exists()  # no page: a link would 404
    for other in site.rglob("*.html"):  # and no page of the site links to one
        url = "/" + other.relative_to(site).parent.as_posix().strip(".") + "/"
        assert not _hrefs(other, url.replace("//", "/")) & held_urls, other
