/**
 * Square float32 GEMM, C = A @ B with A, B of n x n, in GFLOP/s (2 n^3 flops per product,
 * median over repeats after warm-up).
 *
 *   pnpm bench gemm [--threads 1,2] [--json FILE] [--sizes 256,512,1024,2048] [--rounds 7]
 *
 * Systems: tensile-cpu (@tensile/cpu), tensile-js (the reference backend, n <= 512, first run
 * only), numpy (its BLAS, OpenBLAS here), torch, onnxruntime (a one-node MatMul model built in
 * code), tfjs-wasm (single-threaded in Node) and tfjs-cpu (n <= 512) in the first run only.
 *
 * tensile-cpu, numpy and torch, the systems the ratio is about, alternate size by size for
 * --rounds rounds (the Python peers in one persistent process; the order turns each round), and
 * each value is the median over rounds: on a shared or virtual machine whose speed drifts by 10 % over seconds, measuring
 * one system after the other compares the drift, not the systems. Each measurement starts after
 * a pause (GAP_MS) in which the previous system's idle threads (OpenBLAS and OpenMP workers
 * spin after a call) stop competing for the cores.
 *
 *   pnpm bench gemm --device webgpu [--sizes ...]
 *
 * runs the WebGPU systems instead, on one adapter (Dawn from the `webgpu` package; without a GPU
 * the software Vulkan driver packages/webgpu/scripts/setup-driver.sh installs, lavapipe first):
 * tensile-webgpu (@tensile/webgpu) and tfjs-webgpu (@tensorflow/tfjs-backend-webgpu). Each timed
 * call is a matmul followed by reading back one element of the product, so it includes the
 * GPU's work and one round trip, for both systems alike.
 */
import { parseArgs } from 'node:util';
import { matmul, randn, ready, setDefaultDevice } from '@tensile/core';
import { forEachTfjsBackend, loadOrt, ortSession, type Tf } from '../lib/jspeers';
import { pythonAvailability, startPythonPeers } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { loadTensileCpu } from '../lib/tensile';
import { median, timeAsync, timeSync } from '../lib/timing';
import type { SuiteContext, SuiteResult } from '../types';

const JS_MAX = 512;
const TFJS_CPU_MAX = 512;

function options(args: string[]): { sizes: number[]; device: 'cpu' | 'webgpu'; rounds: number } {
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' }, device: { type: 'string' }, rounds: { type: 'string' } }, strict: true, allowPositionals: false });
  const rounds = Number(values.rounds ?? 7);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`gemm: --rounds must be a positive integer, got ${values.rounds}`);
  const device = values.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'webgpu') throw new Error(`gemm: --device must be cpu or webgpu, got ${device}`);
  const list = (values.sizes ?? '256,512,1024,2048').split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`gemm: --sizes must be positive integers, got ${values.sizes}`);
  return { sizes: list, device, rounds };
}

