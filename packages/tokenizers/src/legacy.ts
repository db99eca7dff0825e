/**
 * Tokenizers from the legacy (pre-`tokenizer.json`) files: BERT's `vocab.txt` and GPT-2's /
 * RoBERTa's `vocab.json` + `merges.txt`. Each builder makes the `tokenizer.json` layout that
 * Hugging Face's converters (transformers' `convert_slow_tokenizer.py`: BertConverter,
 * GPT2Converter, RobertaConverter) produce for the same files, then loads it with
 * `Tokenizer.fromJSON`, so a legacy folder encodes exactly as its converted `tokenizer.json`.
 */
import { joinPath, TokenizerError, typeName } from './errors.js';
import { Tokenizer } from './tokenizer.js';

/** A `tokenizer.json` document as plain data. */
export type TokenizerJSONLayout = Record<string, unknown>;

/** Options of {@link fromBertVocab}; the defaults are bert-base-uncased's. */
export interface BertVocabOptions {
  /** Lowercase the text (BertNormalizer `lowercase`). Default true. */
  doLowerCase?: boolean;
  /** Put spaces around CJK ideographs (BertNormalizer `handle_chinese_chars`). Default true. */
  tokenizeChineseChars?: boolean;
  /** BertNormalizer `strip_accents`; null (the default) follows `doLowerCase`. */
  stripAccents?: boolean | null;
  unkToken?: string;
  sepToken?: string;
  padToken?: string;
  clsToken?: string;
  maskToken?: string;
  /** WordPiece `max_input_chars_per_word`. Default 100. */
  maxInputCharsPerWord?: number;
  /** The file name used in error messages. Default "vocab.txt". */
  name?: string;
}

/** Options of {@link fromGpt2Files}; the defaults are GPT-2's. */
export interface Gpt2FilesOptions {
  /** ByteLevel pre-tokenizer `add_prefix_space`. Default false. */
  addPrefixSpace?: boolean;
  /** Prepend the BOS token (TemplateProcessing `bos $A`), as GPT2Tokenizer's `add_bos_token`. Default false. */
  addBosToken?: boolean;
  bosToken?: string;
  eosToken?: string;
  unkToken?: string;
  /** GPT-2 has none; when given it becomes a special added token too. */
  padToken?: string | null;
  /** The file names used in error messages. Default "vocab.json" and "merges.txt". */
  vocabName?: string;
  mergesName?: string;
}

/** Options of {@link fromRobertaFiles}; the defaults are roberta-base's. */
export interface RobertaFilesOptions {
  /** ByteLevel pre-tokenizer and RobertaProcessing `add_prefix_space`. Default false. */
  addPrefixSpace?: boolean;
  /** RobertaProcessing `trim_offsets`. Default true. */
  trimOffsets?: boolean;
  bosToken?: string;
  eosToken?: string;
  sepToken?: string;
  clsToken?: string;
  unkToken?: string;
  padToken?: string;
  maskToken?: string;
  vocabName?: string;
  mergesName?: string;
}

function fail(file: string, path: string, message: string): never {
  throw new TokenizerError(message, file, path || undefined);
}

/** A map with no prototype, so vocabulary entries such as "__proto__" or "constructor" are plain keys. */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function addedToken(id: number, content: string, special = true): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

/**
 * Special added tokens for `contents` (in order, duplicates dropped): a token of the vocabulary
 * keeps its id; one that is missing gets the next id after the vocabulary, as the slow tokenizer
 * does when it adds it. Returned sorted by id, as Hugging Face saves them.
 */
function specialTokens(vocab: Record<string, number>, contents: (string | null | undefined)[]): Record<string, unknown>[] {
  let next = 0;
  for (const k in vocab) next = Math.max(next, vocab[k]! + 1);
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const c of contents) {
    if (c === null || c === undefined || seen.has(c)) continue;
    seen.add(c);
    const id = Object.prototype.hasOwnProperty.call(vocab, c) ? vocab[c]! : next++;
    out.push(addedToken(id, c));
  }
  return out.sort((a, b) => (a.id as number) - (b.id as number));
}

const idOf = (added: Record<string, unknown>[], content: string) => added.find((t) => t.content === content)!.id as number;

/** TemplateProcessing's JSON for one special-token piece or one sequence. */
const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });

function templateSpecialTokens(added: Record<string, unknown>[], names: string[]): Record<string, unknown> {
  const out = dict<unknown>();
  for (const n of [...new Set(names)].sort()) out[n] = { id: n, ids: [idOf(added, n)], tokens: [n] };
  return out;
}

