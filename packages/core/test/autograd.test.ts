import { describe, expect, it } from 'vitest';
import {
  Tensor,
  backward,
  customFunction,
  enableGrad,
  grad,
  gradcheck,
  gradgradcheck,
  isGradEnabled,
  manualSeed,
  noGrad,
  randn,
  tensor,
  tidy,
} from '@tensile/core';

const f64 = (data: number[] | number[][], requiresGrad = true): Tensor => tensor(data, { dtype: 'float64', requiresGrad });
const vals = (t: Tensor | null): number[] => Array.from(t!.dataSync() as ArrayLike<number>, Number);
const close = (t: Tensor | null, expected: number[], digits = 10): void => {
  const v = vals(t);
  expect(v.length).toBe(expected.length);
  v.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, digits));
};

describe('backward', () => {
  it('backward on a scalar fills leaf gradients', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(x).sum();
    expect(y.shape).toEqual([]);
    y.backward();
    close(x.grad, [2, 4, 6]);
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.grad!.gradFn).toBeNull();
  });

  it('backward with an explicit gradient on a non-scalar', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(3);
    y.backward(tensor([1, 10, 100], { dtype: 'float64' }));
    close(x.grad, [3, 30, 300]);
  });

  it('the free function backward() takes several roots', () => {
    const x = f64([1, 2]);
    backward([x.sum(), x.mul(x).sum()]);
    close(x.grad, [3, 5]);
  });

  it('gradients accumulate across two backward calls', () => {
    const x = f64([1, 2, 3]);
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    close(x.grad, [4, 8, 12]);
    // zeroing the gradient the PyTorch way
    x.grad!.dispose();
    x.grad = null;
    x.mul(2).sum().backward();
    close(x.grad, [2, 2, 2]);
  });

  it('a tensor used twice gets the sum of both paths', () => {
    const x = f64([2]);
    const y = x.mul(x).add(x.mul(3)); // x^2 + 3x
    y.sum().backward();
    close(x.grad, [7]);
  });

  it('retainGraph allows a second backward; without it the second backward throws clearly', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    close(x.grad, [4, 8, 12]);
    expect(() => y.backward()).toThrow(/backward through the graph a second time.*retainGraph: true/s);
  });

  it('the second-backward error also comes through a saved tensor of a node', () => {
    const x = f64([1, 2]);
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/second time/);
  });
});

describe('autograd.grad', () => {
  it('returns gradients without touching .grad', () => {
    const x = f64([1, 2, 3]);
    const y = x.pow(3).sum();
    const [g] = grad(y, x);
    close(g!, [3, 12, 27]);
    expect(x.grad).toBeNull();
    expect(g!.requiresGrad).toBe(false);
  });

  it('allowUnused: throws without it, returns null with it', () => {
    const x = f64([1, 2]);
    const z = f64([5, 6]);
    const y = x.mul(2).sum();
    expect(() => grad(y, [x, z], null, { retainGraph: true })).toThrow(/input 1.*not have been used in the graph.*allowUnused/);
    const [gx, gz] = grad(y, [x, z], null, { allowUnused: true });
    close(gx!, [2, 2]);
    expect(gz).toBeNull();
  });

  it('createGraph gives differentiable gradients (second derivative)', () => {
    const x = f64([1, 2, 3]);
    const y = x.pow(3).sum();
    const [g] = grad(y, x, null, { createGraph: true });
    expect(g!.requiresGrad).toBe(true);
    close(g!, [3, 12, 27]);
    g!.sum().backward();
    close(x.grad, [6, 12, 18]); // d/dx sum(3x^2) = 6x
  });

  it('grad of grad through autograd.grad twice', () => {
    const x = f64([0.5, -1.5]);
    const y = x.sin().sum();
    const [g] = grad(y, x, null, { createGraph: true }); // cos x
    const [gg] = grad(g!.sum(), x); // -sin x
    close(gg!, [-Math.sin(0.5), -Math.sin(-1.5)]);
  });

  it('gradOutputs for a non-scalar output', () => {
    const x = f64([1, 2]);
    const y = x.mul(x);
    const [g] = grad(y, x, tensor([1, -1], { dtype: 'float64' }));
    close(g!, [2, -4]);
  });

  it('an input that does not require grad is refused', () => {
    const x = f64([1], false);
    const w = f64([1]);
    expect(() => grad(x.mul(w).sum(), x)).toThrow(/input 0 does not require grad/);
  });
});

