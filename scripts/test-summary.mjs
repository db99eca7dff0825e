#!/usr/bin/env node
// Runs every workspace package's tests through `turbo run test` and then
// prints one closing line, `N passed, N failed, N skipped`, summed over the
// vitest JSON reports (<package>/test-results/vitest.json) of all packages.
//
//   node scripts/test-summary.mjs [turbo args...]   e.g. --filter @tensile/core
//   node scripts/test-summary.mjs --summary-only     only read existing reports
//
// Exit code: turbo's when it failed, else 1 if any test failed, else 0.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join('test-results', 'vitest.json');

/** Workspace package dirs that have a `test` script (reads pnpm-workspace.yaml's simple globs). */
function testPackages() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = yaml.split(/^packages:\s*$/m)[1] ?? '';
  const patterns = [];
  for (const line of block.split('\n').slice(1)) {
    const m = /^\s+-\s+['"]?([^'"#\s]+)['"]?/.exec(line);
    if (m) patterns.push(m[1]);
    else if (/^\S/.test(line)) break;
  }
  const dirs = [];
  for (const p of patterns) {
    if (p.endsWith('/*')) {
      const base = join(root, p.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const e of readdirSync(base, { withFileTypes: true })) if (e.isDirectory()) dirs.push(join(base, e.name));
    } else {
      dirs.push(join(root, p));
    }
  }
  return dirs.filter((dir) => {
    const pkgFile = join(dir, 'package.json');
    if (!existsSync(pkgFile)) return false;
    return Boolean(JSON.parse(readFileSync(pkgFile, 'utf8')).scripts?.test);
  });
}

let argv = process.argv.slice(2);
// `pnpm test -- --filter x` forwards the `--`; for turbo it would mean "pass to the tasks".
if (argv[0] === '--') argv = argv.slice(1);
const summaryOnly = argv.includes('--summary-only');

/** Package dirs whose `test` task this turbo invocation will run (respects --filter). */
function scopedPackages() {
  const res = spawnSync('turbo', ['run', 'test', '--dry=json', ...argv], { cwd: root, encoding: 'utf8' });
  try {
    const plan = JSON.parse(res.stdout);
    return plan.tasks
      .filter((t) => t.task === 'test' && t.command && t.command !== '<NONEXISTENT>')
      .map((t) => join(root, t.directory));
  } catch {
    return testPackages();
  }
}

const packages = summaryOnly ? testPackages() : scopedPackages();

let runStatus = 0;
if (!summaryOnly) {
  // Stale reports from an earlier run must not be counted.
  for (const dir of packages) rmSync(join(dir, REPORT), { force: true });
  const res = spawnSync('turbo', ['run', 'test', '--continue', ...argv], { cwd: root, stdio: 'inherit' });
  if (res.error) {
    console.error(`test-summary: could not start turbo: ${res.error.message}`);
    runStatus = 1;
  } else {
    runStatus = res.status ?? 1;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of packages) {
  const file = join(dir, REPORT);
  const name = relative(root, dir);
  if (!existsSync(file)) {
    // A package in scope without a report after a failed run: its test run
    // itself broke (bad config, crash) before vitest could write one.
    if (!summaryOnly && runStatus !== 0) {
      console.error(`test-summary: ${name}: no report (${REPORT}); counting it as 1 failed`);
      failed += 1;
    }
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`test-summary: ${name}: unreadable report: ${err.message}; counting it as 1 failed`);
    failed += 1;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A test file that failed outside any test (import error, failing hook)
  // has no failed assertion of its own: count the file as one failure.
  for (const suite of report.testResults ?? []) {
    const ownFailures = (suite.assertionResults ?? []).filter((a) => a.status === 'failed').length;
    if (suite.status === 'failed' && ownFailures === 0) {
      console.error(`test-summary: ${relative(root, suite.name ?? name)}: failed outside any test: ${String(suite.message ?? '').split('\n')[0]}`);
      failed += 1;
    }
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = runStatus !== 0 ? runStatus : failed > 0 ? 1 : 0;
