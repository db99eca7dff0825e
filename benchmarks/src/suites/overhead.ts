/**
 * Per-op overhead: `add` on 1-element float32 tensors, where the arithmetic is nothing and the
 * cost is dispatch, allocation, bookkeeping and (with grad) graph recording.
 *
 *   pnpm bench overhead [--threads 1,2] [--json FILE] [--reps N] [--batch N] [--rounds 5]
 *
 * Cases, each timed in `reps` batches of `batch` ops inside one tidy() per batch (so freeing
 * is counted too); the row is the median ns/op over batches:
 *   - add (no grad):         a.add(b)
 *   - add (requiresGrad):    a.add(b) with a.requiresGrad, recording a graph node
 *   - add + backward:        a.add(b).backward(), accumulating into a.grad
 * Systems: tensile-cpu (@tensile/cpu, every run), tensile-js (the 'js' device, first run);
 * peers in the same run: PyTorch's eager torch.add on 1-element tensors (same three cases),
 * numpy's np.add on 1-element arrays (no grad only), TensorFlow.js on its 'cpu' backend (first
 * run); and the same loop on plain JS numbers (js-number: the floor, a reference, not a peer).
 * Tensile and the Python peers (one persistent process) alternate for --rounds rounds, the order
 * turning each round, and each row is the median over rounds: a tiny op's cost follows the VM's
 * speed, which drifts by 10 % or more over seconds.
 */
import { parseArgs } from 'node:util';
import { getDefaultDevice, memory, setDefaultDevice, tensor, tidy } from '@tensile/core';
import { loadTfjs } from '../lib/jspeers';
import { pythonAvailability, startPythonPeers } from '../lib/python';
import { attempt, Recorder } from '../lib/recorder';
import { tensileDevices } from '../lib/tensile';
import type { SuiteContext, SuiteResult } from '../types';

const WARMUP_MS = 100;
const CASES = ['add (no grad)', 'add (requiresGrad)', 'add + backward'] as const;

interface Settings {
  reps: number;
  batch: number;
  rounds: number;
}

