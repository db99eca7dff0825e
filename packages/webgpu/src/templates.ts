/**
 * Shader templates, one per op family, parameterised by dtype (and a few layout flags): the
 * generated WGSL is cached per key by the context, so each (op, dtypes, layout) compiles once.
 *
 * Every kernel's metadata lives in the arena slot bound at binding 0 (`meta: array<i32>`);
 * floats are stored bit-cast. Views are passed as offset + strides (in elements) over a shape.
 */
import type { DType, ReduceOp } from '@tensile/core';
import { BINARY_HELPERS } from './ops.js';
import { computeType, decl, lit, load, OFFSET_FN, PRELUDE, store, type Scalar } from './wgsl.js';

export const WG = 256;

/**
 * Out-of-range index flags (a kernel cannot throw): bit 1 gather, 2 scatterAdd, 4 embedding. The
 * context reads them with the next read() and throws a RangeError naming the op.
 */
export const ERR_DECL = (binding: number) => `@group(0) @binding(${binding}) var<storage, read_write> errf: array<atomic<u32>>;`;
export const INDEX_ERROR_OPS: [number, string][] = [[1, 'gather'], [2, 'scatterAdd'], [4, 'embedding']];
/** Index of the first shape entry in an elementwise kernel's meta (after numel, rank, 4 scalar slots). */
export const MAP_SHAPE_AT = 6;

const HEAD = PRELUDE + BINARY_HELPERS;
export const MAIN_1D = `@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u)`;

/** A storage binding of a kernel: name, dtype, access. */
export type BindingDecl = [name: string, dtype: DType, access: 'read' | 'read_write' | 'atomic'];

/** The metadata at binding 0 (`prm`), then `bindings` numbered from 1 (the order the host binds them). */
export function declare(bindings: readonly BindingDecl[]): string {
  return [decl(0, 'prm', 'meta'), ...bindings.map(([name, dtype, access], k) => decl(k + 1, name, dtype, access))].join('\n');
}

/** Opens the entry point of a one-invocation-per-element kernel: `v` is the element, past prm[0] returns. */
export function main1d(v = 'i'): string {
  return `${MAIN_1D} {
  let ${v} = gid.x + gid.y * nwg.x * ${WG}u;
  if (${v} >= u32(prm[0])) { return; }`;
}

/**
 * `var k` = an index element at `off` of binding `ib`, negatives counted from the end; out of
 * [0, size) sets error bit `bit` (ERR_DECL) and then runs `onBad` (clamp the read, or skip).
 */
export function loadIndex(index: DType, off: string, size: string, bit: number, onBad: string): string {
  return `var k = ${load('ib', index, off)};
  if (k < 0) { k = k + ${size}; }
  if (k < 0 || k >= ${size}) { atomicOr(&errf[0], ${bit}u); ${onBad} }`;
}

export interface MapInput {
  dtype: DType;
  /** Row-major contiguous from its offset: addressed as offset + i (no index arithmetic). */
  contiguous: boolean;
}

/**
 * Elementwise map: out[i] = expr(x0, x1, ...) over the linear index i of a shape. Inputs are
 * strided views; the output is contiguous, or a strided view when `stridedOut` (copy).
 * Meta: [numel, rank, scalar0..3, shape(rank), per input: offset, strides(rank), (out view)].
 * `expr` sees x<k> (compute type of input k), `i` (u32) and `sc_f(k)` / `sc_i(k)` scalars.
 */
export function mapShader(inputs: readonly MapInput[], out: DType, expr: string, stridedOut: boolean): string {
  const lines: string[] = [HEAD, declare([...inputs.map((x, k): BindingDecl => [`in${k}`, x.dtype, 'read']), ['outb', out, 'read_write']])];
  lines.push(OFFSET_FN);
  lines.push(`fn sc_f(k: i32) -> f32 { return bitcast<f32>(prm[2 + k]); }`);
  lines.push(`fn sc_i(k: i32) -> i32 { return prm[2 + k]; }`);
  lines.push(`${main1d()}
  let rank = prm[1];`);
  inputs.forEach((x, k) => {
    const viewAt = `${MAP_SHAPE_AT} + rank + ${k} * (rank + 1)`;
    const off = x.contiguous ? `prm[${viewAt}] + i32(i)` : `view_off(i, rank, ${MAP_SHAPE_AT}, ${viewAt})`;
    lines.push(`  let x${k} = ${load(`in${k}`, x.dtype, off)};`);
  });
  const oOff = stridedOut ? `view_off(i, rank, ${MAP_SHAPE_AT}, ${MAP_SHAPE_AT} + rank + ${inputs.length} * (rank + 1))` : 'i32(i)';
  lines.push(`  let o = ${oOff};`);
  lines.push(`  ${store('outb', out, 'o', expr)}`);
  lines.push('}');
  return lines.join('\n');
}

