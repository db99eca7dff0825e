#!/usr/bin/env node
/**
 * Copy the tokenizer fixtures (gpt2/, bert-base-uncased/, unigram-small/ and their golden.json) from
 * the shared fixtures folder into packages/tokenizers/fixtures/tokenizers/, so a clone is complete.
 *
 *   node scripts/refresh-fixtures.mjs [source]
 *
 * `source` defaults to <repo root>/../shared/fixtures (a folder holding tokenizers/). The copied
 * folder is replaced as a whole, so files deleted upstream go too.
 */
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(pkgDir, '../..');
const source = resolve(process.argv[2] ?? join(repoRoot, '../shared/fixtures'));
const dest = join(pkgDir, 'fixtures');
const FOLDER = 'tokenizers';

if (!existsSync(join(source, FOLDER)) || !statSync(join(source, FOLDER)).isDirectory()) {
  console.error(`refresh-fixtures: ${join(source, FOLDER)} does not exist; pass the fixtures folder (holding tokenizers/) as an argument`);
  process.exit(1);
}
rmSync(join(dest, FOLDER), { recursive: true, force: true });
cpSync(join(source, FOLDER), join(dest, FOLDER), { recursive: true });
let files = 0;
for (const d of readdirSync(join(dest, FOLDER))) {
  const p = join(dest, FOLDER, d);
  files += statSync(p).isDirectory() ? readdirSync(p).length : 1;
}
console.log(`refresh-fixtures: copied ${files} files from ${join(source, FOLDER)} to ${relative(process.cwd(), join(dest, FOLDER)) || dest}`);
