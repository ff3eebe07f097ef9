// Refresh the live part of the board every 30 seconds (no framework, same origin only). A
// refresh sent to the login page (the session ended) reloads the page, which shows the login.
(function () {
  var box = document.querySelector("[data-refresh]");
  if (!box) return;
  setInterval(function () {
    fetch(box.getAttribute("data-refresh"), { credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html) box.innerHTML = html; });
  }, 30000);
})();
