"""Page keys made without page bodies decide the pages: whenever two pages, in any states of a
hub, get the same key, the hub makes the same page for both.

`HubBuild.page_parts` keys a page from what its body reads (`channelhub.pages.Inputs`) and
never makes the body, so a fact a body shows that its key leaves out would let a rebuild keep
a stale page. These tests make both the key and everything the hub adds to the page (a
piece's byline, topics, related pieces, banner and search markup; a generated page's front
matter and body; a hand-written page's listing), for every page of a small hub, after random
sequences of edits, without the engine (the hub's own URLs); and check that a page whose
body links to a file that is not in the build gets no key (it is rendered, and warns, in
every build).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import initialize, invariant

from channelhub import pages
from channelhub.build import HubBuild
from channelhub.content import url_of
from channelhub.settings import Settings
from channelhub.state import SourceStatus
from rebuilding import NOW, START, TOPICS, Hub, HubEdits, small_hub

OK, ERROR = SourceStatus.OK, SourceStatus.ERROR
LATER = START + timedelta(days=3)

#: what a build renders a piece's own Markdown to, in these tests (its file is in its key)
RENDERED = "<p>The piece's own text.</p>"


def _settings() -> Settings:
    return Settings.from_mapping(
        {"page_size": 2}, site_url="https://hub.example/", title="Hub", description="A hub."
    )


def _file_digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest() if path.is_file() else ""


def pages_of(root: Path, now: str, *, preview: bool) -> dict[str, tuple[str | None, str, bool]]:
    """Every page of the hub as of `now`: (its key, what the hub makes of it, whether making
    it linked to a file that is not in the build)."""
    docs = root / "docs"
    build = HubBuild.start(
        root, docs, _settings(), preview=preview, now=datetime.fromisoformat(now)
    )
    added = build.generated_files(exists=lambda uri: (docs / uri).is_file())
    files = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()}
    held = set() if preview else set(build.held_files())
    handwritten = {f for f in files if f.endswith(".md")} - build.site.pieces_by_uri.keys() - held
    # every file of the build at its URL, as the engine gives them (a missing file has none)
    build.set_urls(
        {f: (url_of(f) or "./") if f.endswith(".md") else f for f in (files | set(added)) - held}
    )
    found: dict[str, tuple[str | None, str, bool]] = {}
    for src_uri in sorted({*build.generated, *build.site.pieces_by_uri, *handwritten}):
        parts = build.page_parts(src_uri, None)
        file = docs / src_uri
        key = None if parts is None else f"{src_uri}|{_file_digest(file)}|{parts}"
        links = build.links
        assert links is not None
        links.missing = []
        title = f"{build.page_title(src_uri)}|{build.canonical_url(src_uri)}"
        generated = build.generated.get(src_uri)
        if build.piece(src_uri) is not None:
            made = build.page_html(src_uri, RENDERED) or ""
        elif generated is not None:
            made = build.sources[src_uri] + repr(generated.body(links).parts())
        else:
            text = file.read_text(encoding="utf-8")
            rewritten = pages.rewrite_handwritten(build.site, src_uri, text)
            made = text + (repr(rewritten.body(links).parts()) if rewritten else "")
        found[src_uri] = (key, f"{title}|{made}", bool(links.missing))
    return found


class Keys:
    """What every page got in every state so far: key -> what the hub made of it."""

    def __init__(self) -> None:
        self.made: dict[str, tuple[str, str]] = {}
        self.keyed = 0

    def check(self, hub: Hub, *, preview: bool, where: str) -> None:
        for src_uri, (key, made, missing) in pages_of(hub.root, hub.now, preview=preview).items():
            if missing:
                assert key is None, f"{src_uri} links to a missing file but has a key ({where})"
            if key is None:
                continue
            self.keyed += 1
            first = self.made.setdefault(key, (made, where))
            assert first[0] == made, (
                f"{src_uri}: the same key for two different pages ({first[1]}, then {where}):\n"
                f"{first[0]}\n---\n{made}"
            )


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(small_hub(tmp_path / "hub"))


@pytest.mark.parametrize("preview", [False, True])
def test_each_kind_of_edit_changes_the_keys_of_the_pages_it_changes(
    hub: Hub, preview: bool
) -> None:
    first = hub.pieces()[0]
    note = next(p for p in hub.pieces() if "/notes/" in p)
    keys = Keys()
    edits = [
        ("nothing", lambda: None),
        ("title", lambda: hub.edit(first, title="A new title")),
        ("summary", lambda: hub.edit(first, summary="Café & <CIO>")),
        ("body", lambda: hub.edit(first, body="\n" + "Many more words. " * 400 + "\n")),
        ("date", lambda: hub.edit(first, date="2026-03-01")),
        ("topics", lambda: hub.edit(first, topics=[TOPICS[3]])),
        ("figure", lambda: hub.edit(note, figure="Nine in ten.")),
        ("firm", lambda: hub.edit(note, firm="Other Research")),
        ("canonical", lambda: hub.edit(note, canonical="https://other.example/r")),
        ("topic title", lambda: hub.retitle_topic(TOPICS[0], "Marketing & IT")),
        ("topic description", lambda: hub.describe_topic(TOPICS[1], "New words.")),
        ("editor name", lambda: hub.rename_editor("ann-lee", "Ann Leigh")),
        (
            "editor profile",
            lambda: hub.editor_profile(
                "bo-chen", name="Bo Chen", role="Chief", photo="assets/photo.png", links=2
            ),
        ),
        ("photo appears", lambda: (hub.root / "docs/assets/photo.png").write_bytes(b"png")),
        ("source name", lambda: hub.rename_source("acme-blog", "Acme <Blog>")),
        ("source policy", lambda: hub.source_detail("acme-blog", "canonical", "original")),
        ("source paused", lambda: hub.source_detail("zeta-notes", "enabled", False)),
        ("source pulled", lambda: hub.source_health("acme-blog", OK, START)),
        ("source failing", lambda: hub.source_health("acme-blog", ERROR, START)),
        ("source failing later", lambda: hub.source_health("acme-blog", ERROR, LATER)),
        ("source never pulled", lambda: hub.source_health("acme-blog", None)),
        ("draft", lambda: hub.edit(first, draft=True)),
        ("expires", lambda: hub.edit(first, draft=None, expires="2026-03-01")),
        ("featured", lambda: hub.edit(hub.pieces()[2], featured=True)),
        ("co-author", lambda: hub.co_author(hub.pieces()[3], "cy-diaz")),
        ("added", lambda: hub.add_piece(40, days=2)),
        ("deleted", lambda: hub.remove(hub.pieces()[5])),
        ("topic intro", lambda: hub.topic_intro(TOPICS[2], "Our words.")),
    ]
    for name, edit in edits:
        edit()
        keys.check(hub, preview=preview, where=name)
    assert keys.keyed > 40 * len(edits)


def test_a_body_edit_changes_only_the_piece_s_own_key(hub: Hub) -> None:
    """Keys stay precise: new words in a piece change no listing's key (its reading time is
    on its own page only)."""
    path = hub.pieces()[0]
    before = pages_of(hub.root, NOW, preview=False)
    hub.edit(path, body="\n" + "Other words entirely. " * 300 + "\n")
    after = pages_of(hub.root, NOW, preview=False)
    changed = {uri for uri in after if after[uri][0] != before[uri][0]}
    assert changed == {path.removeprefix("docs/")}


class RandomKeyEdits(HubEdits):
    """After random sequences of edits, the same key always means the same page (in a build
    and in a preview)."""

    @initialize()
    def start(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="rebuild-keys-"))
        self.hub = Hub(small_hub(self.tmp / "hub", pieces=10))
        self.added = 100
        self.keys = {False: Keys(), True: Keys()}
        self.steps = 0

    def teardown(self) -> None:
        shutil.rmtree(getattr(self, "tmp", ""), ignore_errors=True)

    @invariant()
    def same_key_same_page(self) -> None:
        if hasattr(self, "hub"):
            self.steps += 1
            for preview, keys in self.keys.items():
                keys.check(self.hub, preview=preview, where=f"step {self.steps}")


TestRandomKeyEdits = RandomKeyEdits.TestCase
TestRandomKeyEdits.settings = settings(
    max_examples=int(os.environ.get("REBUILD_KEY_EXAMPLES", "20")),
    stateful_step_count=int(os.environ.get("REBUILD_KEY_STEPS", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
