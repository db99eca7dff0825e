// Kernel paths taken by the training benchmarks (benchmarks/src/suites/train.ts), against the js
// device: the 2x2 / stride 2 max-pooling fast path (values, indices, NaN and tie rules, widths
// that leave a remainder), where() with a broadcast scalar branch, the fused relu override and
// its backward (native/activation.cc), the
// conv2d weight gradient computed as (cols x dy^T)^T, linear's one-node 2-D path, and the GEMM
// packing of a transposed right operand (the weight of linear).
import '@tensile/cpu';
import { conv2d, gradcheck, gradgradcheck, linear, matmul, maxPool2d, relu, tensor, where, type DType, type Tensor } from '@tensile/core';
import { describe, expect, it } from 'vitest';

/** Deterministic uniform values in [-1, 1) (mulberry32). */
function rand(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const on = (device: string, data: number[], shape: number[], dtype: DType = 'float32', requiresGrad = false) => {
  const t = tensor(data, { device, dtype }).reshape(shape);
  return requiresGrad ? t.detach().requiresGrad_(true) : t;
};
const arr = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number | bigint>, Number);

function expectClose(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    if (Number.isNaN(b[i]!)) expect(v).toBeNaN();
    else if (v !== b[i]) expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
  });
}

describe('maxPool2d 2x2 / stride 2 fast path', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [H, W] of [[24, 24], [7, 9], [6, 22], [5, 3]] as const) {
      it(`matches js in values and indices, ${dtype} ${H}x${W} with ties, NaN and -Infinity`, () => {
        const shape = [2, 3, H, W];
        const data = rand(numel(shape), H * 100 + W).map((v) => Math.round(v * 4) / 4); // many ties
        data[0] = NaN;
        data[W + 1] = NaN; // NaN later in the first window: the first NaN wins
        data[5] = NaN;
        data[7] = -Infinity;
        data[W + 6] = -Infinity;
        data[W + 7] = -Infinity;
        data[6] = -Infinity;
        const [vc, ic] = maxPool2d(on('cpu', data, shape, dtype), 2, { returnIndices: true });
        const [vj, ij] = maxPool2d(on('js', data, shape, dtype), 2, { returnIndices: true });
        expect(vc.shape).toEqual(vj.shape);
        expectClose(arr(vc), arr(vj), 0);
        expect(arr(ic)).toEqual(arr(ij));
      });
    }
  }
  it('matches js on a view with a non-unit last stride (the generic path)', () => {
    const data = rand(2 * 3 * 8 * 10, 5);
    const xc = on('cpu', data, [2, 3, 10, 8]).transpose(2, 3), xj = on('js', data, [2, 3, 10, 8]).transpose(2, 3);
    const [vc, ic] = maxPool2d(xc, 2, { returnIndices: true });
    const [vj, ij] = maxPool2d(xj, 2, { returnIndices: true });
    expectClose(arr(vc), arr(vj), 0);
    expect(arr(ic)).toEqual(arr(ij));
  });
});

describe('where with a broadcast scalar branch', () => {
  for (const dtype of ['float32', 'float64', 'float16', 'int32', 'int64', 'uint8'] as const) {
    it(`where(c, x, s) and where(c, s, x) match js for ${dtype}`, () => {
      const n = 1000;
      const data = rand(n, 9).map((v) => (dtype.startsWith('float') ? v * 8 : Math.round(Math.abs(v) * 100)));
      const cond = rand(n, 10).map((v) => v > 0);
      const run = (device: string) => {
        const x = on(device, data, [10, 100], dtype);
        const c = tensor(cond, { device, dtype: 'bool' }).reshape([10, 100]);
        return [arr(where(c, x, 3)), arr(where(c, 5, x)), arr(where(c, x, x.flip([1])))];
      };
      const [a, b] = [run('cpu'), run('js')];
      for (let i = 0; i < 3; i++) expectClose(a[i]!, b[i]!, 0);
    });
  }
  it('relu forward and backward match js', () => {
    const data = rand(4 * 33 * 17, 11).map((v) => (Math.abs(v) < 0.05 ? 0 : v));
    const g = rand(data.length, 12);
    const res = ['cpu', 'js'].map((device) => {
      const x = on(device, data, [4, 33, 17], 'float32', true);
      const y = x.relu();
      y.backward(on(device, g, [4, 33, 17]));
      return [arr(y), arr(x.grad!)];
    });
    expectClose(res[0]![0]!, res[1]![0]!, 0);
    expectClose(res[0]![1]!, res[1]![1]!, 0);
  });
});

