// /trace/{traceId}: waterfall, span details (attributes, headers, bodies as text, correlation keys)
// and the trace's derived log lines from the Loki-compatible API.
import { h, replace, errorBox } from '../dom.js';
import { tempoTrace, lokiQueryRange } from '../api.js';
import { buildWaterfall } from '../otlp.js';
import { fmtDurationNs, fmtTimeMs } from '../format.js';
import { PALETTE } from '../chart.js';
import { setQuery } from '../nav.js';

const BODY_DISPLAY_LIMIT = 16 * 1024;
const LOG_LIMIT = 5000;

// Correlation keys of DESIGN.md §3 (src/Protocol/Spans/SpanAttributeNames.cs), in display order.
const CORRELATION_KEYS = [
  'tcp.req_seq', 'tcp.resp_seq', 'x_request_id.req', 'x_request_id.resp', 'syscall.trace_id.req', 'syscall.trace_id.resp',
  'thread.id', 'pseudo_thread.id', 'tap_side', 'process.pid', 'process.executable.name',
  'network.local.address', 'network.local.port', 'network.peer.address', 'network.peer.port',
];
const LINK_KEY = 'tracelink.link.key';
const REQ_HEADER = 'http.request.header.';
const RESP_HEADER = 'http.response.header.';
const REQ_BODY = 'http.request.body';
const RESP_BODY = 'http.response.body';
const HTTP_KEYS = ['http.request.method', 'url.path', 'url.full', 'url.query', 'http.route', 'http.response.status_code', 'server.address', 'server.port'];

