// The fused conv2d / pooling overrides (native/conv.cc, native/pooling.cc) against the js
// device's composite, on random inputs: values and gradients (the backward overrides), float32
// and float64, strided inputs; and double backward on cpu (the composite formulation the
// backward nodes fall back to).
import { memoryInfo } from '@tensile/cpu';
import {
  avgPool2d,
  conv1d,
  conv2d,
  getBackend,
  gradgradcheck,
  maxPool2d,
  tensor,
  tidy,
  type AvgPoolOptions,
  type ConvOptions,
  type DType,
  type MaxPoolOptions,
  type Tensor,
} from '@tensile/core';
import { describe, expect, it } from 'vitest';

/** Deterministic uniform values in [-1, 1) (mulberry32). */
function rand(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

interface Leaf {
  shape: number[];
  grad?: boolean;
  /** Store transposed in H/W and view back (a non-contiguous input). */
  transposed?: boolean;
}

/** Leaves on `device` from the same data; returns [leaves, the inputs the op sees]. */
function leaves(device: string, dtype: DType, specs: (Leaf | null)[], seed: number): [(Tensor | null)[], (Tensor | null)[]] {
  const ls: (Tensor | null)[] = [], ins: (Tensor | null)[] = [];
  specs.forEach((s, i) => {
    if (!s) {
      ls.push(null);
      ins.push(null);
      return;
    }
    const shape = [...s.shape];
    if (s.transposed) [shape[shape.length - 1], shape[shape.length - 2]] = [shape[shape.length - 2]!, shape[shape.length - 1]!];
    const t = tensor(rand(numel(shape), seed * 31 + i), { dtype, device, shape, requiresGrad: s.grad ?? true });
    ls.push(t);
    ins.push(s.transposed ? t.transpose(-1, -2) : t);
  });
  return [ls, ins];
}

function close(a: Tensor, b: Tensor, dtype: DType, what: string): void {
  expect(a.shape, what).toEqual(b.shape);
  const x = a.dataSync() as Float32Array | Float64Array, y = b.dataSync() as Float32Array | Float64Array;
  const tol = dtype === 'float32' ? 2e-5 : 1e-12;
  let scale = 1;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
  for (let i = 0; i < y.length; i++) {
    if (!(Math.abs(x[i]! - y[i]!) <= tol * scale)) throw new Error(`${what}: element ${i}: cpu ${x[i]} vs js ${y[i]} (shape ${JSON.stringify(a.shape)})`);
  }
}

type Op = (ins: (Tensor | null)[]) => Tensor;

/** Run op on cpu and js; compare outputs and the gradients of sum(y * r) (or of sum(y): stride-0 grads). */
function compare(op: Op, specs: (Leaf | null)[], opts: { dtypes?: DType[]; plainSum?: boolean; seed?: number } = {}): void {
  for (const dtype of opts.dtypes ?? (['float32', 'float64'] as DType[])) {
    const res: Record<string, { y: Tensor; grads: (Tensor | null)[] }> = {};
    for (const device of ['cpu', 'js']) {
      const [ls, ins] = leaves(device, dtype, specs, opts.seed ?? 7);
      const y = op(ins);
      const loss = opts.plainSum ? y.sum() : y.mul(tensor(rand(y.numel, 99), { dtype, device, shape: [...y.shape] })).sum();
      loss.backward();
      res[device] = { y, grads: ls.map((l) => (l && l.requiresGrad ? l.grad : null)) };
    }
    close(res.cpu!.y, res.js!.y, dtype, `${dtype} output`);
    res.cpu!.grads.forEach((g, i) => {
      const h = res.js!.grads[i];
      if (!h) return expect(g, `grad ${i}`).toBeNull();
      expect(g, `${dtype} grad ${i}`).toBeTruthy();
      close(g!, h, dtype, `${dtype} grad of input ${i}`);
    });
  }
}

describe('the cpu backend provides the overrides', () => {
  it('conv2d, its backward passes and pooling', () => {
    const o = getBackend('cpu').overrides!;
    for (const k of ['conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward'] as const) {
      expect(typeof o[k], k).toBe('function');
    }
  });
});

describe('conv2d override vs the js composite', () => {
  const conv = (o: ConvOptions): Op => ([x, w, b]) => conv2d(x!, w!, b, o);
  const cases: [string, number[], number[], boolean, ConvOptions][] = [
    ['3x3, bias', [2, 3, 7, 6], [4, 3, 3, 3], true, {}],
    ['stride 2, padding 1', [2, 3, 9, 8], [5, 3, 3, 3], true, { stride: 2, padding: 1 }],
    ['stride [2, 1], padding [1, 2], dilation [2, 1]', [2, 2, 9, 7], [3, 2, 3, 2], true, { stride: [2, 1], padding: [1, 2], dilation: [2, 1] }],
    ['groups 2, dilation 2, padding 1', [2, 4, 8, 8], [6, 2, 3, 2], true, { groups: 2, padding: 1, dilation: 2 }],
    ['depthwise (groups = channels)', [2, 4, 6, 6], [8, 1, 3, 3], true, { groups: 4, padding: 1 }],
    ['1x1 (no im2col)', [3, 5, 4, 6], [7, 5, 1, 1], false, {}],
    ['1x1, groups 2, stride 2', [2, 4, 5, 5], [6, 2, 1, 1], true, { groups: 2, stride: 2 }],
    ["padding 'same', even kernel (asymmetric pads)", [2, 3, 6, 7], [4, 3, 4, 2], true, { padding: 'same' }],
    ['MNIST first layer (1 -> 32 channels)', [4, 1, 28, 28], [32, 1, 3, 3], true, {}],
    ['kernel as large as the padded input', [1, 2, 3, 3], [2, 2, 5, 5], true, { padding: 1 }],
  ];
  for (const [name, xs, ws, bias, o] of cases) {
    it(name, () => compare(conv(o), [{ shape: xs }, { shape: ws }, bias ? { shape: [ws[0]!] } : null]));
  }
  it('non-contiguous input and weight', () => {
    compare(conv({ stride: 2, padding: 1 }), [{ shape: [2, 3, 7, 9], transposed: true }, { shape: [4, 3, 3, 3], transposed: true }, { shape: [4] }]);
    compare(conv({}), [{ shape: [2, 3, 5, 6], transposed: true }, { shape: [4, 3, 1, 1] }, null]);
  });
  it('gradient of sum(y) (a stride-0 output gradient)', () => {
    compare(conv({}), [{ shape: [4, 1, 12, 12] }, { shape: [8, 1, 3, 3] }, { shape: [8] }], { plainSum: true });
    compare(conv({ padding: 1, groups: 2 }), [{ shape: [2, 4, 6, 6] }, { shape: [4, 2, 3, 3] }, null], { plainSum: true });
  });
  it('only some inputs need gradients', () => {
    compare(conv({ padding: 1 }), [{ shape: [2, 3, 6, 6], grad: false }, { shape: [4, 3, 3, 3] }, { shape: [4] }]);
    compare(conv({ padding: 1 }), [{ shape: [2, 3, 6, 6] }, { shape: [4, 3, 3, 3], grad: false }, { shape: [4], grad: false }]);
    compare(conv({ padding: 1 }), [{ shape: [2, 3, 6, 6], grad: false }, { shape: [4, 3, 3, 3], grad: false }, { shape: [4] }]);
  });
  it('unbatched input and conv1d', () => {
    compare(conv({ padding: 1 }), [{ shape: [3, 6, 5] }, { shape: [4, 3, 3, 3] }, { shape: [4] }]);
    compare(([x, w, b]) => conv1d(x!, w!, b, { stride: 2, padding: 2, dilation: 2, groups: 3 }), [{ shape: [2, 6, 11] }, { shape: [3, 2, 3] }, { shape: [3] }]);
  });
  it('double backward on cpu (composite fallback)', () => {
    const [, [x, w, b]] = leaves('cpu', 'float64', [{ shape: [1, 4, 5, 5] }, { shape: [4, 2, 3, 2] }, { shape: [4] }], 3);
    expect(gradgradcheck((a, ww, bb) => conv2d(a, ww, bb, { stride: 2, padding: [1, 0], dilation: [1, 2], groups: 2 }), [x!, w!, b!])).toBe(true);
  });
  it('does not leak', () => {
    const [[x, w, b]] = leaves('cpu', 'float32', [{ shape: [2, 3, 8, 8] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], 5);
    const run = () => {
      tidy(() => conv2d(x!, w!, b, { padding: 1 }).sum().backward());
      for (const t of [x!, w!, b!]) {
        t.grad?.dispose();
        t.grad = null;
      }
    };
    run();
    const before = memoryInfo().liveBuffers;
    for (let i = 0; i < 3; i++) run();
    expect(memoryInfo().liveBuffers).toBe(before);
  });
});

describe('pooling overrides vs the js composite', () => {
  const maxCases: [string, number[], number | number[], Omit<MaxPoolOptions, 'returnIndices'>][] = [
    ['3x3, stride 2, padding 1', [2, 3, 9, 8], 3, { stride: 2, padding: 1 }],
    ['2x2 (default stride)', [2, 2, 8, 6], 2, {}],
    ['[2, 3], stride [1, 2], padding 1, dilation 2, ceil mode', [2, 2, 9, 10], [2, 3], { stride: [1, 2], padding: 1, dilation: 2, ceilMode: true }],
    ['3x3, stride 2, ceil mode', [1, 3, 8, 8], 3, { stride: 2, ceilMode: true }],
  ];
  for (const [name, xs, k, o] of maxCases) {
    it(`maxPool2d ${name}`, () => {
      compare(([x]) => maxPool2d(x!, k, o), [{ shape: xs }]);
      compare(([x]) => maxPool2d(x!, k, o), [{ shape: xs, transposed: true }], { dtypes: ['float32'] });
      for (const dtype of ['float32', 'float64'] as DType[]) {
        const [, [xc]] = leaves('cpu', dtype, [{ shape: xs, grad: false }], 7);
        const [, [xj]] = leaves('js', dtype, [{ shape: xs, grad: false }], 7);
        const [vc, ic] = maxPool2d(xc!, k, { ...o, returnIndices: true });
        const [vj, ij] = maxPool2d(xj!, k, { ...o, returnIndices: true });
        close(vc, vj, dtype, 'values');
        expect(ic.dtype).toBe('int64');
        expect(Array.from(ic.dataSync() as BigInt64Array, Number)).toEqual(Array.from(ij.dataSync() as ArrayLike<number | bigint>, Number));
      }
    });
  }
  it('maxPool2d unbatched, gradient of sum(y)', () => {
    compare(([x]) => maxPool2d(x!, 3, { stride: 2, padding: 1 }), [{ shape: [3, 7, 7] }], { plainSum: true });
  });
  const avgCases: [string, number[], number | number[], AvgPoolOptions][] = [
    ['3x3, stride 2, padding 1', [2, 3, 9, 8], 3, { stride: 2, padding: 1 }],
    ['padding 1, countIncludePad false', [2, 2, 7, 7], 3, { stride: 2, padding: 1, countIncludePad: false }],
    ['[3, 2], ceil mode', [2, 2, 8, 7], [3, 2], { stride: [2, 2], padding: [1, 1], ceilMode: true }],
    ['ceil mode, countIncludePad false', [1, 2, 8, 8], 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
    ['divisorOverride', [2, 2, 6, 6], 2, { divisorOverride: 3 }],
  ];
  for (const [name, xs, k, o] of avgCases) {
    it(`avgPool2d ${name}`, () => {
      compare(([x]) => avgPool2d(x!, k, o), [{ shape: xs }]);
      compare(([x]) => avgPool2d(x!, k, o), [{ shape: xs, transposed: true }], { dtypes: ['float32'], plainSum: true });
    });
  }
  it('double backward on cpu (composite fallback)', () => {
    const [, [x]] = leaves('cpu', 'float64', [{ shape: [1, 2, 5, 6] }], 11);
    expect(gradgradcheck((a) => maxPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true }), [x!])).toBe(true);
    expect(gradgradcheck((a) => avgPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [x!])).toBe(true);
    expect(gradgradcheck((a) => avgPool2d(a, 2, { divisorOverride: 3 }), [x!])).toBe(true);
  });
});
