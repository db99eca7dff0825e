/**
 * Datasets (torch.utils.data): map-style `Dataset` (indexable, with a length), `IterableDataset`
 * (a stream), and the wrappers `TensorDataset`, `Subset`, `ConcatDataset`, plus `randomSplit` and
 * k-fold cross-validation splits.
 *
 * Ownership: an item returned by `get(i)` belongs to the caller. Tensors in it are either fresh or
 * fresh views (new Tensor objects sharing the dataset's storage), so disposing them never frees the
 * dataset's data. The DataLoader disposes the per-sample tensors once they are collated.
 */
import { fmtShape, type Generator, type Tensor } from '@tensile/core';
import { randperm } from './random.js';

/** Bounds-check `index` (negative counts from the end, as Python) and return it in [0, n). */
export function normIndex(index: number, n: number, who: string): number {
  if (!Number.isInteger(index)) throw new TypeError(`${who}: index must be an integer, got ${index}`);
  if (index < -n || index >= n) throw new RangeError(`${who}: index ${index} is out of range for a dataset of length ${n}`);
  return index < 0 ? index + n : index;
}

/**
 * torch.utils.data.Dataset: a map from indices 0..len()-1 to items. Subclasses implement `len()`
 * and `get(i)`; `get` may return a Promise (an async dataset: iterate its DataLoader with
 * `for await`, which prefetches so loading overlaps compute).
 */
export abstract class Dataset<T> {
  /** The item at `index` (owned by the caller). */
  abstract get(index: number): T;
  /** Number of items (Python's `__len__`). */
  abstract len(): number;
  /** Number of items. */
  get length(): number {
    return this.len();
  }
}

/** Something with a length and indexable items: a Dataset or a plain array (as a Python list). */
export type MapDataset<T> = Dataset<T> | readonly T[];

/** True for a map-style dataset (a Dataset or an array). */
export function isMapDataset(x: unknown): x is MapDataset<unknown> {
  return x instanceof Dataset || Array.isArray(x);
}

/** Length of a map-style dataset. */
export function datasetLength(ds: MapDataset<unknown>): number {
  return Array.isArray(ds) ? ds.length : (ds as Dataset<unknown>).len();
}

/** Item `i` of a map-style dataset. */
export function datasetGet<T>(ds: MapDataset<T>, i: number): T {
  if (Array.isArray(ds)) return ds[normIndex(i, ds.length, 'Dataset.get')] as T;
  return (ds as Dataset<T>).get(i);
}

/**
 * torch.utils.data.IterableDataset: a stream of items (for data that does not fit in memory or has
 * no random access). Subclasses implement `[Symbol.asyncIterator]()` (called once per epoch) and
 * may also implement `[Symbol.iterator]()` for synchronous iteration.
 */
export abstract class IterableDataset<T> implements AsyncIterable<T> {
  abstract [Symbol.asyncIterator](): AsyncIterator<T>;

  /** Synchronous iteration, for datasets that can provide it (DataLoader's `for of`). */
  [Symbol.iterator]?(): Iterator<T>;

  /** Length when known (DataLoader.length needs it); undefined by default. */
  len?(): number;

  /**
   * An IterableDataset over an iterable, an async iterable, or a function returning one (called
   * once per epoch, so a generator function gives a re-iterable dataset).
   */
  static from<T>(source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>)): IterableDataset<T> {
    return new FromIterable(source);
  }
}

class FromIterable<T> extends IterableDataset<T> {
  constructor(private readonly source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>)) {
    super();
  }
  private open(): Iterable<T> | AsyncIterable<T> {
    return typeof this.source === 'function' ? this.source() : this.source;
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const src = this.open();
    if (Symbol.asyncIterator in src) return (src as AsyncIterable<T>)[Symbol.asyncIterator]();
    const it = (src as Iterable<T>)[Symbol.iterator]();
    return {
      next: async () => it.next(),
      return: async (v?: unknown) => (it.return ? it.return(v) : { done: true, value: v as T }),
    };
  }
  [Symbol.iterator](): Iterator<T> {
    const src = this.open();
    if (!(Symbol.iterator in src)) throw new TypeError('IterableDataset: this dataset streams asynchronously; iterate its DataLoader with `for await`');
    return (src as Iterable<T>)[Symbol.iterator]();
  }
}
/** The tuple of per-row views a TensorDataset yields. */
export type TensorRows<Ts extends readonly Tensor[]> = { -readonly [K in keyof Ts]: Tensor };

/**
 * torch.utils.data.TensorDataset: item i is the tuple of row views `t.select(0, i)` of each tensor
 * (all tensors must have the same size in dim 0). Views share the tensors' storage; the tensors
 * themselves stay owned by the caller (do not dispose them while the dataset is in use).
 */
export class TensorDataset<Ts extends readonly Tensor[] = Tensor[]> extends Dataset<TensorRows<Ts>> {
  readonly tensors: Ts;
  constructor(...tensors: Ts) {
    super();
    if (tensors.length === 0) throw new TypeError('TensorDataset: expected at least one tensor');
    const n = tensors[0]!.ndim > 0 ? tensors[0]!.shape[0]! : -1;
    tensors.forEach((t, k) => {
      if (t.ndim === 0 || t.shape[0] !== n) {
        throw new RangeError(`TensorDataset: size mismatch between tensors: tensor 0 has shape ${fmtShape(tensors[0]!.shape)} and tensor ${k} has shape ${fmtShape(t.shape)} (every tensor needs the same size in dim 0)`);
      }
    });
    this.tensors = tensors;
  }
  len(): number {
    return this.tensors[0]!.shape[0]!;
  }
  get(index: number): TensorRows<Ts> {
    const i = normIndex(index, this.len(), 'TensorDataset.get');
    return this.tensors.map((t) => t.select(0, i)) as TensorRows<Ts>;
  }
}

