/** Malformed or unsupported tokenizer.json: a TokenizerError naming the file and the JSON path, at load time. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerError } from '@tensile/tokenizers';
import { tokenizerPath } from './fixtures.js';

// Deep edits of parsed JSON in the tests below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const bert = JSON.parse(readFileSync(tokenizerPath('bert-base-uncased'), 'utf8')) as Json;
const uni = JSON.parse(readFileSync(tokenizerPath('unigram-small'), 'utf8')) as Json;
const clone = <T>(x: T): T => structuredClone(x);

function expectError(json: unknown, message: string | RegExp): TokenizerError {
  let err: unknown;
  try {
    Tokenizer.fromJSON(json as object);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TokenizerError);
  expect((err as Error).message).toMatch(message);
  return err as TokenizerError;
}

describe('tokenizer.json errors', () => {
  it('a non-number vocab id names model.vocab["key"]', () => {
    const j = clone(bert);
    j.model.vocab.foo = 'bar';
    const e = expectError(j, 'tokenizer.json: model.vocab.foo: expected a number, got string');
    expect(e.path).toBe('model.vocab.foo');
    const k = clone(bert);
    k.model.vocab['##x y'] = null;
    expectError(k, 'tokenizer.json: model.vocab["##x y"]: expected a number, got null');
  });

  it('invalid JSON text names the file', () => {
    expectError('{"model": ', /^tokenizer\.json: invalid JSON/);
  });

  it('a missing model is reported', () => {
    expectError({ normalizer: null }, 'tokenizer.json: model: missing');
  });

  it('an unsupported normalizer type names its path and the supported types', () => {
    const j = clone(uni);
    j.normalizer.normalizers[1] = { type: 'Nmt' };
    expectError(j, /tokenizer\.json: normalizer\.normalizers\[1\]\.type: unsupported normalizer type "Nmt"/);
  });

  it('an unsupported pre-tokenizer, decoder, post-processor or model names its path', () => {
    const a = clone(bert);
    a.pre_tokenizer = { type: 'UnicodeScripts' };
    expectError(a, 'tokenizer.json: pre_tokenizer.type: unsupported pre-tokenizer type "UnicodeScripts"');
    const b = clone(bert);
    b.decoder = { type: 'CTC' };
    expectError(b, 'tokenizer.json: decoder.type: unsupported decoder type "CTC"');
    const c = clone(bert);
    c.post_processor.type = 'Nope';
    expectError(c, 'tokenizer.json: post_processor.type: unsupported post-processor type "Nope"');
    const d = clone(bert);
    d.model.type = 'Fancy';
    expectError(d, 'tokenizer.json: model.type: unsupported model type "Fancy"');
  });

  it('a bad Unigram piece names its index', () => {
    const j = clone(uni);
    j.model.vocab[5] = ['s', 'high'];
    expectError(j, 'tokenizer.json: model.vocab[5][1]: expected a number, got string');
    const k = clone(uni);
    k.model.unk_id = 99999;
    expectError(k, /model\.unk_id: unk_id 99999 is outside the vocabulary/);
  });

  it('a corrupted precompiled charsmap is reported at load', () => {
    const j = clone(uni);
    j.normalizer.normalizers[0].precompiled_charsmap = 'AAAA';
    expectError(j, /normalizer\.normalizers\[0\]\.precompiled_charsmap: charsmap too short/);
  });

  it('a template naming an unknown special token is reported', () => {
    const j = clone(bert);
    delete j.post_processor.special_tokens['[SEP]'];
    expectError(j, /post_processor\.single\[2\]: special token "\[SEP\]" is missing from special_tokens/);
  });

  it('a bad added token field names its index', () => {
    const j = clone(bert);
    j.added_tokens[2].special = 'yes';
    expectError(j, 'tokenizer.json: added_tokens[2].special: expected a boolean, got string');
  });

  it('a BPE merge with an unknown token names the merge', () => {
    const j = {
      model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b', 'a c'] },
    };
    expectError(j, /model\.merges\[1\]: merge token "c" is not in the vocabulary/);
  });

  it('an invalid regex names the pattern path', () => {
    const j = clone(bert);
    j.pre_tokenizer = { type: 'Split', pattern: { Regex: '(unclosed' }, behavior: 'Isolated', invert: false };
    expectError(j, /pre_tokenizer\.pattern\.Regex: unsupported regex/);
  });

  it('a custom name replaces tokenizer.json in messages', () => {
    let err: unknown;
    try {
      Tokenizer.fromJSON({ model: 3 }, { name: 'my/tokenizer.json' });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe('my/tokenizer.json: model: expected an object, got number');
  });

  it('wrong argument types to encode/decode are TokenizerErrors, not crashes', () => {
    const t = Tokenizer.fromJSON(bert);
    expect(() => t.encode(5 as unknown as string)).toThrow(TokenizerError);
    expect(() => t.decode('1 2' as unknown as number[])).toThrow(TokenizerError);
    expect(() => t.encodeBatch([3 as unknown as string])).toThrow(/input 0/);
  });
});
