/**
 * Tensor: a strided view of a device Storage plus autograd metadata. Ops live in ops/*.ts and
 * install themselves as methods (declaration merging), so this file stays small.
 */
import { AccumulateGrad, type Edge, type Node } from './autograd/node.js';
import type { View } from './backend.js';
import { isFloating, type DType, type TypedArray } from './dtype.js';
import { countTensor, type Storage } from './memory.js';
import { contiguousStrides, fmtShape, isContiguous, numelOf } from './shape.js';

let nextTensorId = 0;

// ---- tidy scopes ----

interface Scope {
  tensors: Tensor[];
  nodes: Node[];
}
const scopes: Scope[] = [];

/** Called by graph recording so tidy() can free the graphs it no longer needs. */
export function trackNode(node: Node): void {
  scopes[scopes.length - 1]?.nodes.push(node);
}

const finalizer = new FinalizationRegistry<Storage>((storage) => {
  // Last resort: a tensor was garbage-collected without dispose().
  storage.stats.tensors -= 1;
  storage.release();
});

// Registering with the FinalizationRegistry costs about as much as a whole small op, and a
// tensor tracked by a tidy() scope cannot be collected while the scope holds it. So tensors
// created inside a scope are registered only when they outlive it (tidy() hands them to the
// enclosing scope, or registers them when there is none); disposed ones never are.
function registerFinalizer(t: Tensor): void {
  t._registered = true;
  finalizer.register(t, t.storage, t);
}

/** How a Tensor is tracked: a user-visible tensor, autograd's internal alias, or an op's temporary. */
export type TensorTracking = boolean | 'temp';

const NO_HOOKS: readonly ((grad: Tensor) => Tensor | void)[] = Object.freeze([]);

export class Tensor {
  readonly id = nextTensorId++;
  /** Gradient accumulated by backward() (leaves, or tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** The node that produced this tensor; null for leaves. */
  gradFn: Node | null = null;
  /** Which output of gradFn this tensor is. */
  outputNr = 0;
  /** Name used in error messages and printing (parameters get their dotted name). */
  name?: string;
  private _requiresGrad = false;
  private _disposed = false;
  private _accumulator: AccumulateGrad | null = null;
  /** For tensors with retainGrad(): keep .grad even if not a leaf. */
  _retainsGrad = false;
  _hooks: readonly ((grad: Tensor) => Tensor | void)[] = NO_HOOKS;
  /** The tensor this is a view of (in-place ops on views of grad-requiring tensors are refused). */
  _base: Tensor | null = null;
  /** Registered with the FinalizationRegistry (see registerFinalizer). */
  _registered = false;

  /**
   * `internal`: true for autograd's saved aliases (not tracked by tidy scopes); 'temp' for an
   * op's temporary that the op disposes itself (in a finally): neither scope-tracked nor
   * registered for finalization.
   */
  constructor(
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
    internal: TensorTracking = false,
  ) {
    storage.retain();
    storage.stats.tensors += 1;
    if (internal === false && scopes.length > 0) scopes[scopes.length - 1]!.tensors.push(this);
    else if (internal !== 'temp') registerFinalizer(this);
  }

