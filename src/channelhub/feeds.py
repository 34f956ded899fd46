"""The hub's own Atom feeds (/feed.xml and /topics/<slug>/feed.xml), written by feedgen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from channelhub.content import Piece
from channelhub.pages import Site

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _absolute(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def atom_feed(
    site: Site, pieces: Sequence[Piece], *, title: str, path: str, page_path: str, subtitle: str
) -> bytes:
    """An Atom 1.0 feed of the newest pieces; every text field escaped by feedgen's XML writer."""
    base = site.settings.site_url or "http://localhost:8000/"
    feed = FeedGenerator()
    feed.id(_absolute(base, path))
    feed.title(title)
    feed.subtitle(subtitle or title)
    feed.link(href=_absolute(base, path), rel="self", type="application/atom+xml")
    feed.link(href=_absolute(base, page_path), rel="alternate", type="text/html")
    feed.language("en")
    feed.generator("channelhub")
    newest = pieces[: site.settings.feed_size]
    feed.updated(max((p.updated or p.date for p in newest), default=None) or _EPOCH)
    for piece in reversed(newest):  # feedgen prepends entries, so add oldest first
        entry = feed.add_entry()
        url = _absolute(base, piece.url)
        entry.id(url)
        entry.title(piece.title)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(piece.date)
        entry.updated(piece.updated or piece.date)
        if piece.summary:
            entry.summary(piece.summary)
        for name in _authors(site, piece):
            entry.author({"name": name})
        for slug in piece.topics:
            topic = site.hub.topic(slug)
            entry.category(term=slug, label=topic.title if topic else slug)
    return feed.atom_str(pretty=True)


def _authors(site: Site, piece: Piece) -> list[str]:
    """Every editor of a piece written here; a pulled piece's author, or else its source."""
    if piece.editor:
        return [(e.name if (e := site.hub.editor(i)) else i) for i in piece.editor]
    source = site.hub.source(piece.source or "")
    return [name] if (name := piece.author or (source.name if source else "")) else []


def feeds(site: Site) -> dict[str, bytes]:
    """Every feed file by its path under the site."""
    out = {
        "feed.xml": atom_feed(
            site,
            site.index.pieces,
            title=site.settings.title,
            path="feed.xml",
            page_path="",
            subtitle=site.settings.description,
        )
    }
    for topic in site.hub.topics:
        out[f"topics/{topic.slug}/feed.xml"] = atom_feed(
            site,
            site.by_topic.get(topic.slug, []),
            title=f"{topic.title} — {site.settings.title}",
            path=f"topics/{topic.slug}/feed.xml",
            page_path=f"topics/{topic.slug}/",
            subtitle=topic.description,
        )
    return out