/** Strip a leading byte-order mark (a UTF-8 file saved by some editors starts with one). */
const noBom = (s: string) => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);

/** Parse `vocab.txt`: one token per line, id = line number; a repeated token keeps its last line (as BERT's `load_vocab`). */
export function parseVocabTxt(vocabTxt: string, name = 'vocab.txt'): Record<string, number> {
  if (typeof vocabTxt !== 'string') fail(name, '', `expected the text of the file, got ${typeof vocabTxt}`);
  const lines = noBom(vocabTxt).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab = dict<number>();
  lines.forEach((line, i) => {
    vocab[line.endsWith('\r') ? line.slice(0, -1) : line] = i;
  });
  if (lines.length === 0) fail(name, '', 'the vocabulary is empty');
  return vocab;
}

/** Parse and check `vocab.json`: an object mapping each token to a non-negative integer id. */
export function parseVocabJson(vocabJson: string | object, name = 'vocab.json'): Record<string, number> {
  let raw: unknown = vocabJson;
  if (typeof vocabJson === 'string') {
    try {
      raw = JSON.parse(noBom(vocabJson));
    } catch (err) {
      fail(name, '', `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(name, '', `expected an object mapping tokens to ids, got ${typeName(raw)}`);
  const vocab = dict<number>();
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(name, joinPath('', k), `expected a non-negative integer id, got ${JSON.stringify(v)}`);
    vocab[k] = v;
  }
  return vocab;
}

/**
 * Parse `merges.txt`: one merge "a b" per line, by rank; a first line starting with `#version`
 * and blank lines are skipped (as the Rust library's `BPE::from_file`).
 */
export function parseMergesTxt(mergesTxt: string, name = 'merges.txt'): string[] {
  if (typeof mergesTxt !== 'string') fail(name, '', `expected the text of the file, got ${typeof mergesTxt}`);
  const merges: string[] = [];
  noBom(mergesTxt)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || (i === 0 && line.startsWith('#version'))) return;
      const parts = line.split(' ');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') fail(name, `line ${i + 1}`, `expected two tokens separated by one space, got ${JSON.stringify(line.slice(0, 80))}`);
      merges.push(line);
    });
  return merges;
}

/** The `tokenizer.json` layout of BertTokenizerFast converted from a `vocab.txt` (HF's BertConverter). */
export function bertLayoutFromVocab(vocabTxt: string, opts: BertVocabOptions = {}): TokenizerJSONLayout {
  const name = opts.name ?? 'vocab.txt';
  const vocab = parseVocabTxt(vocabTxt, name);
  const unk = opts.unkToken ?? '[UNK]', sep = opts.sepToken ?? '[SEP]', pad = opts.padToken ?? '[PAD]';
  const cls = opts.clsToken ?? '[CLS]', mask = opts.maskToken ?? '[MASK]';
  if (!Object.prototype.hasOwnProperty.call(vocab, unk)) fail(name, '', `the unknown token ${JSON.stringify(unk)} is not in the vocabulary`);
  const maxChars = opts.maxInputCharsPerWord ?? 100;
  if (!Number.isInteger(maxChars) || maxChars < 0) fail(name, 'maxInputCharsPerWord', `expected a non-negative integer, got ${maxChars}`);
  // The slow tokenizer's special tokens, in SPECIAL_TOKENS_ATTRIBUTES order (bos, eos, unk, sep, pad, cls, mask).
  const added = specialTokens(vocab, [unk, sep, pad, cls, mask]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: opts.tokenizeChineseChars ?? true,
      strip_accents: opts.stripAccents ?? null,
      lowercase: opts.doLowerCase ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
      pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
      special_tokens: templateSpecialTokens(added, [cls, sep]),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: maxChars, vocab },
  };
}

function bpeModel(vocab: Record<string, number>, merges: string[]): Record<string, unknown> {
  return { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges };
}

const byteLevel = (addPrefixSpace: boolean, trimOffsets: boolean) => ({ type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: trimOffsets, use_regex: true });

/** The layout shared by GPT-2 and RoBERTa: byte-level pre-tokenizer and decoder around a BPE model, no normalizer. */
function byteLevelBpeLayout(
  vocab: Record<string, number>,
  merges: string[],
  added: Record<string, unknown>[],
  addPrefixSpace: boolean,
  postProcessor: object,
): TokenizerJSONLayout {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel(addPrefixSpace, true),
    post_processor: postProcessor,
    decoder: byteLevel(true, true),
    model: bpeModel(vocab, merges),
  };
}