function identity(op: ReduceOp, t: Scalar): string {
  switch (op) {
    case 'sum': return lit(0, t);
    case 'prod': return lit(1, t);
    case 'max': case 'argmax': return t === 'f32' ? '(-inf_f32())' : 'i32(-2147483648)';
    case 'min': case 'argmin': return t === 'f32' ? 'inf_f32()' : 'i32(2147483647)';
  }
}

/** WGSL statement folding (v, vi) into (acc, ai) for a reduce op. */
function combine(op: ReduceOp, t: Scalar): string {
  const nanA = t === 'f32' ? 'is_nan(acc)' : 'false';
  const nanV = t === 'f32' ? 'is_nan(v)' : 'false';
  switch (op) {
    case 'sum': return 'acc = acc + v;';
    case 'prod': return 'acc = acc * v;';
    case 'max': return `if (${nanV} || (!${nanA} && v > acc)) { acc = v; }`;
    case 'min': return `if (${nanV} || (!${nanA} && v < acc)) { acc = v; }`;
    case 'argmax':
    case 'argmin': {
      const better = op === 'argmax' ? 'v > acc' : 'v < acc';
      // first index wins ties; the first NaN wins over numbers
      return `if (ai < 0 || (!${nanA} && (${nanV} || ${better})) || ((v == acc || (${nanV} && ${nanA})) && vi < ai)) { acc = v; ai = vi; }`;
    }
  }
}

/**
 * Reduction over the axes of a strided view. One workgroup (64 invocations, tree in workgroup
 * memory) per output element when `grouped`, else one invocation per output element.
 * Meta: [outN, redN, keptRank, redRank, offset, keptShape, keptStrides, redShape, redStrides].
 */
export function reduceShader(op: ReduceOp, x: DType, out: DType, grouped: boolean): string {
  const t = computeType(x);
  const isArg = op === 'argmax' || op === 'argmin';
  const result = isArg ? 'ai' : 'acc';
  const head = `${HEAD}
${declare([['inb', x, 'read'], ['outb', out, 'read_write']])}
fn sub_off(i: u32, rank: i32, shapeAt: i32, strideAt: i32) -> i32 {
  var rem = i;
  var o = 0;
  for (var d = rank - 1; d >= 0; d = d - 1) {
    let s = u32(prm[shapeAt + d]);
    o = o + i32(rem % s) * prm[strideAt + d];
    rem = rem / s;
  }
  return o;
}`;
  const setup = `
  let redN = u32(prm[1]);
  let kr = prm[2];
  let rr = prm[3];
  let base = prm[4] + sub_off(o, kr, 5, 5 + kr);
  var acc: ${t} = ${identity(op, t)};
  var ai: i32 = -1;`;
  const fold = (r: string) => `
    let v = ${load('inb', x, `base + sub_off(${r}, rr, 5 + 2 * kr, 5 + 2 * kr + rr)`)};
    let vi = i32(${r});
    ${combine(op, t)}`;
  if (!grouped) {
    return `${head}
${main1d('o')}${setup}
  for (var r = 0u; r < redN; r = r + 1u) {${fold('r')}
  }
  ${store('outb', out, 'i32(o)', result)}
}`;
  }
  return `${head}
var<workgroup> sv: array<${t}, 64>;
var<workgroup> si: array<i32, 64>;
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u) {
  let o = wid.x + wid.y * nwg.x;
  let live = o < u32(prm[0]);
  if (live) {${setup.replace(/\n {2}/g, '\n    ')}
    for (var r = lid; r < redN; r = r + 64u) {${fold('r')}
    }
    sv[lid] = acc;
    si[lid] = ai;
  }
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (live && lid < s) {
      var acc = sv[lid];
      var ai = si[lid];
      let v = sv[lid + s];
      let vi = si[lid + s];
      if (${isArg ? 'vi >= 0' : 'true'}) {
        ${combine(op, t)}
      }
      sv[lid] = acc;
      si[lid] = ai;
    }
    workgroupBarrier();
  }
  if (live && lid == 0u) {
    let acc = sv[0];
    let ai = si[0];
    ${store('outb', out, 'i32(o)', result)}
  }
}`;
}

