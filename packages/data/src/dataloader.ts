/**
 * DataLoader (torch.utils.data.DataLoader): batches of a dataset, in sampler order, collated.
 *
 * - Synchronous datasets: `for (const batch of loader)`.
 * - Async datasets (get() returns Promises) and IterableDatasets: `for await (const batch of loader)`.
 *   Up to `prefetch` batches (default 2) load while the loop body works on the current one, and the
 *   samples of a batch load concurrently; batches still arrive in sampler order.
 *
 * Memory: every batch is made of fresh tensors that the training loop owns: dispose them (or build
 * them inside tidy(), or call `disposeTensors(batch)`) when done. The per-sample tensors from
 * `dataset.get()` are disposed by the loader once collated (except any the collate function returns
 * as part of the batch); pass `disposeSamples: false` for a dataset whose get() returns tensors it
 * keeps using itself. Batches a `for await` loop prefetched but never received (after a break or an
 * error) are disposed by the loader.
 */
import type { Generator as RandomGenerator, Tensor } from '@tensile/core';
import { defaultCollate, disposeTensors, forEachTensor, type Collated } from './collate.js';
import { datasetGet, isMapDataset, IterableDataset, type MapDataset } from './dataset.js';
import { BatchSampler, RandomSampler, samplerLength, SequentialSampler } from './sampler.js';

/** An iterable of indices (a Sampler, an array...); a length (len() or .length) is needed for DataLoader.length. */
export type IndexSampler = Iterable<number> & { len?(): number; readonly length?: number };
/** An iterable of index batches (a BatchSampler, an array of arrays...). */
export type IndexBatchSampler = Iterable<number[]> & { len?(): number; readonly length?: number };

export interface DataLoaderOptions<S, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the order every epoch (a RandomSampler seeded by `generator`). */
  shuffle?: boolean;
  /** The order of indices (exclusive with shuffle). */
  sampler?: IndexSampler;
  /** Yields the index batches directly (exclusive with batchSize, shuffle, sampler, dropLast). */
  batchSampler?: IndexBatchSampler;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Builds a batch from a list of samples (default: defaultCollate). */
  collateFn?: (samples: S[]) => B;
  /** Generator for shuffling (default: core's defaultGenerator, so manualSeed works). */
  generator?: RandomGenerator;
  /** Batches loaded ahead while the current one is used, in `for await` (default 2; 0 = none). */
  prefetch?: number;
  /** Dispose the per-sample tensors after collating them (default true). */
  disposeSamples?: boolean;
}

const DONE = Symbol('done');
type Done = typeof DONE;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * torch.utils.data.DataLoader over a map-style dataset (a Dataset or an array) or an IterableDataset.
 * T is the dataset's item type (a Promise for async datasets), B the batch type.
 */
