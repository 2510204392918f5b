// Ticket search (supervisors: all tickets; agents: their own) and one ticket's detail.
"use strict";
const STATUS = ["", "open", "dispatched", "accepted", "resolved", "closed"];
const CATEGORY = ["", "咨询", "投诉", "建议", "表扬", "求助"];

// The list: filters (date range, queue, agent, category, status), a page at a time with
// the total; supervisors export the same filters as CSV or .xlsx.
const PAGE_SIZE = 50;
const listing = { offset: 0, total: 0 };

function filterParams() {
  const form = document.getElementById("filters");
  const params = new URLSearchParams();
  for (const name of ["status", "category", "phone", "q", "from", "to", "queue", "agent"]) {
    if (form[name] && form[name].value) params.set(name, form[name].value);
  }
  return params;
}

async function search(e) {
  if (e) { e.preventDefault(); listing.offset = 0; }
  const form = document.getElementById("filters");
  const params = filterParams();
  for (const kind of ["csv", "xlsx"]) document.getElementById(`export-${kind}`).href = `/api/tickets-export.${kind}?${params}`;
  let rows;
  if (form.open_only.checked || form.review_pending.checked) {  // the work lists: no paging
    if (form.open_only.checked) params.set("open_only", "true");
    if (form.review_pending.checked) params.set("review_pending", "true");
    rows = await CC.api("GET", `/api/tickets?${params}`);
    listing.total = rows.length; listing.offset = 0;
  } else {
    params.set("offset", listing.offset); params.set("limit", PAGE_SIZE);
    const page = await CC.api("GET", `/api/tickets-page?${params}`);
    rows = page.rows; listing.total = page.total;
  }
  document.getElementById("page-info").textContent = `${(CC.words.t_total ?? "{n}").replace("{n}", listing.total)} · ` +
    `${listing.total ? listing.offset + 1 : 0}–${listing.offset + rows.length}`;
  document.getElementById("page-prev").disabled = listing.offset === 0;
  document.getElementById("page-next").disabled = listing.offset + rows.length >= listing.total;
  document.querySelector("#ticket-list tbody").replaceChildren(...rows.map((t) => el("tr", { "data-ticket": t.id },
    el("td", {}, el("a", { href: `/tickets?id=${t.id}` }, `#${t.id}`)), el("td", {}, clock(t.opened_at)),
    el("td", {}, t.owner_name), el("td", { class: "phone" }, t.caller_phone),
    el("td", {}, t.category ? CC.t("cat_" + t.category) : "–"), el("td", {}, CC.t("st_" + t.status)),
    el("td", {}, t.content.slice(0, 60)), el("td", { class: "muted" }, recordingState(t)))));
}

async function listWords() {
  const res = await fetch(`/static/i18n/supervise.${CC.lang}.json`);
  Object.assign(CC.words, await res.json());
  document.querySelectorAll("#filters [data-i18n], #pager [data-i18n]").forEach((n) => { n.textContent = CC.t(n.dataset.i18n); });
  if (CC.me.role === "supervisor") document.querySelectorAll(".sup-only").forEach((n) => n.classList.remove("hidden"));
  document.getElementById("page-prev").addEventListener("click", () => { listing.offset = Math.max(0, listing.offset - PAGE_SIZE); search(); });
  document.getElementById("page-next").addEventListener("click", () => { listing.offset += PAGE_SIZE; search(); });
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
    error.textContent = err.status === 403 ? `${CC.t("forbidden")}${CC.paren(err.id)}` : err.message;
    error.dataset.status = err.status;
  }
}

(async () => {
  await CC.start("tickets");
  await listWords();
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