/**
 * Inclusive prefix sum along one dim, one invocation per line.
 * Meta: [lines, size, inner, rank, shape(rank), offset, strides(rank)].
 */
export function cumsumShader(x: DType): string {
  const t = computeType(x);
  return `${HEAD}
${declare([['inb', x, 'read'], ['outb', x, 'read_write']])}
${OFFSET_FN}
${main1d('l')}
  let size = u32(prm[1]);
  let inner = u32(prm[2]);
  let rank = prm[3];
  let outer = l / inner;
  let inn = l % inner;
  var acc: ${t} = ${lit(0, t)};
  for (var p = 0u; p < size; p = p + 1u) {
    let lin = (outer * size + p) * inner + inn;
    acc = acc + ${load('inb', x, 'view_off(lin, rank, 4, 4 + rank)')};
    ${store('outb', x, 'i32(lin)', 'acc')}
  }
}`;
}

/** The matmul meta's sizes and in-matrix strides (both matmul kernels). */
const MM_DIMS = `let M = prm[0]; let N = prm[1]; let K = prm[2]; let br = prm[3];
  let am = prm[5]; let ak = prm[6]; let bk = prm[8]; let bn = prm[9];`;

/** aBase / bBase: where batch `z` (a u32) of A and B starts, from the batch shape and strides. */
function mmBatchBases(z: string): string {
  return `var aBase = prm[4];
  var bBase = prm[7];
  var rem = ${z};
  for (var d = br - 1; d >= 0; d = d - 1) {
    let s = u32(prm[10 + d]);
    let c = i32(rem % s);
    rem = rem / s;
    aBase = aBase + c * prm[10 + br + d];
    bBase = bBase + c * prm[10 + 2 * br + d];
  }`;
}

/** Tile geometry of the matmul kernel: a 64x64 output tile per 16x16 workgroup (4x4 per invocation), K in steps of 16. */
export const MM_TILE = 64;

/**
 * Batched strided matmul, tiled in workgroup memory. Dispatch (ceil(N/64), ceil(M/64), batch).
 * Meta: [M, N, K, batchRank, aOff, am, ak, bOff, bk, bn, batchShape, aBatchStrides, bBatchStrides].
 */
export function matmulShader(dtype: DType): string {
  const t = computeType(dtype);
  const z = lit(0, t);
  return `${HEAD}
${declare([['ab', dtype, 'read'], ['bb', dtype, 'read'], ['outb', dtype, 'read_write']])}
var<workgroup> As: array<array<${t}, 64>, 16>;
var<workgroup> Bs: array<array<${t}, 64>, 16>;
@compute @workgroup_size(16, 16) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${MM_DIMS}
  ${mmBatchBases('wid.z')}
  let row0 = i32(wid.y) * 64;
  let col0 = i32(wid.x) * 64;
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let tid = ty * 16 + tx;
  var acc: array<array<${t}, 4>, 4>;
  for (var i = 0; i < 4; i = i + 1) { for (var j = 0; j < 4; j = j + 1) { acc[i][j] = ${z}; } }
  for (var k0 = 0; k0 < K; k0 = k0 + 16) {
    for (var l = 0; l < 4; l = l + 1) {
      let idx = tid + l * 256;
      let am_ = idx / 16; let ak_ = idx % 16;
      let gm = row0 + am_; let gk = k0 + ak_;
      var va: ${t} = ${z};
      if (gm < M && gk < K) { va = ${load('ab', dtype, 'aBase + gm * am + gk * ak')}; }
      As[ak_][am_] = va;
      let bk_ = idx / 64; let bn_ = idx % 64;
      let gk2 = k0 + bk_; let gn = col0 + bn_;
      var vb: ${t} = ${z};
      if (gk2 < K && gn < N) { vb = ${load('bb', dtype, 'bBase + gk2 * bk + gn * bn')}; }
      Bs[bk_][bn_] = vb;
    }
    workgroupBarrier();
    for (var kk = 0; kk < 16; kk = kk + 1) {
      var a: array<${t}, 4>;
      var b: array<${t}, 4>;
      for (var i = 0; i < 4; i = i + 1) { a[i] = As[kk][ty + 16 * i]; b[i] = Bs[kk][tx + 16 * i]; }
      for (var i = 0; i < 4; i = i + 1) { for (var j = 0; j < 4; j = j + 1) { acc[i][j] = acc[i][j] + a[i] * b[j]; } }
    }
    workgroupBarrier();
  }
  let ob = i32(wid.z) * M * N;
  for (var i = 0; i < 4; i = i + 1) {
    let r = row0 + ty + 16 * i;
    if (r >= M) { continue; }
    for (var j = 0; j < 4; j = j + 1) {
      let c = col0 + tx + 16 * j;
      if (c < N) { ${store('outb', dtype, 'ob + r * N + c', 'acc[i][j]')} }
    }
  }
}`;
}

