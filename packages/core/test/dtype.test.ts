import { describe, expect, it } from 'vitest';
import {
  type DType,
  ones,
  promoteTypes,
  resultType,
  roundBFloat16,
  roundFloat16,
  setDefaultDtype,
  getDefaultDtype,
  tensor,
  zeros,
  full,
} from '@tensile/core';

const t = (dtype: DType, shape: number[] = [2]) => ones(shape, { dtype });
const scalar0d = (dtype: DType) => full([], 1, { dtype });

describe('type promotion (torch.result_type)', () => {
  const cases: [string, () => DType, DType][] = [
    ['int64 + float32 -> float32', () => t('int64').add(t('float32')).dtype, 'float32'],
    ['int32 + int64 -> int64', () => t('int32').add(t('int64')).dtype, 'int64'],
    ['uint8 + int32 -> int32', () => t('uint8').add(t('int32')).dtype, 'int32'],
    ['bool + int scalar -> int64', () => t('bool').add(3).dtype, 'int64'],
    ['bool + int64 tensor -> int64', () => t('bool').add(t('int64')).dtype, 'int64'],
    ['bool + bool (logical) -> bool', () => t('bool').add(t('bool')).dtype, 'bool'],
    ['float16 + bfloat16 -> float32', () => t('float16').add(t('bfloat16')).dtype, 'float32'],
    ['float16 + float32 -> float32', () => t('float16').add(t('float32')).dtype, 'float32'],
    ['float32 + float64 -> float64', () => t('float32').add(t('float64')).dtype, 'float64'],
    ['0-d float64 + float32 tensor -> float32', () => scalar0d('float64').add(t('float32')).dtype, 'float32'],
    ['float16 tensor + 0-d float64 -> float16', () => t('float16').add(scalar0d('float64')).dtype, 'float16'],
    ['int32 tensor + 0-d int64 -> int32', () => t('int32').mul(scalar0d('int64')).dtype, 'int32'],
    ['int64 tensor + 0-d float64 -> float64 (higher category keeps its dtype)', () => t('int64').add(scalar0d('float64')).dtype, 'float64'],
    ['0-d tensors promote among themselves', () => scalar0d('int32').add(scalar0d('float64')).dtype, 'float64'],
    ['float32 tensor + JS float -> float32', () => t('float32').add(2.5).dtype, 'float32'],
    ['float16 tensor + JS float -> float16', () => t('float16').mul(0.1).dtype, 'float16'],
    ['float64 tensor + JS int -> float64', () => t('float64').add(2).dtype, 'float64'],
    ['int64 tensor + 2.5 -> float32', () => t('int64').add(2.5).dtype, 'float32'],
    ['int32 tensor + 2.5 -> float32', () => t('int32').add(2.5).dtype, 'float32'],
    ['int32 tensor + 7 -> int32', () => t('int32').add(7).dtype, 'int32'],
    ['uint8 tensor + 300 -> uint8', () => t('uint8').add(300).dtype, 'uint8'],
    ['int tensor + true -> int64', () => t('int64').add(true).dtype, 'int64'],
    ['int64 / int64 -> float32', () => t('int64').div(t('int64')).dtype, 'float32'],
    ['int32 / 2 -> float32', () => t('int32').div(2).dtype, 'float32'],
    ['float64 / int -> float64', () => t('float64').div(t('int64')).dtype, 'float64'],
    ['int floor division stays int', () => t('int64').div(2, { roundingMode: 'floor' }).dtype, 'int64'],
    ['comparison -> bool', () => t('float32').lt(t('float64')).dtype, 'bool'],
    ['comparison with scalar -> bool', () => t('int64').eq(1.5).dtype, 'bool'],
    ['sum of bool -> int64', () => t('bool').sum().dtype, 'int64'],
    ['sum of int32 -> int64', () => t('int32').sum().dtype, 'int64'],
    ['sum of float16 -> float16', () => t('float16').sum().dtype, 'float16'],
    ['exp of int -> float32', () => t('int64').exp().dtype, 'float32'],
    ['neg of int stays int', () => t('int32').neg().dtype, 'int32'],
    ['where(cond, int, float) -> float32', () => t('bool').where(t('bool'), 1.5).dtype, 'float32'],
  ];
  for (const [name, fn, expected] of cases) it(name, () => expect(fn()).toBe(expected));

  it('promoteTypes / resultType directly', () => {
    expect(promoteTypes('uint8', 'bool')).toBe('uint8');
    expect(promoteTypes('bfloat16', 'float16')).toBe('float32');
    expect(promoteTypes('bfloat16', 'int64')).toBe('bfloat16');
    expect(resultType([{ dtype: 'int32', kind: 'dim' }, { dtype: 'float64', kind: 'scalar' }])).toBe('float32');
    expect(resultType([{ dtype: 'bool', kind: 'dim' }, { dtype: 'bool', kind: 'scalar' }])).toBe('bool');
  });

  it('the default dtype drives float scalars and new float tensors', () => {
    expect(getDefaultDtype()).toBe('float32');
    setDefaultDtype('float64');
    try {
      expect(t('int64').add(2.5).dtype).toBe('float64');
      expect(tensor([1.5]).dtype).toBe('float64');
      expect(zeros([1]).dtype).toBe('float64');
      expect(t('float32').add(2.5).dtype).toBe('float32');
    } finally {
      setDefaultDtype('float32');
    }
    expect(() => setDefaultDtype('int32')).toThrow(/only floating dtypes/);
  });

  it('promoted values are right', () => {
    expect(tensor([1, 2, 3], { dtype: 'int64' }).add(0.5).tolistSync()).toEqual([1.5, 2.5, 3.5]);
    expect(tensor([7, -7], { dtype: 'int64' }).div(2).tolistSync()).toEqual([3.5, -3.5]);
    expect(tensor([7, -7], { dtype: 'int64' }).div(2, { roundingMode: 'trunc' }).tolistSync()).toEqual([3, -3]);
    expect(tensor([7, -7], { dtype: 'int64' }).div(2, { roundingMode: 'floor' }).tolistSync()).toEqual([3, -4]);
    expect(tensor([true, false, true]).sum().itemSync()).toBe(2);
    expect(tensor([true, false]).add(tensor([true, true])).tolistSync()).toEqual([true, true]);
    expect(tensor([250], { dtype: 'uint8' }).add(10).tolistSync()).toEqual([4]); // wraps as uint8
  });
});

