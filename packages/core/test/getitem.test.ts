import { describe, expect, it } from 'vitest';
import {
  Tensor, arange, embedding, gather, gradcheck, gradgradcheck, index, indexAsync, indexPut, indexSelect, manualSeed, maskedFill,
  maskedSelect, maskedSelectAsync, memory, nonzero, nonzeroAsync, oneHot, oneHotAsync, randn, scatterAdd, sl, tensor, tidy, zeros,
  type IndexItem,
} from '@tensile/core';
import { decodeIndexItem, fixtureTests, loadFixtures } from './support/fixtures.js';

// ---- golden fixtures (format: shared/fixtures/README.md) ----

describe('indexing.json fixtures', () => {
  fixtureTests(loadFixtures('indexing'), {
    'torch.gather': (a) => gather(a[0], a[1], a[2]),
    'torch.scatter_add': (a) => scatterAdd(a[0], a[1], a[2], a[3]),
    'torch.index_select': (a) => indexSelect(a[0], a[1], a[2]),
    'Tensor.masked_fill': (a) => maskedFill(a[0], a[1], a[2]),
    'torch.nn.functional.embedding': (a, k) => embedding(a[0], a[1], { paddingIdx: k.padding_idx }),
    'torch.nn.functional.one_hot': (a, k) => oneHot(a[0], k.num_classes ?? a[1] ?? -1),
    'Tensor.__getitem__': (a) => index(a[0], (a[1] as unknown[]).map(decodeIndexItem)),
  });
});

// ---- behaviour ----

const x24 = () => arange(24).reshape([2, 3, 4]);
const rnd = (shape: number[]) => randn(shape, { dtype: 'float64', requiresGrad: true });

describe('basic indexing', () => {
  it('gives views for integers, slices, null and ...', () => {
    const x = x24();
    const v = x.index(1, sl(1), null, '...', sl(null, null, 2));
    expect(v.shape).toEqual([2, 1, 2]);
    expect(v.storage).toBe(x.storage);
    expect(v.tolistSync()).toEqual([[[16, 18]], [[20, 22]]]);
    expect(x.index().shape).toEqual([2, 3, 4]);
    expect(x.index(-1, -1, -1).tolistSync()).toBe(23);
    expect(x.index('...', 0).shape).toEqual([2, 3]);
    expect(x.index(':', '1:3', '::2').tolistSync()).toEqual([[[4, 6], [8, 10]], [[16, 18], [20, 22]]]);
    expect(x.index({ start: -2 }).shape).toEqual([2, 3, 4]);
    expect(x.index(sl(5, 9)).shape).toEqual([0, 3, 4]);
  });
  it('rejects bad indices clearly', () => {
    const x = x24();
    expect(() => x.index(0, 0, 0, 0)).toThrow(/too many indices for tensor of dimension 3/);
    expect(() => x.index('...', 0, '...')).toThrow(/single ellipsis/);
    expect(() => x.index(sl(null, null, -1))).toThrow(/step must be greater than zero/);
    expect(() => x.index(2)).toThrow(/index 2 is out of bounds for dimension 0 with size 2/);
    expect(() => x.index(0.5)).toThrow(/integers/);
    expect(() => x.index(tensor([0.5]))).toThrow(/long, int, byte or bool/);
    expect(() => x.index([0, 1.5])).toThrow(/an array used as an index must hold integers or booleans/);
    expect(() => x.index(tensor([0, 1]))).toThrow(/long, int, byte or bool tensors, got float32/);
    expect(() => x.index('a:b')).toThrow(/invalid index string/);
  });
});

