/** The Tokenizer: Hugging Face's tokenizer.json pipeline (added tokens, normalizer, pre-tokenizer, model, post-processor, decoder). */
import { type AddedToken, AddedVocabulary, type Piece } from './added.js';
import { type Decoder, cleanUpTokenization, parseDecoder } from './decoders.js';
import {
  type Direction,
  type Encoding,
  EncodingBuilder,
  type PaddingParams,
  type TruncationParams,
  type TruncationStrategy,
  padEncodings,
  truncatePair,
} from './encoding.js';
import { JsonReader, TokenizerError, joinPath, typeName } from './errors.js';
import { BertFastPath } from './fastbert.js';
import { type Model, TokenSink, parseModel } from './models.js';
import { NormalizedString } from './normalized.js';
import { type Normalizer, parseNormalizer } from './normalizers.js';
import { type PreTokenizer, forEachSplit, parsePreTokenizer } from './pretokenizers.js';
import { type PostProcessor, type SingleLayout, parsePostProcessor, postProcess } from './processors.js';

/** No post-processor: the sequence alone, type id 0. */
const NO_LAYOUT: SingleLayout = { preIds: [], preTokens: [], preTypes: [], postIds: [], postTokens: [], postTypes: [], typeId: 0 };

export interface EncodeOptions {
  /** Add the post-processor's special tokens (default true). */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Python transformers' clean-up (" ." -> ".", " 's" -> "'s", ...); default: the tokenizer's setting. */
  cleanUpTokenizationSpaces?: boolean;
}

/** A token to add: its text, or the text with Hugging Face's AddedToken flags. */
export type AddedTokenInput =
  | string
  | { content: string; singleWord?: boolean; lstrip?: boolean; rstrip?: boolean; normalized?: boolean; special?: boolean };

export interface PaddingOptions {
  direction?: Direction;
  padId?: number;
  padToken?: string;
  padTypeId?: number;
  /** Pad to this length; omitted: to the longest encoding of the batch. */
  length?: number;
  padToMultipleOf?: number;
}

export interface TruncationOptions {
  maxLength: number;
  strategy?: TruncationStrategy;
  stride?: number;
  direction?: Direction;
}

export interface FromJSONOptions {
  /** The file name used in error messages (default `tokenizer.json`). */
  name?: string;
  /** The parsed tokenizer_config.json (clean_up_tokenization_spaces, model_max_length, padding_side, ...). */
  config?: object;
}

const DIRS: Record<string, Direction> = { Right: 'right', Left: 'left', right: 'right', left: 'left' };
const STRATEGIES: Record<string, TruncationStrategy> = {
  LongestFirst: 'longest_first',
  OnlyFirst: 'only_first',
  OnlySecond: 'only_second',
  longest_first: 'longest_first',
  only_first: 'only_first',
  only_second: 'only_second',
};

function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? '.' : i === 0 ? path.slice(0, 1) : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

export class Tokenizer {
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  model: Model;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  readonly added = new AddedVocabulary();
  /** Python transformers' clean_up_tokenization_spaces default for decode (from tokenizer_config.json). */
  cleanUpTokenizationSpaces = false;
  /** model_max_length from tokenizer_config.json, when given. */
  modelMaxLength?: number;
  /** The tokenizer_config.json this tokenizer was loaded with, if any. */
  config?: Record<string, unknown>;
  /**
   * Whether encode may use its fused paths (BERT's normalizer, pre-tokenizer and WordPiece in one
   * scan; a single sequence's post-processing written in place). They give exactly what the
   * general code gives; false forces the general code (for tests).
   */
  useFastPaths = true;
  private fastKey: [Normalizer | null, PreTokenizer | null, Model] | null = null;
  private fast: BertFastPath | null = null;
  private padding: PaddingParams | null = null;
  private truncation: TruncationParams | null = null;

  private constructor(model: Model) {
    this.model = model;
    this.normalizer = null;
    this.preTokenizer = null;
    this.postProcessor = null;
    this.decoder = null;
  }

