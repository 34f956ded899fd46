"""The synthetic pieces are valid hub content, and scripts/bench runs end to end on a small N."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import synth  # scripts/synth.py (conftest puts scripts/ on the path)
from channelhub import frontmatter
from channelhub.config import load_hub
from channelhub.content import load_index
from channelhub.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _scratch_hub(tmp_path: Path) -> Path:
    """A repository with the real topics and editors and the synthetic sources."""
    root = tmp_path / "hub"
    (root / "feeds").mkdir(parents=True)
    shutil.copy2(ROOT / "feeds" / "topics.yml", root / "feeds" / "topics.yml")
    shutil.copytree(ROOT / "docs" / "editors", root / "docs" / "editors")
    (root / "feeds" / "sources.yml").write_text(
        "sources:\n" + synth.sources_yaml(synth.synth_sources()), encoding="utf-8"
    )
    return root


def test_synthetic_pieces_are_valid_content_of_every_kind(tmp_path: Path) -> None:
    root = _scratch_hub(tmp_path)
    hub = load_hub(root)
    assert hub.problems == ()
    pieces = synth.synth_pieces(
        60,
        topics=[t.slug for t in hub.topics],
        editors=[e.id for e in hub.editors],
        sources=synth.synth_sources(),
    )
    synth.write_pieces(root / "docs", pieces)

    index = load_index(hub, root / "docs")

    assert [str(p) for p in index.problems] == []
    assert len(index.pieces) == 60
    kinds = Counter(p.kind for p in index.pieces)
    assert set(kinds) == {"editorial", "partner", "analyst"}
    assert all(300 <= p.words <= 1000 for p in index.pieces)
    assert all(1 <= len(p.topics) <= 3 and p.tagger_owned for p in index.pieces)
    notes = [p for p in index.pieces if p.src_uri.startswith("notes/")]
    assert notes and all(p.figure and p.firm and p.analyst for p in notes)
    pulled = [p for p in index.pieces if p.source]
    assert pulled and all(p.canonical and p.canonical.startswith("https://") for p in pulled)


def test_synthetic_pieces_are_the_same_for_the_same_seed() -> None:
    args = {"topics": ["a", "b"], "editors": ["e"], "sources": synth.synth_sources()}
    first = synth.synth_pieces(5, **args, seed=3)  # type: ignore[arg-type]
    again = synth.synth_pieces(5, **args, seed=3)  # type: ignore[arg-type]
    other = synth.synth_pieces(5, **args, seed=4)  # type: ignore[arg-type]
    assert first == again
    assert first != other
    assert len({p.src_uri for p in first}) == 5


@pytest.mark.build
def test_bench_smoke_run_reports_both_builds(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            *(sys.executable, str(ROOT / "scripts" / "bench"), "-n", "50", "--no-browser"),
            *("--keep", str(tmp_path / "work"), "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ratio" in done.stdout and "machine:" in done.stdout

    figures = json.loads(out.read_text(encoding="utf-8"))
    [result] = figures["results"]
    demo = sum(1 for _ in (ROOT / "docs").glob("*/**/*.md")) - len(
        list((ROOT / "docs" / "editors").glob("*.md"))
    )
    assert result["n"] == 50
    # the hub is measured with the production page size, not the demo's 5
    assert result["page_size"] == Settings().page_size == 20
    assert "hub page size 20" in done.stdout
    assert 50 <= result["pieces"] <= 50 + demo
    hub, plain = result["hub"], result["plain"]
    assert hub["seconds"] > 0 and plain["seconds"] > 0
    assert result["ratio"] == pytest.approx(hub["seconds"] / plain["seconds"])
    # the hub adds topic, editor and source pages; plain Material has only the pieces and About
    assert hub["pages"] > plain["pages"] >= result["pieces"]
    assert hub["tree_peak_mb"] > 10
    # memory per kind of process: the build and its search indexer beside it
    assert set(hub["process_peak_mb"]) == {"mkdocs", "indexer"}
    assert hub["process_peak_mb"]["mkdocs"] > hub["process_peak_mb"]["indexer"] > 1
    assert 0 < hub["indexer_cpu_seconds"] < hub["cpu_seconds"]  # the rest is the build's own
    assert hub["load_average"] >= 0
    assert hub["pages_over_limit"] == 0 and hub["pieces_over_limit"] == 0
    search = result["search"]
    assert search["material"]["on_load_kb"] > 0  # plain Material sends its index with the page
    assert 0 < search["hub_static"]["upper_bound_kb"] < 300
    assert (tmp_path / "work" / "n50" / "site-hub" / "search-index" / "manifest.json").is_file()
    assert not (tmp_path / "work" / "n50" / "site-hub" / "search" / "search_index.json").exists()


def load_script(name: str, module: str) -> Any:
    """scripts/<name> (a file without .py) as the module `module`."""
    loader = importlib.machinery.SourceFileLoader(module, str(ROOT / "scripts" / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    found = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = found  # its dataclasses look their module up there
    loader.exec_module(found)
    return found


def _bench_script() -> Any:
    return load_script("bench", "channelhub_bench")


def test_bench_picks_queries_from_common_to_rare(tmp_path: Path) -> None:
    bench = _bench_script()
    root = _scratch_hub(tmp_path)
    hub = load_hub(root)
    pieces = synth.synth_pieces(
        80,
        topics=[t.slug for t in hub.topics],
        editors=[e.id for e in hub.editors],
        sources=synth.synth_sources(),
    )
    synth.write_pieces(root / "docs", pieces)
    paths = [root / "docs" / p.src_uri for p in pieces]
    bodies = [frontmatter.split(p.read_text(encoding="utf-8"))[1].lower() for p in paths]

    queries = bench.pick_queries(root / "docs", paths)

    def pieces_with(word: str) -> int:
        return sum(1 for body in bodies if re.search(rf"\b{word}\b", body))

    def occurrences(word: str) -> int:
        return sum(len(re.findall(rf"\b{word}\b", body)) for body in bodies)

    assert set(queries) == {"most common", "medium", "rare", "two words"}
    common, medium, rare = queries["most common"], queries["medium"], queries["rare"]
    assert occurrences(common) > occurrences(medium) > occurrences(rare) > 0
    assert 2 <= pieces_with(rare) < pieces_with(medium) <= pieces_with(common)
    first, second = queries["two words"].split()
    both = sum(
        1
        for body in bodies
        if re.search(rf"\b{first}\b", body) and re.search(rf"\b{second}\b", body)
    )
    assert first == medium and both >= 1
