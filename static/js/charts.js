// Draws the charts described by <script type="application/json" id="chart-data"> on canvases
// marked data-chart="name". Chart.js is served by this app (static/vendor/chartjs).
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var specs = JSON.parse(source.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.family = font;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) { return; }
    var horizontal = !!spec.horizontal;
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (ds) {
          return { label: ds.label, data: ds.data, backgroundColor: ds.color, borderColor: ds.color };
        })
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  });
});
