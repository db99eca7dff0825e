/**
 * Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"). A counter-based
 * generator: element i of a draw depends only on (key, offset + i), so every backend produces
 * the same numbers for the same seed, however it parallelises.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

function mulhilo(a: number, b: number): [number, number] {
  // 32x32 -> 64-bit product split into hi/lo words, exact in doubles via 16-bit halves.
  const lo = Math.imul(a, b) >>> 0;
  const aH = a >>> 16, aL = a & 0xffff, bH = b >>> 16, bL = b & 0xffff;
  const mid = aH * bL + aL * bH;
  const hi = (aH * bH + Math.floor((mid * 65536 + aL * bL) / 4294967296)) >>> 0;
  return [hi, lo];
}

/** One Philox 4x32-10 block: returns four uint32 words. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): [number, number, number, number] {
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(M0, c0);
    const [hi1, lo1] = mulhilo(M1, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/**
 * Random bits per uniform sample for a dtype: its significand width, so every sample is exact in
 * that dtype and stays below 1 (as PyTorch: 11 for float16, 8 for bfloat16); 24 otherwise, so
 * float32 and float64 draws are the same numbers.
 */
export function uniformBits(dtype: string): number {
  return dtype === 'float16' ? 11 : dtype === 'bfloat16' ? 8 : 24;
}

/** Uniform [0, 1) for element `index` of the stream: the top `bits` bits of the block's first word. */
export function philoxUniform(key: readonly [number, number], index: number, bits = 24): number {
  const [w0] = philox4x32(index >>> 0, Math.floor(index / 4294967296) >>> 0, 0, 0, key[0], key[1]);
  return (w0 >>> (32 - bits)) / 2 ** bits;
}

/** Standard normal for element `index` (Box-Muller on two words of the same block). */
export function philoxNormal(key: readonly [number, number], index: number): number {
  const [w0, w1] = philox4x32(index >>> 0, Math.floor(index / 4294967296) >>> 0, 0, 0, key[0], key[1]);
  const u1 = ((w0 >>> 8) + 1) / 16777217; // (0, 1]: log is finite
  const u2 = (w1 >>> 8) / 16777216;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A seeded stream: each draw takes the next `numel` counters. */
export class Generator {
  key: [number, number] = [0, 0];
  offset = 0;
  constructor(seed = 0) {
    this.manualSeed(seed);
  }
  manualSeed(seed: number): this {
    const s = Math.floor(Math.abs(seed));
    this.key = [s >>> 0, Math.floor(s / 4294967296) >>> 0];
    this.offset = 0;
    return this;
  }
  /** Reserve `n` counters and return the first. */
  take(n: number): number {
    const o = this.offset;
    this.offset += n;
    return o;
  }
  getState(): { key: [number, number]; offset: number } {
    return { key: [...this.key], offset: this.offset };
  }
  setState(s: { key: [number, number]; offset: number }): void {
    this.key = [...s.key];
    this.offset = s.offset;
  }
}

/** The default generator used by rand/randn/randint/dropout. */
export const defaultGenerator = new Generator(0);

/** torch.manual_seed */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
