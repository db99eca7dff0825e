/**
 * Memory-bound ops on float32: elementwise add and mul of 1M elements, softmax over the last dim
 * of [1024, 1024], layerNorm of [4096, 1024] (with weight and bias), sum and max of 1M, and
 * copies; time per op and effective bandwidth (the bytes an ideal kernel must move: inputs
 * read once, output written once).
 *
 *   pnpm bench ops [--threads 1,2] [--json FILE]
 *
 * The machine's memory bandwidth is measured in the same run: a copy of 32M float32 (128 MiB,
 * past the caches) by a JS TypedArray.set, numpy and torch; the best is the bandwidth, and each
 * add/mul row gets "x bandwidth bound" = time / (bytes / bandwidth). A copy of 1M float32 (the
 * working set of `add 1M`) is shown too: 1M-element operands fit in a large L3.
 *
 * Systems: tensile-cpu, tensile-js (first run), onnxruntime (one-node models), tfjs-wasm and
 * tfjs-cpu (first run; layerNorm composed from tf.moments), numpy (softmax and layerNorm
 * composed), torch, js-typedarray (copies only; a reference, not a peer).
 */
import { amax, add, clone, layerNorm, mul, randn, setDefaultDevice, softmax, sum, type Tensor } from '@tensile/core';
import { forEachTfjsBackend, loadOrt, ortSession, type Tf } from '../lib/jspeers';
import type { OnnxNode } from '../lib/onnx';
import { pythonAvailability, runPython, type PyCase } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { tensileDevices } from '../lib/tensile';
import { timeAsync, timeSync } from '../lib/timing';
import type { BenchRow, SuiteContext, SuiteResult } from '../types';

const M = 1 << 20;
const BIG = 32 * M;

interface OpCase {
  id: string;
  kind: 'add' | 'mul' | 'softmax' | 'layernorm' | 'sum' | 'max' | 'copy';
  shape: number[];
  /** Bytes an ideal kernel moves. */
  bytes: number;
}

const CASES: OpCase[] = [
  { id: 'add 1M', kind: 'add', shape: [M], bytes: 3 * 4 * M },
  { id: 'mul 1M', kind: 'mul', shape: [M], bytes: 3 * 4 * M },
  { id: 'softmax [1024,1024]', kind: 'softmax', shape: [1024, 1024], bytes: 2 * 4 * M },
  { id: 'layerNorm [4096,1024]', kind: 'layernorm', shape: [4096, 1024], bytes: 2 * 4 * 4 * M },
  { id: 'sum 1M', kind: 'sum', shape: [M], bytes: 4 * M },
  { id: 'max 1M', kind: 'max', shape: [M], bytes: 4 * M },
  { id: 'copy 1M', kind: 'copy', shape: [M], bytes: 2 * 4 * M },
  { id: 'copy 32M', kind: 'copy', shape: [BIG], bytes: 2 * 4 * BIG },
];
const BANDWIDTH_CASE = 'copy 32M';
/** Too slow on the js device and tfjs-cpu (0.2-1.5 s a call) for the time budget. */
const JS_SKIP = new Set<OpCase['kind']>(['layernorm', 'softmax']);

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function tensileOp(c: OpCase): (() => () => void) | null {
  return () => {
    const x = randn(c.shape);
    const y = randn(c.shape);
    const last = c.shape[c.shape.length - 1]!;
    const w = randn([last]), b = randn([last]);
    const ops: Record<OpCase['kind'], () => Tensor> = {
      add: () => add(x, y),
      mul: () => mul(x, y),
      softmax: () => softmax(x, -1),
      layernorm: () => layerNorm(x, [last], w, b),
      sum: () => sum(x),
      max: () => amax(x),
      copy: () => clone(x),
    };
    const f = ops[c.kind];
    return () => f().dispose();
  };
}

