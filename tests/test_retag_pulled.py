"""Retagging a pulled piece keeps pull's view of who touched it: untouched stays untouched, edited stays edited."""

from __future__ import annotations

import shutil
from pathlib import Path

from channelhub import frontmatter, ingest
from channelhub.config import load_hub
from channelhub.retag import retag
from channelhub.tagger import compile_rules

DATA = Path(__file__).parent / "data" / "check" / "base"


def _pulled(root: Path, name: str, body: str) -> Path:
    meta = {
        "title": "Mobile app analytics dashboards",
        "date": "2026-03-02T10:00:00Z",
        "topics": ["data-analytics"],
        "auto_topics": ["data-analytics"],
        "summary": "A mobile app and a smartphone dashboard.",
        "source": "acme",
        "canonical": f"https://blog.acme.example/{name}",
        "guid": name,
    }
    path = root / "docs" / "sources" / "acme" / "2026" / f"{name}.md"
    path.write_text(ingest.render_piece(meta, body).text, encoding="utf-8")
    return path


def test_retag_rehashes_only_untouched_pulled_pieces(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    shutil.copytree(DATA, root)
    body = "Our mobile app team tracks smartphone use. The mobile app ships weekly.\n"
    untouched = _pulled(root, "untouched", body)
    edited = _pulled(root, "edited", body)
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("ships weekly", "ships daily"), encoding="utf-8"
    )
    assert ingest.is_untouched(untouched.read_text(encoding="utf-8"))
    assert not ingest.is_untouched(edited.read_text(encoding="utf-8"))

    hub = load_hub(root)
    report = retag(root, compile_rules(hub.topics), workers=1)

    changed = {c.path for c in report.changes}
    assert changed >= {"docs/sources/acme/2026/untouched.md", "docs/sources/acme/2026/edited.md"}
    for path in (untouched, edited):
        assert "mobile-marketing" in frontmatter.read(path).meta["topics"]
    assert ingest.is_untouched(untouched.read_text(encoding="utf-8"))
    assert not ingest.is_untouched(edited.read_text(encoding="utf-8"))