/** The `tokenizer.json` layout of GPT2TokenizerFast converted from `vocab.json` + `merges.txt` (HF's GPT2Converter). */
export function gpt2LayoutFromFiles(vocabJson: string | object, mergesTxt: string, opts: Gpt2FilesOptions = {}): TokenizerJSONLayout {
  const vocab = parseVocabJson(vocabJson, opts.vocabName);
  const merges = parseMergesTxt(mergesTxt, opts.mergesName);
  const eot = '<|endoftext|>';
  const bos = opts.bosToken ?? eot, eos = opts.eosToken ?? eot, unk = opts.unkToken ?? eot;
  const addPrefixSpace = opts.addPrefixSpace ?? false;
  const added = specialTokens(vocab, [bos, eos, unk, opts.padToken]);
  const postProcessor = opts.addBosToken
    ? { type: 'TemplateProcessing', single: [special(bos, 0), sequence('A', 0)], pair: [special(bos, 0), sequence('A', 0), sequence('B', 1)], special_tokens: templateSpecialTokens(added, [bos]) }
    : byteLevel(true, false);
  return byteLevelBpeLayout(vocab, merges, added, addPrefixSpace, postProcessor);
}

/** The `tokenizer.json` layout of RobertaTokenizerFast converted from `vocab.json` + `merges.txt` (HF's RobertaConverter). */
export function robertaLayoutFromFiles(vocabJson: string | object, mergesTxt: string, opts: RobertaFilesOptions = {}): TokenizerJSONLayout {
  const vocabName = opts.vocabName ?? 'vocab.json';
  const vocab = parseVocabJson(vocabJson, vocabName);
  const merges = parseMergesTxt(mergesTxt, opts.mergesName);
  const bos = opts.bosToken ?? '<s>', eos = opts.eosToken ?? '</s>', sep = opts.sepToken ?? '</s>', cls = opts.clsToken ?? '<s>';
  const unk = opts.unkToken ?? '<unk>', pad = opts.padToken ?? '<pad>', mask = opts.maskToken ?? '<mask>';
  const addPrefixSpace = opts.addPrefixSpace ?? false;
  const added = specialTokens(vocab, [bos, eos, unk, sep, pad, cls, mask]);
  // RobertaTokenizer's mask token strips the space on its left.
  for (const t of added) if (t.content === mask) t.lstrip = true;
  const postProcessor = { type: 'RobertaProcessing', sep: [sep, idOf(added, sep)], cls: [cls, idOf(added, cls)], trim_offsets: opts.trimOffsets ?? true, add_prefix_space: addPrefixSpace };
  return byteLevelBpeLayout(vocab, merges, added, addPrefixSpace, postProcessor);
}

/** A BERT WordPiece tokenizer from the text of a `vocab.txt` (see {@link bertLayoutFromVocab}). */
export function fromBertVocab(vocabTxt: string, opts: BertVocabOptions = {}): Tokenizer {
  return Tokenizer.fromJSON(bertLayoutFromVocab(vocabTxt, opts), { name: opts.name ?? 'vocab.txt' });
}

/** A GPT-2 byte-level BPE tokenizer from the texts of `vocab.json` and `merges.txt` (see {@link gpt2LayoutFromFiles}). */
export function fromGpt2Files(vocabJson: string | object, mergesTxt: string, opts: Gpt2FilesOptions = {}): Tokenizer {
  return Tokenizer.fromJSON(gpt2LayoutFromFiles(vocabJson, mergesTxt, opts), { name: `${opts.vocabName ?? 'vocab.json'} + ${opts.mergesName ?? 'merges.txt'}` });
}

/** A RoBERTa byte-level BPE tokenizer from the texts of `vocab.json` and `merges.txt` (see {@link robertaLayoutFromFiles}). */
export function fromRobertaFiles(vocabJson: string | object, mergesTxt: string, opts: RobertaFilesOptions = {}): Tokenizer {
  return Tokenizer.fromJSON(robertaLayoutFromFiles(vocabJson, mergesTxt, opts), { name: `${opts.vocabName ?? 'vocab.json'} + ${opts.mergesName ?? 'merges.txt'}` });
}

/** The text of a file, or undefined when there is none (Node only: the file system module loads lazily, as in fromFile). */
async function readIfExists(path: string): Promise<string | undefined> {
  const { exists, readText } = await import('./fs.js');
  return (await exists(path)) ? readText(path) : undefined;
}

