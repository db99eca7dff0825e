/** Pre-tokenizers, driven by tokenizer.json's `pre_tokenizer` field. */
import { BYTE_TO_CHAR } from './bytelevel.js';
import { JsonReader, joinPath } from './errors.js';
import { NormalizedString, Ops, type SplitBehavior, charMatches, invertMatches, regexMatches } from './normalized.js';
import { type PatternSpec, parsePattern } from './normalizers.js';
import { isBertPunctuation, isNumeric, isWhitespace } from './unicode.js';

export interface PreTokenizer {
  /** Split (and possibly transform) each piece; returns the new list of pieces. */
  preTokenize(pieces: NormalizedString[]): NormalizedString[];
  /** The same for one piece, handing each split to `f` as it is found (when implemented). */
  eachSplit?(piece: NormalizedString, f: (split: NormalizedString) => void): void;
  toJSON(): object;
}

/** Hand each split of `piece` to `f`, in order (streaming when the pre-tokenizer can). */
export function forEachSplit(pre: PreTokenizer, piece: NormalizedString, f: (split: NormalizedString) => void): void {
  if (pre.eachSplit) pre.eachSplit(piece, f);
  else for (const sp of pre.preTokenize([piece])) f(sp);
}

const BEHAVIORS: Record<string, SplitBehavior> = {
  Removed: 'removed',
  Isolated: 'isolated',
  MergedWithPrevious: 'merged_with_previous',
  MergedWithNext: 'merged_with_next',
  Contiguous: 'contiguous',
};
const BEHAVIOR_NAMES = Object.fromEntries(Object.entries(BEHAVIORS).map(([k, v]) => [v, k])) as Record<SplitBehavior, string>;

function parseBehavior(r: JsonReader, v: unknown, path: string, def: SplitBehavior): SplitBehavior {
  if (v === undefined || v === null) return def;
  return BEHAVIORS[r.oneOf(v, path, Object.keys(BEHAVIORS))]!;
}

/** Split every piece on the characters matching `pred`. */
function splitChars(pieces: NormalizedString[], pred: (cp: number) => boolean, behavior: SplitBehavior): NormalizedString[] {
  const out: NormalizedString[] = [];
  const m: number[] = [];
  for (const p of pieces) {
    m.length = 0;
    p.split(charMatches(p.s, pred, m), behavior, out);
  }
  return out;
}

function splitRegex(pieces: NormalizedString[], re: RegExp, behavior: SplitBehavior, invert = false): NormalizedString[] {
  const out: NormalizedString[] = [];
  for (const p of pieces) {
    const m = regexMatches(p.s, re);
    p.split(invert ? invertMatches(m) : m, behavior, out);
  }
  return out;
}

/** A pre-tokenizer that finds the splits of one piece at a time (eachSplit); preTokenize collects them in order. */
export abstract class StreamingPreTokenizer implements PreTokenizer {
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    const push = (sp: NormalizedString) => void out.push(sp);
    for (const p of pieces) this.eachSplit(p, push);
    return out;
  }
  abstract eachSplit(piece: NormalizedString, f: (split: NormalizedString) => void): void;
  abstract toJSON(): object;
}

export class BertPreTokenizer extends StreamingPreTokenizer {
  eachSplit(p: NormalizedString, f: (split: NormalizedString) => void): void {
    // Fast path equivalent of split(whitespace, Removed) then split(punctuation, Isolated).
    const s = p.s;
    let start = -1;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      if (isWhitespace(cp)) {
        if (start >= 0) f(p.slice(start, i));
        start = -1;
      } else if (isBertPunctuation(cp)) {
        if (start >= 0) f(p.slice(start, i));
        f(p.slice(i, i + w));
        start = -1;
      } else if (start < 0) start = i;
      i += w;
    }
    if (start >= 0) f(p.slice(start, s.length));
  }
  toJSON(): object {
    return { type: 'BertPreTokenizer' };
  }
}

