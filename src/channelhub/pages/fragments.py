"""The HTML parts of generated pages and of pieces: cards, bylines, chips, pagination, related,
and in a preview the banner of a piece that is not published.

Every string from front matter or a feed goes through `markup.attr`; every link between the
build's files through `markup.Links`, which reports a missing target as MkDocs' link check
would (so a strict build fails on it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from channelhub import markup
from channelhub.config import Editor
from channelhub.content import KIND_LABELS, Piece, Publication
from channelhub.markup import Links, attr
from channelhub.pages.addresses import editor_uri, photo_target, source_uri, topic_uri
from channelhub.pages.inputs import Inputs
from channelhub.pages.site import Site


def _kind_badge(piece: Piece) -> str:
    return f'<span class="hub-kind hub-kind-{piece.kind}">{KIND_LABELS[piece.kind]}</span>'


def _status_badge(site: Site, piece: Piece) -> str:
    """'Draft', 'Scheduled' or 'Expired' on a card in a preview; nothing for a published piece."""
    state = site.index.state_of(piece)
    if state is Publication.PUBLISHED:
        return ""
    return f' <span class="hub-status hub-status-{state.value}">{state.value.title()}</span>'


def authors(site: Site, links: Links, piece: Piece, here: str) -> str:
    """Every author of a piece written here, linked to their page: 'A', 'A and B', 'A, B and C'."""
    names = []
    for editor_id in piece.editor:
        editor = site.hub.editor(editor_id)
        names.append(
            links.a(editor.name, here, editor_uri(editor_id)) if editor else attr(editor_id)
        )
    return " and ".join(filter(None, (", ".join(names[:-1]), names[-1])))


def byline_inputs(inputs: Inputs, piece: Piece) -> object:
    """What `byline` (and `authors`) read."""
    if piece.editor:
        analyst = (piece.analyst, piece.firm) if piece.kind == "analyst" else None
        return (tuple(inputs.editor(e) for e in piece.editor), analyst)
    return (piece.source, inputs.source(piece.source or ""), piece.author)


def byline(site: Site, links: Links, piece: Piece, here: str) -> str:
    """'By <editors>' or 'From <source>' (with the original author), linked to their pages."""
    if piece.editor:
        who = "By " + authors(site, links, piece, here)
        if piece.kind == "analyst" and (piece.analyst or piece.firm):
            who += " · " + attr(", ".join(x for x in (piece.analyst, piece.firm) if x))
        return who
    source = site.hub.source(piece.source or "")
    name = source.name if source else (piece.source or "")
    who = "From " + (links.a(name, here, source_uri(source.id)) if source else attr(name))
    if piece.author:
        who += " · " + attr(piece.author)
    return who


def topic_chips(site: Site, links: Links, slugs: Iterable[str], here: str) -> str:
    chips = []
    for slug in slugs:
        topic = site.hub.topic(slug)
        if topic:
            chips.append(links.a(topic.title, here, topic_uri(slug), classes="hub-chip"))
    return " ".join(chips)


def card_inputs(inputs: Inputs, piece: Piece) -> str:
    """What `card` reads of a piece (its own URL among them; not the page's, which the
    listing gives): once a build for each piece."""

    return inputs.cached("card", piece.src_uri, lambda _: _card_facts(inputs, piece))


def _card_facts(inputs: Inputs, piece: Piece) -> object:
    return (
        piece.kind,
        piece.date,
        inputs.site.index.state_of(piece).value,
        piece.title,
        inputs.url(piece.src_uri),
        piece.figure if piece.kind == "analyst" else None,
        piece.summary,
        tuple(inputs.topic(slug) for slug in piece.topics),
        byline_inputs(inputs, piece),
    )


def cards_inputs(inputs: Inputs, pieces: Sequence[Piece]) -> tuple[str, ...]:
    """What `cards` reads: each piece's card."""
    return tuple(card_inputs(inputs, p) for p in pieces)


def card(site: Site, links: Links, piece: Piece, here: str) -> str:
    """One piece in a listing: kind, title, date, byline, summary, topics.

    A piece shows on several listings (its topics, its editors or source, its year, the home
    page), and its card differs between them only in its links, relative to each page: the
    card is made once a build with a mark for each link, which each page fills in with its
    own hrefs (`Links.href`, which still reports a missing target from that page).
    """
    made = site.cards.get(piece.src_uri)
    if made is None:
        recorder = _Recorder(links.urls)
        parts = _card(site, recorder, piece, here).split(_MARK)
        numbers = parts[1::2]
        if sorted(numbers) != sorted(str(n) for n in range(len(recorder.targets))):
            made = site.cards[piece.src_uri] = ()  # a text held a mark (none from front matter)
        else:
            parts[1::2] = [recorder.targets[int(n)] for n in numbers]
            made = site.cards[piece.src_uri] = tuple(parts)
    if not made:
        return _card(site, links, piece, here)
    parts = list(made)
    parts[1::2] = [attr(links.href(here, to)) for to in made[1::2]]
    return "".join(parts)


