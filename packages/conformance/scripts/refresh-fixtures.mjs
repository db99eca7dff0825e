#!/usr/bin/env node
/**
 * Copy the PyTorch-made golden fixtures (ops/, modules/, optim/, models/) from the shared fixtures folder
 * into packages/conformance/fixtures/, so a clone of the repository is complete.
 *
 *   node scripts/refresh-fixtures.mjs [source]      (or: pnpm --filter @tensile/conformance refresh-fixtures)
 *
 * `source` defaults to <repo root>/../shared/fixtures (= ../../../shared/fixtures from this
 * package). Each copied folder is replaced as a whole, so files deleted upstream go too.
 */
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(pkgDir, '../..');
const source = resolve(process.argv[2] ?? join(repoRoot, '../shared/fixtures'));
const dest = join(pkgDir, 'fixtures');
const FOLDERS = ['ops', 'modules', 'optim', 'models'];

if (!existsSync(source) || !statSync(source).isDirectory()) {
  console.error(`refresh-fixtures: source folder ${source} does not exist; pass the fixtures folder as an argument`);
  process.exit(1);
}
const missing = FOLDERS.filter((f) => !existsSync(join(source, f)));
if (missing.length) {
  console.error(`refresh-fixtures: ${source} lacks ${missing.join(', ')} (expected ${FOLDERS.join(', ')})`);
  process.exit(1);
}

let files = 0;
for (const f of FOLDERS) {
  rmSync(join(dest, f), { recursive: true, force: true });
  cpSync(join(source, f), join(dest, f), { recursive: true });
  files += readdirSync(join(dest, f)).length;
}
if (existsSync(join(source, 'README.md'))) copyFileSync(join(source, 'README.md'), join(dest, 'FORMAT.md'));

writeFileSync(
  join(dest, 'README.md'),
  `# Conformance fixtures (copied, do not edit)

These folders are copies of the golden fixtures that PyTorch produced for Tensile:

- \`ops/<family>.json\`: one case per op call (values, gradients, in-place updates);
  \`runConformance(device)\` runs every case.
- \`modules/*.json\`, \`optim/*.json\`: layer and optimizer/scheduler fixtures, kept here so that
  a clone is complete (used by @tensile/nn and @tensile/optim tests).
- \`models/<name>/\`: tiny Hugging Face checkpoints (config.json, model.safetensors, golden.json),
  read by @tensile/nn's safetensors tests and, later, @tensile/transformers.

Source: the shared fixtures folder next to the repository (\`../shared/fixtures\` from the
repository root). \`FORMAT.md\` is that folder's README: the file format, how the values were
made and the tolerances.

Refresh after the shared fixtures change (replaces ops/, modules/, optim/ and models/ as a whole):

\`\`\`sh
pnpm --filter @tensile/conformance refresh-fixtures            # from ../shared/fixtures
node packages/conformance/scripts/refresh-fixtures.mjs /path/to/fixtures
\`\`\`

To run the suite against another folder of the same format without copying, set
\`TENSILE_FIXTURES=/path/to/fixtures\` (a folder holding \`ops/\`).
`,
);
console.log(`refresh-fixtures: copied ${files} files from ${source} to ${relative(process.cwd(), dest) || dest}`);
