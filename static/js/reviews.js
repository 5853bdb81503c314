// The scoring page: live subtotals and total (app.js asks for the confirmation before a review is submitted).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("review-form");
  if (!form) { return; }
  var inputs = form.querySelectorAll("input.pm-points");
  var total = document.getElementById("pm-total");

  function tenths(value) {
    var text = (value || "").trim();
    if (!/^\d+(\.\d)?$/.test(text)) { return null; }
    return Math.round(parseFloat(text) * 10);
  }

  function refresh() {
    var sums = {};
    var all = 0;
    inputs.forEach(function (input) {
      var t = tenths(input.value);
      var max = Math.round(parseFloat(input.getAttribute("data-max")) * 10);
      var bad = input.value.trim() !== "" && (t === null || t > max);
      input.classList.toggle("is-invalid", bad);
      var dim = input.getAttribute("data-dimension");
      sums[dim] = (sums[dim] || 0) + (t === null || bad ? 0 : t);
      all += (t === null || bad ? 0 : t);
    });
    form.querySelectorAll("output.pm-subtotal").forEach(function (out) {
      out.textContent = ((sums[out.getAttribute("data-dimension")] || 0) / 10).toFixed(1);
    });
    if (total) { total.textContent = (all / 10).toFixed(1); }
  }

  inputs.forEach(function (input) { input.addEventListener("input", refresh); });
  refresh();
});