  get dtype(): DType {
    return this.storage.dtype;
  }
  get device(): string {
    return this.storage.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  /** torch.Tensor.size(dim?) */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    const d = dim < 0 ? dim + this.ndim : dim;
    if (d < 0 || d >= this.ndim) throw new RangeError(`size: dimension out of range (expected to be in range of [${-this.ndim}, ${this.ndim - 1}], but got ${dim})`);
    return this.shape[d]!;
  }
  dim(): number {
    return this.shape.length;
  }
  stride(): number[] {
    return [...this.strides];
  }
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  // ---- autograd metadata ----
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    this.requiresGrad_(v);
  }
  /** Set requiresGrad in place (leaves only, floating dtypes only). */
  requiresGrad_(v = true): this {
    if (!this.isLeaf && !v) {
      throw new Error('requiresGrad_: you can only change requiresGrad flags of leaf tensors; use detach() for a non-leaf');
    }
    if (v && !isFloating(this.dtype)) {
      throw new TypeError(`requiresGrad_: only tensors of floating point dtype can require gradients, got ${this.dtype}`);
    }
    this._requiresGrad = v;
    return this;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  /** Keep .grad for this non-leaf tensor during backward. */
  retainGrad(): this {
    if (!this._requiresGrad) throw new Error("retainGrad: can't retain the grad of a tensor that does not require grad");
    if (this.isLeaf || this._retainsGrad) return this;
    this._retainsGrad = true;
    const self = new WeakRef<Tensor>(this);
    const nr = this.outputNr;
    this.gradFn!.preHooks.push((grads) => {
      const t = self.deref();
      const g = grads[nr];
      if (t && g) {
        const prev = t.grad;
        t.grad = keep(prev ? prev._accumulate(g) : g._detachAlias());
        prev?.dispose();
      }
    });
    return this;
  }
  /** Register a hook called with this tensor's gradient; it may return a replacement. */
  registerHook(fn: (grad: Tensor) => Tensor | void): { remove(): void } {
    if (!this._requiresGrad) throw new Error("registerHook: can't register a hook on a tensor that does not require grad");
    if (this.isLeaf) {
      this._hooks = [...this._hooks, fn];
      return { remove: () => void (this._hooks = this._hooks.filter((h) => h !== fn)) };
    }
    const nr = this.outputNr;
    const node = this.gradFn!;
    const hook = (grads: (Tensor | null)[]): (Tensor | null)[] | void => {
      const g = grads[nr];
      if (!g) return;
      const r = fn(g);
      if (r) {
        const copy = [...grads];
        copy[nr] = r;
        return copy;
      }
    };
    node.preHooks.push(hook);
    return { remove: () => void (node.preHooks = node.preHooks.filter((h) => h !== hook)) };
  }
  /** The edge gradients of this tensor flow into, or null if it needs none. */
  _gradEdge(): Edge | null {
    if (!this._requiresGrad) return null;
    if (this.gradFn) return { node: this.gradFn, inputNr: this.outputNr };
    if (!this._accumulator) this._accumulator = new AccumulateGrad(new WeakRef(this));
    return { node: this._accumulator, inputNr: 0 };
  }
  /**
   * Make this tensor use `source`'s data (storage, shape, strides) in place, keeping its identity,
   * autograd flags and .grad: what `param.data = t` does in PyTorch. Used by Module.to() and
   * loadStateDict() so optimizers holding the parameter keep working.
   */
  setData_(source: Tensor): this {
    this._assertAlive('setData_');
    source._assertAlive('setData_');
    const self = this as unknown as { storage: Storage; shape: readonly number[]; strides: readonly number[]; offset: number };
    const old = this.storage;
    source.storage.retain();
    if (old.device !== source.storage.device) {
      countTensor(old.device, -1);
      countTensor(source.storage.device, 1);
    }
    if (this._registered) {
      finalizer.unregister(this);
      finalizer.register(this, source.storage, this);
    }
    self.storage = source.storage;
    self.shape = [...source.shape];
    self.strides = [...source.strides];
    self.offset = source.offset;
    old.release();
    this.storage.version++;
    return this;
  }
  /** A new tensor object sharing storage and no history (what detach() returns). */
  _detachAlias(): Tensor {
    this._assertAlive('detach');
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }
  /** An internal alias for autograd's saved tensors: shares storage and graph position. */
  _savedAlias(): Tensor {
    this._assertAlive('backward');
    const a = new Tensor(this.storage, this.shape, this.strides, this.offset, true);
    a._requiresGrad = this._requiresGrad;
    a.gradFn = this.gradFn;
    a.outputNr = this.outputNr;
    if (this._requiresGrad && !this.gradFn) {
      this._gradEdge();
      a._accumulator = this._accumulator;
    }
    return a;
  }
  /** Attach autograd history to a freshly computed output (called by ops). */
  _setGradFn(node: Node, outputNr: number): void {
    this.gradFn = node;
    this.outputNr = outputNr;
    this._requiresGrad = true;
  }

  // ---- memory ----
  /** Free this tensor's reference to its device buffer (the buffer goes when no view uses it). */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (this._registered) {
      this._registered = false;
      finalizer.unregister(this);
    }
    this.storage.stats.tensors -= 1;
    this.storage.release();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
  _assertAlive(op: string): void {
    if (this._disposed) {
      throw new Error(`${op}: tensor ${this.name ?? `#${this.id}`} of shape ${fmtShape(this.shape)} was disposed and cannot be used`);
    }
  }

  /** The strided view kernels receive. */
  _view(op = 'op'): View {
    this._assertAlive(op);
    return { buf: this.storage.buf, dtype: this.storage.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** True when this tensor covers its whole storage in row-major order. */
  _isDense(): boolean {
    return this.offset === 0 && this.numel === this.storage.numel && isContiguous(this.shape, this.strides);
  }

  toString(): string {
    const dev = this.device === 'js' ? '' : `, device='${this.device}'`;
    const grad = this.gradFn ? `, gradFn=<${this.gradFn.name}>` : this._requiresGrad ? ', requiresGrad=true' : '';
    let body = '...';
    const b = this.storage.backend;
    if (!this._disposed && b.capabilities.syncRead && this.numel <= 1000) {
      body = JSON.stringify(this.tolistSync());
    }
    return `tensor(${body}, shape=${fmtShape(this.shape)}, dtype=${this.dtype}${dev}${grad})`;
  }
}

// Read methods are declared here and implemented in ops/io.ts (they need copy()).
export interface Tensor {
  /** Read the values (row-major) from the device. */
  data(): Promise<TypedArray>;
  /** Read synchronously; throws on devices without sync reads (use await data()). */
  dataSync(): TypedArray;
  /** The value of a one-element tensor. */
  item(): Promise<number>;
  itemSync(): number;
  /** old + g out of place (gradient accumulation), implemented in ops/elementwise.ts. */
  _accumulate(g: Tensor): Tensor;
  /** Nested arrays of numbers (int64 as numbers, bool as booleans). */
  tolist(): Promise<NestedArray>;
  tolistSync(): NestedArray;
}

export type NestedArray = number | boolean | NestedArray[];

/**
 * Run fn and free every tensor it created except those it returns (deeply, in arrays and plain
 * objects) or passes to keep(). Graph nodes created inside and not reachable from the results
 * release their saved tensors too. Async functions are refused: a scope cannot span awaits.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tensors: [], nodes: [] };
  scopes.push(scope);
  let result: T;
  let ok = false;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy: the function must be synchronous; await outside tidy()');
    ok = true;
  } finally {
    scopes.pop();
    // On a throw the scope's tensors are left to their owners and the GC (as always): register
    // the ones that were waiting for the scope's end.
    if (!ok) for (const t of scope.tensors) if (!t.isDisposed && !t._registered) registerFinalizer(t);
  }
  const keepSet = new Set<Tensor>();
  collectTensors(result, keepSet);
  const reachable = new Set<Node>();
  for (const t of keepSet) markReachable(t.gradFn, reachable);
  const outer = scopes[scopes.length - 1];
  for (const t of scope.tensors) {
    if (keepSet.has(t) || kept.has(t)) {
      escapeScope(t, outer);
      continue;
    }
    t.dispose();
  }
  for (const t of scope.tensors) if (kept.has(t) && !t.isDisposed) markReachable(t.gradFn, reachable);
  for (const n of scope.nodes) {
    if (reachable.has(n)) outer?.nodes.push(n);
    else n.release();
  }
  return result;
}

const kept = new WeakSet<Tensor>();

/** A tensor outlives its scope: the enclosing scope tracks it, or it is registered for finalization. */
function escapeScope(t: Tensor, outer: Scope | undefined): void {
  if (t.isDisposed) return;
  if (outer) outer.tensors.push(t);
  else if (!t._registered) registerFinalizer(t);
}

/** Exempt a tensor from the enclosing tidy() scopes (like tf.keep). */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

function collectTensors(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

function markReachable(node: Node | null, seen: Set<Node>): void {
  const stack: Node[] = node ? [node] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const e of n.next) if (e) stack.push(e.node);
  }
}
