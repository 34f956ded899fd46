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

    manifest.json     {"format": 2, "pieces": N, "average": mean length, "bm25": [k1, b],
                       "length": [base, bits], "terms": [first term of each shard],
                       "shards": [name of each shard], "block": B, "records": [name of each
                       record table], "kinds": {slug: label}, "topics": {slug: title}}
    t/<hash>.json     a shard: {"term": [doc - previous doc, tf << bits | length code, ...], ...}
    r/<hash>.json     a record table: the version of each record of docs [i * B, (i + 1) * B)
    d/<doc>.<v>.json  {"url": ..., "title": ..., "kind": ..., "date": ..., "text": ...}

A term is a word as written (lower case, no accents); `~stem` holds the summed counts of every
word with that Porter2 stem (left out when the only such word is the stem itself); `#kind:K`
and `#topic:T` list the pieces of a kind and of a topic, for the filters. Shards hold
consecutive terms in UTF-16 order (JavaScript's string order), so the client finds a term's
shard by binary search over the first terms. Scores are BM25, computed by the engine from each
posting's count and its piece's length code with N and the average length from the manifest:
a changed piece changes only the shards of its own terms, its record and its record table.
Every file but the manifest is named by its contents, so it can be cached for good; a build
writes only the files that are not there yet and removes those no longer named.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import html
import json
import math
import os
import pickle
import re
import shutil
import time
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# the generated class itself: snowballstemmer.stemmer() would pick PyStemmer (Snowball 3) if installed
from snowballstemmer.english_stemmer import EnglishStemmer

from channelhub.sandbox import Child

#: folder of the built site that holds the index
BUNDLE_DIR = "search-index"
#: version of the file layout above; the client refuses a manifest of another format
FORMAT = 2
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
#: a shard is closed once its JSON passes this many bytes (about 15 KB gzipped); a term whose
#: postings alone are larger gets a shard of its own
SHARD_BYTES = 48_000
#: pieces per record table
RECORD_BLOCK = 512
#: version of what `IndexWriter.save` keeps for the next build
STATE_FORMAT = 1
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
_ENGLISH = EnglishStemmer()


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
    return _ENGLISH.stemWord(word) if _STEMMABLE.fullmatch(word) else word


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


@dataclass(frozen=True)
class _Doc:
    """One piece as the index holds it from one build to the next."""

    key: str  # what it says: the same key is the same analysed piece
    order: str  # where it goes: pieces are numbered in this order
    url: str
    version: str  # its record's version (part of the record file's name)
    length: int
    terms: tuple[str, ...]  # its words and filters, to take it out again
    kind: str
    kind_label: str
    topics: tuple[tuple[str, str], ...]


class IndexWriter:
    """Analysed pieces in, the files of the index out; kept from one build to the next (`save`,
    `load`), so that a build counts and serializes again only what changed.

    Pieces are numbered in the order each was given (a build gives a piece's date, then its
    URL): a new piece, dated after the others, takes the next number and no other moves, so an
    edit or a pull changes the postings of its own words, its record and its record table only.
    The files are the same whatever the last index was: a clean build and a build that starts
    from the last index write the same bytes. Memory: the postings (8 bytes each), the terms of
    each piece and each term's serialized entry.
    """

    def __init__(self) -> None:
        self.docs: list[_Doc] = []  # by number
        self.postings: dict[str, array[int]] = {}  # term -> doc << COUNT_BITS | count, by doc
        self.entries: dict[str, str] = {}  # term (word, stem, filter) -> its JSON in a shard
        self.terms = 0  # distinct terms written, once `files` has run
        self.fingerprint = ""  # of the last index written (its manifest)
        self._added: dict[str, tuple[str, str, PieceTerms]] = {}  # key -> (order, url, terms)
        self._records: dict[int, bytes] = {}  # records not written yet, by number
        self._moved: dict[int, str] = {}  # number -> where its record was in the last index
        self._count = 0

    @property
    def words(self) -> int:
        return sum(doc.length for doc in self.docs)

    def add(
        self, url: str, entry: SearchEntry, content_html: str, *, key: str = "", order: str = ""
    ) -> None:
        """Index one piece: its title and the text of its rendered content, found at `url` (from
        the site root). Without `order`, pieces are numbered as they come."""
        self.add_analysed(url, analyse(entry, content_html), key=key, order=order)

    def add_analysed(self, url: str, terms: PieceTerms, *, key: str = "", order: str = "") -> None:
        """Index one piece from what `analyse` made of it; `key` names what it says (a piece of
        the last index with the same key is the same piece)."""
        self._count += 1
        self._added[key or f"\x00{self._count}"] = (order or f"{self._count:012d}", url, terms)

    def update(self, plan: list[tuple[str, str, str]] | None = None) -> None:
        """Make the index hold the pieces of `plan` (key, order, url): each one added since the
        last update, or one of the last index with the same key. Without a plan: the last
        index's pieces and those added."""
        if plan is None:
            known = {d.key: (d.key, d.order, d.url) for d in self.docs}
            known.update({key: (key, order, url) for key, (order, url, _t) in self._added.items()})
            plan = list(known.values())
        old = {doc.key: number for number, doc in enumerate(self.docs)}
        for key, order, url in plan:
            if key in self._added:
                continue
            if key not in old:
                raise SearchIndexError(f"{url}: neither sent to the index nor in its last build")
            before = self.docs[old[key]]
            if (before.order, before.url) != (order, url):  # its record says another URL
                raise SearchIndexError(f"{url}: kept from the last build at {before.url}")
        new = sorted(plan, key=lambda item: (item[1], item[2]))
        first = 0  # pieces before it keep their numbers
        while (
            first < min(len(self.docs), len(new))
            and self.docs[first].order == new[first][1]
            and self.docs[first].url == new[first][2]
        ):
            first += 1
        changed = [i for i in range(first) if new[i][0] != self.docs[i].key]
        counts: dict[str, dict[str, int]] = {}  # a renumbered piece's counts, from its postings
        for doc_number in range(first, len(self.docs)):
            doc = self.docs[doc_number]
            if doc.key not in self._added:
                counts[doc.key] = {t: self._count_of(t, doc_number) for t in doc.terms}
        touched: set[str] = set()
        for i in changed:
            touched.update(self.docs[i].terms)
            self._take_out(self.docs[i].terms, i)
        for doc_number in range(first, len(self.docs)):
            touched.update(self.docs[doc_number].terms)
        self._cut(touched, first)
        docs = self.docs[:first]
        for number, (key, order, url) in enumerate(new):
            if number < first and number not in changed:
                continue
            if key in self._added:
                doc, terms_counts = self._analysed(key, order, url, number)
            else:
                doc, terms_counts = self.docs[old[key]], counts[key]
                if number != old[key]:  # renumbered: its record file gets another name
                    self._moved[number] = f"d/{old[key]}.{doc.version}.json"
            if number < first:
                docs[number] = doc
            else:
                docs.append(doc)
            self._put_in(terms_counts, number, in_order=number >= first)
            touched.update(terms_counts)
        self.docs = docs
        self._added.clear()
        self._serialize(touched)

    def _analysed(self, key: str, order: str, url: str, number: int) -> tuple[_Doc, dict[str, int]]:
        _order, _url, terms = self._added[key]
        entry = terms.entry
        record = {
            "url": url.lstrip("/"),
            "title": entry.title,
            "kind": entry.kind_label,
            "date": entry.date_label,
            "text": terms.text,
        }
        data = json.dumps(record, ensure_ascii=False).encode()
        self._records[number] = data
        counts = dict(terms.counts)
        filters = [f"kind:{entry.kind}"] if entry.kind else []
        filters += [f"topic:{slug}" for slug, _title in entry.topics]
        for name in dict.fromkeys(filters):
            counts[FILTER_MARK + name] = 1
        doc = _Doc(
            key=key,
            order=order,
            url=url,
            version=_name(data, 4),
            length=terms.length,
            terms=tuple(counts),
            kind=entry.kind,
            kind_label=entry.kind_label,
            topics=entry.topics,
        )
        return doc, counts

    def _count_of(self, term: str, doc: int) -> int:
        found = self.postings[term]
        i = bisect.bisect_left(found, doc << COUNT_BITS)
        return found[i] & MAX_COUNT

    def _take_out(self, terms: Iterable[str], doc: int) -> None:
        for term in terms:
            found = self.postings[term]
            del found[bisect.bisect_left(found, doc << COUNT_BITS)]

    def _cut(self, terms: Iterable[str], first: int) -> None:
        """Take out every posting of the pieces numbered `first` and after."""
        for term in terms:
            found = self.postings.get(term)
            if found is not None:
                del found[bisect.bisect_left(found, first << COUNT_BITS) :]

    def _put_in(self, counts: Mapping[str, int], doc: int, *, in_order: bool) -> None:
        postings = self.postings
        key = doc << COUNT_BITS
        for term, count in counts.items():  # the hot loop: one lookup and one append a posting
            found = postings.get(term)
            if found is None:
                found = postings[term] = array("Q")
            if in_order:
                found.append(key | count)
            else:
                found.insert(bisect.bisect_left(found, key), key | count)

    def _serialize(self, touched: set[str]) -> None:
        """The JSON entry of every term whose postings changed, and of their stems."""
        codes = [length_code(doc.length) for doc in self.docs]
        for term in touched:
            if self.postings.get(term):
                self.entries[term] = _entry(term, self.postings[term], codes)
            else:
                self.postings.pop(term, None)
                self.entries.pop(term, None)
        groups: dict[str, list[str]] = defaultdict(list)
        for word in self.postings:
            if not word.startswith(FILTER_MARK):
                groups[stem(word)].append(word)
        roots = {stem(w) for w in touched if not w.startswith(FILTER_MARK)}
        stale = [t for t in self.entries if t.startswith(STEM_MARK) and t[1:] not in groups]
        for term in stale:
            del self.entries[term]
        for root in roots:
            members = sorted(groups.get(root, []))
            term = STEM_MARK + root
            if not members or members == [root]:
                self.entries.pop(term, None)  # the engine reads the word itself
            elif len(members) == 1:
                self.entries[term] = (
                    json.dumps(term, ensure_ascii=False)
                    + ":"
                    + json.dumps(members[0], ensure_ascii=False)
                )
            else:
                summed: Counter[int] = Counter()
                for word in members:
                    for posting in self.postings[word]:
                        summed[posting >> COUNT_BITS] += posting & MAX_COUNT
                packed = array(
                    "Q",
                    [
                        doc << COUNT_BITS | min(count, MAX_COUNT)
                        for doc, count in sorted(summed.items())
                    ],
                )
                self.entries[term] = _entry(term, packed, codes)

    def files(self) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        """The manifest and every file whose bytes are at hand (path under the bundle, bytes),
        in a fixed order: all of them for an index built from nothing."""
        manifest, files = self._layout()
        return manifest, [(path, data) for path, data in files if data is not None]

    def _layout(self) -> tuple[dict[str, Any], list[tuple[str, bytes | None]]]:
        """The manifest and every file of the index: its bytes, or None for a record of the last
        index that is on disk already (or was, under its old number: `_moved`)."""
        self.update()
        shards, firsts = self._shards()
        files: list[tuple[str, bytes | None]] = []
        shard_names = []
        for shard in shards:
            shard_names.append(_name(shard, 6))
            files.append((f"t/{shard_names[-1]}.json", shard))
        tables = []
        for start in range(0, len(self.docs), RECORD_BLOCK):
            versions = []
            for number in range(start, min(start + RECORD_BLOCK, len(self.docs))):
                versions.append(self.docs[number].version)
                path = f"d/{number}.{versions[-1]}.json"
                files.append((path, self._records.get(number)))
            table = json.dumps(versions).encode()
            tables.append(_name(table, 8))
            files.append((f"r/{tables[-1]}.json", table))
        count = len(self.docs)
        kinds: dict[str, str] = {}
        topics: dict[str, str] = {}
        for doc in self.docs:
            if doc.kind:
                kinds.setdefault(doc.kind, doc.kind_label)
            for slug, title in doc.topics:
                topics.setdefault(slug, title)
        manifest = {
            "format": FORMAT,
            "pieces": count,
            "average": round(self.words / count, 2) if count else 1.0,
            "bm25": [K1, B],
            "length": [LENGTH_BASE, LENGTH_BITS],
            "terms": firsts,
            "shards": shard_names,
            "block": RECORD_BLOCK,
            "records": tables,
            "kinds": dict(sorted(kinds.items())),
            "topics": dict(sorted(topics.items(), key=lambda item: item[1].lower())),
        }
        return manifest, files

    def _shards(self) -> tuple[list[bytes], list[str]]:
        """The terms' entries cut into shards of consecutive terms."""
        self.terms = len(self.entries)
        shards: list[bytes] = []
        firsts: list[str] = []
        current: list[str] = []
        size = 0
        for term in sorted(self.entries, key=_utf16):
            entry = self.entries[term]
            if current and size + len(entry) > SHARD_BYTES:
                shards.append(("{" + ",".join(current) + "}").encode())
                current, size = [], 0
            if not current:
                firsts.append(term)
            current.append(entry)
            size += len(entry) + 1
        if current:
            shards.append(("{" + ",".join(current) + "}").encode())
        return shards, firsts

    def write(self, site_dir: Path) -> IndexReport:
        """Write the index into the built site: the files the last complete index (the manifest
        on disk) does not already name, then the manifest, then remove the files no longer named.

        A file is trusted only once a manifest names it, so a write killed half-way leaves
        nothing that the next write would keep: it writes those files again."""
        started = time.monotonic()
        manifest, files = self._layout()  # no pieces yet: an empty index, and search finds nothing
        bundle = site_dir / BUNDLE_DIR
        for folder in ("t", "d", "r"):
            (bundle / folder).mkdir(parents=True, exist_ok=True)
        complete = _named(bundle)
        written = 0
        for number, path in self._moved.items():  # renumbered: the same record, another name
            if f"d/{number}.{self.docs[number].version}.json" not in complete:
                self._records[number] = _record_at(bundle, path, self.docs[number].version)
        for path, data in files:
            if path in complete:  # named by its contents: the same bytes
                continue
            if data is None:
                data = self._records.get(int(path[2:].split(".", 1)[0]))
            if data is None:
                raise SearchIndexError(
                    f"the search index in {bundle} lacks {path}: build again with --clean"
                )
            (bundle / path).write_bytes(data)
            written += 1
        text = json.dumps(manifest, ensure_ascii=False)
        temporary = bundle / ".manifest.json.partial"
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(bundle / "manifest.json")
        removed = _remove_stale(bundle, {path for path, _data in files})
        self._records.clear()
        self._moved.clear()
        self.fingerprint = _name(text.encode(), 16)
        return IndexReport(
            pages=len(self.docs),
            words=self.words,
            terms=self.terms,
            shards=len(manifest["terms"]),
            seconds=time.monotonic() - started,
            bundle=bundle,
            written=written,
            removed=removed,
            fingerprint=self.fingerprint,
        )

    def save(self, path: Path) -> None:
        """Keep this index for the next build (after `write`): replaced whole or not at all."""
        state = (FORMAT, STATE_FORMAT, self.fingerprint, self.docs, self.postings, self.entries)
        temporary = path.with_name(f".{path.name}.partial")
        with open(temporary, "wb") as handle:
            pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path, fingerprint: str, bundle: Path) -> IndexWriter | None:
        """The index a build kept (`save`), if it is the one whose manifest has `fingerprint`
        and the site's index on disk is that index, complete; else None."""
        try:
            with open(path, "rb") as handle:
                state = pickle.load(handle)
            formats, kept = (state[0], state[1]), state[2]
            docs: list[_Doc] = state[3]
            postings: dict[str, array[int]] = state[4]
            entries: dict[str, str] = state[5]
            on_disk = (bundle / "manifest.json").read_bytes()
        except (
            OSError,
            pickle.PickleError,
            ValueError,
            TypeError,
            EOFError,
            LookupError,
            AttributeError,
        ):
            return None
        if formats != (FORMAT, STATE_FORMAT) or not fingerprint or kept != fingerprint:
            return None
        if _name(on_disk, 16) != fingerprint:
            return None
        writer = cls()
        writer.docs, writer.postings, writer.entries = docs, postings, entries
        writer.fingerprint = fingerprint
        _manifest, files = writer._layout()
        return writer if _intact(bundle, files, docs) else None


