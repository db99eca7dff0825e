/**
 * Module: PyTorch's nn.Module. Parameters, buffers and submodules are registered by assignment
 * (`this.weight = new Parameter(...)`, `this.fc = new Linear(...)`) and discovered in assignment
 * order; buffers are declared with registerBuffer(). State-dict keys are PyTorch's: a camelCase
 * property becomes snake_case (`runningMean` -> `running_mean`, `weightIhL0` -> `weight_ih_l0`),
 * and registerParameter/registerBuffer/registerModule set an exact name where that rule does not
 * fit (`LayerNorm` in Hugging Face checkpoints).
 */
import { keep, noGrad, Tensor, type DType } from '@tensile/core';

/** A tensor that is a module parameter: a leaf that requires grad (torch.nn.Parameter). */
export class Parameter extends Tensor {
  /**
   * Wrap `data` as a parameter. The parameter takes over data's storage and `data` itself is
   * disposed (a move), so building a module leaves no stray tensors behind.
   */
  constructor(data: Tensor, requiresGrad = true) {
    data._assertAlive('Parameter');
    super(data.storage, data.shape, data.strides, data.offset, true);
    if (requiresGrad) this.requiresGrad_(true);
    keep(this);
    data.dispose();
  }
}

/** camelCase property -> snake_case state-dict key. */
export function stateName(property: string): string {
  return property.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

type Hook<M> = (module: M, inputs: unknown[], output: unknown) => unknown;
type PreHook<M> = (module: M, inputs: unknown[]) => unknown[] | void;

interface Registry {
  /** property key -> explicit state name */
  names: Map<string, string>;
  buffers: Set<string>;
  nonPersistent: Set<string>;
}

const registries = new WeakMap<object, Registry>();
function reg(m: object): Registry {
  let r = registries.get(m);
  if (!r) {
    r = { names: new Map(), buffers: new Set(), nonPersistent: new Set() };
    registries.set(m, r);
  }
  return r;
}

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Base class of all layers and models. Subclasses implement forward(). */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** Training mode (dropout, batch-norm statistics); toggled by train()/eval(). */
  training = true;
  // Stored loosely typed: a `this`-typed field would make Module invariant in its subclasses.
  private _forwardHooks: Hook<never>[] = [];
  private _forwardPreHooks: PreHook<never>[] = [];

  abstract forward(...inputs: In): Out;

  /** Run forward with hooks (PyTorch's module(x)). */
  call(...inputs: In): Out {
    let args = inputs as unknown[];
    for (const h of this._forwardPreHooks) {
      const r = h(this as never, args);
      if (r) args = r;
    }
    let out: unknown = this.forward(...(args as In));
    for (const h of this._forwardHooks) {
      const r = h(this as never, args, out);
      if (r !== undefined) out = r;
    }
    return out as Out;
  }

  registerForwardHook(fn: Hook<this>): { remove(): void } {
    this._forwardHooks.push(fn);
    return { remove: () => void (this._forwardHooks = this._forwardHooks.filter((h) => h !== fn)) };
  }
  registerForwardPreHook(fn: PreHook<this>): { remove(): void } {
    this._forwardPreHooks.push(fn);
    return { remove: () => void (this._forwardPreHooks = this._forwardPreHooks.filter((h) => h !== fn)) };
  }

  // ---- registration ----

  /** Register (or replace) a buffer: state that is saved but not trained (running statistics). */
  registerBuffer(name: string, tensor: Tensor | null, opts: { persistent?: boolean; property?: string } = {}): void {
    const prop = opts.property ?? name;
    const r = reg(this);
    r.buffers.add(prop);
    if (prop !== stateName(name) || name !== prop) r.names.set(prop, name);
    if (opts.persistent === false) r.nonPersistent.add(prop);
    if (tensor) keep(tensor);
    (this as Record<string, unknown>)[prop] = tensor;
  }
  /** Register a parameter under an exact state-dict name (property defaults to the name). */
  registerParameter(name: string, param: Parameter | null, opts: { property?: string } = {}): void {
    const prop = opts.property ?? name;
    reg(this).names.set(prop, name);
    (this as Record<string, unknown>)[prop] = param;
  }
  /** Register a submodule under an exact state-dict name (torch add_module). */
  registerModule(name: string, module: Module<never[], unknown> | null, opts: { property?: string } = {}): void {
    const prop = opts.property ?? name;
    reg(this).names.set(prop, name);
    (this as Record<string, unknown>)[prop] = module;
  }
  addModule(name: string, module: Module<never[], unknown> | null): void {
    this.registerModule(name, module);
  }

  /** [stateName, value] of direct entries of one kind, in assignment order. */
  protected _entries(kind: 'parameter' | 'buffer' | 'module'): [string, unknown][] {
    const r = reg(this);
    const out: [string, unknown][] = [];
    for (const [prop, v] of Object.entries(this)) {
      if (prop.startsWith('_') || prop === 'training') continue;
      const isBuffer = r.buffers.has(prop);
      const match =
        kind === 'parameter' ? v instanceof Parameter && !isBuffer
        : kind === 'buffer' ? isBuffer && (v === null || v instanceof Tensor)
        : v instanceof Module;
      if (match) out.push([r.names.get(prop) ?? stateName(prop), v]);
    }
    return out;
  }

  // ---- traversal ----

  *namedChildren(): Generator<[string, Module<never[], unknown>]> {
    for (const [n, m] of this._entries('module')) yield [n, m as Module<never[], unknown>];
  }
  *children(): Generator<Module<never[], unknown>> {
    for (const [, m] of this.namedChildren()) yield m;
  }
  *namedModules(prefix = ''): Generator<[string, Module<never[], unknown>]> {
    yield [prefix, this as unknown as Module<never[], unknown>];
    for (const [n, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }
  *modules(): Generator<Module<never[], unknown>> {
    for (const [, m] of this.namedModules()) yield m;
  }
  /** Parameters with dotted names (shared parameters once, as PyTorch). */
  *namedParameters(prefix = '', recurse = true): Generator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    const mods: [string, Module<never[], unknown>][] = recurse ? [...this.namedModules(prefix)] : [[prefix, this as never]];
    for (const [mp, m] of mods) {
      for (const [n, p] of m._entries('parameter')) {
        if (!p || seen.has(p as Tensor)) continue;
        seen.add(p as Tensor);
        yield [mp ? `${mp}.${n}` : n, p as Parameter];
      }
    }
  }
  *parameters(recurse = true): Generator<Parameter> {
    for (const [, p] of this.namedParameters('', recurse)) yield p;
  }
  *namedBuffers(prefix = '', recurse = true): Generator<[string, Tensor]> {
    const mods: [string, Module<never[], unknown>][] = recurse ? [...this.namedModules(prefix)] : [[prefix, this as never]];
    for (const [mp, m] of mods) {
      for (const [n, b] of m._entries('buffer')) if (b) yield [mp ? `${mp}.${n}` : n, b as Tensor];
    }
  }
  *buffers(recurse = true): Generator<Tensor> {
    for (const [, b] of this.namedBuffers('', recurse)) yield b;
  }

  // ---- modes and devices ----

  /** Set training mode on this module and all submodules. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Apply fn to every submodule (children first) and to this module. */
  apply(fn: (m: Module<never[], unknown>) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this as unknown as Module<never[], unknown>);
    return this;
  }
  /**
   * Move parameters and buffers to a device and/or cast floating ones to a dtype, in place:
   * the same Parameter objects now hold the new data (optimizers keep working).
   */
  to(deviceOrDtype: string): this {
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        const isDtype = ['float32', 'float64', 'float16', 'bfloat16'].includes(deviceOrDtype);
        if (isDtype && !['float32', 'float64', 'float16', 'bfloat16'].includes(t.dtype)) continue;
        const moved = t.to(deviceOrDtype as DType);
        if (moved !== t) {
          t.setData_(moved);
          moved.dispose();
        }
        if (t.grad) {
          const g = t.grad.to(deviceOrDtype as DType);
          if (g !== t.grad) {
            t.grad.dispose();
            t.grad = keep(g);
          }
        }
      }
    });
    return this;
  }
  /** Clear gradients: set them to null (default, as PyTorch 2) or to zero. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (opts.setToNone === false) noGrad(() => p.grad!.zero_());
      else {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  // ---- state ----

  /** Parameters and persistent buffers by dotted PyTorch name (the tensors themselves, detached views). */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const out: StateDict = {};
    const prefix = opts.prefix ?? '';
    for (const [mp, m] of this.namedModules(prefix)) {
      const r = reg(m);
      for (const [n, p] of m._entries('parameter')) if (p) out[mp ? `${mp}.${n}` : n] = opts.keepVars ? (p as Tensor) : (p as Tensor).detach();
      for (const [prop, v] of Object.entries(m)) {
        if (!r.buffers.has(prop) || r.nonPersistent.has(prop) || !(v instanceof Tensor)) continue;
        const n = r.names.get(prop) ?? stateName(prop);
        out[mp ? `${mp}.${n}` : n] = opts.keepVars ? v : v.detach();
      }
    }
    return out;
  }

  /**
   * Copy values from a state dict into parameters and buffers in place (shapes must match). With
   * strict (default), missing or unexpected keys throw, listing them.
   */
  loadStateDict(stateDict: StateDict, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict({ keepVars: true });
    const missingKeys = Object.keys(own).filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !(k in own));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(
        `loadStateDict: error(s) in loading state dict for ${this.constructor.name}:` +
          (missingKeys.length ? ` missing keys: ${missingKeys.join(', ')}.` : '') +
          (unexpectedKeys.length ? ` unexpected keys: ${unexpectedKeys.join(', ')}.` : ''),
      );
    }
    noGrad(() => {
      for (const [k, target] of Object.entries(own)) {
        const src = stateDict[k];
        if (!src) continue;
        if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
          throw new RangeError(
            `loadStateDict: size mismatch for ${k}: copying a param with shape [${src.shape.join(', ')}] from checkpoint, ` +
              `the shape in current model is [${target.shape.join(', ')}]`,
          );
        }
        let s = src.device === target.device ? src : src.to(target.device);
        if (s.dtype !== target.dtype) s = s.to(target.dtype);
        target.copy_(s);
        if (s !== src) s.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Dispose every parameter, buffer and gradient (the module is unusable afterwards). */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    for (const b of this.buffers()) b.dispose();
  }

  /** A readable tree of the module (PyTorch's repr). */
  toString(): string {
    const kids = [...this.namedChildren()];
    const extra = this.extraRepr();
    if (!kids.length) return `${this.constructor.name}(${extra})`;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${this.constructor.name}(${extra ? `${extra}\n` : '\n'}${lines.join('\n')}\n)`;
  }
  /** Extra text inside toString()'s parentheses (layer sizes). */
  extraRepr(): string {
    return '';
  }
}

/** Modules in order; forward feeds each output to the next (torch.nn.Sequential). */
export class Sequential extends Module<[Tensor], Tensor> {
  constructor(...modules: Module<[Tensor], Tensor>[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m as never, { property: `_m${i}` }));
  }
  private get _list(): Module<[Tensor], Tensor>[] {
    return [...this.children()] as never;
  }
  protected override _entries(kind: 'parameter' | 'buffer' | 'module'): [string, unknown][] {
    return moduleListEntries(this, kind, super._entries(kind));
  }
  get length(): number {
    return this._list.length;
  }
  at(i: number): Module<[Tensor], Tensor> {
    const l = this._list;
    const m = l[i < 0 ? i + l.length : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${l.length} modules`);
    return m;
  }
  append(m: Module<[Tensor], Tensor>): this {
    const n = this._list.length;
    this.registerModule(String(n), m as never, { property: `_m${n}` });
    return this;
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this._list) y = m.call(y);
    return y;
  }
  [Symbol.iterator](): Iterator<Module<[Tensor], Tensor>> {
    return this._list[Symbol.iterator]();
  }
}

