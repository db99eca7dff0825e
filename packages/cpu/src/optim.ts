/**
 * Fused optimizer steps (core's `Overrides.fusedSgd`, `fusedAdam`, `fusedAdamW`, `fusedRmsprop`,
 * `fusedAdagrad`) for @tensile/optim: one native call updates a whole parameter group in place
 * (native/optim.cc). The kernels repeat the optimizers' composite update op by op, so they give
 * its bits. Every per-step constant is computed here exactly as the composite computes it (in JS
 * doubles: bias corrections, `1 - beta`, `-lr`), then rounded to the parameter's dtype natively.
 * They decline (return false, nothing written) for dtypes other than float32/float64, mixed dtypes
 * or shapes, missing state and hyper-parameters that are not plain numbers.
 */
import type { BackendBuffer, FusedOptimizerEntry, View } from '@tensile/core';
import { DTYPE_CODES, MAX_DIMS, type Addon } from './native.js';

export type OptimKind = 'sgd' | 'adam' | 'adamW' | 'rmsprop' | 'adagrad';

/** Must match enum class OptimKind in native/kernels.h. */
export const OPTIM_KINDS: Record<OptimKind, number> = { sgd: 0, adam: 1, adamW: 2, rmsprop: 3, adagrad: 4 };

/** Slots of the hyper-parameter array; must match enum OptimHyperIndex in native/kernels.h. */
export const OPTIM_HYPER = {
  maximize: 0, weightDecay: 1, momentum: 2, momentumOn: 3, oneMinusDampening: 4, nesterov: 5, negLr: 6, decay: 7,
  beta1: 8, oneMinusBeta1: 9, beta2: 10, oneMinusBeta2: 11, eps: 12, amsgrad: 13, alpha: 14, oneMinusAlpha: 15, centered: 16,
} as const;
const NUM_HYPER = 17;
/** Doubles of the scratch area (kScratchDoubles in native/binding.cc). */
const SCRATCH_DOUBLES = 1024;

