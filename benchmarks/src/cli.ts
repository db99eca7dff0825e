/**
 * Benchmark runner: `tsx src/cli.ts <suite> [--json FILE] [suite args...]`.
 *
 * Loads src/suites/<suite>.ts, runs it, prints its rows as a table and, with
 * `--json FILE`, writes them as a JSON array of BenchRow. A relative FILE is
 * taken from the directory `pnpm` was started in (INIT_CWD), so
 * `pnpm bench overhead --json out.json` at the root writes ./out.json there.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchRow, SuiteModule } from './types';

const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url));

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
    'usage: pnpm bench <suite> [--json FILE] [suite args...]',
    `suites: ${suites.length > 0 ? suites.join(', ') : '(none yet)'}`,
  ].join('\n');
}

interface CliArgs {
  suite: string | undefined;
  json: string | undefined;
  help: boolean;
  rest: string[];
}

function parseCli(argv: string[]): CliArgs {
  // pnpm/npm may forward a literal `--` separator; it carries no meaning here.
  if (argv[0] === '--') argv = argv.slice(1);
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  if (values.json === true) throw new Error('--json needs a FILE argument');
  const consumed = new Set<number>();
  let suite: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'option' && (token.name === 'json' || token.name === 'help')) {
      consumed.add(token.index);
      if (token.name === 'json' && !token.inlineValue) consumed.add(token.index + 1);
    } else if (token.kind === 'positional' && suite === undefined) {
      suite = token.value;
      consumed.add(token.index);
    }
  }
  return {
    suite,
    json: typeof values.json === 'string' ? values.json : undefined,
    help: values.help === true,
    rest: argv.filter((_, i) => !consumed.has(i)),
  };
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

function printTable(rows: BenchRow[]): void {
  const header = ['suite', 'case', 'system', 'threads', 'metric', 'value', 'unit'] as const;
  const cells = rows.map((r) => header.map((h) => (h === 'value' ? formatValue(r.value) : String(r[h]))));
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]) =>
    row.map((cell, c) => (c === 5 || c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

function formatValue(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2));
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
  const mod = (await import(pathToFileURL(join(suitesDir, `${args.suite}.ts`)).href)) as SuiteModule;
  const run = mod.run ?? mod.default;
  if (typeof run !== 'function') throw new Error(`src/suites/${args.suite}.ts exports neither run() nor a default function`);
  const rows = validateRows(args.suite, await run({ suite: args.suite, args: args.rest }));
  printTable(rows);
  if (args.json) {
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), args.json);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(rows, null, 2)}\n`);
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
