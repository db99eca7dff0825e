import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    // Run tests against the TypeScript sources, no build needed.
    alias: [
      { find: /^@tensile\/core$/, replacement: src('../core/src/index.ts') },
      { find: /^@tensile\/conformance$/, replacement: src('./src/index.ts') },
    ],
  },
  test: {
    name: '@tensile/conformance',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
