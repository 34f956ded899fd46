"""The pages the hub generates: home, topics, editors, analyst notes, sources, the archive, and
their listings.

Each builder returns a `Generated` page whose body is made when the page renders; it only
touches the pieces it shows. `generated_pages` lists every one of them by path under docs/;
`rewrite_handwritten` gives a hand-written topic, notes, sources or editor page its listing.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from itertools import groupby

from channelhub import markup
from channelhub.config import Editor, Source, Topic
from channelhub.content import Piece
from channelhub.health import badge, last_new_content
from channelhub.markup import Links, attr, link, text
from channelhub.pages.addresses import (
    ARCHIVE,
    EDITORS,
    HOME,
    NOTES,
    SOURCES,
    TOPICS,
    alternatives,
    archive_uri,
    editor_uri,
    notes_uri,
    source_uri,
    topic_uri,
)
from channelhub.pages.body import Body, Generated
from channelhub.pages.fragments import (
    cards,
    cards_inputs,
    count_line,
    count_line_inputs,
    counted,
    page_count,
    paged,
    paged_title,
    pagination,
    pagination_inputs,
    photo_html,
    photo_html_inputs,
    photo_md,
    topic_chips,
)
from channelhub.pages.inputs import Inputs
from channelhub.pages.site import Site

#: featured pieces the home page leads with, newest first; older featured pieces are in the
#: sections below
LEAD = 3


def _home_sections(site: Site, lead: Sequence[Piece]) -> tuple[list[Piece], list[Piece]]:
    """The newest pieces written here (editorial articles, analyst notes) and the newest pulled
    ones, each up to `home_latest` and without the lead's pieces, so that feed volume never
    pushes the editors' work off the home page: one pass that stops once both are full."""
    most = site.settings.home_latest
    shown = {p.src_uri for p in lead}
    written: list[Piece] = []
    pulled: list[Piece] = []
    for piece in site.index.pieces:
        if len(written) >= most and len(pulled) >= most:
            break
        section = written if piece.editor else pulled
        if piece.src_uri not in shown and len(section) < most:
            section.append(piece)
    return written, pulled


def home(site: Site) -> Generated:
    here = HOME
    lead = site.featured[:LEAD]
    written, pulled = _home_sections(site, lead)

    def body(links: Links) -> Body:
        # HTML, not Markdown links: a topic, notes or sources page may be a hand-written file
        # at another path (topics/x.md), and only `links` knows which file stands there.
        lede = site.settings.description
        topics = "\n".join(
            f"<li>{links.a(t.title, here, topic_uri(t.slug))} "
            f'<span class="hub-count">{len(site.by_topic.get(t.slug, []))}</span></li>'
            for t in site.hub.topics
        )
        editors = "\n".join(
            f"<li>{links.a(e.name, here, editor_uri(e.id))} — {attr(e.role)}</li>"
            for e in site.hub.editors
        )
        more = " · ".join(
            links.a(label, here, target)
            for label, target in (
                ("All topics", TOPICS),
                ("Analyst notes", NOTES),
                ("Sources", SOURCES),
                ("Archive", ARCHIVE),
            )
        )
        out = Body().html(f'<p class="hub-lede">{attr(lede)}</p>' if lede else "")
        if lead:
            out.md("## Featured").html(cards(site, links, lead, here, classes="hub-lead"))
        out.md("## From the editors").html(cards(site, links, written, here))
        if pulled:
            out.md("## From partners and analysts").html(cards(site, links, pulled, here))
        return out.html(
            f"<p>{more}</p>",
            '<div class="hub-columns">',
            f'<div>\n<h2 id="topics">Topics</h2>\n<ul>\n{topics}\n</ul>\n</div>',
            '<div>\n<h2 id="editors">Editors</h2>\n'
            + (f"<ul>\n{editors}\n</ul>" if editors else "<p>No editors yet.</p>")
            + "\n</div>",
            "</div>",
        )

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            site.settings.description,
            cards_inputs(inputs, lead),
            cards_inputs(inputs, written),
            cards_inputs(inputs, pulled),
            tuple(
                (t.title, inputs.url(topic_uri(t.slug)), len(site.by_topic.get(t.slug, [])))
                for t in site.hub.topics
            ),
            tuple((e.name, inputs.url(editor_uri(e.id)), e.role) for e in site.hub.editors),
            tuple(inputs.url(target) for target in (TOPICS, NOTES, SOURCES, ARCHIVE)),
        )

    return Generated(
        site.settings.title,
        body,
        reads,
        description=site.settings.description,
        extra={"hide": ["navigation", "toc"]},
    )


