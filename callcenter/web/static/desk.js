// The agent desk: the ticket pops up by itself when a call connects to this agent
// (pushed to this agent only), with the caller's history and the apology banner.
// Every call and every ticket opened from "my open tickets" has its own tab: a new
// call never replaces what was typed into another ticket (drafts.js keeps it).
"use strict";
const CHOICES = {
  category: ["", "咨询", "投诉", "建议", "表扬", "求助"],
  priority: ["low", "normal", "high", "urgent"],
  mood: ["", "calm", "anxious", "angry", "satisfied"],
  status: ["open", "dispatched", "accepted", "resolved", "closed"],
};
const PREFIX = { category: "cat_", priority: "pri_", mood: "mood_", status: "st_" };
const FIELDS = ["customer_name", "category", "content", "address", "resolution", "priority", "mood", "status", "dispatched_to"];
const DONE = ["resolved", "closed"];
const tabs = new Map(); // key (a call's linkedid, or "t<id>") -> tab
let active = null;      // the key of the tab shown

const $ = (id) => document.getElementById(id);
const form = () => $("ticket-form");

function fillSelects() {
  for (const [name, values] of Object.entries(CHOICES)) {
    form()[name].replaceChildren(...values.map((v) => el("option", { value: v }, v ? CC.t(PREFIX[name] + v) : "–")));
  }
}

function formValues() { return Object.fromEntries(FIELDS.map((n) => [n, form()[n].value])); }
function fillForm(values) { for (const n of FIELDS) form()[n].value = values?.[n] ?? (n === "priority" ? "normal" : n === "status" ? "open" : ""); }
function ticketValues(t) { return Object.fromEntries(FIELDS.map((n) => [n, t[n] ?? ""])); }

function showMe(me) {
  if (!me) return;
  const badge = $("my-state");
  badge.className = `state ${me.state}`; badge.textContent = CC.t(`state_${me.state}`);
  badge.dataset.state = me.state;
  $("my-since").dataset.since = me.since ?? "";
  $("my-reason").textContent = me.reason || "";
  $("my-calls").textContent = me.calls;
  $("my-violations").textContent = me.violations;
  $("my-points").textContent = me.points;
}

function historyRows(rows, openable) {
  if (!rows.length) return [el("tr", {}, el("td", { class: "muted" }, CC.t("none")))];
  return rows.map((t) => el("tr", { "data-ticket": t.id },
    el("td", {}, `#${t.id}`), el("td", {}, clock(t.opened_at)), el("td", {}, t.owner_name),
    el("td", {}, t.category ? CC.t("cat_" + t.category) : "–"), el("td", {}, CC.t("st_" + t.status)),
    el("td", {}, t.content.slice(0, 80)),
    openable ? el("td", {}, el("button", { type: "button", class: "open-ticket", onclick: () => openTicket(t.id, true) }, CC.t("open_ticket"))) : null));
}

function renderTabs() {
  const bar = $("ticket-tabs");
  bar.classList.toggle("hidden", tabs.size === 0);
  bar.replaceChildren(...[...tabs.values()].map((t) => el("div", {
    class: `tab${t.key === active ? " active" : ""}${t.dirty ? " dirty" : ""}${t.call && !t.ended ? " live" : ""}`,
    "data-key": t.key, "data-ticket": t.ticketId ?? "" },
  el("button", { type: "button", class: "tab-open", role: "tab", "aria-selected": t.key === active ? "true" : "false",
    onclick: () => select(t.key) },
  t.ticketId ? `#${t.ticketId}` : CC.t("new_call_tab"), " ",
  el("span", { class: "phone" }, t.call?.caller_number ?? t.ticket?.caller_phone ?? ""),
  t.dirty ? el("span", { class: "dot", title: CC.t("unsaved") }, "●") : null),
  el("button", { type: "button", class: "tab-close", title: CC.t("close_tab"), "aria-label": CC.t("close_tab"),
    onclick: () => closeTab(t.key) }, "×"))));
}

