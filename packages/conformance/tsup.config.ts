import { libraryConfig } from '../../config/tsup.library';

export default libraryConfig({
  platform: 'node',
  // fixtures.ts finds the package's fixtures folder from import.meta.url (shimmed in the CJS build).
  shims: true,
  external: [/^@tensile\//, 'vitest'],
});
