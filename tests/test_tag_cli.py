"""`channelhub tag`: JSON and table output, usage errors, --retag on a scratch hub, --evaluate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelhub import frontmatter
from channelhub.cli import main
from channelhub.config import load_hub
from channelhub.retag import load_tagger, retag
from channelhub.tagger import Tagger
from scratch import scratch_hub
from synth import SynthSource, synth_pieces, write_pieces  # scripts/synth.py

REPO = Path(__file__).parents[1]

ALIGNMENT = """\
---
title: The CMO and CIO now share one roadmap
date: 2026-01-12
summary: >-
  A retailer's chief marketing officer and chief information officer plan
  every quarter together.
editor: dana
---
The CMO and the CIO sign off one roadmap. Marketing and IT review it every fortnight.
"""

OFFICE = """\
---
title: We are moving to Canal Street
date: 2026-01-12
summary: Our office moves in March.
editor: dana
---
The new office is near the station and has cycle parking.
"""

AUTOMATION_BODY = """
Our marketing automation platform now scores every lead. The lead scoring model
decays over 30 days, and nurture emails branch on the score.
"""


def piece(
    topics: list[str] | None,
    auto: list[str] | None,
    *,
    title: str = "Lead scoring in marketing automation",
) -> str:
    """A piece with deliberately unusual (but valid) formatting that must survive a re-tag."""
    lines = ["---", f"title: {title}", "date: 2026-02-01"]
    if topics is not None:
        lines.append(f"topics: [{', '.join(topics)}]")
    lines += [
        "# an editor's comment stays",
        "summary: >-",
        "  How one team rebuilt",
        "  its scoring.",
    ]
    if auto is not None:
        lines += ["auto_topics:"] + [f"  - {slug}" for slug in auto]
    lines += ["editor: dana", "---"]
    return "\n".join(lines) + "\n" + AUTOMATION_BODY


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch hub: the real topics.yml (social-media also replacing 'social'), a few pieces."""
    topics = (REPO / "feeds" / "topics.yml").read_text(encoding="utf-8")
    topics = topics.replace(
        "  - slug: social-media\n", "  - slug: social-media\n    replaces: [social]\n"
    )
    sources = (
        "sources:\n  - id: acme\n    name: Acme\n    url: https://acme.example/feed.xml\n"
        "    kind: partner\n    topics: [channel-partners]\n"
    )
    root = scratch_hub(tmp_path / "hub", topics=topics, sources=sources)
    monkeypatch.chdir(root)
    return root


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def hub_tagger(root: Path) -> Tagger:
    tagger, problems = load_tagger(load_hub(root))
    assert problems == []
    return tagger


# --- tag FILE... ------------------------------------------------------------------------------


def test_json_lists_each_file_with_its_topics_best_first(hub: Path) -> None:
    write(hub, "a.md", ALIGNMENT)
    write(hub, "b.md", OFFICE)
    result = CliRunner().invoke(main, ["tag", "a.md", "b.md", "--json"])
    assert result.exit_code == 0, result.output
    doc = frontmatter.read(hub / "a.md")
    expected = hub_tagger(hub).tag(doc.meta["title"], doc.meta["summary"], doc.body)
    assert [s.slug for s in expected] == ["marketing-it-alignment"]
    assert json.loads(result.output) == [
        {
            "path": "a.md",
            "topics": [{"slug": "marketing-it-alignment", "score": round(expected[0].score, 3)}],
        },
        {"path": "b.md", "topics": []},
    ]


def test_json_scores_are_rounded_to_three_decimals(hub: Path) -> None:
    long_body = "Filler words about the quarter and the weather. " * 60 + AUTOMATION_BODY * 3
    write(hub, "c.md", piece(None, None).split("\n---\n")[0] + "\n---\n" + long_body)
    result = CliRunner().invoke(main, ["tag", "--json", "c.md"])
    (entry,) = json.loads(result.output)
    scores = [t["score"] for t in entry["topics"]]
    assert scores and scores == sorted(scores, reverse=True)
    assert all(round(s, 3) == s for s in scores)
    assert any(s != int(s) for s in scores)  # the body scaling gives fractions, rounded


