// The wallboard: snapshot on connect, then every change pushed by the daemon.
// Times in state and waits tick locally from the pushed timestamps.
"use strict";
const state = { queues: new Map(), agents: new Map(), series: [], thresholds: {}, alerts: new Map(), dayStart: 0, definitions: {} };
const ratings = new Map();  // queue -> today's rating split (满意/一般/不满意), pushed as "ratings"
const RATED = ["satisfied", "ordinary", "unsatisfied"];

// Today's ratings of the queue's calls (the caller's survey key and the desk's, both
// counted; the line below says how many came from each): a bar and the three shares.
function ratingSplit(queue) {
  const r = ratings.get(queue);
  const head = el("div", { class: "rating-head" }, el("span", {}, CC.t("rating_today")),
    el("span", { class: "muted rated" }, r?.rated ? `${r.rated} ${CC.t("rated_count")}` : CC.t("rated_none")));
  if (!r?.rated) return el("div", { class: "ratings", "data-rated": 0 }, head);
  return el("div", { class: "ratings", "data-rated": r.rated }, head,
    el("div", { class: "rating-bar" }, ...RATED.filter((k) => r[k]).map((k) => {
      const seg = el("span", { class: `seg ${k}` });
      seg.style.flexGrow = r[k];  // set from script: the page's CSP allows no style attribute
      return seg;
    })),
    el("div", { class: "rating-split" }, ...RATED.map((k) =>
      el("span", { class: `share ${k}`, "data-count": r[k], title: r[k] }, `${CC.t(`rate_${k}`)} ${pct(r[`${k}_pct`])}`))),
    el("div", { class: "muted rating-source" },
      `${CC.t("rated_by_ivr")} ${r.by_ivr} · ${CC.t("rated_by_staff")} ${r.by_staff}`));
}

// A day figure's definition (the reports' glossary, sent with the snapshot), on hover.
function defined(column) {
  const d = state.definitions[column];
  return d ? (CC.lang === "en" ? d.en : d.zh) : undefined;
}

function queueTile(q) {
  const wait = q.oldest_joined_at ? CC.now() - q.oldest_joined_at : null;
  return el("article", { class: "tile", id: `queue-${q.queue}`, "data-queue": q.queue },
    el("h3", {}, CC.label("queue", q.queue)),
    el("div", { class: `big waiting${q.waiting > (state.thresholds.level1 ?? Infinity) ? " hot" : ""}`, title: CC.t("waiting") }, q.waiting),
    el("dl", {},
      el("dt", {}, CC.t("longest_wait")), el("dd", { class: "longest", "data-since": q.oldest_joined_at ?? "" }, duration(wait)),
      el("dt", { title: defined("service_level_pct") }, CC.t("service_level")), el("dd", { class: "sl" }, pct(q.service_level_pct)),
      el("dt", { title: defined("three_ring_pct") }, CC.t("three_ring")), el("dd", { class: "three-ring" }, pct(q.three_ring_pct)),
      el("dt", { title: defined("abandon_rate_pct") }, CC.t("abandon_rate")),
      el("dd", { class: "abandon", title: `${CC.t("short_abandons")} ${q.short_abandoned ?? 0}` }, pct(q.abandon_rate_pct)),
      el("dt", { title: defined("answered") }, CC.t("answered_today")), el("dd", { class: "answered" }, q.answered),
      el("dt", {}, CC.t("agents_free")), el("dd", { class: "free" }, q.agents_available),
      el("dt", {}, CC.t("virtual_waiters")), el("dd", { class: "virtual" }, q.virtual_waiters ?? 0)),
    ratingSplit(q.queue));
}

function agentRow(a) {
  return el("tr", { id: `agent-${CSS.escape(a.interface)}`, "data-interface": a.interface },
    el("td", {}, a.name),
    el("td", {}, el("span", { class: `state ${a.state}` }, CC.label("agent_state", a.state))),
    el("td", { class: "num since", "data-since": a.since ?? "" }, a.since ? duration(CC.now() - a.since) : "–"),
    el("td", {}, a.reason || ""),
    el("td", { class: "num calls" }, a.calls),
    el("td", { class: "num violations" }, a.violations),
    el("td", { class: "num points" }, a.points),
    typeof spyCell === "function" ? spyCell(a) : null);  // spy.js: listen / whisper / barge
}

function renderQueues() {
  document.getElementById("queues").replaceChildren(
    ...[...state.queues.values()].sort((a, b) => a.queue.localeCompare(b.queue)).map(queueTile));
}

function renderAgents() {
  document.querySelector("#agents tbody").replaceChildren(
    ...[...state.agents.values()].filter((a) => a.state !== "logged_out" || a.calls)
      .sort((a, b) => a.name.localeCompare(b.name)).map(agentRow));
}

function renderSurge(surge) {
  const banner = document.getElementById("surge-banner");
  const level = surge?.level || "normal";
  banner.className = `banner grow ${level}`;
  banner.dataset.level = level;
  banner.textContent = CC.t(`surge_${level}`) + (level !== "normal" && surge.since ? ` · ${clock(surge.since)}` : "");
}

