// The search form: what it asks of POST /search, and the list of results.
import { el, itemRoute } from './dom.js';

// parseBBox reads "w, s, e, n" (commas or spaces); "" is no box. It throws on anything else.
export function parseBBox(text) {
  const t = text.trim();
  if (!t) return null;
  const nums = t.split(/[\s,]+/).map(Number);
  if (nums.length !== 4 || nums.some(n => !isFinite(n))) throw new Error('the bounding box needs four numbers: west, south, east, north');
  const [w, s, e, n] = nums;
  if (s > n || Math.abs(s) > 90 || Math.abs(n) > 90 || Math.abs(w) > 180 || Math.abs(e) > 180) {
    throw new Error('the bounding box is not west, south, east, north in degrees');
  }
  return nums;
}

// searchBody builds the POST /search body of the form's fields.
export function searchBody(f) {
  const body = { limit: Number(f.limit) || 10 };
  const bbox = parseBBox(f.bbox || '');
  if (bbox) body.bbox = bbox;
  if (f.from || f.to) {
    if (f.from && f.to && f.from > f.to) throw new Error('the date "from" is after "to"');
    const from = f.from ? f.from + 'T00:00:00Z' : '..';
    const to = f.to ? f.to + 'T23:59:59Z' : '..';
    body.datetime = from + '/' + to;
  }
  if (f.collections && f.collections.length) body.collections = f.collections;
  const filters = [];
  if (f.cloud !== '' && f.cloud !== undefined && f.cloud !== null) {
    const c = Number(f.cloud);
    if (!isFinite(c)) throw new Error('the cloud cover is not a number');
    filters.push(`eo:cloud_cover <= ${c}`);
  }
  if (f.filter && f.filter.trim()) filters.push(f.filter.trim());
  if (filters.length) {
    body.filter = filters.length === 1 ? filters[0] : filters.map(x => `(${x})`).join(' AND ');
    body['filter-lang'] = 'cql2-text';
  }
  return body;
}

// resultRow is one item in the results list: a link to its page, its datetime, collection.
export function resultRow(it) {
  const p = it.properties || {};
  const when = p.datetime || (p.start_datetime ? p.start_datetime + ' – ' + (p.end_datetime || '') : '');
  return el('li', { 'data-id': it.id, 'data-collection': it.collection || '' },
    el('a', { href: itemRoute(it.collection || '', it.id), class: 'result' }, it.id),
    el('div', { class: 'meta' }, el('span', { class: 'datetime' }, when), ' · ', el('span', { class: 'collection' }, it.collection || '')));
}