  /** Build a tokenizer from tokenizer.json's content (a string or the parsed object). */
  static fromJSON(json: string | object, opts: FromJSONOptions = {}): Tokenizer {
    const file = opts.name ?? 'tokenizer.json';
    let doc: unknown = json;
    if (typeof json === 'string') {
      try {
        doc = JSON.parse(json);
      } catch (e) {
        throw new TokenizerError(`invalid JSON: ${(e as Error).message}`, file);
      }
    }
    const r = new JsonReader(file);
    const o = r.obj(doc, '');
    if (o.model === undefined) r.fail('model', 'missing (every tokenizer.json has a model)');
    const model = parseModel(r, o.model, 'model');
    const t = new Tokenizer(model);
    t.normalizer = parseNormalizer(r, o.normalizer, 'normalizer');
    t.preTokenizer = parsePreTokenizer(r, o.pre_tokenizer, 'pre_tokenizer');
    t.postProcessor = parsePostProcessor(r, o.post_processor, 'post_processor');
    t.decoder = parseDecoder(r, o.decoder, 'decoder');
    if (o.added_tokens !== undefined && o.added_tokens !== null) {
      const list = r.arr(o.added_tokens, 'added_tokens');
      list.forEach((x, i) => {
        const p = joinPath('added_tokens', i);
        const a = r.obj(x, p);
        t.added.add({
          id: r.uint(a.id, joinPath(p, 'id')),
          content: r.str(a.content, joinPath(p, 'content')),
          singleWord: r.optBool(a, 'single_word', p, false),
          lstrip: r.optBool(a, 'lstrip', p, false),
          rstrip: r.optBool(a, 'rstrip', p, false),
          normalized: r.optBool(a, 'normalized', p, !r.optBool(a, 'special', p, false)),
          special: r.optBool(a, 'special', p, false),
        });
      });
    }
    t.added.refresh(t.normalizer);
    if (o.truncation !== undefined && o.truncation !== null) {
      const p = 'truncation';
      const tr = r.obj(o.truncation, p);
      t.truncation = {
        maxLength: r.uint(tr.max_length, joinPath(p, 'max_length')),
        strategy: STRATEGIES[r.oneOf(tr.strategy ?? 'LongestFirst', joinPath(p, 'strategy'), Object.keys(STRATEGIES))]!,
        stride: r.optUint(tr, 'stride', p, 0),
        direction: DIRS[r.oneOf(tr.direction ?? 'Right', joinPath(p, 'direction'), Object.keys(DIRS))]!,
      };
    }
    if (o.padding !== undefined && o.padding !== null) {
      const p = 'padding';
      const pd = r.obj(o.padding, p);
      let length: number | undefined;
      if (pd.strategy !== undefined && pd.strategy !== 'BatchLongest') {
        const s = r.obj(pd.strategy, joinPath(p, 'strategy'));
        length = r.uint(s.Fixed, joinPath(joinPath(p, 'strategy'), 'Fixed'));
      }
      t.padding = {
        direction: DIRS[r.oneOf(pd.direction ?? 'Right', joinPath(p, 'direction'), Object.keys(DIRS))]!,
        padId: r.optUint(pd, 'pad_id', p, 0),
        padTypeId: r.optUint(pd, 'pad_type_id', p, 0),
        padToken: r.optStr(pd, 'pad_token', p, '[PAD]'),
        length,
        padToMultipleOf: r.optUint(pd, 'pad_to_multiple_of', p, null) ?? undefined,
      };
    }
    if (opts.config !== undefined) t.applyConfig(opts.config, file === 'tokenizer.json' ? 'tokenizer_config.json' : `${file} (config)`);
    return t;
  }

  /** Load tokenizer.json (and a sibling tokenizer_config.json when present). Node only. */
  static async fromFile(path: string): Promise<Tokenizer> {
    const { readText, exists } = await import('./fs.js');
    const text = await readText(path);
    const cfgPath = `${dirname(path)}/tokenizer_config.json`;
    let config: object | undefined;
    if (await exists(cfgPath)) {
      const raw = await readText(cfgPath);
      try {
        config = JSON.parse(raw) as object;
      } catch (e) {
        throw new TokenizerError(`invalid JSON: ${(e as Error).message}`, cfgPath);
      }
    }
    return Tokenizer.fromJSON(text, { name: basename(path) === 'tokenizer.json' ? 'tokenizer.json' : path, config });
  }