/** A token setting of tokenizer_config.json: a string, or an AddedToken object `{content, ...}`. */
function tokenSetting(config: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  fail(file, key, `expected a string or an object with a string "content", got ${JSON.stringify(v)}`);
}

function boolSetting(config: Record<string, unknown>, key: string, file: string): boolean | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(file, key, `expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A tokenizer from a folder of legacy files: `vocab.txt` (BERT WordPiece), or `vocab.json` +
 * `merges.txt` (byte-level BPE: RoBERTa when `tokenizer_config.json` names a Roberta tokenizer
 * class, GPT-2 otherwise). Settings (lowercasing, special tokens, `add_prefix_space`, ...) come
 * from `tokenizer_config.json` and `special_tokens_map.json` when present; `tokenizer_config.json`
 * is then applied as by `fromFile` (decode clean-up default, `model_max_length`). Node only.
 */
export async function fromLegacyFiles(dir: string): Promise<Tokenizer> {
  dir = dir.replace(/[/\\]+$/, '');
  const join = (a: string, b: string) => `${a}/${b}`;
  const config: Record<string, unknown> = {};
  let hasConfig = false;
  for (const file of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const path = join(dir, file);
    const text = await readIfExists(path);
    if (text === undefined) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(noBom(text));
    } catch (err) {
      fail(path, '', `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail(path, '', `expected a JSON object, got ${typeName(parsed)}`);
    Object.assign(config, parsed);
    hasConfig ||= file === 'tokenizer_config.json';
  }
  const cfgName = join(dir, 'tokenizer_config.json');
  const withConfig = (t: Tokenizer) => {
    if (hasConfig) t.applyConfig(config, cfgName);
    return t;
  };
  const tok = (key: string) => tokenSetting(config, key, cfgName);
  const flag = (key: string) => boolSetting(config, key, cfgName);

  const vocabTxtPath = join(dir, 'vocab.txt');
  const vocabTxt = await readIfExists(vocabTxtPath);
  if (vocabTxt !== undefined) {
    const strip = config.strip_accents;
    if (strip !== undefined && strip !== null && typeof strip !== 'boolean') fail(cfgName, 'strip_accents', `expected a boolean or null, got ${JSON.stringify(strip)}`);
    return withConfig(fromBertVocab(vocabTxt, {
      name: vocabTxtPath,
      doLowerCase: flag('do_lower_case'),
      tokenizeChineseChars: flag('tokenize_chinese_chars'),
      stripAccents: strip as boolean | null | undefined,
      unkToken: tok('unk_token'),
      sepToken: tok('sep_token'),
      padToken: tok('pad_token'),
      clsToken: tok('cls_token'),
      maskToken: tok('mask_token'),
    }));
  }
  const vocabName = join(dir, 'vocab.json'), mergesName = join(dir, 'merges.txt');
  const [vocabJson, mergesTxt] = await Promise.all([readIfExists(vocabName), readIfExists(mergesName)]);
  if (vocabJson !== undefined && mergesTxt !== undefined) {
    const cls = config.tokenizer_class;
    if (typeof cls === 'string' && /^Roberta/i.test(cls)) {
      return withConfig(fromRobertaFiles(vocabJson, mergesTxt, {
        vocabName,
        mergesName,
        addPrefixSpace: flag('add_prefix_space'),
        trimOffsets: flag('trim_offsets'),
        bosToken: tok('bos_token'),
        eosToken: tok('eos_token'),
        sepToken: tok('sep_token'),
        clsToken: tok('cls_token'),
        unkToken: tok('unk_token'),
        padToken: tok('pad_token'),
        maskToken: tok('mask_token'),
      }));
    }
    return withConfig(fromGpt2Files(vocabJson, mergesTxt, {
      vocabName,
      mergesName,
      addPrefixSpace: flag('add_prefix_space'),
      addBosToken: flag('add_bos_token'),
      bosToken: tok('bos_token'),
      eosToken: tok('eos_token'),
      unkToken: tok('unk_token'),
      padToken: tok('pad_token') ?? null,
    }));
  }
  const half = vocabJson !== undefined ? ' (vocab.json is there but merges.txt is missing)' : mergesTxt !== undefined ? ' (merges.txt is there but vocab.json is missing)' : '';
  throw new TokenizerError(`no legacy tokenizer files: expected vocab.txt (WordPiece) or vocab.json + merges.txt (byte-level BPE)${half}`, dir);
}
