// /explore/metrics: PromQL box with a time-series chart (float lines, native-histogram heatmaps).
import { h, replace, errorBox } from '../dom.js';
import { promRange, promLabelValues } from '../api.js';
import { lineChart, heatmap } from '../chart.js';
import { fmtLabels, RANGES, rangeSeconds, stepFor } from '../format.js';
import { navigate } from '../nav.js';
import { floatPoints } from '../promql.js';

const MAX_HEATMAPS = 4;
const DEFAULT_QUERY = 'sum by (service_name) (rate(traces_spanmetrics_calls_total[5m]))';

export async function render(main, params, signal) {
  const query = params.query.get('q') ?? DEFAULT_QUERY;
  const range = RANGES.includes(params.query.get('range')) ? params.query.get('range') : '1h';
  const names = h('datalist', { id: 'metric-names' });
  const form = h('form', { class: 'search-form', id: 'promql-form' },
    h('label', { class: 'wide' }, 'PromQL', h('input', { name: 'q', value: query, list: 'metric-names', spellcheck: 'false', autocomplete: 'off', class: 'mono' })),
    h('label', null, 'Range', h('select', { name: 'range' }, RANGES.map((r) => h('option', { value: r, selected: r === range }, `last ${r}`)))),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Run')),
    names);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams({ q: form.elements.q.value, range: form.elements.range.value });
    navigate(`/explore/metrics?${next}`);
  });
  const out = h('div', { id: 'promql-result' }, h('p', { class: 'muted' }, 'Running…'));
  replace(main, h('section', { class: 'page-head' }, h('h1', null, 'Metrics'),
    h('p', { class: 'muted' }, 'Any PromQL expression over the stored series; native histograms are drawn as heatmaps.')), form, out);

  promLabelValues('__name__').then((values) => {
    if (!signal.aborted) replace(names, values.map((v) => h('option', { value: v })));
  }).catch(() => { /* autocomplete is optional */ });

  if (!query.trim()) { replace(out); return; }
  const span = rangeSeconds(range);
  const end = Math.ceil(Date.now() / 1000);
  const start = end - span;
  const step = stepFor(span);
  let data;
  try {
    data = await promRange(query, start, end, step);
  } catch (err) {
    if (!signal.aborted) replace(out, errorBox(err));
    return;
  }
  if (signal.aborted) return;
  const result = data.result ?? [];
  const floats = [];
  const histos = [];
  for (const sr of result) {
    const label = fmtLabels(sr.metric);
    if (sr.values?.length) floats.push({ label, points: floatPoints(sr) });
    if (sr.histograms?.length) {
      const cells = [];
      for (const [t, hist] of sr.histograms) {
        for (const [, lower, upper, count] of hist.buckets ?? []) cells.push({ t: Number(t), lower: Number(lower), upper: Number(upper), count: Number(count) });
      }
      histos.push({ label, cells });
    }
  }
  const parts = [h('p', { class: 'muted' }, `${result.length} series · step ${step}s`)];
  if (floats.length) parts.push(lineChart({ series: floats, start, end, step }));
  for (const hm of histos.slice(0, MAX_HEATMAPS)) parts.push(h('h3', { class: 'mono' }, hm.label), heatmap({ ...hm, start, end, step }));
  if (histos.length > MAX_HEATMAPS) parts.push(h('p', { class: 'muted' }, `${histos.length - MAX_HEATMAPS} more histogram series not drawn; aggregate them with sum().`));
  if (result.length === 0) parts.push(h('p', { class: 'empty' }, 'The query returned no series in this range.'));
  replace(out, ...parts);
}
