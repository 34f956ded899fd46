/*
 * channelhub search engine: reads the index the build wrote (src/channelhub/search.py).
 *
 * Loaded by hub-search.js on the reader's first search, never with a page. A query fetches the
 * manifest (revalidated, a few KB), one shard of postings per word (a few more when a word is
 * also a prefix) and, for each result shown, that piece's record; every file but the manifest
 * sits under a folder named by the index's hash, so the browser may cache it for good.
 *
 * Words are cut exactly as channelhub.search.words cuts them: keep the two in step.
 */

const FORMAT = 1;
const MIN_WORD = 2;
const MAX_WORD = 40;
const PREFIX_MIN = 3; // a query word of 3 letters or more also finds the longer words it begins ...
const PREFIX_SHARDS = 4; // ... unless those fill more shards than this; then it finds only itself
const PREFIX_WEIGHT = 0.7; // a longer word counts for less than the word itself
const MAX_QUERY_WORDS = 8;
const WORD = /[\p{L}\p{N}]+/gu;
const RUN = /[\p{L}\p{N}\p{M}]+/gu; // a word of the original text, accents and all

export function normalize(text) {
  // final sigma as any sigma, so that a capitalised prefix finds the longer word (as in Python)
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ς/g, "σ");
}

function size(word) {
  return [...word].length; // code points, as Python counts them
}

export function words(text) {
  return (normalize(text).match(WORD) || []).filter(
    (word) => size(word) >= MIN_WORD && size(word) <= MAX_WORD,
  );
}

function matches(word, wanted) {
  return wanted.some((w) => word === w || (size(w) >= PREFIX_MIN && word.startsWith(w)));
}

/*
 * About `length` words of `text` around the first that the query matches (the start when only
 * the title matched), as [text, marked] pairs for the caller to render as text and <mark>.
 */
export function excerpt(text, wanted, length = 24) {
  const runs = [];
  for (const found of text.matchAll(RUN)) {
    const parts = words(found[0]);
    runs.push({ start: found.index, end: found.index + found[0].length, hit: parts.some((p) => matches(p, wanted)) });
  }
  if (!runs.length) return [];
  const first = Math.max(0, runs.findIndex((run) => run.hit));
  const from = Math.max(0, Math.min(first - 6, runs.length - length));
  const to = Math.min(runs.length, from + length);
  const out = from > 0 ? [["… ", false]] : [];
  let at = runs[from].start;
  for (const run of runs.slice(from, to)) {
    if (!run.hit) continue;
    if (run.start > at) out.push([text.slice(at, run.start), false]);
    out.push([text.slice(run.start, run.end), true]);
    at = run.end;
  }
  out.push([text.slice(at, to < runs.length ? runs[to - 1].end : text.length), false]);
  if (to < runs.length) out.push([" …", false]);
  return out.filter(([part]) => part);
}

class Index {
  constructor(base, manifest) {
    this.base = base;
    this.firsts = manifest.terms;
    this.pieces = manifest.pieces;
    this.shards = new Map();
    this.records = new Map();
  }

  get(path, cache) {
    if (!cache.has(path)) {
      const loading = fetch(new URL(path, this.base)).then((response) => {
        if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
        return response.json();
      });
      loading.catch(() => cache.delete(path)); // a failed fetch is tried again next time
      cache.set(path, loading);
    }
    return cache.get(path);
  }

  /* The shard whose first word is the last one at or before `word` (JavaScript's string order). */
  shardOf(word) {
    let low = 0;
    let high = this.firsts.length - 1;
    let at = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.firsts[middle] <= word) {
        at = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return at;
  }

  /* Score of every piece a query word finds: doc number -> score. */
  async postings(word) {
    if (!this.firsts.length) return new Map(); // a hub with no pieces yet
    const first = this.shardOf(word);
    let last = first;
    const prefix = size(word) >= PREFIX_MIN;
    if (prefix) {
      while (last + 1 < this.firsts.length && this.firsts[last + 1].startsWith(word)) last += 1;
    }
    const widen = prefix && last - first < PREFIX_SHARDS;
    const numbers = [];
    for (let i = first; i <= (widen ? last : first); i += 1) numbers.push(i);
    const shards = await Promise.all(numbers.map((i) => this.get(`t/${i}.json`, this.shards)));
    const scores = new Map();
    for (const shard of shards) {
      for (const [term, flat] of Object.entries(shard)) {
        const weight = term === word ? 1 : widen && term.startsWith(word) ? PREFIX_WEIGHT : 0;
        if (!weight) continue;
        let doc = 0;
        for (let k = 0; k < flat.length; k += 2) {
          doc += flat[k];
          const score = flat[k + 1] * weight;
          if (!(scores.get(doc) >= score)) scores.set(doc, score);
        }
      }
    }
    return scores;
  }

  /* Pieces with every word of the query, best first; each result's record loads on demand. */
  async search(query) {
    const wanted = [...new Set(words(query))].slice(0, MAX_QUERY_WORDS);
    if (!wanted.length) return { words: [], excerpt: (text) => excerpt(text, []), results: [] };
    const lists = await Promise.all(wanted.map((word) => this.postings(word)));
    lists.sort((a, b) => a.size - b.size);
    const [fewest, ...others] = lists;
    const hits = [];
    for (const [doc, score] of fewest) {
      let total = score;
      for (const other of others) {
        const more = other.get(doc);
        if (more === undefined) {
          total = -1;
          break;
        }
        total += more;
      }
      if (total >= 0) hits.push([doc, total]);
    }
    hits.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return {
      words: wanted,
      excerpt: (text) => excerpt(text, wanted),
      results: hits.map(([doc, score]) => ({ doc, score, data: () => this.get(`d/${doc}.json`, this.records) })),
    };
  }
}

/* The index of the site at `root` (a URL ending in /); rejects when the site has none. */
export async function open(root) {
  const folder = new URL("search-index/", root);
  const response = await fetch(new URL("manifest.json", folder), { cache: "no-cache" });
  if (!response.ok) throw new Error(`search index: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.format !== FORMAT) throw new Error(`search index: format ${manifest.format}`);
  return new Index(new URL(`${manifest.version}/`, folder), manifest);
}
