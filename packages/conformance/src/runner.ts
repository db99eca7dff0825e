/**
 * runConformance(device): one vitest test per fixture case, checking forward values, in-place
 * updates, gradients, non-contiguous inputs and leaks. Every read is `await t.data()`, so the
 * suite runs on devices without synchronous reads; there, ops whose output shape depends on
 * values (bool-mask indexing, one_hot without num_classes) run through their async variants
 * (indexAsync, oneHotAsync), as a user of such a device would call them.
 */
import { backward, getBackend, memory, ready, Tensor, tidy } from '@tensile/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { adapterFor, ASYNC_READ_ADAPTERS, NotImplementedInCore } from './adapters.js';
import { compareTensor } from './compare.js';
import { applyLayout, decodeTensor, decodeValue, parseLayout, type DecodeOptions } from './decode.js';
import { isTensorJSON, loadOpFixtures, type OpCase, type OpFamily, type TensorJSON } from './fixtures.js';

/** A skip rule: every given field must match (case and op may be exact names or RegExps). */
export interface SkipSpec {
  family?: string;
  op?: string | RegExp;
  case?: string | RegExp;
  /** Matches cases where any input, kwarg or output tensor has this fixture dtype. */
  dtype?: string;
  reason: string;
}

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'missing';

/** One row of the op x device coverage matrix (plain data, for the dashboard). */
export interface CoverageEntry {
  suite: 'ops' | 'gradcheck';
  device: string;
  family: string;
  op: string;
  case: string;
  status: CaseStatus;
  /** Why a case was skipped or failed (first line of the failure). */
  reason?: string;
}

export interface ConformanceOptions {
  skip?: SkipSpec[];
  /** Fixtures root (default: TENSILE_FIXTURES, else the package's fixtures folder). */
  fixturesDir?: string;
  /** Families to run (default: all). */
  families?: string[];
  /** Check that live tensors/bytes return to their level after each case (default true). */
  leakCheck?: boolean;
}

const entries = new Map<string, CoverageEntry>();

/** Record a coverage row (replacing an earlier row for the same suite/device/family/case). */
export function recordCoverage(e: CoverageEntry): void {
  entries.set(`${e.suite}\u0000${e.device}\u0000${e.family}\u0000${e.case}`, e);
}

/** Every recorded row: registered skips at collection time, pass/fail/missing as tests finish. */
export function coverage(): CoverageEntry[] {
  return [...entries.values()].map((e) => ({ ...e }));
}

/** The skipped cases with their reasons. */
export function skippedCases(): CoverageEntry[] {
  return coverage().filter((e) => e.status === 'skip');
}

/** Op x device x status counts, e.g. { 'torch.add': { js: { pass: 7 } } }. */
export function coverageMatrix(suite: CoverageEntry['suite'] = 'ops'): Record<string, Record<string, Partial<Record<CaseStatus, number>>>> {
  const m: Record<string, Record<string, Partial<Record<CaseStatus, number>>>> = {};
  for (const e of entries.values()) {
    if (e.suite !== suite) continue;
    const row = (m[e.op] ??= {});
    const cell = (row[e.device] ??= {});
    cell[e.status] = (cell[e.status] ?? 0) + 1;
  }
  return m;
}

/**
 * Write this process's coverage rows for `device` and `suite` to
 * `$TENSILE_COVERAGE_DIR/<suite>-<device>.json` when that variable is set (for the dashboard).
 */
