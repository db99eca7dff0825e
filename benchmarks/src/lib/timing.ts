/**
 * Timing shared by the suites (benchmarks/python/peers.py does the same in Python): one call,
 * then warm-up until `warmupMs` (at least 2 calls); each repeat runs enough iterations to last
 * `minRepMs`; the result is the median over repeats of the time per iteration. A first call
 * slower than `slowCallMs` switches to one warm-up call and 3 single-call repeats.
 */

export interface TimingOptions {
  warmupMs: number;
  minRepMs: number;
  reps: number;
  /** Fewer repeats (down to 3) when one case would otherwise take longer than this. */
  maxCaseMs: number;
  /** Warm-up calls after the first, at least (default 2). */
  minWarm?: number;
  /**
   * A first call slower than this (default 100 ms; the js device, tfjs-cpu, big GEMMs on slow
   * peers) gets one warm-up call and 3 single-call repeats instead.
   */
  slowCallMs?: number;
}

export const DEFAULT_TIMING: TimingOptions = { warmupMs: 100, minRepMs: 20, reps: 7, maxCaseMs: 4000 };
const SLOW: TimingOptions = { warmupMs: 0, minRepMs: 0, reps: 3, maxCaseMs: 0, minWarm: 1 };

export interface Timing {
  /** Median seconds per iteration. */
  seconds: number;
  iters: number;
  reps: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

function plan(perCall: number, o: TimingOptions): { iters: number; reps: number } {
  const iters = Math.max(1, Math.ceil(o.minRepMs / 1e3 / perCall));
  const fit = Math.floor(o.maxCaseMs / 1e3 / (perCall * iters));
  return { iters, reps: Math.max(3, Math.min(o.reps, fit)) };
}

/** Time a synchronous call (see the module doc). */
export function timeSync(fn: () => void, o: TimingOptions = DEFAULT_TIMING): Timing {
  let t = now();
  fn();
  const first = now() - t;
  if (first * 1e3 > (o.slowCallMs ?? 100)) o = SLOW;
  const start = now();
  let warm = 0;
  const minWarm = o.minWarm ?? 2;
  while (warm < minWarm || now() - start < o.warmupMs / 1e3) {
    fn();
    warm++;
  }
  const { iters, reps } = plan(Math.max((now() - start) / warm, 1e-9), o);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    t = now();
    for (let i = 0; i < iters; i++) fn();
    samples.push((now() - t) / iters);
  }
  return { seconds: median(samples), iters, reps };
}

/** Time an asynchronous call, awaiting each (see the module doc). */
export async function timeAsync(fn: () => Promise<unknown>, o: TimingOptions = DEFAULT_TIMING): Promise<Timing> {
  let t = now();
  await fn();
  const first = now() - t;
  if (first * 1e3 > (o.slowCallMs ?? 100)) o = SLOW;
  const start = now();
  let warm = 0;
  const minWarm = o.minWarm ?? 2;
  while (warm < minWarm || now() - start < o.warmupMs / 1e3) {
    await fn();
    warm++;
  }
  const { iters, reps } = plan(Math.max((now() - start) / warm, 1e-9), o);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    t = now();
    for (let i = 0; i < iters; i++) await fn();
    samples.push((now() - t) / iters);
  }
  return { seconds: median(samples), iters, reps };
}
