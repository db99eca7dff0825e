/** Collects a suite's rows, availability of each system, notes and versions. */
import type { BenchRow, SuiteContext, SuiteResult } from '../types';
import type { Availability } from './tensile';

export class Recorder {
  readonly rows: BenchRow[] = [];
  readonly notes: string[] = [];
  readonly versions: Record<string, string> = {};

  constructor(readonly ctx: SuiteContext) {}

  add(c: string, system: string, threads: number, metric: string, value: number, unit: string, note?: string): void {
    const row: BenchRow = { suite: this.ctx.suite, case: c, system, threads, metric, value, unit };
    if (note) row.note = note;
    this.rows.push(row);
  }

  /** A `case: "*"` row saying whether `system` ran (value 1) or why not (value 0, note). */
  available(system: string, threads: number, a: Availability): void {
    this.add('*', system, threads, 'available', a.ok ? 1 : 0, 'bool', a.note);
    if (a.ok) this.versions[system] = a.note;
    console.log(`  ${system}: ${a.ok ? a.note : `missing (${a.note})`}`);
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  result(): SuiteResult {
    return { rows: this.rows, notes: this.notes, versions: this.versions };
  }
}

/** Run `fn`, turning an exception into a note and `undefined` (one failing case must not end a suite). */
export async function attempt<T>(rec: Recorder, what: string, fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    rec.note(`${what} failed: ${m.split('\n')[0]!.slice(0, 300)}`);
    console.log(`  ${what} failed: ${m.split('\n')[0]}`);
    return undefined;
  }
}
