"""The content model's small parts: front matter with lines, dates, URLs, atomic writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channelhub import dates, frontmatter
from channelhub.config import Editor, Hub
from channelhub.content import (
    Piece,
    Publication,
    is_section_page,
    piece_from_document,
    publication,
    site_path,
    url_of,
)
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


# ---------------------------------------------------------------- now, and whether a piece is published


def test_now_is_the_clock_unless_channelhub_now_is_set() -> None:
    before = datetime.now(UTC)
    assert before <= dates.now({}) <= datetime.now(UTC)
    assert before <= dates.now({"CHANNELHUB_NOW": "  "}) <= datetime.now(UTC)  # empty: not set
    assert dates.now({"CHANNELHUB_NOW": "2027-03-01T09:30:00+02:00"}) == datetime(2027, 3, 1, 7, 30, tzinfo=UTC)
    assert dates.now({"CHANNELHUB_NOW": "2027-03-01T09:30Z"}).tzinfo is UTC


@pytest.mark.parametrize("value", ["2027-03-01", "2027-03-01T09:30:00", "tomorrow", "2027-13-01T00:00:00Z", "1700000000"])
def test_a_bad_channelhub_now_is_a_clear_error(value: str) -> None:
    with pytest.raises(dates.NowError, match=r"^CHANNELHUB_NOW must be an ISO 8601 date and time with a zone, e\.g\. 2026-03-14T09:00:00Z; got "):
        dates.now({"CHANNELHUB_NOW": value})


AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({}, Publication.PUBLISHED),
        ({"date": AT}, Publication.PUBLISHED),  # dated this very moment
        ({"date": AT + timedelta(seconds=1)}, Publication.SCHEDULED),
        ({"draft": True}, Publication.DRAFT),
        ({"draft": True, "date": AT + timedelta(days=9)}, Publication.DRAFT),  # a draft stays one
        ({"expires": AT}, Publication.EXPIRED),  # off the site from that moment
        ({"expires": AT + timedelta(seconds=1)}, Publication.PUBLISHED),
        ({"date": AT + timedelta(days=1), "expires": AT + timedelta(days=2)}, Publication.SCHEDULED),
    ],
)
def test_publication_is_decided_from_the_piece_and_the_moment(changes: dict[str, object], state: Publication) -> None:
    piece = Piece(src_uri="articles/2026/x.md", title="X", date=AT - timedelta(days=1), kind="editorial", editor=("a",))
    assert publication(replace(piece, **changes), AT) is state  # type: ignore[arg-type]


def _read(meta: str, editors: tuple[str, ...] = ("ann-lee", "bo-chen")) -> tuple[Piece | None, list[str]]:
    hub = Hub(root=Path("."), editors=tuple(Editor(id=e, name=e.title(), role="Editor") for e in editors))
    doc = frontmatter.parse(f"---\n{meta}---\nBody\n", path="x.md")
    piece, problems = piece_from_document(doc, "articles/2026/x.md", hub, display="x.md")
    return piece, [str(p) for p in problems]


def test_editor_is_one_id_or_a_list_of_co_authors() -> None:
    one, _ = _read("title: T\ndate: 2026-01-01\neditor: ann-lee\n")
    two, _ = _read("title: T\ndate: 2026-01-01\neditor: [bo-chen, ann-lee, bo-chen]\n")
    assert one is not None and one.editor == ("ann-lee",)
    assert two is not None and two.editor == ("bo-chen", "ann-lee")  # written once each, in order


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        ("editor: []\n", "x.md:4: 'editor' is empty: give your editor id, e.g. editor: jane-doe"),
        ("editor: {a: b}\n", "x.md:4: Expected an editor id or a list of editor ids for 'editor', got a mapping"),
        ("editor: [ann-lee, bo-chan]\n", "x.md:4: unknown editor 'bo-chan' (did you mean 'bo-chen'?)"),
        ("editor: ann-lee\naliases: /old\n", None),
        ("editor: ann-lee\naliases: {a: 1}\n", "x.md:5: Expected a list of site paths for 'aliases', got a mapping"),
        ("editor: ann-lee\naliases: [/a/../b/]\n", "x.md:5: alias '/a/../b/' is not a site path: write the old address from the site's root, e.g. /articles/2025/old-name/"),
        ("editor: ann-lee\naliases: ['/a b/']\n", "x.md:5: alias '/a b/' is not a site path: write the old address from the site's root, e.g. /articles/2025/old-name/"),
        ("editor: ann-lee\ndraft: 'true'\n", "x.md:5: Expected true or false for 'draft', got text: 'true'"),
    ],
)
def test_co_author_and_alias_problems(meta: str, problem: str | None) -> None:
    piece, problems = _read("title: T\ndate: 2026-01-01\n" + meta)
    assert problems == ([problem] if problem else [])
    if problem is None:
        assert piece is not None and piece.aliases == ("/old/",)


@pytest.mark.parametrize(
    ("text", "path"),
    [("/old/url", "/old/url/"), ("/old/url/", "/old/url/"), (" /a.html ", "/a.html"), ("/", "/"), ("/index.html", "/"), ("/x/index.html", "/x/"), ("old/", None), ("/.git/", None), ("//x/", None), ("/a?b", None), ("/a#b", None)],
)
def test_site_path(text: str, path: str | None) -> None:
    assert site_path(text) == path
