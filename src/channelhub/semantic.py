"""The meaning signal beside the rules: static word embeddings of a piece and of its sentences.

Owns loading the embedding model that the `wordllama` wheel ships (a 32,000 x 256 float16 table
for the Llama-2 tokenizer, 16 MB, with the tokenizer's JSON beside it), offline: the files are
read from the installed package with safetensors and tokenizers; wordllama's own loader is never
called, since it looks for the tokenizer in the wrong folder and then tries to download it.
Also owns splitting a piece into sentences (and its words into passages) and embedding them: a
text's vector is the mean of its tokens' vectors (as wordllama pools), normalised.
Deterministic: fixed order of sums.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from channelhub.tagger import prose

Vectors = npt.NDArray[np.float32]

#: the files inside the installed wordllama package
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
DIMENSIONS = 256
#: the model's name: profiles built with another model are not used with this one
MODEL_NAME = f"wordllama:{Path(WEIGHTS).stem}"
#: a sentence longer than this many characters is cut (a table row or a run-on list)
SENTENCE_CHARS = 600
#: at most this many sentences of a body are embedded (a very long piece keeps its start)
MAX_SENTENCES = 200


class ModelMissing(RuntimeError):
    """The embedding model's files are not installed: the tagger falls back to its rules."""


def model_folder() -> Path:
    """Where the installed wordllama package keeps its files, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing("the wordllama package is not installed (pip install wordllama)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    for name in (WEIGHTS, TOKENIZER):
        if not (folder / name).is_file():
            raise ModelMissing(f"the wordllama package has no {name} in {folder}")
    return folder


#: words whose token vectors are remembered per process (each row is 1 KB)
WORD_CACHE = 40_000
# Words as the tokenizer sees them after a space; punctuation carries no topic and is left out.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
#: the tagger's tokens include "&" (for "sales & marketing"); it carries no meaning
_SKIPPED = "&"


class Embedder:
    """The token table and its tokenizer; `embed` turns texts into unit vectors.

    A text's vector is the mean of the token vectors of its words. Each distinct word is
    tokenized once per process and its tokens' sum kept (the Llama tokenizer never merges
    across a space), which makes embedding a piece a gather and a sum. The table stays in
    float16 as the wheel stores it (16 MB, not 32): a word's rows are widened as they are
    summed, which gives the very sums of a float32 copy (float16 -> float32 is exact).
    One thread at a time: the word cache is changed without a lock (each pull worker and each
    retag is a process of its own with its own Embedder).
    """

    def __init__(self, table: npt.NDArray[Any], tokenizer: Any, name: str) -> None:
        self.table = table
        self.tokenizer = tokenizer
        self.name = name
        self._rows: dict[str, int] = {}
        self._sums = np.zeros((1024, table.shape[1]), dtype=np.float32)
        self._forget()

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("the embedding model is loaded in each process, never pickled")

    def _forget(self) -> None:
        """Start the word cache again: row 0 is the zero row of "&" (adding it changes nothing)."""
        self._rows.clear()
        self._rows[_SKIPPED] = 0
        self._sums[0] = 0.0

    def _learn(self, unseen: set[str]) -> None:
        """Tokenize words not seen yet and keep their tokens' sums (up to WORD_CACHE words)."""
        new = sorted(unseen)  # a fixed order: the same rows whatever order words came in
        encoded = self.tokenizer.encode_batch(new, add_special_tokens=False)
        need = len(self._rows) + len(new)
        if need > len(self._sums):
            # doubling, but never far past the cache's bound (40 MB at most, not 64)
            size = max(need, min(2 * len(self._sums), WORD_CACHE + 1))
            grown = np.zeros((size, self.table.shape[1]), dtype=np.float32)
            grown[: len(self._sums)] = self._sums
            self._sums = grown
        last = self.table.shape[0] - 1
        for word, enc in zip(new, encoded, strict=True):
            row = len(self._rows)
            ids = np.clip(np.asarray(enc.ids, dtype=np.int64), 0, last)
            self._sums[row] = self.table[ids].sum(axis=0, dtype=np.float32)
            self._rows[word] = row

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text (a text without words gets zeros)."""
        return self.embed_words([_WORD.findall(text) for text in texts])

    def embed_words(self, words: Sequence[Sequence[str]]) -> Vectors:
        """One unit vector per list of words (the tagger's tokens will do: "&" is left out)."""
        out = np.zeros((len(words), self._sums.shape[1]), dtype=np.float32)
        for i, text_words in enumerate(words):
            if text_words:
                rows = self._word_rows(text_words)
                np.add.reduce(self._sums[rows], axis=0, out=out[i])  # the mean's direction
        return normalise(out)

    def _word_rows(self, words: Sequence[str]) -> list[int]:
        """The rows of the words' token-vector sums, learning the words not seen yet."""
        known = self._rows
        try:
            return [known[w] for w in words]
        except KeyError:
            pass
        unseen = {w for w in words if w not in known}
        if len(known) + len(unseen) > WORD_CACHE:  # full: start again, not grow without bound
            self._forget()
            unseen = {w for w in words if w not in known}
        self._learn(unseen)
        return [known[w] for w in words]


def passages(words: Sequence[str], size: int) -> list[Sequence[str]]:
    """The words cut into runs of `size` (a last run under half that joins the one before)."""
    if size < 1:
        raise ValueError(f"a passage needs at least one word, not {size}")
    runs = [words[i : i + size] for i in range(0, len(words), size)]
    if len(runs) > 1 and len(runs[-1]) < size // 2:
        runs[-2:] = [[*runs[-2], *runs[-1]]]
    return runs


def normalise(vectors: Vectors) -> Vectors:
    """Rows scaled to length 1; zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@lru_cache(maxsize=1)
def load_embedder() -> Embedder:
    """The bundled model, loaded once per process; never touches the network.

    Raises ModelMissing when the package or its files are not there.
    """
    # Belt and braces: nothing below downloads, and no library we call may try to.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # One thread: a pull worker tokenizes a few new words at a time, and idle threads spin.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    folder = model_folder()
    from safetensors import safe_open
    from tokenizers import Tokenizer

    # safe_open reads the one tensor from a memory map: a sixth of load_file's CPU
    with safe_open(str(folder / WEIGHTS), framework="numpy") as weights:
        table = np.ascontiguousarray(weights.get_tensor("embedding.weight"))
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return Embedder(table, tokenizer, MODEL_NAME)


# --- sentences ----------------------------------------------------------------------------------

# Sentence ends: . ! ? (and a closing quote or bracket) before a space and a capital, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# Paragraphs and list items (split before the bullets are removed).
_BLOCKS = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|\d+[.)])[ \t])|\n(?=[ \t]*\|)")
# A sentence needs a word of letters to be worth embedding.
_LETTERS = re.compile(r"[^\W\d_]{2,}")
# Markdown that carries no meaning: emphasis marks, heading hashes, list bullets, rules, tables.
_MARKUP = re.compile(
    r"(?m)^[ \t]{0,3}(?:#{1,6}[ \t]+|[-*+][ \t]+|\d+[.)][ \t]+|>[ \t]?)|\*\*?|__?|^-{3,}[ \t]*$"
    r"|\||:?-{3,}:?"  # table pipes and rules
)


def sentences(body: str) -> list[str]:
    """The body's sentences: paragraphs and list items split at sentence ends, markup removed."""
    found: list[str] = []
    for raw in _BLOCKS.split(prose(body)):
        block = " ".join(_MARKUP.sub(" ", raw).split())
        if not block:
            continue
        for sentence in _SENTENCE_END.split(block):
            sentence = sentence.strip()
            if _LETTERS.search(sentence):
                found.append(sentence[:SENTENCE_CHARS])
        if len(found) >= MAX_SENTENCES:
            break
    return found[:MAX_SENTENCES]
