// float16 / bfloat16: stored as 16 bits, rounded to nearest-even exactly as core's
// roundFloat16 / roundBFloat16 round a float32 (subnormals, ties, overflow to infinity), on
// every path that rounds: write (tensor creation), cast from float32, and arithmetic results.
import '@tensile/cpu';
import { roundBFloat16, roundFloat16, tensor, type DType } from '@tensile/core';
import { describe, expect, it } from 'vitest';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number) => {
  u32[0] = b >>> 0;
  return f32[0]!;
};
const bitsOf = (x: number) => {
  f32[0] = x;
  return u32[0]!;
};

/** Every float16 value, the midpoints between neighbours and one float32 ulp either side. */
function float16Probes(): Float32Array {
  const out: number[] = [];
  const h2f = (h: number) => {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
    if (e === 0) return s * m * 2 ** -24;
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * 2 ** (e - 15);
  };
  for (let h = 0; h < 0x7c00; h++) {
    const v = h2f(h), w = h2f(h + 1);
    const mid = Math.fround((v + w) / 2);
    for (const x of [v, mid, fromBits(bitsOf(mid) + 1), mid > 0 ? fromBits(bitsOf(mid) - 1) : mid]) out.push(x, -x);
  }
  out.push(65504, 65519.99, 65520, 65536, 1e10, Infinity, -Infinity, NaN, 2 ** -25, 2 ** -26, 3 * 2 ** -26, 1e-30, -0);
  return Float32Array.from(out);
}

/** A spread of float32 bit patterns (every 2^13-th), plus bfloat16 tie cases. */
function bfloat16Probes(): Float32Array {
  const out: number[] = [];
  for (let b = 0; b < 2 ** 32; b += 8191) out.push(fromBits(b));
  for (let b = 0x00008000; b < 0x7f800000; b += 0x00a10000) out.push(fromBits(b), fromBits(b + 0x10000), fromBits(b - 1), fromBits(b + 1));
  out.push(3.3895313892515355e38, Infinity, -Infinity, NaN, -0, 1e-45);
  return Float32Array.from(out);
}

function expectSame(actual: Float32Array, expected: number[], input: Float32Array, what: string): void {
  let bad = 0;
  let first = '';
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!bad) first = `input ${input[i]} (bits 0x${bitsOf(input[i]!).toString(16)}): cpu ${a}, core ${e}`;
    bad++;
  }
  expect(bad, `${what}: ${bad} of ${expected.length} differ; first ${first}`).toBe(0);
}

describe.each([
  ['float16', float16Probes, roundFloat16],
  ['bfloat16', bfloat16Probes, roundBFloat16],
] as [DType, () => Float32Array, (x: number) => number][])('%s rounding agrees with core', (dtype, probes, round) => {
  const input = probes();
  const expected = Array.from(input, round);

  it(`writes (${input.length} values)`, () => {
    const t = tensor(input, { device: 'cpu', dtype });
    expectSame(t.dataSync() as Float32Array, expected, input, 'write');
    t.dispose();
  });

  it('casts from float32', () => {
    const x = tensor(input, { device: 'cpu' });
    const t = x.to(dtype);
    expectSame(t.dataSync() as Float32Array, expected, input, 'cast');
    x.dispose();
    t.dispose();
  });

  it('rounds arithmetic results computed in float32', () => {
    // x * 1.0 in float32 is x itself; the product is rounded to the half type on store
    const x = tensor(input, { device: 'cpu' });
    const one = tensor([1], { device: 'cpu', dtype });
    const xh = x.to(dtype);
    const y = xh.mul(one);
    expectSame(y.dataSync() as Float32Array, expected, input, 'mul');
    for (const t of [x, one, xh, y]) t.dispose();
  });
});