def topics_index(site: Site) -> Generated:
    here = TOPICS

    def body(links: Links) -> Body:
        rows = []
        for topic in site.hub.topics:
            count = len(site.by_topic.get(topic.slug, []))
            title = links.a(topic.title, here, topic_uri(topic.slug), classes="hub-card-title")
            rows.append(
                f'<div class="hub-topic">\n<p>{title} <span class="hub-count">{counted(count, "piece")}</span></p>\n'
                f"<p>{attr(topic.description)}</p>\n</div>"
            )
        return Body().md("The alignment topics every piece is tagged with.").html(*rows)

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            tuple(
                (
                    t.title,
                    inputs.url(topic_uri(t.slug)),
                    len(site.by_topic.get(t.slug, [])),
                    t.description,
                )
                for t in site.hub.topics
            ),
        )

    return Generated(
        "Topics",
        body,
        reads,
        description="All alignment topics, with the number of pieces in each.",
    )


def topic_page(site: Site, topic: Topic, page: int = 1, *, intro: str | None = None) -> Generated:
    pieces = site.by_topic.get(topic.slug, [])
    shown, pages = paged(pieces, page, site.settings.page_size)
    here = topic_uri(topic.slug, page)

    def body(links: Links) -> Body:
        out = Body()
        if intro is not None and page == 1:
            out.md(intro)
        else:
            out.html(f"<p>{attr(topic.description)}</p>" if topic.description else "")
        related = [slug for slug, _ in site.related_topics.get(topic.slug, [])]
        return out.html(
            count_line(links, here, len(pieces), f"topics/{topic.slug}/feed.xml"),
            f"<p>Related topics: {topic_chips(site, links, related, here)}</p>" if related else "",
            cards(site, links, shown, here),
            pagination(links, here, page, pages, lambda n: topic_uri(topic.slug, n)),
        )

    def reads(inputs: Inputs) -> object:
        related = [slug for slug, _ in site.related_topics.get(topic.slug, [])]
        return (
            inputs.here(here),
            intro if intro is not None and page == 1 else (None, topic.description),
            count_line_inputs(inputs, len(pieces), f"topics/{topic.slug}/feed.xml"),
            tuple(inputs.topic(slug) for slug in related),
            cards_inputs(inputs, shown),
            pagination_inputs(inputs, page, pages, lambda n: topic_uri(topic.slug, n)),
        )

    return Generated(
        paged_title(topic.title, page, pages), body, reads, description=topic.description
    )


def editors_index(site: Site) -> Generated:
    here = EDITORS
    rows = []
    for editor in site.hub.editors:
        count = len(site.by_editor.get(editor.id, []))
        photo = photo_md(editor, here)
        rows.append(
            f'<div class="hub-editor" markdown>\n\n{photo}\n\n{link(editor.name, here, editor_uri(editor.id), classes="hub-card-title")}  \n'
            f"{text(editor.role)} · {counted(count, 'piece')}\n\n</div>"
        )

    def reads(_inputs: Inputs) -> object:
        return tuple(rows)  # Markdown: its links are the engine's to check

    return Generated(
        "Editors",
        lambda links: Body().md(
            "The people who write and review the hub.", "\n\n".join(rows) or "No editors yet."
        ),
        reads,
        description="The hub's editors.",
    )


