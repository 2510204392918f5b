// Shared by every page: translations, the JSON API (with the CSRF header), the
// push channel (server-sent events), and small formatting helpers.  No framework.
"use strict";

const CC = {
  lang: document.documentElement.lang || "zh-CN",
  words: {},
  me: null,
  skew: 0, // server clock minus browser clock, seconds
  health: new Map(),  // part -> { ok, detail, since, server }: the daemon's parts, pushed
  streamUp: false,    // this page's push channel is connected now

  t(key) { return this.words[key] ?? key; },

  // A code's word (statuses, outcomes, reasons, states, kinds): never the raw code on a
  // page.  The words: i18n/labels.<lang>.json, and for the kinds below the page's own
  // words under a prefix (callcenter/core/labels.py reads the same files for the CLI).
  // A queue's name ("queue"): the center's `[wallboard.queue_names]`, from /api/display.
  labels: {},
  PREFIXED: { ticket_status: "st_", priority: "pri_", mood: "mood_", rating: "rate_", agent_state: "state_", verdict: "verdict_", praise_kind: "praise_" },
  label(kind, code) {
    if (code === null || code === undefined || code === "") return "–";
    const prefix = this.PREFIXED[kind];
    if (prefix) return this.words[prefix + code] ?? code;
    return this.labels[kind]?.[code] ?? code;
  },
  // "label: value" with the language's colon (full-width in Chinese).
  colon() { return this.lang === "zh-CN" ? "：" : ": "; },
  // A campaign's name: the standing campaigns' (stored bilingual) by their kind's word.
  campaignName(c) { return ["abandoned", "after_hours", "complaint", "keep_place"].includes(c.kind) ? this.label("campaign_kind", c.kind) : c.name; },
  // An alert's message in the page's language (alerts from before 0017 have one text).
  alertText(a) { return this.lang === "en" && a.message_en ? a.message_en : a.message; },
  paren(text) { return this.lang === "zh-CN" ? `（${text}）` : ` (${text})`; },

  async loadWords() {
    const res = await fetch(`/static/i18n/${this.lang}.json`);
    this.words = await res.json();
    this.labels = await (await fetch(`/static/i18n/labels.${this.lang}.json`)).json();
    const own = document.body.dataset.words;  // a page's own words: i18n/<name>.<lang>.json
    if (own) Object.assign(this.words, await (await fetch(`/static/i18n/${own}.${this.lang}.json`)).json());
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = this.t(el.dataset.i18n); });
    // The language's punctuation between a static label and its value (full-width in Chinese).
    const zh = this.lang === "zh-CN";
    document.querySelectorAll(".colon").forEach((el) => { el.textContent = this.colon(); });
    document.querySelectorAll(".paren-open").forEach((el) => { el.textContent = zh ? "（" : " ("; });
    document.querySelectorAll(".paren-close").forEach((el) => { el.textContent = zh ? "）" : ")"; });
    document.title = `${this.t(document.body.dataset.page || "app")} · ${this.t("app")}`;
  },

  async api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && this.me) headers["X-CSRF-Token"] = this.me.csrf_token;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                    credentials: "same-origin" });
    if (res.status === 401 && !path.endsWith("/login")) { location.href = "/login"; throw new Error("signed out"); }
    const data = res.status === 204 ? null : await res.json();
    if (!res.ok) {
      // FastAPI's own 422 lists what was wrong: shown as its text, not [object Object].
      const detail = typeof data?.detail === "string" ? data.detail : data?.detail && JSON.stringify(data.detail);
      const err = new Error(detail || res.statusText); err.status = res.status; err.id = data?.error; throw err; }
    return data;
  },

  async start(page) {
    await this.loadWords();
    [this.me, this.display] = await Promise.all([this.api("GET", "/api/me"), this.api("GET", "/api/display")]);
    this.labels.queue = this.display.queue_names;
    this.nav(page);
    // A page without live figures of its own still hears the daemon's health.
    if (document.body.dataset.stream !== "own") setTimeout(() => this.source || this.stream({}, "health"), 0);
    return this.me;
  },

  nav(page) {
    const bar = document.getElementById("nav");
    if (!bar) return;
    const links = this.me.role === "supervisor" ? ["wallboard", "tickets", "campaigns", "reports", "manage"] : ["desk", "tickets"];
    const other = this.lang === "zh-CN" ? "en" : "zh-CN";
    bar.replaceChildren(
      el("strong", { class: "brand" }, this.t("app")),
      ...links.map((p) => el("a", { href: `/${p}`, class: p === page ? "active" : "" }, this.t(p))),
      el("span", { class: "spacer" }),
      el("span", { id: "health", class: "health hidden", role: "status" }),
      el("span", { class: "who" }, this.me.display_name),
      el("a", { href: `?lang=${other}`, id: "lang" }, this.t("language")),
      el("button", { id: "logout", onclick: async () => { await this.api("POST", "/api/logout"); location.href = "/login"; } },
         this.t("logout")),
    );
  },

  // One EventSource per page.  It reconnects by itself; every (re)connect begins
  // with a snapshot, so nothing missed while away stays missing.  The "live" badge
  // exists only on a page holding a stream, and says whether it is connected now.
  // Every stream carries the daemon's health ("health" messages): handlers.health and
  // handlers.link (the stream itself up or down) hear it after the nav's pill.
  stream(handlers, only) {
    // One stream, one badge: a page's own stream replaces the health-only one.
    if (this.source) { this.source.close(); document.getElementById("live")?.remove(); }
    const badge = el("span", { id: "live", class: "live off" }, this.t("connecting"));
    document.querySelector("#nav .spacer")?.after(badge);
    const source = this.source = new EventSource(only ? `/api/stream?only=${only}` : "/api/stream");
    const link = (up) => {
      if (up) this.lostAt = null; else if (this.streamUp) this.lostAt = this.now();
      this.streamUp = up;
      badge.className = `live ${up ? "on" : "off"}`;
      badge.textContent = this.t(up ? "connected" : "reconnecting");
      handlers.link?.(up);
    };
    source.addEventListener("snapshot", (e) => {
      const data = JSON.parse(e.data);
      if (data.now) this.skew = data.now - Date.now() / 1000;
      this.health = new Map((data.health || []).map((h) => [h.part, h]));
      link(true);
      this.showHealth();
      handlers.snapshot?.(data);
      handlers.health?.();
    });
    source.addEventListener("health", (e) => {
      const h = JSON.parse(e.data);
      this.health.set(h.part, h);
      this.showHealth();
      handlers.health?.(h);
    });
    for (const [name, fn] of Object.entries(handlers)) {
      if (!["snapshot", "health", "link"].includes(name)) source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    }
    // The session ended (signed out elsewhere, disabled, expired): no reconnecting.
    source.addEventListener("signed_out", () => { source.close(); location.href = "/login"; });
    source.onerror = () => link(false);
    return source;
  },

  // The parts that are down, in the nav: one pill, the details in its tooltip.
  showHealth() {
    const pill = document.getElementById("health");
    if (!pill) return;
    const down = [...this.health.values()].filter((h) => !h.ok);
    pill.classList.toggle("hidden", !down.length);
    pill.textContent = down.length ? `⚠ ${down.map((h) => this.partName(h)).join(" · ")}` : "";
    pill.title = down.map((h) => `${this.partName(h)}${this.colon()}${this.detail(h)}${this.paren(clock(h.since))}`).join("\n");
    pill.dataset.down = down.map((h) => h.part).join(" ");
  },

  detail(h) { const key = `detail_${h.detail}`; return this.words[key] ?? h.detail; },

  // "ami:pbx2" (one of several Asterisk servers) is the Asterisk link, named.
  partName(h) {
    const [kind, name] = h.part.split(":");
    return `${this.t(`part_${kind}`)}${name ? ` ${name}` : ""}${h.server ? ` ${h.server}` : ""}`;
  },

  now() { return Date.now() / 1000 + this.skew; },
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

function clock(epoch) {
  if (!epoch) return "–";
  // The center's wall clock, whatever zone the browser (or the TV) is set to.
  return new Date(epoch * 1000).toLocaleString(CC.lang, { hour12: false, month: "2-digit", day: "2-digit",
                                                         hour: "2-digit", minute: "2-digit", second: "2-digit",
                                                         timeZone: CC.me?.timezone });
}

function pct(value) { return value === null || value === undefined ? "–" : `${value}%`; }
