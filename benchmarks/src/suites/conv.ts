/**
 * conv2d as in the first layer of an MNIST CNN: input [32, 1, 28, 28], weight [32, 1, 3, 3]
 * with bias, stride 1, no padding (output [32, 32, 26, 26]). Two cases, ms per iteration:
 *   - conv2d fwd:      the forward pass, no autograd
 *   - conv2d fwd+bwd:  forward, sum(), backward to the weight and bias (the input needs no
 *                      gradient, as for a first layer); the grads are dropped each iteration
 *
 *   pnpm bench conv [--threads 1,2] [--json FILE] [--batch N]
 *
 * Systems: tensile-cpu, tensile-js (first run), torch (F.conv2d), onnxruntime (Conv, forward
 * only: no training in onnxruntime-node), tfjs-wasm and tfjs-cpu (first run; NHWC layout,
 * tf.fused.conv2d and tf.grads).
 */
import { parseArgs } from 'node:util';
import { conv2d, randn, setDefaultDevice, tidy, type Tensor } from '@tensile/core';
import { forEachTfjsBackend, loadOrt, ortSession } from '../lib/jspeers';
import { pythonAvailability, runPython } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { tensileDevices } from '../lib/tensile';
import { timeAsync, timeSync } from '../lib/timing';
import type { SuiteContext, SuiteResult } from '../types';

const CIN = 1, COUT = 32, K = 3, H = 28, W = 28;
const FWD = 'conv2d fwd', BWD = 'conv2d fwd+bwd';

function batch(args: string[]): number {
  const { values } = parseArgs({ args, options: { batch: { type: 'string' } }, strict: true, allowPositionals: false });
  const n = Number(values.batch ?? 32);
  if (!Number.isInteger(n) || n < 1) throw new Error(`conv: --batch must be a positive integer, got ${values.batch}`);
  return n;
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const N = batch(ctx.args);
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  const put = (c: string, system: string, threads: number, seconds: number) => {
    rec.add(c, system, threads, 'time', seconds * 1e3, 'ms');
    console.log(`  ${c.padEnd(15)} ${system.padEnd(12)} ${threads}t  ${(seconds * 1e3).toFixed(3)} ms`);
  };
  const HO = H - K + 1, WO = W - K + 1;

  // Tensile
  const devices = await tensileDevices(ctx, rec);
  for (const [device, system, threads] of devices) {
    setDefaultDevice(device);
    const x = randn([N, CIN, H, W]);
    const w = randn([COUT, CIN, K, K]), b = randn([COUT]);
    await attempt(rec, `${system} ${FWD}`, () => put(FWD, system, threads, timeSync(() => conv2d(x, w, b).dispose()).seconds));
    const wg = randn([COUT, CIN, K, K], { requiresGrad: true }), bg = randn([COUT], { requiresGrad: true });
    const dropGrads = (...ts: Tensor[]) => {
      for (const t of ts) {
        t.grad?.dispose();
        t.grad = null;
      }
    };
    await attempt(rec, `${system} ${BWD}`, () =>
      put(BWD, system, threads, timeSync(() => {
        tidy(() => conv2d(x, wg, bg).sum().backward());
        dropGrads(wg, bg);
      }).seconds),
    );
    for (const t of [x, w, b, wg, bg]) t.dispose();
  }
  setDefaultDevice('js');

  // ONNX Runtime (forward only)
  const { ort, ...ortAvail } = await loadOrt();
  rec.available('onnxruntime', T, ortAvail);
  if (ort) {
    await attempt(rec, `onnxruntime ${FWD}`, async () => {
      const runOnce = await ortSession(ort, {
        op: 'Conv',
        inputs: [{ name: 'X', shape: [N, CIN, H, W] }, { name: 'W', shape: [COUT, CIN, K, K] }, { name: 'B', shape: [COUT] }],
        output: { name: 'Y', shape: [N, COUT, HO, WO] },
        attrs: { kernel_shape: [K, K] },
      }, T);
      put(FWD, 'onnxruntime', T, (await timeAsync(runOnce)).seconds);
    });
  }

  // TensorFlow.js (NHWC)
  await forEachTfjsBackend(ctx, rec, async (tf, system) => {
    const x = tf.randomNormal([N, H, W, CIN]) as import('@tensorflow/tfjs').Tensor4D;
    const f = tf.randomNormal([K, K, CIN, COUT]) as import('@tensorflow/tfjs').Tensor4D;
    const b = tf.randomNormal([COUT]) as import('@tensorflow/tfjs').Tensor1D;
    await attempt(rec, `${system} ${FWD}`, () =>
      put(FWD, system, 1, timeSync(() => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'valid', bias: b }).dispose()).seconds),
    );
    const g = tf.grads((ff, bb) => tf.sum(tf.fused.conv2d({ x, filter: ff as typeof f, strides: 1, pad: 'valid', bias: bb })));
    await attempt(rec, `${system} ${BWD}`, () =>
      put(BWD, system, 1, timeSync(() => tf.dispose(g([f, b]))).seconds),
    );
    tf.dispose([x, f, b]);
  });

  // PyTorch
  const shape = { n: N, cin: CIN, cout: COUT, k: K, h: H, w: W };
  const py = runPython([{ id: FWD, kind: 'conv2d', ...shape, backward: false }, { id: BWD, kind: 'conv2d', ...shape, backward: true }], T, { systems: ['torch'] });
  for (const [system, avail] of pythonAvailability(py, ['torch'])) rec.available(system, T, avail);
  for (const r of py.results) put(r.id, r.system, T, r.seconds);
  for (const e of py.errors) rec.note(`${e.system} ${e.id} failed: ${e.error}`);
  rec.note(`conv2d: input [${N}, ${CIN}, ${H}, ${W}], weight [${COUT}, ${CIN}, ${K}, ${K}] + bias, stride 1, no padding; fwd+bwd = forward, sum, backward to weight and bias`);
  return rec.result();
}
