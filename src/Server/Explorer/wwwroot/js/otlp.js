// Turns Tempo's trace JSON (OTLP resourceSpans, ids in base64 per proto3 JSON or hex per OTLP/JSON)
// into flat span records ordered as a waterfall.

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

export function idToHex(value, bytes) {
  if (!value) return '';
  const text = String(value);
  if (text.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(text)) return text.toLowerCase();
  try {
    const raw = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    let hex = '';
    for (let i = 0; i < raw.length; i++) hex += raw.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return text.toLowerCase();
  }
}

export function kindName(kind) {
  if (typeof kind === 'number') return KINDS[kind] ?? 'unspecified';
  const k = String(kind ?? '').toLowerCase().replace('span_kind_', '');
  return KINDS.includes(k) ? k : 'unspecified';
}

export function statusName(status) {
  const code = status?.code;
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'error';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'ok';
  return 'unset';
}

/** AnyValue as display text; never HTML. */
export function anyValueText(v) {
  if (v === null || v === undefined) return '';
  if ('stringValue' in v) return String(v.stringValue);
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  if ('boolValue' in v) return String(v.boolValue);
  if ('bytesValue' in v) return `base64:${v.bytesValue}`;
  if ('arrayValue' in v) return `[${(v.arrayValue?.values ?? []).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in v) return `{${(v.kvlistValue?.values ?? []).map((kv) => `${kv.key}: ${anyValueText(kv.value)}`).join(', ')}}`;
  return '';
}

function toBigInt(v) {
  try { return BigInt(v ?? 0); } catch { return 0n; }
}

function attrMap(list) {
  const map = new Map();
  for (const kv of list ?? []) map.set(kv.key, anyValueText(kv.value));
  return map;
}

/** Flattens resourceSpans into span records and orders them parent-before-child, siblings by start. */
export function buildWaterfall(resourceSpans) {
  const spans = [];
  for (const rs of resourceSpans ?? []) {
    const resource = attrMap(rs.resource?.attributes);
    const service = resource.get('service.name') || 'unknown';
    for (const ss of rs.scopeSpans ?? rs.instrumentationLibrarySpans ?? []) {
      for (const sp of ss.spans ?? []) {
        const startNs = toBigInt(sp.startTimeUnixNano);
        const endNs = toBigInt(sp.endTimeUnixNano);
        spans.push({
          traceId: idToHex(sp.traceId, 16),
          spanId: idToHex(sp.spanId, 8),
          parentSpanId: idToHex(sp.parentSpanId, 8),
          name: sp.name ?? '',
          kind: kindName(sp.kind),
          startNs,
          endNs: endNs < startNs ? startNs : endNs,
          service,
          resource,
          attributes: attrMap(sp.attributes),
          events: sp.events ?? [],
          links: sp.links ?? [],
          status: statusName(sp.status),
          statusMessage: sp.status?.message ?? '',
          scope: ss.scope?.name ?? '',
          depth: 0,
        });
      }
    }
  }

  const byId = new Map();
  for (const sp of spans) byId.set(sp.spanId, sp);
  const children = new Map();
  const roots = [];
  for (const sp of spans) {
    if (sp.parentSpanId && byId.has(sp.parentSpanId) && sp.parentSpanId !== sp.spanId) {
      let list = children.get(sp.parentSpanId);
      if (!list) children.set(sp.parentSpanId, (list = []));
      list.push(sp);
    } else {
      roots.push(sp);
    }
  }
  const byStart = (a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0);
  roots.sort(byStart);
  for (const list of children.values()) list.sort(byStart);

  // Iterative depth-first walk: deep sensor chains must not overflow the call stack.
  const ordered = [];
  const seen = new Set();
  const stack = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i], 0]);
  while (stack.length > 0) {
    const [sp, depth] = stack.pop();
    if (seen.has(sp.spanId)) continue;
    seen.add(sp.spanId);
    sp.depth = depth;
    ordered.push(sp);
    const list = children.get(sp.spanId);
    if (list) for (let i = list.length - 1; i >= 0; i--) stack.push([list[i], depth + 1]);
  }
  // A parent cycle leaves spans unreached; show them as roots rather than hide them.
  for (const sp of spans) if (!seen.has(sp.spanId)) { sp.depth = 0; ordered.push(sp); seen.add(sp.spanId); }

  let min = null;
  let max = null;
  for (const sp of spans) {
    if (min === null || sp.startNs < min) min = sp.startNs;
    if (max === null || sp.endNs > max) max = sp.endNs;
  }
  return { spans: ordered, startNs: min ?? 0n, endNs: max ?? 0n, childCount: (id) => children.get(id)?.length ?? 0 };
}
