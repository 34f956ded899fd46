"""The site's search: an index of the pieces the hub writes itself, sharded so that a reader
fetches only the few small files a query needs.

Owns the tokenizer and the stemmer's use (mirrored in docs/assets/hub-search-engine.js, which
stems with docs/assets/hub-search-stemmer.js), what is indexed of a piece (`analyse`, pure, its
result picklable so that a later build can reuse it), `IndexWriter` (analysed pieces in, files
out), `LiveIndex` (the writer in a child process, fed while MkDocs renders, so it runs on the
second core) and the markup of a piece's indexed part. The search dialog
(overrides/partials/search.html, docs/assets/hub-search.js) loads the engine on the reader's
first search; no search data is sent with a page.

Written here rather than taken from a library: Pagefind, used until issue 8, needed 1.96 GB and
sent 354 KB before the first result for a common word at 10,000 pieces, over both budgets and
with no option to bound either, and no maintained library writes a static, sharded index for
the browser from Python. Stemming is Snowball's English (Porter2) on both sides.

The files, under `search-index/` in the built site:

    manifest.json     {"format": 3, "pieces": N, "average": mean length, "bm25": [k1, b],
                       "length": [base, bits], "span": BLOCK_DOCS, "terms": [first term of
                       each shard], "shards": [name of each shard], "block": B, "records":
                       [name of each record table], "kinds": {slug: label}, "topics": {...}}
    t/<hash>.json     a shard: {"term": [doc - previous doc, tf << bits | length code, ...], ...};
                      a large term: {"term": {"n": postings, "b": [[block, file, postings,
                      [tf, length code, ...]], ...]}}
    b/<hash>.json     a block of a large term: its postings in pieces [i * span, (i + 1) * span),
                      [doc, tf << bits | length code, doc gap, ...]
    r/<hash>.json     a record table: the version of each record of docs [i * B, (i + 1) * B)
    d/<doc>.<v>.json  {"url": ..., "title": ..., "kind": ..., "date": ..., "text": ...}

A term is a word as written (lower case, no accents); `~stem` holds the summed counts of every
word with that Porter2 stem (left out when the only such word is the stem itself); `#kind:K`
and `#topic:T` list the pieces of a kind and of a topic, for the filters. Shards hold
consecutive terms in UTF-16 order (JavaScript's string order), so the client finds a term's
shard by binary search over the first terms. A shard is cut by size on the wire: its terms'
entries, each deflated alone, add up to at most SHARD_BUDGET (a term larger than that alone
has a shard of its own). A term in more than SPLIT_POSTINGS pieces is written as blocks of
BLOCK_DOCS pieces, each a file, its shard holding a summary with each block's best (count,
length code) pairs, from which the engine bounds a block's scores and fetches, for a one-word
query's first results, only the blocks that may hold them. Scores are BM25, computed by the
engine from each posting's count and its piece's length code with N and the average length
from the manifest: a changed piece changes only the shards of its own terms, the blocks of
them that hold it, its record and its record table. Every file but the
manifest is named by its contents, so it can be cached for good; a build writes only the files
that are not there yet and removes those no longer named.

Between builds the writer's state is a SQLite database in the build cache (`IndexWriter`):
each piece's terms and counts, each term's entry and size, and its postings by block, so
that an edit reads, settles and encodes only the blocks of its piece. A piece sent to the
indexer goes there at once, so the indexer holds no piece in memory; when it writes it holds
the postings of the terms that changed (in a clean build, up to SPILL_POSTINGS of them, the
rest in runs on disk) and one shard at a time.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import heapq
import html
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import time
import unicodedata
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelhub.markup import human_date
from channelhub.sandbox import Child

if TYPE_CHECKING:
    from channelhub.config import Hub
    from channelhub.content import Piece

#: folder of the built site that holds the index
BUNDLE_DIR = "search-index"
#: version of the file layout above; the client refuses a manifest of another format
FORMAT = 3
#: seconds the indexer may take to write at the end of the build (10,000 pieces: a few seconds)
DEFAULT_TIMEOUT = 600.0
#: set to 0 to skip the index (e.g. a quick `mkdocs serve` of a huge site); search then says so
ENV_SWITCH = "CHANNELHUB_SEARCH"

#: shortest and longest word indexed (a single letter is a possessive's "s"; a 41-letter word is noise)
MIN_WORD, MAX_WORD = 2, 40
#: a word of the title counts as this many words of the body
TITLE_WEIGHT = 5
#: BM25's term-frequency saturation and length normalisation (the usual values), used by the engine
K1, B = 1.2, 0.75
#: a piece's length is stored as a code c of LENGTH_BITS bits, length ~ LENGTH_BASE ** c (within 5 %)
LENGTH_BASE, LENGTH_BITS = 1.1, 7
#: a posting is one integer while indexing: the piece's number, shifted left by this, or'd with the count
COUNT_BITS = 20
MAX_COUNT = (1 << COUNT_BITS) - 1
#: a shard holds terms whose entries, each deflated alone, add up to at most this many bytes
#: (gzipped whole, the shard is smaller); a term whose entry alone is larger gets a shard of
#: its own. The bench's upper bound for a one-word query is about 12 shards.
SHARD_BUDGET = 18_000
#: what gzip adds around a shard: its header and trailer, the braces, a block's end
_GZIP_FRAME = 24
#: postings (8 bytes each) an update holds before it moves them to disk; a clean build of
#: 10,000 synthetic pieces has about 2.8 million
SPILL_POSTINGS = 2_000_000
#: pieces per record table
RECORD_BLOCK = 512
#: a term's postings are kept, and a large term's are written, in blocks of the pieces numbered
#: [i * BLOCK_DOCS, (i + 1) * BLOCK_DOCS): an edit re-encodes only the block of its piece
BLOCK_DOCS = 1024
#: a term with more postings than this is written as blocks (`b/`), its shard holding only a
#: summary of them; a smaller one is written whole in its shard
SPLIT_POSTINGS = 1024
#: version of what `IndexWriter.save` keeps for the next build (4: postings kept in blocks;
#: 5: a block's file encoded again from its postings, not kept; a term as blocks has no size)
STATE_FORMAT = 5
#: what a kept state must have been written with: the index's and the state's formats, and the
#: zlib whose compressed sizes cut the shards (another zlib may cut them elsewhere, and an
#: incremental index would then differ from a clean one)
_STATE_VERSION = f"{FORMAT}.{STATE_FORMAT}.zlib-{zlib.ZLIB_RUNTIME_VERSION}"
#: the marks of the terms that are not words (a query word is letters and digits only)
STEM_MARK, FILTER_MARK = "~", "#"

_WORD = re.compile(r"[^\W_]{2,}")  # letters and digits: JavaScript's [\p{L}\p{N}]+
# Porter2 leaves shorter words alone; words of other scripts are not English
_STEMMABLE = re.compile(r"[a-z]{3,}")
# a tag, with quoted attribute values that may hold ">" (the sanitizer's output keeps them raw)
_ATTRIBUTES = r"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>"""
_TAG = re.compile("<" + _ATTRIBUTES)
# a tag that starts or ends a block a reader sees apart: paragraph, heading, list item, table cell
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|dt|dd|tr|td|th|caption|blockquote|pre|figcaption|br|hr|table|ul|ol"
    r"|dl|section|details|summary)\b" + _ATTRIBUTES,
    re.I,
)
_HIDDEN = re.compile(r"<!--.*?(?:-->|$)|<(script|style|template)\b.*?</\1\s*>", re.S | re.I)
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)


