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
  treeshake: true,
});