export async function render(main, params, signal) {
  const traceId = params.path[0];
  const started = performance.now();
  replace(main, h('p', { class: 'muted' }, 'Loading trace ', h('code', null, traceId), '…'));
  if (!/^[0-9a-fA-F]{1,32}$/.test(traceId)) { replace(main, errorBox(`"${traceId}" is not a trace id (1 to 32 hex characters).`)); return; }
  const trace = await tempoTrace(traceId);
  if (signal.aborted) return;
  if (!trace) { replace(main, h('section', { class: 'empty' }, h('h1', null, 'Trace not found'), h('p', null, 'No spans with trace id ', h('code', null, traceId), ' are stored.'))); return; }
  const fetched = performance.now();

  const wf = buildWaterfall(trace.resourceSpans);
  const colors = new Map();
  for (const sp of wf.spans) if (!colors.has(sp.service)) colors.set(sp.service, PALETTE[colors.size % PALETTE.length]);
  const total = Number(wf.endNs - wf.startNs) || 1;
  const errors = wf.spans.filter((sp) => sp.status === 'error').length;
  const root = wf.spans[0];
  const hexId = (root?.traceId || traceId).toLowerCase();

  const details = h('aside', { class: 'details', id: 'span-details' }, h('p', { class: 'muted' }, 'Click a span to see its attributes, headers and bodies.'));
  const rows = h('div', { class: 'waterfall-rows', role: 'list' });
  const byId = new Map();
  const fragment = document.createDocumentFragment();
  // Rows are cloned from one template and filled through textContent: several times faster than building
  // each element for a 2,000-span trace, and still never parses span data as markup.
  const template = h('div', { class: 'span-row', role: 'listitem', tabindex: 0 },
    h('div', { class: 'name-cell' }, h('span', { class: 'svc-dot' }), h('span', { class: 'svc' }), h('span', { class: 'kind' }), h('span', { class: 'span-name' })),
    h('div', { class: 'bar-cell' }, h('div', { class: 'bar' }), h('span', { class: 'dur' })));
  const errorBadge = h('span', { class: 'err-badge' }, 'error');
  for (const sp of wf.spans) {
    byId.set(sp.spanId, sp);
    const offset = Number(sp.startNs - wf.startNs);
    const dur = Number(sp.endNs - sp.startNs);
    const left = (offset / total) * 100;
    const width = Math.max((dur / total) * 100, 0.2);
    const color = colors.get(sp.service);
    const row = template.cloneNode(true);
    row.dataset.spanId = sp.spanId;
    const [nameCell, barCell] = row.children;
    const [dot, svc, kind, name] = nameCell.children;
    nameCell.style.paddingLeft = `${Math.min(sp.depth, 40) * 14 + 6}px`;
    dot.style.background = color;
    dot.title = sp.service;
    svc.textContent = sp.service;
    kind.textContent = sp.kind;
    kind.className = `kind kind-${sp.kind}`;
    name.textContent = sp.name;
    name.title = sp.name;
    const [bar, durLabel] = barCell.children;
    bar.style.left = `${left}%`;
    bar.style.width = `${width}%`;
    durLabel.textContent = fmtDurationNs(dur);
    if (left > 70) durLabel.style.right = `${100 - left + 0.5}%`;
    else durLabel.style.left = `${left + width + 0.5}%`;
    if (sp.status === 'error') {
      row.classList.add('error');
      const badge = errorBadge.cloneNode(true);
      badge.title = sp.statusMessage || 'error';
      nameCell.append(badge);
    } else {
      bar.style.background = color;
    }
    fragment.append(row);
  }
  rows.append(fragment);

  const select = (spanId, scroll) => {
    const sp = byId.get(spanId);
    if (!sp) return;
    for (const el of rows.querySelectorAll('.span-row.selected')) el.classList.remove('selected');
    const row = rows.querySelector(`.span-row[data-span-id="${CSS.escape(spanId)}"]`);
    row?.classList.add('selected');
    if (scroll) row?.scrollIntoView({ block: 'center' });
    replace(details, spanDetails(sp, wf, byId, select));
    setQuery({ span: spanId });
  };
  rows.addEventListener('click', (ev) => {
    const row = ev.target instanceof Element ? ev.target.closest('.span-row') : null;
    if (row) select(row.dataset.spanId, false);
  });
  rows.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const row = ev.target instanceof Element ? ev.target.closest('.span-row') : null;
    if (row) select(row.dataset.spanId, false);
  });

  // Typing narrows a long waterfall to the spans whose service, name or kind contain the text.
  const filter = h('input', { type: 'search', class: 'span-filter', id: 'span-filter', placeholder: 'Filter spans', 'aria-label': 'Filter spans', autocomplete: 'off' });
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    for (const row of rows.children) {
      const sp = byId.get(row.dataset.spanId);
      const hit = !needle || `${sp.service} ${sp.name} ${sp.kind}`.toLowerCase().includes(needle);
      row.classList.toggle('filtered-out', !hit);
    }
  });
  const ruler = h('div', { class: 'ruler' }, h('div', { class: 'name-cell' }, filter), h('div', { class: 'bar-cell' },
    [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { class: 'tick', style: f === 1 ? { right: '0' } : { left: `${f * 100}%` } }, fmtDurationNs(total * f)))));
  const logs = h('section', { class: 'logs', id: 'trace-logs' }, h('h2', null, 'Log lines'), h('p', { class: 'muted' }, 'Loading log lines…'));

  replace(main,
    h('section', { class: 'trace-head' },
      h('h1', null, root ? `${root.service}: ${root.name}` : 'Trace'),
      h('div', { class: 'facts' },
        h('span', null, 'Trace ', h('code', { id: 'trace-id' }, hexId)),
        h('span', null, fmtTimeMs(Number(wf.startNs / 1000000n))),
        h('span', null, `${wf.spans.length} spans`),
        h('span', null, fmtDurationNs(total)),
        errors > 0 ? h('span', { class: 'err-text' }, `${errors} error${errors > 1 ? 's' : ''}`) : null),
      h('div', { class: 'services' }, [...colors].map(([svc, color]) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: { background: color } }), svc))),
      trace.partial ? h('p', { class: 'warn' }, `Partial trace: ${trace.message || 'the server returned only part of it'}`) : null),
    h('div', { class: 'trace-body' }, h('section', { class: 'waterfall', id: 'waterfall' }, ruler, rows), details),
    logs);

  const rendered = performance.now();
  // Read by the browser test and handy in DevTools: how long the API call and the DOM build took.
  const timing = { spans: wf.spans.length, fetchMs: fetched - started, buildMs: rendered - fetched, paintMs: NaN };
  window.__traceRender = timing;
  requestAnimationFrame(() => setTimeout(() => { timing.paintMs = performance.now() - rendered; }));
  const wanted = params.query.get('span');
  if (wanted && byId.has(wanted)) select(wanted, true);

  loadLogs(logs, hexId, wf, byId, select, signal);
}

