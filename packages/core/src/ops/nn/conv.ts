/**
 * Convolution, pooling, padding and interpolation (torch.nn.functional equivalents).
 *
 * Everything is composed from differentiable core ops, so gradients and double backward come for
 * free. The two building blocks are a pair of adjoint ops: `windows` (im2col as a metadata-only
 * strided view [N, C, kh, kw, OH, OW] of a [N, C, H, W] tensor) and `col2im` (its adjoint, which
 * adds every window back into place with kh*kw strided copy/add kernels). Each is the other's
 * backward. Convolution is windows -> one copy -> batched matmul per group; transposed convolution
 * is batched matmul -> col2im; pooling reduces over the window dims of the view.
 */
import { needsGrad, record } from '../../autograd/record.js';
import type { Conv2dParams, Pool2dParams, View } from '../../backend.js';
import { isFloating, type DType } from '../../dtype.js';
import { contiguousStrides, fmtShape } from '../../shape.js';
import { Tensor, tidy } from '../../tensor.js';
import { tensor, zeros } from '../creation.js';
import { backendOf, empty, makeView } from '../dispatch.js';
import { add, floorDivide, mul, remainder } from '../elementwise.js';
import { indexSelect, scatterAdd } from '../indexing.js';
import { matmul } from '../linalg.js';
import { max, mean, sum } from '../reduction.js';
import { expand, narrow, reshape, squeeze, transpose, unsqueeze } from '../views.js';

// ---------------------------------------------------------------------------------------------
// helpers

/** Dispose temporaries, never the tensors in `keep` (inputs, results). */
function drop(keep: readonly (Tensor | null | undefined)[], ...ts: (Tensor | null | undefined)[]): void {
  const seen = new Set<Tensor>();
  for (const t of ts) {
    if (!t || seen.has(t) || keep.includes(t)) continue;
    seen.add(t);
    t.dispose();
  }
}

/** Expand an int or a tuple to `n` positive/non-negative integers (PyTorch's _pair). */
function tuple(op: string, name: string, v: number | readonly number[], n: number, min: number): number[] {
  const arr = typeof v === 'number' ? new Array<number>(n).fill(v) : v.length === 1 ? new Array<number>(n).fill(v[0]!) : [...v];
  if (arr.length !== n || arr.some((x) => !Number.isInteger(x) || x < min)) {
    throw new RangeError(`${op}: expected ${name} to be a single integer or a list of ${n} integers >= ${min}, but got ${JSON.stringify(v)}`);
  }
  return arr;
}

function checkFloat(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor as input`);
  x._assertAlive(op);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating point input, but got ${x.dtype}`);
}

/** A new tensor object viewing x (so callers may dispose results without touching inputs). */
function alias(x: Tensor): Tensor {
  return reshape(x, [...x.shape]);
}

/** Run f on x with a batch dim added when x has `batchedRank - 1` dims (PyTorch's unbatched inputs). */
function batched(op: string, x: Tensor, batchedRank: number, f: (xb: Tensor) => Tensor): Tensor {
  if (x.ndim === batchedRank) return f(x);
  if (x.ndim !== batchedRank - 1) {
    throw new RangeError(`${op}: expected ${batchedRank - 1}D (unbatched) or ${batchedRank}D (batched) input, but got input of shape ${fmtShape(x.shape)}`);
  }
  const xb = unsqueeze(x, 0);
  const y = f(xb);
  const out = squeeze(y, 0);
  drop([x], xb, y);
  return out;
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im: adjoint pair, each the other's backward

type Pair = [number, number];

/**
 * im2col as a view: [N, C, H, W] -> [N, C, kh, kw, oh, ow], element (n, c, i, j, p, q) =
 * x[n, c, p*sh + i*dh, q*sw + j*dw]. Metadata only; the windows may overlap.
 */
function windows(x: Tensor, k: Pair, s: Pair, d: Pair, out: Pair): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [sN, sC, sH, sW] = x.strides as [number, number, number, number];
  const v = makeView(x, [N, C, k[0], k[1], out[0], out[1]], [sN, sC, sH * d[0], sW * d[1], sH * s[0], sW * s[1]], x.offset);
  if (needsGrad(x)) record('Im2ColBackward', [x], [v], ([g]) => [col2im(g, [H, W], k, s, d)]);
  return v;
}

/**
 * col2im: cols [N, C, kh, kw, oh, ow] -> [N, C, H, W], summing every window entry into the
 * position windows() reads it from (the adjoint of windows()).
 */
