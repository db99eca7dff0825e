import { describe, expect, it } from 'vitest';
import {
  arange, cat, chunk, concat, flatten, flip, gradcheck, gradgradcheck, index, manualSeed, memory, narrow, randn,
  repeat, roll, split, stack, tensor, tidy, tile, tril, triu, unbind, zeros,
} from '@tensile/core';
import { decodeIndexItem, fixtureTests, loadFixtures } from './support/fixtures.js';

// ---- golden fixtures (format: shared/fixtures/README.md) ----

describe('shape.json fixtures', () => {
  fixtureTests(loadFixtures('shape'), {
    'Tensor.reshape': (a) => a[0].reshape(a[1]),
    'Tensor.view': (a) => a[0].view(a[1]),
    'torch.flatten': (a, k) => flatten(a[0], k.start_dim ?? a[1] ?? 0, k.end_dim ?? a[2] ?? -1),
    'Tensor.permute': (a) => a[0].permute(a[1]),
    'Tensor.transpose': (a) => a[0].transpose(a[1], a[2]),
    'Tensor.unsqueeze': (a) => a[0].unsqueeze(a[1]),
    'Tensor.squeeze': (a) => a[0].squeeze(a[1]),
    'Tensor.expand': (a) => a[0].expand(a[1]),
    'Tensor.repeat': (a) => a[0].repeat(a[1]),
    'Tensor.contiguous': (a) => a[0].contiguous(),
    'torch.cat': (a, k) => cat(a[0], k.dim ?? a[1] ?? 0),
    'torch.stack': (a, k) => stack(a[0], k.dim ?? a[1] ?? 0),
    'torch.split': (a, k) => split(a[0], a[1], k.dim ?? a[2] ?? 0),
    'torch.chunk': (a, k) => chunk(a[0], a[1], k.dim ?? a[2] ?? 0),
    'torch.flip': (a, k) => flip(a[0], k.dims ?? a[1]),
    'torch.narrow': (a) => narrow(a[0], a[1], a[2], a[3]),
    'Tensor.narrow': (a) => a[0].narrow(a[1], a[2], a[3]),
    'Tensor.__getitem__': (a) => index(a[0], (a[1] as unknown[]).map(decodeIndexItem)),
  });
});

// ---- behaviour ----

