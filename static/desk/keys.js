/* Keyboard first: every main action of the desk has a key, listed in a help window opened
   with "?" (templates/desk/_shortcuts.html defines the keys). Written by hand, no CDN.

   A key acts only outside a text field and without Ctrl/Alt/Meta; Esc in a field leaves it,
   so that the next key is a shortcut again. The help is a modal <dialog>: the page behind is
   inert, Tab stays inside it, Esc or its button closes it, and focus returns where it was. */
(function () {
  "use strict";

  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";
  var FOCUSABLE = "a[href], button:not([disabled]), " + FIELDS + ", [tabindex]:not([tabindex='-1'])";

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" || target.isContentEditable);
  }

  function visible(el) { return !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length)); }

  function target(row) {
    var selector = row.getAttribute("data-target");
    if (!selector) { return document.body; }
    var found = Array.prototype.filter.call(document.querySelectorAll(selector), visible);
    return found[0] || null;
  }

  function act(row) {
    var el = target(row);
    var how = row.getAttribute("data-do");
    if (!el || how === "builtin") { return false; }  // desk.js and search.js handle / and N
    if (how === "click") { el.click(); return true; }
    var field = el.matches(FIELDS) ? el : el.querySelector(FIELDS);
    if (!field) { return false; }
    field.focus();
    if (field.scrollIntoView) { field.scrollIntoView({ block: "center" }); }
    return true;
  }

  var opener = null;

  function openHelp(dialog) {
    opener = document.activeElement;
    Array.prototype.forEach.call(dialog.querySelectorAll("tr[data-key]"), function (row) {
      row.hidden = row.hasAttribute("data-target") && !target(row);
    });
    if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    var close = dialog.querySelector("[data-help-close]");
    if (close) { close.focus(); }
  }

  function closeHelp(dialog) {
    if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
  }

  function trapTab(dialog, event) {
    var items = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), visible);
    if (!items.length) { return; }
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault(); last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
      event.preventDefault(); first.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("shortcut-help");
    if (!dialog) { return; }
    dialog.addEventListener("close", function () {
      if (opener && document.contains(opener) && opener.focus) { opener.focus(); }
      opener = null;
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Tab") { trapTab(dialog, event); }
      else if (event.key === "Escape") { event.preventDefault(); closeHelp(dialog); }
    });
    dialog.querySelector("[data-help-close]").addEventListener("click", function () { closeHelp(dialog); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-help-open]"), function (button) {
      button.addEventListener("click", function () { openHelp(dialog); });
    });

    document.addEventListener("keydown", function (event) {
      if (dialog.open || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
      if (typing(event.target)) {
        // Esc leaves a field (the search box clears itself first, in search.js).
        if (event.key === "Escape") { event.target.blur(); }
        return;
      }
      if (event.key === "?") { event.preventDefault(); openHelp(dialog); return; }
      var key = event.key.length === 1 ? event.key.toLowerCase() : "";
      var row = key && dialog.querySelector("tr[data-key='" + key + "']");
      if (row && act(row)) { event.preventDefault(); }
    });
  });
})();
