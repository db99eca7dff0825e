/**
 * Test helper for gradchecks of whole modules: run `fn` with a module's parameters temporarily
 * replaced by given tensors (torch.func.functional_call), so gradcheck can perturb them.
 */
import { type Tensor } from '@tensile/core';
import type { Module } from '@tensile/nn';

type AnyModule = Module<never[], unknown>;

/** Run fn while each named parameter of `m` is replaced by params[name]; restores afterwards. */
export function functionalCall<T>(m: Module<any[], unknown>, params: Record<string, Tensor>, fn: () => T): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  const mods = new Map<string, AnyModule>((m as unknown as AnyModule).namedModules());
  const restore: [Record<string, unknown>, string, unknown][] = [];
  try {
    for (const [name, p] of (m as unknown as AnyModule).namedParameters()) {
      const cut = name.lastIndexOf('.');
      const owner = mods.get(cut < 0 ? '' : name.slice(0, cut)) as unknown as Record<string, unknown>;
      const prop = Object.keys(owner).find((k) => owner[k] === p);
      if (!prop) throw new Error(`functionalCall: no property holds parameter ${name}`);
      const replacement = params[name];
      if (!replacement) continue;
      restore.push([owner, prop, p]);
      owner[prop] = replacement;
    }
    return fn();
  } finally {
    for (const [owner, prop, p] of restore.reverse()) owner[prop] = p;
  }
}

/** Float64 leaf copies of a module's parameters that require grad, by name. */
export function paramLeaves(m: Module<any[], unknown>): [string, Tensor][] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return [...(m as unknown as AnyModule).namedParameters()].map(([n, p]) => [n, p.detach().to('float64').clone().requiresGrad_(true)]);
}
