/** The Encoding produced by Tokenizer.encode, and its truncation, padding and merging. */

export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) of each token in its input string, in UTF-16 code units; [0, 0] for added special tokens. */
  offsets: [number, number][];
  typeIds: number[];
  attentionMask: number[];
  specialTokensMask: number[];
  /** The parts cut off by truncation (each processed and padded like the main encoding). */
  overflowing: Encoding[];
  /** Index of the pre-tokenized word each token came from (null for special and pad tokens). */
  wordIds?: (number | null)[];
  /** Which input each token came from: 0, 1, or null for special and pad tokens. */
  sequenceIds?: (number | null)[];
}

/** The per-token arrays an encoding is written into, token by token, and the word counter. */
export class EncodingBuilder {
  ids: number[] = [];
  tokens: string[] = [];
  offsets: [number, number][] = [];
  wordIds: (number | null)[] = [];
  /** Index of the next pre-tokenized word. */
  word = 0;
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
export type Direction = 'left' | 'right';

export interface TruncationParams {
  maxLength: number;
  strategy: TruncationStrategy;
  stride: number;
  direction: Direction;
}

export interface PaddingParams {
  direction: Direction;
  padId: number;
  padToken: string;
  padTypeId: number;
  /** Fixed length; undefined pads to the longest encoding of the batch. */
  length?: number;
  padToMultipleOf?: number;
}

export function emptyEncoding(): Encoding {
  return {
    ids: [],
    tokens: [],
    offsets: [],
    typeIds: [],
    attentionMask: [],
    specialTokensMask: [],
    overflowing: [],
    wordIds: [],
    sequenceIds: [],
  };
}

function sliceEncoding(e: Encoding, a: number, b: number): Encoding {
  return {
    ids: e.ids.slice(a, b),
    tokens: e.tokens.slice(a, b),
    offsets: e.offsets.slice(a, b),
    typeIds: e.typeIds.slice(a, b),
    attentionMask: e.attentionMask.slice(a, b),
    specialTokensMask: e.specialTokensMask.slice(a, b),
    overflowing: [],
    wordIds: e.wordIds?.slice(a, b),
    sequenceIds: e.sequenceIds?.slice(a, b),
  };
}

/** Truncate in place to maxLen tokens; the rest goes to `overflowing` in windows with `stride` overlap. */
export function truncateEncoding(e: Encoding, maxLen: number, stride: number, direction: Direction): void {
  const len = e.ids.length;
  if (maxLen >= len) return;
  if (maxLen === 0) {
    const whole = sliceEncoding(e, 0, len);
    whole.overflowing = e.overflowing;
    Object.assign(e, emptyEncoding());
    e.overflowing = [whole];
    return;
  }
  if (stride >= maxLen) throw new RangeError(`truncation: stride (${stride}) must be smaller than the maximum length (${maxLen})`);
  const step = maxLen - stride;
  const parts: [number, number][] = [];
  if (direction === 'right') {
    for (let start = 0; start < len; start += step) {
      const stop = Math.min(start + maxLen, len);
      parts.push([start, stop]);
      if (stop === len) break;
    }
  } else {
    for (let s = len - 1; s >= 0; s -= step) {
      const stop = s + 1;
      const start = stop < maxLen ? 0 : stop - maxLen;
      if (start < stop) parts.push([start, stop]);
      if (start === 0) break;
    }
  }
  const main = sliceEncoding(e, parts[0]![0], parts[0]![1]);
  main.overflowing = parts.slice(1).map(([a, b]) => sliceEncoding(e, a, b));
  Object.assign(e, main);
}

/** Truncate a single encoding or a pair as Hugging Face's truncate_encodings does. */
export function truncatePair(a: Encoding, b: Encoding | null, p: TruncationParams): void {
  if (p.maxLength === 0) {
    truncateEncoding(a, 0, p.stride, p.direction);
    if (b) truncateEncoding(b, 0, p.stride, p.direction);
    return;
  }
  const total = a.ids.length + (b ? b.ids.length : 0);
  if (total <= p.maxLength) return;
  const toRemove = total - p.maxLength;
  if (p.strategy === 'longest_first') {
    if (!b) {
      truncateEncoding(a, total - toRemove, p.stride, p.direction);
      return;
    }
    let n1 = a.ids.length;
    let n2 = b.ids.length;
    let swap = false;
    if (n1 > n2) {
      swap = true;
      [n1, n2] = [n2, n1];
    }
    if (n1 > p.maxLength) n2 = n1;
    else n2 = Math.max(n1, p.maxLength - n1);
    if (n1 + n2 > p.maxLength) {
      n1 = Math.floor(p.maxLength / 2);
      n2 = n1 + (p.maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    truncateEncoding(a, n1, p.stride, p.direction);
    truncateEncoding(b, n2, p.stride, p.direction);
    return;
  }
  const target = p.strategy === 'only_first' ? a : b;
  if (!target) throw new RangeError('truncation: strategy only_second needs a second sequence');
  const n = target.ids.length;
  if (n > toRemove) truncateEncoding(target, n - toRemove, p.stride, p.direction);
  else {
    throw new RangeError(
      `truncation: the ${p.strategy === 'only_first' ? 'first' : 'second'} sequence (${n} tokens) is too short to remove ${toRemove} tokens; try longest_first`,
    );
  }
}

/** Pad in place (and the overflowing parts) to `target` tokens. */
export function padEncoding(e: Encoding, target: number, p: PaddingParams): void {
  for (const o of e.overflowing) padEncoding(o, target, p);
  const n = target - e.ids.length;
  if (n <= 0) return;
  const fill = <T>(x: T): T[] => new Array<T>(n).fill(x);
  const offs = Array.from({ length: n }, (): [number, number] => [0, 0]);
  if (p.direction === 'left') {
    e.ids = fill(p.padId).concat(e.ids);
    e.tokens = fill(p.padToken).concat(e.tokens);
    e.offsets = offs.concat(e.offsets);
    e.typeIds = fill(p.padTypeId).concat(e.typeIds);
    e.attentionMask = fill(0).concat(e.attentionMask);
    e.specialTokensMask = fill(1).concat(e.specialTokensMask);
    if (e.wordIds) e.wordIds = fill<number | null>(null).concat(e.wordIds);
    if (e.sequenceIds) e.sequenceIds = fill<number | null>(null).concat(e.sequenceIds);
  } else {
    append(e.ids, fill(p.padId));
    append(e.tokens, fill(p.padToken));
    append(e.offsets, offs);
    append(e.typeIds, fill(p.padTypeId));
    append(e.attentionMask, fill(0));
    append(e.specialTokensMask, fill(1));
    if (e.wordIds) append(e.wordIds, fill<number | null>(null));
    if (e.sequenceIds) append(e.sequenceIds, fill<number | null>(null));
  }
}

/** Pad a batch as Hugging Face's pad_encodings does (longest or fixed, to a multiple). */
export function padEncodings(list: Encoding[], p: PaddingParams): void {
  if (list.length === 0) return;
  let target = p.length ?? Math.max(...list.map((e) => e.ids.length));
  const m = p.padToMultipleOf;
  if (m && m > 0 && target % m > 0) target += m - (target % m);
  for (const e of list) padEncoding(e, target, p);
}

function append<T>(dst: T[], src: readonly T[]): void {
  for (let i = 0; i < src.length; i++) dst.push(src[i]!);
}

/** Concatenate encodings (no overflow handling). */
export function concatEncodings(parts: Encoding[]): Encoding {
  if (parts.length === 1) {
    const e = parts[0]!;
    return {
      ...e,
      overflowing: [],
      wordIds: e.wordIds ?? e.ids.map(() => null),
      sequenceIds: e.sequenceIds ?? e.ids.map(() => null),
    };
  }
  // Array#concat copies whole arrays natively (much faster than pushing element by element).
  const cat = <T>(f: (e: Encoding) => T[]): T[] => ([] as T[]).concat(...parts.map(f));
  const nulls = (e: Encoding) => new Array<null>(e.ids.length).fill(null);
  return {
    ids: cat((e) => e.ids),
    tokens: cat((e) => e.tokens),
    offsets: cat((e) => e.offsets),
    typeIds: cat((e) => e.typeIds),
    attentionMask: cat((e) => e.attentionMask),
    specialTokensMask: cat((e) => e.specialTokensMask),
    overflowing: [],
    wordIds: cat((e) => e.wordIds ?? nulls(e)),
    sequenceIds: cat((e) => e.sequenceIds ?? nulls(e)),
  };
}
