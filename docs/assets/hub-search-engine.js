/*
 * channelhub search engine: reads the index the build wrote (src/channelhub/search.py).
 *
 * Loaded by hub-search.js on the reader's first search, never with a page. A query fetches the
 * manifest (revalidated, a few KB), for each word the shard of the word and the shard of its
 * stem (a few more for the word being typed, which also finds the longer words it begins), for
 * a filter the shard of its list, and, for each result shown, its record table and its record.
 * A large term's shard holds only a summary of its blocks (the pieces numbered [i * span,
 * (i + 1) * span)), each with the best (count, length) pairs in it: a query scores the blocks
 * where every word is, and asked for its first results only (one word, no filter), it fetches
 * the blocks best bound first and stops once no block left can hold a better piece.
 * Every file but the manifest is named by its contents, so the browser may cache it for good.
 *
 * Words are cut and stemmed exactly as channelhub.search cuts and stems them: keep the two in
 * step (the tests compare them over every code point and a large vocabulary).
 */

import { stem as porter2 } from "./hub-search-stemmer.js";

const FORMAT = 3;
const MIN_WORD = 2;
const MAX_WORD = 40;
const STEM_MARK = "~";
const FILTER_MARK = "#";
const PREFIX_MIN = 2; // the word being typed, of 2 letters or more, also finds the words it begins ...
const PREFIX_SHARDS = 4; // ... unless those fill more shards than this; then it finds only itself
// how much a piece counts that has a word of the same stem but not the word itself, or only a
// longer word that the word being typed begins (tuned on the judged queries' tune split)
export const WEIGHTS = { stem: 0.8, prefix: 0.6 };
const MAX_QUERY_WORDS = 8;
const PHRASE_CHECK = 200; // a phrase is checked in the text of at most this many best pieces
const BATCH = 25; // records fetched at once while checking phrases
const NEAR = 2; // shards either side of a word's own that a suggestion for it may come from
const WORD = /[\p{L}\p{N}]+/gu;
const RUN = /[\p{L}\p{N}\p{M}]+/gu; // a word of the original text, accents and all
const STEMMABLE = /^[a-z]{3,}$/;
const BLOCK = /\s*\n\s*/g; // the record's text keeps paragraphs, cells, items and headings apart
const SEPARATOR = " · ";
// files fetched at once (a browser's own limit per host over HTTP/1.1); the rest wait their turn
const PARALLEL = 6;

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

/* The Porter2 stem of an indexed word of 3+ letters a-z; any other word is its own stem. */
export function stem(word) {
  return STEMMABLE.test(word) ? porter2(word) : word;
}

/*
 * A query: its words (every one must be in a piece), its phrases (words in double quotes, which
 * must be in sequence; a quote left open runs to the end) and the word being typed, which also
 * finds the longer words it begins: the last word, unless a space or a quote follows it.
 */
export function parse(query) {
  const terms = [];
  const phrases = [];
  const parts = query.split('"');
  parts.forEach((part, i) => {
    const found = words(part);
    terms.push(...found);
    if (i % 2 === 1 && found.length > 1) phrases.push(found);
  });
  const unique = [...new Set(terms)].slice(0, MAX_QUERY_WORDS);
  const outside = parts.length % 2 === 1; // an even number of quotes: the end is in no phrase
  const last = words(parts[parts.length - 1]).pop();
  const typing = outside && last && /[\p{L}\p{N}\p{M}]$/u.test(query) && size(last) >= PREFIX_MIN;
  const prefix = typing && unique.includes(last) ? last : "";
  return { terms: unique, phrases, prefix };
}

/* Edit distance with transpositions (optimal string alignment), at most `limit` + 1. */
export function distance(a, b, limit = 2) {
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > limit) return limit + 1;
  let before = null;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= y.length; j += 1) {
      let cost = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (before && i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        cost = Math.min(cost, before[j - 2] + 1);
      }
      row.push(cost);
      best = Math.min(best, cost);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = row;
  }
  return previous[y.length];
}

function matcher(wanted, prefix) {
  const stems = new Set(wanted.map(stem));
  return (word) =>
    wanted.includes(word) || stems.has(stem(word)) || (prefix !== "" && word.startsWith(prefix));
}

/*
 * About `length` words of `text` around the first that the query matches (the start when only
 * the title matched), as [text, marked] pairs for the caller to render as text and <mark>; a
 * word matches when it is a query word, has the same stem, or begins with the word being typed.
 * The text's blocks (paragraphs, table cells, list items, headings) are set apart by " · ".
 */
