/**
 * The Python peers (numpy + its BLAS, PyTorch), driven through benchmarks/python/peers.py:
 * a JSON spec on stdin, JSON results on stdout.
 *
 * Which Python: $TENSILE_PYTHON if set; else the first of `python3`, `/usr/bin/python3` that
 * imports both numpy and torch (else the first that imports either). The environment of the
 * child has OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (this environment sets them and they
 * halve OpenBLAS's speed) and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS set to
 * the run's thread count; PyTorch also gets torch.set_num_threads.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PEERS_PY = fileURLToPath(new URL('../../python/peers.py', import.meta.url));
export const UNSET_FOR_PYTHON = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;
/** Set by the CLI for its children so they do not probe again. */
const RESOLVED_ENV = 'TENSILE_BENCH_PYTHON_RESOLVED';

export interface PythonInfo {
  /** The interpreter, or null when none imports numpy or torch. */
  python: string | null;
  versions: Record<string, unknown>;
  /** system ("numpy" | "torch") -> why it is missing. */
  missing: Record<string, string>;
}

export function pythonEnv(threads: number): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of UNSET_FOR_PYTHON) delete env[k];
  for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) env[k] = String(threads);
  return env;
}

/** A note saying what was unset (and what it had been), for the report. */
export function pythonEnvNote(): string {
  const was = UNSET_FOR_PYTHON.map((k) => `${k}=${process.env[k] ?? '(not set)'}`).join(', ');
  return `python peers run with ${UNSET_FOR_PYTHON.join(' and ')} unset (here: ${was}) and OPENBLAS/OMP/MKL_NUM_THREADS = threads`;
}

