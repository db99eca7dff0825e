/**
 * Tensor.__getitem__ (`index`), its in-place counterpart (`indexPut_`), nonzero, maskedSelect,
 * oneHot and embedding. The ops whose output shape depends on tensor values (bool masks,
 * nonzero, oneHot without numClasses) have async variants (`indexAsync`, `maskedSelectAsync`,
 * `nonzeroAsync`, `oneHotAsync`) for devices without synchronous reads (WebGPU, CUDA).
 *
 * Index items (one per entry of the Python index tuple):
 *   number -> integer (select, removes the dim)      null -> new axis (None)
 *   '...'  -> Ellipsis                               sl(start, stop, step) or {start, stop, step} -> slice
 *   'a:b:c' -> the same slice written as a string    Tensor (int64/int32) -> advanced index
 *   Tensor (bool) -> mask                            number[] -> int64 index, boolean[] -> bool mask
 *   true / false -> 0-d bool mask
 * Basic indexing (numbers, slices, null, '...') returns views; advanced indices follow PyTorch/NumPy:
 * they broadcast together, and their dims go where the first one was when they are adjacent,
 * else first.
 */
import { needsGrad, record } from '../autograd/record.js';
import { fmtShape, broadcastShapes, numelOf, sameShape } from '../shape.js';
import { Tensor, tidy, type NestedArray } from '../tensor.js';
import { backendOf, empty, type TensorOrScalar } from './dispatch.js';
import { cast, toAsync } from './copy.js';
import { arange, tensor, zeros } from './creation.js';
import { add, assignInPlace, eq, gt, lt, mul, where } from './elementwise.js';
import { indexSelect, scatterAdd } from './indexing.js';
import { amax, amin } from './reduction.js';
import { broadcastTensors, expand, permute, reshape, select, slice, unsqueeze } from './views.js';

/** A Python slice start:stop:step (entries may be null/undefined; step > 0). */
export interface Slice {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/** One entry of an index tuple (see the file comment). */
export type IndexItem = number | boolean | null | '...' | string | Slice | Tensor | readonly NestedArray[];

/** Python slice `start:stop:step` as an index item. */
export function sl(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return { start, stop, step };
}

type Norm =
  | { kind: 'int'; value: number }
  | { kind: 'none' }
  | { kind: 'ellipsis' }
  | { kind: 'slice'; start: number | null; stop: number | null; step: number }
  | { kind: 'tensor'; t: Tensor; owned: boolean; src: Tensor | null }
  | { kind: 'bool'; value: boolean };

/** Positions of the true elements of masks, read ahead with await (indexAsync), keyed by the mask item. */
type MaskPositions = Map<Tensor, Tensor[]>;

const SLICE_RE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

function normalizeItem(x: Tensor, it: IndexItem, pre: MaskPositions | null): Norm {
  if (it === null) return { kind: 'none' };
  if (typeof it === 'number') {
    if (!Number.isInteger(it)) throw new TypeError(`index: only integers, slices, null, '...', and integer or bool tensors are valid indices (got ${it})`);
    return { kind: 'int', value: it };
  }
  if (typeof it === 'boolean') return { kind: 'bool', value: it };
  if (typeof it === 'string') {
    if (it === '...') return { kind: 'ellipsis' };
    const m = SLICE_RE.exec(it);
    if (!m) throw new TypeError(`index: invalid index string '${it}' (expected '...' or a slice such as '1:3', '::2')`);
    const n = (s: string | undefined) => (s === undefined ? null : Number(s));
    return normSlice({ start: n(m[1]), stop: n(m[2]), step: n(m[3]) });
  }
  if (it instanceof Tensor) {
    it._assertAlive('index');
    if (it.dtype !== 'int64' && it.dtype !== 'int32' && it.dtype !== 'bool' && it.dtype !== 'uint8') {
      throw new TypeError(`index: tensors used as indices must be long, int, byte or bool tensors, got ${it.dtype}`);
    }
    // (a mask read ahead by indexAsync is only needed for its shape: it stays where it is)
    if (it.device !== x.device && !pre?.has(it)) return { kind: 'tensor', t: it.to(x.device), owned: true, src: it };
    return { kind: 'tensor', t: it, owned: false, src: it };
  }
  if (Array.isArray(it)) {
    // tensor() gives numbers the default float dtype, so read integer arrays as int64 here (x[[0, 2]]).
    let leaf: unknown = it;
    while (Array.isArray(leaf)) leaf = leaf[0];
    const isBool = typeof leaf === 'boolean';
    if (!isBool && !(it as unknown[]).flat(Infinity).every((v) => typeof v !== 'number' || Number.isInteger(v))) {
      throw new TypeError(`index: an array used as an index must hold integers or booleans`);
    }
    const t = tensor(it, { dtype: isBool ? 'bool' : 'int64', device: x.device });
    return { kind: 'tensor', t, owned: true, src: null };
  }
  if (typeof it === 'object' && Object.getPrototypeOf(it) === Object.prototype) return normSlice(it as Slice);
  throw new TypeError(`index: only integers, slices, null, '...', and integer or bool tensors are valid indices (got ${typeof it})`);
}

function normSlice(s: Slice): Norm {
  const step = s.step ?? 1;
  for (const v of [s.start, s.stop, s.step]) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) throw new TypeError(`index: slice indices must be integers or null, got ${v}`);
  }
  if (step <= 0) throw new RangeError(`index: slice step must be greater than zero (got ${step}); use flip() to reverse`);
  return { kind: 'slice', start: s.start ?? null, stop: s.stop ?? null, step };
}