describe('tensor() dtype inference', () => {
  it('numbers give the default float dtype (JS cannot tell 1 from 1.0)', () => {
    expect(tensor([1, 2]).dtype).toBe('float32');
    expect(tensor([1, 2]).tolistSync()).toEqual([1, 2]);
    expect(tensor([1, 2.5]).dtype).toBe('float32');
    expect(tensor(3).dtype).toBe('float32');
    expect(tensor(3.5).shape).toEqual([]);
    setDefaultDtype('float64');
    try {
      expect(tensor([1, 2]).dtype).toBe('float64');
      expect(full([2], 7).dtype).toBe('float64');
    } finally {
      setDefaultDtype('float32');
    }
  });
  it('booleans give bool; bigint values and typed arrays give their dtype; an explicit dtype wins', () => {
    expect(tensor([true]).dtype).toBe('bool');
    expect(full([2], true).dtype).toBe('bool');
    const b = tensor([3n, -4n] as unknown as number[]);
    expect(b.dtype).toBe('int64');
    expect(b.tolistSync()).toEqual([3, -4]);
    expect(tensor([1, 2], { dtype: 'int64' }).dtype).toBe('int64');
    expect(tensor(3, { dtype: 'int32' }).dtype).toBe('int32');
    expect(full([2], 7, { dtype: 'int64' }).tolistSync()).toEqual([7, 7]);
    expect(tensor([1.5], { dtype: 'int64' }).tolistSync()).toEqual([1]);
    expect(tensor(new Float64Array([1]))).toHaveProperty('dtype', 'float64');
    expect(tensor(new Int32Array([1]))).toHaveProperty('dtype', 'int32');
    expect(tensor(new BigInt64Array([1n]))).toHaveProperty('dtype', 'int64');
    expect(tensor(new Float32Array([1]))).toHaveProperty('dtype', 'float32');
  });
});

