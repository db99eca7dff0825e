/**
 * Finite-difference sweep: for every fixture case with gradients, rebuild its inputs in float64
 * on a synchronous device (gradcheck reads with dataSync) and run core's gradcheck on the op.
 */
import { gradcheck, tensor, Tensor } from '@tensile/core';
import { afterAll, describe, it } from 'vitest';
import { NotImplementedInCore } from './adapters.js';
import { invokeCase, outputsOf, prepareCase, recordCoverage, findSkip, writeCoverageFile, type SkipSpec } from './runner.js';
import { isTensorJSON, loadOpFixtures, type OpCase } from './fixtures.js';

export interface GradcheckSweepOptions {
  skip?: SkipSpec[];
  fixturesDir?: string;
  families?: string[];
  /**
   * Cap on gradcheck's work: (float output elements) backward passes + 2 x (differentiated input
   * elements) forward passes. Bigger cases are skipped with a recorded reason. Default 1000.
   */
  maxCost?: number;
  eps?: number;
  atol?: number;
  rtol?: number;
}

const numel = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** gradcheck's cost for a case (see GradcheckSweepOptions.maxCost). */
export function gradcheckCost(c: OpCase): number {
  const outs = Array.isArray(c.output) ? c.output : [c.output];
  const nOut = outs.reduce((s, o) => s + (o && o.dtype === 'float32' ? numel(o.shape) : 0), 0);
  let nIn = 0;
  (c.grads ?? []).forEach((g, i) => {
    if (!g) return;
    const a = c.args[i];
    if (isTensorJSON(a)) nIn += numel(a.shape);
    else if (Array.isArray(a)) a.forEach((t, j) => { if (isTensorJSON(t) && Array.isArray(g) && g[j]) nIn += numel(t.shape); });
  });
  return nOut + 2 * nIn;
}

/**
 * Why a case's fixture gradient is not the derivative gradcheck measures, or undefined: such
 * cases are skipped in the sweep with this reason (their values are still checked by
 * runConformance). None at present: embedding with padding_idx, whose padding row gets a zero
 * gradient by definition, is checked with that row held fixed (see frozenPaddingRow).
 */
export function gradientIsNotDerivative(_c: OpCase): string | undefined {
  return undefined;
}

/**
 * For embedding with padding_idx: a function that replaces the weight by one whose padding row
 * is the original row, a constant (w * keep + w0 * (1 - keep)), so the finite differences of that
 * row are zero like its defined gradient, and the other rows are checked as usual. (The fixture
 * comparison in runConformance checks the padding row's zero gradient itself.) Undefined for
 * other cases. `owned` collects the tensors it makes.
 */
function frozenPaddingRow(c: OpCase, args: unknown[], owned: Tensor[]): ((w: Tensor) => Tensor) | undefined {
  if (c.op !== 'torch.nn.functional.embedding') return undefined;
  const pad = c.kwargs.padding_idx;
  const w = args[1];
  if (typeof pad !== 'number' || !(w instanceof Tensor) || w.ndim !== 2) return undefined;
  const [rows, cols] = w.shape as [number, number];
  const row = pad < 0 ? pad + rows : pad;
  const keep = new Float64Array(rows * cols).fill(1);
  keep.fill(0, row * cols, (row + 1) * cols);
  const opts = { shape: [rows, cols], dtype: w.dtype, device: w.device };
  const keepT = tensor(keep, opts);
  const dropT = tensor(keep.map((k) => 1 - k), opts);
  const w0 = tensor(Float64Array.from(w.dataSync() as ArrayLike<number>), opts).mul(dropT);
  owned.push(keepT, dropT, w0);
  return (x) => x.mul(keepT).add(w0);
}

/** Tensors inside a decoded value, in a fixed order, and a function that puts replacements back. */
function tensorSlots(v: unknown): { tensors: Tensor[]; rebuild: (ts: Tensor[]) => unknown } {
  const tensors: Tensor[] = [];
  const walk = (x: unknown): ((ts: Tensor[]) => unknown) => {
    if (x instanceof Tensor) {
      const i = tensors.push(x) - 1;
      return (ts) => ts[i];
    }
    if (Array.isArray(x)) {
      const fs = x.map(walk);
      return (ts) => fs.map((f) => f(ts));
    }
    if (x && typeof x === 'object') {
      const fs = Object.entries(x).map(([k, y]) => [k, walk(y)] as const);
      return (ts) => Object.fromEntries(fs.map(([k, f]) => [k, f(ts)]));
    }
    return () => x;
  };
  const rebuild = walk(v);
  return { tensors, rebuild };
}

/** Run gradcheck (float64) on one case on a sync device; throws with gradcheck's message on a mismatch. */
export function gradcheckCase(c: OpCase, device = 'js', opts: { eps?: number; atol?: number; rtol?: number } = {}): void {
  const p = prepareCase(c, { device, floatDtype: 'float64' });
  const made: Tensor[] = [];
  try {
    const slots = tensorSlots({ args: p.args, kwargs: p.kwargs });
    const freeze = frozenPaddingRow(c, p.args, made);
    const fn = (...ts: Tensor[]): Tensor[] => {
      const { args, kwargs } = slots.rebuild(ts) as { args: unknown[]; kwargs: Record<string, unknown> };
      if (freeze) args[1] = freeze(args[1] as Tensor);
      const r = invokeCase(c, { ...p, kwargs }, args);
      return outputsOf(r).outputs.filter((o): o is Tensor => o instanceof Tensor);
    };
    gradcheck(fn, slots.tensors, { eps: opts.eps, atol: opts.atol, rtol: opts.rtol });
  } finally {
    for (const t of [...p.owned, ...made]) t.dispose();
  }
}

/** Register describe('gradcheck (<device>)') > describe(family) > it(case) for every case with grads. */
export function runGradcheckSweep(device = 'js', opts: GradcheckSweepOptions = {}): void {
  const maxCost = opts.maxCost ?? 1000;
  const families = loadOpFixtures(opts.fixturesDir).filter((f) => !opts.families || opts.families.includes(f.family));
  describe(`gradcheck (${device})`, () => {
    afterAll(() => void writeCoverageFile(device, 'gradcheck'));
    for (const fam of families) {
      const cases = fam.cases.filter((c) => c.grads && c.grads.some((g) => g !== null));
      if (cases.length === 0) continue;
      describe(fam.family, () => {
        for (const c of cases) {
          const base = { suite: 'gradcheck' as const, device, family: fam.family, op: c.op, case: c.name };
          const skip = findSkip(opts.skip, fam.family, c);
          const cost = gradcheckCost(c);
          const reason = skip?.reason ?? gradientIsNotDerivative(c) ?? (cost > maxCost ? `too big for gradcheck: cost ${cost} > maxCost ${maxCost} (output elements + 2 x input elements)` : undefined);
          if (reason) {
            recordCoverage({ ...base, status: 'skip', reason });
            it.skip(c.name, () => {});
            continue;
          }
          it(c.name, () => {
            try {
              gradcheckCase(c, device, opts);
              recordCoverage({ ...base, status: 'pass' });
            } catch (e) {
              const msg = e instanceof Error ? e.message : String(e);
              recordCoverage({ ...base, status: e instanceof NotImplementedInCore ? 'missing' : 'fail', reason: msg.split('\n')[0] });
              throw new Error(`${fam.family}/${c.name} (${c.op}): ${msg}`);
            }
          });
        }
      });
    }
  });
}
