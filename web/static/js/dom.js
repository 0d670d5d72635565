// Small DOM helpers: elements are built with textContent only, so nothing a STAC document
// says is ever parsed as HTML.

// el builds an element: attrs are set as attributes (on* keys as listeners), children are
// nodes or strings (text).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// safeHref returns an http(s) URL resolved against the page, or undefined for anything
// else (javascript:, data:, …).
export function safeHref(href, base = document.baseURI) {
  try {
    const u = new URL(href, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

// fmtBytes writes a size as people read it: 1536 → "1.5 KiB".
export function fmtBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

// fmtValue writes a property value in one line.
export function fmtValue(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// itemRoute is the page's hash route of an item.
export function itemRoute(collection, id) {
  return '#/collections/' + encodeURIComponent(collection) + '/items/' + encodeURIComponent(id);
}
