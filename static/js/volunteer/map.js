// The volunteers' web map: Leaflet (static/vendor/leaflet, loaded as a classic script: window.L) drawing the app's own
// layers from /api/map/* (the walk graph by box and zoom, reports, quests), with background tiles only when the
// server names a tile URL, so it draws offline. It is an addition for sighted helpers: whatever is done on it (placing
// a report, opening a report or quest) can be done in the text fields and lists too, and its markers are buttons
// with names that a keyboard reaches.

import { ApiError, fetchJson } from "../api.js";
import { language, t } from "../i18n.js";

const GRAPH_STYLE = {
  road: { className: "map-road", weight: 4 },
  path: { className: "map-path", weight: 2 },
  steps: { className: "map-steps", weight: 4, dashArray: "2 3" },
};
const START_ZOOM = 17;
const MARKER_SPACING_PX = 40; // markers are 32 px: this keeps 24 px targets apart (WCAG 2.5.8)

let config = null;

/** The server's map settings, asked once; null while the server cannot be reached (asked again next time). */
async function mapConfig() {
  if (!config) config = fetchJson("/api/map/config").catch(() => { config = null; return null; });
  return config;
}

function bboxOf(map) {
  const b = map.getBounds();
  return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map((v) => v.toFixed(6)).join(",");
}

/** A marker drawn as a shape with a text label (never colour alone), reached by Tab, named for screen readers. */
function shapeIcon(kind, glyph) {
  return window.L.divIcon({ className: `map-marker map-marker-${kind}`, html: `<span aria-hidden="true">${glyph}</span>`,
    iconSize: [32, 32], iconAnchor: [16, 16] });
}

export class VolunteerMap {
  /**
   * element: the map's box (its aria-label names the map); onClick(lat, lon): a tap or click on the map itself.
   * layers: which of "graph", "reports" to read from the server as the map moves.
   */
  constructor(element, { onClick = null, layers = ["graph"] } = {}) {
    this.element = element;
    this.onClick = onClick;
    this.layers = layers;
    this.map = null;
    this.loads = new Map(); // layer -> AbortController of its request in flight
  }

  /** Build the map on first use (its box must be visible to be measured), then make sure it fills the box. */
  async show(centre = null) {
    if (!window.L) return false; // the vendored script did not load: the text fields still work
    if (this.map) {
      this.map.invalidateSize();
      if (centre && !this.moved) this.map.setView([centre.lat, centre.lon], this.map.getZoom());
      return true;
    }
    const settings = await mapConfig();
    if (!settings || this.map) return Boolean(this.map); // no server: the fields and lists work without a map
    const L = window.L;
    const [south, west, north, east] = settings.bounds;
    // The attribution goes under the map as text (the map's own corner links would be tiny targets).
    this.map = L.map(this.element, { minZoom: settings.min_zoom, maxZoom: settings.max_zoom, zoomControl: false,
      attributionControl: false, maxBounds: [[south - 0.05, west - 0.05], [north + 0.05, east + 0.05]] });
    this.zoom = L.control.zoom({ zoomInTitle: t("map_zoom_in"), zoomOutTitle: t("map_zoom_out") }).addTo(this.map);
    if (settings.tile_url) {
      L.tileLayer(settings.tile_url, { maxZoom: settings.max_zoom }).addTo(this.map);
      const attribution = this.element.parentElement.querySelector("[data-map-attribution]");
      attribution.textContent = settings.tile_attribution;
      attribution.hidden = false;
    }
    this.graphMinZoom = settings.graph_min_zoom;
    this.graph = L.geoJSON(null, { style: (feature) => GRAPH_STYLE[feature.properties.kind], interactive: false })
      .addTo(this.map);
    this.reportLayer = L.layerGroup().addTo(this.map);
    this.markerLayer = L.layerGroup().addTo(this.map);
    const start = centre || { lat: (south + north) / 2, lon: (west + east) / 2 };
    this.map.setView([start.lat, start.lon], START_ZOOM);
    this.map.on("moveend", () => this.refresh());
    this.map.on("dragstart zoomstart", () => { this.moved = true; });
    if (this.onClick) this.map.on("click", (event) => this.onClick(event.latlng.lat, event.latlng.lng));
    this.element.dataset.ready = "true";
    this.refresh();
    return true;
  }

