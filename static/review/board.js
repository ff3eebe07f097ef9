// The live board: the agents' presence and the queue come by push (the desk's websocket,
// /ws/desk/, which supervisors join for presence); every change fetches the live part again.
// The figures refresh every 30 seconds, and that poll is also the fallback while the socket is
// down. A refresh sent to the login page (the session ended) reloads the page, which shows the
// login. Times on the lists ("for", "waiting") tick every second. No framework, same origin.
(function () {
  var box = document.querySelector("[data-refresh]");
  if (!box) return;
  var url = box.getAttribute("data-refresh");
  var pending = null;

  function refresh() {
    pending = null;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html) { box.innerHTML = html; tick(); } });
  }

  function soon() {
    if (!pending) pending = setTimeout(refresh, 250);
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  function tick() {
    var now = Date.now() / 1000;
    box.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = duration(now - Number(el.getAttribute("data-since")));
    });
  }

  function connect() {
    var meta = document.querySelector("meta[name=desk-socket]");
    if (!meta || !("WebSocket" in window)) return;
    var url = meta.getAttribute("content");  // a path on this site, or a push server's ws(s):// URL
    if (!/^wss?:\/\//.test(url)) {
      url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + url;
    }
    var socket = new WebSocket(url);
    socket.onopen = function () { document.body.setAttribute("data-socket", "up"); };
    socket.onmessage = function (event) {
      var op;
      try { op = JSON.parse(event.data).op; } catch (e) { return; }
      if (op === "presence" || op === "queue-add" || op === "queue-remove") soon();
    };
    socket.onclose = function (event) {
      document.body.setAttribute("data-socket", "down");
      if (event.code !== 4403) setTimeout(connect, 5000);  // 4403: not allowed, do not insist
    };
  }

  setInterval(refresh, 30000);
  setInterval(tick, 1000);
  tick();
  connect();
})();
