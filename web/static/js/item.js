// The item panel: properties, assets (bands, media type, size, download link) and the
// `eopack pull` commands that fetch the product or one band of it.
import { el, safeHref, fmtBytes, fmtValue } from './dom.js';

// bandNames lists an asset's band names: STAC 1.1 `bands`, else `eo:bands` (name, else
// common_name), as eopack's push writes them into the eo:band annotation.
export function bandNames(a) {
  const bands = (a.bands && a.bands.length ? a.bands : a['eo:bands']) || [];
  return bands.map(b => b.name || b['eo:common_name'] || b.common_name).filter(Boolean);
}

// shellQuote quotes a word for a POSIX shell when it needs it.
export function shellQuote(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
}

// pullCommands returns [{label, cmd}]: the whole product, then one per asset: `--band NAME`
// for an asset with exactly one band, `--asset KEY` for any other.
export function pullCommands(it) {
  const ref = (it.properties || {})['eopack:reference'];
  if (!ref) return [];
  const dir = shellQuote('./' + it.id.replace(/[^A-Za-z0-9._-]/g, '_'));
  const base = `eopack pull ${shellQuote(ref)} -o ${dir}`;
  const out = [{ label: 'Everything', cmd: base }];
  for (const [k, a] of Object.entries(it.assets || {}).sort(([x], [y]) => x.localeCompare(y))) {
    const bands = bandNames(a);
    const sel = bands.length === 1 ? `--band ${shellQuote(bands[0])}` : `--asset ${shellQuote(k)}`;
    out.push({ label: k, cmd: `${base} ${sel}` });
  }
  return out;
}

// fileName is the name a downloaded asset gets: its key with an extension from its type.
function fileName(key, a) {
  const t = a.type || '';
  const ext = /tiff/.test(t) ? '.tif' : /json/.test(t) ? '.json' : /png/.test(t) ? '.png' : /jpeg/.test(t) ? '.jpg' : /xml/.test(t) ? '.xml' : '';
  return key.replace(/[^A-Za-z0-9._-]/g, '_') + (key.endsWith(ext) ? '' : ext);
}

function copyButton(text, label) {
  return el('button', {
    type: 'button', 'aria-label': 'Copy: ' + label,
    onclick: async e => {
      const b = e.currentTarget;
      try {
        await navigator.clipboard.writeText(text);
        b.textContent = 'Copied';
      } catch {
        const sel = window.getSelection();
        sel.selectAllChildren(b.previousSibling);
        b.textContent = 'Selected';
      }
      setTimeout(() => { b.textContent = 'Copy'; }, 1500);
    },
  }, 'Copy');
}

// renderItem fills container with the item's page.
export function renderItem(container, it) {
  const p = it.properties || {};
  container.replaceChildren();
  container.append(el('p', { class: 'muted' },
    'Collection ', el('a', { href: '#/collections/' + encodeURIComponent(it.collection || '') }, it.collection || ''),
    p.datetime ? ' · ' + p.datetime : ''));

  const cmds = pullCommands(it);
  const cmdList = list => {
    const div = el('div', { class: 'cmds' });
    for (const c of list) {
      div.append(el('div', { class: 'cmd', 'data-asset': c.label },
        el('span', { class: 'cmd-label' }, c.label),
        el('pre', {}, el('code', { class: 'pull' }, c.cmd)), copyButton(c.cmd, c.label)));
    }
    return div;
  };
  if (cmds.length) {
    container.append(el('h3', {}, 'Pull'));
    container.append(el('p', { class: 'muted' }, 'Reference ', el('code', { id: 'reference' }, p['eopack:reference'])));
    container.append(el('div', { id: 'pull-commands' }, cmdList(cmds.slice(0, 1))));
  }

  container.append(el('h3', {}, 'Assets'));
  const assets = Object.entries(it.assets || {}).sort(([x], [y]) => x.localeCompare(y));
  const titled = assets.some(([, a]) => a.title);
  const rows = assets.map(([k, a]) => {
    const href = safeHref(a.href);
    const size = a['eopack:size'];
    return el('tr', { 'data-asset': k },
      el('td', {}, k),
      titled ? el('td', {}, a.title || '') : null,
      el('td', {}, bandNames(a).join(', ')),
      el('td', { class: 'mediatype' }, a.type || ''),
      el('td', { class: 'size', title: typeof size === 'number' ? size + ' bytes' : '' }, fmtBytes(size)),
      el('td', {}, href ? el('a', { href, download: fileName(k, a), class: 'download', 'aria-label': 'Download ' + k }, 'Download') : ''));
  });
  const heads = ['Key', titled ? 'Title' : null, 'Bands', 'Media type', 'Size', 'Link'].filter(Boolean);
  container.append(el('table', { id: 'assets' },
    el('thead', {}, el('tr', {}, heads.map(h => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows)));

  if (cmds.length > 1) {
    container.append(el('h3', {}, 'Pull one asset'));
    container.append(el('div', { id: 'pull-asset-commands' }, cmdList(cmds.slice(1))));
  }

  container.append(el('h3', {}, 'Properties'));
  const props = Object.keys(p).sort().map(k => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, fmtValue(p[k]))));
  container.append(el('table', { id: 'properties' }, el('tbody', {}, props)));

  const links = (it.links || []).filter(l => ['alternate', 'predecessor-version', 'version', 'latest-version'].includes(l.rel) && safeHref(l.href));
  if (links.length) {
    container.append(el('h3', {}, 'Links'));
    container.append(el('ul', { id: 'links' }, links.map(l => el('li', {}, el('a', { href: safeHref(l.href) }, l.title || l.href), ' ', el('span', { class: 'muted' }, l.rel)))));
  }
}
