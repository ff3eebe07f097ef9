/* Search as the agent types (call screen). Written by hand: no framework, no CDN.

   The search box (input[data-search-url]) fetches the server's hits (an HTML fragment, the
   same one the page renders for a plain submit) 250 ms after the last key; an older answer
   arriving late never replaces a newer one. Keyboard: ↓ from the box goes to the first hit,
   ↑/↓ move between hits, Enter opens one (it is a link), Esc goes back to the box. */
(function () {
  "use strict";

  var DELAY = 250;

  function hits(box) { return Array.prototype.slice.call(box.querySelectorAll("a.hit")); }

  function setup(input) {
    var box = document.getElementById(input.getAttribute("aria-controls"));
    if (!box) { return; }
    var url = input.getAttribute("data-search-url");
    var timer = null;
    var sent = 0;      // number of the last request sent
    var shown = 0;     // number of the request whose answer is on the page
    var last = input.value.trim();

    function search() {
      timer = null;
      var q = input.value.trim();
      if (q === last) { return; }
      last = q;
      var mine = ++sent;
      if (q.length < 2) { box.innerHTML = ""; shown = mine; box.removeAttribute("data-query"); return; }
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (response.redirected) { window.location.reload(); }
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      }).then(function (html) {
        if (mine < shown) { return; }  // a newer answer is already shown
        shown = mine;
        box.innerHTML = html;
        box.setAttribute("data-query", q);
      }).catch(function () { last = null; });  // the next key tries again
    }

    input.addEventListener("input", function () {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(search, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = hits(box)[0];
        if (first) { event.preventDefault(); first.focus(); }
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault(); input.value = ""; search();
      }
    });
    box.addEventListener("keydown", function (event) {
      var list = hits(box);
      var at = list.indexOf(document.activeElement);
      if (at < 0) { return; }
      if (event.key === "ArrowDown" && at < list.length - 1) {
        event.preventDefault(); list[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (at > 0) { list[at - 1].focus(); } else { input.focus(); }
      } else if (event.key === "Escape") {
        event.preventDefault(); input.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-search-url]"), setup);
  });
})();
