// The wallboard's rules, pure (no DOM): a figure against its thresholds, the agents'
// order, queue names, the chart's scale.  tests/unit/test_wallboard_rules.py runs them
// in Chromium.
"use strict";

const Rules = {
  // "green" | "amber" | "red", or "" for no figure.  band = { amber, red, higher_is_better }:
  // higher is better: below amber is amber, below red is red; otherwise at or above.
  band(value, band) {
    if (value === null || value === undefined || !isFinite(value) || !band) return "";
    if (band.higher_is_better) return value < band.red ? "red" : value < band.amber ? "amber" : "green";
    if (band.red > 0 && value >= band.red) return "red";
    return band.amber > 0 && value >= band.amber ? "amber" : "green";
  },

  // The worst of some bands (a tile's frame takes its worst figure's colour).
  worst(bands) {
    return ["red", "amber", "green"].find((b) => bands.includes(b)) || "";
  },

  // Busy first (who is taking calls), then ready, then away; within a state, the
  // longest in it first (the oldest `since`), then by name.
  STATE_ORDER: ["ringing", "on_call", "wrap_up", "available", "paused", "unavailable", "logged_out"],

  compareAgents(a, b) {
    const rank = (s) => { const i = Rules.STATE_ORDER.indexOf(s); return i < 0 ? Rules.STATE_ORDER.length : i; };
    return rank(a.state) - rank(b.state)
      || (a.since ?? Infinity) - (b.since ?? Infinity)
      || String(a.name).localeCompare(String(b.name));
  },

  queueName(code, names) { return (names && names[code]) || code; },

  // Queues in the order the settings name them, the others after, by code.
  compareQueues(a, b, names) {
    const order = Object.keys(names || {});
    const rank = (q) => { const i = order.indexOf(q); return i < 0 ? order.length : i; };
    return rank(a) - rank(b) || a.localeCompare(b);
  },

  // Today's paused seconds by reason, the pause in progress included (counted from
  // `dayStart` if it began before midnight), up to `now`.
  pausedToday(agent, now, dayStart) {
    const out = { ...(agent.paused_today || {}) };
    if (agent.state === "paused" && agent.since) {
      const reason = agent.reason || "";
      out[reason] = (out[reason] || 0) + Math.max(0, now - Math.max(agent.since, dayStart));
    }
    return out;
  },

  // The Asterisk links among the daemon's parts ("ami", or "ami:<server>" with several
  // servers): those down, and since when the page is blind — every link down (from the
  // moment the last one went: until then figures still came), else its own stream lost
  // (`lostAt`); null while it sees.  One server of several down is not blind: its part
  // of the figures is stale, which the page says.
  sight(parts, streamUp, lostAt) {
    const links = parts.filter((h) => h.part === "ami" || h.part.startsWith("ami:"));
    const down = links.filter((h) => !h.ok);
    if (links.length && down.length === links.length) return { blind: Math.max(...down.map((h) => h.since)), down };
    return { blind: streamUp ? null : lostAt ?? null, down };
  },

  // The y-axis: a round top at least `least`, and its ticks (about four).
  scale(least) {
    const top = Math.max(4, least);
    const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((s) => top / s <= 5) || Math.ceil(top / 5);
    const roundTop = Math.ceil(top / step) * step;
    const ticks = [];
    for (let v = 0; v <= roundTop; v += step) ticks.push(v);
    return { top: roundTop, ticks };
  },
};

if (typeof module !== "undefined") module.exports = Rules;
