"""`channelhub new article|note|editor` and the scaffold module behind it.

Runs the real command (click's CliRunner) in a small hub written into tmp_path, and compares
the files it writes byte for byte; bad input must exit 2 with a clear message and write nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from channelhub import frontmatter, scaffold
from channelhub.cli import main
from channelhub.config import load_hub
from channelhub.scaffold import (
    Scaffold,
    ScaffoldError,
    create,
    parse_day,
    slug_for,
    split_topics,
)
from channelhub.tagger import compile_rules
from scratch import scratch_hub

TOPICS = """\
topics:
  - slug: marketing-it-alignment
    title: Marketing–IT alignment
    description: CMOs and CIOs working together.
  - slug: data-analytics
    title: Data and analytics
    description: Measuring what marketing does.
    replaces: [analytics]
"""
SOURCES = """\
sources:
  - id: acme-partner-blog
    name: Acme Partner Blog
    url: https://blog.example.com/feed.xml
    kind: partner
"""
EDITOR = "---\nname: Ana Ruiz\nrole: Senior editor\n---\nAna covers analytics.\n"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal hub repository as the current directory."""
    root = scratch_hub(
        tmp_path / "hub", topics=TOPICS, sources=SOURCES, editors={"ana-ruiz": EDITOR}
    )
    monkeypatch.chdir(root)
    return root


def new(*args: str) -> Result:
    return CliRunner().invoke(main, ["new", *args], catch_exceptions=False)


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Who owns the CRM: marketing or IT?", "who-owns-the-crm-marketing-or-it"),
        ("Rebuilding a Bank's Text-Message Program", "rebuilding-a-banks-text-message-program"),
        ("The CMO’s new budget", "the-cmos-new-budget"),
        ("CMO–CIO alignment, 2026 edition", "cmo-cio-alignment-2026-edition"),
        ("Café & crème: loyalty apps", "cafe-creme-loyalty-apps"),
        ("  Spaces   everywhere  ", "spaces-everywhere"),
    ],
)
def test_slug_for(title: str, slug: str) -> None:
    assert slug_for(title) == slug


def test_slug_of_a_long_title_stops_at_a_word_boundary() -> None:
    title = "Why the marketing operations team and the infrastructure group " * 3
    slug = slug_for(title)
    assert len(slug) <= 80
    assert slug == (
        "why-the-marketing-operations-team-and-the-infrastructure-group-why-the-marketing"
    )


def test_a_title_without_letters_has_no_slug() -> None:
    with pytest.raises(ScaffoldError, match="has no letters or digits"):
        slug_for("?!…")


@pytest.mark.parametrize("text", ["2026-13-01", "03/02/2026", "2026-3-2", "tomorrow", ""])
def test_parse_day_refuses(text: str) -> None:
    with pytest.raises(ScaffoldError, match="is not a date: use YYYY-MM-DD"):
        parse_day(text, today=date(2026, 1, 1))


def test_parse_day_defaults_to_today() -> None:
    assert parse_day(None, today=date(2026, 5, 4)) == date(2026, 5, 4)
    assert parse_day(" 2024-02-29 ", today=date(2026, 5, 4)) == date(2024, 2, 29)


def test_split_topics() -> None:
    assert split_topics(None) is None
    assert split_topics("") == ()
    assert split_topics(" a, b ,,a ") == ("a", "b")


# --- new article -------------------------------------------------------------------------------


