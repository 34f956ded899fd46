"""The hub's generated pages: home, topics, editors, analyst notes, sources, and piece bylines.

`Site` is built once per build from the content index (linear in the number of pieces);
every page function then only touches the pieces it shows. What editors write stays
Markdown; what the hub makes for every listing and piece (cards, bylines, chips,
pagination, related pieces) is written as escaped HTML with links between the build's own
URLs (`markup.Links`, which reports a missing target as MkDocs' link check would).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from channelhub import frontmatter, markup
from channelhub.config import Editor, Hub, Source, Topic
from channelhub.content import KIND_LABELS, ContentIndex, Piece, url_of
from channelhub.markup import Links, attr, link, text


@dataclass(frozen=True)
class Settings:
    """Reader-facing settings, from `extra.hub` in mkdocs.yml."""

    page_size: int = 20  # a production listing; the demo's mkdocs.yml sets 5 for its 16 pieces
    home_latest: int = 9
    feed_size: int = 30
    related: int = 4
    site_url: str = ""
    title: str = "channelhub"
    description: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, **extra: Any) -> Settings:
        raw = dict(raw or {})
        values: dict[str, Any] = {}
        for name in ("page_size", "home_latest", "feed_size", "related"):
            if name in raw:
                value = raw[name]
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(
                        f"extra.hub.{name} must be a whole number of at least 1, got {value!r}"
                    )
                values[name] = value
        # pull_on_build is read by the pre-build pull (channelhub.pull.pull_enabled), not by pages
        pull_on_build = raw.get("pull_on_build", False)
        if not isinstance(pull_on_build, bool):
            raise ValueError(
                f"extra.hub.pull_on_build must be true or false, got {pull_on_build!r}"
            )
        known = {"page_size", "home_latest", "feed_size", "related", "pull_on_build"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(
                f"unknown setting extra.hub.{sorted(unknown)[0]} (known: {', '.join(sorted(known))})"
            )
        return cls(**values, **extra)


@dataclass(frozen=True)
class SourceHealth:
    """What the last pull said about one source (from feeds/state.json)."""

    status: str  # ok | not_modified | error | gone | deferred | refused
    last_pulled: datetime | None = None
    last_changed: datetime | None = None
    message: str = ""
    failures: int = 0


@dataclass(frozen=True)
class Site:
    """Everything the generated pages are made from."""

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
    def pieces_by_uri(self) -> dict[str, Piece]:
        return {p.src_uri: p for p in self.index.pieces}

    @cached_property
    def related_topics(self) -> dict[str, list[tuple[str, int]]]:
        """For each topic, the topics that most often share a piece with it."""
        pairs: dict[str, Counter[str]] = {t.slug: Counter() for t in self.hub.topics}
        for piece in self.index.pieces:
            for slug in piece.topics:
                for other in piece.topics:
                    if other != slug and slug in pairs:
                        pairs[slug][other] += 1
        return {slug: counts.most_common(4) for slug, counts in pairs.items()}

    @cached_property
    def related_pieces(self) -> dict[str, list[Piece]]:
        """For each piece, pieces sharing its topics, found among its neighbours in time (linear)."""
        window = 4
        position: dict[str, dict[str, int]] = {
            slug: {p.src_uri: i for i, p in enumerate(pieces)}
            for slug, pieces in self.by_topic.items()
        }
        related: dict[str, list[Piece]] = {}
        for piece in self.index.pieces:
            scores: Counter[str] = Counter()
            for slug in piece.topics:
                pieces = self.by_topic.get(slug, [])
                i = position[slug][piece.src_uri]
                for other in pieces[max(0, i - window) : i + window + 1]:
                    if other.src_uri != piece.src_uri:
                        scores[other.src_uri] += 1
            ranked = sorted(
                scores,
                key=lambda uri: (
                    -scores[uri],
                    abs((self.pieces_by_uri[uri].date - piece.date).total_seconds()),
                    uri,
                ),
            )
            related[piece.src_uri] = [
                self.pieces_by_uri[uri] for uri in ranked[: self.settings.related]
            ]
        return related


# ---------------------------------------------------------------- addresses of generated pages

HOME = "index.md"
TOPICS = "topics/index.md"
EDITORS = "editors/index.md"
NOTES = "notes/index.md"
SOURCES = "sources/index.md"


def topic_uri(slug: str, page: int = 1) -> str:
    return f"topics/{slug}/index.md" if page == 1 else f"topics/{slug}/page/{page}/index.md"


def editor_uri(editor_id: str, page: int = 1) -> str:
    return f"editors/{editor_id}.md" if page == 1 else f"editors/{editor_id}/page/{page}/index.md"


def source_uri(source_id: str, page: int = 1) -> str:
    return (
        f"sources/{source_id}/index.md"
        if page == 1
        else f"sources/{source_id}/page/{page}/index.md"
    )


def notes_uri(page: int = 1) -> str:
    return NOTES if page == 1 else f"notes/page/{page}/index.md"


def alternatives(src_uri: str) -> tuple[str, ...]:
    """Paths of a hand-written file that would take the place of a generated one."""
    if src_uri.endswith("/index.md"):
        return (src_uri, src_uri[: -len("/index.md")] + ".md")
    return (src_uri,)


# ---------------------------------------------------------------- page bodies


class Body:
    """A generated page's body: Markdown for what editors wrote and for headings, HTML for the rest.

    Cards, bylines and pagination are written as HTML straight away: through Markdown they
    cost five times a piece's own text (inline patterns, md_in_html's HTML parser) for an
    answer known in advance. Markdown sees each HTML part as a placeholder comment, which it
    passes through untouched, and `fill` puts the HTML back into the rendered page.
    """

    def __init__(self) -> None:
        self._parts: list[tuple[bool, str]] = []  # (is_html, text)

    def md(self, *parts: str) -> Body:
        self._parts += [(False, p) for p in parts if p]
        return self

    def html(self, *parts: str) -> Body:
        self._parts += [(True, p) for p in parts if p]
        return self

    def markdown(self, token: str) -> tuple[str, list[str]]:
        """The Markdown to render, with a placeholder for each run of HTML, and those runs."""
        blocks: list[str] = []
        fragments: list[str] = []
        previous_html = False
        for is_html, part in self._parts:
            if is_html and previous_html:
                fragments[-1] += "\n" + part
            elif is_html:
                blocks.append(placeholder(token, len(fragments)))
                fragments.append(part)
            else:
                blocks.append(part.strip("\n"))
            previous_html = is_html
        return "\n\n".join(blocks) + "\n", fragments


def placeholder(token: str, number: int) -> str:
    return f"<!--channelhub:{token}:{number}-->"


def fill(html: str, token: str, fragments: Sequence[str]) -> str:
    """The rendered page with each placeholder replaced by its HTML."""
    pattern = re.compile(f"<!--channelhub:{re.escape(token)}:([0-9]+)-->")
    return pattern.sub(lambda m: fragments[int(m.group(1))], html)


@dataclass(frozen=True)
class Generated:
    """A page the hub adds: its front matter now, its body when the page is rendered."""

    title: str
    body: Callable[[Links], Body]
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def source(self) -> str:
        """The file MkDocs reads: front matter only (the body comes in `HubBuild.page_markdown`)."""
        meta: dict[str, Any] = {"title": self.title}
        if self.description:
            meta["description"] = self.description
        meta.update(self.extra)
        # Rendered in memory and never written to docs/: the read-back check is for files on disk.
        return frontmatter.render(meta, "", verify=False)


# ---------------------------------------------------------------- fragments (HTML)


def _kind_badge(piece: Piece) -> str:
    return f'<span class="hub-kind hub-kind-{piece.kind}">{KIND_LABELS[piece.kind]}</span>'


def byline(site: Site, links: Links, piece: Piece, here: str) -> str:
    """'By <editor>' or 'From <source>' (with the original author), linked to their pages."""
    if piece.editor:
        editor = site.hub.editor(piece.editor)
        name = editor.name if editor else piece.editor
        who = "By " + (links.a(name, here, editor_uri(piece.editor)) if editor else attr(name))
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


def card(site: Site, links: Links, piece: Piece, here: str) -> str:
    """One piece in a listing: kind, title, date, byline, summary, topics."""
    lines = [
        '<div class="hub-card">',
        f'<p class="hub-card-meta">{_kind_badge(piece)} {markup.time_tag(piece.date)}</p>',
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


def cards(site: Site, links: Links, pieces: Sequence[Piece], here: str) -> str:
    if not pieces:
        return '<p class="hub-empty">Nothing here yet.</p>'
    return (
        '<div class="hub-cards">\n'
        + "\n".join(card(site, links, p, here) for p in pieces)
        + "\n</div>"
    )


def pagination(links: Links, here: str, page: int, pages: int, uri: Callable[[int], str]) -> str:
    """Numbered pagination with previous/next; a window of numbers so it stays short at any size."""
    if pages <= 1:
        return ""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
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


def _count_line(links: Links, here: str, count: int, feed: str | None = None) -> str:
    feed_link = (
        " · " + links.a("Feed", here, feed, classes="hub-feed", extra='type="application/atom+xml"')
        if feed
        else ""
    )
    return f'<p class="hub-count">{_count(count, "piece")}{feed_link}</p>'


def _paged(pieces: Sequence[Piece], size: int) -> list[Sequence[Piece]]:
    pages = max(1, math.ceil(len(pieces) / size))
    return [pieces[i * size : (i + 1) * size] for i in range(pages)]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _paged_title(title: str, page: int, pages: int) -> str:
    return title if page == 1 else f"{title} (page {page} of {pages})"


# ---------------------------------------------------------------- the pages


def home(site: Site) -> Generated:
    here = HOME
    latest = site.index.pieces[: site.settings.home_latest]

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
            )
        )
        return (
            Body()
            .html(f'<p class="hub-lede">{attr(lede)}</p>' if lede else "")
            .md("## Latest")
            .html(
                cards(site, links, latest, here),
                f"<p>{more}</p>",
                '<div class="hub-columns">',
                f'<div>\n<h2 id="topics">Topics</h2>\n<ul>\n{topics}\n</ul>\n</div>',
                '<div>\n<h2 id="editors">Editors</h2>\n'
                + (f"<ul>\n{editors}\n</ul>" if editors else "<p>No editors yet.</p>")
                + "\n</div>",
                "</div>",
            )
        )

    return Generated(
        site.settings.title,
        body,
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
                f'<div class="hub-topic">\n<p>{title} <span class="hub-count">{_count(count, "piece")}</span></p>\n'
                f"<p>{attr(topic.description)}</p>\n</div>"
            )
        return Body().md("The alignment topics every piece is tagged with.").html(*rows)

    return Generated(
        "Topics",
        body,
        description="All alignment topics, with the number of pieces in each.",
    )


def topic_page(site: Site, topic: Topic, page: int = 1, *, intro: str | None = None) -> Generated:
    pieces = site.by_topic.get(topic.slug, [])
    chunks = _paged(pieces, site.settings.page_size)
    here = topic_uri(topic.slug, page)

    def body(links: Links) -> Body:
        out = Body()
        if intro is not None and page == 1:
            out.md(intro)
        else:
            out.html(f"<p>{attr(topic.description)}</p>" if topic.description else "")
        related = [slug for slug, _ in site.related_topics.get(topic.slug, [])]
        return out.html(
            _count_line(links, here, len(pieces), f"topics/{topic.slug}/feed.xml"),
            f"<p>Related topics: {topic_chips(site, links, related, here)}</p>" if related else "",
            cards(site, links, chunks[page - 1], here),
            pagination(links, here, page, len(chunks), lambda n: topic_uri(topic.slug, n)),
        )

    return Generated(
        _paged_title(topic.title, page, len(chunks)), body, description=topic.description
    )


def editors_index(site: Site) -> Generated:
    here = EDITORS
    rows = []
    for editor in site.hub.editors:
        count = len(site.by_editor.get(editor.id, []))
        photo = _photo_md(editor, here)
        rows.append(
            f'<div class="hub-editor" markdown>\n\n{photo}\n\n{link(editor.name, here, editor_uri(editor.id), classes="hub-card-title")}  \n'
            f"{text(editor.role)} · {_count(count, 'piece')}\n\n</div>"
        )
    return Generated(
        "Editors",
        lambda links: Body().md(
            "The people who write and review the hub.", "\n\n".join(rows) or "No editors yet."
        ),
        description="The hub's editors.",
    )


def _photo_target(editor: Editor) -> tuple[str, bool] | None:
    """Where an editor's photo is: (URL, True) for a web address, (docs/ path, False) for a file."""
    if not editor.photo:
        return None
    if editor.photo.startswith(("https://", "http://")):
        href = markup.safe_href(editor.photo)
        return (href, True) if href else None
    return editor.photo.lstrip("/"), False


