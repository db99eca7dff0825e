/**
 * Benchmark runner: `tsx src/cli.ts <suite> [--json FILE] [--threads 1,2] [suite args...]`.
 *
 * Loads src/suites/<suite>.ts and runs it once per thread count of `--threads` (default: all
 * cores), each time in a child process of this CLI whose environment sets the thread count
 * before anything loads: TENSILE_NUM_THREADS (read by @tensile/cpu when the addon loads),
 * OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS (peers also get
 * torch.set_num_threads and ONNX Runtime's intraOpNumThreads from the suite). It then prints a
 * table per metric with the ratio Tensile / best peer and, with `--json FILE`, writes
 * `{ suite, date, threads, machine, versions, notes, rows, ratios }`. A relative FILE is taken
 * from the directory `pnpm` was started in (INIT_CWD), so `pnpm bench gemm --json out.json` at
 * the root writes ./out.json there.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport, ratios } from './lib/report';
import { pythonEnvNote, pythonVersions, resolvePython } from './lib/python';
import type { BenchRow, SuiteContext, SuiteModule, SuiteResult } from './types';

const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url));
/** Set in a child's environment: {threads, first, out}. */
const CHILD_ENV = 'TENSILE_BENCH_CHILD';

function listSuites(): string[] {
  if (!existsSync(suitesDir)) return [];
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

function usage(): string {
  const suites = listSuites();
  return [
    'usage: pnpm bench <suite> [--json FILE] [--threads LIST] [suite args...]',
    `suites: ${suites.length > 0 ? suites.join(', ') : '(none yet)'}`,
    `--threads LIST  comma-separated thread counts, one run each (default: ${os.availableParallelism()}, all cores)`,
    'environment: TENSILE_PYTHON (a python that imports numpy and torch)',
  ].join('\n');
}

interface CliArgs {
  suite: string | undefined;
  json: string | undefined;
  threads: string | undefined;
  help: boolean;
  rest: string[];
}

function parseCli(argv: string[]): CliArgs {
  // pnpm/npm may forward a literal `--` separator; it carries no meaning here.
  if (argv[0] === '--') argv = argv.slice(1);
  const own = new Set(['json', 'threads', 'help']);
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      json: { type: 'string' },
      threads: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  if (values.json === true) throw new Error('--json needs a FILE argument');
  if (values.threads === true) throw new Error('--threads needs a LIST argument, e.g. --threads 1,2');
  const consumed = new Set<number>();
  let suite: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'option' && own.has(token.name)) {
      consumed.add(token.index);
      if (token.name !== 'help' && !token.inlineValue) consumed.add(token.index + 1);
    } else if (token.kind === 'positional' && suite === undefined) {
      suite = token.value;
      consumed.add(token.index);
    }
  }
  return {
    suite,
    json: typeof values.json === 'string' ? values.json : undefined,
    threads: typeof values.threads === 'string' ? values.threads : undefined,
    help: values.help === true,
    rest: argv.filter((_, i) => !consumed.has(i)),
  };
}

function parseThreads(list: string | undefined): number[] {
  if (list === undefined) return [os.availableParallelism()];
  const out = list.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--threads: expected a comma-separated list of positive integers, got "${list}"`);
  return [...new Set(out)];
}

function validateRows(suite: string, rows: unknown): BenchRow[] {
  if (!Array.isArray(rows)) throw new Error(`suite "${suite}" did not return an array of rows`);
  const fields = { suite: 'string', case: 'string', system: 'string', threads: 'number', metric: 'string', value: 'number', unit: 'string' } as const;
  rows.forEach((row, i) => {
    for (const [key, type] of Object.entries(fields)) {
      const v = (row as Record<string, unknown> | null)?.[key];
      if (typeof v !== type) throw new Error(`suite "${suite}" row ${i}: field "${key}" must be a ${type}, got ${JSON.stringify(v)}`);
    }
  });
  return rows as BenchRow[];
}

async function loadSuite(suite: string): Promise<SuiteModule> {
  return (await import(pathToFileURL(join(suitesDir, `${suite}.ts`)).href)) as SuiteModule;
}

function normalize(suite: string, r: unknown): Required<SuiteResult> {
  const res = (Array.isArray(r) ? { rows: r } : r) as SuiteResult;
  return { rows: validateRows(suite, res?.rows), notes: res.notes ?? [], versions: res.versions ?? {} };
}

/** Child mode: run the suite once with the thread count the parent chose; write the result. */
async function runChild(args: CliArgs, spec: { threads: number; first: boolean; out: string }): Promise<number> {
  const mod = await loadSuite(args.suite!);
  const run = mod.run ?? mod.default;
  if (typeof run !== 'function') throw new Error(`src/suites/${args.suite}.ts exports neither run() nor a default function`);
  const ctx: SuiteContext = { suite: args.suite!, args: args.rest, threads: spec.threads, firstRun: spec.first };
  const result = normalize(args.suite!, await run(ctx));
  await writeFile(spec.out, JSON.stringify(result));
  return 0;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function cpuFlags(): string[] {
  try {
    const m = /^flags\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    const have = new Set(m?.[1]?.split(/\s+/) ?? []);
    return ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_bf16', 'asimd', 'sve'].filter((f) => have.has(f));
  } catch {
    return [];
  }
}

function cpuFamilyModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const f = (k: string) => new RegExp(`^${k}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
    return `${f('vendor_id')} family ${f('cpu family')} model ${f('model')}`;
  } catch {
    return os.arch();
  }
}