/** Replace each piece by its byte-level form (every UTF-8 byte a character), keeping alignments. */
export function toByteLevel(p: NormalizedString): NormalizedString {
  const s = p.s;
  // ASCII is one byte per character: the alignments stay. Printable ASCII (33-126) maps to
  // itself, so a word (" word", the usual GPT-2 piece) needs only its leading space mapped.
  let ascii = true;
  let printable = true;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126) {
      printable = false;
      if (c >= 128) {
        ascii = false;
        break;
      }
    }
  }
  const c0 = s.charCodeAt(0);
  if (ascii && (s.length === 0 || c0 < 128)) {
    if (printable) return c0 >= 33 && c0 <= 126 ? p : p.withString(BYTE_TO_CHAR[c0]! + s.slice(1));
    let out = '';
    for (let i = 0; i < s.length; i++) out += BYTE_TO_CHAR[s.charCodeAt(i)]!;
    return p.withString(out);
  }
  const ops = new Ops();
  for (let i = 0; i < s.length; ) {
    let cp = s.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    // A lone surrogate is not UTF-8-encodable: encode it as U+FFFD (what the Rust library receives).
    if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
    if (cp < 0x80) ops.push(BYTE_TO_CHAR[cp]!.charCodeAt(0), 0);
    else if (cp < 0x800) {
      ops.push(BYTE_TO_CHAR[0xc0 | (cp >> 6)]!.charCodeAt(0), 0);
      ops.push(BYTE_TO_CHAR[0x80 | (cp & 63)]!.charCodeAt(0), 1);
    } else if (cp < 0x10000) {
      ops.push(BYTE_TO_CHAR[0xe0 | (cp >> 12)]!.charCodeAt(0), 0);
      ops.push(BYTE_TO_CHAR[0x80 | ((cp >> 6) & 63)]!.charCodeAt(0), 1);
      ops.push(BYTE_TO_CHAR[0x80 | (cp & 63)]!.charCodeAt(0), 1);
    } else {
      ops.push(BYTE_TO_CHAR[0xf0 | (cp >> 18)]!.charCodeAt(0), 0);
      ops.push(BYTE_TO_CHAR[0x80 | ((cp >> 12) & 63)]!.charCodeAt(0), 1);
      ops.push(BYTE_TO_CHAR[0x80 | ((cp >> 6) & 63)]!.charCodeAt(0), 1);
      ops.push(BYTE_TO_CHAR[0x80 | (cp & 63)]!.charCodeAt(0), 1);
    }
  }
  const q = p.clone();
  q.transform(ops);
  return q;
}

// Character classes of GPT-2's regex: letter (\p{L}), number (\p{N}), White_Space, other.
const C_L = 1;
const C_N = 2;
const C_WS = 3;
const C_OTHER = 4;
const RE_L = /^\p{L}$/u;
const RE_N = /^\p{N}$/u;
const RE_WS = /^\p{White_Space}$/u;
/** Classes of the BMP, filled on first use (0: not yet known). */
const BMP_CLASS = new Uint8Array(65536);

function classOf(cp: number): number {
  if (cp < 0x10000) {
    const k = BMP_CLASS[cp]!;
    if (k !== 0) return k;
  }
  let k = C_OTHER;
  if (cp >= 0xd800 && cp < 0xe000) k = C_OTHER; // a lone surrogate matches no property
  else {
    const ch = String.fromCodePoint(cp);
    if (RE_L.test(ch)) k = C_L;
    else if (RE_N.test(ch)) k = C_N;
    else if (RE_WS.test(ch)) k = C_WS;
  }
  if (cp < 0x10000) BMP_CLASS[cp] = k;
  return k;
}
for (let c = 0; c < 128; c++) {
  BMP_CLASS[c] =
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? C_L : c >= 48 && c <= 57 ? C_N : c === 32 || (c >= 9 && c <= 13) ? C_WS : C_OTHER;
}

/**
 * The matches of GPT2_REGEX in `s`, as [start, end) pairs appended to `out`: a hand-written
 * scanner for the same leftmost-first alternation (no RegExp, no match arrays). The regex:
 * 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+. Every
 * character belongs to one of its classes, so the matches tile the string.
 */
export function gpt2Matches(s: string, out: number[]): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 39 && i + 1 < n) {
      // Contractions.
      const d = s.charCodeAt(i + 1);
      if (d === 115 || d === 116 || d === 109 || d === 100) {
        // 's 't 'm 'd
        out.push(i, i + 2);
        i += 2;
        continue;
      }
      if (i + 2 < n) {
        const e = s.charCodeAt(i + 2);
        if ((d === 114 && e === 101) || (d === 118 && e === 101) || (d === 108 && e === 108)) {
          // 're 've 'll
          out.push(i, i + 3);
          i += 3;
          continue;
        }
      }
    }
    let j = i;
    if (c === 32 && i + 1 < n) {
      // " ?" before a letter, number or other run.
      const cp = s.codePointAt(i + 1)!;
      if (classOf(cp) !== C_WS) j = i + 1;
    }
    const cp0 = s.codePointAt(j)!;
    const k = classOf(cp0);
    if (k !== C_WS) {
      j += cp0 > 0xffff ? 2 : 1;
      while (j < n) {
        const cp = s.codePointAt(j)!;
        if (classOf(cp) !== k) break;
        j += cp > 0xffff ? 2 : 1;
      }
      out.push(i, j);
      i = j;
      continue;
    }
    // Whitespace (all of it in the BMP): \s+(?!\S) keeps the last space for the next word.
    j = i + 1;
    while (j < n && classOf(s.charCodeAt(j)) === C_WS) j++;
    if (j < n && j - 1 > i) j--;
    out.push(i, j);
    i = j;
  }
}

