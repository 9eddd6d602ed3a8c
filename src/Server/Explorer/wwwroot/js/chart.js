// Small SVG charts: time series lines with exemplar dots, and a heatmap for native histograms.
import { h, s } from './dom.js';
import { fmtNumber } from './format.js';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const W = 960;
const H = 280;
const M = { left: 64, right: 16, top: 12, bottom: 28 };

function niceTicks(min, max, count) {
  if (!(max > min)) return [min];
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const err = step0 / mag;
  const step = (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1) * mag;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function timeLabel(sec, span) {
  const d = new Date(sec * 1000);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (span <= 600) return `${hm}:${String(d.getSeconds()).padStart(2, '0')}`;
  if (span > 2 * 86400) return `${d.getMonth() + 1}/${d.getDate()} ${hm}`;
  return hm;
}

function frame(start, end, yMin, yMax, yFormat, yTicks) {
  const x = (t) => M.left + ((t - start) / (end - start || 1)) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - ((v - yMin) / (yMax - yMin || 1)) * (H - M.top - M.bottom);
  const axes = s('g', { class: 'axes' });
  for (const t of yTicks ?? niceTicks(yMin, yMax, 5)) {
    const yy = typeof t === 'object' ? t.y : y(t);
    axes.append(
      s('line', { x1: M.left, x2: W - M.right, y1: yy, y2: yy, class: 'grid' }),
      s('text', { x: M.left - 6, y: yy + 4, 'text-anchor': 'end' }, typeof t === 'object' ? t.label : yFormat(t)),
    );
  }
  const span = end - start;
  const ticks = niceTicks(start, end, 6).filter((t) => t >= start && t <= end);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : span;
  const nice = [60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].find((n) => n >= step) ?? step;
  for (let t = Math.ceil(start / nice) * nice; t <= end; t += nice) {
    axes.append(
      s('line', { x1: x(t), x2: x(t), y1: M.top, y2: H - M.bottom, class: 'grid' }),
      s('text', { x: x(t), y: H - 8, 'text-anchor': 'middle' }, timeLabel(t, span)),
    );
  }
  return { x, y, axes };
}

/**
 * Line chart. series: [{label, points: [[sec, value], ...]}]; exemplars: [{t, v, traceId, title}].
 * Exemplar dots call onExemplar(traceId) when clicked.
 */
export function lineChart({ series, exemplars = [], start, end, step, yFormat = fmtNumber, onExemplar }) {
  let yMax = 0;
  let yMin = 0;
  for (const sr of series) for (const [, v] of sr.points) if (Number.isFinite(v)) { yMax = Math.max(yMax, v); yMin = Math.min(yMin, v); }
  for (const e of exemplars) if (Number.isFinite(e.v)) yMax = Math.max(yMax, e.v);
  if (yMax === yMin) yMax = yMin + 1;
  yMax *= 1.08;
  const { x, y, axes } = frame(start, end, yMin, yMax, yFormat);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' }, axes);
  series.forEach((sr, i) => {
    let d = '';
    let prev = null;
    for (const [t, v] of sr.points) {
      if (!Number.isFinite(v)) { prev = null; continue; }
      const gap = prev !== null && step && t - prev > step * 1.5;
      d += `${prev === null || gap ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      prev = t;
    }
    const color = sr.color ?? PALETTE[i % PALETTE.length];
    if (d) svg.append(s('path', { d, class: 'line', stroke: color }, s('title', null, sr.label)));
    if (sr.points.length === 1) {
      const [t, v] = sr.points[0];
      if (Number.isFinite(v)) svg.append(s('circle', { cx: x(t), cy: y(v), r: 3, fill: color }));
    }
  });
  for (const e of exemplars) {
    const dot = s('circle', {
      cx: x(e.t), cy: y(e.v), r: 5, class: 'exemplar', tabindex: 0, 'data-trace-id': e.traceId,
      onclick: () => onExemplar?.(e.traceId),
      onkeydown: (ev) => { if (ev.key === 'Enter') onExemplar?.(e.traceId); },
    }, s('title', null, e.title ?? e.traceId));
    svg.append(dot);
  }
  const legend = h('div', { class: 'legend' }, series.map((sr, i) => h('span', { class: 'legend-item' },
    h('span', { class: 'swatch', style: { background: sr.color ?? PALETTE[i % PALETTE.length] } }), sr.label)));
  if (exemplars.length > 0) legend.append(h('span', { class: 'legend-item' }, h('span', { class: 'swatch exemplar-swatch' }), `exemplars (${exemplars.length}) – click to open the trace`));
  return h('figure', { class: 'chart-box' }, svg, legend);
}

/**
 * Heatmap of native-histogram samples. cells: [{t, lower, upper, count}] with t in seconds and each cell
 * covering (t - step, t]. The y axis is logarithmic over the bucket bounds.
 */
export function heatmap({ cells, start, end, step, label }) {
  let lo = Infinity;
  let hi = 0;
  let max = 0;
  for (const c of cells) {
    if (c.upper > 0) hi = Math.max(hi, c.upper);
    if (c.lower > 0) lo = Math.min(lo, c.lower);
    if (c.upper > 0) lo = Math.min(lo, c.upper / 2);
    max = Math.max(max, c.count);
  }
  if (!Number.isFinite(lo) || hi <= 0) { lo = 1e-3; hi = 1; }
  if (hi <= lo) hi = lo * 2;
  const lg = Math.log10;
  const ticks = [];
  for (let p = Math.floor(lg(lo)); p <= Math.ceil(lg(hi)); p++) ticks.push(p);
  const yMin = Math.floor(lg(lo));
  const yMax = Math.ceil(lg(hi));
  const { x, y, axes } = frame(start, end, yMin, yMax, (p) => fmtNumber(10 ** p), ticks);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart heatmap', role: 'img' }, axes);
  const width = Math.max(1, x(start + step) - x(start));
  for (const c of cells) {
    if (c.count <= 0) continue;
    const upper = c.upper > 0 && Number.isFinite(c.upper) ? c.upper : 10 ** yMax;
    const lower = c.lower > 0 ? c.lower : 10 ** yMin;
    const y1 = y(lg(upper));
    const y2 = y(lg(lower));
    svg.append(s('rect', {
      x: x(c.t) - width, y: Math.min(y1, y2), width: width + 0.5, height: Math.max(1, Math.abs(y2 - y1)),
      class: 'cell', 'fill-opacity': (0.15 + 0.85 * (c.count / max)).toFixed(3),
    }, s('title', null, `${fmtNumber(c.lower)} – ${fmtNumber(c.upper)}: ${fmtNumber(c.count)}`)));
  }
  return h('figure', { class: 'chart-box' }, svg, h('div', { class: 'legend' }, h('span', { class: 'legend-item' },
    h('span', { class: 'swatch heat-swatch' }), `${label} (bucket counts; darker = more)`)));
}
