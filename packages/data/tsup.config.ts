import { libraryConfig } from '../../config/tsup.library';

export default libraryConfig({
  // Two entry points: the browser-safe main one and `@tensile/data/node` (file readers using
  // node:fs / node:zlib). Splitting puts their shared modules in one chunk, so classes such as
  // Dataset are the same objects whichever entry imports them (cjs too).
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  splitting: true,
  platform: 'node',
});
