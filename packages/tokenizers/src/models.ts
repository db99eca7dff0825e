/** Models: WordPiece, BPE, Unigram, WordLevel (Hugging Face's tokenization algorithms). */
import { JsonReader, joinPath } from './errors.js';

/** Where a model writes its tokens: ids, strings and [start, end) in the piece's normalized text. */
export class TokenSink {
  ids: number[] = [];
  tokens: string[] = [];
  starts: number[] = [];
  ends: number[] = [];
  push(id: number, token: string, start: number, end: number): void {
    this.ids.push(id);
    this.tokens.push(token);
    this.starts.push(start);
    this.ends.push(end);
  }
}

export interface Model {
  readonly type: string;
  /** Tokenize one pre-tokenized piece; offsets are UTF-16 indices into `s`. */
  tokenize(s: string, out: TokenSink): void;
  /**
   * The same as one (possibly cached, so read-only) result, when the model has it: the encoder
   * reads it directly instead of copying it through a TokenSink. It is valid until the next call.
   */
  encodeWord?(s: string): Cached;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  getVocab(): Map<string, number>;
  getVocabSize(): number;
  toJSON(): object;
}

const CACHE_CAPACITY = 10_000;
const MAX_ID = 0x7fffffff;
const EMPTY: Cached = Object.freeze({ ids: [], tokens: [], starts: [], ends: [] });

/**
 * Remember a word's tokenization. As in Hugging Face's cache, a full cache takes no more
 * entries (rather than being cleared): the words seen first, which in running text are mostly
 * the frequent ones, stay cached, and a text with more distinct words than the capacity does
 * not lose them all every 10,000 words.
 */
function remember(cache: Map<string, Cached>, word: string, c: Cached): void {
  if (cache.size < CACHE_CAPACITY) cache.set(word, c);
}

/**
 * BPE merges: (left id, right id) -> rank, in an open-addressing hash table of Int32Arrays. A
 * Map keyed by left * vocabSize + right needs keys beyond 2^31 (GPT-2: 50257^2), which V8 boxes
 * as doubles and hashes slowly; this lookup is the inner loop of every merge.
 */
class PairTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly rank: Int32Array;
  private readonly mask: number;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.rank = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private static hash(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
  }

  /** Set (a, b) -> rank, replacing an earlier rank of the same pair. */
  set(a: number, b: number, rank: number): void {
    let h = PairTable.hash(a, b) & this.mask;
    while (this.left[h] !== -1 && !(this.left[h] === a && this.right[h] === b)) h = (h + 1) & this.mask;
    this.left[h] = a;
    this.right[h] = b;
    this.rank[h] = rank;
  }

  /** The rank of (a, b), or -1. */
  get(a: number, b: number): number {
    let h = PairTable.hash(a, b) & this.mask;
    for (;;) {
      const l = this.left[h]!;
      if (l === a && this.right[h] === b) return this.rank[h]!;
      if (l === -1) return -1;
      h = (h + 1) & this.mask;
    }
  }
}

/** FNV-1a over UTF-16 code units: VocabTable's hash, computed by callers as they scan a word. */
export const HASH_SEED = 0x811c9dc5 | 0;
export const HASH_PRIME = 0x01000193;
export function hashUnits(s: string, a: number, b: number): number {
  let h = HASH_SEED;
  for (let i = a; i < b; i++) h = Math.imul(h ^ s.charCodeAt(i), HASH_PRIME);
  return h;
}

/**
 * A string -> id table looked up by a range of another string (and its hash), so a word found in
 * the text needs no substring to be looked up: open addressing over the keys' hashes.
 */
export class VocabTable {
  private readonly keys: string[];
  private readonly ids: Int32Array;
  private readonly hashes: Int32Array;
  private readonly mask: number;