describe('advanced indexing', () => {
  it('puts adjacent advanced dims in place', () => {
    const x = x24();
    expect(x.index(sl(), [0, 2], [1, 3]).tolistSync()).toEqual([[1, 11], [13, 23]]);
    expect(x.index(sl(), sl(), tensor([[0, 1], [2, 3]], { dtype: 'int64' })).shape).toEqual([2, 3, 2, 2]);
    expect(x.index(null, [0, 1]).shape).toEqual([1, 2, 3, 4]);
    const e = x.index('...', [0, 3]);
    expect(e.shape).toEqual([2, 3, 2]);
    expect(e.index(1, 2).tolistSync()).toEqual([20, 23]);
  });
  it('puts separated advanced dims first', () => {
    const x = x24();
    expect(x.index([0, 1], sl(), [1, 3]).tolistSync()).toEqual([[1, 5, 9], [15, 19, 23]]);
    expect(x.index(tensor([[0], [1]], { dtype: 'int64' }), sl(), tensor([1, 3], { dtype: 'int64' })).shape).toEqual([2, 2, 3]);
  });
  it('treats integers as select, as PyTorch does', () => {
    // torch.zeros(2,3,4)[0, :, [0, 1]].shape == (3, 2) (NumPy would give (2, 3))
    expect(x24().index(0, sl(), [0, 1]).tolistSync()).toEqual([[0, 1], [4, 5], [8, 9]]);
    // and so are 0-d integer tensors
    expect(x24().index(tensor(1, { dtype: 'int64' }), sl(), [0, 1]).tolistSync()).toEqual([[12, 13], [16, 17], [20, 21]]);
  });
  it('0-d integer tensors select on devices without sync reads too', async () => {
    const x = arange(24, undefined, 1, { device: 'js-async' }).reshape([2, 3, 4]);
    const r = x.index(tensor(-1, { dtype: 'int64', device: 'js-async' }), sl(), [0, 1]);
    expect(r.shape).toEqual([3, 2]);
    expect(await r.tolist()).toEqual([[12, 13], [16, 17], [20, 21]]);
  });
  it('broadcasts indices, wraps negatives, accepts int32 and 0-d', () => {
    const x = x24();
    expect(x.index([-1], -1).tolistSync()).toEqual([[20, 21, 22, 23]]);
    expect(x.index(tensor([1, 0], { dtype: 'int32' }), tensor(2, { dtype: 'int64' })).tolistSync()).toEqual([[20, 21, 22, 23], [8, 9, 10, 11]]);
    expect(x.index(tensor(1, { dtype: 'int64' })).shape).toEqual([3, 4]);
    expect(x.index(tensor([[0], [1]], { dtype: 'int64' }), tensor([0, 1, 2], { dtype: 'int64' }), 0).tolistSync()).toEqual([[0, 4, 8], [12, 16, 20]]);
    expect(x.index([]).shape).toEqual([0, 3, 4]);
    expect(() => x.index([0, 1], [0, 1, 2])).toThrow(/could not be broadcast together with shapes \[2\], \[3\]/);
    expect(() => x.index([0, 5])).toThrow(/index 5 is out of bounds for dimension 0 with size 2/);
  });
  it('bool masks', () => {
    const x = x24();
    const m = tensor([[true, false, true], [false, true, false]]);
    const r = x.index(m);
    expect(r.shape).toEqual([3, 4]);
    expect(r.index(sl(), 0).tolistSync()).toEqual([0, 8, 16]);
    expect(x.index([0, 1], [true, false, true]).tolistSync()).toEqual([[0, 1, 2, 3], [20, 21, 22, 23]]);
    expect(x.index(sl(), sl(), tensor([true, false, false, true])).shape).toEqual([2, 3, 2]);
    expect(x.index(true).shape).toEqual([1, 2, 3, 4]);
    expect(x.index(false).shape).toEqual([0, 2, 3, 4]);
    expect(x.index(tensor(true), 0).shape).toEqual([1, 3, 4]);
    expect(() => x.index(tensor([true, false, true]))).toThrow(/shape of the mask \[3\] does not match/);
    expect(maskedSelect(x, tensor([true, false, false, true])).tolistSync()).toEqual([0, 3, 4, 7, 8, 11, 12, 15, 16, 19, 20, 23]);
  });
  it('needs indexAsync (or nonzeroAsync) for masks on devices without sync reads', async () => {
    const x = arange(6, undefined, 1, { device: 'js-async' }).reshape([2, 3]);
    const m = tensor([[true, false, true], [false, false, true]], { device: 'js-async' });
    expect(() => x.index(m)).toThrow(/no synchronous reads; use await indexAsync\(x, indices\)/);
    expect(() => maskedSelect(x, m)).toThrow(/use await maskedSelectAsync\(x, mask\)/);
    const idx = await nonzeroAsync(m, { asTuple: true });
    expect(await x.index(...idx).tolist()).toEqual([0, 2, 5]);
    expect(await (await nonzeroAsync(m)).tolist()).toEqual([[0, 0], [0, 2], [1, 2]]);
    expect(await x.index(sl(), [2, 0]).tolist()).toEqual([[2, 0], [5, 3]]);
    expect(() => nonzero(m)).toThrow(/nonzeroAsync/);
  });
  it('nonzero', () => {
    expect(nonzero(tensor([[0, 1], [2, 0]], { dtype: 'int64' })).tolistSync()).toEqual([[0, 1], [1, 0]]);
    expect(nonzero(tensor([0, 0])).shape).toEqual([0, 1]);
    expect(tensor([0.0, 1.5, 0, 2]).nonzero().tolistSync()).toEqual([[1], [3]]);
    expect(nonzero(tensor([0, 3, 0]), { asTuple: true }).map((t) => t.tolistSync())).toEqual([[1]]);
  });
  it('gradients accumulate over repeated indices', () => {
    const a = tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    a.index([0, 0, 2]).sum().backward();
    expect(a.grad!.tolistSync()).toEqual([2, 0, 1]);
  });
  it('gradcheck index with advanced indices', () => {
    manualSeed(4);
    const a = rnd([3, 4, 2]);
    expect(gradcheck((t) => t.index([0, 2, 0], sl(), [1, 0, 1]), [a])).toBe(true);
    expect(gradcheck((t) => t.index(sl(1), tensor([[3, 0], [1, 1]], { dtype: 'int64' })), [a])).toBe(true);
    expect(gradcheck((t) => t.index(tensor([[true, false, true, true], [false, false, true, false], [true, true, true, false]])), [a])).toBe(true);
    expect(gradcheck((t) => t.index(null, 1, '...', [1, -1]), [a])).toBe(true);
    expect(gradgradcheck((t) => t.index([2, 1], [3, 3]).square(), [a])).toBe(true);
    expect(gradcheck((t) => maskedSelect(t, tensor([true, false])), [a])).toBe(true);
  });
});

