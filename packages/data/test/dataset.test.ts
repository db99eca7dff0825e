import { describe, expect, it } from 'vitest';
import { arange, Generator, manualSeed, memory, tensor } from '@tensile/core';
import { ConcatDataset, Dataset, IterableDataset, kFold, randomSplit, Subset, TensorDataset } from '../src/index.js';

class Range extends Dataset<number> {
  constructor(readonly n: number, readonly base = 0) {
    super();
  }
  len() {
    return this.n;
  }
  get(i: number) {
    if (i < 0 || i >= this.n) throw new RangeError('out of range');
    return this.base + i;
  }
}

describe('TensorDataset', () => {
  it('yields tuples of row views', () => {
    const x = arange(12, undefined, 1, { dtype: 'float32' }).reshape(4, 3);
    const y = tensor([10, 11, 12, 13], { dtype: 'int64' });
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(4);
    expect(ds.len()).toBe(4);
    const [xi, yi] = ds.get(2);
    expect(xi.shape).toEqual([3]);
    expect(xi.tolistSync()).toEqual([6, 7, 8]);
    expect(yi.shape).toEqual([]);
    expect(yi.itemSync()).toBe(12);
    // A view: shares storage with x, and disposing it leaves x intact.
    expect(xi.storage).toBe(x.storage);
    xi.dispose();
    yi.dispose();
    expect(x.tolistSync()).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]);
    const [last] = ds.get(-1);
    expect(last.tolistSync()).toEqual([9, 10, 11]);
    last.dispose();
    expect(() => ds.get(4)).toThrow(/index 4 is out of range for a dataset of length 4/);
    x.dispose();
    y.dispose();
  });
  it('checks sizes', () => {
    const a = tensor([1, 2, 3]), b = tensor([1, 2]);
    expect(() => new TensorDataset(a, b)).toThrow(/size mismatch.*\[3\].*\[2\]/);
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
    a.dispose();
    b.dispose();
  });
  it('does not leak when views are disposed', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const ds = new TensorDataset(x);
    const before = memory().numTensors;
    for (let k = 0; k < 10; k++) ds.get(k % 2)[0].dispose();
    expect(memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('Subset and ConcatDataset', () => {
  it('Subset maps indices', () => {
    const s = new Subset(new Range(10), [7, 2, 5]);
    expect(s.length).toBe(3);
    expect([0, 1, 2].map((i) => s.get(i))).toEqual([7, 2, 5]);
    expect(s.get(-1)).toBe(5);
    expect(() => s.get(3)).toThrow(/out of range/);
    expect(() => new Subset(new Range(3), [3])).toThrow(/index 3 is out of range/);
    // Arrays are map-style datasets too.
    expect(new Subset(['a', 'b', 'c'], [2, 0]).get(0)).toBe('c');
  });
  it('ConcatDataset chains', () => {
    const c = new ConcatDataset<number>([new Range(3, 0), new Range(0, 50), new Range(2, 100), [7, 8]]);
    expect(c.length).toBe(7);
    expect(c.cumulativeSizes).toEqual([3, 3, 5, 7]);
    expect(Array.from({ length: 7 }, (_, i) => c.get(i))).toEqual([0, 1, 2, 100, 101, 7, 8]);
    expect(c.get(-1)).toBe(8);
    expect(() => c.get(7)).toThrow(/out of range/);
    expect(() => new ConcatDataset([])).toThrow(/empty/);
  });
});

describe('IterableDataset.from', () => {
  it('is re-iterable from a generator function, sync and async', async () => {
    const ds = IterableDataset.from(function* () {
      yield* [1, 2, 3];
    });
    expect([...{ [Symbol.iterator]: () => ds[Symbol.iterator]!() }]).toEqual([1, 2, 3]);
    const got: number[] = [];
    for await (const v of ds) got.push(v);
    for await (const v of ds) got.push(v);
    expect(got).toEqual([1, 2, 3, 1, 2, 3]);
    const asyncOnly = IterableDataset.from(async function* () {
      yield 1;
    });
    expect(() => asyncOnly[Symbol.iterator]!()).toThrow(/for await/);
  });
});

describe('randomSplit', () => {
  it('covers every index exactly once, reproducibly', () => {
    const ds = new Range(10);
    const split = (seed: number) => randomSplit(ds, [3, 7], { generator: new Generator(seed) });
    const [a, b] = split(42);
    expect(a!.length).toBe(3);
    expect(b!.length).toBe(7);
    const all = [...a!.indices, ...b!.indices].sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(split(42).map((s) => s.indices)).toEqual([a!.indices, b!.indices]);
    expect(split(43).map((s) => s.indices)).not.toEqual([a!.indices, b!.indices]);
    expect(a!.get(0)).toBe(a!.indices[0]);
    // Not the identity order.
    expect([...a!.indices, ...b!.indices]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  it('takes fractions (remainder round-robin, as PyTorch)', () => {
    const parts = randomSplit(new Range(11), [0.5, 0.3, 0.2], { generator: new Generator(1) });
    // floor: 5, 3, 2 (=10); the remainder 1 goes to the first split.
    expect(parts.map((p) => p.length)).toEqual([6, 3, 2]);
    const all = parts.flatMap((p) => [...p.indices]).sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });
  it('uses the default generator (manualSeed)', () => {
    manualSeed(7);
    const a = randomSplit(new Range(20), [10, 10]).map((s) => s.indices);
    manualSeed(7);
    const b = randomSplit(new Range(20), [10, 10]).map((s) => s.indices);
    expect(a).toEqual(b);
  });
  it('checks the lengths', () => {
    expect(() => randomSplit(new Range(10), [3, 3])).toThrow(/sum of input lengths \(6\) does not equal the length of the input dataset \(10\)/);
    expect(() => randomSplit(new Range(10), [-1, 11])).toThrow(/non-negative/);
  });
});

describe('kFold', () => {
  it('matches sklearn KFold without shuffle', () => {
    // sklearn: KFold(3).split(range(10)) -> test [0..3], [4..6], [7..9]
    const folds = kFold(10, 3);
    expect(folds.map((f) => f.val)).toEqual([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(folds[1]!.train).toEqual([0, 1, 2, 3, 7, 8, 9]);
  });
  it('shuffled folds partition the indices, reproducibly', () => {
    const folds = kFold(new Range(23), 5, { shuffle: true, generator: new Generator(3) });
    expect(folds.map((f) => f.val.length)).toEqual([5, 5, 5, 4, 4]);
    const vals = folds.flatMap((f) => f.val).sort((a, b) => a - b);
    expect(vals).toEqual(Array.from({ length: 23 }, (_, i) => i));
    for (const f of folds) {
      expect(f.train.length + f.val.length).toBe(23);
      expect(f.train.filter((i) => f.val.includes(i))).toEqual([]);
      expect([...f.val]).toEqual([...f.val].sort((a, b) => a - b));
    }
    expect(kFold(23, 5, { shuffle: true, generator: new Generator(3) })).toEqual(folds);
    expect(kFold(23, 5, { shuffle: true, generator: new Generator(4) })).not.toEqual(folds);
    expect(folds.map((f) => f.val)).not.toEqual(kFold(23, 5).map((f) => f.val));
  });
  it('validates k', () => {
    expect(() => kFold(10, 1)).toThrow(/k must be an integer >= 2/);
    expect(() => kFold(3, 5)).toThrow(/cannot have k=5 folds with only 3 samples/);
  });
});
