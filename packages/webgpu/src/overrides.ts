/**
 * Fused kernels (core's Overrides) for the webgpu backend: softmax/logSoftmax and layerNorm (one
 * workgroup per row, tree reductions in workgroup memory), gelu (elementwise), embedding,
 * crossEntropy (per-row kernel + a one-workgroup reduction), the SGD/Adam/AdamW updates (one
 * in-place elementwise kernel per parameter), conv2d (groups 1, float32: lowered onto im2col + the
 * matmul kernels; else direct) and pooling (+ backward), attention (forward
 * with each row's lse; backward in two passes, float32). Templates take the dtype as a parameter like the
 * primitives' (templates.ts). matmul is a primitive (templates.ts: matmulShader).
 */
import { contiguousStrides, numelOf, sameShape, type BackendBuffer, type Conv2dParams, type DType, type FusedOptimizerEntry, type Overrides, type Pool2dParams, type View } from '@tensile/core';
import type { WebGPUBackend } from './backend.js';
import { GpuBuffer, Meta, type Binding } from './context.js';
import { BINARY_HELPERS } from './ops.js';
import { declare, ERR_DECL, loadIndex, main1d, MAIN_1D, WG, type BindingDecl } from './templates.js';
import { computeType, load, OFFSET_FN, PRELUDE, store } from './wgsl.js';

const HEAD = PRELUDE + BINARY_HELPERS;
const RW = 64;

function gb(b: BackendBuffer): GpuBuffer {
  if (!(b instanceof GpuBuffer) || b.freed) throw new Error('webgpu: a fused kernel got a freed or foreign buffer');
  return b;
}

/** Workgroup tree reduction helpers over `RW` lanes (sum and max). */
const TREE = /* wgsl */ `
var<workgroup> red: array<f32, ${RW}>;
fn tree_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${RW / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn tree_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${RW / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = fmax_nan(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;

const ROW_MAIN = `@compute @workgroup_size(${RW}) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u)`;

/**
 * softmax / logSoftmax along a dim of a strided view: one workgroup per line.
 * Meta: [lines, size, inner, rank, shape, offset, strides].
 */
function softmaxShader(dtype: DType, log: boolean): string {
  const x = (p: string) => load('xb', dtype, `view_off((outer * size + ${p}) * inner + inn, rank, 4, 4 + rank)`);
  return `${HEAD}
${declare([['xb', dtype, 'read'], ['outb', dtype, 'read_write']])}
${OFFSET_FN}${TREE}
${ROW_MAIN} {
  let l = wid.x + wid.y * nwg.x;
  if (l >= u32(prm[0])) { return; }
  let size = u32(prm[1]);
  let inner = u32(prm[2]);
  let rank = prm[3];
  let outer = l / inner;
  let inn = l % inner;
  var m = -inf_f32();
  for (var p = lid; p < size; p = p + ${RW}u) { m = fmax_nan(m, f32(${x('p')})); }
  m = tree_max(m, lid);
  var s = 0.0;
  for (var p = lid; p < size; p = p + ${RW}u) { s = s + exp(f32(${x('p')}) - m); }
  s = tree_sum(s, lid);
  let lse = log(s);
  for (var p = lid; p < size; p = p + ${RW}u) {
    let o = i32((outer * size + p) * inner + inn);
    let d = f32(${x('p')}) - m;
    ${store('outb', dtype, 'o', log ? 'd - lse' : 'exp(d) / s')}
  }
}`;
}

/**
 * layerNorm over the trailing `size` elements of each row (rows of the view's row-major order).
 * Meta: [rows, size, rank, hasW, hasB, eps(f), xShape, xOff, xStrides, wOff, wStrides(1), bOff, bStrides(1)]
 * (weight and bias are flattened to 1-D views by the caller).
 */
function layerNormShader(dtype: DType): string {
  const xl = (p: string) => `f32(${load('xb', dtype, `view_off(row * size + ${p}, rank, 6, 6 + rank)`)})`;
  return `${HEAD}
${declare([['xb', dtype, 'read'], ['wb', dtype, 'read'], ['bb', dtype, 'read'], ['outb', dtype, 'read_write']])}
${OFFSET_FN}${TREE}
${ROW_MAIN} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u32(prm[0])) { return; }
  let size = u32(prm[1]);
  let rank = prm[2];
  let eps = bitcast<f32>(prm[5]);
  let at = 7 + 2 * rank;
  var s = 0.0;
  for (var p = lid; p < size; p = p + ${RW}u) { s = s + ${xl('p')}; }
  let mean = tree_sum(s, lid) / f32(size);
  var q = 0.0;
  for (var p = lid; p < size; p = p + ${RW}u) { let d = ${xl('p')} - mean; q = q + d * d; }
  let rstd = 1.0 / sqrt(tree_sum(q, lid) / f32(size) + eps);
  for (var p = lid; p < size; p = p + ${RW}u) {
    var y = (${xl('p')} - mean) * rstd;
    if (prm[3] != 0) { y = y * f32(${load('wb', dtype, 'prm[at] + i32(p) * prm[at + 1]')}); }
    if (prm[4] != 0) { y = y + f32(${load('bb', dtype, 'prm[at + 2] + i32(p) * prm[at + 3]')}); }
    ${store('outb', dtype, 'i32(row * size + p)', 'y')}
  }
}`;
}

/**
 * embedding: out[r, c] = weight[index[r], c]. Meta: [numel, dim, rank, num, idxShape, idxOff,
 * idxStrides, wOff, wStride0, wStride1].
 */
function embeddingShader(dtype: DType, index: DType): string {
  return `${HEAD}
${declare([['wb', dtype, 'read'], ['ib', index, 'read'], ['outb', dtype, 'read_write']])}
${ERR_DECL(4)}
${OFFSET_FN}
${main1d()}
  let dim = u32(prm[1]);
  let rank = prm[2];
  let r = i / dim;
  let c = i % dim;
  ${loadIndex(index, 'view_off(r, rank, 4, 4 + rank)', 'prm[3]', 4, 'k = clamp(k, 0, prm[3] - 1);')}
  let w = 5 + 2 * rank;
  ${store('outb', dtype, 'i32(i)', load('wb', dtype, 'prm[w] + k * prm[w + 1] + i32(c) * prm[w + 2]'))}
}`;
}

/**
 * crossEntropy rows: loss[r] and the row's weight w[t] (0 when ignored). One workgroup per row.
 * Meta: [N, C, hasW, ignoreIndex, smoothing(f), xOff, xS0, xS1, tOff, tS0, wOff, wS0].
 */
function crossEntropyRowsShader(dtype: DType, tdt: DType): string {
  const xl = (c: string) => `f32(${load('xb', dtype, `prm[5] + i32(r) * prm[6] + i32(${c}) * prm[7]`)})`;
  const wl = (c: string) => `select(1.0, f32(${load('wb', dtype, `prm[10] + i32(${c}) * prm[11]`)}), prm[2] != 0)`;
  return `${HEAD}
