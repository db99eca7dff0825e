import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    // Run tests against the TypeScript sources, no build needed (the addon itself is built on install).
    alias: [
      { find: /^@tensile\/core$/, replacement: src('../core/src/index.ts') },
      { find: /^@tensile\/conformance$/, replacement: src('../conformance/src/index.ts') },
      { find: /^@tensile\/cpu$/, replacement: src('./src/index.ts') },
    ],
  },
  test: {
    name: '@tensile/cpu',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // The addon holds process-wide state (thread pool, buffer pool): one fork per test file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
