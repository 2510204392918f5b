// Listen / whisper / barge (监听 / 耳语 / 强插) from the wallboard's agent rows: one cell
// per row, buttons while the agent is on a call.  The server picks the call and the
// channel (the tracker's, Asterisk's) and rings the supervisor's own phone.
"use strict";

const SPY_MODES = ["listen", "whisper", "barge"];
const spyDict = {};
const spyT = (key) => spyDict[key] ?? CC.t(key);

// Its own words, kept apart from the page's (which CC.start loads and replaces).
fetch(`/static/i18n/supervise.${document.documentElement.lang || "zh-CN"}.json`)
  .then((r) => r.json()).then((w) => {
    Object.assign(spyDict, w);
    document.querySelectorAll("[data-spy-i18n]").forEach((n) => { n.textContent = spyT(n.dataset.spyI18n); });
    document.querySelectorAll("[data-spy-title]").forEach((n) => { n.title = spyT(n.dataset.spyTitle); });
  });

function spyHeader() {
  const row = document.querySelector("#agents thead tr");
  if (row && !row.querySelector("th.spy")) row.append(el("th", { class: "spy", "data-spy-i18n": "spy_col" }, spyT("spy_col")));
}

async function spyStart(iface, mode, cell) {
  const note = cell.querySelector(".spy-note");
  try {
    const r = await CC.api("POST", "/api/spy", { agent: iface, mode });
    note.textContent = `${spyT("spy_ringing")} ${r.phone}`;
    note.className = "spy-note ok";
  } catch (err) {
    note.textContent = err.status === 403 ? spyT("forbidden") : err.message;
    note.className = "spy-note error";
  }
}

// The last cell of an agent's row (wallboard.js appends it).
function spyCell(a) {
  spyHeader();
  const cell = el("td", { class: "spy" });
  if (a.state === "on_call") {
    cell.append(...SPY_MODES.map((m) => el("button", {
      class: `spy-${m}`, "data-mode": m, "data-spy-i18n": `spy_${m}`, "data-spy-title": `spy_${m}_hint`,
      title: spyT(`spy_${m}_hint`), onclick: () => spyStart(a.interface, m, cell) }, spyT(`spy_${m}`))));
  }
  cell.append(el("span", { class: "spy-note" }));
  return cell;
}
