import { describe, expect, it } from 'vitest';
import {
  Tensor,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  gradcheck,
  gradgradcheck,
  interpolate,
  manualSeed,
  maxPool1d,
  maxPool2d,
  memory,
  pad,
  randn,
  tensor,
  tidy,
} from '@tensile/core';
import { loadFixtures, runFixtureCase } from './support/fixtures.js';

// ---- fixtures ----

const OPS = ['conv1d', 'conv2d', 'conv_transpose2d', 'max_pool2d', 'avg_pool2d', 'adaptive_avg_pool2d', 'pad', 'interpolate'];
const cases = loadFixtures('nn_functional').filter((c) => OPS.includes(c.op.replace('torch.nn.functional.', '')));

function call(op: string, args: unknown[], kw: Record<string, unknown>): Tensor {
  const k = kw as Record<string, never>;
  const [x, w, b] = args as [Tensor, Tensor, Tensor | null | undefined];
  switch (op) {
    case 'conv1d':
      return conv1d(x, w, b, { stride: k.stride, padding: k.padding, dilation: k.dilation, groups: k.groups });
    case 'conv2d':
      return conv2d(x, w, b, { stride: k.stride, padding: k.padding, dilation: k.dilation, groups: k.groups });
    case 'conv_transpose2d':
      return convTranspose2d(x, w, b, { stride: k.stride, padding: k.padding, outputPadding: k.output_padding, groups: k.groups, dilation: k.dilation });
    case 'max_pool2d':
      return maxPool2d(x, k.kernel_size, { stride: k.stride, padding: k.padding, dilation: k.dilation, ceilMode: k.ceil_mode });
    case 'avg_pool2d':
      return avgPool2d(x, k.kernel_size, { stride: k.stride, padding: k.padding, ceilMode: k.ceil_mode, countIncludePad: k.count_include_pad, divisorOverride: k.divisor_override });
    case 'adaptive_avg_pool2d':
      return adaptiveAvgPool2d(x, args[1] as number | number[]);
    case 'pad':
      return pad(x, args[1] as number[], (k.mode as 'constant' | undefined) ?? 'constant', (k.value as number | undefined) ?? 0);
    case 'interpolate':
      return interpolate(x, { size: k.size, scaleFactor: k.scale_factor, mode: k.mode, alignCorners: k.align_corners });
  }
  throw new Error(`no mapping for ${op}`);
}

describe('nn_functional fixtures (conv, pool, pad, interpolate)', () => {
  it('covers every case of these ops', () => {
    expect(cases.length).toBe(34);
  });
  for (const c of cases) {
    it(c.name, () => runFixtureCase(c, (args, kw) => call(c.op.replace('torch.nn.functional.', ''), args, kw)));
  }
});

// ---- gradcheck (float64, js) ----

const f64 = (shape: number[], requiresGrad = true): Tensor => randn(shape, { dtype: 'float64', requiresGrad });

