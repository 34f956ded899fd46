"""The meaning signal's fast lookup gives what the plain definition gives: a text's vector is
the mean of the token vectors the tokenizer gives its words, normalised. Checked on every
labelled piece in the repository (held-out sets too: nothing is tuned here), and the topics
the hub tagger gives with the fast lookup are the topics it gives with the plain one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from channelhub import frontmatter
from channelhub import profiles as P
from channelhub.config import load_topics
from channelhub.semantic import Embedder, Vectors, load_embedder, normalise, passages, sentences
from channelhub.tagger import Tagger, compile_rules, tokens

REPO = Path(__file__).parents[1]
# words as `Embedder.embed` reads a text: runs of letters and digits, inner apostrophes kept
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
LABELLED = sorted((REPO / "tests" / "data").glob("tagging*/**/*.md"))


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="module")
def pieces() -> list[tuple[str, str, str]]:
    """(title, summary, body) of every labelled piece: examples and held-out sets alike."""
    found = []
    for path in LABELLED:
        doc = frontmatter.read(path, with_lines=False)
        found.append((str(doc.meta.get("title") or ""), str(doc.meta.get("summary") or ""),
                      doc.body))  # fmt: skip
    assert len(found) > 250  # the sets are there: this test must not pass on nothing
    return found


def plain_vectors(embedder: Embedder, texts: Sequence[Sequence[str]]) -> Vectors:
    """The definition, without the per-word cache: tokenize the words as one text, take the
    mean of their token rows (float64), normalise."""
    out = np.zeros((len(texts), embedder.table.shape[1]))
    for i, words in enumerate(texts):
        text = " ".join(w for w in words if w != "&")
        ids = embedder.tokenizer.encode(text, add_special_tokens=False).ids if text else []
        if ids:
            out[i] = embedder.table[np.asarray(ids)].astype(np.float64).mean(axis=0)
    return normalise(out).astype(np.float32)


def per_word_sums(embedder: Embedder, texts: Sequence[Sequence[str]]) -> Vectors:
    """The cached lookup's arithmetic written out: each word's tokens summed in float32 from a
    float32 copy of the table, the words' sums added in order, normalised (bit for bit)."""
    table = embedder.table.astype(np.float32)
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for i, words in enumerate(texts):
        sums = [
            table[embedder.tokenizer.encode(w, add_special_tokens=False).ids].sum(
                axis=0, dtype=np.float32
            )
            for w in words
            if w != "&"
        ]
        if sums:
            out[i] = np.add.reduce(np.array(sums, dtype=np.float32), axis=0)
    return normalise(out)


def test_the_lookup_is_the_mean_of_the_token_vectors(
    embedder: Embedder, pieces: list[tuple[str, str, str]]
) -> None:
    parts = [part for piece in pieces for part in tokens(*piece)]
    fast = embedder.embed_words(parts)
    assert np.array_equal(fast, per_word_sums(embedder, parts))  # the same floats
    assert np.abs(fast - plain_vectors(embedder, parts)).max() < 1e-6  # sums in another order
    assert sum(bool(p) for p in parts) > 600 and not fast[[not p for p in parts]].any()


def test_sentences_are_embedded_alike(
    embedder: Embedder, pieces: list[tuple[str, str, str]]
) -> None:
    texts = [s for _title, _summary, body in pieces[::5] for s in sentences(body)]
    words = [[w for w in s.split() if w.isalnum()] for s in texts]
    assert np.array_equal(embedder.embed_words(words), per_word_sums(embedder, words))
    plain = plain_vectors(embedder, [WORD.findall(t) for t in texts])
    assert np.abs(embedder.embed(texts) - plain).max() < 1e-6


def test_a_full_word_cache_starts_again_with_the_same_vectors(
    monkeypatch: pytest.MonkeyPatch, embedder: Embedder, pieces: list[tuple[str, str, str]]
) -> None:
    import channelhub.semantic as S

    parts = [part for piece in pieces for part in tokens(*piece)]
    before = embedder.embed_words(parts)
    fresh = Embedder(embedder.table, embedder.tokenizer, embedder.name)
    limit = 2000  # the pieces have more distinct words: it fills, empties and refills
    monkeypatch.setattr(S, "WORD_CACHE", limit)
    assert np.array_equal(fresh.embed_words(parts), before)
    widest = max(len(set(p)) for p in parts)
    assert len(fresh._rows) <= limit + widest
    assert len(fresh._sums) <= limit + 1 + widest  # grown by doubling, never far past the bound
    assert len({w for p in parts for w in p}) > 2 * limit


class _PlainEmbedder(Embedder):
    """The definition in place of the cached lookup, for the tagger as a whole."""

    def embed_words(self, words: Sequence[Sequence[str]]) -> Vectors:
        return plain_vectors(self, words)


def test_the_tagger_gives_the_same_topics_with_the_plain_definition(
    monkeypatch: pytest.MonkeyPatch, embedder: Embedder, pieces: list[tuple[str, str, str]]
) -> None:
    topics, problems = load_topics(REPO)
    assert problems == []
    rules: Tagger = compile_rules(topics)
    tagger, _problems = P.load_hub_tagger(REPO, rules)
    assert tagger.profiles is not None
    fast = [tagger.judgements(*piece) for piece in pieces]
    plain_model = _PlainEmbedder(embedder.table, embedder.tokenizer, embedder.name)
    monkeypatch.setattr(P, "load_embedder", lambda: plain_model)
    plain = [tagger.judgements(*piece) for piece in pieces]
    for got, want in zip(fast, plain, strict=True):
        assert [j.slug for j in P.chosen(got)] == [j.slug for j in P.chosen(want)]
        assert [j.given for j in got] == [j.given for j in want]
        assert max(abs(a.confidence - b.confidence) for a, b in zip(got, want, strict=True)) < 1e-6
    assert sum(bool(P.chosen(j)) for j in fast) > 150  # most pieces get topics


def test_the_table_is_kept_as_the_wheel_stores_it(embedder: Embedder) -> None:
    assert embedder.table.dtype == np.float16 and embedder.table.shape == (32000, 256)


def test_passages_cut_the_words_into_runs_and_a_short_last_run_joins_the_one_before() -> None:
    words = [f"w{i}" for i in range(130)]
    runs = passages(words, 60)
    assert [len(r) for r in runs] == [60, 70]  # 10 left over: under half a run, joined
    assert [w for r in runs for w in r] == words
    assert [len(r) for r in passages(words[:100], 60)] == [60, 40]
    assert passages(words[:5], 60) == [words[:5]] and passages([], 60) == []
    # exactly half a run stands alone; one word under half joins
    assert [len(r) for r in passages(words[:90], 60)] == [60, 30]
    assert [len(r) for r in passages(words[:89], 60)] == [89]
    assert [len(r) for r in passages(words[:3], 1)] == [1, 1, 1]
    with pytest.raises(ValueError, match="at least one word"):
        passages(words, 0)
