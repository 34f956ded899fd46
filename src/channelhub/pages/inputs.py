"""What the bodies of the hub's pages read, for their keys: without making any HTML.

A rebuild leaves a page as it is only when its key is the same as last time, so the key must
change whenever anything the page shows changes. Making every body to digest it cost more than
half of a rebuild that rendered nothing (issue 19), so each body in `builders` and `fragments`
has its inputs beside it (`Generated.reads`, `card_inputs`, `decoration_inputs`): the same
facts it reads (the pieces it shows, the titles and names it prints, the URL of every file it
links to), as text. `Inputs` gives those facts, each piece's once per build.

Every value is written with `repr` of plain tuples, which never gives two different tuples the
same text (a title with a separator in it cannot pass for two fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from channelhub.content import Piece
from channelhub.pages.addresses import editor_uri, photo_target, source_uri, topic_uri
from channelhub.pages.site import Site
from channelhub.rebuild.store import bytes_digest

#: the URL of a link target that is not in the build (the page warns when it renders)
MISSING = None

#: a fact as text, and whether making it met a link target that is not in the build
_Fact = tuple[str, bool]


@dataclass
class Inputs:
    """The facts page bodies read in one build (`urls`: every file's URL, as `Links` has them).

    `misses` counts link targets that are not in the build, met while making a page's facts
    (cached facts count again each time they are used): a page that has any is rendered in
    every build, so that it warns every time."""

    site: Site
    urls: Mapping[str, str]
    misses: int = 0
    _cache: dict[tuple[str, str], _Fact] = field(default_factory=dict)

    def url(self, to: str) -> str | None:
        """The URL of a file a body links to, as `Links.href` finds it (MISSING when absent)."""
        found = self.urls.get(to)
        if found is None:
            self.misses += 1
        return found

    def here(self, here: str) -> str:
        """The URL of the page a body is made for, from which its links are relative."""
        return self.urls.get(here, here)

    def cached(self, kind: str, name: str, make: Callable[[str], object]) -> str:
        """The digest of `repr(make(name))` (short, as listings repeat it), made once a build
        for each (kind, name)."""
        found = self._cache.get((kind, name))
        if found is None:
            before = self.misses
            text = bytes_digest(repr(make(name)).encode("utf-8", "surrogatepass"))
            found = self._cache[(kind, name)] = (text, self.misses != before)
        elif found[1]:
            self.misses += 1
        return found[0]

    def topic(self, slug: str) -> str:
        """A topic as a chip or a link shows it: its title and its page's URL (None: no such
        topic, which shows nothing)."""
        return self.cached("topic", slug, self._topic)

    def _topic(self, slug: str) -> object:
        topic = self.site.hub.topic(slug)
        return None if topic is None else (topic.title, self.url(topic_uri(slug)))

    def editor(self, editor_id: str) -> str:
        """An editor as a byline shows them: their name and page's URL (the id alone when the
        hub has no such editor)."""
        return self.cached("editor", editor_id, self._editor)

    def _editor(self, editor_id: str) -> object:
        editor = self.site.hub.editor(editor_id)
        return editor_id if editor is None else (editor.name, self.url(editor_uri(editor_id)))

    def source(self, source_id: str) -> str:
        """A source as a byline or a piece's original shows it: its name, its page's URL and
        where its pieces' rel=canonical points."""
        return self.cached("source", source_id, self._source)

    def _source(self, source_id: str) -> object:
        source = self.site.hub.source(source_id)
        if source is None:
            return None
        return (source.name, source.canonical, self.url(source_uri(source.id)))

    def photo(self, editor_id: str) -> str:
        """Where an editor's photo is, and its URL when it is a file of the build."""
        return self.cached("photo", editor_id, self._photo)

    def _photo(self, editor_id: str) -> object:
        editor = self.site.hub.editor(editor_id)
        found = photo_target(editor) if editor is not None else None
        if found is None:
            return None
        target, external = found
        return (target, external, None if external else self.url(target))

    def ref(self, piece: Piece) -> str:
        """A piece as a link in a list shows it (related pieces): title, URL, kind, date."""
        return self.cached("ref", piece.src_uri, self._ref)

    def _ref(self, src_uri: str) -> object:
        piece = self.site.pieces_by_uri[src_uri]
        return (piece.title, self.url(src_uri), piece.kind, piece.date)