function probe(python: string): PythonInfo & { error?: string } {
  const r = spawnSync(python, [PEERS_PY, '--probe'], { env: pythonEnv(1), encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { python: null, versions: {}, missing: {}, error: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { python: null, versions: {}, missing: {}, error: `${python} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { versions: Record<string, unknown>; missing: Record<string, string> };
    return { python, versions: out.versions, missing: out.missing };
  } catch {
    return { python: null, versions: {}, missing: {}, error: `${python}: unreadable probe output` };
  }
}

/** Find the Python to use (see the module doc); the result is cached in the environment. */
export function resolvePython(): PythonInfo {
  const cached = process.env[RESOLVED_ENV];
  if (cached) return JSON.parse(cached) as PythonInfo;
  const explicit = process.env.TENSILE_PYTHON;
  const candidates = explicit ? [explicit] : ['python3', '/usr/bin/python3'];
  const errors: string[] = [];
  let partial: PythonInfo | undefined;
  let result: PythonInfo | undefined;
  for (const c of candidates) {
    const p = probe(c);
    if (!p.python) {
      errors.push(p.error!);
      continue;
    }
    const n = Object.keys(p.missing).length;
    if (n === 0) {
      result = p;
      break;
    }
    if (n < 2 && !partial) partial = p;
    errors.push(`${c}: ${Object.values(p.missing).join('; ')}`);
  }
  result ??= partial;
  if (!result) {
    const why = explicit ? `TENSILE_PYTHON=${explicit}: ${errors.join('; ')}` : `no python imports numpy or torch (${errors.join('; ')})`;
    result = { python: null, versions: {}, missing: { numpy: why, torch: why } };
  } else if (Object.keys(result.missing).length > 0 && errors.length > 0) {
    for (const k of Object.keys(result.missing)) result.missing[k] = `not importable by any of ${candidates.join(', ')} (${errors.join('; ')})`;
  }
  process.env[RESOLVED_ENV] = JSON.stringify(result);
  return result;
}

export interface PyCase {
  id: string;
  kind: string;
  [k: string]: unknown;
}

export interface PyResult {
  id: string;
  system: 'numpy' | 'torch';
  seconds: number;
  iters: number;
  reps: number;
  /** Process CPU seconds (all threads) per iteration, for cases that ask for it (`cpuTime: true`). */
  cpuSeconds?: number;
}

export interface PyRun {
  results: PyResult[];
  /** system -> reason, for systems that did not run at all. */
  missing: Record<string, string>;
  errors: { id: string; system: string; error: string }[];
  versions: Record<string, unknown>;
}

/** Run cases on the Python peers with `threads`; never throws (failures become `missing`). */
export function runPython(cases: PyCase[], threads: number, opts: { systems?: string[]; timing?: Record<string, number> } = {}): PyRun {
  const info = resolvePython();
  if (!info.python) return { results: [], missing: info.missing, errors: [], versions: {} };
  const spec = { threads, systems: opts.systems ?? ['numpy', 'torch'], ...(opts.timing ?? {}), cases };
  const r = spawnSync(info.python, [PEERS_PY, '-'], {
    input: JSON.stringify(spec),
    env: pythonEnv(threads),
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
  const fail = (why: string): PyRun => ({
    results: [],
    missing: Object.fromEntries(['numpy', 'torch'].map((s) => [s, info.missing[s] ?? why])),
    errors: [],
    versions: info.versions,
  });
  if (r.error) return fail(`${info.python} ${PEERS_PY}: ${r.error.message}`);
  if (r.status !== 0) return fail(`${info.python} ${PEERS_PY} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as PyRun;
    return { ...out, missing: { ...info.missing, ...out.missing } };
  } catch {
    return fail(`unreadable output from ${PEERS_PY}`);
  }
}

/**
 * A persistent Python peer (peers.py --serve): numpy and torch are imported once, and each
 * `run` sends one spec and waits for its results, so a suite can alternate with it case by case
 * (the load of a shared machine then hits both sides alike). Never rejects: failures come back
 * as `missing`, like runPython's.
 */
export interface PythonPeers {
  run(cases: PyCase[], opts?: { systems?: string[]; timing?: Record<string, number> }): Promise<PyRun>;
  close(): void;
}

export function startPythonPeers(threads: number): PythonPeers {
  const info = resolvePython();
  const missingAll = (why: string): PyRun => ({
    results: [],
    missing: Object.fromEntries(['numpy', 'torch'].map((s) => [s, info.missing[s] ?? why])),
    errors: [],
    versions: info.versions,
  });
  if (!info.python) {
    return { run: async () => ({ results: [], missing: info.missing, errors: [], versions: {} }), close: () => {} };
  }
  const child = spawn(info.python, [PEERS_PY, '--serve'], { env: pythonEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
  let dead: string | undefined;
  let stderr = '';
  const waiting: ((line: string | undefined) => void)[] = [];
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => waiting.shift()?.(line));
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const fail = (why: string) => {
    dead ??= why;
    for (const w of waiting.splice(0)) w(undefined);
  };
  child.on('error', (e) => fail(`${info.python} ${PEERS_PY}: ${e.message}`));
  child.on('exit', (code) => fail(`${info.python} ${PEERS_PY} exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
  child.stdin.on('error', () => {}); // reported through 'exit'
  return {
    run(cases, opts = {}) {
      if (dead) return Promise.resolve(missingAll(dead));
      const spec = { threads, systems: opts.systems ?? ['numpy', 'torch'], ...(opts.timing ?? {}), cases };
      return new Promise<PyRun>((resolve) => {
        waiting.push((line) => {
          if (line === undefined) return resolve(missingAll(dead ?? 'the python peer stopped'));
          try {
            const out = JSON.parse(line) as PyRun;
            resolve({ ...out, missing: { ...info.missing, ...out.missing } });
          } catch {
            resolve(missingAll(`unreadable output from ${PEERS_PY}`));
          }
        });
        child.stdin.write(JSON.stringify(spec) + '\n');
      });
    },
    close() {
      lines.close();
      child.stdin.end();
      child.kill();
    },
  };
}

/** "numpy 1.24.2 (OpenBLAS 0.3.21 ... Cooperlake, 1 thread)" and "torch 1.13.0", for notes. */
export function pythonVersions(v: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  if (v.python) out.python = `${String(v.python)} (${String(v.executable)})`;
  const blas = v.blas as { libraries?: string[]; openblas_config?: string; openblas_core?: string } | undefined;
  const blasText = blas?.openblas_config
    ? `${blas.openblas_config}${blas.openblas_core ? `, core ${blas.openblas_core}` : ''}`
    : blas?.libraries?.length
      ? `BLAS ${blas.libraries.join(', ')} (not OpenBLAS)`
      : 'BLAS unknown';
  if (v.numpy) out.numpy = `numpy ${String(v.numpy)} with ${blasText}`;
  if (v.torch) out.torch = `torch ${String(v.torch)}`;
  return out;
}

/** Whether numpy and torch ran in `py`, with their versions (and the BLAS) or the reason. */
export function pythonAvailability(py: PyRun, systems: readonly ('numpy' | 'torch')[] = ['numpy', 'torch']): [string, { ok: boolean; note: string }][] {
  const v = pythonVersions(py.versions);
  return systems.map((s) => [s, py.missing[s] ? { ok: false, note: py.missing[s]! } : { ok: true, note: v[s] ?? s }]);
}