def _photo_md(editor: Editor, here: str) -> str:
    found = _photo_target(editor)
    if found is None:
        return ""
    target, external = found
    href = target if external else markup.rel(here, target)
    return f'![{markup.text(editor.name)}]({href}){{ .hub-photo width="96" height="96" }}'


def _photo_html(links: Links, editor: Editor, here: str) -> str:
    found = _photo_target(editor)
    if found is None:
        return ""
    target, external = found
    src = target if external else links.href(here, target)
    return (
        f'<p><img alt="{attr(editor.name)}" class="hub-photo" height="96" '
        f'src="{attr(src)}" width="96" /></p>'
    )


def editor_page(site: Site, editor: Editor, page: int = 1, *, bio: str | None = None) -> Generated:
    pieces = site.by_editor.get(editor.id, [])
    chunks = _paged(pieces, site.settings.page_size)
    here = editor_uri(editor.id, page)

    def body(links: Links) -> Body:
        profile = " · ".join(
            f'<a href="{attr(href)}">{attr(li.title)}</a>'
            for li in editor.links
            if (href := markup.safe_href(li.url))
        )
        out = Body().html(
            _photo_html(links, editor, here),
            f'<p class="hub-editor-role"><strong>{attr(editor.role)}</strong>'
            + (f"<br />\n{profile}" if profile else "")
            + "</p>",
        )
        if page == 1:
            out.md(bio if bio is not None else editor.bio)
            out.md(f"## Pieces by {text(editor.name)}")
        return out.html(
            _count_line(links, here, len(pieces)),
            cards(site, links, chunks[page - 1], here),
            pagination(links, here, page, len(chunks), lambda n: editor_uri(editor.id, n)),
        )

    return Generated(_paged_title(editor.name, page, len(chunks)), body, description=editor.role)


