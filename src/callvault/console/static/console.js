/* callvault console: what every page shares — messages, Intl formatting, the JSON API with
   the session's CSRF token, the language switcher and logging out. No inline scripts: the
   page's catalogue comes in a JSON data block. */
"use strict";
(function () {
  const messages = JSON.parse(document.getElementById("cv-messages").textContent);
  const lang = document.documentElement.lang || "en";
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";

  function t(key, values) {
    let text = messages[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  const dateTimeFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium" });
  const numberFormat = new Intl.NumberFormat(lang);

  function dateTime(iso) {
    return iso ? dateTimeFormat.format(new Date(iso)) : "—";
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "—";
    if (digits === undefined) return numberFormat.format(value);
    return new Intl.NumberFormat(lang, {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(value);
  }

  /* A duration in the user's locale ("1 min, 5 s" / "1 мин 5 с"); "—" when unknown. */
  function duration(ms) {
    if (ms === null || ms === undefined) return "—";
    const total = Math.round(ms / 1000);
    const parts = { hours: Math.floor(total / 3600), minutes: Math.floor(total / 60) % 60, seconds: total % 60 };
    if (typeof Intl.DurationFormat === "function") {
      if (!parts.hours) delete parts.hours;
      if (!parts.hours && !parts.minutes) delete parts.minutes;
      return new Intl.DurationFormat(lang, { style: "narrow" }).format(parts);
    }
    return clock(total);
  }

  /* Seconds as m:ss or h:mm:ss (the player's position). */
  function clock(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const h = Math.floor(whole / 3600), m = Math.floor(whole / 60) % 60, s = whole % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }

  function toLogin() {
    const here = location.pathname + location.search;
    location.assign(`/login?next=${encodeURIComponent(here)}`);
  }

  /* The JSON API with the session cookie; changes carry the CSRF token. Throws an Error
     with the API's message on 4xx/5xx. */
  async function api(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = meta("csrf-token");
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && document.body.dataset.page !== "login") {
      toLogin();
      throw new Error("session ended");
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || response.statusText);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  /* el("td", {class: "x", dataset: {...}}, child, "text", …): DOM without innerHTML. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function status(text, isError) {
    const node = document.getElementById("cv-status");
    if (!node) return;
    node.textContent = text;
    node.classList.toggle("cv-error", Boolean(isError));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const switcher = document.getElementById("cv-lang");
    if (switcher) {
      switcher.addEventListener("change", () => {
        document.cookie = `callvault_lang=${encodeURIComponent(switcher.value)}; path=/; max-age=31536000; SameSite=Strict`;
        location.reload();
      });
    }
    const logout = document.getElementById("cv-logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        try { await api("DELETE", "/api/session"); } finally { location.assign("/login"); }
      });
    }
  });

  window.cv = { t, lang, dateTime, number, duration, clock, api, el, status, meta, toLogin };
})();