/** Rows per invocation of the vec4 matmul kernel (x 4 columns), and its workgroup. */
export const MM4_ROWS = 4;
export const MM4_WG: readonly [number, number] = [8, 8];

/**
 * How the vec4 matmul kernel reads an operand: A along 'k' (rows contiguous, ak = 1) or along
 * 'm' (columns contiguous, am = 1: a transposed view); B along 'n' (bn = 1) or along 'k'
 * (bk = 1: transposed).
 */
export type Mm4Layout = { a: 'k' | 'm'; b: 'n' | 'k' };

/**
 * float32 matmul with vec4 loads and an MM4_ROWS x 4 register block per invocation, no
 * workgroup memory and no barriers (fastest on CPU-emulated adapters such as lavapipe and
 * SwiftShader, and good on GPUs through their caches). Needs K % 4 == 0, N % 4 == 0, every
 * offset and non-unit stride a multiple of 4, and M % 4 == 0 when A is read along 'm'. Same meta
 * as matmulShader; dispatch (ceil(N/4/WGx), ceil(M/ROWS/WGy), batch). Output contiguous.
 */
export function matmulVec4Shader(layout: Mm4Layout, rows = MM4_ROWS): string {
  const R = Array.from({ length: rows }, (_, i) => i);
  const G = Array.from({ length: rows / 4 }, (_, g) => g);
  const Q = [0, 1, 2, 3];
  const pre: string[] = [];
  const loads: string[] = [];
  if (layout.a === 'k') {
    for (const i of R) pre.push(`let ar${i} = (aBase + min(row0 + ${i}, M - 1) * am) / 4;`);
    for (const i of R) loads.push(`let a${i} = ab[ar${i} + k4];`);
  } else {
    pre.push('let ak4 = ak / 4;');
    for (const g of G) pre.push(`let ac${g} = (aBase + min(row0 + ${4 * g}, M - 4)) / 4;`);
    for (const g of G) for (const kk of Q) loads.push(`let at${g}_${kk} = ab[ac${g} + (k + ${kk}) * ak4];`);
    for (const i of R) loads.push(`let a${i} = vec4<f32>(${Q.map((kk) => `at${i >> 2}_${kk}[${i & 3}]`).join(', ')});`);
  }
  const fmas: string[] = [];
  if (layout.b === 'n') {
    pre.push('let bk4 = bk / 4;', 'let bc = (bBase + col0) / 4;');
    for (const kk of Q) loads.push(`let b${kk} = bb[bc + (k + ${kk}) * bk4];`);
    for (const i of R) fmas.push(`acc${i} = acc${i} + a${i}.x * b0 + a${i}.y * b1 + a${i}.z * b2 + a${i}.w * b3;`);
  } else {
    for (const j of Q) pre.push(`let br${j} = (bBase + (col0 + ${j}) * bn) / 4;`);
    for (const j of Q) loads.push(`let bt${j} = bb[br${j} + k4];`);
    for (const i of R) fmas.push(`acc${i} = acc${i} + vec4<f32>(dot(a${i}, bt0), dot(a${i}, bt1), dot(a${i}, bt2), dot(a${i}, bt3));`);
  }
  const stores = R.map((i) => (i === 0 ? 'outb[ob / 4] = acc0;' : `if (row0 + ${i} < M) { outb[(ob + ${i} * N) / 4] = acc${i}; }`));
  return `${PRELUDE}
${decl(0, 'prm', 'meta')}
@group(0) @binding(1) var<storage, read> ab: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bb: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> outb: array<vec4<f32>>;
@compute @workgroup_size(${MM4_WG[0]}, ${MM4_WG[1]}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  ${MM_DIMS}
  let row0 = i32(gid.y) * ${rows};
  let col0 = i32(gid.x) * 4;
  if (row0 >= M || col0 >= N) { return; }
  ${mmBatchBases('gid.z')}
  ${pre.join('\n  ')}
  ${R.map((i) => `var acc${i} = vec4<f32>(0.0);`).join(' ')}
  for (var k = 0; k < K; k = k + 4) {
    let k4 = k / 4;
    ${loads.join('\n    ')}
    ${fmas.join('\n    ')}
  }
  let ob = i32(gid.z) * M * N + row0 * N + col0;
  ${stores.join('\n  ')}
}`;
}

