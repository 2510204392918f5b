// The reports page: filters in the URL (so a link, e.g. the daily close's, opens the
// same report), one /api/reports call, an SVG chart with its axes, the queue and agent
// tables with exactly the CLI's columns (agents flagged for complaints marked ⚑), the
// complaint table (投诉分类统计表) and complaints per agent, the points ledger and the
// quarter's bonus, each column's definition on hover and in the glossary, and every
// table's exports with the same query.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const R = { data: null, terms: new Map() };
// Every table on the page, as /api/reports names it (its columns, its exports).
const TABLES = ["queues", "agents", "complaints", "complaint_agents", "ledger", "bonus"];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadReportWords() {
  const res = await fetch(`/static/i18n/reports.${CC.lang}.json`);
  Object.assign(CC.words, await res.json());
  document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = CC.t(node.dataset.i18n); });
  document.title = `${CC.t("reports")} · ${CC.t("app")}`;
}

function today(tz) { return new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(new Date()); }

function query() {
  const q = new URLSearchParams();
  for (const id of ["from", "to", "interval", "queue", "agent"]) {
    const v = document.getElementById(id).value;
    if (v || id === "interval") q.set(id, v);  // "interval=": totals (its absence: daily)
  }
  return q;
}

function unit(column) {
  if (column.endsWith("_pct")) return "%";
  if (column.endsWith("_s")) return CC.t("r_unit_s");
  return "";
}

// A column's term: the table's own where the name means something else there (the
// complaint table's "complaints" are all complaints, the agents table's confirmed ones).
function term(column, table) { return R.terms.get(`${table}:${column}`) || R.terms.get(`:${column}`); }

function label(column, table) {
  if (column === "interval_start") return CC.t("r_interval_start");
  if (column === "agent") return CC.t("agent");
  if (column === "interface") return CC.t("r_interface");
  if (column === "queue") return CC.t("queue");
  const found = term(column, table);
  return found ? (CC.lang === "en" ? found.en : found.zh) : column;
}

function definition(column, table) {
  const found = term(column, table);
  if (!found) return column === "interval_start" ? CC.t("r_interval_start_def") : "";
  return CC.lang === "en" ? found.en_definition : found.zh_definition;
}

function cellText(column, value) {
  if (value === null || value === undefined || value === "") return "–";
  if (typeof value === "boolean") return CC.t(value ? "r_yes" : "r_no");
  if (column === "interval_start") {  // days, weeks, months: the date alone
    const daily = ["1d", "1w", "1mo"].includes(R.data?.interval);
    return value.replace("T", " ").slice(0, daily ? 10 : 16);
  }
  if (column === "at") return value.replace("T", " ").slice(0, 19);  // the zone is the page's
  if (column === "reason") return CC.label("ledger_reason", value);  // the ledger's source
  if (column === "queue") return CC.label("queue", value);
  return String(value);
}

// A cell's marks: an agent flagged for complaints (agents table: the months it was
// flagged in; complaints per agent: that month), the quarter's top three, a penalty.
function cellMarks(table, column, row) {
  const months = R.data.flagged?.[row.interface];
  if (table === "agents" && column === "agent" && months) {
    return { "data-flagged": months.join(" "), title: `${CC.t("r_flagged")}${CC.colon()}${months.join(CC.lang === "zh-CN" ? "、" : ", ")}` };
  }
  if (table === "complaint_agents" && column === "flagged" && row.flagged) return { class: "flag", title: CC.t("r_flagged") };
  if (table === "bonus" && column === "top_three" && row.top_three) return { class: "top" };
  if (column === "points" && row.points < 0) return { class: "num neg" };
  return {};
}

function renderTable(table, columns, rows) {
  const node = document.getElementById(`${table}-table`);
  node.tHead.replaceChildren(el("tr", {}, ...columns.map((c) => {
    const u = unit(c);
    return el("th", { class: typeof rows[0]?.[c] === "number" || u ? "num" : "", "data-column": c, title: definition(c, table) },
              u ? `${label(c, table)}${CC.paren(u)}` : label(c, table), el("small", { class: "colname" }, c));
  })));
  const body = rows.length ? rows.map((row) => el("tr", {
    class: table === "agents" && R.data.flagged?.[row.interface] ? "flagged" : undefined,
    "data-interface": row.interface }, ...columns.map((c) =>
    el("td", { class: typeof row[c] === "number" || row[c] === null ? "num" : "", "data-column": c,
               title: c.endsWith("_s") && row[c] >= 3600 ? duration(row[c]) : undefined, ...cellMarks(table, c, row) },
       cellText(c, row[c])))))
    : [el("tr", {}, el("td", { colspan: columns.length, class: "muted" }, CC.t("r_no_data")))];
  node.tBodies[0].replaceChildren(...body);
}