@functools.cache
def _english() -> Any:
    """The Snowball English stemmer, made when the indexer first stems: the build's own process
    never does, and importing the package imports all its languages (13 ms of every build)."""
    # the generated class itself: snowballstemmer.stemmer() would pick PyStemmer (Snowball 3) if installed
    from snowballstemmer.english_stemmer import EnglishStemmer

    return EnglishStemmer()


class SearchIndexError(Exception):
    """The search index could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class SearchEntry:
    """What a search result shows about a piece, beyond the excerpt the client makes, and what
    the filters narrow by."""

    title: str
    kind_label: str  # Editorial | Partner | Analyst note
    date_label: str  # as readers see it, e.g. 14 January 2026
    kind: str = ""  # editorial | partner | analyst
    topics: tuple[tuple[str, str], ...] = ()  # (slug, title) of each of its topics

    @classmethod
    def of(cls, piece: Piece, hub: Hub) -> SearchEntry:
        """A piece's entry, as the build makes it (and scripts/bench-index, to measure that)."""
        return cls(
            title=piece.title,
            kind_label=piece.kind_label,
            date_label=human_date(piece.date),
            kind=piece.kind,
            topics=tuple(
                (slug, topic.title) for slug in piece.topics if (topic := hub.topic(slug))
            ),
        )


def order_of(piece: Piece) -> str:
    """Where a piece goes in the index: pieces are numbered oldest first (then by path), so
    the pieces a pull brings take the next numbers and no other piece's number changes."""
    return f"{piece.date.astimezone(UTC):%Y%m%d%H%M%S%f} {piece.src_uri}"


@dataclass(frozen=True)
class PieceTerms:
    """What the index keeps of one piece: made by `analyse` from its rendered HTML, picklable,
    so that a build may keep it for a piece that did not change and feed `add_analysed`."""

    entry: SearchEntry
    #: what a reader sees, each block (paragraph, cell, item, heading) on a line of its own
    text: str
    #: word -> times in the text + TITLE_WEIGHT x times in the title
    counts: dict[str, int] = field(hash=False)
    #: words in the text + TITLE_WEIGHT x words in the title
    length: int


@dataclass(frozen=True)
class IndexReport:
    """What one build's index holds, and how long the build waited for it at the end."""

    pages: int
    words: int  # words indexed over all pages
    terms: int  # distinct terms (words, stems, filters)
    shards: int
    seconds: float  # writing the files
    bundle: Path
    waited: float = 0.0  # how long the build waited for them at its end
    written: int = 0  # files written (the others were there already, named by their contents)
    removed: int = 0  # files of an earlier build no longer named
    fingerprint: str = ""  # of the index written: what the next build's `IndexWriter.load` wants