function col2im(cols: Tensor, size: Pair, k: Pair, s: Pair, d: Pair): Tensor {
  const b = backendOf('col2im', cols);
  const [N, C, kh, kw, oh, ow] = cols.shape as [number, number, number, number, number, number];
  const [H, W] = size;
  const out = zeros([N, C, H, W], { dtype: cols.dtype, device: cols.device });
  if (out.numel > 0 && cols.numel > 0) {
    const cv = cols._view('col2im');
    const cs = cols.strides;
    const shape = [N, C, oh, ow];
    const tmp = empty(b, cols.dtype, shape);
    const tv = tmp._view();
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const dst: View = { buf: out.storage.buf, dtype: out.dtype, shape, strides: [C * H * W, H * W, s[0] * W, s[1]], offset: i * d[0] * W + j * d[1] };
        const src: View = { ...cv, shape, strides: [cs[0]!, cs[1]!, cs[4]!, cs[5]!], offset: cv.offset + i * cs[2]! + j * cs[3]! };
        if (i === 0 && j === 0) b.copy(src, dst);
        else {
          b.binary('add', dst, src, tmp.storage.buf);
          b.copy(tv, dst);
        }
      }
    }
    tmp.dispose();
  }
  if (needsGrad(cols)) record('Col2ImBackward', [cols], [out], ([g]) => [windows(g, [kh, kw], s, d, [oh, ow])]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// padding

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Constant padding with non-negative pads per dim ([before, after] for every dim). */
function constantPadPositive(x: Tensor, pads: Pair[], value: number): Tensor {
  const b = backendOf('pad', x);
  const outShape = x.shape.map((s, i) => s + pads[i]![0] + pads[i]![1]);
  const out = empty(b, x.dtype, outShape);
  if (out.numel > 0) b.fill(out.storage.buf, x.dtype, out.numel, value);
  const st = contiguousStrides(outShape);
  let offset = 0;
  pads.forEach(([before], i) => (offset += before * st[i]!));
  if (x.numel > 0) b.copy(x._view('pad'), { buf: out.storage.buf, dtype: x.dtype, shape: x.shape, strides: st, offset });
  if (needsGrad(x)) {
    const inShape = [...x.shape];
    record('ConstantPadNdBackward', [x], [out], ([g]) => {
      let r = g;
      pads.forEach(([before, after], i) => {
        if (before || after) r = narrow(r, i, before, inShape[i]!);
      });
      return [r];
    });
  }
  return out;
}

function sourceIndex(mode: PadMode, j: number, size: number): number {
  switch (mode) {
    case 'reflect': {
      if (size === 1) return 0;
      const period = 2 * (size - 1);
      let m = ((j % period) + period) % period;
      if (m >= size) m = period - m;
      return m;
    }
    case 'replicate':
      return Math.min(Math.max(j, 0), size - 1);
    default:
      return ((j % size) + size) % size;
  }
}

/**
 * torch.nn.functional.pad: `padding` lists (before, after) pairs starting from the last dim, as
 * PyTorch; negative pads crop. Modes: constant (with `value`), reflect, replicate, circular.
 * The third argument may also be an options object `{ mode, value }`.
 */
export function pad(x: Tensor, padding: readonly number[], mode: PadMode | { mode?: PadMode; value?: number | null } = 'constant', value: number | null = 0): Tensor {
  if (typeof mode === 'object' && mode !== null) {
    value = mode.value ?? 0;
    mode = mode.mode ?? 'constant';
  }
  const v = value ?? 0;
  if (!(x instanceof Tensor)) throw new TypeError('pad: expected a Tensor as input');
  x._assertAlive('pad');
  if (padding.length % 2 !== 0 || padding.some((p) => !Number.isInteger(p))) {
    throw new RangeError(`pad: padding length must be divisible by 2 and hold integers, got ${JSON.stringify(padding)}`);
  }
  const nd = padding.length / 2;
  if (nd > x.ndim) throw new RangeError(`pad: padding length too large: ${padding.length} values pad ${nd} dims of an input of shape ${fmtShape(x.shape)}`);
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) {
    throw new RangeError(`pad: unknown padding mode ${JSON.stringify(mode)} (expected constant, reflect, replicate or circular)`);
  }
  const pairs: Pair[] = x.shape.map(() => [0, 0] as Pair);
  for (let i = 0; i < nd; i++) pairs[x.ndim - 1 - i] = [padding[2 * i]!, padding[2 * i + 1]!];
  pairs.forEach(([a, c], dim) => {
    if (x.shape[dim]! + a + c < 0) {
      throw new RangeError(`pad: the input size ${x.shape[dim]} plus negative padding ${a} and ${c} resulted in a negative output size at dim ${dim} (input ${fmtShape(x.shape)})`);
    }
  });
  if (mode === 'constant') {
    // Crop first (negative pads), then pad the rest.
    let cur = x;
    pairs.forEach(([a, c], dim) => {
      if (a < 0 || c < 0) {
        const start = Math.max(-a, 0), len = cur.shape[dim]! - start - Math.max(-c, 0);
        const next = narrow(cur, dim, start, len);
        if (cur !== x) cur.dispose();
        cur = next;
      }
    });
    if (pairs.every(([a, c]) => a <= 0 && c <= 0)) return cur === x ? alias(x) : cur;
    const out = constantPadPositive(cur, pairs.map(([a, c]) => [Math.max(a, 0), Math.max(c, 0)] as Pair), v);
    if (cur !== x) cur.dispose();
    return out;
  }
  let cur = x;
  for (let dim = x.ndim - 1; dim >= x.ndim - nd; dim--) {
    const [a, c] = pairs[dim]!;
    if (a === 0 && c === 0) continue;
    const size = cur.shape[dim]!;
    if (mode === 'reflect' && (a >= size || c >= size)) {
      throw new RangeError(`pad: padding size should be less than the corresponding input dimension, but got padding (${a}, ${c}) at dimension ${dim} of input ${fmtShape(x.shape)} (reflect mode)`);
    }
    if (mode === 'circular' && (a > size || c > size)) {
      throw new RangeError(`pad: padding value causes wrapping around more than once: padding (${a}, ${c}) at dimension ${dim} of input ${fmtShape(x.shape)} (circular mode)`);
    }
    if (size === 0) throw new RangeError(`pad: ${mode} padding needs a non-empty dimension ${dim}, got input ${fmtShape(x.shape)}`);
    const n = size + a + c;
    const idx = new Float64Array(n);
    for (let j = 0; j < n; j++) idx[j] = sourceIndex(mode, j - a, size);
    const it = tensor(idx, { dtype: 'int64', device: x.device });
    const next = indexSelect(cur, dim, it);
    drop([x], it, cur);
    cur = next;
  }
  return cur === x ? alias(x) : cur;
}

// ---------------------------------------------------------------------------------------------
// convolution

export interface ConvOptions {
  stride?: number | readonly number[];
  /** An int, a tuple per spatial dim, 'valid' (no padding) or 'same' (stride 1 only). */
  padding?: number | readonly number[] | 'same' | 'valid';
  dilation?: number | readonly number[];
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  outputPadding?: number | readonly number[];
  groups?: number;
  dilation?: number | readonly number[];
}

function checkConvArgs(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, rank: number): void {
  checkFloat(op, x);
  backendOf(op, x, weight, bias);
  if (!(weight instanceof Tensor)) throw new TypeError(`${op}: expected weight to be a Tensor`);
  if (weight.ndim !== rank) throw new RangeError(`${op}: expected weight to be ${rank}-D, but got weight of shape ${fmtShape(weight.shape)}`);
  if (weight.dtype !== x.dtype) throw new TypeError(`${op}: input type (${x.dtype}) and weight type (${weight.dtype}) should be the same`);
  if (bias && bias.dtype !== x.dtype) throw new TypeError(`${op}: input type (${x.dtype}) and bias type (${bias.dtype}) should be the same`);
}