#: what stands for a link's href in a card as made once
_MARK = "\x00"


class _Recorder(Links):
    """Links that write a mark in place of each href and keep its target (a card made once)."""

    def __init__(self, urls: Mapping[str, str]) -> None:
        super().__init__(urls)
        self.targets: list[str] = []

    def href(self, here: str, to: str) -> str:
        self.targets.append(to)
        return f"{_MARK}{len(self.targets) - 1}{_MARK}"  # split at the marks: the numbers


def _card(site: Site, links: Links, piece: Piece, here: str) -> str:
    """One piece in a listing: kind, title, date, byline, summary, topics."""
    lines = [
        '<div class="hub-card">',
        f'<p class="hub-card-meta">{_kind_badge(piece)} {markup.time_tag(piece.date)}'
        f"{_status_badge(site, piece)}</p>",
        f"<p>{links.a(piece.title, here, piece.src_uri, classes='hub-card-title')}</p>",
    ]
    if piece.kind == "analyst" and piece.figure:
        lines.append(f'<p class="hub-figure">“{attr(piece.figure)}”</p>')
    if piece.summary:
        lines.append(f"<p>{attr(piece.summary)}</p>")
    chips = topic_chips(site, links, piece.topics, here)
    lines += [
        f'<p class="hub-card-byline">{byline(site, links, piece, here)}'
        + (f"<br />\n{chips}" if chips else "")
        + "</p>",
        "</div>",
    ]
    return "\n".join(lines)


def cards(
    site: Site, links: Links, pieces: Sequence[Piece], here: str, *, classes: str = ""
) -> str:
    if not pieces:
        return '<p class="hub-empty">Nothing here yet.</p>'
    return (
        f'<div class="{" ".join(("hub-cards", *classes.split()))}">\n'
        + "\n".join(card(site, links, p, here) for p in pieces)
        + "\n</div>"
    )


def _window(page: int, pages: int) -> list[int]:
    """The page numbers pagination shows: the first, the last and two each side of `page`."""
    return sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})


def pagination_inputs(
    inputs: Inputs, page: int, pages: int, uri: Callable[[int], str]
) -> tuple[object, ...]:
    """What `pagination` reads: the numbers, and the URL of every page it links."""
    if pages <= 1:
        return ()
    linked = {*_window(page, pages), page - 1, page + 1} - {0, pages + 1}
    return (page, pages, tuple(inputs.url(uri(n)) for n in sorted(linked)))


def pagination(links: Links, here: str, page: int, pages: int, uri: Callable[[int], str]) -> str:
    """Numbered pagination with previous/next; a window of numbers so it stays short at any size."""
    if pages <= 1:
        return ""
    shown = _window(page, pages)
    parts: list[str] = []
    if page > 1:
        parts.append(
            links.a("← Newer", here, uri(page - 1), classes="hub-prev", extra='rel="prev"')
        )
    previous = 0
    for number in shown:
        if number - previous > 1:
            parts.append('<span class="hub-gap">…</span>')
        if number == page:
            parts.append(f'<span class="hub-current" aria-current="page">{number}</span>')
        else:
            parts.append(
                links.a(
                    str(number),
                    here,
                    uri(number),
                    classes="hub-page",
                    extra=f'aria-label="Page {number}"',
                )
            )
        previous = number
    if page < pages:
        parts.append(
            links.a("Older →", here, uri(page + 1), classes="hub-next", extra='rel="next"')
        )
    return f'<nav class="hub-pagination" aria-label="Pages">\n<p>{" ".join(parts)}</p>\n</nav>'


def count_line_inputs(inputs: Inputs, count: int, feed: str | None = None) -> object:
    return (count, inputs.url(feed) if feed else None)


def count_line(links: Links, here: str, count: int, feed: str | None = None) -> str:
    feed_link = (
        " · " + links.a("Feed", here, feed, classes="hub-feed", extra='type="application/atom+xml"')
        if feed
        else ""
    )
    return f'<p class="hub-count">{counted(count, "piece")}{feed_link}</p>'


def paged(pieces: Sequence[Piece], page: int, size: int) -> tuple[Sequence[Piece], int]:
    """The pieces of one page of a listing (newest first), and how many pages it has. Only that
    page is sliced: each page of a listing of P pages is one call, so slicing them all per call
    made a listing quadratic in its size."""
    return pieces[(page - 1) * size : page * size], page_count(len(pieces), size)


