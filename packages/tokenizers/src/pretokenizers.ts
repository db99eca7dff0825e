/** Pre-tokenizers, driven by tokenizer.json's `pre_tokenizer` field. */
import { BYTE_TO_CHAR, GPT2_REGEX } from './bytelevel.js';
import { JsonReader, joinPath } from './errors.js';
import { NormalizedString, Ops, type SplitBehavior, charMatches, invertMatches, regexMatches } from './normalized.js';
import { type PatternSpec, parsePattern } from './normalizers.js';
import { isBertPunctuation, isNumeric, isWhitespace } from './unicode.js';

export interface PreTokenizer {
  /** Split (and possibly transform) each piece; returns the new list of pieces. */
  preTokenize(pieces: NormalizedString[]): NormalizedString[];
  toJSON(): object;
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

class BertPreTokenizer implements PreTokenizer {
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const p of pieces) {
      // Fast path equivalent of split(whitespace, Removed) then split(punctuation, Isolated).
      const s = p.s;
      let start = -1;
      for (let i = 0; i < s.length; ) {
        const cp = s.codePointAt(i)!;
        const w = cp > 0xffff ? 2 : 1;
        if (isWhitespace(cp)) {
          if (start >= 0) out.push(p.slice(start, i));
          start = -1;
        } else if (isBertPunctuation(cp)) {
          if (start >= 0) out.push(p.slice(start, i));
          out.push(p.slice(i, i + w));
          start = -1;
        } else if (start < 0) start = i;
        i += w;
      }
      if (start >= 0) out.push(p.slice(start, s.length));
    }
    return out;
  }
  toJSON(): object {
    return { type: 'BertPreTokenizer' };
  }
}

/** Replace each piece by its byte-level form (every UTF-8 byte a character), keeping alignments. */
export function toByteLevel(p: NormalizedString): NormalizedString {
  const s = p.s;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 128) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let out = '';
    for (let i = 0; i < s.length; i++) out += BYTE_TO_CHAR[s.charCodeAt(i)]!;
    return new NormalizedString(out, p.align, p.origStart, p.origEnd);
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
  const q = new NormalizedString(s, p.align, p.origStart, p.origEnd);
  q.transform(ops);
  return q;
}

class ByteLevelPreTokenizer implements PreTokenizer {
  constructor(
    readonly addPrefixSpace: boolean,
    readonly trimOffsets: boolean,
    readonly useRegex: boolean,
  ) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (let p of pieces) {
      if (this.addPrefixSpace && !p.s.startsWith(' ')) {
        p = new NormalizedString(p.s, p.align, p.origStart, p.origEnd);
        p.prepend(' ');
      }
      if (this.useRegex) {
        const s = p.s;
        const re = GPT2_REGEX;
        re.lastIndex = 0;
        let m: RegExpExecArray | null;
        let prev = 0;
        while ((m = re.exec(s)) !== null) {
          const a = m.index;
          const b = a + m[0].length;
          if (a > prev) out.push(toByteLevel(p.slice(prev, a)));
          if (b > a) out.push(toByteLevel(p.slice(a, b)));
          else re.lastIndex++;
          prev = b;
        }
        if (prev < s.length) out.push(toByteLevel(p.slice(prev, s.length)));
      } else if (p.s.length > 0) out.push(toByteLevel(p));
    }
    return out;
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

class MetaspacePreTokenizer implements PreTokenizer {
  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
    readonly split: boolean,
  ) {}
  preTokenize(pieces: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    const rep = this.replacement;
    const repCp = rep.codePointAt(0)!;
    for (const p0 of pieces) {
      const p = new NormalizedString(p0.s, p0.align, p0.origStart, p0.origEnd);
      if (p.s.includes(' ')) p.replaceMatches(charMatches(p.s, (c) => c === 32), rep);
      if (this.prependScheme === 'always' || (this.prependScheme === 'first' && p.origStart === 0)) {
        if (!p.s.startsWith(rep)) p.prepend(rep);
      }
      if (this.split) p.split(charMatches(p.s, (c) => c === repCp), 'merged_with_next', out);
      else if (p.s.length > 0) out.push(p);
    }
    return out;
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
