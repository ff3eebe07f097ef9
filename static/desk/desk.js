/* The agent desk: live parts, alerts on a new call, and keyboard shortcuts.
   Written by hand (no framework, no CDN).

   Push first: every desk page opens a websocket (meta desk-socket). The server sends what
   changed: a call that joined the queue (its row, rendered by the server), a call that left it,
   or "your call changed" (the call screen fetches its live part again). Only that row or that
   part changes: no re-render of the queue, so focus stays and a click is never swallowed.

   Polling is the fallback: while the socket is down, a part with data-poll="URL" is fetched
   again every data-interval seconds and its content replaced, unless a form inside it has focus;
   it stops once the content holds an element marked data-poll-stop (a final state). A poll sent
   to the login page (the idle session ended) reloads the page. When the socket comes back, the
   parts are fetched once (changes while it was down) and polling pauses again. */
(function () {
  "use strict";

  var socketUp = false;
  var titleBase = document.title;

  // --- fetching a part --------------------------------------------------------------------
  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.redirected) { window.location.reload(); }
        if (response.redirected || !response.ok) { throw new Error(response.status); }
        return response.text();
      });
  }

  function busyInside(el) {
    var a = document.activeElement;
    return el.contains(a) && a.tagName !== "BODY" && a.tagName !== "BUTTON";
  }

  function refresh(el) {
    var url = el.getAttribute("data-poll") || el.getAttribute("data-live-url");
    return fetchHtml(url).then(function (html) {
      el.innerHTML = html;
      el.setAttribute("data-polled", Date.now());
      afterQueueChange();
    });
  }

  function poll(el) {
    var seconds = parseInt(el.getAttribute("data-interval") || "3", 10);
    function tick() {
      // With the socket up a fallback part is not polled: the server pushes its changes.
      var pushed = socketUp && el.hasAttribute("data-fallback") && !el.querySelector("[data-poll-always]");
      if (document.hidden || busyInside(el) || pushed) {
        return schedule();
      }
      refresh(el)
        .catch(function () { /* keep the last view; the next tick tries again */ })
        .then(function () { if (!el.querySelector("[data-poll-stop]")) { schedule(); } });
    }
    function schedule() { window.setTimeout(tick, seconds * 1000); }
    schedule();
  }

  // The promises on the desk home change with the clock (due, overdue), not by a push: with the
  // socket up, that part alone is fetched again every minute.
  function refreshPromises() {
    var part = document.getElementById("promises");
    var queue = document.getElementById("queue");
    if (!part || !queue || !socketUp || document.hidden || busyInside(part)) { return; }
    fetchHtml(queue.getAttribute("data-poll")).then(function (html) {
      var fresh = document.createElement("div");
      fresh.innerHTML = html;
      var promises = fresh.querySelector("#promises");
      if (promises && !busyInside(part)) { part.innerHTML = promises.innerHTML; }
    }).catch(function () {});
  }

  // --- the queue: rows in and out -----------------------------------------------------------
  function queueTable() { return document.querySelector("#waiting table.queue"); }

  function afterQueueChange() {
    var table = queueTable();
    if (!table) { return; }
    var rows = table.tBodies[0].rows.length;
    var count = document.getElementById("waiting-count");
    if (count) { count.textContent = rows; }
    table.hidden = rows === 0;
    var empty = document.getElementById("waiting-empty");
    if (empty) { empty.hidden = rows > 0; }
    document.title = rows ? "(" + rows + ") " + titleBase : titleBase;
    tickWaits();
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function queueAdd(message) {
    var table = queueTable();
    if (!table || document.getElementById("waiting-" + message.id)) { return; }
    var lang = document.documentElement.lang || "hu";
    var html = message.html[lang] || message.html[Object.keys(message.html)[0]];
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    var form = row.querySelector("form");
    if (form && !form.querySelector("[name=csrfmiddlewaretoken]")) {
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = csrfToken();
      form.insertBefore(token, form.firstChild);
    }
    if (document.getElementById("waiting").hasAttribute("data-busy")) {
      var take = row.querySelector("button.take");
      if (take) { take.disabled = true; }
    }
    row.className += " arrived";
    table.tBodies[0].appendChild(row);  // the queue is longest-waiting first: a new call is last
    afterQueueChange();
    alertNewCall(row);
  }

  function queueRemove(message) {
    var row = document.getElementById("waiting-" + message.id);
    if (!row) { return; }
    if (row.contains(document.activeElement)) {
      // Focus would fall to the page: keep it in the queue, on the next call's button.
      var next = row.nextElementSibling || row.previousElementSibling;
      var button = next && next.querySelector("button.take");
      row.parentNode.removeChild(row);
      if (button) { button.focus(); }
    } else {
      row.parentNode.removeChild(row);
    }
    afterQueueChange();
  }

  function tickWaits() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (cell) {
      var since = parseInt(cell.getAttribute("data-since"), 10);
      if (!since) { return; }
      var s = Math.max(Math.floor((now - since) / 1000), 0);
      var text = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      if (cell.textContent !== text) { cell.textContent = text; }
    });
  }

  // --- alerts on a new call: the tab title, a ring, a desktop notification -----------------
  function pref(name) { try { return window.localStorage.getItem("desk." + name) === "1"; } catch (e) { return false; } }
  function setPref(name, on) { try { window.localStorage.setItem("desk." + name, on ? "1" : "0"); } catch (e) { /* private mode */ } }

  function ring() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      var audio = new Context();
      [0, 0.35].forEach(function (start) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.15, audio.currentTime + start);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + 0.3);
        tone.connect(gain); gain.connect(audio.destination);
        tone.start(audio.currentTime + start); tone.stop(audio.currentTime + start + 0.3);
      });
      window.setTimeout(function () { audio.close(); }, 1000);
    } catch (e) { /* no sound device */ }
  }

  // Calls are offered to available agents only: in wrap-up, on a break or on a call the
  // queue still moves, but nothing rings. A wrap-up ends by itself at its time.
  function available() {
    var state = document.getElementById("presence-state");
    if (!state) { return true; }
    var s = state.getAttribute("data-state");
    if (s === "wrap_up") {
      return Date.now() >= parseInt(state.getAttribute("data-until") || "0", 10);
    }
    return s === "available";
  }

  function tickCountdowns() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), function (cell) {
      var until = parseInt(cell.getAttribute("data-countdown"), 10);
      var s = Math.max(Math.ceil((until - now) / 1000), 0);
      cell.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      if (s === 0 && !cell.getAttribute("data-ended")) {
        cell.setAttribute("data-ended", "1");
        var part = document.getElementById("presence");
        if (part && !busyInside(part)) { refresh(part).catch(function () {}); }
      }
    });
    var waiting = document.getElementById("waiting");
    if (waiting) { waiting.classList.toggle("muted", !available()); }
  }

  function alertNewCall(row) {
    var queue = document.getElementById("queue");
    var label = (queue && queue.getAttribute("data-new-call")) || "New call";
    var cells = row.querySelectorAll("td");
    var what = cells.length > 3 ? cells[1].textContent + " · " + cells[3].textContent : "";
    if (!available()) { return; }
    document.body.setAttribute("data-last-alert", row.id);
    if (pref("ring")) { ring(); }
    if (pref("notify") && window.Notification && Notification.permission === "granted") {
      try { new Notification(label, { body: what, tag: row.id }); } catch (e) { /* not allowed here */ }
    }
  }

  function setupAlerts() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-pref]"), function (box) {
      var name = box.getAttribute("data-pref");
      box.checked = pref(name);
      box.addEventListener("change", function () {
        setPref(name, box.checked);
        if (name === "notify" && box.checked && window.Notification && Notification.permission === "default") {
          Notification.requestPermission();
        }
      });
    });
  }

  // --- the push connection ------------------------------------------------------------------
  function liveState(up) {
    document.body.setAttribute("data-socket", up ? "up" : "down");
    var badge = document.getElementById("live-state");
    if (!badge) { return; }
    badge.textContent = badge.getAttribute(up ? "data-live" : "data-offline");
    badge.className = "badge" + (up ? " ok" : "");
  }

  function onMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.op === "queue-add") { queueAdd(message); }
    else if (message.op === "queue-remove") { queueRemove(message); }
    else if (message.op === "presence") {
      var presence = document.getElementById("presence");
      if (presence && !busyInside(presence)) { refresh(presence).catch(function () {}); }
    }
    else if (message.op === "call-changed") {
      var part = document.querySelector("#connection[data-live-url][data-ticket='" + message.ticket + "']");
      if (part) { refresh(part).then(function () { part.hidden = !part.textContent.trim(); }).catch(function () {}); }
    }
    if (window.deskOnMessage) { window.deskOnMessage(message); }  // the latency bench's probe
  }

  function connect() {
    var meta = document.querySelector("meta[name=desk-socket]");
    if (!meta || !window.WebSocket) { liveState(false); return; }
    var delay = 1000;
    var first = true;
    // A path on this site, or the ws(s):// URL of a push server listening apart.
    var url = meta.getAttribute("content");
    if (!/^wss?:\/\//.test(url)) {
      url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + url;
    }
    function open() {
      var socket = new WebSocket(url);
      socket.onopen = function () {
        socketUp = true; delay = 1000; liveState(true);
        if (!first) {  // changes while it was down: fetch the live parts once
          Array.prototype.forEach.call(document.querySelectorAll("[data-fallback], #connection[data-live-url]"), function (el) {
            if (!busyInside(el)) { refresh(el).catch(function () {}); }
          });
        }
        first = false;
      };
      socket.onmessage = onMessage;
      socket.onclose = function (event) {
        socketUp = false; liveState(false);
        if (event.code === 4403) { return; }  // refused (logged out): polling shows the login
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
  }

  // --- keyboard -------------------------------------------------------------------------------
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

  // A form marked data-autosave (the phone claim report; the call's notes) saves itself while
  // the agent types (1.5 s after the last key) and when the page is left: a reload, an error or
  // a closed tab loses nothing. The claim report's first save creates the draft; opening the
  // form creates none. data-autosave="URL" posts there (the notes), else to the form's action
  // with action=draft; the hint (data-saved-hint, or #draft-saved) says when it was saved.
  // Until the server has it, what was typed is also kept in this tab's sessionStorage: a
  // reload that overtakes the last save (or the page-leave beacon) puts it back and saves it.
  function autosave(form) {
    var timer = null;
    var dirty = false;
    var storeKey = "autosave:" + (form.getAttribute("data-autosave") || form.getAttribute("action") || window.location.pathname);
    function typed(el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && !/^(hidden|submit|button|file|password|checkbox|radio)$/.test(el.type);
    }
    function remember() {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) { if (typed(el)) { values[el.name] = el.value; } });
      try { window.sessionStorage.setItem(storeKey, JSON.stringify(values)); } catch (e) { /* private mode */ }
    }
    function forget() { try { window.sessionStorage.removeItem(storeKey); } catch (e) { /* private mode */ } }
    function restore() {
      var values = null;
      try { values = JSON.parse(window.sessionStorage.getItem(storeKey) || "null"); } catch (e) { values = null; }
      if (!values) { return false; }
      var changed = false;
      Object.keys(values).forEach(function (name) {
        var el = form.elements[name];
        if (el && typed(el) && el.value !== values[name]) { el.value = values[name]; changed = true; }
      });
      if (!changed) { forget(); }
      return changed;
    }
    // Not form.action: the form's buttons are named "action", which shadows the property.
    var url = form.getAttribute("data-autosave") || form.getAttribute("action") || window.location.href;
    var hint = form.querySelector("[data-saved-hint]") || document.getElementById("draft-saved");
    function data() {
      var fields = new FormData(form);
      fields.set("action", "draft");
      return fields;
    }
    function save() {
      timer = null;
      if (!dirty || form.getAttribute("data-submitting")) { return; }
      dirty = false;
      fetch(url, {
        method: "POST", body: data(), credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (response.status === 409) { return null; }  // submitted, or the call is closed
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      }).then(function (saved) {
        if (!saved) { forget(); return; }
        if (!dirty) { forget(); }
        if (saved.report && form.elements.report) { form.elements.report.value = saved.report; }
        if (hint) { hint.textContent = hint.getAttribute("data-label") + " " + saved.saved_at; }
        form.setAttribute("data-saved", saved.saved_at);
      }).catch(function () { dirty = true; });
    }
    form.addEventListener("input", function () {
      dirty = true;
      remember();
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, 1500);
    });
    form.addEventListener("submit", function () {
      // The submit itself carries what was typed.
      dirty = false;
      forget();
      if (timer) { window.clearTimeout(timer); timer = null; }
    });
    window.addEventListener("pagehide", function () {
      if (dirty && !form.getAttribute("data-submitting") && navigator.sendBeacon) {
        navigator.sendBeacon(url, data());
      }
    });
    if (restore()) { dirty = true; timer = window.setTimeout(save, 0); }
  }

  // A promise form proposes the default due time of the kind chosen (callback: within the
  // configured opening hours; written answer: a number of open days).
  document.addEventListener("change", function (event) {
    var select = event.target;
    var form = select.form;
    if (!form || select.name !== "kind" || !form.hasAttribute("data-due-defaults")) { return; }
    var defaults = JSON.parse(form.getAttribute("data-due-defaults"));
    if (defaults[select.value] && form.elements.due_at) { form.elements.due_at.value = defaults[select.value]; }
  });

  // A folded list (the firm's older calls) opens and closes in place.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-unfold]");
    if (!button) { return; }
    var part = document.getElementById(button.getAttribute("data-unfold"));
    var open = part.hidden;
    part.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (!button.hasAttribute("data-label-more")) { button.setAttribute("data-label-more", button.textContent); }
    button.textContent = open ? button.getAttribute("data-label-less") : button.getAttribute("data-label-more");
  });

  document.addEventListener("DOMContentLoaded", function () {
    titleBase = document.title;
    setupAlerts();
    afterQueueChange();
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), autosave);
    connect();
    window.setInterval(function () { tickWaits(); tickCountdowns(); }, 1000);
    tickCountdowns();
    window.setInterval(refreshPromises, 60000);
  });
})();
