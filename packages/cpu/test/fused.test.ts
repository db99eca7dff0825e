// The cpu backend's fused overrides (softmax, logSoftmax, layerNorm, gelu, embedding,
// crossEntropy: native/softmax.cc, norm.cc, loss.cc, embedding.cc) against the JS backend's
// composites on the same random data: values and gradients through core, on contiguous and
// strided inputs, float32 and float64, plus gradcheck of the core-written backwards on cpu.
import '@tensile/cpu';
import {
  crossEntropy,
  embedding,
  gelu,
  getBackend,
  gradcheck,
  gradgradcheck,
  layerNorm,
  logSoftmax,
  softmax,
  tensor,
  type DType,
  type Tensor,
} from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../config/testing/random.js';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The same random values on cpu and js (scale: spread of the values). */
function pair(shape: number[], dtype: DType, seed: number, scale = 4, requiresGrad = false): [Tensor, Tensor] {
  const r = rng(seed);
  const v = Array.from({ length: numel(shape) }, () => (r() - 0.5) * 2 * scale);
  return [
    tensor(v, { dtype, device: 'cpu', requiresGrad }).reshape(shape),
    tensor(v, { dtype, device: 'js', requiresGrad }).reshape(shape),
  ];
}

function leaf(t: Tensor): Tensor {
  return t.detach().requiresGrad_(true);
}

const TOL: Record<string, [number, number]> = { float32: [2e-5, 2e-6], float64: [1e-11, 1e-13] };

