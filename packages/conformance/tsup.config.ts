import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  treeshake: true,
  // fixtures.ts finds the package's fixtures folder from import.meta.url (shimmed in the CJS build).
  shims: true,
  // tsconfig `paths` point @tensile/core at its sources (for typecheck and
  // tests); never bundle it into this package.
  external: ['@tensile/core', 'vitest'],
});