  constructor(entries: Iterable<[string, number]>, count: number) {
    let cap = 16;
    while (cap < count * 2) cap *= 2;
    this.keys = new Array<string>(cap).fill('');
    this.ids = new Int32Array(cap).fill(-1);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    for (const [k, id] of entries) {
      const h = hashUnits(k, 0, k.length);
      let slot = (h ^ (h >>> 15)) & this.mask;
      while (this.ids[slot] !== -1 && this.keys[slot] !== k) slot = (slot + 1) & this.mask;
      this.keys[slot] = k;
      this.ids[slot] = id;
      this.hashes[slot] = h;
    }
  }

  /** The slot of the key equal to map[text[a]], ..., map[text[b - 1]] (hash h), or -1. */
  findMapped(text: string, a: number, b: number, h: number, map: Uint16Array): number {
    const len = b - a;
    let slot = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      if (this.ids[slot] === -1) return -1;
      if (this.hashes[slot] === h) {
        const k = this.keys[slot]!;
        if (k.length === len) {
          let i = 0;
          while (i < len && k.charCodeAt(i) === map[text.charCodeAt(a + i)]) i++;
          if (i === len) return slot;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The slot of the key equal to text[a, b) (hash h), or -1. */
  find(text: string, a: number, b: number, h: number): number {
    const len = b - a;
    let slot = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      if (this.ids[slot] === -1) return -1;
      if (this.hashes[slot] === h) {
        const k = this.keys[slot]!;
        if (k.length === len && text.startsWith(k, a)) return slot;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  id(slot: number): number {
    return this.ids[slot]!;
  }
  key(slot: number): string {
    return this.keys[slot]!;
  }
}

/** A cached tokenization of one word: ids, token strings and offsets relative to the word. */
export interface Cached {
  ids: number[];
  tokens: string[];
  starts: number[];
  ends: number[];
}

function emit(c: Cached, out: TokenSink): void {
  for (let i = 0; i < c.ids.length; i++) out.push(c.ids[i]!, c.tokens[i]!, c.starts[i]!, c.ends[i]!);
}

function parseVocabObject(r: JsonReader, v: unknown, path: string): { vocab: Map<string, number>; byId: string[] } {
  const o = r.obj(v, path);
  const vocab = new Map<string, number>();
  const byId: string[] = [];
  for (const k in o) {
    const id = o[k];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      if (typeof id === 'number') r.fail(joinPath(path, k), `expected a non-negative integer id, got ${id}`);
      r.expected(joinPath(path, k), 'a number', id);
    }
    // Ids live in Int32Arrays (merges, caches); Hugging Face's are u32, and a real vocabulary is
    // far smaller.
    if (id > MAX_ID) r.fail(joinPath(path, k), `id ${id} is too large (at most ${MAX_ID})`);
    vocab.set(k, id);
    byId[id] = k;
  }
  return { vocab, byId };
}

/** Byte fallback: the ids of the `<0xXX>` tokens of the UTF-8 bytes of `s`, or null when one is not in `vocab`. */
function byteFallbackIds(vocab: Map<string, number>, s: string): number[] | null {
  const bids: number[] = [];
  for (const b of new TextEncoder().encode(s)) {
    const bid = vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    if (bid === undefined) return null;
    bids.push(bid);
  }
  return bids;
}

function vocabToObject(vocab: Map<string, number>): Record<string, number> {
  const entries = [...vocab.entries()].sort((a, b) => a[1] - b[1]);
  const o: Record<string, number> = {};
  for (const [k, v] of entries) o[k] = v;
  return o;
}

/** The vocabulary lookups of a model that keeps token -> id in a Map and id -> token in an array. */
export abstract class VocabModel {
  constructor(
    readonly vocab: Map<string, number>,
    readonly byId: string[],
  ) {}
  tokenToId(t: string): number | undefined {
    return this.vocab.get(t);
  }
  idToToken(id: number): string | undefined {
    return this.byId[id];
  }
  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }
  getVocabSize(): number {
    return this.vocab.size;
  }
}

export class WordPiece extends VocabModel implements Model {
  readonly type = 'WordPiece';
  private cache = new Map<string, Cached>();
  /** The longest vocabulary entry, in UTF-16 units: longer candidates need no lookup. */
  private readonly maxTokenLength: number;
  constructor(
    vocab: Map<string, number>,
    byId: string[],
    readonly unkToken: string,
    readonly prefix: string,
    readonly maxInputCharsPerWord: number,
  ) {
    super(vocab, byId);
    let max = 0;
    for (const k of vocab.keys()) if (k.length > max) max = k.length;
    this.maxTokenLength = max;
  }

  tokenize(s: string, out: TokenSink): void {
    emit(this.encodeWord(s), out);
  }

  private table: VocabTable | null = null;
  /** The vocabulary as a VocabTable (built on first use). */
  get vocabTable(): VocabTable {
    if (!this.table) this.table = new VocabTable(this.vocab, this.vocab.size);
    return this.table;
  }

  encodeWord(s: string): Cached {
    const hit = this.cache.get(s);
    if (hit) return hit;
    const c = this.compute(s);
    remember(this.cache, s, c);
    return c;
  }

  private unk(s: string): Cached {
    const id = this.vocab.get(this.unkToken);
    if (id === undefined) throw new Error(`WordPiece: unk token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    return { ids: [id], tokens: [this.unkToken], starts: [0], ends: [s.length] };
  }

  private compute(s: string): Cached {
    let chars = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (!(c >= 0xdc00 && c < 0xe000)) chars++;
    }
    if (chars > this.maxInputCharsPerWord) return this.unk(s);
    const res: Cached = { ids: [], tokens: [], starts: [], ends: [] };
    let start = 0;
    while (start < s.length) {
      let end = s.length;
      let found = false;
      const extra = start > 0 ? this.prefix.length : 0;
      while (start < end) {
        if (end - start + extra > this.maxTokenLength) {
          // Too long to be in the vocabulary: step to the next candidate end as below, unlooked-up.
          const last = s.charCodeAt(end - 1);
          end -= last >= 0xdc00 && last < 0xe000 && end - 2 >= start ? 2 : 1;
          continue;
        }
        const sub = start > 0 ? this.prefix + s.slice(start, end) : s.slice(start, end);
        const id = this.vocab.get(sub);
        if (id !== undefined) {
          res.ids.push(id);
          res.tokens.push(sub);
          res.starts.push(start);
          res.ends.push(end);
          found = true;
          break;
        }
        const last = s.charCodeAt(end - 1);
        end -= last >= 0xdc00 && last < 0xe000 && end - 2 >= start ? 2 : 1;
      }
      if (!found) return this.unk(s);
      start = end;
    }
    return res;
  }

  toJSON(): object {
    return {
      type: 'WordPiece',
      unk_token: this.unkToken,
      continuing_subword_prefix: this.prefix,
      max_input_chars_per_word: this.maxInputCharsPerWord,
      vocab: vocabToObject(this.vocab),
    };
  }
}

export class WordLevel extends VocabModel implements Model {
  readonly type = 'WordLevel';
  constructor(
    vocab: Map<string, number>,
    byId: string[],
    readonly unkToken: string,
  ) {
    super(vocab, byId);
  }
  tokenize(s: string, out: TokenSink): void {
    const id = this.vocab.get(s);
    if (id !== undefined) return out.push(id, s, 0, s.length);
    const unk = this.vocab.get(this.unkToken);
    if (unk === undefined) throw new Error(`WordLevel: unk token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    out.push(unk, this.unkToken, 0, s.length);
  }
  toJSON(): object {
    return { type: 'WordLevel', vocab: vocabToObject(this.vocab), unk_token: this.unkToken };
  }
}

export interface BPEOptions {
  dropout: number | null;
  unkToken: string | null;
  continuingSubwordPrefix: string | null;
  endOfWordSuffix: string | null;
  fuseUnk: boolean;
  byteFallback: boolean;
  ignoreMerges: boolean;
}

export class BPE extends VocabModel implements Model {
  readonly type = 'BPE';
  /** (left id, right id) -> rank. */
  private readonly mergeRank: PairTable;
  /** rank -> merged id. */
  private readonly mergeNew: Int32Array;
  private cache = new Map<string, Cached>();

  constructor(
    vocab: Map<string, number>,
    byId: string[],
    /** Merges as [left, right] pairs, in rank order. */
    readonly merges: [string, string][],
    readonly opts: BPEOptions,
    r?: JsonReader,
    path = 'model.merges',
  ) {
    super(vocab, byId);
    this.mergeRank = new PairTable(merges.length);
    this.mergeNew = new Int32Array(merges.length);
    const prefixLen = opts.continuingSubwordPrefix ? opts.continuingSubwordPrefix.length : 0;
    for (let i = 0; i < merges.length; i++) {
      const [a, b] = merges[i]!;
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const fail = (msg: string): never => {
        if (r) r.fail(joinPath(path, i), msg);
        throw new Error(`${path}[${i}]: ${msg}`);
      };
      if (ia === undefined) fail(`merge token ${JSON.stringify(a)} is not in the vocabulary`);
      if (ib === undefined) fail(`merge token ${JSON.stringify(b)} is not in the vocabulary`);
      const merged = a + b.slice(prefixLen);
      const im = vocab.get(merged);
      if (im === undefined) fail(`merged token ${JSON.stringify(merged)} is not in the vocabulary`);
      this.mergeRank.set(ia!, ib!, i); // a repeated pair keeps its last rank, as in Hugging Face
      this.mergeNew[i] = im!;
    }
  }

  tokenize(s: string, out: TokenSink): void {
    if (s.length === 0) return;
    emit(this.encodeWord(s), out);
  }

  encodeWord(s: string): Cached {
    if (s.length === 0) return EMPTY;
    const cacheable = !this.opts.dropout;
    if (cacheable) {
      const hit = this.cache.get(s);
      if (hit) return hit;
    }
    const c = this.compute(s);
    if (cacheable) remember(this.cache, s, c);
    return c;
  }

  private compute(w: string): Cached {
    const o = this.opts;
    if (o.ignoreMerges) {
      const id = this.vocab.get(w);
      if (id !== undefined) return { ids: [id], tokens: [w], starts: [0], ends: [w.length] };
    }
    const ids: number[] = [];
    const lens: number[] = [];
    let unkId = -1;
    let unkLen = 0;
    const unkVocab = o.unkToken !== null ? this.vocab.get(o.unkToken) : undefined;
    for (let i = 0; i < w.length; ) {
      const cp = w.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      const isFirst = i === 0;
      i += len;
      const isLast = i === w.length;
      let sym = w.slice(i - len, i);
      if (!isFirst && o.continuingSubwordPrefix) sym = o.continuingSubwordPrefix + sym;
      if (isLast && o.endOfWordSuffix) sym = sym + o.endOfWordSuffix;
      const id = this.vocab.get(sym);
      if (id !== undefined) {
        if (unkId >= 0) {
          ids.push(unkId);
          lens.push(unkLen);
          unkId = -1;
        }
        ids.push(id);
        lens.push(len);
        continue;
      }
      if (o.byteFallback) {
        const bids = byteFallbackIds(this.vocab, sym);
        if (bids) {
          if (unkId >= 0) {
            ids.push(unkId);
            lens.push(unkLen);
            unkId = -1;
          }
          // Every byte token spans the whole character (zero-width after the first).
          for (let k = 0; k < bids.length; k++) {
            ids.push(bids[k]!);
            lens.push(k === 0 ? len : 0);
          }
          continue;
        }
      }
      if (o.unkToken !== null) {
        if (unkVocab === undefined) throw new Error(`BPE: unk token ${JSON.stringify(o.unkToken)} is not in the vocabulary`);
        if (unkId >= 0 && o.fuseUnk) unkLen += len;
        else {
          if (unkId >= 0) {
            ids.push(unkId);
            lens.push(unkLen);
          }
          unkId = unkVocab;
          unkLen = len;
        }
      }
    }
    if (unkId >= 0) {
      ids.push(unkId);
      lens.push(unkLen);
    }
    this.mergeAll(ids, lens);
    const res: Cached = { ids, tokens: new Array<string>(ids.length), starts: new Array<number>(ids.length), ends: new Array<number>(ids.length) };
    let pos = 0;
    let prevStart = 0;
    for (let k = 0; k < ids.length; k++) {
      res.tokens[k] = this.byId[ids[k]!]!;
      if (lens[k] === 0) {
        // byte-fallback continuation: same span as the previous token
        res.starts[k] = prevStart;
        res.ends[k] = pos;
        continue;
      }
      prevStart = pos;
      res.starts[k] = pos;
      pos += lens[k]!;
      res.ends[k] = pos;
    }
    return res;
  }

  /** Apply merges: repeatedly the lowest-rank adjacent pair, leftmost first (in place). */
  private mergeAll(ids: number[], lens: number[]): void {
    const dropout = this.opts.dropout;
    if (!dropout) return this.mergeNoDropout(ids, lens);
    for (;;) {
      let best = -1;
      let bestRank = 0x7fffffff;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.mergeRank.get(ids[i]!, ids[i + 1]!);
        if (rank >= 0 && rank < bestRank) {
          if (dropout && Math.random() < dropout) continue;
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) return;
      ids[best] = this.mergeNew[bestRank]!;
      lens[best]! += lens[best + 1]!;
      ids.splice(best + 1, 1);
      lens.splice(best + 1, 1);
    }
  }

  /**
   * The same merges without dropout: each pair's rank is looked up once and only the two pairs
   * next to a merge are looked up again (rather than every pair on every step).
   */
  private mergeNoDropout(ids: number[], lens: number[]): void {
    let n = ids.length;
    if (n < 2) return;
    const ranks: number[] = new Array<number>(n - 1);
    const NONE = 0x7fffffff;
    for (let i = 0; i + 1 < n; i++) {
      const r = this.mergeRank.get(ids[i]!, ids[i + 1]!);
      ranks[i] = r < 0 ? NONE : r;
    }
    for (;;) {
      let best = -1;
      let bestRank = NONE;
      for (let i = 0; i + 1 < n; i++) {
        if (ranks[i]! < bestRank) {
          bestRank = ranks[i]!;
          best = i;
        }
      }
      if (best < 0) break;
      ids[best] = this.mergeNew[bestRank]!;
      lens[best]! += lens[best + 1]!;
      for (let i = best + 1; i + 1 < n; i++) {
        ids[i] = ids[i + 1]!;
        lens[i] = lens[i + 1]!;
      }
      for (let i = best + 1; i + 1 < n - 1; i++) ranks[i] = ranks[i + 1]!;
      n--;
      if (best > 0) {
        const r = this.mergeRank.get(ids[best - 1]!, ids[best]!);
        ranks[best - 1] = r < 0 ? NONE : r;
      }
      if (best + 1 < n) {
        const r = this.mergeRank.get(ids[best]!, ids[best + 1]!);
        ranks[best] = r < 0 ? NONE : r;
      }
    }
    ids.length = n;
    lens.length = n;
  }

  toJSON(): object {
    const o = this.opts;
    return {
      type: 'BPE',
      dropout: o.dropout,
      unk_token: o.unkToken,
      continuing_subword_prefix: o.continuingSubwordPrefix,
      end_of_word_suffix: o.endOfWordSuffix,
      fuse_unk: o.fuseUnk,
      byte_fallback: o.byteFallback,
      ignore_merges: o.ignoreMerges,
      vocab: vocabToObject(this.vocab),
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }
}

const K_UNK_PENALTY = 10;

export class Unigram implements Model {
  readonly type = 'Unigram';
  private readonly tokenToIds = new Map<string, number>();
  /** Trie: (node, UTF-16 unit) -> child node; terminal[node] = piece id or -1. */
  private readonly trie: PairTable;
  /** The root's child for each UTF-16 unit (-1: none): the first step of every walk. */
  private readonly rootChild = new Int32Array(65536).fill(-1);
  private terminal: Int32Array;
  private readonly minScore: number;
  private readonly scores: Float64Array;
  private cache = new Map<string, Cached>();
  readonly fuseUnk = true;

  constructor(
    readonly pieces: [string, number][],
    readonly unkId: number | null,
    readonly byteFallback: boolean,
  ) {
    this.scores = new Float64Array(pieces.length);
    let units = 0;
    for (const [p] of pieces) units += p.length;
    this.trie = new PairTable(units);
    let min = Infinity;
    let nodes = 1;
    const term: number[] = [-1];
    for (let id = 0; id < pieces.length; id++) {
      const [p, score] = pieces[id]!;
      this.scores[id] = score;
      if (score < min) min = score;
      if (!this.tokenToIds.has(p)) this.tokenToIds.set(p, id);
      let node = 0;
      for (let i = 0; i < p.length; i++) {
        const unit = p.charCodeAt(i);
        let child = this.trie.get(node, unit);
        if (child < 0) {
          child = nodes++;
          term.push(-1);
          this.trie.set(node, unit, child);
          if (node === 0) this.rootChild[unit] = child;
        }
        node = child;
      }
      if (p.length > 0 && term[node] === -1) term[node] = id;
    }
    this.terminal = Int32Array.from(term);
    this.minScore = min === Infinity ? 0 : min;
  }

  tokenize(s: string, out: TokenSink): void {
    if (s.length === 0) return;
    emit(this.encodeWord(s), out);
  }

  encodeWord(s: string): Cached {
    if (s.length === 0) return EMPTY;
    const hit = this.cache.get(s);
    if (hit) return hit;
    if (this.cache.size >= CACHE_CAPACITY) {
      // The cache takes no more words: the result is read at once and dropped, so one scratch
      // result serves every such word (no garbage per word).
      const c = this.scratch;
      c.ids.length = c.tokens.length = c.starts.length = c.ends.length = 0;
      return this.compute(s, c);
    }
    const c = this.compute(s, { ids: [], tokens: [], starts: [], ends: [] });
    remember(this.cache, s, c);
    return c;
  }
  private readonly scratch: Cached = { ids: [], tokens: [], starts: [], ends: [] };
  private readonly segs: number[] = [];

  /** Viterbi's lattice, reused from word to word (grown as needed). */
  private bestScore = new Float64Array(64);
  private startsAt = new Int32Array(64);
  private bestId = new Int32Array(64);

  /**
   * Viterbi over the pieces' scores (Hugging Face's encode_optimized): fills the lattice, where
   * position `end` holds the best last piece ending there (its start, or -1, and its id).
   */
  private viterbi(s: string): void {
    const size = s.length;
    if (this.startsAt.length < size + 1) {
      let cap = this.startsAt.length;
      while (cap < size + 1) cap *= 2;
      this.bestScore = new Float64Array(cap);
      this.startsAt = new Int32Array(cap);
      this.bestId = new Int32Array(cap);
    }
    const bestScore = this.bestScore;
    const startsAt = this.startsAt;
    const bestId = this.bestId;
    bestScore.fill(0, 0, size + 1);
    startsAt.fill(-1, 0, size + 1);
    bestId.fill(0, 0, size + 1);
    const unkScore = this.minScore - K_UNK_PENALTY;
    const unkId = this.unkId ?? -1;
    const trie = this.trie;
    const rootChild = this.rootChild;
    const terminal = this.terminal;
    const scores = this.scores;
    for (let start = 0; start < size; ) {
      const base = bestScore[start]!;
      const c0 = s.charCodeAt(start);
      const mblen = c0 >= 0xd800 && c0 < 0xdc00 && start + 1 < size && (s.charCodeAt(start + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      let hasSingle = false;
      // Down the trie along s[start..]: the root's children from a direct table.
      let node = rootChild[c0]!;
      for (let i = start; node >= 0; ) {
        const id = terminal[node]!;
        if (id >= 0) {
          const end = i + 1;
          const cand = scores[id]! + base;
          if (startsAt[end] === -1 || cand > bestScore[end]!) {
            bestScore[end] = cand;
            startsAt[end] = start;
            bestId[end] = id;
          }
          if (end - start === mblen) hasSingle = true;
        }
        if (++i >= size) break;
        node = trie.get(node, s.charCodeAt(i));
      }
      if (!hasSingle) {
        const end = start + mblen;
        const cand = unkScore + base;
        if (startsAt[end] === -1 || cand > bestScore[end]!) {
          bestScore[end] = cand;
          startsAt[end] = start;
          bestId[end] = unkId;
        }
      }
      start += mblen;
    }
  }

  /** Tokenize `s` into `res` (empty). */
  private compute(s: string, res: Cached): Cached {
    this.viterbi(s);
    const startsAt = this.startsAt;
    const bestId = this.bestId;
    // Back from the end: the pieces as (start, end, id) triples, last first; consecutive unknown
    // pieces fuse into one (id -2), as Hugging Face's fuse_unk does.
    const segs = this.segs;
    segs.length = 0;
    const fuse = this.fuseUnk && this.unkId !== null;
    let pendStart = -1;
    let pendEnd = -1;
    let end = s.length;
    while (end > 0) {
      const start = startsAt[end]!;
      if (start < 0) break;
      if (fuse && bestId[end] === this.unkId) {
        if (pendEnd < 0) pendEnd = end;
        pendStart = start;
      } else {
        if (pendEnd >= 0) {
          segs.push(pendStart, pendEnd, -2);
          pendEnd = -1;
        }
        segs.push(start, end, bestId[end]!);
      }
      end = start;
    }
    if (pendEnd >= 0) segs.push(pendStart, pendEnd, -2);
    let offset = 0;
    for (let j = segs.length - 3; j >= 0; j -= 3) {
      const a = segs[j]!;
      const b = segs[j + 1]!;
      const len = b - a;
      const vid = segs[j + 2]!;
      if (vid >= 0 && vid !== this.unkId) {
        // A piece the trie found: its first id, which is also tokenToIds' id for its text.
        res.ids.push(vid);
        res.tokens.push(this.pieces[vid]![0]);
        res.starts.push(offset);
        res.ends.push(offset + len);
        offset += len;
        continue;
      }
      const str = s.slice(a, b);
      let id = this.tokenToIds.get(str);
      if (id === undefined) {
        if (this.byteFallback) {
          const bids = byteFallbackIds(this.tokenToIds, str);
          if (bids) {
            for (const bid of bids) {
              res.ids.push(bid);
              res.tokens.push(this.pieces[bid]![0]);
              res.starts.push(offset);
              res.ends.push(offset + len);
            }
            offset += len;
            continue;
          }
        }
        if (this.unkId === null) throw new Error('Unigram: encountered an unknown piece but the model has no unk_id');
        id = this.unkId;
      }
      res.ids.push(id);
      res.tokens.push(str);
      res.starts.push(offset);
      res.ends.push(offset + len);
      offset += len;
    }
    return res;
  }

  tokenToId(t: string): number | undefined {
    return this.tokenToIds.get(t);
  }
  idToToken(id: number): string | undefined {
    return this.pieces[id]?.[0];
  }
  getVocab(): Map<string, number> {
    return new Map(this.tokenToIds);
  }
  getVocabSize(): number {
    return this.pieces.length;
  }
  toJSON(): object {
    return { type: 'Unigram', unk_id: this.unkId, vocab: this.pieces.map(([p, s]) => [p, s]), byte_fallback: this.byteFallback };
  }
}

const TYPES = ['WordPiece', 'BPE', 'Unigram', 'WordLevel'] as const;

/** Build a model from tokenizer.json's `model` field. */
export function parseModel(r: JsonReader, v: unknown, path: string): Model {
  const o = r.obj(v, path);
  let t: string;
  if (o.type === undefined) {
    // Older files omit the type: infer it as Hugging Face's untagged deserializer does.
    if (Array.isArray(o.vocab)) t = 'Unigram';
    else if ('merges' in o) t = 'BPE';
    else if ('continuing_subword_prefix' in o || 'max_input_chars_per_word' in o) t = 'WordPiece';
    else t = 'WordLevel';
  } else t = r.type(o, path, 'model', TYPES);
  switch (t) {
    case 'WordPiece': {
      const { vocab, byId } = parseVocabObject(r, o.vocab, joinPath(path, 'vocab'));
      return new WordPiece(
        vocab,
        byId,
        r.optStr(o, 'unk_token', path, '[UNK]'),
        r.optStr(o, 'continuing_subword_prefix', path, '##'),
        r.optUint(o, 'max_input_chars_per_word', path, 100),
      );
    }
    case 'WordLevel': {
      const { vocab, byId } = parseVocabObject(r, o.vocab, joinPath(path, 'vocab'));
      return new WordLevel(vocab, byId, r.optStr(o, 'unk_token', path, '<unk>'));
    }
    case 'BPE': {
      const { vocab, byId } = parseVocabObject(r, o.vocab, joinPath(path, 'vocab'));
      const mp = joinPath(path, 'merges');
      const list = r.arr(o.merges ?? [], mp);
      const merges: [string, string][] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const m = list[i];
        if (typeof m === 'string') {
          const sp = m.indexOf(' ', 1);
          if (sp < 0) r.fail(joinPath(mp, i), `expected "left right", got ${JSON.stringify(m)}`);
          merges[i] = [m.slice(0, sp), m.slice(sp + 1)];
        } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
          merges[i] = [m[0], m[1]];
        } else r.expected(joinPath(mp, i), 'a "left right" string or a [left, right] pair', m);
      }
      const dropout = r.optNum(o, 'dropout', path, null);
      if (dropout !== null && (dropout < 0 || dropout > 1)) r.fail(joinPath(path, 'dropout'), `expected a probability in [0, 1], got ${dropout}`);
      const nz = (s: string | null) => (s === '' ? null : s);
      return new BPE(
        vocab,
        byId,
        merges,
        {
          dropout: dropout === 0 ? null : dropout,
          unkToken: r.optStr(o, 'unk_token', path, null),
          continuingSubwordPrefix: nz(r.optStr(o, 'continuing_subword_prefix', path, null)),
          endOfWordSuffix: nz(r.optStr(o, 'end_of_word_suffix', path, null)),
          fuseUnk: r.optBool(o, 'fuse_unk', path, false),
          byteFallback: r.optBool(o, 'byte_fallback', path, false),
          ignoreMerges: r.optBool(o, 'ignore_merges', path, false),
        },
        r,
        mp,
      );
    }
    case 'Unigram': {
      const vp = joinPath(path, 'vocab');
      const list = r.arr(o.vocab, vp);
      const pieces: [string, number][] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        const ep = joinPath(vp, i);
        if (!Array.isArray(e) || e.length !== 2) r.expected(ep, 'a [piece, score] pair', e);
        pieces[i] = [r.str(e[0], joinPath(ep, 0)), r.num(e[1], joinPath(ep, 1))];
      }
      const unkId = r.optUint(o, 'unk_id', path, null);
      if (unkId !== null && unkId >= pieces.length) r.fail(joinPath(path, 'unk_id'), `unk_id ${unkId} is outside the vocabulary (size ${pieces.length})`);
      return new Unigram(pieces, unkId, r.optBool(o, 'byte_fallback', path, false));
    }
  }
  return r.fail(path, 'unreachable');
}
