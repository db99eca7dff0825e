/**
 * The vitest project every workspace package uses: tests run against the TypeScript sources of
 * all @tensile packages (aliases to src/, no build needed), in node, with generous timeouts.
 */
import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

// Longest names first: '@tensile/data/node' must win over '@tensile/data'.
const SOURCES: [RegExp, string][] = [
  [/^@tensile\/data\/node$/, 'packages/data/src/node.ts'],
  ...['core', 'conformance', 'cpu', 'nn', 'optim', 'data', 'tokenizers', 'webgpu'].map(
    (p): [RegExp, string] => [new RegExp(`^@tensile/${p}$`), `packages/${p}/src/index.ts`],
  ),
  [/^@tensile\/app-kit$/, 'apps/kit/src/index.ts'],
];

/** defineProject with the shared aliases and defaults; `test` options override the defaults. */
export function tensileProject(name: string, test: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    resolve: { alias: SOURCES.map(([find, path]) => ({ find, replacement: root(path) })) },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}
