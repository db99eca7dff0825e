/**
 * Command line of the example apps: the common flags every app takes (--device, --epochs,
 * --batch-size, --lr, --seed, --out, --resume, --quiet, --help) plus the app's own, parsed with
 * node:util parseArgs. Kebab-case flags become camelCase keys (--batch-size -> batchSize).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { releaseDevices } from './device.js';

/** node:util's options config (its type is not exported by name). */
export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The options every app takes. */
export interface CommonOptions {
  /** Device name: js, cpu, webgpu, cuda. */
  device: string;
  /** Total number of epochs (with --resume: the epoch to train up to, not how many more). */
  epochs: number;
  batchSize: number;
  lr: number;
  /** Seed of everything random (initialisation, data order, dropout, augmentation). */
  seed: number;
  /** Folder for the checkpoint, metrics.json and report.html. */
  out: string;
  /** Continue from the checkpoint in --out when there is one. */
  resume: boolean;
  /** No progress bars (and no per-epoch chatter an app chooses to hide). */
  quiet: boolean;
}

/** Defaults of the common options when neither the app nor the command line sets them. */
export const COMMON_DEFAULTS: CommonOptions = {
  device: 'cpu',
  epochs: 1,
  batchSize: 32,
  lr: 1e-3,
  seed: 0,
  out: 'out',
  resume: false,
  quiet: false,
};

/**
 * An app-specific flag: any node:util parseArgs option, or `{ type: 'number' }` (validated, with
 * `integer` and `min` constraints) which parseAppArgs turns into a number.
 */
export type AppOption =
  | ParseArgsOptionsConfig[string]
  | { type: 'number'; default?: number; short?: string; integer?: boolean; min?: number; description?: string };

/** The app-specific flags: a superset of node:util's ParseArgsOptionsConfig. */
export type AppOptionsConfig = Record<string, AppOption>;

/** kebab-case -> camelCase at the type level. */
export type CamelCase<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : S;

type OptionValue<O> = O extends { type: 'number' }
  ? number
  : O extends { type: 'boolean' }
    ? O extends { multiple: true } ? boolean[] : boolean
    : O extends { multiple: true } ? string[] : string;

/** The parsed values of the app's flags (undefined when a flag without a default is absent). */
export type ExtraValues<E> = {
  [K in keyof E as K extends string ? CamelCase<K> : never]: E[K] extends { default: unknown } ? OptionValue<E[K]> : OptionValue<E[K]> | undefined;
};

/** A bad command line: the message names the flag; the app prints it and the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function camel(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Validate a numeric flag value: a clear error names the flag. */
export function parseNumberFlag(flag: string, raw: string | number, opts: { integer?: boolean; min?: number; positive?: boolean } = {}): number {
  const text = String(raw).trim();
  const v = typeof raw === 'number' ? raw : text === '' ? NaN : Number(text);
  const what = opts.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(v)) throw new UsageError(`--${flag}: expected ${what}, got '${raw}'`);
  if (opts.integer && !Number.isInteger(v)) throw new UsageError(`--${flag}: expected ${what}, got '${raw}'`);
  if (opts.positive && !(v > 0)) throw new UsageError(`--${flag}: expected a positive ${opts.integer ? 'integer' : 'number'}, got '${raw}'`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${flag}: expected ${what} >= ${opts.min}, got '${raw}'`);
  return v;
}

const COMMON_USAGE = `Common options:
  --device NAME      js, cpu, webgpu or cuda
  --epochs N         total epochs to train (with --resume: up to this epoch)
  --batch-size N     samples per batch
  --lr X             learning rate
  --seed N           seed of initialisation, data order, dropout and augmentation
  --out DIR          folder for checkpoint.{json,safetensors}, metrics.json, report.html
  --resume           continue from the checkpoint in --out (if any)
  --quiet            no progress bars
  --help             print this help`;

/**
 * Parse `argv` (e.g. process.argv.slice(2); a leading `--` that pnpm passes through is skipped)
 * into the common options (app `defaults` first, then COMMON_DEFAULTS) and the app's `extra`
 * flags. Throws UsageError naming the flag on unknown flags and invalid numbers; `--help` prints
 * `usage` and the common options and exits 0.
 */
export function parseAppArgs<E extends AppOptionsConfig = Record<never, never>>(
  argv: string[],
  defaults: Partial<CommonOptions>,
  extra?: E,
  usage?: string,
): CommonOptions & ExtraValues<E> {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const d: CommonOptions = { ...COMMON_DEFAULTS, ...defaults };
  const common: ParseArgsOptionsConfig = {
    device: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  };
  const options: ParseArgsOptionsConfig = { ...common };
  const numeric = new Map<string, { integer?: boolean; min?: number; default?: number }>();
  for (const [name, o] of Object.entries(extra ?? {})) {
    if (name in common) throw new Error(`parseAppArgs: extra option --${name} clashes with a common option`);
    if (o.type === 'number') {
      numeric.set(name, o);
      options[name] = { type: 'string', ...(o.short ? { short: o.short } : {}) };
    } else {
      const { type, short, multiple, default: def } = o;
      options[name] = { type, ...(short !== undefined ? { short } : {}), ...(multiple !== undefined ? { multiple } : {}), ...(def !== undefined ? { default: def } : {}) } as ParseArgsOptionsConfig[string];
    }
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (e) {
    // node's messages are clear ("Unknown option '--foo'", "Option '--lr' argument is ambiguous ... use '--lr=-XYZ'").
    throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
  if (values.help) {
    console.log(`${usage ? `${usage.trimEnd()}\n\n` : ''}${COMMON_USAGE}`);
    process.exit(0);
  }
  const str = (k: string, def: string): string => {
    const v = values[k];
    if (v === undefined) return def;
    if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${k}: expected a value`);
    return v;
  };
  const out: Record<string, unknown> = {
    device: str('device', d.device),
    epochs: values.epochs === undefined ? d.epochs : parseNumberFlag('epochs', values.epochs as string, { integer: true, min: 1 }),
    batchSize: values['batch-size'] === undefined ? d.batchSize : parseNumberFlag('batch-size', values['batch-size'] as string, { integer: true, min: 1 }),
    lr: values.lr === undefined ? d.lr : parseNumberFlag('lr', values.lr as string, { positive: true }),
    seed: values.seed === undefined ? d.seed : parseNumberFlag('seed', values.seed as string, { integer: true, min: 0 }),
    out: str('out', d.out),
    resume: (values.resume as boolean | undefined) ?? d.resume,
    quiet: (values.quiet as boolean | undefined) ?? d.quiet,
  };
  for (const name of Object.keys(extra ?? {})) {
    const spec = numeric.get(name);
    const v = values[name];
    if (spec) out[camel(name)] = v === undefined ? spec.default : parseNumberFlag(name, v as string, spec);
    else out[camel(name)] = v;
  }
  return out as CommonOptions & ExtraValues<E>;
}

/**
 * Run an app's async main: a UsageError prints `error: ...` and a hint to use --help, then exits
 * with status 2; any other error prints its stack and exits 1. When main resolves, the devices
 * useDevice started are released (releaseDevices: webgpu's device and Dawn), so Node can exit.
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => releaseDevices(),
    (e: unknown) => {
      if (e instanceof UsageError) {
        console.error(`error: ${e.message}\n(run with --help for the options)`);
        process.exit(2);
      }
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
}