/**
 * What gather and scatterAdd share (their meta starts [numel, rank, dimSize, dimStride, shape(rank),
 * idxOff, idxStrides(rank)]): `bindings` 1-3 with the index `ib` among them, the error flags at 4,
 * and `k` = index[i] wrapped and checked against dimSize (error `bit`, then `onBad`).
 */
function alongDimHead(bindings: readonly BindingDecl[], index: DType, bit: number, onBad: string): string {
  return `${HEAD}
${declare(bindings)}
${ERR_DECL(4)}
${OFFSET_FN}
${main1d()}
  let rank = prm[1];
  let size = prm[2];
  ${loadIndex(index, 'view_off(i, rank, 4, 4 + rank)', 'size', bit, onBad)}`;
}

/**
 * gather along a dim: out[i] = x[xbase(i) + index[i] * dimStride] (index int64/int32, negative
 * indices wrap). Meta: [numel, rank, dimSize, dimStride, shape(rank) (index's), idxOff,
 * idxStrides(rank), xOff, xStridesPinned(rank)].
 */
export function gatherShader(x: DType, index: DType): string {
  return `${alongDimHead([['xb', x, 'read'], ['ib', index, 'read'], ['outb', x, 'read_write']], index, 1, 'k = clamp(k, 0, size - 1);')}
  let v = ${load('xb', x, 'view_off(i, rank, 4, 5 + 2 * rank) + k * prm[3]')};
  ${store('outb', x, 'i32(i)', 'v')}
}`;
}

/**
 * scatterAdd into a contiguous target with atomics (float: compare-exchange loop on the bits).
 * `src` is the source's dtype when it differs from the target's (f16-stored float16 sources
 * accumulate into a float32 copy of the target: atomics need 32-bit words).
 * Meta: [numel, rank, dimSize, dimStride, shape(rank) (src's), idxOff, idxStrides(rank), srcOff,
 * srcStrides(rank), 0, tgtStridesPinned(rank)].
 */
export function scatterAddShader(target: DType, index: DType, src: DType = target): string {
  const f = computeType(target) === 'f32';
  const word = target === 'int64' ? '2 * to' : 'to';
  const add = f
    ? `var old = atomicLoad(&tb[to]);
  loop {
    let nv = bitcast<u32>(bitcast<f32>(old) + v);
    let r = atomicCompareExchangeWeak(&tb[to], old, nv);
    if (r.exchanged) { break; }
    old = r.old_value;
  }`
    : `atomicAdd(&tb[${word}], v);`;
  return `${alongDimHead([['tb', target, 'atomic'], ['ib', index, 'read'], ['sb', src, 'read']], index, 2, 'return;')}
  let v = ${load('sb', src, 'view_off(i, rank, 4, 5 + 2 * rank)')};
  let to = view_off(i, rank, 4, 6 + 3 * rank) + k * prm[3];
  ${add}
}`;
}
