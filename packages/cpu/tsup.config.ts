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
  // The addon is loaded at run time from ../build/Release relative to the module
  // (import.meta.url is shimmed in the CJS build).
  shims: true,
  external: ['@tensile/core'],
});
