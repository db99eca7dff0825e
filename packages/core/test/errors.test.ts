import { describe, expect, it } from 'vitest';
import { add, cat, gather, indexSelect, matmul, ones, select, sum, tensor, transpose, squeeze, zeros } from '@tensile/core';

/** The message of the error fn throws (fails the test when it does not throw). */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the call to throw');
}

describe('error catalogue', () => {
  it('matmul shape mismatch names both shapes and the inner sizes', () => {
    expect(messageOf(() => matmul(ones([2, 3]), ones([4, 5])))).toBe('matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)');
    expect(messageOf(() => ones([3]).matmul(ones([4, 2])))).toBe('matmul: shapes [3] and [4, 2] cannot be multiplied (3 != 4)');
    expect(messageOf(() => ones([2, 2, 3]).matmul(ones([3, 3, 2])))).toMatch(/^matmul: shapes \[2\] and \[3\] cannot be broadcast together/);
    expect(messageOf(() => matmul(ones([2, 3]), ones([3, 2], { dtype: 'float64' })))).toBe(
      'matmul: expected both arguments to have the same dtype, but got float32 and float64',
    );
  });

  it('broadcasting mismatch in add names the op, both shapes and the dim', () => {
    expect(messageOf(() => add(ones([2, 3]), ones([4])))).toBe('add: shapes [2, 3] and [4] cannot be broadcast together (size 3 vs 4 at dim 1)');
    expect(messageOf(() => ones([2, 3]).mul(ones([3, 3])))).toBe('mul: shapes [2, 3] and [3, 3] cannot be broadcast together (size 2 vs 3 at dim 0)');
  });

  it('cat size mismatch names the dimension, the sizes and the shapes', () => {
    const m = messageOf(() => cat([ones([2, 3]), ones([2, 4])], 0));
    expect(m).toMatch(/^cat: sizes of tensors must match except in dimension 0/);
    expect(m).toContain('expected size 3 but got size 4 at dimension 1');
    expect(m).toContain('[2, 3], [2, 4]');
    expect(messageOf(() => cat([ones([2, 3]), ones([3])], 0))).toMatch(/^cat: .*same number of dimensions \(2 vs 1\)/);
  });

  it('out-of-range dims', () => {
    expect(messageOf(() => sum(ones([2, 3]), 2))).toBe('sum: dimension out of range (expected to be in range of [-2, 1], but got 2)');
    expect(messageOf(() => ones([2, 3]).sum(-3))).toBe('sum: dimension out of range (expected to be in range of [-2, 1], but got -3)');
    expect(messageOf(() => transpose(ones([2, 3]), 0, 5))).toBe('transpose: dimension out of range (expected to be in range of [-2, 1], but got 5)');
    expect(messageOf(() => squeeze(ones([2, 1]), 2))).toBe('squeeze: dimension out of range (expected to be in range of [-2, 1], but got 2)');
    expect(messageOf(() => ones([2]).unsqueeze(3))).toBe('unsqueeze: dimension out of range (expected to be in range of [-2, 1], but got 3)');
    expect(messageOf(() => ones([2]).size(1))).toMatch(/^size: dimension out of range/);
  });

  it('out-of-range indices', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' });
    expect(messageOf(() => gather(x, 1, tensor([[0, 3], [1, 2]], { dtype: 'int64' })))).toBe('gather: index 3 is out of bounds for dimension 1 with size 3');
    expect(messageOf(() => indexSelect(x, 0, tensor([0, 2], { dtype: 'int64' })))).toMatch(/^indexSelect: index 2 is out of bounds for dimension 0 with size 2/);
    expect(messageOf(() => select(x, 1, 3))).toBe('select: index 3 is out of bounds for dimension 1 with size 3');
    expect(messageOf(() => x.select(0, -3))).toBe('select: index -3 is out of bounds for dimension 0 with size 2');
  });

  it('wrong dtypes for index ops', () => {
    const x = ones([2, 3]);
    expect(messageOf(() => gather(x, 1, tensor([[0.0, 1.5]])))).toBe('gather: expected index to have dtype int64, but got float32');
    expect(messageOf(() => x.indexSelect(0, tensor([0.5])))).toMatch(/^indexSelect: expected index to have dtype int64( or int32)?, but got float32$/);
    expect(messageOf(() => x.gather(0, tensor([[true, false, true]])))).toBe('gather: expected index to have dtype int64, but got bool');
  });

  it('mixed devices in one op name both devices', () => {
    const a = ones([2]);
    const b = ones([2], { device: 'js-async' });
    expect(messageOf(() => a.add(b))).toBe('add: expected all tensors to be on the same device, but found tensors on js and js-async');
    expect(messageOf(() => b.mul(a))).toBe('mul: expected all tensors to be on the same device, but found tensors on js-async and js');
    expect(messageOf(() => ones([2, 2]).matmul(ones([2, 2], { device: 'js-async' })))).toMatch(/^matmul: .*on js and js-async$/);
  });

  it('unknown device and dtype', () => {
    expect(messageOf(() => zeros([2], { device: 'nope' }))).toMatch(/^device 'nope' is not registered \(known: .*js.*\); import its package/);
    expect(messageOf(() => zeros([2], { dtype: 'float8' as never }))).toMatch(/^full: unknown dtype "float8"; expected one of float32/);
  });

  it('backward() on a non-scalar without a gradient', () => {
    const x = ones([3], { requiresGrad: true });
    expect(messageOf(() => x.mul(2).backward())).toBe(
      'backward: grad can be implicitly created only for scalar outputs (got an output of shape [3]); pass a gradient',
    );
    expect(messageOf(() => x.mul(2).backward(ones([2])))).toBe('backward: mismatch in shape: grad output has shape [2] and output has shape [3]');
    expect(messageOf(() => ones([1]).sum().backward())).toBe('backward: element 0 of tensors does not require grad and does not have a gradFn');
  });

  it('use of a disposed tensor names the op, the tensor and its shape', () => {
    const t = ones([2, 2]);
    t.dispose();
    expect(messageOf(() => t.add(1))).toMatch(/^add: tensor #\d+ of shape \[2, 2\] was disposed and cannot be used$/);
    expect(messageOf(() => t.view(4))).toMatch(/^view: tensor #\d+ .*disposed/);
  });

  it('in-place change of a tensor saved for backward', () => {
    const w = ones([2], { requiresGrad: true });
    const a = w.mul(3);
    const y = a.sigmoid().mul(a); // saves a
    a.mul_(2);
    expect(messageOf(() => y.sum().backward())).toMatch(
      /^one of the variables needed for gradient computation has been modified by an inplace operation: MulBackward saved a float32 tensor of shape \[2\] at version 0; it is now at version 1/,
    );
  });

  it('in-place on a leaf requiring grad, on a view of one, and on a bad shape', () => {
    const w = ones([2, 2], { requiresGrad: true });
    expect(messageOf(() => w.add_(1))).toMatch(/^add_: a leaf Variable that requires grad is being used in an in-place operation/);
    const h = w.mul(1);
    expect(messageOf(() => h.select(0, 0).add_(1))).toMatch(/^add_: in-place operations on a view of a tensor that requires grad/);
    expect(messageOf(() => ones([2]).add_(ones([3, 2])))).toBe("add_: output with shape [2] doesn't match the broadcast shape [3, 2]");
    expect(messageOf(() => ones([2], { dtype: 'int32' }).add_(1.5))).toBe("add_: result type float32 can't be cast to the desired output type int32");
  });

  it('view on incompatible strides and reshape to a bad size', () => {
    expect(messageOf(() => ones([2, 3]).t().view(6))).toMatch(/^view: size is not compatible with input tensor's size and stride.*use reshape\(\) instead/);
    expect(messageOf(() => ones([2, 3]).reshape(4, -1))).toBe('reshape: shape [4, -1] is invalid for input of size 6');
    expect(messageOf(() => ones([2, 3]).view(-1, -1))).toMatch(/^view: only one dimension can be inferred/);
  });

  it('dataSync on an async-only device', () => {
    expect(messageOf(() => ones([2], { device: 'js-async' }).dataSync())).toMatch(/^dataSync: device 'js-async' has no synchronous reads; use await t.data\(\)/);
  });

  it('item on a multi-element tensor', () => {
    expect(messageOf(() => ones([2, 2]).itemSync())).toBe('itemSync: a Tensor with 4 elements (shape [2, 2]) cannot be converted to a scalar');
  });
});