function close(a: Tensor, b: Tensor, what: string, tol = TOL[a.dtype]!): void {
  expect(a.dtype, what).toBe(b.dtype);
  expect(a.shape, what).toEqual(b.shape);
  const x = Array.from(a.dataSync() as ArrayLike<number>, Number), y = Array.from(b.dataSync() as ArrayLike<number>, Number);
  const [rtol, atol] = tol;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!, q = y[i]!;
    if (Number.isNaN(q) || !Number.isFinite(q)) {
      expect(Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q)) || p === q, `${what}[${i}]: ${p} vs ${q}`).toBe(true);
      continue;
    }
    if (!(Math.abs(p - q) <= atol + rtol * Math.abs(q))) expect.fail(`${what}[${i}]: cpu ${p} vs js ${q} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Run fn on cpu and js with gradients: compare outputs and the input gradients under random weights. */
function compareWithGrad(
  what: string,
  inputs: [Tensor, Tensor][],
  fn: (...xs: Tensor[]) => Tensor,
  tol?: [number, number],
  gtol?: [number, number],
): void {
  const cpuIn = inputs.map(([c]) => leaf(c)), jsIn = inputs.map(([, j]) => leaf(j));
  const yc = fn(...cpuIn), yj = fn(...jsIn);
  close(yc, yj, `${what} value`, tol);
  const r = rng(99);
  const wv = Array.from({ length: yc.numel }, () => r() - 0.5);
  yc.mul(tensor(wv, { dtype: yc.dtype, device: 'cpu' }).reshape(yc.shape)).sum().backward();
  yj.mul(tensor(wv, { dtype: yj.dtype, device: 'js' }).reshape(yj.shape)).sum().backward();
  cpuIn.forEach((c, i) => close(c.grad!, jsIn[i]!.grad!, `${what} grad ${i}`, gtol ?? tol));
}

const cpu = getBackend('cpu');

describe('fused overrides exist on cpu', () => {
  it('softmax, logSoftmax, gelu, layerNorm, embedding, crossEntropy', () => {
    for (const k of ['softmax', 'logSoftmax', 'gelu', 'layerNorm', 'embedding', 'crossEntropy'] as const) {
      expect(typeof cpu.overrides?.[k], k).toBe('function');
    }
  });
});

const DTYPES: DType[] = ['float32', 'float64'];

describe('softmax / logSoftmax', () => {
  const cases: [number[], number][] = [
    [[7], 0], [[4, 33], 1], [[4, 33], 0], [[3, 5, 70], -1], [[3, 5, 70], 1], [[2, 300, 3], 1], [[2, 3, 4, 5], 2],
    [[64, 1000], 1], [[1, 1], 0], [[5, 17], -1],
  ];
  for (const dtype of DTYPES) {
    for (const [shape, dim] of cases) {
      it(`${dtype} ${JSON.stringify(shape)} dim ${dim}`, () => {
        const [c, j] = pair(shape, dtype, shape.length * 31 + dim + 7, 6);
        for (const [name, fn] of [['softmax', softmax], ['logSoftmax', logSoftmax]] as const) {
          close(fn(c, dim), fn(j, dim), `${name} contiguous`);
          if (c.ndim >= 2) {
            const ct = c.transpose(0, -1), jt = j.transpose(0, -1);
            close(fn(ct, dim), fn(jt, dim), `${name} transposed`);
            const cs = c.index(null, '...').expand([2, ...shape]).index(1), js = j.index(null, '...').expand([2, ...shape]).index(1);
            close(fn(cs, dim), fn(js, dim), `${name} broadcast view`);
          }
          compareWithGrad(`${name} grad`, [[c, j]], (x) => fn(x, dim));
        }
      });
    }
  }
  it('stepped slices and specials (inf, -inf, NaN rows)', () => {
    const [c, j] = pair([6, 40], 'float32', 5);
    close(softmax(c.index('::2', '1::3'), 1), softmax(j.index('::2', '1::3'), 1), 'stepped');
    const v = [0, -Infinity, 1, 2, -Infinity, -Infinity, -Infinity, -Infinity, NaN, 1, 2, 3, Infinity, 1, 2, 3, 1000, -1000, 0, 1];
    for (const dtype of DTYPES) {
      const a = tensor(v, { dtype, device: 'cpu' }).reshape([5, 4]), b = tensor(v, { dtype, device: 'js' }).reshape([5, 4]);
      close(softmax(a, 1), softmax(b, 1), `${dtype} specials softmax`);
      close(logSoftmax(a, 1), logSoftmax(b, 1), `${dtype} specials logSoftmax`);
    }
  });
  it('float16 and bfloat16 go through float32', () => {
    for (const dtype of ['float16', 'bfloat16'] as DType[]) {
      const [c, j] = pair([3, 50], dtype, 8);
      close(softmax(c, 1), softmax(j, 1), dtype, [2e-2, 1e-3]);
    }
  });
  it('gradcheck and gradgradcheck on cpu (float64)', () => {
    const [c] = pair([3, 6], 'float64', 9);
    expect(gradcheck((x) => softmax(x, 1), [leaf(c)])).toBe(true);
    expect(gradgradcheck((x) => logSoftmax(x, 0), [leaf(c)])).toBe(true);
  });
});

describe('layerNorm', () => {
  const cases: [number[], number[]][] = [[[4, 10], [10]], [[2, 3, 64], [64]], [[2, 3, 5], [3, 5]], [[7], [7]], [[16, 768], [768]], [[3, 33], [33]]];
  for (const dtype of DTYPES) {
    for (const [shape, ns] of cases) {
      for (const affine of ['none', 'weight', 'bias', 'both'] as const) {
        it(`${dtype} ${JSON.stringify(shape)} over ${JSON.stringify(ns)}, ${affine}`, () => {
          const seed = numel(shape) + ns.length;
          const x = pair(shape, dtype, seed, 3);
          const w = pair(ns, dtype, seed + 1, 2), b = pair(ns, dtype, seed + 2, 2);
          const inputs: [Tensor, Tensor][] = [x];
          if (affine === 'weight' || affine === 'both') inputs.push(w);
          if (affine === 'bias' || affine === 'both') inputs.push(b);
          const fn = (xx: Tensor, p?: Tensor, q?: Tensor) => {
            const ww = affine === 'weight' || affine === 'both' ? p! : null;
            const bb = affine === 'bias' ? p! : affine === 'both' ? q! : null;
            return layerNorm(xx, ns, ww, bb, 1e-5);
          };
          compareWithGrad('layerNorm', inputs, fn, undefined, dtype === 'float32' ? [1e-4, 1e-5] : undefined);
          if (shape.length >= 2 && shape.length > ns.length) {
            // strided input: the leading dims permuted
            const ct = x[0].transpose(0, 1).contiguous().transpose(0, 1), jt = x[1];
            close(layerNorm(ct, ns, w[0], b[0]), layerNorm(jt, ns, w[1], b[1]), 'strided');
          }
        });
      }
    }
  }
  it('non-contiguous weight, large eps, constant rows', () => {
    const [c, j] = pair([4, 8], 'float32', 3);
    const [wc, wj] = pair([8, 2], 'float32', 4);
    close(layerNorm(c, [8], wc.index('...', 0), null, 0.5), layerNorm(j, [8], wj.index('...', 0), null, 0.5), 'strided weight');
    const k = tensor(new Array(12).fill(3), { device: 'cpu' }).reshape([3, 4]), kj = tensor(new Array(12).fill(3), { device: 'js' }).reshape([3, 4]);
    close(layerNorm(k, [4]), layerNorm(kj, [4]), 'constant rows');
  });
  it('gradcheck and gradgradcheck on cpu (float64)', () => {
    const x = leaf(pair([2, 3, 4], 'float64', 11)[0]), w = leaf(pair([4], 'float64', 12)[0]), b = leaf(pair([4], 'float64', 13)[0]);
    expect(gradcheck((a, ww, bb) => layerNorm(a, [4], ww, bb), [x, w, b])).toBe(true);
    expect(gradcheck((a) => layerNorm(a, [3, 4], null, null, 1e-3), [x])).toBe(true);
    expect(gradgradcheck((a, ww, bb) => layerNorm(a, [4], ww, bb), [x, w, b])).toBe(true);
  });
});

describe('gelu', () => {
  for (const dtype of DTYPES) {
    for (const approximate of ['none', 'tanh'] as const) {
      for (const shape of [[5], [3, 40], [2, 3, 1000]]) {
        it(`${dtype} ${approximate} ${JSON.stringify(shape)}`, () => {
          const [c, j] = pair(shape, dtype, numel(shape) + 3, 6);
          compareWithGrad('gelu', [[c, j]], (x) => gelu(x, { approximate }), dtype === 'float32' ? [2e-5, 2e-6] : [1e-12, 1e-14]);
          if (c.ndim >= 2) close(gelu(c.transpose(0, 1), { approximate }), gelu(j.transpose(0, 1), { approximate }), 'transposed');
        });
      }
    }
  }
  it('specials, and gradcheck / gradgradcheck on cpu (float64)', () => {
    const v = [Infinity, -Infinity, NaN, 0, -0, 1e-30, 40, -40];
    for (const approximate of ['none', 'tanh'] as const) {
      close(gelu(tensor(v, { device: 'cpu' }), { approximate }), gelu(tensor(v, { device: 'js' }), { approximate }), `specials ${approximate}`);
      const x = leaf(pair([7], 'float64', 14)[0]);
      expect(gradcheck((a) => gelu(a, { approximate }), [x])).toBe(true);
      expect(gradgradcheck((a) => gelu(a, { approximate }), [x])).toBe(true);
    }
  });
});

describe('embedding', () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: values, strided weight and indices, gradients, padding`, () => {
      const [wc, wj] = pair([10, 6], dtype, 21);
      const idx = [[1, 3, 3], [9, 0, 1]];
      for (const idxDtype of ['int64', 'int32'] as DType[]) {
        const ic = tensor(idx, { dtype: idxDtype, device: 'cpu' }), ij = tensor(idx, { dtype: idxDtype, device: 'js' });
        compareWithGrad('embedding', [[wc, wj]], (w) => embedding(w.device === 'cpu' ? ic : ij, w));
        compareWithGrad('embedding padded', [[wc, wj]], (w) => embedding(w.device === 'cpu' ? ic : ij, w, { paddingIdx: 3 }));
        close(embedding(ic.t(), wc), embedding(ij.t(), wj), 'transposed indices');
        close(embedding(ic, wc.t().contiguous().t()), embedding(ij, wj), 'transposed weight');
        close(embedding(ic, wc.index(':', '::2')), embedding(ij, wj.index(':', '::2')), 'stepped weight');
      }
      expect(() => embedding(tensor([0, 10], { dtype: 'int64', device: 'cpu' }), wc)).toThrow(/embedding: index 10 is out of bounds/);
      expect(() => embedding(tensor([-1], { dtype: 'int64', device: 'cpu' }), wc)).toThrow(/embedding: index -1 is out of bounds/);
      const e = embedding(tensor([], { dtype: 'int64', device: 'cpu' }), wc);
      expect(e.shape).toEqual([0, 6]);
    });
  }
  it('gradcheck and gradgradcheck on cpu (float64)', () => {
    const w = leaf(pair([5, 3], 'float64', 22)[0]);
    const i = tensor([[0, 4], [4, 2]], { dtype: 'int64', device: 'cpu' });
    expect(gradcheck((a) => embedding(i, a), [w])).toBe(true);
    expect(gradgradcheck((a) => embedding(i, a).mul(embedding(i, a)), [w])).toBe(true);
  });
});