describe('async variants (indexAsync, maskedSelectAsync, oneHotAsync)', () => {
  /** Index tuples, built on a device: masks of every kind, mixed with basic and integer items. */
  const tuples = (dev: string): IndexItem[][] => {
    const b = (v: boolean[] | boolean[][] | boolean) => tensor(v, { dtype: 'bool', device: dev });
    const i64 = (v: number[]) => tensor(v, { dtype: 'int64', device: dev });
    return [
      [b([[true, false, true], [false, true, false]])],
      [b([[false, false, false], [false, false, false]])],
      [sl(), sl(), b([true, false, false, true])],
      [i64([1, 0]), b([true, false, true]), sl(1, 3)],
      [b([true, false]), sl(), b([false, true, true, false])],
      ['...', b([false, true, true, true])],
      [null, b(true), 1],
      [b(false), '...'],
      [[false, true], sl(), [true, false, false, true]],
      [tensor([[1, 0, 1], [0, 0, 1]], { dtype: 'uint8', device: dev }), [2, 0, 1]],
      [1, sl(null, null, 2), b([true, true, false, true])],
      [true, 0],
      [i64([0, 1]), sl()],
    ];
  };

  it('give the values index gives on js, on js-async', async () => {
    const xs = arange(24, undefined, 1, { dtype: 'float32' }).reshape([2, 3, 4]);
    const xa = arange(24, undefined, 1, { dtype: 'float32', device: 'js-async' }).reshape([2, 3, 4]);
    const ts = tuples('js'), ta = tuples('js-async');
    for (let k = 0; k < ts.length; k++) {
      const want = index(xs, ts[k]!);
      const got = await indexAsync(xa, ta[k]!);
      expect(got.device, `tuple ${k}`).toBe('js-async');
      expect(got.shape, `tuple ${k}: shape`).toEqual(want.shape);
      expect(await got.tolist(), `tuple ${k}: values`).toEqual(want.tolistSync());
      // on a device with synchronous reads indexAsync agrees too
      expect((await indexAsync(xs, ts[k]!)).tolistSync(), `tuple ${k} on js`).toEqual(want.tolistSync());
    }
    const m = tensor([true, false, true], { device: 'js-async' });
    expect(await (await xa.indexAsync(0, m, sl(0, 2))).tolist()).toEqual([[0, 1], [8, 9]]);
    // masks on another device than x are read where they are
    expect(await (await xa.indexAsync(0, tensor([false, true, false]), 3)).tolist()).toEqual([7]);
    await expect(indexAsync(xa, [tensor([true, false, true], { device: 'js-async' })])).rejects.toThrow(/shape of the mask \[3\] does not match/);
    await expect(indexAsync(xa, [0, 0, 0, tensor([true], { device: 'js-async' })])).rejects.toThrow(/too many indices/);
  });

  it('maskedSelectAsync broadcasts like maskedSelect', async () => {
    const x = arange(6, undefined, 1, { device: 'js-async' }).reshape([2, 3]);
    const m = tensor([true, false, true], { device: 'js-async' });
    expect(await (await maskedSelectAsync(x, m)).tolist()).toEqual([0, 2, 3, 5]);
    expect(await (await x.maskedSelectAsync(tensor([[false], [true]], { device: 'js-async' }))).tolist()).toEqual([3, 4, 5]);
    await expect(maskedSelectAsync(x, tensor([1, 0, 1], { device: 'js-async' }))).rejects.toThrow(/expected mask to be a bool tensor, got float32/);
    expect((await maskedSelectAsync(arange(4).reshape([2, 2]), tensor([[true, false], [false, true]]))).tolistSync()).toEqual([0, 3]);
  });

  it('oneHotAsync infers numClasses with await', async () => {
    const ids = tensor([[1], [3]], { dtype: 'int64', device: 'js-async' });
    const r = await oneHotAsync(ids);
    expect(r.shape).toEqual([2, 1, 4]);
    expect(r.dtype).toBe('int64');
    expect(await r.tolist()).toEqual([[[0, 1, 0, 0]], [[0, 0, 0, 1]]]);
    expect(await (await oneHotAsync(ids, 5)).tolist()).toEqual([[[0, 1, 0, 0, 0]], [[0, 0, 0, 1, 0]]]);
    expect((await oneHotAsync(tensor([0, 2], { dtype: 'int64' }))).tolistSync()).toEqual(oneHot(tensor([0, 2], { dtype: 'int64' })).tolistSync());
    expect(() => oneHot(ids)).toThrow(/use await oneHotAsync\(indices\)/);
    await expect(oneHotAsync(tensor([2, -1], { dtype: 'int64', device: 'js-async' }))).rejects.toThrow(/non-negative \(got -1\)/);
    await expect(oneHotAsync(tensor([], { dtype: 'int64', device: 'js-async' }))).rejects.toThrow(/empty tensor/);
    await expect(oneHotAsync(tensor([1], { dtype: 'int32', device: 'js-async' }))).rejects.toThrow(/int64/);
  });

  it('gradients flow through indexAsync with a mask as through index', async () => {
    const data = [[0.5, -1, 2, 3], [1.5, 4, -2, 0.25], [7, 8, 9, 10]];
    const go = [[1, 2, 3, 4], [-1, 0.5, 2, 1]];
    const grad = async (dev: string, async_: boolean): Promise<unknown> => {
      const x = tensor(data, { dtype: 'float32', device: dev, requiresGrad: true });
      const m = tensor([true, false, true], { device: dev });
      const y = async_ ? await x.indexAsync(m, sl()) : x.index(m, sl());
      expect(y.requiresGrad).toBe(true);
      y.mul(tensor(go, { dtype: 'float32', device: dev })).sum().backward();
      return x.grad!.tolist();
    };
    const want = await grad('js', false);
    expect(want).toEqual([[1, 2, 3, 4], [0, 0, 0, 0], [-1, 0.5, 2, 1]]);
    expect(await grad('js-async', true)).toEqual(want);
    expect(await grad('js', true)).toEqual(want);
    // and maskedSelectAsync, for a mask broadcast over rows
    const x = tensor(data, { dtype: 'float32', device: 'js-async', requiresGrad: true });
    (await x.maskedSelectAsync(tensor([false, true, true, false], { device: 'js-async' }))).sum().backward();
    expect(await x.grad!.tolist()).toEqual([[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0]]);
  });

  it('gradcheck through indexAsync (values read ahead, then the index path)', async () => {
    manualSeed(7);
    const a = rnd([3, 4]);
    const m = tensor([[true, false, true, true], [false, false, true, false], [true, true, true, false]]);
    // indexAsync(x, [m]) is index(x, nonzero(m)): check that path with the positions it reads
    const pos = await nonzeroAsync(m, { asTuple: true });
    expect((await indexAsync(a, [m])).tolistSync()).toEqual(index(a, pos).tolistSync());
    expect(gradcheck((t) => index(t, pos), [a])).toBe(true);
  });

  it('leave no garbage', async () => {
    const x = randn([3, 4], { device: 'js-async', requiresGrad: true });
    const m = tensor([[true, false, true, true], [false, false, true, false], [true, true, true, false]], { device: 'js-async' });
    const m1 = tensor([true, false, true, false], { device: 'js-async' });
    const ids = tensor([0, 3, 1], { dtype: 'int64', device: 'js-async' });
    const step = async () => {
      const y = await x.indexAsync(m);
      const z = await x.indexAsync(sl(), [true, false, false, true]);
      const w = await maskedSelectAsync(x, m1);
      const o = await oneHotAsync(ids);
      const l = tidy(() => y.sum().add(z.sum()).add(w.sum()));
      l.backward();
      for (const t of [y, z, w, o, l, x.grad!]) t.dispose();
      x.grad = null;
    };
    await step();
    const before = memory().numTensors;
    for (let i = 0; i < 3; i++) await step();
    expect(memory().numTensors).toBe(before);
  });
});

