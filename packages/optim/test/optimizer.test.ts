/** Optimizer base behaviour: param groups, zeroGrad, closures, checks, the fused-kernel hook. */
import { describe, expect, it } from 'vitest';
import { getBackend, memory, ones, tensor, tidy, type Tensor } from '@tensile/core';
import { Adam, RMSprop, SGD, type FusedOptimizerKernel } from '@tensile/optim';
import { param } from './support.js';

/** A leaf [w] with loss sum(w * w) / 2, so grad = w. */
function quadratic(values: number[]): Tensor {
  return param(tensor(values));
}
function backwardHalfSquare(...ps: Tensor[]): void {
  tidy(() => {
    let loss: Tensor | null = null;
    for (const p of ps) {
      const t = p.mul(p).sum().mul(0.5);
      loss = loss ? loss.add(t) : t;
    }
    loss!.backward();
  });
}
const values = (t: Tensor): number[] => Array.from(t.dataSync() as Float32Array);

describe('Optimizer', () => {
  it('param groups take the defaults and their own options; lr is mutable', () => {
    const a = quadratic([1, 2]), b = quadratic([3]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0], [0.5, 0.9]]);
    opt.paramGroups[0]!.lr = 1;
    backwardHalfSquare(a, b);
    opt.step();
    expect(values(a)).toEqual([0, 0]); // w - 1 * w
    expect(values(b)[0]).toBeCloseTo(1.5, 6); // 3 - 0.5 * 3
    for (const t of [a, b]) {
      t.grad?.dispose();
      t.dispose();
    }
  });

  it('addParamGroup adds a group with defaults; a parameter may not be in two groups', () => {
    const a = quadratic([1]), b = quadratic([2]);
    const opt = new Adam([a], { lr: 0.01, betas: [0.8, 0.9] });
    opt.addParamGroup({ params: [b], lr: 0.1 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.1, betas: [0.8, 0.9], eps: 1e-8 });
    expect(opt.paramGroups[1]!.betas).not.toBe(opt.paramGroups[0]!.betas);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one parameter group/);
    for (const t of [a, b]) t.dispose();
  });

  it('zeroGrad sets grads to null by default, or to zeros with setToNone: false', () => {
    const a = quadratic([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    backwardHalfSquare(a);
    opt.zeroGrad({ setToNone: false });
    expect(values(a.grad!)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    a.dispose();
  });

  it('step skips parameters without a gradient and returns the closure loss', () => {
    const a = quadratic([2]), b = quadratic([4]);
    const opt = new SGD([a, b], { lr: 0.5 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      return tidy(() => {
        const l = a.mul(a).sum().mul(0.5);
        l.backward();
        return l.itemSync();
      });
    });
    expect(loss).toBe(2);
    expect(values(a)).toEqual([1]);
    expect(values(b)).toEqual([4]);
    expect(opt.state.has(b)).toBe(false);
    for (const t of [a, b]) {
      t.grad?.dispose();
      t.dispose();
    }
  });

  it('maximize ascends the objective', () => {
    const a = quadratic([2]);
    const opt = new SGD([a], { lr: 0.5, maximize: true });
    backwardHalfSquare(a);
    opt.step();
    expect(values(a)).toEqual([3]);
    a.grad?.dispose();
    a.dispose();
  });

  it('refuses bad hyper-parameters, empty and non-leaf parameter lists', () => {
    const a = quadratic([1]);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new SGD([a], { lr: -1 })).toThrow(/invalid learning rate/);
    expect(() => new SGD([a], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new Adam([a], { betas: [1, 0.9] })).toThrow(/beta parameter at index 0/);
    expect(() => new RMSprop([a], { alpha: -1 })).toThrow(/alpha/);
    const nonLeaf = tidy(() => a.mul(2));
    expect(() => new SGD([nonLeaf], { lr: 0.1 })).toThrow(/non-leaf/);
    nonLeaf.dispose();
    a.dispose();
  });

  it('state tensors survive the tidy scope the first step runs in', () => {
    const a = quadratic([1, 2, 3]);
    const opt = new Adam([a], { lr: 0.1 });
    tidy(() => {
      backwardHalfSquare(a);
      opt.step();
    });
    const st = opt.state.get(a)!;
    expect((st.expAvg as Tensor).isDisposed).toBe(false);
    expect(values(st.expAvg as Tensor).map((v) => +v.toFixed(5))).toEqual([0.1, 0.2, 0.3]);
    const n = memory().numTensors;
    opt.dispose();
    expect(memory().numTensors).toBe(n - 2);
    a.grad?.dispose();
    a.dispose();
  });

  it('calls a fused backend kernel (backend.overrides[fusedName]) when the backend has one', () => {
    const a = quadratic([1, 2]);
    const backend = getBackend('js') as { overrides?: Record<string, unknown> };
    const prev = backend.overrides;
    const calls: Parameters<FusedOptimizerKernel>[] = [];
    backend.overrides = { ...prev, fusedAdam: ((entries, hyper) => void calls.push([entries, hyper])) as FusedOptimizerKernel };
    try {
      const opt = new Adam([a], { lr: 0.1 });
      backwardHalfSquare(a);
      const version = a.storage.version;
      opt.step();
      opt.step();
      expect(calls.length).toBe(2);
      const [entries, hyper] = calls[1]!;
      expect(entries.length).toBe(1);
      expect(entries[0]!.step).toBe(2);
      expect(Object.keys(entries[0]!.state).sort()).toEqual(['expAvg', 'expAvgSq']);
      expect(hyper).toMatchObject({ lr: 0.1, betas: [0.9, 0.999] });
      expect('params' in hyper).toBe(false);
      expect(a.storage.version).toBe(version + 2);
      expect(values(a)).toEqual([1, 2]); // the fake kernel did not update
      opt.dispose();
    } finally {
      backend.overrides = prev;
      if (prev === undefined) delete backend.overrides;
    }
    a.grad?.dispose();
    a.dispose();
  });

  it('SGD momentum buffer starts as a copy of the gradient, not an alias', () => {
    const a = param(ones([2]));
    const opt = new SGD([a], { lr: 0.1, momentum: 0.9 });
    backwardHalfSquare(a);
    opt.step();
    const buf = opt.state.get(a)!.momentumBuffer as Tensor;
    expect(buf.storage).not.toBe(a.grad!.storage);
    opt.dispose();
    a.grad?.dispose();
    a.dispose();
  });
});
