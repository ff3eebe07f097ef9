// The demo phone: sends the keys to the server, which plays the telephony provider.
(function () {
  const config = document.getElementById("demo-phone").dataset;
  const url = config.url;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const typed = document.getElementById("typed");
  const transcript = document.getElementById("transcript");
  const labels = {
    state: config.labelState, menu: config.labelMenu, grid: config.labelGrid,
    firm: config.labelFirm, queue: config.labelQueue, ended: config.labelEnded,
    queued: config.labelQueued, silence: config.labelSilence, connected: config.labelConnected,
  };
  let inCall = false, waiting = false, watching = null;
  function line(cls, text) {
    const li = document.createElement("li"); li.className = cls; li.textContent = text;
    transcript.appendChild(li); li.scrollIntoView({block: "nearest"});
  }
  function controls() {
    document.querySelectorAll("#pad button").forEach(b => { b.disabled = !waiting; });
    document.getElementById("send").disabled = !waiting;
    document.getElementById("silence").disabled = !waiting;
    document.getElementById("hangup").disabled = !inCall;
    document.getElementById("dial").disabled = inCall;
  }
  function showTicket(t) {
    const dl = document.getElementById("ticket"); dl.replaceChildren();
    if (!t) return;
    for (const k of ["state", "menu", "grid", "firm", "queue", "connected"]) {
      if (!t[k]) continue;
      const dt = document.createElement("dt"); dt.textContent = k === "connected" ? config.labelAgent : labels[k];
      const dd = document.createElement("dd"); dd.textContent = t[k];
      dl.append(dt, dd);
    }
  }
  // While the caller waits in the queue, look at the ticket now and then: when an agent takes
  // the call, the telephony provider (here the demo backend) puts the caller through.
  function watch(on) {
    if (watching) { window.clearInterval(watching); watching = null; }
    if (!on) return;
    watching = window.setInterval(async () => {
      const r = await fetch(config.stateUrl, {credentials: "same-origin"});
      if (!r.ok) { watch(false); return; }
      const j = await r.json();
      showTicket(j.ticket);
      if (j.ended) { watch(false); }
      else if (j.ticket && j.ticket.connected) { line("event", labels.connected + " " + j.ticket.connected); watch(false); }
    }, 2000);
  }
  async function act(data) {
    const r = await fetch(url, {method: "POST", body: new URLSearchParams(data),
                                headers: {"X-CSRFToken": csrf}, credentials: "same-origin"});
    const j = await r.json();
    if (!r.ok) { line("event", j.error || String(r.status)); return; }
    j.said.forEach(s => line("ivr", s));
    inCall = j.state !== "ended"; waiting = j.state === "gather";
    if (j.state === "queued") line("event", labels.queued + " " + j.queue);
    if (j.state === "ended") line("event", labels.ended);
    showTicket(j.ticket); controls();
    watch(j.state === "queued" && !(j.ticket && j.ticket.connected));
  }
  document.getElementById("dial").addEventListener("click", () => {
    transcript.replaceChildren(); typed.textContent = "";
    act({action: "dial", from: document.getElementById("from").value,
         ignore_hours: document.getElementById("ignore-hours").checked ? "1" : "0"});
  });
  document.querySelectorAll("#pad button").forEach(b => b.addEventListener("click", () => {
    typed.textContent += b.dataset.key;
  }));
  document.getElementById("send").addEventListener("click", () => {
    const digits = typed.textContent; typed.textContent = "";
    line("caller", digits || labels.silence);
    act({action: digits ? "keys" : "silence", digits});
  });
  document.getElementById("silence").addEventListener("click", () => {
    typed.textContent = ""; line("caller", labels.silence); act({action: "silence"});
  });
  document.getElementById("hangup").addEventListener("click", () => act({action: "hangup"}));
  // The page comes with the phone off (a click before this script ran would do nothing).
  controls();
})();