function fill(text, values) { return text.replace(/\{(\w+)\}/g, (_, k) => values[k]); }

function renderPeople(data) {
  renderTable("complaints", data.columns.complaints, data.complaints.by_category);
  renderTable("complaint_agents", data.columns.complaint_agents, data.complaints.by_agent);
  const ledger = data.ledger;
  renderTable("ledger", data.columns.ledger, ledger.entries);
  const counts = { shown: ledger.entries.length, total: ledger.entries_total, points: ledger.points };
  document.getElementById("ledger-count").textContent = fill(CC.t("r_ledger_count"), counts) +
    (ledger.entries.length < ledger.entries_total ? ` · ${fill(CC.t("r_ledger_shown"), counts)}` : "");
  renderTable("bonus", data.columns.bonus, ledger.bonus);
  document.getElementById("bonus-quarters").textContent = ledger.quarters.join(", ");
}

function niceMax(value) {
  if (value <= 5) return 5;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function renderChart(points) {
  const chart = document.getElementById("chart");
  const W = Math.max(640, chart.clientWidth || 1200), H = 320;
  const left = 56, right = 56, top = 16, bottom = 48;
  const w = W - left - right, h = H - top - bottom;
  chart.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const nodes = [];
  const max = niceMax(Math.max(1, ...points.map((p) => p.offered)));
  const y = (v) => top + h - (v / max) * h, yPct = (v) => top + h - (v / 100) * h;
  for (let i = 0; i <= 5; i++) {
    const v = (max / 5) * i, yy = y(v);
    nodes.push(svg("line", { class: "grid", x1: left, x2: left + w, y1: yy, y2: yy }));
    nodes.push(svg("text", { x: left - 8, y: yy + 4, "text-anchor": "end" }, Number.isInteger(v) ? v : v.toFixed(1)));
    nodes.push(svg("text", { x: left + w + 8, y: yPct(20 * i) + 4 }, `${20 * i}%`));
  }
  nodes.push(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: top + h }));
  nodes.push(svg("line", { class: "axis", x1: left + w, x2: left + w, y1: top, y2: top + h }));
  nodes.push(svg("line", { class: "axis", x1: left, x2: left + w, y1: top + h, y2: top + h }));
  nodes.push(svg("text", { x: 14, y: top + h / 2, transform: `rotate(-90 14 ${top + h / 2})`, "text-anchor": "middle" },
                 CC.t("r_axis_calls")));
  nodes.push(svg("text", { x: W - 10, y: top + h / 2, transform: `rotate(90 ${W - 10} ${top + h / 2})`, "text-anchor": "middle" },
                 `${label("service_level_pct", "queues")}${CC.paren("%")}`));
  const n = Math.max(points.length, 1), slot = w / n, bar = Math.max(1, Math.min(40, slot * 0.7));
  const every = Math.ceil(n / Math.max(1, Math.floor(w / 90)));
  const line = [];
  points.forEach((p, i) => {
    const x = left + slot * i + (slot - bar) / 2;
    const other = Math.max(0, p.offered - p.answered - p.abandoned);
    let base = top + h;
    for (const [cls, v] of [["answered", p.answered], ["abandoned", p.abandoned], ["other", other]]) {
      if (!v) continue;
      const hh = (v / max) * h;
      base -= hh;
      const rect = svg("rect", { class: cls, x, y: base, width: bar, height: hh, "data-value": v });
      rect.append(svg("title", {}, `${cellText("interval_start", p.interval_start)} · ${label(cls === "other" ? "offered" : cls, "queues")}${CC.colon()}${v}`));
      nodes.push(rect);
    }
    if (p.service_level_pct !== null) line.push([x + bar / 2, yPct(p.service_level_pct), p]);
    if (i % every === 0) {
      const text = p.interval_start.replace("T", " ").slice(0, 16);
      const short = R.data.chartInterval === "1h" || R.data.chartInterval === "15m" ? text.slice(5) : text.slice(0, 10);
      nodes.push(svg("text", { x: x + bar / 2, y: top + h + 18, "text-anchor": "middle" }, short));
    }
  });
  if (line.length) {
    nodes.push(svg("polyline", { class: "sl", points: line.map(([a, b]) => `${a},${b}`).join(" ") }));
    for (const [a, b, p] of line) {
      const dot = svg("circle", { class: "sl-dot", cx: a, cy: b, r: 3 });
      dot.append(svg("title", {}, `${cellText("interval_start", p.interval_start)} · ${label("service_level_pct", "queues")}${CC.colon()}${p.service_level_pct}%`));
      nodes.push(dot);
    }
  }
  nodes.push(svg("text", { x: left + w / 2, y: H - 6, "text-anchor": "middle" }, CC.t(`r_axis_${R.data.chartInterval}`)));
  chart.replaceChildren(...nodes);
  document.getElementById("chart-legend").replaceChildren(...[
    ["answered", "answered"], ["abandoned", "abandoned"], ["other", "r_other"], ["sl", "service_level_pct"],
  ].map(([cls, key]) => el("li", { title: definition(key === "r_other" ? "timeouts" : key, "queues") },
    el("span", { class: `swatch ${cls}` }), key === "r_other" ? CC.t("r_other") : label(key, "queues"))));
}

