/**
 * Optimizer: the base class of every optimizer (torch.optim.Optimizer). Parameters live in
 * parameter groups that carry their own hyper-parameters; per-parameter state (moments, momentum
 * buffers, step counts) lives in `state`. Updates run in place under noGrad; state tensors are
 * kept with keep() so tidy() scopes around a training step never free them, and each step's
 * temporaries are freed inside the step, so the live-tensor count does not grow.
 */
import { cast, clone, enableGrad, keep, noGrad, Tensor, tidy, to, type FusedOptimizerKernel, type View } from '@tensile/core';

/** A parameter group: its parameters and hyper-parameters (lr is mutable; schedulers write it). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** Set by learning-rate schedulers (the lr a schedule starts from). */
  initialLr?: number;
  [key: string]: unknown;
}

/** A parameter group as passed to a constructor or addParamGroup: options missing fall back to the defaults. */
export type ParamGroupSpec<O> = { params: Iterable<Tensor> } & Partial<O> & Record<string, unknown>;

/** What an optimizer constructor accepts: parameters (one group) or a list of groups. */
export type Params<O> = Iterable<Tensor> | Iterable<ParamGroupSpec<O>>;

/** Per-parameter state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * An optimizer's state in PyTorch's layout: `state` maps a parameter's index (its position over all
 * groups in order) to its state with snake_case keys (`exp_avg`, `momentum_buffer`, `step`), and
 * `param_groups` holds each group's hyper-parameters (snake_case) with `params` as indices.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

/**
 * A fused kernel a backend may provide for an optimizer as `backend.overrides[fusedName]`
 * (`'fusedSgd'`, `'fusedAdam'`, `'fusedAdamW'`, `'fusedRmsprop'`, `'fusedAdagrad'`): it updates every
 * parameter and state view of one group in place. `entries[i].step` is the parameter's step
 * count after this step; `hyper` is the group's hyper-parameters (camelCase, without params).
 * It returns false to decline (nothing written); optimizers compose their update from core ops
 * then, and when no backend provides one. Defined in core's backend contract.
 */
export type { FusedOptimizerKernel };

