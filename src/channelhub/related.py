"""Related topics and related pieces: what a topic page and a piece page suggest next.

Both are linear in the number of pieces: related pieces are found among a piece's
neighbours in time within each of its topics, never by comparing every pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from channelhub.content import Piece

#: how many neighbours on each side, in a topic's newest-first list, a piece looks at
WINDOW = 4


def related_topics(
    pieces: Iterable[Piece], slugs: Iterable[str], most: int = 4
) -> dict[str, list[tuple[str, int]]]:
    """For each topic, the topics that most often share a piece with it, with the counts."""
    pairs: dict[str, Counter[str]] = {slug: Counter() for slug in slugs}
    for piece in pieces:
        for slug in piece.topics:
            for other in piece.topics:
                if other != slug and slug in pairs:
                    pairs[slug][other] += 1
    return {slug: counts.most_common(most) for slug, counts in pairs.items()}


def related_pieces(
    pieces: Sequence[Piece], by_topic: Mapping[str, Sequence[Piece]], most: int
) -> dict[str, list[Piece]]:
    """For each piece, up to `most` pieces sharing its topics: the most topics shared first,
    then the nearest in time, then by path (so the answer never depends on dict order)."""
    by_uri = {p.src_uri: p for p in pieces}
    position: dict[str, dict[str, int]] = {
        slug: {p.src_uri: i for i, p in enumerate(group)} for slug, group in by_topic.items()
    }
    related: dict[str, list[Piece]] = {}
    for piece in pieces:
        scores: Counter[str] = Counter()
        for slug in piece.topics:
            group = by_topic.get(slug, [])
            i = position[slug][piece.src_uri]
            for other in group[max(0, i - WINDOW) : i + WINDOW + 1]:
                if other.src_uri != piece.src_uri:
                    scores[other.src_uri] += 1
        ranked = sorted(
            scores,
            key=lambda uri: (
                -scores[uri],
                abs((by_uri[uri].date - piece.date).total_seconds()),
                uri,
            ),
        )
        related[piece.src_uri] = [by_uri[uri] for uri in ranked[:most]]
    return related
