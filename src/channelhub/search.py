"""The site's search: an index of the pieces the hub writes itself, sharded so that a reader
fetches only the few small files a query needs.

Owns the tokenizer (mirrored word for word in docs/assets/hub-search-engine.js), the ranking
(BM25, computed at build time), `IndexWriter` (pieces in, files out), `LiveIndex` (the writer
in a child process, fed while MkDocs renders, so it runs on the second core) and the markup of
a piece's indexed part. The search dialog (overrides/partials/search.html,
docs/assets/hub-search.js) loads the engine on the reader's first search; no search data is
sent with a page.

Written here rather than taken from a library: Pagefind, used until now, needed 1.96 GB and
sent 354 KB before the first result for a common word at 10,000 pieces, over both budgets and
with no option to bound either, and no maintained library writes a static, sharded index for
the browser from Python.

The files, under `search-index/` in the built site:

    manifest.json          {"format": 1, "version": V, "pieces": N, "terms": [first term of each shard]}
    V/t/<i>.json           shard i: {"term": [doc, score, doc - previous doc, score, ...], ...}
    V/d/<doc>.json         {"url": ..., "title": ..., "kind": ..., "date": ..., "text": ...}

Shards hold consecutive terms in UTF-16 order (JavaScript's string order), so the client finds
a term's shard by binary search over the first terms. V is a hash of the index's contents:
every file under it can be cached for good, and only the manifest is revalidated.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import math
import os
import re
import shutil
import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from channelhub.sandbox import Child

#: folder of the built site that holds the index
BUNDLE_DIR = "search-index"
#: version of the file layout above; the client refuses a manifest of another format
FORMAT = 1
#: seconds the indexer may take to write at the end of the build (10,000 pieces: a few seconds)
DEFAULT_TIMEOUT = 600.0
#: set to 0 to skip the index (e.g. a quick `mkdocs serve` of a huge site); search then says so
ENV_SWITCH = "CHANNELHUB_SEARCH"

#: shortest and longest word indexed (a single letter is a possessive's "s"; a 41-letter word is noise)
MIN_WORD, MAX_WORD = 2, 40
#: a word of the title counts as this many words of the body
TITLE_WEIGHT = 5
#: BM25's term-frequency saturation and length normalisation (the usual values)
K1, B = 1.2, 0.75
#: scores are stored as integers: BM25 times this, at least 1
SCALE = 10
#: a posting is one integer: the piece's number, shifted left by this, or'd with the word's count in it
COUNT_BITS = 20
MAX_COUNT = (1 << COUNT_BITS) - 1
#: a shard is closed once its JSON passes this many bytes (about 15 KB gzipped); a term whose
#: postings alone are larger gets a shard of its own
SHARD_BYTES = 48_000

_WORD = re.compile(r"[^\W_]{2,}")  # letters and digits: JavaScript's [\p{L}\p{N}]+
# a tag, with quoted attribute values that may hold ">" (the sanitizer's output keeps them raw)
_TAG = re.compile(r"""<[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_HIDDEN = re.compile(r"<!--.*?(?:-->|$)|<(script|style|template)\b.*?</\1\s*>", re.S | re.I)
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)


class SearchIndexError(Exception):
    """The search index could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class SearchEntry:
    """What a search result shows about a piece, beyond the excerpt the client makes."""

    title: str
    kind_label: str  # Editorial | Partner | Analyst note
    date_label: str  # as readers see it, e.g. 14 January 2026


@dataclass(frozen=True)
class IndexReport:
    """What one build's index holds, and how long the build waited for it at the end."""

    pages: int
    words: int  # words indexed over all pages
    terms: int  # distinct words
    shards: int
    seconds: float  # writing the files
    bundle: Path
    waited: float = 0.0  # how long the build waited for them at its end


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


def html_text(fragment: str) -> str:
    """The text a reader sees in rendered HTML: tags, comments, scripts and heading anchors dropped."""
    fragment = _HEADERLINK.sub(" ", _HIDDEN.sub(" ", fragment))
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _utf16(term: str) -> bytes:
    return term.encode("utf-16-be")  # byte order of UTF-16-BE is JavaScript's string order


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class _Doc:
    url: str
    title: str
    kind: str
    date: str
    text: str