function dimsConsumed(n: Norm): number {
  switch (n.kind) {
    case 'int':
    case 'slice':
      return 1;
    case 'tensor':
      return n.t.dtype === 'bool' || n.t.dtype === 'uint8' ? n.t.ndim : 1;
    default:
      return 0;
  }
}

/** Coordinates of the true (non-zero) elements, one array per dim, from host values. */
function coordsOf(values: ArrayLike<number | bigint>, shape: readonly number[]): number[][] {
  const coords: number[][] = shape.map(() => []);
  const strides = shape.map((_, k) => numelOf(shape.slice(k + 1)));
  for (let i = 0; i < values.length; i++) {
    if (Number(values[i]) === 0) continue;
    shape.forEach((s, k) => coords[k]!.push(Math.floor(i / strides[k]!) % s));
  }
  return coords;
}

function positionsFromValues(values: ArrayLike<number | bigint>, shape: readonly number[], device: string): Tensor[] {
  return coordsOf(values, shape).map((c) => tensor(c, { dtype: 'int64', shape: [c.length], device }));
}

/**
 * Positions of the true elements of a mask (a 0-d mask counts as shape [1]): read ahead by
 * indexAsync (not owned here: fresh is false), else read synchronously.
 */
function maskPositions(mask: Tensor, src: Tensor | null, pre: MaskPositions | null): { pos: Tensor[]; fresh: boolean } {
  const ready = src ? pre?.get(src) : undefined;
  if (ready) return { pos: ready, fresh: false };
  const b = backendOf('index', mask);
  if (!b.capabilities.syncRead || !b.readSync) {
    throw new Error(
      `index: indexing with a bool mask of shape ${fmtShape(mask.shape)} needs the mask's values, but device '${mask.device}' has no ` +
        'synchronous reads; use await indexAsync(x, indices) (or await x.indexAsync(...)), which reads the mask with await',
    );
  }
  const shape = mask.ndim === 0 ? [1] : mask.shape;
  return { pos: positionsFromValues(mask.dataSync() as ArrayLike<number>, shape, mask.device), fresh: true };
}

/** torch.nonzero: indices of the non-zero elements, int64 [n, ndim] (or one 1-D tensor per dim with asTuple). Reads synchronously. */
export function nonzero(x: Tensor): Tensor;
export function nonzero(x: Tensor, opts: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, opts: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  const b = backendOf('nonzero', x);
  if (!b.capabilities.syncRead) {
    throw new Error(`nonzero: device '${x.device}' has no synchronous reads (the output size depends on the values); use await nonzeroAsync(x)`);
  }
  return nonzeroFrom(x, x.dataSync() as ArrayLike<number>, opts.asTuple ?? false);
}

/** nonzero for devices without synchronous reads (WebGPU, CUDA): awaits the values. */
export async function nonzeroAsync(x: Tensor): Promise<Tensor>;
export async function nonzeroAsync(x: Tensor, opts: { asTuple: true }): Promise<Tensor[]>;
export async function nonzeroAsync(x: Tensor, opts: { asTuple?: boolean } = {}): Promise<Tensor | Tensor[]> {
  backendOf('nonzeroAsync', x);
  return nonzeroFrom(x, (await x.data()) as ArrayLike<number>, opts.asTuple ?? false);
}