class ByteLevelPreTokenizer extends StreamingPreTokenizer {
  constructor(
    readonly addPrefixSpace: boolean,
    readonly trimOffsets: boolean,
    readonly useRegex: boolean,
  ) {
    super();
  }
  eachSplit(p: NormalizedString, f: (split: NormalizedString) => void): void {
    if (this.addPrefixSpace && !p.s.startsWith(' ')) {
      p = p.clone();
      p.prepend(' ');
    }
    if (this.useRegex) {
      const m: number[] = [];
      gpt2Matches(p.s, m);
      for (let k = 0; k < m.length; k += 2) f(toByteLevel(p.slice(m[k]!, m[k + 1]!)));
    } else if (p.s.length > 0) f(toByteLevel(p));
  }
  toJSON(): object {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

const WHITESPACE_RE = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\u200c\u200d]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\u200c\u200d\p{White_Space}]+/gu;

class WhitespacePreTokenizer implements PreTokenizer {
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return splitRegex(pieces, WHITESPACE_RE, 'removed', true);
  }
  toJSON(): object {
    return { type: 'Whitespace' };
  }
}

class WhitespaceSplitPreTokenizer implements PreTokenizer {
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return splitChars(pieces, isWhitespace, 'removed');
  }
  toJSON(): object {
    return { type: 'WhitespaceSplit' };
  }
}

export type PrependScheme = 'always' | 'never' | 'first';

class MetaspacePreTokenizer extends StreamingPreTokenizer {
  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
    readonly split: boolean,
  ) {
    super();
  }
  eachSplit(p0: NormalizedString, f: (split: NormalizedString) => void): void {
    const rep = this.replacement;
    const prepend = this.prependScheme === 'always' || (this.prependScheme === 'first' && p0.origStart === 0);
    if (rep.length !== 1 || (rep.charCodeAt(0) >= 0xd800 && rep.charCodeAt(0) < 0xe000)) {
      // An astral (or lone surrogate) replacement: the general steps (replace spaces, prepend, split on the replacement).
      const p = p0.clone();
      if (p.s.includes(' ')) p.replaceMatches(charMatches(p.s, (c) => c === 32), rep);
      if (prepend && !p.s.startsWith(rep)) p.prepend(rep);
      if (this.split) {
        const out: NormalizedString[] = [];
        p.split(charMatches(p.s, (c) => c === rep.codePointAt(0)!), 'merged_with_next', out);
        for (const sp of out) f(sp);
      } else if (p.s.length > 0) f(p);
      return;
    }
    // A one-unit replacement replaces each space one for one (the alignments stay), and
    // splitting before every replacement character (merged_with_next) cuts the text at each of
    // them. The prepended replacement takes the first unit's span, so it is prepended to the
    // first split alone rather than to the whole text.
    const p = p0.s.includes(' ') ? p0.withString(p0.s.replaceAll(' ', rep)) : p0;
    const s = p.s;
    const n = s.length;
    if (n === 0) return;
    const r = rep.charCodeAt(0);
    const pre = prepend && s.charCodeAt(0) !== r;
    if (!this.split) {
      if (!pre) f(p === p0 ? p0.clone() : p);
      else {
        const q = p.clone();
        q.prepend(rep);
        f(q);
      }
      return;
    }
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && s.charCodeAt(i) !== r) continue;
      const sp = p.slice(start, i);
      if (start === 0 && pre) {
        const q = sp === p ? p.clone() : sp;
        q.prepend(rep);
        f(q);
      } else f(sp === p0 ? p0.clone() : sp);
      start = i;
    }
  }
  toJSON(): object {
    return { type: 'Metaspace', replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

class SplitPreTokenizer implements PreTokenizer {
  constructor(
    readonly pattern: PatternSpec,
    readonly behavior: SplitBehavior,
    readonly invert: boolean,
  ) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return splitRegex(pieces, this.pattern.re, this.behavior, this.invert);
  }
  toJSON(): object {
    return { type: 'Split', pattern: this.pattern.json, behavior: BEHAVIOR_NAMES[this.behavior], invert: this.invert };
  }
}

class PunctuationPreTokenizer implements PreTokenizer {
  constructor(readonly behavior: SplitBehavior) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return splitChars(pieces, isBertPunctuation, this.behavior);
  }
  toJSON(): object {
    return { type: 'Punctuation', behavior: BEHAVIOR_NAMES[this.behavior] };
  }
}

