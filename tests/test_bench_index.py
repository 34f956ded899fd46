"""scripts/bench-index sends the indexer what a build sends it, for every kind of piece."""

from __future__ import annotations

from pathlib import Path

from channelhub import search
from test_bench import load_script

bench_index = load_script("bench-index", "bench_index")


def test_the_bench_indexes_pieces_of_all_three_kinds_as_the_build_makes_their_entries(
    tmp_path: Path,
) -> None:
    made = bench_index.pieces(tmp_path, 60, seed=8)
    assert {entry.kind for _url, _order, entry, _html in made} == {"editorial", "partner", "analyst"}
    labels = {entry.kind: entry.kind_label for _url, _order, entry, _html in made}
    assert labels == {"editorial": "Editorial", "partner": "Partner", "analyst": "Analyst note"}
    url, order, entry, html = made[0]
    assert url.endswith("/") and not url.endswith(".md/") and order.split(" ")[1].startswith(url.rstrip("/"))
    assert entry.date_label[0].isdigit() and entry.date_label[-4:].isdigit()  # "2 March 2026"
    assert all(title and not title.islower() for e in (m[2] for m in made) for _slug, title in e.topics)
    assert html.startswith("<") and bench_index.pieces(tmp_path, 60, seed=8) == made  # cached
    assert isinstance(entry, search.SearchEntry)
