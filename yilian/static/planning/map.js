/* The planning map: walking network, facilities (draggable for the what-if), uncovered H3 cells and
   proposed sites. No tile server is needed; YILIAN_MAP_TILE_URL adds a base map where there is one. */
(function () {
  "use strict";
  var el = document.getElementById("planning-map");
  if (!el || typeof L === "undefined") { return; }
  var labels = JSON.parse(document.getElementById("planning-labels").textContent);
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  var changes = [];
  var nextId = 0;
  var baseline = null;
  var addMode = false;
  var shareEl = document.getElementById("whatif-share");
  var changesEl = document.getElementById("whatif-changes");
  var errorEl = document.getElementById("whatif-error");
  var addButton = document.getElementById("whatif-add");
  var facilityLayer = L.layerGroup().addTo(map);

  function pct(x) { return (100 * x).toFixed(1) + " %"; }

  function facilityIcon(added) {
    return L.divIcon({ className: "fac-icon" + (added ? " added" : ""), iconSize: [14, 14] });
  }

  function send() {
    errorEl.textContent = "";
    changesEl.textContent = changes.length ? labels.changes.replace("%(n)s", changes.length) : "";
    fetch(el.dataset.whatifUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": el.dataset.csrf },
      body: JSON.stringify({ changes: changes })
    }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { errorEl.textContent = res.body.error || labels.error; return; }
        shareEl.textContent = pct(res.body.covered_share);
        el.dataset.share = res.body.covered_share;
      }).catch(function () { errorEl.textContent = labels.error; });
  }

  function addFacility(lat, lon, id, name, added) {
    var marker = L.marker([lat, lon], { draggable: true, icon: facilityIcon(added), title: name || "" });
    marker.facilityId = id;
    marker.on("dragend", function () {
      var p = marker.getLatLng();
      changes.push({ action: "move", facility: marker.facilityId, lon: p.lng, lat: p.lat });
      marker.facilityId = nextId++;  // the engine gives a moved facility a new number
      send();
    });
    marker.on("contextmenu", function () {
      changes.push({ action: "remove", facility: marker.facilityId });
      facilityLayer.removeLayer(marker);
      send();
    });
    if (name) { marker.bindTooltip(name); }
    facilityLayer.addLayer(marker);
    return marker;
  }

  function draw(data) {
    var bounds = [];
    var segments = (data.network || []).map(function (e) { return [[e[1], e[0]], [e[3], e[2]]]; });
    if (segments.length) {
      L.polyline(segments, { color: "#9e9e9e", weight: 1, opacity: 0.8, interactive: false }).addTo(map);
      segments.forEach(function (s) { bounds.push(s[0]); });
    }
    var cells = data.uncovered_cells || [];
    var most = cells.reduce(function (m, c) { return Math.max(m, c.people); }, 1);
    cells.forEach(function (c) {
      L.polygon(c.boundary, { stroke: false, fillColor: "#c62828", fillOpacity: 0.15 + 0.55 * c.people / most })
        .bindTooltip(labels.uncovered.replace("%(n)s", Math.round(c.people))).addTo(map);
    });
    (data.proposed || []).forEach(function (p, i) {
      L.marker([p.lat, p.lon], { icon: L.divIcon({ className: "site-icon", iconSize: [14, 14] }), keyboard: false })
        .bindTooltip(labels.site.replace("%(n)s", i + 1))
        .on("click", function () { if (addMode) { addAt(p.lat, p.lon); } })  // open a facility on the proposal
        .addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    (data.facilities || []).forEach(function (f, i) {
      addFacility(f.lat, f.lon, i, f.name, false);
      bounds.push([f.lat, f.lon]);
    });
    nextId = (data.facilities || []).length;
    baseline = data.summary.covered_share;
    shareEl.textContent = pct(baseline);
    el.dataset.share = baseline;
    document.getElementById("whatif-baseline").textContent = labels.baseline.replace("%(share)s", pct(baseline));
    if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([26.6, 106.7], 12); }
    el.dataset.ready = "1";
  }

  function addAt(lat, lon) {
    changes.push({ action: "add", lon: lon, lat: lat });
    addFacility(lat, lon, nextId++, labels.newFacility, true);
    send();
  }
  map.on("click", function (e) { if (addMode) { addAt(e.latlng.lat, e.latlng.lng); } });
  addButton.addEventListener("click", function () {
    addMode = !addMode;
    addButton.setAttribute("aria-pressed", addMode ? "true" : "false");
  });
  document.getElementById("whatif-reset").addEventListener("click", function () {
    changes = [];
    facilityLayer.clearLayers();
    fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      data.facilities.forEach(function (f, i) { addFacility(f.lat, f.lon, i, f.name, false); });
      nextId = data.facilities.length;
      shareEl.textContent = pct(baseline);
      el.dataset.share = baseline;
      changesEl.textContent = "";
    });
  });
  fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(draw);
})();
