// Clients of the server's public APIs (Prometheus, Tempo, Loki-compatible logs): the same contracts
// Grafana uses. Nothing here calls a private endpoint.

async function get(path, params, accept = 'application/json') {
  const url = new URL(path, location.origin);
  if (params) {
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  let response;
  try {
    response = await fetch(url, { headers: { Accept: accept } });
  } catch (err) {
    throw new Error(`${path}: ${err.message}`);
  }
  return response;
}

async function readError(path, response) {
  let text = '';
  try { text = await response.text(); } catch { /* body unreadable: the status says enough */ }
  try {
    const body = JSON.parse(text);
    if (body && body.error) return new Error(`${path}: ${body.errorType ? body.errorType + ': ' : ''}${body.error}`);
  } catch { /* plain-text error, as Tempo sends */ }
  if (response.status === 404 && !text) return new Error(`${path} is not served by this server (HTTP 404).`);
  return new Error(`${path}: HTTP ${response.status}${text ? ' – ' + text.slice(0, 300) : ''}`);
}

async function prom(path, params) {
  const response = await get(path, params);
  if (response.status === 204) return [];
  if (!response.ok) throw await readError(path, response);
  const body = await response.json();
  if (body.status !== 'success') throw new Error(`${path}: ${body.errorType || 'error'}: ${body.error || 'unknown error'}`);
  return body.data;
}

/** Instant PromQL query; returns data.result (vector/scalar/string). */
export async function promQuery(query, time) {
  const data = await prom('/api/v1/query', { query, time });
  return data.result ?? [];
}

/** Range PromQL query; returns {resultType, result}. Times in seconds. */
export function promRange(query, start, end, step) {
  return prom('/api/v1/query_range', { query, start, end, step });
}

/** Exemplars of the series the query selects: [{seriesLabels, exemplars:[{labels, value, timestamp}]}]. */
export async function promExemplars(query, start, end) {
  return (await prom('/api/v1/query_exemplars', { query, start, end })) ?? [];
}

export async function promLabelValues(name) {
  return (await prom(`/api/v1/label/${encodeURIComponent(name)}/values`)) ?? [];
}

/**
 * Trace by id as OTLP-shaped JSON resourceSpans. Tries Tempo's v2 endpoint first and falls back to v1,
 * exactly as Grafana does. Returns null when the trace is unknown.
 */
export async function tempoTrace(id) {
  const v2 = await get(`/api/v2/traces/${encodeURIComponent(id)}`);
  if (v2.ok) {
    const body = await v2.json();
    const trace = body.trace ?? {};
    const spans = trace.resourceSpans ?? trace.batches ?? [];
    if (spans.length > 0) return { resourceSpans: spans, partial: body.status === 'PARTIAL', message: body.message };
  } else if (v2.status !== 404) {
    throw await readError('/api/v2/traces', v2);
  }
  const v1 = await get(`/api/traces/${encodeURIComponent(id)}`);
  if (v1.status === 404) return null;
  if (!v1.ok) throw await readError('/api/traces', v1);
  const body = await v1.json();
  const spans = body.batches ?? body.resourceSpans ?? [];
  return spans.length > 0 ? { resourceSpans: spans, partial: false } : null;
}

/** TraceQL search; start/end in Unix seconds. Returns the SearchResponse body. */
export async function tempoSearch(q, start, end, limit) {
  const response = await get('/api/search', { q, start, end, limit });
  if (!response.ok) throw await readError('/api/search', response);
  return response.json();
}

/** Values of a scoped TraceQL tag such as resource.service.name, as strings. */
export async function tempoTagValues(tag) {
  const response = await get(`/api/v2/search/tag/${encodeURIComponent(tag)}/values`);
  if (!response.ok) throw await readError('/api/v2/search/tag', response);
  const body = await response.json();
  return (body.tagValues ?? []).map((v) => (typeof v === 'string' ? v : v.value)).filter(Boolean);
}

/** LogQL range query; start/end are nanosecond BigInts. Returns the streams result. */
export async function lokiQueryRange(query, startNs, endNs, limit, direction = 'forward') {
  const response = await get('/loki/api/v1/query_range', {
    query, start: startNs.toString(), end: endNs.toString(), limit, direction,
  });
  if (!response.ok) throw await readError('/loki/api/v1/query_range', response);
  const body = await response.json();
  if (body.status && body.status !== 'success') throw new Error(`/loki/api/v1/query_range: ${body.error || body.status}`);
  return body.data?.result ?? [];
}
