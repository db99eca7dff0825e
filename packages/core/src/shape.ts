/** Shape arithmetic shared by core and backends: strides, broadcasting, dims. */

export type Shape = readonly number[];

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Broadcast shapes following NumPy/PyTorch rules; throws naming the op and the shapes. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new RangeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together ` +
            `(size ${out[o]} vs ${d} at dim ${o})`,
        );
      }
    }
  }
  return out;
}

/** Normalise a possibly negative dim into [0, rank); throws naming the op. */
export function normDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new RangeError(`${op}: dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + r : dim;
}

export function checkShape(op: string, shape: readonly number[]): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${op}: invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
  return [...shape];
}
