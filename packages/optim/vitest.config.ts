import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    // Run tests against the TypeScript sources, no build needed.
    alias: [
      { find: /^@tensile\/core$/, replacement: src('../core/src/index.ts') },
      { find: /^@tensile\/nn$/, replacement: src('../nn/src/index.ts') },
      { find: /^@tensile\/optim$/, replacement: src('../optim/src/index.ts') },
      { find: /^@tensile\/data$/, replacement: src('../data/src/index.ts') },
      // Optional in tests: the fixture tests also run on 'cpu' when this loads (its addon is built).
      { find: /^@tensile\/cpu$/, replacement: src('../cpu/src/index.ts') },
    ],
  },
  test: {
    name: '@tensile/optim',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
