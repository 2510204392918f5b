"use strict";
(async () => {
  await CC.loadWords();
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    // Double-submit: the cookie the server set with this page, echoed in a header.
    const token = document.cookie.split("; ").find((c) => c.startsWith("cc_login_csrf="))?.split("=")[1] || "";
    const res = await fetch("/api/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ username: form.username.value, password: form.password.value }),
    });
    if (res.ok) {
      const me = await res.json();
      location.href = me.role === "supervisor" ? "/wallboard" : "/desk";
    } else {
      error.textContent = CC.t(res.status === 429 ? "login_throttled" : "login_failed");
    }
  });
})();