describe('double backward (gradgradcheck, float64)', () => {
  manualSeed(1);
  const a = (shape: number[]) => randn(shape, { dtype: 'float64', requiresGrad: true });
  const pos = (shape: number[]) => noGrad(() => randn(shape, { dtype: 'float64' }).abs().add(0.5)).requiresGrad_(true);

  const unary: [string, (x: Tensor) => Tensor, boolean][] = [
    ['exp', (x) => x.exp(), false],
    ['log', (x) => x.log(), true],
    ['sqrt', (x) => x.sqrt(), true],
    ['rsqrt', (x) => x.rsqrt(), true],
    ['sin', (x) => x.sin(), false],
    ['cos', (x) => x.cos(), false],
    ['tanh', (x) => x.tanh(), false],
    ['sigmoid', (x) => x.sigmoid(), false],
    ['reciprocal', (x) => x.reciprocal(), true],
    ['square', (x) => x.square(), false],
    ['erf', (x) => x.erf(), false],
    ['neg', (x) => x.neg(), false],
    ['log1p', (x) => x.log1p(), true],
    ['expm1', (x) => x.expm1(), false],
    ['atan', (x) => x.atan(), false],
  ];
  for (const [name, fn, positive] of unary) {
    it(`${name}`, () => {
      const x = positive ? pos([2, 3]) : a([2, 3]);
      expect(gradcheck(fn, [x])).toBe(true);
      expect(gradgradcheck(fn, [x])).toBe(true);
    });
  }

  const binary: [string, (x: Tensor, y: Tensor) => Tensor][] = [
    ['add (broadcast)', (x, y) => x.add(y)],
    ['sub (broadcast)', (x, y) => x.sub(y)],
    ['mul (broadcast)', (x, y) => x.mul(y)],
    ['div (broadcast)', (x, y) => x.div(y)],
    ['pow', (x, y) => x.pow(y)],
    ['atan2', (x, y) => x.atan2(y)],
  ];
  for (const [name, fn] of binary) {
    it(`${name}`, () => {
      const x = pos([2, 3]);
      const y = name === 'pow' ? a([2, 3]) : pos([3]);
      expect(gradcheck(fn, [x, y])).toBe(true);
      expect(gradgradcheck(fn, [x, y])).toBe(true);
    });
  }

  it('pow with a scalar exponent and a composite (x * sin(x) / (1 + x^2))', () => {
    const x = a([4]);
    const fn = (t: Tensor) => t.mul(t.sin()).div(t.square().add(1));
    expect(gradgradcheck((t) => t.pow(3), [x])).toBe(true);
    expect(gradgradcheck(fn, [x])).toBe(true);
  });

  it('matmul (2-D, batched, matrix-vector)', () => {
    const p = a([3, 4]), q = a([4, 2]);
    expect(gradcheck((x, y) => x.matmul(y), [p, q])).toBe(true);
    expect(gradgradcheck((x, y) => x.matmul(y), [p, q])).toBe(true);
    const bp = a([2, 2, 3]), bq = a([3, 2]);
    expect(gradgradcheck((x, y) => x.matmul(y), [bp, bq])).toBe(true);
    const v = a([4]);
    expect(gradgradcheck((x, y) => x.matmul(y), [p, v])).toBe(true);
  });

  it('matmul followed by a nonlinearity and a reduction', () => {
    const p = a([2, 3]), q = a([3, 2]);
    expect(gradgradcheck((x, y) => x.matmul(y).tanh().mul(x.sum()).sum(), [p, q])).toBe(true);
  });
});

describe('hooks', () => {
  it('a hook on a leaf sees the gradient and can replace it', () => {
    const x = f64([1, 2]);
    const seen: number[][] = [];
    const h = x.registerHook((g) => {
      seen.push(vals(g));
      return g.mul(10);
    });
    x.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3]]);
    close(x.grad, [30, 30]);
    h.remove();
    x.mul(3).sum().backward();
    close(x.grad, [33, 33]);
  });

  it('a hook returning nothing leaves the gradient unchanged', () => {
    const x = f64([1, 2]);
    let called = 0;
    x.registerHook(() => void called++);
    x.mul(2).sum().backward();
    expect(called).toBe(1);
    close(x.grad, [2, 2]);
  });

  it('a hook on a non-leaf changes what flows to earlier nodes', () => {
    const x = f64([1, 2]);
    const y = x.mul(x); // dy/dx = 2x
    const seen: number[][] = [];
    y.registerHook((g) => {
      seen.push(vals(g));
      return g.mul(-1);
    });
    y.mul(5).sum().backward();
    expect(seen).toEqual([[5, 5]]);
    close(x.grad, [-10, -20]);
  });

  it('registerHook on a tensor that does not require grad throws', () => {
    expect(() => tensor([1, 2]).registerHook(() => undefined)).toThrow(/does not require grad/);
  });
});

