// The agent's own state: pause with one of the center's reasons, resume, log in and
// out of queues.  Each button sends one request; the page changes only when Asterisk's
// own events come back (the "me" and "my_queues" pushes), never on the click alone.
"use strict";
const DeskState = {
  queues: [],       // the queues an agent may log in to from the desk (a setting)
  memberships: [],  // [{queue, paused, reason}] as the tracker has them

  async load() {
    const s = await CC.api("GET", "/api/desk/setup");
    const pick = document.getElementById("pause-reason");
    const chosen = pick.value;
    pick.replaceChildren(...s.pause_reasons.map((r) => el("option", { value: r }, r)));
    if (s.pause_reasons.includes(chosen)) pick.value = chosen;
    pick.setAttribute("aria-label", CC.t("pause_reason_pick"));
    document.getElementById("scripts").replaceChildren(...s.scripts.map((p) => el("li", { "data-title": p.title },
      el("b", {}, p.title), el("span", { class: "phrase" }, p.text),
      el("button", { type: "button", class: "copy", onclick: (e) => this.copy(e.target, p.text) }, CC.t("copy")))));
    this.queues = s.queues;
    this.show(s.memberships);
    const usable = Boolean(CC.me.member_interface);
    for (const id of ["pause", "unpause", "pause-reason"]) document.getElementById(id).disabled = !usable;
    if (!usable) this.status(CC.t("no_queue_member"));
  },

  show(memberships) {
    this.memberships = memberships;
    const inQueue = new Map(memberships.map((m) => [m.queue, m]));
    const names = [...new Set([...this.queues, ...inQueue.keys()])];
    document.getElementById("queue-toggles").replaceChildren(...names.map((q) => {
      const m = inQueue.get(q);
      const allowed = this.queues.includes(q);
      return el("button", {
        type: "button", class: `queue-toggle${m ? " in" : ""}${m?.paused ? " paused" : ""}`, "data-queue": q,
        "data-in": m ? "1" : "0", disabled: !allowed || !CC.me.member_interface,
        title: CC.t(m ? "sign_out_of" : "sign_into"),
        onclick: () => this.send(`/api/desk/queues/${encodeURIComponent(q)}/${m ? "logout" : "login"}`),
      }, `${CC.label("queue", q)} · ${CC.t(m ? "queue_in" : "queue_out")}`);
    }));
  },

  // Asterisk confirmed something: the "sent" note has done its job.
  confirmed() { this.status(""); },

  status(text) { document.getElementById("control-state").textContent = text; },

  async send(path, body) {
    this.status(CC.t("sent_waiting"));
    try { await CC.api("POST", path, body); } catch (err) { this.status(CC.t("action_failed") + err.message); }
  },

  async copy(button, text) {
    try { await navigator.clipboard.writeText(text); button.textContent = CC.t("copied"); } catch { /* not allowed here */ }
  },

  wire() {
    document.getElementById("pause").addEventListener("click",
      () => this.send("/api/desk/pause", { reason: document.getElementById("pause-reason").value }));
    document.getElementById("unpause").addEventListener("click", () => this.send("/api/desk/unpause"));
  },
};
