/**
 * Tokenizers built from the legacy files (BERT's vocab.txt; GPT-2's vocab.json + merges.txt):
 * the layout equals the tokenizer.json Hugging Face's converter made for the same folder, and
 * the tokenizer reproduces that folder's golden.json exactly.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bertLayoutFromVocab,
  fromBertVocab,
  fromGpt2Files,
  fromLegacyFiles,
  fromRobertaFiles,
  gpt2LayoutFromFiles,
  parseMergesTxt,
  parseVocabJson,
  parseVocabTxt,
  robertaLayoutFromFiles,
  TokenizerError,
  type Tokenizer,
} from '@tensile/tokenizers';
import { fixturesRoot } from './fixtures';

const FIXTURES = fixturesRoot();
const read = (name: string, file: string) => readFileSync(join(FIXTURES, name, file), 'utf8');

interface GoldenCase {
  name: string;
  text: string;
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  decoded: string;
  decoded_no_cleanup: string;
}
interface GoldenPair {
  name: string;
  text: string;
  text_pair: string;
  ids: number[];
  tokens: string[];
  token_type_ids: number[];
  offsets: [number, number][];
}
interface Golden {
  cases: GoldenCase[];
  pairs?: GoldenPair[];
}

/** A layout as the JSON it stands for (prototype-free maps become plain objects). */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
const COMPONENTS = ['version', 'truncation', 'padding', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'model'];

describe.each([
  ['bert-base-uncased', () => bertLayoutFromVocab(read('bert-base-uncased', 'vocab.txt'))],
  ['gpt2', () => gpt2LayoutFromFiles(read('gpt2', 'vocab.json'), read('gpt2', 'merges.txt'))],
] as const)('%s legacy layout equals the converter-made tokenizer.json', (name, build) => {
  const ref = JSON.parse(read(name, 'tokenizer.json')) as Record<string, unknown>;
  const mine = plain(build());
  it('has exactly the same top-level fields', () => {
    expect(Object.keys(mine).sort()).toEqual(Object.keys(ref).sort());
  });
  for (const k of COMPONENTS) {
    it(`${k} is the same`, () => {
      expect(mine[k]).toEqual(ref[k]);
    });
  }
});