describe('crossEntropy', () => {
  const reductions = ['mean', 'sum', 'none'] as const;
  for (const dtype of DTYPES) {
    for (const [n, c] of [[8, 5], [3, 1000], [33, 17], [1, 3]] as const) {
      for (const reduction of reductions) {
        it(`${dtype} [${n}, ${c}] ${reduction}`, () => {
          const r = rng(n * c);
          const t = Array.from({ length: n }, () => Math.floor(r() * c));
          const tc = tensor(t, { dtype: 'int64', device: 'cpu' }), tj = tensor(t, { dtype: 'int64', device: 'js' });
          const x = pair([n, c], dtype, n + c, 5);
          const w = pair([c], dtype, n + c + 1, 1).map((q) => q.abs().add(0.1)) as [Tensor, Tensor];
          const gtol: [number, number] | undefined = dtype === 'float32' ? [1e-4, 1e-6] : undefined;
          compareWithGrad('plain', [x], (a) => crossEntropy(a, a.device === 'cpu' ? tc : tj, { reduction }), undefined, gtol);
          t[0] = -100;
          const tci = tensor(t, { dtype: 'int64', device: 'cpu' }), tji = tensor(t, { dtype: 'int64', device: 'js' });
          compareWithGrad('ignoreIndex', [x], (a) => crossEntropy(a, a.device === 'cpu' ? tci : tji, { reduction }), undefined, gtol);
          for (const labelSmoothing of [0, 0.1]) {
            compareWithGrad(`weight, smoothing ${labelSmoothing}`, [x], (a) =>
              crossEntropy(a, a.device === 'cpu' ? tci : tji, { reduction, weight: a.device === 'cpu' ? w[0] : w[1], labelSmoothing }), undefined, gtol);
            compareWithGrad(`smoothing ${labelSmoothing} int32 target`, [x], (a) =>
              crossEntropy(a, (a.device === 'cpu' ? tc : tj).to('int32'), { reduction, labelSmoothing, ignoreIndex: t[1] }), undefined, gtol);
          }
          if (n > 1) close(crossEntropy(x[0].t().contiguous().t(), tc, { reduction }), crossEntropy(x[1], tj, { reduction }), 'strided logits');
        });
      }
    }
  }
  it('1-D input, every target ignored, out-of-range targets', () => {
    const [c, j] = pair([6], 'float32', 31);
    compareWithGrad('1-D', [[c, j]], (a) => crossEntropy(a, tensor(2, { dtype: 'int64', device: a.device })));
    const [x, xj] = pair([3, 4], 'float32', 32);
    const all = crossEntropy(x, tensor([-100, -100, -100], { dtype: 'int64', device: 'cpu' }));
    const allj = crossEntropy(xj, tensor([-100, -100, -100], { dtype: 'int64', device: 'js' }));
    close(all, allj, 'all ignored');
    expect(() => crossEntropy(x, tensor([0, 4, 1], { dtype: 'int64', device: 'cpu' }))).toThrow(/crossEntropy: target 4 is out of bounds/);
    expect(() => crossEntropy(x, tensor([0, -1, 1], { dtype: 'int64', device: 'cpu' }))).toThrow(/crossEntropy: target -1 is out of bounds/);
  });
  it('gradcheck and gradgradcheck on cpu (float64)', () => {
    const x = leaf(pair([4, 5], 'float64', 33)[0]);
    const t = tensor([1, 0, -100, 4], { dtype: 'int64', device: 'cpu' });
    const w = pair([5], 'float64', 34)[0].abs().add(0.5);
    for (const reduction of reductions) {
      expect(gradcheck((a) => crossEntropy(a, t, { reduction, weight: w, labelSmoothing: 0.2 }), [x])).toBe(true);
    }
    expect(gradgradcheck((a) => crossEntropy(a, t, { labelSmoothing: 0.1 }), [x])).toBe(true);
  });
});
