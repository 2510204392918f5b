// The wallboard: snapshot on connect, then every change pushed by the daemon.
// Times in state and waits tick locally from the pushed timestamps; while Asterisk is
// out of sight (its AMI link down, or this page's stream) they stop at that moment,
// the figures are greyed and say "as of" when.
"use strict";
const state = { queues: new Map(), agents: new Map(), series: [], thresholds: {}, alerts: new Map(), dayStart: 0,
                bands: {}, names: {}, chartHours: 8, sound: true, definitions: {} };
const ratings = new Map();  // queue -> today's rating split (满意/一般/不满意), pushed as "ratings"
const RATED = ["satisfied", "ordinary", "unsatisfied"];

// Now, or the moment Asterisk went out of sight: durations never count on blind.
function boardNow() { return sight().blind ?? CC.now(); }
function sight() { return Rules.sight([...CC.health.values()], CC.streamUp, CC.lostAt); }

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

// A labelled figure coloured by its band; `title` (a definition) shows on hover.
function figure(cls, label, value, band, attrs = {}, title = undefined) {
  return el("div", { class: `fig ${cls} ${band}`, "data-band": band || undefined, title },
    el("span", { class: "label" }, label), el("span", { class: "value", ...attrs }, value));
}

function queueTile(q) {
  const wait = q.oldest_joined_at ? boardNow() - q.oldest_joined_at : null;
  const b = state.bands;
  const bands = { waiting: Rules.band(q.waiting, b.waiting), longest: Rules.band(wait ?? 0, b.longest_wait_s),
                  sl: Rules.band(q.service_level_pct, b.service_level_pct), ring: Rules.band(q.three_ring_pct, b.three_ring_pct),
                  abandon: Rules.band(q.abandon_rate_pct, b.abandon_rate_pct) };
  const unit = (key, u) => `${CC.t(key)}${CC.paren(CC.t(u))}`;
  const shortAbandons = `${defined("abandon_rate_pct") ?? ""}\n${CC.t("short_abandons")} ${q.short_abandoned ?? 0}`.trim();
  return el("article", { class: `tile ${Rules.worst(Object.values(bands))}`, id: `queue-${q.queue}`, "data-queue": q.queue },
    el("h3", { title: q.queue }, Rules.queueName(q.queue, state.names)),
    el("div", { class: "tile-body" },
      el("div", { class: `waiting-box ${bands.waiting}`, "data-band": bands.waiting },
        el("div", { class: "big waiting" }, q.waiting),
        el("div", { class: "label" }, unit("waiting", "unit_people"))),
      el("div", { class: "figs" },
        figure("longest", unit("longest_wait", "unit_mmss"), duration(wait), bands.longest,
               { "data-since": q.oldest_joined_at ?? "", "data-band-of": "longest_wait_s" }),
        figure("sl", `${CC.t("service_level")}${CC.paren("%")}`, num(q.service_level_pct), bands.sl, {}, defined("service_level_pct")),
        figure("three-ring", `${CC.t("three_ring")}${CC.paren("%")}`, num(q.three_ring_pct), bands.ring, {}, defined("three_ring_pct")),
        figure("abandon", `${CC.t("abandon_rate")}${CC.paren("%")}`, num(q.abandon_rate_pct), bands.abandon, {}, shortAbandons),
        figure("answered", unit("answered_today", "unit_calls"), q.answered, "", {}, defined("answered")),
        figure("free", unit("agents_free", "unit_agents"), q.agents_available, ""),
        figure("virtual", unit("virtual_waiting", "unit_people"), q.virtual_waiters ?? 0, ""))),
    ratingSplit(q.queue));
}

function num(value) { return value === null || value === undefined ? "–" : String(value); }

// Today's paused time by reason ("午休 12:30 · 培训 45:00"), the pause in progress included.
function pausedText(a, now) {
  const byReason = Rules.pausedToday(a, now, state.dayStart);
  return Object.entries(byReason).filter(([, s]) => s >= 1)
    .map(([reason, s]) => `${reason || CC.t("pause_no_reason")} ${duration(s)}`).join(" · ");
}

