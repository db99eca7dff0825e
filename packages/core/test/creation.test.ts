import { describe, expect, it } from 'vitest';
import {
  arange,
  emptyLike,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  tensor,
  zeros,
  zerosLike,
} from '@tensile/core';

const vals = (t: { dataSync(): ArrayLike<number | bigint> }) => Array.from(t.dataSync(), Number);

describe('tensor()', () => {
  it('from nested arrays, scalars and typed arrays', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' });
    expect(a.shape).toEqual([2, 3]);
    expect(a.strides).toEqual([3, 1]);
    expect(a.tolistSync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const s = tensor(2.5);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.numel).toBe(1);
    expect(s.itemSync()).toBe(2.5);
    const f = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    expect(f.tolistSync()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tensor([], { dtype: 'float32' }).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('copies its input', () => {
    const src = new Float32Array([1, 2]);
    const t = tensor(src);
    src[0] = 99;
    expect(vals(t)).toEqual([1, 2]);
  });

  it('requiresGrad and device options', () => {
    const t = tensor([1, 2], { dtype: 'float64', requiresGrad: true, device: 'js-async' });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(t.device).toBe('js-async');
  });

  it('rejects ragged arrays, bad shapes and non-numbers', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array: expected length 2 at depth 1, got 1/);
    expect(() => tensor(new Float32Array(5), { shape: [2, 2] })).toThrow(/tensor: shape \[2, 2\] does not match 5 values/);
    expect(() => tensor(['a'] as never)).toThrow(/expected numbers or booleans, got string/);
  });

  it('casts values to the requested dtype', () => {
    expect(tensor([1.7, -1.7], { dtype: 'int64' }).tolistSync()).toEqual([1, -1]);
    expect(tensor([0, 2], { dtype: 'bool' }).tolistSync()).toEqual([false, true]);
    expect(tensor([1, 2], { dtype: 'float64' }).dtype).toBe('float64');
  });
});

describe('factories', () => {
  it('zeros / ones / full', () => {
    expect(zeros([2, 2]).tolistSync()).toEqual([[0, 0], [0, 0]]);
    expect(zeros([2]).dtype).toBe('float32');
    expect(ones([3], { dtype: 'int32' }).tolistSync()).toEqual([1, 1, 1]);
    expect(ones([]).shape).toEqual([]);
    expect(ones([0, 3]).numel).toBe(0);
    // JS cannot tell 7 from 7.0: a number fill gives the default float dtype; ask for integers explicitly
    expect(full([2], 7).dtype).toBe('float32');
    expect(full([2], 7).tolistSync()).toEqual([7, 7]);
    expect(full([2], 7, { dtype: 'int64' }).dtype).toBe('int64');
    expect(full([2], 0.5).dtype).toBe('float32');
    expect(full([2], true).dtype).toBe('bool');
    expect(full([2], 3, { dtype: 'float64' }).tolistSync()).toEqual([3, 3]);
    expect(() => zeros([2, -1])).toThrow(/full: invalid shape \[2, -1\]: sizes must be non-negative integers/);
    expect(() => zeros([1.5])).toThrow(/invalid shape/);
  });

  it('*Like factories copy shape, dtype and device', () => {
    const ref = tensor([[1, 2, 3]], { dtype: 'float64', device: 'js-async' });
    for (const t of [zerosLike(ref), onesLike(ref), fullLike(ref, 4), emptyLike(ref)]) {
      expect(t.shape).toEqual([1, 3]);
      expect(t.dtype).toBe('float64');
      expect(t.device).toBe('js-async');
      expect(t.requiresGrad).toBe(false);
    }
    const g = onesLike(tensor([1.5]), { requiresGrad: true, dtype: 'float16' });
    expect([g.dtype, g.requiresGrad]).toEqual(['float16', true]);
    expect(fullLike(tensor([1, 2], { dtype: 'int64' }), 9).tolistSync()).toEqual([9, 9]);
    expect(fullLike(tensor([1, 2], { dtype: 'int64' }), 9).dtype).toBe('int64');
  });

  it('arange', () => {
    const a = arange(5);
    expect(a.dtype).toBe('int64');
    expect(a.tolistSync()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 4).tolistSync()).toEqual([1, 2, 3]);
    expect(arange(10, 0, -3).tolistSync()).toEqual([10, 7, 4, 1]);
    const f = arange(0, 1, 0.25);
    expect(f.dtype).toBe('float32');
    expect(f.tolistSync()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0, 3, 1, { dtype: 'float64' }).dtype).toBe('float64');
    expect(arange(3, 3).shape).toEqual([0]);
    expect(arange(3, 0).shape).toEqual([0]);
    expect(() => arange(0, 1, 0)).toThrow(/arange: step must be nonzero/);
  });

  it('linspace hits both ends exactly', () => {
    expect(linspace(0, 1, 5).tolistSync()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(-1, 1, 1).tolistSync()).toEqual([-1]);
    expect(linspace(0, 1, 0).shape).toEqual([0]);
    const l = vals(linspace(0, 0.3, 4, { dtype: 'float64' }));
    expect(l[3]).toBe(0.3);
    expect(l[1]).toBeCloseTo(0.1, 15);
    expect(() => linspace(0, 1, -1)).toThrow(/linspace: number of steps must be non-negative/);
  });

  it('eye', () => {
    expect(eye(3).tolistSync()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).tolistSync()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(eye(2, 2, { dtype: 'int64' }).dtype).toBe('int64');
    expect(eye(0).shape).toEqual([0, 0]);
  });
});