def page_count(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def counted(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def paged_title(title: str, page: int, pages: int) -> str:
    return title if page == 1 else f"{title} (page {page} of {pages})"


def photo_md(editor: Editor, here: str) -> str:
    found = photo_target(editor)
    if found is None:
        return ""
    target, external = found
    href = target if external else markup.rel(here, target)
    return f'![{markup.text(editor.name)}]({href}){{ .hub-photo width="96" height="96" }}'


def photo_html_inputs(inputs: Inputs, editor: Editor) -> str:
    return inputs.photo(editor.id)


def photo_html(links: Links, editor: Editor, here: str) -> str:
    found = photo_target(editor)
    if found is None:
        return ""
    target, external = found
    src = target if external else links.href(here, target)
    return (
        f'<p><img alt="{attr(editor.name)}" class="hub-photo" height="96" '
        f'src="{attr(src)}" width="96" /></p>'
    )


@dataclass(frozen=True)
class Decoration:
    """What the hub puts around a piece's own rendered text (HTML)."""

    byline: str  # kind, date, reading time, who
    figure: str  # an analyst note's figure, part of its text (searched); else empty
    bottom: str  # link to the original, topics, related pieces
    banner: str = ""  # in a preview, why the piece is not published; else empty


def decoration_inputs(inputs: Inputs, piece: Piece) -> str:
    """What `piece_decoration` and `banner` read (its own page's URL among them), and what the
    piece's page shows of it besides (the sanitizer for a pulled piece, the search markup of
    its title, kind, date and topics)."""
    related = inputs.site.related_pieces.get(piece.src_uri, [])
    return repr(
        (
            inputs.here(piece.src_uri),
            piece.title,
            piece.kind,
            piece.date,
            piece.reading_minutes,
            byline_inputs(inputs, piece),
            piece.figure,
            piece.analyst,
            piece.firm,
            piece.canonical,
            piece.source,
            inputs.source(piece.source or ""),
            tuple(inputs.topic(slug) for slug in piece.topics),
            tuple(inputs.ref(r) for r in related),
            inputs.site.index.state_of(piece).value,
            piece.expires,
        )
    )


def piece_decoration(site: Site, links: Links, piece: Piece) -> Decoration:
    """A piece's byline above its text, and the original, its topics and related pieces below."""
    here = piece.src_uri
    meta_line = " · ".join(
        [
            _kind_badge(piece),
            markup.time_tag(piece.date),
            f"{piece.reading_minutes} min read",
            byline(site, links, piece, here),
        ]
    )
    figure = ""
    if piece.kind == "analyst" and piece.figure:
        who = ", ".join(x for x in (piece.analyst, piece.firm) if x)
        figure = (
            f'<div class="hub-figure">\n<p>“{attr(piece.figure)}”'
            + (f"<br />\n— {attr(who)}" if who else "")
            + "</p>\n</div>"
        )
    bottom = []
    if piece.canonical and (href := markup.safe_href(piece.canonical)):
        source = site.hub.source(piece.source or "")
        where = source.name if source else (piece.firm or "the original")
        bottom.append(
            f'<p><a class="md-button hub-original" href="{attr(href)}" rel="nofollow noopener">'
            f"Read the original at {attr(where)}</a></p>"
        )
    if piece.topics:
        bottom.append(
            f'<div class="hub-topics">\n<p>Topics: {topic_chips(site, links, piece.topics, here)}</p>\n</div>'
        )
    related = site.related_pieces.get(piece.src_uri, [])
    if related:
        # Its own block so that search indexes the piece, not the titles of its neighbours.
        items = "\n".join(
            f"<li>{links.a(r.title, here, r.src_uri)} <small>{KIND_LABELS[r.kind]} · {markup.human_date(r.date)}</small></li>"
            for r in related
        )
        bottom.append(
            f'<div class="hub-related">\n<h2 id="hub-related">Related</h2>\n<ul>\n{items}\n</ul>\n</div>'
        )
    return Decoration(
        byline=f'<p class="hub-byline">{meta_line}</p>',
        figure=figure,
        bottom="\n".join(bottom),
        banner=banner(site, piece),
    )


def banner(site: Site, piece: Piece) -> str:
    """In a preview, what keeps a piece off the site, as a Material admonition above its byline."""
    state = site.index.state_of(piece)
    if state is Publication.DRAFT:
        kind, title, why = (
            "warning",
            "Draft",
            "Not published: <code>channelhub build</code> leaves this piece out while its "
            "front matter says <code>draft: true</code>.",
        )
    elif state is Publication.SCHEDULED:
        kind, title, why = (
            "info",
            f"Scheduled for {markup.human_moment(piece.date)}",
            "Not published yet: the first build after that moment publishes it.",
        )
    elif state is Publication.EXPIRED and piece.expires is not None:
        kind, title, why = (
            "failure",
            f"Expired on {markup.human_moment(piece.expires)}",
            "No longer published: its <code>expires</code> date has passed.",
        )
    else:
        return ""
    return (
        f'<div class="admonition {kind} hub-banner hub-banner-{state.value}" role="note">\n'
        f'<p class="admonition-title">{attr(title)}</p>\n<p>{why}</p>\n</div>'
    )
