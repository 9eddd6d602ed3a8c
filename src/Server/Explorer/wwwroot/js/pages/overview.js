// '/': services overview from the span-metrics series through the PromQL API, with exemplar dots on
// the latency chart that open the trace.
import { h, replace, errorBox } from '../dom.js';
import { promQuery, promRange, promExemplars } from '../api.js';
import { lineChart } from '../chart.js';
import { fmtSeconds, fmtPercent, fmtNumber, RANGES, rangeSeconds, stepFor } from '../format.js';
import { navigate, setQuery, traceHref } from '../nav.js';
import { selector, promDuration, vectorByKey, floatPoints } from '../promql.js';

const CALLS = 'traces_spanmetrics_calls_total';
const DURATION = 'traces_spanmetrics_duration_seconds';
const ERROR = 'STATUS_CODE_ERROR';
const BY = 'service_name, span_name';
const KEY = ['service_name', 'span_name'];

export async function render(main, params, signal) {
  const range = RANGES.includes(params.query.get('range')) ? params.query.get('range') : '1h';
  const service = params.query.get('service') ?? '';
  const window = promDuration(rangeSeconds(range));

  const rangeSelect = h('select', { id: 'range', 'aria-label': 'Time range', onchange: () => { setQuery({ range: rangeSelect.value }); navigate(location.pathname + location.search, { replace: true }); } },
    RANGES.map((r) => h('option', { value: r, selected: r === range }, `last ${r}`)));
  const table = h('div', { id: 'services-table' }, h('p', { class: 'muted' }, 'Loading services…'));
  const latency = h('div', { id: 'latency-chart' }, h('p', { class: 'muted' }, 'Loading latency…'));
  const rate = h('div', { id: 'rate-chart' });
  replace(main,
    h('section', { class: 'page-head' }, h('h1', null, 'Services'), h('div', { class: 'controls' }, rangeSelect),
      h('p', { class: 'muted' }, `Rate, errors and latency of every service and endpoint from the span metrics (${CALLS}, native histogram ${DURATION}).`)),
    table,
    h('section', null, h('h2', null, 'Latency', service ? ` – ${service}` : ' – all services', service ? [' ', h('a', { href: `/?range=${range}` }, '(show all)')] : null), latency),
    h('section', null, h('h2', null, 'Requests and errors per second'), rate));

  const now = Date.now() / 1000;
  loadTable(table, range, window, now, signal).catch((err) => { if (!signal.aborted) replace(table, errorBox(err)); });
  loadCharts(latency, rate, service, range, now, signal).catch((err) => { if (!signal.aborted) replace(latency, errorBox(err)); });
}

// One failing query (say, a function the engine lacks) blanks its column, not the whole page.
function settle(promise, problems, empty = []) {
  return promise.catch((err) => { problems.push(err.message ?? String(err)); return empty; });
}

function problemNote(problems) {
  return problems.length ? h('p', { class: 'warn' }, `Some queries failed: ${[...new Set(problems)].join(' · ')}`) : null;
}

async function quantiles(q, window, time) {
  const ranged = await promQuery(`histogram_quantile(${q}, sum by (${BY}) (rate(${DURATION}[${window}])))`, time);
  if (ranged.some((el) => el.value && Number.isFinite(Number(el.value[1])))) return ranged;
  // A fresh server has one sample per series, too few for rate(); the cumulative histogram still answers.
  return promQuery(`histogram_quantile(${q}, sum by (${BY}) (${DURATION}))`, time);
}

