import { describe, expect, it } from 'vitest';
import { memory } from '@tensile/core';
import { train } from '../src/train.js';

describe('linear regression', () => {
  it('fits y = 3x - 2 with a falling loss and no leaks', () => {
    const before = memory().numTensors;
    const { losses, w, b, liveTensors } = train({ epochs: 100, lr: 0.05, seed: 0 });
    expect(losses).toHaveLength(100);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 100);
    // the noise has std 0.1, so the MSE cannot fall much below 0.01
    expect(losses.at(-1)!).toBeLessThan(0.02);
    for (let i = 10; i < losses.length; i += 10) expect(losses[i]!).toBeLessThanOrEqual(losses[i - 10]!);
    expect(w).toBeCloseTo(3, 1);
    expect(b).toBeCloseTo(-2, 1);
    // x, y, w, b live during training; every step frees what it creates
    expect(new Set(liveTensors)).toEqual(new Set([before + 4]));
    expect(memory().numTensors).toBe(before);
  });

  it('is reproducible for a seed', () => {
    const r1 = train({ epochs: 5, seed: 7 });
    const r2 = train({ epochs: 5, seed: 7 });
    expect(r2.losses).toEqual(r1.losses);
    expect(r2.w).toBe(r1.w);
  });
});