function settings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: { reps: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const int = (v: string | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`overhead: --${name} must be a positive integer, got ${v}`);
    return n;
  };
  return { reps: int(values.reps, 15, 'reps'), batch: int(values.batch, 2000, 'batch'), rounds: int(values.rounds, 5, 'rounds') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median ns per op over `reps` timed calls of `runBatch` (each runs `batch` ops), after warm-up. */
function measure(runBatch: () => void, { reps, batch }: Settings): number {
  // Warm up until the JIT has settled: at least 3 batches and WARMUP_MS.
  const until = performance.now() + WARMUP_MS;
  for (let i = 0; i < 3 || performance.now() < until; i++) runBatch();
  const perOp: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    runBatch();
    perOp.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return median(perOp);
}

async function measureAsync(runBatch: () => void | Promise<void>, { reps, batch }: Settings): Promise<number> {
  const until = performance.now() + WARMUP_MS;
  for (let i = 0; i < 3 || performance.now() < until; i++) await runBatch();
  const perOp: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    await runBatch();
    perOp.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return median(perOp);
}

// ---- Tensile ----

function tensileCases(device: string, s: Settings): Map<string, number> {
  const out = new Map<string, number>();
  const prevDevice = getDefaultDevice();
  setDefaultDevice(device);
  try {
    const f32 = { dtype: 'float32' } as const;
    const b = tensor([2], f32);
    const a = tensor([1], f32);
    out.set('add (no grad)', measure(() => tidy(() => {
      for (let i = 0; i < s.batch; i++) a.add(b);
    }), s));

    const ag = tensor([1], { ...f32, requiresGrad: true });
    out.set('add (requiresGrad)', measure(() => tidy(() => {
      for (let i = 0; i < s.batch; i++) ag.add(b);
    }), s));

    out.set('add + backward', measure(() => tidy(() => {
      for (let i = 0; i < s.batch; i++) ag.add(b).backward();
    }), s));
    ag.grad?.dispose();
    ag.grad = null;
    for (const t of [a, ag, b]) t.dispose();
  } finally {
    setDefaultDevice(prevDevice);
  }
  return out;
}

// ---- plain JS numbers: the same loops with nothing but the arithmetic ----

let sink = 0;

function jsNumberCases(s: Settings): Map<string, number> {
  const out = new Map<string, number>();
  const a = 1 + Math.random() * 1e-9, b = 2;
  const forward = () => {
    let acc = 0;
    for (let i = 0; i < s.batch; i++) acc += a + b;
    sink += acc;
  };
  // Numbers have no grad mode: both forward cases run the same loop, measured separately.
  out.set('add (no grad)', measure(forward, s));
  out.set('add (requiresGrad)', measure(forward, s));
  // forward plus the gradient of (a + b) with respect to a, accumulated: da += 1
  out.set('add + backward', measure(() => {
    let acc = 0, da = 0;
    for (let i = 0; i < s.batch; i++) {
      acc += a + b;
      da += 1;
    }
    sink += acc + da;
  }, s));
  return out;
}

// ---- TensorFlow.js (cpu backend) ----

type Tf = NonNullable<Awaited<ReturnType<typeof loadTfjs>>['tf']>;

async function tfjsCases(tf: Tf, s: Settings): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const a = tf.tensor1d([1]), b = tf.tensor1d([2]);
  out.set('add (no grad)', await measureAsync(() => tf.tidy(() => {
    for (let i = 0; i < s.batch; i++) tf.add(a, b);
  }), s));
  // tfjs records gradients only inside tf.grad: forward + backward of sum(a + b) w.r.t. a
  const g = tf.grad((x) => tf.sum(tf.add(x, b)));
  out.set('add + backward', await measureAsync(() => tf.tidy(() => {
    for (let i = 0; i < s.batch; i++) g(a);
  }), s));
  a.dispose();
  b.dispose();
  return out;
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const s = settings(ctx.args);
  const rec = new Recorder(ctx);
  const T = ctx.threads;
  const put = (c: string, system: string, threads: number, ns: number) => {
    rec.add(c, system, threads, 'median', ns, 'ns/op');
    console.log(`  ${c.padEnd(19)} ${system.padEnd(12)} ${threads}t  ${ns.toFixed(0).padStart(7)} ns/op`);
  };

  // Tensile and the Python peers alternate, round after round (see the module doc).
  const samples = new Map<string, { c: string; system: string; threads: number; ns: number[] }>();
  const sample = (c: string, system: string, threads: number, ns: number) => {
    const key = `${c}|${system}|${threads}`;
    if (!samples.has(key)) samples.set(key, { c, system, threads, ns: [] });
    samples.get(key)!.ns.push(ns);
  };
  const devices = await tensileDevices(ctx, rec);
  const grads = { 'add (no grad)': 'none', 'add (requiresGrad)': 'requires', 'add + backward': 'backward' } as const;
  const pyCases = CASES.map((c) => ({ id: c, kind: 'tinyadd', grad: grads[c] }));
  const peers = startPythonPeers(T);
  let peersChecked = false;
  let peersUp = true;
  try {
    for (let round = 0; round < s.rounds; round++) {
      const tensile = async () => {
        for (const [device, system, threads] of devices) {
          await attempt(rec, `${system} overhead`, () => {
            const live0 = memory().numTensors;
            const res = tensileCases(device, s);
            if (memory().numTensors !== live0) rec.note(`${system}: ${memory().numTensors - live0} tensors leaked by the benchmark loops`);
            for (const [c, ns] of res) sample(c, system, threads, ns);
          });
        }
      };
      const python = async () => {
        if (!peersUp) return;
        const systems = round % 2 === 0 ? ['torch', 'numpy'] : ['numpy', 'torch'];
        const py = await peers.run(pyCases, { systems, timing: { minRepMs: 20, reps: s.reps } });
        if (!peersChecked) {
          peersChecked = true;
          for (const [system, avail] of pythonAvailability(py)) rec.available(system, T, avail);
          peersUp = Object.keys(py.missing).length < 2;
        }
        for (const r of py.results) sample(r.id, r.system, T, r.seconds * 1e9);
        for (const e of py.errors) rec.note(`round ${round + 1}: ${e.system} ${e.id} failed: ${e.error}`);
      };
      for (const measureSide of round % 2 === 0 ? [tensile, python] : [python, tensile]) await measureSide();
      const noGrad = [...samples.values()].filter((x) => x.c === 'add (no grad)').map((x) => `${x.system} ${x.ns.at(-1)!.toFixed(0)}`);
      console.log(`  round ${round + 1}/${s.rounds} add (no grad) ns/op: ${noGrad.join(', ')}`);
    }
  } finally {
    peers.close();
  }
  for (const x of samples.values()) {
    const ns = median(x.ns);
    rec.add(x.c, x.system, x.threads, 'median', ns, 'ns/op', x.ns.length > 1 ? `median of ${x.ns.length} rounds: ${x.ns.map((v) => v.toFixed(0)).join(', ')} ns/op` : undefined);
    console.log(`  ${x.c.padEnd(19)} ${x.system.padEnd(12)} ${x.threads}t  ${ns.toFixed(0).padStart(7)} ns/op (median of ${x.ns.length})`);
  }

  if (ctx.firstRun) {
    rec.available('js-number', 1, { ok: true, note: 'the same loops on plain JS numbers (the floor)' });
    for (const [c, ns] of jsNumberCases(s)) put(c, 'js-number', 1, ns);
    const { tf, ...avail } = await loadTfjs('cpu');
    rec.available('tfjs-cpu', 1, avail);
    if (tf) await attempt(rec, 'tfjs-cpu overhead', async () => {
      for (const [c, ns] of await tfjsCases(tf, s)) put(c, 'tfjs-cpu', 1, ns);
    });
  }

  rec.note(`overhead: 1-element float32 tensors; Tensile and tfjs in ${s.reps} batches of ${s.batch} ops (one tidy per batch), python peers in a Python loop (interpreter cost included, as the JS loop's is); median ns/op; Tensile and the python peers (one persistent process) alternate for ${s.rounds} rounds, the order turning each round, and each row is the median over rounds (the rounds are in the JSON notes)`);
  if (sink === 42) console.log(''); // keep the plain-number loops observable
  return rec.result();
}
