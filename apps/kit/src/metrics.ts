/**
 * Run records: metrics.json (final metrics, per-epoch history, device, wall time, config) and
 * report.html, a self-contained page with one chart.js chart per metric over the epochs (the
 * chart.js UMD build is inlined, so the page works offline) and tables of the final metrics and
 * the config.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from './files.js';

/** One epoch's metrics: `epoch` (1-based) and any numbers (trainLoss, testAccuracy, ...). */
export interface EpochRecord {
  epoch: number;
  [metric: string]: number;
}

/** What an app records about a run. */
export interface RunMetrics {
  app: string;
  device: string;
  /** Final metrics (the last epoch's, or a final evaluation). */
  final: Record<string, number>;
  history: EpochRecord[];
  /** Wall time of the whole run in seconds (for a resumed run: summed over its sessions). */
  wallTimeS: number;
  /** The options the run used. */
  config: object;
  /** Anything else worth keeping (data split, model size, notes). */
  [key: string]: unknown;
}

/** Write `dir/metrics.json` (atomically) with the run's metrics plus environment details; returns its path. */
export async function writeMetrics(dir: string, m: RunMetrics): Promise<string> {
  const file = path.join(dir, 'metrics.json');
  const out = {
    ...m,
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
    },
    writtenAt: new Date().toISOString(),
  };
  writeFileAtomic(file, `${JSON.stringify(out, null, 2)}\n`);
  return file;
}

let chartJsSource: string | undefined;

/** The chart.js UMD bundle, read from the installed package. */
export function chartJsUmd(): string {
  if (chartJsSource === undefined) {
    const require = createRequire(import.meta.url);
    // chart.js's exports map hides dist/chart.umd.js: resolve the main entry and look beside it.
    const main = require.resolve('chart.js');
    chartJsSource = fs.readFileSync(path.join(path.dirname(main), 'chart.umd.js'), 'utf8');
  }
  return chartJsSource;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(5) : v.toExponential(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** JSON for a <script> element: no `</script>` or `<!--` can end it early. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The metrics charted: every numeric key of the history except epoch, in first-seen order. */
export function metricNames(history: EpochRecord[]): string[] {
  const names: string[] = [];
  for (const r of history) for (const [k, v] of Object.entries(r)) if (k !== 'epoch' && typeof v === 'number' && !names.includes(k)) names.push(k);
  return names;
}

/** The report page as a string (see writeReport). */
export function renderReport(m: RunMetrics): string {
  const metrics = metricNames(m.history);
  const rows = (obj: object) =>
    Object.entries(obj)
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(fmt(v))}</td></tr>`)
      .join('\n');
  const charts = metrics.map((name, i) => `<figure><canvas id="chart-${i}" aria-label="${esc(name)} per epoch"></canvas></figure>`).join('\n');
  const data = { metrics, history: m.history };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(m.app)}: training report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.5rem; }
figure { margin: 0; padding: 0.5rem; border: 1px solid #ddd; border-radius: 6px; height: 280px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 0.2rem 0.8rem; border-bottom: 1px solid #eee; }
th { font-weight: 600; } td { font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>${esc(m.app)}</h1>
<p>device <b>${esc(m.device)}</b> · ${m.history.length} epochs · wall time ${esc(fmt(m.wallTimeS))} s</p>
<h2>Final metrics</h2>
<table id="final">
${rows(m.final)}
</table>
<h2>Curves</h2>
<div class="charts">
${charts}
</div>
<h2>Config</h2>
<table id="config">
${rows(m.config)}
</table>
<script id="metrics-data" type="application/json">${scriptJson(data)}</script>
<script>
${chartJsUmd().replace(/<\/script/gi, '<\\/script')}
</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('metrics-data').textContent);
  var colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  data.metrics.forEach(function (name, i) {
    var points = data.history.filter(function (r) { return typeof r[name] === 'number'; })
      .map(function (r) { return { x: r.epoch, y: r[name] }; });
    new Chart(document.getElementById('chart-' + i), {
      type: 'line',
      data: { datasets: [{ label: name, data: points, borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length], tension: 0.1 }] },
      options: {
        maintainAspectRatio: false, animation: false, parsing: false,
        plugins: { title: { display: true, text: name + ' per epoch' } },
        scales: { x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0 } }, y: { title: { display: true, text: name } } }
      }
    });
  });
})();
</script>
</body>
</html>
`;
}

/** Write `dir/report.html`: one chart per metric over the epochs, final metrics and config; returns its path. */
export async function writeReport(dir: string, m: RunMetrics): Promise<string> {
  const file = path.join(dir, 'report.html');
  writeFileAtomic(file, renderReport(m));
  return file;
}
