"""`channelhub check` on broken fixtures: each case breaks one thing and must get exactly one clear line.

tests/data/check/base is a small valid hub; each folder in tests/data/check/cases holds files laid
over it and `expected.txt`, the exact output followed by `exit N`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelhub import frontmatter
from channelhub.check import placeholder_lines
from channelhub.cli import main
from channelhub.scaffold import ARTICLE_BODY, EDITOR_BODY, NOTE_BODY
from scratch import channelhub, copy_repository

DATA = Path(__file__).parent / "data" / "check"
CASES = sorted(p.name for p in (DATA / "cases").iterdir() if p.is_dir())


def hub_copy(tmp_path: Path, case: str | None = None) -> Path:
    root = tmp_path / "hub"
    shutil.copytree(DATA / "base", root)
    if case:
        shutil.copytree(DATA / "cases" / case, root, dirs_exist_ok=True)
        (root / "expected.txt").unlink()
    return root


def run_check(root: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_base_fixture_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_check(hub_copy(tmp_path), monkeypatch=monkeypatch)
    assert (code, out) == (0, "")
    assert "valid" in err


@pytest.mark.parametrize("case", CASES)
def test_broken_fixture_gets_one_clear_line(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = (DATA / "cases" / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    *lines, status = expected
    code, out, _err = run_check(hub_copy(tmp_path, case), monkeypatch=monkeypatch)
    assert out.splitlines() == lines
    assert status == f"exit {code}"


def test_every_case_has_exactly_one_problem() -> None:
    for case in CASES:
        lines = (DATA / "cases" / case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2, f"{case}: a fixture breaks one thing"


def test_check_limited_to_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub_copy(tmp_path, "unknown-editor")
    code, out, _ = run_check(root, "docs/articles/2026/good.md", monkeypatch=monkeypatch)
    assert (code, out) == (0, "")
    code, out, _ = run_check(root, "docs/articles", monkeypatch=monkeypatch)
    assert code == 1 and out.startswith("docs/articles/2026/bad.md:4:")


def test_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_check(
        hub_copy(tmp_path, "bad-date"), "--format", "github", monkeypatch=monkeypatch
    )
    assert code == 1
    assert out.startswith(
        "::error file=docs/articles/2026/bad.md,line=3::'date' is not an ISO 8601 date"
    )


def test_missing_path_is_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_check(hub_copy(tmp_path), "docs/nope.md", monkeypatch=monkeypatch)
    assert code == 2 and "no such file or folder: docs/nope.md" in err


def test_outside_a_hub_is_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_check(tmp_path, monkeypatch=monkeypatch)
    assert code == 2 and "not a channelhub repository" in err


def test_demo_content_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo passes even --strict: its pulled pieces, as pull wrote them, included."""
    code, out, err = run_check(Path(__file__).parent.parent, "--strict", monkeypatch=monkeypatch)
    assert (code, out) == (0, ""), out + err


