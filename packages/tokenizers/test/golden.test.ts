/** Every golden case, pair and batch of the three fixture tokenizers, exactly (ids, tokens, offsets, decodings). */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '@tensile/tokenizers';
import { TOKENIZERS, loadGolden, tokenizerPath } from './fixtures.js';

for (const name of TOKENIZERS) {
  const golden = loadGolden(name);
  describe(name, () => {
    let tok: Tokenizer;
    beforeAll(async () => {
      tok = await Tokenizer.fromFile(tokenizerPath(name));
    });

    for (const c of golden.cases) {
      it(c.name, () => {
        const enc = tok.encode(c.text);
        expect(enc.ids).toEqual(c.ids);
        expect(enc.tokens).toEqual(c.tokens);
        expect(enc.offsets).toEqual(c.offsets);
        expect(tok.decode(c.ids, { skipSpecialTokens: true })).toBe(c.decoded);
        expect(tok.decode(c.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe(c.decoded_no_cleanup);
      });
    }

    for (const p of golden.pairs ?? []) {
      it(`pair: ${p.name}`, () => {
        const enc = tok.encode(p.text, p.text_pair);
        expect(enc.ids).toEqual(p.ids);
        expect(enc.tokens).toEqual(p.tokens);
        expect(enc.typeIds).toEqual(p.token_type_ids);
        expect(enc.offsets).toEqual(p.offsets);
        expect(tok.decode(p.ids, { skipSpecialTokens: true })).toBe(p.decoded);
      });
    }

    for (const b of golden.batches ?? []) {
      it(`batch: ${b.name}`, () => {
        const t = Tokenizer.fromJSON(tok.toJSON(), { config: tok.config });
        t.enableTruncation({ maxLength: b.max_length, strategy: 'longest_first', stride: 0, direction: 'right' });
        t.enablePadding({ direction: b.padding_side, padId: b.pad_token_id, padToken: b.pad_token });
        const encs = t.encodeBatch(b.texts);
        expect(encs.map((e) => e.ids)).toEqual(b.input_ids);
        expect(encs.map((e) => e.attentionMask)).toEqual(b.attention_mask);
        expect(encs.map((e) => e.typeIds)).toEqual(b.token_type_ids);
      });
    }
  });
}
