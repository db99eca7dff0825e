// The whole conformance suite on 'cpu': every fixture case, no skips, leak-checked; plus the
// float64 finite-difference gradient sweep. TENSILE_CPU_ISA / TENSILE_NUM_THREADS select the
// configuration (test/configs.test.ts reruns this file under scalar, avx2, 1 and 2 threads).
import { cpuInfo } from '@tensile/cpu';
import { runConformance, runGradcheckSweep } from '@tensile/conformance';
import { describe, expect, it } from 'vitest';

describe('configuration', () => {
  it('runs with the ISA and thread count the environment asks for', () => {
    const info = cpuInfo();
    const isa = process.env.TENSILE_CPU_ISA;
    if (isa) expect(info.isa).toBe(isa);
    else expect(info.isa).toBe(info.detectedIsa);
    const threads = process.env.TENSILE_NUM_THREADS;
    if (threads) expect(info.threads).toBe(Number(threads));
    else expect(info.threads).toBeGreaterThanOrEqual(1);
  });
});

runConformance('cpu');
runGradcheckSweep('cpu', { maxCost: 20_000 });