export class DataLoader<T, B = Collated<Awaited<T>>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: MapDataset<T> | IterableDataset<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly sampler: IndexSampler | null;
  readonly batchSampler: IndexBatchSampler | null;
  readonly collateFn: (samples: Awaited<T>[]) => B;
  readonly prefetch: number;
  readonly disposeSamples: boolean;
  readonly generator?: RandomGenerator;

  constructor(dataset: MapDataset<T> | IterableDataset<T>, opts: DataLoaderOptions<Awaited<T>, B> = {}) {
    this.dataset = dataset;
    this.prefetch = opts.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) throw new RangeError(`DataLoader: prefetch should be a non-negative integer, got ${opts.prefetch}`);
    this.disposeSamples = opts.disposeSamples ?? true;
    this.generator = opts.generator;
    this.collateFn = opts.collateFn ?? ((s: Awaited<T>[]) => defaultCollate(s) as B);
    if (opts.batchSize !== undefined && (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0)) {
      throw new RangeError(`DataLoader: batchSize should be a positive integer value, but got batchSize=${opts.batchSize}`);
    }
    if (dataset instanceof IterableDataset) {
      if (opts.shuffle) throw new TypeError('DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true');
      if (opts.sampler) throw new TypeError('DataLoader with IterableDataset: expected unspecified sampler option');
      if (opts.batchSampler) throw new TypeError('DataLoader with IterableDataset: expected unspecified batchSampler option');
      this.sampler = null;
      this.batchSampler = null;
      this.batchSize = opts.batchSize ?? 1;
      this.dropLast = opts.dropLast ?? false;
      return;
    }
    if (!isMapDataset(dataset)) throw new TypeError('DataLoader: dataset must be a Dataset, an array or an IterableDataset');
    if (opts.batchSampler) {
      if ((opts.batchSize !== undefined && opts.batchSize !== 1) || opts.shuffle || opts.sampler || opts.dropLast) {
        throw new TypeError('DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast');
      }
      this.batchSize = null;
      this.dropLast = false;
      this.sampler = null;
      this.batchSampler = opts.batchSampler;
      return;
    }
    if (opts.sampler && opts.shuffle) throw new TypeError('DataLoader: sampler option is mutually exclusive with shuffle');
    this.batchSize = opts.batchSize ?? 1;
    this.dropLast = opts.dropLast ?? false;
    this.sampler = opts.sampler ?? (opts.shuffle ? new RandomSampler(dataset, { generator: opts.generator }) : new SequentialSampler(dataset));
    this.batchSampler = new BatchSampler(this.sampler, this.batchSize, this.dropLast);
  }

  /** Number of batches per epoch (len(loader)). */
  len(): number {
    if (this.dataset instanceof IterableDataset) {
      if (typeof this.dataset.len !== 'function') throw new TypeError('DataLoader: the length of an IterableDataset without len() is unknown');
      const n = this.dataset.len();
      return this.dropLast ? Math.floor(n / this.batchSize!) : Math.ceil(n / this.batchSize!);
    }
    return samplerLength(this.batchSampler!, 'DataLoader');
  }
  get length(): number {
    return this.len();
  }

  /** Collate samples and release the per-sample tensors the batch does not reuse. */
  private collate(samples: Awaited<T>[]): B {
    let batch: B;
    try {
      batch = this.collateFn(samples);
    } catch (e) {
      if (this.disposeSamples) disposeTensors(samples);
      throw e;
    }
    if (this.disposeSamples) {
      const inBatch = new Set<Tensor>();
      forEachTensor(batch, (t) => inBatch.add(t));
      disposeTensors(samples, inBatch);
    }
    return batch;
  }

  /** Synchronous iteration (datasets whose get() returns values, or IterableDatasets with [Symbol.iterator]). */
  *[Symbol.iterator](): Iterator<B> {
    const ds = this.dataset;
    if (ds instanceof IterableDataset) {
      if (typeof ds[Symbol.iterator] !== 'function') {
        throw new TypeError('DataLoader: this IterableDataset is asynchronous only; iterate with `for await (const batch of loader)`');
      }
      yield* this.batchesOf(ds[Symbol.iterator]!() as Iterator<Awaited<T>>);
      return;
    }
    for (const idx of this.batchSampler!) {
      const samples: Awaited<T>[] = [];
      for (const i of idx) {
        const s = datasetGet(ds as MapDataset<T>, i);
        if (isThenable(s)) {
          if (this.disposeSamples) disposeTensors(samples);
          s.then(undefined, () => {});
          throw new TypeError('DataLoader: dataset.get() returned a Promise; iterate with `for await (const batch of loader)`');
        }
        samples.push(s as Awaited<T>);
      }
      yield this.collate(samples);
    }
  }

  private *batchesOf(it: Iterator<Awaited<T>>): Generator<B> {
    const bs = this.batchSize!;
    for (;;) {
      const samples: Awaited<T>[] = [];
      let r: IteratorResult<Awaited<T>> | undefined;
      while (samples.length < bs && !(r = it.next()).done) samples.push(r.value);
      if (samples.length === 0) return;
      if (samples.length < bs && this.dropLast) {
        if (this.disposeSamples) disposeTensors(samples);
        return;
      }
      yield this.collate(samples);
      if (samples.length < bs) return;
    }
  }

  /** Asynchronous iteration with prefetch: loading of the next batches overlaps the loop body. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const ds = this.dataset;
    let start: () => Promise<B | Done> | undefined;
    let cleanup = async () => {};
    if (ds instanceof IterableDataset) {
      const source = ds[Symbol.asyncIterator]() as AsyncIterator<Awaited<T>>;
      const bs = this.batchSize!;
      let exhausted = false;
      let chain: Promise<unknown> = Promise.resolve();
      // Pulls from the source are chained (an async iterator is consumed one next() at a time).
      start = () => {
        if (exhausted) return undefined;
        const p = chain.then(async (): Promise<B | Done> => {
          if (exhausted) return DONE;
          const samples: Awaited<T>[] = [];
          try {
            while (samples.length < bs) {
              const r = await source.next();
              if (r.done) {
                exhausted = true;
                break;
              }
              samples.push(r.value);
            }
          } catch (e) {
            exhausted = true;
            if (this.disposeSamples) disposeTensors(samples);
            throw e;
          }
          if (samples.length === 0 || (samples.length < bs && this.dropLast)) {
            if (this.disposeSamples) disposeTensors(samples);
            return DONE;
          }
          return this.collate(samples);
        });
        chain = p.catch(() => {});
        return p;
      };
      cleanup = async () => {
        await chain;
        if (!exhausted) await source.return?.();
      };
    } else {
      const batches = this.batchSampler![Symbol.iterator]();
      start = () => {
        const r = batches.next();
        return r.done ? undefined : this.loadBatch(r.value);
      };
    }

    const queue: Promise<B | Done>[] = [];
    let more = true;
    const fill = (n: number) => {
      while (more && queue.length < n) {
        const p = start();
        if (!p) {
          more = false;
          break;
        }
        p.catch(() => {}); // awaited later; no unhandled rejection if the loop stops first
        queue.push(p);
      }
    };
    try {
      for (;;) {
        fill(Math.max(1, this.prefetch));
        const next = queue.shift();
        if (!next) return;
        const batch = await next;
        if (batch === DONE) return;
        fill(this.prefetch); // start the following loads before handing this batch over
        yield batch;
      }
    } finally {
      for (const p of queue.splice(0)) p.then((b) => b !== DONE && disposeTensors(b), () => {});
      await cleanup();
    }
  }

  /** Load the samples of one batch concurrently, then collate. */
  private async loadBatch(indices: readonly number[]): Promise<B> {
    const ds = this.dataset as MapDataset<T>;
    const settled = await Promise.allSettled(indices.map((i) => new Promise<Awaited<T>>((resolve) => resolve(datasetGet(ds, i) as Awaited<T>))));
    const failed = settled.find((s) => s.status === 'rejected');
    const samples = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (failed) {
      if (this.disposeSamples) disposeTensors(samples);
      throw (failed as PromiseRejectedResult).reason;
    }
    return this.collate(samples);
  }
}
