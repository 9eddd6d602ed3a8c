// Helpers for building PromQL and reading Prometheus results.

export function promString(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** '{a="b",c="d"}' from an object, skipping empty values. */
export function selector(labels) {
  const parts = Object.entries(labels).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `${k}=${promString(v)}`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Prometheus duration text for whole seconds: 90 -> '90s', 3600 -> '1h'. */
export function promDuration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** Map from a key built of the given labels to the float value of an instant vector. */
export function vectorByKey(result, keyLabels) {
  const map = new Map();
  for (const el of result ?? []) {
    if (!el.value) continue;
    map.set(keyLabels.map((k) => el.metric?.[k] ?? '').join('\u0000'), Number(el.value[1]));
  }
  return map;
}

/** Float points of a matrix series as [[sec, value]]. */
export function floatPoints(series) {
  return (series.values ?? []).map(([t, v]) => [Number(t), Number(v)]);
}
