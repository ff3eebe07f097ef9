// The demo phone as the broker of a callback: it rings when the demo backend was asked to
// place a callback; the buttons answer (the recording notice is heard), refuse or hang up.
(function () {
  const config = document.getElementById("demo-callbacks").dataset;
  const box = document.getElementById("callbacks");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const transcript = document.getElementById("transcript");
  let ringing = null, talking = false;
  function show() {
    const outcome = document.getElementById("callback-outcome").textContent;
    box.hidden = !ringing && !outcome;
    box.querySelectorAll("[data-callback]").forEach(b => { b.disabled = !ringing; });
    if (!ringing) return;
    document.getElementById("callback-number").textContent = ringing.number;
    box.querySelectorAll("[data-callback]").forEach(b => {
      b.hidden = talking ? b.dataset.callback !== "hangup" : b.dataset.callback === "hangup";
    });
  }
  async function look() {
    if (talking) return;
    const response = await fetch(config.url, {credentials: "same-origin"});
    if (!response.ok) return;
    const data = await response.json();
    ringing = data.callbacks.length ? data.callbacks[0] : null;
    show();
  }
  box.addEventListener("click", async (event) => {
    const action = event.target.dataset && event.target.dataset.callback;
    if (!action || !ringing) return;
    const body = new URLSearchParams({sid: ringing.sid, action: action});
    const response = await fetch(config.actUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"X-CSRFToken": csrf},
    });
    const data = await response.json();
    for (const said of data.said || []) {
      const li = document.createElement("li"); li.className = "ivr"; li.textContent = said;
      transcript.appendChild(li);
    }
    document.getElementById("callback-outcome").textContent = data.outcome || "";
    talking = action === "answer" && response.ok;
    if (!talking) { ringing = null; }
    show();
  });
  window.setInterval(look, 2000);
  look();
})();
