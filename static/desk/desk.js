/* The agent desk: refresh the live parts without a reload, and keyboard shortcuts.
   Written by hand (no framework, no CDN): a part with data-poll="URL" is fetched again every
   data-interval seconds and its content replaced, unless a form inside it has focus; it stops
   once the content holds an element marked data-poll-stop (a final state). A poll sent to the
   login page (the idle session ended) reloads the page, so the agent sees the login, not a
   queue that no longer moves. */
(function () {
  "use strict";

  function poll(el) {
    var url = el.getAttribute("data-poll");
    var seconds = parseInt(el.getAttribute("data-interval") || "3", 10);
    function tick() {
      if (document.hidden || el.contains(document.activeElement) && document.activeElement.tagName !== "BODY" && document.activeElement.tagName !== "BUTTON") {
        return schedule();
      }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (response.redirected) { window.location.reload(); }
          if (response.redirected || !response.ok) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) { el.innerHTML = html; el.setAttribute("data-polled", Date.now()); })
        .catch(function () { /* keep the last view; the next tick tries again */ })
        .then(function () { if (!el.querySelector("[data-poll-stop]")) { schedule(); } });
    }
    function schedule() { window.setTimeout(tick, seconds * 1000); }
    schedule();
  }

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    if (event.key === "/") {
      var search = document.querySelector("[data-shortcut='/']");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "n" || event.key === "N") {
      var take = document.querySelector("button.take:not([disabled])");
      if (take) { event.preventDefault(); take.click(); }
    }
  });

  // A form marked data-submit-once ignores a second submit (a double click); the server
  // makes one claim of one report anyway.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once")) { return; }
    if (form.getAttribute("data-submitting")) { event.preventDefault(); return; }
    form.setAttribute("data-submitting", "1");
  });

  // A promise form proposes the default due time of the kind chosen (callback: within the
  // configured opening hours; written answer: a number of open days).
  document.addEventListener("change", function (event) {
    var select = event.target;
    var form = select.form;
    if (!form || select.name !== "kind" || !form.hasAttribute("data-due-defaults")) { return; }
    var defaults = JSON.parse(form.getAttribute("data-due-defaults"));
    if (defaults[select.value] && form.elements.due_at) { form.elements.due_at.value = defaults[select.value]; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
  });
})();