export function excerpt(text, wanted, length = 24, prefix = "") {
  const hits = matcher(wanted, prefix);
  const runs = [];
  for (const found of text.matchAll(RUN)) {
    const parts = words(found[0]);
    runs.push({ start: found.index, end: found.index + found[0].length, hit: parts.some(hits) });
  }
  if (!runs.length) return [];
  const first = Math.max(0, runs.findIndex((run) => run.hit));
  const from = Math.max(0, Math.min(first - 6, runs.length - length));
  const to = Math.min(runs.length, from + length);
  const out = from > 0 ? [["… ", false]] : [];
  const plain = (part) => [part.replace(BLOCK, SEPARATOR), false];
  let at = runs[from].start;
  for (const run of runs.slice(from, to)) {
    if (!run.hit) continue;
    if (run.start > at) out.push(plain(text.slice(at, run.start)));
    out.push([text.slice(run.start, run.end), true]);
    at = run.end;
  }
  out.push(plain(text.slice(at, to < runs.length ? runs[to - 1].end : text.length)));
  if (to < runs.length) out.push([" …", false]);
  return out.filter(([part]) => part);
}

/* True when the words of `phrase` follow one another (by stem) within one block of `text`. */
export function hasPhrase(text, phrase) {
  const wanted = phrase.map(stem);
  for (const block of text.split("\n")) {
    const seen = words(block).map(stem);
    for (let i = 0; i + wanted.length <= seen.length; i += 1) {
      if (wanted.every((w, k) => seen[i + k] === w)) return true;
    }
  }
  return false;
}

class Index {
  constructor(base, manifest) {
    this.base = base;
    this.manifest = manifest;
    this.firsts = manifest.terms;
    this.pieces = manifest.pieces;
    this.kinds = manifest.kinds || {};
    this.topics = manifest.topics || {};
    const [k1, b] = manifest.bm25;
    const [lengthBase, bits] = manifest.length;
    this.k1 = k1;
    this.bits = bits;
    // BM25's length part for each length code: k1 * (1 - b + b * length / average)
    this.norms = Array.from({ length: 1 << bits }, (_, code) => k1 * (1 - b + (b * lengthBase ** code) / manifest.average));
    this.span = manifest.span;
    this.files = new Map();
    this.split = new WeakMap(); // entry -> its blocks (`blocks`)
    this.running = 0;
    this.waiting = [];
  }

  async fetchJson(path) {
    while (this.running >= PARALLEL) await new Promise((turn) => this.waiting.push(turn));
    this.running += 1;
    try {
      const response = await fetch(new URL(path, this.base));
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return await response.json();
    } finally {
      this.running -= 1;
      const next = this.waiting.shift();
      if (next) next();
    }
  }

  get(path) {
    if (!this.files.has(path)) {
      const loading = this.fetchJson(path);
      loading.catch(() => this.files.delete(path)); // a failed fetch is tried again next time
      this.files.set(path, loading);
    }
    return this.files.get(path);
  }

  /* The shard whose first term is the last one at or before `term` (JavaScript's string order). */
  shardOf(term) {
    let low = 0;
    let high = this.firsts.length - 1;
    let at = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.firsts[middle] <= term) {
        at = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return at;
  }

  shard(i) {
    return this.get(`t/${this.manifest.shards[i]}.json`);
  }

  /*
   * A term's entry, or undefined: its postings (a flat [doc gap, value, ...] list), a large
   * term's summary ({n: postings, b: [[block, file, postings, [count, length code, ...]], ...]})
   * or, for a stem, its one word.
   */
  async lookup(term) {
    if (!this.firsts.length) return undefined;
    const shard = await this.shard(this.shardOf(term));
    return Object.hasOwn(shard, term) ? shard[term] : undefined;
  }

  /* Decode postings into doc -> [count, length code]; several lists are summed, as one term. */
  counts(lists) {
    const mask = (1 << this.bits) - 1;
    const out = new Map();
    for (const flat of lists) {
      let doc = 0;
      for (let k = 0; flat && k < flat.length; k += 2) {
        doc += flat[k];
        const before = out.get(doc);
        const tf = Math.floor(flat[k + 1] / (mask + 1));
        out.set(doc, [(before ? before[0] : 0) + tf, flat[k + 1] & mask]);
      }
    }
    return out;
  }

