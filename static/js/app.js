// platform_mgr — small progressive enhancements; no inline scripts (CSP script-src 'self').
document.addEventListener("DOMContentLoaded", function () {
  // a field's own message, once, below it (as the server draws it: .is-invalid + .invalid-feedback)
  function showError(input, text) {
    var id = (input.id || input.name) + "-client-err";
    var box = document.getElementById(id);
    var drawn = input.id && document.getElementById(input.id + "-err");  // the server's message: not twice
    if (drawn) { drawn.remove(); }
    if (!text) {
      if (box) { box.remove(); }
      input.classList.remove("is-invalid");
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "invalid-feedback d-block";
      input.insertAdjacentElement("afterend", box);
    }
    box.textContent = text;
    input.classList.add("is-invalid");
    input.setAttribute("aria-describedby", id);
  }
  window.pmShowError = showError;
  // a file over the server's limit is refused before it is sent: <input type=file data-max-bytes data-too-large>
  function tooLarge(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    return Array.prototype.some.call(input.files || [], function (file) { return file.size > max; });
  }
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      showError(input, tooLarge(input) ? input.getAttribute("data-too-large") : "");
    });
    if (input.form) {
      // registered before any confirmation below, so a refused file never asks to confirm
      input.form.addEventListener("submit", function (event) {
        if (tooLarge(input)) {
          event.preventDefault();
          event.stopImmediatePropagation();
          showError(input, input.getAttribute("data-too-large"));
          input.focus();
        }
      });
    }
  });
  // a field required unless another has a value, checked before any confirmation (issue 17: validate first,
  // confirm only a valid form): <textarea data-required-unless="decision=go" data-required-message="…">
  document.querySelectorAll("[data-required-unless]").forEach(function (input) {
    if (!input.form) { return; }
    var rule = input.getAttribute("data-required-unless").split("=");
    function missing() {
      var chosen = input.form.querySelector("[name='" + rule[0] + "']:checked");
      return !!chosen && chosen.value !== rule[1] && !input.value.trim();
    }
    input.form.addEventListener("submit", function (event) {
      if (missing()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        showError(input, input.getAttribute("data-required-message"));
        input.focus();
      }
    });
    input.addEventListener("input", function () { if (!missing()) { showError(input, ""); } });
  });
  // confirmation before destructive actions: <form data-confirm="message">
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // the same for one button of a form that has several: <button data-confirm="message" formaction="…">
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // feedback while a long export is prepared: <a data-busy="message">
  document.querySelectorAll("a[data-busy]").forEach(function (link) {
    link.addEventListener("click", function () {
      link.classList.add("disabled");
      link.setAttribute("aria-busy", "true");
      var text = link.getAttribute("data-busy");
      if (text) { link.textContent = text; }
      setTimeout(function () { link.classList.remove("disabled"); link.removeAttribute("aria-busy"); }, 8000);
    });
  });
});
// sortable tables (the whole list is on the page): <table data-sortable>; each column heading becomes a button
// that sorts the rows by that column (numbers as numbers, text in Chinese collation), again to reverse.
document.addEventListener("DOMContentLoaded", function () {
  var collator = new Intl.Collator(document.documentElement.lang || "zh-CN", { numeric: true, sensitivity: "base" });
  function value(row, index) {
    var cell = row.cells[index];
    var text = cell ? (cell.getAttribute("data-sort") || cell.textContent).trim() : "";
    var number = text.replace(/[¥,%\s]|万元/g, "");
    return /^-?\d+(\.\d+)?$/.test(number) ? parseFloat(number) : text;
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || !table.tHead) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (!th.textContent.trim()) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link p-0 text-reset text-decoration-none fw-semibold pm-sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a, index), y = value(b, index), order;
          if (typeof x === "number" && typeof y === "number") { order = x - y; }
          else { order = collator.compare(String(x), String(y)); }
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
});
// copy a secret shown once (an invitation link, a new API token): <button data-copy="#element-id">
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) { return; }
      var text = (source.value !== undefined ? source.value : source.textContent).trim();
      var done = function () {
        var copied = button.getAttribute("data-copied");
        if (copied) { button.textContent = copied; }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {  // http on an internal network: select the text and copy it the old way
        source.focus();
        if (source.select) { source.select(); }
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected to copy by hand */ }
      }
    });
  });
});
