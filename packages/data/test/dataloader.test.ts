import { describe, expect, it } from 'vitest';
import { arange, Generator, memory, stack, tensor, Tensor, tidy } from '@tensile/core';
import { BatchSampler, DataLoader, Dataset, defaultCollate, disposeTensors, IterableDataset, SequentialSampler, TensorDataset } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wait until cond() holds (polling), at most `ms`. */
async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(2);
}

function xy(n: number) {
  const x = arange(n * 2, undefined, 1, { dtype: 'float32' }).reshape(n, 2);
  const y = arange(n, undefined, 1, { dtype: 'int64' });
  return { x, y, ds: new TensorDataset(x, y) };
}

describe('defaultCollate', () => {
  it('stacks tensors and converts numbers, booleans, typed arrays', () => {
    const a = tensor([1, 2]), b = tensor([3, 4]);
    const s = defaultCollate([a, b]);
    expect(s.shape).toEqual([2, 2]);
    expect(s.tolistSync()).toEqual([[1, 2], [3, 4]]);
    const ints = defaultCollate([1, 2, 3]);
    expect(ints.dtype).toBe('int64');
    expect(ints.tolistSync()).toEqual([1, 2, 3]);
    const floats = defaultCollate([0.5, 2]);
    expect(floats.dtype).toBe('float32');
    expect(floats.tolistSync()).toEqual([0.5, 2]);
    const bools = defaultCollate([true, false]);
    expect(bools.dtype).toBe('bool');
    expect(bools.tolistSync()).toEqual([true, false]);
    const ta = defaultCollate([new Float64Array([1, 2, 3]), new Float64Array([4, 5, 6])]);
    expect(ta.dtype).toBe('float64');
    expect(ta.tolistSync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    [a, b, s, ints, floats, bools, ta].forEach((t) => t.dispose());
  });
  it('recurses into tuples and objects, keeps strings', () => {
    const batch = defaultCollate([
      { x: [1, 'a'] as [number, string], meta: { w: 0.5 } },
      { x: [2, 'b'] as [number, string], meta: { w: 1.5 } },
    ]);
    expect(batch.x[0].tolistSync()).toEqual([1, 2]);
    expect(batch.x[1]).toEqual(['a', 'b']);
    expect(batch.meta.w.tolistSync()).toEqual([0.5, 1.5]);
    disposeTensors(batch);
  });
  it('reports mismatched samples', () => {
    expect(() => defaultCollate([1, 'a'] as unknown[])).toThrow(/sample 0 is number but sample 1 is string/);
    expect(() => defaultCollate([[1, 2], [1]])).toThrow(/equal size.*sample 1 has 1/);
    expect(() => defaultCollate([{ a: 1 }, { b: 2 }] as { a?: number; b?: number }[])).toThrow(/sample 1 has no key 'a'/);
    expect(() => defaultCollate([])).toThrow(/empty batch/);
    const a = tensor([1, 2]), b = tensor([1, 2, 3]);
    expect(() => defaultCollate([a, b])).toThrow(/stack/);
    a.dispose();
    b.dispose();
  });
});

describe('DataLoader (sync)', () => {
  it('batches a TensorDataset in order', () => {
    const { x, y, ds } = xy(5);
    const dl = new DataLoader(ds, { batchSize: 2 });
    expect(dl.length).toBe(3);
    const got: [number[][], number[]][] = [];
    for (const [bx, by] of dl) {
      got.push([bx.tolistSync() as number[][], by.tolistSync() as number[]]);
      expect(bx.dtype).toBe('float32');
      expect(by.dtype).toBe('int64');
      bx.dispose();
      by.dispose();
    }
    expect(got).toEqual([
      [[[0, 1], [2, 3]], [0, 1]],
      [[[4, 5], [6, 7]], [2, 3]],
      [[[8, 9]], [4]],
    ]);
    x.dispose();
    y.dispose();
  });
  it('dropLast', () => {
    const { x, y, ds } = xy(5);
    const dl = new DataLoader(ds, { batchSize: 2, dropLast: true });
    expect(dl.length).toBe(2);
    const sizes: number[] = [];
    for (const b of dl) {
      sizes.push(b[0].shape[0]!);
      disposeTensors(b);
    }
    expect(sizes).toEqual([2, 2]);
    x.dispose();
    y.dispose();
  });
  it('batches are fresh tensors, per-sample views are released: memory stays flat', () => {
    const { x, y, ds } = xy(10);
    const dl = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(0) });
    const before = memory();
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const batch of dl) {
        tidy(() => batch[0].sum().add(batch[1].sum())).dispose();
        disposeTensors(batch);
      }
    }
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    // The dataset's tensors survive.
    expect(y.tolistSync()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    x.dispose();
    y.dispose();
  });
  it('shuffle is reproducible with a seeded generator and differs per epoch', () => {
    const data = Array.from({ length: 20 }, (_, i) => i);
    const order = (dl: DataLoader<number>) => {
      const out: number[] = [];
      for (const b of dl) {
        out.push(...(b.tolistSync() as number[]));
        b.dispose();
      }
      return out;
    };
    const dl1 = new DataLoader(data, { batchSize: 4, shuffle: true, generator: new Generator(11) });
    const dl2 = new DataLoader(data, { batchSize: 4, shuffle: true, generator: new Generator(11) });
    const e1 = order(dl1), e2 = order(dl1);
    expect([...e1].sort((a, b) => a - b)).toEqual(data);
    expect(e1).not.toEqual(data);
    expect(e2).not.toEqual(e1);
    expect(order(dl2)).toEqual(e1);
    expect(order(dl2)).toEqual(e2);
    expect(order(new DataLoader(data, { batchSize: 4, shuffle: true, generator: new Generator(12) }))).not.toEqual(e1);
  });
  it('custom collateFn', () => {
    const data = [{ v: 1 }, { v: 2 }, { v: 3 }];
    const dl = new DataLoader(data, { batchSize: 2, collateFn: (s) => s.map((d) => d.v * 10) });
    expect([...dl]).toEqual([[10, 20], [30]]);
    // A collate that returns the sample tensors themselves keeps them alive.
    const { x, y, ds } = xy(4);
    const keepRows = new DataLoader(ds, { batchSize: 2, collateFn: (s) => s.map(([xi]) => xi) });
    for (const rows of keepRows) {
      expect(rows.map((r) => r.isDisposed)).toEqual([false, false]);
      const st = stack(rows);
      expect(st.shape).toEqual([2, 2]);
      st.dispose();
      rows.forEach((r) => r.dispose());
    }
    x.dispose();
    y.dispose();
  });
  it('sampler and batchSampler options, and their exclusions', () => {
    const data = [10, 11, 12, 13, 14];
    const viaSampler = new DataLoader(data, { sampler: [4, 0, 2], batchSize: 2 });
    expect([...viaSampler].map((b) => b.tolistSync())).toEqual([[14, 10], [12]]);
    expect(viaSampler.length).toBe(2);
    const viaBatch = new DataLoader(data, { batchSampler: [[3, 1], [0], [2, 4]] });
    expect([...viaBatch].map((b) => b.tolistSync())).toEqual([[13, 11], [10], [12, 14]]);
    expect(viaBatch.length).toBe(3);
    const bs = new DataLoader(data, { batchSampler: new BatchSampler(new SequentialSampler(data), 2, true) });
    expect([...bs].map((b) => b.tolistSync())).toEqual([[10, 11], [12, 13]]);
    expect(() => new DataLoader(data, { batchSampler: [[0]], batchSize: 2 })).toThrow(/mutually exclusive/);
    expect(() => new DataLoader(data, { batchSampler: [[0]], shuffle: true })).toThrow(/mutually exclusive/);
    expect(() => new DataLoader(data, { sampler: [0], shuffle: true })).toThrow(/sampler option is mutually exclusive with shuffle/);
    expect(() => new DataLoader(data, { batchSize: 0 })).toThrow(/batchSize should be a positive integer/);
  });
  it('refuses sync iteration of an async dataset', () => {
    class Slow extends Dataset<Promise<number>> {
      len() {
        return 3;
      }
      async get(i: number) {
        return i;
      }
    }
    const dl = new DataLoader(new Slow(), { batchSize: 2 });
    expect(() => [...dl]).toThrow(/returned a Promise; iterate with `for await/);
  });
});

class AsyncRange extends Dataset<Promise<{ x: Tensor; i: number }>> {
  inFlight = 0;
  maxInFlight = 0;
  started = 0;
  constructor(readonly n: number, readonly delay = 5, readonly failAt = -1) {
    super();
  }
  len() {
    return this.n;
  }
  async get(i: number) {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Later items finish first, so ordering is really tested.
    await sleep(this.delay * (1 + ((this.n - i) % 3)));
    this.inFlight--;
    if (i === this.failAt) throw new Error(`item ${i} failed`);
    return { x: tensor([i, -i]), i };
  }
}

describe('DataLoader (async)', () => {
  it('prefetches: loading overlaps the loop body, results stay ordered', async () => {
    const ds = new AsyncRange(12);
    const dl = new DataLoader(ds, { batchSize: 2, prefetch: 2 });
    const before = memory().numTensors;
    const order: number[] = [];
    let k = 0;
    for await (const batch of dl) {
      // When batch k arrives, batches k+1 and k+2 are already loading (or loaded).
      expect(ds.started).toBe(Math.min(12, (k + 1 + 2) * 2));
      order.push(...(batch.i.tolistSync() as number[]));
      expect(batch.x.tolistSync()).toEqual([[2 * k, -2 * k], [2 * k + 1, -(2 * k + 1)]]);
      await sleep(10); // "compute"
      disposeTensors(batch);
      k++;
    }
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(ds.maxInFlight).toBeGreaterThan(2);
    expect(memory().numTensors).toBe(before);
  });
  it('prefetch 0 loads one batch at a time', async () => {
    const ds = new AsyncRange(6, 1);
    const dl = new DataLoader(ds, { batchSize: 3, prefetch: 0 });
    let k = 0;
    for await (const batch of dl) {
      expect(ds.started).toBe((k + 1) * 3);
      expect(ds.inFlight).toBe(0);
      disposeTensors(batch);
      k++;
    }
    expect(k).toBe(2);
    expect(ds.maxInFlight).toBe(3); // samples of one batch load concurrently
  });
  it('a break disposes the prefetched batches', async () => {
    const ds = new AsyncRange(20, 1);
    const before = memory().numTensors;
    for await (const batch of new DataLoader(ds, { batchSize: 2, prefetch: 3 })) {
      disposeTensors(batch);
      break;
    }
    await until(() => memory().numTensors === before); // the in-flight loads settle, then are freed
    expect(memory().numTensors).toBe(before);
  });
  it('an error in get() rejects the loop at its batch, in order', async () => {
    const ds = new AsyncRange(8, 1, 5);
    const seen: number[] = [];
    const before = memory().numTensors;
    await expect(
      (async () => {
        for await (const batch of new DataLoader(ds, { batchSize: 2 })) {
          seen.push(...(batch.i.tolistSync() as number[]));
          disposeTensors(batch);
        }
      })(),
    ).rejects.toThrow(/item 5 failed/);
    expect(seen).toEqual([0, 1, 2, 3]);
    await until(() => memory().numTensors === before);
    expect(memory().numTensors).toBe(before);
  });
  it('works for synchronous datasets too', async () => {
    const { x, y, ds } = xy(3);
    const got: number[] = [];
    for await (const [, by] of new DataLoader(ds, { batchSize: 2 })) {
      got.push(...(by.tolistSync() as number[]));
      by.dispose();
    }
    expect(got).toEqual([0, 1, 2]);
    x.dispose();
    y.dispose();
  });
});

describe('DataLoader over IterableDataset', () => {
  it('sync and async batching, dropLast, length', async () => {
    const ds = IterableDataset.from(() => [1, 2, 3, 4, 5]);
    expect([...new DataLoader(ds, { batchSize: 2 })].map((b) => b.tolistSync())).toEqual([[1, 2], [3, 4], [5]]);
    expect([...new DataLoader(ds, { batchSize: 2, dropLast: true })].map((b) => b.tolistSync())).toEqual([[1, 2], [3, 4]]);
    const got: unknown[] = [];
    for await (const b of new DataLoader(ds, { batchSize: 2, dropLast: true })) got.push(b.tolistSync());
    expect(got).toEqual([[1, 2], [3, 4]]);
    expect(() => new DataLoader(ds).length).toThrow(/length of an IterableDataset without len\(\) is unknown/);
    expect(() => new DataLoader(ds, { shuffle: true })).toThrow(/IterableDataset: expected unspecified shuffle/);
    class Sized extends IterableDataset<number> {
      async *[Symbol.asyncIterator]() {
        yield* [1, 2, 3];
      }
      len() {
        return 3;
      }
    }
    expect(new DataLoader(new Sized(), { batchSize: 2 }).length).toBe(2);
  });
  it('async streams are prefetched while the loop body runs', async () => {
    let produced = 0;
    const ds = IterableDataset.from(async function* () {
      for (let i = 0; i < 10; i++) {
        await sleep(2);
        produced++;
        yield i;
      }
    });
    const dl = new DataLoader(ds, { batchSize: 2, prefetch: 2 });
    const out: number[] = [];
    let k = 0;
    for await (const b of dl) {
      // While this batch is used, the next two are pulled from the stream, and no more.
      const expected = Math.min(10, (k + 3) * 2);
      await until(() => produced >= expected);
      await sleep(10);
      expect(produced).toBe(expected);
      out.push(...(b.tolistSync() as number[]));
      b.dispose();
      k++;
    }
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => [...dl]).toThrow(/for await/);
  });
});
