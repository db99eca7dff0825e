/** Padding and truncation strategies (Hugging Face's semantics), vocabulary access and added tokens. */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, Tokenizer } from '@tensile/tokenizers';
import { fixturesRoot, tokenizerPath } from './fixtures.js';

const bertJson = JSON.parse(readFileSync(tokenizerPath('bert-base-uncased'), 'utf8')) as object;

describe('padding and truncation', () => {
  let tok: Tokenizer;
  beforeAll(() => {
    tok = Tokenizer.fromJSON(bertJson);
  });
  const fresh = () => Tokenizer.fromJSON(bertJson);

  it('pads right to the longest row of a batch with masks and pad type id', () => {
    const t = fresh();
    t.enablePadding({ padId: 0, padToken: '[PAD]', padTypeId: 2 });
    const [a, b] = t.encodeBatch(['hello', 'hello world again']);
    expect(a!.ids.length).toBe(b!.ids.length);
    expect(a!.ids).toEqual([101, 7592, 102, 0, 0]);
    expect(a!.attentionMask).toEqual([1, 1, 1, 0, 0]);
    expect(a!.typeIds).toEqual([0, 0, 0, 2, 2]);
    expect(a!.specialTokensMask).toEqual([1, 0, 1, 1, 1]);
    expect(a!.tokens.slice(3)).toEqual(['[PAD]', '[PAD]']);
    expect(a!.offsets.slice(3)).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('pads left to a fixed length and to a multiple', () => {
    const t = fresh();
    t.enablePadding({ direction: 'left', length: 6 });
    expect(t.encode('hello').ids).toEqual([0, 0, 0, 101, 7592, 102]);
    t.enablePadding({ padToMultipleOf: 4 });
    expect(t.encode('hello').ids).toEqual([101, 7592, 102, 0]);
    t.noPadding();
    expect(t.encode('hello').ids).toEqual([101, 7592, 102]);
  });

  it('longest_first on a pair cuts the longer sequence first and keeps special tokens', () => {
    const t = fresh();
    t.enableTruncation({ maxLength: 10 });
    const e = t.encode('one two three four five six seven', 'a b');
    expect(e.ids.length).toBe(10);
    expect(e.tokens).toEqual(['[CLS]', 'one', 'two', 'three', 'four', 'five', '[SEP]', 'a', 'b', '[SEP]']);
    expect(e.typeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    // Both long: split evenly (max 7 after 3 specials: 3 + 4)
    t.enableTruncation({ maxLength: 10, strategy: 'longest_first' });
    const f = t.encode('one two three four five', 'a b c d e f');
    expect(f.tokens).toEqual(['[CLS]', 'one', 'two', 'three', '[SEP]', 'a', 'b', 'c', 'd', '[SEP]']);
  });

  it('only_first and only_second cut only the named sequence; too short is an error', () => {
    const t = fresh();
    t.enableTruncation({ maxLength: 8, strategy: 'only_second' });
    expect(t.encode('one two', 'a b c d e f').tokens).toEqual(['[CLS]', 'one', 'two', '[SEP]', 'a', 'b', 'c', '[SEP]']);
    t.enableTruncation({ maxLength: 8, strategy: 'only_first' });
    expect(t.encode('one two three four five', 'a b').tokens).toEqual(['[CLS]', 'one', 'two', 'three', '[SEP]', 'a', 'b', '[SEP]']);
    expect(() => t.encode('one', 'a b c d e f g h')).toThrow(/too short/);
  });

  it('overflowing windows with a stride, each with its special tokens', () => {
    const t = fresh();
    t.enableTruncation({ maxLength: 6, stride: 1 });
    const e = t.encode('one two three four five six seven');
    expect(e.tokens).toEqual(['[CLS]', 'one', 'two', 'three', 'four', '[SEP]']);
    expect(e.overflowing.map((o) => o.tokens)).toEqual([
      ['[CLS]', 'four', 'five', 'six', 'seven', '[SEP]'],
    ]);
    expect(e.overflowing[0]!.offsets[1]).toEqual([14, 18]);
  });

  it('left truncation keeps the end', () => {
    const t = fresh();
    t.enableTruncation({ maxLength: 5, direction: 'left' });
    const e = t.encode('one two three four five');
    expect(e.tokens).toEqual(['[CLS]', 'three', 'four', 'five', '[SEP]']);
    expect(e.overflowing[0]!.tokens).toEqual(['[CLS]', 'one', 'two', '[SEP]']);
  });

  it('addSpecialTokens: false skips the template', () => {
    expect(tok.encode('hello world', null, { addSpecialTokens: false }).ids).toEqual([7592, 2088]);
  });

  it('vocabulary access and added tokens', () => {
    const t = fresh();
    expect(t.tokenToId('[CLS]')).toBe(101);
    expect(t.idToToken(7592)).toBe('hello');
    expect(t.getVocabSize()).toBe(30522);
    expect(t.getVocab().get('world')).toBe(2088);
    expect(t.addTokens(['tensile', 'hello'])).toBe(2);
    expect(t.tokenToId('tensile')).toBe(30522);
    expect(t.encode('Tensile hello').tokens).toEqual(['[CLS]', 'tensile', 'hello', '[SEP]']);
    expect(t.addSpecialTokens(['<extra>'])).toBe(1);
    const e = t.encode('a <extra> b');
    expect(e.tokens).toEqual(['[CLS]', 'a', '<extra>', 'b', '[SEP]']);
    expect(e.offsets[2]).toEqual([2, 9]);
    expect(t.decode(e.ids, { skipSpecialTokens: true })).toBe('a b');
    expect(t.getVocabSize()).toBe(30524);
  });

  it('lstrip/rstrip/single_word added tokens', () => {
    const t = fresh();
    t.addTokens([{ content: '<x>', lstrip: true, rstrip: true, normalized: false }]);
    const e = t.encode('a  <x>  b');
    expect(e.tokens).toEqual(['[CLS]', 'a', '<x>', 'b', '[SEP]']);
    expect(e.offsets[2]).toEqual([1, 8]);
    t.addTokens([{ content: 'cat', singleWord: true, normalized: false }]);
    expect(t.encode('cat concatenate').tokens.filter((x) => x === 'cat')).toEqual(['cat']);
  });
});

describe('AutoTokenizer', () => {
  it('fromPretrained applies tokenizer_config.json (clean-up default, model_max_length)', async () => {
    const t = await AutoTokenizer.fromPretrained(`${fixturesRoot()}/unigram-small`);
    expect(t.cleanUpTokenizationSpaces).toBe(false);
    expect(t.modelMaxLength).toBe(512);
    const g = await AutoTokenizer.fromPretrained(`${fixturesRoot()}/gpt2`);
    expect(g.cleanUpTokenizationSpaces).toBe(true);
    expect(g.decode(g.encode("Hello , it 's").ids)).toBe("Hello, it's");
    await expect(AutoTokenizer.fromPretrained('/nonexistent-dir')).rejects.toThrow(/no tokenizer\.json/);
  });
});