async function loadTable(container, range, window, now, signal) {
  const errSel = selector({ status_code: ERROR });
  const problems = [];
  const [total, errTotal, rate, errRate, p50, p95, p99] = await Promise.all([
    promQuery(`sum by (${BY}) (${CALLS})`, now),
    settle(promQuery(`sum by (${BY}) (${CALLS}${errSel})`, now), problems),
    settle(promQuery(`sum by (${BY}) (rate(${CALLS}[${window}]))`, now), problems),
    settle(promQuery(`sum by (${BY}) (rate(${CALLS}${errSel}[${window}]))`, now), problems),
    settle(quantiles(0.5, window, now), problems), settle(quantiles(0.95, window, now), problems), settle(quantiles(0.99, window, now), problems),
  ]);
  if (signal.aborted) return;
  const maps = [total, errTotal, rate, errRate, p50, p95, p99].map((r) => vectorByKey(r, KEY));
  const [mTotal, mErrTotal, mRate, mErrRate, m50, m95, m99] = maps;
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  if (keys.length === 0) {
    replace(container, h('p', { class: 'empty' }, 'No span metrics yet. Send spans to POST /v1/traces (OTLP) or start the sensor.'));
    return;
  }
  const rows = keys.map((key) => {
    const [svc, span] = key.split('\u0000');
    const r = mRate.get(key);
    const errPct = r > 0 ? (mErrRate.get(key) ?? 0) / r : (mTotal.get(key) > 0 ? (mErrTotal.get(key) ?? 0) / mTotal.get(key) : NaN);
    return h('tr', { class: errPct > 0 ? 'has-errors' : null },
      h('td', null, h('a', { href: `/?range=${range}&service=${encodeURIComponent(svc)}`, title: 'Show this service\'s latency and exemplars' }, svc)),
      h('td', null, h('a', { href: `/search?service=${encodeURIComponent(svc)}&name=${encodeURIComponent(span)}&range=${range}`, title: 'Search traces of this endpoint' }, span)),
      h('td', { class: 'num' }, r === undefined ? '–' : fmtNumber(r)),
      h('td', { class: ['num', errPct > 0 && 'err-text'] }, Number.isFinite(errPct) ? fmtPercent(errPct) : '–'),
      h('td', { class: 'num' }, fmtSeconds(m50.get(key))),
      h('td', { class: 'num' }, fmtSeconds(m95.get(key))),
      h('td', { class: 'num' }, fmtSeconds(m99.get(key))),
      h('td', { class: 'num' }, mTotal.has(key) ? fmtNumber(mTotal.get(key), 6) : '–'));
  });
  replace(container, problemNote(problems), h('table', { class: 'grid-table services' },
    h('thead', null, h('tr', null, ['Service', 'Endpoint', 'Req/s', 'Errors', 'p50', 'p95', 'p99', 'Calls (total)'].map((t, i) => h('th', { class: i > 1 ? 'num' : null }, t)))),
    h('tbody', null, rows)));
}

async function loadCharts(latency, rate, service, range, now, signal) {
  const span = rangeSeconds(range);
  const start = Math.floor(now - span);
  const end = Math.ceil(now);
  const step = stepFor(span);
  const win = promDuration(Math.max(step * 4, 60));
  const sel = selector({ service_name: service });
  const durationSel = `${DURATION}${sel}`;
  const problems = [];
  const noMatrix = { result: [] };
  const [q50, q95, q99, exemplars, rates, errors] = await Promise.all([
    ...[0.5, 0.95, 0.99].map((q) => settle(promRange(`histogram_quantile(${q}, sum(rate(${durationSel}[${win}])))`, start, end, step), problems, noMatrix)),
    settle(promExemplars(durationSel, start, end), problems),
    settle(promRange(`sum by (service_name) (rate(${CALLS}${sel}[${win}]))`, start, end, step), problems, noMatrix),
    settle(promRange(`sum by (service_name) (rate(${CALLS}${selector({ service_name: service, status_code: ERROR })}[${win}]))`, start, end, step), problems, noMatrix),
  ]);
  if (signal.aborted) return;
  const series = [];
  [['p50', q50], ['p95', q95], ['p99', q99]].forEach(([label, data]) => {
    for (const sr of data.result ?? []) series.push({ label, points: floatPoints(sr) });
  });
  const dots = [];
  for (const group of exemplars ?? []) {
    const labels = group.seriesLabels ?? {};
    for (const ex of group.exemplars ?? []) {
      const traceId = ex.labels?.trace_id ?? ex.labels?.traceID ?? ex.labels?.traceId;
      if (!traceId) continue;
      const v = Number(ex.value);
      dots.push({ t: Number(ex.timestamp), v, traceId, title: `trace ${traceId} · ${fmtSeconds(v)} · ${labels.service_name ?? ''} ${labels.span_name ?? ''}` });
    }
  }
  replace(latency, problemNote(problems), series.length === 0 && dots.length === 0
    ? h('p', { class: 'empty' }, 'No latency data in this range.')
    : lineChart({ series, exemplars: dots, start, end, step, yFormat: fmtSeconds, onExemplar: (id) => navigate(traceHref(id)) }));

  const rateSeries = [];
  for (const sr of rates.result ?? []) rateSeries.push({ label: `${sr.metric?.service_name ?? 'all'} req/s`, points: floatPoints(sr) });
  for (const sr of errors.result ?? []) rateSeries.push({ label: `${sr.metric?.service_name ?? 'all'} errors/s`, points: floatPoints(sr), color: '#d62728' });
  replace(rate, rateSeries.length === 0
    ? h('p', { class: 'empty' }, 'No request rate in this range yet (rate() needs two samples per series).')
    : lineChart({ series: rateSeries, start, end, step }));
}
