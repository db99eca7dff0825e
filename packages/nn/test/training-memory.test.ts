/** A 1,000-step training loop of a small MLP inside tidy() holds memory() exactly flat. */
import { describe, expect, it } from 'vitest';
import { crossEntropy, manualSeed, memory, noGrad, randint, randn, tidy } from '@tensile/core';
import { Linear, ReLU, Sequential, clipGradNorm_ } from '@tensile/nn';

describe('training memory', () => {
  it('1,000 SGD steps of Linear-ReLU-Linear keep the live tensor count and bytes flat', () => {
    manualSeed(0);
    const model = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 4));
    const x = randn([32, 8]);
    const y = randint(0, 4, [32]);
    const lr = 0.1;
    let first = Infinity, last = 0;
    let at10: ReturnType<typeof memory> | null = null;
    for (let step = 1; step <= 1000; step++) {
      const loss = tidy(() => {
        model.zeroGrad();
        const l = crossEntropy(model.call(x), y);
        l.backward();
        clipGradNorm_(model.parameters(), 5);
        noGrad(() => {
          for (const p of model.parameters()) p.sub_(p.grad!.mul(lr));
        });
        return l.itemSync();
      });
      if (step === 1) first = loss;
      last = loss;
      if (step === 10) at10 = memory();
    }
    const at1000 = memory();
    expect(at1000).toEqual(at10);
    expect(last).toBeLessThan(first * 0.5);
    model.zeroGrad();
    model.dispose();
  });
});