const GAP_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gflops = (n: number, seconds: number) => (2 * n ** 3) / seconds / 1e9;
const caseName = (n: number) => `sgemm ${n}`;

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const { sizes: ns, device, rounds } = options(ctx.args);
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  const put = (n: number, system: string, threads: number, seconds: number) => {
    rec.add(caseName(n), system, threads, 'throughput', gflops(n, seconds), 'GFLOP/s');
    console.log(`  ${caseName(n).padEnd(12)} ${system.padEnd(14)} ${threads}t  ${gflops(n, seconds).toFixed(2)} GFLOP/s`);
  };
  if (device === 'webgpu') {
    await runWebGPU(ctx, rec, ns, put);
    return rec.result();
  }

  // Tensile's reference backend (first run only; slow, one measurement).
  const cpu = await loadTensileCpu();
  rec.available('tensile-cpu', T, cpu);
  if (ctx.firstRun) {
    rec.available('tensile-js', 1, { ok: true, note: `@tensile/core js device (n <= ${JS_MAX})` });
    setDefaultDevice('js');
    for (const n of ns.filter((x) => x <= JS_MAX)) {
      await attempt(rec, `tensile-js ${caseName(n)}`, () => {
        const a = randn([n, n]), b = randn([n, n]);
        put(n, 'tensile-js', 1, timeSync(() => matmul(a, b).dispose()).seconds);
        a.dispose();
        b.dispose();
      });
    }
  }

  // tensile-cpu, numpy and torch alternate, size by size, round after round (see the module doc).
  // Per sample: wall seconds per call (the usual timing) and process CPU seconds per call (all
  // threads, over as many calls again).
  const samples = new Map<string, { n: number; system: string; wall: number[]; cpu: number[] }>();
  const sample = (n: number, system: string, wall: number, cpuSeconds?: number) => {
    const key = `${n}|${system}`;
    if (!samples.has(key)) samples.set(key, { n, system, wall: [], cpu: [] });
    const s = samples.get(key)!;
    s.wall.push(wall);
    if (cpuSeconds !== undefined) s.cpu.push(cpuSeconds);
  };
  const peers = startPythonPeers(T);
  let peersChecked = false;
  let peersUp = true;
  try {
    for (let round = 0; round < rounds; round++) {
      const line: string[] = [];
      for (const n of ns) {
        const tensile = async () => {
          if (!cpu.ok) return;
          setDefaultDevice('cpu');
          await sleep(GAP_MS);
          await attempt(rec, `tensile-cpu ${caseName(n)}`, () => {
            const a = randn([n, n]), b = randn([n, n]);
            const f = () => matmul(a, b).dispose();
            const t = timeSync(f);
            const calls = Math.max(3, t.iters * t.reps);
            const u0 = process.cpuUsage();
            for (let i = 0; i < calls; i++) f();
            const u = process.cpuUsage(u0);
            sample(n, 'tensile-cpu', t.seconds, (u.user + u.system) / 1e6 / calls);
            line.push(`${n} tensile-cpu ${gflops(n, t.seconds).toFixed(1)}`);
            a.dispose();
            b.dispose();
          });
          setDefaultDevice('js');
        };
        const python = async () => {
          if (!peersUp) return;
          const systems = round % 2 === 0 ? ['numpy', 'torch'] : ['torch', 'numpy'];
          const py = await peers.run([{ id: caseName(n), kind: 'gemm', n, cpuTime: true }], { systems, timing: { gapMs: GAP_MS } });
          if (!peersChecked) {
            peersChecked = true;
            for (const [system, avail] of pythonAvailability(py)) rec.available(system, T, avail);
            peersUp = Object.keys(py.missing).length < 2;
          }
          for (const r of py.results) {
            sample(n, r.system, r.seconds, r.cpuSeconds);
            line.push(`${n} ${r.system} ${gflops(n, r.seconds).toFixed(1)}`);
          }
          for (const e of py.errors) rec.note(`round ${round + 1}: ${e.system} ${e.id} failed: ${e.error}`);
        };
        // The order turns every round (Tensile first, then the peers first), so that no system
        // always follows another.
        for (const measure of round % 2 === 0 ? [tensile, python] : [python, tensile]) await measure();
      }
      console.log(`  round ${round + 1}/${rounds} (GFLOP/s): ${line.join(', ')}`);
    }
  } finally {
    peers.close();
  }
  for (const s of samples.values()) {
    const k = s.wall.length;
    const detail = k > 1 ? `median of ${k} rounds: ${s.wall.map((w) => gflops(s.n, w).toFixed(1)).join(', ')} GFLOP/s` : undefined;
    rec.add(caseName(s.n), s.system, T, 'throughput', gflops(s.n, median(s.wall)), 'GFLOP/s', detail);
    console.log(`  ${caseName(s.n).padEnd(12)} ${s.system.padEnd(14)} ${T}t  ${gflops(s.n, median(s.wall)).toFixed(2)} GFLOP/s (median of ${k})`);
    // Throughput per CPU second of the process (all its threads), scaled by the thread count:
    // what the wall-clock figure would be if each thread had a core to itself. Steadier than
    // wall time when other processes share the cores; idle threads that spin are charged for it.
    if (s.cpu.length > 0) rec.add(caseName(s.n), s.system, T, 'cpu-time throughput', gflops(s.n, median(s.cpu) / T), 'GFLOP/s');
  }
  rec.note(`tensile-cpu, numpy and torch alternate size by size for ${rounds} rounds (python peers in one persistent process, the order turning each round, a ${GAP_MS} ms pause before each measurement); each throughput is the median over rounds (the rounds are in the JSON notes)`);
  rec.note('cpu-time throughput = 2n^3 / (process CPU seconds per call / threads), for tensile-cpu, numpy and torch: steadier than wall time on a shared machine; threads that spin while idle (OpenMP, OpenBLAS) count against their system');

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
  return rec.result();
}

type Put = (n: number, system: string, threads: number, seconds: number) => void;
const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

