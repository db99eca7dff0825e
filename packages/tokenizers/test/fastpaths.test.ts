/**
 * The encoder's fast paths give exactly what the general code gives: the hand-written GPT-2
 * pre-tokenization scanner against the regex it replaces, identity (lazy) alignments against
 * materialized ones, and the one-for-one text changes (lowercase, whitespace map, one-unit
 * replacement) against the general (code point, change) transform. Seeded random strings mix
 * ASCII, contractions, runs of spaces, accents, astral letters and lone surrogates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@tensile/tokenizers';
import { GPT2_REGEX } from '../src/bytelevel.js';
import { NormalizedString, Ops, charMatches } from '../src/normalized.js';
import { gpt2Matches } from '../src/pretokenizers.js';
import { fixturesRoot } from './fixtures.js';
import { prng, randomStrings } from './random.js';

const STRINGS = randomStrings(0x5eed, 3000);

/** The regex's matches as [start, end) pairs. */
function regexPairs(s: string): number[] {
  const out: number[] = [];
  const re = new RegExp(GPT2_REGEX.source, 'gu');
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    out.push(m.index, m.index + m[0].length);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** A copy with its alignments materialized, so its methods take the general path. */
function materialized(ns: NormalizedString): NormalizedString {
  const c = ns.clone();
  void c.align;
  return new NormalizedString(c.s, c.align.slice(), c.origStart, c.origEnd);
}

/** Every original range of `ns`, [a, b) over all 0 <= a <= b <= length. */
function ranges(ns: NormalizedString): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a <= ns.length; a++) for (let b = a; b <= ns.length; b++) out.push(ns.originalRange(a, b));
  return out;
}

describe('GPT-2 pre-tokenization scanner', () => {
  it('splits 3000 random strings exactly where GPT-2\'s regex matches', () => {
    for (const s of STRINGS) {
      const m: number[] = [];
      gpt2Matches(s, m);
      expect(m, JSON.stringify(s)).toEqual(regexPairs(s));
    }
  });
  it('keeps the last space of a run for the next word and takes a trailing run whole', () => {
    const m: number[] = [];
    gpt2Matches("a   b  \n it's", m);
    expect(m).toEqual(regexPairs("a   b  \n it's"));
    expect(m).toEqual([0, 1, 1, 3, 3, 5, 5, 8, 8, 11, 11, 13]);
  });
});

describe('identity (lazy) alignments', () => {
  it('give the same original ranges as materialized ones, for slices too (surrogate pairs cut or not)', () => {
    for (const s of STRINGS.slice(0, 300)) {
      const lazy = NormalizedString.from(s);
      const eager = materialized(lazy);
      expect(ranges(lazy), JSON.stringify(s)).toEqual(ranges(eager));
      for (let a = 0; a < Math.min(s.length, 6); a++) {
        const b = s.length - a;
        if (b < a) break;
        const ls = lazy.slice(a, b);
        const es = eager.slice(a, b);
        expect([ls.origStart, ls.origEnd], JSON.stringify(s)).toEqual([es.origStart, es.origEnd]);
        expect(ranges(ls), JSON.stringify(s)).toEqual(ranges(es));
      }
    }
  });
});

describe('one-for-one text changes keep exactly the alignments the general transform gives', () => {
  /** The general path: per-character (cp, change) operations through transform. */
  function generalLowercase(ns: NormalizedString): void {
    const ops = new Ops();
    for (const ch of ns.s) {
      let first = true;
      for (const l of ch.toLowerCase()) {
        ops.push(l.codePointAt(0)!, first ? 0 : 1);
        first = false;
      }
    }
    ns.transform(ops);
  }

  it('lowercase (ASCII and not, final sigma, U+0130)', () => {
    for (const s of STRINGS) {
      const fast = NormalizedString.from(s);
      fast.lowercase();
      const slow = materialized(NormalizedString.from(s));
      generalLowercase(slow);
      expect(fast.s, JSON.stringify(s)).toBe(slow.s);
      expect(ranges(fast), JSON.stringify(s)).toEqual(ranges(slow));
    }
  });

  it('map (whitespace to spaces) and the replacement of single spaces by one character', () => {
    for (const s of STRINGS.slice(0, 1000)) {
      const fast = NormalizedString.from(s);
      fast.map((c) => (c === 9 || c === 10 ? 32 : c));
      const slow = materialized(NormalizedString.from(s));
      const ops = new Ops();
      for (const ch of slow.s) {
        const c = ch.codePointAt(0)!;
        ops.push(c === 9 || c === 10 ? 32 : c, 0);
      }
      slow.transform(ops);
      expect(fast.s).toBe(slow.s);
      expect(ranges(fast), JSON.stringify(s)).toEqual(ranges(slow));

      const a = NormalizedString.from(s);
      a.replaceMatches(charMatches(a.s, (c) => c === 32), '▁');
      const b = materialized(NormalizedString.from(s));
      const ops2 = new Ops();
      for (const ch of b.s) {
        if (ch === ' ') {
          ops2.skip(1);
          ops2.push(0x2581, 1);
        } else ops2.push(ch.codePointAt(0)!, 0);
      }
      b.transform(ops2);
      expect(a.s).toBe(b.s);
      expect(ranges(a), JSON.stringify(s)).toEqual(ranges(b));
    }
  });

  it('prepend and append give every inserted unit its neighbour\'s span', () => {
    for (const s of STRINGS.slice(0, 300)) {
      if (!s) continue;
      const a = NormalizedString.from(s);
      a.prepend('▁😀');
      a.append('</w>');
      const b = materialized(NormalizedString.from(s));
      const ops = new Ops();
      ops.push(0x2581, 0);
      ops.push(0x1f600, 1);
      let first = true;
      for (const ch of b.s) {
        ops.push(ch.codePointAt(0)!, first ? 1 : 0);
        first = false;
      }
      for (const ch of '</w>') ops.push(ch.codePointAt(0)!, 1);
      b.transform(ops);
      expect(a.s).toBe(b.s);
      expect(ranges(a), JSON.stringify(s)).toEqual(ranges(b));
    }
  });
});

describe('word caches', () => {
  it('a full cache (more distinct words than its 10,000 entries) changes no encoding', () => {
    for (const name of ['gpt2', 'bert-base-uncased', 'unigram-small']) {
      const json = readFileSync(join(fixturesRoot(), name, 'tokenizer.json'), 'utf8');
      const warm = Tokenizer.fromJSON(json);
      const rnd = prng(7);
      const words: string[] = [];
      for (let i = 0; i < 12_000; i++) words.push(Math.floor(rnd() * 1e9).toString(36));
      warm.encode(words.join(' ')); // fills the cache past its capacity
      const fresh = Tokenizer.fromJSON(json);
      const text = words.slice(11_000).join(' ') + ' ' + words.slice(0, 1000).join(' ');
      expect(warm.encode(text), name).toEqual(fresh.encode(text));
    }
  });
});

