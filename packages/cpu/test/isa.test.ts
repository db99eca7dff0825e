// ISA selection and the per-ISA build: the AVX2 / AVX-512 libraries carry their flags, the
// baseline does not, and TENSILE_CPU_ISA forces a kernel set or is refused with a clear error.
import { cpuInfo } from '@tensile/cpu';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const addon = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'tensile_cpu.node');

function load(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(addon)}); console.log(JSON.stringify(a.info()))`], {
    env: { ...process.env, TENSILE_CPU_ISA: '', TENSILE_NUM_THREADS: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('instruction sets', () => {
  const info = cpuInfo();

  it('builds the ISA libraries with their flags and the baseline without AVX', () => {
    if (info.arch === 'x64') {
      expect(info.isaLibs).toEqual({ avx2: true, avx512: true });
      expect(info.baselineAvx).toBe(false);
    } else {
      expect(info.isaLibs).toEqual({ avx2: false, avx512: false });
    }
  });

  it('picks the best ISA of the CPU by default', () => {
    const r = load({});
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out).isa).toBe(info.detectedIsa);
  });

  it('TENSILE_CPU_ISA forces a lower ISA', () => {
    const r = load({ TENSILE_CPU_ISA: 'scalar' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ isa: 'scalar', detectedIsa: info.detectedIsa });
  });

  it('refuses an ISA the CPU lacks, and an unknown name', () => {
    // TENSILE_CPU_ASSUME_CPU (a test hook) makes the addon believe the CPU stops at AVX2
    const lacking = load({ TENSILE_CPU_ASSUME_CPU: 'avx2', TENSILE_CPU_ISA: 'avx512' });
    expect(lacking.status).not.toBe(0);
    expect(lacking.out).toContain("TENSILE_CPU_ISA=avx512 was requested, but this CPU supports only 'avx2'");
    const scalarOnly = load({ TENSILE_CPU_ASSUME_CPU: 'scalar', TENSILE_CPU_ISA: 'avx2' });
    expect(scalarOnly.out).toContain("TENSILE_CPU_ISA=avx2 was requested, but this CPU supports only 'scalar'");
    const unknown = load({ TENSILE_CPU_ISA: 'sse9' });
    expect(unknown.status).not.toBe(0);
    expect(unknown.out).toContain("TENSILE_CPU_ISA='sse9' is not one of scalar, avx2, avx512");
  });

  it('TENSILE_NUM_THREADS sizes the pool and rejects nonsense', () => {
    expect(JSON.parse(load({ TENSILE_NUM_THREADS: '3' }).out).threads).toBe(3);
    expect(load({ TENSILE_NUM_THREADS: 'many' }).out).toContain("TENSILE_NUM_THREADS must be a positive integer, got 'many'");
  });
});