${declare([['xb', dtype, 'read'], ['tb', tdt, 'read'], ['wb', dtype, 'read'], ['lossb', 'float32', 'read_write'], ['wtb', 'float32', 'read_write']])}
${TREE}
${ROW_MAIN} {
  let r = wid.x + wid.y * nwg.x;
  if (r >= u32(prm[0])) { return; }
  let C = u32(prm[1]);
  let t = ${load('tb', tdt, 'prm[8] + i32(r) * prm[9]')};
  let sm = bitcast<f32>(prm[4]);
  var m = -inf_f32();
  for (var c = lid; c < C; c = c + ${RW}u) { m = fmax_nan(m, ${xl('c')}); }
  m = tree_max(m, lid);
  var s = 0.0;
  var ws = 0.0;
  for (var c = lid; c < C; c = c + ${RW}u) {
    let xv = ${xl('c')};
    s = s + exp(xv - m);
    ws = ws + ${wl('c')} * xv;
  }
  s = tree_sum(s, lid);
  ws = tree_sum(ws, lid);
  var wsum = 0.0;
  if (sm != 0.0) {
    var a = 0.0;
    for (var c = lid; c < C; c = c + ${RW}u) { a = a + ${wl('c')}; }
    wsum = tree_sum(a, lid);
  }
  if (lid == 0u) {
    let lse = m + log(s);
    if (t == prm[3]) { lossb[r] = 0.0; wtb[r] = 0.0; return; }
    let tc = clamp(t, 0, i32(C) - 1);
    let wt = ${wl('tc')};
    let nll = lse - ${xl('tc')};
    // (1 - s) * w[t] * -logp[t] + (s / C) * sum_c w[c] * -logp[c]
    let smoothed = wsum * lse - ws;
    lossb[r] = (1.0 - sm) * wt * nll + (sm / f32(C)) * smoothed;
    wtb[r] = wt;
  }
}`;
}

/** Sum (or weighted mean) of N row losses into out[0]. Meta: [N, mean]. */
function sumRowsShader(dtype: DType): string {
  return `${HEAD}
${declare([['lossb', 'float32', 'read'], ['wtb', 'float32', 'read'], ['outb', dtype, 'read_write']])}
${TREE}
${ROW_MAIN} {
  let n = u32(prm[0]);
  var s = 0.0;
  var w = 0.0;
  for (var i = lid; i < n; i = i + ${RW}u) { s = s + lossb[i]; w = w + wtb[i]; }
  s = tree_sum(s, lid);
  w = tree_sum(w, lid);
  if (lid == 0u) {
    var v = s;
    if (prm[1] != 0) { v = s / w; }
    ${store('outb', dtype, '0', 'v')}
  }
}`;
}

/** Copy N floats into an output of dtype (crossEntropy 'none'). Meta: [N]. */
function castRowsShader(dtype: DType): string {
  return `${HEAD}
${declare([['lossb', 'float32', 'read'], ['outb', dtype, 'read_write']])}
${main1d()}
  ${store('outb', dtype, 'i32(i)', 'lossb[i]')}
}`;
}

/** 4-D strided view metadata: offset, 4 strides. */
function v4(v: View): number[] {
  return [v.offset, ...v.strides];
}

/** Conv geometry: [sh, sw, ph, pw, dh, dw, groups, OH, OW]. */
function convGeom(p: Conv2dParams): number[] {
  return [p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], p.groups, p.outSize[0], p.outSize[1]];
}

/**
 * Opens an NCHW kernel (conv, pooling): `bindings` from 1, `at4(base, a, b, c, d)` (the element
 * offset in a 4-D view whose offset and strides are prm[base..base + 4]) and `i` (i32), one
 * invocation per element, past prm[0] returns.
 */
function nchwHead(bindings: readonly BindingDecl[]): string {
  return `${HEAD}
${declare(bindings)}
fn at4(base: i32, a: i32, b: i32, c: i32, d: i32) -> i32 {
  return prm[base] + a * prm[base + 1] + b * prm[base + 2] + c * prm[base + 3] + d * prm[base + 4];
}
${MAIN_1D} {
  let i = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (i >= prm[0]) { return; }`;
}

/**
 * Loops over the (output pixel, kernel tap) pairs whose input pixel ih = oh * sh - ph + a * dh,
 * iw = ow * sw - pw + b * dw lies inside the image, running `body`: over the taps (a, b) of the
 * output (oh, ow) ('taps': forward) or over the outputs (oh, ow) of the tap (a, b) ('outputs':
 * weight gradient). Undilated (tap step 1) for avg pooling, which has no dilation.
 */
function inputWindow(over: 'taps' | 'outputs', body: string, dilated = true): string {
  const [h, w, hn, wn] = over === 'taps' ? ['a', 'b', 'KH', 'KW'] : ['oh', 'ow', 'OH', 'OW'];
  const dh = dilated ? ' * dh' : '', dw = dilated ? ' * dw' : '';
  return `for (var ${h} = 0; ${h} < ${hn}; ${h} = ${h} + 1) {
    let ih = oh * sh - ph + a${dh};
    if (ih < 0 || ih >= H) { continue; }
    for (var ${w} = 0; ${w} < ${wn}; ${w} = ${w} + 1) {
      let iw = ow * sw - pw + b${dw};
      if (iw < 0 || iw >= W) { continue; }
      ${body}
    }
  }`;
}

/**
 * The transpose of inputWindow (input gradients): the taps (a, b) of the input pixel (h, w) and
 * the output (oh, ow) each one reaches, skipping taps that fall between strides or outside.
 */
function outputWindow(body: string, dilated = true): string {
  const dh = dilated ? ' * dh' : '', dw = dilated ? ' * dw' : '';
  return `for (var a = 0; a < KH; a = a + 1) {
    let th = h + ph - a${dh};
    if (th < 0 || th % sh != 0) { continue; }
    let oh = th / sh;
    if (oh >= OH) { continue; }
    for (var b = 0; b < KW; b = b + 1) {
      let tw = w + pw - b${dw};
      if (tw < 0 || tw % sw != 0) { continue; }
      let ow = tw / sw;
      if (ow >= OW) { continue; }
      ${body}
    }
  }`;
}

const CONV_HEAD = (bindings: readonly BindingDecl[]) => `${nchwHead(bindings)}
  // [numel, N, C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, groups, OH, OW, views...]
  let N = prm[1]; let C = prm[2]; let H = prm[3]; let W = prm[4]; let O = prm[5]; let KH = prm[6]; let KW = prm[7];
  let sh = prm[8]; let sw = prm[9]; let ph = prm[10]; let pw = prm[11]; let dh = prm[12]; let dw = prm[13];
  let G = prm[14]; let OH = prm[15]; let OW = prm[16];
  let Cg = C / G; let Og = O / G;
  var acc = 0.0;`;

/** conv2d forward, one invocation per output [n, o, oh, ow]. Views at 17 (x), 22 (w), 27 (bias), flag at 32. */
function conv2dShader(dtype: DType): string {
  return `${CONV_HEAD([['xb', dtype, 'read'], ['wb', dtype, 'read'], ['bb', dtype, 'read'], ['outb', dtype, 'read_write']])}
  let ow = i % OW; let oh = (i / OW) % OH; let o = (i / (OW * OH)) % O; let n = i / (OW * OH * O);
  let g = o / Og;
  if (prm[32] != 0) { acc = f32(${load('bb', dtype, 'prm[27] + o * prm[28]')}); }
  for (var c = 0; c < Cg; c = c + 1) {
    ${inputWindow('taps', `acc = acc + f32(${load('xb', dtype, 'at4(17, n, g * Cg + c, ih, iw)')}) * f32(${load('wb', dtype, 'at4(22, o, c, a, b)')});`)}
  }
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

/** Gradient of the input, one invocation per [n, c, h, w]. Views at 17 (grad), 22 (w). */
function conv2dBackInputShader(dtype: DType): string {
  return `${CONV_HEAD([['gb_', dtype, 'read'], ['wb', dtype, 'read'], ['outb', dtype, 'read_write']])}
  let w = i % W; let h = (i / W) % H; let c = (i / (W * H)) % C; let n = i / (W * H * C);
  let g = c / Cg; let cl = c % Cg;
  for (var ol = 0; ol < Og; ol = ol + 1) {
    let o = g * Og + ol;
    ${outputWindow(`acc = acc + f32(${load('gb_', dtype, 'at4(17, n, o, oh, ow)')}) * f32(${load('wb', dtype, 'at4(22, o, cl, a, b)')});`)}
  }
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

/** Gradient of the weight, one invocation per [o, c, a, b]. Views at 17 (grad), 22 (x). */
function conv2dBackWeightShader(dtype: DType): string {
  return `${CONV_HEAD([['gb_', dtype, 'read'], ['xb', dtype, 'read'], ['outb', dtype, 'read_write']])}
  let b = i % KW; let a = (i / KW) % KH; let c = (i / (KW * KH)) % Cg; let o = i / (KW * KH * Cg);
  let g = o / Og;
  for (var n = 0; n < N; n = n + 1) {
    ${inputWindow('outputs', `acc = acc + f32(${load('gb_', dtype, 'at4(17, n, o, oh, ow)')}) * f32(${load('xb', dtype, 'at4(22, n, g * Cg + c, ih, iw)')});`)}
  }
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

/** Bias gradient, one invocation per o: sum of grad over n, oh, ow. View at 17 (grad). */
function conv2dBackBiasShader(dtype: DType): string {
  return `${CONV_HEAD([['gb_', dtype, 'read'], ['outb', dtype, 'read_write']])}
  for (var n = 0; n < N; n = n + 1) {
    for (var oh = 0; oh < OH; oh = oh + 1) {
      for (var ow = 0; ow < OW; ow = ow + 1) { acc = acc + f32(${load('gb_', dtype, 'at4(17, n, i, oh, ow)')}); }
    }
  }
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

/**
 * im2col for the matmul-lowered convolution (groups 1): one invocation per element of the float32
 * scratch col[k, n, p] ([Kp, N, Pp], 4 columns per invocation: k = (c * KH + a) * KW + b over Kc = C * KH * KW taps, then
 * a row of ones at k = Kc when prm[24] (the bias folded into the matmul), zeros up to Kp; p =
 * oh * OW + ow, zeros up to Pp). View at 17 (x), then Kp, Pp, ones.
 */
function im2colShader(dtype: DType): string {
  return `${CONV_HEAD([['xb', dtype, 'read'], ['outb', 'float32', 'read_write']])}
  let Kp = prm[22]; let Pp = prm[23];
  // 4 consecutive columns per invocation (Pp % 4 == 0): i counts groups of 4
  let P4 = Pp / 4;
  let p0 = (i % P4) * 4; let n = (i / P4) % N; let k = i / (P4 * N);
  let Kc = C * KH * KW;
  let b = k % KW; let a = (k / KW) % KH; let c = k / (KW * KH);
  var oh = p0 / OW; var ow = p0 % OW;
  for (var j = 0; j < 4; j = j + 1) {
    var v = 0.0;
    if (oh < OH) {
      if (k < Kc) {
        let ih = oh * sh - ph + a * dh; let iw = ow * sw - pw + b * dw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) { v = f32(${load('xb', dtype, 'at4(17, n, c, ih, iw)')}); }
      } else if (k == Kc && prm[24] != 0) { v = 1.0; }
    }
    ${store('outb', 'float32', 'i * 4 + j', 'v')}
    ow = ow + 1;
    if (ow == OW) { ow = 0; oh = oh + 1; }
  }
}`;
}

/**
 * The weight as a float32 [O, Kp] matrix (k as in im2colShader; the bias at k = Kc when prm[24],
 * zeros up to Kp). Views at 17 (w), bias offset and stride at 22, 23, then the flag, Kp.
 */
function convPackWeightShader(dtype: DType): string {
  return `${CONV_HEAD([['wb', dtype, 'read'], ['bb', dtype, 'read'], ['outb', 'float32', 'read_write']])}
  let Kp = prm[25];
  let k = i % Kp; let o = i / Kp;
  let Kc = C * KH * KW;
  if (k < Kc) {
    acc = f32(${load('wb', dtype, 'at4(17, o, k / (KW * KH), (k / KW) % KH, k % KW)')});
  } else if (k == Kc && prm[24] != 0) { acc = f32(${load('bb', dtype, 'prm[22] + o * prm[23]')}); }
  ${store('outb', 'float32', 'i', 'acc')}
}`;
}

/** The output gradient as a float32 [O, N, Pp] matrix (zeros past OH * OW). View at 17 (grad), then Pp. */
function convPackGradShader(dtype: DType): string {
  return `${CONV_HEAD([['gb_', dtype, 'read'], ['outb', 'float32', 'read_write']])}
  let Pp = prm[22];
  let p = i % Pp; let n = (i / Pp) % N; let o = i / (Pp * N);
  if (p < OH * OW) { acc = f32(${load('gb_', dtype, 'at4(17, n, o, p / OW, p % OW)')}); }
  ${store('outb', 'float32', 'i', 'acc')}
}`;
}

/**
 * col2im (input gradient): one invocation per [n, c, h, w], summing the float32 column gradient
 * dcol[n, k, p] ([N, Kp, Pp]) over the taps that reach the pixel. Kp, Pp at 17, 18.
 */
function col2imShader(dtype: DType): string {
  return `${CONV_HEAD([['colb', 'float32', 'read'], ['outb', dtype, 'read_write']])}
  let w = i % W; let h = (i / W) % H; let c = (i / (W * H)) % C; let n = i / (W * H * C);
  let Kp = prm[17]; let Pp = prm[18];
  let base = n * Kp * Pp;
  ${outputWindow('acc = acc + colb[base + ((c * KH + a) * KW + b) * Pp + oh * OW + ow];')}
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

