"""The content model's small parts: front matter with lines, dates, URLs, atomic writes."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from channelhub import dates, frontmatter
from channelhub.config import Editor, Hub
from channelhub.content import (
    Piece,
    Publication,
    is_section_page,
    load_index,
    piece_from_document,
    publication,
    read_piece,
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
        ("editor:\n  - ann-lee\n  - ''\n  - 3\n", ["x.md:6: item 2 of 'editor' is empty", "x.md:7: item 3 of 'editor' is a number (3), not an editor id"]),
        ("editor: [ann-lee, bo-chan]\n", "x.md:4: unknown editor 'bo-chan' (did you mean 'bo-chen'?)"),
        ("editor: ann-lee\naliases: /old\n", None),
        ("editor: ann-lee\naliases: {a: 1}\n", "x.md:5: Expected a list of site paths for 'aliases', got a mapping"),
        ("editor: ann-lee\naliases: [/a/../b/]\n", "x.md:5: alias '/a/../b/' is not a site path: write the old address from the site's root, e.g. /articles/2025/old-name/"),
        ("editor: ann-lee\naliases: ['/a b/']\n", "x.md:5: alias '/a b/' is not a site path: write the old address from the site's root, e.g. /articles/2025/old-name/"),
        ("editor: ann-lee\ndraft: 'true'\n", "x.md:5: Expected true or false for 'draft', got text: 'true'"),
    ],
)
def test_co_author_and_alias_problems(meta: str, problem: str | list[str] | None) -> None:
    piece, problems = _read("title: T\ndate: 2026-01-01\n" + meta)
    assert problems == (problem if isinstance(problem, list) else [problem] if problem else [])
    if problem is None:
        assert piece is not None and piece.aliases == ("/old/",)


@pytest.mark.parametrize(
    ("text", "path"),
    [("/old/url", "/old/url/"), ("/old/url/", "/old/url/"), (" /a.html ", "/a.html"), ("/", "/"), ("/index.html", "/"), ("/x/index.html", "/x/"), ("old/", None), ("/.git/", None), ("//x/", None), ("/a?b", None), ("/a#b", None)],
)
def test_site_path(text: str, path: str | None) -> None:
    assert site_path(text) == path


def test_an_alias_two_files_give_is_reported_on_both(tmp_path: Path) -> None:
    hub = Hub(root=tmp_path, editors=(Editor(id="ann-lee", name="Ann Lee", role="Editor"),))
    for name, aliases in (("a-first", ["/kept/", "/shared/"]), ("b-second", ["/shared/"])):
        text = (
            f"---\ntitle: {name}\ndate: 2026-01-01\neditor: ann-lee\naliases:\n"
            + "".join(f"  - {a}\n" for a in aliases)
            + "---\nBody.\n"
        )
        path = tmp_path / "docs" / "articles" / "2026" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    index = load_index(hub, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert sorted(str(p) for p in index.problems) == [
        "docs/articles/2026/a-first.md:7: alias '/shared/' collides with an alias of"
        " docs/articles/2026/b-second.md",
        "docs/articles/2026/b-second.md:6: alias '/shared/' collides with an alias of"
        " docs/articles/2026/a-first.md",
    ]
    first = next(p for p in index.pieces if p.src_uri.endswith("a-first.md"))
    assert first.aliases == ("/kept/", "/shared/")  # the earlier file keeps it



#: front matter, and whether the engine is given the hub's reading of it (else it reads it itself)
ENGINE_CASES = [
    ("title: A\ndate: 2026-03-05\n", True),
    ("title: A\ndate: 2026-03-05T10:00:00Z\nupdated: 2026-03-06 10:00:00.5+02:00\n", True),
    ("title: A\ndate: '2026-03-05'\nnote: \"2026-03-05\"\n", True),  # quoted: text for both
    ("title: 2026-03-05\nlist: [2026-01-01, x, '2026-01-02', {when: 2026-01-03}]\n", True),
    ("2026-01-01: a date as a key\n", True),
    ("explicit: !!timestamp '2026-01-01'\n", True),
    ("draft: yes\nfeatured: on\ncount: 0x10\nnothing: ~\nf: 1.5e3\n", True),
    ("title: Tabs\ttoo\nsummary: >\n  folded\n  text\n", True),
    ("title: A\ndate: 2026-02-30\n", False),  # a date that is none: the engine gives up on it
    ("title: A\ndate: 2026-99-99T99:00:00Z\n", False),
    ("set: !!set {a, b}\n", False),
    ("pairs: !!omap [{a: 2026-01-01}]\n", False),
    ("\n", False),  # no mapping: the engine keeps the front matter in the text
]


@pytest.mark.parametrize(("front", "given"), ENGINE_CASES)
def test_the_engines_reading_of_front_matter_is_the_engines_own(front: str, given: bool) -> None:
    """`Document.engine` (what the engine is given instead of parsing a piece's YAML again) is
    what MkDocs' `get_data` makes of the same text, dates and all, and the hub's own reading is
    as without it; where the engine would make something else of it, it reads it itself."""
    from mkdocs.utils.meta import YAML_RE, get_data

    text = f"---\n{front}---\n\nBody: with a colon\n"
    engine_body, engine_meta = get_data(text)
    doc = frontmatter.parse(text, path="x.md", with_lines=False, engine=True)
    plain = frontmatter.parse(text, path="x.md", with_lines=False)
    assert doc.meta == plain.meta and doc.body == plain.body
    assert not any(type(v) is frontmatter.Timestamp for v in doc.meta.values())
    given_meta = frontmatter.engine_meta(doc.engine[1]) if doc.engine is not None else None
    assert (given_meta is not None) is given
    if doc.engine is None or given_meta is None:
        return
    found = YAML_RE.match(text)
    assert found is not None and found.group(1) == doc.engine[0]
    assert given_meta == engine_meta
    assert [type(v) for v in given_meta.values()] == [type(v) for v in engine_meta.values()]
    # what the hook hands the engine instead: the same Markdown, and an empty mapping
    assert get_data("---\n{}\n---\n" + text[found.end() :]) == (engine_body, {})


def test_the_engines_reading_is_not_kept_with_a_piece() -> None:
    """The rebuild cache pickles pieces: the engine's reading is this build's only."""
    import pickle

    read = frontmatter.parse("---\ntitle: A\ndate: 2026-03-05\n---\nText.\n", path="a.md", with_lines=False, engine=True)
    assert read.engine is not None and read.meta["date"] == "2026-03-05"
    piece = Piece(
        src_uri="articles/2026/a.md",
        title="A",
        date=datetime(2026, 3, 5, tzinfo=UTC),
        kind="article",
        engine=read.engine,
    )
    again = pickle.loads(pickle.dumps(piece))
    assert again == piece and again.engine is None and piece.engine is read.engine


def _aliases(levels: int) -> str:
    """Front matter of `levels` lines, each a list of ten aliases of the line above: 10**levels
    values if each alias were copied out (the 'billion laughs' of YAML)."""
    lines = ["a0: &a0 2026-01-02"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "title: A\ndate: 2026-03-05\n" + "\n".join(lines) + "\n"


def test_shared_aliases_are_read_once_not_expanded() -> None:
    """Eight lines of aliases are 10**7 values copied out (minutes, gigabytes): the hub's
    reading, the engine's and the reading with lines each make a shared node once."""
    import time

    text = f"---\n{_aliases(7)}---\nBody.\n"
    started = time.process_time()
    doc = frontmatter.parse(text, path="x.md", with_lines=False, engine=True)
    assert doc.engine is not None
    given = frontmatter.engine_meta(doc.engine[1])
    lined = frontmatter.parse(text, path="x.md", with_lines=True)
    assert time.process_time() - started < 2.0  # ~1 ms; 10**7 copies take over a minute
    assert given is not None
    for meta, first in ((doc.meta, "2026-01-02"), (given, date(2026, 1, 2)), (lined.meta, "2026-01-02")):
        top = meta["a7"]
        assert len(top) == 10 and all(item is top[0] for item in top)  # one node, not ten copies
        assert top[0][0][0][0][0][0][0] == first and meta["a6"] is top[0]
    assert lined.line_of("a7") == 11 and lined.meta["a1"].line == 5  # each node's lines shifted once


def test_a_recursive_alias_is_read_as_without_the_engine() -> None:
    """`tags: &a [*a]`: libyaml without lines reads a cycle (as the engine's own `get_data`
    does), and the hub keeps it one, not a RecursionError; with lines it is a clear problem."""
    from mkdocs.utils.meta import get_data

    text = "---\ntitle: A\ndate: 2026-03-05\ntags: &a [*a, 2026-01-01]\nm: &m {self: *m}\n---\nBody.\n"
    doc = frontmatter.parse(text, path="x.md", with_lines=False, engine=True)
    plain = frontmatter.parse(text, path="x.md", with_lines=False)
    for meta in (doc.meta, plain.meta):
        assert meta["tags"][0] is meta["tags"] and meta["tags"][1] == "2026-01-01"
        assert meta["m"]["self"] is meta["m"]
    assert doc.engine is not None
    given = frontmatter.engine_meta(doc.engine[1])
    _body, engine = get_data(text)
    assert given is not None and given["tags"][0] is given["tags"] and given["m"]["self"] is given["m"]
    assert given["tags"][1] == engine["tags"][1] == date(2026, 1, 1)
    assert {k: v for k, v in given.items() if k not in ("tags", "m")} == {
        k: v for k, v in engine.items() if k not in ("tags", "m")
    }
    with pytest.raises(FrontMatterError, match=r"^x.md:4: an alias here refers to a list or mapping it is part of"):
        frontmatter.parse(text, path="x.md", with_lines=True)


@pytest.mark.parametrize(
    "extra",
    ["hide: &a [*a]\n", "tags: &a [*a]\n", "topics: &a [*a]\n", "x: " + "[" * 600 + "]" * 600 + "\n"],
)
def test_read_piece_never_raises_on_aliases_or_nesting(extra: str) -> None:
    """A recursive alias or deep nesting: a piece (as on main) or a `path:line:` problem, never a
    traceback (on main a recursive alias beside another problem escaped as an exception)."""
    hub = Hub(root=Path("."), editors=(Editor(id="ann-lee", name="Ann Lee", role="Editor"),))
    text = f"---\ntitle: A\ndate: 2026-03-05\neditor: ann-lee\n{extra}---\nBody.\n"
    for with_lines in (False, True):
        piece, problems = read_piece(
            Path("x.md"), "articles/2026/x.md", hub, display="x.md", with_lines=with_lines, data=text.encode()
        )
        shown = [str(p) for p in problems]
        assert (piece is not None) or shown, shown
        assert all(re.match(r"x\.md:\d+: ", p) for p in shown)
        assert not any("tabs" in p for p in shown)
    piece, problems = read_piece(Path("x.md"), "articles/2026/x.md", hub, display="x.md", with_lines=False, data=text.encode())
    if extra.startswith("hide"):  # a key the hub does not check: read as on main
        assert piece is not None and problems == []


@pytest.mark.parametrize("front", [f for f, _ in ENGINE_CASES] + [_aliases(2), "a: &a {x: [1, 2026-01-01]}\nb: *a\nc: [*a, *a]\n"])
def test_the_engine_gets_new_objects_on_every_read(front: str) -> None:
    """`engine_meta` is what the engine may change (page.meta), and a preview hands the same
    piece to its next build: changing one reading's nested values leaves the next alone."""
    from mkdocs.utils.meta import get_data

    text = f"---\n{front}---\nBody.\n"
    doc = frontmatter.parse(text, path="x.md", with_lines=False, engine=True)
    first = frontmatter.engine_meta(doc.engine[1]) if doc.engine else None
    if first is None:
        return
    assert first == get_data(text)[1]
    for value in first.values():
        if isinstance(value, list):
            value.append("changed")
        elif isinstance(value, dict):
            value["changed"] = True
    first["new"] = 1
    assert frontmatter.engine_meta(doc.engine[1]) == get_data(text)[1]


def test_a_build_hands_a_pieces_front_matter_to_the_engine_once(tmp_path: Path) -> None:
    """A build: the hook's page.meta comes from `HubBuild.engine_front_matter` once, and the
    piece lets go of it (the engine reads a page once a build)."""
    from channelhub.build import HubBuild
    from channelhub.settings import Settings

    root = _check_base(tmp_path)
    build = HubBuild.start(root, root / "docs", Settings())
    found = build.engine_front_matter(GOOD)
    assert found is not None
    assert found[1]["topics"] == ["mobile-marketing"] and found[1]["date"] == date(2026, 3, 1)
    assert build.engine_front_matter(GOOD) is None
    piece = build.piece(GOOD)
    assert piece is not None and piece.engine is None and piece.title == "A good article"


def test_a_preview_build_does_not_see_the_last_ones_page_meta_changes(tmp_path: Path) -> None:
    """A preview keeps a piece's front matter for its next build (which gets the same piece
    back when the file is unchanged), and hands the engine new objects each time: what the
    engine or a plugin did to one build's page.meta is not in the next one's."""
    from mkdocs.utils.meta import get_data

    from channelhub.build import HubBuild
    from channelhub.settings import Settings

    root = _check_base(tmp_path)
    build = HubBuild.start(root, root / "docs", Settings(), preview=True)
    first = build.engine_front_matter(GOOD)
    assert first is not None
    first[1]["topics"].append("changed")
    first[1]["title"] = "changed"
    again = build.engine_front_matter(GOOD)
    assert again is not None and again[1] is not first[1]
    assert again[1]["topics"] == ["mobile-marketing"] and again[1]["title"] == "A good article"
    assert again[1] == get_data((root / "docs" / GOOD).read_text(encoding="utf-8"))[1]


GOOD = "articles/2026/good.md"


def _check_base(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "hub"
    shutil.copytree(Path(__file__).parent / "data" / "check" / "base", root)
    return root
