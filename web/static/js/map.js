// The Leaflet map: an optional XYZ base map or, without one, a graticule; collection
// extents, the search box (drawn by dragging with the mouse after pressing a button) and the
// results' footprints.
/* global L */

const boxStyle = { color: '#e76f51', weight: 2, fillOpacity: 0.08, interactive: false };
const extentStyle = { color: '#457b9d', weight: 1, dashArray: '4 4', fillOpacity: 0.03 };
const footprintStyle = { color: '#2a6f97', weight: 2, fillOpacity: 0.15 };
const hoverStyle = { color: '#f4a261', weight: 3, fillOpacity: 0.35 };

export class EOMap {
  constructor(container, cfg) {
    this.map = L.map(container, { center: [10, 0], zoom: 2, minZoom: 1, worldCopyJump: false, boxZoom: false });
    if (cfg.tileURL) {
      // OpenStreetMap's tile policy asks for its attribution; other servers name themselves.
      const osm = /(^|\.)openstreetmap\.(org|fr|de)$/.test(hostOf(cfg.tileURL));
      L.tileLayer(cfg.tileURL, { maxZoom: 19, attribution: osm ? '© OpenStreetMap contributors' : '' }).addTo(this.map);
    } else {
      graticule().addTo(this.map);
    }
    this.extents = L.featureGroup().addTo(this.map);
    this.footprints = L.featureGroup().addTo(this.map);
    this.itemLayer = L.featureGroup().addTo(this.map);
    this.box = null;
    this.drawing = false;
    this.start = null;
    this.justDrew = false;
    this.byID = new Map();
    this.map.on('mousedown', e => this.down(e));
    this.map.on('mousemove', e => this.move(e));
    this.map.on('mouseup', e => this.up(e));
  }

  // drawBox starts drawing: the next drag on the map draws the search box, then done(bbox)
  // is called with [west, south, east, north].
  drawBox(done) {
    this.drawing = true;
    this.done = done;
    this.map.dragging.disable();
    this.map.getContainer().classList.add('drawing');
  }

  stopDrawing() {
    this.drawing = false;
    this.start = null;
    this.map.dragging.enable();
    this.map.getContainer().classList.remove('drawing');
  }

  down(e) {
    if (!this.drawing) return;
    this.start = e.latlng;
    this.setBoxBounds(L.latLngBounds(e.latlng, e.latlng));
  }

  move(e) {
    if (this.drawing && this.start) this.setBoxBounds(L.latLngBounds(this.start, e.latlng));
  }

  up(e) {
    if (!this.drawing || !this.start) return;
    const b = L.latLngBounds(this.start, e.latlng);
    const done = this.done;
    this.stopDrawing();
    // the click that ends this mouseup must not open what lies under the pointer
    this.justDrew = true;
    setTimeout(() => { this.justDrew = false; }, 0);
    if (b.getNorth() === b.getSouth() || b.getEast() === b.getWest()) {
      this.clearBox();
      done(null);
      return;
    }
    this.setBoxBounds(b);
    done(boundsToBBox(b));
  }

  // busy reports whether a click on the map belongs to drawing the box.
  busy() {
    return this.drawing || this.justDrew;
  }

  setBoxBounds(b) {
    if (this.box) this.box.setBounds(b);
    else this.box = L.rectangle(b, boxStyle).addTo(this.map);
  }

  // showBox draws bbox [w, s, e, n] as the search box (null clears it).
  showBox(bbox) {
    if (!bbox) return this.clearBox();
    const [w, s, e, n] = bbox;
    this.setBoxBounds(L.latLngBounds([s, w], [n, e < w ? e + 360 : e]));
  }

  clearBox() {
    if (this.box) this.box.remove();
    this.box = null;
  }

