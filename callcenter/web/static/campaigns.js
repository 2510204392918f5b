// Supervisors: callback campaigns (create, import a contact list with the rejected rows
// shown, pause, resume, follow live on the push channel, the report) and the
// do-not-call list (every change audited).  An agent gets 403 and sees why.
"use strict";
const page = { campaigns: [], selected: null };

async function words() {
  const res = await fetch(`/static/i18n/supervise.${CC.lang}.json`);
  Object.assign(CC.words, await res.json());
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = CC.t(n.dataset.i18n); });
  document.title = `${CC.t("campaigns")} · ${CC.t("app")}`;
}

function statusWord(s) { return CC.label("campaign_status", s); }

function renderCampaigns() {
  document.querySelector("#campaign-list tbody").replaceChildren(...page.campaigns.map((c) => {
    const toggle = c.status === "paused" ? "resume" : "pause";
    return el("tr", { "data-campaign": c.id, class: c.id === page.selected ? "selected" : "" },
      el("td", {}, c.id), el("td", {}, CC.campaignName(c)), el("td", { class: "status" }, statusWord(c.status)),
      el("td", { class: "num contacts" }, c.contacts), el("td", { class: "num pending" }, c.pending),
      el("td", { class: "num done" }, c.done), el("td", { class: "num failed" }, c.failed),
      el("td", {}, el("button", { class: "open", onclick: () => select(c.id) }, CC.t("c_select")), " ",
        el("button", { class: toggle, onclick: () => setStatus(c.id, toggle) }, CC.t(`c_${toggle}`))));
  }));
  const chosen = page.campaigns.find((c) => c.id === page.selected);
  if (chosen) document.getElementById("detail-name").textContent = `#${chosen.id} ${CC.campaignName(chosen)}`;
}

async function loadCampaigns() { page.campaigns = await CC.api("GET", "/api/campaigns"); renderCampaigns(); }

async function setStatus(id, action) { await CC.api("POST", `/api/campaigns/${id}/${action}`); await loadCampaigns(); }

async function loadAttempts() {
  if (!page.selected) return;
  const rows = await CC.api("GET", `/api/campaigns/${page.selected}/attempts`);
  document.querySelector("#attempts tbody").replaceChildren(...rows.map((a) => el("tr", {},
    el("td", {}, a.started_at ? a.started_at.replace("T", " ") : "–"), el("td", { class: "phone" }, a.phone),
    el("td", {}, CC.label("attempt_status", a.status)), el("td", {}, CC.label("outcome", a.outcome)))));
}

async function select(id) {
  page.selected = id;
  document.getElementById("campaign-detail").classList.remove("hidden");
  document.getElementById("report-csv").href = `/api/campaigns/${id}/report.csv`;
  document.getElementById("report-xlsx").href = `/api/campaigns/${id}/report.xlsx`;
  document.getElementById("rejected-box").classList.add("hidden");
  document.getElementById("upload-result").textContent = "";
  renderCampaigns();
  await loadAttempts();
}

async function create(e) {
  e.preventDefault();
  const f = e.target, error = document.getElementById("new-error");
  const body = { name: f.name.value, mode: f.mode.value, deadline: f.deadline.value };
  if (f.agent.value) body.agent = f.agent.value;
  try {
    const made = await CC.api("POST", "/api/campaigns", body);
    error.textContent = ""; f.reset();
    await loadCampaigns(); await select(made.id);
  } catch (err) { error.textContent = err.message; }
}

// The file goes as the request's body (no multipart): the server streams it to disk
// under the import size limit and reads it with the CLI's importer.
async function upload(e) {
  e.preventDefault();
  const file = document.getElementById("upload-file").files[0];
  const error = document.getElementById("upload-error"), result = document.getElementById("upload-result");
  if (!file || !page.selected) return;
  error.textContent = ""; result.textContent = "…";
  const res = await fetch(`/api/campaigns/${page.selected}/import?filename=${encodeURIComponent(file.name)}`, {
    method: "POST", body: file, credentials: "same-origin",
    headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": CC.me.csrf_token, "Accept": "application/json" } });
  const data = await res.json();
  if (!res.ok) { result.textContent = ""; error.textContent = typeof data.detail === "string" ? data.detail : res.statusText; return; }
  result.textContent = `${CC.t("c_imported")}${CC.colon()}${data.imported}`;
  result.className = "ok";
  document.getElementById("rejected-count").textContent = data.rejected_total;
  document.getElementById("rejected-box").classList.toggle("hidden", data.rejected_total === 0);
  document.querySelector("#rejected tbody").replaceChildren(...data.rejected.map((r) => el("tr", { "data-row": r.row },
    el("td", { class: "num" }, r.row), el("td", { "data-code": r.code }, rejection(r)))));
  await loadCampaigns();
}

// A refused row in the page's language: the reason's template with the column's word
// and the detail (the cell, the limit, the earlier row) filled in.
function rejection(r) {
  const template = CC.label("import_rejection", r.code);
  if (template === r.code) return r.reason;  // a code this page has no word for yet
  return template.replace("{column}", CC.label("contact_field", r.column)).replace("{detail}", r.detail);
}

async function loadDnc() {
  const data = await CC.api("GET", "/api/dnc?limit=500");
  document.querySelector("#dnc tbody").replaceChildren(...data.rows.map((d) => el("tr", { "data-phone": d.phone },
    el("td", { class: "phone" }, d.phone), el("td", {}, d.reason), el("td", {}, d.added_at.replace("T", " ")),
    el("td", {}, el("button", { class: "remove", onclick: () => removeDnc(d.phone) }, CC.t("dnc_remove"))))));
  document.querySelector("#dnc-audit tbody").replaceChildren(...data.audit.map((a) => el("tr", {},
    el("td", {}, a.at.replace("T", " ")), el("td", { class: "phone" }, a.phone), el("td", {}, CC.t(`dnc_act_${a.action}`)),
    el("td", {}, a.reason), el("td", {}, a.by || "–"))));
}

async function addDnc(e) {
  e.preventDefault();
  const f = e.target, error = document.getElementById("dnc-error");
  try { await CC.api("POST", "/api/dnc", { number: f.number.value, reason: f.reason.value }); f.reset(); error.textContent = ""; }
  catch (err) { error.textContent = err.message; }
  await loadDnc();
}

async function removeDnc(phone) {
  const reason = prompt(CC.t("dnc_remove_reason"));
  if (!reason) return;
  const error = document.getElementById("dnc-error");
  try { await CC.api("POST", "/api/dnc/remove", { number: phone, reason }); error.textContent = ""; }
  catch (err) { error.textContent = err.message; }
  await loadDnc();
}

(async () => {
  await CC.start("campaigns");
  await words();
  if (CC.me.role !== "supervisor") {
    const error = document.getElementById("page-error");
    error.textContent = CC.t("forbidden"); error.dataset.status = "403";
    return;
  }
  document.getElementById("page-body").classList.remove("hidden");
  document.getElementById("new-campaign").addEventListener("submit", create);
  document.getElementById("upload").addEventListener("submit", upload);
  document.getElementById("dnc-add").addEventListener("submit", addDnc);
  await Promise.all([loadCampaigns(), loadDnc()]);
  // Follow the dialer live: every attempt that moves pushes the campaigns' figures.
  CC.stream({ campaigns(rows) { page.campaigns = rows; renderCampaigns(); loadAttempts(); } });
})();