/** torch.utils.data.Subset: the items of `dataset` at `indices`, in that order. */
export class Subset<T> extends Dataset<T> {
  readonly indices: readonly number[];
  constructor(readonly dataset: MapDataset<T>, indices: Iterable<number>) {
    super();
    const n = datasetLength(dataset);
    this.indices = Array.from(indices, (i) => normIndex(i, n, 'Subset'));
  }
  len(): number {
    return this.indices.length;
  }
  get(index: number): T {
    return datasetGet(this.dataset, this.indices[normIndex(index, this.indices.length, 'Subset.get')]!);
  }
}

/** torch.utils.data.ConcatDataset: the datasets one after the other. */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly MapDataset<T>[];
  /** Running totals of the lengths (PyTorch's cumulative_sizes). */
  readonly cumulativeSizes: readonly number[];
  constructor(datasets: Iterable<MapDataset<T>>) {
    super();
    this.datasets = [...datasets];
    if (this.datasets.length === 0) throw new TypeError('ConcatDataset: datasets should not be an empty iterable');
    let total = 0;
    this.cumulativeSizes = this.datasets.map((d, k) => {
      if (!isMapDataset(d)) throw new TypeError(`ConcatDataset: dataset ${k} is not a map-style dataset (IterableDatasets cannot be indexed)`);
      return (total += datasetLength(d));
    });
  }
  len(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }
  get(index: number): T {
    const i = normIndex(index, this.len(), 'ConcatDataset.get');
    // Binary search for the first cumulative size > i.
    let lo = 0, hi = this.cumulativeSizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid]! > i) hi = mid;
      else lo = mid + 1;
    }
    const start = lo === 0 ? 0 : this.cumulativeSizes[lo - 1]!;
    return datasetGet(this.datasets[lo]!, i - start);
  }
}

/**
 * torch.utils.data.random_split: split a dataset into non-overlapping random Subsets of the given
 * lengths. `lengths` are counts summing to the dataset length, or fractions summing to 1 (floored,
 * then the remainder handed out one at a time round-robin, as PyTorch).
 */
export function randomSplit<T>(dataset: MapDataset<T>, lengths: readonly number[], opts: { generator?: Generator } = {}): Subset<T>[] {
  const n = datasetLength(dataset);
  let counts = [...lengths];
  const sum = counts.reduce((a, b) => a + b, 0);
  if (counts.some((x) => !(x >= 0) || !Number.isFinite(x))) throw new RangeError(`randomSplit: lengths must be non-negative finite numbers, got [${lengths.join(', ')}]`);
  if (Math.abs(sum - 1) < 1e-9 && sum <= n && counts.some((x) => !Number.isInteger(x))) {
    counts = counts.map((f) => Math.floor(n * f));
    const remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) counts[i % counts.length]! += 1;
  }
  if (counts.some((x) => !Number.isInteger(x))) throw new RangeError(`randomSplit: lengths must be integer counts or fractions summing to 1, got [${lengths.join(', ')}]`);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== n) throw new RangeError(`randomSplit: sum of input lengths (${total}) does not equal the length of the input dataset (${n})`);
  const perm = randperm(n, opts.generator);
  let off = 0;
  return counts.map((c) => {
    const s = new Subset(dataset, perm.slice(off, off + c));
    off += c;
    return s;
  });
}

/** One fold of a cross-validation split: indices to train on and indices to validate on. */
export interface Fold {
  train: number[];
  val: number[];
}

/**
 * K-fold cross-validation splits (as sklearn.model_selection.KFold): fold f validates on the f-th
 * of k consecutive blocks (the first n % k blocks have one extra item) of 0..n-1, or of a random
 * permutation when `shuffle` (seeded by `generator`), and trains on the rest. Every index is in
 * exactly one validation set; both index arrays are sorted ascending.
 */
export function kFold(n: number | MapDataset<unknown>, k: number, opts: { shuffle?: boolean; generator?: Generator } = {}): Fold[] {
  const size = typeof n === 'number' ? n : datasetLength(n);
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`kFold: k must be an integer >= 2, got ${k}`);
  if (!Number.isInteger(size) || size < k) throw new RangeError(`kFold: cannot have k=${k} folds with only ${size} samples`);
  const order = opts.shuffle ? randperm(size, opts.generator) : Array.from({ length: size }, (_, i) => i);
  const base = Math.floor(size / k), extra = size % k;
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const len = base + (f < extra ? 1 : 0);
    const inVal = new Uint8Array(size);
    for (let j = start; j < start + len; j++) inVal[order[j]!] = 1;
    const train: number[] = [], val: number[] = [];
    for (let i = 0; i < size; i++) (inVal[i] ? val : train).push(i);
    folds.push({ train, val });
    start += len;
  }
  return folds;
}