function renderGlossary(terms) {
  const tableName = { complaints: "r_complaint_table", complaint_agents: "r_complaint_agents", ledger: "r_ledger", bonus: "r_bonus" };
  document.getElementById("glossary").replaceChildren(...terms.flatMap((t) => [
    el("dt", { id: t.table ? `term-${t.table}-${t.column}` : `term-${t.column}` }, CC.lang === "en" ? t.en : t.zh, " ",
       el("small", { class: "colname" }, t.table ? `${t.column} · ${CC.t(tableName[t.table]).split(/[（(]/)[0].trim()}` : t.column)),
    el("dd", {}, CC.lang === "en" ? t.en_definition : t.zh_definition),
  ]));
}

function fillSelect(id, options, chosen) {
  const select = document.getElementById(id);
  select.replaceChildren(select.options[0], ...options.map(([value, text]) => el("option", { value, selected: value === chosen }, text)));
}

async function load() {
  const q = query();
  history.replaceState(null, "", `?${q}`);
  const error = document.getElementById("error");
  error.textContent = ""; error.dataset.status = "";
  let data;
  try {
    data = await CC.api("GET", `/api/reports?${q}`);
  } catch (err) {
    error.dataset.status = err.status ?? "";
    error.textContent = err.status === 403 ? `${CC.t("forbidden")}${CC.paren(err.id)}` : `${CC.t("r_failed")}${CC.colon()}${err.message}`;
    document.getElementById("report").classList.add("hidden");
    return;
  }
  R.data = data;
  R.terms = new Map(data.glossary.map((t) => [`${t.table}:${t.column}`, t]));
  const span = data.to - data.from;
  data.chartInterval = data.interval || (span <= 2 * 86400 ? "1h" : "1d");
  fillSelect("queue", data.filters.queues.map((x) => [x.name, CC.label("queue", x.name)]), q.get("queue") || "");
  fillSelect("agent", data.filters.agents.map((x) => [x.interface, `${x.name}${CC.paren(x.interface)}`]), q.get("agent") || "");
  document.getElementById("zone").textContent = `${CC.t("r_zone")}${CC.colon()}${data.timezone}`;
  document.getElementById("report").classList.remove("hidden");
  renderChart(data.chart);
  renderTable("queues", data.columns.queues, data.queues);
  renderTable("agents", data.columns.agents, data.agents);
  renderPeople(data);
  renderGlossary(data.glossary);
  for (const table of TABLES) {
    for (const fmt of ["csv", "xlsx"]) document.getElementById(`${table}-${fmt}`).href = `/api/reports/${table}.${fmt}?${q}`;
  }
  document.body.dataset.loaded = String(Date.now());
}

(async () => {
  const me = await CC.start("reports");
  await loadReportWords();
  const params = new URLSearchParams(location.search);
  const now = today(me.timezone);
  document.getElementById("from").value = params.get("from") || `${now.slice(0, 8)}01`;
  document.getElementById("to").value = params.get("to") || now;
  document.getElementById("interval").value = params.get("interval") ?? "1d";
  for (const id of ["queue", "agent"]) {
    if (params.get(id)) fillSelect(id, [[params.get(id), params.get(id)]], params.get(id));
  }
  document.getElementById("filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  document.getElementById("live")?.classList.add("hidden");  // no push channel on this page
  await load();
})();