function show(tab) {
  $("no-call").classList.toggle("hidden", Boolean(tab));
  $("ticket-panel").classList.toggle("hidden", !tab);
  if (!tab) return;
  $("ticket-panel").dataset.linkedid = tab.call?.linkedid ?? tab.ticket?.linkedid ?? "";
  $("ticket-panel").dataset.ticket = tab.ticketId ?? "";
  $("apology-banner").classList.toggle("hidden", !(tab.call?.late_answer ?? tab.ticket?.late_answer));
  $("caller-number").textContent = tab.call?.caller_number ?? tab.ticket?.caller_phone ?? "";
  $("call-queue").textContent = CC.label("queue", tab.call?.queue ?? tab.ticket?.queue ?? "");
  $("call-ended").classList.toggle("hidden", !tab.ended);
  $("ticket-id").textContent = tab.ticketId ? `#${tab.ticketId}` : "";
  $("calls-window").textContent = tab.ticket?.calls_last_window ?? "";
  $("draft-restored").classList.toggle("hidden", !tab.restored);
  fillForm(tab.values);
  $("save-ticket").disabled = !tab.editable;
  $("finish-ticket").disabled = !tab.editable;
  $("save-state").textContent = tab.saveState ?? "";
  $("draft-state").textContent = tab.draftState ?? "";
  $("history").querySelector("tbody").replaceChildren(...historyRows(tab.history ?? [], false));
  showCallback(tab.callback);
}

function showCallback(cb) {
  $("callback-panel").classList.toggle("hidden", !cb);
  if (!cb) return;
  $("cb-campaign").textContent = cb.campaign;
  $("cb-name").textContent = cb.name;
  $("cb-note").textContent = cb.note;
  $("cb-outcome").replaceChildren(...cb.outcomes.map((o) => el("option", { value: o }, CC.label("outcome", o))));
  $("cb-score").replaceChildren(...[5, 4, 3, 2, 1, 0].map((s) => el("option", { value: s }, `${CC.t("score")} ${s}`)));
  $("cb-record").onclick = async () => {
    const outcome = $("cb-outcome").value;
    const score = outcome === "success" ? Number($("cb-score").value) : null;
    try {
      await CC.api("POST", `/api/attempts/${cb.attempt_id}/result`, { outcome, score });
      $("cb-state").textContent = CC.t("saved");
    } catch (err) { $("cb-state").textContent = err.message; }
  };
}

// Leaving a tab: what is in the form stays with it, and its draft goes out now.
function stash() {
  const tab = tabs.get(active);
  if (!tab) return;
  tab.values = formValues();
  if (tab.dirty && tab.ticketId) Drafts.flush(tab.ticketId, tab.values, draftSaved(tab));
}

function select(key) {
  if (active && active !== key) stash();
  active = key;
  renderTabs();
  show(tabs.get(key));
}

function closeTab(key) {
  const tab = tabs.get(key);
  if (!tab) return;
  if (key === active) tab.values = formValues();
  if (tab.dirty) { if (key !== active) select(key); $("save-state").textContent = CC.t("keep_unsaved"); return; }
  tabs.delete(key);
  if (active === key) { active = null; const next = [...tabs.keys()].pop(); if (next) select(next); else { renderTabs(); show(null); } }
  else renderTabs();
}

function draftSaved(tab) {
  return (saved, err) => {
    tab.draftState = err ? `${CC.t("draft_local")}${CC.paren(err.message)}` : `${CC.t("draft_saved")} ${clock(saved.saved_at)}`;
    if (tab.key === active) $("draft-state").textContent = tab.draftState;
  };
}

function onInput(e) {
  const tab = tabs.get(active);
  if (!tab || !e.target.name) return;
  tab.touched.add(e.target.name);
  tab.values = formValues();
  if (!tab.dirty) { tab.dirty = true; renderTabs(); }
  if (tab.ticketId) {
    Drafts.keep(tab.ticketId, tab.values, draftSaved(tab));
    tab.draftState = CC.t("draft_local");
    $("draft-state").textContent = tab.draftState;
  }
}

// A ticket arrives for a tab: its stored values, then a newer draft over them, then
// whatever was typed before the ticket was there.
async function attachTicket(tab, ticket, editable) {
  tab.ticket = ticket; tab.ticketId = ticket.id; tab.editable = editable;
  const draft = await Drafts.best(ticket.id);
  const typed = tab.key === active ? formValues() : tab.values ?? {};
  const mine = Object.fromEntries([...tab.touched].map((n) => [n, typed[n]]));
  const base = ticketValues(ticket);
  const values = { ...base, ...(draft?.fields ?? {}), ...mine };
  tab.restored = Boolean(draft) && FIELDS.some((n) => (draft.fields[n] ?? base[n]) !== base[n]);
  tab.dirty = tab.restored || Object.keys(mine).length > 0;
  tab.values = values;
  if (tab.dirty) Drafts.keep(ticket.id, values, draftSaved(tab));
  for (const other of tabs.values()) {  // the same ticket opened twice: one tab
    if (other !== tab && other.ticketId === ticket.id && !other.call) {
      tabs.delete(other.key);
      if (active === other.key) active = tab.key;
    }
  }
  renderTabs();
  if (tab.key === active) show(tab);
}