def enabled(environ: dict[str, str] | None = None) -> bool:
    """False when CHANNELHUB_SEARCH=0 asks to skip the index."""
    value = (environ if environ is not None else dict(os.environ)).get(ENV_SWITCH, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


def piece_html(content: str, entry: SearchEntry) -> str:
    """A piece's rendered content under its title, as the page's one h1 (Material then leaves out its own)."""
    heading = "" if "<h1" in content else f"<h1>{html.escape(entry.title)}</h1>\n"
    return f'<div class="hub-piece-body">\n{heading}{content}\n</div>'


# ---------------------------------------------------------------- words


def normalize(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" are one word (JavaScript: NFKD, drop \\p{M},
    toLowerCase, final sigma as any sigma, so that a capitalised prefix finds the longer word)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
        return text.lower().replace("ς", "σ")
    return text.lower()


def words(text: str) -> list[str]:
    """The indexed words of a text, in order (a query is split the same way)."""
    return [w for w in _WORD.findall(normalize(text)) if len(w) <= MAX_WORD]


@functools.lru_cache(maxsize=1 << 17)
def stem(word: str) -> str:
    """The Porter2 stem of an indexed word of three or more letters a-z; any other word is its own
    stem (JavaScript: `stem` in hub-search-engine.js, with the same algorithm)."""
    return _english().stemWord(word) if _STEMMABLE.fullmatch(word) else word


def html_text(fragment: str) -> str:
    """The text a reader sees in rendered HTML, one line per block (paragraph, heading, list item,
    table cell): tags, comments, scripts and heading anchors dropped."""
    fragment = _HEADERLINK.sub(" ", _HIDDEN.sub(" ", fragment))
    text = html.unescape(_TAG.sub(" ", _BLOCK_TAG.sub("\n", fragment)))
    return "\n".join(line for line in (" ".join(part.split()) for part in text.split("\n")) if line)


def length_code(length: int) -> int:
    """A piece's length in LENGTH_BITS bits: the nearest power of LENGTH_BASE."""
    if length <= 1:
        return 0
    return min(round(math.log(length) / math.log(LENGTH_BASE)), (1 << LENGTH_BITS) - 1)


def analyse(entry: SearchEntry, content_html: str) -> PieceTerms:
    """What the index keeps of a piece: its text, and how often each word is in it (a pure function)."""
    text = html_text(content_html)
    counts = Counter(_WORD.findall(normalize(text)))
    title = Counter(words(entry.title))
    length = sum(counts.values()) + TITLE_WEIGHT * sum(title.values())
    for word, count in title.items():
        counts[word] += TITLE_WEIGHT * count
    if counts and (max(map(len, counts)) > MAX_WORD or max(counts.values()) > MAX_COUNT):
        counts = Counter({w: min(c, MAX_COUNT) for w, c in counts.items() if len(w) <= MAX_WORD})
    return PieceTerms(entry=entry, text=text, counts=dict(counts), length=length)


def _utf16(term: str) -> bytes:
    return term.encode("utf-16-be")  # byte order of UTF-16-BE is JavaScript's string order


def _name(data: bytes, size: int) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


# ---------------------------------------------------------------- the index


#: in one transaction: each statement on its own was a commit, and each commit waits for the
#: disk three times (fdatasync), 18 times in all for a new search index
_SCHEMA = """
begin;
create table if not exists meta (name text primary key, value text not null);
create table if not exists docs (
    number integer primary key, key text not null unique, ord text not null, url text not null,
    version text not null, length integer not null, kind text not null,
    kind_label text not null, topics text not null, terms text not null, counts blob not null);
create table if not exists staging.added (
    key text primary key, ord text not null, url text not null, version text not null,
    length integer not null, kind text not null, kind_label text not null,
    topics text not null, terms text not null, counts blob not null, record blob not null);
create table if not exists terms (
    k blob primary key, term text not null, stem text, entry text not null,
    size integer) without rowid;
create index if not exists terms_by_stem on terms (stem);
create table if not exists parts (
    k blob not null, part integer not null, postings blob not null, count integer not null,
    name text, top text, primary key (k, part)) without rowid;
commit;
"""
_DOC_COLUMNS = "key, ord, url, version, length, kind, kind_label, topics, terms, counts"
#: the index's folders: shards, blocks of large terms, records, record tables
_FOLDERS = ("t", "b", "d", "r")
#: how `_emit` hands a file over: its path and its bytes, or a function that reads them
_Put = Callable[[str, "bytes | Callable[[], bytes]"], None]


def _blocks_version() -> str:
    """How a kept state cuts postings into blocks: another cut is another state."""
    return f"{BLOCK_DOCS}.{SPLIT_POSTINGS}"


def _open(path: Path | None) -> sqlite3.Connection:
    """The state's database (a private temporary one without a path), in a transaction: what a
    build changes is kept only when `save` commits it with the fingerprint of the index written."""
    db = sqlite3.connect(str(path) if path is not None else "", isolation_level=None)
    # pieces sent, until written: not kept, beside the state rather than in the system's
    # temporary folder (which may be memory, or small)
    staging = _staging(path)
    if staging:
        with contextlib.suppress(OSError):
            os.unlink(staging)  # left by a build that was killed
    db.execute("attach database ? as staging", (staging,))
    db.execute("pragma staging.journal_mode = memory")  # never kept: no journal file
    db.execute("pragma busy_timeout = 30000")
    db.execute("pragma cache_size = -16000")  # 16 MB of pages
    db.execute("pragma synchronous = normal")
    db.executescript(_SCHEMA)
    db.execute("begin")
    return db


def _staging(path: Path | None) -> str:
    return f"{path}-staging" if path is not None else ""


def remove_state(path: Path) -> None:
    """Remove an indexer's state at `path` with its journal and staging file, if any."""
    for name in (str(path), f"{path}-journal", _staging(path)):
        with contextlib.suppress(OSError):
            os.unlink(name)


class IndexWriter:
    """Analysed pieces in, the files of the index out; its state kept on disk in SQLite (a
    private temporary database when no path is given), so that memory does not grow with the
    number of pieces and a later build counts and serializes again only what changed.

    Pieces are numbered in the order each was given (a build gives a piece's date, then its
    URL): a new piece, dated after the others, takes the next number and no other moves, so an
    edit or a pull changes the postings of its own words, its record and its record table only.
    The files are the same whatever the last index was: a clean build and a build that starts
    from the last index write the same bytes.

    On disk (`_SCHEMA`): each piece of the index with its words and counts (`docs`), and each
    term with its entry (its postings, read back when they change) and the entry's compressed
    size (`terms`, keyed by the term's UTF-16 bytes, so the shards are read in the client's
    order). Each piece sent since the last write waits with its record in a private temporary
    database (`staging.added`), which the state does not keep. In memory while writing: the
    postings of the terms the change touches (8 bytes a posting; a clean build moves them to
    disk past SPILL_POSTINGS) and one shard.
    """

    def __init__(self, path: Path | None = None, *, kept: str = "") -> None:
        """A new state at `path`, or with `kept`, the state a build kept there for the index
        whose fingerprint that is, opened as it is (`load` checks that it is that index)."""
        if path is not None and not kept:  # a new state: nothing of an old one may remain
            remove_state(path)
        self._db = _open(path)
        self.terms = 0  # distinct terms written, once `write` has run
        self.fingerprint = kept  # of the last index written (its manifest)
        self._moved: dict[str, str] = {}  # key -> where its record was in the last index
        self._count = 0
        self._kept_blocks: set[str] | None = None  # the last index's block files, once checked

    @property
    def words(self) -> int:
        return int(self._db.execute("select coalesce(sum(length), 0) from docs").fetchone()[0])

    def keys(self) -> frozenset[str]:
        """The keys of the pieces the index holds."""
        return frozenset(key for (key,) in self._db.execute("select key from docs"))

    def add(
        self, url: str, entry: SearchEntry, content_html: str, *, key: str = "", order: str = ""
    ) -> None:
        """Index one piece: its title and the text of its rendered content, found at `url` (from
        the site root). Without `order`, pieces are numbered as they come."""
        self.add_analysed(url, analyse(entry, content_html), key=key, order=order)

    def add_analysed(self, url: str, terms: PieceTerms, *, key: str = "", order: str = "") -> None:
        """Index one piece from what `analyse` made of it; `key` names what it says (a piece of
        the last index with the same key is the same piece). It goes to disk at once."""
        self._count += 1
        entry = terms.entry
        record = _record(url, entry, terms.text)
        counts = dict(terms.counts)
        filters = [f"kind:{entry.kind}"] if entry.kind else []
        filters += [f"topic:{slug}" for slug, _title in entry.topics]
        for name in dict.fromkeys(filters):
            counts[FILTER_MARK + name] = 1
        self._db.execute(
            f"insert or replace into added ({_DOC_COLUMNS}, record) values (?,?,?,?,?,?,?,?,?,?,?)",
            (
                key or f"\x00{self._count}",
                order or f"{self._count:012d}",
                url,
                _name(record, 4),
                terms.length,
                entry.kind,
                entry.kind_label,
                "\n".join(f"{slug}\t{title}" for slug, title in entry.topics),
                "\n".join(counts),
                array("I", counts.values()).tobytes(),
                record,
            ),
        )

    def update(self, plan: list[tuple[str, str, str]] | None = None) -> None:
        """Make the index hold the pieces of `plan` (key, order, url): each one added since the
        last update, or one of the last index with the same key. Without a plan: the last
        index's pieces and those added."""
        db = self._db
        old = db.execute("select key, ord, url from docs order by number").fetchall()
        added = {k: (o, u) for k, o, u in db.execute("select key, ord, url from added")}
        if plan is None:
            known = {key: (key, order, url) for key, order, url in old}
            known.update({key: (key, order, url) for key, (order, url) in added.items()})
            plan = list(known.values())
        numbers = {key: number for number, (key, _o, _u) in enumerate(old)}
        for key, order, url in plan:
            if key in added:
                if added[key] != (order, url):  # where the plan puts it, and its record's URL
                    self._moved_to(key, order, url)
                continue
            if key not in numbers:
                raise SearchIndexError(f"{url}: neither sent to the index nor in its last build")
            _key, before_order, before_url = old[numbers[key]]
            if (before_order, before_url) != (order, url):  # its record says another URL
                raise SearchIndexError(f"{url}: kept from the last build at {before_url}")
        new = sorted((tuple(item) for item in plan), key=lambda item: (item[1], item[2]))
        first = 0  # pieces before it keep their numbers
        while first < min(len(old), len(new)) and old[first][1:] == new[first][1:]:
            first += 1
        changed = [i for i in range(first) if new[i][0] != old[i][0]]
        if not changed and first == len(old) == len(new):
            return  # the same pieces in the same places
        del old
        postings = _Postings(db, fresh=not numbers)
        # take the pieces that change or move out of the postings of their terms
        for number in changed:
            terms, _counts = _doc_terms(db, "number = ?", number)
            postings.take_out(terms, number)
        moving: set[str] = set()
        for (terms,) in db.execute("select terms from docs where number >= ?", (first,)):
            moving.update(terms.split("\n") if terms else ())
        postings.cut(moving, first)
        # then put each piece in its place: a piece sent from what was sent, a kept one renumbered
        db.executemany("delete from docs where number = ?", [(number,) for number in changed])
        db.execute("update docs set number = -1 - number where number >= ?", (first,))
        places = [(number, new[number][0]) for number in [*changed, *range(first, len(new))]]
        sent = [(number, key) for number, key in places if key in added]
        kept = [(number, key) for number, key in places if key not in added]
        again = [(key,) for _number, key in sent if key in numbers]  # sent again: the same piece
        db.executemany("delete from docs where key = ?", again)
        db.executemany(
            f"insert into docs (number, {_DOC_COLUMNS}) select ?, {_DOC_COLUMNS} "
            "from added where key = ?",
            sent,
        )
        if kept:
            was = {
                k: (-1 - n, v) for k, n, v in db.execute("select key, number, version from docs")
            }
            for number, key in kept:
                before, version = was[key]
                if before != number:  # renumbered: its record file gets another name
                    self._moved.setdefault(key, f"d/{before}.{version}.json")
            db.executemany("update docs set number = ? where key = ?", kept)
        db.execute("delete from docs where number < 0")  # pieces no longer in the index
        for number in changed:
            terms, counts = _doc_terms(db, "number = ?", number)
            postings.put_in(terms, counts, number, in_order=False)
        postings.settle()  # before the pieces from `first` on are appended in order
        rows = db.execute(
            "select number, terms, counts from docs where number >= ? order by number", (first,)
        )
        for number, text, blob in rows:
            counts = array("I")
            counts.frombytes(blob)
            postings.put_in(text.split("\n") if text else [], counts, number, in_order=True)
            if postings.held > SPILL_POSTINGS:
                postings.spill()
        self._serialize(postings)
        postings.close()

    def _moved_to(self, key: str, order: str, url: str) -> None:
        """A piece sent at one URL that the plan puts at another: its record names the plan's."""
        (record,) = self._db.execute("select record from added where key = ?", (key,)).fetchone()
        fields = json.loads(record)
        fields["url"] = url.lstrip("/")
        data = json.dumps(fields, ensure_ascii=False).encode()
        self._db.execute(
            "update added set ord = ?, url = ?, record = ?, version = ? where key = ?",
            (order, url, data, _name(data, 4), key),
        )

    def _serialize(self, postings: _Postings) -> None:
        """Keep the blocks that changed of every term touched, and of their stems, and each such
        term's entry; forget the terms left without postings. Words go by stem, so that a stem's
        blocks are summed from the postings at hand, and each word's are let go once its stem
        is done. Only the blocks of the pieces that changed are read, summed and encoded again."""
        db = self._db
        codes = _codes(db)
        parts_of: dict[str, set[int]] = {}
        for part, terms in postings.touched.items():
            for term in terms:
                parts_of.setdefault(term, set()).add(part)
        groups: dict[str | None, list[str]] = {}
        for term in parts_of:
            root = None if term.startswith(FILTER_MARK) else stem(term)
            groups.setdefault(root, []).append(term)
        for term in sorted(groups.pop(None, [])):  # the filters
            found = {part: postings.full(term, part) for part in sorted(parts_of[term])}
            self._keep(term, None, found, codes, whole=postings.fresh)
        for root in sorted(groups):  # type: ignore[type-var]
            assert root is not None
            at_hand = {
                word: {part: postings.full(word, part) for part in sorted(parts_of[word])}
                for word in sorted(groups[root])
            }
            for word, found in at_hand.items():
                self._keep(word, root, found, codes, whole=postings.fresh)
            term = STEM_MARK + root
            if postings.fresh:  # every word of the stem is at hand
                members = [word for word, found in at_hand.items() if any(found.values())]
            else:
                rows = db.execute("select term from terms where stem = ?", (root,))
                members = [word for (word,) in rows]
            if not members or members == [root]:
                self._keep(term, None, {}, codes)  # the engine reads the word itself
                continue
            if len(members) == 1:
                (word,) = members
                entry = (
                    f"{json.dumps(term, ensure_ascii=False)}:{json.dumps(word, ensure_ascii=False)}"
                )
                self._keep(term, None, {}, codes, entry=entry)
                continue
            keys = [_utf16(word) for word in members]
            marks = ",".join("?" * len(keys))
            summed_before = (
                not postings.fresh
                and db.execute(
                    "select 1 from parts where k = ? limit 1", (_utf16(term),)
                ).fetchone()
            )
            if summed_before or postings.fresh:  # the blocks the change touched
                wanted = set().union(*(found.keys() for found in at_hand.values()))
            else:  # a stem summed for the first time: every block of its words
                rows = db.execute(f"select distinct part from parts where k in ({marks})", keys)
                wanted = {part for (part,) in rows}
            sums: dict[int, array[int]] = {}
            for part in sorted(wanted):
                summed: Counter[int] = Counter()
                for word, key in zip(members, keys, strict=True):
                    block = at_hand.get(word, {}).get(part)
                    if block is None:
                        row = db.execute(
                            "select postings from parts where k = ? and part = ?", (key, part)
                        ).fetchone()
                        block = _unpack(row[0] if row else b"")
                    for posting in block:
                        summed[posting >> COUNT_BITS] += posting & MAX_COUNT
                sums[part] = array(
                    "Q",
                    [
                        doc << COUNT_BITS | min(count, MAX_COUNT)
                        for doc, count in sorted(summed.items())
                    ],
                )
            self._keep(term, None, sums, codes, whole=not summed_before)

    def _keep(
        self,
        term: str,
        root: str | None,
        found: dict[int, array[int]],
        codes: bytes,
        *,
        entry: str = "",
        whole: bool = False,
    ) -> None:
        """Keep a term's blocks that changed (`found`: block number -> its postings, every
        block of the term when `whole`; none: every block goes) and its entry: its postings
        whole when it has at most SPLIT_POSTINGS, else a summary of its blocks, each written
        as a file (a stem's pointer to its one word when `entry` is given); or forget a term
        left without postings. Only a large term's changed blocks are encoded again."""
        db = self._db
        key = _utf16(term)
        if entry or not found:
            db.execute("delete from parts where k = ?", (key,))
            found = {}
        gone = [(key, part) for part, postings in found.items() if not postings]
        if gone:
            db.executemany("delete from parts where k = ? and part = ?", gone)
        # block -> [count, name, top]: the changed ones, then the others
        rows: dict[int, list[Any]] = {
            part: [len(postings), None, None] for part, postings in found.items() if postings
        }
        if not whole and not entry:
            kept = db.execute("select part, count, name, top from parts where k = ?", (key,))
            for part, *row in kept.fetchall():
                if part not in found:
                    rows[part] = row
        renamed = []  # the unchanged blocks whose name and bound change

        def postings_of(part: int) -> array[int]:
            if part in found:
                return found[part]
            (blob,) = db.execute(
                "select postings from parts where k = ? and part = ?", (key, part)
            ).fetchone()
            return _unpack(blob)

        if not entry and not rows:
            db.execute("delete from terms where k = ?", (key,))
            return
        blocked = not entry and sum(row[0] for row in rows.values()) > SPLIT_POSTINGS
        if blocked:
            df, blocks = 0, []
            for part in sorted(rows):
                row = rows[part]
                if row[1] is None:  # a file for it (`_emit` encodes it again), and its bound
                    text, values = _block(postings_of(part), codes)
                    row[1:] = [_name(text.encode(), 6), _top(values)]
                    if part not in found:
                        renamed.append((*row[1:], key, part))
                df += row[0]
                blocks.append(f'[{part},"{row[1]}",{row[0]},{row[2]}]')
            entry = f'{json.dumps(term, ensure_ascii=False)}:{{"n":{df},"b":[{",".join(blocks)}]}}'
        elif not entry:  # written whole
            every = array("Q")
            for part in sorted(rows):
                every.extend(postings_of(part))
                if rows[part][1] is not None:  # a block file of the term when it was larger
                    renamed.append((None, None, key, part))
            entry = f"{json.dumps(term, ensure_ascii=False)}:{_block(every, codes)[0]}"
        db.executemany(
            "insert or replace into parts values (?,?,?,?,?,?)",
            [(key, part, found[part].tobytes(), *rows[part]) for part in rows if part in found],
        )
        if renamed:
            db.executemany("update parts set name = ?, top = ? where k = ? and part = ?", renamed)
        db.execute(
            "insert or replace into terms values (?,?,?,?,?)",
            (key, term, root, entry, None if blocked else _wire_size(entry)),
        )

    def files(self) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        """The manifest and every file whose bytes are at hand (path under the bundle, bytes),
        in a fixed order: all of them for an index built from nothing (for tests)."""
        self.update()
        out: dict[str, bytes] = {}

        def put(path: str, data: bytes | Callable[[], bytes]) -> None:
            if path not in out:
                out[path] = data() if callable(data) else data

        manifest = self._emit(put, None)
        return manifest, list(out.items())

    def _emit(self, put: _Put, bundle: Path | None) -> dict[str, Any]:
        """Hand every file of the index to `put`, one at a time, and return the manifest: each
        shard, each block of a large term (its bytes read only if `put` calls for them), each
        record at hand (and, with the `bundle` of the last index, each record that moved there
        under another number), each record table. A record that is on disk already is named in
        the manifest and not handed over unless `bundle` says otherwise."""
        db = self._db
        shards, firsts = self._shards(put)
        rows = db.execute("select k, part, name from parts where name is not null order by k, part")
        blocks = rows.fetchall()
        codes = _codes(db) if blocks else b""
        for key, part, name in blocks:
            put(f"b/{name}.json", functools.partial(self._block_bytes, key, part, codes))
        self.terms = int(db.execute("select count(*) from terms").fetchone()[0])
        tables: list[str] = []
        versions: list[str] = []
        kinds: dict[str, str] = {}
        topics: dict[str, str] = {}
        count = 0
        rows = db.execute(
            "select d.number, d.key, d.version, d.kind, d.kind_label, d.topics, a.record "
            "from docs d left join added a on a.key = d.key and a.version = d.version "
            "order by d.number"
        )
        for number, key, version, kind, kind_label, topic_list, record in rows:
            count += 1
            path = f"d/{number}.{version}.json"
            if record is not None:
                put(path, record)
            elif bundle is not None and key in self._moved:
                put(path, _record_at(bundle, self._moved[key], version))
            if kind:
                kinds.setdefault(kind, kind_label)
            for line in topic_list.split("\n") if topic_list else ():
                slug, title = line.split("\t", 1)
                topics.setdefault(slug, title)
            versions.append(version)
            if len(versions) == RECORD_BLOCK:
                tables.append(_table(put, versions))
                versions = []
        if versions:
            tables.append(_table(put, versions))
        words = self.words
        return {
            "format": FORMAT,
            "pieces": count,
            "average": round(words / count, 2) if count else 1.0,
            "bm25": [K1, B],
            "length": [LENGTH_BASE, LENGTH_BITS],
            "span": BLOCK_DOCS,
            "terms": firsts,
            "shards": shards,
            "block": RECORD_BLOCK,
            "records": tables,
            "kinds": dict(sorted(kinds.items())),
            "topics": dict(sorted(topics.items(), key=lambda item: item[1].lower())),
        }

    def _block_bytes(self, key: bytes, part: int, codes: bytes) -> bytes:
        """A block file's bytes, encoded again from its postings (as `_keep` did to name it):
        a tenth of the state at 3,000 pieces to keep, a twentieth of a clean build's CPU to
        encode again, and an edit encodes only its own blocks."""
        (blob,) = self._db.execute(
            "select postings from parts where k = ? and part = ?", (key, part)
        ).fetchone()
        return _block(_unpack(blob), codes)[0].encode()

    def _shards(self, put: _Put) -> tuple[list[str], list[str]]:
        """Cut the terms' entries, in the client's order, into shards of consecutive terms whose
        compressed sizes add up to at most SHARD_BUDGET (a term larger than that alone, or
        written as blocks, gets a shard of its own: the engine expands the word being typed
        only when its longer words fill few shards); hand each to `put`. Returns the shards'
        names and first terms."""
        names: list[str] = []
        firsts: list[str] = []
        current: list[str] = []
        size = 0

        def close() -> None:
            data = ("{" + ",".join(current) + "}").encode()
            names.append(_name(data, 6))
            put(f"t/{names[-1]}.json", data)

        for term, entry, size_or_none in self._db.execute(
            "select term, entry, size from terms order by k"
        ):
            wire = SHARD_BUDGET if size_or_none is None else size_or_none  # None: as blocks
            if current and size + wire > SHARD_BUDGET - _GZIP_FRAME:
                close()
                current, size = [], 0
            if not current:
                firsts.append(term)
            current.append(entry)
            size += wire
        if current:
            close()
        return names, firsts

    def write(self, site_dir: Path) -> IndexReport:
        """Write the index into the built site: the files the last complete index (the manifest
        on disk) does not already name, then the manifest, then remove the files no longer named.

        A file is trusted only once a manifest names it, so a write killed half-way leaves
        nothing that the next write would keep: it writes those files again."""
        started = time.monotonic()
        self.update()  # no pieces yet: an empty index, and search finds nothing
        bundle = site_dir / BUNDLE_DIR
        for folder in _FOLDERS:
            (bundle / folder).mkdir(parents=True, exist_ok=True)
        complete = _named(bundle, self._kept_blocks)
        self._kept_blocks = None  # from now on, what the manifest names
        named: set[str] = set()
        written = 0

        def put(path: str, data: bytes | Callable[[], bytes]) -> None:
            nonlocal written
            if path in named:  # two terms' blocks alike: one file
                return
            named.add(path)
            if path not in complete:  # named by its contents: the same bytes
                (bundle / path).write_bytes(data() if callable(data) else data)
                written += 1

        manifest = self._emit(put, bundle)
        for number, version in self._db.execute("select number, version from docs"):
            path = f"d/{number}.{version}.json"
            if path not in named:  # neither at hand nor moved: the last index must have it
                if path not in complete:
                    raise SearchIndexError(
                        f"the search index in {bundle} lacks {path}: build again with --clean"
                    )
                named.add(path)
        text = json.dumps(manifest, ensure_ascii=False)
        temporary = bundle / ".manifest.json.partial"
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(bundle / "manifest.json")
        removed = _remove_stale(bundle, named)
        self._db.execute("delete from added")
        self._moved.clear()
        self.fingerprint = _name(text.encode(), 16)
        return IndexReport(
            pages=manifest["pieces"],
            words=self.words,
            terms=self.terms,
            shards=len(manifest["terms"]),
            seconds=time.monotonic() - started,
            bundle=bundle,
            written=written,
            removed=removed,
            fingerprint=self.fingerprint,
        )

    def save(self) -> None:
        """Keep this index for the next build (after `write`): committed whole or not at all."""
        self._db.execute(
            "insert or replace into meta values ('format', ?), ('fingerprint', ?), ('blocks', ?)",
            (_STATE_VERSION, self.fingerprint, _blocks_version()),
        )
        self._db.execute("commit")
        self._db.execute("begin")

    def close(self) -> None:
        """Drop what was not saved, and the database connection."""
        with contextlib.suppress(sqlite3.Error):
            attached = self._db.execute("pragma database_list").fetchall()
            self._db.close()
            for _seq, name, file in attached:
                if name == "staging" and file:
                    with contextlib.suppress(OSError):
                        os.unlink(file)

    @classmethod
    def load(cls, path: Path, fingerprint: str, bundle: Path) -> IndexWriter | None:
        """The index a build kept (`save`), if it is the one whose manifest has `fingerprint`
        and the site's index on disk is that index, complete; else None."""
        if not fingerprint or not path.is_file():
            return None
        try:
            writer = cls(path, kept=fingerprint)
        except sqlite3.Error:
            return None
        try:
            meta = dict(writer._db.execute("select name, value from meta"))
            on_disk = (bundle / "manifest.json").read_bytes()
            if (
                meta.get("format") != _STATE_VERSION
                or meta.get("blocks") != _blocks_version()
                or meta.get("fingerprint") != fingerprint
            ):
                raise ValueError("another index")
            if _name(on_disk, 16) != fingerprint or not writer._intact(bundle, json.loads(on_disk)):
                raise ValueError("not the index on disk")
        except (sqlite3.Error, OSError, ValueError, TypeError, KeyError, IndexError):
            writer.close()
            return None
        return writer

    def _intact(self, bundle: Path, manifest: dict[str, Any]) -> bool:
        """Whether every file the manifest names is on disk with the bytes its name says, and
        its records are this state's (paths as strings: pathlib costs more than the reading)."""
        root = str(bundle)
        for name in manifest["shards"]:
            if _name(_read(f"{root}/t/{name}.json"), 6) != name:
                return False
        rows = self._db.execute("select number, version from docs order by number")
        versions = [version for _number, version in rows]
        if manifest["pieces"] != len(versions) or manifest["block"] != RECORD_BLOCK:
            return False
        for block, name in enumerate(manifest["records"]):
            data = (bundle / "r" / f"{name}.json").read_bytes()
            start = block * RECORD_BLOCK
            if _name(data, 8) != name or json.loads(data) != versions[start : start + RECORD_BLOCK]:
                return False
        for number, version in enumerate(versions):
            if _name(_read(f"{root}/d/{number}.{version}.json"), 4) != version:
                return False
        blocks = {n for (n,) in self._db.execute("select name from parts where name is not null")}
        for name in blocks:
            if _name(_read(f"{root}/b/{name}.json"), 6) != name:
                return False
        self._kept_blocks = blocks  # the last index's, as its shards name them
        return True


#: changes to a block settled one at a time (more are merged in one pass)
_FEW = 8


class _Postings:
    """The postings of the blocks an update touches, read from the state as they are needed:
    block -> term -> doc << COUNT_BITS | count, by doc. Pieces put in in order (a clean build:
    all of them) may pass SPILL_POSTINGS: then what is held moves to a temporary table of runs,
    and `full` joins a block's runs again when it is written."""

    def __init__(self, db: sqlite3.Connection, *, fresh: bool = False) -> None:
        self._db = db
        self.fresh = fresh  # the state holds no term yet (a clean build)
        self.loaded: dict[int, dict[str, array[int]]] = {}
        self.touched: dict[int, set[str]] = {}  # block -> terms whose block changes
        self.held = 0  # postings put in since the last spill
        self._spilled: set[tuple[str, int]] = set()  # with runs: what is loaded is their tail
        self._runs = 0
        #: pieces changed in place, settled per block in one pass (`settle`): deleting and
        #: inserting one posting at a time moves the rest of the array each time, which is
        #: quadratic when a topic's retitling changes every piece that holds a common word
        self._out: dict[tuple[str, int], set[int]] = {}
        self._in: dict[tuple[str, int], list[int]] = {}

    def get(self, term: str, part: int) -> array[int]:
        held = self.loaded.setdefault(part, {})
        found = held.get(term)
        if found is None:
            found = array("Q")
            if not self.fresh and (term, part) not in self._spilled:
                row = self._db.execute(
                    "select postings from parts where k = ? and part = ?", (_utf16(term), part)
                ).fetchone()
                if row is not None:
                    found = _unpack(row[0])
            held[term] = found
        return found

    def take_out(self, terms: Iterable[str], doc: int) -> None:
        """Take the piece numbered `doc` out of its terms' postings, at the next `settle`."""
        part = doc // BLOCK_DOCS
        for term in terms:
            self._out.setdefault((term, part), set()).add(doc)
        self.touched.setdefault(part, set()).update(terms)

    def cut(self, terms: Iterable[str], first: int) -> None:
        """Take out every posting of the pieces numbered `first` and after (of `terms`: every
        term those pieces hold)."""
        start = first // BLOCK_DOCS
        for term in terms:
            rows = self._db.execute(
                "select part from parts where k = ? and part >= ?", (_utf16(term), start)
            ).fetchall()
            for (part,) in rows:
                if part == start:
                    found = self.get(term, part)
                    del found[bisect.bisect_left(found, first << COUNT_BITS) :]
                else:
                    self.loaded.setdefault(part, {})[term] = array("Q")
                self.touched.setdefault(part, set()).add(term)

    def put_in(self, terms: list[str], counts: array[int], doc: int, *, in_order: bool) -> None:
        part = doc // BLOCK_DOCS
        key = doc << COUNT_BITS
        if in_order:
            held = self.loaded.setdefault(part, {})
            for term, count in zip(terms, counts, strict=True):  # the hot loop
                found = held.get(term)
                if found is None:
                    found = self.get(term, part)
                found.append(key | count)
        else:  # at the next `settle`
            for term, count in zip(terms, counts, strict=True):
                self._in.setdefault((term, part), []).append(key | count)
        self.touched.setdefault(part, set()).update(terms)
        self.held += len(terms)

    def settle(self) -> None:
        """Apply what `take_out` and `put_in(in_order=False)` asked, one pass a block: the
        postings of the pieces taken out dropped, those put in merged by piece number."""
        for term, part in self._out.keys() | self._in.keys():
            found = self.get(term, part)
            out = self._out.get((term, part), ())
            put = sorted(self._in.get((term, part), ()))
            if len(out) + len(put) <= _FEW:  # an edit: a posting or two, in place
                for doc in out:
                    at = bisect.bisect_left(found, doc << COUNT_BITS)
                    if at < len(found) and found[at] >> COUNT_BITS == doc:
                        del found[at]
                for posting in put:
                    found.insert(bisect.bisect_left(found, posting), posting)
                continue
            kept = [posting for posting in found if posting >> COUNT_BITS not in out]
            self.loaded[part][term] = array("Q", heapq.merge(kept, put))
        self._out.clear()
        self._in.clear()

    def spill(self) -> None:
        """Move the postings held to the table of runs (only between pieces put in in order)."""
        db = self._db
        db.execute(
            "create temp table if not exists runs (term text, part integer, run integer, "
            "postings blob, primary key (term, part, run)) without rowid"
        )
        for part, held in self.loaded.items():
            db.executemany(
                "insert into runs values (?, ?, ?, ?)",
                (
                    (term, part, self._runs, found.tobytes())
                    for term, found in held.items()
                    if found
                ),
            )
            # an emptied block too: what the state holds of it is no longer its postings
            self._spilled.update((term, part) for term in held)
        self.loaded.clear()
        self.held = 0
        self._runs += 1

    def full(self, term: str, part: int) -> array[int]:
        """All of a term's postings in a block, and forget them."""
        tail = self.loaded.get(part, {}).pop(term, None)
        if (term, part) not in self._spilled:
            return tail if tail is not None else array("Q")
        found = array("Q")
        for (blob,) in self._db.execute(
            "select postings from runs where term = ? and part = ? order by run", (term, part)
        ):
            found.frombytes(blob)
        if tail is not None:
            found.extend(tail)
        return found

    def close(self) -> None:
        if self._runs:
            self._db.execute("drop table temp.runs")


def _doc_terms(db: sqlite3.Connection, where: str, value: int) -> tuple[list[str], array[int]]:
    """A piece's terms and their counts, as the state keeps them."""
    terms, blob = db.execute(f"select terms, counts from docs where {where}", (value,)).fetchone()
    counts = array("I")
    counts.frombytes(blob)
    return (terms.split("\n") if terms else []), counts


def _unpack(blob: bytes) -> array[int]:
    """A block's postings as the state keeps them: doc << COUNT_BITS | count."""
    found = array("Q")
    found.frombytes(blob)
    return found


def _record(url: str, entry: SearchEntry, text: str) -> bytes:
    """A piece's record file: what its result shows."""
    record = {
        "url": url.lstrip("/"),
        "title": entry.title,
        "kind": entry.kind_label,
        "date": entry.date_label,
        "text": text,
    }
    return json.dumps(record, ensure_ascii=False).encode()


def _table(put: _Put, versions: list[str]) -> str:
    """A record table: the versions of a block of records; handed to `put`, returns its name."""
    data = json.dumps(versions).encode()
    name = _name(data, 8)
    put(f"r/{name}.json", data)
    return name


def _wire_size(entry: str) -> int:
    """What a term's entry adds to its shard on the wire, at most: its size deflated alone (at
    the fastest level, which compresses less than a server does), and its comma."""
    return len(zlib.compress(entry.encode(), 1, -15)) + 1


def _codes(db: sqlite3.Connection) -> bytes:
    """The length code of each piece of the index, by number."""
    return bytes(length_code(n) for (n,) in db.execute("select length from docs order by number"))


def _block(packed: array[int], codes: bytes) -> tuple[str, list[int]]:
    """A block of a term's postings as it is written (a block file, or a part of the term's
    list in its shard): the first piece's number, then gaps, each count with the length code
    of its piece; and those values."""
    docs = [p >> COUNT_BITS for p in packed]
    values = [(p & MAX_COUNT) << LENGTH_BITS | codes[d] for p, d in zip(packed, docs, strict=True)]
    docs.insert(0, 0)
    flat = [0] * (2 * len(values))
    flat[0::2] = [after - before for before, after in pairwise(docs)]
    flat[1::2] = values
    return f"[{','.join(map(str, flat))}]", values


def _top(values: list[int]) -> str:
    """The (count, length code) pairs of a block that no other pair beats on both (a higher
    count, a shorter piece), highest count first: the engine takes the best BM25 among them
    as the block's bound, which is the best score of any piece in the block."""
    mask = (1 << LENGTH_BITS) - 1
    out: list[int] = []
    least = mask + 1
    for value in sorted(set(values), key=lambda v: (-(v >> LENGTH_BITS), v & mask)):
        if value & mask < least:
            least = value & mask
            out += (value >> LENGTH_BITS, least)
    return f"[{','.join(map(str, out))}]"


def _record_at(bundle: Path, path: str, version: str) -> bytes:
    """A record of the last index, read to be written under its new number."""
    try:
        data = (bundle / path).read_bytes()
    except OSError:
        data = b""
    if _name(data, 4) != version:
        raise SearchIndexError(
            f"the search index in {bundle} lacks {path}: build again with --clean"
        )
    return data


def _named(bundle: Path, blocks: set[str] | None = None) -> set[str]:
    """The files the index on disk names (none if it has no readable manifest of this format);
    its block files read from its shards, unless `blocks` names them."""
    try:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return set()
        named = {f"b/{name}.json" for name in blocks or ()}
        for name in manifest["shards"]:
            named.add(f"t/{name}.json")
            if blocks is not None:
                continue
            shard = json.loads((bundle / "t" / f"{name}.json").read_bytes())
            for entry in shard.values():
                if isinstance(entry, dict):  # a large term: its blocks
                    named.update(f"b/{block[1]}.json" for block in entry["b"])
        for block, name in enumerate(manifest["records"]):
            named.add(f"r/{name}.json")
            versions = json.loads((bundle / "r" / f"{name}.json").read_text(encoding="utf-8"))
            start = block * manifest["block"]
            named.update(f"d/{start + i}.{v}.json" for i, v in enumerate(versions))
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    present: set[str] = set()
    for folder in _FOLDERS:
        with contextlib.suppress(OSError):
            present.update(f"{folder}/{name}" for name in os.listdir(bundle / folder))
    return named & present


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _remove_stale(bundle: Path, named: set[str]) -> int:
    """Remove what an earlier build left that this index does not name (a killed write's
    partial files, an older layout's folders); returns how many files went."""
    removed = 0
    for entry in bundle.iterdir():
        if entry.name == "manifest.json":
            continue
        if entry.is_dir() and entry.name in _FOLDERS:
            for name in os.listdir(entry):
                if f"{entry.name}/{name}" not in named:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(entry, name))
                    removed += 1
        elif entry.is_dir():
            removed += sum(1 for p in entry.rglob("*") if p.is_file())
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


