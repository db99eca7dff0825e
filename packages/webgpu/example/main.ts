/**
 * The browser example: trains the spiral MLP (train.ts) on 'webgpu' in the page, then on 'js',
 * draws both loss curves and the webgpu model's decision map, and publishes the results on
 * `window.tensileExample` for test/browser.test.ts.
 */
import { ready } from '@tensile/core';
import { webgpuInfo, webgpuStats } from '@tensile/webgpu';
import { spiral, STEPS, trainOn, type ExampleState, type RunResult } from './train.js';

declare global {
  interface Window {
    tensileExample: ExampleState;
  }
}

const state: ExampleState = { done: false };
window.tensileExample = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string, cls = '') => {
  const el = $('status');
  el.textContent = text;
  el.className = cls;
};

const curves: Record<string, number[]> = { webgpu: [], js: [] };
const COLORS: Record<string, string> = { webgpu: '#2563eb', js: '#f59e0b' };

function drawLoss(): void {
  const cv = $<HTMLCanvasElement>('loss');
  const g = cv.getContext('2d')!;
  const W = cv.width, H = cv.height, L = 44, B = 24, T = 8, R = 8;
  g.clearRect(0, 0, W, H);
  const all = [...curves.webgpu!, ...curves.js!];
  const top = Math.max(0.8, ...all) * 1.05;
  g.strokeStyle = '#c5ccd6';
  g.fillStyle = '#5b6575';
  g.font = '11px system-ui';
  g.beginPath();
  g.moveTo(L, T);
  g.lineTo(L, H - B);
  g.lineTo(W - R, H - B);
  g.stroke();
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4, yy = H - B - ((H - B - T) * k) / 4;
    g.fillText(v.toFixed(2), 4, yy + 4);
  }
  g.fillText('0', L - 3, H - 8);
  g.fillText(`step ${STEPS}`, W - R - 48, H - 8);
  for (const dev of ['webgpu', 'js']) {
    const c = curves[dev]!;
    g.strokeStyle = COLORS[dev]!;
    g.lineWidth = dev === 'webgpu' ? 3 : 1.5;
    g.setLineDash(dev === 'js' ? [5, 4] : []);
    g.beginPath();
    c.forEach((v, i) => {
      const xx = L + ((W - L - R) * i) / (STEPS - 1), yy = H - B - ((H - B - T) * v) / top;
      if (i === 0) g.moveTo(xx, yy);
      else g.lineTo(xx, yy);
    });
    g.stroke();
  }
  g.setLineDash([]);
  g.lineWidth = 1;
}

function drawMap(r: RunResult): void {
  const cv = $<HTMLCanvasElement>('map');
  const g = cv.getContext('2d')!;
  const n = r.gridSize, cell = cv.width / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = r.grid[i * n + j]!;
      g.fillStyle = `rgb(${Math.round(255 - 60 * p)}, ${Math.round(225 - 20 * Math.abs(p - 0.5))}, ${Math.round(195 + 60 * p)})`;
      g.fillRect(j * cell, i * cell, cell + 1, cell + 1);
    }
  }
  const { points, labels } = spiral();
  for (let k = 0; k < labels.length; k++) {
    const px = ((points[2 * k]! + 1.1) / 2.2) * cv.width, py = ((1.1 - points[2 * k + 1]!) / 2.2) * cv.height;
    g.fillStyle = labels[k] ? '#1d4ed8' : '#c2410c';
    g.beginPath();
    g.arc(px, py, 3, 0, 2 * Math.PI);
    g.fill();
  }
}

function showResults(): void {
  const rows: [string, string, string][] = [['', 'webgpu', 'js']];
  const w = state.webgpu, j = state.js;
  const f = (r: RunResult | undefined, fn: (r: RunResult) => string) => (r ? fn(r) : '…');
  rows.push(['first loss', f(w, (r) => r.losses[0]!.toFixed(5)), f(j, (r) => r.losses[0]!.toFixed(5))]);
  rows.push(['final loss', f(w, (r) => r.losses.at(-1)!.toFixed(5)), f(j, (r) => r.losses.at(-1)!.toFixed(5))]);
  rows.push(['accuracy', f(w, (r) => `${(100 * r.accuracy).toFixed(1)}%`), f(j, (r) => `${(100 * r.accuracy).toFixed(1)}%`)]);
  rows.push(['time', f(w, (r) => `${(r.ms / 1000).toFixed(2)} s`), f(j, (r) => `${(r.ms / 1000).toFixed(2)} s`)]);
  if (state.maxLossRelDiff !== undefined) rows.push(['max loss rel. diff', state.maxLossRelDiff.toExponential(2), '']);
  if (state.maxLogitAbsDiff !== undefined) rows.push(['max logit abs. diff', state.maxLogitAbsDiff.toExponential(2), '']);
  const tb = $('results');
  tb.innerHTML = '';
  rows.forEach((r, i) => {
    const tr = document.createElement('tr');
    for (const c of r) {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      td.textContent = c;
      tr.appendChild(td);
    }
    tb.appendChild(tr);
  });
}

async function main(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    state.skipped = 'navigator.gpu is missing (WebGPU disabled or unsupported in this browser)';
    status(`skipped: ${state.skipped}`, 'skip');
    return;
  }
  try {
    await ready('webgpu');
  } catch (e) {
    state.skipped = `no WebGPU device: ${(e as Error).message}`;
    status(`skipped: ${state.skipped}`, 'skip');
    return;
  }
  const info = webgpuInfo().adapter;
  state.adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown';
  $('adapter').textContent = `adapter: ${state.adapter}`;
  let last = 0;
  const progress = (dev: string) => (step: number, loss: number) => {
    curves[dev]!.push(loss);
    if (step === STEPS - 1 || performance.now() - last > 100) {
      last = performance.now();
      status(`training on ${dev}: step ${step + 1}/${STEPS}, loss ${loss.toFixed(4)}`);
      drawLoss();
    }
  };
  state.webgpu = await trainOn('webgpu', progress('webgpu'));
  state.stats = { ...webgpuStats() };
  drawMap(state.webgpu);
  showResults();
  // Let the page paint before the js run.
  await new Promise((r) => setTimeout(r, 0));
  state.js = await trainOn('js', progress('js'));
  drawLoss();
  const w = state.webgpu, j = state.js;
  state.maxLossRelDiff = Math.max(...w.losses.map((l, i) => Math.abs(l - j.losses[i]!) / Math.abs(j.losses[i]!)));
  state.maxLogitAbsDiff = Math.max(...w.logits.map((v, i) => Math.abs(v - j.logits[i]!)));
  showResults();
  status(`done: loss ${w.losses[0]!.toFixed(3)} → ${w.losses.at(-1)!.toFixed(3)} on webgpu, accuracy ${(100 * w.accuracy).toFixed(1)}%; matches js (max loss rel. diff ${state.maxLossRelDiff.toExponential(1)})`, 'ok');
}

main()
  .catch((e: unknown) => {
    state.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    status(`error: ${state.error.split('\n')[0]}`, 'fail');
  })
  .finally(() => {
    state.done = true;
  });