  /** The zoom buttons' names in the UI language (after a language change). */
  translate() {
    if (!this.zoom) return;
    const container = this.zoom.getContainer();
    for (const [selector, key] of [[".leaflet-control-zoom-in", "map_zoom_in"], [".leaflet-control-zoom-out", "map_zoom_out"]]) {
      const button = container.querySelector(selector);
      button.title = t(key);
      button.setAttribute("aria-label", t(key));
    }
  }

  refresh() {
    if (this.layers.includes("graph")) this.load("graph", (data) => this.graph.clearLayers().addData(data));
    if (this.layers.includes("reports")) this.load("reports", (data) => this.drawReports(data));
  }

  async load(layer, draw) {
    this.loads.get(layer)?.abort();
    const controller = new AbortController();
    this.loads.set(layer, controller);
    const query = new URLSearchParams({ bbox: bboxOf(this.map), zoom: String(this.map.getZoom()), lang: language() });
    try {
      draw(await fetchJson(`/api/map/${layer}?${query}`, { signal: controller.signal }));
      this.element.dataset[`${layer}Drawn`] = "true";
    } catch (error) {
      if (error.name !== "AbortError" && !(error instanceof ApiError)) throw error;
      // A layer that does not load leaves the map as it was; the lists and fields say everything the map shows.
    }
  }

  drawReports(data) {
    this.reportLayer.clearLayers();
    for (const feature of data.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const name = t("map_existing_report", { type: t(`type_${feature.properties.type}`) });
      this.reportLayer.addLayer(this.namedMarker(lat, lon, "report", "!", name, null));
    }
  }

  /** A marker with a shape and an accessible name; `onSelect` makes it a button (Enter, click, tap). */
  namedMarker(lat, lon, kind, glyph, name, onSelect) {
    const marker = window.L.marker([lat, lon], { icon: shapeIcon(kind, glyph), title: name,
      keyboard: Boolean(onSelect), interactive: Boolean(onSelect) });
    marker.on("add", () => {
      const element = marker.getElement();
      if (!onSelect) {
        element.setAttribute("aria-hidden", "true");
        return;
      }
      element.setAttribute("aria-label", name);
      element.addEventListener("keydown", (event) => { // a button: Enter and Space as a click
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        event.stopPropagation();
        onSelect();
      });
    });
    if (onSelect) marker.on("click", onSelect);
    return marker;
  }

  /** Replace the list markers: items [{lat, lon, name, glyph, kind, onSelect}]. Items closer on the screen than a
   * marker's width share one marker (named for all of them, leading to the first), so no target hides another. */
  setMarkers(items) {
    if (!this.map) return;
    this.items = items;
    if (!this.regroups) {
      this.regroups = true;
      this.map.on("zoomend", () => this.drawMarkers());
    }
    this.drawMarkers();
  }

  drawMarkers() {
    this.markerLayer.clearLayers();
    const groups = [];
    for (const item of this.items || []) {
      const at = this.map.latLngToLayerPoint([item.lat, item.lon]);
      const group = groups.find((g) => g.at.distanceTo(at) < MARKER_SPACING_PX);
      if (group) group.items.push(item);
      else groups.push({ at, items: [item] });
    }
    for (const { items } of groups) {
      const [first] = items;
      const name = items.length === 1 ? first.name
        : t("map_group", { count: items.length, n: items.length, names: items.map((item) => item.name).join("; ") });
      const glyph = items.length === 1 ? first.glyph : String(items.length);
      this.markerLayer.addLayer(this.namedMarker(first.lat, first.lon, first.kind, glyph, name, first.onSelect));
    }
  }

  /** The one draggable marker of the report's place; `onDrag(lat, lon)` when it is dropped somewhere else. */
  setPlace(lat, lon, onDrag) {
    if (!this.map) return;
    const L = window.L;
    if (!this.place) {
      this.place = L.marker([lat, lon], { draggable: true, keyboard: false, autoPan: true, title: t("map_place"),
        zIndexOffset: 1000, // above the reports already there
        icon: shapeIcon("place", "✚") }).addTo(this.map);
      this.place.on("add", () => this.place.getElement().setAttribute("aria-hidden", "true"));
      this.place.getElement().setAttribute("aria-hidden", "true"); // the lat/lon fields say where it is
      this.place.on("dragend", () => {
        const point = this.place.getLatLng();
        onDrag(point.lat, point.lng);
      });
    } else {
      this.place.setLatLng([lat, lon]);
    }
    if (!this.map.getBounds().pad(-0.1).contains([lat, lon])) this.map.panTo([lat, lon]);
  }
}