function agentRow(a) {
  const now = boardNow();
  const stateText = CC.t(`state_${a.state}`) + (a.state === "paused" && a.reason ? ` · ${a.reason}` : "");
  return el("tr", { id: `agent-${CSS.escape(a.interface)}`, "data-interface": a.interface, "data-state": a.state },
    el("td", { class: "name" }, a.name),
    el("td", { class: "st" }, el("span", { class: `state ${a.state}` }, stateText)),
    el("td", { class: "num since", "data-since": a.since ?? "" }, a.since ? duration(now - a.since) : "–"),
    el("td", { class: "agent-queues" }, (a.queues || []).map((q) => Rules.queueName(q, state.names)).join("、") || "–"),
    el("td", { class: "paused-today", "data-agent": a.interface }, pausedText(a, now) || "–"),
    el("td", { class: "num calls", "data-label": CC.t("calls_today") }, a.calls),
    el("td", { class: "num violations", "data-label": CC.t("violations_today") }, a.violations),
    el("td", { class: "num points", "data-label": CC.t("points") }, a.points),
    typeof spyCell === "function" ? spyCell(a) : null);  // spy.js: listen / whisper / barge
}

function renderQueues() {
  document.getElementById("queues").replaceChildren(
    ...[...state.queues.values()].sort((a, b) => Rules.compareQueues(a.queue, b.queue, state.names)).map(queueTile));
}

function renderAgents() {
  document.querySelector("#agents tbody").replaceChildren(
    ...[...state.agents.values()].filter((a) => a.state !== "logged_out" || a.calls)
      .sort(Rules.compareAgents).map(agentRow));
}

function renderSurge(surge) {
  const banner = document.getElementById("surge-banner");
  const level = surge?.level || "normal";
  banner.className = `banner grow ${level}`;
  banner.dataset.level = level;
  banner.textContent = CC.t(`surge_${level}`) + (level !== "normal" && surge.since ? ` · ${clock(surge.since)}` : "");
}

function chart() { renderChart(state.series, state.thresholds, state.chartHours, CC.now()); }

const flashUntil = new Map();  // alert id -> until when it flashes (ms)
function flash(id) {
  flashUntil.set(id, Date.now() + 10_000);
  renderAlerts();
  setTimeout(renderAlerts, 10_050);
}

function alertItem(a, history) {
  const ack = a.acknowledged_at
    ? el("span", { class: "muted acked" }, `${CC.t("acknowledged")} ${a.acknowledged_by || ""}`)
    : el("button", { class: "ack", onclick: () => acknowledge(a.id) }, CC.t("acknowledge"));
  const flashing = !history && (flashUntil.get(a.id) ?? 0) > Date.now();
  return el("li", { id: history ? undefined : `alert-${a.id}`, "data-kind": a.kind, class: flashing ? "flash" : undefined },
    el("span", { class: `lvl ${a.level}` }), el("span", { class: "msg" }, CC.alertText(a)),
    el("span", { class: "when" }, clock(a.raised_at)),
    history && a.cleared_at ? el("span", { class: "muted" }, `${CC.t("cleared")} ${clock(a.cleared_at)}`) : null,
    history ? null : ack);
}

function renderAlerts() {
  const open = [...state.alerts.values()].filter((a) => !a.cleared_at).sort((a, b) => b.raised_at - a.raised_at);
  const list = document.getElementById("alerts");
  document.body.classList.toggle("alerting", open.some((a) => (flashUntil.get(a.id) ?? 0) > Date.now()));
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

// Blind or not: the banner, the greyed figures, "as of"; back in sight, a fresh snapshot.
let wasBlind = false;
function renderBlind() {
  const { blind: since, down } = sight();
  const blind = since !== null;
  const partial = !blind && down.length > 0;  // one of several Asterisk servers unseen
  document.body.classList.toggle("blind", blind);
  const banner = document.getElementById("blind-banner"), asOf = document.getElementById("as-of");
  banner.classList.toggle("hidden", !blind && !partial); banner.classList.toggle("partial", partial);
  asOf.classList.toggle("hidden", !blind);
  const links = down.map((h) => `${CC.partName(h)}${CC.colon()}${CC.detail(h)}`).join(" · ");
  if (blind) {
    banner.textContent = `${CC.t("blind")} — ${CC.streamUp ? links : CC.t("stream_lost")}`;
    asOf.textContent = `${CC.t("as_of")} ${clock(since).split(" ").pop()}`;
    document.body.dataset.asOf = since;
  } else delete document.body.dataset.asOf;
  if (partial) banner.textContent = `${CC.t("blind_partial")} — ${links}`;
  if (wasBlind && !blind && CC.streamUp) resync();
  if (blind !== wasBlind) { wasBlind = blind; renderQueues(); renderAgents(); }
}

// Asterisk is back: its state was re-read by the daemon (QueueStatus); take it all again.
async function resync() {
  await new Promise((r) => setTimeout(r, 1500));
  if (sight().blind === null) applySnapshot(await CC.api("GET", "/api/wallboard"));
}

// A new alert flashes, and beeps where the browser lets a page make sound (after a
// click on it, or in a kiosk browser allowed to): WebAudio, no sound file.
let audio = null;
function unlockSound() {
  if (!state.sound) return;
  audio ??= new (window.AudioContext || window.webkitAudioContext)();
  audio.resume?.();
}
function beep() {
  if (!state.sound || !audio || audio.state !== "running") return;
  for (const [at, hz] of [[0, 880], [0.25, 660]]) {
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = hz; gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.18);
  }
  document.body.dataset.beeps = Number(document.body.dataset.beeps || 0) + 1;
}

