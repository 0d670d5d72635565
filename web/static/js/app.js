// The page: reads /config.json, lists the STAC API's collections on the map and in the form,
// runs searches, and routes #/collections/C/items/I to the item panel.
import { STAC } from './api.js';
import { EOMap } from './map.js';
import { searchBody, resultRow, parseBBox } from './search.js';
import { renderItem } from './item.js';
import { el, itemRoute } from './dom.js';

const $ = id => document.getElementById(id);

function status(text, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

async function main() {
  const cfg = await (await fetch('config.json')).json();
  document.title = cfg.title;
  $('title').textContent = cfg.title;
  $('api-link').href = cfg.stacPath;
  const api = new STAC(cfg.stacPath);
  const map = new EOMap($('map'), cfg);
  window.eopack = { map: map.map, api }; // for people (and tests) at the console
  let page = null;
  let items = [];

  const open = it => { location.hash = itemRoute(it.collection || '', it.id); };
  const hover = (it, on) => {
    const li = [...$('results').children].find(x => x.dataset.id === it.id && x.dataset.collection === (it.collection || ''));
    if (li) li.classList.toggle('hover', on);
  };

  function showPage(p, append) {
    page = p;
    const got = p.features || [];
    items = append ? items.concat(got) : got;
    if (!append) $('results').replaceChildren();
    for (const it of got) {
      const li = resultRow(it);
      li.addEventListener('mouseenter', () => map.highlight(it, true));
      li.addEventListener('mouseleave', () => map.highlight(it, false));
      $('results').append(li);
    }
    map.showResults(got, append, open, hover);
    if (!append) map.fitResults();
    const matched = typeof p.numberMatched === 'number' ? ` of ${p.numberMatched}` : '';
    status(items.length ? `${items.length}${matched} items` : 'No items match.');
    $('next').hidden = !p.nextRequest;
    if (!append) $('status').scrollIntoView({ block: 'start' });
  }

  async function run(fn) {
    try {
      status('Searching…');
      await fn();
    } catch (e) {
      status(e.message, true);
    }
  }

  $('search-form').addEventListener('submit', e => {
    e.preventDefault();
    run(async () => {
      const f = $('search-form');
      const body = searchBody({
        bbox: $('bbox').value, from: $('date-from').value, to: $('date-to').value,
        collections: [...$('collections').selectedOptions].map(o => o.value),
        cloud: $('cloud').value, filter: $('filter').value, limit: $('limit').value,
      });
      f.dataset.body = JSON.stringify(body);
      showPage(await api.search(body), false);
    });
  });
  $('next').addEventListener('click', () => run(async () => showPage(await api.next(page), true)));

  $('draw-box').addEventListener('click', () => {
    const b = $('draw-box');
    if (map.drawing) {
      map.stopDrawing();
      b.setAttribute('aria-pressed', 'false');
      return;
    }
    b.setAttribute('aria-pressed', 'true');
    status('Drag on the map to draw the search box.');
    map.drawBox(bbox => {
      b.setAttribute('aria-pressed', 'false');
      $('bbox').value = bbox ? bbox.join(', ') : '';
      status(bbox ? 'Box set; press Search.' : '');
    });
  });
  $('clear-box').addEventListener('click', () => { $('bbox').value = ''; map.clearBox(); });
  $('bbox').addEventListener('change', () => {
    try {
      map.showBox(parseBBox($('bbox').value));
      status('');
    } catch (e) {
      status(e.message, true);
    }
  });

  async function route() {
    const m = location.hash.match(/^#\/collections\/([^/]+)(?:\/items\/([^/]+))?$/);
    const itemView = m && m[2] !== undefined;
    $('search-view').hidden = itemView;
    $('item-view').hidden = !itemView;
    if (!itemView) {
      map.showItem(null);
      if (m) { // #/collections/C: search that collection
        const c = decodeURIComponent(m[1]);
        for (const o of $('collections').options) o.selected = o.value === c;
        $('search-form').requestSubmit();
      }
      return;
    }
    const [c, id] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    $('item-h').textContent = id;
    const body = $('item-body');
    body.replaceChildren(el('p', { role: 'status' }, 'Loading…'));
    try {
      const it = await api.item(c, id);
      renderItem(body, it);
      map.showItem(it);
      $('item-h').focus();
    } catch (e) {
      body.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Item ${c}/${id}: ${e.message}`));
    }
  }
  $('item-h').tabIndex = -1;
  window.addEventListener('hashchange', route);

  try {
    const cols = await api.collections();
    const sel = $('collections');
    sel.replaceChildren(...cols.map(c => el('option', { value: c.id }, c.title && c.title !== c.id ? `${c.title} (${c.id})` : c.id)));
    $('collection-list').replaceChildren(...cols.map(c => {
      const t = c.extent && c.extent.temporal && c.extent.temporal.interval && c.extent.temporal.interval[0];
      const bbox = c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0];
      return el('li', { 'data-id': c.id },
        el('a', { href: '#/collections/' + encodeURIComponent(c.id) }, c.title || c.id),
        el('div', { class: 'muted' }, t ? `${(t[0] || '..').slice(0, 10)} – ${(t[1] || '..').slice(0, 10)}` : '',
          bbox ? el('button', { type: 'button', class: 'zoom', onclick: () => map.fitBBox(bbox), 'aria-label': 'Show ' + c.id + ' on the map' }, 'Show') : ''));
    }));
    map.showCollections(cols, c => { location.hash = '#/collections/' + encodeURIComponent(c.id); });
    document.body.dataset.collections = String(cols.length);
  } catch (e) {
    status('Collections: ' + e.message, true);
  }
  document.body.dataset.ready = 'true';
  route();
}

main().catch(e => status(e.message, true));
