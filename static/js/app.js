// platform_mgr — small progressive enhancements; no inline scripts (CSP script-src 'self').
document.addEventListener("DOMContentLoaded", function () {
  // confirmation before destructive actions: <form data-confirm="message">
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
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
