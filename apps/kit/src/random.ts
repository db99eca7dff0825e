/**
 * Reproducible randomness for resumable training. Rule for app authors: anything random that
 * happens per epoch (the data order, augmentation) must come from a generator derived from
 * (seed, epoch), made fresh at the start of the epoch, never from one stream consumed across
 * epochs; then epoch k of a resumed run sees exactly what epoch k of an uninterrupted run saw.
 * Core's defaultGenerator (initialisation, dropout) is saved and restored by the checkpoint.
 */
import { Generator } from '@tensile/core';

/** A 32-bit mix (murmur3's finaliser). */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A fresh Philox generator for `epoch` of a run seeded with `seed`; `stream` separates independent
 * uses in the same epoch (0 = data order, 1 = augmentation, ...). Same arguments, same numbers.
 */
export function epochGenerator(seed: number, epoch: number, stream = 0): Generator {
  const g = new Generator(0);
  const s = Math.floor(Math.abs(seed));
  const k0 = mix32((s >>> 0) ^ mix32(Math.floor(s / 4294967296) + 0x9e3779b9));
  const k1 = mix32(mix32(epoch + 0x632be5ab) ^ Math.imul(stream + 1, 0x27d4eb2f)) | 1;
  g.setState({ key: [k0, k1 >>> 0], offset: 0 });
  return g;
}
