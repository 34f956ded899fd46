"""The hub's generated pages as Markdown: home, topics, editors, analyst notes, sources.

`Site` is built once per build from the content index (linear in the number of pieces);
every page function then only touches the pieces it shows. Links between pages are
relative `.md` paths so that a strict MkDocs build checks every one of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from channelhub import frontmatter, markup
from channelhub.config import Editor, Hub, Source, Topic
from channelhub.content import KIND_LABELS, ContentIndex, Piece
from channelhub.markup import link, text


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
            raise ValueError(f"extra.hub.pull_on_build must be true or false, got {pull_on_build!r}")
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


# ---------------------------------------------------------------- page fragments


def _page(
    title: str,
    body: Iterable[str],
    *,
    description: str = "",
    extra: Mapping[str, Any] | None = None,
) -> str:
    meta: dict[str, Any] = {"title": title}
    if description:
        meta["description"] = description
    meta.update(extra or {})
    # Rendered in memory and never written to docs/: the read-back check is for files on disk.
    body_text = "\n\n".join(part for part in body if part) + "\n"
    return frontmatter.render(meta, body_text, verify=False)


def _kind_badge(piece: Piece) -> str:
    return f'<span class="hub-kind hub-kind-{piece.kind}">{KIND_LABELS[piece.kind]}</span>'


def byline(site: Site, piece: Piece, here: str) -> str:
    """'By <editor>' or 'From <source>' (with the original author), linked to their pages."""
    if piece.editor:
        editor = site.hub.editor(piece.editor)
        name = editor.name if editor else piece.editor
        who = "By " + (link(name, here, editor_uri(piece.editor)) if editor else text(name))
        if piece.kind == "analyst" and (piece.analyst or piece.firm):
            who += " · " + text(", ".join(x for x in (piece.analyst, piece.firm) if x))
        return who
    source = site.hub.source(piece.source or "")
    name = source.name if source else (piece.source or "")
    who = "From " + (link(name, here, source_uri(source.id)) if source else text(name))
    if piece.author:
        who += " · " + text(piece.author)
    return who


def topic_chips(site: Site, slugs: Iterable[str], here: str) -> str:
    chips = []
    for slug in slugs:
        topic = site.hub.topic(slug)
        if topic:
            chips.append(link(topic.title, here, topic_uri(slug), classes="hub-chip"))
    return " ".join(chips)


def card(site: Site, piece: Piece, here: str) -> str:
    """One piece in a listing: kind, title, date, byline, summary, topics."""
    lines = [
        '<div class="hub-card" markdown>',
        "",
        f"{_kind_badge(piece)} {markup.time_tag(piece.date)}",
        "{ .hub-card-meta }",
        "",
        link(piece.title, here, piece.src_uri, classes="hub-card-title"),
        "",
    ]
    if piece.kind == "analyst" and piece.figure:
        lines += [f"“{text(piece.figure)}”", "{ .hub-figure }", ""]
    if piece.summary:
        lines += [text(piece.summary), ""]
    lines += [
        byline(site, piece, here)
        + ("  \n" + topic_chips(site, piece.topics, here) if piece.topics else ""),
        "{ .hub-card-byline }",
        "",
        "</div>",
    ]
    return "\n".join(lines)


def cards(site: Site, pieces: Sequence[Piece], here: str) -> str:
    if not pieces:
        return '<p class="hub-empty">Nothing here yet.</p>'
    return (
        '<div class="hub-cards" markdown>\n\n'
        + "\n\n".join(card(site, p, here) for p in pieces)
        + "\n\n</div>"
    )


def pagination(here: str, page: int, pages: int, uri: Callable[[int], str]) -> str:
    """Numbered pagination with previous/next; a window of numbers so it stays short at any size."""
    if pages <= 1:
        return ""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    parts: list[str] = []
    if page > 1:
        parts.append(f"[← Newer]({markup.rel(here, uri(page - 1))}){{ .hub-prev rel=prev }}")
    previous = 0
    for number in shown:
        if number - previous > 1:
            parts.append('<span class="hub-gap">…</span>')
        if number == page:
            parts.append(f'<span class="hub-current" aria-current="page">{number}</span>')
        else:
            parts.append(
                f"[{number}]({markup.rel(here, uri(number))}){{ .hub-page aria-label='Page {number}' }}"
            )
        previous = number
    if page < pages:
        parts.append(f"[Older →]({markup.rel(here, uri(page + 1))}){{ .hub-next rel=next }}")
    return (
        f'<nav class="hub-pagination" aria-label="Pages" markdown>\n\n{" ".join(parts)}\n\n</nav>'
    )


def _paged(pieces: Sequence[Piece], size: int) -> list[Sequence[Piece]]:
    pages = max(1, math.ceil(len(pieces) / size))
    return [pieces[i * size : (i + 1) * size] for i in range(pages)]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- the pages


def home(site: Site) -> str:
    here = HOME
    latest = site.index.pieces[: site.settings.home_latest]
    topics = "\n".join(
        f'- {link(t.title, here, topic_uri(t.slug))} <span class="hub-count">{len(site.by_topic.get(t.slug, []))}</span>'
        for t in site.hub.topics
    )
    editors = "\n".join(
        f"- {link(e.name, here, editor_uri(e.id))} — {text(e.role)}" for e in site.hub.editors
    )
    sections = [
        f'<p class="hub-lede">{text(site.settings.description)}</p>'
        if site.settings.description
        else "",
        "## Latest",
        cards(site, latest, here),
        f"[All topics]({markup.rel(here, TOPICS)}) · [Analyst notes]({markup.rel(here, NOTES)}) · [Sources]({markup.rel(here, SOURCES)})",
        '<div class="hub-columns" markdown>',
        "<div markdown>\n\n## Topics\n\n" + topics + "\n\n</div>",
        "<div markdown>\n\n## Editors\n\n" + (editors or "No editors yet.") + "\n\n</div>",
        "</div>",
    ]
    return _page(
        site.settings.title,
        sections,
        description=site.settings.description,
        extra={"hide": ["navigation", "toc"]},
    )


def topics_index(site: Site) -> str:
    here = TOPICS
    rows = []
    for topic in site.hub.topics:
        count = len(site.by_topic.get(topic.slug, []))
        rows.append(
            f'<div class="hub-topic" markdown>\n\n{link(topic.title, here, topic_uri(topic.slug), classes="hub-card-title")} '
            f'<span class="hub-count">{_count(count, "piece")}</span>\n\n{text(topic.description)}\n\n</div>'
        )
    return _page(
        "Topics",
        ["The alignment topics every piece is tagged with.", "\n\n".join(rows)],
        description="All alignment topics, with the number of pieces in each.",
    )


def topic_page(site: Site, topic: Topic, page: int = 1, *, intro: str | None = None) -> str:
    pieces = site.by_topic.get(topic.slug, [])
    chunks = _paged(pieces, site.settings.page_size)
    here = topic_uri(topic.slug, page)
    related = [slug for slug, _ in site.related_topics.get(topic.slug, [])]
    head = [intro if intro is not None and page == 1 else text(topic.description)]
    head.append(
        f'<p class="hub-count" markdown>{_count(len(pieces), "piece")} · [Feed]({markup.rel(here, f"topics/{topic.slug}/feed.xml")}){{ .hub-feed type="application/atom+xml" }}</p>'
    )
    if related:
        head.append("Related topics: " + topic_chips(site, related, here))
    title = topic.title if page == 1 else f"{topic.title} (page {page} of {len(chunks)})"
    return _page(
        title,
        [
            *head,
            cards(site, chunks[page - 1], here),
            pagination(here, page, len(chunks), lambda n: topic_uri(topic.slug, n)),
        ],
        description=topic.description,
    )


def editors_index(site: Site) -> str:
    here = EDITORS
    rows = []
    for editor in site.hub.editors:
        count = len(site.by_editor.get(editor.id, []))
        photo = _photo(editor, here)
        rows.append(
            f'<div class="hub-editor" markdown>\n\n{photo}\n\n{link(editor.name, here, editor_uri(editor.id), classes="hub-card-title")}  \n'
            f"{text(editor.role)} · {_count(count, 'piece')}\n\n</div>"
        )
    return _page(
        "Editors",
        ["The people who write and review the hub.", "\n\n".join(rows) or "No editors yet."],
        description="The hub's editors.",
    )


def _photo(editor: Editor, here: str) -> str:
    if not editor.photo:
        return ""
    if editor.photo.startswith(("https://", "http://")):
        href = markup.safe_href(editor.photo)
        target = href or ""
    else:
        target = markup.rel(here, editor.photo.lstrip("/"))
    if not target:
        return ""
    return f'![{markup.text(editor.name)}]({target}){{ .hub-photo width="96" height="96" }}'


def editor_page(site: Site, editor: Editor, page: int = 1, *, bio: str | None = None) -> str:
    pieces = site.by_editor.get(editor.id, [])
    chunks = _paged(pieces, site.settings.page_size)
    here = editor_uri(editor.id, page)
    links = " · ".join(
        f"[{text(li.title)}]({href})" for li in editor.links if (href := markup.safe_href(li.url))
    )
    parts = [
        _photo(editor, here),
        # attr_list needs the attributes on the line right after the paragraph, not a new block
        f"**{text(editor.role)}**" + (f"  \n{links}" if links else "") + "\n{ .hub-editor-role }",
    ]
    if page == 1:
        parts.append(bio if bio is not None else editor.bio)
    parts += [
        f"## Pieces by {text(editor.name)}" if page == 1 else "",
        f'<p class="hub-count">{_count(len(pieces), "piece")}</p>',
        cards(site, chunks[page - 1], here),
        pagination(here, page, len(chunks), lambda n: editor_uri(editor.id, n)),
    ]
    title = editor.name if page == 1 else f"{editor.name} (page {page} of {len(chunks)})"
    return _page(title, parts, description=editor.role)


def notes_page(site: Site, page: int = 1, *, intro: str | None = None) -> str:
    chunks = _paged(site.notes, site.settings.page_size)
    here = notes_uri(page)
    lede = (
        intro
        if intro is not None and page == 1
        else "Figures and findings from industry analysts, with a link to every original report."
    )
    title = "Analyst notes" if page == 1 else f"Analyst notes (page {page} of {len(chunks)})"
    return _page(
        title,
        [lede, cards(site, chunks[page - 1], here), pagination(here, page, len(chunks), notes_uri)],
        description="Analyst notes: the figures they cite and links to the originals.",
    )


def sources_index(site: Site, *, intro: str | None = None) -> str:
    here = SOURCES
    rows = ["| Source | Kind | Pieces | Last pulled | Status |", "|---|---|---|---|---|"]
    for source in site.hub.sources:
        health = site.health.get(source.id)
        rows.append(
            "| "
            + " | ".join(
                [
                    link(source.name, here, source_uri(source.id)),
                    "Analyst" if source.kind == "analyst" else "Partner",
                    str(len(site.by_source.get(source.id, []))),
                    markup.human_date(health.last_pulled)
                    if health and health.last_pulled
                    else "never",
                    _health_text(source, health),
                ]
            )
            + " |"
        )
    lede = (
        intro
        if intro is not None
        else "The partner blogs and analyst feeds the hub pulls, and how each fared on its last pull."
    )
    return _page(
        "Sources",
        [lede, "\n".join(rows) if site.hub.sources else "No sources configured."],
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
        words += ": " + text(health.message)
    return words


def source_page(site: Site, source: Source, page: int = 1) -> str:
    pieces = site.by_source.get(source.id, [])
    chunks = _paged(pieces, site.settings.page_size)
    here = source_uri(source.id, page)
    health = site.health.get(source.id)
    facts = [f"**{'Analyst firm' if source.kind == 'analyst' else 'Partner'}**"]
    if source.site and (href := markup.safe_href(source.site)):
        facts.append(f"[{text(source.site)}]({href}){{ rel=nofollow }}")
    facts.append(
        "last pulled "
        + (markup.human_date(health.last_pulled) if health and health.last_pulled else "never")
    )
    parts = [
        text(source.description) if source.description and page == 1 else "",
        " · ".join(facts) + "\n{ .hub-source-facts }",
        f'<p class="hub-count">{_count(len(pieces), "piece")}</p>',
        cards(site, chunks[page - 1], here),
        pagination(here, page, len(chunks), lambda n: source_uri(source.id, n)),
    ]
    title = source.name if page == 1 else f"{source.name} (page {page} of {len(chunks)})"
    return _page(title, parts, description=f"Pieces from {source.name}.")


def piece_markdown(site: Site, piece: Piece, markdown: str) -> str:
    """A piece's own Markdown with the hub's byline above and topics and related pieces below."""
    here = piece.src_uri
    meta_line = " · ".join(
        [
            _kind_badge(piece),
            markup.time_tag(piece.date),
            f"{piece.reading_minutes} min read",
            byline(site, piece, here),
        ]
    )
    top = [meta_line, "{ .hub-byline }", ""]
    if piece.kind == "analyst" and piece.figure:
        who = ", ".join(x for x in (piece.analyst, piece.firm) if x)
        top += [
            '<div class="hub-figure" markdown>',
            "",
            f"“{text(piece.figure)}”" + (f"  \n— {text(who)}" if who else ""),
            "",
            "</div>",
            "",
        ]
    bottom = [""]
    if piece.canonical and (href := markup.safe_href(piece.canonical)):
        source = site.hub.source(piece.source or "")
        where = source.name if source else (piece.firm or "the original")
        bottom += [
            f'[Read the original at {text(where)}]({href}){{ .md-button .hub-original rel="nofollow noopener" }}',
            "",
        ]
    if piece.topics:
        bottom += [
            '<div class="hub-topics" markdown>',
            "",
            "Topics: " + topic_chips(site, piece.topics, here),
            "",
            "</div>",
            "",
        ]
    related = site.related_pieces.get(piece.src_uri, [])
    if related:
        # Its own block so that search indexes the piece, not the titles of its neighbours.
        bottom += ['<div class="hub-related" markdown>', "", "## Related", ""]
        bottom += [
            f"- {link(r.title, here, r.src_uri)} <small>{KIND_LABELS[r.kind]} · {markup.human_date(r.date)}</small>"
            for r in related
        ]
        bottom += ["", "</div>"]
    return "\n".join(top) + "\n" + markdown.rstrip("\n") + "\n" + "\n".join(bottom) + "\n"


def redirect_html(target_url: str) -> str:
    """A static page that sends readers (and search engines) from an old topic URL to the new one."""
    safe = markup.attr(target_url)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>Moved</title><meta http-equiv="refresh" content="0; url={safe}">'
        f'<link rel="canonical" href="{safe}"></head>'
        f'<body><p>This topic has moved to <a href="{safe}">{safe}</a>.</p></body></html>'
    )


def generated_pages(site: Site) -> dict[str, str]:
    """Every generated Markdown page, by its path under docs/."""
    pages: dict[str, str] = {
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


def redirects(site: Site, base_url: str) -> dict[str, str]:
    """Static redirect pages for old topic slugs, by path under docs/."""
    return {
        f"topics/{old}/index.html": redirect_html(f"{base_url.rstrip('/')}/topics/{new}/")
        for old, new in site.hub.renamed.items()
    }


def rewrite_handwritten(site: Site, src_uri: str, markdown: str) -> str | None:
    """Markdown for a hand-written page that stands where the hub generates one, or for an editor's file.

    A hand-written topic (or notes, or sources) page keeps its words as the intro and
    gets the listing below; an editor's file gets the role, photo and their pieces.
    """
    for topic in site.hub.topics:
        if src_uri in alternatives(topic_uri(topic.slug)):
            return _body(topic_page(site, topic, 1, intro=markdown))
    if src_uri in alternatives(NOTES):
        return _body(notes_page(site, 1, intro=markdown))
    if src_uri in alternatives(SOURCES):
        return _body(sources_index(site, intro=markdown))
    for editor in site.hub.editors:
        if src_uri == editor.src_uri:
            return _body(editor_page(site, editor, 1, bio=markdown))
    return None


def _body(page: str) -> str:
    """The Markdown of a generated page without its front matter (the hand-written file has its own)."""
    _yaml, body, _line = frontmatter.split(page)
    return body


def titles_for_handwritten(site: Site, src_uri: str) -> str | None:
    """The page title the hub gives a hand-written page that has none (an editor's name)."""
    for editor in site.hub.editors:
        if src_uri == editor.src_uri:
            return editor.name
    return None