interface Plan {
  hyper: Float64Array;
  /** State keys of the view slots after param and grad (null: unused slot, the param's view is sent). */
  slots: (string | null)[];
  /** Per-parameter scalars from its step count. */
  scalars(step: number): [number, number];
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const flag = (v: unknown): boolean | null => (v === undefined ? false : typeof v === 'boolean' ? v : null);

/** The kernel's arguments for a group's hyper-parameters, or null when they are not plain numbers/flags. */
function plan(kind: OptimKind, h: Record<string, unknown>): Plan | null {
  const H = OPTIM_HYPER;
  const x = new Float64Array(NUM_HYPER);
  const lr = num(h.lr), wd = num(h.weightDecay), maximize = flag(h.maximize);
  if (lr === null || wd === null || maximize === null) return null;
  x[H.maximize] = maximize ? 1 : 0;
  x[H.weightDecay] = wd;
  x[H.negLr] = -lr;
  const none = (): [number, number] => [0, 0];
  switch (kind) {
    case 'sgd': {
      const momentum = num(h.momentum), dampening = num(h.dampening), nesterov = flag(h.nesterov);
      if (momentum === null || dampening === null || nesterov === null) return null;
      x[H.momentum] = momentum;
      x[H.momentumOn] = momentum !== 0 ? 1 : 0;
      x[H.oneMinusDampening] = 1 - dampening;
      x[H.nesterov] = nesterov ? 1 : 0;
      return { hyper: x, slots: momentum !== 0 ? ['momentumBuffer'] : [], scalars: none };
    }
    case 'adam':
    case 'adamW': {
      const betas = h.betas, eps = num(h.eps), amsgrad = flag(h.amsgrad);
      if (!Array.isArray(betas) || eps === null || amsgrad === null) return null;
      const beta1 = num(betas[0]), beta2 = num(betas[1]);
      if (beta1 === null || beta2 === null) return null;
      x[H.decay] = 1 - lr * wd;
      x[H.beta1] = beta1;
      x[H.oneMinusBeta1] = 1 - beta1;
      x[H.beta2] = beta2;
      x[H.oneMinusBeta2] = 1 - beta2;
      x[H.eps] = eps;
      x[H.amsgrad] = amsgrad ? 1 : 0;
      return {
        hyper: x,
        slots: amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'],
        // as the composite: stepSize = lr / (1 - beta1^t), denom divisor sqrt(1 - beta2^t)
        scalars: (step) => [-(lr / (1 - beta1 ** step)), Math.sqrt(1 - beta2 ** step)],
      };
    }
    case 'rmsprop': {
      const alpha = num(h.alpha), eps = num(h.eps), momentum = num(h.momentum), centered = flag(h.centered);
      if (alpha === null || eps === null || momentum === null || centered === null) return null;
      x[H.alpha] = alpha;
      x[H.oneMinusAlpha] = 1 - alpha;
      x[H.eps] = eps;
      x[H.momentum] = momentum;
      x[H.momentumOn] = momentum > 0 ? 1 : 0;
      x[H.centered] = centered ? 1 : 0;
      return { hyper: x, slots: ['squareAvg', momentum > 0 ? 'momentumBuffer' : null, centered ? 'gradAvg' : null], scalars: none };
    }
    case 'adagrad': {
      const lrDecay = num(h.lrDecay), eps = num(h.eps);
      if (lrDecay === null || eps === null) return null;
      x[H.eps] = eps;
      return { hyper: x, slots: ['sum'], scalars: (step) => [-(lr / (1 + (step - 1) * lrDecay)), 0] };
    }
  }
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Run one fused optimizer step on the cpu device: validates every parameter first (false:
 * declined, nothing written), then packs as many parameters per native call as the scratch area
 * holds. `ptr` resolves a buffer to its native address (throws for a freed buffer).
 */
export function fusedOptimStep(
  kind: OptimKind,
  entries: FusedOptimizerEntry[],
  hyper: Record<string, unknown>,
  native: Addon,
  m: Float64Array,
  ptr: (b: BackendBuffer, op: string) => number,
): boolean {
  const p = plan(kind, hyper);
  if (!p) return false;
  const op = `fused${kind[0]!.toUpperCase()}${kind.slice(1)}`;
  const nviews = 2 + p.slots.length;
  // validate and resolve every view before writing anything
  const packed: { views: View[]; ptrs: number[]; s: [number, number] }[] = [];
  for (const e of entries) {
    const dt = e.param.dtype;
    if (dt !== 'float32' && dt !== 'float64') return false;
    const views: View[] = [e.param, e.grad];
    for (const key of p.slots) {
      if (key === null) {
        views.push(e.param);
        continue;
      }
      const v = e.state[key];
      if (!v) return false;
      views.push(v);
    }
    for (const v of views) {
      if (v.dtype !== dt || !sameShape(v.shape, e.param.shape) || v.shape.length > MAX_DIMS) return false;
    }
    packed.push({ views, ptrs: views.map((v) => ptr(v.buf, op)), s: p.scalars(e.step) });
  }
  const header = 3 + NUM_HYPER;
  let k = header;
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    m[0] = OPTIM_KINDS[kind];
    m[1] = nviews;
    m[2] = count;
    m.set(p.hyper, 3);
    native.fusedOptim();
    k = header;
    count = 0;
  };
  for (const { views, ptrs, s } of packed) {
    const size = 2 + views.reduce((n, v) => n + 4 + 2 * v.shape.length, 0);
    if (k + size > SCRATCH_DOUBLES) flush();
    m[k++] = s[0];
    m[k++] = s[1];
    views.forEach((v, i) => {
      const nd = v.shape.length;
      m[k++] = ptrs[i]!;
      m[k++] = DTYPE_CODES[v.dtype];
      m[k++] = nd;
      m[k++] = v.offset;
      for (let d = 0; d < nd; d++) m[k++] = v.shape[d]!;
      for (let d = 0; d < nd; d++) m[k++] = v.strides[d]!;
    });
    count++;
  }
  flush();
  return true;
}