def _entry(term: str, packed: array[int], codes: list[int]) -> str:
    """A term's postings as it is written in a shard: doc gaps, and each count with the length
    code of its piece."""
    docs = [p >> COUNT_BITS for p in packed]
    values = [(p & MAX_COUNT) << LENGTH_BITS | codes[p >> COUNT_BITS] for p in packed]
    deltas = [d - before for d, before in zip(docs, [0, *docs[:-1]], strict=True)]
    flat = [n for pair in zip(deltas, values, strict=True) for n in pair]
    return f"{json.dumps(term, ensure_ascii=False)}:[{','.join(map(str, flat))}]"


def _intact(bundle: Path, files: list[tuple[str, bytes | None]], docs: list[_Doc]) -> bool:
    """Whether every file of an index is on disk with its bytes (a record: with its version)."""
    try:
        for path, data in files:
            found = (bundle / path).read_bytes()
            if data is not None and found != data:
                return False
            if data is None:
                number, version = path[2:].split(".")[:2]
                if docs[int(number)].version != version or _name(found, 4) != version:
                    return False
    except (OSError, ValueError, IndexError):
        return False
    return True


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


def _named(bundle: Path) -> set[str]:
    """The files the index on disk names (none if it has no readable manifest of this format)."""
    try:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return set()
        named = {f"t/{name}.json" for name in manifest["shards"]}
        for block, name in enumerate(manifest["records"]):
            named.add(f"r/{name}.json")
            versions = json.loads((bundle / "r" / f"{name}.json").read_text(encoding="utf-8"))
            start = block * manifest["block"]
            named.update(f"d/{start + i}.{v}.json" for i, v in enumerate(versions))
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {path for path in named if (bundle / path).is_file()}


def _remove_stale(bundle: Path, named: set[str]) -> int:
    """Remove what an earlier build left that this index does not name (a killed write's
    partial files, an older layout's folders); returns how many files went."""
    removed = 0
    for entry in bundle.iterdir():
        if entry.name == "manifest.json":
            continue
        if entry.is_dir() and entry.name in ("t", "d", "r"):
            for file in entry.iterdir():
                if f"{entry.name}/{file.name}" not in named:
                    file.unlink(missing_ok=True)
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
    writer = IndexWriter()
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
            writer = IndexWriter.load(kept, fingerprint, Path(site_dir) / BUNDLE_DIR) or writer
        elif message[0] == "known":
            with contextlib.suppress(OSError):
                conn.send(("known", frozenset(doc.key for doc in writer.docs)))
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
                    writer.save(kept)
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
            doc, postings = 0, []
            for delta, value in zip(flat[::2], flat[1::2], strict=True):
                doc += delta
                postings.append((doc, value >> manifest["length"][1], value & mask))
            yield term, postings