  idf(df) {
    return Math.log(1 + (this.pieces - df + 0.5) / (df + 0.5));
  }

  /* BM25 of each piece of decoded postings (by default their number is the term's document frequency). */
  bm25(counts, df = counts.size) {
    const idf = this.idf(df);
    const scores = new Map();
    for (const [doc, [tf, code]] of counts) {
      scores.set(doc, (idf * tf * (this.k1 + 1)) / (tf + this.norms[code]));
    }
    return scores;
  }

  /* How many pieces an entry lists. */
  size(entry) {
    if (!entry || typeof entry === "string") return 0;
    return Array.isArray(entry) ? entry.length / 2 : entry.n;
  }

  /*
   * An entry's blocks: block -> {count, top: [count, length code, ...], list or file}; a list
   * written whole is cut here into the same blocks (each list from piece 0, as a file is).
   */
  blocks(entry) {
    if (!entry || typeof entry === "string") return new Map();
    let out = this.split.get(entry);
    if (out) return out;
    out = new Map();
    if (Array.isArray(entry)) {
      const mask = (1 << this.bits) - 1;
      let doc = 0;
      let current = null;
      for (let k = 0; k < entry.length; k += 2) {
        doc += entry[k];
        const block = Math.floor(doc / this.span);
        if (!out.has(block)) {
          current = { count: 0, top: [], list: [doc, entry[k + 1]] };
          out.set(block, current);
        } else {
          current.list.push(entry[k], entry[k + 1]);
        }
        current.count += 1;
        current.top.push(Math.floor(entry[k + 1] / (mask + 1)), entry[k + 1] & mask);
      }
    } else {
      for (const [block, file, count, top] of entry.b) out.set(block, { count, top, file });
    }
    this.split.set(entry, out);
    return out;
  }

  /* An entry's postings in one block (a flat list from piece 0), or undefined. */
  async block(entry, number) {
    const found = this.blocks(entry).get(number);
    if (!found) return undefined;
    return found.list || this.get(`b/${found.file}.json`);
  }

  /* The best BM25 of the (count, length code) pairs `top`, with `idf`. */
  peak(top, idf) {
    let best = 0;
    for (let k = 0; k < top.length; k += 2) {
      const tf = top[k];
      best = Math.max(best, (idf * tf * (this.k1 + 1)) / (tf + this.norms[top[k + 1]]));
    }
    return best;
  }

  /* The stem's postings: `~stem`, or the one word it points to, or the stem itself as a word. */
  async stemPostings(word) {
    const root = stem(word);
    const found = await this.lookup(STEM_MARK + root);
    if (typeof found === "string") return this.lookup(found);
    if (found) return found;
    return root !== word && stem(root) === root ? this.lookup(root) : undefined;
  }

  /* The longer words a typed word begins, when they fill at most PREFIX_SHARDS shards. */
  async longer(word) {
    if (!this.firsts.length) return [];
    const first = this.shardOf(word);
    let last = first;
    while (last + 1 < this.firsts.length && this.firsts[last + 1].startsWith(word)) last += 1;
    if (last - first >= PREFIX_SHARDS) return [];
    const numbers = [];
    for (let i = first; i <= last; i += 1) numbers.push(i);
    const shards = await Promise.all(numbers.map((i) => this.shard(i)));
    const out = [];
    for (const shard of shards) {
      for (const [term, flat] of Object.entries(shard)) {
        if (term !== word && term.startsWith(word) && typeof flat !== "string") out.push(flat);
      }
    }
    return out;
  }

  /*
   * What scoring a query word needs: the entries of the word, of all the words with its stem
   * (`base`) and of the longer words it begins (the word being typed), their document
   * frequencies, and how many pieces it finds. The longer words count as rare as all of them
   * and the stem's words together: that union is counted from the summaries, fetching only the
   * blocks where two of them have postings and none is in every piece of the block.
   */
  async plan(word, prefix) {
    const [exact, stemmed, longer] = await Promise.all([
      this.lookup(word),
      this.stemPostings(word),
      prefix ? this.longer(word) : [],
    ]);
    const own = typeof exact === "string" ? undefined : exact;
    const base = stemmed || own;
    const plan = { own, base, longer, idfBase: this.idf(this.size(base)), total: this.size(base) };
    if (longer.length) {
      const lists = [base, ...longer].filter(Boolean);
      const where = new Map(); // block -> the lists with postings in it
      for (const list of lists) {
        for (const number of this.blocks(list).keys()) {
          const present = where.get(number);
          if (present) present.push(list);
          else where.set(number, [list]);
        }
      }
      const sizes = await Promise.all(
        [...where].map(async ([number, present]) => {
          const counts = present.map((list) => this.blocks(list).get(number).count);
          // one list, or one with every piece of the block: no need to look at the pieces
          const most = Math.max(...counts);
          if (present.length === 1 || most === Math.min(this.span, this.pieces - number * this.span)) return most;
          return this.counts(await Promise.all(present.map((list) => this.block(list, number)))).size;
        }),
      );
      plan.total = sizes.reduce((sum, n) => sum + n, 0);
      plan.idfUnion = this.idf(plan.total);
    }
    return plan;
  }

