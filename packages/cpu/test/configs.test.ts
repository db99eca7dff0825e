// Reruns the conformance suite (test/conformance.test.ts) in child processes under each
// configuration the backend must pass in: the scalar and AVX2 kernels (TENSILE_CPU_ISA, with the
// differential test against the JS backend too) and 1 and 2 threads (TENSILE_NUM_THREADS). The default configuration (best ISA, all cores) is
// conformance.test.ts itself. A configuration this CPU cannot run is skipped, saying why.
// The same runs by hand: pnpm test:scalar, test:avx2, test:threads1, test:threads2.
import { cpuInfo } from '@tensile/cpu';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const RANK = { scalar: 0, avx2: 1, avx512: 2 } as const;
const detected: keyof typeof RANK = cpuInfo().detectedIsa;

interface Config {
  name: string;
  env: Record<string, string>;
  needs?: keyof typeof RANK;
  files?: string[];
}
const CONFIGS: Config[] = [
  { name: 'TENSILE_CPU_ISA=scalar', env: { TENSILE_CPU_ISA: 'scalar' }, files: ['test/differential.test.ts'] },
  { name: 'TENSILE_CPU_ISA=avx2', env: { TENSILE_CPU_ISA: 'avx2' }, needs: 'avx2', files: ['test/differential.test.ts'] },
  { name: 'TENSILE_NUM_THREADS=1', env: { TENSILE_NUM_THREADS: '1' } },
  { name: 'TENSILE_NUM_THREADS=2', env: { TENSILE_NUM_THREADS: '2' } },
];

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

function runChild(cfg: Config): Promise<{ code: number | null; report: Report | null; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tensile-cpu-config-'));
  const out = join(dir, 'report.json');
  const env: Record<string, string | undefined> = { ...process.env, ...cfg.env, TENSILE_COVERAGE_DIR: undefined };
  // the child must not inherit this worker's vitest state
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'NODE_OPTIONS') delete env[k];
  return new Promise((resolve) => {
    const files = ['test/conformance.test.ts', ...(cfg.files ?? [])];
    const child = spawn(process.execPath, [vitestBin, 'run', ...files, '--reporter=json', `--outputFile=${out}`], {
      cwd: pkgDir,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('close', (code) => {
      let report: Report | null = null;
      try {
        report = JSON.parse(readFileSync(out, 'utf8')) as Report;
      } catch {
        /* no report: the log says why */
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, report, log });
    });
  });
}

describe('conformance in every configuration', () => {
  for (const cfg of CONFIGS) {
    const unsupported = cfg.needs && RANK[cfg.needs] > RANK[detected];
    if (unsupported) {
      it.skip(`${cfg.name} (this CPU supports only '${detected}')`, () => {});
      continue;
    }
    it(cfg.name, async () => {
      const { code, report, log } = await runChild(cfg);
      if (!report) throw new Error(`${cfg.name}: the child run produced no report (exit ${code}):\n${log.slice(-4000)}`);
      const failed = report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed'));
      if (failed.length) {
        const first = failed.slice(0, 5).map((a) => `${a.fullName}: ${a.failureMessages[0]?.split('\n')[0]}`);
        throw new Error(`${cfg.name}: ${failed.length} of ${report.numTotalTests} tests failed:\n${first.join('\n')}`);
      }
      expect(code).toBe(0);
      // the suite ran in full: the same 594 tests as the default configuration, none failed
      expect(report.numPassedTests).toBeGreaterThan(500);
      expect(report.numFailedTests).toBe(0);
    }, 300_000);
  }
});