/** The shared 2-D convolution on batched input; padding is [top, bottom, left, right]. */
function conv2dCore(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, stride: Pair, pads: [number, number, number, number], dilation: Pair, groups: number): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, kh, kw] = weight.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  if (C !== Cg * groups) {
    throw new RangeError(`${op}: given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input ${fmtShape(x.shape)} to have ${Cg * groups} channels, but got ${C} channels instead`);
  }
  if (O % groups !== 0) throw new RangeError(`${op}: out_channels (${O}) must be divisible by groups (${groups}); weight ${fmtShape(weight.shape)}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new RangeError(`${op}: expected bias of shape [${O}], but got ${fmtShape(bias.shape)}`);
  const Hp = H + pads[0] + pads[1], Wp = W + pads[2] + pads[3];
  const ekh = dilation[0] * (kh - 1) + 1, ekw = dilation[1] * (kw - 1) + 1;
  if (Hp < ekh || Wp < ekw) {
    throw new RangeError(`${op}: calculated padded input size per channel: (${Hp} x ${Wp}); kernel size (${ekh} x ${ekw}) (dilated) can't be greater than actual input size (input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)})`);
  }
  const oh = Math.floor((Hp - ekh) / stride[0]) + 1, ow = Math.floor((Wp - ekw) / stride[1]) + 1;
  if (x.storage.backend.overrides?.conv2d && fusable(x) && weight.numel > 0) {
    return conv2dFused(op, x, weight, bias, { stride, padding: [pads[0], pads[2]], dilation, groups, outSize: [oh, ow] }, pads);
  }
  const xp = pads.some((p) => p !== 0) ? pad(x, [pads[2], pads[3], pads[0], pads[1]]) : x;
  const G = groups, Og = O / G, K = Cg * kh * kw;
  const win = windows(xp, [kh, kw], stride, dilation, [oh, ow]);
  const cols = reshape(win, [N, G, K, oh * ow]);
  const wm = reshape(weight, [G, Og, K]);
  const y = matmul(wm, cols);
  const y4 = reshape(y, [N, O, oh, ow]);
  let out = y4;
  let b4: Tensor | null = null;
  if (bias) {
    b4 = reshape(bias, [1, O, 1, 1]);
    out = add(y4, b4);
  }
  drop([x, weight, bias, out], xp, win, cols, wm, y, y4, b4);
  return out;
}

/** Whether a backend's conv/pool override may take x (float32/float64, not empty). */
function fusable(x: Tensor): boolean {
  return (x.dtype === 'float32' || x.dtype === 'float64') && x.numel > 0;
}

/**
 * conv2d through the backend's fused kernels (Overrides.conv2d); its node calls the backward
 * overrides, or the composite formulation when the gradient itself must be differentiable.
 */
function conv2dFused(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, p: Conv2dParams, pads: [number, number, number, number]): Tensor {
  const be = x.storage.backend;
  const ov = be.overrides!;
  const [N, , H, W] = x.shape as [number, number, number, number];
  const O = weight.shape[0]!;
  const out = empty(be, x.dtype, [N, O, p.outSize[0], p.outSize[1]]);
  ov.conv2d!.call(ov, x._view(op), weight._view(op), bias ? bias._view(op) : null, p, out.storage.buf);
  if (needsGrad(x, weight, bias)) {
    const need: [boolean, boolean, boolean] = [x.requiresGrad, weight.requiresGrad, !!bias?.requiresGrad];
    record('ConvolutionBackward', [x, weight, bias], [out], ([g], [xs, ws]) => {
      const bo = g!.storage.backend.overrides;
      if (needsGrad(g, xs, ws) || !bo?.conv2dBackwardInput || !bo.conv2dBackwardWeight || g!.dtype !== xs!.dtype) {
        return conv2dGradsComposite(g!, xs!, ws!, p, pads, need);
      }
      const gv = g!._view(op);
      let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
      if (need[0]) {
        gx = empty(be, x.dtype, [N, xs!.shape[1]!, H, W]);
        bo.conv2dBackwardInput.call(bo, gv, ws!._view(op), [H, W], p, gx.storage.buf);
      }
      if (need[1]) {
        gw = empty(be, x.dtype, ws!.shape);
        gb = need[2] ? empty(be, x.dtype, [O]) : null;
        bo.conv2dBackwardWeight.call(bo, gv, xs!._view(op), [ws!.shape[2]!, ws!.shape[3]!], p, gw.storage.buf, gb ? gb.storage.buf : null);
      } else if (need[2]) gb = sum(g!, [0, 2, 3]);
      return [gx, gw, gb];
    }, [x, weight]);
  }
  return out;
}

/** conv2d's gradients from differentiable ops (double backward): col2im of W^T g, g x cols^T, sum of g. */
function conv2dGradsComposite(g: Tensor, xs: Tensor, ws: Tensor, p: Conv2dParams, pads: [number, number, number, number], need: [boolean, boolean, boolean]): (Tensor | null)[] {
  return tidy(() => {
    const [N, C, H, W] = xs.shape as [number, number, number, number];
    const [O, Cg, kh, kw] = ws.shape as [number, number, number, number];
    const G = p.groups, Og = O / G, K = Cg * kh * kw;
    const [oh, ow] = p.outSize;
    const s = [p.stride[0], p.stride[1]] as Pair, d = [p.dilation[0], p.dilation[1]] as Pair;
    const gm = reshape(g, [N, G, Og, oh * ow]);
    let gx: Tensor | null = null, gw: Tensor | null = null;
    if (need[0]) {
      const cols = reshape(matmul(transpose(reshape(ws, [G, Og, K]), 1, 2), gm), [N, C, kh, kw, oh, ow]);
      const full = col2im(cols, [H + pads[0] + pads[1], W + pads[2] + pads[3]], [kh, kw], s, d);
      gx = narrow(narrow(full, 2, pads[0], H), 3, pads[2], W);
    }
    if (need[1]) {
      const xp = pads.some((q) => q !== 0) ? pad(xs, [pads[2], pads[3], pads[0], pads[1]]) : xs;
      const cols = reshape(windows(xp, [kh, kw], s, d, [oh, ow]), [N, G, K, oh * ow]);
      gw = reshape(sum(matmul(gm, transpose(cols, 2, 3)), 0), [O, Cg, kh, kw]);
    }
    return [gx, gw, need[2] ? sum(g, [0, 2, 3]) : null];
  });
}