  /** Apply tokenizer_config.json settings (clean-up default, max length, padding side and token). */
  applyConfig(config: object, file = 'tokenizer_config.json'): void {
    const r = new JsonReader(file);
    const c = r.obj(config, '');
    this.config = c;
    this.cleanUpTokenizationSpaces = r.optBool(c, 'clean_up_tokenization_spaces', '', false);
    const mml = r.optNum(c, 'model_max_length', '', null);
    if (mml !== null) this.modelMaxLength = mml;
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  /** Encode one text (or a pair) into ids, tokens, offsets, masks. */
  encode(text: string, pair?: string | null, opts: EncodeOptions = {}): Encoding {
    if (typeof text !== 'string') throw new TokenizerError(`encode: expected a string, got ${typeName(text)}`);
    if (pair !== undefined && pair !== null && typeof pair !== 'string') {
      throw new TokenizerError(`encode: expected the pair to be a string, got ${typeName(pair)}`);
    }
    const enc = this.encodeRaw(text, pair ?? null, opts.addSpecialTokens ?? true);
    if (this.padding) padEncodings([enc], this.padding);
    return enc;
  }

  /** Encode a batch; padding (when enabled) pads all rows together. */
  encodeBatch(inputs: (string | [string, string])[], opts: EncodeOptions = {}): Encoding[] {
    if (!Array.isArray(inputs)) throw new TokenizerError(`encodeBatch: expected an array, got ${typeName(inputs)}`);
    const add = opts.addSpecialTokens ?? true;
    const out = inputs.map((x, i) => {
      if (typeof x === 'string') return this.encodeRaw(x, null, add);
      if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string') return this.encodeRaw(x[0], x[1], add);
      throw new TokenizerError(`encodeBatch: input ${i}: expected a string or a [string, string] pair, got ${typeName(x)}`);
    });
    if (this.padding) padEncodings(out, this.padding);
    return out;
  }

  private encodeRaw(text: string, pair: string | null, add: boolean): Encoding {
    if (pair === null && this.truncation === null && this.useFastPaths) {
      // One sequence, nothing to truncate, and a post-processor that only surrounds it with
      // special tokens: the final arrays are written directly (what postProcess would build).
      const layout = this.postProcessor ? (this.postProcessor.singleLayout?.(add) ?? null) : NO_LAYOUT;
      if (layout) return this.encodeLaidOut(text, layout);
    }
    const a = this.encodeSingle(text, 0);
    const b = pair !== null ? this.encodeSingle(pair, 1) : null;
    if (this.truncation) {
      const n = add && this.postProcessor ? this.postProcessor.addedTokens(b !== null) : 0;
      const p = n > 0 ? { ...this.truncation, maxLength: Math.max(0, this.truncation.maxLength - n) } : this.truncation;
      truncatePair(a, b, p);
    }
    return postProcess(this.postProcessor, a, b, add);
  }

  /** encodeSingle + postProcess for one sequence whose post-processing is a SingleLayout. */
  private encodeLaidOut(text: string, l: SingleLayout): Encoding {
    const out = new EncodingBuilder();
    const pre = l.preIds.length;
    for (let k = 0; k < pre; k++) {
      out.ids.push(l.preIds[k]!);
      out.tokens.push(l.preTokens[k]!);
      out.offsets.push([0, 0]);
      out.wordIds.push(null);
    }
    this.encodeInto(text, out);
    const end = out.ids.length;
    const post = l.postIds.length;
    for (let k = 0; k < post; k++) {
      out.ids.push(l.postIds[k]!);
      out.tokens.push(l.postTokens[k]!);
      out.offsets.push([0, 0]);
      out.wordIds.push(null);
    }
    const n = out.ids.length;
    const typeIds = new Array<number>(n).fill(l.typeId);
    const specialTokensMask = new Array<number>(n).fill(0);
    const sequenceIds = new Array<number | null>(n).fill(0);
    for (let k = 0; k < pre; k++) {
      typeIds[k] = l.preTypes[k]!;
      specialTokensMask[k] = 1;
      sequenceIds[k] = null;
    }
    for (let k = 0; k < post; k++) {
      typeIds[end + k] = l.postTypes[k]!;
      specialTokensMask[end + k] = 1;
      sequenceIds[end + k] = null;
    }
    return {
      ids: out.ids,
      tokens: out.tokens,
      offsets: out.offsets,
      typeIds,
      attentionMask: new Array<number>(n).fill(1),
      specialTokensMask,
      overflowing: [],
      wordIds: out.wordIds,
      sequenceIds,
    };
  }

  /** Added tokens, normalizer, pre-tokenizer and model on one text. */
  private encodeSingle(text: string, typeId: number): Encoding {
    const out = new EncodingBuilder();
    this.encodeInto(text, out);
    const n = out.ids.length;
    return {
      ids: out.ids,
      tokens: out.tokens,
      offsets: out.offsets,
      typeIds: new Array<number>(n).fill(typeId),
      attentionMask: new Array<number>(n).fill(1),
      specialTokensMask: new Array<number>(n).fill(0),
      overflowing: [],
      wordIds: out.wordIds,
    };
  }

  /** The fused BERT path for the current pipeline, or null (rebuilt when a stage is replaced). */
  private bertFast(): BertFastPath | null {
    if (!this.useFastPaths) return null;
    const key = this.fastKey;
    if (!key || key[0] !== this.normalizer || key[1] !== this.preTokenizer || key[2] !== this.model) {
      this.fastKey = [this.normalizer, this.preTokenizer, this.model];
      this.fast = BertFastPath.for(this.normalizer, this.preTokenizer, this.model);
    }
    return this.fast;
  }

  /** Append the tokens of `text` (added tokens, normalizer, pre-tokenizer, model) to `out`. */
  private encodeInto(text: string, out: EncodingBuilder): void {
    const fast = this.added.hasNormalized ? null : this.bertFast();
    if (fast) {
      // Raw added tokens split the text; each stretch between them goes through the fused path,
      // which hands what it cannot do itself back to encodeRange.
      const ms = this.added.rawMatches(text);
      const general = (a: number, b: number): void => this.encodeRange(text, a, b, out);
      let prev = 0;
      for (let i = 0; i < ms.length; i += 3) {
        if (ms[i]! > prev) fast.encode(text, prev, ms[i]!, out, general);
        this.pushAdded(NormalizedString.from(text).slice(ms[i]!, ms[i + 1]!), ms[i + 2]!, out);
        prev = ms[i + 1]!;
      }
      if (prev < text.length) fast.encode(text, prev, text.length, out, general);
      return;
    }
    const pieces: Piece[] = [];
    this.added.extract(text, this.normalizer, pieces);
    for (const piece of pieces) {
      if (piece.id >= 0) this.pushAdded(piece.ns, piece.id, out);
      else this.encodePiece(piece.ns, out);
    }
  }

  private pushAdded(ns: NormalizedString, id: number, out: EncodingBuilder): void {
    out.ids.push(id);
    out.tokens.push(this.added.byId.get(id)!.content);
    out.offsets.push([ns.origStart, ns.origEnd]);
    out.wordIds.push(out.word++);
  }

  /** The general path on text[a, b) (a stretch without added tokens): normalize, then encodePiece. */
  private encodeRange(text: string, a: number, b: number, out: EncodingBuilder): void {
    const ns = NormalizedString.from(text).slice(a, b).clone();
    if (this.normalizer) this.normalizer.normalize(ns);
    if (ns.s.length > 0) this.encodePiece(ns, out);
  }

  /** Pre-tokenize a normalized piece and run the model on each split. */
  private encodePiece(ns: NormalizedString, out: EncodingBuilder): void {
    const model = this.model;
    const each = (sp: NormalizedString): void => {
      const word = out.word;
      if (model.encodeWord) {
        // The model's (cached) result, read in place.
        const c = model.encodeWord(sp.s);
        for (let k = 0; k < c.ids.length; k++) {
          out.ids.push(c.ids[k]!);
          out.tokens.push(c.tokens[k]!);
          out.offsets.push(sp.originalRange(c.starts[k]!, c.ends[k]!));
          out.wordIds.push(word);
        }
      } else {
        const sink = new TokenSink();
        model.tokenize(sp.s, sink);
        for (let k = 0; k < sink.ids.length; k++) {
          out.ids.push(sink.ids[k]!);
          out.tokens.push(sink.tokens[k]!);
          out.offsets.push(sp.originalRange(sink.starts[k]!, sink.ends[k]!));
          out.wordIds.push(word);
        }
      }
      out.word = word + 1;
    };
    // Word by word as the pre-tokenizer finds them (no list of every word of a long text).
    if (this.preTokenizer) forEachSplit(this.preTokenizer, ns, each);
    else each(ns);
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding

  /** Decode ids to text. */
  decode(ids: number[], opts: DecodeOptions = {}): string {
    if (!Array.isArray(ids)) throw new TokenizerError(`decode: expected an array of ids, got ${typeName(ids)}`);
    const skip = opts.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (const id of ids) {
      if (typeof id !== 'number') throw new TokenizerError(`decode: expected integer ids, got ${typeName(id)}`);
      const t = this.idToToken(id);
      if (t === undefined) continue;
      if (skip && this.added.specials.has(t)) continue;
      tokens.push(t);
    }
    let text = this.decoder ? this.decoder.decodeChain(tokens).join('') : tokens.join(' ');
    if (opts.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces) text = cleanUpTokenization(text);
    return text;
  }

  /** Decode several id lists. */
  batchDecode(batch: number[][], opts: DecodeOptions = {}): string[] {
    if (!Array.isArray(batch)) throw new TokenizerError(`batchDecode: expected an array of id arrays, got ${typeName(batch)}`);
    return batch.map((ids) => this.decode(ids, opts));
  }

  // ---------------------------------------------------------------------------------------------
  // Vocabulary

  tokenToId(token: string): number | undefined {
    return this.added.byContent.get(token) ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.added.byId.get(id)?.content ?? this.model.idToToken(id);
  }

  /** The whole vocabulary, added tokens included. */
  getVocab(withAddedTokens = true): Map<string, number> {
    const v = this.model.getVocab();
    if (withAddedTokens) for (const [c, id] of this.added.byContent) v.set(c, id);
    return v;
  }

  getVocabSize(withAddedTokens = true): number {
    return withAddedTokens ? this.getVocab(true).size : this.model.getVocabSize();
  }

  /** The added tokens by id. */
  getAddedTokensDecoder(): Map<number, AddedToken> {
    return new Map(this.added.byId);
  }

  private addMany(tokens: AddedTokenInput[], special: boolean): number {
    if (!Array.isArray(tokens)) throw new TokenizerError(`addTokens: expected an array, got ${typeName(tokens)}`);
    let added = 0;
    for (const x of tokens) {
      const o = typeof x === 'string' ? { content: x } : x;
      if (!o || typeof o.content !== 'string') throw new TokenizerError(`addTokens: expected a string or {content}, got ${typeName(x)}`);
      if (!o.content) continue;
      const isSpecial = special || (o.special ?? false);
      const existing = this.added.byContent.get(o.content);
      if (existing !== undefined) {
        const prev = this.added.byId.get(existing)!;
        if (special && !prev.special) this.added.add({ ...prev, special: true });
        continue;
      }
      let id = this.model.tokenToId(o.content);
      if (id === undefined) {
        let max = this.model.getVocabSize() - 1;
        for (const k of this.added.byId.keys()) max = Math.max(max, k);
        for (const k of this.model.getVocab().values()) if (k > max) max = k;
        id = max + 1;
      }
      this.added.add({
        id,
        content: o.content,
        singleWord: o.singleWord ?? false,
        lstrip: o.lstrip ?? false,
        rstrip: o.rstrip ?? false,
        normalized: o.normalized ?? !isSpecial,
        special: isSpecial,
      });
      added++;
    }
    this.added.refresh(this.normalizer);
    return added;
  }

  /** Add tokens matched in text before the model; returns how many were new. */
  addTokens(tokens: AddedTokenInput[]): number {
    return this.addMany(tokens, false);
  }

  /** Add special tokens (skipped by decode with skipSpecialTokens); returns how many were new. */
  addSpecialTokens(tokens: AddedTokenInput[]): number {
    return this.addMany(tokens, true);
  }

  // ---------------------------------------------------------------------------------------------
  // Padding and truncation

  enablePadding(opts: PaddingOptions = {}): void {
    const padToken = opts.padToken ?? '[PAD]';
    const padId = opts.padId ?? this.tokenToId(padToken) ?? 0;
    if (opts.length !== undefined && (!Number.isInteger(opts.length) || opts.length < 0)) {
      throw new TokenizerError(`enablePadding: length must be a non-negative integer, got ${opts.length}`);
    }
    this.padding = {
      direction: opts.direction ?? 'right',
      padId,
      padToken,
      padTypeId: opts.padTypeId ?? 0,
      length: opts.length,
      padToMultipleOf: opts.padToMultipleOf,
    };
  }

  noPadding(): void {
    this.padding = null;
  }

  /** The padding settings, or null. */
  get paddingParams(): PaddingParams | null {
    return this.padding ? { ...this.padding } : null;
  }

  enableTruncation(opts: TruncationOptions): void {
    if (!opts || !Number.isInteger(opts.maxLength) || opts.maxLength < 0) {
      throw new TokenizerError(`enableTruncation: maxLength must be a non-negative integer, got ${opts?.maxLength}`);
    }
    const stride = opts.stride ?? 0;
    if (!Number.isInteger(stride) || stride < 0) throw new TokenizerError(`enableTruncation: stride must be a non-negative integer, got ${stride}`);
    const strategy = opts.strategy ?? 'longest_first';
    if (!['longest_first', 'only_first', 'only_second'].includes(strategy)) {
      throw new TokenizerError(`enableTruncation: unknown strategy ${JSON.stringify(strategy)}`);
    }
    this.truncation = { maxLength: opts.maxLength, strategy, stride, direction: opts.direction ?? 'right' };
  }

  noTruncation(): void {
    this.truncation = null;
  }

  /** The truncation settings, or null. */
  get truncationParams(): TruncationParams | null {
    return this.truncation ? { ...this.truncation } : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Serialization

  /** tokenizer.json's layout. */
  toJSON(): object {
    const dir = (d: Direction) => (d === 'left' ? 'Left' : 'Right');
    const strat = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' } as const;
    return {
      version: '1.0',
      truncation: this.truncation
        ? {
            direction: dir(this.truncation.direction),
            max_length: this.truncation.maxLength,
            strategy: strat[this.truncation.strategy],
            stride: this.truncation.stride,
          }
        : null,
      padding: this.padding
        ? {
            strategy: this.padding.length === undefined ? 'BatchLongest' : { Fixed: this.padding.length },
            direction: dir(this.padding.direction),
            pad_to_multiple_of: this.padding.padToMultipleOf ?? null,
            pad_id: this.padding.padId,
            pad_type_id: this.padding.padTypeId,
            pad_token: this.padding.padToken,
          }
        : null,
      added_tokens: [...this.added.byId.values()]
        .sort((a, b) => a.id - b.id)
        .map((t) => ({
          id: t.id,
          content: t.content,
          single_word: t.singleWord,
          lstrip: t.lstrip,
          rstrip: t.rstrip,
          normalized: t.normalized,
          special: t.special,
        })),
      normalizer: this.normalizer?.toJSON() ?? null,
      pre_tokenizer: this.preTokenizer?.toJSON() ?? null,
      post_processor: this.postProcessor?.toJSON() ?? null,
      decoder: this.decoder?.toJSON() ?? null,
      model: this.model.toJSON(),
    };
  }

  /** tokenizer.json's text (pretty-printed). */
  toString(pretty = true): string {
    return JSON.stringify(this.toJSON(), null, pretty ? 2 : undefined);
  }

  /** Write tokenizer.json to `path` (atomically: a temp file, then rename). Node only. */
  async save(path: string, pretty = true): Promise<void> {
    const { writeTextAtomic } = await import('./fs.js');
    await writeTextAtomic(path, this.toString(pretty));
  }
}