function newTab(key, call) {
  const tab = { key, call, ticket: null, ticketId: null, editable: false, dirty: false, touched: new Set(),
                values: null, history: [], callback: null, ended: false, restored: false };
  tabs.set(key, tab);
  return tab;
}

function popCall(call) {
  const tab = tabs.get(call.linkedid) ?? newTab(call.linkedid, call);
  tab.call = call; tab.ended = false;
  select(tab.key);
  loadCurrent(tab);
}

async function loadCurrent(tab) {
  const data = await CC.api("GET", "/api/desk/current");
  if (!data.call || data.call.linkedid !== tab.key) return;
  tab.history = data.history; tab.callback = data.callback;
  if (data.ticket) await attachTicket(tab, data.ticket, data.editable);
  else if (tab.key === active) show(tab);
}

async function openTicket(id, focus) {
  const existing = [...tabs.values()].find((t) => t.ticketId === id);
  if (existing) { if (focus) select(existing.key); return; }
  const ticket = await CC.api("GET", `/api/tickets/${id}`);
  const tab = newTab(`t${id}`, null);
  const editable = CC.me.role === "supervisor" || ticket.owner_interface === CC.me.member_interface;
  if (focus || !active) select(tab.key);
  await attachTicket(tab, ticket, editable);
}

async function saveTicket(e, finish) {
  e?.preventDefault();
  const tab = tabs.get(active);
  if (!tab?.ticketId) return;
  const body = formValues();
  if (finish && !DONE.includes(body.status)) body.status = "resolved";
  try {
    const saved = await CC.api("PATCH", `/api/tickets/${tab.ticketId}`, body);
    tab.ticket = saved; tab.values = ticketValues(saved); tab.dirty = false; tab.touched.clear(); tab.restored = false;
    await Drafts.drop(tab.ticketId);
    tab.saveState = `${CC.t(finish ? "finished" : "saved")} ${clock(CC.now())}`;
    tab.draftState = "";
    renderTabs();
    if (tab.key === active) show(tab);
    loadMine();
  } catch (err) { $("save-state").textContent = err.message; }
}

async function loadMine() {
  const rows = await CC.api("GET", "/api/tickets?open_only=true&limit=50");
  document.querySelector("#my-tickets tbody").replaceChildren(...historyRows(rows, true));
}

// After a reload: every ticket with a draft (here or on the server) gets its tab back.
async function restoreDrafts() {
  const server = await CC.api("GET", "/api/desk/drafts").catch(() => []);
  const ids = new Set([...server.map((d) => d.ticket_id), ...Drafts.localIds()]);
  for (const id of ids) await openTicket(id, false).catch(() => {});
}

(async () => {
  await CC.start("desk");
  fillSelects();
  DeskState.wire();
  form().addEventListener("submit", (e) => saveTicket(e, false));
  form().addEventListener("input", onInput);
  form().addEventListener("change", onInput);
  $("finish-ticket").addEventListener("click", () => saveTicket(null, true));
  document.addEventListener("visibilitychange", () => { if (document.hidden) stash(); });
  CC.stream({
    snapshot(s) {
      showMe(s.me);
      DeskState.load();
      if (s.call && !tabs.has(s.call.linkedid)) popCall(s.call);
    },
    me(m) { showMe(m); DeskState.confirmed(); },
    my_queues(list) { DeskState.show(list); DeskState.confirmed(); },
    call: popCall,
    call_ended(c) {
      const tab = tabs.get(c.linkedid);
      if (!tab) return;
      tab.ended = true;
      renderTabs();
      if (tab.key === active) $("call-ended").classList.remove("hidden");
    },
    violation() { /* the "me" message that follows carries the new figures */ },
  });
  loadMine();
  restoreDrafts();
  setInterval(() => {
    const node = $("my-since"); const since = parseFloat(node.dataset.since);
    node.textContent = isNaN(since) ? "" : duration(CC.now() - since);
  }, 1000);
})();
