/** Materialising, casting, moving and reading tensors. */
import { needsGrad, record } from '../autograd/record.js';
import { checkDType, DTYPES, type DType, type TypedArray } from '../dtype.js';
import { getBackend } from '../registry.js';
import { fmtShape } from '../shape.js';
import { Tensor, type NestedArray } from '../tensor.js';
import { backendOf, checkDeviceDtype, empty } from './dispatch.js';

/** A contiguous copy of x (no autograd). */
export function rawCopy(x: Tensor): Tensor {
  const b = backendOf('copy', x);
  const out = empty(b, x.dtype, x.shape);
  if (out.numel > 0) b.copy(x._view('copy'), out._view());
  return out;
}

/** Convert dtype (no autograd); returns x itself when the dtype already matches. */
export function rawCast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const b = backendOf('to', x);
  checkDeviceDtype(b, dtype, 'to');
  const out = empty(b, dtype, x.shape);
  if (out.numel > 0) b.cast(x._view('to'), out.storage.buf, dtype);
  return out;
}

/** torch.clone: a contiguous copy that stays in the graph. */
export function clone(x: Tensor): Tensor {
  const out = rawCopy(x);
  if (needsGrad(x)) record('CloneBackward', [x], [out], ([g]) => [g]);
  return out;
}

/** A contiguous tensor: x itself when already contiguous, else a copy in the graph. */
export function contiguous(x: Tensor): Tensor {
  x._assertAlive('contiguous');
  return x.isContiguous() ? x : clone(x);
}

/** Differentiable dtype conversion; x itself when the dtype matches. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType(dtype, 'to');
  if (x.dtype === dtype) return x;
  const out = rawCast(x, dtype);
  if (needsGrad(x) && (dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16')) {
    const from = x.dtype;
    record('ToCopyBackward', [x], [out], ([g]) => [cast(g, from)]);
  }
  return out;
}

function readSyncDense(x: Tensor, op: string): TypedArray {
  const b = backendOf(op, x);
  if (!b.readSync || !b.capabilities.syncRead) {
    throw new Error(`${op}: device '${x.device}' has no synchronous reads; use await t.data() (or await t.item()) instead`);
  }
  if (x._isDense()) return b.readSync(x.storage.buf, x.dtype, x.numel);
  const c = rawCopy(x);
  try {
    return b.readSync(c.storage.buf, c.dtype, c.numel);
  } finally {
    c.dispose();
  }
}

async function readDense(x: Tensor, op: string): Promise<TypedArray> {
  const b = backendOf(op, x);
  if (x._isDense()) return b.read(x.storage.buf, x.dtype, x.numel);
  const c = rawCopy(x);
  try {
    return await b.read(c.storage.buf, c.dtype, c.numel);
  } finally {
    c.dispose();
  }
}

function toNested(values: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const conv = (v: number | bigint): number | boolean => (dtype === 'bool' ? v !== 0 : Number(v));
  if (shape.length === 0) return conv(values[0]!);
  let pos = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? conv(values[pos++]!) : build(d + 1));
    return out;
  };
  return build(0);
}

function itemCheck(x: Tensor, op: string): void {
  if (x.numel !== 1) throw new RangeError(`${op}: a Tensor with ${x.numel} elements (shape ${fmtShape(x.shape)}) cannot be converted to a scalar`);
}

/** The backward of a device move: backward() is synchronous, so it needs a synchronous read. */
function gradToDevice(g: Tensor, device: string): Tensor {
  if (g.device !== device && !g.storage.backend.capabilities.syncRead) {
    throw new Error(
      `ToDeviceBackward: the gradient cannot be moved from '${g.device}' back to '${device}' during backward(), ` +
        `because '${g.device}' has no synchronous reads; keep the differentiated computation on one device ` +
        `(move inputs under noGrad() and call requiresGrad_() on the moved copies)`,
    );
  }
  return to(g, device);
}

/** Move to another device (and/or dtype). Synchronous when the source device reads synchronously. */
export function to(x: Tensor, deviceOrDtype: string, opts: { dtype?: DType } = {}): Tensor {
  if ((DTYPES as readonly string[]).includes(deviceOrDtype)) return cast(x, deviceOrDtype as DType);
  let out = x;
  if (deviceOrDtype !== x.device) {
    const target = getBackend(deviceOrDtype);
    const op = `to('${deviceOrDtype}')`;
    if (!x.storage.backend.capabilities.syncRead) {
      x._assertAlive(op);
      throw new Error(`${op}: device '${x.device}' has no synchronous reads; use await t.toAsync('${deviceOrDtype}') instead`);
    }
    const data = readSyncDense(x, op);
    out = empty(target, x.dtype, x.shape);
    if (out.numel > 0) target.write(out.storage.buf, x.dtype, data);
    if (needsGrad(x)) {
      const from = x.device;
      record('ToDeviceBackward', [x], [out], ([g]) => [gradToDevice(g, from)]);
    }
  }
  if (opts.dtype) out = cast(out, opts.dtype);
  return out;
}

/** Move to another device, awaiting the read on asynchronous devices (WebGPU, CUDA). */
export async function toAsync(x: Tensor, device: string): Promise<Tensor> {
  if (device === x.device) return x;
  const target = getBackend(device);
  const data = await readDense(x, `toAsync('${device}')`);
  const out = empty(target, x.dtype, x.shape);
  if (out.numel > 0) target.write(out.storage.buf, x.dtype, data);
  if (needsGrad(x)) {
    const from = x.device;
    record('ToDeviceBackward', [x], [out], ([g]) => [gradToDevice(g, from)]);
  }
  return out;
}

declare module '../tensor.js' {
  interface Tensor {
    clone(): Tensor;
    contiguous(): Tensor;
    /** A tensor sharing storage with no autograd history. */
    detach(): Tensor;
    /** Detach in place: this becomes a leaf that does not require grad. */
    detach_(): this;
    /** Move to a device or convert to a dtype ('float64', 'cpu', ...). */
    to(deviceOrDtype: string, opts?: { dtype?: DType }): Tensor;
    toAsync(device: string): Promise<Tensor>;
    float(): Tensor;
    double(): Tensor;
    half(): Tensor;
    long(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    cpu(): Tensor;
  }
}

const P = Tensor.prototype;
P.clone = function () { return clone(this); };
P.contiguous = function () { return contiguous(this); };
P.detach = function () { return this._detachAlias(); };
P.detach_ = function () {
  this.gradFn = null;
  this.requiresGrad_(false);
  return this;
};
P.to = function (d: string, o?: { dtype?: DType }) { return to(this, d, o); };
P.toAsync = function (d: string) { return toAsync(this, d); };
P.float = function () { return cast(this, 'float32'); };
P.double = function () { return cast(this, 'float64'); };
P.half = function () { return cast(this, 'float16'); };
P.long = function () { return cast(this, 'int64'); };
P.int = function () { return cast(this, 'int32'); };
P.bool = function () { return cast(this, 'bool'); };
P.cpu = function () { return to(this, 'cpu'); };
P.data = function () { return readDense(this, 'data'); };
P.dataSync = function () { return readSyncDense(this, 'dataSync'); };
P.item = async function () {
  itemCheck(this, 'item');
  const v = (await readDense(this, 'item'))[0]!;
  return Number(v);
};
P.itemSync = function () {
  itemCheck(this, 'itemSync');
  return Number(readSyncDense(this, 'itemSync')[0]!);
};
P.tolist = async function () { return toNested(await readDense(this, 'tolist'), this.shape, this.dtype); };
P.tolistSync = function () { return toNested(readSyncDense(this, 'tolistSync'), this.shape, this.dtype); };
