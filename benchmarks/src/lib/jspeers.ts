/**
 * JavaScript peers loaded at run time: TensorFlow.js (backends 'wasm' and 'cpu') and ONNX
 * Runtime for Node. Both are devDependencies of benchmarks; a failure to load is reported.
 */
import type * as TF from '@tensorflow/tfjs';
import type * as ORT from 'onnxruntime-node';
import type { Availability } from './tensile';
import { onnxModel, type OnnxNode } from './onnx';

export type Tf = typeof TF;
export type Ort = typeof ORT;

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

function notFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

let tfPromise: Promise<{ tf: Tf | null; note: string; wasm: string }> | undefined;

/** Run `fn` with tfjs's greeting to Node users (advice to install tfjs-node) filtered out. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log, warn = console.warn;
  const quiet = (orig: typeof console.log) => (...a: unknown[]) => {
    if (!String(a[0] ?? '').includes('tfjs-node')) orig(...a);
  };
  console.log = quiet(log);
  console.warn = quiet(warn);
  try {
    return await fn();
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

async function importTf(): Promise<{ tf: Tf | null; note: string; wasm: string }> {
  try {
    const name = '@tensorflow/tfjs';
    const mod = (await import(name)) as Tf & { default?: Tf };
    const tf = typeof mod.matMul === 'function' ? mod : mod.default!;
    // Production mode: no debug checks, and no greeting from the cpu backend on first use.
    tf.enableProdMode();
    let wasm = '';
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (err) {
      wasm = notFound(err) ? '@tensorflow/tfjs-backend-wasm is not installed' : `@tensorflow/tfjs-backend-wasm failed to load: ${message(err)}`;
    }
    return { tf, note: `@tensorflow/tfjs ${tf.version.tfjs}`, wasm };
  } catch (err) {
    return { tf: null, note: notFound(err) ? '@tensorflow/tfjs is not installed' : `@tensorflow/tfjs failed to load: ${message(err)}`, wasm: '' };
  }
}

/**
 * TensorFlow.js switched to `backend` ('wasm' or 'cpu'), or the reason it is unavailable.
 * The wasm backend is single-threaded in Node (no cross-origin-isolated SharedArrayBuffer
 * workers), so its rows carry threads = 1.
 */
export async function loadTfjs(backend: 'wasm' | 'cpu'): Promise<{ tf: Tf | null } & Availability> {
  tfPromise ??= quietly(importTf);
  const { tf, note, wasm } = await tfPromise;
  if (!tf) return { tf: null, ok: false, note };
  if (backend === 'wasm' && wasm) return { tf: null, ok: false, note: wasm };
  try {
    if (!(await quietly(() => tf.setBackend(backend)))) return { tf: null, ok: false, note: `tfjs backend '${backend}' failed to initialise` };
    await quietly(() => tf.ready());
  } catch (err) {
    return { tf: null, ok: false, note: `tfjs backend '${backend}': ${message(err)}` };
  }
  return { tf, ok: true, note: `${note} backend ${tf.getBackend()}` };
}

let ortPromise: Promise<{ ort: Ort | null } & Availability> | undefined;

/** onnxruntime-node, or the reason it is unavailable. */
/**
 * Run `body` once per TensorFlow.js backend (wasm, cpu) that loads, recording each one's
 * availability. tfjs is single-threaded in Node, so it is measured in the first run only.
 */
export async function forEachTfjsBackend(
  ctx: { firstRun: boolean },
  rec: { available(system: string, threads: number, a: Availability): void },
  body: (tf: Tf, system: string, backend: 'wasm' | 'cpu') => Promise<void>,
): Promise<void> {
  if (!ctx.firstRun) return;
  for (const backend of ['wasm', 'cpu'] as const) {
    const system = `tfjs-${backend}`;
    const { tf, ...avail } = await loadTfjs(backend);
    rec.available(system, 1, avail);
    if (tf) await body(tf, system, backend);
  }
}

export function loadOrt(): Promise<{ ort: Ort | null } & Availability> {
  ortPromise ??= (async () => {
    const name = 'onnxruntime-node';
    try {
      const mod = (await import(name)) as Ort & { default?: Ort };
      const ort = typeof mod.InferenceSession === 'function' ? mod : mod.default!;
      return { ort, ok: true, note: `onnxruntime-node ${ort.env.versions?.node ?? ''}`.trim() };
    } catch (err) {
      return { ort: null, ok: false, note: notFound(err) ? `${name} is not installed` : `${name} failed to load: ${message(err)}` };
    }
  })();
  return ortPromise;
}

/** One float32 input of an ORT run: its data is random-normal-ish, deterministic. */
export function randomFloats(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 3.4;
  }
  return out;
}

/**
 * An ONNX Runtime session for a one-node model, with its inputs made and (where the binding
 * allows it) the output pre-allocated, so a run is one call: `await run()`.
 */
export async function ortSession(ort: Ort, node: OnnxNode, threads: number): Promise<() => Promise<unknown>> {
  const session = await ort.InferenceSession.create(onnxModel(node), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds: Record<string, ORT.Tensor> = {};
  node.inputs.forEach((inp, i) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    feeds[inp.name] = new ort.Tensor('float32', randomFloats(n, i + 1), inp.shape);
  });
  const outN = node.output.shape.reduce((a, b) => a * b, 1);
  const fetches = { [node.output.name]: new ort.Tensor('float32', new Float32Array(outN), node.output.shape) };
  try {
    await session.run(feeds, fetches);
    return () => session.run(feeds, fetches);
  } catch {
    return () => session.run(feeds);
  }
}