export function writeCoverageFile(device: string, suite: CoverageEntry['suite']): string | undefined {
  const dir = typeof process !== 'undefined' ? process.env.TENSILE_COVERAGE_DIR : undefined;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}-${device}.json`);
  const rows = coverage().filter((e) => e.device === device && e.suite === suite);
  writeFileSync(file, JSON.stringify({ device, suite, entries: rows }, null, 1));
  return file;
}

function matches(pattern: string | RegExp | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

/** Fixture dtypes of every tensor a case mentions (args, kwargs, outputs). */
export function caseDtypes(c: OpCase): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (isTensorJSON(v)) out.add(v.dtype);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(c.args);
  walk(c.kwargs);
  walk(c.output);
  return out;
}

/** The first skip rule that applies to a case, if any. */
export function findSkip(skips: readonly SkipSpec[] | undefined, family: string, c: OpCase): SkipSpec | undefined {
  return skips?.find(
    (s) => matches(s.family, family) && matches(s.op, c.op) && matches(s.case, c.name) && (s.dtype === undefined || caseDtypes(c).has(s.dtype)),
  );
}

/** Whether `device` reads synchronously (capabilities.syncRead of its backend). */
export function syncReads(device: string): boolean {
  try {
    return getBackend(device).capabilities.syncRead;
  } catch {
    return true; // not registered yet: the cases run (and say so when they fail)
  }
}

// ---- running one case ----

/** Arguments of a case decoded into core tensors, with the leaves whose gradients are checked. */
export interface PreparedCase {
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Per arg: the leaf (or leaves, for a list arg) created with requiresGrad, else null. */
  leaves: (Tensor | (Tensor | null)[] | null)[];
  /** Every tensor created for the case (disposed by the caller). */
  owned: Tensor[];
}

/** Decode a case's args/kwargs on a device; leaves get requiresGrad where `grads` expects one. */
export function prepareCase(c: OpCase, opts: DecodeOptions & { withGrad?: boolean }): PreparedCase {
  const owned: Tensor[] = [];
  const leaves: PreparedCase['leaves'] = [];
  const withGrad = opts.withGrad ?? true;
  const dec = (t: TensorJSON, grad: boolean): Tensor => {
    const x = decodeTensor(t, { device: opts.device, floatDtype: opts.floatDtype, requiresGrad: grad && t.dtype === 'float32' });
    owned.push(x);
    return x;
  };
  try {
    const args = c.args.map((a, i) => {
      const g = withGrad ? c.grads?.[i] ?? null : null;
      if (isTensorJSON(a)) {
        const x = dec(a, g !== null);
        leaves.push(x.requiresGrad ? x : null);
        return x;
      }
      if (Array.isArray(a) && a.length > 0 && a.every(isTensorJSON)) {
        const gl = Array.isArray(g) ? g : [];
        const xs = a.map((t, j) => dec(t, gl[j] != null));
        leaves.push(xs.some((x) => x.requiresGrad) ? xs.map((x) => (x.requiresGrad ? x : null)) : null);
        return xs;
      }
      leaves.push(null);
      return decodeValue(a, opts, owned);
    });
    const kwargs = decodeValue(c.kwargs, opts, owned) as Record<string, unknown>;
    return { args, kwargs, leaves, owned };
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }
}

/** Run the op on prepared args (input_layout applied inside), in a tidy scope, with the synchronous adapter. */
export function invokeCase(c: OpCase, p: PreparedCase, args: unknown[] = p.args): unknown {
  const adapter = adapterFor(c.op);
  const layout = c.input_layout ? parseLayout(c.input_layout.transform) : null;
  return tidy(() => {
    const a = [...args];
    if (layout) a[c.input_layout!.arg] = applyLayout(a[c.input_layout!.arg] as Tensor, layout);
    return adapter(a, p.kwargs);
  });
}

/**
 * Run the op on prepared args as a user of `device` would. On a device without synchronous
 * reads, an op with an async variant (ASYNC_READ_ADAPTERS: bool-mask indexing, one_hot) runs
 * through it and is awaited; a tidy scope cannot span an await, so it runs outside one (the
 * input_layout views are disposed after; anything else the op leaves behind fails the leak
 * check). Every other op runs as in invokeCase.
 */
export async function invokeCaseAsync(c: OpCase, p: PreparedCase, device: string, args: unknown[] = p.args): Promise<unknown> {
  if (syncReads(device) || !(c.op in ASYNC_READ_ADAPTERS)) return invokeCase(c, p, args);
  const adapter = adapterFor(c.op, { syncRead: false });
  const a = [...args];
  let view: Tensor | null = null;
  if (c.input_layout) {
    const layout = parseLayout(c.input_layout.transform);
    const k = c.input_layout.arg;
    view = tidy(() => applyLayout(a[k] as Tensor, layout));
    a[k] = view;
  }
  let result: unknown;
  try {
    result = await adapter(a, p.kwargs);
    return result;
  } finally {
    if (view && !outputsOf(result).outputs.includes(view)) view.dispose();
  }
}

/** Flatten an op result to its output tensors (a tensor, or a list/tuple of tensors). */
export function outputsOf(result: unknown): { list: boolean; outputs: unknown[] } {
  if (result instanceof Tensor) return { list: false, outputs: [result] };
  if (Array.isArray(result)) return { list: true, outputs: result };
  if (result && typeof result === 'object' && 'values' in result && 'indices' in result) {
    const r = result as { values: unknown; indices: unknown };
    return { list: true, outputs: [r.values, r.indices] };
  }
  return { list: false, outputs: [result] };
}

export interface CaseResult {
  ok: boolean;
  status: Exclude<CaseStatus, 'skip'>;
  failures: string[];
  /** All failures, one per line, prefixed with the case. */
  message: string;
}

function memStats(device: string): { tensors: number; bytes: number } {
  const d = memory().devices[device];
  return { tensors: d?.tensors ?? 0, bytes: d?.bytes ?? 0 };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Run one case on a device and check everything it specifies. Never throws for a failing op:
 * the failures are returned (status 'missing' when core lacks the function).
 */
export async function runOpCase(family: string, c: OpCase, device: string, opts: { leakCheck?: boolean } = {}): Promise<CaseResult> {
  const failures: string[] = [];
  let missing = false;
  const before = memStats(device);
  const toDispose: Tensor[] = [];
  let leakMeaningful = true;
  let p: PreparedCase | null = null;
  try {
    p = prepareCase(c, { device });
    let result: unknown;
    try {
      result = await invokeCaseAsync(c, p, device);
    } catch (e) {
      if (e instanceof NotImplementedInCore) missing = true;
      failures.push(`forward threw: ${errorText(e)}`);
      leakMeaningful = false;
      return finish();
    }
    const { list, outputs } = outputsOf(result);
    for (const o of outputs) if (o instanceof Tensor) toDispose.push(o);
    const expected = Array.isArray(c.output) ? c.output : [c.output];
    const expectList = Array.isArray(c.output);
    const tol = { rtol: c.rtol, atol: c.atol };

    // forward values
    if (expectList !== list || outputs.length !== expected.length) {
      failures.push(`output: expected ${expectList ? `a list of ${expected.length} tensors` : 'one tensor'}, got ${list ? `a list of ${outputs.length}` : 'one value'}`);
    } else {
      for (let k = 0; k < expected.length; k++) {
        const e = expected[k];
        if (!e) continue;
        const msg = await compareTensor(outputs[k] as Tensor, e, tol, expectList ? `output ${k}` : 'output');
        if (msg) failures.push(msg);
      }
    }

    // in-place updates of arguments
    for (const [k, e] of Object.entries(c.mutated_args ?? {})) {
      const msg = await compareTensor(p.args[Number(k)] as Tensor, e, tol, `mutated args[${k}]`);
      if (msg) failures.push(msg);
    }

    // inputs not listed in mutated_args must be left as they were
    for (let i = 0; i < c.args.length; i++) {
      if (c.mutated_args && String(i) in c.mutated_args) continue;
      const a = c.args[i];
      const pairs: [unknown, TensorJSON, string][] = isTensorJSON(a)
        ? [[p.args[i], a, `args[${i}]`]]
        : Array.isArray(a) && a.every(isTensorJSON)
          ? a.map((t, j) => [(p!.args[i] as unknown[])[j], t, `args[${i}][${j}]`] as [unknown, TensorJSON, string])
          : [];
      for (const [t, e, what] of pairs) {
        const msg = await compareTensor(t as Tensor, e, { rtol: 0, atol: 0 }, `${what} (not a mutated arg)`);
        if (msg) failures.push(`${msg}: the op modified an input in place`);
      }
    }

    // gradients
    if (c.grads && c.grad_output) {
      const gos = Array.isArray(c.grad_output) ? c.grad_output : [c.grad_output];
      const roots: Tensor[] = [];
      const rootGrads: Tensor[] = [];
      gos.forEach((g, k) => {
        const o = outputs[k];
        if (!g || !(o instanceof Tensor) || !o.requiresGrad) return;
        const gt = decodeTensor(g, { device });
        toDispose.push(gt);
        roots.push(o);
        rootGrads.push(gt);
      });
      let backwardOk = true;
      if (roots.length) {
        try {
          backward(roots, rootGrads);
        } catch (e) {
          backwardOk = false;
          leakMeaningful = false;
          failures.push(`backward threw: ${errorText(e)}`);
        }
      }
      if (backwardOk) {
        for (let i = 0; i < c.grads.length; i++) {
          const eg = c.grads[i];
          if (!eg) continue;
          const leaf = p.leaves[i];
          const pairs: [Tensor | null, TensorJSON, string][] = Array.isArray(eg)
            ? eg.map((e, j) => [Array.isArray(leaf) ? leaf[j] ?? null : null, e, `grad of args[${i}][${j}]`] as [Tensor | null, TensorJSON, string])
            : [[leaf instanceof Tensor ? leaf : null, eg, `grad of args[${i}]`]];
          for (const [t, e, what] of pairs) {
            if (!t) {
              failures.push(`${what}: the argument is not a float tensor that can require grad`);
              continue;
            }
            if (!t.grad) {
              if (e.data.every((v) => v === 0)) continue; // PyTorch's None gradient for an unused input is zero here
              failures.push(`${what}: no gradient reached the input${roots.length ? '' : ' (no output requires grad)'}`);
              continue;
            }
            const msg = await compareTensor(t.grad, e, tol, what);
            if (msg) failures.push(msg);
          }
        }
      }
    }
  } catch (e) {
    failures.push(`case threw: ${errorText(e)}`);
    leakMeaningful = false;
  }
  return finish();

  function finish(): CaseResult {
    if (p) {
      for (const l of p.leaves.flat()) {
        if (l?.grad) {
          l.grad.dispose();
          l.grad = null;
        }
      }
      for (const t of p.owned) t.dispose();
    }
    for (const t of toDispose) t.dispose();
    if ((opts.leakCheck ?? true) && leakMeaningful) {
      const after = memStats(device);
      const dt = after.tensors - before.tensors, db = after.bytes - before.bytes;
      if (dt > 0 || db > 0) failures.push(`leak: ${dt} tensors and ${db} bytes on '${device}' still live after the case's tensors were disposed`);
    }
    const status = failures.length === 0 ? 'pass' : missing ? 'missing' : 'fail';
    return {
      ok: failures.length === 0,
      status,
      failures,
      message: failures.length ? `${family}/${c.name} (${c.op}):\n  ${failures.join('\n  ')}` : '',
    };
  }
}

