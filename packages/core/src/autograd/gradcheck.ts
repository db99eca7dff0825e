/** Finite-difference gradient checks (torch.autograd.gradcheck / gradgradcheck), in float64. */
import { isFloating } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import { Tensor, tidy } from '../tensor.js';
import { grad } from './engine.js';
import { noGrad } from './grad-mode.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw with details on failure (default) or return false. */
  raiseException?: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

function outputsOf(r: Tensor | Tensor[]): Tensor[] {
  return (Array.isArray(r) ? r : [r]).filter((t) => t instanceof Tensor && isFloating(t.dtype));
}

function values(t: Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>, Number);
}

/**
 * Compare autograd's gradients of fn at `inputs` with central differences. Inputs that require
 * grad are checked; use float64 inputs on a device with synchronous reads.
 */
export function gradcheck(fn: Fn, inputs: Tensor[], opts: GradcheckOptions = {}): boolean {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  const diff = inputs.filter((t) => t.requiresGrad);
  if (diff.length === 0) throw new Error('gradcheck: no input requires grad');
  for (const t of diff) {
    if (t.dtype !== 'float64') console.warn(`gradcheck: input of dtype ${t.dtype} is not float64; the check may be imprecise`);
  }
  return tidy(() => {
    const outs = outputsOf(fn(...inputs));
    const outVals = outs.map(values);
    const nOut = outVals.reduce((s, v) => s + v.length, 0);
    // analytical: one vector-Jacobian product per output element
    const analytical = diff.map((t) => Array.from({ length: t.numel }, () => new Float64Array(nOut)));
    let row = 0;
    outs.forEach((o, oi) => {
      for (let j = 0; j < outVals[oi]!.length; j++, row++) {
        tidy(() => {
          const gos = outs.map((oo, k) => {
            const v = new Float64Array(oo.numel);
            if (k === oi) v[j] = 1;
            return tensor(v, { dtype: oo.dtype, shape: [...oo.shape], device: oo.device });
          });
          const gs = grad(outs, diff, gos, { retainGraph: true, allowUnused: true });
          gs.forEach((g, ii) => {
            if (!g) return;
            values(g).forEach((v, e) => (analytical[ii]![e]![row] = v));
          });
        });
      }
    });
    // numerical: central differences, one input element at a time
    const failures: string[] = [];
    diff.forEach((t, ii) => {
      const base = values(t);
      for (let e = 0; e < base.length; e++) {
        const evalAt = (delta: number): number[] =>
          tidy(() => {
            const v = Float64Array.from(base);
            v[e]! += delta;
            // keep requiresGrad so functions that differentiate internally (gradgradcheck) still can
            const perturbed = tensor(v, { dtype: t.dtype, shape: [...t.shape], device: t.device, requiresGrad: true });
            const args = inputs.map((x) => (x === t ? perturbed : x));
            return outputsOf(fn(...args)).flatMap(values);
          });
        const plus = evalAt(eps), minus = evalAt(-eps);
        for (let r = 0; r < nOut; r++) {
          const num = (plus[r]! - minus[r]!) / (2 * eps);
          const ana = analytical[ii]![e]![r]!;
          if (!(Math.abs(num - ana) <= atol + rtol * Math.abs(num))) {
            failures.push(`input ${inputs.indexOf(t)} element ${e}, output element ${r}: numerical ${num}, analytical ${ana}`);
          }
        }
      }
    });
    if (failures.length) {
      if (opts.raiseException === false) return false;
      throw new Error(`gradcheck: Jacobian mismatch (${failures.length} entries), e.g.\n  ${failures.slice(0, 5).join('\n  ')}`);
    }
    return true;
  });
}

/** Check second derivatives: gradcheck of the vector-Jacobian product with random grad outputs. */
export function gradgradcheck(fn: Fn, inputs: Tensor[], opts: GradcheckOptions = {}): boolean {
  const diff = inputs.filter((t) => t.requiresGrad);
  const outs0 = noGrad(() => outputsOf(fn(...inputs)));
  const gos = outs0.map((o, k) => {
    const v = new Float64Array(o.numel).map((_, i) => Math.sin(i * 1.3 + k + 0.5));
    return tensor(v, { dtype: o.dtype, shape: [...o.shape], device: o.device }).requiresGrad_(true);
  });
  const vjp = (...args: Tensor[]): Tensor[] => {
    const xs = args.slice(0, inputs.length);
    const g = args.slice(inputs.length);
    const outs = outputsOf(fn(...xs));
    const d = xs.filter((t) => t.requiresGrad);
    return grad(outs, d, g, { createGraph: true, allowUnused: true }).filter((t): t is Tensor => t !== null);
  };
  void diff;
  return gradcheck(vjp, [...inputs, ...gos], opts);
}
