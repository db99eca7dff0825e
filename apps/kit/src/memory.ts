/** Live-tensor accounting for the apps' "memory stays flat across epochs" checks. */
import { memory } from '@tensile/core';

/** The number of live tensors right now (memory().numTensors): record it after each epoch. */
export function trackLiveTensors(): number {
  return memory().numTensors;
}

/** Whether the live-tensor counts recorded after each epoch are all equal. */
export function isFlat(counts: readonly number[]): boolean {
  return counts.every((n) => n === counts[0]);
}