def test_new_article_with_topics_writes_an_editor_owned_piece(hub: Path) -> None:
    result = new(
        "article",
        "--title",
        "Who owns the CRM: marketing or IT?",
        "--editor",
        "ana-ruiz",
        "--topics",
        "data-analytics,marketing-it-alignment",
        "--date",
        "2025-11-03",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "docs/articles/2025/who-owns-the-crm-marketing-or-it.md\n"
    text = (hub / "docs/articles/2025/who-owns-the-crm-marketing-or-it.md").read_text()
    assert text.startswith(
        "---\n"
        "title: 'Who owns the CRM: marketing or IT?'\n"
        "date: 2025-11-03\n"
        "topics: [data-analytics, marketing-it-alignment]\n"
        "summary: ''\n"
        "editor: ana-ruiz\n"
        "---\n"
        "\n"
        "Start here with the point of the piece"
    )
    doc = frontmatter.read(hub / "docs/articles/2025/who-owns-the-crm-marketing-or-it.md")
    assert "auto_topics" not in doc.meta
    assert "## First section" in doc.body


def test_new_article_maps_a_renamed_topic(hub: Path) -> None:
    result = new("article", "--title", "T", "--editor", "ana-ruiz", "--topics", "analytics")
    assert result.exit_code == 0, result.output
    assert "note: topic 'analytics' is now 'data-analytics'; used that" in result.stderr
    doc = frontmatter.read(hub / result.stdout.strip())
    assert doc.meta["topics"] == ["data-analytics"]


def test_new_article_topics_come_from_the_tagger(hub: Path) -> None:
    title = "CMO and CIO alignment: how marketing and IT plan the analytics budget together"
    expected = [s.slug for s in compile_rules(load_hub(hub).topics).tag(title, "", "")]
    result = new("article", "--title", title, "--editor", "ana-ruiz")
    assert result.exit_code == 0, result.output
    doc = frontmatter.read(hub / result.stdout.strip())
    assert doc.meta["topics"] == expected
    assert doc.meta["auto_topics"] == expected


def test_new_article_is_dated_today_in_utc(hub: Path) -> None:
    before = datetime.now(UTC).date()
    result = new("article", "--title", "Today", "--editor", "ana-ruiz", "--topics", "")
    after = datetime.now(UTC).date()
    assert result.exit_code == 0, result.output
    path = result.stdout.strip()
    doc = frontmatter.read(hub / path)
    assert doc.meta["date"] in (before.isoformat(), after.isoformat())
    assert path == f"docs/articles/{doc.meta['date'][:4]}/today.md"


def test_new_pieces_are_valid_and_check_names_what_is_left_to_write(hub: Path) -> None:
    """The front matter `new` writes is valid; what check reports is only the work left: the
    template's placeholder text (errors) and the empty summary (a warning). Once written, clean."""
    from channelhub.check import run_check

    created = [
        new("article", "--title", "A", "--editor", "ana-ruiz", "--topics", "data-analytics"),
        new("article", "--title", "B", "--editor", "ana-ruiz"),
        new(
            "note",
            "--title",
            "Ridgeline: half of CMOs share a budget",
            "--editor",
            "ana-ruiz",
            "--analyst",
            "Hannah Greer",
            "--firm",
            "Ridgeline Research",
            "--figure",
            "Half of the CMOs surveyed share a technology budget with the CIO.",
            "--canonical",
            "https://ridgeline.example/reports/budgets",
        ),
        new("editor", "--id", "bo-chen", "--name", "Bo Chen", "--role", "Editor"),
    ]
    assert [r.exit_code for r in created] == [0, 0, 0, 0]
    paths = [r.stdout.strip() for r in created]
    left = [p for p in run_check(hub) if p.path in paths]
    placeholders = [p for p in left if p.message.startswith("placeholder text")]
    assert {p.path for p in placeholders} == set(paths)
    assert all(p.is_error for p in placeholders)
    warnings = [(p.path, p.message.split(":")[0]) for p in left if p not in placeholders]
    # this hub's topics have no rules: the tagger suggests none, so only --topics gives some
    no_summary, no_topics = "no summary", "no topics"
    assert sorted(warnings) == sorted(
        [(paths[0], no_summary)] + [(p, w) for p in paths[1:3] for w in (no_summary, no_topics)]
    )
    for path in paths:
        doc = frontmatter.read(hub / path)
        written = {"summary": "Written.", "topics": doc.meta.get("topics") or ["data-analytics"]}
        meta = {**doc.meta, **written} if "title" in doc.meta else doc.meta
        frontmatter.write(hub / path, meta, "\nMy own words, at last.\n")
    assert [p for p in run_check(hub) if p.path in paths] == []


# --- new note and new editor -------------------------------------------------------------------


def test_new_note_writes_the_analyst_fields(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a tagger that knows no topic, so the note's topics are predictable
    monkeypatch.setattr(scaffold, "compile_rules", lambda _topics: compile_rules(()))
    result = new(
        "note",
        *("--title", "Ridgeline: half of CMOs share a budget", "--editor", "ana-ruiz"),
        *("--analyst", "Hannah Greer", "--firm", "Ridgeline Research"),
        *("--figure", "Half of the CMOs surveyed share a budget with the CIO."),
        *("--canonical", "https://ridgeline.example/r", "--date", "2026-02-18"),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "docs/notes/2026/ridgeline-half-of-cmos-share-a-budget.md\n"
    text = (hub / "docs/notes/2026/ridgeline-half-of-cmos-share-a-budget.md").read_text()
    assert text.startswith(
        "---\n"
        "title: 'Ridgeline: half of CMOs share a budget'\n"
        "date: 2026-02-18\n"
        "topics: []\n"
        "auto_topics: []\n"
        "summary: ''\n"
        "editor: ana-ruiz\n"
        "canonical: https://ridgeline.example/r\n"
        "analyst: Hannah Greer\n"
        "firm: Ridgeline Research\n"
        "figure: Half of the CMOs surveyed share a budget with the CIO.\n"
        "---\n\nStart here with the analyst's finding"
    )


def test_new_editor_writes_name_role_and_a_bio_prompt(hub: Path) -> None:
    result = new("editor", "--id", "bo-chen", "--name", " Bo  Chen ", "--role", "Editor, mobile")
    assert result.exit_code == 0, result.output
    assert result.stdout == "docs/editors/bo-chen.md\n"
    text = (hub / "docs/editors/bo-chen.md").read_text()
    assert text.startswith("---\nname: Bo Chen\nrole: Editor, mobile\n---\n\nWrite your bio here")
    assert load_hub(hub).editor("bo-chen") is not None


# --- bad input: exit 2, a clear message, nothing written ---------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["article", "--title", "   ", "--editor", "ana-ruiz"],
            "Error: --title is empty: give the piece a title",
        ),
        (
            ["article", "--title", "X", "--editor", "nobody"],
            "Error: unknown editor 'nobody' (known: ana-ruiz); add yourself first with "
            "`channelhub new editor --id ... --name ... --role ...`",
        ),
        (
            ["article", "--title", "X", "--editor", "ana-ruiz", "--editor", "ana-ruis"],
            "Error: unknown editor 'ana-ruis' (did you mean 'ana-ruiz'?) (known: ana-ruiz); add",
        ),
        (
            ["article", "--title", "X", "--editor", "ana-ruiz", "--date", "2026-02-30"],
            "Error: --date '2026-02-30' is not a date: use YYYY-MM-DD",
        ),
        (
            ["article", "--title", "X", "--editor", "ana-ruiz", "--topics", "data-analytics,nope"],
            "Error: --topics: unknown topic 'nope' (known: marketing-it-alignment, data-analytics)",
        ),
        (
            ["article", "--title", "Ana covers", "--editor", "ana-ruiz", "--date", "2026-01-01"],
            "Error: docs/articles/2026/ana-covers.md already exists: choose another title",
        ),
        (
            ["note", "--title", "N", "--editor", "ana-ruiz", "--canonical", "javascript:alert(1)"],
            "Error: --canonical must be an http(s) URL, got 'javascript:alert(1)'",
        ),
        (
            ["editor", "--id", "Bo Chen", "--name", "Bo", "--role", "Editor"],
            "Error: --id 'Bo Chen' must be lowercase words joined by '-'",
        ),
        (
            ["editor", "--id", "ana-ruiz", "--name", "Ana", "--role", "Editor"],
            "Error: docs/editors/ana-ruiz.md already exists",
        ),
        (
            ["editor", "--id", "bo", "--name", " ", "--role", "Editor"],
            "Error: --name is empty",
        ),
        (["article", "--editor", "ana-ruiz"], "Error: Missing option '--title'."),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(hub: Path, args: list[str], message: str) -> None:
    existing = hub / "docs/articles/2026/ana-covers.md"
    existing.parent.mkdir(parents=True)
    existing.write_text("---\ntitle: Ana covers\n---\n", encoding="utf-8")
    before = {p: (hub / p).read_bytes() for p in files_under(hub)}
    result = new(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert {p: (hub / p).read_bytes() for p in files_under(hub)} == before


def test_outside_a_hub_new_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = new("article", "--title", "X", "--editor", "ana-ruiz")
    assert result.exit_code == 2
    assert "is not a channelhub repository (no mkdocs.yml here)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_create_never_replaces_a_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    scaffold = Scaffold(path="docs/editors/x.md", meta={"name": "X", "role": "Editor"}, body="\n")
    first = create(tmp_path, scaffold)
    assert first.read_text() == "---\nname: X\nrole: Editor\n---\n\n"
    with pytest.raises(ScaffoldError, match="already exists"):
        create(
            tmp_path, Scaffold(path="docs/editors/x.md", meta={"name": "Y", "role": "R"}, body="")
        )
    assert first.read_text() == "---\nname: X\nrole: Editor\n---\n\n"
    assert [p.name for p in first.parent.iterdir()] == ["x.md"]


# --- co-authors, and "now" ---------------------------------------------------------------------


def test_new_article_with_two_editors_writes_the_list(hub: Path) -> None:
    (hub / "docs/editors/bo-chen.md").write_text(EDITOR.replace("Ana Ruiz", "Bo Chen"), encoding="utf-8")
    result = new(
        "article", "--title", "Written together", "--editor", "bo-chen", "--editor", "ana-ruiz",
        "--editor", "bo-chen", "--topics", "data-analytics", "--date", "2026-03-02",
    )
    assert result.exit_code == 0, result.output
    text = (hub / "docs/articles/2026/written-together.md").read_text(encoding="utf-8")
    assert "\neditor: [bo-chen, ana-ruiz]\n" in text
    from channelhub.check import run_check

    # Only what every fresh scaffold has (the template's text, the summary still to write):
    # both co-authors are known editors.
    left = [p for p in run_check(hub) if p.path.startswith("docs/")]
    assert {p.message.split(" ")[0] for p in left} == {"placeholder", "no"}
    assert not [p for p in left if "editor" in p.message]


def test_new_article_takes_today_from_channelhub_now(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANNELHUB_NOW", "2031-07-04T23:30:00-02:00")  # already the 5th in UTC
    result = new("article", "--title", "Later", "--editor", "ana-ruiz", "--topics", "")
    assert result.exit_code == 0, result.output
    assert result.stdout == "docs/articles/2031/later.md\n"
    assert frontmatter.read(hub / "docs/articles/2031/later.md").meta["date"] == "2031-07-05"


def test_a_later_date_is_scheduled_and_new_says_so(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANNELHUB_NOW", "2026-03-01T10:00:00Z")
    result = new("article", "--title", "Next week", "--editor", "ana-ruiz", "--topics", "", "--date", "2026-03-08")
    assert result.exit_code == 0, result.output
    assert (
        "note: dated 2026-03-08, after today: the piece is scheduled, and the first build from "
        "00:00 UTC that day publishes it" in result.stderr
    )
    same_day = new("article", "--title", "Today", "--editor", "ana-ruiz", "--topics", "", "--date", "2026-03-01")
    assert "scheduled" not in same_day.stderr


def test_a_bad_channelhub_now_is_a_usage_error(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANNELHUB_NOW", "next tuesday")
    result = new("article", "--title", "X", "--editor", "ana-ruiz")
    assert result.exit_code == 2
    assert "Error: CHANNELHUB_NOW must be an ISO 8601 date and time with a zone" in result.stderr
    assert files_under(hub / "docs") == {"editors/ana-ruiz.md"}
