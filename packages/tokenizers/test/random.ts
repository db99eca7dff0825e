/** Seeded random strings for the equivalence tests: ASCII, contractions, space runs, accents, astral letters, lone surrogates. */

import { rng as prng } from '../../../config/testing/random.js';

export { prng };

export const ATOMS = [
  'the', 'Whale', ' ', '  ', '   ', '\n', '\t', '\r\n', "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'x", "'", '"', '—', 'é',
  'e\u0301', 'ß', 'İ', 'Σ', 'ΑΣ', '中文', '😀', '👨‍👩‍👧', '\u{1D400}', '\u{1D7CE}', '\ud800', '\udc00', '\u00a0', '\u3000', '\u0085',
  '123', '½', '٣', '...', '!?', 'Ġ', '▁', 'x'.repeat(40),
];

export function randomStrings(seed: number, count: number): string[] {
  const rnd = prng(seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let s = '';
    const len = Math.floor(rnd() * 20);
    for (let i = 0; i < len; i++) {
      const r = rnd();
      if (r < 0.6) s += ATOMS[Math.floor(rnd() * ATOMS.length)];
      else if (r < 0.85) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
      else if (r < 0.97) s += String.fromCodePoint(Math.floor(rnd() * 0x3000));
      else s += String.fromCodePoint(Math.floor(rnd() * 0x10ffff));
    }
    out.push(s);
  }
  return out;
}