def editor_page(site: Site, editor: Editor, page: int = 1, *, bio: str | None = None) -> Generated:
    pieces = site.by_editor.get(editor.id, [])
    shown, pages = paged(pieces, page, site.settings.page_size)
    here = editor_uri(editor.id, page)

    def body(links: Links) -> Body:
        profile = " · ".join(
            f'<a href="{attr(href)}">{attr(li.title)}</a>'
            for li in editor.links
            if (href := markup.safe_href(li.url))
        )
        out = Body().html(
            photo_html(links, editor, here),
            f'<p class="hub-editor-role"><strong>{attr(editor.role)}</strong>'
            + (f"<br />\n{profile}" if profile else "")
            + "</p>",
        )
        if page == 1:
            out.md(bio if bio is not None else editor.bio)
            out.md(f"## Pieces by {text(editor.name)}")
        return out.html(
            count_line(links, here, len(pieces)),
            cards(site, links, shown, here),
            pagination(links, here, page, pages, lambda n: editor_uri(editor.id, n)),
        )

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            photo_html_inputs(inputs, editor),
            editor.role,
            editor.links,
            (bio if bio is not None else editor.bio, editor.name) if page == 1 else None,
            count_line_inputs(inputs, len(pieces)),
            cards_inputs(inputs, shown),
            pagination_inputs(inputs, page, pages, lambda n: editor_uri(editor.id, n)),
        )

    return Generated(paged_title(editor.name, page, pages), body, reads, description=editor.role)


def notes_page(site: Site, page: int = 1, *, intro: str | None = None) -> Generated:
    shown, pages = paged(site.notes, page, site.settings.page_size)
    here = notes_uri(page)

    def body(links: Links) -> Body:
        out = Body()
        if intro is not None and page == 1:
            out.md(intro)
        else:
            out.html(
                "<p>Figures and findings from industry analysts, with a link to every original report.</p>"
            )
        return out.html(
            cards(site, links, shown, here),
            pagination(links, here, page, pages, notes_uri),
        )

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            intro if intro is not None and page == 1 else None,
            cards_inputs(inputs, shown),
            pagination_inputs(inputs, page, pages, notes_uri),
        )

    return Generated(
        paged_title("Analyst notes", page, pages),
        body,
        reads,
        description="Analyst notes: the figures they cite and links to the originals.",
    )


def sources_index(site: Site, *, intro: str | None = None) -> Generated:
    here = SOURCES
    lede = (
        intro
        if intro is not None
        else "The partner blogs and analyst feeds the hub pulls, and whether each is up to date."
    )

    def body(links: Links) -> Body:
        if not site.hub.sources:
            return Body().md(lede, "No sources configured.")
        rows = []
        for source in site.hub.sources:
            health = site.health.get(source.id)
            kind = "Analyst" if source.kind == "analyst" else "Partner"
            name = links.a(source.name, here, source_uri(source.id))
            newest = last_new_content(health)
            rows.append(
                f'<tr>\n<th scope="row">{name}<br />\n<span class="hub-count">{kind}</span></th>\n'
                f'<td class="hub-number">{len(site.by_source.get(source.id, []))}</td>\n'
                f"<td>{markup.time_tag(newest) if newest else 'none yet'}</td>\n"
                f"<td>{badge(source, health)}</td>\n</tr>"
            )
        head = "".join(
            f'<th scope="col"{cls}>{h}</th>'
            for h, cls in (
                ("Source", ""),
                ("Pieces", ' class="hub-number"'),
                ("Last new content", ""),
                ("Status", ""),
            )
        )
        table = (
            f'<table class="hub-sources">\n<thead>\n<tr>{head}</tr>\n</thead>\n<tbody>\n'
            + "\n".join(rows)
            + "\n</tbody>\n</table>"
        )
        return Body().md(lede).html(table)

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            lede,
            tuple(
                (
                    source.name,
                    inputs.url(source_uri(source.id)),
                    source.kind,
                    source.enabled,
                    len(site.by_source.get(source.id, [])),
                    site.health.get(source.id),
                )
                for source in site.hub.sources
            ),
        )

    return Generated(
        "Sources",
        body,
        reads,
        description="Partner and analyst sources and their health.",
    )