# ---------------------------------------------------------------- the index beside the build


def _serve(conn: Any) -> None:
    """The child process: take up the last build's index if it is asked to and it is intact,
    say which pieces it holds, index what arrives, write when asked (and keep the index for the
    next build), answer with the report or the error."""
    writer = IndexWriter()  # a private temporary state, unless the build names one
    kept: Path | None = None
    error: str | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the build went away
        if message[0] == "state":
            _, path, fingerprint, site_dir = message
            kept = Path(path)
            writer.close()
            taken_up = IndexWriter.load(kept, fingerprint, Path(site_dir) / BUNDLE_DIR)
            try:
                writer = taken_up or IndexWriter(kept)
            except (sqlite3.Error, OSError) as exc:  # the cache cannot keep it: index without
                sys.stderr.write(
                    f"{kept}: the search index is not kept for the next build: {exc}\n"
                )
                writer, kept = IndexWriter(), None
        elif message[0] == "known":
            with contextlib.suppress(OSError):
                conn.send(("known", writer.keys()))
        elif message[0] == "add":
            _, url, entry, content, key, order = message
            if error is None:
                try:
                    writer.add(url, entry, content, key=key, order=order)
                except Exception as exc:  # reported once, when the build asks for the index
                    error = f"{url}: {exc.__class__.__name__}: {exc}"
        elif message[0] == "write":
            _, site_dir, plan = message
            try:
                if error is not None:
                    raise SearchIndexError(error)
                writer.update(plan)
                report = writer.write(Path(site_dir))
                if kept is not None:
                    writer.save()
                answer: tuple[str, Any] = ("done", report)
            except Exception as exc:
                why = (
                    str(exc)
                    if isinstance(exc, SearchIndexError)
                    else f"{exc.__class__.__name__}: {exc}"
                )
                answer = ("error", why)
            with contextlib.suppress(OSError):  # the build may have gone away meanwhile
                conn.send(answer)
            writer.close()
            return


