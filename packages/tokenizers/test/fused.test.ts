/**
 * The fused encoder paths give exactly what the general code gives (Tokenizer.useFastPaths =
 * false): BERT's normalizer + pre-tokenizer + WordPiece in one scan, a single sequence's
 * post-processing written in place, Metaspace's streaming split, and the Precompiled charsmap's
 * one-for-one path. Seeded running text (capitalized, unknown and very long words, dashes, odd
 * spaces, controls, marks, CJK, added tokens) and random strings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@tensile/tokenizers';
import { NormalizedString, charMatches } from '../src/normalized.js';
import { fixturesRoot } from './fixtures.js';
import { prng, randomStrings } from './random.js';

const STRINGS = randomStrings(0x5eed, 3000);

/** Seeded running text: words (capitalized, unknown, very long), punctuation, dashes, odd spaces, added tokens. */
function randomText(seed: number, count: number): string[] {
  const rnd = prng(seed);
  const words = [
    'the', 'The', 'WHALE', 'whale', 'Ishmael', 'Ahab', 'Queequeg', 'harpooneer', 'Nantucket', 'leviathanic', 'sperm', 'call',
    'me', 'a', 'I', 'it', 'of', 'unaccountable', 'xylophonically', 'zzzqx', 'Œuvre', 'naïve', 'café', 'Straße', 'İstanbul',
    'ΣΟΦΙΑ', 'über', 'x'.repeat(120), 'ab'.repeat(30), '1851', '3.14', 'e\u0301', 'ﬁne', '中文', '😀', '[CLS]', '[MASK]',
    '[SEP]', '<s>', '</s>', '<unk>', '\u0001', '\u00ad', '\ufffd', '\ud800', 'Ⅻ', '①',
  ];
  const seps = [' ', ' ', ' ', ' ', '  ', ', ', '. ', '; ', '—', ' — ', '-', "'", '"', '\n', '\n\n', '\t', '\r\n', '\u00a0', '\u3000', '\u0085', '!? ', ''];
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let s = rnd() < 0.2 ? seps[Math.floor(rnd() * seps.length)]! : '';
    const len = Math.floor(rnd() * 40);
    for (let i = 0; i < len; i++) {
      s += words[Math.floor(rnd() * words.length)]!;
      s += seps[Math.floor(rnd() * seps.length)]!;
    }
    out.push(s);
  }
  return out;
}

const TEXTS = [...randomText(0xb0b, 700), ...STRINGS.slice(0, 700)];

/** The parts of tokenizer.json the variants edit. */
interface TokJson {
  normalizer: Record<string, unknown>;
  model: Record<string, unknown>;
  added_tokens: Record<string, unknown>[];
  post_processor: Record<string, unknown> | null;
}

