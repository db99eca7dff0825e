import { describe, expect, it } from 'vitest';
import { tensor, randn, manualSeed, memory, tidy, gradcheck, gradgradcheck } from '@tensile/core';

describe('smoke', () => {
  it('adds and backprops', () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: 'float32', requiresGrad: true });
    const b = tensor([10, 20]);
    const c = a.add(b).mul(a).sum();
    c.backward();
    expect(c.itemSync()).toBe(11 + 44 + 39 + 96);
    expect(a.grad!.tolistSync()).toEqual([[12, 24], [16, 28]]);
  });
  it('matmul grad', () => {
    manualSeed(0);
    const a = randn([3, 4], { dtype: 'float64', requiresGrad: true });
    const b = randn([4, 2], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((x, y) => x.matmul(y).tanh(), [a, b])).toBe(true);
    expect(gradgradcheck((x, y) => x.matmul(y).tanh(), [a, b])).toBe(true);
  });
  it('tidy keeps memory flat', () => {
    const w = randn([4, 4], { requiresGrad: true });
    const x = randn([8, 4]);
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) tidy(() => { x.matmul(w).relu().sum().backward(); });
    const m1 = memory();
    for (let i = 0; i < 50; i++) tidy(() => { x.matmul(w).relu().sum().backward(); });
    expect(memory().numTensors).toBe(m1.numTensors);
    expect(memory().numBytes).toBe(m1.numBytes);
    expect(m1.numTensors).toBe(before + 1); // w.grad
  });
});