describe('gradcheck', () => {
  it('conv2d (stride, padding, dilation, groups, bias)', () => {
    manualSeed(1);
    const x = f64([1, 4, 5, 4]), w = f64([4, 2, 2, 3]), b = f64([4]);
    expect(gradcheck((a, ww, bb) => conv2d(a, ww, bb, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }), [x, w, b])).toBe(true);
  });
  it('conv2d gradgradcheck', () => {
    manualSeed(2);
    const x = f64([1, 2, 4, 4]), w = f64([2, 2, 2, 2]), b = f64([2]);
    expect(gradgradcheck((a, ww, bb) => conv2d(a, ww, bb, { stride: 2, padding: 1 }), [x, w, b])).toBe(true);
  });
  it('conv2d unbatched, same padding', () => {
    manualSeed(3);
    const x = f64([2, 4, 3]), w = f64([2, 2, 2, 2]);
    expect(gradcheck((a, ww) => conv2d(a, ww, null, { padding: 'same' }), [x, w])).toBe(true);
  });
  it('conv1d', () => {
    manualSeed(4);
    const x = f64([2, 2, 6]), w = f64([4, 1, 3]), b = f64([4]);
    expect(gradcheck((a, ww, bb) => conv1d(a, ww, bb, { stride: 2, padding: 1, groups: 2 }), [x, w, b])).toBe(true);
  });
  it('convTranspose2d', () => {
    manualSeed(5);
    const x = f64([1, 4, 3, 2]), w = f64([4, 1, 3, 2]), b = f64([2]);
    expect(gradcheck((a, ww, bb) => convTranspose2d(a, ww, bb, { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], groups: 2 }), [x, w, b])).toBe(true);
  });
  it('convTranspose2d gradgradcheck, convTranspose1d', () => {
    manualSeed(6);
    const x = f64([1, 2, 2, 2]), w = f64([2, 1, 2, 2]);
    expect(gradgradcheck((a, ww) => convTranspose2d(a, ww, null, { stride: 2, dilation: 1 }), [x, w])).toBe(true);
    const x1 = f64([1, 2, 4]), w1 = f64([2, 3, 3]);
    expect(gradcheck((a, ww) => convTranspose1d(a, ww, null, { stride: 2, padding: 1, dilation: 2, outputPadding: 1 }), [x1, w1])).toBe(true);
  });
  it('pad: every mode, negative pads', () => {
    manualSeed(7);
    const x = f64([1, 2, 3, 4]);
    expect(gradcheck((a) => pad(a, [1, 2, 0, 1], 'constant', 0.5), [x])).toBe(true);
    expect(gradcheck((a) => pad(a, [-1, 2, 1, -1]), [x])).toBe(true);
    expect(gradcheck((a) => pad(a, [3, 2, 2, 1], 'reflect'), [x])).toBe(true);
    expect(gradcheck((a) => pad(a, [2, 3, 2, 1], 'replicate'), [x])).toBe(true);
    expect(gradcheck((a) => pad(a, [4, 2, 3, 1], 'circular'), [x])).toBe(true);
    expect(gradgradcheck((a) => pad(a, [1, 1, 1, 0], 'reflect').mul(a.sum()), [x])).toBe(true);
  });
  it('maxPool2d (padding, dilation, ceilMode), maxPool1d', () => {
    manualSeed(8);
    const x = f64([1, 2, 5, 5]);
    expect(gradcheck((a) => maxPool2d(a, 2, { stride: 2, ceilMode: true }), [x])).toBe(true);
    expect(gradcheck((a) => maxPool2d(a, 3, { stride: 2, padding: 1, dilation: [1, 2] }), [x])).toBe(true);
    expect(gradcheck((a) => maxPool1d(a, 2, { stride: 1, padding: 1 }), [f64([2, 5])])).toBe(true);
  });
  it('avgPool2d (countIncludePad, ceilMode, divisorOverride), avgPool1d', () => {
    manualSeed(9);
    const x = f64([1, 2, 5, 4]);
    expect(gradcheck((a) => avgPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [x])).toBe(true);
    expect(gradcheck((a) => avgPool2d(a, [2, 3], { stride: 1, padding: [1, 1], divisorOverride: 5 }), [x])).toBe(true);
    expect(gradcheck((a) => avgPool1d(a, 3, { stride: 2, padding: 1 }), [f64([1, 2, 6])])).toBe(true);
  });
  it('adaptiveAvgPool2d / 1d', () => {
    manualSeed(10);
    expect(gradcheck((a) => adaptiveAvgPool2d(a, [2, 3]), [f64([1, 2, 5, 4])])).toBe(true);
    expect(gradcheck((a) => adaptiveAvgPool2d(a, [4, null]), [f64([2, 3, 3])])).toBe(true);
    expect(gradcheck((a) => adaptiveAvgPool1d(a, 3), [f64([1, 2, 7])])).toBe(true);
  });
  it('interpolate nearest / bilinear / linear', () => {
    manualSeed(11);
    const x = f64([1, 2, 3, 4]);
    expect(gradcheck((a) => interpolate(a, { size: [5, 3], mode: 'nearest' }), [x])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { size: [5, 7], mode: 'bilinear' }), [x])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }), [x])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { size: 5, mode: 'linear' }), [f64([1, 2, 3])])).toBe(true);
  });
});

// ---- values beyond the fixtures ----

const vals = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>, Number);

