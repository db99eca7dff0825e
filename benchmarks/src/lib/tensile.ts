/**
 * Loading @tensile/cpu at run time. The addon may not be built (or even exist) yet, so it is
 * imported dynamically and a failure is a reason to report, not a crash. When the package is
 * not a dependency of benchmarks yet, the workspace folder packages/cpu is tried directly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listDevices, ready } from '@tensile/core';
import type { SuiteContext } from '../types';
import type { Recorder } from './recorder';

export interface Availability {
  ok: boolean;
  /** Version (when ok) or the reason it is missing. */
  note: string;
}

const pkgDir = fileURLToPath(new URL('../../../packages/cpu/', import.meta.url));

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

/** The ESM entry file named by a package.json (exports "." import/default, module, main). */
function entryOf(pkg: Record<string, unknown>): string {
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      for (const k of ['.', 'import', 'node', 'default']) {
        const r = k in o ? pick(o[k]) : undefined;
        if (r) return r;
      }
    }
    return undefined;
  };
  return pick(pkg.exports) ?? (pkg.module as string | undefined) ?? (pkg.main as string | undefined) ?? 'index.js';
}

let cached: Promise<Availability> | undefined;

/** Import @tensile/cpu (registering device 'cpu') once; never throws. */
export function loadTensileCpu(): Promise<Availability> {
  cached ??= load();
  return cached;
}

async function load(): Promise<Availability> {
  const name = '@tensile/cpu';
  let version = '';
  // TENSILE_BENCH_CPU_MODULE=/path/to/entry loads the backend from elsewhere (another checkout,
  // a build under test, a stand-in for testing the harness).
  const override = process.env.TENSILE_BENCH_CPU_MODULE;
  try {
    if (override) {
      version = `from ${override}`;
      await import(pathToFileURL(override).href);
    } else {
      await import(name);
    }
  } catch (err) {
    if (override) return { ok: false, note: `TENSILE_BENCH_CPU_MODULE=${override} failed to load: ${message(err)}` };
    const code = (err as { code?: string }).code;
    const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    if (!notFound || !String(message(err)).includes(name)) return { ok: false, note: `${name} failed to load: ${message(err)}` };
    // Not linked into benchmarks/node_modules: try the workspace folder itself.
    const pkgFile = join(pkgDir, 'package.json');
    if (!existsSync(pkgFile)) return { ok: false, note: `${name} is not installed (no packages/cpu/package.json yet)` };
    try {
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
      version = String(pkg.version ?? '');
      // Under tsx the sources run directly (as benchmarks/tsconfig.json maps them); else the build.
      const entries = [join(pkgDir, 'src/index.ts'), join(pkgDir, entryOf(pkg))];
      const entry = entries.find((e) => existsSync(e));
      if (!entry) return { ok: false, note: `${name} is not built (neither ${entries.join(' nor ')} exists)` };
      await import(pathToFileURL(entry).href);
    } catch (err2) {
      return { ok: false, note: `${name} failed to load from packages/cpu: ${message(err2)}` };
    }
  }
  if (!listDevices().includes('cpu')) return { ok: false, note: `${name} loaded but did not register device 'cpu'` };
  try {
    await ready('cpu');
  } catch (err) {
    return { ok: false, note: `device 'cpu' failed to initialise: ${message(err)}` };
  }
  if (!override && !version && existsSync(join(pkgDir, 'package.json'))) {
    version = String((JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version?: string }).version ?? '');
  }
  const threads = process.env.TENSILE_NUM_THREADS;
  return { ok: true, note: `@tensile/cpu ${version}${threads ? ` (TENSILE_NUM_THREADS=${threads})` : ''}`.trim() };
}

/** A device the Tensile rows run on: [device, system name in the rows, threads]. */
export type TensileDevice = [device: string, system: string, threads: number];

/**
 * The Tensile devices a suite times, with their availability recorded: 'cpu' as tensile-cpu
 * (the run's thread count) when @tensile/cpu loads, and in the first run 'js' as tensile-js
 * (single-threaded; `jsNote` is its availability note).
 */
export async function tensileDevices(ctx: SuiteContext, rec: Recorder, jsNote = '@tensile/core js device'): Promise<TensileDevice[]> {
  const cpu = await loadTensileCpu();
  rec.available('tensile-cpu', ctx.threads, cpu);
  const devices: TensileDevice[] = [];
  if (cpu.ok) devices.push(['cpu', 'tensile-cpu', ctx.threads]);
  if (ctx.firstRun) {
    devices.push(['js', 'tensile-js', 1]);
    rec.available('tensile-js', 1, { ok: true, note: jsNote });
  }
  return devices;
}