/** 'same'/'valid'/int/tuple padding to per-side pads for each spatial dim. */
function convPadding(op: string, padding: ConvOptions['padding'], n: number, k: number[], dilation: number[], stride: number[]): Pair[] {
  if (padding === 'valid') return k.map(() => [0, 0]);
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride ${JSON.stringify(stride)})`);
    return k.map((kk, i) => {
      const total = dilation[i]! * (kk - 1);
      const left = Math.floor(total / 2);
      return [left, total - left];
    });
  }
  if (typeof padding === 'string') throw new RangeError(`${op}: invalid padding string ${JSON.stringify(padding)} (expected 'same' or 'valid')`);
  return tuple(op, 'padding', padding ?? 0, n, 0).map((p) => [p, p]);
}

/** torch.nn.functional.conv2d: x [N, C, H, W] (or [C, H, W]), weight [O, C/groups, kh, kw]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  checkConvArgs('conv2d', x, weight, bias, 4);
  const stride = tuple('conv2d', 'stride', opts.stride ?? 1, 2, 1) as Pair;
  const dilation = tuple('conv2d', 'dilation', opts.dilation ?? 1, 2, 1) as Pair;
  const k = [weight.shape[2]!, weight.shape[3]!];
  const [ph, pw] = convPadding('conv2d', opts.padding, 2, k, dilation, stride);
  return batched('conv2d', x, 4, (xb) => conv2dCore('conv2d', xb, weight, bias, stride, [ph![0], ph![1], pw![0], pw![1]], dilation, opts.groups ?? 1));
}

/** torch.nn.functional.conv1d: x [N, C, L] (or [C, L]), weight [O, C/groups, k]. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  checkConvArgs('conv1d', x, weight, bias, 3);
  const [stride] = tuple('conv1d', 'stride', opts.stride ?? 1, 1, 1);
  const [dilation] = tuple('conv1d', 'dilation', opts.dilation ?? 1, 1, 1);
  const [p] = convPadding('conv1d', opts.padding, 1, [weight.shape[2]!], [dilation!], [stride!]);
  const w4 = unsqueeze(weight, 2);
  const out = batched('conv1d', x, 3, (xb) => {
    const x4 = unsqueeze(xb, 2);
    const y = conv2dCore('conv1d', x4, w4, bias, [1, stride!], [0, 0, p![0], p![1]], [1, dilation!], opts.groups ?? 1);
    const r = squeeze(y, 2);
    drop([xb], x4, y);
    return r;
  });
  w4.dispose();
  return out;
}

/** Transposed convolution on batched input: batched matmul then col2im. */
function convTranspose2dCore(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, stride: Pair, padding: Pair, outputPadding: Pair, dilation: Pair, groups: number): Tensor {
  const [N, Cin, H, W] = x.shape as [number, number, number, number];
  const [Cw, Og, kh, kw] = weight.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${groups}`);
  if (Cw !== Cin) throw new RangeError(`${op}: given weight of size ${fmtShape(weight.shape)}, expected input ${fmtShape(x.shape)} to have ${Cw} channels, but got ${Cin} channels instead`);
  if (Cin % groups !== 0) throw new RangeError(`${op}: in_channels (${Cin}) must be divisible by groups (${groups})`);
  const G = groups, Cg = Cin / G, O = Og * G;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new RangeError(`${op}: expected bias of shape [${O}], but got ${fmtShape(bias.shape)}`);
  for (let i = 0; i < 2; i++) {
    if (outputPadding[i]! >= Math.max(stride[i]!, dilation[i]!)) {
      throw new RangeError(`${op}: output padding must be smaller than either stride or dilation, but got outputPadding ${fmtShape(outputPadding)}, stride ${fmtShape(stride)}, dilation ${fmtShape(dilation)}`);
    }
  }
  const Hf = (H - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + outputPadding[0];
  const Wf = (W - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + outputPadding[1];
  const Ho = Hf - 2 * padding[0], Wo = Wf - 2 * padding[1];
  if (Ho <= 0 || Wo <= 0) throw new RangeError(`${op}: given input ${fmtShape(x.shape)} and weight ${fmtShape(weight.shape)}, the calculated output size (${Ho} x ${Wo}) is too small`);
  const xm = reshape(x, [N, G, Cg, H * W]);
  const wm = reshape(weight, [G, Cg, Og * kh * kw]);
  const wt = transpose(wm, 1, 2);
  const colsM = matmul(wt, xm); // [N, G, Og*kh*kw, H*W]
  const cols = reshape(colsM, [N, O, kh, kw, H, W]);
  const fullOut = col2im(cols, [Hf, Wf], [kh, kw], stride, dilation);
  let out = fullOut;
  let cropH: Tensor | null = null;
  if (padding[0] || padding[1]) {
    cropH = narrow(fullOut, 2, padding[0], Ho);
    out = narrow(cropH, 3, padding[1], Wo);
  }
  let b4: Tensor | null = null;
  const cropped = out;
  if (bias) {
    b4 = reshape(bias, [1, O, 1, 1]);
    out = add(cropped, b4);
  }
  drop([x, weight, bias, out], xm, wm, wt, colsM, cols, fullOut, cropH, cropped, b4);
  return out;
}

/** torch.nn.functional.conv_transpose2d: x [N, Cin, H, W] (or unbatched), weight [Cin, Cout/groups, kh, kw]. */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkConvArgs(op, x, weight, bias, 4);
  const stride = tuple(op, 'stride', opts.stride ?? 1, 2, 1) as Pair;
  const padding = tuple(op, 'padding', opts.padding ?? 0, 2, 0) as Pair;
  const outputPadding = tuple(op, 'outputPadding', opts.outputPadding ?? 0, 2, 0) as Pair;
  const dilation = tuple(op, 'dilation', opts.dilation ?? 1, 2, 1) as Pair;
  return batched(op, x, 4, (xb) => convTranspose2dCore(op, xb, weight, bias, stride, padding, outputPadding, dilation, opts.groups ?? 1));
}

