import { tensileProject } from '../../config/vitest.project';

export default tensileProject('@tensile/cpu', {
  // The addon holds process-wide state (thread pool, buffer pool): one fork per test file.
  pool: 'forks',
  testTimeout: 120_000,
});
