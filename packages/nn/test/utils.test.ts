import { describe, expect, it } from 'vitest';
import { crossEntropy, noGrad, tensor, tidy, type Tensor } from '@tensile/core';
import { Linear, Sequential, Tanh, clipGradNorm_, clipGradValue_, countParameters, parametersToVector, vectorToParameters, Module, Parameter } from '@tensile/nn';
import { compareTensor, decodeTensor, loadFixtureFile, type FixtureTensor } from './support/module-fixtures.js';

interface OptimFixture {
  model: { layers: { type: string; in_features?: number; out_features?: number }[]; state_dict: Record<string, FixtureTensor> };
  batches: { x: FixtureTensor; y: FixtureTensor }[];
  cases: {
    name: string;
    kwargs: { lr: number };
    optimizer: string;
    clip_grad_norm?: { max_norm: number; norm_type: number };
    steps: { loss: number; grad_norm?: number; grads: Record<string, FixtureTensor>; params: Record<string, FixtureTensor> }[];
    rtol: number;
    atol: number;
  }[];
}

const fx = loadFixtureFile<OptimFixture>('optim', 'optimizers');

describe('clipGradNorm_ against the optim fixtures', () => {
  for (const c of fx.cases.filter((k) => k.clip_grad_norm && k.optimizer === 'torch.optim.SGD' && Object.keys(k.kwargs).length === 1)) {
    it(c.name, async () => {
      const model = new Sequential(...fx.model.layers.map((l) => (l.type === 'Linear' ? new Linear(l.in_features!, l.out_features!) : new Tanh())));
      tidy(() => void model.loadStateDict(Object.fromEntries(Object.entries(fx.model.state_dict).map(([k, v]) => [k, decodeTensor(v, 'js')]))));
      const problems: string[] = [];
      for (const [i, step] of c.steps.entries()) {
        const b = fx.batches[i % fx.batches.length]!;
        model.zeroGrad();
        const [loss, norm] = tidy(() => {
          const l = crossEntropy(model.call(decodeTensor(b.x, 'js')), decodeTensor(b.y, 'js'));
          l.backward();
          const n = clipGradNorm_(model.parameters(), c.clip_grad_norm!.max_norm, c.clip_grad_norm!.norm_type);
          return [l.itemSync(), n.itemSync()];
        });
        expect(loss).toBeCloseTo(step.loss, 5);
        expect(Math.abs(norm - step.grad_norm!)).toBeLessThanOrEqual(c.atol + c.rtol * Math.abs(step.grad_norm!));
        const params = Object.fromEntries(model.namedParameters());
        for (const [k, g] of Object.entries(step.grads)) {
          const m = await compareTensor(params[k]!.grad, g, c.rtol, c.atol, `step ${i} grad ${k}`);
          if (m) problems.push(m);
        }
        noGrad(() => {
          for (const p of model.parameters()) p.sub_(p.grad!.mul(c.kwargs.lr));
        });
        for (const [k, p] of Object.entries(step.params)) {
          const m = await compareTensor(params[k]!, p, c.rtol, c.atol, `step ${i} param ${k}`);
          if (m) problems.push(m);
        }
      }
      expect(problems).toEqual([]);
      model.zeroGrad();
      model.dispose();
    });
  }
});

class Two extends Module<[Tensor], Tensor> {
  a = new Parameter(tensor([3, 4]));
  b = new Parameter(tensor([[1, 2], [2, 0]]));
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('nn.utils', () => {
  it('clipGradNorm_ scales to maxNorm and returns the norm before clipping (2, 1, inf)', () => {
    const m = new Two();
    const setGrads = () => {
      m.a.grad = tensor([3, 4]);
      m.b.grad = tensor([[0, 0], [0, 12]]);
    };
    setGrads();
    const n = clipGradNorm_(m.parameters(), 6.5);
    expect(n.itemSync()).toBeCloseTo(13, 5);
    expect(m.a.grad!.tolistSync() as number[]).toEqual([expect.closeTo(1.5, 5), expect.closeTo(2, 5)]);
    // below the max: unchanged
    setGrads();
    expect(clipGradNorm_(m.parameters(), 100).itemSync()).toBeCloseTo(13, 5);
    expect(m.b.grad!.tolistSync()).toEqual([[0, 0], [0, 12]]);
    setGrads();
    expect(clipGradNorm_(m.parameters(), 100, 1).itemSync()).toBeCloseTo(19, 5);
    setGrads();
    expect(clipGradNorm_(m.parameters(), 6, Infinity).itemSync()).toBeCloseTo(12, 5);
    expect((m.b.grad!.tolistSync() as number[][])[1]![1]).toBeCloseTo(6, 3);
    // single tensor and non-finite
    m.a.grad = tensor([NaN, 1]);
    expect(() => clipGradNorm_(m.a, 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite/);
    expect(clipGradNorm_([], 1).itemSync()).toBe(0);
  });

  it('clipGradValue_ clamps in place', () => {
    const m = new Two();
    m.a.grad = tensor([-5, 0.5]);
    clipGradValue_(m.parameters(), 1);
    expect(m.a.grad.tolistSync()).toEqual([-1, 0.5]);
  });

  it('parametersToVector / vectorToParameters round trip', () => {
    const m = new Two();
    const v = parametersToVector(m.parameters());
    expect(v.tolistSync()).toEqual([3, 4, 1, 2, 2, 0]);
    vectorToParameters(tensor([1, 2, 3, 4, 5, 6]), m.parameters());
    expect(m.b.tolistSync()).toEqual([[3, 4], [5, 6]]);
    expect(m.b.requiresGrad).toBe(true);
    expect(() => vectorToParameters(tensor([1]), m.parameters())).toThrow(/1 elements but the parameters hold 6/);
  });

  it('countParameters, with trainableOnly', () => {
    const net = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 3));
    expect(countParameters(net)).toBe(4 * 8 + 8 + 8 * 3 + 3);
    (net.at(0) as Linear).weight.requiresGrad_(false);
    expect(countParameters(net, { trainableOnly: true })).toBe(8 + 8 * 3 + 3);
  });
});
