import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { epochGenerator, isFlat, ProgressBar, trackLiveTensors, writeMetrics, writeReport, type RunMetrics } from '../src/index.js';
import { randn, setDefaultDevice } from '@tensile/core';

setDefaultDevice('js');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-report-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const run: RunMetrics = {
  app: 'demo-app',
  device: 'js',
  final: { testAccuracy: 0.9812, testLoss: 0.0612 },
  history: [
    { epoch: 1, trainLoss: 0.5, testAccuracy: 0.95 },
    { epoch: 2, trainLoss: 0.25, testAccuracy: 0.97 },
    { epoch: 3, trainLoss: 0.125, testAccuracy: 0.9812, lr: 0.001 },
  ],
  wallTimeS: 12.5,
  config: { epochs: 3, batchSize: 32, lr: 0.001, note: '</script><b>x</b>' },
  split: { train: 8000, test: 2000 },
};

describe('metrics.json and report.html', () => {
  it('writes metrics.json with the final metrics, history, device, wall time and config', async () => {
    const file = await writeMetrics(path.join(dir, 'nested'), run);
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(m.app).toBe('demo-app');
    expect(m.device).toBe('js');
    expect(m.final).toEqual(run.final);
    expect(m.history).toEqual(run.history);
    expect(m.wallTimeS).toBe(12.5);
    expect(m.config).toEqual(run.config);
    expect(m.split).toEqual({ train: 8000, test: 2000 });
    expect(m.environment.node).toBe(process.version);
  });

  it('writes a self-contained report.html with chart.js inlined, one chart per metric and the data', async () => {
    const file = await writeReport(dir, run);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Chart.js v4.6.1'); // the UMD bundle's banner: inlined, not linked
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('new Chart(');
    for (const [i, name] of ['trainLoss', 'testAccuracy', 'lr'].entries()) {
      expect(html).toContain(`<canvas id="chart-${i}" aria-label="${name} per epoch">`);
    }
    expect(html).not.toContain('chart-3');
    const data = JSON.parse(/<script id="metrics-data" type="application\/json">(.*?)<\/script>/.exec(html)![1]!);
    expect(data.metrics).toEqual(['trainLoss', 'testAccuracy', 'lr']);
    expect(data.history).toEqual(run.history);
    expect(html).toMatch(/<th>testAccuracy<\/th><td>0\.98120<\/td>/);
    expect(html).toContain('<th>batchSize</th><td>32</td>');
    // config text is escaped, it cannot close a script or inject markup
    expect(html).toContain('&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;');
  });
});

class Capture extends Writable {
  text = '';
  isTTY = false;
  _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

describe('ProgressBar', () => {
  it('prints no line per tick when not on a terminal, and a summary with values and speed at stop', () => {
    const out = new Capture();
    const bar = new ProgressBar(100, 'epoch 1/3', { stream: out as unknown as NodeJS.WriteStream, unit: 'img', interval: 60 });
    for (let i = 0; i < 10; i++) bar.tick(10, { loss: 0.123456 });
    expect(out.text).toBe('');
    bar.stop();
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(out.text).toMatch(/^epoch 1\/3 100% 100\/100 \| loss 0\.1235 \| [\d.e+]+ img\/s \| /);
    bar.stop();
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('prints nothing when quiet', () => {
    const out = new Capture();
    const bar = new ProgressBar(10, 'x', { stream: out as unknown as NodeJS.WriteStream, quiet: true, interval: 0 });
    bar.tick(5, { loss: 1 });
    bar.stop();
    expect(out.text).toBe('');
  });

  it('prints at most one line per interval when not on a terminal', () => {
    const out = new Capture();
    const bar = new ProgressBar(10, 'x', { stream: out as unknown as NodeJS.WriteStream, interval: 0 });
    bar.tick(5, { loss: 1 });
    expect(out.text).toMatch(/^x 50% 5\/10 \| loss 1 \|/);
  });
});

describe('helpers', () => {
  it('epochGenerator depends on (seed, epoch, stream) only', () => {
    const draw = (seed: number, epoch: number, stream = 0) => {
      const t = randn([4], { generator: epochGenerator(seed, epoch, stream) });
      const v = Array.from(t.dataSync() as Float32Array);
      t.dispose();
      return v;
    };
    expect(draw(1, 3)).toEqual(draw(1, 3));
    expect(draw(1, 3)).not.toEqual(draw(1, 4));
    expect(draw(1, 3)).not.toEqual(draw(2, 3));
    expect(draw(1, 3)).not.toEqual(draw(1, 3, 1));
  });

  it('trackLiveTensors counts live tensors', () => {
    const n = trackLiveTensors();
    const t = randn([2]);
    expect(trackLiveTensors()).toBe(n + 1);
    t.dispose();
    expect(isFlat([n, trackLiveTensors()])).toBe(true);
    expect(isFlat([3, 4])).toBe(false);
  });
});
