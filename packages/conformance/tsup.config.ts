import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // Declarations come from tsc (tsconfig.build.json), one file per module: a bundled .d.ts
  // loses the `declare module` augmentations that install Tensor methods.
  dts: false,
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