describe('conv2d weight gradient (cols x dy^T)', () => {
  const cases: { x: number[]; w: number[]; opts: { stride?: number; padding?: number; dilation?: number; groups?: number } }[] = [
    { x: [4, 32, 14, 13], w: [16, 32, 3, 3], opts: {} },
    { x: [3, 8, 11, 11], w: [12, 4, 3, 3], opts: { stride: 2, padding: 1, groups: 2 } },
    { x: [2, 5, 12, 10], w: [7, 5, 5, 5], opts: { dilation: 2, padding: 2 } },
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const c of cases) {
      it(`matches js, ${dtype}, x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.opts)}`, () => {
        const xd = rand(numel(c.x), 21), wd = rand(numel(c.w), 22), bd = rand(c.w[0]!, 23);
        const res = ['cpu', 'js'].map((device) => {
          const x = on(device, xd, c.x, dtype, true), w = on(device, wd, c.w, dtype, true), b = on(device, bd, [c.w[0]!], dtype, true);
          const y = conv2d(x, w, b, c.opts);
          const g = on(device, rand(y.numel, 24), [...y.shape], dtype);
          y.backward(g);
          return [arr(w.grad!), arr(b.grad!), arr(x.grad!)];
        });
        const tol = dtype === 'float32' ? 2e-4 : 1e-10;
        for (let i = 0; i < 3; i++) expectClose(res[0]![i]!, res[1]![i]!, tol);
      });
    }
  }
});

describe('linear on 2-D inputs (AddmmBackward)', () => {
  it('matches js in values and gradients; the weight gradient is contiguous', () => {
    const [M, I, O] = [37, 70, 19];
    const xd = rand(M * I, 31), wd = rand(O * I, 32), bd = rand(O, 33), gd = rand(M * O, 34);
    const res = ['cpu', 'js'].map((device) => {
      const x = on(device, xd, [M, I], 'float32', true), w = on(device, wd, [O, I], 'float32', true), b = on(device, bd, [O], 'float32', true);
      const y = linear(x, w, b);
      expect(y.gradFn?.name).toBe('AddmmBackward');
      y.backward(on(device, gd, [M, O]));
      expect(w.grad!.isContiguous()).toBe(true);
      return [arr(y), arr(x.grad!), arr(w.grad!), arr(b.grad!)];
    });
    for (let i = 0; i < 4; i++) expectClose(res[0]![i]!, res[1]![i]!, 1e-5);
  });
});

describe('matmul with a transposed right operand (column-major B packing)', () => {
  for (const [m, k, n] of [[64, 784, 256], [5, 37, 70], [33, 300, 45], [3, 17, 32], [40, 1030, 130]] as const) {
    it(`x [${m}, ${k}] @ W^T, W [${n}, ${k}], matches js`, () => {
      const xd = rand(m * k, m + k), wd = rand(n * k, n + k);
      const [c, j] = ['cpu', 'js'].map((device) => arr(matmul(on(device, xd, [m, k]), on(device, wd, [n, k]).t())));
      expectClose(c!, j!, 1e-4); // float32 sums of k products
    });
  }
});

describe('fused relu (activation.cc)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`forward and backward match the js composite bit for bit, ${dtype}, special values and a strided input`, () => {
      const data = rand(6 * 35, 41).map((v, i) => (i % 7 === 0 ? 0 : v));
      data[1] = NaN;
      data[2] = -0;
      data[3] = Infinity;
      data[4] = -Infinity;
      const g = rand(data.length, 42);
      const res = ['cpu', 'js'].map((device) => {
        const x = on(device, data, [6, 35], dtype, true);
        const y = relu(x.t()); // strided input
        if (device === 'cpu') expect(y.gradFn?.name).toBe('ReluBackward');
        y.backward(on(device, g, [35, 6], dtype));
        return [arr(y), arr(x.grad!)];
      });
      expect(res[0]![0]).toEqual(res[1]![0]);
      expect(res[0]![1]).toEqual(res[1]![1]);
    });
  }
  it('gradcheck and double backward (the composite under createGraph) on cpu float64', () => {
    const x = on('cpu', rand(24, 43).map((v) => (Math.abs(v) < 0.1 ? v + 0.3 : v)), [4, 6], 'float64', true);
    expect(gradcheck((a) => relu(a).mul(a), [x])).toBe(true);
    expect(gradgradcheck((a) => relu(a).mul(a), [x])).toBe(true);
  });
  it('keeps the composite for integer dtypes', () => {
    const x = tensor([-2, 0, 3], { device: 'cpu', dtype: 'int32' });
    expect(arr(relu(x))).toEqual([0, 0, 3]);
  });
});
