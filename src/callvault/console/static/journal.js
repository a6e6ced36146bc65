/* The journal: the filter form is a plain GET form (the URL holds the filters, so a view can
   be bookmarked and shared); this script reads them from the URL, asks GET /api/calls and
   draws the table. Paging follows the API's cursor.
   Also: saved searches (/api/saved-searches: the API's filters under a name), the user's
   choice and order of columns (/api/preferences, remembered on the server, honoured by the
   exports), and calls that finish while the first page is open appearing at its top
   (polling GET /api/calls?after_id=<newest id seen>). */
"use strict";
(function () {
  const PAGE_SIZE = 50;
  const POLL_MS = 5000;
  /* API filters the page's URL carries as they are (repeatable ones may repeat). */
  const PASSED = ["number", "party", "caller", "callee", "status", "direction", "has_recording",
    "has_audio_issue", "outcome", "comment", "agent", "team", "queue", "tag", "channel", "campaign",
    "agent_id", "team_id", "queue_id", "tracked_number_id", "sip_code", "hangup_by", "codec",
    "transport", "source", "min_talk_ms", "max_talk_ms", "min_ring_ms", "max_ring_ms", "sort", "order"];
  const DEFAULTS = { sort: "started_at", order: "desc" };
  /* Columns whose heading has a translated message; the others show their API name. */
  const HEADINGS = { started_at: "col.started", direction: "col.direction", caller: "col.caller",
    callee: "col.callee", status: "col.status", duration_ms: "col.duration", talk_ms: "col.talk",
    ring_ms: "col.ring", outcome: "col.outcome", recording: "col.recording" };
  const FALLBACK_COLUMNS = ["started_at", "direction", "caller", "callee", "status", "duration_ms",
    "talk_ms", "outcome", "recording"];

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
      for (const value of params.getAll(name)) {
        if (value && value.trim()) query.append(name, value.trim());
      }
    }
    for (const bound of ["min", "max"]) {
      const seconds = params.get(`${bound}_duration_s`);
      if (seconds) query.set(`${bound}_duration_ms`, String(Math.round(Number(seconds) * 1000)));
    }
    return query;
  }

  /* The page's URL for the API's filters (a saved search): the inverse of apiQuery. */
  function pageQuery(filters) {
    const query = new URLSearchParams();
    for (const [name, given] of Object.entries(filters)) {
      for (const value of Array.isArray(given) ? given : [given]) {
        if (name === "since" || name === "until") query.append(name, localInput(new Date(value)));
        else if (name === "min_duration_ms" || name === "max_duration_ms") {
          query.append(name.replace("_ms", "_s"), String(Number(value) / 1000));
        } else if (DEFAULTS[name] !== value) query.append(name, String(value));
      }
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

  function heading(column) {
    return HEADINGS[column] ? cv.t(HEADINGS[column]) : column;
  }

  /* A call's value for a column: a composite, a top-level field, or a field of a party or
     of the recording (caller_number, recording_format…). */
  function value(call, column) {
    if (column in call) return call[column];
    for (const side of ["caller", "callee", "recording"]) {
      if (column.startsWith(`${side}_`)) return (call[side] || {})[column.slice(side.length + 1)] ?? null;
    }
    return null;
  }

  function cell(call, column) {
    const v = value(call, column);
    switch (column) {
      case "started_at": return cv.el("td", {}, cv.dateTime(v));
      case "direction": return cv.el("td", {}, cv.t(`direction.${v}`));
      case "caller": case "callee": return cv.el("td", {}, party(v));
      case "status": return cv.el("td", { class: `cv-status-${v}` }, cv.t(`status.${v}`));
      case "recording":
        return cv.el("td", {}, v ? cv.el("span", { role: "img", "aria-label": cv.t("yes") }, "●") : "");
    }
    if (v === null || v === undefined || v === "") return cv.el("td", {}, "");
    if (column.endsWith("_ms")) return cv.el("td", { class: "cv-num" }, cv.duration(v));
    if (column.endsWith("_at")) return cv.el("td", {}, cv.dateTime(v));
    if (Array.isArray(v)) return cv.el("td", {}, v.join(", "));
    if (typeof v === "boolean") return cv.el("td", {}, cv.t(v ? "yes" : "no"));
    if (typeof v === "number" && !column.endsWith("_id") && column !== "id") {
      return cv.el("td", { class: "cv-num" }, cv.number(v));
    }
    return cv.el("td", {}, String(v));
  }

  /* The row's first cell links to the call's page, whatever the column. */
  function row(call, columns) {
    const cells = columns.map((column) => cell(call, column));
    const first = cells[0];
    const link = cv.el("a", { href: `/calls/${call.id}` });
    link.append(...(first.textContent ? first.childNodes : [cv.t("journal_extras.open")]));
    first.replaceChildren(link);
    return cv.el("tr", { dataset: { callId: call.id, uid: call.uid } }, ...cells);
  }

  function drawHead(columns) {
    const head = document.querySelector("#cv-calls thead tr");
    head.replaceChildren(...columns.map((column) => {
      const numeric = column.endsWith("_ms") && column !== "recording";
      return cv.el("th", { scope: "col", class: numeric ? "cv-num" : null, dataset: { column } }, heading(column));
    }));
  }

  function sameList(a, b) {
    return a.length === b.length && a.every((item, i) => item === b[i]);
  }

  function exportLinks(query, columns, defaults) {
    for (const id of ["cv-export-csv", "cv-export-xlsx"]) {
      const link = document.getElementById(id);
      if (!link) continue;
      const wanted = new URLSearchParams(query);
      if (!sameList(columns, defaults)) for (const column of columns) wanted.append("columns", column);
      link.href = `${link.pathname}${wanted.size ? "?" + wanted : ""}`;
    }
  }

  /* -- saved searches ----------------------------------------------------------------- */

  async function savedSearches(params, query) {
    const select = document.getElementById("cv-saved");
    const remove = document.getElementById("cv-saved-delete");
    const note = document.getElementById("cv-searches-status");
    const say = (text, isError) => { note.textContent = text; note.classList.toggle("cv-error", Boolean(isError)); };
    let searches = [];
    const fill = (chosen) => {
      select.replaceChildren(select.options[0]);
      for (const search of searches) select.append(cv.el("option", { value: String(search.id) }, search.name));
      select.value = chosen ? String(chosen) : "";
      remove.disabled = !select.value;
    };
    try {
      searches = (await cv.api("GET", "/api/saved-searches")).data;
    } catch (failure) {
      say(cv.t("error.generic", { error: failure.message }), true);
    }
    fill(params.get("search"));
    select.addEventListener("change", () => {
      const search = searches.find((s) => String(s.id) === select.value);
      remove.disabled = !search;
      if (!search) return;
      const target = pageQuery(search.filters);
      target.set("search", String(search.id));
      location.assign(`/calls?${target}`);
    });
    remove.addEventListener("click", async () => {
      const search = searches.find((s) => String(s.id) === select.value);
      if (!search) return;
      try {
        await cv.api("DELETE", `/api/saved-searches/${search.id}`);
        searches = searches.filter((s) => s !== search);
        fill(null);
        say(cv.t("journal_extras.deleted", { name: search.name }));
      } catch (failure) {
        say(cv.t("error.generic", { error: failure.message }), true);
      }
    });
    const form = document.getElementById("cv-save-search");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const filters = {};
      for (const name of new Set(query.keys())) {
        const values = query.getAll(name);
        filters[name] = values.length === 1 ? values[0] : values;
      }
      try {
        const saved = await cv.api("POST", "/api/saved-searches", { name: document.getElementById("cv-save-name").value.trim(), filters });
        searches = [...searches, saved].sort((a, b) => a.name.localeCompare(b.name));
        fill(saved.id);
        form.reset();
        say(cv.t("journal_extras.saved", { name: saved.name }));
      } catch (failure) {
        say(cv.t("error.generic", { error: failure.message }), true);
      }
    });
  }

  /* -- columns ------------------------------------------------------------------------ */

  /* The chooser is drawn when opened (its labels would otherwise stand beside the filters'). */
  function columnChooser(preferences, current, onSaved) {
    const panel = document.getElementById("cv-columns");
    const list = document.getElementById("cv-column-list");
    const note = document.getElementById("cv-columns-status");
    let order = [...current, ...preferences.columns_available.filter((c) => !current.includes(c))];
    let shown = new Set(current);
    const draw = () => {
      list.replaceChildren(...order.map((column, index) => {
        const id = `cv-col-${column}`;
        const box = cv.el("input", { type: "checkbox", id, dataset: { column } });
        box.checked = shown.has(column);
        box.addEventListener("change", () => { if (box.checked) shown.add(column); else shown.delete(column); });
        const move = (step, key) => {
          const button = cv.el("button", { type: "button", class: "secondary outline cv-compact",
            "aria-label": cv.t(key, { column: heading(column) }), title: cv.t(key, { column: heading(column) }) },
          step < 0 ? "↑" : "↓");
          button.disabled = index + step < 0 || index + step >= order.length;
          button.addEventListener("click", () => {
            [order[index], order[index + step]] = [order[index + step], order[index]];
            draw();
            list.querySelector(`[data-column="${column}"]`).focus();
          });
          return button;
        };
        return cv.el("li", {}, box, cv.el("label", { for: id, class: "cv-inline" }, heading(column)),
          move(-1, "journal_extras.move_up"), move(1, "journal_extras.move_down"));
      }));
    };
    panel.addEventListener("toggle", () => { if (panel.open && !list.children.length) draw(); });
    const save = async (columns) => {
      note.classList.remove("cv-error");
      try {
        const saved = await cv.api("PUT", "/api/preferences", columns ? { journal_columns: columns } : {});
        const now = saved.journal_columns || saved.default_columns;
        order = [...now, ...order.filter((c) => !now.includes(c))];
        shown = new Set(now);
        draw();
        onSaved(now);
        note.textContent = cv.t("journal_extras.columns_saved");
      } catch (failure) {
        note.textContent = cv.t("error.generic", { error: failure.message });
        note.classList.add("cv-error");
      }
    };
    document.getElementById("cv-columns-save").addEventListener("click", () => {
      const chosen = order.filter((c) => shown.has(c));
      if (!chosen.length) {
        note.textContent = cv.t("journal_extras.columns_none");
        note.classList.add("cv-error");
        return;
      }
      save(chosen);
    });
    document.getElementById("cv-columns-default").addEventListener("click", () => save(null));
  }

  /* -- new calls ---------------------------------------------------------------------- */

  function pollNewCalls(query, state) {
    const body = document.querySelector("#cv-calls tbody");
    const live = document.getElementById("cv-new-calls");
    let busy = false;
    const tick = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const asked = new URLSearchParams(query);
        asked.set("after_id", String(state.newest));
        asked.set("limit", String(PAGE_SIZE));
        asked.set("count", "none");
        const page = await cv.api("GET", `/api/calls?${asked}`);
        if (page.data.length) {
          for (const old of body.querySelectorAll("tr.cv-new")) old.classList.remove("cv-new");
          const rows = page.data.map((call) => {
            const added = row(call, state.columns);
            added.classList.add("cv-new");
            added.dataset.new = "true";
            return added;
          });
          body.querySelector("tr.cv-empty-row")?.remove();
          body.prepend(...rows);
          state.calls.unshift(...page.data);
          state.newest = Math.max(state.newest, ...page.data.map((call) => call.id));
          live.textContent = cv.t("journal_extras.new_calls", { count: cv.number(page.data.length) });
        }
      } catch (failure) {
        live.textContent = cv.t("error.generic", { error: failure.message });
      } finally {
        busy = false;
      }
    };
    setInterval(tick, POLL_MS);
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
    const searches = savedSearches(params, query);
    let preferences = { journal_columns: null, default_columns: FALLBACK_COLUMNS, columns_available: FALLBACK_COLUMNS };
    try {
      preferences = await cv.api("GET", "/api/preferences");
    } catch (failure) {
      cv.status(cv.t("error.generic", { error: failure.message }), true);
    }
    const state = { columns: preferences.journal_columns || preferences.default_columns, calls: [], newest: 0 };
    drawHead(state.columns);
    exportLinks(query, state.columns, preferences.default_columns);
    const body = document.querySelector("#cv-calls tbody");
    columnChooser(preferences, state.columns, (columns) => {
      state.columns = columns;
      drawHead(columns);
      body.replaceChildren(...state.calls.map((call) => row(call, columns)));
      exportLinks(query, columns, preferences.default_columns);
    });
    const pageNumber = Number(params.get("page") || "1");
    const listing = new URLSearchParams(query);
    listing.set("limit", String(PAGE_SIZE));
    const offset = Number(params.get("offset") || "0");
    if (params.get("cursor")) listing.set("cursor", params.get("cursor"));
    else if (offset) listing.set("offset", String(offset));
    try {
      const page = await cv.api("GET", `/api/calls?${listing}`);
      state.calls = page.data;
      state.newest = Math.max(0, ...page.data.map((call) => call.id));
      body.replaceChildren(...page.data.map((call) => row(call, state.columns)));
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
      /* New calls join the top of the first page of the newest-first list. */
      const newestFirst = (query.get("sort") || "started_at") === "started_at" && (query.get("order") || "desc") === "desc";
      if (newestFirst && !params.get("cursor") && !offset) pollNewCalls(query, state);
    } catch (failure) {
      cv.status(cv.t("error.generic", { error: failure.message }), true);
    }
    await searches;
    document.getElementById("cv-calls").dataset.loaded = "true";
  });
})();