/**
 * tensile-webgpu and tfjs-webgpu on one adapter. The GPU object is Dawn's (held by
 * @tensile/webgpu for the process's life) and is also installed as navigator.gpu for tfjs.
 * A software Vulkan driver gets LP_NUM_THREADS = the run's thread count (lavapipe's workers).
 */
async function runWebGPU(ctx: SuiteContext, rec: Recorder, ns: number[], put: Put): Promise<void> {
  const T = ctx.threads;
  process.env.LP_NUM_THREADS ??= String(T);
  let wg: typeof import('@tensile/webgpu');
  let adapter = '';
  try {
    wg = await import('@tensile/webgpu');
    const icd = await wg.useSoftwareVulkan();
    await ready('webgpu');
    const info = wg.webgpuInfo().adapter;
    adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
    rec.available('tensile-webgpu', T, { ok: true, note: `@tensile/webgpu on ${adapter}` });
    rec.note(`webgpu adapter: ${adapter}${icd ? ` (VK_ICD_FILENAMES=${icd}, LP_NUM_THREADS=${process.env.LP_NUM_THREADS})` : ''}; each call = matmul + a 1-element read of the product`);
  } catch (e) {
    rec.available('tensile-webgpu', T, { ok: false, note: errMessage(e) });
    rec.available('tfjs-webgpu', T, { ok: false, note: 'no WebGPU adapter (see tensile-webgpu)' });
    return;
  }

  setDefaultDevice('webgpu');
  for (const n of ns) {
    await attempt(rec, `tensile-webgpu ${caseName(n)}`, async () => {
      const a = randn([n, n]), b = randn([n, n]);
      const t = await timeAsync(async () => {
        const c = matmul(a, b);
        const last = c.select(0, n - 1).select(0, n - 1);
        await last.item();
        last.dispose();
        c.dispose();
      });
      a.dispose();
      b.dispose();
      put(n, 'tensile-webgpu', T, t.seconds);
    });
  }
  setDefaultDevice('js');
  wg.emptyCache();

  const tf = await loadTfjsWebgpu(await wg.getGPU());
  rec.available('tfjs-webgpu', T, tf.ok ? { ok: true, note: tf.note } : tf);
  if (tf.tf) {
    const t = tf.tf;
    for (const n of ns) {
      await attempt(rec, `tfjs-webgpu ${caseName(n)}`, async () => {
        const a = t.randomNormal([n, n]), b = t.randomNormal([n, n]);
        const tm = await timeAsync(async () => {
          const c = t.matMul(a, b);
          const last = t.slice(c, [n - 1, n - 1], [1, 1]);
          await last.data();
          last.dispose();
          c.dispose();
        });
        a.dispose();
        b.dispose();
        put(n, 'tfjs-webgpu', T, tm.seconds);
      });
    }
  }
  // Ratios tensile-webgpu / tfjs-webgpu (the report's "best peer" column is this one peer).
  const value = (system: string, n: number) => rec.rows.find((r) => r.system === system && r.case === caseName(n) && r.metric === 'throughput')?.value;
  for (const n of ns) {
    const a = value('tensile-webgpu', n), b = value('tfjs-webgpu', n);
    if (a !== undefined && b !== undefined) console.log(`  ${caseName(n).padEnd(12)} tensile-webgpu / tfjs-webgpu = ${(a / b).toFixed(2)}x`);
  }
  wg.destroyWebGPU();
}

/** @tensorflow/tfjs-backend-webgpu on the given GPU object (installed as navigator.gpu), or why not. */
async function loadTfjsWebgpu(gpu: GPU): Promise<{ tf: Tf | null; ok: boolean; note: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (nav.gpu !== gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  try {
    const tfName = '@tensorflow/tfjs', wgName = '@tensorflow/tfjs-backend-webgpu';
    const mod = (await import(tfName)) as Tf & { default?: Tf };
    const tf = typeof mod.matMul === 'function' ? mod : mod.default!;
    tf.enableProdMode();
    await import(wgName);
    if (!(await tf.setBackend('webgpu'))) return { tf: null, ok: false, note: "tfjs backend 'webgpu' failed to initialise" };
    await tf.ready();
    const ver = ((await import(`${wgName}/package.json`, { with: { type: 'json' } })) as { default: { version: string } }).default.version;
    return { tf, ok: true, note: `@tensorflow/tfjs-backend-webgpu ${ver} (tfjs ${tf.version.tfjs})` };
  } catch (e) {
    return { tf: null, ok: false, note: `@tensorflow/tfjs-backend-webgpu: ${errMessage(e)}` };
  }
}