/** torch.nn.functional.conv_transpose1d: x [N, Cin, L] (or unbatched), weight [Cin, Cout/groups, k]. */
export function convTranspose1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  const op = 'convTranspose1d';
  checkConvArgs(op, x, weight, bias, 3);
  const [stride] = tuple(op, 'stride', opts.stride ?? 1, 1, 1);
  const [padding] = tuple(op, 'padding', opts.padding ?? 0, 1, 0);
  const [outputPadding] = tuple(op, 'outputPadding', opts.outputPadding ?? 0, 1, 0);
  const [dilation] = tuple(op, 'dilation', opts.dilation ?? 1, 1, 1);
  const w4 = unsqueeze(weight, 2);
  const out = batched(op, x, 3, (xb) => {
    const x4 = unsqueeze(xb, 2);
    const y = convTranspose2dCore(op, x4, w4, bias, [1, stride!], [0, padding!], [0, outputPadding!], [1, dilation!], opts.groups ?? 1);
    const r = squeeze(y, 2);
    drop([xb], x4, y);
    return r;
  });
  w4.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------
// pooling

export interface MaxPoolOptions {
  /** Defaults to kernelSize. */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPoolOptions {
  /** Defaults to kernelSize. */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** PyTorch's pooling_output_shape. */
function poolOutSize(size: number, k: number, pad: number, stride: number, dilation: number, ceil: boolean): number {
  const num = size + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

interface PoolGeom {
  k: Pair;
  s: Pair;
  p: Pair;
  d: Pair;
  out: Pair;
  /** Pads [left, right, top, bottom] that make the padded input exactly cover all windows. */
  pads: [number, number, number, number];
}

function poolGeometry(op: string, x: Tensor, kernelSize: number | readonly number[], stride: number | readonly number[] | null | undefined, padding: number | readonly number[], dilation: number | readonly number[], ceil: boolean): PoolGeom {
  const k = tuple(op, 'kernelSize', kernelSize, 2, 1) as Pair;
  const s = (stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0) ? k : tuple(op, 'stride', stride, 2, 1)) as Pair;
  const p = tuple(op, 'padding', padding, 2, 0) as Pair;
  const d = tuple(op, 'dilation', dilation, 2, 1) as Pair;
  for (let i = 0; i < 2; i++) {
    if (p[i]! > Math.floor(k[i]! / 2)) throw new RangeError(`${op}: pad should be at most half of effective kernel size, but got pad=${p[i]}, kernel_size=${k[i]}`);
  }
  const H = x.shape[x.ndim - 2]!, W = x.shape[x.ndim - 1]!;
  const out: Pair = [poolOutSize(H, k[0], p[0], s[0], d[0], ceil), poolOutSize(W, k[1], p[1], s[1], d[1], ceil)];
  if (out[0] < 1 || out[1] < 1) {
    throw new RangeError(`${op}: given input size (${x.shape.slice(-3).join('x')}), calculated output size (${x.shape[x.ndim - 3] ?? 1}x${out[0]}x${out[1]}) is too small (kernel ${fmtShape(k)}, stride ${fmtShape(s)}, padding ${fmtShape(p)}, dilation ${fmtShape(d)})`);
  }
  const needH = (out[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1, needW = (out[1] - 1) * s[1] + d[1] * (k[1] - 1) + 1;
  return { k, s, p, d, out, pads: [p[1], needW - W - p[1], p[0], needH - H - p[0]] };
}

function lowest(dtype: DType): number {
  if (isFloating(dtype)) return -Infinity;
  if (dtype === 'int32') return -2147483648;
  if (dtype === 'uint8' || dtype === 'bool') return 0;
  return Number.MIN_SAFE_INTEGER;
}

/** torch.nn.functional.max_pool2d: [N, C, H, W] or [C, H, W]; with returnIndices, [values, indices into H*W]. */
export function maxPool2d(x: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  const op = 'maxPool2d';
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor as input`);
  x._assertAlive(op);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: expected 3D or 4D input, but got input of shape ${fmtShape(x.shape)}`);
  const g = poolGeometry(op, x, kernelSize, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false);
  let indices: Tensor | null = null;
  const values = batched(op, x, 4, (xb) => {
    const [N, C, H, W] = xb.shape as [number, number, number, number];
    const ov = xb.storage.backend.overrides;
    if (ov?.maxPool2d && fusable(xb)) {
      const be = xb.storage.backend;
      const v = empty(be, xb.dtype, [N, C, g.out[0], g.out[1]]);
      const idx = empty(be, 'int64', [N, C, g.out[0], g.out[1]]);
      ov.maxPool2d.call(ov, xb._view(op), { kernelSize: g.k, stride: g.s, padding: g.p, dilation: g.d, outSize: g.out }, v.storage.buf, idx.storage.buf);
      if (needsGrad(xb)) record('MaxPool2DWithIndicesBackward', [xb], [v], ([gr], [ind]) => [maxPool2dGrad(gr!, ind!, H, W)], [idx]);
      if (opts.returnIndices) indices = idx;
      else idx.dispose();
      return v;
    }
    const xp = g.pads.some((q) => q !== 0) ? pad(xb, g.pads, 'constant', lowest(xb.dtype)) : xb;
    const win = windows(xp, g.k, g.s, g.d, g.out);
    const flat = reshape(win, [N, C, g.k[0] * g.k[1], g.out[0], g.out[1]]);
    const [v, idx] = max(flat, 2);
    if (opts.returnIndices) {
      // window position -> flat index into the (unpadded) input plane
      const ki = floorDivide(idx, g.k[1]), kj = remainder(idx, g.k[1]);
      const hBase = tensor(Float64Array.from({ length: g.out[0] }, (_, i) => i * g.s[0] - g.p[0]), { dtype: 'int64', device: x.device, shape: [g.out[0], 1] });
      const wBase = tensor(Float64Array.from({ length: g.out[1] }, (_, i) => i * g.s[1] - g.p[1]), { dtype: 'int64', device: x.device, shape: [1, g.out[1]] });
      const kh = mul(ki, g.d[0]), kw = mul(kj, g.d[1]);
      const h = add(kh, hBase), w = add(kw, wBase);
      const hw = mul(h, W);
      indices = add(hw, w);
      drop([], ki, kj, hBase, wBase, kh, kw, h, w, hw);
    }
    drop([xb, v], xp, win, flat, idx);
    return v;
  });
  if (opts.returnIndices) {
    let ind = indices!;
    if (x.ndim === 3) {
      const sq = squeeze(ind, 0);
      ind.dispose();
      ind = sq;
    }
    return [values, ind];
  }
  return values;
}

/** torch.nn.functional.max_pool1d: [N, C, L] or [C, L]. */
export function maxPool1d(x: Tensor, kernelSize: number | readonly number[], opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: number | readonly number[], opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  if (!(x instanceof Tensor)) throw new TypeError('maxPool1d: expected a Tensor as input');
  if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`maxPool1d: expected 2D or 3D input, but got input of shape ${fmtShape(x.shape)}`);
  const one = (v: number | readonly number[] | null | undefined, name: string, dflt: number | null): number | null => {
    if (v === null || v === undefined) return dflt;
    const [a] = tuple('maxPool1d', name, v, 1, 0);
    return a!;
  };
  const k = one(kernelSize, 'kernelSize', null)!;
  const x4 = unsqueeze(x, -2);
  const r = maxPool2d(x4, [1, k], {
    stride: [1, one(opts.stride, 'stride', k)!],
    padding: [0, one(opts.padding, 'padding', 0)!],
    dilation: [1, one(opts.dilation, 'dilation', 1)!],
    ceilMode: opts.ceilMode ?? false,
    returnIndices: true,
  });
  x4.dispose();
  const v = squeeze(r[0], -2);
  r[0].dispose();
  if (!opts.returnIndices) {
    r[1].dispose();
    return v;
  }
  const i = squeeze(r[1], -2);
  r[1].dispose();
  return [v, i];
}

/** Per-output-position window sizes along one dim (PyTorch's avg_pool divisor factors). */
function avgCounts(size: number, out: number, k: number, s: number, p: number, includePad: boolean): number[] {
  const r: number[] = [];
  for (let o = 0; o < out; o++) {
    let start = o * s - p;
    let end = Math.min(start + k, size + p);
    const poolSize = end - start;
    start = Math.max(start, 0);
    end = Math.min(end, size);
    r.push(includePad ? poolSize : end - start);
  }
  return r;
}

/** Gradient of fused max pooling: the backward override, or a differentiable scatterAdd. */
function maxPool2dGrad(g: Tensor, ind: Tensor, H: number, W: number): Tensor {
  const be = g.storage.backend;
  const ov = be.overrides;
  const [N, C, oh, ow] = g.shape as [number, number, number, number];
  if (!needsGrad(g) && ov?.maxPool2dBackward) {
    const out = empty(be, g.dtype, [N, C, H, W]);
    ov.maxPool2dBackward.call(ov, g._view('maxPool2d'), ind._view('maxPool2d'), [H, W], out.storage.buf);
    return out;
  }
  return tidy(() => reshape(scatterAdd(zeros([N, C, H * W], { dtype: g.dtype, device: g.device }), 2, reshape(ind, [N, C, oh * ow]), reshape(g, [N, C, oh * ow])), [N, C, H, W]));
}

/** Gradient of fused average pooling: the backward override, or g / divisor added back by col2im. */
function avgPool2dGrad(g: Tensor, geo: PoolGeom, H: number, W: number, include: boolean, divisor: number | null): Tensor {
  const be = g.storage.backend;
  const ov = be.overrides;
  const [N, C, oh, ow] = g.shape as [number, number, number, number];
  const p: Pool2dParams = { kernelSize: geo.k, stride: geo.s, padding: geo.p, dilation: geo.d, outSize: geo.out };
  if (!needsGrad(g) && ov?.avgPool2dBackward) {
    const out = empty(be, g.dtype, [N, C, H, W]);
    ov.avgPool2dBackward.call(ov, g._view('avgPool2d'), p, [H, W], include, divisor, out.storage.buf);
    return out;
  }
  return tidy(() => {
    let gd: Tensor;
    if (divisor !== null) gd = g.div(divisor);
    else {
      const ch = avgCounts(H, oh, geo.k[0], geo.s[0], geo.p[0], include), cw = avgCounts(W, ow, geo.k[1], geo.s[1], geo.p[1], include);
      const prod = new Float64Array(oh * ow);
      ch.forEach((a, i) => cw.forEach((c, j) => (prod[i * ow + j] = a * c)));
      gd = g.div(tensor(prod, { dtype: g.dtype, device: g.device, shape: [oh, ow] }));
    }
    const cols = expand(unsqueeze(unsqueeze(gd, 2), 2), [N, C, geo.k[0], geo.k[1], oh, ow]);
    // (the pads after may be negative: rows no window reaches)
    const full = col2im(cols, [H + geo.p[0] + Math.max(geo.pads[3], 0), W + geo.p[1] + Math.max(geo.pads[1], 0)], geo.k, geo.s, geo.d);
    return narrow(narrow(full, 2, geo.p[0], H), 3, geo.p[1], W);
  });
}

/** torch.nn.functional.avg_pool2d: [N, C, H, W] or [C, H, W]. */
export function avgPool2d(x: Tensor, kernelSize: number | readonly number[], opts: AvgPoolOptions = {}): Tensor {
  const op = 'avgPool2d';
  checkFloat(op, x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: expected 3D or 4D input, but got input of shape ${fmtShape(x.shape)}`);
  const g = poolGeometry(op, x, kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false);
  const div = opts.divisorOverride;
  if (div !== null && div !== undefined && (div === 0 || !Number.isFinite(div))) throw new RangeError(`${op}: divisor must be not zero, got ${div}`);
  const H = x.shape[x.ndim - 2]!, W = x.shape[x.ndim - 1]!;
  return batched(op, x, 4, (xb) => {
    const ov = xb.storage.backend.overrides;
    if (ov?.avgPool2d && fusable(xb)) {
      const be = xb.storage.backend;
      const p: Pool2dParams = { kernelSize: g.k, stride: g.s, padding: g.p, dilation: g.d, outSize: g.out };
      const include = opts.countIncludePad ?? true, divisor = div ?? null;
      const out = empty(be, xb.dtype, [xb.shape[0]!, xb.shape[1]!, g.out[0], g.out[1]]);
      ov.avgPool2d.call(ov, xb._view(op), p, include, divisor, out.storage.buf);
      if (needsGrad(xb)) record('AvgPool2DBackward', [xb], [out], ([gr]) => [avgPool2dGrad(gr!, g, H, W, include, divisor)]);
      return out;
    }
    const xp = g.pads.some((q) => q !== 0) ? pad(xb, g.pads) : xb;
    const win = windows(xp, g.k, g.s, g.d, g.out);
    const total = sum(win, [2, 3]);
    let out: Tensor;
    const tmp: Tensor[] = [];
    if (div !== null && div !== undefined) out = total.div(div);
    else {
      const include = opts.countIncludePad ?? true;
      const ch = avgCounts(H, g.out[0], g.k[0], g.s[0], g.p[0], include);
      const cw = avgCounts(W, g.out[1], g.k[1], g.s[1], g.p[1], include);
      if (ch.every((c) => c === ch[0]) && cw.every((c) => c === cw[0])) out = total.div(ch[0]! * cw[0]!);
      else {
        const prod = new Float64Array(ch.length * cw.length);
        ch.forEach((a, i) => cw.forEach((c, j) => (prod[i * cw.length + j] = a * c)));
        const dt = tensor(prod, { dtype: x.dtype, device: x.device, shape: [ch.length, cw.length] });
        tmp.push(dt);
        out = total.div(dt);
      }
    }
    drop([xb, out], xp, win, total, ...tmp);
    return out;
  });
}

/** torch.nn.functional.avg_pool1d: [N, C, L] or [C, L]. */
export function avgPool1d(x: Tensor, kernelSize: number | readonly number[], opts: Omit<AvgPoolOptions, 'divisorOverride'> = {}): Tensor {
  checkFloat('avgPool1d', x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`avgPool1d: expected 2D or 3D input, but got input of shape ${fmtShape(x.shape)}`);
  const one = (v: number | readonly number[], name: string): number => tuple('avgPool1d', name, v, 1, 0)[0]!;
  const k = one(kernelSize, 'kernelSize');
  const x4 = unsqueeze(x, -2);
  const y = avgPool2d(x4, [1, k], {
    stride: [1, opts.stride === null || opts.stride === undefined ? k : one(opts.stride, 'stride')],
    padding: [0, one(opts.padding ?? 0, 'padding')],
    ceilMode: opts.ceilMode ?? false,
    countIncludePad: opts.countIncludePad ?? true,
  });
  const out = squeeze(y, -2);
  drop([], x4, y);
  return out;
}

/** Averaging matrix [out, in] of PyTorch's adaptive bins floor(i*in/out) .. ceil((i+1)*in/out). */
function adaptiveMatrix(inSize: number, outSize: number, dtype: DType, device: string): Tensor {
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start);
  }
  return tensor(m, { dtype, device, shape: [outSize, inSize] });
}

/** Adaptive average pooling over the trailing dims of x (sizes null keep the input size). */
function adaptiveAvgPool(op: string, x: Tensor, outSize: (number | null)[]): Tensor {
  const nd = outSize.length;
  const sizes = outSize.map((o, i) => o ?? x.shape[x.ndim - nd + i]!);
  sizes.forEach((o) => {
    if (!Number.isInteger(o) || o < 0) throw new RangeError(`${op}: output size must be non-negative integers, got ${JSON.stringify(outSize)}`);
  });
  for (let i = 0; i < nd; i++) {
    if (x.shape[x.ndim - nd + i] === 0) throw new RangeError(`${op}: expected input to have non-zero size for non-batch dimensions, but input has shape ${fmtShape(x.shape)}`);
  }
  const spatial = [...Array(nd).keys()].map((i) => x.ndim - nd + i);
  if (sizes.every((o) => o === 1)) return mean(x, spatial, true);
  let cur = x;
  for (let i = 0; i < nd; i++) {
    const dim = x.ndim - nd + i;
    const inSize = cur.shape[dim]!, o = sizes[i]!;
    if (inSize === o) continue;
    const m = adaptiveMatrix(inSize, o, x.dtype, x.device);
    let next: Tensor;
    if (dim === x.ndim - 1) {
      const mt = transpose(m, 0, 1);
      next = matmul(cur, mt);
      mt.dispose();
    } else {
      // move dim last, apply, move it back
      const moved = transpose(cur, dim, -1);
      const mt = transpose(m, 0, 1);
      const r = matmul(moved, mt);
      next = transpose(r, dim, -1);
      drop([], moved, mt, r);
    }
    drop([x], m, cur);
    cur = next;
  }
  return cur === x ? alias(x) : cur;
}

/** torch.nn.functional.adaptive_avg_pool2d: [N, C, H, W] or [C, H, W]; null keeps a size. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  checkFloat('adaptiveAvgPool2d', x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`adaptiveAvgPool2d: expected 3D or 4D input, but got input of shape ${fmtShape(x.shape)}`);
  const o = typeof outputSize === 'number' ? [outputSize, outputSize] : [...outputSize];
  if (o.length !== 2) throw new RangeError(`adaptiveAvgPool2d: outputSize must have 2 elements, got ${JSON.stringify(outputSize)}`);
  return adaptiveAvgPool('adaptiveAvgPool2d', x, o);
}

/** torch.nn.functional.adaptive_avg_pool1d: [N, C, L] or [C, L]. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly number[]): Tensor {
  checkFloat('adaptiveAvgPool1d', x);
  if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`adaptiveAvgPool1d: expected 2D or 3D input, but got input of shape ${fmtShape(x.shape)}`);
  const o = typeof outputSize === 'number' ? [outputSize] : [...outputSize];
  if (o.length !== 1) throw new RangeError(`adaptiveAvgPool1d: outputSize must have 1 element, got ${JSON.stringify(outputSize)}`);
  return adaptiveAvgPool('adaptiveAvgPool1d', x, o);
}

// ---------------------------------------------------------------------------------------------
// interpolation

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'trilinear' | 'area';

export interface InterpolateOptions {
  /** Output spatial size (an int for every spatial dim, or one per dim). */
  size?: number | readonly number[] | null;
  /** Multiplier for the spatial size (an int/float for every dim, or one per dim). */
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  /** Recompute the scale from the output size instead of using scaleFactor in the index formula. */
  recomputeScaleFactor?: boolean | null;
}

const LINEAR_MODES: Record<string, number> = { linear: 1, bilinear: 2, trilinear: 3 };

/** torch.nn.functional.interpolate for [N, C, *spatial] inputs (1-3 spatial dims). */
export function interpolate(x: Tensor, opts: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor as input`);
  x._assertAlive(op);
  const mode = opts.mode ?? 'nearest';
  const nd = x.ndim - 2;
  if (nd < 1 || nd > 3) throw new RangeError(`${op}: expected a 3D, 4D or 5D input ([N, C, *spatial]), but got input of shape ${fmtShape(x.shape)}`);
  if (!['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', 'area'].includes(mode)) {
    throw new RangeError(`${op}: unknown mode ${JSON.stringify(mode)} (expected nearest, nearest-exact, linear, bilinear, trilinear or area)`);
  }
  const linear = mode in LINEAR_MODES;
  if (linear && LINEAR_MODES[mode] !== nd) throw new RangeError(`${op}: got ${x.ndim}D input, but ${mode} mode needs ${LINEAR_MODES[mode]! + 2}D input`);
  if (!linear && opts.alignCorners !== null && opts.alignCorners !== undefined) {
    throw new RangeError(`${op}: align_corners option can only be set with the interpolating modes: linear | bilinear | trilinear (got mode ${mode})`);
  }
  if (!isFloating(x.dtype) && mode !== 'nearest' && mode !== 'nearest-exact') throw new TypeError(`${op}: ${mode} mode expects a floating point input, got ${x.dtype}`);
  const alignCorners = opts.alignCorners ?? false;
  const hasSize = opts.size !== null && opts.size !== undefined;
  const hasScale = opts.scaleFactor !== null && opts.scaleFactor !== undefined;
  if (hasSize === hasScale) throw new RangeError(`${op}: exactly one of size or scaleFactor should be defined`);
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | null)[] = inSizes.map(() => null);
  if (hasSize) {
    const s = opts.size!;
    outSizes = typeof s === 'number' ? inSizes.map(() => s) : [...s];
    if (outSizes.length !== nd) throw new RangeError(`${op}: size shape must match input shape: input is ${nd}D, size is ${JSON.stringify(s)}`);
  } else {
    const f = opts.scaleFactor!;
    const fs = typeof f === 'number' ? inSizes.map(() => f) : [...f];
    if (fs.length !== nd) throw new RangeError(`${op}: scaleFactor shape must match input shape: input is ${nd}D, scaleFactor is ${JSON.stringify(f)}`);
    if (fs.some((v) => !(v > 0) || !Number.isFinite(v))) throw new RangeError(`${op}: scaleFactor must be positive, got ${JSON.stringify(f)}`);
    outSizes = inSizes.map((s, i) => Math.floor(s * fs[i]!));
    if (!opts.recomputeScaleFactor) scales = fs;
  }
  if (outSizes.some((o) => !Number.isInteger(o) || o <= 0)) {
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} and output size ${JSON.stringify(outSizes)} should be greater than 0`);
  }
  if (mode === 'area') return adaptiveAvgPool(op, x, outSizes);
  let cur = x;
  for (let i = 0; i < nd; i++) {
    const dim = 2 + i;
    const inSize = inSizes[i]!, outSize = outSizes[i]!;
    const scale = scales[i]!;
    if (inSize === outSize && (mode === 'nearest' || scale === null || scale === 1)) continue;
    let next: Tensor;
    if (!linear) {
      // PyTorch computes the scale and the source index in float32
      const sc = Math.fround(scale !== null ? 1 / scale : inSize / outSize);
      const idx = new Float64Array(outSize);
      for (let o = 0; o < outSize; o++) {
        let src: number;
        if (mode === 'nearest') {
          if (outSize === inSize) src = o;
          else if (outSize === 2 * inSize) src = o >> 1;
          else src = Math.floor(Math.fround(o * sc));
        } else src = Math.floor(Math.fround(Math.fround(o + 0.5) * sc));
        idx[o] = Math.min(src, inSize - 1);
      }
      const it = tensor(idx, { dtype: 'int64', device: x.device });
      next = indexSelect(cur, dim, it);
      it.dispose();
    } else {
      const sc = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : scale !== null ? 1 / scale : inSize / outSize;
      const i0 = new Float64Array(outSize), i1 = new Float64Array(outSize);
      const l0 = new Float64Array(outSize), l1 = new Float64Array(outSize);
      for (let o = 0; o < outSize; o++) {
        const src = alignCorners ? sc * o : Math.max(sc * (o + 0.5) - 0.5, 0);
        const a = Math.min(Math.floor(src), inSize - 1);
        const lam = Math.min(Math.max(src - a, 0), 1);
        i0[o] = a;
        i1[o] = a < inSize - 1 ? a + 1 : a;
        l1[o] = lam;
        l0[o] = 1 - lam;
      }
      const bshape = x.shape.map((_, k) => (k === dim ? outSize : 1));
      const t0 = tensor(i0, { dtype: 'int64', device: x.device }), t1 = tensor(i1, { dtype: 'int64', device: x.device });
      const w0 = tensor(l0, { dtype: x.dtype, device: x.device, shape: bshape }), w1 = tensor(l1, { dtype: x.dtype, device: x.device, shape: bshape });
      const a = indexSelect(cur, dim, t0), b = indexSelect(cur, dim, t1);
      const pa = mul(a, w0), pb = mul(b, w1);
      next = add(pa, pb);
      drop([], t0, t1, w0, w1, a, b, pa, pb);
    }
    drop([x], cur);
    cur = next;
  }
  return cur === x ? alias(x) : cur;
}
