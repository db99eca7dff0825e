import { describe, expect, it } from 'vitest';
import { Tensor, arange, gradcheck, noGrad, ones, tensor, zeros } from '@tensile/core';

const grid = (r: number, c: number) => arange(r * c, undefined, 1, { dtype: 'float32' }).reshape(r, c);

describe('view / reshape', () => {
  it('view shares storage and infers -1', () => {
    const x = arange(6, undefined, 1, { dtype: 'float32' });
    const v = x.view(2, -1);
    expect(v.shape).toEqual([2, 3]);
    expect(v.storage).toBe(x.storage);
    expect(v.tolistSync()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(x.view([3, 2]).shape).toEqual([3, 2]);
    expect(x.view(1, 6, 1).strides).toEqual([6, 1, 1]);
  });

  it('view on a non-contiguous tensor throws; reshape copies', () => {
    const x = grid(2, 3);
    const t = x.t();
    expect(t.isContiguous()).toBe(false);
    expect(() => t.view(6)).toThrow(/view: size is not compatible with input tensor's size and stride \(shape \[3, 2\], strides \[1, 3\] to \[6\]\); use reshape\(\) instead/);
    const r = t.reshape(6);
    expect(r.storage).not.toBe(x.storage);
    expect(r.tolistSync()).toEqual([0, 3, 1, 4, 2, 5]);
    // reshape of a contiguous tensor is a view
    expect(x.reshape(3, 2).storage).toBe(x.storage);
  });

  it('view of a view that keeps the chunks contiguous works without a copy', () => {
    const x = zeros([4, 6]);
    const s = x.slice(0, 1, 3); // rows 1..2, contiguous rows
    expect(s.view(12).storage).toBe(x.storage);
    expect(s.view(12).offset).toBe(6);
    const c = x.slice(1, 0, 3); // columns: each row chunk of 3
    expect(c.view(4, 3, 1).shape).toEqual([4, 3, 1]);
    expect(() => c.view(12)).toThrow(/use reshape/);
  });

  it('reshape and view have gradients', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((t) => t.t().reshape(4).mul(tensor([1, 2, 3, 4], { dtype: 'float64' })), [x])).toBe(true);
    expect(gradcheck((t) => t.view(4).mul(t.view(4)), [x])).toBe(true);
  });
});