def source_page(site: Site, source: Source, page: int = 1) -> Generated:
    pieces = site.by_source.get(source.id, [])
    shown, pages = paged(pieces, page, site.settings.page_size)
    here = source_uri(source.id, page)
    health = site.health.get(source.id)

    def body(links: Links) -> Body:
        facts = [f"<strong>{'Analyst firm' if source.kind == 'analyst' else 'Partner'}</strong>"]
        if source.site and (href := markup.safe_href(source.site)):
            facts.append(f'<a href="{attr(href)}" rel="nofollow">{attr(source.site)}</a>')
        newest = last_new_content(health)
        facts.append(f"last new content {markup.time_tag(newest) if newest else 'none yet'}")
        facts.append(badge(source, health))
        return Body().html(
            f"<p>{attr(source.description)}</p>" if source.description and page == 1 else "",
            f'<p class="hub-source-facts">{" · ".join(facts)}</p>',
            count_line(links, here, len(pieces)),
            cards(site, links, shown, here),
            pagination(links, here, page, pages, lambda n: source_uri(source.id, n)),
        )

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            source.kind,
            source.site,
            source.description if page == 1 else None,
            source.enabled,
            health,
            count_line_inputs(inputs, len(pieces)),
            cards_inputs(inputs, shown),
            pagination_inputs(inputs, page, pages, lambda n: source_uri(source.id, n)),
        )

    return Generated(
        paged_title(source.name, page, pages),
        body,
        reads,
        description=f"Pieces from {source.name}.",
    )