def test_table_shows_the_evidence(hub: Path) -> None:
    write(hub, "a.md", ALIGNMENT)
    write(hub, "b.md", OFFICE)
    result = CliRunner().invoke(main, ["tag", "a.md", "b.md"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "a.md"
    assert lines[1].split()[0] == "marketing-it-alignment"
    assert "CMO/CIO (title)" in lines[1]
    assert "chief marketing officer (summary)" in lines[1]
    assert "CMO… near CIO… (body)" in lines[1]  # "the CMO and the CIO": near, not the phrase
    assert lines[2] == "b.md"
    assert lines[3].split()[0] == "(none)"
    assert "no topic reaches its threshold" in lines[3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tag"], "give FILE... to tag, or --retag, or --evaluate DIR"),
        (["tag", "--json"], "give FILE... to tag, or --retag, or --evaluate DIR"),
        (["tag", "missing.md"], "missing.md:1: cannot read: No such file or directory"),
        (["tag", "broken.md"], "broken.md:3: invalid YAML"),
        (["tag", "a.md", "--retag"], "exactly one of them"),
        (["tag", "a.md", "--dry-run"], "--dry-run only goes with --retag"),
        (["tag", "--evaluate", "nowhere"], "no such folder: nowhere"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(hub: Path, args: list[str], message: str) -> None:
    write(hub, "a.md", ALIGNMENT)
    write(hub, "broken.md", "---\ntitle: x\ntopics: [a\n---\nbody\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_rules_in_topics_yml_exit_2(hub: Path) -> None:
    topics = hub / "feeds" / "topics.yml"
    topics.write_text(
        topics.read_text(encoding="utf-8").replace("        CMO: 1\n", "        CMO: lots\n"),
        encoding="utf-8",
    )
    write(hub, "a.md", ALIGNMENT)
    result = CliRunner().invoke(main, ["tag", "a.md"])
    assert result.exit_code == 2
    line = next(
        n for n, text in enumerate(topics.read_text().splitlines(), 1) if "CMO: lots" in text
    )
    assert (
        f"feeds/topics.yml:{line}: weight of phrase 'CMO' must be a number above 0 and at most 10, got 'lots'"
        in result.output
    )


# --- --retag ------------------------------------------------------------------------------------


def retag_fixture(hub: Path) -> dict[str, Path]:
    return {
        "owned": write(
            hub, "docs/articles/2026/owned.md", piece(["social-media"], ["social-media"])
        ),
        "owned_old_slug": write(
            hub, "docs/sources/acme/2026/owned-old.md", piece(["social"], ["social"])
        ),
        "current": write(
            hub,
            "docs/articles/2026/current.md",
            piece(["marketing-automation"], ["marketing-automation"]),
        ),
        "editor": write(hub, "docs/articles/2026/editor.md", piece(["social-media"], None)),
        "edited": write(
            hub, "docs/articles/2026/edited.md", piece(["data-analytics"], ["social-media"])
        ),
        "renamed": write(
            hub, "docs/notes/2026/renamed.md", piece(["social", "data-analytics"], None)
        ),
    }


def test_retag_changes_only_tagger_owned_topics_and_migrates_renamed_slugs(hub: Path) -> None:
    files = retag_fixture(hub)
    before = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    os.utime(files["current"], (1_000_000_000, 1_000_000_000))
    result = CliRunner().invoke(main, ["tag", "--retag"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "docs/articles/2026/owned.md: re-tagged [social-media] -> [marketing-automation]",
        "docs/notes/2026/renamed.md: migrated [social, data-analytics] -> [social-media, data-analytics]",
        "docs/sources/acme/2026/owned-old.md: re-tagged [social] -> [marketing-automation]",
    ]
    assert (
        "2 of 3 tagger-owned pieces re-tagged, 1 editor-owned pieces' renamed slugs migrated, 2 editor-owned pieces left as they are."
        in result.stderr
    )
    after = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    # Only the topics lines change; the comment, the folded summary and the body stay byte for byte.
    assert after["owned"] == before["owned"].replace(
        "topics: [social-media]", "topics: [marketing-automation]"
    ).replace("auto_topics:\n  - social-media\n", "auto_topics: [marketing-automation]\n")
    assert after["owned_old_slug"] == before["owned_old_slug"].replace(
        "topics: [social]", "topics: [marketing-automation]"
    ).replace("auto_topics:\n  - social\n", "auto_topics: [marketing-automation]\n")
    assert after["renamed"] == before["renamed"].replace(
        "topics: [social, data-analytics]", "topics: [social-media, data-analytics]"
    )
    for name in ("current", "editor", "edited"):
        assert after[name] == before[name]
    assert files["current"].stat().st_mtime == 1_000_000_000  # not rewritten at all


def test_retag_gives_a_pulled_piece_without_a_clear_topic_its_sources_defaults(hub: Path) -> None:
    office = OFFICE.replace(
        "editor: dana", "source: acme\ntopics: [social-media]\nauto_topics: [social-media]"
    )
    pulled = write(hub, "docs/sources/acme/2026/office.md", office)
    written = write(
        hub,
        "docs/articles/2026/office.md",
        OFFICE.replace("editor: dana", "topics: [social-media]\nauto_topics: [social-media]"),
    )
    result = CliRunner().invoke(main, ["tag", "--retag"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "docs/articles/2026/office.md: re-tagged [social-media] -> []",
        "docs/sources/acme/2026/office.md: re-tagged [social-media] -> [channel-partners]",
    ]
    assert frontmatter.read(pulled).meta["auto_topics"] == ["channel-partners"]
    assert frontmatter.read(written).meta["topics"] == []


def test_retag_twice_changes_nothing_the_second_time(hub: Path) -> None:
    retag_fixture(hub)
    CliRunner().invoke(main, ["tag", "--retag"])
    result = CliRunner().invoke(main, ["tag", "--retag"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "0 of 3 tagger-owned pieces re-tagged" in result.stderr


def test_retag_dry_run_writes_nothing(hub: Path) -> None:
    files = retag_fixture(hub)
    before = {name: path.read_bytes() for name, path in files.items()}
    result = CliRunner().invoke(main, ["tag", "--retag", "--dry-run"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3
    assert "(dry run: nothing written)" in result.stderr
    assert {name: path.read_bytes() for name, path in files.items()} == before


def test_retag_skips_a_broken_piece_with_a_warning(hub: Path) -> None:
    retag_fixture(hub)
    write(hub, "docs/articles/2026/broken.md", "---\ntitle: [x\n---\n")
    result = CliRunner().invoke(main, ["tag", "--retag"])
    assert result.exit_code == 0
    assert "warning: docs/articles/2026/broken.md:2: invalid YAML" in result.stderr


def test_retagging_is_fast_and_workers_agree_with_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch_hub(tmp_path)
    sources = [
        SynthSource("acme-blog", "Acme", "partner", "https://acme.example"),
        SynthSource("northgate", "Northgate", "analyst", "https://northgate.example"),
    ]
    pieces = synth_pieces(500, topics=["social-media"], editors=["dana"], sources=sources)
    write_pieces(tmp_path / "docs", pieces)
    tagger = hub_tagger(tmp_path)
    serial = retag(tmp_path, tagger, write=False, workers=1)
    assert retag(tmp_path, tagger, write=False, workers=2) == serial
    assert serial.tagger_owned == 500
    assert len(serial.changes) > 400  # synthetic topics are random; the tagger disagrees with most
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["tag", "--retag"])  # speed: scripts/bench-tagger
    assert result.exit_code == 0, result.output
    assert f"{len(serial.changes)} of 500 tagger-owned pieces re-tagged" in result.stderr
    assert retag(tmp_path, tagger, write=False).changes == ()


# --- --evaluate ---------------------------------------------------------------------------------


def test_evaluate_reports_micro_and_per_topic_figures(hub: Path) -> None:
    labelled = hub / "labelled"
    write(
        labelled,
        "a.md",
        ALIGNMENT.replace("editor: dana", "expected_topics: [marketing-it-alignment]"),
    )
    write(
        labelled, "b.md", OFFICE.replace("editor: dana", "expected_topics: [social]")
    )  # an old slug still counts
    write(
        labelled,
        "sub/c.md",
        piece(None, None).replace(
            "editor: dana", "expected_topics: [marketing-automation, data-analytics]"
        ),
    )
    write(labelled, "unlabelled.md", OFFICE)
    result = CliRunner().invoke(main, ["tag", "--evaluate", "labelled", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pieces"] == 3
    assert report["micro"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.667,
        "tp": 2,
        "fp": 0,
        "fn": 2,
    }
    assert report["topics"]["social-media"] == {
        "precision": 1.0,
        "recall": 0.0,
        "f1": 0.0,
        "tp": 0,
        "fp": 0,
        "fn": 1,
    }
    assert report["topics"]["marketing-it-alignment"]["f1"] == 1.0
    assert {m["path"] for m in report["misses"]} == {
        str(Path("labelled") / "b.md"),
        str(Path("labelled") / "sub" / "c.md"),
    }

    text = CliRunner().invoke(main, ["tag", "--evaluate", "labelled"])
    assert text.exit_code == 0
    micro = next(line for line in text.output.splitlines() if line.startswith("micro"))
    assert micro.split() == ["micro", "1.000", "0.500", "0.667", "2", "0", "2"]
    assert "3 labelled pieces; 2 not tagged exactly as expected:" in text.output


def test_evaluate_a_folder_without_labels_exits_2(hub: Path) -> None:
    write(hub, "plain/a.md", ALIGNMENT)
    result = CliRunner().invoke(main, ["tag", "--evaluate", "plain"])
    assert result.exit_code == 2
    assert "no piece in plain has 'expected_topics'" in result.output
