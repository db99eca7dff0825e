import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    // Run against the TypeScript sources of @tensile/core, no build needed.
    alias: [{ find: /^@tensile\/core$/, replacement: src('../../packages/core/src/index.ts') }],
  },
  test: {
    name: '@tensile/app-linear-regression',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
