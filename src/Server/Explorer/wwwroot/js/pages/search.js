// /search: TraceQL box plus simple filters; results from Tempo's /api/search, newest first.
import { h, replace, errorBox } from '../dom.js';
import { tempoSearch, tempoTagValues } from '../api.js';
import { fmtTimeMs, fmtDurationNs, RANGES, rangeSeconds } from '../format.js';
import { navigate, traceHref } from '../nav.js';

function traceqlString(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Builds the TraceQL span selector the filters describe, in the shape Grafana's query builder emits. */
export function buildTraceQL({ service, name, status, minDuration }) {
  const conds = [];
  if (service) conds.push(`resource.service.name=${traceqlString(service)}`);
  if (name) conds.push(`name=${traceqlString(name)}`);
  if (status) conds.push(`status=${status}`);
  if (minDuration && /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/.test(minDuration)) conds.push(`duration>${minDuration}`);
  return `{${conds.join(' && ')}}`;
}

export async function render(main, params, signal) {
  const q = params.query;
  const state = {
    service: q.get('service') ?? '', name: q.get('name') ?? '', status: q.get('status') ?? '',
    minDuration: q.get('minDuration') ?? '', range: RANGES.includes(q.get('range')) ? q.get('range') : '1h',
    limit: Math.min(Math.max(Number(q.get('limit')) || 50, 1), 1000),
  };
  const traceql = q.get('q') || buildTraceQL(state);

  const serviceList = h('datalist', { id: 'service-names' });
  const form = h('form', { class: 'search-form', id: 'search-form' },
    h('label', { class: 'wide' }, 'TraceQL', h('input', { name: 'q', value: traceql, spellcheck: 'false', autocomplete: 'off', class: 'mono' })),
    h('label', null, 'Service', h('input', { name: 'service', value: state.service, list: 'service-names', autocomplete: 'off' })),
    h('label', null, 'Span name', h('input', { name: 'name', value: state.name, autocomplete: 'off' })),
    h('label', null, 'Status', h('select', { name: 'status' }, ['', 'error', 'ok', 'unset'].map((v) => h('option', { value: v, selected: v === state.status }, v || 'any')))),
    h('label', null, 'Min duration', h('input', { name: 'minDuration', value: state.minDuration, placeholder: '100ms', size: 6 })),
    h('label', null, 'Range', h('select', { name: 'range' }, RANGES.map((r) => h('option', { value: r, selected: r === state.range }, `last ${r}`)))),
    h('label', null, 'Limit', h('input', { name: 'limit', type: 'number', min: 1, max: 1000, value: String(state.limit) })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Search'), h('button', { type: 'button', name: 'fromFilters', class: 'secondary' }, 'Query from filters')),
    serviceList);
  const results = h('div', { id: 'search-results' }, h('p', { class: 'muted' }, 'Searching…'));

  const filtersFromForm = () => {
    const f = form.elements;
    return { service: f.service.value.trim(), name: f.name.value.trim(), status: f.status.value, minDuration: f.minDuration.value.trim() };
  };
  form.elements.fromFilters.addEventListener('click', () => { form.elements.q.value = buildTraceQL(filtersFromForm()); });
  // Changing a filter rewrites the query, so the box always shows what will run.
  for (const name of ['service', 'name', 'status', 'minDuration']) {
    form.elements[name].addEventListener('change', () => { form.elements.q.value = buildTraceQL(filtersFromForm()); });
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const next = new URLSearchParams();
    const filters = filtersFromForm();
    for (const [k, v] of Object.entries(filters)) if (v) next.set(k, v);
    const typed = f.q.value.trim();
    if (typed && typed !== buildTraceQL(filters)) next.set('q', typed);
    next.set('range', f.range.value);
    if (Number(f.limit.value) && Number(f.limit.value) !== 50) next.set('limit', f.limit.value);
    navigate(`/search?${next}`);
  });

  replace(main, h('section', { class: 'page-head' }, h('h1', null, 'Search traces')), form, results);

  tempoTagValues('resource.service.name').then((values) => {
    if (!signal.aborted) replace(serviceList, values.sort().map((v) => h('option', { value: v })));
  }).catch(() => { /* autocomplete is optional */ });

  const end = Math.ceil(Date.now() / 1000);
  const start = end - rangeSeconds(state.range);
  let body;
  try {
    body = await tempoSearch(traceql, start, end, state.limit);
  } catch (err) {
    if (!signal.aborted) replace(results, errorBox(err));
    return;
  }
  if (signal.aborted) return;
  const traces = [...(body.traces ?? [])].sort((a, b) => {
    const x = BigInt(a.startTimeUnixNano ?? 0);
    const y = BigInt(b.startTimeUnixNano ?? 0);
    return x > y ? -1 : x < y ? 1 : 0;
  });
  if (traces.length === 0) { replace(results, h('p', { class: 'empty' }, 'No traces match in this range.')); return; }
  const rows = traces.map((t) => {
    const sets = t.spanSets ?? (t.spanSet ? [t.spanSet] : []);
    const matched = sets.reduce((n, set) => n + (set.matched ?? set.spans?.length ?? 0), 0);
    const hasError = sets.some((set) => (set.spans ?? []).some((sp) => (sp.attributes ?? []).some((a) => a.key === 'status' && a.value?.stringValue === 'error')));
    const ns = BigInt(t.startTimeUnixNano ?? 0);
    const id = String(t.traceID ?? '');
    return h('tr', { class: ['result-row', hasError && 'error'], onclick: (ev) => { if (!(ev.target instanceof Element && ev.target.closest('a'))) navigate(traceHref(id)); } },
      h('td', null, fmtTimeMs(Number(ns / 1000000n))),
      h('td', null, h('a', { href: traceHref(id), class: 'mono' }, id)),
      h('td', null, t.rootServiceName ?? ''),
      h('td', null, t.rootTraceName ?? ''),
      h('td', { class: 'num' }, t.durationMs ? fmtDurationNs(t.durationMs * 1e6) : '<1 ms'),
      h('td', { class: 'num' }, String(matched)));
  });
  replace(results,
    h('p', { class: 'muted' }, `${traces.length} trace${traces.length === 1 ? '' : 's'}, newest first · `, h('code', null, traceql)),
    h('table', { class: 'grid-table results' },
      h('thead', null, h('tr', null, ['Start', 'Trace ID', 'Root service', 'Root span', 'Duration', 'Matched spans'].map((c, i) => h('th', { class: i > 3 ? 'num' : null }, c)))),
      h('tbody', null, rows)));
}
