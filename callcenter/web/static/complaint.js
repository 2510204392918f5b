// A complaint's (投诉) or praise's (表扬) part of the ticket page: whom it is about
// (被投诉人 / 责任归属), its kind, the reply time promised to the caller, and for
// supervisors the verdict (属实 / 无理投诉 with a reason).  Saved through
// PATCH /api/tickets/{id}; a refusal (409: the subject fixed after a verdict, an
// unfounded verdict without a reason) is shown as the server words it.
"use strict";
const COMPLAINT = { choices: null };

// The center's wall clock <-> epoch seconds: the browser may be set to another zone.
function zoneOffsetMin(epochMs, tz) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return Math.round((wall - epochMs) / 60000);
}

function fromCenterTime(value, tz) {  // "2026-11-19T17:00" on the center's clock
  const [day, time] = value.split("T");
  const [y, mo, d] = day.split("-").map(Number), [h, mi] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const first = wall - zoneOffsetMin(wall, tz) * 60000;
  return (wall - zoneOffsetMin(first, tz) * 60000) / 1000;
}

function toCenterTime(epoch, tz) {
  if (!epoch) return "";
  return new Date(epoch * 1000 + zoneOffsetMin(epoch * 1000, tz) * 60000).toISOString().slice(0, 16);
}

function options(id, values, text) {
  document.getElementById(id).replaceChildren(...values.map((v) => el("option", { value: v }, text(v))));
}

// The fields of the ticket `t` this form edits, as the form holds them now.
function complaintValues(t) {
  const value = (id) => document.getElementById(id).value.trim();
  const reply = value("c-reply");
  return {
    complaint_kind: value("c-kind"), praise_kind: value("c-praise"), department: value("c-department"),
    about_agent: value("c-about-agent"), about_name: value("c-about-name"),
    reply_promised_at: reply ? fromCenterTime(reply, CC.me.timezone) : t.reply_promised_at,
    verdict: value("c-verdict") || t.verdict || "", verdict_reason: value("c-verdict-reason"),
  };
}

async function complaintForm(t, reload) {
  const form = document.getElementById("detail-complaint");
  const supervisor = CC.me.role === "supervisor";
  const editable = supervisor || t.owner_interface === CC.me.member_interface;
  const complaint = t.category === "投诉";
  const shown = editable && (complaint || t.category === "表扬");
  // The choices first: the form shows only once its fields hold the ticket's values.
  if (shown) COMPLAINT.choices ??= await CC.api("GET", "/api/complaints/choices");
  form.classList.toggle("hidden", !shown);
  if (!shown) return;
  const choices = COMPLAINT.choices;
  form.querySelectorAll(".only-complaint").forEach((n) => n.classList.toggle("hidden", !complaint));
  form.querySelectorAll(".only-praise").forEach((n) => n.classList.toggle("hidden", complaint));
  form.querySelectorAll(".only-supervisor").forEach((n) => n.classList.toggle("hidden", !supervisor));
  options("c-kind", ["", ...choices.kinds], (k) => k || "–");
  options("c-praise", ["", ...choices.praise_kinds], (k) => (k ? CC.t(`praise_${k}`) : "–"));
  options("c-verdict", ["", ...choices.verdicts], (v) => (v ? CC.t(`verdict_${v}`) : CC.t("verdict_pending")));
  const set = (id, v) => { document.getElementById(id).value = v ?? ""; };
  set("c-kind", t.complaint_kind); set("c-praise", t.praise_kind); set("c-department", t.department);
  set("c-about-agent", t.about_agent); set("c-about-name", t.about_name);
  set("c-reply", toCenterTime(t.reply_promised_at, CC.me.timezone));
  set("c-verdict", t.verdict); set("c-verdict-reason", t.verdict_reason);
  // Once there is a verdict the subject is fixed; "unfounded" is final.
  for (const id of ["c-about-agent", "c-about-name"]) document.getElementById(id).disabled = !!t.verdict;
  document.getElementById("c-verdict").disabled = t.verdict === "unfounded";
  document.getElementById("c-saved").textContent = "";
  form.onsubmit = async (e) => {
    e.preventDefault();
    const now = complaintValues(t), body = {};
    for (const [k, v] of Object.entries(now)) {
      if (v !== (t[k] ?? "") && v !== t[k]) body[k] = v;
    }
    const error = document.getElementById("detail-error");
    if (!Object.keys(body).length) return;
    try {
      await CC.api("PATCH", `/api/tickets/${t.id}`, body);
      error.textContent = ""; error.dataset.status = "";
      await reload();
      document.getElementById("c-saved").textContent = CC.t("saved");
    } catch (err) {
      error.textContent = `${err.message}${CC.paren(err.id || err.status)}`;
      error.dataset.status = err.status;
    }
  };
}

async function agentChoices() {  // supervisors: every known agent (the quarter's ledger lists them)
  if (CC.me.role !== "supervisor") return;
  try {
    const agents = await CC.api("GET", "/api/ledger");
    document.getElementById("c-agents").replaceChildren(
      ...agents.map((a) => el("option", { value: a.interface }, a.name)));
  } catch { /* a convenience: typing the interface works without it */ }
}