function nonzeroFrom(x: Tensor, values: ArrayLike<number | bigint>, asTuple: boolean): Tensor | Tensor[] {
  const shape = x.ndim === 0 ? [1] : x.shape;
  if (asTuple) return positionsFromValues(values, shape, x.device);
  const cols = coordsOf(values, shape);
  const n = cols[0]!.length, k = x.ndim;
  const flat = new Array<number>(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) flat[i * k + j] = cols[j]![i]!;
  return tensor(flat, { dtype: 'int64', shape: [n, k], device: x.device });
}

/** torch.argwhere: the same as nonzero(x). */
export function argwhere(x: Tensor): Tensor {
  return nonzero(x);
}

/** Check integer index values against a dim size (only where reads are synchronous and cheap). */
function checkBounds(idx: Tensor, size: number, dim: number): void {
  const b = idx.storage.backend;
  if (!b.capabilities.syncRead || idx.numel === 0) return;
  const v = idx.dataSync() as ArrayLike<number | bigint>;
  for (let i = 0; i < v.length; i++) {
    const k = Number(v[i]);
    if (k < -size || k >= size) throw new RangeError(`index: index ${k} is out of bounds for dimension ${dim} with size ${size}`);
  }
}

interface Adv {
  dim: number;
  idx: Tensor;
}

/** Advanced indexing of t by int64 tensors at ascending dims (composed from differentiable ops). */
function advancedIndex(t: Tensor, adv: Adv[]): Tensor {
  const dims = adv.map((a) => a.dim);
  const sizes = dims.map((d) => t.shape[d]!);
  let bshape: number[];
  try {
    bshape = broadcastShapes('index', ...adv.map((a) => a.idx.shape));
  } catch {
    throw new RangeError(`index: shape mismatch: indexing tensors could not be broadcast together with shapes ${adv.map((a) => fmtShape(a.idx.shape)).join(', ')}`);
  }
  const temps: Tensor[] = [];
  const tmp = (x: Tensor): Tensor => (temps.push(x), x);
  // Linear index into the (row-major) flattening of the indexed dims; negatives wrap.
  let lin: Tensor | null = null;
  let mult = 1;
  for (let j = adv.length - 1; j >= 0; j--) {
    const a = adv[j]!;
    checkBounds(a.idx, sizes[j]!, a.dim);
    let i = a.idx.dtype === 'int64' ? a.idx : tmp(cast(a.idx, 'int64'));
    i = tmp(where(tmp(lt(i, 0)), tmp(add(i, sizes[j]!)), i));
    if (mult !== 1) i = tmp(mul(i, mult));
    lin = lin ? tmp(add(lin, i)) : i;
    mult *= sizes[j]!;
  }
  const linFlat = tmp(reshape(tmp(expand(lin!, bshape)), [-1]));
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1]! + 1);
  let out: Tensor;
  if (adjacent) {
    // merge the indexed dims into one and pick along it; the new dims stay in place
    const d0 = dims[0]!, d1 = dims[dims.length - 1]! + 1;
    const pre = t.shape.slice(0, d0), post = t.shape.slice(d1);
    const flat = adv.length === 1 ? t : tmp(reshape(t, [...pre, mult, ...post]));
    out = reshape(tmp(indexSelect(flat, d0, linFlat)), [...pre, ...bshape, ...post]);
  } else {
    // separated by other dims: the new dims go first
    const rest = t.shape.map((_, k) => k).filter((k) => !dims.includes(k));
    const restShape = rest.map((k) => t.shape[k]!);
    const p = tmp(permute(t, [...dims, ...rest]));
    const flat = tmp(reshape(p, [mult, ...restShape]));
    out = reshape(tmp(indexSelect(flat, 0, linFlat)), [...bshape, ...restShape]);
  }
  for (const x of new Set(temps)) if (x !== out && !adv.some((a) => a.idx === x)) x.dispose();
  return out;
}

