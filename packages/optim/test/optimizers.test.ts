/** Golden cases of optim/optimizers.json: loss, consumed grads, params after each step, grad norms. */
import { describe, expect, it } from 'vitest';
import { tidy } from '@tensile/core';
import { Adagrad, Adam, AdamW, RMSprop, SGD, camelName, type Optimizer } from '@tensile/optim';
import { decodeTensor, expectClose, expectNear, loadOptimFixture, testDevices, TinyMLP, type FixtureTensor } from './support.js';
import { clipGradNorm_ } from '@tensile/nn';

interface OptimCase {
  name: string;
  optimizer: string;
  kwargs: Record<string, unknown>;
  clip_grad_norm: { max_norm: number; norm_type: number } | null;
  steps: { loss: number; grad_norm?: number; grads: Record<string, FixtureTensor>; params: Record<string, FixtureTensor> }[];
  rtol: number;
  atol: number;
}
interface OptimFixture {
  model: { state_dict: Record<string, FixtureTensor> };
  batches: { x: FixtureTensor; y: FixtureTensor }[];
  cases: OptimCase[];
}

const fixture = loadOptimFixture<OptimFixture>('optimizers');
const { devices, skipped } = await testDevices();

const OPTIMIZERS: Record<string, new (params: never, opts: never) => Optimizer<object>> = {
  'torch.optim.SGD': SGD as never,
  'torch.optim.Adam': Adam as never,
  'torch.optim.AdamW': AdamW as never,
  'torch.optim.RMSprop': RMSprop as never,
  'torch.optim.Adagrad': Adagrad as never,
};
const NAMES = ['0.weight', '0.bias', '2.weight', '2.bias'];

function runCase(c: OptimCase, device: string): void {
  const Ctor = OPTIMIZERS[c.optimizer];
  expect(Ctor, `optimizer ${c.optimizer} is mapped`).toBeDefined();
  const model = new TinyMLP(fixture.model.state_dict, device);
  const params = model.ordered();
  const opts = Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [camelName(k), v]));
  const opt = new Ctor!(params as never, opts as never);
  try {
    c.steps.forEach((s, i) => {
      tidy(() => {
        const b = fixture.batches[i % fixture.batches.length]!;
        opt.zeroGrad();
        const loss = model.loss(decodeTensor(b.x, device), decodeTensor(b.y, device));
        expectNear(loss.itemSync(), s.loss, c.rtol, c.atol, `${c.name} step ${i} loss`);
        loss.backward();
        if (c.clip_grad_norm) {
          const normT = clipGradNorm_(params, c.clip_grad_norm.max_norm, c.clip_grad_norm.norm_type);
          const norm = normT.itemSync();
          normT.dispose();
          expectNear(norm, s.grad_norm!, c.rtol, c.atol, `${c.name} step ${i} grad_norm`);
        }
        params.forEach((p, j) => expectClose(p.grad!, s.grads[NAMES[j]!]!, c.rtol, c.atol, `${c.name} step ${i} grad ${NAMES[j]}`));
        opt.step();
        params.forEach((p, j) => expectClose(p, s.params[NAMES[j]!]!, c.rtol, c.atol, `${c.name} step ${i} param ${NAMES[j]}`));
      });
    });
  } finally {
    opt.dispose();
    model.dispose();
  }
}

for (const device of devices) {
  describe(`optimizers.json on ${device}`, () => {
    for (const c of fixture.cases) it(c.name, () => runCase(c, device));
  });
}
if (skipped) describe('optimizers.json', () => it.skip(skipped, () => {}));
