/**
 * Scaled-dot-product attention, float32, in the shapes of the models to come: a BERT-base-like
 * encoder block (batch 8, 12 heads, 128 tokens, head size 64, no mask) and a GPT-2-like causal
 * block (batch 4, 12 heads, 256 tokens, head size 64). Two cases each, ms per iteration:
 *   - fwd:      the forward pass, no autograd
 *   - fwd+bwd:  forward, sum(), backward to q, k and v
 *
 *   pnpm bench attention [--threads 1,2] [--json FILE]
 *
 * Systems: tensile-cpu (fused forward and backward kernels), tensile-js (first run, forward of
 * the smaller case only), torch (F.scaled_dot_product_attention where the installed PyTorch has
 * it — 2.0 and later —, else the composite softmax(q k^T / sqrt(e) + mask) v that 1.13 users write).
 */
import { randn, scaledDotProductAttention, setDefaultDevice, tidy, type Tensor } from '@tensile/core';
import { pythonAvailability, runPython } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { tensileDevices } from '../lib/tensile';
import { timeSync } from '../lib/timing';
import type { SuiteContext, SuiteResult } from '../types';

interface Shape {
  name: string;
  b: number;
  h: number;
  l: number;
  e: number;
  causal: boolean;
}

const SHAPES: Shape[] = [
  { name: 'encoder [8,12,128,64]', b: 8, h: 12, l: 128, e: 64, causal: false },
  { name: 'causal [4,12,256,64]', b: 4, h: 12, l: 256, e: 64, causal: true },
];
const FWD = 'fwd', BWD = 'fwd+bwd';

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  const put = (c: string, system: string, threads: number, seconds: number) => {
    rec.add(c, system, threads, 'time', seconds * 1e3, 'ms');
    console.log(`  ${c.padEnd(32)} ${system.padEnd(12)} ${threads}t  ${(seconds * 1e3).toFixed(3)} ms`);
  };

  const devices = await tensileDevices(ctx, rec, '@tensile/core js device (forward of the encoder case only: seconds per call)');
  for (const [device, system, threads] of devices) {
    setDefaultDevice(device);
    for (const s of SHAPES) {
      if (device === 'js' && s !== SHAPES[0]) continue;
      const shape = [s.b, s.h, s.l, s.e];
      const [q, k, v] = [0, 1, 2].map(() => randn(shape)) as [Tensor, Tensor, Tensor];
      await attempt(rec, `${system} ${s.name} ${FWD}`, () =>
        put(`${s.name} ${FWD}`, system, threads, timeSync(() => scaledDotProductAttention(q, k, v, { isCausal: s.causal }).dispose()).seconds),
      );
      if (device !== 'js') {
        const [qg, kg, vg] = [q, k, v].map((t) => t.detach().requiresGrad_(true));
        await attempt(rec, `${system} ${s.name} ${BWD}`, () =>
          put(`${s.name} ${BWD}`, system, threads, timeSync(() => {
            tidy(() => scaledDotProductAttention(qg!, kg!, vg!, { isCausal: s.causal }).sum().backward());
            for (const t of [qg!, kg!, vg!]) {
              t.grad?.dispose();
              t.grad = null;
            }
          }).seconds),
        );
        for (const t of [qg, kg, vg]) t!.dispose();
      }
      for (const t of [q, k, v]) t.dispose();
    }
  }
  setDefaultDevice('js');

  const cases = SHAPES.flatMap((s) => [
    { id: `${s.name} ${FWD}`, kind: 'sdpa', b: s.b, h: s.h, l: s.l, e: s.e, causal: s.causal, backward: false },
    { id: `${s.name} ${BWD}`, kind: 'sdpa', b: s.b, h: s.h, l: s.l, e: s.e, causal: s.causal, backward: true },
  ]);
  const py = runPython(cases, T, { systems: ['torch'] });
  for (const [system, avail] of pythonAvailability(py, ['torch'])) rec.available(system, T, avail);
  for (const r of py.results) put(r.id, r.system, T, r.seconds);
  for (const e of py.errors) rec.note(`${e.system} ${e.id} failed: ${e.error}`);
  rec.note('float32 q, k, v of shape [batch, heads, tokens, head size]; fwd+bwd = forward, sum, backward to q, k and v');
  return rec.result();
}
