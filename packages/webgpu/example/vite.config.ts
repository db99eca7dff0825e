/**
 * Vite config of the browser example: @tensile/* resolve to their TypeScript sources (as the
 * vitest projects do), so the page runs without building the packages.
 *   npx vite packages/webgpu/example     (from the repository root; then open the printed URL)
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const src = (pkg: string) => fileURLToPath(new URL(`../../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: ['core', 'nn', 'optim', 'webgpu'].map((p) => ({ find: new RegExp(`^@tensile/${p}$`), replacement: src(p) })),
  },
  // Node-only code paths (Dawn for Node, fs) are dynamic imports the page never reaches.
  optimizeDeps: { noDiscovery: true, include: [] },
  server: { host: '127.0.0.1' },
  clearScreen: false,
  logLevel: 'warn',
  build: { target: 'es2022', outDir: fileURLToPath(new URL('../test-results/example-dist', import.meta.url)), emptyOutDir: true },
});
