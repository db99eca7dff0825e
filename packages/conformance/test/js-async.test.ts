import { runConformance } from '@tensile/conformance';

// js-async has no synchronous reads: every check in the suite awaits t.data().
runConformance('js-async');
