// Client-side navigation: pages call navigate(); the router in app.js listens.

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event('tracelink:navigate'));
}

/** Updates the query string of the current page without a new history entry or a re-render. */
export function setQuery(params) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  history.replaceState(null, '', url.pathname + url.search);
}

export function traceHref(traceId) {
  return `/trace/${encodeURIComponent(String(traceId).toLowerCase())}`;
}
