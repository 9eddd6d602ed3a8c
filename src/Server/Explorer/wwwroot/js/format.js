// Formatting helpers shared by the pages.

export function fmtDurationNs(ns) {
  const n = Number(ns);
  if (!Number.isFinite(n)) return '–';
  if (n < 1e3) return `${n.toFixed(0)} ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)} µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} ms`;
  if (n < 60e9) return `${(n / 1e9).toFixed(2)} s`;
  return `${(n / 60e9).toFixed(1)} min`;
}

export function fmtSeconds(seconds) {
  const v = Number(seconds);
  return Number.isFinite(v) ? fmtDurationNs(v * 1e9) : '–';
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock time with milliseconds, e.g. 2026-11-25 06:13:43.120. */
export function fmtTimeMs(ms) {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '–';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function fmtNumber(v, digits = 3) {
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1e6 || a < 1e-3) return n.toExponential(2);
  return String(Number(n.toPrecision(digits)));
}

export function fmtPercent(v) {
  const n = Number(v);
  return Number.isFinite(n) ? `${(n * 100).toFixed(n < 0.1 ? 2 : 1)} %` : '–';
}

/** Parses '15m', '1h', '7d' into seconds; falls back to one hour. */
export function rangeSeconds(text) {
  const m = /^(\d+)([smhdw])$/.exec(String(text || ''));
  if (!m) return 3600;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]];
}

export const RANGES = ['15m', '1h', '6h', '24h', '7d'];

/** A step that keeps a range query near 240 points and on a round number of seconds. */
export function stepFor(rangeSec) {
  const raw = Math.max(1, rangeSec / 240);
  for (const step of [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]) if (step >= raw) return step;
  return 86400;
}

/** Prometheus label set as {a="b", c="d"}. */
export function fmtLabels(metric, skipName = false) {
  const parts = [];
  for (const [k, v] of Object.entries(metric ?? {})) if (!(skipName && k === '__name__')) parts.push(`${k}="${v}"`);
  const name = skipName ? '' : (metric?.__name__ ?? '');
  const rest = parts.filter((p) => !p.startsWith('__name__='));
  return `${name}{${rest.join(', ')}}`;
}