describe('metadata-only views share storage', () => {
  it('permute / transpose / T / mT', () => {
    const x = arange(24, undefined, 1, { dtype: 'float32' }).reshape(2, 3, 4);
    const p = x.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.strides).toEqual([1, 12, 4]);
    expect(p.storage).toBe(x.storage);
    expect(x.transpose(0, 2).shape).toEqual([4, 3, 2]);
    expect(x.transpose(-1, -2).shape).toEqual([2, 4, 3]);
    expect(x.T.shape).toEqual([4, 3, 2]);
    expect(x.mT.shape).toEqual([2, 4, 3]);
    expect(grid(2, 3).t().tolistSync()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(() => x.permute(0, 1)).toThrow(/permute: dims \[0, 1\] must be a permutation of 3 dims/);
    expect(() => x.permute(0, 1, 1)).toThrow(/permutation/);
  });

  it('expand (stride 0) and expandAs', () => {
    const x = tensor([[1], [2]], { dtype: 'float32' });
    const e = x.expand(2, 3);
    expect(e.strides).toEqual([1, 0]);
    expect(e.storage).toBe(x.storage);
    expect(e.tolistSync()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(x.expand(4, -1, 2).shape).toEqual([4, 2, 2]);
    expect(x.expandAs(zeros([2, 5])).shape).toEqual([2, 5]);
    expect(() => x.expand(3, 3)).toThrow(/expand: the expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 0/);
  });

  it('squeeze / unsqueeze', () => {
    const x = zeros([1, 3, 1, 2]);
    expect(x.squeeze().shape).toEqual([3, 2]);
    expect(x.squeeze(0).shape).toEqual([3, 1, 2]);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1, 2]); // size != 1: unchanged
    expect(x.squeeze([0, 2]).shape).toEqual([3, 2]);
    expect(x.squeeze().storage).toBe(x.storage);
    expect(x.unsqueeze(0).shape).toEqual([1, 1, 3, 1, 2]);
    expect(x.unsqueeze(-1).shape).toEqual([1, 3, 1, 2, 1]);
    expect(zeros([]).unsqueeze(0).shape).toEqual([1]);
  });

  it('flatten', () => {
    const x = zeros([2, 3, 4]);
    expect(x.flatten().shape).toEqual([24]);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(0, 1).shape).toEqual([6, 4]);
    expect(x.flatten().storage).toBe(x.storage);
    expect(zeros([]).flatten().shape).toEqual([1]);
    expect(() => x.flatten(2, 1)).toThrow(/flatten: startDim \(2\) cannot come after endDim \(1\)/);
  });

  it('narrow / slice with steps / select', () => {
    const x = arange(10, undefined, 1, { dtype: 'float32' });
    expect(x.narrow(0, 2, 3).tolistSync()).toEqual([2, 3, 4]);
    expect(x.slice(0, 1, 8, 3).tolistSync()).toEqual([1, 4, 7]);
    expect(x.slice(0, 1, 8, 3).strides).toEqual([3]);
    expect(x.slice(0, -3).tolistSync()).toEqual([7, 8, 9]);
    expect(x.slice(0, null, null, 4).tolistSync()).toEqual([0, 4, 8]);
    expect(x.slice(0, 20).shape).toEqual([0]);
    const g = grid(3, 4);
    expect(g.select(1, 2).tolistSync()).toEqual([2, 6, 10]);
    expect(g.select(0, -1).tolistSync()).toEqual([8, 9, 10, 11]);
    expect(g.slice(1, 0, 4, 2).slice(0, 1).tolistSync()).toEqual([[4, 6], [8, 10]]);
    expect(() => x.narrow(0, 8, 3)).toThrow(/narrow: start \(8\) \+ length \(3\) exceeds dimension size \(10\)/);
    expect(() => x.slice(0, 0, 5, 0)).toThrow(/slice: step must be a positive integer/);
  });

  it('writes through views are visible in the base', () => {
    const base = zeros([3, 4]);
    noGrad(() => {
      base.select(0, 1).fill_(1); // row 1
      base.slice(1, 0, 4, 2).add_(10); // even columns
      base.t().select(0, 3).mul_(0).add_(-1); // column 3 via a transposed view
      base.view(12).narrow(0, 0, 1).fill_(5); // first element via a flat view
      base.unsqueeze(0).expand(2, 3, 4).select(0, 0).select(1, 1).sub_(0.5); // column 1
    });
    expect(base.tolistSync()).toEqual([
      [5, -0.5, 10, -1],
      [11, 0.5, 11, -1],
      [10, -0.5, 10, -1],
    ]);
  });

  it('copy_ into a strided view and reads of views', () => {
    const base = zeros([2, 3]);
    base.t().copy_(tensor([[1, 4], [2, 5], [3, 6]], { dtype: 'float32' }));
    expect(base.tolistSync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const v = base.slice(1, 0, 3, 2);
    expect(Array.from(v.dataSync() as Float32Array)).toEqual([1, 3, 4, 6]);
    expect(v.contiguous().isContiguous()).toBe(true);
    expect(v.contiguous().storage).not.toBe(base.storage);
    expect(base.contiguous()).toBe(base);
  });

  it('a view bumps the shared version counter', () => {
    const base = ones([4]);
    const v = base.slice(0, 0, 2);
    const before = base.storage.version;
    v.mul_(3);
    expect(base.storage.version).toBe(before + 1);
    expect(base.tolistSync()).toEqual([3, 3, 1, 1]);
  });

  it('gradients through view chains', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    const fns: ((t: Tensor) => Tensor)[] = [
      (t) => t.permute(1, 0).mul(t.t()),
      (t) => t.unsqueeze(1).expand(2, 3, 3).mul(t.unsqueeze(0).transpose(0, 1).expand(2, 3, 3)),
      (t) => t.slice(1, 0, 3, 2).mul(t.narrow(1, 1, 2)),
      (t) => t.select(0, 1).mul(t.select(1, 0).sum()),
      (t) => t.flatten().squeeze().unsqueeze(0).mul(2),
    ];
    for (const fn of fns) expect(gradcheck(fn, [x])).toBe(true);
  });

  it('asStrided makes overlapping windows with correct gradients', () => {
    const x = tensor([1, 2, 3, 4, 5], { dtype: 'float64', requiresGrad: true });
    const w = x.asStrided([3, 3], [1, 1]);
    expect(w.tolistSync()).toEqual([[1, 2, 3], [2, 3, 4], [3, 4, 5]]);
    w.sum().backward();
    expect(x.grad!.tolistSync()).toEqual([1, 2, 3, 2, 1]);
    expect(gradcheck((t) => t.asStrided([2, 2], [2, 1], 1).square(), [x])).toBe(true);
  });
});