def notes_page(site: Site, page: int = 1, *, intro: str | None = None) -> Generated:
    chunks = _paged(site.notes, site.settings.page_size)
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
            cards(site, links, chunks[page - 1], here),
            pagination(links, here, page, len(chunks), notes_uri),
        )

    return Generated(
        _paged_title("Analyst notes", page, len(chunks)),
        body,
        description="Analyst notes: the figures they cite and links to the originals.",
    )


def sources_index(site: Site, *, intro: str | None = None) -> Generated:
    here = SOURCES
    lede = (
        intro
        if intro is not None
        else "The partner blogs and analyst feeds the hub pulls, and how each fared on its last pull."
    )

    def body(links: Links) -> Body:
        if not site.hub.sources:
            return Body().md(lede, "No sources configured.")
        rows = []
        for source in site.hub.sources:
            health = site.health.get(source.id)
            cells = [
                links.a(source.name, here, source_uri(source.id)),
                "Analyst" if source.kind == "analyst" else "Partner",
                str(len(site.by_source.get(source.id, []))),
                markup.human_date(health.last_pulled) if health and health.last_pulled else "never",
                attr(_health_text(source, health)),
            ]
            rows.append("<tr>\n" + "\n".join(f"<td>{c}</td>" for c in cells) + "\n</tr>")
        head = "".join(
            f"<th>{h}</th>" for h in ("Source", "Kind", "Pieces", "Last pulled", "Status")
        )
        table = f"<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n<tbody>\n" + "\n".join(rows)
        return Body().md(lede).html(table + "\n</tbody>\n</table>")

    return Generated(
        "Sources",
        body,
        description="Partner and analyst sources and their health.",
    )


