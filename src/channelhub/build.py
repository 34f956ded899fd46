"""One build of the site, independent of the engine: what to add, how to change each page.

The MkDocs hooks hand plain data in (paths, Markdown, HTML) and take plain data out, so a
move to another engine only rewrites hooks/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from channelhub import frontmatter, pages, search
from channelhub.config import Hub, load_hub
from channelhub.content import ContentIndex, Piece, Reader, load_index, url_of
from channelhub.feeds import feeds
from channelhub.health import load_health
from channelhub.markup import Links
from channelhub.pages import Inputs, Site
from channelhub.problems import Problem
from channelhub.sanitize import sanitize_rendered
from channelhub.settings import Settings, pull_enabled
from channelhub.urls import resolve_address

#: a link in rendered Markdown (MkDocs writes href in double quotes)
_ANCHOR = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)


@dataclass
class HubBuild:
    """The hub's part of one build: its generated files and its changes to pages."""

    site: Site
    #: generated page -> the hand-written file that stands in its place (the hand-written one wins)
    replaced: dict[str, str] = field(default_factory=dict)
    #: pages the hub generated this build; their bodies are made as each one renders
    generated: dict[str, pages.Generated] = field(default_factory=dict)
    #: the search index, fed page by page during the render (None when search is off)
    searcher: search.LiveIndex | None = None
    #: hrefs between the build's files (from `set_urls`; the hub's own directory URLs until then)
    links: Links | None = None
    #: marks the HTML parts of a page in its Markdown; unguessable, so no page can forge one
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    #: HTML parts of pages rendered from Markdown and not yet filled in, by page
    fragments: dict[str, list[str]] = field(default_factory=dict)
    #: what the index gets of a piece whose page is made and not yet sent, by page
    search_docs: dict[str, tuple[search.SearchEntry, str]] = field(default_factory=dict)
    #: the front matter of each generated page, as the engine reads it
    sources: dict[str, str] = field(default_factory=dict)
    #: what page bodies read, for their keys (made with the build's URLs on first use)
    inputs: Inputs | None = None
    #: each page's key (`planned`), which also names a piece's text in the search index
    keys: dict[str, str | None] = field(default_factory=dict)
    #: a piece's meta from the hub's reading, from `engine_source` until `page_meta` takes it
    metas: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        root: Path,
        docs_dir: Path,
        settings: Settings,
        *,
        preview: bool = False,
        now: datetime | None = None,
        reader: Callable[[Hub], Reader] | None = None,
        search_state: tuple[Path, str, Path] | None = None,
    ) -> HubBuild:
        """The build as of `now` (default `dates.now()`: NowError for a bad CHANNELHUB_NOW);
        a preview (`serve`) shows the pieces that are not published too, each with a banner.
        `reader` gives the piece reader for the hub (a cached one). With `search_state`
        (`start_search`'s arguments) the search index starts first, taking up the last
        build's index while the content is read."""
        searcher = None
        if search_state is not None and search.enabled():
            searcher = search.LiveIndex(*search_state)
        try:
            hub: Hub = load_hub(root)
            index: ContentIndex = load_index(
                hub,
                docs_dir,
                now=now,
                occupied=partial(pages.page_at, hub, docs_dir),
                read=reader(hub) if reader else None,
            )
        except BaseException:
            if searcher is not None:
                searcher.close()
            raise
        if preview:
            index = index.previewing()
        site = Site(hub=hub, index=index, settings=settings, health=load_health(root))
        return cls(site=site, searcher=searcher)

    def held_files(self) -> list[str]:
        """Pieces this build leaves out (drafts, scheduled, expired), by path under docs/;
        none in a preview."""
        index = self.site.index
        return [] if index.preview else [held.piece.src_uri for held in index.held]

    @property
    def problems(self) -> list[Problem]:
        return sorted(set(self.site.hub.problems) | set(self.site.index.problems))

    def generated_files(
        self, exists: Callable[[str], bool] = lambda _: False
    ) -> dict[str, str | bytes]:
        """Files to add to the build, by path under docs/; a path for which `exists` is true is skipped."""
        out: dict[str, str | bytes] = {}
        self.generated = {}
        for src_uri, page in pages.generated_pages(self.site).items():
            taken = [alt for alt in pages.alternatives(src_uri) if exists(alt)]
            if taken:
                self.replaced[src_uri] = taken[0]
                continue
            self.generated[src_uri] = page
            out[src_uri] = self.sources[src_uri] = page.source()
        out.update(feeds(self.site))
        out.update(pages.redirects(self.site, self.site.settings.site_url or "/"))
        return out

    def set_urls(self, urls: Mapping[str, str]) -> None:
        """The URL of every file in the build (docs/ path -> URL from the site root, e.g. "topics/")."""
        known = dict(urls)
        for (
            generated,
            handwritten,
        ) in self.replaced.items():  # links to a topic reach its hand-written page
            if handwritten in known:
                known.setdefault(generated, known[handwritten])
        self.links = Links(known)

    def _links(self) -> Links:
        if self.links is None:  # outside a build (tests, benchmarks): the hub's own directory URLs
            self.set_urls(
                pages.directory_urls(self.site, [*self.generated, *self.replaced.values()])
            )
        assert self.links is not None
        return self.links

    def link_problems(self) -> list[str]:
        """Links the hub wrote to files that are not in the build, since the last call."""
        links = self.links
        found: list[tuple[str, str]] = []
        if links is not None and links.missing:
            found, links.missing = links.missing, []
        return [f"{here}: links to '{to}', which is not in the build" for here, to in found]

    def page_parts(self, src_uri: str, file_hash: str | None) -> str | None:
        """What the hub adds to a page, as text for the page's key (`file_hash`: the digest
        of its file, None for a page the hub generates): what its decoration or body
        reads (`pages.Inputs`), without making either. None when the page must always be
        rendered: a link the hub writes into it points at no file, and must be warned about
        in every build."""
        if self.inputs is None:
            self.inputs = Inputs(self.site, self._links().urls)
        inputs = self.inputs
        misses = inputs.misses
        parts: list[str] = [
            src_uri,
            self.page_title(src_uri) or "",
            self.canonical_url(src_uri) or "",
        ]
        piece = self.piece(src_uri)
        generated = self.generated.get(src_uri)
        if piece is not None:
            parts += ["piece", pages.decoration_inputs(inputs, piece)]
        elif generated is not None:
            parts += ["generated", self.sources[src_uri], repr(generated.reads(inputs))]
        else:
            rewritten = pages.rewrite_handwritten(self.site, src_uri, "")  # its text: the file
            parts += ["file", repr(rewritten.reads(inputs)) if rewritten else ""]
        if inputs.misses != misses:
            return None
        return repr(parts)  # digested into the page's key with the global key and its file

    def can_keep(self, src_uri: str, key: str) -> bool:
        """Whether the engine may leave a page as it is: a piece only if the search index (when
        there is one) holds it as it is."""
        if self.searcher is None or self.piece(src_uri) is None:
            return True
        return key in self.searcher.known()

    def planned(self, keys: Mapping[str, str | None]) -> None:
        """Each page's key (a piece's names its text in the search index)."""
        self.keys = dict(keys)

    def _search_key(self, src_uri: str) -> str:
        """What identifies a piece's text in the search index: its page's key (a page with
        none is new to the index in every build)."""
        return self.keys.get(src_uri) or f"{self.token}:{src_uri}"

    def piece(self, src_uri: str) -> Piece | None:
        return self.site.pieces_by_uri.get(src_uri)

    def engine_front_matter(self, src_uri: str) -> tuple[str, dict[str, Any]] | None:
        """A piece's front matter as the hub read it (its text) and what the engine makes of
        it (`frontmatter.engine_meta`: new objects, as the engine may change them), so that
        the engine need not parse it again. A build takes it once (`Piece.take_engine`: a
        second call gets None, and the piece no longer holds it); a preview keeps it, as its
        next build gets the same piece back when its file is unchanged, and a page re-rendered
        then (after a nav or listing change) need not be parsed again. None for any other
        page, for a piece read from the last build's cache, and for a front matter the engine
        reads itself."""
        piece = self.piece(src_uri)
        if piece is None:
            return None
        found = piece.engine if self.site.index.preview else piece.take_engine()
        if found is None:
            return None
        text, data = found
        meta = frontmatter.engine_meta(data)
        return (text, meta) if meta is not None else None

    def engine_source(
        self, src_uri: str, read: Callable[[], str], front_matter: re.Pattern[str]
    ) -> str | None:
        """What the engine should read of a piece (its file's text from `read`): the text with
        an empty front matter, the page's meta kept from the hub's own reading for `page_meta`
        (so that the engine does not parse each piece's YAML again); None when the engine must
        read the file itself (no reading kept, a file that cannot be read now, or the engine's
        own `front_matter` split finding another front matter than the hub read)."""
        found = self.engine_front_matter(src_uri)
        if found is None:
            return None
        try:
            text = read()
        except (OSError, ValueError):
            return None  # the engine reads it again and says what is wrong
        split = front_matter.match(text)
        if split is None or split.group(1) != found[0]:
            return None
        self.metas[src_uri] = found[1]  # new objects on every read: the engine may change them
        return "---\n{}\n---\n" + text[split.end() :]

    def page_meta(self, src_uri: str, meta: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """A page's meta as the engine should have it: the hub's reading of a piece's front
        matter when `engine_source` gave the engine none, else `meta`; with the title the hub
        gives a hand-written page that has none."""
        found = self.metas.pop(src_uri, None)
        if found is not None:
            meta = found
        title = self.page_title(src_uri)
        if title and "title" not in meta:
            meta["title"] = title
        return meta

    def page_markdown(self, src_uri: str, markdown: str) -> str | None:
        """The Markdown a page should be rendered from, or None to leave it as it is."""
        if self.piece(src_uri):
            return None  # a piece renders as written; its byline and the rest come in page_html
        page = self.generated.get(src_uri) or pages.rewrite_handwritten(
            self.site, src_uri, markdown
        )
        if page is None:
            return None
        text, self.fragments[src_uri] = page.body(self._links()).markdown(self.token)
        return text

    def page_html(self, src_uri: str, html: str) -> str | None:
        """A page's final content, or None to leave it as rendered.

        A generated page gets its HTML parts back; a piece gets the last sanitizer if it was
        pulled (issue 5), then its byline, topics and related pieces, marked up for search.
        """
        unlinked = self.unlink_held(src_uri, html)
        fragments = self.fragments.pop(src_uri, None)
        if fragments is not None:
            return pages.fill(unlinked, self.token, fragments)
        piece = self.piece(src_uri)
        if not piece:
            return unlinked if unlinked != html else None
        html = unlinked
        if piece.source:
            html = sanitize_rendered(html)
        around = pages.piece_decoration(self.site, self._links(), piece)
        entry = search.SearchEntry.of(piece, self.site.hub)
        text = f"{around.figure}\n{html}" if around.figure else html
        if self.searcher is not None:  # the index gets the piece's text, not what is around it
            self.search_docs[src_uri] = (entry, text)
        top = f"{around.banner}\n{around.byline}" if around.banner else around.byline
        return search.piece_html(f"{top}\n{text}\n{around.bottom}", entry)

    @cached_property
    def _held_urls(self) -> frozenset[str]:
        return frozenset("/" + url_of(uri).rstrip("/") for uri in self.site.index.held_by_uri)

    def unlink_held(self, src_uri: str, html: str) -> str:
        """`html` of the page `src_uri` with each link to a piece this build leaves out (a draft,
        a scheduled or an expired piece: readers would get a 404) replaced by its text."""
        if not self._held_urls or "<a" not in html:
            return html
        here = url_of(src_uri)

        def text_only(found: re.Match[str]) -> str:
            parts = urlsplit(unescape(found.group(1)))
            if parts.scheme or parts.netloc or not parts.path:
                return found.group(0)
            target = resolve_address(here, unquote(parts.path))
            path = ("/" + target).removesuffix("/index.html").rstrip("/")
            return found.group(2) if path in self._held_urls else found.group(0)

        return _ANCHOR.sub(text_only, html)

    def start_search(
        self, state: Path | None = None, fingerprint: str = "", site_dir: Path | None = None
    ) -> None:
        """Start the search index beside the build (not when CHANNELHUB_SEARCH=0 turns it off),
        taking up the last build's index when its `fingerprint` is given (`search.LiveIndex`)."""
        self.stop_search()
        if search.enabled():
            self.searcher = search.LiveIndex(state, fingerprint, site_dir)

    def index_page(self, src_uri: str, url: str) -> None:
        """Send a piece's text (kept by `page_html`) to the index at its URL; other pages are not results."""
        found = self.search_docs.pop(src_uri, None)
        piece = self.piece(src_uri)
        if self.searcher is not None and found is not None and piece is not None:
            self.searcher.add(
                url, *found, key=self._search_key(src_uri), order=search.order_of(piece)
            )

    def write_search(self, site_dir: Path) -> None:
        """Every page is rendered: let the index write its files while the engine writes pages."""
        if self.searcher is not None:
            urls = self._links().urls
            plan = [
                (self._search_key(p.src_uri), search.order_of(p), urls.get(p.src_uri, p.src_uri))
                for p in self.site.index.pieces
            ]
            self.searcher.write(site_dir, plan)

    def search_index(self, site_dir: Path) -> search.IndexReport | None:
        """Wait for the search index in the built site (None when search is off)."""
        if self.searcher is None:
            return None
        live, self.searcher = self.searcher, None
        return live.finish(site_dir)

    def stop_search(self, *, wait: bool = True) -> str:
        """Stop the index of a build that did not finish (a failed build, or the next `mkdocs
        serve` build): without writing, unless it was already writing and `wait` lets it end;
        then the fingerprint of the index it wrote and kept for the next build ("" if none,
        `LiveIndex.abandon`). Without `wait` (the engine shutting down: Ctrl-C must not wait
        for an index to be written) it is killed at once."""
        live, self.searcher = self.searcher, None
        if live is None:
            return ""
        return live.abandon() if wait else live.abandon(timeout=0.0)

    def page_title(self, src_uri: str) -> str | None:
        return pages.titles_for_handwritten(self.site, src_uri)

    def canonical_url(self, src_uri: str) -> str | None:
        """The original post's URL where the source's policy points rel=canonical there."""
        piece = self.piece(src_uri)
        if not piece or not piece.source or not piece.canonical:
            return None
        source = self.site.hub.source(piece.source)
        return piece.canonical if source and source.canonical == "original" else None


def pull_first(root: Path, settings: Settings) -> list[str]:
    """Pull the feeds before the build when the settings (and the environment) say so, and
    what the pull says. Off by default: a normal build never touches the network, nor imports
    the pull's modules (numpy, httpx: 0.3 s)."""
    if not pull_enabled(settings):
        return []
    from channelhub.pull import pull_before_build

    info, warnings = pull_before_build(root)
    return info + warnings


def search_summary(report: search.IndexReport) -> str:
    """What a build says of its search index."""
    return (
        f"search: indexed {report.pages} pages ({report.words} words, {report.terms} distinct, "
        f"{report.shards} shards); wrote it in {report.seconds:.1f} s, the build waited "
        f"{report.waited:.1f} s for it"
    )