/** select(x, d, i) for a 0-d integer tensor i: a view where reads are synchronous, else a gather. */
function selectByTensor(x: Tensor, d: number, i: Tensor): Tensor {
  const size = x.shape[d]!;
  if (i.storage.backend.capabilities.syncRead) {
    const v = i.itemSync();
    if (v < -size || v >= size) throw new RangeError(`index: index ${v} is out of bounds for dimension ${d} with size ${size}`);
    return select(x, d, v);
  }
  return advancedIndex(x, [{ dim: d, idx: i }]);
}

/**
 * Tensor.__getitem__: x[i0, i1, ...] with the index tuple given as an array of IndexItem.
 * Basic items give a view; advanced items (tensors, arrays, masks) give a new tensor.
 */
export function index(x: Tensor, indices: readonly IndexItem[]): Tensor {
  return indexWith(x, indices, null);
}

/**
 * Tensor.__getitem__ for any device, including those without synchronous reads (WebGPU, CUDA):
 * bool masks are first converted to integer indices with `await nonzeroAsync(...)`, then the
 * result is `index(x, ...)` with those indices (so gradients flow as through index).
 */
export async function indexAsync(x: Tensor, indices: readonly IndexItem[]): Promise<Tensor> {
  x._assertAlive('indexAsync');
  if (!Array.isArray(indices)) throw new TypeError('indexAsync: expected an array of index items (the index tuple)');
  const items = [...indices];
  const pre: MaskPositions = new Map();
  const owned: Tensor[] = [];
  try {
    for (let k = 0; k < items.length; k++) {
      let it = items[k];
      if (Array.isArray(it)) {
        let leaf: unknown = it;
        while (Array.isArray(leaf)) leaf = leaf[0];
        if (typeof leaf === 'boolean') {
          // a nested boolean array is a mask: make it a bool tensor whose positions are read below
          it = tensor(it, { dtype: 'bool', device: x.device });
          owned.push(it);
          items[k] = it;
        }
      }
      if (!(it instanceof Tensor) || (it.dtype !== 'bool' && it.dtype !== 'uint8') || pre.has(it)) continue;
      it._assertAlive('indexAsync');
      const pos = await nonzeroAsync(it, { asTuple: true });
      owned.push(...pos);
      const moved = await Promise.all(pos.map((p) => (p.device === x.device ? p : toAsync(p, x.device))));
      for (const p of moved) if (!pos.includes(p)) owned.push(p);
      pre.set(it, moved);
    }
    return indexWith(x, items, pre);
  } finally {
    for (const t of owned) t.dispose();
  }
}

function indexWith(x: Tensor, indices: readonly IndexItem[], pre: MaskPositions | null): Tensor {
  x._assertAlive('index');
  if (!Array.isArray(indices)) throw new TypeError('index: expected an array of index items (the index tuple)');
  const items = indices.map((it) => normalizeItem(x, it, pre));
  const owned = items.flatMap((n) => (n.kind === 'tensor' && n.owned ? [n.t] : []));
  try {
    const ellipses = items.filter((n) => n.kind === 'ellipsis').length;
    if (ellipses > 1) throw new RangeError("index: an index can only have a single ellipsis ('...')");
    const consumed = items.reduce((s, n) => s + dimsConsumed(n), 0);
    if (consumed > x.ndim) throw new RangeError(`index: too many indices for tensor of dimension ${x.ndim} (shape ${fmtShape(x.shape)}; got ${consumed} indexed dims)`);
    let cur = x;
    const views: Tensor[] = [];
    const step = (v: Tensor) => {
      if (cur !== x) views.push(cur);
      cur = v;
    };
    let d = 0;
    const adv: Adv[] = [];
    for (const n of items) {
      switch (n.kind) {
        case 'int': {
          const size = cur.shape[d]!;
          if (n.value < -size || n.value >= size) throw new RangeError(`index: index ${n.value} is out of bounds for dimension ${d} with size ${size}`);
          step(select(cur, d, n.value));
          break;
        }
        case 'none':
          step(unsqueeze(cur, d));
          d++;
          break;
        case 'ellipsis':
          d += x.ndim - consumed;
          break;
        case 'slice':
          step(slice(cur, d, n.start, n.stop, n.step));
          d++;
          break;
        case 'bool': {
          step(unsqueeze(cur, d));
          const t = tensor(n.value ? [0] : [], { dtype: 'int64', shape: [n.value ? 1 : 0], device: x.device });
          owned.push(t);
          adv.push({ dim: d, idx: t });
          d++;
          break;
        }
        case 'tensor': {
          const t = n.t;
          if ((t.dtype === 'int64' || t.dtype === 'int32') && t.ndim === 0) {
            // a 0-d integer tensor acts as an integer (select), as in PyTorch
            step(selectByTensor(cur, d, t));
          } else if (t.dtype === 'int64' || t.dtype === 'int32') {
            adv.push({ dim: d, idx: t });
            d++;
          } else if (t.ndim === 0) {
            // a 0-d mask adds a dim of size 1 (true) or 0 (false)
            const { pos: [pos], fresh } = maskPositions(t, n.src, pre);
            if (fresh) owned.push(pos!);
            step(unsqueeze(cur, d));
            adv.push({ dim: d, idx: pos! });
            d++;
          } else {
            const want = cur.shape.slice(d, d + t.ndim);
            if (!sameShape(want, t.shape)) {
              throw new RangeError(`index: the shape of the mask ${fmtShape(t.shape)} does not match the shape of the indexed tensor ${fmtShape(cur.shape)} at dims ${d}..${d + t.ndim - 1} (${fmtShape(want)})`);
            }
            const { pos, fresh } = maskPositions(t, n.src, pre);
            if (fresh) owned.push(...pos);
            pos.forEach((p, k) => adv.push({ dim: d + k, idx: p }));
            d += t.ndim;
          }
          break;
        }
      }
    }
    let out: Tensor;
    if (adv.length === 0) out = cur === x ? expand(x, x.shape) : cur;
    else {
      out = advancedIndex(cur, adv);
      if (cur !== x) views.push(cur);
    }
    for (const v of views) v.dispose();
    return out;
  } finally {
    for (const t of owned) t.dispose();
  }
}