/** Environment variables that change what the suites measure. */
const ENV_KEYS = ['TENSILE_NUM_THREADS', 'TENSILE_CPU_ISA', 'TENSILE_PYTHON', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'];

function machineInfo(): Record<string, unknown> {
  return {
    cpu: cpuModel(),
    cpuId: cpuFamilyModel(),
    cpuFlags: cpuFlags(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    env: Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k] ?? null])),
  };
}

function spawnRun(args: CliArgs, threads: number, first: boolean, out: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: JSON.stringify({ threads, first, out }) };
  for (const k of ['TENSILE_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS']) env[k] = String(threads);
  const argv = [...process.execArgv, process.argv[1]!, args.suite!, ...args.rest];
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
  const childSpec = process.env[CHILD_ENV];
  if (childSpec) return runChild(args, JSON.parse(childSpec) as { threads: number; first: boolean; out: string });
  if (args.help) {
    console.log(usage());
    return 0;
  }
  if (!args.suite) {
    console.error(usage());
    return 2;
  }
  if (!/^[A-Za-z0-9][\w-]*$/.test(args.suite) || !listSuites().includes(args.suite)) {
    console.error(`unknown suite "${args.suite}"\n${usage()}`);
    return 2;
  }
  const threadList = parseThreads(args.threads);
  const mod = await loadSuite(args.suite);
  const started = Date.now();
  const machine = machineInfo();
  console.log(`tensile bench ${args.suite}: threads ${threadList.join(', ')}; ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${(machine.loadAverage as number[]).join(' ')}`);
  const py = resolvePython();
  const notes: string[] = [];
  const load = (machine.loadAverage as number[])[0]!;
  if (load > 0.5 * (machine.cores as number)) {
    notes.push(`load average ${load} on ${machine.cores as number} cores when the run started: other processes were busy, so timings are noisy (lower than on an idle machine)`);
    console.log(`warning: ${notes[0]}`);
  }
  if (py.python) notes.push(`python peers: ${py.python}; ${pythonEnvNote()}`);
  console.log(py.python ? notes[notes.length - 1] : `python peers: missing (${Object.values(py.missing)[0]})`);

  const rows: BenchRow[] = [];
  const versions: Record<string, string> = { ...pythonVersions(py.versions) };
  const tmp = await mkdtemp(join(os.tmpdir(), 'tensile-bench-'));
  try {
    for (const [i, threads] of threadList.entries()) {
      console.log(`\n== ${args.suite}, threads ${threads} (TENSILE_NUM_THREADS=OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=${threads}) ==`);
      const out = join(tmp, `run-${threads}.json`);
      const code = await spawnRun(args, threads, i === 0, out);
      if (code !== 0 || !existsSync(out)) {
        console.error(`run with ${threads} threads failed (exit ${code})`);
        return code || 1;
      }
      const res = JSON.parse(await readFile(out, 'utf8')) as Required<SuiteResult>;
      rows.push(...res.rows);
      for (const n of res.notes) if (!notes.includes(n)) notes.push(n);
      Object.assign(versions, res.versions);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (mod.finalize) {
    const f = mod.finalize(rows);
    rows.push(...(f.rows ?? []));
    for (const n of f.notes ?? []) if (!notes.includes(n)) notes.push(n);
  }
  machine.loadAverageAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const seconds = (Date.now() - started) / 1e3;

  console.log(`\n== ${args.suite}: results (${seconds.toFixed(1)} s) ==`);
  console.log(formatReport(rows));
  if (notes.length > 0) console.log(`notes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
  console.log(`versions:\n${Object.entries(versions).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  if (args.json) {
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), args.json);
    await mkdir(dirname(file), { recursive: true });
    const doc = { suite: args.suite, date: new Date().toISOString(), seconds, threads: threadList, machine, versions, notes, rows, ratios: ratios(rows) };
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`wrote ${rows.length} rows to ${file}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