/**
 * Register the conformance suite for `device` with vitest: describe(`conformance (<device>)`) >
 * describe(<family>) > it(<case name>), one test per fixture case. Skips are data: a case that
 * matches `opts.skip` is registered with it.skip and recorded with its reason (see coverage()).
 * On a device without synchronous reads, every case still runs: ops whose output shape depends
 * on values go through their async variants (see invokeCaseAsync).
 */
export function runConformance(device: string, opts: ConformanceOptions = {}): void {
  const families: OpFamily[] = loadOpFixtures(opts.fixturesDir).filter((f) => !opts.families || opts.families.includes(f.family));
  describe(`conformance (${device})`, () => {
    beforeAll(() => ready(device));
    afterAll(() => void writeCoverageFile(device, 'ops'));
    for (const fam of families) {
      describe(fam.family, () => {
        for (const c of fam.cases) {
          const base = { suite: 'ops' as const, device, family: fam.family, op: c.op, case: c.name };
          const reason = findSkip(opts.skip, fam.family, c)?.reason;
          if (reason) {
            recordCoverage({ ...base, status: 'skip', reason });
            it.skip(c.name, () => {});
            continue;
          }
          it(c.name, async () => {
            const r = await runOpCase(fam.family, c, device, { leakCheck: opts.leakCheck });
            recordCoverage({ ...base, status: r.status, reason: r.failures[0] });
            if (!r.ok) throw new Error(r.message);
          });
        }
      });
    }
  });
}