function renderChart() {
  const svg = document.getElementById("chart");
  const W = 800, H = 200, pad = 24;
  const t0 = state.dayStart, t1 = t0 + 86400;  // the center's midnight, from the server
  const th = state.thresholds;
  const top = Math.max(4, (th.level2 ?? 0) + 2, ...state.series.map((p) => p[1]));
  const x = (t) => pad + ((t - t0) / (t1 - t0)) * (W - 2 * pad);
  const y = (v) => H - pad - (v / top) * (H - 2 * pad);
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => { const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text) n.textContent = text; return n; };
  const parts = [];
  const lines = [["th1", th.level1, CC.t("level1"), th.level1_inclusive], ["th2", th.level2, CC.t("level2"), th.level2_inclusive]];
  for (const [cls, value, label, inclusive] of lines) {
    if (value === undefined) continue;
    parts.push(node("line", { class: cls, x1: pad, x2: W - pad, y1: y(value), y2: y(value), "data-threshold": value }));
    parts.push(node("text", { x: W - pad - 60, y: y(value) - 4 }, `${label} ${inclusive ? "≥" : ">"} ${value}`));
  }
  for (let h = 0; h <= 24; h += 6) parts.push(node("text", { x: x(t0 + h * 3600) - 8, y: H - 6 }, `${h}:00`));
  if (state.series.length) {
    const points = state.series.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(node("polyline", { class: "line", points, "data-points": state.series.length }));
  }
  svg.replaceChildren(...parts);
}

function alertItem(a, history) {
  const ack = a.acknowledged_at
    ? el("span", { class: "muted acked" }, `${CC.t("acknowledged")} ${a.acknowledged_by || ""}`)
    : el("button", { class: "ack", onclick: () => acknowledge(a.id) }, CC.t("acknowledge"));
  return el("li", { id: history ? undefined : `alert-${a.id}`, "data-kind": a.kind },
    el("span", { class: `lvl ${a.level}` }), el("span", { class: "msg" }, a.message),
    el("span", { class: "when" }, clock(a.raised_at)),
    history && a.cleared_at ? el("span", { class: "muted" }, `${CC.t("cleared")} ${clock(a.cleared_at)}`) : null,
    history ? null : ack);
}

function renderAlerts() {
  const open = [...state.alerts.values()].filter((a) => !a.cleared_at).sort((a, b) => b.raised_at - a.raised_at);
  const list = document.getElementById("alerts");
  list.replaceChildren(...(open.length ? open.map((a) => alertItem(a, false)) : [el("li", { class: "muted" }, CC.t("no_alerts"))]));
}

async function acknowledge(id) {
  const res = await CC.api("POST", `/api/alerts/${id}/acknowledge`);
  const a = state.alerts.get(id);
  if (a) { a.acknowledged_at = res.acknowledged_at; a.acknowledged_by = res.acknowledged_by; renderAlerts(); }
}

async function showHistory() {
  const list = document.getElementById("alert-history");
  list.classList.toggle("hidden");
  if (!list.classList.contains("hidden")) {
    const rows = await CC.api("GET", "/api/alerts?limit=100");
    list.replaceChildren(...rows.map((a) => alertItem(a, true)));
  }
}

function tick() {
  document.querySelectorAll("[data-since]").forEach((node) => {
    const since = parseFloat(node.dataset.since);
    node.textContent = isNaN(since) ? "–" : duration(CC.now() - since);
  });
}

(async () => {
  await CC.start("wallboard");
  document.getElementById("tv").addEventListener("click", async () => {
    document.body.classList.add("tv");
    try { await document.documentElement.requestFullscreen(); } catch { /* a TV browser may refuse: TV layout still applies */ }
  });
  document.addEventListener("fullscreenchange", () => { if (!document.fullscreenElement) document.body.classList.remove("tv"); });
  if (new URLSearchParams(location.search).has("tv")) document.body.classList.add("tv");
  document.getElementById("show-history").addEventListener("click", showHistory);
  CC.stream({
    snapshot(s) {
      state.queues = new Map(s.queues.map((q) => [q.queue, q]));
      state.agents = new Map(s.agents.map((a) => [a.interface, a]));
      state.series = s.series; state.thresholds = s.thresholds; state.dayStart = s.day_start;
      state.definitions = s.definitions || {};
      state.alerts = new Map((s.alerts || []).map((a) => [a.id, a]));
      ratings.clear(); (s.ratings || []).forEach((r) => ratings.set(r.queue, r));
      renderQueues(); renderAgents(); renderChart(); renderSurge(s.surge); renderAlerts();
    },
    queue(q) { state.queues.set(q.queue, q); renderQueues(); },
    ratings(r) { ratings.set(r.queue, r); renderQueues(); },
    agent(a) { state.agents.set(a.interface, a); renderAgents(); },
    point(p) {
      const last = state.series[state.series.length - 1];
      if (last && last[0] === p.at) last[1] = p.waiting; else state.series.push([p.at, p.waiting]);
      renderChart();
    },
    surge: renderSurge,
    alert(t) {
      const a = state.alerts.get(t.alert_id) || { id: t.alert_id, kind: t.kind, level: t.level, message: t.message, raised_at: t.at };
      if (t.change === "cleared") a.cleared_at = t.at;
      if (t.change === "acknowledged") { a.acknowledged_at = t.at; a.acknowledged_by = a.acknowledged_by || ""; }
      state.alerts.set(t.alert_id, a); renderAlerts();
    },
  });
  setInterval(tick, 1000);
})();
