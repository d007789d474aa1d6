// Glue only: toasts that can be read and dismissed, a visible message when an htmx request fails, and focus and
// announcements that survive an htmx swap (see "Accessible pages" in ARCHITECTURE.md).
(function () {
  "use strict";
  var READ_TIME = 20000; // an information toast stays 20 s, longer while pointed at or focused; errors stay

  function dismiss(toast) {
    toast.classList.add("toast-hide");
    setTimeout(function () { toast.remove(); }, 600);
  }

  function armToasts(root) {
    var box = document.getElementById("toasts");
    (root || document).querySelectorAll(".toast:not([data-armed])").forEach(function (toast) {
      toast.dataset.armed = "1";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "toast-close";
      close.setAttribute("aria-label", (box && box.dataset.dismissLabel) || "Dismiss");
      close.textContent = "\u00d7";
      close.addEventListener("click", function () { dismiss(toast); });
      toast.appendChild(close);
      if (toast.classList.contains("toast-error") || toast.classList.contains("toast-warning")) { return; }
      var timer = null;
      function start() { timer = setTimeout(function () { dismiss(toast); }, READ_TIME); }
      function hold() { clearTimeout(timer); }
      toast.addEventListener("mouseenter", hold);
      toast.addEventListener("focusin", hold);
      toast.addEventListener("mouseleave", start);
      toast.addEventListener("focusout", start);
      start();
    });
  }

  function showError() {
    var tpl = document.getElementById("htmx-error-template");
    var box = document.getElementById("toasts");
    if (tpl && box) { box.appendChild(tpl.content.cloneNode(true)); armToasts(box); }
  }

  // A form that came back with errors: its summary takes the focus and the title says there is an error.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (!summary) { return; }
    var marker = document.body.dataset.errorTitle;
    // The marker is "Error: " or 「エラー：」, joined as the reader's language joins a label and its value.
    if (marker && document.title.indexOf(marker.trim()) !== 0) { document.title = marker + document.title; }
    summary.focus();
  }

  // After an htmx swap the element that had the focus (a sort link, a pager link) is gone: focus its counterpart
  // in the new content (same data-focus-id), else the swapped region itself; then announce the region's summary.
  var lastFocusId = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var active = document.activeElement;
    lastFocusId = null;
    if (active && evt.detail.target && evt.detail.target.contains(active)) {
      lastFocusId = active.getAttribute("data-focus-id") || "";
    }
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    var region = evt.detail.target && document.getElementById(evt.detail.target.id);
    if (!region) { return; }
    if (lastFocusId !== null) {
      var again = lastFocusId && region.querySelector('[data-focus-id="' + lastFocusId + '"]');
      if (again) { again.focus(); } else {
        if (!region.hasAttribute("tabindex")) { region.setAttribute("tabindex", "-1"); }
        region.focus();
      }
      lastFocusId = null;
    }
    var summary = region.querySelector("[data-live-summary]") || (region.matches("[data-live-summary]") ? region : null);
    var live = document.getElementById("live");
    if (live && summary) { live.textContent = summary.textContent.replace(/\s+/g, " ").trim(); }
    armToasts(document);
    focusErrorSummary(region);
  });

  document.addEventListener("DOMContentLoaded", function () {
    armToasts(document);
    focusErrorSummary(document);
  });
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-Requested-With"] = "htmx";
  });
})();
