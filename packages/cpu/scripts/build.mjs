#!/usr/bin/env node
// Builds the addon (build/Release/tensile_cpu.node) with node-gyp. Run by `pnpm install`
// (the package's `install` script) and by `pnpm build` (with --if-missing).
//
//   node scripts/build.mjs                 build if anything changed (see below)
//   node scripts/build.mjs --rebuild       node-gyp rebuild: clean, configure, build everything
//   node scripts/build.mjs --if-missing    build only when the .node file does not exist yet
//
// A fresh checkout gets `node-gyp rebuild`. Later runs are cheap: a stamp
// (build/tensile-build.json) records a hash of the sources, binding.gyp, Node's version and the
// build mode; when it matches and the .node exists nothing is done, otherwise node-gyp
// configure + build recompiles only what changed (a mode change rebuilds from scratch). pnpm
// runs install scripts again whenever it re-verifies the workspace (pnpm 12 does so before
// `pnpm <script>`), so a no-op must be fast. A lock (build/.lock) makes concurrent runs wait
// for each other instead of compiling into the same folder.
//
// Offline builds: node-gyp downloads Node's headers unless told where they are, and pnpm does
// not pass npm's `nodedir`. When Node's own prefix has them (dirname(dirname(process.execPath))
// + include/node/node_api.h, true for the official tarballs and most distro packages), it is
// passed as --nodedir, so no download is attempted.
//
// Environment: TENSILE_CPU_SANITIZE=1 builds with -fsanitize=address,undefined (see README);
// TENSILE_CPU_SKIP_BUILD=1 skips the build (e.g. to install without a compiler and build later);
// JOBS sets node-gyp's parallel jobs (default: CPU count).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(pkgDir, 'build');
const addon = join(buildDir, 'Release', 'tensile_cpu.node');
const stampFile = join(buildDir, 'tensile-build.json');
const lockDir = join(buildDir, '.lock');
const args = process.argv.slice(2);
const sanitize = process.env.TENSILE_CPU_SANITIZE === '1';

if (process.env.TENSILE_CPU_SKIP_BUILD === '1') {
  console.log('@tensile/cpu: TENSILE_CPU_SKIP_BUILD=1, not building the addon');
  process.exit(0);
}
if (args.includes('--if-missing') && existsSync(addon)) process.exit(0);

/** Hash of everything the build depends on. */
function fingerprint() {
  const h = createHash('sha256');
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'tools' && e.name !== 'build' && !e.name.startsWith('.')) walk(p);
      } else if (/\.(cc|h|hpp|c|inc)$/.test(e.name)) files.push(p);
    }
  };
  walk(join(pkgDir, 'native'));
  files.push(join(pkgDir, 'binding.gyp'), join(pkgDir, 'scripts', 'list-sources.mjs'));
  for (const f of files.sort()) {
    h.update(relative(pkgDir, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}
const mode = { node: process.version, arch: process.arch, sanitize };
const readStamp = () => {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return null;
  }
};
const sameMode = (s) => s && s.node === mode.node && s.arch === mode.arch && s.sanitize === mode.sanitize;
const upToDate = (fp) => {
  const s = readStamp();
  return existsSync(addon) && sameMode(s) && s.hash === fp;
};

if (!args.includes('--rebuild') && upToDate(fingerprint())) {
  console.log('@tensile/cpu: addon up to date');
  process.exit(0);
}

// ---- lock ----
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
function acquire() {
  mkdirSync(buildDir, { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return;
    } catch {
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      const age = (() => {
        try {
          return Date.now() - statSync(lockDir).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if ((Number.isFinite(owner) && !pidAlive(owner)) || (Number.isNaN(owner) && age > 10_000)) {
        rmSync(lockDir, { recursive: true, force: true }); // stale
        continue;
      }
      if (Date.now() > deadline) {
        console.error('@tensile/cpu: timed out waiting for another build of the addon (build/.lock)');
        process.exit(1);
      }
      spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 500)']);
    }
  }
}
const release = () => rmSync(lockDir, { recursive: true, force: true });

acquire();
process.on('exit', release);
// another process may have built it while we waited
const fp = fingerprint();
if (!args.includes('--rebuild') && upToDate(fp)) {
  console.log('@tensile/cpu: addon up to date (built by another process)');
  process.exit(0);
}

const require = createRequire(import.meta.url);
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.error('@tensile/cpu: node-gyp is not installed (it is a dependency of this package; run pnpm install)');
  process.exit(1);
}

const prefix = dirname(dirname(process.execPath));
const common = [];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) common.push(`--nodedir=${prefix}`);
const jobs = process.env.JOBS ?? String(availableParallelism());

function gyp(...cmd) {
  const r = spawnSync(process.execPath, [nodeGyp, ...cmd, ...common], {
    cwd: pkgDir,
    stdio: 'inherit',
    env: { ...process.env, TENSILE_CPU_SANITIZE: sanitize ? '1' : '0' },
  });
  if (r.status !== 0) {
    console.error(`@tensile/cpu: node-gyp ${cmd[0]} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const t0 = Date.now();
const stamp = readStamp();
const full = args.includes('--rebuild') || !sameMode(stamp) || !existsSync(join(buildDir, 'Makefile'));
if (full) {
  // node-gyp rebuild would delete build/ and with it our lock: clean everything but the lock
  for (const e of existsSync(buildDir) ? readdirSync(buildDir) : []) if (e !== '.lock') rmSync(join(buildDir, e), { recursive: true, force: true });
}
gyp('configure');
gyp('build', `--jobs=${jobs}`);
writeFileSync(stampFile, JSON.stringify({ ...mode, hash: fp, builtAt: new Date().toISOString() }, null, 1));
console.log(
  `@tensile/cpu: addon ${full ? 'built' : 'rebuilt incrementally'} in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
    `${sanitize ? ' (ASan + UBSan)' : ''}${common.length ? '' : ' (Node headers from node-gyp\'s cache)'}`,
);
