"""Related topics and related pieces: what a topic page and a piece page suggest next.

Both are linear in the number of pieces: related pieces are found among a piece's
neighbours in time within each of its topics, never by comparing every pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from channelhub.content import Piece

#: how many neighbours on each side, in a topic's newest-first list, a piece looks at
WINDOW = 4

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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
    then the nearest in time, then by path (so the answer never depends on dict order).

    Pieces are handled by their number in `pieces` and dates as whole microseconds (exact, as
    timedelta is), since every build needs this for every piece's page key."""
    number = {p.src_uri: n for n, p in enumerate(pieces)}
    micros = [(p.date - _EPOCH) // _MICROSECOND for p in pieces]
    groups = {slug: [number[p.src_uri] for p in group] for slug, group in by_topic.items()}
    position = {slug: {n: i for i, n in enumerate(group)} for slug, group in groups.items()}
    related: dict[str, list[Piece]] = {}
    for n, piece in enumerate(pieces):
        scores: dict[int, int] = {}
        for slug in piece.topics:
            group = groups[slug]
            i = position[slug][n]
            for other in group[max(0, i - WINDOW) : i + WINDOW + 1]:
                if other != n:
                    scores[other] = scores.get(other, 0) + 1
        when = micros[n]
        ranked = sorted(
            scores, key=lambda o: (-scores[o], abs(micros[o] - when), pieces[o].src_uri)
        )
        related[piece.src_uri] = [pieces[o] for o in ranked[:most]]
    return related
