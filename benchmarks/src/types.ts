/** One measurement. Every suite reports a flat list of these. */
export interface BenchRow {
  /** Suite name, e.g. "overhead" (the file name under src/suites/). */
  suite: string;
  /** What was measured within the suite, e.g. "add 1x1"; "*" for a row about the whole system. */
  case: string;
  /** Which implementation produced the number, e.g. "tensile-cpu" or a peer such as "torch". */
  system: string;
  /** Worker/thread count used for the measurement. */
  threads: number;
  /** Metric name, e.g. "median", "throughput" or "available" (value 1/0, unit "bool"). */
  metric: string;
  value: number;
  /** Unit of `value`, e.g. "ns/op", "GFLOP/s", "ms". */
  unit: string;
  /** Free text: a version for an "available" row, the reason a system is missing, a caveat. */
  note?: string;
}

export interface SuiteContext {
  /** The suite being run. */
  suite: string;
  /** Arguments left after the suite name and the CLI's own options. */
  args: string[];
  /**
   * Thread count of this run (from `--threads`; default: all cores). Multi-threaded systems
   * (Tensile cpu via TENSILE_NUM_THREADS, OpenBLAS, PyTorch, ONNX Runtime) use it; the CLI sets
   * the thread environment variables before this process started.
   */
  threads: number;
  /**
   * True in the first run of a `--threads` list: single-threaded systems (the `js` device,
   * TensorFlow.js, plain JS references) are measured only then and reported with threads 1.
   */
  firstRun: boolean;
}

/** What a suite returns: rows, or rows with notes (printed and saved) and versions of what ran. */
export interface SuiteResult {
  rows: BenchRow[];
  notes?: string[];
  versions?: Record<string, string>;
}

export type SuiteRun = (ctx: SuiteContext) => BenchRow[] | SuiteResult | Promise<BenchRow[] | SuiteResult>;

/**
 * Called once in the CLI process with the rows of every run (all thread counts), before the
 * report is printed: derived rows (e.g. a fraction of the measured memory bandwidth) and notes.
 */
export type SuiteFinalize = (rows: BenchRow[]) => { rows?: BenchRow[]; notes?: string[] };

/** A module under src/suites/<name>.ts exports `run` (or a default function), optionally `finalize`. */
export interface SuiteModule {
  run?: SuiteRun;
  default?: SuiteRun;
  finalize?: SuiteFinalize;
}
