// DOM helpers. Every string child becomes a Text node, so untrusted data (span names, headers, bodies,
// log lines) is never parsed as HTML. This module deliberately offers no way to parse a string as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { for (const c of child) append(node, c); return; }
  node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

function apply(node, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'style') Object.assign(node.style, value);
    else if (key === 'value' && 'value' in node) node.value = value;
    else if (key === 'href') node.setAttribute('href', safeHref(value));
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

/** Only same-origin paths are ever linked; anything else (javascript:, data:) becomes '#'. */
export function safeHref(value) {
  const s = String(value);
  return s.startsWith('/') && !s.startsWith('//') ? s : '#';
}

/** Creates an HTML element: h('a', {href: '/x'}, 'text', child...). */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** Creates an SVG element. */
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined) continue;
      if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, String(err && err.message ? err.message : err));
}