/**
 * torch.Tensor.index_put (out of place): x with `values` written (or, with accumulate, added) at
 * x[indices]. Without accumulate, duplicate positions sum (PyTorch leaves them undefined).
 */
export function indexPut(x: Tensor, indices: readonly IndexItem[], values: TensorOrScalar, accumulate = false): Tensor {
  backendOf('indexPut', x, values instanceof Tensor ? values : null);
  const pos = arange(0, x.numel, 1, { dtype: 'int64', device: x.device });
  const posx = reshape(pos, x.shape);
  const sel = index(posx, indices);
  const selFlat = reshape(sel, [-1]);
  const v = values instanceof Tensor ? cast(values, x.dtype) : tensor(values, { dtype: x.dtype, device: x.device });
  let vb: Tensor;
  try {
    vb = expand(v, sel.shape);
  } catch {
    throw new RangeError(`indexPut: shape mismatch: value tensor of shape ${fmtShape(v.shape)} cannot be broadcast to indexing result of shape ${fmtShape(sel.shape)}`);
  }
  const vFlat = reshape(vb, [-1]);
  const xFlat = reshape(x, [-1]);
  let base = xFlat;
  const temps: Tensor[] = [pos, posx, sel, selFlat, vb, vFlat];
  if (v !== values) temps.push(v);
  if (!accumulate) {
    const z = zeros([x.numel], { dtype: x.dtype === 'bool' ? 'uint8' : x.dtype, device: x.device });
    const ones = expand(tensor(1, { dtype: z.dtype, device: x.device }), [selFlat.numel]);
    const hits = scatterAdd(z, 0, selFlat, ones);
    const hit = gt(hits, 0);
    base = where(hit, tensor(0, { dtype: x.dtype, device: x.device }), xFlat);
    temps.push(z, ones, hits, hit);
  }
  const outFlat = scatterAdd(base, 0, selFlat, vFlat);
  const out = reshape(outFlat, x.shape);
  if (base !== xFlat) temps.push(base);
  if (xFlat !== x) temps.push(xFlat);
  if (outFlat !== out) temps.push(outFlat);
  for (const t of temps) if (t !== out && t !== x && t !== values) t.dispose();
  return out;
}

