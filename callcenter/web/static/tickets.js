// Ticket search (supervisors: all tickets; agents: their own) and one ticket's detail.
"use strict";
const STATUS = ["", "open", "dispatched", "accepted", "resolved", "closed"];
const CATEGORY = ["", "咨询", "投诉", "建议", "表扬", "求助"];

async function search(e) {
  e?.preventDefault();
  const form = document.getElementById("filters");
  const params = new URLSearchParams();
  for (const name of ["status", "category", "phone", "q"]) if (form[name].value) params.set(name, form[name].value);
  if (form.open_only.checked) params.set("open_only", "true");
  if (form.review_pending.checked) params.set("review_pending", "true");
  const rows = await CC.api("GET", `/api/tickets?${params}`);
  document.querySelector("#ticket-list tbody").replaceChildren(...rows.map((t) => el("tr", { "data-ticket": t.id },
    el("td", {}, el("a", { href: `/tickets?id=${t.id}` }, `#${t.id}`)), el("td", {}, clock(t.opened_at)),
    el("td", {}, t.owner_name), el("td", { class: "phone" }, t.caller_phone),
    el("td", {}, t.category ? CC.t("cat_" + t.category) : "–"), el("td", {}, CC.t("st_" + t.status)),
    el("td", {}, t.content.slice(0, 60)), el("td", { class: "muted" }, recordingState(t)))));
}

// The call's recording: played through the ticket's own route (HTTP Range: seekable).
function recordingState(t) {
  if (t.recording_url) return CC.t("recording");
  return t.recording_deleted_at ? CC.t("recording_deleted") : "–";
}

function player(t) {
  const box = document.getElementById("detail-recording");
  const label = el("span", { class: "muted" }, CC.t("recording"));
  if (t.recording_url) {
    box.replaceChildren(label, el("audio", { id: "recording-audio", controls: true, preload: "metadata", src: t.recording_url }));
  } else if (t.recording_deleted_at) {
    box.replaceChildren(label, el("b", { id: "recording-deleted" }, `${CC.t("recording_deleted")} · ${clock(t.recording_deleted_at)}`));
  } else {
    box.replaceChildren(label, el("b", {}, CC.t("recording_none")));
  }
}

async function detail(id) {
  const box = document.getElementById("ticket-detail");
  box.classList.remove("hidden");
  document.getElementById("detail-id").textContent = `#${id}`;
  const error = document.getElementById("detail-error");
  try {
    const t = await CC.api("GET", `/api/tickets/${id}`);
    error.textContent = "";
    const fields = [["owner", t.owner_name], ["phone", t.caller_phone], ["customer_name", t.customer_name],
      ["opened", clock(t.opened_at)], ["category", t.category ? CC.t("cat_" + t.category) : "–"],
      ["status", CC.t("st_" + t.status)], ["content", t.content], ["address", t.address], ["resolution", t.resolution],
      ["callback_due", clock(t.callback_due_at)], ["review_due", clock(t.review_due_at)],
      ["rating", t.rating ? CC.t("rate_" + t.rating) : "–"]];
    if (t.category === "投诉") {  // the complaint's clocks and verdict, as stored
      fields.push(["investigation_due", clock(t.investigation_due_at)], ["resolved_at", clock(t.resolved_at)],
        ["verdict", t.verdict ? `${CC.t("verdict_" + t.verdict)} · ${t.verdict_by} ${clock(t.verdict_at)}` : CC.t("verdict_pending")]);
    }
    document.getElementById("detail-body").replaceChildren(...fields.map(([k, v]) =>
      el("label", {}, el("span", {}, CC.t(k)), el("b", { class: k === "phone" ? "phone" : null }, v || "–"))));
    player(t);
    await complaintForm(t, () => detail(id));
    if (CC.me.role === "supervisor") {
      document.getElementById("detail-supervise").classList.remove("hidden");
      const rating = document.getElementById("detail-rating");
      rating.replaceChildren(...["", "satisfied", "ordinary", "unsatisfied"].map((r) => el("option", { value: r }, r ? CC.t("rate_" + r) : "–")));
      rating.value = t.rating || "";
      document.getElementById("detail-lead").checked = !!t.lead_called_at;
      document.getElementById("detail-reviewed").checked = !!t.reviewed_at;
      document.getElementById("detail-save").onclick = async () => {
        const body = { lead_called: document.getElementById("detail-lead").checked || null,
                       reviewed: document.getElementById("detail-reviewed").checked || null };
        if (rating.value) body.rating = rating.value;
        await CC.api("PATCH", `/api/tickets/${id}`, body); detail(id);
      };
    }
  } catch (err) {
    document.getElementById("detail-body").replaceChildren();
    document.getElementById("detail-recording").replaceChildren();
    error.textContent = err.status === 403 ? `${CC.t("forbidden")} (${err.id})` : err.message;
    error.dataset.status = err.status;
  }
}

(async () => {
  await CC.start("tickets");
  const form = document.getElementById("filters");
  form.status.replaceChildren(...STATUS.map((s) => el("option", { value: s }, s ? CC.t("st_" + s) : CC.t("all"))));
  form.category.replaceChildren(...CATEGORY.map((c) => el("option", { value: c }, c ? CC.t("cat_" + c) : CC.t("all"))));
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = CC.t(n.dataset.i18nPlaceholder); });
  form.addEventListener("submit", search);
  const query = new URLSearchParams(location.search);
  if (query.get("review") !== null) form.review_pending.checked = true;  // the review list
  await search();
  agentChoices();
  const id = query.get("id");
  if (id) detail(id);
})();
