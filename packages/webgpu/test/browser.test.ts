// The browser example (example/) in headless Chromium: Vite serves the page from the TypeScript
// sources, Debian's chromium (through playwright-core) trains the spiral MLP on WebGPU in the
// page and then on 'js'; the loss must fall and the webgpu losses and logits must match js.
// A screenshot goes to test-results/browser.png. Skipped, with the reason printed and in the
// test name, when chromium is missing or the page gets no WebGPU adapter.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExampleState } from '../example/train.js';

/** Relative tolerance on each step's loss, absolute tolerance on the final logits (float32, different summation orders). */
const LOSS_RTOL = 1e-3;
const LOGIT_ATOL = 2e-3;
/** Bounds: browser launch, page load, training (SwiftShader in Chromium is slow), whole run. */
const LAUNCH_MS = 60_000;
const TRAIN_MS = 240_000;

const CHROMIUM = process.env.TENSILE_CHROMIUM ?? '/usr/bin/chromium';
/** The flags that give headless Chromium a WebGPU adapter with no GPU (SwiftShader, built into Chromium). */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const exampleDir = fileURLToPath(new URL('../example/', import.meta.url));
const screenshot = fileURLToPath(new URL('../test-results/browser.png', import.meta.url));

type Outcome = { kind: 'skip'; reason: string } | { kind: 'ran'; state: ExampleState; log: string[] };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`browser test: ${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Serve the example, run it in chromium, screenshot it; always closes the browser and the server. */
async function runExample(): Promise<Outcome> {
  if (!existsSync(CHROMIUM)) return { kind: 'skip', reason: `${CHROMIUM} not found (apt-get install chromium, or run packages/webgpu/scripts/setup-driver.sh)` };
  const { chromium } = await import('playwright-core');
  const { createServer } = await import('vite');
  const port = await freePort();
  const server = await createServer({ configFile: join(exampleDir, 'vite.config.ts'), server: { port, strictPort: true, host: '127.0.0.1' } });
  const profile = mkdtempSync(join(tmpdir(), 'tensile-chromium-'));
  const log: string[] = [];
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    await server.listen();
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: LAUNCH_MS, viewport: { width: 1400, height: 560 } });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: LAUNCH_MS });
    await page.waitForFunction(() => (globalThis as unknown as { tensileExample?: ExampleState }).tensileExample?.done === true, undefined, { timeout: TRAIN_MS, polling: 250 });
    const state = await page.evaluate(() => (globalThis as unknown as { tensileExample: ExampleState }).tensileExample);
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true, timeout: 30_000 });
    if (state.skipped) return { kind: 'skip', reason: `no WebGPU in headless chromium: ${state.skipped}` };
    return { kind: 'ran', state, log };
  } finally {
    await withTimeout(context?.close() ?? Promise.resolve(), 20_000, 'closing chromium').catch((e: Error) => console.warn(e.message));
    await withTimeout(server.close(), 20_000, 'closing vite').catch((e: Error) => console.warn(e.message));
    rmSync(profile, { recursive: true, force: true });
  }
}

const outcome = await withTimeout(runExample(), LAUNCH_MS * 2 + TRAIN_MS + 60_000, 'the example run');
if (outcome.kind === 'skip') console.warn(`[@tensile/webgpu browser test] skipped: ${outcome.reason}`);

if (outcome.kind === 'ran') {
  const { state, log } = outcome;
  describe(`browser example in headless chromium (adapter ${state.adapter ?? '?'})`, () => {
    it('trains without errors on webgpu and js in the page', () => {
      if (state.error) console.error(`page error: ${state.error}\n${log.join('\n')}`);
      expect(state.error).toBeUndefined();
      expect(state.webgpu?.device).toBe('webgpu');
      expect(state.js?.device).toBe('js');
      console.log(`webgpu step ms: ${state.webgpu!.stepMs.map((v) => v.toFixed(0)).join(' ')}`);
      console.log(`browser: webgpu ${state.webgpu!.ms.toFixed(0)} ms, js ${state.js!.ms.toFixed(0)} ms; screenshot ${screenshot}`);
    });

    it('the loss falls on webgpu (below a third of the first loss) and the spiral is learned (accuracy >= 90%)', () => {
      const l = state.webgpu!.losses;
      console.log(`browser webgpu losses: ${l.filter((_, i) => i % 10 === 0 || i === l.length - 1).map((v) => v.toFixed(4)).join(' ')}`);
      expect(l.every(Number.isFinite)).toBe(true);
      expect(l.at(-1)!).toBeLessThan(l[0]! / 3);
      expect(state.webgpu!.accuracy).toBeGreaterThanOrEqual(0.9);
    });

    it(`webgpu matches js: every loss within rtol ${LOSS_RTOL}, final logits within atol ${LOGIT_ATOL}`, () => {
      const w = state.webgpu!, j = state.js!;
      expect(w.losses.length).toBe(j.losses.length);
      expect(w.logits.length).toBe(j.logits.length);
      console.log(`browser max loss rel. diff ${state.maxLossRelDiff!.toExponential(2)}, max logit abs. diff ${state.maxLogitAbsDiff!.toExponential(2)}`);
      w.losses.forEach((l, i) => expect(Math.abs(l - j.losses[i]!) / Math.abs(j.losses[i]!)).toBeLessThan(LOSS_RTOL));
      w.logits.forEach((v, i) => expect(Math.abs(v - j.logits[i]!)).toBeLessThan(LOGIT_ATOL));
      expect(w.accuracy).toBe(j.accuracy);
    });

    it('saved a screenshot of the page', () => {
      expect(existsSync(screenshot)).toBe(true);
    });
  });
} else {
  describe.skip(`browser example skipped: ${outcome.reason}`, () => {
    it('trains on webgpu in headless chromium and matches js', () => {});
  });
}
