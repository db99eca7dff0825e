/** Compare a computed tensor with a fixture tensor (async reads only, for async devices). */
import type { Tensor } from '@tensile/core';
import type { TensorJSON } from './fixtures.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Multi-index of flat element `i` in a row-major `shape`, as "[a, b, c]". */
export function indexOf(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return fmt(idx);
}

/**
 * Check `actual` against `expected`: same shape and dtype; floats pass when
 * |a - e| <= atol + rtol * |e| (NaN matches NaN), int64/bool exactly. Returns null when it
 * matches, else a message naming `what` (e.g. "output 1"), the worst element and its values.
 */
export async function compareTensor(actual: Tensor | null | undefined, expected: TensorJSON, tol: Tolerance, what: string): Promise<string | null> {
  if (!actual || typeof (actual as Tensor).data !== 'function') return `${what}: expected a tensor of shape ${fmt(expected.shape)}, got ${describeValue(actual)}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `${what}: shape ${fmt(actual.shape)} != expected ${fmt(expected.shape)}`;
  }
  const kind = (d: string) => (d === 'bool' ? 'bool' : d.startsWith('float') || d === 'bfloat16' ? 'float' : 'int');
  if (kind(actual.dtype) !== kind(expected.dtype) || (expected.dtype === 'int64' && actual.dtype !== 'int64')) {
    return `${what}: dtype ${actual.dtype} != expected ${expected.dtype}`;
  }
  const raw = await actual.data();
  const vals: number[] = Array.from(raw as ArrayLike<number | bigint>, Number);
  const exp = expected.data.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : expected.dtype === 'float32' ? Math.fround(v) : v));
  let worst = -1, worstExcess = 0, bad = 0;
  for (let i = 0; i < exp.length; i++) {
    const a = vals[i]!, e = exp[i]!;
    let excess: number;
    if (kind(expected.dtype) === 'float') {
      if (Number.isNaN(e) || Number.isNaN(a)) excess = Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity;
      else if (!Number.isFinite(e)) excess = a === e ? 0 : Infinity;
      else {
        const diff = Math.abs(a - e);
        const allowed = tol.atol + tol.rtol * Math.abs(e);
        excess = diff <= allowed ? 0 : Number.isFinite(diff) ? diff / allowed : Infinity;
      }
    } else excess = a === e ? 0 : Infinity;
    if (excess > 0) {
      bad++;
      if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
    }
  }
  if (bad === 0) return null;
  const a = vals[worst]!, e = exp[worst]!;
  const show = (v: number) => (expected.dtype === 'bool' ? String(v !== 0) : String(v));
  const detail = kind(expected.dtype) === 'float'
    ? ` (|diff| ${Math.abs(a - e).toPrecision(3)} > atol ${tol.atol} + rtol ${tol.rtol} * |expected|)`
    : '';
  return `${what}: ${bad} of ${exp.length} elements differ; worst at ${indexOf(worst, expected.shape)}: actual ${show(a)}, expected ${show(e)}${detail}`;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object' && 'shape' in (v as object)) {
    const t = v as Tensor;
    return `Tensor(shape=${fmt(t.shape)}, dtype=${t.dtype})`;
  }
  return typeof v;
}