const f64 = (data: number[] | number[][] | number[][][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const rnd = (shape: number[]) => randn(shape, { dtype: 'float64', requiresGrad: true });

describe('cat / stack', () => {
  it('promotes dtypes and concatenates', () => {
    const a = tensor([[1, 2]], { dtype: 'int32' });
    const b = tensor([[0.5, 1.5]], { dtype: 'float32' });
    const c = cat([a, b], 0);
    expect(c.dtype).toBe('float32');
    expect(c.tolistSync()).toEqual([[1, 2], [0.5, 1.5]]);
    expect(cat([tensor([1, 2], { dtype: 'int64' }), tensor([3], { dtype: 'float64' })]).dtype).toBe('float64');
    expect(concat([tensor([1]), tensor([2])]).tolistSync()).toEqual([1, 2]);
  });
  it('skips 1-D empty tensors and refuses 0-d ones', () => {
    expect(cat([tensor([], { dtype: 'float32' }), tensor([[1, 2]], { dtype: 'float32' })]).tolistSync()).toEqual([[1, 2]]);
    expect(() => cat([tensor(1), tensor(2)])).toThrow(/zero-dimensional/);
    expect(() => cat([])).toThrow(/non-empty/);
  });
  it('names the shapes when sizes do not match', () => {
    expect(() => cat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow(/cat: sizes of tensors must match except in dimension 0.*\[2, 3\], \[2, 4\]/);
    expect(() => stack([zeros([2, 3]), zeros([3, 2])])).toThrow(/stack: expects each tensor to be equal size.*\[2, 3\].*\[3, 2\]/);
  });
  it('reads non-contiguous inputs and writes non-contiguous cat dims', () => {
    const x = arange(6).reshape([2, 3]);
    expect(cat([x.t(), x.t()], 1).tolistSync()).toEqual([[0, 3, 0, 3], [1, 4, 1, 4], [2, 5, 2, 5]]);
    expect(stack([x, x], 2).shape).toEqual([2, 3, 2]);
  });
  it('gradcheck cat, stack', () => {
    manualSeed(1);
    const a = rnd([2, 3]), b = rnd([2, 1]), c = rnd([2, 2]);
    expect(gradcheck((x, y, z) => cat([x, y, z], 1), [a, b, c])).toBe(true);
    expect(gradgradcheck((x, y) => cat([x, y], -1).square(), [a, b])).toBe(true);
    expect(gradcheck((x, y) => stack([x, y], 1), [a, rnd([2, 3])])).toBe(true);
  });
  it('gives gradients only to inputs that need them, in their dtype', () => {
    const a = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const b = tensor([3], { dtype: 'float64', requiresGrad: true });
    const n = tensor([4], { dtype: 'float32' });
    const c = cat([a, n, b]);
    expect(c.dtype).toBe('float64');
    c.mul(tensor([1, 2, 3, 4], { dtype: 'float64' })).sum().backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(a.grad!.tolistSync()).toEqual([1, 2]);
    expect(b.grad!.tolistSync()).toEqual([4]);
  });
});

describe('split / chunk / unbind', () => {
  it('returns views', () => {
    const x = arange(10).reshape([5, 2]);
    const parts = split(x, 2);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(parts.every((p) => p.storage === x.storage)).toBe(true);
    expect(parts[2]!.tolistSync()).toEqual([[8, 9]]);
    expect(x.split([1, 4]).map((p) => p.shape[0])).toEqual([1, 4]);
    expect(() => split(x, [1, 1])).toThrow(/sum exactly to 5/);
    expect(chunk(arange(6), 4).map((p) => p.numel)).toEqual([2, 2, 2]);
    expect(chunk(arange(0), 3).length).toBe(3);
    const u = unbind(x, 1);
    expect(u.map((t) => t.tolistSync())).toEqual([[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
  });

  it('records one node for all pieces, whose backward concatenates / stacks the gradients', () => {
    const x = randn([5, 3], { requiresGrad: true });
    const parts = split(x, [2, 0, 3]);
    expect(new Set(parts.map((p) => p.gradFn)).size).toBe(1);
    expect(parts[0]!.gradFn!.name).toBe('SplitBackward');
    expect(parts.map((p) => p.outputNr)).toEqual([0, 1, 2]);
    // only some pieces used: the others get zero gradients
    parts[2]!.mul(2).sum().backward();
    expect(x.grad!.tolistSync()).toEqual([[0, 0, 0], [0, 0, 0], [2, 2, 2], [2, 2, 2], [2, 2, 2]]);
    const u = unbind(x, 1);
    expect(u[0]!.gradFn!.name).toBe('UnbindBackward');
    x.grad = null;
    u[0]!.add(u[2]!.mul(3)).sum().backward();
    expect(x.grad!.tolistSync()).toEqual(Array(5).fill([1, 0, 3]));
  });

  it('gradcheck and gradgradcheck through split, chunk and unbind (float64)', () => {
    const x = randn([4, 6], { dtype: 'float64', requiresGrad: true });
    const f = (t: import('@tensile/core').Tensor) => {
      const [a, b] = chunk(t, 2, 1) as [import('@tensile/core').Tensor, import('@tensile/core').Tensor];
      const rows = unbind(a, 0);
      return rows[0]!.mul(rows[3]!).sum().add(b.mul(b).sum()).add(split(t, [1, 3], 0)[1]!.sin().sum());
    };
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck(f, [x])).toBe(true);
  });
});

describe('flip / roll / repeat / tile', () => {
  it('flip copies with reversed order', () => {
    const x = arange(6).reshape([2, 3]);
    expect(flip(x, [1]).tolistSync()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(x.flip([0, 1]).tolistSync()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(x.flip(0, 1).tolistSync()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(flip(x.t(), 0).tolistSync()).toEqual([[2, 5], [1, 4], [0, 3]]);
    expect(() => flip(x, [0, -2])).toThrow(/duplicates/);
  });
  it('roll', () => {
    const x = arange(6).reshape([2, 3]);
    expect(roll(x, 1, 1).tolistSync()).toEqual([[2, 0, 1], [5, 3, 4]]);
    expect(roll(x, -1).tolistSync()).toEqual([[1, 2, 3], [4, 5, 0]]);
    expect(x.roll([1, 4], [0, 1]).tolistSync()).toEqual([[5, 3, 4], [2, 0, 1]]);
  });
  it('repeat and tile', () => {
    const x = tensor([[1, 2]]);
    expect(repeat(x, 2, 2).tolistSync()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(x.repeat([2, 1, 1]).shape).toEqual([2, 1, 2]);
    expect(tile(x, [2]).tolistSync()).toEqual([[1, 2, 1, 2]]);
    expect(x.tile(2, 1).shape).toEqual([2, 2]);
    expect(() => repeat(x, 2)).toThrow(/smaller than number of dimensions/);
  });
  it('gradcheck flip, roll, repeat', () => {
    manualSeed(2);
    const a = rnd([2, 3, 2]);
    expect(gradcheck((x) => flip(x, [0, 2]), [a])).toBe(true);
    expect(gradgradcheck((x) => flip(x, [1]).square(), [a])).toBe(true);
    expect(gradcheck((x) => roll(x, 1, 1), [a])).toBe(true);
    expect(gradcheck((x) => repeat(x, 2, 1, 1, 2), [a])).toBe(true);
    expect(gradgradcheck((x) => repeat(x, 2, 1, 1).square(), [a])).toBe(true);
  });
});

describe('tril / triu', () => {
  it('masks the triangles', () => {
    const x = arange(1, 10).reshape([3, 3]);
    expect(tril(x).tolistSync()).toEqual([[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    expect(triu(x, 1).tolistSync()).toEqual([[0, 2, 3], [0, 0, 6], [0, 0, 0]]);
    expect(x.tril(-1).tolistSync()).toEqual([[0, 0, 0], [4, 0, 0], [7, 8, 0]]);
    expect(tril(x).dtype).toBe('int64');
    const b = tensor([[true, true], [true, true]]);
    expect(triu(b).tolistSync()).toEqual([[true, true], [false, true]]);
    expect(tril(zeros([2, 2, 3]), 1).shape).toEqual([2, 2, 3]);
    expect(() => tril(zeros([3]))).toThrow(/at least 2 dimensions/);
  });
  it('gradcheck tril, triu', () => {
    manualSeed(3);
    const a = rnd([2, 3, 4]);
    expect(gradcheck((x) => tril(x, 1), [a])).toBe(true);
    expect(gradcheck((x) => triu(x, -1), [a])).toBe(true);
  });
});

describe('memory', () => {
  it('shape ops leave no garbage inside tidy', () => {
    const w = randn([3, 4], { requiresGrad: true });
    const step = () => tidy(() => {
      const parts = split(w, [1, 2]);
      const y = cat([flip(parts[1]!, 0), parts[0]!, repeat(w, 1, 2).narrow(1, 0, 4)], 0);
      tril(stack([y, y], 0)).sum().backward();
    });
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(memory().numTensors).toBe(before);
  });
  it('f64 helper builds tensors', () => {
    expect(f64([1, 2]).dtype).toBe('float64');
  });
});
