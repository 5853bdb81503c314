// Draws the charts described by <script type="application/json" id="chart-data"> on canvases
// marked data-chart="name". Chart.js is served by this app (static/vendor/chartjs).
//
// A spec: {type, labels, datasets: [{label, data, color}], horizontal, stacked} and, optionally,
// decimals (tick precision; 0 unless given), axis (title of the value axis), strip (a strip plot: a
// scatter of {x, y} points whose y is one of `labels`). A dataset may also say type (a mixed chart,
// e.g. a "line" of markers over bars), marker (points only, drawn as a short line across the bar),
// point (a point style: "circle", "rectRot", "line"...), rotation (degrees), radius, and colors (one per
// bar). rowHeight: a box that grows with the number of labels (rows of a strip or of horizontal bars).
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var specs = JSON.parse(source.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.family = font;

  function dataset(ds) {
    var out = { label: ds.label, data: ds.data, backgroundColor: ds.colors || ds.color, borderColor: ds.colors || ds.color };
    if (ds.type) { out.type = ds.type; }
    out.order = (ds.marker || ds.point === "line") ? 0 : 1;  // markers are drawn over what they mark
    if (ds.marker) {
      out.type = out.type || "line";
      out.showLine = false;
      out.pointStyle = "line";
      out.pointRadius = ds.radius || 18;
      out.pointHoverRadius = ds.radius || 18;
      out.borderWidth = 3;
      out.pointBorderWidth = 3;
    }
    if (ds.point) {
      out.pointStyle = ds.point;
      out.pointRadius = ds.radius || 4;
      out.pointHoverRadius = (ds.radius || 4) + 2;
      if (ds.point === "line") { out.borderWidth = 3; }
    }
    if (ds.rotation) { out.rotation = ds.rotation; }
    return out;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) { return; }
    var horizontal = !!spec.horizontal;
    if (spec.rowHeight && spec.labels) {  // one row per label: the box grows with the rows
      var box = canvas.parentNode;
      var wanted = spec.labels.length * spec.rowHeight + 90;
      if (wanted > box.clientHeight) { box.style.height = wanted + "px"; }
    }
    var decimals = spec.decimals === undefined ? 0 : spec.decimals;
    var value = { stacked: !!spec.stacked, beginAtZero: spec.beginAtZero !== false, ticks: { precision: decimals } };
    if (spec.axis) { value.title = { display: true, text: spec.axis }; }
    var category = { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } };
    var scales;
    if (spec.strip) {
      scales = { x: value, y: { type: "category", labels: spec.labels, offset: true, grid: { offset: true } } };
    } else if (horizontal) {
      scales = { x: value, y: category };
    } else {
      scales = { x: category, y: value };
    }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets.map(dataset) },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { position: "bottom", labels: { usePointStyle: !!spec.strip } } },
        scales: scales
      }
    });
  });
});