  /* The blocks where a query word finds pieces. */
  where(plan) {
    const out = new Set(this.blocks(plan.base).keys());
    for (const list of plan.longer) for (const number of this.blocks(list).keys()) out.add(number);
    return out;
  }

  /* The most a piece of block `number` scores for a query word (0: the word is in none). */
  bound(plan, number) {
    const base = this.blocks(plan.base).get(number);
    let best = base ? this.peak(base.top, plan.idfBase) : 0;
    let tf = 0;
    let code = Infinity;
    for (const list of plan.longer) {
      const found = this.blocks(list).get(number);
      if (!found) continue;
      for (let k = 0; k < found.top.length; k += 2) code = Math.min(code, found.top[k + 1]);
      tf += Math.max(...found.top.filter((_, k) => k % 2 === 0));
    }
    if (tf) best = Math.max(best, this.peak([tf, code], plan.idfUnion) * WEIGHTS.prefix);
    return best;
  }

  /*
   * Score of every piece of block `number` a query word finds: BM25 of all the words with its
   * stem, as one term; a piece without the word itself counts WEIGHTS.stem of that. The word
   * being typed also finds the longer words it begins, all of them as one term, at WEIGHTS.prefix.
   */
  async scores(plan, number) {
    const [own, base, ...longer] = await Promise.all(
      [plan.own, plan.base, ...plan.longer].map((entry) => this.block(entry, number)),
    );
    const has = this.counts([own]);
    const scores = this.bm25(this.counts([base]), this.size(plan.base));
    for (const [doc, score] of scores) if (!has.has(doc)) scores.set(doc, score * WEIGHTS.stem);
    if (plan.longer.length) {
      for (const [doc, score] of this.bm25(this.counts(longer), plan.total)) {
        if (!(scores.get(doc) >= score * WEIGHTS.prefix)) scores.set(doc, score * WEIGHTS.prefix);
      }
    }
    return scores;
  }

  /* The entry of a filter's pieces, or null when it is not set. */
  async filter(name, value) {
    if (!value) return null;
    return (await this.lookup(`${FILTER_MARK}${name}:${value}`)) || [];
  }

  /* The pieces of block `number` with every word of the query, as [doc, score]. */
  async hits(query, number) {
    const [lists, allowed] = await Promise.all([
      Promise.all(query.plans.map((plan) => this.scores(plan, number))),
      Promise.all(query.filters.map((entry) => this.block(entry, number))),
    ]);
    const only = allowed.map((flat) => new Set(this.counts([flat]).keys()));
    const [fewest, ...others] = query.order.map((i) => lists[i]);
    const out = [];
    for (const [doc, score] of fewest) {
      if (!only.every((docs) => docs.has(doc))) continue;
      let total = score;
      for (const other of others) {
        const more = other.get(doc);
        if (more === undefined) {
          total = -1;
          break;
        }
        total += more;
      }
      if (total >= 0) out.push([doc, total]);
    }
    return out;
  }

