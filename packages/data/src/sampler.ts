/**
 * Samplers (torch.utils.data.Sampler): iterables of dataset indices (or, for BatchSampler, of index
 * batches). Random samplers draw from core's seeded Philox `Generator` (default: core's
 * `defaultGenerator`, so `manualSeed` makes them reproducible); each iteration (epoch) draws fresh
 * numbers.
 */
import { Tensor, type Generator } from '@tensile/core';
import { datasetLength, type MapDataset } from './dataset.js';
import { randomInts, randperm, uniforms } from './random.js';

/** torch.utils.data.Sampler: iterable over indices (or batches of indices) with a length. */
export abstract class Sampler<I = number> implements Iterable<I> {
  abstract [Symbol.iterator](): Iterator<I>;
  /** Number of items one iteration yields. */
  abstract len(): number;
  get length(): number {
    return this.len();
  }
}

function sizeOf(source: MapDataset<unknown> | number, who: string): number {
  const n = typeof source === 'number' ? source : datasetLength(source);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${who}: expected a non-negative integer size, got ${n}`);
  return n;
}

/** torch.utils.data.SequentialSampler: 0, 1, ..., n-1. */
export class SequentialSampler extends Sampler {
  readonly n: number;
  constructor(dataSource: MapDataset<unknown> | number) {
    super();
    this.n = sizeOf(dataSource, 'SequentialSampler');
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
  len(): number {
    return this.n;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false). */
  replacement?: boolean;
  /** Indices per epoch (default: the dataset length). Without replacement, more than n repeats whole permutations. */
  numSamples?: number;
  generator?: Generator;
}

/**
 * torch.utils.data.RandomSampler: a random permutation of 0..n-1 each epoch, or with `replacement`
 * `numSamples` uniform draws.
 */
export class RandomSampler extends Sampler {
  readonly n: number;
  readonly replacement: boolean;
  readonly numSamples: number;
  generator?: Generator;
  constructor(dataSource: MapDataset<unknown> | number, opts: RandomSamplerOptions = {}) {
    super();
    this.n = sizeOf(dataSource, 'RandomSampler');
    this.replacement = opts.replacement ?? false;
    this.numSamples = opts.numSamples ?? this.n;
    this.generator = opts.generator;
    if (!Number.isInteger(this.numSamples) || this.numSamples <= 0) {
      throw new RangeError(`RandomSampler: numSamples should be a positive integer value, but got numSamples=${opts.numSamples}`);
    }
    if (this.n === 0 && opts.numSamples !== undefined) throw new RangeError('RandomSampler: cannot draw samples from an empty dataset');
  }
  *[Symbol.iterator](): Iterator<number> {
    if (this.n === 0) return;
    if (this.replacement) {
      // Draw in chunks of 32 as PyTorch does, so a partial epoch takes few counters.
      for (let left = this.numSamples; left > 0; left -= 32) yield* randomInts(Math.min(32, left), this.n, this.generator);
      return;
    }
    for (let k = 0; k < Math.floor(this.numSamples / this.n); k++) yield* randperm(this.n, this.generator);
    const rest = this.numSamples % this.n;
    if (rest) yield* randperm(this.n, this.generator).slice(0, rest);
  }
  len(): number {
    return this.numSamples;
  }
}

/** torch.utils.data.SubsetRandomSampler: the given indices in a random order each epoch. */
export class SubsetRandomSampler extends Sampler {
  readonly indices: readonly number[];
  generator?: Generator;
  constructor(indices: Iterable<number>, opts: { generator?: Generator } = {}) {
    super();
    this.indices = [...indices];
    this.generator = opts.generator;
  }
  *[Symbol.iterator](): Iterator<number> {
    for (const j of randperm(this.indices.length, this.generator)) yield this.indices[j]!;
  }
  len(): number {
    return this.indices.length;
  }
}

function toNumbers(weights: ArrayLike<number> | Tensor, who: string): number[] {
  let w: number[];
  if (weights instanceof Tensor) {
    if (weights.ndim !== 1) throw new RangeError(`${who}: weights should be a 1-D tensor, got ${weights.ndim} dims`);
    w = Array.from(weights.dataSync() as ArrayLike<number>, Number);
  } else w = Array.from(weights, Number);
  w.forEach((x, i) => {
    if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`${who}: weights must be finite and non-negative, got ${x} at index ${i}`);
  });
  if (!w.some((x) => x > 0)) throw new RangeError(`${who}: weights must contain a positive value (sum of probabilities <= 0)`);
  return w;
}

/**
 * torch.utils.data.WeightedRandomSampler: `numSamples` indices drawn with probability proportional
 * to `weights` (which need not sum to 1), with replacement by default; without replacement an
 * index is drawn at most once (torch.multinomial's semantics, numSamples <= number of positive weights).
 */
export class WeightedRandomSampler extends Sampler {
  readonly weights: readonly number[];
  readonly numSamples: number;
  readonly replacement: boolean;
  generator?: Generator;
  private readonly cdf: Float64Array;
  constructor(weights: ArrayLike<number> | Tensor, numSamples: number, opts: { replacement?: boolean; generator?: Generator } = {}) {
    super();
    this.weights = toNumbers(weights, 'WeightedRandomSampler');
    if (!Number.isInteger(numSamples) || numSamples <= 0) {
      throw new RangeError(`WeightedRandomSampler: numSamples should be a positive integer value, but got numSamples=${numSamples}`);
    }
    this.numSamples = numSamples;
    this.replacement = opts.replacement ?? true;
    this.generator = opts.generator;
    const positive = this.weights.filter((x) => x > 0).length;
    if (!this.replacement && numSamples > positive) {
      throw new RangeError(`WeightedRandomSampler: cannot draw ${numSamples} samples without replacement from ${positive} categories with positive weight`);
    }
    this.cdf = new Float64Array(this.weights.length);
    let acc = 0;
    this.weights.forEach((x, i) => (this.cdf[i] = acc += x));
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.weights.length;
    if (this.replacement) {
      const total = this.cdf[n - 1]!;
      for (const u of uniforms(this.numSamples, this.generator)) {
        // First index whose cumulative weight exceeds u * total (zero-weight indices are never chosen).
        const target = u * total;
        let lo = 0, hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.cdf[mid]! > target) hi = mid;
          else lo = mid + 1;
        }
        yield lo;
      }
      return;
    }
    // Efraimidis-Spirakis: keys u^(1/w); the largest numSamples keys are a weighted draw without
    // replacement, in the order successive draws would pick them.
    const u = uniforms(n, this.generator);
    const keys = this.weights.map((w, i) => (w > 0 ? Math.log(u[i]! || Number.MIN_VALUE) / w : -Infinity));
    const order = keys.map((_, i) => i).sort((a, b) => keys[b]! - keys[a]! || a - b);
    yield* order.slice(0, this.numSamples);
  }
  len(): number {
    return this.numSamples;
  }
}

/** torch.utils.data.BatchSampler: groups another sampler's indices into batches of `batchSize`. */
export class BatchSampler extends Sampler<number[]> {
  constructor(readonly sampler: Iterable<number> & { len?(): number; readonly length?: number }, readonly batchSize: number, readonly dropLast = false) {
    super();
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new RangeError(`BatchSampler: batchSize should be a positive integer value, but got batchSize=${batchSize}`);
    }
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
  len(): number {
    const n = samplerLength(this.sampler, 'BatchSampler');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

/** Length of a sampler or any iterable that knows its length (arrays, Samplers). */
export function samplerLength(s: Iterable<unknown> & { len?(): number; readonly length?: number }, who: string): number {
  if (typeof s.len === 'function') return s.len();
  if (typeof s.length === 'number') return s.length;
  throw new TypeError(`${who}: the sampler has no length (give it a len() method or use an array)`);
}
