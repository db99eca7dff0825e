import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as data from '../src/index.js';
import * as node from '../src/node.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '../src');

/** Every module specifier imported by the main entry and the files it reaches. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const seen = new Set<string>(), external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('./')) visit(spec.slice(2).replace(/\.js$/, '.ts'));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen].sort(), external: [...external].sort() };
}

describe('entry points', () => {
  it('@tensile/data (main) is browser-safe: no node:* imports anywhere it reaches', () => {
    const g = importGraph('index.ts');
    expect(g.external).toEqual(['@tensile/core']);
    expect(g.files).not.toContain('node.ts');
  });
  it('exports', () => {
    for (const name of ['Dataset', 'IterableDataset', 'TensorDataset', 'Subset', 'ConcatDataset', 'randomSplit', 'kFold', 'SequentialSampler', 'RandomSampler', 'WeightedRandomSampler', 'BatchSampler', 'SubsetRandomSampler', 'DataLoader', 'defaultCollate', 'parseCsv', 'parseJsonl', 'parseIdx', 'encodeIdx']) {
      expect(name in data, name).toBe(true);
    }
    for (const name of ['readCsv', 'CsvDataset', 'readJsonl', 'iterJsonl', 'JsonlDataset', 'readIdx', 'writeIdx', 'MnistDataset']) {
      expect(name in node, name).toBe(true);
    }
  });
});