/** Splits i into n, c and the pixel (h, w) of an [N, C, H, W] tensor (row, column and size names given). */
const nchwPixel = (h: string, w: string, H: string, W: string) => `let ${w} = i % ${W}; let ${h} = (i / ${W}) % ${H}; let nc = i / (${W} * ${H});
  let c = nc % C; let n = nc / C;`;

/**
 * Pooling, one invocation per output [n, c, oh, ow] (or per input element for backward).
 * Meta: [numel, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, countIncludePad, divisor, view at 17].
 */
const POOL_HEAD = (bindings: readonly BindingDecl[]) => `${nchwHead(bindings)}
  let C = prm[2]; let H = prm[3]; let W = prm[4]; let KH = prm[5]; let KW = prm[6];
  let sh = prm[7]; let sw = prm[8]; let ph = prm[9]; let pw = prm[10]; let dh = prm[11]; let dw = prm[12];
  let OH = prm[13]; let OW = prm[14];`;

function maxPoolShader(dtype: DType): string {
  return `${POOL_HEAD([['xb', dtype, 'read'], ['vb', dtype, 'read_write'], ['ib', 'int64', 'read_write']])}
  ${nchwPixel('oh', 'ow', 'OH', 'OW')}
  var best = -inf_f32();
  var bi = -1;
  ${inputWindow('taps', `let v = f32(${load('xb', dtype, 'at4(17, n, c, ih, iw)')});
      if (bi < 0 || (!is_nan(best) && (is_nan(v) || v > best))) { best = v; bi = ih * W + iw; }`)}
  ${store('vb', dtype, 'i', 'best')}
  ${store('ib', 'int64', 'i', 'bi')}
}`;
}

