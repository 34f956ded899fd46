"""`channelhub sources import FILE.opml` and `channelhub sources export`."""

from __future__ import annotations

import shutil
from pathlib import Path

import listparser
import pytest
from click.testing import CliRunner

from channelhub.cli import main
from channelhub.config import load_sources
from channelhub.opml import appended_text, export_opml, plan_import, read_opml

REPO = Path(__file__).parents[1]

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="Partners">
      <outline type="rss" text="Acme &amp; Co Blog" xmlUrl="https://acme.example/feed.xml" htmlUrl="https://acme.example/"/>
      <outline type="rss" text="Northwind again" xmlUrl="https://NORTHWIND.example/feed/?utm_source=opml"/>
      <outline type="rss" text="Acme &amp; Co Blog" xmlUrl="https://acme-two.example/rss"/>
      <outline type="rss" text="Gopher" xmlUrl="gopher://old.example/feed"/>
    </outline>
  </body>
</opml>
"""

SOURCES = """# The hub's sources; this comment must survive an import.
sources:
  - id: northwind  # inline comment too
    name: Northwind
    url: https://northwind.example/feed
    kind: partner
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    shutil.copy(REPO / "feeds" / "topics.yml", tmp_path / "feeds" / "topics.yml")
    (tmp_path / "feeds" / "sources.yml").write_text(SOURCES)
    (tmp_path / "subs.opml").write_bytes(OPML)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_import_appends_new_feeds_and_keeps_comments(repo: Path) -> None:
    result = CliRunner().invoke(main, ["sources", "import", "subs.opml"])
    assert result.exit_code == 0, result.output
    assert "added acme-co-blog: https://acme.example/feed.xml" in result.output
    assert "added acme-co-blog-2: https://acme-two.example/rss" in result.output
    assert "skipped Northwind again: already listed as 'northwind'" in result.output
    assert "skipped Gopher: not an http(s) URL" in result.output
    text = (repo / "feeds" / "sources.yml").read_text()
    assert text.startswith(SOURCES)  # comments and layout untouched
    sources, problems = load_sources(repo)
    assert problems == []
    assert [(s.id, s.name, s.url, s.kind) for s in sources] == [
        ("northwind", "Northwind", "https://northwind.example/feed", "partner"),
        ("acme-co-blog", "Acme & Co Blog", "https://acme.example/feed.xml", "partner"),
        ("acme-co-blog-2", "Acme & Co Blog", "https://acme-two.example/rss", "partner"),
    ]

    again = CliRunner().invoke(main, ["sources", "import", "subs.opml"])
    assert again.exit_code == 0
    assert "0 added" in again.output
    assert (repo / "feeds" / "sources.yml").read_text() == text


def test_import_refuses_what_it_cannot_read(repo: Path) -> None:
    (repo / "bad.opml").write_bytes(b"this is not <opml")
    result = CliRunner().invoke(main, ["sources", "import", "bad.opml"])
    assert result.exit_code == 2
    assert "bad.opml:1: no feeds found" in result.output
    missing = CliRunner().invoke(main, ["sources", "import", "nope.opml"])
    assert missing.exit_code == 2
    assert "nope.opml:1: cannot read" in missing.output


def test_import_will_not_append_after_another_top_level_key() -> None:
    current = "sources:\n  - id: a\n    url: https://a.example/f\nother: 1\n"
    feeds, _ = read_opml(OPML, path="x.opml")
    added, _ = plan_import(feeds[:1], [])
    with pytest.raises(ValueError, match="must be the last thing in the file"):
        appended_text(current, added, path="feeds/sources.yml")
    assert appended_text("", added, path="s.yml").startswith("sources:\n\n  - id: acme-co-blog\n")


def test_export_is_opml_that_listparser_reads_back(repo: Path) -> None:
    result = CliRunner().invoke(main, ["sources", "export"])
    assert result.exit_code == 0
    parsed = listparser.parse(result.stdout.encode())
    assert [(f.title, f.url) for f in parsed.feeds] == [
        ("Northwind", "https://northwind.example/feed")
    ]
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')

    written = CliRunner().invoke(main, ["sources", "export", "-o", "out.opml"])
    assert written.exit_code == 0
    assert (repo / "out.opml").read_text() == result.stdout


def test_export_of_the_demo_leaves_out_bundled_copies() -> None:
    sources, _ = load_sources(REPO)
    text = export_opml(sources)
    assert listparser.parse(text.encode()).feeds == []
    assert all(s.is_local for s in sources)
