/* Site editor map (staff): drag or click the marker to place a site; or paste coordinates in
   WGS-84, GCJ-02 or BD-09 and see the WGS-84 point that will be stored (converted by the server,
   /staff/sites/convert, with the same code as the save). Vendored Leaflet, no CDN. */
(function () {
  "use strict";
  var box = document.getElementById("site-map");
  if (!box || typeof L === "undefined") { return; }
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var datum = document.getElementById("datum");
  var method = document.getElementById("method");
  var zoom = document.getElementById("zoom");
  var start = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  var map = L.map(box, { center: start, zoom: 15 });
  // The prefix link is underlined: a link must not differ from the text by colour alone.
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" style="text-decoration:underline">Leaflet</a>');
  L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution }).addTo(map);
  var marker = L.marker(start, { draggable: true, autoPan: true, title: "site" }).addTo(map);
  box.dataset.ready = "1";

  function show(p) {
    var out = document.getElementById("wgs84-value");
    out.textContent = p[0].toFixed(7) + ", " + p[1].toFixed(7);
  }

  function picked(p) {
    marker.setLatLng(p);
    lat.value = p.lat.toFixed(7);
    lon.value = p.lng.toFixed(7);
    datum.value = "wgs84";
    method.value = "map";
    zoom.value = String(map.getZoom());
    show([p.lat, p.lng]);
  }

  marker.on("dragend", function () { picked(marker.getLatLng()); });
  map.on("click", function (e) { picked(e.latlng); });

  function typed() {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (!isFinite(a) || !isFinite(b)) { return; }
    if (method.value === "map") { method.value = "paste"; }
    var url = box.dataset.convert + "?lat=" + encodeURIComponent(a) + "&lon=" + encodeURIComponent(b) +
      "&datum=" + encodeURIComponent(datum.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { return; }
        show([p.lat, p.lon]);
        marker.setLatLng([p.lat, p.lon]);
        map.panTo([p.lat, p.lon]);
      });
  }
  lat.addEventListener("change", typed);
  lon.addEventListener("change", typed);
  datum.addEventListener("change", typed);
})();
