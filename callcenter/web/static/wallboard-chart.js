// The wallboard's chart: callers waiting over the day's last hours (a setting), with a
// y-axis (callers), the hours along the bottom and the surge thresholds as lines.
"use strict";

function renderChart(series, th, hours, now) {
  const svg = document.getElementById("chart");
  // Drawn at the size it is shown (text stays readable at phone width and on a TV).
  const W = Math.max(280, Math.round(svg.clientWidth || 800)), H = Math.max(140, Math.round(svg.clientHeight || 220));
  const em = parseFloat(getComputedStyle(svg).fontSize) || 12;
  const left = 3.2 * em, right = 1.2 * em, top = 1.6 * em, bottom = 1.9 * em;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const t1 = Math.ceil(now / 3600) * 3600;  // the end of this hour
  const t0 = t1 - hours * 3600;
  const shown = series.filter(([t]) => t >= t0);
  const { top: yTop, ticks } = Rules.scale(Math.max((th.level2 ?? 0) + 2, ...shown.map((p) => p[1])));
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - right);
  const y = (v) => H - bottom - (v / yTop) * (H - top - bottom);
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const parts = [];
  for (const v of ticks) {  // the y-axis: callers waiting
    parts.push(node("line", { class: "grid", x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    parts.push(node("text", { class: "y-tick", x: left - 6, y: y(v) + 4, "text-anchor": "end" }, v));
  }
  parts.push(node("line", { class: "axis", x1: left, x2: left, y1: top, y2: H - bottom }));
  // From the left edge: "(callers)" is wider than the tick labels' margin.
  parts.push(node("text", { class: "y-unit", x: 2, y: top - 0.6 * em, "text-anchor": "start" }, CC.paren(CC.t("unit_people")).trim()));
  const step = hours > 12 ? 3 : hours > 6 ? 2 : 1;
  for (let t = t0; t <= t1; t += step * 3600) {
    const hour = new Date(t * 1000).toLocaleString("en-GB", { hour: "2-digit", hour12: false, timeZone: CC.me?.timezone });
    const anchor = t === t0 ? "start" : t + step * 3600 > t1 ? "end" : "middle";
    parts.push(node("text", { class: "x-tick", x: x(t), y: H - 0.5 * em, "text-anchor": anchor }, `${hour}:00`));
  }
  const lines = [["th1", th.level1, CC.t("level1"), th.level1_inclusive], ["th2", th.level2, CC.t("level2"), th.level2_inclusive]];
  for (const [cls, value, label, inclusive] of lines) {
    if (value === undefined) continue;
    parts.push(node("line", { class: cls, x1: left, x2: W - right, y1: y(value), y2: y(value), "data-threshold": value }));
    parts.push(node("text", { class: `${cls}-label`, x: W - right - 4, y: y(value) - 4, "text-anchor": "end" },
      `${label} ${inclusive ? "≥" : ">"} ${value}`));
  }
  if (shown.length) {
    const points = shown.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(node("polyline", { class: "line", points, "data-points": shown.length }));
  }
  svg.dataset.top = yTop;
  svg.replaceChildren(...parts);
  document.getElementById("chart-span").textContent = CC.t("chart_span").replace("{h}", hours);
}