function tfjsOp(tf: Tf, c: OpCase): { fn: () => void; free: () => void } | null {
  if (c.kind === 'copy') return null; // tf.clone shares the buffer: nothing to time
  const x = tf.randomNormal(c.shape), y = tf.randomNormal(c.shape);
  const last = c.shape[c.shape.length - 1]!;
  const w = tf.randomNormal([last]), b = tf.randomNormal([last]);
  const ops: Record<Exclude<OpCase['kind'], 'copy'>, () => { dispose(): void }> = {
    add: () => tf.add(x, y),
    mul: () => tf.mul(x, y),
    softmax: () => tf.softmax(x, -1),
    layernorm: () =>
      tf.tidy(() => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
      }),
    sum: () => tf.sum(x),
    max: () => tf.max(x),
  };
  const f = ops[c.kind];
  return { fn: () => f().dispose(), free: () => [x, y, w, b].forEach((t) => t.dispose()) };
}

function ortNode(c: OpCase): OnnxNode | null {
  const X = { name: 'X', shape: c.shape };
  const last = c.shape[c.shape.length - 1]!;
  switch (c.kind) {
    case 'add':
    case 'mul':
      return { op: c.kind === 'add' ? 'Add' : 'Mul', inputs: [X, { name: 'Y', shape: c.shape }], output: { name: 'Z', shape: c.shape } };
    case 'softmax':
      return { op: 'Softmax', inputs: [X], output: { name: 'Z', shape: c.shape }, attrs: { axis: -1 } };
    case 'layernorm':
      return { op: 'LayerNormalization', inputs: [X, { name: 'W', shape: [last] }, { name: 'B', shape: [last] }], output: { name: 'Z', shape: c.shape }, attrs: { axis: -1, epsilon: { float: 1e-5 } } };
    case 'sum':
    case 'max':
      return { op: c.kind === 'sum' ? 'ReduceSum' : 'ReduceMax', inputs: [X], output: { name: 'Z', shape: [] }, attrs: { keepdims: 0 } };
    default:
      return null; // Identity may alias its input in ORT: not a copy
  }
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  const put = (c: OpCase, system: string, threads: number, seconds: number) => {
    rec.add(c.id, system, threads, 'time', seconds * 1e6, 'µs');
    rec.add(c.id, system, threads, 'bandwidth', c.bytes / seconds / 1e9, 'GB/s');
    console.log(`  ${c.id.padEnd(22)} ${system.padEnd(13)} ${threads}t  ${(seconds * 1e6).toFixed(1).padStart(9)} µs  ${(c.bytes / seconds / 1e9).toFixed(1).padStart(6)} GB/s`);
  };
  const small = CASES.filter((c) => c.id !== BANDWIDTH_CASE);

  // Tensile (no 32M copy: that row measures the machine, not Tensile)
  const devices = await tensileDevices(ctx, rec);
  for (const [device, system, threads] of devices) {
    setDefaultDevice(device);
    for (const c of small.filter((x) => device !== 'js' || !JS_SKIP.has(x.kind))) {
      await attempt(rec, `${system} ${c.id}`, () => {
        const make = tensileOp(c)!;
        const fn = make();
        put(c, system, threads, timeSync(fn).seconds);
      });
    }
  }
  setDefaultDevice('js');

  // The plain JS floor for copies, and the bandwidth measurement.
  if (ctx.firstRun) {
    rec.available('js-typedarray', 1, { ok: true, note: `Float32Array.prototype.set (Node ${process.version})` });
    for (const c of CASES.filter((x) => x.kind === 'copy')) {
      const src = new Float32Array(numel(c.shape)).fill(1), dst = new Float32Array(numel(c.shape)).fill(0);
      put(c, 'js-typedarray', 1, timeSync(() => dst.set(src)).seconds);
    }
  }

  // ONNX Runtime
  const { ort, ...ortAvail } = await loadOrt();
  rec.available('onnxruntime', T, ortAvail);
  if (ort) {
    for (const c of small) {
      const node = ortNode(c);
      if (!node) continue;
      await attempt(rec, `onnxruntime ${c.id}`, async () => {
        const runOnce = await ortSession(ort, node, T);
        put(c, 'onnxruntime', T, (await timeAsync(runOnce)).seconds);
      });
    }
  }

  // TensorFlow.js (single-threaded in Node)
  await forEachTfjsBackend(ctx, rec, async (tf, system, backend) => {
    for (const c of small.filter((x) => backend !== 'cpu' || !JS_SKIP.has(x.kind))) {
      await attempt(rec, `${system} ${c.id}`, () => {
        const op = tfjsOp(tf, c);
        if (!op) return;
        put(c, system, 1, timeSync(op.fn).seconds);
        op.free();
      });
    }
  });

  // numpy, PyTorch
  const pyCases: PyCase[] = CASES.map((c) =>
    c.kind === 'softmax' || c.kind === 'layernorm' ? { id: c.id, kind: c.kind, shape: c.shape } : { id: c.id, kind: c.kind, numel: numel(c.shape) },
  );
  const py = runPython(pyCases, T);
  for (const [system, avail] of pythonAvailability(py)) rec.available(system, T, avail);
  for (const r of py.results) put(CASES.find((c) => c.id === r.id)!, r.system, T, r.seconds);
  for (const e of py.errors) rec.note(`${e.system} ${e.id} failed: ${e.error}`);
  if (ctx.firstRun) rec.note('tensile-js and tfjs-cpu skip softmax and layerNorm (0.2-1.5 s a call)');
  rec.note('onnxruntime times include its per-run cost (async run, about 0.1 ms here even for 1 element)');
  rec.note('numpy softmax and layerNorm are composed from numpy ops (numpy has neither); tfjs layerNorm is composed from tf.moments');
  return rec.result();
}