def _health_text(source: Source, health: SourceHealth | None) -> str:
    if not source.enabled:
        return "disabled"
    if health is None:
        return "not pulled yet"
    words = {
        "ok": "fine",
        "not_modified": "fine (unchanged)",
        "error": "failing",
        "gone": "gone (410)",
        "deferred": "waiting (Retry-After)",
        "refused": "refused",
    }.get(health.status, health.status)
    if health.failures > 1:
        words += f", {health.failures} runs in a row"
    if health.message and health.status not in ("ok", "not_modified"):
        words += ": " + health.message
    return words


def source_page(site: Site, source: Source, page: int = 1) -> Generated:
    pieces = site.by_source.get(source.id, [])
    chunks = _paged(pieces, site.settings.page_size)
    here = source_uri(source.id, page)
    health = site.health.get(source.id)

    def body(links: Links) -> Body:
        facts = [f"<strong>{'Analyst firm' if source.kind == 'analyst' else 'Partner'}</strong>"]
        if source.site and (href := markup.safe_href(source.site)):
            facts.append(f'<a href="{attr(href)}" rel="nofollow">{attr(source.site)}</a>')
        facts.append(
            "last pulled "
            + (markup.human_date(health.last_pulled) if health and health.last_pulled else "never")
        )
        return Body().html(
            f"<p>{attr(source.description)}</p>" if source.description and page == 1 else "",
            f'<p class="hub-source-facts">{" · ".join(facts)}</p>',
            _count_line(links, here, len(pieces)),
            cards(site, links, chunks[page - 1], here),
            pagination(links, here, page, len(chunks), lambda n: source_uri(source.id, n)),
        )

    return Generated(
        _paged_title(source.name, page, len(chunks)),
        body,
        description=f"Pieces from {source.name}.",
    )