describe('indexPut', () => {
  it('writes and accumulates', () => {
    const x = zeros([3, 4]);
    x.indexPut_([[0, 2], sl(1, 3)], 1);
    expect(x.tolistSync()).toEqual([[0, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0]]);
    x.indexPut_([1], tensor([1, 2, 3, 4], { dtype: 'float32' }));
    expect(x.index(1).tolistSync()).toEqual([1, 2, 3, 4]);
    x.indexPut_([x.gt(1.5)], 9);
    expect(x.index(1).tolistSync()).toEqual([1, 9, 9, 9]);
    expect(indexPut(zeros([3]), [[0, 0, 2]], tensor([1, 2, 3], { dtype: 'float32' }), true).tolistSync()).toEqual([3, 0, 3]);
    expect(() => x.indexPut_([[0, 1]], zeros([3]))).toThrow(/cannot be broadcast/);
  });
  it('gradcheck indexPut', () => {
    manualSeed(5);
    const a = rnd([3, 4]), v = rnd([2, 4]);
    expect(gradcheck((t, w) => indexPut(t, [[2, 0]], w), [a, v])).toBe(true);
    expect(gradcheck((t, w) => indexPut(t, [[1, 1]], w, true), [a, v])).toBe(true);
  });
});

describe('oneHot / embedding', () => {
  it('oneHot', () => {
    expect(oneHot(tensor([0, 2], { dtype: 'int64' }), 3).tolistSync()).toEqual([[1, 0, 0], [0, 0, 1]]);
    expect(oneHot(tensor([[1], [3]], { dtype: 'int64' })).shape).toEqual([2, 1, 4]);
    expect(oneHot(tensor([1], { dtype: 'int64' })).dtype).toBe('int64');
    expect(() => oneHot(tensor([3], { dtype: 'int64' }), 3)).toThrow(/smaller than numClasses/);
    expect(() => oneHot(tensor([-1], { dtype: 'int64' }), 3)).toThrow(/non-negative/);
    expect(() => oneHot(tensor([1], { dtype: 'int32' }))).toThrow(/int64/);
    expect(() => oneHot(tensor([1], { dtype: 'int64', device: 'js-async' }))).toThrow(/numClasses must be given/);
  });
  it('embedding and paddingIdx', () => {
    const w = tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float32', requiresGrad: true });
    const ids = tensor([[0, 2], [2, 1]], { dtype: 'int32' });
    const out = embedding(ids, w, { paddingIdx: -1 });
    expect(out.tolistSync()).toEqual([[[1, 2], [5, 6]], [[5, 6], [3, 4]]]);
    out.sum().backward();
    expect(w.grad!.tolistSync()).toEqual([[1, 1], [1, 1], [0, 0]]);
    expect(() => embedding(tensor([0], { dtype: 'int64' }), w, { paddingIdx: 3 })).toThrow(/within numEmbeddings/);
    expect(() => embedding(tensor([0.5]), w)).toThrow(/int64 or int32/);
  });
  it('gradcheck embedding', () => {
    manualSeed(6);
    const w = rnd([5, 3]);
    const ids = tensor([[0, 4, 4], [1, 2, 0]], { dtype: 'int64' });
    expect(gradcheck((t) => embedding(ids, t), [w])).toBe(true);
    // (with the padding row read, finite differences see a gradient that paddingIdx removes on purpose)
    expect(gradcheck((t) => embedding(ids, t, { paddingIdx: 3 }), [w])).toBe(true);
    expect(gradgradcheck((t) => embedding(ids, t, { paddingIdx: -2 }).square(), [w])).toBe(true);
  });
});

describe('memory', () => {
  it('indexing leaves no garbage inside tidy', () => {
    const w = randn([4, 5], { requiresGrad: true });
    const m = w.detach().gt(0);
    const ids = tensor([[0, 3], [1, 1]], { dtype: 'int64' });
    const step = () => tidy(() => {
      const a = w.index([0, 3], sl(1), null).sum();
      const b = w.index(m).sum();
      const c = embedding(ids, w, { paddingIdx: 1 }).sum();
      const d = w.index(1, '...', [2, 2]).sum();
      a.add(b).add(c).add(d).backward();
    });
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(memory().numTensors).toBe(before);
  });
  it('returns a Tensor', () => {
    expect(index(x24(), [0])).toBeInstanceOf(Tensor);
  });
});
