"""The content model's small parts: front matter with lines, dates, URLs, atomic writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from channelhub import frontmatter
from channelhub.content import is_section_page, url_of
from channelhub.dates import parse_date
from channelhub.frontmatter import FrontMatterError


def test_lines_of_keys_are_file_lines() -> None:
    doc = frontmatter.parse("---\ntitle: T\n\ndate: 2026-01-02\n---\nBody\n", path="x.md")
    assert doc.lines == {"title": 2, "date": 4}
    assert doc.body == "Body\n" and doc.body_line == 6
    assert doc.meta["date"] == "2026-01-02"  # dates stay text; the content model parses them


def test_bom_and_crlf() -> None:
    doc = frontmatter.parse("\ufeff---\r\ntitle: T\r\n---\r\nBody", path="x.md")
    assert doc.meta == {"title": "T"} and doc.body == "Body"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "---\ntitle: 'open\n---\n",
            2,
            "invalid YAML: found unexpected end of stream while scanning a quoted scalar",
        ),
        ("---\ntitle: T\n", 1, "front matter is not closed by a '---' line"),
        ("---\n42\n---\n", 2, "front matter must be a mapping of keys, got a number"),
    ],
)
def test_bad_front_matter(text: str, line: int, message: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        frontmatter.parse(text, path="x.md")
    assert (caught.value.line, caught.value.message) == (line, message)


@pytest.mark.parametrize(
    "value",
    [
        "line\n---\nkey: evil",
        "...",
        "--- x",
        "a\u2028b",
        "tab\there",
        "\x85next",
        "{{ jinja }}",
        "'quoted' \"both\"",
        "#not a comment",
        "- not a list",
    ],
)
def test_risky_strings_round_trip_and_stay_one_line(value: str) -> None:
    text = frontmatter.render({"title": value, "date": "2026-01-01"}, "Body\n")
    assert text.count("\n---\n") == 1  # nothing closes the block early
    doc = frontmatter.parse(text, path="x.md")
    assert dict(doc.meta) == {"title": value, "date": "2026-01-01"}


def test_key_order_is_fixed() -> None:
    text = frontmatter.render(
        {
            "editor": "e",
            "summary": "s",
            "title": "t",
            "zzz": 1,
            "date": "2026-01-01",
            "topics": ["a", "b"],
        },
        "",
    )
    assert text.splitlines()[1:7] == [
        "title: t",
        "date: 2026-01-01",
        "topics: [a, b]",
        "summary: s",
        "editor: e",
        "zzz: 1",
    ]


def test_atomic_write_reports_no_change(tmp_path: Path) -> None:
    path = tmp_path / "a" / "x.md"
    assert frontmatter.write(path, {"title": "T"}, "Body\n") is True
    mtime = path.stat().st_mtime_ns
    assert frontmatter.write(path, {"title": "T"}, "Body\n") is False
    assert path.stat().st_mtime_ns == mtime
    assert [p.name for p in path.parent.iterdir()] == ["x.md"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-14", datetime(2026, 3, 14, tzinfo=UTC)),
        ("2026-03-14T10:30:00Z", datetime(2026, 3, 14, 10, 30, tzinfo=UTC)),
        ("2026-03-14T10:30:00+02:00", datetime(2026, 3, 14, 8, 30, tzinfo=UTC)),
        ("2026-03-14 10:30", datetime(2026, 3, 14, 10, 30, tzinfo=UTC)),
        ("2026-13-45", None),
        ("14/03/2026", None),
        ("yesterday", None),
        (20260314, None),
    ],
)
def test_parse_date(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("src_uri", "url"),
    [
        ("articles/2026/x.md", "articles/2026/x/"),
        ("articles/2026/x/index.md", "articles/2026/x/"),
        ("index.md", ""),
        ("topics/t/page/2/index.md", "topics/t/page/2/"),
    ],
)
def test_url_of(src_uri: str, url: str) -> None:
    assert url_of(src_uri) == url


def test_section_pages_are_not_pieces() -> None:
    assert is_section_page("notes/index.md")
    assert is_section_page("sources/acme/index.md")
    assert not is_section_page("articles/2026/bundle/index.md")
    assert not is_section_page("articles/2026/x.md")
