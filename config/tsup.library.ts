/**
 * The tsup build every library package uses: ESM + CJS with source maps, other @tensile packages
 * left external. Declarations come from tsc (each package's tsconfig.build.json), one file per
 * module: a bundled .d.ts loses the `declare module` augmentations that install Tensor methods.
 */
import { defineConfig, type Options } from 'tsup';

export function libraryConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: false,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    external: [/^@tensile\//],
    ...overrides,
  });
}