/** camelCase key -> snake_case, as state dicts spell it (`expAvgSq` -> `exp_avg_sq`, `_stepCount` -> `_step_count`). */
export function snakeName(key: string): string {
  return key.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

/** snake_case key -> camelCase (leading underscores kept). */
export function camelName(key: string): string {
  return key.replace(/(?<=[A-Za-z0-9])_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function copyValue<T>(v: T): T {
  return (Array.isArray(v) ? [...v] : v) as T;
}

/** Base class of the optimizers. Subclasses implement _initState and _update (one parameter). */
export abstract class Optimizer<O extends object = Record<string, unknown>> {
  /** Hyper-parameters a group gets when it does not set them. */
  readonly defaults: O & { lr: number };
  /** The parameter groups; each has `params` and its hyper-parameters (`lr` etc., mutable). */
  paramGroups: (ParamGroup & O)[] = [];
  /** Per-parameter state, created at the parameter's first step. */
  state = new Map<Tensor, ParamState>();
  /** Name of the optional fused backend kernel (see FusedOptimizerKernel). */
  protected abstract readonly fusedName: string;

  constructor(params: Params<O>, defaults: O & { lr: number }) {
    this.defaults = defaults;
    const list = [...(params as Iterable<Tensor | ParamGroupSpec<O>>)];
    if (list.length === 0) throw new Error(`${this.constructor.name}: optimizer got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupSpec<O>] : (list as ParamGroupSpec<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Add a parameter group (fine-tuning a frozen layer, say); missing options take the defaults. */
  addParamGroup(group: ParamGroupSpec<O>): void {
    const name = this.constructor.name;
    if (!group || typeof group !== 'object' || !('params' in group)) {
      throw new TypeError(`${name}.addParamGroup: a param group must be an object with a 'params' key`);
    }
    if (group.params instanceof Tensor) throw new TypeError(`${name}.addParamGroup: params must be an iterable of tensors, got a single Tensor`);
    const params = [...group.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf) throw new Error(`${name}: can't optimize a non-leaf Tensor (shape [${p.shape.join(', ')}])`);
    }
    if (new Set(params).size !== params.length) {
      console.warn(`${name}: a parameter group contains duplicate parameters; this will be an error in the future (as PyTorch)`);
    }
    const existing = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => existing.has(p))) throw new Error(`${name}: some parameters appear in more than one parameter group`);
    const full: Record<string, unknown> = { ...group, params };
    for (const [k, v] of Object.entries(this.defaults)) if (full[k] === undefined) full[k] = copyValue(v);
    this.paramGroups.push(full as ParamGroup & O);
  }

  /** Clear the gradients of every parameter: set them to null (default) or fill them with zeros. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const setToNone = opts.setToNone ?? true;
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) {
          p.grad.dispose();
          p.grad = null;
        } else {
          noGrad(() => p.grad!.zero_());
        }
      }
    }
  }

  /**
   * Update every parameter that has a gradient. `closure` (optional) re-evaluates the model and
   * returns the loss; it runs with grad enabled before the update and its result is returned.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    let loss: T | undefined;
    if (closure) loss = enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) {
        const ps = group.params.filter((p) => p.grad !== null);
        if (ps.length === 0) continue;
        for (const p of ps) {
          if (!this.state.has(p)) this.state.set(p, this._initState(p, group));
        }
        if (this._runFused(group, ps)) continue;
        tidy(() => {
          for (const p of ps) this._update(p, p.grad!, this.state.get(p)!, group);
        });
      }
    });
    return loss;
  }

  /** The fresh state of a parameter (tensors made with keep()); called at its first step. */
  protected abstract _initState(p: Tensor, group: ParamGroup & O): ParamState;
  /** Update one parameter in place (inside noGrad and a tidy scope, so temporaries are freed). */
  protected abstract _update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup & O): void;
  /** State keys that are step counters (advanced before a fused kernel runs). */
  protected _stepKeys(): string[] {
    return ['step'];
  }

  /**
   * Hook for fused backend kernels: when the parameters' backend has `overrides[fusedName]`, run
   * it on the whole group and return true; otherwise return false and the update is composed from
   * core ops.
   */
  protected _runFused(group: ParamGroup & O, ps: Tensor[]): boolean {
    const backend = ps[0]!.storage.backend;
    if (ps.some((p) => p.storage.backend !== backend)) return false;
    const overrides = backend.overrides as Record<string, unknown> | undefined;
    const kernel = overrides?.[this.fusedName];
    if (typeof kernel !== 'function') return false;
    const hyper: Record<string, unknown> = { ...group };
    delete hyper.params;
    const stepKeys = this._stepKeys();
    const entries = ps.map((p) => {
      const st = this.state.get(p)!;
      const views: Record<string, View> = {};
      for (const [k, v] of Object.entries(st)) if (v instanceof Tensor) views[k] = v._view(this.fusedName);
      const step = typeof st.step === 'number' ? st.step + (stepKeys.includes('step') ? 1 : 0) : 0;
      return { param: p._view(this.fusedName), grad: p.grad!._view(this.fusedName), state: views, step };
    });
    // A kernel that declines (returns false) has written nothing: compose the update instead.
    if ((kernel as FusedOptimizerKernel).call(overrides, entries, hyper) === false) return false;
    for (const p of ps) {
      const st = this.state.get(p)!;
      for (const k of stepKeys) if (typeof st[k] === 'number') st[k] = (st[k] as number) + 1;
      p.storage.version++;
      for (const v of Object.values(this.state.get(p)!)) if (v instanceof Tensor) v.storage.version++;
    }
    return true;
  }

  /**
   * The optimizer's state in PyTorch's layout (see OptimizerStateDict). State tensors are the live
   * tensors, not copies (as PyTorch): serialize them, or clone them to keep a snapshot while
   * training goes on. Step counts are numbers.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[snakeName(k)] = copyValue(v);
      out.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return out as Record<string, unknown> & { params: number[] };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(st).map(([k, v]) => [snakeName(k), v]));
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Load a state dict made by stateDict() (or PyTorch's layout): hyper-parameters of each group
   * and per-parameter state, matched by position. State tensors are copied onto each parameter's
   * device and (floating state) dtype; the state dict itself is left untouched.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.constructor.name;
    const saved = sd.param_groups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new Error(`${name}.loadStateDict: loaded state dict has a different number of parameter groups (${saved?.length} vs ${this.paramGroups.length})`);
    }
    saved.forEach((g, i) => {
      if (g.params.length !== this.paramGroups[i]!.params.length) {
        throw new Error(
          `${name}.loadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group ` +
            `(group ${i}: ${g.params.length} vs ${this.paramGroups[i]!.params.length} parameters)`,
        );
      }
    });
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, i) => g.params.forEach((idx, j) => byIndex.set(idx, this.paramGroups[i]!.params[j]!)));
    // Copy everything first so a failure leaves the optimizer as it was.
    const newState = new Map<Tensor, ParamState>();
    try {
      noGrad(() => {
        for (const [k, st] of Object.entries(sd.state ?? {})) {
          const p = byIndex.get(Number(k));
          if (!p) continue;
          const out: ParamState = {};
          newState.set(p, out);
          for (const [key, v] of Object.entries(st)) {
            // Step counts are numbers here (PyTorch stores a 0-d tensor).
            if (key === 'step') out.step = stepValue(v);
            else out[camelName(key)] = v instanceof Tensor ? keep(copyStateTensor(v, p)) : v;
          }
        }
      });
    } catch (e) {
      for (const st of newState.values()) disposeState(st);
      throw e;
    }
    for (const st of this.state.values()) disposeState(st);
    this.state = newState;
    saved.forEach((g, i) => {
      const group = this.paramGroups[i]! as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== 'params') group[camelName(k)] = copyValue(v);
    });
  }

  /** Free every state tensor (the optimizer restarts from fresh state at its next step). */
  dispose(): void {
    for (const st of this.state.values()) disposeState(st);
    this.state.clear();
  }

  toString(): string {
    const groups = this.paramGroups.map((g, i) => {
      const hp = Object.entries(g).filter(([k]) => k !== 'params').map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
      return `Parameter Group ${i}\n${hp.join('\n')}`;
    });
    return `${this.constructor.name} (\n${groups.join('\n')}\n)`;
  }
}

function copyStateTensor(v: Tensor, p: Tensor): Tensor {
  let t = v.device === p.device ? v : to(v, p.device);
  // Floating state follows the parameter's dtype (as PyTorch).
  if (t.dtype !== p.dtype && (t.dtype.startsWith('float') || t.dtype === 'bfloat16')) {
    const c = cast(t, p.dtype);
    if (t !== v) t.dispose();
    t = c;
  }
  return t === v ? clone(v) : t;
}

function disposeState(st: ParamState): void {
  for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
}

/** A number from a step count stored as a number or a one-element tensor (PyTorch stores a tensor). */
export function stepValue(v: Tensor | number | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.itemSync();
}
