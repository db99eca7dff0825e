/**
 * @tensile/conformance: the test suite every backend runs. `runConformance(device, { skip })`
 * registers one vitest test per PyTorch-made fixture case (values, gradients, in-place updates,
 * non-contiguous inputs, leaks); `runGradcheckSweep('js')` checks every gradient by finite
 * differences in float64. Skips are data (`coverage()`, `skippedCases()`).
 */
export {
  loadOpFixtures,
  parseOpFamily,
  fixturesDir,
  packageFixturesDir,
  isTensorJSON,
  FixtureError,
  type OpCase,
  type OpFamily,
  type TensorJSON,
  type FixtureDType,
} from './fixtures.js';
export { decodeTensor, decodeValue, parseLayout, applyLayout, type ViewCall, type DecodeOptions } from './decode.js';
export { compareTensor, type Tolerance } from './compare.js';
export { ADAPTERS, ASYNC_READ_ADAPTERS, adapterFor, coreFn, camel, NotImplementedInCore, type Adapter } from './adapters.js';
export {
  runConformance,
  runOpCase,
  prepareCase,
  invokeCase,
  invokeCaseAsync,
  findSkip,
  syncReads,
  coverage,
  coverageMatrix,
  skippedCases,
  recordCoverage,
  writeCoverageFile,
  type SkipSpec,
  type CoverageEntry,
  type CaseStatus,
  type CaseResult,
  type ConformanceOptions,
  type PreparedCase,
} from './runner.js';
export { runGradcheckSweep, gradcheckCase, gradcheckCost, gradientIsNotDerivative, type GradcheckSweepOptions } from './gradcheck.js';
