// Router of the Explorer. Each page is a module exporting render(main, params, signal).
import { replace, errorBox } from './dom.js';
import { navigate, traceHref } from './nav.js';

const routes = [
  { pattern: /^\/$/, page: 'overview', load: () => import('./pages/overview.js') },
  { pattern: /^\/search\/?$/, page: 'search', load: () => import('./pages/search.js') },
  { pattern: /^\/trace\/([^/]+)\/?$/, page: 'trace', load: () => import('./pages/trace.js') },
  { pattern: /^\/explore\/metrics\/?$/, page: 'metrics', load: () => import('./pages/metrics.js') },
];

const main = document.getElementById('main');
let controller = null;

async function render() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const path = location.pathname;
  const route = routes.find((r) => r.pattern.test(path));
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', route?.page === a.dataset.page);
  if (!route) { replace(main, errorBox(`No page at ${path}`)); return; }
  const match = route.pattern.exec(path);
  const params = { path: match.slice(1).map(decodeURIComponent), query: new URLSearchParams(location.search) };
  document.body.dataset.page = route.page;
  try {
    const module = await route.load();
    if (signal.aborted) return;
    await module.render(main, params, signal);
  } catch (err) {
    if (!signal.aborted) replace(main, errorBox(err));
  }
}

// Same-origin links navigate without a full page load; modified clicks keep the browser's behaviour.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target instanceof Element ? ev.target.closest('a[href]') : null;
  if (!a || a.target) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('//') || href.startsWith('/ui/') || href.startsWith('/api/')) return;
  ev.preventDefault();
  navigate(href);
});

document.getElementById('goto').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = ev.target.elements.id;
  const id = input.value.trim();
  if (/^[0-9a-fA-F]{1,32}$/.test(id)) { input.value = ''; navigate(traceHref(id)); }
  else input.setCustomValidity('A trace id is 1 to 32 hex characters'), input.reportValidity(), input.setCustomValidity('');
});

window.addEventListener('popstate', render);
window.addEventListener('tracelink:navigate', render);
render();