describe('retainGrad, detach, requiresGrad', () => {
  it('retainGrad keeps the gradient of a non-leaf', () => {
    const x = f64([1, 2]);
    const y = x.mul(3);
    const z = y.mul(y);
    y.retainGrad();
    z.sum().backward();
    close(y.grad, [6, 12]);
    close(x.grad, [18, 36]);
    expect(z.grad).toBeNull(); // non-leaf without retainGrad
  });

  it('retainGrad accumulates over backward calls', () => {
    const x = f64([1]);
    const y = x.mul(2);
    y.retainGrad();
    y.sum().backward(null, { retainGraph: true });
    y.sum().backward();
    close(y.grad, [2]);
  });

  it('detach shares storage, has no history and does not require grad', () => {
    const x = f64([1, 2]);
    const y = x.mul(2);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.isLeaf).toBe(true);
    expect(d.storage).toBe(y.storage);
    // gradients do not flow through the detached branch
    y.add(d).sum().backward();
    close(x.grad, [2, 2]);
  });

  it('detach_ makes a non-leaf a leaf that does not require grad', () => {
    const x = f64([1, 2]);
    const y = x.mul(2);
    y.detach_();
    expect(y.isLeaf).toBe(true);
    expect(y.requiresGrad).toBe(false);
  });

  it('requiresGrad_ rules', () => {
    const t = tensor([1.5, 2]);
    expect(t.requiresGrad).toBe(false);
    expect(t.requiresGrad_()).toBe(t);
    expect(t.requiresGrad).toBe(true);
    t.requiresGrad_(false);
    expect(t.requiresGrad).toBe(false);
    t.requiresGrad = true;
    expect(t.requiresGrad).toBe(true);
    expect(() => tensor([1, 2], { dtype: 'int64' }).requiresGrad_()).toThrow(/only tensors of floating point dtype can require gradients, got int64/);
    expect(() => tensor([true]).requiresGrad_()).toThrow(/got bool/);
    const y = t.mul(2);
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(() => y.requiresGrad_(false)).toThrow(/only change requiresGrad flags of leaf tensors.*detach/);
    expect(y.requiresGrad_(true)).toBe(y);
    // ops on tensors that do not require grad record nothing
    const z = tensor([1.5]).mul(2);
    expect(z.requiresGrad).toBe(false);
    expect(z.gradFn).toBeNull();
  });

  it('int results of float inputs carry no gradient', () => {
    const x = f64([1.5, -2]);
    const c = x.gt(0);
    expect(c.dtype).toBe('bool');
    expect(c.requiresGrad).toBe(false);
    expect(x.argmax().requiresGrad).toBe(false);
  });
});

