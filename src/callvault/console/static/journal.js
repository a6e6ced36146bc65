/* The journal: the filter form is a plain GET form (the URL holds the filters, so a view can
   be bookmarked and shared); this script reads them from the URL, asks GET /api/calls and
   draws the table. Paging follows the API's cursor. */
"use strict";
(function () {
  const PAGE_SIZE = 50;
  const PASSED = ["number", "status", "direction", "has_recording", "outcome", "comment", "agent",
    "team", "queue", "tag", "channel", "campaign", "has_audio_issue", "sort", "order"];
  const DEFAULTS = { sort: "started_at", order: "desc" };

  function localInput(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  }

  /* The API's query for the page's URL (times from the user's zone to UTC). */
  function apiQuery(params) {
    const query = new URLSearchParams();
    for (const name of ["since", "until"]) {
      const value = params.get(name);
      if (value) query.set(name, new Date(value).toISOString());
    }
    for (const name of PASSED) {
      const value = params.get(name);
      if (value) query.set(name, value.trim());
    }
    for (const bound of ["min", "max"]) {
      const seconds = params.get(`${bound}_duration_s`);
      if (seconds) query.set(`${bound}_duration_ms`, String(Math.round(Number(seconds) * 1000)));
    }
    return query;
  }

  function quickRange(which) {
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const day = 24 * 3600 * 1000;
    switch (which) {
      case "today": return [start, null];
      case "yesterday": return [new Date(start - day), start];
      case "7d": return [new Date(start - 6 * day), null];
      case "30d": return [new Date(start - 29 * day), null];
      default: return [null, null];
    }
  }

  function party(record) {
    const name = record.display_name ? ` (${record.display_name})` : "";
    return `${record.number || "—"}${name}`;
  }

  function row(call) {
    const link = cv.el("a", { href: `/calls/${call.id}` }, cv.dateTime(call.started_at));
    return cv.el("tr", { dataset: { callId: call.id, uid: call.uid } },
      cv.el("td", {}, link),
      cv.el("td", {}, cv.t(`direction.${call.direction}`)),
      cv.el("td", {}, party(call.caller)),
      cv.el("td", {}, party(call.callee)),
      cv.el("td", { class: `cv-status-${call.status}` }, cv.t(`status.${call.status}`)),
      cv.el("td", { class: "cv-num" }, cv.duration(call.duration_ms)),
      cv.el("td", { class: "cv-num" }, cv.duration(call.talk_ms)),
      cv.el("td", {}, call.outcome || ""),
      cv.el("td", {}, call.recording ? cv.el("span", { role: "img", "aria-label": cv.t("yes") }, "●") : ""));
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const form = document.getElementById("cv-filters");
    const params = new URLSearchParams(location.search);
    for (const element of form.elements) {
      if (element.name && params.has(element.name)) element.value = params.get(element.name);
    }
    const more = document.getElementById("cv-more");
    if ([...more.querySelectorAll("[name]")].some((element) => params.has(element.name))) {
      more.open = true;
    }
    for (const button of form.querySelectorAll("[data-quick]")) {
      button.addEventListener("click", () => {
        const [since, until] = quickRange(button.dataset.quick);
        form.elements.since.value = since ? localInput(since) : "";
        form.elements.until.value = until ? localInput(until) : "";
        form.requestSubmit();
      });
    }
    /* Empty fields stay out of the URL. */
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      for (const element of form.elements) {
        if (element.name && element.value && element.value !== DEFAULTS[element.name]) {
          query.set(element.name, element.value);
        }
      }
      location.assign(`/calls${query.size ? "?" + query : ""}`);
    });

    const query = apiQuery(params);
    for (const id of ["cv-export-csv", "cv-export-xlsx"]) {
      const link = document.getElementById(id);
      if (link) link.href = `${link.pathname}${query.size ? "?" + query : ""}`;
    }
    const pageNumber = Number(params.get("page") || "1");
    const listing = new URLSearchParams(query);
    listing.set("limit", String(PAGE_SIZE));
    const offset = Number(params.get("offset") || "0");
    if (params.get("cursor")) listing.set("cursor", params.get("cursor"));
    else if (offset) listing.set("offset", String(offset));
    const body = document.querySelector("#cv-calls tbody");
    try {
      const page = await cv.api("GET", `/api/calls?${listing}`);
      body.replaceChildren(...page.data.map(row));
      if (!page.data.length) cv.status(cv.t("journal.empty"));
      else if (page.count_capped) cv.status(cv.t("journal.count_capped", { count: cv.number(page.count) }));
      else cv.status(cv.t("journal.count", { count: cv.number(page.count) }));
      document.getElementById("cv-page").textContent = cv.t("journal.page", { page: cv.number(pageNumber) });
      const next = document.getElementById("cv-next");
      /* The API's cursor when it gives one; else (an API without cursors) the offset. */
      const after = new URLSearchParams(params);
      after.set("page", String(pageNumber + 1));
      if (page.next_cursor) {
        after.set("cursor", page.next_cursor);
      } else if (page.next_cursor === undefined && offset + page.data.length < page.count) {
        after.set("offset", String(offset + PAGE_SIZE));
      } else {
        after.delete("page");
      }
      if (after.has("page")) {
        next.href = `/calls?${after}`;
        next.hidden = false;
      }
      if (params.get("cursor") || offset) {
        const first = new URLSearchParams(params);
        for (const name of ["cursor", "offset", "page"]) first.delete(name);
        const link = document.getElementById("cv-first");
        link.href = `/calls${first.size ? "?" + first : ""}`;
        link.hidden = false;
      }
    } catch (failure) {
      cv.status(cv.t("error.generic", { error: failure.message }), true);
    }
    document.getElementById("cv-calls").dataset.loaded = "true";
  });
})();