function section(title, ...content) {
  return h('section', { class: 'detail-section' }, h('h3', null, title), ...content);
}

function kvTable(entries, className) {
  return h('table', { class: ['kv', className] }, h('tbody', null, entries.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v)))));
}

function bodyBlock(text, id) {
  const bytes = new TextEncoder().encode(text).length;
  const shown = text.length > BODY_DISPLAY_LIMIT ? text.slice(0, BODY_DISPLAY_LIMIT) : text;
  return [
    h('pre', { class: 'body', id }, shown),
    h('p', { class: 'muted small' }, `${bytes} bytes${shown.length < text.length ? `, first ${BODY_DISPLAY_LIMIT} characters shown` : ''}`),
  ];
}

function spanDetails(sp, wf, byId, select) {
  const attrs = sp.attributes;
  const used = new Set();
  const pick = (keys) => keys.filter((k) => attrs.has(k)).map((k) => { used.add(k); return [k, attrs.get(k)]; });
  const prefixed = (prefix) => [...attrs].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => { used.add(k); return [k.slice(prefix.length), v]; });

  const parent = sp.parentSpanId ? byId.get(sp.parentSpanId) : null;
  const linkKey = attrs.get(LINK_KEY);
  if (linkKey !== undefined) used.add(LINK_KEY);
  const http = pick(HTTP_KEYS);
  const correlation = [...pick(CORRELATION_KEYS), ...CORRELATION_KEYS.filter((k) => !attrs.has(k) && sp.resource.has(k)).map((k) => [`${k} (resource)`, sp.resource.get(k)])];
  const reqHeaders = prefixed(REQ_HEADER);
  const respHeaders = prefixed(RESP_HEADER);
  const reqBody = attrs.get(REQ_BODY);
  const respBody = attrs.get(RESP_BODY);
  if (reqBody !== undefined) used.add(REQ_BODY);
  if (respBody !== undefined) used.add(RESP_BODY);
  const rest = [...attrs].filter(([k]) => !used.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  const offset = Number(sp.startNs - wf.startNs);

  return h('div', { class: 'span-details', dataset: { spanId: sp.spanId } },
    h('h2', { class: 'detail-title' }, sp.name || '(unnamed span)'),
    h('div', { class: 'facts' },
      h('span', null, sp.service), h('span', { class: `kind kind-${sp.kind}` }, sp.kind),
      h('span', { class: sp.status === 'error' ? 'err-text' : '' }, `status ${sp.status}`),
      h('span', null, fmtDurationNs(Number(sp.endNs - sp.startNs))),
      h('span', { class: 'muted' }, `+${fmtDurationNs(offset)}`)),
    sp.statusMessage ? h('p', { class: 'err-text' }, sp.statusMessage) : null,
    kvTable([
      ['span id', sp.spanId],
      ['parent', parent ? h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); select(parent.spanId, true); } }, `${parent.spanId} (${parent.name})`) : (sp.parentSpanId || '(root)')],
      ['start', fmtTimeMs(Number(sp.startNs / 1000000n))],
      ['scope', sp.scope || '–'],
    ]),
    linkKey !== undefined ? section('Linked to its parent by', h('p', { class: 'link-key', id: 'link-key' }, h('code', null, linkKey))) : null,
    correlation.length ? section('Correlation keys', kvTable(correlation, 'correlation')) : null,
    http.length ? section('HTTP', kvTable(http)) : null,
    reqHeaders.length ? section('Request headers', kvTable(reqHeaders, 'headers')) : null,
    reqBody !== undefined ? section('Request body', ...bodyBlock(reqBody, 'request-body')) : null,
    respHeaders.length ? section('Response headers', kvTable(respHeaders, 'headers')) : null,
    respBody !== undefined ? section('Response body', ...bodyBlock(respBody, 'response-body')) : null,
    rest.length ? section('Attributes', kvTable(rest)) : null,
    sp.events.length ? section('Events', h('ul', { class: 'events' }, sp.events.map((ev) => h('li', null,
      h('code', null, `+${fmtDurationNs(Number(BigInt(ev.timeUnixNano ?? 0) - sp.startNs))}`), ' ', ev.name ?? '',
      (ev.attributes ?? []).length ? kvTable((ev.attributes ?? []).map((kv) => [kv.key, anyText(kv.value)])) : null)))) : null,
    sp.links.length ? section('Links', kvTable(sp.links.map((l, i) => [`link ${i + 1}`, `${l.traceId ?? ''} / ${l.spanId ?? ''}`]))) : null,
    section('Resource', kvTable([...sp.resource].sort(([a], [b]) => (a < b ? -1 : 1)))));
}

