// The agent desk: the ticket pops up by itself when a call connects to this agent
// (pushed to this agent only), with the caller's history and the apology banner.
"use strict";
const CHOICES = {
  category: ["", "咨询", "投诉", "建议", "表扬", "求助"],
  priority: ["low", "normal", "high", "urgent"],
  mood: ["", "calm", "anxious", "angry", "satisfied"],
  status: ["open", "dispatched", "accepted", "resolved", "closed"],
};
const PREFIX = { category: "cat_", priority: "pri_", mood: "mood_", status: "st_" };
let current = null; // { call, ticket }

function fillSelects() {
  const form = document.getElementById("ticket-form");
  for (const [name, values] of Object.entries(CHOICES)) {
    form[name].replaceChildren(...values.map((v) => el("option", { value: v }, v ? CC.t(PREFIX[name] + v) : "–")));
  }
}

function showMe(me) {
  if (!me) return;
  const badge = document.getElementById("my-state");
  badge.className = `state ${me.state}`; badge.textContent = CC.t(`state_${me.state}`);
  document.getElementById("my-since").dataset.since = me.since ?? "";
  document.getElementById("my-reason").textContent = me.reason || "";
  document.getElementById("my-calls").textContent = me.calls;
  document.getElementById("my-violations").textContent = me.violations;
  document.getElementById("my-points").textContent = me.points;
}

function historyRows(rows) {
  if (!rows.length) return [el("tr", {}, el("td", { class: "muted" }, CC.t("none")))];
  return rows.map((t) => el("tr", { "data-ticket": t.id },
    el("td", {}, `#${t.id}`), el("td", {}, clock(t.opened_at)), el("td", {}, t.owner_name),
    el("td", {}, t.category ? CC.t("cat_" + t.category) : "–"), el("td", {}, CC.t("st_" + t.status)),
    el("td", {}, t.content.slice(0, 80))));
}

function popCall(call) {
  current = { call, ticket: null };
  document.getElementById("no-call").classList.add("hidden");
  document.getElementById("ticket-panel").classList.remove("hidden");
  document.getElementById("ticket-panel").dataset.linkedid = call.linkedid;
  document.getElementById("apology-banner").classList.toggle("hidden", !call.late_answer);
  document.getElementById("caller-number").textContent = call.caller_number;
  document.getElementById("call-queue").textContent = call.queue;
  document.getElementById("call-ended").classList.add("hidden");
  document.getElementById("ticket-id").textContent = "";
  document.getElementById("ticket-form").reset();
  document.getElementById("save-state").textContent = "";
  loadCurrent();
}

async function loadCurrent() {
  const data = await CC.api("GET", "/api/desk/current");
  if (!data.call || !current || data.call.linkedid !== current.call.linkedid) return;
  current.ticket = data.ticket;
  const t = data.ticket;
  if (t) {
    document.getElementById("ticket-id").textContent = `#${t.id}`;
    document.getElementById("calls-window").textContent = t.calls_last_window;
    const form = document.getElementById("ticket-form");
    for (const name of ["customer_name", "category", "content", "address", "resolution", "priority", "mood", "status", "dispatched_to"]) {
      form[name].value = t[name] ?? "";
    }
    document.getElementById("save-ticket").disabled = !data.editable;
  }
  document.querySelector("#history tbody").replaceChildren(...historyRows(data.history));
  const cb = data.callback;
  document.getElementById("callback-panel").classList.toggle("hidden", !cb);
  if (cb) {
    document.getElementById("cb-campaign").textContent = cb.campaign;
    document.getElementById("cb-name").textContent = cb.name;
    document.getElementById("cb-note").textContent = cb.note;
    document.getElementById("cb-outcome").replaceChildren(...cb.outcomes.map((o) => el("option", { value: o }, o)));
    document.getElementById("cb-score").replaceChildren(...[5, 4, 3, 2, 1, 0].map((s) => el("option", { value: s }, `${CC.t("score")} ${s}`)));
    document.getElementById("cb-record").onclick = async () => {
      const outcome = document.getElementById("cb-outcome").value;
      const score = outcome === "success" ? Number(document.getElementById("cb-score").value) : null;
      try {
        await CC.api("POST", `/api/attempts/${cb.attempt_id}/result`, { outcome, score });
        document.getElementById("cb-state").textContent = CC.t("saved");
      } catch (err) { document.getElementById("cb-state").textContent = err.message; }
    };
  }
}

async function saveTicket(e) {
  e.preventDefault();
  if (!current?.ticket) return;
  const form = e.target;
  const body = {};
  for (const name of ["customer_name", "category", "content", "address", "resolution", "priority", "mood", "status", "dispatched_to"]) {
    body[name] = form[name].value;
  }
  try {
    current.ticket = await CC.api("PATCH", `/api/tickets/${current.ticket.id}`, body);
    document.getElementById("save-state").textContent = `${CC.t("saved")} ${clock(CC.now())}`;
    loadMine();
  } catch (err) { document.getElementById("save-state").textContent = err.message; }
}

async function loadMine() {
  const rows = await CC.api("GET", "/api/tickets?open_only=true&limit=50");
  document.querySelector("#my-tickets tbody").replaceChildren(...historyRows(rows));
}

(async () => {
  await CC.start("desk");
  fillSelects();
  document.getElementById("ticket-form").addEventListener("submit", saveTicket);
  CC.stream({
    snapshot(s) { showMe(s.me); if (s.call && s.call.linkedid !== current?.call.linkedid) popCall(s.call); },
    me: showMe,
    call: popCall,
    call_ended(c) { if (current?.call.linkedid === c.linkedid) document.getElementById("call-ended").classList.remove("hidden"); },
    violation() { /* the "me" message that follows carries the new figures */ },
  });
  loadMine();
  setInterval(() => {
    const node = document.getElementById("my-since"); const since = parseFloat(node.dataset.since);
    node.textContent = isNaN(since) ? "" : duration(CC.now() - since);
  }, 1000);
})();