  // showCollections draws each collection's first spatial extent, labelled with its id.
  showCollections(collections, onClick) {
    this.extents.clearLayers();
    for (const c of collections) {
      const bbox = c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0];
      if (!bbox || (bbox.length !== 4 && bbox.length !== 6)) continue;
      const [w, s, e, n] = bbox.length === 6 ? [bbox[0], bbox[1], bbox[3], bbox[4]] : bbox;
      const r = L.rectangle([[s, w], [n, e < w ? e + 360 : e]], extentStyle);
      r.bindTooltip(c.title || c.id);
      r.on('click', () => { if (!this.busy()) onClick(c); });
      this.extents.addLayer(r);
    }
  }

  // showResults draws the items' footprints; onClick(item) opens one, onHover(id, on)
  // highlights it in the list.
  showResults(items, append, onClick, onHover) {
    if (!append) {
      this.footprints.clearLayers();
      this.byID.clear();
    }
    for (const it of items) {
      if (!it.geometry) continue;
      const layer = L.geoJSON(it, { style: footprintStyle });
      layer.bindTooltip(it.id);
      layer.on('click', () => { if (!this.busy()) onClick(it); });
      layer.on('mouseover', () => { layer.setStyle(hoverStyle); onHover(it, true); });
      layer.on('mouseout', () => { layer.setStyle(footprintStyle); onHover(it, false); });
      this.footprints.addLayer(layer);
      this.byID.set(key(it), layer);
    }
  }

  highlight(it, on) {
    const layer = this.byID.get(key(it));
    if (layer) layer.setStyle(on ? hoverStyle : footprintStyle);
  }

  fitResults() {
    const b = this.footprints.getBounds();
    if (b.isValid()) this.map.fitBounds(b, { padding: [30, 30], maxZoom: 12 });
  }

  // showItem draws one item's footprint and zooms to it (null clears).
  showItem(it) {
    this.itemLayer.clearLayers();
    if (!it || !it.geometry) return;
    const layer = L.geoJSON(it, { style: hoverStyle });
    this.itemLayer.addLayer(layer);
    this.map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 12 });
  }

  fitBBox(bbox) {
    const [w, s, e, n] = bbox.length === 6 ? [bbox[0], bbox[1], bbox[3], bbox[4]] : bbox;
    this.map.fitBounds([[s, w], [n, e < w ? e + 360 : e]], { padding: [30, 30], maxZoom: 12 });
  }
}

function hostOf(url) {
  try {
    return new URL(url.replace(/[{}]/g, '')).hostname;
  } catch {
    return '';
  }
}

function key(it) {
  return (it.collection || '') + '/' + it.id;
}

// boundsToBBox turns drawn bounds into a STAC bbox: longitudes wrapped into [-180, 180]
// (west > east when the box crosses the antimeridian), latitudes clamped, 6 decimals.
export function boundsToBBox(b) {
  const r = x => Math.round(x * 1e6) / 1e6;
  let w = b.getWest(), e = b.getEast();
  if (e - w >= 360) {
    w = -180; e = 180;
  } else {
    w = wrap(w); e = wrap(e);
  }
  const s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
  return [r(w), r(s), r(e), r(n)];
}

function wrap(lng) {
  if (lng >= -180 && lng <= 180) return lng;
  return ((((lng + 180) % 360) + 360) % 360) - 180;
}

// graticule draws meridians and parallels every 10° (every 30° stronger and labelled).
function graticule() {
  const g = L.layerGroup();
  const style = d => (d % 30 === 0 ? { color: '#8fa3b8', weight: 1, interactive: false } : { color: '#c5d2de', weight: 0.6, interactive: false });
  for (let lng = -180; lng <= 180; lng += 10) {
    g.addLayer(L.polyline([[-85, lng], [85, lng]], style(lng)));
  }
  for (let lat = -80; lat <= 80; lat += 10) {
    g.addLayer(L.polyline([[lat, -180], [lat, 180]], style(lat)));
  }
  const label = (lat, lng, text) => L.marker([lat, lng], {
    interactive: false, keyboard: false,
    icon: L.divIcon({ className: 'graticule-label', html: '', iconSize: null }),
  }).on('add', function () { this.getElement().textContent = text; });
  for (let lat = -60; lat <= 60; lat += 30) g.addLayer(label(lat, 0, lat === 0 ? '0°' : `${Math.abs(lat)}°${lat > 0 ? 'N' : 'S'}`));
  for (let lng = -150; lng <= 180; lng += 30) if (lng !== 0) g.addLayer(label(0, lng, `${Math.abs(lng)}°${lng > 0 ? 'E' : 'W'}`));
  return g;
}
