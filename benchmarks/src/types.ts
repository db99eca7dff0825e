/** One measurement. Every suite reports a flat list of these. */
export interface BenchRow {
  /** Suite name, e.g. "overhead" (the file name under src/suites/). */
  suite: string;
  /** What was measured within the suite, e.g. "add 1x1". */
  case: string;
  /** Which implementation produced the number, e.g. "tensile" or a baseline. */
  system: string;
  /** Worker/thread count used for the measurement. */
  threads: number;
  /** Metric name, e.g. "median" or "throughput". */
  metric: string;
  value: number;
  /** Unit of `value`, e.g. "ns/op" or "ops/s". */
  unit: string;
}

export interface SuiteContext {
  /** The suite being run. */
  suite: string;
  /** Arguments left after the suite name and the CLI's own options. */
  args: string[];
}

export type SuiteRun = (ctx: SuiteContext) => BenchRow[] | Promise<BenchRow[]>;

/** A module under src/suites/<name>.ts exports `run` (or a default function). */
export interface SuiteModule {
  run?: SuiteRun;
  default?: SuiteRun;
}