/** max-pool backward: one invocation per input element, summing the grads whose index points at it. grad at 17, indices at 22. */
function maxPoolBackShader(dtype: DType): string {
  return `${POOL_HEAD([['gb_', dtype, 'read'], ['ib', 'int64', 'read'], ['outb', dtype, 'read_write']])}
  ${nchwPixel('h', 'w', 'H', 'W')}
  let me = h * W + w;
  var acc = 0.0;
  for (var oh = 0; oh < OH; oh = oh + 1) {
    for (var ow = 0; ow < OW; ow = ow + 1) {
      if (${load('ib', 'int64', 'at4(22, n, c, oh, ow)')} == me) { acc = acc + f32(${load('gb_', dtype, 'at4(17, n, c, oh, ow)')}); }
    }
  }
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

/** The avg-pool divisor of output window (oh, ow). */
const AVG_DIV = `
fn avg_div(oh: i32, ow: i32, H: i32, W: i32, KH: i32, KW: i32, sh: i32, sw: i32, ph: i32, pw: i32) -> f32 {
  if (prm[16] != 0) { return f32(prm[16]); }
  let h0 = oh * sh - ph; let w0 = ow * sw - pw;
  var h1 = min(h0 + KH, H + ph); var w1 = min(w0 + KW, W + pw);
  if (prm[15] != 0) { return f32((h1 - h0) * (w1 - w0)); }
  return f32((min(h1, H) - max(h0, 0)) * (min(w1, W) - max(w0, 0)));
}`;

function avgPoolShader(dtype: DType): string {
  return `${AVG_DIV}${POOL_HEAD([['xb', dtype, 'read'], ['outb', dtype, 'read_write']])}
  ${nchwPixel('oh', 'ow', 'OH', 'OW')}
  var acc = 0.0;
  ${inputWindow('taps', `acc = acc + f32(${load('xb', dtype, 'at4(17, n, c, ih, iw)')});`, false)}
  ${store('outb', dtype, 'i', 'acc / avg_div(oh, ow, H, W, KH, KW, sh, sw, ph, pw)')}
}`;
}

function avgPoolBackShader(dtype: DType): string {
  return `${AVG_DIV}${POOL_HEAD([['gb_', dtype, 'read'], ['outb', dtype, 'read_write']])}
  ${nchwPixel('h', 'w', 'H', 'W')}
  var acc = 0.0;
  ${outputWindow(`acc = acc + f32(${load('gb_', dtype, 'at4(17, n, c, oh, ow)')}) / avg_div(oh, ow, H, W, KH, KW, sh, sw, ph, pw);`, false)}
  ${store('outb', dtype, 'i', 'acc')}
}`;
}

function poolMeta(numel: number, N: number, C: number, H: number, W: number, p: Pool2dParams, cip: boolean, div: number | null): Meta {
  return new Meta().i(numel, N, C, H, W, p.kernelSize[0], p.kernelSize[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1],
    p.dilation[0], p.dilation[1], p.outSize[0], p.outSize[1], cip ? 1 : 0, div ?? 0);
}

/**
 * `fn boff(b, which)`: the offset of batch b (flat) in attention operand `which` (0 q, 1 k, 2 v,
 * 3 mask, 4 grad): br = prm[5] batch dims, the batch shape at prm[at], then each operand's strides.
 */
const attnBatchOffset = (at: number) => `
fn boff(b0: u32, which: i32) -> i32 {
  let br = prm[5];
  var bi = b0;
  var o = 0;
  for (var d = br - 1; d >= 0; d = d - 1) {
    let sz = u32(prm[${at} + d]);
    let c = i32(bi % sz);
    bi = bi / sz;
    o = o + c * prm[${at} + (1 + which) * br + d];
  }
  return o;
}`;

/** Bindings 1-4 of both row kernels: q, k, v and the mask (float32-typed when absent: the slot stays). */
const attnInputs = (dtype: DType, mask: DType | null): BindingDecl[] => [['qb', dtype, 'read'], ['kb', dtype, 'read'], ['vb', dtype, 'read'], ['mb', mask ?? 'float32', 'read']];

/**
 * Opens a one-workgroup-per-query-row attention kernel (meta head as attentionMeta): the row, its
 * batch b and query i, and where q's row, k, v and the mask's row start in batch b.
 */
const ATTN_ROW_MAIN = `${ROW_MAIN} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u32(prm[0])) { return; }
  let L = u32(prm[1]); let S = u32(prm[2]); let E = prm[3]; let Ev = prm[4];
  let scale = bitcast<f32>(prm[8]);
  let i = row % L;
  let b = row / L;
  let qo = prm[9] + boff(b, 0) + i32(i) * prm[10];
  let ko = prm[12] + boff(b, 1);
  let vo = prm[15] + boff(b, 2);
  let mo = prm[18] + boff(b, 3) + i32(i) * prm[19];`;

/** `var sc` = the scaled score of query i against key j, -inf where the mask or causality hides it (a float mask is added). */
function attnScore(dtype: DType, mask: DType | null): string {
  const m = load('mb', mask ?? 'float32', 'mo + i32(j) * prm[20]');
  return `var sc = 0.0;
    for (var e = 0; e < E; e = e + 1) {
      sc = sc + f32(${load('qb', dtype, 'qo + e * prm[11]')}) * f32(${load('kb', dtype, 'ko + i32(j) * prm[13] + e * prm[14]')});
    }
    sc = sc * scale;
    ${mask === 'bool' ? `if (${m} == 0) { sc = -inf_f32(); }` : mask ? `sc = sc + f32(${m});` : ''}
    if (prm[7] != 0 && j > i) { sc = -inf_f32(); }`;
}

/**
 * Attention forward, one workgroup per query row: scores into a scratch row (global memory),
 * max / sum by tree reduction, then out = softmax(scores) v and (optionally) the row's lse.
 * Meta: [rows, L, S, E, Ev, br, maskKind, causal, scale(f), q(off, sL, sE), k(off, sS, sE),
 * v(off, sS, sE), mask(off, sL, sS), hasLse, batchShape(br), qB, kB, vB, mB (br each)].
 */
function attentionShader(dtype: DType, mask: DType | null): string {
  return `${HEAD}
${declare([...attnInputs(dtype, mask), ['outb', dtype, 'read_write'], ['tmp', 'float32', 'read_write'], ['lseb', dtype, 'read_write']])}
${TREE}${attnBatchOffset(22)}
${ATTN_ROW_MAIN}
  _ = mb[0]; // keep the optional bindings in the layout even when unused
  _ = lseb[0];
  let t0 = row * S;
  var m = -inf_f32();
  for (var j = lid; j < S; j = j + ${RW}u) {
    ${attnScore(dtype, mask)}
    tmp[t0 + j] = sc;
    m = fmax_nan(m, sc);
  }
  m = tree_max(m, lid);
  var s = 0.0;
  for (var j = lid; j < S; j = j + ${RW}u) {
    var p = 0.0;
    if (!is_inf(m)) { p = exp(tmp[t0 + j] - m); }
    tmp[t0 + j] = p;
    s = s + p;
  }
  s = tree_sum(s, lid);
  storageBarrier();
  let inv = select(0.0, 1.0 / s, s > 0.0);
  for (var c = i32(lid); c < Ev; c = c + ${RW}) {
    var acc = 0.0;
    for (var j = 0u; j < S; j = j + 1u) { acc = acc + tmp[t0 + j] * f32(${load('vb', dtype, 'vo + i32(j) * prm[16] + c * prm[17]')}); }
    ${store('outb', dtype, 'i32(row) * Ev + c', 'acc * inv')}
  }
  if (lid == 0u && prm[21] != 0) {
    var lse = -inf_f32();
    if (!is_inf(m)) { lse = m + log(s); }
    ${store('lseb', dtype, 'i32(row)', 'lse')}
  }
}`;
}

/**
 * Attention backward metadata (float32): [rows (B*L), L, S, E, Ev, br, maskKind, causal,
 * scale(f), q(off, sL, sE), k(off, sS, sE), v(off, sS, sE), mask(off, sL, sS), g(off, sL, sEv),
 * B, pAt, dsAt, batchShape(br), qB, kB, vB, mB, gB (br each)]. The scratch buffer holds each
 * row's lse at [0, rows), P = exp(scores - lse) at pAt and dS at dsAt ([B, L, S] each).
 */
const ATTN_BACK_HEAD = attnBatchOffset(27);

/**
 * Attention backward, pass 1: one workgroup per query row i of batch b. Recomputes
 * P[i, j] = exp(scale q_i.k_j + mask - lse_i) (0 for masked keys and fully masked rows),
 * dP[i, j] = g_i.v_j, D_i = sum_j P dP, dS = P (dP - D_i) scale (P and dS kept in the scratch
 * buffer for pass 2), then dq_i = sum_j dS[i, j] k_j.
 */
function attentionBackRowsShader(mask: DType | null): string {
  const dt: DType = 'float32';
  return `${HEAD}