describe.each([
  ['bert-base-uncased', () => fromBertVocab(read('bert-base-uncased', 'vocab.txt')), true],
  ['gpt2', () => fromGpt2Files(read('gpt2', 'vocab.json'), read('gpt2', 'merges.txt')), true],
] as const)('%s built from the legacy files reproduces golden.json', (name, build, cleanup) => {
  const golden = JSON.parse(read(name, 'golden.json')) as Golden;
  let tok: Tokenizer | undefined;
  const get = () => (tok ??= build());
  for (const c of golden.cases) {
    it(`case ${c.name}`, () => {
      const enc = get().encode(c.text);
      expect(enc.ids).toEqual(c.ids);
      expect(enc.tokens).toEqual(c.tokens);
      expect(enc.offsets).toEqual(c.offsets);
      expect(get().decode(c.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: cleanup })).toBe(c.decoded);
      expect(get().decode(c.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe(c.decoded_no_cleanup);
    });
  }
  for (const p of golden.pairs ?? []) {
    it(`pair ${p.name}`, () => {
      const enc = get().encode(p.text, p.text_pair);
      expect(enc.ids).toEqual(p.ids);
      expect(enc.tokens).toEqual(p.tokens);
      expect(enc.typeIds).toEqual(p.token_type_ids);
      expect(enc.offsets).toEqual(p.offsets);
    });
  }
});

describe('fromLegacyFiles', () => {
  it('reads vocab.txt and tokenizer_config.json as BERT (lowercasing, [CLS] ... [SEP])', async () => {
    const tok = await fromLegacyFiles(join(FIXTURES, 'bert-base-uncased'));
    const enc = tok.encode('Call me Ishmael.');
    // As Hugging Face's Rust library gives for bert-base-uncased.
    expect(enc.tokens).toEqual(['[CLS]', 'call', 'me', 'is', '##hma', '##el', '.', '[SEP]']);
    expect(enc.ids).toEqual([101, 2655, 2033, 2003, 22444, 2884, 1012, 102]);
    expect(tok.encode('A pair', 'of texts').typeIds).toEqual([0, 0, 0, 0, 1, 1, 1]);
  });

  it('reads vocab.json + merges.txt as GPT-2', async () => {
    const tok = await fromLegacyFiles(join(FIXTURES, 'gpt2'));
    const golden = JSON.parse(read('gpt2', 'golden.json')) as Golden;
    for (const c of golden.cases.slice(0, 20)) expect(tok.encode(c.text).ids, c.name).toEqual(c.ids);
    expect(tok.getVocabSize()).toBe(50257);
  });

  it('reads a RoBERTa folder (tokenizer_class RobertaTokenizer) with <s> ... </s> and the settings of tokenizer_config.json', async () => {
    const dir = await mkdtemp(join(os.tmpdir(), 'tensile-legacy-'));
    try {
      await writeFile(join(dir, 'vocab.json'), read('gpt2', 'vocab.json'));
      await writeFile(join(dir, 'merges.txt'), read('gpt2', 'merges.txt'));
      await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'RobertaTokenizer', add_prefix_space: false, mask_token: { content: '<mask>', lstrip: true, __type: 'AddedToken' } }));
      const tok = await fromLegacyFiles(dir);
      // <s> </s> <unk> <pad> <mask> are not in GPT-2's vocabulary: they get ids 50257.. in the slow tokenizer's order.
      const enc = tok.encode('Hello world');
      expect(enc.tokens).toEqual(['<s>', 'Hello', 'Ġworld', '</s>']);
      expect(enc.ids).toEqual([50257, 15496, 995, 50258]);
      expect(tok.encode('a', 'b').ids).toEqual([50257, 64, 50258, 50258, 65, 50258]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws TokenizerError naming the folder when no legacy files are there', async () => {
    const dir = await mkdtemp(join(os.tmpdir(), 'tensile-legacy-'));
    try {
      await expect(fromLegacyFiles(dir)).rejects.toThrow(TokenizerError);
      await expect(fromLegacyFiles(dir)).rejects.toThrow(dir);
      await writeFile(join(dir, 'vocab.json'), '{"a": 0}');
      await expect(fromLegacyFiles(dir)).rejects.toThrow(/merges\.txt is missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws TokenizerError naming tokenizer_config.json and the field for a bad setting', async () => {
    const dir = await mkdtemp(join(os.tmpdir(), 'tensile-legacy-'));
    try {
      await writeFile(join(dir, 'vocab.txt'), '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n');
      await writeFile(join(dir, 'tokenizer_config.json'), '{"do_lower_case": "yes"}');
      const err = await fromLegacyFiles(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenizerError);
      expect((err as Error).message).toContain('tokenizer_config.json');
      expect((err as Error).message).toContain('do_lower_case');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('legacy file parsing', () => {
  it('vocab.txt: id = line number, a repeated token keeps its last line, CRLF and a BOM are tolerated', () => {
    const v = parseVocabTxt('\ufeff[PAD]\r\nhello\r\nworld\r\nhello\r\n');
    expect({ ...v }).toEqual({ '[PAD]': 0, hello: 3, world: 2 });
  });

  it('vocab.txt: tokens such as "__proto__" are ordinary entries', () => {
    const v = parseVocabTxt('[UNK]\n__proto__\nconstructor\n');
    expect(Object.keys(v)).toEqual(['[UNK]', '__proto__', 'constructor']);
    expect(v['__proto__']).toBe(1);
  });

  it('vocab.json: a non-integer id is a TokenizerError naming the file and the token', () => {
    expect(() => parseVocabJson('{"a": 0, "b c": 1.5}')).toThrow(TokenizerError);
    expect(() => parseVocabJson('{"a": 0, "b c": 1.5}')).toThrow(/vocab\.json: \["b c"\]: expected a non-negative integer id, got 1\.5/);
    expect(() => parseVocabJson('[1, 2]')).toThrow(/expected an object mapping tokens to ids, got array/);
    expect(() => parseVocabJson('{"a": ')).toThrow(/vocab\.json: .*not valid JSON/);
  });

  it('merges.txt: skips the #version line and blank lines; a malformed line is a TokenizerError with its line number', () => {
    expect(parseMergesTxt('#version: 0.2\nĠ t\r\nh e\n\n')).toEqual(['Ġ t', 'h e']);
    expect(() => parseMergesTxt('#version: 0.2\nĠ t\nhe\n')).toThrow(/merges\.txt: line 3: expected two tokens/);
  });

  it('BERT options: cased vocabularies, accents, special tokens missing from the vocabulary get the next ids', () => {
    const layout = plain(bertLayoutFromVocab('[UNK]\n[CLS]\n[SEP]\nhello\n', { doLowerCase: false, stripAccents: true, tokenizeChineseChars: false }));
    expect(layout.normalizer).toEqual({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: true, lowercase: false });
    expect(layout.added_tokens).toEqual([
      { id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '[CLS]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '[SEP]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 4, content: '[PAD]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 5, content: '[MASK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ]);
    expect(() => bertLayoutFromVocab('hello\n')).toThrow(/vocab\.txt: the unknown token "\[UNK\]" is not in the vocabulary/);
  });

  it('GPT-2 options: add_bos_token gives a TemplateProcessing with the BOS token', () => {
    const layout = plain(gpt2LayoutFromFiles('{"<|endoftext|>": 0, "a": 1}', '#version: 0.2\n', { addBosToken: true, addPrefixSpace: true }));
    expect(layout.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true });
    expect(layout.post_processor).toEqual({
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } },
    });
  });

  it('RoBERTa layout: RobertaProcessing with the <s> and </s> ids, <mask> strips left', () => {
    const layout = plain(robertaLayoutFromFiles('{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "<mask>": 5}', ''));
    expect(layout.post_processor).toEqual({ type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false });
    expect((layout.added_tokens as { content: string; lstrip: boolean }[]).map((t) => [t.content, t.lstrip])).toEqual([
      ['<s>', false],
      ['<pad>', false],
      ['</s>', false],
      ['<unk>', false],
      ['<mask>', true],
    ]);
  });

  it('a WordPiece tokenizer from a tiny vocab.txt encodes and decodes', () => {
    const tok = fromBertVocab('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n!\n');
    const enc = tok.encode('Hello worlds! zzz');
    expect(enc.tokens).toEqual(['[CLS]', 'hello', 'world', '##s', '!', '[UNK]', '[SEP]']);
    expect(enc.ids).toEqual([2, 5, 6, 7, 8, 1, 3]);
    // The WordPiece decoder's own cleanup (cleanup: true) joins " !" even without cleanUpTokenizationSpaces.
    expect(tok.decode(enc.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe('hello worlds!');
  });

  it('fromRobertaFiles and fromGpt2Files load the same files differently', () => {
    const vocab = '{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4, "<|endoftext|>": 5, "a": 6}';
    expect(fromRobertaFiles(vocab, '').encode('a').ids).toEqual([0, 6, 2]);
    expect(fromGpt2Files(vocab, '').encode('a').ids).toEqual([6]);
  });
});
