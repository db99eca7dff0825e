/**
 * The CLI's report: for each metric of a suite, one table with a line per (case, threads), a
 * column per system, the best peer and the ratio Tensile / best peer.
 *
 * Tensile systems are those named `tensile-*`; references (`js-number`, `js-typedarray`: the
 * floor of plain JS) are shown but are not peers. Whether higher is better follows the unit:
 * rates (".../s") higher, times (s, ms, µs, ns/op) lower. For rates a ratio >= 1 means Tensile
 * is at least as fast as the best peer; for times a ratio <= 1 does.
 */
import type { BenchRow } from '../types';

export const REFERENCE_SYSTEMS = new Set(['js-number', 'js-typedarray', 'machine']);
/** Column order: Tensile first, then peers, then references; unknown names after, by name. */
const ORDER = ['tensile-cpu', 'tensile-js', 'torch', 'numpy', 'onnxruntime', 'tfjs-wasm', 'tfjs-cpu', 'js-number', 'js-typedarray', 'machine'];
const rank = (s: string) => {
  const i = ORDER.indexOf(s);
  return i >= 0 ? i : isTensile(s) ? 2 : REFERENCE_SYSTEMS.has(s) ? ORDER.length : ORDER.length - 3;
};
const isTensile = (s: string) => s.startsWith('tensile-');
const isPeer = (s: string) => !isTensile(s) && !REFERENCE_SYSTEMS.has(s);

export function direction(unit: string): 'higher' | 'lower' | null {
  if (unit.endsWith('/s')) return 'higher';
  if (['s', 'ms', 'µs', 'us', 'ns', 'ns/op', 'µs/op', 'ms/iter'].includes(unit)) return 'lower';
  return null;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export interface RatioRow {
  case: string;
  threads: number;
  metric: string;
  unit: string;
  tensile: string;
  value: number;
  bestPeer: string;
  peerValue: number;
  ratio: number;
}

/** Ratio of each Tensile row to the best peer row of the same case, threads and metric. */
export function ratios(rows: BenchRow[]): RatioRow[] {
  const out: RatioRow[] = [];
  for (const t of rows) {
    const dir = direction(t.unit);
    if (!dir || !isTensile(t.system)) continue;
    const peers = rows.filter((r) => isPeer(r.system) && r.case === t.case && r.threads === t.threads && r.metric === t.metric && r.unit === t.unit);
    if (peers.length === 0) continue;
    const best = peers.reduce((a, b) => ((dir === 'higher' ? b.value > a.value : b.value < a.value) ? b : a));
    out.push({ case: t.case, threads: t.threads, metric: t.metric, unit: t.unit, tensile: t.system, value: t.value, bestPeer: best.system, peerValue: best.value, ratio: t.value / best.value });
  }
  return out;
}

function table(header: string[], body: string[][], leftCols = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

/** The printed report for one suite's rows. */
export function formatReport(rows: BenchRow[]): string {
  const lines: string[] = [];
  const avail = rows.filter((r) => r.metric === 'available');
  // A system can be missing in one run and present in another (e.g. built meanwhile).
  const missingIn = new Map<string, Map<number, string>>();
  for (const r of avail) {
    if (r.value !== 0) continue;
    if (!missingIn.has(r.system)) missingIn.set(r.system, new Map());
    missingIn.get(r.system)!.set(r.threads, r.note ?? '');
  }
  const present = new Set(avail.filter((r) => r.value === 1).map((r) => r.system));
  const missing = new Map([...missingIn].filter(([s]) => !present.has(s)).map(([s, m]) => [s, [...m.values()][0]!]));

  const data = rows.filter((r) => r.metric !== 'available');
  const groups = new Map<string, BenchRow[]>();
  for (const r of data) {
    const k = `${r.metric}\u0000${r.unit}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const ratioRows = ratios(rows);
  for (const [k, g] of groups) {
    const [metric, unit] = k.split('\u0000') as [string, string];
    const dir = direction(unit);
    // Missing systems get a column only in tables that compare Tensile with peers.
    const compares = dir !== null && g.some((r) => !REFERENCE_SYSTEMS.has(r.system));
    const systems = [...new Set([...g.map((r) => r.system), ...(compares ? missing.keys() : [])])];
    systems.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const tensiles = systems.filter(isTensile);
    const withRatio = compares && tensiles.length > 0;
    // Case order: that of the system with the most rows (the one that ran every case), then the rest.
    const counts = new Map<string, number>();
    for (const r of g) counts.set(r.system, (counts.get(r.system) ?? 0) + 1);
    const fullest = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    const caseOrder = [...new Set([...g.filter((r) => r.system === fullest), ...g].map((r) => r.case))];
    const keys = [...new Set(g.map((r) => `${r.case}\u0000${r.threads}`))].sort((a, b) => {
      const [ca, ta] = a.split('\u0000'), [cb, tb] = b.split('\u0000');
      return caseOrder.indexOf(ca!) - caseOrder.indexOf(cb!) || Number(ta) - Number(tb);
    });
    const header = ['case', 'thr', ...systems];
    // PyTorch is the reference peer of the goals (issue 3), so it gets its own ratio too.
    const vsTorch = withRatio && g.some((r) => r.system === 'torch');
    if (withRatio) header.push('best peer', ...tensiles.map((t) => `${t}/best`), ...(vsTorch ? tensiles.map((t) => `${t}/torch`) : []));
    const body = keys.map((key) => {
      const [c, th] = key.split('\u0000') as [string, string];
      const cells = [c, th];
      for (const s of systems) {
        const r = g.find((x) => x.system === s && x.case === c && String(x.threads) === th);
        cells.push(r ? fmt(r.value) : missingIn.get(s)?.has(Number(th)) || missing.has(s) ? 'missing' : '-');
      }
      if (withRatio) {
        const rr = ratioRows.filter((x) => x.metric === metric && x.unit === unit && x.case === c && String(x.threads) === th);
        const peers = g.filter((y) => isPeer(y.system) && y.case === c && String(y.threads) === th);
        const best = peers.length ? peers.reduce((a, b) => ((dir === 'higher' ? b.value > a.value : b.value < a.value) ? b : a)).system : '-';
        cells.push(best);
        for (const t of tensiles) {
          const x = rr.find((y) => y.tensile === t);
          cells.push(x ? `${x.ratio.toFixed(2)}x` : '-');
        }
        if (vsTorch) {
          for (const t of tensiles) {
            const tv = g.find((y) => y.system === t && y.case === c && String(y.threads) === th);
            const pv = g.find((y) => y.system === 'torch' && y.case === c && String(y.threads) === th);
            cells.push(tv && pv ? `${(tv.value / pv.value).toFixed(2)}x` : '-');
          }
        }
      }
      return cells;
    });
    const how = !withRatio ? '' : dir === 'higher' ? 'higher is better; ratio >= 1 beats the best peer' : dir === 'lower' ? 'lower is better; ratio <= 1 beats the best peer' : '';
    lines.push(`${metric} [${unit}]${how ? ` (${how})` : ''}`);
    lines.push(...table(header, body, 1), '');
  }
  if (missingIn.size > 0) {
    lines.push('missing systems:');
    for (const [s, m] of missingIn) {
      for (const [th, why] of m) lines.push(`  ${s}${present.has(s) ? ` (threads ${th} only)` : ''}: ${why}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
