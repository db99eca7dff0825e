/**
 * Per-op overhead: `add` on 1-element tensors on the 'js' device, where the arithmetic is
 * nothing and the cost is dispatch, allocation, bookkeeping and (with grad) graph recording.
 *
 *   pnpm bench overhead [--json FILE] [--reps N] [--batch N]
 *
 * Cases, each timed in `reps` batches of `batch` ops inside one tidy() per batch (so freeing
 * is counted too); the row is the median ns/op over batches:
 *   - add (no grad):         a.add(b)
 *   - add (requiresGrad):    a.add(b) with a.requiresGrad, recording a graph node
 *   - add + backward:        a.add(b).backward(), accumulating into a.grad
 * Peers in the same run: the same loop on plain JS numbers (the floor), and TensorFlow.js on
 * its 'cpu' backend when `@tensorflow/tfjs` is installed (reported as missing otherwise).
 */
import { parseArgs } from 'node:util';
import { getDefaultDevice, memory, setDefaultDevice, tensor, tidy } from '@tensile/core';
import type { BenchRow, SuiteContext } from '../types';

const SUITE = 'overhead';
const THREADS = 1; // everything here runs on the JS main thread
const WARMUP_MS = 100;

interface Settings {
  reps: number;
  batch: number;
}

function settings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: { reps: { type: 'string' }, batch: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const int = (v: string | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`overhead: --${name} must be a positive integer, got ${v}`);
    return n;
  };
  return { reps: int(values.reps, 15, 'reps'), batch: int(values.batch, 2000, 'batch') };
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

function tensileCases(s: Settings): Map<string, number> {
  const out = new Map<string, number>();
  const prevDevice = getDefaultDevice();
  setDefaultDevice('js');
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

// ---- TensorFlow.js (cpu backend), when installed ----

/** The few tfjs calls used here (the package is optional and not a dependency). */
interface TfTensor {
  dispose(): void;
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  version?: { tfjs?: string };
  tensor1d(values: number[]): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  sum(a: TfTensor): TfTensor;
  tidy<T>(fn: () => T): T;
  grad(f: (x: TfTensor) => TfTensor): (x: TfTensor) => TfTensor;
}

async function loadTfjs(): Promise<{ tf: Tf | null; why: string }> {
  const name = '@tensorflow/tfjs';
  try {
    const mod = (await import(name)) as Tf & { default?: Tf };
    const tf = typeof mod.tensor1d === 'function' ? mod : mod.default!;
    if (!(await tf.setBackend('cpu'))) return { tf: null, why: "tfjs 'cpu' backend unavailable" };
    await tf.ready();
    return { tf, why: '' };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return { tf: null, why: `${name} is not installed` };
    return { tf: null, why: `${name} failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
}

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

// ---- report ----

function fmt(ns: number | undefined): string {
  if (ns === undefined) return '-';
  return ns >= 100 ? ns.toFixed(0) : ns.toPrecision(3);
}

export async function run(ctx: SuiteContext): Promise<BenchRow[]> {
  const s = settings(ctx.args);
  const live0 = memory().numTensors;
  const tensile = tensileCases(s);
  if (memory().numTensors !== live0) console.warn(`overhead: ${memory().numTensors - live0} tensors leaked by the benchmark loops`);
  const plain = jsNumberCases(s);
  const { tf, why } = await loadTfjs();
  const tfjs = tf ? await tfjsCases(tf, s) : new Map<string, number>();
  const tfName = 'tfjs-cpu';

  const rows: BenchRow[] = [];
  const row = (c: string, system: string, metric: string, value: number, unit: string) =>
    rows.push({ suite: SUITE, case: c, system, threads: THREADS, metric, value, unit });
  for (const [c, ns] of tensile) {
    row(c, 'tensile-js', 'median', ns, 'ns/op');
    const floor = plain.get(c)!;
    row(c, 'js-number', 'median', floor, 'ns/op');
    row(c, 'tensile-js', 'ratio vs js-number', ns / floor, 'x');
    const peer = tfjs.get(c);
    if (peer !== undefined) {
      row(c, tfName, 'median', peer, 'ns/op');
      row(c, 'tensile-js', `ratio vs ${tfName}`, ns / peer, 'x');
    }
  }
  // Availability of the optional peer is data too, so the dashboard can say it was missing.
  row('peer', tfName, 'available', tf ? 1 : 0, 'bool');

  console.log(`overhead: add on 1-element float32 tensors, device 'js', ${s.reps} batches of ${s.batch} ops, median ns/op`);
  console.log(`peer ${tfName}: ${tf ? `tfjs ${tf.version?.tfjs ?? ''} on backend '${tf.getBackend()}'` : `missing (${why})`}`);
  const header = ['case', 'tensile-js', 'js-number', 'x floor', tfName, `x ${tfName}`];
  const body = [...tensile].map(([c, ns]) => {
    const floor = plain.get(c)!, peer = tfjs.get(c);
    return [c, fmt(ns), fmt(floor), (ns / floor).toFixed(0), tf ? fmt(peer) : 'missing', peer ? (ns / peer).toFixed(2) : '-'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const r of body) console.log(line(r));
  console.log('');
  if (sink === 42) console.log(''); // keep the plain-number loops observable
  return rows;
}
