"""`Site`: everything the generated pages are made from, grouped once per build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from channelhub import related
from channelhub.config import Editor, Hub
from channelhub.content import ContentIndex, Piece
from channelhub.health import SourceHealth
from channelhub.settings import Settings


@dataclass(frozen=True)
class Site:
    """The hub's data, its pieces and settings, with the groupings listing pages need.

    Built once per build from the content index; each grouping is computed on first use in
    one pass over the pieces, so every page function only touches the pieces it shows.
    """

    hub: Hub
    index: ContentIndex
    settings: Settings = field(default_factory=Settings)
    health: Mapping[str, SourceHealth] = field(default_factory=dict)

    @cached_property
    def by_topic(self) -> dict[str, list[Piece]]:
        return self.index.by_topic()

    @cached_property
    def by_editor(self) -> dict[str, list[Piece]]:
        return self.index.group("editor")

    @cached_property
    def by_source(self) -> dict[str, list[Piece]]:
        return self.index.group("source")

    @cached_property
    def notes(self) -> list[Piece]:
        return self.index.of_kind("analyst")

    @cached_property
    def by_year(self) -> dict[int, list[Piece]]:
        """Pieces by the year of their date (UTC), newest year first, each newest first."""
        years: dict[int, list[Piece]] = {}
        for piece in self.index.pieces:
            years.setdefault(piece.date.year, []).append(piece)
        return years

    @cached_property
    def featured(self) -> list[Piece]:
        """Pieces marked `featured: true`, newest first."""
        return [p for p in self.index.pieces if p.featured]

    @cached_property
    def pieces_by_uri(self) -> dict[str, Piece]:
        return {p.src_uri: p for p in self.index.pieces}

    @cached_property
    def editors_by_uri(self) -> dict[str, Editor]:
        """The editors by the path of their file under docs/."""
        return {e.src_uri: e for e in self.hub.editors}

    @cached_property
    def cards(self) -> dict[str, tuple[str, ...]]:
        """Each piece's card as made once a build (`fragments.card`), filled in per page."""
        return {}

    @cached_property
    def related_topics(self) -> dict[str, list[tuple[str, int]]]:
        """For each topic, the topics that most often share a piece with it."""
        return related.related_topics(self.index.pieces, (t.slug for t in self.hub.topics))

    @cached_property
    def related_pieces(self) -> dict[str, list[Piece]]:
        """For each piece, pieces sharing its topics, found among its neighbours in time."""
        return related.related_pieces(self.index.pieces, self.by_topic, self.settings.related)