// Containers keep children in `_m<i>` properties (leading underscore) so they are not walked as
// ordinary properties; their entries come from the explicit names.
function moduleListEntries(m: object, kind: string, base: [string, unknown][]): [string, unknown][] {
  if (kind !== 'module') return base;
  const r = registries.get(m);
  const out: [string, unknown][] = [];
  for (const [prop, v] of Object.entries(m)) if (prop.startsWith('_m') && v instanceof Module) out.push([r?.names.get(prop) ?? prop, v]);
  return [...out, ...base];
}

/** A list of submodules registered as 0, 1, ... (torch.nn.ModuleList). */
export class ModuleList<M extends Module<never[], unknown> = Module<never[], unknown>> extends Module<never[], never> {
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  protected override _entries(kind: 'parameter' | 'buffer' | 'module'): [string, unknown][] {
    return moduleListEntries(this as never, kind, super._entries(kind));
  }
  get length(): number {
    return [...this.children()].length;
  }
  at(i: number): M {
    const l = [...this.children()] as M[];
    const m = l[i < 0 ? i + l.length : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range for ${l.length} modules`);
    return m;
  }
  append(m: M): this {
    const n = this.length;
    this.registerModule(String(n), m as never, { property: `_m${n}` });
    return this;
  }
  [Symbol.iterator](): Iterator<M> {
    return ([...this.children()] as M[])[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over it and call the modules');
  }
}

/** Submodules by name (torch.nn.ModuleDict). */
export class ModuleDict<M extends Module<never[], unknown> = Module<never[], unknown>> extends Module<never[], never> {
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  protected override _entries(kind: 'parameter' | 'buffer' | 'module'): [string, unknown][] {
    return moduleListEntries(this as never, kind, super._entries(kind));
  }
  set(key: string, m: M): this {
    const existing = [...Object.entries(this)].find(([p]) => p.startsWith('_m') && registries.get(this)?.names.get(p) === key);
    this.registerModule(key, m as never, { property: existing ? existing[0] : `_m${Object.keys(this).filter((p) => p.startsWith('_m')).length}` });
    return this;
  }
  get(key: string): M | undefined {
    for (const [n, m] of this.namedChildren()) if (n === key) return m as M;
    return undefined;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  keys(): string[] {
    return [...this.namedChildren()].map(([n]) => n);
  }
  forward(): never {
    throw new Error('ModuleDict has no forward(); get a module by name and call it');
  }
}