describe('grad mode', () => {
  it('noGrad records nothing; enableGrad inside re-enables', () => {
    const x = f64([1, 2]);
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => {
        expect(isGradEnabled()).toBe(true);
        return x.mul(2);
      });
      expect(inner.requiresGrad).toBe(true);
      return x.mul(3);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('grad mode is restored after an exception', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('async functions are refused', () => {
    expect(() => noGrad(async () => 1)).toThrow(/synchronous/);
    expect(isGradEnabled()).toBe(true);
  });
});

describe('customFunction', () => {
  const cube = customFunction('Cube', {
    forward(ctx, x: Tensor) {
      ctx.saveForBackward(x);
      return x.mul(x).mul(x);
    },
    backward(ctx, g) {
      const [x] = ctx.savedTensors;
      return [g.mul(x!.mul(x!).mul(3))];
    },
  });

  it('forward runs without recording; backward uses saved tensors', () => {
    const x = f64([1, 2, -1]);
    const y = cube(x) as Tensor;
    expect(y.gradFn!.name).toBe('Cube');
    close(y, [1, 8, -1]);
    y.sum().backward();
    close(x.grad, [3, 12, 3]);
  });

  it('passes gradcheck and gradgradcheck (backward built from differentiable ops)', () => {
    const x = f64([0.3, -1.2, 2]);
    expect(gradcheck((t) => cube(t) as Tensor, [x])).toBe(true);
    expect(gradgradcheck((t) => cube(t) as Tensor, [x])).toBe(true);
  });

  it('non-tensor arguments get null gradients and can be stored on ctx', () => {
    const scale = customFunction('Scale', {
      forward(ctx, x: Tensor, k: number) {
        ctx.k = k;
        return x.mul(k);
      },
      backward(ctx, g) {
        return [g.mul(ctx.k as number), null];
      },
    });
    const x = f64([1, 2]);
    (scale(x, 4) as Tensor).sum().backward();
    close(x.grad, [4, 4]);
  });

  it('multiple inputs and outputs', () => {
    const sumDiff = customFunction('SumDiff', {
      forward(_ctx, a: Tensor, b: Tensor) {
        return [a.add(b), a.sub(b)];
      },
      backward(_ctx, gs, gd) {
        return [gs!.add(gd!), gs!.sub(gd!)];
      },
    });
    const a = f64([1, 2]), b = f64([3, 4]);
    const [s, d] = sumDiff(a, b) as Tensor[];
    s!.mul(2).add(d!.mul(5)).sum().backward();
    close(a.grad, [7, 7]);
    close(b.grad, [-3, -3]);
  });

  it('modifying a tensor saved by ctx.saveForBackward is detected', () => {
    const x = f64([1, 2]);
    const h = x.mul(1);
    const y = cube(h) as Tensor;
    noGrad(() => h.add_(1));
    expect(() => y.sum().backward()).toThrow(/modified by an inplace operation/);
  });
});

describe('in-place ops and version counters', () => {
  it('modifying a tensor saved for backward raises at backward()', () => {
    const x = f64([1, 2, 3]);
    const a = x.mul(2);
    const b = a.mul(a); // saves a
    const v0 = a.storage.version;
    a.add_(1);
    expect(a.storage.version).toBe(v0 + 1);
    expect(() => b.sum().backward()).toThrow(
      /one of the variables needed for gradient computation has been modified by an inplace operation: MulBackward saved a float64 tensor of shape \[3\] at version 0; it is now at version 1/,
    );
  });

  it('the version check sees writes through views of the saved tensor', () => {
    const x = f64([1, 2, 3, 4]);
    const a = x.exp();
    const b = a.sin(); // saves a
    noGrad(() => a.slice(0, 1, 3).fill_(0));
    expect(() => b.sum().backward()).toThrow(/modified by an inplace operation/);
  });

  it('in-place on a leaf that requires grad throws; under noGrad it is allowed', () => {
    const x = f64([1, 2]);
    expect(() => x.add_(1)).toThrow(/add_: a leaf Variable that requires grad is being used in an in-place operation/);
    expect(() => x.mul_(2)).toThrow(/leaf Variable/);
    expect(() => x.zero_()).toThrow(/leaf Variable/);
    expect(() => x.copy_(f64([3, 4], false))).toThrow(/leaf Variable/);
    close(x, [1, 2]); // nothing was written
    noGrad(() => x.add_(1));
    close(x, [2, 3]);
    expect(x.isLeaf).toBe(true);
    expect(x.requiresGrad).toBe(true);
  });

  it('in-place on a non-leaf works and its gradient is right', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(x); // x^2
    y.add_(x); // x^2 + x
    y.mul_(2); // 2x^2 + 2x
    expect(y.isLeaf).toBe(false);
    close(y, [4, 12, 24]);
    y.sum().backward();
    close(x.grad, [6, 10, 14]); // 4x + 2
  });

  it('in-place unary ops on a non-leaf chain correctly', () => {
    const x = f64([0.5, -0.25]);
    const y = x.mul(1);
    y.tanh_();
    y.exp_();
    y.sum().backward();
    const expected = [0.5, -0.25].map((v) => Math.exp(Math.tanh(v)) * (1 - Math.tanh(v) ** 2));
    close(x.grad, expected);
  });

  it('an in-place op on a tensor not requiring grad with a grad-requiring operand joins the graph', () => {
    const w = f64([2, 3]);
    const buf = tensor([1, 1], { dtype: 'float64' });
    buf.mul_(w);
    expect(buf.requiresGrad).toBe(true);
    buf.sum().backward();
    close(w.grad, [1, 1]);
  });

  it('gradcheck through an in-place op', () => {
    const x = f64([0.2, 0.7, -0.4]);
    expect(gradcheck((t) => {
      const y = t.mul(t);
      y.exp_();
      return y.add_(t);
    }, [x])).toBe(true);
  });

  it('backward after tidy released the graph throws clearly', () => {
    const x = f64([1, 2]);
    let y: Tensor | undefined;
    tidy(() => {
      const h = x.exp();
      y = h.sum();
      return h; // y is not returned: its node is released
    });
    expect(() => y!.backward()).toThrow(/disposed|second time|freed/);
  });
});
