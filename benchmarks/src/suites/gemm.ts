/**
 * Square float32 GEMM, C = A @ B with A, B of n x n, in GFLOP/s (2 n^3 flops per product,
 * median over repeats after warm-up).
 *
 *   pnpm bench gemm [--threads 1,2] [--json FILE] [--sizes 256,512,1024,2048]
 *
 * Systems: tensile-cpu (@tensile/cpu), tensile-js (the reference backend, n <= 512, first run
 * only), numpy (its BLAS, OpenBLAS here), torch, onnxruntime (a one-node MatMul model built in
 * code), tfjs-wasm (single-threaded in Node) and tfjs-cpu (n <= 512) in the first run only.
 */
import { parseArgs } from 'node:util';
import { matmul, randn, setDefaultDevice } from '@tensile/core';
import { forEachTfjsBackend, loadOrt, ortSession } from '../lib/jspeers';
import { pythonAvailability, runPython, type PyCase } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { loadTensileCpu } from '../lib/tensile';
import { timeAsync, timeSync } from '../lib/timing';
import type { SuiteContext, SuiteResult } from '../types';

const JS_MAX = 512;
const TFJS_CPU_MAX = 512;

function sizes(args: string[]): number[] {
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' } }, strict: true, allowPositionals: false });
  const list = (values.sizes ?? '256,512,1024,2048').split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`gemm: --sizes must be positive integers, got ${values.sizes}`);
  return list;
}

const gflops = (n: number, seconds: number) => (2 * n ** 3) / seconds / 1e9;
const caseName = (n: number) => `sgemm ${n}`;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const ns = sizes(ctx.args);
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  const put = (n: number, system: string, threads: number, seconds: number) => {
    rec.add(caseName(n), system, threads, 'throughput', gflops(n, seconds), 'GFLOP/s');
    console.log(`  ${caseName(n).padEnd(12)} ${system.padEnd(12)} ${threads}t  ${gflops(n, seconds).toFixed(1)} GFLOP/s`);
  };

  // Tensile
  const cpu = await loadTensileCpu();
  rec.available('tensile-cpu', T, cpu);
  const devices: [string, string, number, number][] = [];
  if (cpu.ok) devices.push(['cpu', 'tensile-cpu', T, Infinity]);
  if (ctx.firstRun) {
    devices.push(['js', 'tensile-js', 1, JS_MAX]);
    rec.available('tensile-js', 1, { ok: true, note: `@tensile/core js device (n <= ${JS_MAX})` });
  }
  for (const [device, system, threads, max] of devices) {
    setDefaultDevice(device);
    for (const n of ns.filter((x) => x <= max)) {
      await attempt(rec, `${system} ${caseName(n)}`, () => {
        const a = randn([n, n]), b = randn([n, n]);
        const t = timeSync(() => matmul(a, b).dispose());
        a.dispose();
        b.dispose();
        put(n, system, threads, t.seconds);
      });
    }
  }
  setDefaultDevice('js');

  // ONNX Runtime
  const { ort, ...ortAvail } = await loadOrt();
  rec.available('onnxruntime', T, ortAvail);
  if (ort) {
    for (const n of ns) {
      await attempt(rec, `onnxruntime ${caseName(n)}`, async () => {
        const runOnce = await ortSession(ort, { op: 'MatMul', inputs: [{ name: 'A', shape: [n, n] }, { name: 'B', shape: [n, n] }], output: { name: 'Y', shape: [n, n] } }, T);
        put(n, 'onnxruntime', T, (await timeAsync(runOnce)).seconds);
      });
    }
  }

  // TensorFlow.js: single-threaded in Node, measured in the first run only.
  await forEachTfjsBackend(ctx, rec, async (tf, system, backend) => {
    for (const n of ns.filter((x) => backend === 'wasm' || x <= TFJS_CPU_MAX)) {
      await attempt(rec, `${system} ${caseName(n)}`, () => {
        const a = tf.randomNormal([n, n]), b = tf.randomNormal([n, n]);
        put(n, system, 1, timeSync(() => tf.matMul(a, b).dispose()).seconds);
        a.dispose();
        b.dispose();
      });
    }
  });
  if (ctx.firstRun) {
    rec.note(`tfjs-cpu limited to n <= ${TFJS_CPU_MAX} and tensile-js to n <= ${JS_MAX} (too slow beyond); TensorFlow.js runs single-threaded in Node`);
  }

  // numpy + BLAS, PyTorch
  const cases: PyCase[] = ns.map((n) => ({ id: caseName(n), kind: 'gemm', n }));
  const py = runPython(cases, T);
  for (const [system, avail] of pythonAvailability(py)) rec.available(system, T, avail);
  for (const r of py.results) put(Number(r.id.split(' ')[1]), r.system, T, r.seconds);
  for (const e of py.errors) rec.note(`${e.system} ${e.id} failed: ${e.error}`);
  return rec.result();
}
