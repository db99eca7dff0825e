/** load -> toJSON / save -> load gives the same encodings on every golden string. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@tensile/tokenizers';
import { TOKENIZERS, loadGolden, tokenizerPath } from './fixtures.js';

describe('round trip', () => {
  for (const name of TOKENIZERS) {
    it(`${name}: save -> fromFile encodes and decodes every golden string the same`, async () => {
      const a = await Tokenizer.fromFile(tokenizerPath(name));
      const dir = mkdtempSync(join(tmpdir(), 'tensile-tok-'));
      try {
        await a.save(join(dir, 'tokenizer.json'));
        const b = await Tokenizer.fromFile(join(dir, 'tokenizer.json'));
        const c = Tokenizer.fromJSON(a.toString());
        const golden = loadGolden(name);
        for (const g of golden.cases) {
          const ea = a.encode(g.text);
          expect(b.encode(g.text), g.name).toEqual(ea);
          expect(c.encode(g.text).ids, g.name).toEqual(ea.ids);
          // b was saved without tokenizer_config.json: compare with the same clean-up setting
          expect(b.decode(ea.ids, { cleanUpTokenizationSpaces: a.cleanUpTokenizationSpaces })).toBe(a.decode(ea.ids));
        }
        expect(b.getVocabSize()).toBe(a.getVocabSize());
        expect(JSON.parse(b.toString())).toEqual(JSON.parse(a.toString()));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
