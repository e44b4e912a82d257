// The staff gap map on Leaflet (static/vendor/leaflet): the walk graph, one layer per kind of gap and the open reports,
// each read from the app's own GeoJSON endpoints for the part of the map in view (so it draws offline), with the
// gap table's filters; tiles only when the server names a tile URL. Gaps come grouped at low zoom (the server's
// grid clustering). Every marker is a named button with a popup linking to its table row or report. Without
// JavaScript (or Leaflet) the drawn SVG map stays; the tables say everything either map shows.
"use strict";
(function () {
  var element = document.getElementById("web-map");
  // The settings come as a data attribute: the page's CSP allows no inline script, data blocks included.
  if (!element || !element.dataset.settings || !window.L) return;
  var L = window.L;
  var settings = JSON.parse(element.dataset.settings);
  var texts = settings.texts;
  var KIND_GLYPHS = { crossing_tactile_paving: "●", signal_acoustic: "■", steps_handrail: "▲",
                      steps_count: "▼", sidewalk: "◆" };
  var GRAPH_STYLE = { road: { className: "map-road", weight: 3 }, path: { className: "map-path", weight: 1.5 },
                      steps: { className: "map-steps", weight: 3, dashArray: "2 3" } };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) { return name in values ? values[name] : match; });
  }

  function query(extra) {
    var params = new URLSearchParams(Object.assign({ lang: settings.lang }, extra));
    return params.toString();
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function popupOf(lines, links) {
    var box = document.createElement("div");
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
    links.forEach(function (a) {
      var p = document.createElement("p");
      p.appendChild(a);
      box.appendChild(p);
    });
    return box;
  }

  /** A marker that is a button with a name (a shape and a glyph, never colour alone), opening its popup. */
  function namedMarker(latlng, kind, glyph, name, popup) {
    var marker = L.marker(latlng, { keyboard: true, title: name, icon: L.divIcon({
      className: "map-marker gap-marker " + kind, html: '<span aria-hidden="true">' + glyph + "</span>",
      iconSize: [32, 32], iconAnchor: [16, 16] }) });
    marker.bindPopup(popup);
    marker.on("add", function () { marker.getElement().setAttribute("aria-label", name); });
    return marker;
  }

  function gapMarker(feature, latlng) {
    var p = feature.properties;
    var kind = texts.kinds[p.kind];
    if (p.count > 1) {
      var b = p.bbox;
      var name = fill(texts.cluster, { n: p.count.toLocaleString(settings.lang), kind: kind });
      var args = Object.assign({}, settings.filters, { kind: p.kind, bbox: b.join(",") });
      delete args.cell;
      return namedMarker(latlng, p.kind + " cluster", KIND_GLYPHS[p.kind] + "<br>" + p.count, name,
        popupOf([name], [link(settings.gap_table_url + "?" + query(args), texts.cluster_link)]));
    }
    var street = p.street || texts.unnamed;
    var lines = [kind + ": " + texts.values[p.value], street + " (" + (texts.highways[p.highway] || p.highway) + ")"];
    var rowArgs = { kind: p.kind, cell: p.cell };
    var row = link(settings.gap_table_url + "?" + query(rowArgs) + "#gap-" + p.id, texts.row_link);
    var osm = link("https://www.openstreetmap.org/" + p.element + "/" + p.osm_id, p.element + "/" + p.osm_id);
    return namedMarker(latlng, p.kind, KIND_GLYPHS[p.kind], lines.join(", "), popupOf(lines, [row, osm]));
  }

  function reportMarker(feature, latlng) {
    var p = feature.properties;
    var name = "#" + p.id + " " + texts.types[p.type];
    return namedMarker(latlng, "report", "✚", name,
      popupOf([name], [link(settings.report_url + p.id + "?" + query({}), fill(texts.report_link, { id: p.id }))]));
  }

  element.hidden = false;
  document.getElementById("web-map-hint").hidden = false;
  document.getElementById("svg-map").hidden = true;
  var b = settings.bounds;
  var map = L.map(element, { zoomControl: false, attributionControl: false, minZoom: 10, maxZoom: 20 });
  L.control.zoom({ zoomInTitle: texts.zoom_in, zoomOutTitle: texts.zoom_out }).addTo(map);
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, { maxZoom: 20 }).addTo(map);
    var attribution = document.getElementById("web-map-attribution");
    attribution.textContent = settings.tile_attribution;
    attribution.hidden = false;
  }

  var graph = L.geoJSON(null, { interactive: false, style: function (f) { return GRAPH_STYLE[f.properties.kind]; } });
  var reports = L.layerGroup();
  var overlays = {};
  overlays[texts.graph] = graph.addTo(map);
  var kinds = settings.filters.kind ? settings.filters.kind.split(",") : settings.kinds;
  var gapLayers = {};
  kinds.forEach(function (kind) {
    gapLayers[kind] = L.layerGroup().addTo(map);
    overlays[texts.kinds[kind]] = gapLayers[kind];
  });
  overlays[texts.reports] = reports.addTo(map);
  // On a phone the open list would cover half the map: there it folds into its button.
  var control = L.control.layers(null, overlays, { collapsed: element.clientWidth < 640 }).addTo(map);
  var list = control.getContainer();
  list.setAttribute("role", "group");
  list.setAttribute("aria-label", texts.layers);

  var inFlight = {};
  function load(name, url, draw) {
    if (inFlight[name]) inFlight[name].abort();
    var controller = inFlight[name] = new AbortController();
    return fetch(url, { signal: controller.signal, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        draw(data);
        element.setAttribute("data-" + name + "-drawn", "true");
      })
      .catch(function () { /* a layer that does not load leaves the map as it was; the tables have it all */ });
  }

  // Markers closer than this on the screen are moved apart along a spiral (as a spiderfied cluster would be), so
  // none hides another (WCAG 2.5.8); the popup still names the place.
  var SPACING_PX = 36; // markers are 32 px
  var data = { gaps: null, reports: null };

  function spread(features) {
    var placed = [];
    return features.map(function (feature) {
      var c = feature.geometry.coordinates;
      var point = map.latLngToLayerPoint([c[1], c[0]]);
      var at = point;
      for (var step = 0; placed.some(function (other) { return other.distanceTo(at) < SPACING_PX; }); step++) {
        var ring = 1 + Math.floor(step / 8);
        var angle = (step % 8) * Math.PI / 4 + ring * 0.4;
        at = point.add(L.point(Math.cos(angle), Math.sin(angle)).multiplyBy(ring * SPACING_PX));
      }
      placed.push(at);
      return { feature: feature, latlng: map.layerPointToLatLng(at) };
    });
  }

  function draw() {
    kinds.forEach(function (kind) { gapLayers[kind].clearLayers(); });
    reports.clearLayers();
    var all = (data.reports ? data.reports.features : []).concat(data.gaps ? data.gaps.features : []);
    spread(all).forEach(function (item) {
      var p = item.feature.properties;
      if (p.kind) gapLayers[p.kind].addLayer(gapMarker(item.feature, item.latlng));
      else reports.addLayer(reportMarker(item.feature, item.latlng));
    });
  }

  function refresh() {
    var view = map.getBounds();
    var box = [view.getSouth(), view.getWest(), view.getNorth(), view.getEast()]
      .map(function (v) { return v.toFixed(6); }).join(",");
    var zoom = String(map.getZoom());
    load("graph", settings.graph_url + "?" + query({ bbox: box, zoom: zoom }), function (lines) {
      graph.clearLayers().addData(lines);
    });
    var gapArgs = Object.assign({}, settings.filters, { bbox: box, zoom: zoom, kind: kinds.join(",") });
    load("gaps", settings.gaps_url + "?" + query(gapArgs), function (gaps) {
      data.gaps = gaps;
      draw();
      element.setAttribute("data-clustered", String(gaps.clustered));
    });
    load("reports", settings.reports_url + "?" + query({ bbox: box }), function (found) {
      data.reports = found;
      draw();
    });
  }
  map.on("moveend", refresh);
  refresh();
})();
