/** torch.nn.utils: gradient clipping, parameters <-> flat vector, parameter counting. */
import { cat, noGrad, norm, stack, tensor, tidy, type Tensor } from '@tensile/core';
import type { Module } from './module.js';

type Params = Iterable<Tensor> | Tensor;

function asList(params: Params): Tensor[] {
  return params instanceof Object && 'shape' in params && 'dtype' in params ? [params as Tensor] : [...(params as Iterable<Tensor>)];
}

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (default false). Needs a device with sync reads. */
  errorIfNonfinite?: boolean;
  /** Accepted for PyTorch compatibility. */
  foreach?: boolean;
}

/**
 * torch.nn.utils.clip_grad_norm_: scale the gradients in place so their joint `normType` norm
 * is at most maxNorm (coefficient min(1, maxNorm / (total + 1e-6))), returning the total norm
 * before clipping as a 0-d tensor. Parameters without .grad are skipped.
 */
export function clipGradNorm_(parameters: Params, maxNorm: number, normType: number = 2, opts: ClipGradNormOptions = {}): Tensor {
  const grads = asList(parameters).map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return tensor(0);
  const total = noGrad(() => tidy(() => {
    if (normType === Infinity) {
      const norms = grads.map((g) => g.abs().amax());
      return norms.length === 1 ? norms[0]! : stack(norms).amax();
    }
    const norms = grads.map((g) => norm(g.reshape([-1]), normType));
    return norm(stack(norms), normType);
  }));
  if (opts.errorIfNonfinite) {
    const v = total.itemSync();
    if (!Number.isFinite(v)) {
      throw new Error(`clipGradNorm_: the total norm of order ${normType} for gradients from \`parameters\` is non-finite (${v}), so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite=false`);
    }
  }
  noGrad(() => tidy(() => {
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    for (const g of grads) g.mul_(coef.to(g.dtype));
  }));
  return total;
}

/** torch.nn.utils.clip_grad_value_: clamp every gradient to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Params, clipValue: number): void {
  noGrad(() => {
    for (const p of asList(parameters)) p.grad?.clamp_(-clipValue, clipValue);
  });
}

/** torch.nn.utils.parameters_to_vector: the parameters flattened and concatenated (differentiable). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const ps = [...parameters];
  if (ps.length === 0) throw new RangeError('parametersToVector: expected at least one parameter');
  const dev = ps[0]!.device;
  for (const p of ps) if (p.device !== dev) throw new Error(`parametersToVector: found parameters on different devices (${dev} and ${p.device})`);
  return tidy(() => cat(ps.map((p) => p.reshape([-1]))));
}

/** torch.nn.utils.vector_to_parameters: copy consecutive slices of `vec` into the parameters, in place. */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (vec.ndim !== 1) throw new RangeError(`vectorToParameters: expected a 1-D vector, got shape [${vec.shape.join(', ')}]`);
  const ps = [...parameters];
  const total = ps.reduce((s, p) => s + p.numel, 0);
  if (total !== vec.numel) throw new RangeError(`vectorToParameters: the vector has ${vec.numel} elements but the parameters hold ${total}`);
  noGrad(() => tidy(() => {
    let off = 0;
    for (const p of ps) {
      p.copy_(vec.narrow(0, off, p.numel).reshape(p.shape as number[]));
      off += p.numel;
    }
  }));
}

/** Number of parameter elements in a module (shared parameters once); trainableOnly counts requiresGrad ones. */
export function countParameters(module: Module<never[], unknown> | { parameters(): Iterable<Tensor> }, opts: { trainableOnly?: boolean } = {}): number {
  let n = 0;
  for (const p of module.parameters()) if (!opts.trainableOnly || p.requiresGrad) n += p.numel;
  return n;
}