${declare([...attnInputs(dt, mask), ['gb_', dt, 'read'], ['scr', 'float32', 'read_write'], ['dqb', dt, 'read_write']])}
${TREE}${ATTN_BACK_HEAD}
${ATTN_ROW_MAIN}
  _ = mb[0]; // keep the optional mask binding in the layout
  let go = prm[21] + boff(b, 4) + i32(i) * prm[22];
  let pAt = u32(prm[25]) + row * S;
  let dsAt = u32(prm[26]) + row * S;
  let l = scr[row];
  let dead = is_inf(l) || is_nan(l);
  var dsum = 0.0;
  for (var j = lid; j < S; j = j + ${RW}u) {
    var p = 0.0;
    if (!dead) {
      ${attnScore(dt, mask)}
      if (!(is_inf(sc) && sc < 0.0)) { p = exp(sc - l); }
    }
    var dp = 0.0;
    for (var c = 0; c < Ev; c = c + 1) {
      dp = dp + ${load('gb_', dt, 'go + c * prm[23]')} * ${load('vb', dt, 'vo + i32(j) * prm[16] + c * prm[17]')};
    }
    scr[pAt + j] = p;
    scr[dsAt + j] = dp;
    dsum = dsum + p * dp;
  }
  let D = tree_sum(dsum, lid);
  for (var j = lid; j < S; j = j + ${RW}u) {
    scr[dsAt + j] = scr[pAt + j] * (scr[dsAt + j] - D) * scale;
  }
  storageBarrier();
  for (var e = i32(lid); e < E; e = e + ${RW}) {
    var acc = 0.0;
    for (var j = 0u; j < S; j = j + 1u) { acc = acc + scr[dsAt + j] * ${load('kb', dt, 'ko + i32(j) * prm[13] + e * prm[14]')}; }
    ${store('dqb', dt, 'i32(row) * E + e', 'acc')}
  }
}`;
}

/**
 * Attention backward, pass 2: one invocation per (b, j, col), col < E: dk[j, col] =
 * sum_i dS[i, j] q[i, col]; else dv[j, col - E] = sum_i P[i, j] g[i, col - E].
 * Meta as pass 1; n = B * S * (E + Ev).
 */
function attentionBackKeysShader(): string {
  const dt: DType = 'float32';
  return `${HEAD}
${declare([['qb', dt, 'read'], ['gb_', dt, 'read'], ['scr', 'float32', 'read'], ['dkb', dt, 'read_write'], ['dvb', dt, 'read_write']])}
${ATTN_BACK_HEAD}
${MAIN_1D} {
  let idx = gid.x + gid.y * nwg.x * ${WG}u;
  let L = u32(prm[1]); let S = u32(prm[2]); let E = prm[3]; let Ev = prm[4];
  let W = u32(E + Ev);
  if (idx >= u32(prm[24]) * S * W) { return; }
  let col = i32(idx % W);
  let j = (idx / W) % S;
  let b = idx / (W * S);
  let base = b * L * S + j;
  var acc = 0.0;
  if (col < E) {
    let qo = prm[9] + boff(b, 0) + col * prm[11];
    let at = u32(prm[26]) + base;
    for (var i = 0u; i < L; i = i + 1u) { acc = acc + scr[at + i * S] * ${load('qb', dt, 'qo + i32(i) * prm[10]')}; }
    ${store('dkb', dt, 'i32(b * S + j) * E + col', 'acc')}
  } else {
    let c = col - E;
    let go = prm[21] + boff(b, 4) + c * prm[23];
    let at = u32(prm[25]) + base;
    for (var i = 0u; i < L; i = i + 1u) { acc = acc + scr[at + i * S] * ${load('gb_', dt, 'go + i32(i) * prm[22]')}; }
    ${store('dvb', dt, 'i32(b * S + j) * Ev + c', 'acc')}
  }
}`;
}

type OptKind = 'sgd' | 'adam' | 'adamW';

/**
 * One in-place optimizer step over a parameter, following @tensile/optim's composite op by op
 * (as the cpu kernels do). Views are strided over the parameter's shape.
 * Meta: [numel, rank, shape, then offset+strides of p, g, s0, s1, s2, then the f32 constants].
 */
function optimShader(kind: OptKind, dtype: DType, flags: { maximize: boolean; wd: boolean; momentum: boolean; nesterov: boolean; amsgrad: boolean }): string {
  const nv = kind === 'sgd' ? (flags.momentum ? 3 : 2) : flags.amsgrad ? 5 : 4;
  const off = (k: number) => `view_off(i, rank, 2, 2 + rank + ${k} * (rank + 1))`;
  const c = (k: number) => `bitcast<f32>(prm[2 + rank + ${nv} * (rank + 1) + ${k}])`;
  const st = (name: string, k: number, v: string) => store(name, dtype, off(k), v);
  let body: string;
  if (kind === 'sgd') {
    // constants: wd, momentum, 1 - dampening, -lr
    body = `
  let pv = ${load('pb', dtype, off(0))};
  var d = ${load('gb_', dtype, off(1))};
  ${flags.maximize ? 'd = -d;' : ''}
  ${flags.wd ? `d = d + pv * ${c(0)};` : ''}
  ${flags.momentum ? `var b = ${load('s0', dtype, off(2))};
  b = b * ${c(1)} + d * ${c(2)};
  ${st('s0', 2, 'b')}
  ${flags.nesterov ? `d = d + b * ${c(1)};` : 'd = b;'}` : ''}
  ${st('pb', 0, `pv + d * ${c(3)}`)}`;
  } else {
    // constants: wd, decay, beta1, 1 - beta1, beta2, 1 - beta2, eps, -stepSize, sqrt(bc2)
    body = `
  var pv = ${load('pb', dtype, off(0))};
  var gr = ${load('gb_', dtype, off(1))};
  ${flags.maximize ? 'gr = -gr;' : ''}
  ${flags.wd ? (kind === 'adamW' ? `pv = pv * ${c(1)};` : `gr = gr + pv * ${c(0)};`) : ''}
  let mv = ${load('s0', dtype, off(2))} * ${c(2)} + gr * ${c(3)};
  ${st('s0', 2, 'mv')}
  let vv = ${load('s1', dtype, off(3))} * ${c(4)} + (gr * gr) * ${c(5)};
  ${st('s1', 3, 'vv')}
  var second = vv;
  ${flags.amsgrad ? `second = fmax_nan(${load('s2', dtype, off(4))}, vv);
  ${st('s2', 4, 'second')}` : ''}
  let denom = sqrt(second) / ${c(8)} + ${c(6)};
  ${st('pb', 0, `pv + (mv / denom) * ${c(7)}`)}`;
  }
  const states = ['s0', 's1', 's2'].slice(0, nv - 2).map((s): BindingDecl => [s, dtype, 'read_write']);
  return `${HEAD}
