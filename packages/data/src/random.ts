/**
 * Host-side random draws from core's seeded Philox `Generator` (indices, permutations). Each draw
 * takes counters from the generator, so a seeded generator gives the same sequence every run and
 * successive epochs get fresh numbers. When no generator is given, core's `defaultGenerator` is
 * used, so `manualSeed(s)` makes shuffling reproducible.
 */
import { defaultGenerator, philox4x32, type Generator } from '@tensile/core';

/** `n` uniform doubles in [0, 1) with 53 random bits each. */
export function uniforms(n: number, generator: Generator = defaultGenerator): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const start = generator.take(n);
  const [k0, k1] = generator.key;
  for (let i = 0; i < n; i++) {
    const c = start + i;
    const [w0, w1] = philox4x32(c >>> 0, Math.floor(c / 4294967296) >>> 0, 0, 0, k0, k1);
    out[i] = ((w0 >>> 5) * 67108864 + (w1 >>> 6)) / 9007199254740992;
  }
  return out;
}

/** `n` integers uniform in [0, high). */
export function randomInts(n: number, high: number, generator?: Generator): number[] {
  const u = uniforms(n, generator);
  return Array.from(u, (x) => Math.floor(x * high));
}

/** torch.randperm on the host: a uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function randperm(n: number, generator?: Generator): number[] {
  const perm = Array.from({ length: n }, (_, i) => i);
  const u = uniforms(Math.max(0, n - 1), generator);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[n - 1 - i]! * (i + 1));
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  return perm;
}