class DigitsPreTokenizer implements PreTokenizer {
  constructor(readonly individualDigits: boolean) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    return splitChars(pieces, isNumeric, this.individualDigits ? 'isolated' : 'contiguous');
  }
  toJSON(): object {
    return { type: 'Digits', individual_digits: this.individualDigits };
  }
}

class CharDelimiterSplitPreTokenizer implements PreTokenizer {
  constructor(readonly delimiter: string) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const d = this.delimiter.codePointAt(0)!;
    return splitChars(pieces, (c) => c === d, 'removed');
  }
  toJSON(): object {
    return { type: 'CharDelimiterSplit', delimiter: this.delimiter };
  }
}

class SequencePreTokenizer implements PreTokenizer {
  constructor(readonly pretokenizers: PreTokenizer[]) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    for (const p of this.pretokenizers) pieces = p.preTokenize(pieces);
    return pieces;
  }
  toJSON(): object {
    return { type: 'Sequence', pretokenizers: this.pretokenizers.map((p) => p.toJSON()) };
  }
}

const TYPES = [
  'BertPreTokenizer',
  'ByteLevel',
  'Whitespace',
  'WhitespaceSplit',
  'Metaspace',
  'Split',
  'Punctuation',
  'Digits',
  'CharDelimiterSplit',
  'Sequence',
] as const;

/** Parse a Metaspace prepend scheme (or the legacy add_prefix_space flag). */
export function parsePrependScheme(r: JsonReader, o: Record<string, unknown>, path: string): PrependScheme {
  if (o.prepend_scheme !== undefined && o.prepend_scheme !== null) {
    return r.oneOf(o.prepend_scheme, joinPath(path, 'prepend_scheme'), ['always', 'never', 'first'] as const);
  }
  return r.optBool(o, 'add_prefix_space', path, true) ? 'always' : 'never';
}

/** Build a pre-tokenizer from its JSON (null: none). */
export function parsePreTokenizer(r: JsonReader, v: unknown, path: string): PreTokenizer | null {
  if (v === null || v === undefined) return null;
  const o = r.obj(v, path);
  const t = r.type(o, path, 'pre-tokenizer', TYPES);
  switch (t) {
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'ByteLevel':
      return new ByteLevelPreTokenizer(
        r.optBool(o, 'add_prefix_space', path, true),
        r.optBool(o, 'trim_offsets', path, true),
        r.optBool(o, 'use_regex', path, true),
      );
    case 'Whitespace':
      return new WhitespacePreTokenizer();
    case 'WhitespaceSplit':
      return new WhitespaceSplitPreTokenizer();
    case 'Metaspace': {
      const rep = r.str(o.replacement, joinPath(path, 'replacement'));
      if ([...rep].length !== 1) r.fail(joinPath(path, 'replacement'), `expected one character, got ${JSON.stringify(rep)}`);
      return new MetaspacePreTokenizer(rep, parsePrependScheme(r, o, path), r.optBool(o, 'split', path, true));
    }
    case 'Split':
      return new SplitPreTokenizer(
        parsePattern(r, o.pattern, joinPath(path, 'pattern')),
        parseBehavior(r, o.behavior, joinPath(path, 'behavior'), 'removed'),
        r.optBool(o, 'invert', path, false),
      );
    case 'Punctuation':
      return new PunctuationPreTokenizer(parseBehavior(r, o.behavior, joinPath(path, 'behavior'), 'isolated'));
    case 'Digits':
      return new DigitsPreTokenizer(r.optBool(o, 'individual_digits', path, false));
    case 'CharDelimiterSplit': {
      const d = r.str(o.delimiter, joinPath(path, 'delimiter'));
      if ([...d].length !== 1) r.fail(joinPath(path, 'delimiter'), `expected one character, got ${JSON.stringify(d)}`);
      return new CharDelimiterSplitPreTokenizer(d);
    }
    case 'Sequence': {
      const p = joinPath(path, 'pretokenizers');
      const list = r.arr(o.pretokenizers, p);
      return new SequencePreTokenizer(
        list.map((x, i) => parsePreTokenizer(r, x, joinPath(p, i))).filter((x): x is PreTokenizer => x !== null),
      );
    }
  }
  return r.fail(path, 'unreachable');
}
