// Glue only: toasts that can be read and dismissed, a visible message when an htmx request fails, and focus and
// announcements that survive an htmx swap (see docs/accessibility.md).
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

  // A page that arrives at a step of its own puts the focus there (data-focus-on-arrival), unless an error summary
  // took it: a change's "Check before sending" on its heading, the button after it one Tab away; a confirmation
  // page that is nothing but its consequences (issue or send a month's invoices, a bulk dry run) on its button.
  function focusArrival(root) {
    var scope = root || document;
    if (scope.querySelector("[data-error-summary]")) { return; }
    var target = scope.querySelector("[data-focus-on-arrival]");
    if (target) { target.focus(); }
  }

  // Escape closes an open menu (the user menu) and gives the focus back to the button that opened it.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") { return; }
    document.querySelectorAll("details[data-closes-on-escape][open]").forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary) { summary.focus(); }
    });
  });

  // The search box of the top bar (base.html): "/" anywhere but in a field comes to it; Down goes into its results
  // and Up and Down between them (Enter follows a link); Escape closes them and gives the focus back to the box.
  function findLinks(panel) {
    return panel.hidden ? [] : Array.prototype.slice.call(panel.querySelectorAll("a[data-find-result]"));
  }
  document.addEventListener("keydown", function (evt) {
    var box = document.getElementById("find-q");
    var panel = document.getElementById("find-panel");
    if (!box || !panel) { return; }
    var target = evt.target;
    var inField = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (evt.key === "/" && !inField && !evt.ctrlKey && !evt.metaKey && !evt.altKey) {
      evt.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (target !== box && !panel.contains(target)) { return; }
    if (evt.key === "Escape" && !panel.hidden) {
      panel.hidden = true;
      box.focus();
      return;
    }
    if (evt.key !== "ArrowDown" && evt.key !== "ArrowUp") { return; }
    var links = findLinks(panel);
    if (!links.length) { return; }
    evt.preventDefault();
    var at = links.indexOf(target);
    var next = evt.key === "ArrowDown" ? at + 1 : (at === -1 ? links.length - 1 : at - 1);
    if (next < 0 || next >= links.length) { box.focus(); } else { links[next].focus(); }
  });
  // A click elsewhere, or the focus leaving for elsewhere, closes the results; typing again opens them.
  function closeFindOutside(evt) {
    var panel = document.getElementById("find-panel");
    if (panel && !panel.hidden && !(evt.target.closest && evt.target.closest("form.find"))) { panel.hidden = true; }
  }
  document.addEventListener("click", closeFindOutside);
  document.addEventListener("focusin", closeFindOutside);

  // A table wider (or taller) than its frame scrolls inside it, at 200 % zoom say: the frame then takes the
  // focus, so arrow keys scroll it, and is named by the table's caption or heading. One that fits loses both.
  // The frame is a group, not a landmark: its section is the landmark, named by the same heading, and two
  // landmarks of one name could not be told apart in a screen reader's list of them.
  // Each frame is watched, with its table: a frame's box changes without the window's (a page scrollbar comes
  // and goes as the page grows, a swap widens the table), and the frame is judged again whenever either does.
  var resized = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var box = entry.target.closest(".table-wrap");
      if (box) { judgeScroller(box); }
    });
  }) : null;
  function scrollersFocusable(root) {
    (root || document).querySelectorAll(".table-wrap:not([data-always-focusable])").forEach(function (box) {
      judgeScroller(box);
      if (resized) {
        resized.observe(box);
        if (box.firstElementChild) { resized.observe(box.firstElementChild); }
      }
    });
  }
  function judgeScroller(box) {
    if (box.hasAttribute("data-always-focusable")) { return; }
    var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      var named = box.querySelector("caption") || box.closest("section, .panel");
      var heading = named && (named.matches("caption") ? named : named.querySelector("h2, h3"));
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", (heading && heading.textContent.trim()) || document.title.split(" · ")[0]);
    } else if (!scrolls && box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  // The "Loading" bar is read out only while a request is under way (base.html keeps it hidden otherwise).
  function indicate(busy) {
    var bar = document.getElementById("request-indicator");
    if (bar) { bar.setAttribute("aria-hidden", busy ? "false" : "true"); }
  }
  document.addEventListener("htmx:beforeRequest", function () { indicate(true); });
  document.addEventListener("htmx:afterRequest", function () { indicate(false); });

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
    scrollersFocusable(document);
    focusErrorSummary(region);
  });

  document.addEventListener("DOMContentLoaded", function () {
    armToasts(document);
    scrollersFocusable(document);
    focusErrorSummary(document);
    focusArrival(document);
  });
  // The language switch returns to the address the page shows now: a filter, a sort or a page chosen through htmx
  // has moved it on (hx-push-url) since the server wrote the switch's "next".
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches(".lang-switch")) { return; }
    var next = form.querySelector('input[name="next"]');
    if (next) { next.value = window.location.pathname + window.location.search; }
  });
  // A list's filter form sends its search box as one types and its other fields on change. The box's own change,
  // fired when it loses the focus (to a click on a result), would send the same search again, and that answer's
  // pushed address cancels the click's navigation: it stops before the form's trigger.
  document.addEventListener("change", function (evt) {
    var box = evt.target;
    if (box.matches && box.matches('form[data-hx-trigger*="change"] input[name="q"]')) { evt.stopPropagation(); }
  }, true);
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-Requested-With"] = "htmx";
  });
})();
