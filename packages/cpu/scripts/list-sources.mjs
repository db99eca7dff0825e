#!/usr/bin/env node
// Lists the addon's C++ sources for binding.gyp (`<!@(node scripts/list-sources.mjs <set>)`), so a
// new kernel file needs no gyp edit. Sets: `avx512` (native/**/*_avx512.cc), `avx2`
// (native/**/*_avx2.cc), `base` (every other .cc). Paths are relative to the package root.
// native/tools/ (standalone harnesses with their own main()) is not part of the addon.
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const set = process.argv[2] ?? 'base';
if (!['base', 'avx2', 'avx512'].includes(set)) {
  console.error(`list-sources: unknown set '${set}' (expected base, avx2 or avx512)`);
  process.exit(1);
}

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'tools' && e.name !== 'build' && !e.name.startsWith('.')) out.push(...walk(p));
    } else if (e.name.endsWith('.cc')) out.push(p);
  }
  return out;
}

const kind = (f) => (f.endsWith('_avx512.cc') ? 'avx512' : f.endsWith('_avx2.cc') ? 'avx2' : 'base');
const files = walk(join(root, 'native'))
  .filter((f) => kind(f) === set)
  .map((f) => relative(root, f).split('\\').join('/'))
  .sort();
process.stdout.write(files.join('\n') + '\n');
