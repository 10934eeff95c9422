// Indicator page: the trend chart (ECharts) and the map of institutions coloured by value (Leaflet).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);

  function colour(value, lo, hi) {
    if (value === null || value === undefined) { return "#999999"; }
    var t = hi > lo ? (value - lo) / (hi - lo) : 1;
    var r = Math.round(200 * (1 - t) + 30 * t), g = Math.round(40 * (1 - t) + 150 * t);
    return "rgb(" + r + "," + g + ",60)";
  }

  function drawTrend() {
    var el = document.getElementById("trend-chart");
    if (!el || !window.echarts) { return; }
    var chart = window.echarts.init(el);
    var lines = data.targets.map(function (t) {
      return { yAxis: t.value, name: t.deadline, label: { formatter: t.value + " (" + t.deadline + ")" } };
    });
    chart.setOption({
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.trend.map(function (p) { return p[0]; }) },
      yAxis: { type: "value", name: data.unit },
      series: [{ type: "line", connectNulls: true, showSymbol: true, symbolSize: 8, data: data.trend.map(function (p) { return p[1]; }),
                 markLine: { symbol: "none", lineStyle: { type: "dashed" }, data: lines } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawMap() {
    var el = document.getElementById("value-map");
    if (!el || !window.L || !data.points.length) { if (el) { el.classList.add("empty"); } return; }
    var values = data.points.map(function (p) { return p.value; }).filter(function (v) { return v !== null; });
    var lo = Math.min.apply(null, values.concat([0])), hi = Math.max.apply(null, values.concat([0]));
    var map = window.L.map(el);
    // No tile server: the app must work offline on a hospital LAN; the dots are placed on a blank map.
    var bounds = [];
    data.points.forEach(function (p) {
      var marker = window.L.circleMarker([p.lat, p.lon], { radius: 7, color: "#333", weight: 1,
        fillColor: colour(p.value, lo, hi), fillOpacity: 0.85 }).addTo(map);
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.name + ": " + (p.value === null ? "—" : p.value + " " + data.unit);
      marker.bindPopup(link);
      bounds.push([p.lat, p.lon]);
    });
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
  }

  document.addEventListener("DOMContentLoaded", function () { drawTrend(); drawMap(); });
}());
