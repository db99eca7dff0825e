import { runConformance, runGradcheckSweep } from '@tensile/conformance';

runConformance('js');
runGradcheckSweep('js');