/**
 * The memory bandwidth (best 32M copy of the run) and each add/mul against it; also against the
 * best 1M copy, the same working set as `add 1M` (which fits in a 32 MiB L3).
 */
export function finalize(rows: BenchRow[]): { rows: BenchRow[]; notes: string[] } {
  const best = (id: string) => {
    const copies = rows.filter((r) => r.case === id && r.metric === 'bandwidth');
    return copies.length ? copies.reduce((a, b) => (b.value > a.value ? b : a)) : undefined;
  };
  const dram = best(BANDWIDTH_CASE), l3 = best('copy 1M');
  if (!dram) return { rows: [], notes: ['memory bandwidth: not measured (no 32M copy ran)'] };
  const out: BenchRow[] = [{ suite: 'ops', case: 'memory bandwidth', system: 'machine', threads: dram.threads, metric: 'memory bandwidth', value: dram.value, unit: 'GB/s', note: `${dram.system}: best copy of 32M float32 (128 MiB read + 128 MiB written) in this run` }];
  for (const r of rows) {
    if (r.metric !== 'time' || !(r.case === 'add 1M' || r.case === 'mul 1M')) continue;
    const c = CASES.find((x) => x.id === r.case)!;
    const bound = (ref: BenchRow, metric: string) =>
      out.push({ suite: 'ops', case: r.case, system: r.system, threads: r.threads, metric, value: r.value / 1e6 / (c.bytes / (ref.value * 1e9)), unit: 'x', note: `time / (${c.bytes} bytes at ${ref.value.toFixed(1)} GB/s, ${ref.case} by ${ref.system})` });
    bound(dram, 'x DRAM bandwidth bound');
    if (l3) bound(l3, 'x copy-1M bandwidth bound');
  }
  const list = (id: string) => rows.filter((r) => r.case === id && r.metric === 'bandwidth').map((r) => `${r.system} ${r.threads}t ${r.value.toFixed(1)}`).join(', ');
  return {
    rows: out,
    notes: [
      `memory bandwidth measured in this run: ${dram.value.toFixed(1)} GB/s (best copy of 32M float32, bytes read + written: ${list(BANDWIDTH_CASE)} GB/s)`,
      `"x DRAM bandwidth bound" = add/mul time / (12 MiB / ${dram.value.toFixed(1)} GB/s); the 12 MiB working set can sit in a large L3 cache, so < 1 is possible. "x copy-1M bandwidth bound" uses the best copy of 1M floats (${l3 ? `${l3.value.toFixed(1)} GB/s` : 'not measured'}) instead`,
    ],
  };
}
