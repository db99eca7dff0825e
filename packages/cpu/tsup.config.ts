import { libraryConfig } from '../../config/tsup.library';

export default libraryConfig({
  platform: 'node',
  // The cpu package augments nothing, so one bundled .d.ts is fine.
  dts: true,
  // The addon is loaded at run time from ../build/Release relative to the module
  // (import.meta.url is shimmed in the CJS build).
  shims: true,
});
