// Supervisors: this quarter's points per agent, and the callback campaigns.
"use strict";
(async () => {
  await CC.start("manage");
  const [ledger, campaigns] = await Promise.all([CC.api("GET", "/api/ledger"), CC.api("GET", "/api/campaigns")]);
  document.querySelector("#ledger tbody").replaceChildren(...ledger.map((a) => el("tr", { "data-interface": a.interface },
    el("td", {}, a.name), el("td", { class: "num" }, a.points),
    el("td", {}, Object.entries(a.entries).map(([r, e]) => `${CC.label("ledger_reason", r)} ×${e.count}${CC.paren(e.points)}`).join(CC.lang === "zh-CN" ? "，" : ", ") || "–"))));
  document.querySelector("#campaigns tbody").replaceChildren(...campaigns.map((c) => el("tr", {},
    el("td", {}, c.id), el("td", {}, CC.campaignName(c)), el("td", {}, CC.label("campaign_status", c.status)), el("td", { class: "num" }, c.contacts),
    el("td", { class: "num" }, c.pending), el("td", { class: "num" }, c.done), el("td", { class: "num" }, c.failed))));
})();