# --- warnings and --strict -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "plain", "strict"),
    [(None, 0, 0), ("empty-summary", 0, 1), ("absolute-link", 0, 1), ("bad-date", 1, 1)],
)
def test_strict_fails_on_warnings_too(
    case: str | None, plain: int, strict: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = hub_copy(tmp_path, case)
    assert run_check(root, monkeypatch=monkeypatch)[0] == plain
    code, out, err = run_check(root, "--strict", monkeypatch=monkeypatch)
    assert code == strict
    if case and plain == 0:
        assert ": warning: " in out and err.strip() == "1 warning in 1 file (--strict: warnings fail)"


def test_strict_on_the_changed_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub_copy(tmp_path, "no-topics")
    assert run_check(root, "--strict", "docs/articles/2026/good.md", monkeypatch=monkeypatch)[0] == 0
    code, out, _ = run_check(root, "--strict", "docs/articles/2026/notopics.md", monkeypatch=monkeypatch)
    assert code == 1 and out.startswith("docs/articles/2026/notopics.md:4: warning: no topics")


def test_github_warning_annotation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_check(hub_copy(tmp_path, "no-topics"), "--format", "github", monkeypatch=monkeypatch)
    assert code == 0
    assert out.startswith("::warning file=docs/articles/2026/notopics.md,line=4::no topics: ")


# --- the `channelhub new` templates left in the body --------------------------------------------------


def test_an_untouched_template_is_named_at_each_paragraph() -> None:
    body = "\n" + ARTICLE_BODY
    lines = [line for line, _ in placeholder_lines(body)]
    assert lines == [2, 7]  # "Start here with ..." and "Write the piece in short sections ..."
    assert [line for line, _ in placeholder_lines("\n" + NOTE_BODY)] == [2, 7, 11]
    assert [line for line, _ in placeholder_lines("\n" + EDITOR_BODY)] == [2]


@pytest.mark.parametrize(
    "body",
    [
        # rewrapped, and its first words edited away
        "Mine first.\n\nthe point of the piece in two or three\nsentences: what happened, in brief.\n",
        # one sentence kept in the middle of real text, with other punctuation and case
        "Mine first. GIVE THE FIGURE IN CONTEXT — the sample, the period.\n",
        # inside a quote and a list item
        "> Write your bio here in a short paragraph or two\n",
        "- Then fill in summary above (one or two plain sentences) ok\n",
    ],
)
def test_placeholder_text_is_found_however_it_was_edited(body: str) -> None:
    assert len(placeholder_lines(body)) == 1


@pytest.mark.parametrize(
    "body",
    [
        "Write the piece with care: short sections and descriptive headings help readers.\n",
        "```\nWrite the piece in short sections with descriptive headings.\n```\n",
        "## The numbers\n\n## What it means\n\nYour reading of it.\n",  # headings an editor keeps
    ],
)
def test_own_words_and_quoted_templates_are_not_placeholders(body: str) -> None:
    assert placeholder_lines(body) == []


# --- YAML explained, the same by PyYAML and libyaml -------------------------------------------------


@pytest.mark.parametrize("with_lines", [True, False])
@pytest.mark.parametrize(
    ("front_matter", "line", "message"),
    [
        ("title: Budgets: who pays?\n", 2,
         "the value of 'title' has ': ' in it, which YAML reads as the start of another key: "
         "put the value in quotes: title: 'Budgets: who pays?'"),
        ("title: x\nsummary: It's here: \"yes\"\n", 3,
         "the value of 'summary' has ': ' in it, which YAML reads as the start of another key: "
         "put the value in quotes: summary: 'It''s here: \"yes\"'"),
        ("summary: The answer\n  is: yes\n", 3,
         "a value here has ': ' in it, which YAML reads as the start of another key: "
         "put the whole value in quotes"),
        ("links:\n\t- url: x\n", 3, "tabs are not allowed in front matter; indent with spaces"),
        ("links:\n  - title: x\n  \turl: y\n", 4, "tabs are not allowed in front matter; indent with spaces"),
        ("title: @home\n", 2, "the value of 'title' starts with '@', which YAML reserves: "
         "put the value in quotes: title: '@home'"),
        ('title: "Acme" wins\n', 2, "the value of 'title' goes on after its closing quote: "
         "put the value in quotes: title: '\"Acme\" wins'"),
        ("topics: [a, b\n", 2, None),  # anything else keeps the parser's words
    ],
)  # fmt: skip
def test_yaml_slips_are_explained_on_their_line(
    front_matter: str, line: int, message: str | None, with_lines: bool
) -> None:
    with pytest.raises(frontmatter.FrontMatterError) as raised:
        frontmatter.parse(f"---\n{front_matter}---\nBody.\n", path="x.md", with_lines=with_lines)
    assert raised.value.line == line
    if message is None:
        assert raised.value.message.startswith("invalid YAML: ")
    else:
        assert raised.value.message == message


def test_yaml_files_get_the_same_help() -> None:
    with pytest.raises(frontmatter.FrontMatterError) as raised:
        frontmatter.load_yaml("sources:\n\t- id: a\n", path="feeds/sources.yml")
    assert str(raised.value) == "feeds/sources.yml:2: tabs are not allowed in YAML files; indent with spaces"


# --- links and images, as the build resolves them --------------------------------------------------

PIECE_HEAD = """---
title: Links of every kind
date: 2026-03-01
topics: [marketing-it-alignment]
summary: A page that links to everything the build holds.
editor: maya-okafor
---
"""
#: links the build resolves (or, for raw HTML and absolute paths, the site serves): no problem
GOOD_LINKS = """\
Generated pages: [a topic](../../topics/mobile-marketing/index.md), [all topics](../../topics/index.md),
[sources](../../sources/index.md), [a source](../../sources/northwind-partner-blog/index.md),
[the notes](../../notes/index.md), [home](../../index.md), [an editor](../../editors/maya-okafor.md),
[the feed](../../feed.xml), [a topic's feed](../../topics/mobile-marketing/feed.xml).

Files: [a piece](who-owns-the-martech-budget.md#who-owns-the-martech-budget),
[angle brackets](<who-owns-the-martech-budget.md>), [a query](who-owns-the-martech-budget.md?x=1),
[encoded](../../assets/editors/maya%2Dokafor.svg), ![a photo](../../assets/editors/maya-okafor.svg "Maya"),
[this page](#links), [the guide][guide], [About](../../about.md).

Absolute and raw HTML: [mobile](/topics/mobile-marketing/), <a href="../../../topics/">topics</a>,
<img src="../../../assets/editors/maya-okafor.svg" alt="Maya">, <a href="/sources/">sources</a>.

Code is not a link: `[code](nope.md)` and `<img src="nope.png">`.

    [indented code](nope.md) <img src="nope.png">

```markdown
[fenced](nope.md) ![fenced](nope.png)
```

[guide]: ../../publishing.md "How to publish"
"""
#: Markdown links a strict build refuses: each must be an error of check, at its line
BAD_LINKS = """\
A [typo](who-owns-the-martech-budgte.md) and a [folder](../../topics/mobile-marketing/).
![A missing chart](../../assets/chart.png) and [out of docs](../../../README.md).
The [missing guide][guide].

[guide]: ../../guides/budgets.md
"""


def _mkdocs_link_warnings(output: str) -> set[str]:
    return set(re.findall(r"contains (?:a|an unrecognized relative) link '([^']+)'", output))


@pytest.mark.build
def test_links_the_build_resolves_pass_and_the_ones_it_refuses_fail_both(tmp_path: Path) -> None:
    repo = copy_repository(tmp_path / "repo")
    piece = repo / "docs" / "articles" / "2026" / "links.md"
    piece.write_text(PIECE_HEAD + GOOD_LINKS, encoding="utf-8")
    checked = channelhub(repo, "check", "--strict", "docs/articles/2026/links.md")
    assert (checked.returncode, checked.stdout) == (0, ""), checked.stdout + checked.stderr
    built = channelhub(repo, "build", "-d", str(tmp_path / "good-site"), timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]

    piece.write_text(PIECE_HEAD + BAD_LINKS, encoding="utf-8")
    checked = channelhub(repo, "check", "docs/articles/2026/links.md")
    lines = checked.stdout.splitlines()
    assert checked.returncode == 1
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"docs/articles/2026/links.md:{n}" for n in (8, 8, 9, 9, 12)
    ]
    flagged = {re.search(r"'([^']+)'", line.split(": ", 1)[1]).group(1) for line in lines}  # type: ignore[union-attr]
    built = channelhub(repo, "build", "-d", str(tmp_path / "bad-site"), timeout=600)
    assert built.returncode != 0
    assert _mkdocs_link_warnings(built.stdout + built.stderr) == flagged