/** torch.Tensor.index_put_: x[indices] = values (or += with accumulate), in place. */
export function indexPut_<T extends Tensor>(x: T, indices: readonly IndexItem[], values: TensorOrScalar, accumulate = false): T {
  const grad = needsGrad(x, values instanceof Tensor ? values : null);
  const basic = indices.every((it) => !(it instanceof Tensor) && !Array.isArray(it) && typeof it !== 'boolean');
  if (!grad && !accumulate && basic) {
    // Fast path: write through a view.
    const view = index(x, indices);
    const v = values instanceof Tensor ? values : tensor(values, { dtype: x.dtype, device: x.device });
    view.copy_(v);
    if (v !== values) v.dispose();
    view.dispose();
    return x;
  }
  assignInPlace(x, indexPut(x, indices, values, accumulate), 'indexPut_');
  return x;
}

function checkMask(op: string, x: Tensor, mask: Tensor): void {
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') {
    throw new TypeError(`${op}: expected mask to be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`);
  }
  backendOf(op, x, mask);
}

/** torch.masked_select: the elements of x where mask is true, as a 1-D tensor (x and mask broadcast). Reads synchronously. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkMask('maskedSelect', x, mask);
  if (!mask.storage.backend.capabilities.syncRead) {
    throw new Error(
      `maskedSelect: the output size depends on the values of the mask of shape ${fmtShape(mask.shape)}, but device '${mask.device}' has no ` +
        'synchronous reads; use await maskedSelectAsync(x, mask)',
    );
  }
  const [xb, mb] = broadcastTensors(x, mask);
  const out = index(xb!, [mb!]);
  if (xb !== x) xb!.dispose();
  if (mb !== mask) mb!.dispose();
  return out;
}

/** maskedSelect for any device, including those without synchronous reads (WebGPU, CUDA): awaits the mask. */
export async function maskedSelectAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  checkMask('maskedSelectAsync', x, mask);
  const [xb, mb] = broadcastTensors(x, mask);
  try {
    return await indexAsync(xb!, [mb!]);
  } finally {
    if (xb !== x) xb!.dispose();
    if (mb !== mask) mb!.dispose();
  }
}

/**
 * torch.nn.functional.one_hot: int64 [..., numClasses]. numClasses -1 (max + 1) reads the values
 * synchronously; on devices without synchronous reads use oneHotAsync.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  const b = backendOf('oneHot', indices);
  if (indices.dtype !== 'int64') throw new TypeError(`oneHot: one_hot is only applicable to index tensor of dtype int64, got ${indices.dtype}`);
  let n = numClasses;
  if (b.capabilities.syncRead) {
    const v = Array.from(indices.dataSync() as ArrayLike<number | bigint>, Number);
    if (n === -1 && v.length === 0) throw new RangeError('oneHot: can not infer the total number of classes from an empty tensor');
    let lo = Infinity, hi = -Infinity;
    for (const k of v) {
      lo = Math.min(lo, k);
      hi = Math.max(hi, k);
    }
    if (v.length && lo < 0) throw new RangeError(`oneHot: class values must be non-negative (got ${lo})`);
    if (n === -1) n = hi + 1;
    else if (v.length && hi >= n) throw new RangeError(`oneHot: class values must be smaller than numClasses (got ${hi} with numClasses ${n})`);
  } else if (n === -1) {
    throw new Error(
      `oneHot: numClasses must be given on device '${indices.device}' (inferring it needs synchronous reads); use await oneHotAsync(indices) to infer it there`,
    );
  }
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  const classes = arange(0, n, 1, { dtype: 'int64', device: indices.device });
  const u = unsqueeze(indices, -1);
  const hit = eq(u, classes);
  const out = cast(hit, 'int64');
  for (const t of [classes, u, hit]) t.dispose();
  return out;
}

/**
 * oneHot for any device, including those without synchronous reads (WebGPU, CUDA): with
 * numClasses -1 the class count (max + 1) is read with await; then oneHot(indices, count).
 */
export async function oneHotAsync(indices: Tensor, numClasses = -1): Promise<Tensor> {
  backendOf('oneHotAsync', indices);
  if (indices.dtype !== 'int64') throw new TypeError(`oneHotAsync: one_hot is only applicable to index tensor of dtype int64, got ${indices.dtype}`);
  let n = numClasses;
  if (n === -1) {
    if (indices.numel === 0) throw new RangeError('oneHotAsync: can not infer the total number of classes from an empty tensor');
    // reduce on the device, then read two scalars
    const lo = amin(indices), hi = amax(indices);
    let loV: number, hiV: number;
    try {
      [loV, hiV] = await Promise.all([lo.item(), hi.item()]);
    } finally {
      lo.dispose();
      hi.dispose();
    }
    if (loV < 0) throw new RangeError(`oneHotAsync: class values must be non-negative (got ${loV})`);
    n = hiV + 1;
  }
  return oneHot(indices, n);
}