/** PyTorch's upsample_linear1d index/weight formula, written out directly. */
function refLinear(x: number[], outSize: number, alignCorners: boolean, scaleFactor?: number): number[] {
  const n = x.length;
  const scale = alignCorners ? (outSize > 1 ? (n - 1) / (outSize - 1) : 0) : scaleFactor ? 1 / scaleFactor : n / outSize;
  const out: number[] = [];
  for (let i = 0; i < outSize; i++) {
    let src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
    if (src < 0) src = 0;
    const i0 = Math.floor(src);
    const i1 = i0 + (i0 < n - 1 ? 1 : 0);
    const l1 = src - i0;
    out.push((1 - l1) * x[i0]! + l1 * x[i1]!);
  }
  return out;
}

describe('values', () => {
  it('linear / bilinear interpolation follow the PyTorch index formulas', () => {
    const row = [1, 4, -2, 3, 0.5];
    const x = tensor([[row]], { dtype: 'float64' });
    for (const ac of [false, true]) {
      for (const size of [1, 3, 8, 11]) {
        const y = interpolate(x, { size, mode: 'linear', alignCorners: ac });
        vals(y).forEach((v, i) => expect(v).toBeCloseTo(refLinear(row, size, ac)[i]!, 12));
      }
    }
    const ys = interpolate(x, { scaleFactor: 2.5, mode: 'linear' });
    vals(ys).forEach((v, i) => expect(v).toBeCloseTo(refLinear(row, 12, false, 2.5)[i]!, 12));
    // bilinear is separable: rows then columns
    const img = [[1, 2, 3], [4, 6, 8]];
    const y2 = interpolate(tensor([[img]], { dtype: 'float64' }), { size: [3, 4], mode: 'bilinear', alignCorners: true });
    const cols = img.map((r) => refLinear(r, 4, true));
    const expected = [0, 1, 2, 3].map((j) => refLinear([cols[0]![j]!, cols[1]![j]!], 3, true));
    const got = vals(y2);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(got[i * 4 + j]).toBeCloseTo(expected[j]![i]!, 12);
  });

  it('nearest and nearest-exact indices, area mode', () => {
    const x = tensor([[[0, 1, 2, 3, 4]]], { dtype: 'float32' });
    expect(vals(interpolate(x, { size: 3 }))).toEqual([0, 1, 3]);
    expect(vals(interpolate(x, { size: 3, mode: 'nearest-exact' }))).toEqual([0, 2, 4]);
    expect(vals(interpolate(x, { scaleFactor: 2 }))).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect(vals(interpolate(x, { size: 2, mode: 'area' }))).toEqual([1, 3]);
  });

  it('maxPool2d returnIndices matches PyTorch flat indices; maxPool1d indices', () => {
    const x = tensor([[[[1, 5, 2], [7, 3, 9], [4, 8, 6]]]], { dtype: 'float32' });
    const [v, i] = maxPool2d(x, 2, { stride: 1, returnIndices: true });
    expect(vals(v)).toEqual([7, 9, 8, 9]);
    expect(vals(i)).toEqual([3, 5, 7, 5]);
    const [v3, i3] = maxPool2d(tensor([[[1, 5, 2], [7, 3, 9], [4, 8, 6]]]), 2, { stride: 2, padding: 1, returnIndices: true });
    expect(v3.shape).toEqual([1, 2, 2]);
    expect(vals(v3)).toEqual([1, 5, 7, 9]);
    expect(vals(i3)).toEqual([0, 1, 3, 5]);
    const [v1, i1] = maxPool1d(tensor([[3, 1, 4, 1, 5, 9]]), 2, { returnIndices: true });
    expect(vals(v1)).toEqual([3, 4, 9]);
    expect(vals(i1)).toEqual([0, 2, 5]);
  });

  it('conv2d matches a direct loop; 1x1 and unbatched shapes', () => {
    manualSeed(12);
    const x = randn([2, 3, 5, 6], { dtype: 'float64' }), w = randn([4, 3, 3, 2], { dtype: 'float64' });
    const y = conv2d(x, w, null, { stride: [1, 2], padding: [1, 0], dilation: [2, 1] });
    const xv = vals(x), wv = vals(w), yv = vals(y);
    const [OH, OW] = [y.shape[2]!, y.shape[3]!];
    expect([OH, OW]).toEqual([3, 3]);
    for (let n = 0; n < 2; n++) for (let o = 0; o < 4; o++) for (let p = 0; p < OH; p++) for (let q = 0; q < OW; q++) {
      let acc = 0;
      for (let c = 0; c < 3; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
        const h = p - 1 + 2 * i, ww = q * 2 + j;
        if (h >= 0 && h < 5 && ww >= 0 && ww < 6) acc += xv[((n * 3 + c) * 5 + h) * 6 + ww]! * wv[((o * 3 + c) * 3 + i) * 2 + j]!;
      }
      expect(yv[((n * 4 + o) * OH + p) * OW + q]).toBeCloseTo(acc, 10);
    }
    expect(conv2d(randn([3, 5, 6]), randn([2, 3, 1, 1])).shape).toEqual([2, 5, 6]);
    expect(conv1d(randn([3, 7]), randn([2, 3, 2]), null, { padding: 'same' }).shape).toEqual([2, 7]);
  });

  it('convTranspose2d is the adjoint of conv2d', () => {
    manualSeed(13);
    const x = randn([1, 3, 7, 6], { dtype: 'float64' }), w = randn([4, 3, 3, 3], { dtype: 'float64' });
    const opts = { stride: 2, padding: 1, dilation: 1 };
    const y = conv2d(x, w, null, opts);
    const g = randn(y.shape, { dtype: 'float64' });
    // <conv(x), g> == <x, convT(g)> when convT reproduces x's size
    const xt = convTranspose2d(g, w, null, { ...opts, outputPadding: [0, 1] });
    expect(xt.shape).toEqual(x.shape);
    expect(y.mul(g).sum().itemSync()).toBeCloseTo(x.mul(xt).sum().itemSync(), 10);
  });

  it('pad modes give PyTorch values', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float32' });
    expect(vals(pad(x, [2, 2], 'reflect'))).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(vals(pad(x, [2, 1], 'replicate'))).toEqual([1, 1, 1, 2, 3, 3]);
    expect(vals(pad(x, [2, 3], 'circular'))).toEqual([2, 3, 1, 2, 3, 1, 2, 3]);
    expect(vals(pad(x, [-1, 1], { value: 9 }))).toEqual([2, 3, 9]);
    expect(pad(x, [1, 1, 1, 1]).shape).toEqual([3, 5]);
  });

  it('clear errors', () => {
    expect(() => conv2d(randn([1, 3, 5, 5]), randn([4, 2, 3, 3]))).toThrow(/conv2d: .*expected input \[1, 3, 5, 5\] to have 2 channels/);
    expect(() => conv2d(randn([1, 3, 2, 2]), randn([4, 3, 3, 3]))).toThrow(/kernel size .* can't be greater than actual input size/);
    expect(() => conv2d(randn([1, 3, 5, 5]), randn([4, 3, 3, 3]), null, { stride: 2, padding: 'same' })).toThrow(/'same' is not supported for strided/);
    expect(() => maxPool2d(randn([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/pad should be at most half/);
    expect(() => pad(randn([1, 3]), [3, 0], 'reflect')).toThrow(/padding size should be less than/);
    expect(() => interpolate(randn([1, 1, 4]), { size: 3, mode: 'bilinear' })).toThrow(/bilinear mode needs 4D input/);
  });

  it('does not leak tensors', () => {
    manualSeed(14);
    const x = randn([2, 3, 6, 6], { requiresGrad: true }), w = randn([4, 3, 3, 3], { requiresGrad: true }), b = randn([4], { requiresGrad: true });
    const step = (): void => tidy(() => {
      const y = conv2d(x, w, b, { padding: 1 });
      const p = maxPool2d(y, 2);
      const z = avgPool2d(convTranspose2d(p, w, null, { stride: 2 }), 2);
      interpolate(adaptiveAvgPool2d(z, 2), { scaleFactor: 2, mode: 'bilinear' }).sum().backward();
    });
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(memory().numTensors).toBe(before);
  });
});
