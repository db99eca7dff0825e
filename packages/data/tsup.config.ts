import { defineConfig } from 'tsup';

export default defineConfig({
  // Two entry points: the browser-safe main one and `@tensile/data/node` (file readers using
  // node:fs / node:zlib). Splitting puts their shared modules in one chunk, so classes such as
  // Dataset are the same objects whichever entry imports them (cjs too).
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  splitting: true,
  // Declarations come from tsc (tsconfig.build.json), one file per module.
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  treeshake: true,
  external: [/^@tensile\//],
});
