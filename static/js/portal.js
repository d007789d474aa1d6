// Glue only: toasts fade out; a failed htmx request shows a visible message.
(function () {
  "use strict";
  function fadeToasts(root) {
    (root || document).querySelectorAll(".toast:not([data-timer])").forEach(function (el) {
      el.dataset.timer = "1";
      setTimeout(function () { el.classList.add("toast-hide"); }, 6000);
      setTimeout(function () { el.remove(); }, 6600);
    });
  }
  function showError() {
    var tpl = document.getElementById("htmx-error-template");
    var box = document.getElementById("toasts");
    if (tpl && box) { box.appendChild(tpl.content.cloneNode(true)); fadeToasts(box); }
  }
  document.addEventListener("DOMContentLoaded", function () { fadeToasts(document); });
  document.addEventListener("htmx:afterSwap", function () { fadeToasts(document); });
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  // A select marked data-submit-on-change sends its form when changed (no inline handler: the CSP forbids them).
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.matches && el.matches("select[data-submit-on-change]") && el.form) { el.form.submit(); }
  });
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-Requested-With"] = "htmx";
  });
})();
