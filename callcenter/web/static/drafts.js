// Typed ticket text is never lost: every change is kept at once in this browser
// (localStorage, per user and ticket) and, debounced, on the server (the user's own
// draft of that ticket).  Both are dropped once the ticket is saved.
"use strict";
const Drafts = {
  delayMs: 800,
  timers: new Map(),   // ticket id -> pending debounce timer
  inflight: new Map(), // ticket id -> the PUT on its way

  key(id) { return `cc.draft.${CC.me.username}.${id}`; },

  local(id) {
    try { return JSON.parse(localStorage.getItem(this.key(id)) || "null"); } catch { return null; }
  },

  // The ids of this user's drafts kept in this browser.
  localIds() {
    const prefix = `cc.draft.${CC.me.username}.`;
    const ids = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k?.startsWith(prefix)) ids.push(Number(k.slice(prefix.length)));
    }
    return ids.filter((n) => Number.isInteger(n) && n > 0);
  },

  keep(id, fields, onSaved) {
    try { localStorage.setItem(this.key(id), JSON.stringify({ fields, at: CC.now() })); } catch { /* full: the server keeps it */ }
    clearTimeout(this.timers.get(id));
    this.timers.set(id, setTimeout(() => this.push(id, fields, onSaved), this.delayMs));
  },

  // Send now (a tab is left, the page is hidden): nothing waits on the debounce.
  flush(id, fields, onSaved) {
    if (!this.timers.has(id)) return;
    clearTimeout(this.timers.get(id));
    this.push(id, fields, onSaved);
  },

  async push(id, fields, onSaved) {
    this.timers.delete(id);
    const previous = this.inflight.get(id) || Promise.resolve();
    const sending = previous.then(() => CC.api("PUT", `/api/desk/drafts/${id}`, { fields }))
      .then((r) => onSaved?.(r, null), (err) => onSaved?.(null, err));
    this.inflight.set(id, sending);
    await sending;
    if (this.inflight.get(id) === sending) this.inflight.delete(id);
  },

  // The newer of the browser's and the server's copy (null: no draft).
  async best(id) {
    const local = this.local(id);
    let server = null;
    try { server = (await CC.api("GET", `/api/desk/drafts/${id}`)).draft; } catch { /* the local copy stands */ }
    if (server && (!local || server.saved_at >= local.at)) return { fields: server.fields, at: server.saved_at };
    return local;
  },

  async drop(id) {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    await (this.inflight.get(id) || Promise.resolve());  // a PUT landing after the DELETE would revive it
    try { localStorage.removeItem(this.key(id)); } catch { /* nothing kept */ }
    await CC.api("DELETE", `/api/desk/drafts/${id}`).catch(() => {});
  },
};
