/**
 * ProgressBar: a cli-progress bar with the loss (or any values) and the speed in items/s. On a
 * terminal it redraws in place; when stderr is not a terminal (CI, tests, `> log`), it prints a
 * plain line at most every `interval` seconds and one at stop(); `quiet` prints nothing.
 */
import cliProgress from 'cli-progress';

export interface ProgressBarOptions {
  /** Print nothing at all. */
  quiet?: boolean;
  /** Name of one item in the speed (default 'it': "1234 it/s"). */
  unit?: string;
  /** Seconds between lines when not on a terminal (default 10). */
  interval?: number;
  /** Stream to write to (default process.stderr). */
  stream?: NodeJS.WriteStream;
}

function fmtValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** A progress bar over `total` items showing the given values and the speed. */
export class ProgressBar {
  readonly total: number;
  readonly label: string;
  private readonly quiet: boolean;
  private readonly unit: string;
  private readonly interval: number;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly bar: cliProgress.SingleBar | null = null;
  private readonly start = performance.now();
  private lastLine = performance.now();
  private done = 0;
  private values: Record<string, number | string> = {};
  private stopped = false;

  constructor(total: number, label: string, opts: ProgressBarOptions = {}) {
    this.total = total;
    this.label = label;
    this.quiet = opts.quiet ?? false;
    this.unit = opts.unit ?? 'it';
    this.interval = (opts.interval ?? 10) * 1000;
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    if (!this.quiet && this.tty) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: (options, params) => {
            const size = options.barsize ?? 30;
            const filled = Math.round(params.progress * size);
            const bar = '█'.repeat(filled) + '░'.repeat(Math.max(0, size - filled));
            return `${this.label} ${bar} ${this.summary(params.value)}`;
          },
          barsize: 24,
          hideCursor: true,
          fps: 5,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0);
    }
  }

  /** Items per second so far. */
  get speed(): number {
    const s = (performance.now() - this.start) / 1000;
    return s > 0 ? this.done / s : 0;
  }

  /** Seconds since the bar started. */
  get elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  private summary(value: number): string {
    const pct = this.total > 0 ? Math.floor((100 * value) / this.total) : 100;
    const vals = Object.entries(this.values).map(([k, v]) => `${k} ${fmtValue(v)}`);
    const speed = this.speed;
    const eta = speed > 0 ? (this.total - value) / speed : Infinity;
    return [`${pct}% ${value}/${this.total}`, ...vals, `${fmtValue(speed)} ${this.unit}/s`, `${fmtTime(this.elapsed)}<${fmtTime(eta)}`].join(' | ');
  }

  /** Advance by n items and update the displayed values (e.g. `{ loss }`). */
  tick(n = 1, values?: Record<string, number | string>): void {
    if (this.stopped) return;
    this.done += n;
    if (values) Object.assign(this.values, values);
    if (this.quiet) return;
    if (this.bar) {
      this.bar.update(Math.min(this.done, this.total));
    } else if (performance.now() - this.lastLine >= this.interval) {
      this.lastLine = performance.now();
      this.stream.write(`${this.label} ${this.summary(this.done)}\n`);
    }
  }

  /** Finish the bar (a final line when not on a terminal). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.quiet) return;
    if (this.bar) {
      this.bar.update(Math.min(this.done, this.total));
      this.bar.stop();
    } else {
      this.stream.write(`${this.label} ${this.summary(this.done)}\n`);
    }
  }
}