@dataclass(frozen=True)
class Decoration:
    """What the hub puts around a piece's own rendered text (HTML)."""

    byline: str  # kind, date, reading time, who
    figure: str  # an analyst note's figure, part of its text (searched); else empty
    bottom: str  # link to the original, topics, related pieces


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
        byline=f'<p class="hub-byline">{meta_line}</p>', figure=figure, bottom="\n".join(bottom)
    )


def redirect_html(target_url: str) -> str:
    """A static page that sends readers (and search engines) from an old topic URL to the new one."""
    safe = markup.attr(target_url)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>Moved</title><meta http-equiv="refresh" content="0; url={safe}">'
        f'<link rel="canonical" href="{safe}"></head>'
        f'<body><p>This topic has moved to <a href="{safe}">{safe}</a>.</p></body></html>'
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
        count = max(1, math.ceil(len(site.by_topic.get(topic.slug, [])) / size))
        for n in range(1, count + 1):
            pages[topic_uri(topic.slug, n)] = topic_page(site, topic, n)
    for editor in site.hub.editors:
        count = max(1, math.ceil(len(site.by_editor.get(editor.id, [])) / size))
        for n in range(2, count + 1):
            pages[editor_uri(editor.id, n)] = editor_page(site, editor, n)
    for n in range(1, max(1, math.ceil(len(site.notes) / size)) + 1):
        pages[notes_uri(n)] = notes_page(site, n)
    for source in site.hub.sources:
        count = max(1, math.ceil(len(site.by_source.get(source.id, [])) / size))
        for n in range(1, count + 1):
            pages[source_uri(source.id, n)] = source_page(site, source, n)
    return pages


def directory_urls(site: Site, generated: Iterable[str]) -> dict[str, str]:
    """The URL of every file the hub links to, as MkDocs gives it with directory URLs.

    For use outside a build (tests, benchmarks); in a build the engine's own URLs are used.
    """
    uris = [
        *generated,
        *(p.src_uri for p in site.index.pieces),
        *(e.src_uri for e in site.hub.editors),
    ]
    urls = {uri: url_of(uri) or "./" for uri in uris}
    files = [f"topics/{t.slug}/feed.xml" for t in site.hub.topics]
    for editor in site.hub.editors:
        found = _photo_target(editor)
        if found and not found[1]:
            files.append(found[0])
    urls.update({f: f for f in files})
    return urls


def redirects(site: Site, base_url: str) -> dict[str, str]:
    """Static redirect pages for old topic slugs, by path under docs/."""
    return {
        f"topics/{old}/index.html": redirect_html(f"{base_url.rstrip('/')}/topics/{new}/")
        for old, new in site.hub.renamed.items()
    }


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
    for editor in site.hub.editors:
        if src_uri == editor.src_uri:
            return editor_page(site, editor, 1, bio=markdown)
    return None


def titles_for_handwritten(site: Site, src_uri: str) -> str | None:
    """The page title the hub gives a hand-written page that has none (an editor's name)."""
    for editor in site.hub.editors:
        if src_uri == editor.src_uri:
            return editor.name
    return None
