/**
 * Seeded fuzzing of the three fixture tokenizers.
 *
 * 1. Random Unicode strings (ASCII, combining marks, surrogate pairs and lone surrogates, ZWJ
 *    emoji, CJK and other scripts, whitespace and control characters, very long words, text
 *    spelling special tokens) through encode, decode and encodeBatch with padding and
 *    truncation: no exception, bounded time per call, well-typed results (integer ids in the
 *    vocabulary, offsets inside the text and monotone, every field the same length), and for
 *    GPT-2 decode(encode(x)) === x (byte-level BPE is lossless; a lone surrogate, which has no
 *    UTF-8 form, comes back as U+FFFD as in every UTF-8 tokenizer).
 * 2. Corrupted tokenizer.json files (byte flips and truncations of the real file, deleted
 *    fields, values of the wrong type at random JSON paths): each either loads into a tokenizer
 *    that works (or throws TokenizerError when used) or throws TokenizerError; never another
 *    error type, never a hang.
 *
 * The seed is fixed (TENSILE_FUZZ_SEED overrides it); every failure message names the seed and
 * the case, and JSON-escapes the input, so a failure can be replayed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerError, type Encoding } from '@tensile/tokenizers';
import { fixturesRoot } from './fixtures';
import { prng } from './random.js';

const FIXTURES = fixturesRoot();
const SEED = Number(process.env.TENSILE_FUZZ_SEED ?? 0x7e5e11e);
const NAMES = ['gpt2', 'bert-base-uncased', 'unigram-small'] as const;
type Name = (typeof NAMES)[number];
/** Random strings per tokenizer (each through encode and decode twice). */
const STRINGS = 1000;
/** Random batches per tokenizer. */
const BATCHES = 60;
/** Byte-corrupted files per tokenizer (the whole file is parsed: GPT-2's 2 MB load slowly), and field corruptions. */
const FLIPS: Record<Name, number> = { gpt2: 24, 'bert-base-uncased': 40, 'unigram-small': 60 };
const FIELDS = 80;
/** One call slower than this counts as a hang. */
const MAX_CALL_MS = 2000;

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** A seed per (tokenizer, test), derived from SEED, so each test replays on its own. */
function seedFor(...parts: string[]): number {
  let h = SEED >>> 0;
  for (const ch of parts.join('/')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const cp = (r: Rand, lo: number, hi: number) => String.fromCodePoint(int(r, lo, hi));

const SPECIAL = ['[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]', '<|endoftext|>', '</s>', '<pad>', '<unk>', '[MAS', '<|endof', 'text|>', '▁', 'Ġ', '##', '##ing', '[CLS][SEP]'];
const EMOJI = ['👨‍👩‍👧‍👦', '👍🏽', '🏳️‍🌈', '🇯🇵', '1️⃣', '❤️', '🧑🏿‍💻', '😀', '🐋', '\u200d'];
const SPACES = [' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2028', '\u200b', '\u2003', '\f', '\v', '\u1680'];
const CONTROL = ['\u0000', '\u0007', '\u001b', '\u007f', '\ufeff', '\u00ad', '\ufffd', '\u200e', '\u202e', '\u0085', '\uffff', '\u0301'];
const WORDS = ['the', 'whale', "don't", "I'll", "WE'RE", "'s", 'Ishmael', 'naïve', 'nai\u0308ve', 'straße', 'İstanbul', 'ﬁ', 'x', '42', '3.14', '1,000', 'e-mail', 'foo_bar', 'https://x.y/z?a=1', 'Ⅻ', '①'];
const SCRIPTS: [number, number][] = [
  [0x391, 0x3c9], // Greek
  [0x410, 0x44f], // Cyrillic
  [0x627, 0x64a], // Arabic
  [0x905, 0x939], // Devanagari
  [0xe01, 0xe2e], // Thai
  [0xac00, 0xd7a3], // Hangul syllables
  [0x1100, 0x11ff], // Hangul jamo
  [0x5d0, 0x5ea], // Hebrew
  [0x3041, 0x30ff], // kana
  [0xff01, 0xff5e], // full-width forms
];

/** A random string: 0-40 pieces (short strings are the most common), from the classes above. */
function randomString(r: Rand): string {
  const parts: string[] = [];
  const n = Math.floor(r() * r() * 41);
  for (let i = 0; i < n; i++) {
    switch (int(r, 0, 15)) {
      case 0:
      case 1:
        parts.push(cp(r, 0x20, 0x7e));
        break;
      case 2:
        parts.push(pick(r, WORDS));
        break;
      case 3: // letter + combining marks
        parts.push(cp(r, 0x61, 0x7a) + cp(r, 0x300, 0x36f) + (r() < 0.3 ? cp(r, 0x300, 0x36f) : ''));
        break;
      case 4: // outside the BMP: a surrogate pair
        parts.push(cp(r, 0x10000, 0x10ffff));
        break;
      case 5: // a lone surrogate
        parts.push(String.fromCharCode(r() < 0.5 ? int(r, 0xd800, 0xdbff) : int(r, 0xdc00, 0xdfff)));
        break;
      case 6:
        parts.push(pick(r, EMOJI));
        break;
      case 7: // CJK, sometimes Extension B (outside the BMP)
        parts.push(cp(r, 0x4e00, 0x9fff) + (r() < 0.3 ? cp(r, 0x20000, 0x2a6df) : ''));
        break;
      case 8:
        parts.push(pick(r, SPACES));
        break;
      case 9:
        parts.push(pick(r, CONTROL));
        break;
      case 10:
        parts.push(pick(r, SPECIAL));
        break;
      case 11: {
        // a very long word: BERT's 100-character limit, BPE on long runs
        const c = cp(r, 0x61, 0x7a);
        parts.push(r() < 0.5 ? c.repeat(int(r, 90, 120)) : Array.from({ length: int(r, 50, 300) }, () => cp(r, 0x61, 0x7a)).join(''));
        break;
      }
      case 12: {
        const [lo, hi] = pick(r, SCRIPTS);
        parts.push(Array.from({ length: int(r, 1, 6) }, () => cp(r, lo, hi)).join(''));
        break;
      }
      case 13: // any BMP code unit (includes surrogates and unassigned)
        parts.push(String.fromCharCode(int(r, 0, 0xffff)));
        break;
      default:
        parts.push(' ');
    }
  }
  return parts.join('');
}

/** The string as UTF-8 round-trips it: each lone surrogate becomes U+FFFD. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

// ---------------------------------------------------------------------------------------------
// Checks

class FuzzFailure extends Error {}

function context(test: string, i: number, input: unknown): string {
  const shown = typeof input === 'string' ? JSON.stringify(input.length > 400 ? `${input.slice(0, 400)}…` : input) : String(input);
  return `[fuzz seed ${SEED} (TENSILE_FUZZ_SEED=${SEED} to replay), ${test}, case ${i}] input ${shown}`;
}

function check(ok: boolean, what: string, ctx: () => string): void {
  if (!ok) throw new FuzzFailure(`${ctx()}: ${what}`);
}

/** Run `fn`, failing on any exception (named with the context) and on a call slower than MAX_CALL_MS. */
function timed<T>(label: string, ctx: () => string, fn: () => T): T {
  const t0 = performance.now();
  let out: T;
  try {
    out = fn();
  } catch (err) {
    if (err instanceof FuzzFailure) throw err;
    throw new FuzzFailure(`${ctx()}: ${label} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  const ms = performance.now() - t0;
  check(ms < MAX_CALL_MS, `${label} took ${ms.toFixed(0)} ms (limit ${MAX_CALL_MS} ms)`, ctx);
  return out;
}

const isIntArray = (a: unknown, lo: number, hi: number) => Array.isArray(a) && a.every((x) => Number.isInteger(x) && x >= lo && x <= hi);

/**
 * An Encoding is well formed: every field an array of the same length, integer ids in
 * [0, vocabSize), string tokens, masks of 0/1, offsets [start, end] with 0 <= start <= end <=
 * the length of the text they point into and (tokens of the text, not added special ones) in order.
 */
function checkEncoding(e: Encoding, texts: string[], vocabSize: number, ctx: () => string, padded = false): void {
  check(e !== null && typeof e === 'object', 'encode returned no object', ctx);
  const n = e.ids?.length;
  check(isIntArray(e.ids, 0, vocabSize - 1), `ids must be integers in [0, ${vocabSize}): ${JSON.stringify(e.ids?.slice(0, 50))}`, ctx);
  for (const k of ['tokens', 'offsets', 'typeIds', 'attentionMask', 'specialTokensMask'] as const) {
    check(Array.isArray(e[k]) && e[k].length === n, `${k} has length ${Array.isArray(e[k]) ? e[k].length : typeof e[k]}, ids ${n}`, ctx);
  }
  check(e.tokens.every((t) => typeof t === 'string'), 'tokens must be strings', ctx);
  check(isIntArray(e.typeIds, 0, 1), `typeIds must be 0/1: ${JSON.stringify(e.typeIds)}`, ctx);
  check(isIntArray(e.attentionMask, 0, 1) && (padded || e.attentionMask.every((x) => x === 1)), `attentionMask: ${JSON.stringify(e.attentionMask)}`, ctx);
  check(isIntArray(e.specialTokensMask, 0, 1), `specialTokensMask must be 0/1: ${JSON.stringify(e.specialTokensMask)}`, ctx);
  check(Array.isArray(e.overflowing), 'overflowing must be an array', ctx);
  const maxLen = Math.max(...texts.map((t) => t.length));
  let ps = -1, pe = -1, seq = -1;
  e.offsets.forEach((o, i) => {
    check(Array.isArray(o) && o.length === 2 && Number.isInteger(o[0]) && Number.isInteger(o[1]), `offsets[${i}] is not [int, int]: ${JSON.stringify(o)}`, ctx);
    const [s, t] = o;
    check(s >= 0 && s <= t && t <= maxLen, `offsets[${i}] = [${s}, ${t}] outside the text (length ${maxLen})`, ctx);
    if (e.attentionMask[i] === 0 || (e.specialTokensMask[i] === 1 && s === 0 && t === 0)) return;
    // A pair restarts offsets at the second text.
    const sid = e.sequenceIds?.[i] ?? e.typeIds[i]!;
    if (sid !== seq) {
      seq = sid;
      ps = pe = -1;
    }
    check(s >= ps && t >= pe, `offsets not monotone at ${i}: [${ps}, ${pe}] then [${s}, ${t}]`, ctx);
    ps = s;
    pe = t;
  });
}

// ---------------------------------------------------------------------------------------------
// Loading

const jsonText = new Map<Name, string>();
const readJson = (name: Name) => {
  if (!jsonText.has(name)) jsonText.set(name, readFileSync(join(FIXTURES, name, 'tokenizer.json'), 'utf8'));
  return jsonText.get(name)!;
};
const loaded = new Map<Name, Tokenizer>();
const tokenizer = (name: Name) => {
  if (!loaded.has(name)) loaded.set(name, Tokenizer.fromJSON(readJson(name), { name: `${name}/tokenizer.json` }));
  return loaded.get(name)!;
};
/** The pad token of the batches: the tokenizer's own, GPT-2's end-of-text otherwise (as golden.json's batches). */
const PAD: Record<Name, [string, number]> = { gpt2: ['<|endoftext|>', 50256], 'bert-base-uncased': ['[PAD]', 0], 'unigram-small': ['<pad>', 0] };

// ---------------------------------------------------------------------------------------------
// 1. Random strings

describe.each(NAMES)('fuzz %s with random Unicode strings', (name) => {
  it(`${STRINGS} strings: encode and decode never throw, are fast and well typed${name === 'gpt2' ? ', and decode(encode(x)) === x' : ''}`, () => {
    const tok = tokenizer(name);
    const vocab = tok.getVocabSize();
    const r = prng(seedFor(name, 'strings'));
    for (let i = 0; i < STRINGS; i++) {
      const text = randomString(r);
      const ctx = () => context(`${name} strings`, i, text);
      const enc = timed('encode', ctx, () => tok.encode(text));
      checkEncoding(enc, [text], vocab, ctx);
      const d1 = timed('decode(skipSpecialTokens)', ctx, () => tok.decode(enc.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true }));
      const d2 = timed('decode', ctx, () => tok.decode(enc.ids, { skipSpecialTokens: false, cleanUpTokenizationSpaces: false }));
      check(typeof d1 === 'string' && typeof d2 === 'string', 'decode must return a string', ctx);
      if (name === 'gpt2') check(d2 === wellFormed(text), `decode(encode(x)) !== x: got ${JSON.stringify(d2)}`, ctx);
    }
  });

  it('random text pairs: encode(a, b) is well typed', () => {
    const tok = tokenizer(name);
    const vocab = tok.getVocabSize();
    const r = prng(seedFor(name, 'pairs'));
    for (let i = 0; i < 200; i++) {
      const a = randomString(r), b = randomString(r);
      const ctx = () => context(`${name} pairs`, i, `${JSON.stringify(a)} + ${JSON.stringify(b)}`);
      checkEncoding(timed('encode(pair)', ctx, () => tok.encode(a, b)), [a, b], vocab, ctx);
    }
  });

  it(`${BATCHES} random batches with padding (longest, left and right) and truncation (with and without stride)`, () => {
    const plainTok = tokenizer(name);
    const vocab = plainTok.getVocabSize();
    // Padding and truncation are settings of the instance: a second one carries them.
    const tok = Tokenizer.fromJSON(readJson(name), { name });
    const r = prng(seedFor(name, 'batches'));
    const [padToken, padId] = PAD[name];
    for (let i = 0; i < BATCHES; i++) {
      const texts = Array.from({ length: int(r, 1, 8) }, () => randomString(r));
      const maxLength = int(r, 2, 40);
      const direction = r() < 0.5 ? 'right' : 'left';
      const stride = r() < 0.3 ? int(r, 0, Math.max(0, Math.floor(maxLength / 2) - 1)) : 0;
      const ctx = () => context(`${name} batches (maxLength ${maxLength}, padding ${direction}, stride ${stride})`, i, JSON.stringify(texts));
      const fullEnc = texts.map((t) => plainTok.encode(t));
      const full = fullEnc.map((e) => e.ids);
      timed('setTruncation/setPadding', ctx, () => {
        tok.enableTruncation({ maxLength, stride, strategy: 'longest_first', direction: 'right' });
        tok.enablePadding({ direction, padId, padToken });
      });
      const rows = timed('encodeBatch', ctx, () => tok.encodeBatch(texts));
      check(Array.isArray(rows) && rows.length === texts.length, `encodeBatch returned ${Array.isArray(rows) ? rows.length : typeof rows} rows for ${texts.length} texts`, ctx);
      const width = rows[0]!.ids.length;
      rows.forEach((row, j) => {
        const rctx = () => `${ctx()} row ${j}`;
        checkEncoding(row, [texts[j]!], vocab, rctx, true);
        check(row.ids.length === width, `rows differ in length: ${row.ids.length} vs ${width}`, rctx);
        check(width <= Math.max(maxLength, ...full.map((f) => Math.min(f.length, maxLength))), `row longer than maxLength ${maxLength}: ${width}`, rctx);
        const real = row.attentionMask.reduce((s, x) => s + x, 0);
        const mask = direction === 'right' ? [...Array(real).fill(1), ...Array(width - real).fill(0)] : [...Array(width - real).fill(0), ...Array(real).fill(1)];
        check(JSON.stringify(row.attentionMask) === JSON.stringify(mask), `attentionMask not ${direction}-padded: ${JSON.stringify(row.attentionMask)}`, rctx);
        check(row.ids.every((id, k) => row.attentionMask[k] === 1 || id === padId), 'padding positions must hold the pad id', rctx);
        const kept = row.ids.filter((_, k) => row.attentionMask[k] === 1);
        check(kept.length === Math.min(full[j]!.length, maxLength), `kept ${kept.length} ids of ${full[j]!.length} with maxLength ${maxLength}`, rctx);
        // Right truncation keeps a prefix of the text's tokens (special tokens aside).
        const body = (ids: number[], mask: number[]) => ids.filter((_, k) => mask[k] === 0);
        const keptBody = body(kept, row.specialTokensMask.filter((_, k) => row.attentionMask[k] === 1));
        const fullBody = body(fullEnc[j]!.ids, fullEnc[j]!.specialTokensMask);
        check(JSON.stringify(keptBody) === JSON.stringify(fullBody.slice(0, keptBody.length)), `truncated row is not a prefix of the full encoding: ${JSON.stringify(keptBody)} vs ${JSON.stringify(fullBody.slice(0, keptBody.length + 3))}`, rctx);
        row.overflowing.forEach((o, k) => checkEncoding(o, [texts[j]!], vocab, () => `${rctx()} overflowing[${k}]`, true));
        if (full[j]!.length <= maxLength) check(row.overflowing.length === 0, 'overflowing without truncation', rctx);
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Corrupted tokenizer.json files

const PROBES = ['Hello, world! naïve 日本 👍🏽 [MASK] <|endoftext|> </s>', '', ' ', 'a'.repeat(150), '\u0000\ud800x\u200d'];

/**
 * Load a (possibly corrupted) tokenizer.json and use it: every step either works with
 * well-typed results or throws TokenizerError. Returns what happened.
 */
function loadAndUse(input: string | object, label: string, ctx: () => string): 'loaded' | 'rejected' | 'rejected-on-use' {
  const guard = <T>(what: string, fn: () => T): T | typeof REJECTED => {
    const t0 = performance.now();
    try {
      return fn();
    } catch (err) {
      check(err instanceof TokenizerError, `${what} threw ${err instanceof Error ? `${err.constructor.name}: ${err.message.slice(0, 300)}` : String(err)}, not a TokenizerError`, ctx);
      return REJECTED;
    } finally {
      const ms = performance.now() - t0;
      check(ms < MAX_CALL_MS * 2, `${what} took ${ms.toFixed(0)} ms`, ctx);
    }
  };
  const tok = guard('Tokenizer.fromJSON', () => Tokenizer.fromJSON(input, { name: label }));
  if (tok === REJECTED) return 'rejected';
  const size = guard('getVocabSize', () => tok.getVocabSize());
  if (size === REJECTED) return 'rejected-on-use';
  check(Number.isInteger(size) && size >= 0, `getVocabSize() returned ${String(size)}`, ctx);
  for (const text of PROBES) {
    const enc = guard('encode', () => tok.encode(text));
    if (enc === REJECTED) return 'rejected-on-use';
    // A corrupted vocabulary may hold any ids: only the types are checked.
    checkEncoding(enc, [text], Number.MAX_SAFE_INTEGER, ctx);
    const dec = guard('decode', () => tok.decode(enc.ids, { skipSpecialTokens: false }));
    if (dec === REJECTED) return 'rejected-on-use';
    check(typeof dec === 'string', 'decode must return a string', ctx);
  }
  const batch = guard('encodeBatch', () => tok.encodeBatch(PROBES));
  if (batch === REJECTED) return 'rejected-on-use';
  check(Array.isArray(batch) && batch.length === PROBES.length, 'encodeBatch: wrong number of rows', ctx);
  return 'loaded';
}
const REJECTED = Symbol('rejected');

/** Byte positions worth corrupting: 60% in the part before the vocabulary (the pipeline, added tokens, model settings), 40% anywhere. */
function position(r: Rand, bytes: Uint8Array, head: number): number {
  return r() < 0.6 ? int(r, 0, Math.min(head, bytes.length - 1)) : int(r, 0, bytes.length - 1);
}
const FLIP_BYTES = [...'"{}[],:-.0123456789eEtfnul \\/', 'a', 'Z', '\u0000'].map((c) => c.charCodeAt(0));

/** Every path in a JSON value; inside big objects and arrays (the vocabulary, merges) only a few children. */
function paths(v: unknown, r: Rand, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (v === null || typeof v !== 'object') return out;
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  const chosen = keys.length > 40 ? Array.from({ length: 4 }, () => pick(r, keys)) : keys;
  for (const k of chosen) paths((v as Record<string | number, unknown>)[k], r, [...prefix, k], out);
  return out;
}

/** A copy of `root` with the value at `path` replaced (or deleted when `value` is DELETE); only the containers along the path are copied. */
function withValue(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value === DELETE ? undefined : value;
  const [k, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = root.slice();
    if (rest.length === 0 && value === DELETE) copy.splice(k as number, 1);
    else copy[k as number] = withValue(root[k as number], rest, value);
    return copy;
  }
  const copy = { ...(root as Record<string, unknown>) };
  if (rest.length === 0 && value === DELETE) delete copy[k as string];
  else copy[k as string] = withValue((root as Record<string, unknown>)[k as string], rest, value);
  return copy;
}
const DELETE = Symbol('delete');
const WRONG = [null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, '', 'x', 'BPE', 'WordPiece', 'Unigram', 'ByteLevel', 'Metaspace', '\ud800', [], [1, 2], [['a', 1]], {}, { type: 'Bogus' }, { type: 'Sequence' }];

/**
 * The parsed tokenizer.json with its vocabulary cut to the first ~2,500 ids (and GPT-2's merges to
 * those among them), so that each of the many loads of the field corruptions is fast; the
 * pipeline, the added tokens and the model's settings are the real ones.
 */
function smallDoc(name: Name): Record<string, unknown> {
  const doc = JSON.parse(readJson(name)) as Record<string, unknown>;
  const model = doc.model as Record<string, unknown>;
  if (name === 'unigram-small') return doc;
  const keepIds = new Set([...(doc.added_tokens as { id: number }[]).map((t) => t.id)]);
  const vocab = Object.fromEntries(Object.entries(model.vocab as Record<string, number>).filter(([, id]) => id < 2500 || keepIds.has(id)));
  const merges = (model.merges as string[] | undefined)?.filter((m) => {
    const [a, b] = m.split(' ');
    return a! in vocab && b! in vocab && `${a}${b}` in vocab;
  });
  return { ...doc, model: { ...model, vocab, ...(merges ? { merges } : {}) } };
}

describe.each(NAMES)('fuzz %s with corrupted tokenizer.json', (name) => {
  const trials = FLIPS[name];

  it(`${trials} byte flips and ${Math.ceil(trials / 4)} truncations of the real file: load and work, or throw TokenizerError`, () => {
    const text = readJson(name);
    const bytes = new TextEncoder().encode(text);
    const head = text.indexOf('"vocab"') >= 0 ? Buffer.byteLength(text.slice(0, text.indexOf('"vocab"'))) + 200 : bytes.length;
    const r = prng(seedFor(name, 'bytes'));
    const seen = { loaded: 0, rejected: 0, 'rejected-on-use': 0 };
    for (let i = 0; i < trials; i++) {
      const b = bytes.slice();
      const edits: string[] = [];
      for (let k = int(r, 1, 3); k > 0; k--) {
        const at = position(r, b, head);
        b[at] = r() < 0.7 ? pick(r, FLIP_BYTES) : int(r, 0, 255);
        edits.push(`byte ${at} = ${b[at]}`);
      }
      const corrupted = Buffer.from(b).toString('utf8');
      seen[loadAndUse(corrupted, `${name}/tokenizer.json`, () => context(`${name} byte flips`, i, edits.join(', ')))]++;
    }
    for (let i = 0; i < Math.ceil(trials / 4); i++) {
      const at = r() < 0.5 ? int(r, 0, head) : int(r, 0, text.length - 1);
      seen[loadAndUse(text.slice(0, at), `${name}/tokenizer.json`, () => context(`${name} truncations`, i, `cut at ${at}`))]++;
    }
    expect(seen.rejected).toBeGreaterThan(0);
  });

  it(`${FIELDS} deleted fields and ${FIELDS} values of the wrong type at random JSON paths: load and work, or throw TokenizerError`, () => {
    const doc = smallDoc(name);
    expect(loadAndUse(doc, name, () => `${name}: the uncorrupted small document`)).toBe('loaded');
    const r = prng(seedFor(name, 'fields'));
    const all = paths(doc, r).filter((p) => p.length > 0);
    const seen = { loaded: 0, rejected: 0, 'rejected-on-use': 0 };
    for (let i = 0; i < 2 * FIELDS; i++) {
      const path = pick(r, all);
      const del = i < FIELDS;
      const value = del ? DELETE : pick(r, WRONG);
      const what = `${del ? 'delete' : `set to ${JSON.stringify(value)}`} at ${JSON.stringify(path)}`;
      seen[loadAndUse(withValue(doc, path, value) as object, `${name}/tokenizer.json`, () => context(`${name} fields`, i, what))]++;
    }
    expect(seen.rejected).toBeGreaterThan(0);
    expect(seen.loaded).toBeGreaterThan(0);
  });
});