function anyText(v) {
  if (!v) return '';
  return String(v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? '');
}

function logqlString(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const TRACE_ID_RE = /trace_id=([0-9a-fA-F]+)/;
const SPAN_ID_RE = /span_id=([0-9a-fA-F]+)/;

async function loadLogs(container, traceId, wf, byId, select, signal) {
  const services = [...new Set(wf.spans.map((sp) => sp.service))];
  const start = wf.startNs - 300_000_000_000n;
  const end = wf.endNs + 300_000_000_000n;
  let results;
  try {
    // One stream selector per service of the trace, the documented LogQL shape of the log API.
    results = await Promise.all(services.map((svc) =>
      lokiQueryRange(`{service_name=${logqlString(svc)}} |= ${logqlString(`trace_id=${traceId}`)}`, start, end, LOG_LIMIT, 'forward')));
  } catch (err) {
    if (!signal.aborted) replace(container, h('h2', null, 'Log lines'), errorBox(err));
    return;
  }
  if (signal.aborted) return;
  const lines = [];
  const seen = new Set();
  for (const streams of results) {
    for (const stream of streams) {
      const labels = stream.stream ?? {};
      for (const [ts, line] of stream.values ?? []) {
        const key = `${ts}\u0000${line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let ns;
        try { ns = BigInt(ts); } catch { ns = 0n; }
        lines.push({ ns, line: String(line), labels });
      }
    }
  }
  lines.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  if (lines.length === 0) {
    replace(container, h('h2', null, 'Log lines'), h('p', { class: 'muted', id: 'no-logs' }, 'No log lines carry this trace id.'));
    return;
  }
  const rows = lines.map(({ ns, line, labels }) => {
    const level = String(labels.level ?? labels.detected_level ?? '').toLowerCase();
    const isError = ['error', 'err', 'fatal', 'critical', 'crit', 'panic'].includes(level);
    const spanId = SPAN_ID_RE.exec(line)?.[1]?.toLowerCase();
    const linked = spanId && byId.has(spanId);
    return h('tr', { class: ['log-row', isError && 'error', linked && 'linked'], title: linked ? 'Click to show its span' : null,
      onclick: linked ? () => select(spanId, true) : null },
      h('td', { class: 'time' }, fmtTimeMs(Number(ns / 1000000n))),
      h('td', { class: `level level-${level || 'unknown'}` }, level || '–'),
      h('td', { class: 'trace' }, h('code', null, TRACE_ID_RE.exec(line)?.[1] ?? labels.trace_id ?? traceId)),
      h('td', { class: 'message' }, line));
  });
  replace(container, h('h2', null, `Log lines (${lines.length})`),
    h('table', { class: 'log-table', id: 'log-table' },
      h('thead', null, h('tr', null, h('th', null, 'time'), h('th', null, 'level'), h('th', null, 'trace id'), h('th', null, 'message'))),
      h('tbody', null, rows)));
}