describe('fused paths give exactly what the general code gives', () => {
  const variants: [string, string, (j: TokJson) => void][] = [
    ['bert-base-uncased', 'as is', () => {}],
    ['bert-base-uncased', 'cased', (j) => Object.assign(j.normalizer, { lowercase: false, strip_accents: false })],
    ['bert-base-uncased', 'strip accents only', (j) => Object.assign(j.normalizer, { lowercase: false, strip_accents: true })],
    ['bert-base-uncased', 'no clean_text, no Chinese chars', (j) => Object.assign(j.normalizer, { clean_text: false, handle_chinese_chars: false })],
    ['bert-base-uncased', 'short max_input_chars_per_word', (j) => Object.assign(j.model, { max_input_chars_per_word: 5 })],
    ['bert-base-uncased', 'added tokens with lstrip/rstrip and single_word', (j) => {
      j.added_tokens[4]!.lstrip = true;
      j.added_tokens[2]!.rstrip = true;
      j.added_tokens[3]!.single_word = true;
    }],
    ['bert-base-uncased', 'a normalized added token (the general path)', (j) => {
      j.added_tokens.push({ id: 30522, content: 'WHALE', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
    }],
    ['bert-base-uncased', 'BertProcessing', (j) => {
      j.post_processor = { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] };
    }],
    ['bert-base-uncased', 'no post-processor', (j) => {
      j.post_processor = null;
    }],
    ['gpt2', 'as is', () => {}],
    ['unigram-small', 'as is', () => {}],
    ['unigram-small', 'a template with type ids and two tokens before', (j) => {
      j.post_processor!.single = [
        { SpecialToken: { id: '</s>', type_id: 2 } },
        { SpecialToken: { id: '</s>', type_id: 3 } },
        { Sequence: { id: 'A', type_id: 1 } },
        { SpecialToken: { id: '</s>', type_id: 4 } },
      ];
    }],
  ];
  for (const [name, label, edit] of variants) {
    it(`${name} (${label}): ${TEXTS.length} texts, with and without special tokens`, () => {
      const json = JSON.parse(readFileSync(join(fixturesRoot(), name, 'tokenizer.json'), 'utf8')) as TokJson;
      edit(json);
      const fast = Tokenizer.fromJSON(json);
      const general = Tokenizer.fromJSON(json);
      general.useFastPaths = false;
      for (const text of TEXTS) {
        for (const add of [true, false]) {
          const a = fast.encode(text, null, { addSpecialTokens: add });
          const b = general.encode(text, null, { addSpecialTokens: add });
          if (JSON.stringify(a) !== JSON.stringify(b)) expect(a, JSON.stringify(text)).toEqual(b);
        }
      }
      // The whole set as one text (long stretches, many words; the word cache full).
      const all = TEXTS.join(' ');
      expect(JSON.stringify(fast.encode(all))).toBe(JSON.stringify(general.encode(all)));
    });
  }

  it('BERT takes the fused path: the normalizer runs once per new character, and on stretches it cannot do', () => {
    const tok = Tokenizer.fromJSON(readFileSync(join(fixturesRoot(), 'bert-base-uncased', 'tokenizer.json'), 'utf8'));
    let calls = 0;
    const norm = tok.normalizer!;
    const orig = norm.normalize.bind(norm);
    norm.normalize = (ns) => {
      calls++;
      orig(ns);
    };
    const enc = tok.encode('Call me Ishmael. Some years ago—never mind how long precisely');
    expect(enc.tokens).toEqual(['[CLS]', 'call', 'me', 'is', '##hma', '##el', '.', 'some', 'years', 'ago', '—', 'never', 'mind', 'how', 'long', 'precisely', '[SEP]']);
    expect(enc.offsets.slice(3, 7)).toEqual([[8, 10], [10, 13], [13, 15], [15, 16]]);
    expect(enc.offsets[10]).toEqual([31, 32]);
    // The normalizer ran only to classify characters seen for the first time: not again.
    const before = calls;
    expect(tok.encode('Call me Ishmael. Some years ago—never mind how long precisely')).toEqual(enc);
    expect(calls).toBe(before);
    // Stretches with a combining mark or a CJK ideograph take the general path (the normalizer runs).
    expect(tok.encode('e\u0301 中文').tokens).toEqual(['[CLS]', 'e', '中', '文', '[SEP]']);
    expect(calls).toBeGreaterThan(before);
  });
});

describe('the Precompiled charsmap\'s one-for-one path', () => {
  it('gives the general grapheme-by-grapheme result (unigram-small, 1400 texts and all of them joined)', () => {
    const json = readFileSync(join(fixturesRoot(), 'unigram-small', 'tokenizer.json'), 'utf8');
    const fast = Tokenizer.fromJSON(json);
    const general = Tokenizer.fromJSON(json);
    const seq = general.normalizer as unknown as { normalizers: { map: { normalizeOneForOne: () => boolean } }[] };
    seq.normalizers[0]!.map.normalizeOneForOne = () => false;
    for (const text of [...TEXTS, TEXTS.join(' '), 'a\u00a0b\tc—d ½ ﬁ', 'x\r\ny\rz\n', 'Ελληνικά ΣΑΣ e\u0301 👨‍👩‍👧 — ok']) {
      const a = fast.encode(text);
      const b = general.encode(text);
      if (JSON.stringify(a) !== JSON.stringify(b)) expect(a, JSON.stringify(text)).toEqual(b);
    }
  });
});

describe('Metaspace streaming splits', () => {
  /** The general steps: replace spaces, prepend the replacement, split before each (merged_with_next). */
  function generalSplits(p: NormalizedString, rep: string, scheme: string, split: boolean): NormalizedString[] {
    const q = p.clone();
    if (q.s.includes(' ')) q.replaceMatches(charMatches(q.s, (c) => c === 32), rep);
    if (scheme === 'always' || (scheme === 'first' && q.origStart === 0)) if (!q.s.startsWith(rep)) q.prepend(rep);
    const out: NormalizedString[] = [];
    if (split) q.split(charMatches(q.s, (c) => c === rep.codePointAt(0)!), 'merged_with_next', out);
    else if (q.s.length > 0) out.push(q);
    return out;
  }
  it('equal the general replace, prepend and split on 400 strings, for each scheme, split or not', () => {
    const units = (x: NormalizedString) => Array.from({ length: x.length + 1 }, (_, i) => x.originalRange(i, Math.min(i + 1, x.length)));
    const view = (l: NormalizedString[]) => l.map((x) => [x.s, x.origStart, x.origEnd, x.originalRange(0, x.length), units(x)]);
    for (const rep of ['▁', '_']) {
      for (const scheme of ['always', 'never', 'first']) {
        for (const split of [true, false]) {
          const pre = Tokenizer.fromJSON({
            model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' },
            pre_tokenizer: { type: 'Metaspace', replacement: rep, prepend_scheme: scheme, split },
          }).preTokenizer!;
          for (const s of [...STRINGS.slice(0, 400), ' a  b ', '▁▁x▁', '__y_ z', '']) {
            for (const p of [NormalizedString.from(s), NormalizedString.from(`xy${s}`).slice(2, s.length + 2)]) {
              const got: NormalizedString[] = [];
              pre.eachSplit!(p, (sp) => void got.push(sp));
              expect(view(got), JSON.stringify([s, rep, scheme, split])).toEqual(view(generalSplits(p, rep, scheme, split)));
            }
          }
        }
      }
    }
  });
});