def _months(pieces: Sequence[Piece], size: int) -> list[tuple[int, int, int]]:
    """(month, pieces that month, listing page where the month starts) for a year's pieces,
    newest first, in one pass."""
    months: list[tuple[int, int, int]] = []
    for number, piece in enumerate(pieces):
        month = piece.date.month
        if months and months[-1][0] == month:
            months[-1] = (month, months[-1][1] + 1, months[-1][2])
        else:
            months.append((month, 1, number // size + 1))
    return months


def archive_index(site: Site, *, intro: str | None = None) -> Generated:
    here = ARCHIVE
    size = site.settings.page_size

    def body(links: Links) -> Body:
        out = Body()
        if intro is not None:
            out.md(intro)
        else:
            out.html("<p>Every piece on the hub by the year and month of its date.</p>")
        if not site.by_year:
            return out.html('<p class="hub-empty">Nothing here yet.</p>')
        for year, pieces in site.by_year.items():
            months = " · ".join(
                f'<a href="{attr(links.href(here, archive_uri(year, page)))}#{calendar.month_name[month].lower()}">'
                f'{calendar.month_name[month]}</a> <span class="hub-count">{count}</span>'
                for month, count, page in _months(pieces, size)
            )
            out.html(
                f'<div class="hub-archive-year">\n<h2 id="year-{year:04d}">'
                f"{links.a(f'{year:04d}', here, archive_uri(year))} "
                f'<span class="hub-count">{counted(len(pieces), "piece")}</span></h2>\n'
                f'<p class="hub-months">{months}</p>\n</div>'
            )
        return out

    def reads(inputs: Inputs) -> object:
        return (
            inputs.here(here),
            intro,
            tuple(
                (
                    year,
                    len(pieces),
                    inputs.url(archive_uri(year)),
                    tuple(
                        (month, count, page, inputs.url(archive_uri(year, page)))
                        for month, count, page in _months(pieces, size)
                    ),
                )
                for year, pieces in site.by_year.items()
            ),
        )

    return Generated(
        "Archive",
        body,
        reads,
        description="Every piece on the hub by year and month, with counts.",
    )


def archive_year(site: Site, year: int, page: int = 1) -> Generated:
    pieces = site.by_year.get(year, [])
    shown, count = paged(pieces, page, site.settings.page_size)
    here = archive_uri(year, page)

    def body(links: Links) -> Body:
        out = Body().html(
            f'<p class="hub-count">{counted(len(pieces), "piece")} · '
            f"{links.a('All years', here, ARCHIVE)}</p>"
        )
        # the piece before this page, to say when a month goes on from the page before
        previous = pieces[(page - 1) * site.settings.page_size - 1] if page > 1 else None
        for month, run in groupby(shown, key=lambda p: p.date.month):
            name = calendar.month_name[month]
            more = " (continued)" if previous is not None and previous.date.month == month else ""
            out.md(f"## {name} {year:04d}{more} {{ #{name.lower()} }}")
            out.html(cards(site, links, list(run), here))
            previous = None
        return out.html(pagination(links, here, page, count, lambda n: archive_uri(year, n)))

    def reads(inputs: Inputs) -> object:
        previous = pieces[(page - 1) * site.settings.page_size - 1] if page > 1 else None
        return (
            inputs.here(here),
            year,
            len(pieces),
            inputs.url(ARCHIVE),
            previous.date.month if previous is not None else None,
            cards_inputs(inputs, shown),
            pagination_inputs(inputs, page, count, lambda n: archive_uri(year, n)),
        )

    return Generated(
        paged_title(f"Archive: {year:04d}", page, count),
        body,
        reads,
        description=f"Every piece from {year:04d}, newest first.",
    )


def generated_pages(site: Site) -> dict[str, Generated]:
    """Every generated page, by its path under docs/ (bodies are made when each page renders)."""
    pages: dict[str, Generated] = {
        HOME: home(site),
        TOPICS: topics_index(site),
        EDITORS: editors_index(site),
        SOURCES: sources_index(site),
    }
    size = site.settings.page_size
    for topic in site.hub.topics:
        count = page_count(len(site.by_topic.get(topic.slug, [])), size)
        for n in range(1, count + 1):
            pages[topic_uri(topic.slug, n)] = topic_page(site, topic, n)
    for editor in site.hub.editors:
        count = page_count(len(site.by_editor.get(editor.id, [])), size)
        for n in range(2, count + 1):
            pages[editor_uri(editor.id, n)] = editor_page(site, editor, n)
    for n in range(1, page_count(len(site.notes), size) + 1):
        pages[notes_uri(n)] = notes_page(site, n)
    for source in site.hub.sources:
        count = page_count(len(site.by_source.get(source.id, [])), size)
        for n in range(1, count + 1):
            pages[source_uri(source.id, n)] = source_page(site, source, n)
    pages[ARCHIVE] = archive_index(site)
    for year, pieces in site.by_year.items():
        for n in range(1, page_count(len(pieces), size) + 1):
            pages[archive_uri(year, n)] = archive_year(site, year, n)
    return pages


def rewrite_handwritten(site: Site, src_uri: str, markdown: str) -> Generated | None:
    """The page a hand-written file becomes where the hub generates one, or for an editor's file.

    A hand-written topic (or notes, or sources) page keeps its words as the intro and
    gets the listing below; an editor's file gets the role, photo and their pieces. The
    file's own front matter stays; only the body of the returned page is used.
    """
    for topic in site.hub.topics:
        if src_uri in alternatives(topic_uri(topic.slug)):
            return topic_page(site, topic, 1, intro=markdown)
    if src_uri in alternatives(NOTES):
        return notes_page(site, 1, intro=markdown)
    if src_uri in alternatives(SOURCES):
        return sources_index(site, intro=markdown)
    if src_uri in alternatives(ARCHIVE):
        return archive_index(site, intro=markdown)
    for editor in site.hub.editors:
        if src_uri == editor.src_uri:
            return editor_page(site, editor, 1, bio=markdown)
    return None


def titles_for_handwritten(site: Site, src_uri: str) -> str | None:
    """The page title the hub gives a hand-written page that has none (an editor's name)."""
    editor = site.editors_by_uri.get(src_uri)
    return editor.name if editor is not None else None