class LiveIndex:
    """An `IndexWriter` in a child process, fed page by page while MkDocs renders.

    `add` sends a piece down a pipe and returns (the child tokenizes and counts on the second
    core); `write` asks for the files once every page is sent, so they are written while MkDocs
    writes pages; `finish` waits for them; `close` stops the child without writing (a failed
    build, a `mkdocs serve` rebuild). Errors surface from `finish`.

    Given `state` (a file the child keeps the index in for the next build) and the
    `fingerprint` of the index the last build wrote into `site_dir`, the child takes that index
    up while the build reads its content; `known` then says which pieces (by key) it holds, so
    the build need not render them: `write` gets the plan of every piece of the new index, the
    kept ones and those sent.
    """

    def __init__(
        self, state: Path | None = None, fingerprint: str = "", site_dir: Path | None = None
    ) -> None:
        self._child = Child("channelhub.search:_serve")  # the hub's one way to start a worker
        self._conn = self._child.conn
        self._error: str | None = None
        self._writing: float | None = None  # when write() was called
        self._known: frozenset[str] | None = None
        if state is not None:
            self._send(("state", str(state), fingerprint, str(site_dir or state.parent)))

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError) as exc:
            self._error = self._error or f"the search indexer stopped ({exc.__class__.__name__})"

    def known(self, *, timeout: float = DEFAULT_TIMEOUT) -> frozenset[str]:
        """The keys of the pieces the last build's index holds, as the child took it up (none
        if it was not asked to, or the index was not intact)."""
        if self._known is None:
            self._known = frozenset()
            self._send(("known",))
            try:
                if self._error is None and self._conn.poll(timeout):
                    answer = self._conn.recv()
                    self._known = answer[1]
                elif self._error is None:  # its late answer would be read as the report
                    self._error = f"the search indexer took more than {timeout:.0f} s to take up the last index"
            except (EOFError, OSError):
                self._error = "the search indexer stopped while taking up the last index"
        return self._known

    def add(
        self, url: str, entry: SearchEntry, content_html: str, *, key: str = "", order: str = ""
    ) -> None:
        if self._error is not None:
            return  # the first error is reported by finish()
        if self._writing is not None:
            self._error = f"{url}: sent after the index started writing"
            return
        try:
            self._conn.send(("add", url, entry, content_html, key, order))
        except (OSError, ValueError) as exc:
            self._error = (
                f"the search indexer stopped ({exc.__class__.__name__}) while indexing {url}"
            )
            return

    def write(self, site_dir: Path, plan: list[tuple[str, str, str]] | None = None) -> None:
        """Every page is sent: start writing the index into the site; returns at once. `plan`:
        every piece of the index (key, order, url); without it, the pieces sent."""
        if self._writing is not None:
            return
        self._writing = time.monotonic()
        if self._error is None:
            try:
                self._conn.send(("write", str(site_dir), plan))
            except (OSError, ValueError) as exc:
                self._error = f"the search indexer stopped ({exc.__class__.__name__}) before writing {site_dir}"

    def finish(self, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> IndexReport:
        """Write the index into the site (or wait for `write` to), then stop the child."""
        self.write(site_dir)
        assert self._writing is not None
        entered = time.monotonic()
        try:
            if self._error is not None:
                raise SearchIndexError(self._error)
            left = timeout - (time.monotonic() - self._writing)
            try:
                ready = self._conn.poll(max(left, 0.0))
                answer = self._conn.recv() if ready else None
            except (EOFError, OSError):
                code = self._child.wait(1.0)  # for its exit code
                raise SearchIndexError(
                    f"the search indexer stopped (exit code {code}) writing {site_dir}"
                ) from None
            if answer is None:
                raise SearchIndexError(
                    f"the search index was not written within {timeout:.0f} s into {site_dir}"
                )
            if answer[0] == "error":
                raise SearchIndexError(answer[1])
            report: IndexReport = answer[1]
            return IndexReport(**{**report.__dict__, "waited": time.monotonic() - entered})
        finally:
            self.close(grace=5.0)  # it answered, or failed: it is exiting on its own

    def abandon(self, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Stop the child of a build that failed. If it was asked to `write`, it is let finish
        first: the fingerprint of the index it wrote and kept for the next build (`save`) is
        returned, for the failed build's cache to name it; "" when it wrote nothing."""
        fingerprint = ""
        try:
            if self._writing is not None and self._error is None:
                left = timeout - (time.monotonic() - self._writing)
                with contextlib.suppress(EOFError, OSError):
                    if self._conn.poll(max(left, 0.0)):
                        answer = self._conn.recv()
                        if answer[0] == "done":
                            fingerprint = answer[1].fingerprint
        finally:
            self.close(grace=5.0 if fingerprint else 0.0)
        return fingerprint

    def close(self, *, grace: float = 0.0) -> None:
        """Stop the child; safe to call more than once.

        Without `grace` it is killed at once: a `mkdocs serve` rebuild must not have the last
        build's child still writing into the folder the new build cleans (a killed write leaves
        only a partial folder, which the next write removes).
        """
        with contextlib.suppress(OSError):
            self._conn.close()
        if grace:
            self._child.wait(grace)
        self._child.kill()


def read_index(bundle: Path) -> Iterator[tuple[str, list[tuple[int, int, int]] | str]]:
    """Every term of a written index with its (doc, count, length code) postings, or the one word
    of a stem: for tests and the bench."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    mask = (1 << manifest["length"][1]) - 1
    for name in manifest["shards"]:
        shard = json.loads((bundle / "t" / f"{name}.json").read_text(encoding="utf-8"))
        for term, flat in shard.items():
            if isinstance(flat, str):  # a stem's one word
                yield term, flat
                continue
            lists = [flat]
            if isinstance(flat, dict):  # a large term: its blocks, each from piece 0
                lists = [
                    json.loads((bundle / "b" / f"{block[1]}.json").read_bytes())
                    for block in flat["b"]
                ]
            postings = []
            for numbers in lists:
                doc = 0
                for delta, value in zip(numbers[::2], numbers[1::2], strict=True):
                    doc += delta
                    postings.append((doc, value >> manifest["length"][1], value & mask))
            yield term, postings
