/** Fixture tensors to core tensors, and `input_layout` view chains. */
import { tensor, type DType, type Tensor } from '@tensile/core';
import { isTensorJSON, type TensorJSON } from './fixtures.js';

export interface DecodeOptions {
  device: string;
  /** Store float tensors in this dtype instead of float32 (gradcheck uses float64). */
  floatDtype?: DType;
  requiresGrad?: boolean;
}

/** A fixture tensor as a core tensor on `device`: float32 values are rounded with Math.fround. */
export function decodeTensor(t: TensorJSON, opts: DecodeOptions): Tensor {
  const shape = [...t.shape];
  let data: Float32Array | Float64Array | BigInt64Array | Uint8Array;
  let dtype: DType;
  switch (t.dtype) {
    case 'float32': {
      const fd = opts.floatDtype ?? 'float32';
      const vals = (t.data as number[]).map((v) => Math.fround(v));
      data = fd === 'float64' ? Float64Array.from(vals) : Float32Array.from(vals);
      dtype = fd;
      break;
    }
    case 'int64':
      data = BigInt64Array.from(t.data as number[], (v) => BigInt(v));
      dtype = 'int64';
      break;
    case 'bool':
      data = Uint8Array.from(t.data as boolean[], (v) => (v ? 1 : 0));
      dtype = 'bool';
      break;
    default:
      throw new TypeError(`decodeTensor: unknown fixture dtype ${JSON.stringify((t as TensorJSON).dtype)}`);
  }
  const out = tensor(data, { dtype, shape, device: opts.device });
  if (opts.requiresGrad) out.requiresGrad_(true);
  return out;
}

/** Replace every tensor object in a JSON value (nested in lists/objects) by a core tensor. */
export function decodeValue(v: unknown, opts: DecodeOptions, created: Tensor[]): unknown {
  if (isTensorJSON(v)) {
    const t = decodeTensor(v, { device: opts.device, floatDtype: opts.floatDtype });
    created.push(t);
    return t;
  }
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, opts, created));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x, opts, created)]));
  }
  return v;
}

/** One step of an input_layout chain. */
export interface ViewCall {
  name: 'transpose' | 'permute' | 'narrow' | 'expand';
  args: number[];
}

const ARITY: Record<ViewCall['name'], [number, number]> = {
  transpose: [2, 2],
  permute: [1, Infinity],
  narrow: [3, 3],
  expand: [1, Infinity],
};

/** Parse "permute(1,2,0).narrow(1,1,3)" into view calls; throws naming the bad part. */
export function parseLayout(transform: string): ViewCall[] {
  const calls: ViewCall[] = [];
  const re = /\s*([a-z_]+)\s*\(([^()]*)\)\s*(\.|$)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < transform.length && (m = re.exec(transform))) {
    pos = re.lastIndex;
    const name = m[1] as ViewCall['name'];
    if (!(name in ARITY)) throw new SyntaxError(`input_layout: unknown view ${JSON.stringify(name)} in ${JSON.stringify(transform)} (expected transpose, permute, narrow, expand)`);
    const args = m[2]!.trim() === '' ? [] : m[2]!.split(',').map((s) => Number(s.trim()));
    if (args.some((a) => !Number.isInteger(a))) throw new SyntaxError(`input_layout: non-integer argument in ${name}(${m[2]}) of ${JSON.stringify(transform)}`);
    const [lo, hi] = ARITY[name];
    if (args.length < lo || args.length > hi) throw new SyntaxError(`input_layout: ${name} takes ${lo === hi ? lo : `${lo} or more`} arguments, got ${args.length} in ${JSON.stringify(transform)}`);
    calls.push({ name, args });
    if (m[3] === '') break;
  }
  if (pos !== transform.length || calls.length === 0) throw new SyntaxError(`input_layout: cannot parse ${JSON.stringify(transform)} at offset ${pos}`);
  return calls;
}

/** Apply a parsed chain of view calls with core's view ops (no copies). */
export function applyLayout(t: Tensor, calls: readonly ViewCall[]): Tensor {
  let cur = t;
  for (const c of calls) {
    switch (c.name) {
      case 'transpose': cur = cur.transpose(c.args[0]!, c.args[1]!); break;
      case 'permute': cur = cur.permute(c.args); break;
      case 'narrow': cur = cur.narrow(c.args[0]!, c.args[1]!, c.args[2]!); break;
      case 'expand': cur = cur.expand(c.args); break;
    }
  }
  return cur;
}
