// A STAC API v1.0.0 client for the page: collections, item search (POST, following `next`
// links with their method, body and merge flag) and single items.

export class APIError extends Error {}

export class STAC {
  // root is the API's URL, ending in "/".
  constructor(root) {
    this.root = new URL(root, document.baseURI).href;
  }

  async request(url, init = {}) {
    const resp = await fetch(url, { ...init, headers: { Accept: 'application/geo+json, application/json', ...(init.headers || {}) } });
    let body;
    try {
      body = await resp.json();
    } catch {
      body = undefined;
    }
    if (!resp.ok) {
      const why = body && (body.description || body.code) ? body.description || body.code : resp.statusText;
      throw new APIError(`${resp.status}: ${why}`);
    }
    if (body === undefined) throw new APIError(`${url}: the answer is not JSON`);
    return body;
  }

  async collections() {
    const all = [];
    let url = this.root + 'collections';
    for (let pages = 0; url && pages < 100; pages++) {
      const page = await this.request(url);
      all.push(...(page.collections || []));
      const next = (page.links || []).find(l => l.rel === 'next');
      url = next && next.href;
    }
    return all;
  }

  // search POSTs body to /search and returns the ItemCollection with `request`, the
  // request that fetches its next page (or null).
  async search(body) {
    const page = await this.request(this.root + 'search', post(body));
    return withNext(page, body);
  }

  // next fetches the page after one search returned.
  async next(page) {
    const r = page.nextRequest;
    const got = await this.request(r.url, r.init);
    return withNext(got, r.body);
  }

  item(collection, id) {
    return this.request(this.root + 'collections/' + encodeURIComponent(collection) + '/items/' + encodeURIComponent(id));
  }
}

function post(body) {
  return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

// withNext reads the `next` link of an ItemCollection: a GET link is followed as it is; a
// POST link sends its body, merged into the previous request's body when `merge` is true.
function withNext(page, body) {
  const link = (page.links || []).find(l => l.rel === 'next');
  page.nextRequest = null;
  if (link) {
    if ((link.method || 'GET').toUpperCase() === 'POST') {
      const nb = link.merge ? { ...body, ...(link.body || {}) } : (link.body || body);
      page.nextRequest = { url: link.href, init: post(nb), body: nb };
    } else {
      page.nextRequest = { url: link.href, init: {}, body };
    }
  }
  return page;
}