class IndexWriter:
    """Pieces in, the files of the index out; memory is the pieces' text plus 8 bytes a posting."""

    def __init__(self) -> None:
        self.docs: list[_Doc] = []
        self.lengths = array(
            "I"
        )  # indexed words of each piece, the title's counted TITLE_WEIGHT times
        self.postings: dict[str, array[int]] = {}  # word -> doc << COUNT_BITS | count, by doc
        self.words = 0

    def add(self, url: str, entry: SearchEntry, content_html: str) -> None:
        """Index one piece: its title and the text of its rendered content, found at `url` (from the site root)."""
        text = html_text(content_html)
        body = Counter(_WORD.findall(normalize(text)))
        title = Counter(words(entry.title))
        length = sum(body.values()) + TITLE_WEIGHT * sum(title.values())
        for word, count in title.items():
            body[word] += TITLE_WEIGHT * count
        if body and (max(map(len, body)) > MAX_WORD or max(body.values()) > MAX_COUNT):
            body = Counter({w: min(c, MAX_COUNT) for w, c in body.items() if len(w) <= MAX_WORD})
        doc = len(self.docs)
        self.docs.append(
            _Doc(url.lstrip("/"), entry.title, entry.kind_label, entry.date_label, text)
        )
        self.lengths.append(length)
        self.words += length
        postings = self.postings
        key = doc << COUNT_BITS
        for word, count in body.items():  # the hot loop: one lookup and one append a posting
            found = postings.get(word)
            if found is None:
                found = postings[word] = array("Q")
            found.append(key | count)

    def files(self) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        """The manifest and every other file (path under the version folder, bytes), in a fixed order."""
        shards, firsts = self._shards()
        files = [(f"t/{i}.json", shard) for i, shard in enumerate(shards)]
        for i, doc in enumerate(self.docs):
            record = {
                "url": doc.url,
                "title": doc.title,
                "kind": doc.kind,
                "date": doc.date,
                "text": doc.text,
            }
            files.append((f"d/{i}.json", json.dumps(record, ensure_ascii=False).encode()))
        digest = hashlib.blake2b(digest_size=8)
        for path, data in files:
            digest.update(path.encode())
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        manifest = {
            "format": FORMAT,
            "version": digest.hexdigest(),
            "pieces": len(self.docs),
            "terms": firsts,
        }
        return manifest, files

    def _shards(self) -> tuple[list[bytes], list[str]]:
        """Each word's postings as JSON, cut into shards of consecutive words."""
        count = len(self.docs)
        average = (sum(self.lengths) / count) if count else 1.0
        # BM25's length part, per piece: k1 * (1 - b + b * length / average)
        norms = [K1 * (1 - B + B * length / average) for length in self.lengths]
        shards: list[bytes] = []
        firsts: list[str] = []
        current: list[str] = []
        size = 0
        for word in sorted(self.postings, key=_utf16):
            packed = self.postings[word]
            idf = math.log(1 + (count - len(packed) + 0.5) / (len(packed) + 0.5))
            weight = SCALE * idf * (K1 + 1)
            docs = [p >> COUNT_BITS for p in packed]
            tfs = [p & MAX_COUNT for p in packed]
            scores = [
                int(weight * tf / (tf + norms[d]) + 0.5) or 1
                for d, tf in zip(docs, tfs, strict=True)
            ]
            deltas = [d - before for d, before in zip(docs, [0, *docs[:-1]], strict=True)]
            flat = [n for pair in zip(deltas, scores, strict=True) for n in pair]
            entry = f'"{word}":[{",".join(map(str, flat))}]'
            if current and size + len(entry) > SHARD_BYTES:
                shards.append(("{" + ",".join(current) + "}").encode())
                current, size = [], 0
            if not current:
                firsts.append(word)
            current.append(entry)
            size += len(entry) + 1
        if current:
            shards.append(("{" + ",".join(current) + "}").encode())
        return shards, firsts

    def write(self, site_dir: Path) -> IndexReport:
        """Write the index into the built site; the manifest goes last, and older versions are removed."""
        started = time.monotonic()
        manifest, files = self.files()  # no pieces yet: an empty index, and search finds nothing
        bundle = site_dir / BUNDLE_DIR
        version = bundle / manifest["version"]
        partial = bundle / f".{manifest['version']}.partial"
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(partial)
        (partial / "t").mkdir(parents=True)
        (partial / "d").mkdir()
        for path, data in files:
            (partial / path).write_bytes(data)
        # the same contents, by their hash, are already there: keep the folder readers may be using
        if version.exists():
            shutil.rmtree(partial)
        else:
            partial.rename(version)
        temporary = bundle / ".manifest.json.partial"
        temporary.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        temporary.replace(bundle / "manifest.json")
        for other in bundle.iterdir():  # a `--dirty` build leaves the last version behind
            if other.is_dir() and other.name != manifest["version"]:
                shutil.rmtree(other, ignore_errors=True)
        return IndexReport(
            pages=len(self.docs),
            words=self.words,
            terms=len(self.postings),
            shards=len(manifest["terms"]),
            seconds=time.monotonic() - started,
            bundle=bundle,
        )


# ---------------------------------------------------------------- the index beside the build


def _serve(conn: Any) -> None:
    """The child process: index what arrives, write when asked, answer with the report or the error."""
    writer = IndexWriter()
    error: str | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the build went away
        if message[0] == "add":
            _, url, entry, content = message
            if error is None:
                try:
                    writer.add(url, entry, content)
                except Exception as exc:  # reported once, when the build asks for the index
                    error = f"{url}: {exc.__class__.__name__}: {exc}"
        elif message[0] == "write":
            try:
                if error is not None:
                    raise SearchIndexError(error)
                answer: tuple[str, Any] = ("done", writer.write(Path(message[1])))
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
    """

    def __init__(self) -> None:
        self._child = Child("channelhub.search:_serve")  # the hub's one way to start a worker
        self._conn = self._child.conn
        self._error: str | None = None
        self._writing: float | None = None  # when write() was called

    def add(self, url: str, entry: SearchEntry, content_html: str) -> None:
        if self._error is not None:
            return  # the first error is reported by finish()
        if self._writing is not None:
            self._error = f"{url}: sent after the index started writing"
            return
        try:
            self._conn.send(("add", url, entry, content_html))
        except (OSError, ValueError) as exc:
            self._error = (
                f"the search indexer stopped ({exc.__class__.__name__}) while indexing {url}"
            )
            return

    def write(self, site_dir: Path) -> None:
        """Every page is sent: start writing the index into the site; returns at once."""
        if self._writing is not None:
            return
        self._writing = time.monotonic()
        if self._error is None:
            try:
                self._conn.send(("write", str(site_dir)))
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


def read_index(bundle: Path) -> Iterator[tuple[str, list[tuple[int, int]]]]:
    """Every word of a written index with its (doc, score) postings: for tests and the bench."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    folder = bundle / manifest["version"] / "t"
    for i in range(len(manifest["terms"])):
        shard = json.loads((folder / f"{i}.json").read_text(encoding="utf-8"))
        for word, flat in shard.items():
            doc, pairs = 0, []
            for delta, score in zip(flat[::2], flat[1::2], strict=True):
                doc += delta
                pairs.append((doc, score))
            yield word, pairs
