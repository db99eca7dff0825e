import { runConformance, skippedCases } from '@tensile/conformance';
import { expect, it } from 'vitest';

// js-async has no synchronous reads: every check in the suite awaits t.data(), and ops whose
// output shape depends on values run through their async variants (indexAsync, oneHotAsync).
runConformance('js-async');

it('runs every fixture case on js-async (none skipped)', () => {
  expect(skippedCases().filter((e) => e.device === 'js-async' && e.suite === 'ops')).toEqual([]);
});
