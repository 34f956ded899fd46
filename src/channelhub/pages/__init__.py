"""The hub's generated pages, split by responsibility (as Material's tags plugin is):

* `site`       `Site`: the hub's data and pieces, grouped once per build
* `addresses`  the URL scheme of generated pages and which hand-written file replaces one
* `body`       `Body` and `Generated`: a page's Markdown with its HTML parts kept aside
* `fragments`  the HTML parts: cards, bylines, chips, pagination, a piece's decoration
* `inputs`     what each body reads, for page keys, without making the body
* `builders`   the pages themselves: home, topics, editors, notes, sources, the archive, and
               their listings
* `redirects`  the pages at old addresses: renamed topics, pieces' aliases
"""

from __future__ import annotations

from channelhub.pages.addresses import (
    alternatives,
    archive_uri,
    directory_urls,
    editor_uri,
    notes_uri,
    page_at,
    source_uri,
    topic_uri,
)
from channelhub.pages.body import Body, Generated, fill, placeholder
from channelhub.pages.builders import (
    generated_pages,
    rewrite_handwritten,
    titles_for_handwritten,
)
from channelhub.pages.fragments import Decoration, decoration_inputs, pagination, piece_decoration
from channelhub.pages.inputs import Inputs
from channelhub.pages.redirects import redirects
from channelhub.pages.site import Site

__all__ = [
    "Body",
    "Decoration",
    "Generated",
    "Inputs",
    "Site",
    "alternatives",
    "archive_uri",
    "decoration_inputs",
    "directory_urls",
    "editor_uri",
    "fill",
    "generated_pages",
    "notes_uri",
    "page_at",
    "pagination",
    "piece_decoration",
    "placeholder",
    "redirects",
    "rewrite_handwritten",
    "source_uri",
    "titles_for_handwritten",
    "topic_uri",
]