  /*
   * Pieces with every word of the query, best first: `hits` holds those scored so far, the
   * first `settled` of them in their final places. With `first`, and a query whose number of
   * results is known from the summaries (one word, no filter, no phrase), only the blocks that
   * may hold the first results are scored; `settle` scores more.
   */
  async match(parsed, filters, first = Infinity) {
    const [plans, kind, topic] = await Promise.all([
      Promise.all(parsed.terms.map((word) => this.plan(word, word === parsed.prefix))),
      this.filter("kind", filters.kind),
      this.filter("topic", filters.topic),
    ]);
    const missing = parsed.terms.filter((_, i) => plans[i].total === 0);
    // the word that finds the fewest pieces first, and their scores summed in that order
    const order = plans.map((_, i) => i).sort((a, b) => plans[a].total - plans[b].total);
    const query = { plans, order, filters: [kind, topic].filter((entry) => entry !== null) };
    const blocks = [];
    const wheres = plans.map((plan) => this.where(plan)); // once per word, not once per block
    for (const number of plans.length ? wheres[order[0]] : []) {
      if (!wheres.every((where) => where.has(number))) continue;
      if (!query.filters.every((entry) => this.blocks(entry).has(number))) continue;
      const bound = plans.reduce((sum, plan) => sum + this.bound(plan, number), 0);
      blocks.push({ number, bound, start: number * this.span });
    }
    blocks.sort((a, b) => b.bound - a.bound || a.number - b.number);
    const lazy = plans.length === 1 && !query.filters.length && !parsed.phrases.length;
    const found = new Matches(this, query, blocks, lazy ? plans[0].total : null);
    await found.settle(lazy ? first : Infinity);
    if (!parsed.phrases.length) return { found, missing, more: false };
    // a phrase: the best pieces with all its words, checked in their text, a batch at a time
    const { hits } = found;
    const kept = [];
    for (let i = 0; i < Math.min(hits.length, PHRASE_CHECK); i += BATCH) {
      const batch = hits.slice(i, Math.min(i + BATCH, PHRASE_CHECK));
      const records = await Promise.all(batch.map(([doc]) => this.record(doc)));
      batch.forEach((hit, j) => {
        const text = `${records[j].title}\n${records[j].text}`;
        if (parsed.phrases.every((phrase) => hasPhrase(text, phrase))) kept.push(hit);
      });
    }
    return { found: new Matches(this, query, [], null, kept), missing, more: hits.length > PHRASE_CHECK };
  }

  async record(doc) {
    const block = this.manifest.block;
    const table = await this.get(`r/${this.manifest.records[Math.floor(doc / block)]}.json`);
    return this.get(`d/${doc}.${table[doc % block]}.json`);
  }

  /* The indexed word closest to `word`, from the shards around where it would be (not the whole vocabulary). */
  async closest(word) {
    if (!this.firsts.length) return null;
    // the shards of the words that share its first three letters, up to NEAR each side, and
    // the shards either side of its own
    const at = this.shardOf(word);
    const start = [...word].slice(0, 3).join("");
    const from = Math.max(0, Math.min(at - 1, Math.max(this.shardOf(start), at - NEAR)));
    let to = Math.min(at + 1, this.firsts.length - 1);
    while (to + 1 < this.firsts.length && to < at + NEAR && this.firsts[to + 1].startsWith(start)) to += 1;
    const numbers = [];
    for (let i = from; i <= to; i += 1) numbers.push(i);
    const shards = await Promise.all(numbers.map((i) => this.shard(i)));
    const limit = size(word) <= 4 ? 1 : 2;
    let best = null;
    for (const shard of shards) {
      for (const [term, flat] of Object.entries(shard)) {
        if (typeof flat === "string" || term.startsWith(STEM_MARK) || term.startsWith(FILTER_MARK)) continue;
        const d = distance(word, term, limit);
        if (d > limit) continue;
        const candidate = { term, d, df: this.size(flat) };
        if (!best || d < best.d || (d === best.d && (candidate.df > best.df || (candidate.df === best.df && term < best.term)))) {
          best = candidate;
        }
      }
    }
    return best && best.term;
  }

  /*
   * Pieces that match the query (and the filters: {kind, topic}), best first; each result's
   * record loads on demand. When nothing matches because a word is in no piece, the query with
   * each such word replaced by the closest indexed word is searched instead, and `corrected`
   * says so ("did you mean ...?"). With `options.first`, `results` may hold only the first
   * `first` of the `total` results, and `page(count)` settles more.
   */
  async search(query, filters = {}, options = {}) {
    const first = options.first ?? Infinity;
    let parsed = parse(query);
    if (!parsed.terms.length) {
      return this.answer(parsed, { found: new Matches(this, null, [], null, []), more: false }, null);
    }
    let found = await this.match(parsed, filters, first);
    let corrected = null;
    if (!found.found.total && found.missing.length) {
      const fixes = await Promise.all(found.missing.map((word) => this.closest(word)));
      if (fixes.every(Boolean)) {
        const replace = new Map(found.missing.map((word, i) => [word, fixes[i]]));
        corrected = normalize(query).replace(WORD, (word) => replace.get(word) || word);
        const retry = parse(`${corrected} `); // whole words now: no longer words they begin
        const again = await this.match(retry, filters, first);
        if (again.found.total) {
          parsed = retry;
          found = again;
        } else {
          corrected = null;
        }
      }
    }
    return this.answer(parsed, found, corrected);
  }