function tick() {
  const now = boardNow();
  document.querySelectorAll("[data-since]").forEach((node) => {
    const since = parseFloat(node.dataset.since);
    node.textContent = isNaN(since) ? "–" : duration(now - since);
    const fig = node.dataset.bandOf && node.closest(".fig");
    if (fig) {
      const band = Rules.band(isNaN(since) ? 0 : now - since, state.bands[node.dataset.bandOf]);
      if (fig.dataset.band !== band) renderQueues();
    }
  });
  document.querySelectorAll("tr[data-state='paused'] .paused-today").forEach((node) => {
    const a = state.agents.get(node.dataset.agent);
    if (a) node.textContent = pausedText(a, now) || "–";
  });
}

function applySnapshot(s) {
  state.queues = new Map(s.queues.map((q) => [q.queue, q]));
  state.agents = new Map(s.agents.map((a) => [a.interface, a]));
  state.series = s.series; state.thresholds = s.thresholds; state.dayStart = s.day_start;
  state.bands = s.bands || {}; state.names = s.queue_names || {}; state.chartHours = s.chart_hours || 8;
  state.sound = s.alert_sound !== false;
  state.definitions = s.definitions || {};
  if (s.alerts) state.alerts = new Map(s.alerts.map((a) => [a.id, a]));
  ratings.clear(); (s.ratings || []).forEach((r) => ratings.set(r.queue, r));
  renderQueues(); renderAgents(); chart(); renderSurge(s.surge); renderAlerts();
}

(async () => {
  await CC.start("wallboard");
  document.getElementById("tv").addEventListener("click", async () => {
    document.body.classList.add("tv");
    try { await document.documentElement.requestFullscreen(); } catch { /* a TV browser may refuse: TV layout still applies */ }
  });
  document.addEventListener("fullscreenchange", () => { if (!document.fullscreenElement) document.body.classList.remove("tv"); });
  if (new URLSearchParams(location.search).has("tv")) document.body.classList.add("tv");
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, unlockSound);
  document.getElementById("show-history").addEventListener("click", showHistory);
  CC.stream({
    snapshot: applySnapshot,
    health: renderBlind,
    link: renderBlind,
    queue(q) { state.queues.set(q.queue, q); renderQueues(); },
    ratings(r) { ratings.set(r.queue, r); renderQueues(); },
    agent(a) { state.agents.set(a.interface, a); renderAgents(); },
    point(p) {
      const last = state.series[state.series.length - 1];
      if (last && last[0] === p.at) last[1] = p.waiting; else state.series.push([p.at, p.waiting]);
      chart();
    },
    surge: renderSurge,
    alert(t) {
      const fresh = !state.alerts.has(t.alert_id) && t.change === "raised";
      const a = state.alerts.get(t.alert_id) || { id: t.alert_id, kind: t.kind, level: t.level, message: t.message, message_en: t.message_en, raised_at: t.at };
      if (t.change === "cleared") a.cleared_at = t.at;
      if (t.change === "acknowledged") { a.acknowledged_at = t.at; a.acknowledged_by = a.acknowledged_by || ""; }
      state.alerts.set(t.alert_id, a); renderAlerts();
      if (fresh) { flash(t.alert_id); beep(); }
    },
  });
  setInterval(tick, 1000);
  window.addEventListener("resize", chart);
})();