describe('half-precision storage', () => {
  it('float16 rounds to nearest even, saturates to inf, keeps subnormals', () => {
    const x = tensor([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 0.1, -2.5], { dtype: 'float16' });
    expect(Array.from(x.dataSync() as Float32Array)).toEqual([1, 1 + 2 ** -9, 65504, 65504, Infinity, 2 ** -24, 0, 2 ** -24, 0.0999755859375, -2.5]);
    expect(x.dataSync()).toBeInstanceOf(Float32Array);
  });

  it('bfloat16 rounds to nearest even', () => {
    const x = tensor([1 + 2 ** -8, 1 + 3 * 2 ** -8, 0.1, 3.14159, -1e30], { dtype: 'bfloat16' });
    const v = Array.from(x.dataSync() as Float32Array);
    expect(v.slice(0, 4)).toEqual([1, 1.015625, 0.10009765625, 3.140625]);
    expect(v[4]).toBe(roundBFloat16(-1e30));
    expect(Math.abs(v[4]! + 1e30) / 1e30).toBeLessThan(2 ** -8);
  });

  it('arithmetic results are rounded to the storage dtype', () => {
    const a = tensor([1], { dtype: 'float16' });
    // 1 + 2^-11 is not representable in float16: the sum rounds back to 1
    expect(a.add(2 ** -11).itemSync()).toBe(1);
    expect(tensor([1], { dtype: 'bfloat16' }).add(2 ** -9).itemSync()).toBe(1);
    expect(tensor([1], { dtype: 'float32' }).add(2 ** -11).itemSync()).toBe(1 + 2 ** -11);
    expect(tensor([0.1], { dtype: 'float16' }).mul(3).itemSync()).toBe(roundFloat16(roundFloat16(0.1) * 3));
  });

  it('casts between float dtypes round', () => {
    const x = tensor([0.1, 1 / 3], { dtype: 'float64' });
    expect(Array.from(x.half().dataSync() as Float32Array)).toEqual([roundFloat16(0.1), roundFloat16(1 / 3)]);
    expect(Array.from(x.to('bfloat16').dataSync() as Float32Array)).toEqual([roundBFloat16(0.1), roundBFloat16(1 / 3)]);
    expect(x.half().dtype).toBe('float16');
  });

  it('roundFloat16 and roundBFloat16 helpers', () => {
    expect(roundFloat16(NaN)).toBeNaN();
    expect(roundFloat16(-0)).toBe(-0);
    expect(roundFloat16(2049)).toBe(2048);
    expect(roundFloat16(2051)).toBe(2052);
    expect(roundBFloat16(Infinity)).toBe(Infinity);
    expect(roundBFloat16(NaN)).toBeNaN();
    expect(roundBFloat16(257)).toBe(256);
    expect(roundBFloat16(259)).toBe(260);
  });
});

describe('integer and bool storage', () => {
  it('int64 data() is a BigInt64Array', async () => {
    const x = tensor([1, -2, 2 ** 40], { dtype: 'int64' });
    const d = await x.data();
    expect(d).toBeInstanceOf(BigInt64Array);
    expect(Array.from(d as BigInt64Array)).toEqual([1n, -2n, 2n ** 40n]);
    expect(x.dataSync()).toBeInstanceOf(BigInt64Array);
    expect(x.tolistSync()).toEqual([1, -2, 2 ** 40]);
    expect(x.sum().itemSync()).toBe(2 ** 40 - 1);
  });

  it('int64 from a BigInt64Array round-trips', () => {
    const x = tensor(new BigInt64Array([5n, -9n]));
    expect(Array.from(x.dataSync() as BigInt64Array)).toEqual([5n, -9n]);
  });

  it('typed arrays per dtype', () => {
    expect(ones([1], { dtype: 'float64' }).dataSync()).toBeInstanceOf(Float64Array);
    expect(ones([1], { dtype: 'int32' }).dataSync()).toBeInstanceOf(Int32Array);
    expect(ones([1], { dtype: 'uint8' }).dataSync()).toBeInstanceOf(Uint8Array);
    expect(ones([1], { dtype: 'bool' }).dataSync()).toBeInstanceOf(Uint8Array);
    expect(ones([1], { dtype: 'bfloat16' }).dataSync()).toBeInstanceOf(Float32Array);
  });

  it('casts truncate toward zero and bool casts test for nonzero', () => {
    const x = tensor([-1.7, -0.5, 0, 0.5, 2.9]);
    expect(x.long().tolistSync()).toEqual([-1, 0, 0, 0, 2]);
    expect(x.int().tolistSync()).toEqual([-1, 0, 0, 0, 2]);
    expect(x.bool().tolistSync()).toEqual([true, true, false, true, true]);
    expect(tensor([true, false]).float().tolistSync()).toEqual([1, 0]);
  });

  it('int32 arithmetic wraps like int32', () => {
    const x = tensor([2 ** 31 - 1], { dtype: 'int32' });
    expect(x.add(1).itemSync()).toBe(-(2 ** 31));
  });
});
