/* The audit trail (compliance and admin): GET /api/audit, newest first. */
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const body = document.querySelector("#cv-audit tbody");
  try {
    const page = await cv.api("GET", "/api/audit?limit=200");
    for (const entry of page.data) {
      const call = entry.call_id === null ? "—" : cv.el("a", { href: `/calls/${entry.call_id}` }, entry.call_id);
      body.append(cv.el("tr", {},
        cv.el("td", {}, cv.dateTime(entry.at)), cv.el("td", {}, entry.username),
        cv.el("td", {}, entry.action), cv.el("td", {}, call), cv.el("td", {}, entry.detail || "")));
    }
    cv.status(cv.t("audit.count", { count: cv.number(page.count) }));
  } catch (failure) {
    cv.status(cv.t("error.generic", { error: failure.message }), true);
  }
  document.getElementById("cv-audit").dataset.loaded = "true";
});