export interface EmbeddingOptions {
  /** Rows of this index get no gradient (and are what padding tokens read). */
  paddingIdx?: number | null;
}

/** torch.nn.functional.embedding: rows of weight [num, dim] picked by integer input -> [...input, dim]. */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  backendOf('embedding', input, weight);
  if (input.dtype !== 'int64' && input.dtype !== 'int32') {
    throw new TypeError(`embedding: expected input (indices) to have dtype int64 or int32, but got ${input.dtype}`);
  }
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${fmtShape(weight.shape)}`);
  const num = weight.shape[0]!, dim = weight.shape[1]!;
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -num || pad >= num) throw new RangeError(`embedding: paddingIdx ${pad} must be within numEmbeddings (${num})`);
    if (pad < 0) pad += num;
  }
  const fused = weight.storage.backend.overrides?.embedding;
  if (fused) {
    const out = empty(weight.storage.backend, weight.dtype, [...input.shape, dim]);
    if (out.numel > 0) {
      try {
        fused(weight._view('embedding'), input._view('embedding'), out.storage.buf);
      } catch (e) {
        out.dispose();
        throw e;
      }
    }
    if (needsGrad(weight)) {
      record('EmbeddingBackward', [weight], [out], ([g], [idx]) => [embeddingBackward(g!, idx!, num, dim, pad)], [input]);
    }
    return out;
  }
  const flat = reshape(input, [-1]);
  let rows = indexSelect(weight, 0, flat);
  if (pad !== null && needsGrad(weight)) {
    // Same values; the padding positions take no gradient (so the padding row gets none).
    const isPad = eq(flat, pad);
    const m = unsqueeze(isPad, 1);
    const det = rows.detach();
    const masked = where(m, det, rows);
    for (const t of [isPad, m, det, rows]) t.dispose();
    rows = masked;
  }
  const out = reshape(rows, [...input.shape, dim]);
  if (flat !== input) flat.dispose();
  if (rows !== out) rows.dispose();
  return out;
}

/** Gradient of embedding's weight: rows of g summed at their indices; the padding row gets none. */
function embeddingBackward(g: Tensor, input: Tensor, num: number, dim: number, pad: number | null): Tensor {
  return tidy(() => {
    const flat = reshape(cast(input, 'int64'), [-1]);
    let g2 = reshape(g, [flat.numel, dim]);
    if (pad !== null) g2 = where(unsqueeze(eq(flat, pad), 1), 0, g2);
    const idx = expand(unsqueeze(flat, 1), [flat.numel, dim]);
    return scatterAdd(zeros([num, dim], { dtype: g.dtype, device: g.device }), 0, idx, g2);
  });
}

declare module '../tensor.js' {
  interface Tensor {
    /** x[i0, i1, ...] (Tensor.__getitem__): x.index(0, sl(1, 3), null, '...', idxTensor). */
    index(...indices: IndexItem[]): Tensor;
    /** x[i0, i1, ...] on any device: bool masks are read with await (see indexAsync). */
    indexAsync(...indices: IndexItem[]): Promise<Tensor>;
    indexPut(indices: readonly IndexItem[], values: TensorOrScalar, accumulate?: boolean): Tensor;
    indexPut_(indices: readonly IndexItem[], values: TensorOrScalar, accumulate?: boolean): this;
    nonzero(): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    maskedSelectAsync(mask: Tensor): Promise<Tensor>;
  }
}

const P = Tensor.prototype;
P.index = function (...indices) { return index(this, indices); };
P.indexAsync = function (...indices) { return indexAsync(this, indices); };
P.indexPut = function (i, v, a) { return indexPut(this, i, v, a); };
P.indexPut_ = function (i, v, a) { return indexPut_(this, i, v, a); };
P.nonzero = function () { return nonzero(this); };
P.maskedSelect = function (m) { return maskedSelect(this, m); };
P.maskedSelectAsync = function (m) { return maskedSelectAsync(this, m); };