${declare([['pb', dtype, 'read_write'], ['gb_', dtype, 'read'], ...states])}
${OFFSET_FN}
${main1d()}
  let rank = prm[1];${body}
}`;
}

/**
 * The metadata head both attention passes share: [rows, L, S, E, Ev, br, maskKind, causal,
 * scale(f), then offset and last two strides of q, k, v, mask]. The caller appends its own fields,
 * then `batch` and `batchStrides(...)` of each operand (zeros for an absent mask).
 */
function attentionMeta(q: View, k: View, v: View, mask: View | null, isCausal: boolean, scale: number) {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, Ev = v.shape[r - 1]!;
  const batch = q.shape.slice(0, r - 2);
  const last2 = (x: View | null) => (x ? [x.offset, x.strides[r - 2]!, x.strides[r - 1]!] : [0, 0, 0]);
  const batchStrides = (...xs: (View | null)[]) => xs.flatMap((x) => (x ? x.strides.slice(0, r - 2) : batch.map(() => 0)));
  const m = new Meta().i(numelOf(batch) * L, L, S, E, Ev, r - 2, mask ? (mask.dtype === 'bool' ? 1 : 2) : 0, isCausal ? 1 : 0).f(scale);
  m.i(...last2(q), ...last2(k), ...last2(v), ...last2(mask));
  return { m, L, S, E, Ev, batch, last2, batchStrides };
}

/** Largest im2col scratch (bytes x 2, for the size class) a convolution lowers with; larger ones run the direct kernels. */
const CONV_SCRATCH_MAX = 512 << 20;

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const flag = (v: unknown): boolean | null => (v === undefined ? false : typeof v === 'boolean' ? v : null);

export function makeOverrides(be: WebGPUBackend): Overrides {
  const softmax = (log: boolean) => (x: View, dim: number, out: BackendBuffer): void => {
    const { m, lines } = Meta.lines(x, dim);
    if (lines === 0) return;
    be.run(`softmax|${log}|${x.dtype}`, () => softmaxShader(x.dtype, log), m, [{ buf: gb(x.buf) }, { buf: gb(out), write: true }], lines, 1);
  };

  const optim = (kind: OptKind) => (entries: FusedOptimizerEntry[], h: Record<string, unknown>): boolean => {
    const lr = num(h.lr), wd = num(h.weightDecay), maximize = flag(h.maximize);
    if (lr === null || wd === null || maximize === null) return false;
    let consts: (step: number) => number[];
    let slots: string[];
    const flags = { maximize, wd: wd !== 0, momentum: false, nesterov: false, amsgrad: false };
    if (kind === 'sgd') {
      const momentum = num(h.momentum), dampening = num(h.dampening), nesterov = flag(h.nesterov);
      if (momentum === null || dampening === null || nesterov === null) return false;
      flags.momentum = momentum !== 0;
      flags.nesterov = nesterov;
      slots = flags.momentum ? ['momentumBuffer'] : [];
      consts = () => [wd, momentum, 1 - dampening, -lr];
    } else {
      const betas = h.betas, eps = num(h.eps), amsgrad = flag(h.amsgrad);
      if (!Array.isArray(betas) || eps === null || amsgrad === null) return false;
      const b1 = num(betas[0]), b2 = num(betas[1]);
      if (b1 === null || b2 === null) return false;
      flags.amsgrad = amsgrad;
      slots = amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
      consts = (step) => [wd, 1 - lr * wd, b1, 1 - b1, b2, 1 - b2, eps, -(lr / (1 - b1 ** step)), Math.sqrt(1 - b2 ** step)];
    }
    // validate everything before writing anything
    for (const e of entries) {
      if (e.param.dtype !== 'float32') return false;
      const views = [e.grad, ...slots.map((s) => e.state[s])];
      for (const v of views) if (!v || v.dtype !== e.param.dtype || !sameShape(v.shape, e.param.shape)) return false;
    }
    for (const e of entries) {
      const n = numelOf(e.param.shape);
      if (n === 0) continue;
      const views = [e.param, e.grad, ...slots.map((s) => e.state[s]!)];
      const m = new Meta().i(n, e.param.shape.length, ...e.param.shape);
      for (const v of views) m.i(v.offset, ...v.strides);
      for (const c of consts(e.step)) m.f(c);
      const bindings: Binding[] = views.map((v, k) => ({ buf: gb(v.buf), write: k !== 1 }));
      const key = `optim|${kind}|${e.param.dtype}|${JSON.stringify(flags)}`;
      be.run(key, () => optimShader(kind, e.param.dtype, flags), m, bindings, n);
    }
    return true;
  };

  /** A float32 matrix view of a scratch buffer. */
  const mat = (buf: GpuBuffer, shape: number[], strides: number[], offset = 0): View => ({ buf, dtype: 'float32', shape, strides, offset });
  /** The output gradient packed as a float32 [O, N, Pp] scratch matrix (convPackGradShader). */
  const packGrad = (grad: View, N: number, C: number, [H, W]: readonly number[], O: number, KH: number, KW: number, p: Conv2dParams, Pp: number): GpuBuffer => {
    const gp = be.ctx.alloc(O * N * Pp * 4);
    const m = new Meta().i(O * N * Pp, N, C, H!, W!, O, KH, KW, ...convGeom(p), ...v4(grad), Pp);
    be.run(`convPackGrad|${grad.dtype}`, () => convPackGradShader(grad.dtype), m, [{ buf: gb(grad.buf) }, { buf: gp, write: true }], O * N * Pp);
    return gp;
  };
  /**
   * Whether a convolution lowers onto im2col + matmul (float32, groups 1, scratch within the
   * adapter's binding limit and CONV_SCRATCH_MAX, batch within the dispatch limit), and its padded
   * matrix sizes: Kc = C * KH * KW taps (+ 1 row of ones for the bias), padded to Kp (a multiple of
   * 4), and P = OH * OW output pixels padded to Pp, so the vec4 matmul kernel applies.
   */
  const lowering = (dtype: DType, N: number, C: number, KH: number, KW: number, p: Conv2dParams, ones: boolean) => {
    if (dtype !== 'float32' || p.groups !== 1 || N > 65535) return null;
    const Kc = C * KH * KW, P = p.outSize[0] * p.outSize[1];
    const Kp = Math.ceil((Kc + (ones ? 1 : 0)) / 4) * 4, Pp = Math.ceil(P / 4) * 4;
    const lim = be.ctx.device.limits;
    const bytes = Kp * N * Pp * 4;
    if (bytes > Math.min(CONV_SCRATCH_MAX, lim.maxStorageBufferBindingSize, lim.maxBufferSize) / 2) return null;
    return { Kc, Kp, P, Pp };
  };
  const lowered = be.convLowered;

  return {
    softmax: softmax(false),
    logSoftmax: softmax(true),
    gelu: (x, approximate, out) => {
      const expr =
        approximate === 'tanh'
          ? '0.5 * x0 * (1.0 + tanh_f32(0.7978845608028654 * (x0 + 0.044715 * x0 * x0 * x0)))'
          : '0.5 * x0 * (1.0 + erf_f32(x0 * 0.7071067811865476))';
      be.map('gelu', x.shape, [x], { buf: out, dtype: x.dtype }, computeType(x.dtype) === 'f32' ? expr : `i32(${expr.replace(/x0/g, 'f32(x0)')})`);
    },
    layerNorm: (x, weight, bias, normalizedSize, eps, out) => {
      const n = numelOf(x.shape);
      if (n === 0) return;
      const rows = n / normalizedSize;
      const flat = (v: View | null): number[] => {
        if (!v) return [0, 0];
        // a normalized-shape view flattened to 1-D needs one stride: only when it is "regular"
        let expect = v.strides[v.shape.length - 1] ?? 1;
        for (let d = v.shape.length - 1; d >= 0; d--) {
          if (v.shape[d] !== 1 && v.strides[d] !== expect) return [NaN, NaN];
          expect *= v.shape[d]!;
        }
        return [v.offset, v.strides[v.shape.length - 1] ?? 1];
      };
      let w = weight, b = bias;
      let fw = flat(w), fb = flat(b);
      const temps: GpuBuffer[] = [];
      const contig = (v: View): View => {
        const t = be.alloc(numelOf(v.shape), v.dtype);
        temps.push(t);
        be.copy(v, { buf: t, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 });
        return { buf: t, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
      };
      if (w && Number.isNaN(fw[0])) fw = flat((w = contig(w)));
      if (b && Number.isNaN(fb[0])) fb = flat((b = contig(b)));
      const m = new Meta().i(rows, normalizedSize, x.shape.length, w ? 1 : 0, b ? 1 : 0).f(eps);
      m.i(...x.shape, x.offset, ...x.strides, ...fw, ...fb);
      const dummy = be.ctx.dummy;
      be.run(`layerNorm|${x.dtype}`, () => layerNormShader(x.dtype), m, [
        { buf: gb(x.buf) },
        { buf: w ? gb(w.buf) : dummy },
        { buf: b ? gb(b.buf) : dummy },
        { buf: gb(out), write: true },
      ], rows, 1);
      for (const t of temps) be.ctx.free(t);
    },
    embedding: (weight, index, out) => {
      const nIdx = numelOf(index.shape);
      const dim = weight.shape[1]!;
      const n = nIdx * dim;
      if (n === 0) return;
      const m = new Meta().i(n, dim, index.shape.length, weight.shape[0]!, ...index.shape, index.offset, ...index.strides);
      m.i(weight.offset, weight.strides[0]!, weight.strides[1]!);
      be.run(`embedding|${weight.dtype}|${index.dtype}`, () => embeddingShader(weight.dtype, index.dtype), m, [
        { buf: gb(weight.buf) },
        { buf: gb(index.buf) },
        { buf: gb(out), write: true },
        { buf: be.ctx.errFlags, write: true },
      ], n);
    },
    crossEntropy: (x, target, weight, ignoreIndex, labelSmoothing, reduction, out) => {
      if (x.dtype !== 'float32') throw new TypeError(`webgpu.crossEntropy: ${x.dtype} logits are not supported on webgpu`);
      const C = x.shape[x.shape.length - 1]!;
      const N = numelOf(x.shape) / C;
      const xs0 = x.shape.length === 2 ? x.strides[0]! : 0;
      const xs1 = x.strides[x.shape.length - 1]!;
      const ts0 = target.shape.length === 1 ? target.strides[0]! : 0;
      const m = new Meta().i(N, C, weight ? 1 : 0, ignoreIndex).f(labelSmoothing);
      m.i(x.offset, xs0, xs1, target.offset, ts0, weight ? weight.offset : 0, weight ? weight.strides[0]! : 0);
      const ctx = be.ctx;
      const loss = ctx.alloc(N * 4), wt = ctx.alloc(N * 4);
      be.run(`ce-rows|${x.dtype}|${target.dtype}`, () => crossEntropyRowsShader(x.dtype, target.dtype), m, [
        { buf: gb(x.buf) },
        { buf: gb(target.buf) },
        { buf: weight ? gb(weight.buf) : ctx.dummy },
        { buf: loss, write: true },
        { buf: wt, write: true },
      ], N, 1);
      if (reduction === 'none') {
        be.run(`ce-none|${x.dtype}`, () => castRowsShader(x.dtype), new Meta().i(N), [{ buf: loss }, { buf: gb(out), write: true }], N);
      } else {
        be.run(`ce-sum|${x.dtype}`, () => sumRowsShader(x.dtype), new Meta().i(N, reduction === 'mean' ? 1 : 0), [
          { buf: loss },
          { buf: wt },
          { buf: gb(out), write: true },
        ], 1, 1);
      }
      ctx.free(loss);
      ctx.free(wt);
    },
    scaledDotProductAttention: (q, k, v, mask, isCausal, scale, out, lse) => {
      if (q.dtype !== 'float32') throw new TypeError(`webgpu.scaledDotProductAttention: ${q.dtype} is not supported on webgpu`);
      const { m, L, S, batch, batchStrides } = attentionMeta(q, k, v, mask, isCausal, scale);
      const rows = numelOf(batch) * L;
      if (rows === 0) return;
      const ctx = be.ctx;
      const tmp = ctx.alloc(Math.max(1, rows * S) * 4);
      m.i(lse ? 1 : 0, ...batch, ...batchStrides(q, k, v, mask));
      const mdt = mask ? mask.dtype : null;
      be.run(`attention|${q.dtype}|${mdt}`, () => attentionShader(q.dtype, mdt), m, [
        { buf: gb(q.buf) }, { buf: gb(k.buf) }, { buf: gb(v.buf) }, { buf: mask ? gb(mask.buf) : ctx.dummy },
        { buf: gb(out), write: true }, { buf: tmp, write: true }, { buf: lse ? gb(lse) : ctx.dummy, write: true },
      ], rows, 1);
      ctx.free(tmp);
    },
    scaledDotProductAttentionBackward: (grad, q, k, v, lse, mask, isCausal, scale, dq, dk, dv) => {
      if (q.dtype !== 'float32' || k.dtype !== 'float32' || v.dtype !== 'float32' || grad.dtype !== 'float32') {
        throw new TypeError(`webgpu.scaledDotProductAttentionBackward: ${q.dtype} is not supported on webgpu (float32 only)`);
      }
      const { m, L, S, E, Ev, batch, last2, batchStrides } = attentionMeta(q, k, v, mask, isCausal, scale);
      const B = numelOf(batch);
      const rows = B * L;
      if (B === 0) return;
      const ctx = be.ctx;
      // scratch: lse (rows, padded to 64), then P and dS ([B, L, S] each)
      const pAt = Math.ceil(rows / 64) * 64, dsAt = pAt + rows * S;
      const scr = ctx.alloc(Math.max(1, dsAt + rows * S) * 4);
      if (rows > 0) ctx.copyBuffer(gb(lse), scr, rows * 4);
      m.i(...last2(grad), B, pAt, dsAt, ...batch, ...batchStrides(q, k, v, mask, grad));
      const mdt = mask ? mask.dtype : null;
      be.run(`attentionBackRows|${mdt}`, () => attentionBackRowsShader(mdt), m, [
        { buf: gb(q.buf) }, { buf: gb(k.buf) }, { buf: gb(v.buf) }, { buf: mask ? gb(mask.buf) : ctx.dummy }, { buf: gb(grad.buf) },
        { buf: scr, write: true }, { buf: gb(dq), write: true },
      ], rows, 1);
      be.run('attentionBackKeys', () => attentionBackKeysShader(), m, [
        { buf: gb(q.buf) }, { buf: gb(grad.buf) }, { buf: scr }, { buf: gb(dk), write: true }, { buf: gb(dv), write: true },
      ], B * S * (E + Ev));
      ctx.free(scr);
    },
    fusedSgd: optim('sgd'),
    fusedAdam: optim('adam'),
    fusedAdamW: optim('adamW'),
    conv2d: (x, weight, bias, p, out) => {
      if (x.dtype !== 'float32') throw new TypeError(`webgpu.conv2d: ${x.dtype} is not supported on webgpu`);
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const [O, , KH, KW] = weight.shape as [number, number, number, number];
      const numel = N * O * p.outSize[0] * p.outSize[1];
      const low = lowering(x.dtype, N, C, KH, KW, p, bias !== null);
      if (low && numel > 0) {
        // out[n] = Wp [O, Kp] x col[:, n] [Kp, Pp] (the bias as the row of ones), batched over n
        const { Kp, Pp, P } = low;
        const ctx = be.ctx;
        const col = ctx.alloc(Kp * N * Pp * 4), wp = ctx.alloc(O * Kp * 4);
        const m = new Meta().i((Kp * N * Pp) / 4, N, C, H, W, O, KH, KW, ...convGeom(p), ...v4(x), Kp, Pp, bias ? 1 : 0);
        be.run(`im2col|${x.dtype}`, () => im2colShader(x.dtype), m, [{ buf: gb(x.buf) }, { buf: col, write: true }], (Kp * N * Pp) / 4);
        const mw = new Meta().i(O * Kp, N, C, H, W, O, KH, KW, ...convGeom(p), ...v4(weight));
        mw.i(bias ? bias.offset : 0, bias ? bias.strides[0]! : 0, bias ? 1 : 0, Kp);
        be.run(`convPackWeight|${weight.dtype}`, () => convPackWeightShader(weight.dtype), mw, [
          { buf: gb(weight.buf) }, { buf: bias ? gb(bias.buf) : be.ctx.dummy }, { buf: wp, write: true },
        ], O * Kp);
        const dst = Pp === P ? gb(out) : ctx.alloc(N * O * Pp * 4);
        be.matmul(mat(wp, [N, O, Kp], [0, Kp, 1]), mat(col, [N, Kp, Pp], [Pp, N * Pp, 1]), dst);
        if (dst !== out) {
          be.copy(mat(dst, [N, O, P], [O * Pp, Pp, 1]), mat(gb(out), [N, O, P], [O * P, P, 1]));
          ctx.free(dst);
        }
        ctx.free(col);
        ctx.free(wp);
        lowered.conv2d++;
        return;
      }
      const m = new Meta().i(numel, N, C, H, W, O, KH, KW, ...convGeom(p), ...v4(x), ...v4(weight));
      m.i(bias ? bias.offset : 0, bias ? bias.strides[0]! : 0, 0, 0, 0, bias ? 1 : 0);
      be.run(`conv2d|${x.dtype}`, () => conv2dShader(x.dtype), m, [
        { buf: gb(x.buf) }, { buf: gb(weight.buf) }, { buf: bias ? gb(bias.buf) : be.ctx.dummy }, { buf: gb(out), write: true },
      ], numel);
    },
    conv2dBackwardInput: (grad, weight, inputSize, p, out) => {
      const [N, O] = grad.shape as [number, number];
      const [, Cg, KH, KW] = weight.shape as [number, number, number, number];
      const C = Cg * p.groups;
      const numel = N * C * inputSize[0] * inputSize[1];
      const low = weight.dtype === grad.dtype ? lowering(grad.dtype, N, C, KH, KW, p, false) : null;
      if (low && numel > 0) {
        // dcol[n] = Wp^T [Kp, O] x Gp[:, n] [O, Pp], batched over n; then col2im
        const { Kp, Pp } = low;
        const ctx = be.ctx;
        const wp = ctx.alloc(O * Kp * 4), gp = packGrad(grad, N, C, inputSize, O, KH, KW, p, Pp), dcol = ctx.alloc(N * Kp * Pp * 4);
        const mw = new Meta().i(O * Kp, N, C, inputSize[0], inputSize[1], O, KH, KW, ...convGeom(p), ...v4(weight), 0, 0, 0, Kp);
        be.run(`convPackWeight|${weight.dtype}`, () => convPackWeightShader(weight.dtype), mw, [
          { buf: gb(weight.buf) }, { buf: ctx.dummy }, { buf: wp, write: true },
        ], O * Kp);
        be.matmul(mat(wp, [N, Kp, O], [0, 1, Kp]), mat(gp, [N, O, Pp], [Pp, N * Pp, 1]), dcol);
        const m = new Meta().i(numel, N, C, inputSize[0], inputSize[1], O, KH, KW, ...convGeom(p), Kp, Pp);
        be.run(`col2im|${grad.dtype}`, () => col2imShader(grad.dtype), m, [{ buf: dcol }, { buf: gb(out), write: true }], numel);
        ctx.free(wp);
        ctx.free(gp);
        ctx.free(dcol);
        lowered.conv2dBackwardInput++;
        return;
      }
      const m = new Meta().i(numel, N, C, inputSize[0], inputSize[1], O, KH, KW, ...convGeom(p), ...v4(grad), ...v4(weight));
      be.run(`conv2dBackwardInput|${grad.dtype}`, () => conv2dBackInputShader(grad.dtype), m, [
        { buf: gb(grad.buf) }, { buf: gb(weight.buf) }, { buf: gb(out), write: true },
      ], numel);
    },
    conv2dBackwardWeight: (grad, x, kernelSize, p, out, gradBias) => {
      const [N, O] = grad.shape as [number, number];
      const [, C, H, W] = x.shape as [number, number, number, number];
      const numel = O * (C / p.groups) * kernelSize[0] * kernelSize[1];
      const [KH, KW] = kernelSize;
      const low = x.dtype === grad.dtype ? lowering(grad.dtype, N, C, KH, KW, p, gradBias !== null) : null;
      if (low && numel > 0 && N * low.P > 0) {
        // per image dWp[n] [O, Kp] = Gp[:, n] [O, Pp] x col[:, n]^T [Pp, Kp] (the bias gradient is the
        // column of the row of ones), then summed over n (shorter f32 chains, N times the parallelism)
        const { Kp, Pp, Kc } = low;
        const ctx = be.ctx;
        const col = ctx.alloc(Kp * N * Pp * 4), gp = packGrad(grad, N, C, [H, W], O, KH, KW, p, Pp), dw = ctx.alloc(N * O * Kp * 4);
        const m = new Meta().i((Kp * N * Pp) / 4, N, C, H, W, O, KH, KW, ...convGeom(p), ...v4(x), Kp, Pp, gradBias ? 1 : 0);
        be.run(`im2col|${x.dtype}`, () => im2colShader(x.dtype), m, [{ buf: gb(x.buf) }, { buf: col, write: true }], (Kp * N * Pp) / 4);
        be.matmul(mat(gp, [N, O, Pp], [Pp, N * Pp, 1]), mat(col, [N, Pp, Kp], [Pp, 1, N * Pp]), dw);
        be.reduce('sum', mat(dw, [N, O, Kc], [O * Kp, Kp, 1]), [0], out);
        if (gradBias) be.reduce('sum', mat(dw, [N, O], [O * Kp, Kp], Kc), [0], gradBias);
        ctx.free(col);
        ctx.free(gp);
        ctx.free(dw);
        lowered.conv2dBackwardWeight++;
        return;
      }
      const m = new Meta().i(numel, N, C, H, W, O, kernelSize[0], kernelSize[1], ...convGeom(p), ...v4(grad), ...v4(x));
      be.run(`conv2dBackwardWeight|${grad.dtype}`, () => conv2dBackWeightShader(grad.dtype), m, [
        { buf: gb(grad.buf) }, { buf: gb(x.buf) }, { buf: gb(out), write: true },
      ], numel);
      if (gradBias) {
        const mb = new Meta().i(O, N, C, H, W, O, kernelSize[0], kernelSize[1], ...convGeom(p), ...v4(grad));
        be.run(`conv2dBackwardBias|${grad.dtype}`, () => conv2dBackBiasShader(grad.dtype), mb, [{ buf: gb(grad.buf) }, { buf: gb(gradBias), write: true }], O);
      }
    },
    maxPool2d: (x, p, values, indices) => {
      if (x.dtype !== 'float32') throw new TypeError(`webgpu.maxPool2d: ${x.dtype} is not supported on webgpu`);
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const numel = N * C * p.outSize[0] * p.outSize[1];
      const m = poolMeta(numel, N, C, H, W, p, false, null).i(...v4(x));
      be.run(`maxPool2d|${x.dtype}`, () => maxPoolShader(x.dtype), m, [{ buf: gb(x.buf) }, { buf: gb(values), write: true }, { buf: gb(indices), write: true }], numel);
    },
    maxPool2dBackward: (grad, indices, inputSize, out) => {
      const [N, C, OH, OW] = grad.shape as [number, number, number, number];
      const numel = N * C * inputSize[0] * inputSize[1];
      const p: Pool2dParams = { kernelSize: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], outSize: [OH, OW] };
      const m = poolMeta(numel, N, C, inputSize[0], inputSize[1], p, false, null).i(...v4(grad), ...v4(indices));
      be.run(`maxPool2dBackward|${grad.dtype}`, () => maxPoolBackShader(grad.dtype), m, [{ buf: gb(grad.buf) }, { buf: gb(indices.buf) }, { buf: gb(out), write: true }], numel);
    },
    avgPool2d: (x, p, countIncludePad, divisorOverride, out) => {
      if (x.dtype !== 'float32') throw new TypeError(`webgpu.avgPool2d: ${x.dtype} is not supported on webgpu`);
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const numel = N * C * p.outSize[0] * p.outSize[1];
      const m = poolMeta(numel, N, C, H, W, p, countIncludePad, divisorOverride).i(...v4(x));
      be.run(`avgPool2d|${x.dtype}`, () => avgPoolShader(x.dtype), m, [{ buf: gb(x.buf) }, { buf: gb(out), write: true }], numel);
    },
    avgPool2dBackward: (grad, p, inputSize, countIncludePad, divisorOverride, out) => {
      const [N, C] = grad.shape as [number, number];
      const numel = N * C * inputSize[0] * inputSize[1];
      const m = poolMeta(numel, N, C, inputSize[0], inputSize[1], p, countIncludePad, divisorOverride).i(...v4(grad));
      be.run(`avgPool2dBackward|${grad.dtype}`, () => avgPoolBackShader(grad.dtype), m, [{ buf: gb(grad.buf) }, { buf: gb(out), write: true }], numel);
    },
  };
}