  answer(parsed, { found, more }, corrected) {
    const results = [];
    const grow = () => {
      for (const [doc, score] of found.hits.slice(results.length, found.settled)) {
        results.push({ doc, score, data: () => this.record(doc) });
      }
      return results;
    };
    grow();
    return {
      words: parsed.terms,
      phrases: parsed.phrases,
      prefix: parsed.prefix,
      corrected,
      more,
      excerpt: (text) => excerpt(text, parsed.terms, 24, parsed.prefix),
      total: found.total, // how many pieces match
      results, // the first of them, best first (all of them unless `first` was given)
      // make `results` hold the first `count` (or all, if fewer match); resolves to it
      page: async (count) => {
        await found.settle(count);
        return grow();
      },
    };
  }
}

/*
 * The pieces a query matches, scored a block at a time, best bound first. `hits` are those
 * scored so far, best first; the first `settled` of them are in their final places: no block
 * left or being scored may hold a piece that scores as high. `total` is known from the start
 * for a query of one word (the pieces it finds), else once every block is scored. Calls of
 * `settle` run one after the other (a page asked for while another is being scored waits).
 */
class Matches {
  constructor(index, query, blocks, total, hits = []) {
    this.index = index;
    this.query = query;
    this.left = blocks; // by bound, best first
    this.taken = []; // blocks being scored: their hits are not in `hits` yet
    this.hits = hits;
    this.known = total;
    this.scored = 0; // blocks scored so far
    this.final = 0; // hits known to be in their final places (`settled` never goes down)
    this.busy = Promise.resolve(); // the last call of `settle`
  }

  get total() {
    return this.known ?? this.hits.length;
  }

  /*
   * A piece scored later sorts after every settled one (its block could not beat them), so
   * the settled hits keep their places and the count goes on from where it was.
   */
  get settled() {
    const beaten = (hit) => (block) => this.before(block, hit);
    const open = (hit) => this.left.some(beaten(hit)) || this.taken.some(beaten(hit));
    while (this.final < this.hits.length && !open(this.hits[this.final])) this.final += 1;
    return this.final;
  }

  /*
   * Whether a piece of `block` may rank before `hit`: score more, or as much with a lower
   * number. A block's bound is computed as its best piece's score is (lazily only for one
   * word: a sum of bounds might round otherwise), so it is never below it.
   */
  before(block, [doc, score]) {
    return block.bound > score || (block.bound === score && block.start < doc);
  }

  /* Score blocks until the first `count` hits are settled (or every block is scored). */
  settle(count) {
    const run = this.busy.then(() => this.score(count));
    this.busy = run.catch(() => {}); // a failed fetch fails its own call, not the next ones
    return run;
  }

  async score(count) {
    while (this.left.length && this.settled < count) {
      let take = this.left.length; // everything at once: every hit is wanted
      if (count !== Infinity) {
        // the blocks that may still beat the last one wanted (one, while too few are scored),
        // best first, as many as were scored before: a few rounds, few blocks more than needed
        const last = this.hits[count - 1];
        const may = last ? this.left.filter((block) => this.before(block, last)).length : 1;
        take = Math.max(1, Math.min(may, this.scored));
      }
      const batch = this.left.splice(0, take);
      this.scored += batch.length;
      this.taken = batch;
      try {
        const found = await Promise.all(batch.map((block) => this.index.hits(this.query, block.number)));
        for (const hits of found) for (const hit of hits) this.hits.push(hit);
        this.hits.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      } catch (error) {
        this.left.unshift(...batch); // not scored: the next call scores it again
        this.scored -= batch.length;
        throw error;
      } finally {
        this.taken = [];
      }
    }
  }
}

/* The index of the site at `root` (a URL ending in /); rejects when the site has none. */
export async function open(root) {
  const folder = new URL("search-index/", root);
  const response = await fetch(new URL("manifest.json", folder), { cache: "no-cache" });
  if (!response.ok) throw new Error(`search index: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.format !== FORMAT) throw new Error(`search index: format ${manifest.format}`);
  return new Index(folder, manifest);
}
