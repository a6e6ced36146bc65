/* The dashboard: KPI cards against the previous period, trend, weekday × hour heatmap,
   per-agent and per-team tables, channel/campaign ROI and staffing per hour, all from
   /api/analytics for the range and focus in the URL (so a link shares the view).

   The focus (one team, queue, agent, direction, channel or campaign) is passed to every
   request as the analytics API's filter (`team=…`), so every panel — cards, trend, heatmap,
   tables, ROI and staffing — covers only the focused calls (within the user's scope), and
   each panel's heading says so. */
"use strict";
(function () {
  const DAY_MS = 86400000;
  const QUICK = ["today", "yesterday", "7d", "30d", "90d"];
  const DEFAULT_QUICK = "7d";
  const DIMENSIONS = ["team", "queue", "agent", "direction", "channel", "campaign"];
  /* [KPI, unit, which way is better: 1 up, -1 down, 0 neither] */
  const CARDS = [
    ["calls", "count", 0], ["answered", "count", 1], ["missed_share", "share", -1],
    ["abandon_rate", "share", -1], ["service_level", "share", 1], ["asa_s", "seconds", -1],
    ["avg_handle_s", "seconds", 0], ["fcr_24h", "share", 1],
  ];
  const AGENT_COLUMNS = [
    ["calls", "count"], ["answered", "count"], ["avg_talk_s", "seconds"], ["avg_handle_s", "seconds"],
    ["transfer_rate", "share"], ["resolution_rate", "share"], ["csat_avg", "score"],
  ];
  const TEAM_COLUMNS = [
    ["calls", "count"], ["offered", "count"], ["answered", "count"], ["abandon_rate", "share"],
    ["service_level", "share"], ["asa_s", "seconds"], ["avg_handle_s", "seconds"],
  ];
  const ROI_COLUMNS = [
    ["calls", "count"], ["answered", "count"], ["conversions", "count"], ["conversion_rate", "share"],
    ["cost", "money"], ["cost_per_call", "money"], ["cost_per_conversion", "money"], ["roi", "share"],
  ];

  const t = (key, values) => cv.t(key, values);
  const percent = new Intl.NumberFormat(cv.lang, { style: "percent", maximumFractionDigits: 1 });
  const seconds = new Intl.NumberFormat(cv.lang, { style: "unit", unit: "second", unitDisplay: "narrow", maximumFractionDigits: 1 });
  const dayLabel = new Intl.DateTimeFormat(cv.lang, { month: "short", day: "numeric", timeZone: "UTC" });
  const hourLabel = new Intl.DateTimeFormat(cv.lang, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  const weekdayName = new Intl.DateTimeFormat(cv.lang, { weekday: "long", timeZone: "UTC" });
  /* 2024-01-01 was a Monday: the API's weekdays are Monday first. */
  const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6].map((i) => weekdayName.format(Date.UTC(2024, 0, 1 + i)));
  const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));

  function format(value, unit, currency) {
    if (value === null || value === undefined) return "—";
    if (unit === "share") return percent.format(value);
    if (unit === "seconds") return cv.duration(value * 1000);
    if (unit === "score") return cv.number(value, 2);
    if (unit === "money") {
      return currency && currency !== "mixed"
        ? new Intl.NumberFormat(cv.lang, { style: "currency", currency }).format(value)
        : cv.number(value, 2);
    }
    return cv.number(value);
  }

  /* --- the state in the URL ------------------------------------------------------------- */

  const isoDate = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const parseDate = (text) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!match) return null;
    const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return isoDate(date) === text ? date : null;
  };

  function quickRange(name) {
    const today = new Date();
    today.setHours(0, 0, 0, 0);
    const back = (days) => new Date(today.getFullYear(), today.getMonth(), today.getDate() - days);
    switch (name) {
      case "today": return [today, today];
      case "yesterday": return [back(1), back(1)];
      case "30d": return [back(29), today];
      case "90d": return [back(89), today];
      default: return [back(6), today];
    }
  }

  function readState() {
    const query = new URLSearchParams(location.search);
    let from = parseDate(query.get("from")), to = parseDate(query.get("to"));
    let quick = query.get("range");
    if (!from || !to || from > to) {
      if (!QUICK.includes(quick)) quick = DEFAULT_QUICK;
      [from, to] = quickRange(quick);
    } else {
      quick = null;
    }
    const dimension = DIMENSIONS.includes(query.get("dimension")) ? query.get("dimension") : "";
    const roi = query.get("roi") === "campaign" ? "campaign" : "channel";
    const weekday = Math.min(7, Math.max(1, Number(query.get("weekday")) || 1));
    return {
      from, to, quick, dimension, key: dimension ? query.get("key") || "" : "", roi, weekday,
      sort: { agents: query.get("sort_agents") || "calls-desc", teams: query.get("sort_teams") || "calls-desc", roi: query.get("sort_roi") || "calls-desc" },
    };
  }

  function writeState(state, push) {
    const query = new URLSearchParams();
    if (state.quick) query.set("range", state.quick);
    else { query.set("from", isoDate(state.from)); query.set("to", isoDate(state.to)); }
    if (state.dimension) { query.set("dimension", state.dimension); if (state.key) query.set("key", state.key); }
    if (state.roi !== "channel") query.set("roi", state.roi);
    if (state.weekday !== 1) query.set("weekday", String(state.weekday));
    for (const [table, sort] of Object.entries(state.sort)) {
      if (sort !== "calls-desc") query.set(`sort_${table}`, sort);
    }
    const url = `/dashboard?${query}`;
    if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
  }

  /* [since, until) of the state's local days, and the period of equal length before it. */
  function periods(state) {
    const since = new Date(state.from);
    const until = new Date(state.to.getFullYear(), state.to.getMonth(), state.to.getDate() + 1);
    const previous = new Date(since.getTime() - (until - since));
    return { since, until, previousSince: previous, days: Math.round((until - since) / DAY_MS) };
  }

  const range = (since, until) => `since=${encodeURIComponent(since.toISOString())}&until=${encodeURIComponent(until.toISOString())}`;
  /* The focus as the API's filter ("" without one). */
  const focusFilter = (state) => (state.dimension && state.key ? `&${state.dimension}=${encodeURIComponent(state.key)}` : "");

  /* --- panels ------------------------------------------------------------------------- */

  function delta(now, before, unit, better) {
    if (now === null || now === undefined || before === null || before === undefined) {
      return { text: t("dashboard.no_previous"), tone: "" };
    }
    const change = now - before;
    let text;
    if (unit === "share") text = t("dashboard.points", { value: cv.number(change * 100, 1) });
    else if (unit === "seconds") text = `${change < 0 ? "-" : "+"}${Math.abs(change) < 1 ? seconds.format(Math.abs(change)) : cv.duration(Math.abs(change) * 1000)}`;
    else if (before) text = percent.format(change / before);
    else text = `+${cv.number(change)}`;
    if (change > 0 && !text.startsWith("+")) text = `+${text}`;
    const arrow = change > 0 ? "▲" : change < 0 ? "▼" : "＝";
    const tone = !better || !change ? "" : change * better > 0 ? "cv-better" : "cv-worse";
    return { text: `${arrow} ${text}`, tone };
  }

  function drawCards(now, before, state, labels) {
    const box = document.getElementById("dash-kpis");
    box.replaceChildren();
    const text = state.dimension
      ? t("dashboard.scope_focus", { dimension: t(`dashboard.dim_${state.dimension}`), value: labels[state.key] || state.key || "—" })
      : "";
    for (const node of document.querySelectorAll("small[data-focus]")) node.textContent = text;
    if (!now || !now.calls) {
      box.append(cv.el("p", { class: "cv-empty" }, t("dashboard.empty_kpis")));
      box.dataset.empty = "";
      return;
    }
    delete box.dataset.empty;
    for (const [name, unit, better] of CARDS) {
      const change = delta(now[name], before ? before[name] : null, unit, better);
      box.append(cv.el("article", { class: "cv-kpi", dataset: { kpi: name, value: now[name] === null ? "" : String(now[name]) } },
        cv.el("h3", {}, t(`dashboard.kpi_${name}`)),
        cv.el("p", { class: "cv-kpi-value" }, format(now[name], unit)),
        cv.el("p", { class: `cv-kpi-delta ${change.tone}`, title: t("dashboard.previous_was", { value: format(before ? before[name] : null, unit) }) },
          change.text, " ", cv.el("small", {}, t("dashboard.vs_previous")))));
    }
  }

  function drawTrend(found, state) {
    const box = document.getElementById("dash-trend");
    const names = { offered: t("dashboard.kpi_offered"), answered: t("dashboard.kpi_answered"), abandoned: t("dashboard.kpi_abandoned") };
    let labels, values;
    if (found.intervals) {
      const data = found.intervals.data;
      labels = data.map((i) => hourLabel.format(new Date(i.start * 1000)));
      values = { offered: data.map((i) => i.offered), answered: data.map((i) => i.answered), abandoned: data.map((i) => i.abandoned) };
    } else {
      const byDate = new Map(found.byDate.rows.map((r) => [r.key, r.values]));
      const keys = new Set(byDate.keys());
      for (let d = new Date(state.from); d <= state.to; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) keys.add(isoDate(d));
      const sorted = [...keys].sort();
      labels = sorted.map((k) => dayLabel.format(new Date(`${k}T00:00:00Z`)));
      values = Object.fromEntries(Object.keys(names).map((n) => [n, sorted.map((k) => (byDate.has(k) ? byDate.get(k)[n] || 0 : 0))]));
    }
    const total = values.offered.reduce((a, b) => a + b, 0);
    cvCharts.xy(box, {
      title: t(found.intervals ? "dashboard.trend_hourly" : "dashboard.trend_daily"),
      summary: t("dashboard.trend_summary", { offered: cv.number(total), answered: cv.number(values.answered.reduce((a, b) => a + b, 0)), periods: cv.number(labels.length) }),
      empty: t("dashboard.empty_chart"), labels, labelHeading: t(found.intervals ? "dashboard.hour" : "dashboard.date"),
      series: Object.entries(names).map(([n, name]) => ({ name, values: values[n], kind: "line" })),
      tableCaption: t("dashboard.show_table"),
    });
    box.dataset.points = String(labels.length);
  }

  function drawHeatmap(found) {
    const offered = found.offered;
    let peak = { v: 0, r: 0, c: 0 };
    offered.forEach((row, r) => row.forEach((v, c) => { if (v > peak.v) peak = { v, r, c }; }));
    cvCharts.heatmap(document.getElementById("dash-heatmap"), {
      title: t("dashboard.heatmap"), rows: WEEKDAYS, columns: HOURS, values: offered,
      summary: t("dashboard.heatmap_summary", { total: cv.number(offered.flat().reduce((a, b) => a + b, 0)), day: WEEKDAYS[peak.r], hour: HOURS[peak.c], calls: cv.number(peak.v) }),
      empty: t("dashboard.empty_chart"), tableCaption: t("dashboard.show_table"),
      cellTitle: (day, hour, v) => t("dashboard.heat_cell", { day, hour, calls: cv.number(v) }),
    });
  }

  /* A table sortable by any column: header buttons, aria-sort, the order kept in the URL. */
  function drawTable(id, rows, columns, state, sortName, options) {
    const table = document.getElementById(id);
    const [sortKey, direction] = state.sort[sortName].split("-");
    const value = (row, key) => (key === "label" ? row.label : row.values[key]);
    const sorted = [...rows].sort((a, b) => {
      const x = value(a, sortKey), y = value(b, sortKey);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const order = typeof x === "string" ? x.localeCompare(y, cv.lang) : x - y;
      return direction === "asc" ? order : -order;
    });
    const header = [["label", options.labelHeading, "text"], ...columns.map(([key, unit]) => [key, t(`dashboard.col_${key}`), unit])];
    const head = cv.el("tr", {}, ...header.map(([key, text, unit]) => {
      const active = key === sortKey;
      const button = cv.el("button", { type: "button", class: "cv-sort", dataset: { sort: key } }, text, active ? (direction === "asc" ? " ▲" : " ▼") : "");
      button.addEventListener("click", () => {
        state.sort[sortName] = `${key}-${active && direction === "desc" ? "asc" : "desc"}`;
        writeState(state, false);
        drawTable(id, rows, columns, state, sortName, options);
      });
      return cv.el("th", { scope: "col", class: unit === "text" ? null : "cv-num", "aria-sort": active ? (direction === "asc" ? "ascending" : "descending") : null }, button);
    }));
    const body = cv.el("tbody", {}, ...sorted.map((row) => cv.el("tr", { dataset: { key: row.key }, class: options.focus === row.key ? "cv-focus" : null },
      cv.el("th", { scope: "row" }, row.key === "(none)" ? t("dashboard.none") : row.label),
      ...columns.map(([key, unit]) => cv.el("td", { class: "cv-num" }, format(row.values[key], unit, row.values.currency))))));
    if (!rows.length) body.append(cv.el("tr", {}, cv.el("td", { colspan: header.length, class: "cv-empty" }, t("dashboard.empty_table"))));
    table.replaceChildren(cv.el("thead", {}, head), body);
    table.dataset.rows = String(rows.length);
  }

  function drawRoi(found, state) {
    const rows = found.data.map((r) => ({ key: r.key, label: r.key, values: r }));
    const focus = state.dimension === state.roi ? state.key : null;
    drawTable("dash-roi", rows, ROI_COLUMNS, state, "roi", { labelHeading: t(`dashboard.dim_${state.roi}`), focus });
    const shown = rows.filter((r) => r.key !== "(none)");
    cvCharts.xy(document.getElementById("dash-roi-chart"), {
      title: t("dashboard.roi_chart", { by: t(`dashboard.dim_${state.roi}`) }),
      summary: t("dashboard.roi_summary", { groups: cv.number(shown.length), conversions: cv.number(shown.reduce((a, r) => a + r.values.conversions, 0)) }),
      empty: t("dashboard.empty_roi"), labels: shown.map((r) => r.label), labelHeading: t(`dashboard.dim_${state.roi}`),
      series: [
        { name: t("dashboard.col_calls"), values: shown.map((r) => r.values.calls) },
        { name: t("dashboard.col_answered"), values: shown.map((r) => r.values.answered) },
        { name: t("dashboard.col_conversions"), values: shown.map((r) => r.values.conversions) },
      ],
      tableCaption: t("dashboard.show_table"),
    });
  }

  function drawStaffing(found, state) {
    const day = found.data.filter((p) => p.weekday === state.weekday).sort((a, b) => a.hour - b.hour);
    const byHour = HOURS.map((_, h) => day.find((p) => p.hour === h) || null);
    const load = byHour.map((p) => (p && p.aht_s ? (p.calls_per_week * p.aht_s) / 3600 : 0));
    cvCharts.xy(document.getElementById("dash-staffing"), {
      title: t("dashboard.staffing_chart", { day: WEEKDAYS[state.weekday - 1] }),
      summary: t("dashboard.staffing_summary", { day: WEEKDAYS[state.weekday - 1], peak: cv.number(Math.max(0, ...byHour.map((p) => (p ? p.agents : 0)))) }),
      empty: t("dashboard.empty_staffing"), labels: HOURS, labelHeading: t("dashboard.hour"),
      series: [
        { name: t("dashboard.agents_needed"), values: byHour.map((p) => (p ? p.agents : 0)) },
        { name: t("dashboard.observed_load"), values: load, kind: "line", format: (v) => cv.number(v, 1) },
      ],
      tableCaption: t("dashboard.show_table"),
    });
  }

  /* --- loading ------------------------------------------------------------------------ */

  let generation = 0;

  async function options(dimension, p, chosen) {
    const select = document.getElementById("dash-key");
    select.replaceChildren(cv.el("option", { value: "" }, t("dashboard.focus_pick")));
    select.disabled = !dimension;
    if (!dimension) return {};
    const report = await cv.api("GET", `/api/analytics/kpis?by=${dimension}&kpi=calls&${range(p.since, p.until)}`);
    const labels = {};
    for (const row of report.rows) {
      labels[row.key] = row.key === "(none)" ? t("dashboard.none") : row.label;
      select.append(cv.el("option", { value: row.key, selected: row.key === chosen }, `${labels[row.key]} (${cv.number(row.values.calls)})`));
    }
    if (chosen && !(chosen in labels)) {
      select.append(cv.el("option", { value: chosen, selected: true }, chosen));
    }
    return labels;
  }

  async function load(state) {
    const mine = ++generation;
    const main = document.getElementById("dash");
    main.removeAttribute("data-loaded");
    main.setAttribute("aria-busy", "true");
    cv.status(t("loading"));
    const p = periods(state);
    const focus = focusFilter(state);
    const now = range(p.since, p.until) + focus;
    main.dataset.since = p.since.toISOString();
    main.dataset.until = p.until.toISOString();
    main.dataset.filter = focus;
    const get = (path) => cv.api("GET", path);
    try {
      const [current, previous, heat, trend, agents, teams, roi, staffing, labels] = await Promise.all([
        get(`/api/analytics/kpis?${now}`),
        get(`/api/analytics/kpis?${range(p.previousSince, p.since)}${focus}`),
        get(`/api/analytics/heatmap?${now}`),
        p.days <= 2 /* hourly (the API's default interval) */
          ? get(`/api/analytics/intervals?${now}`).then((intervals) => ({ intervals }))
          : get(`/api/analytics/kpis?by=date&kpi=offered&kpi=answered&kpi=abandoned&${now}`).then((byDate) => ({ byDate })),
        get(`/api/analytics/kpis?by=agent&${now}`),
        get(`/api/analytics/kpis?by=team&${now}`),
        get(`/api/analytics/marketing?by=${state.roi}&${now}`),
        get(`/api/analytics/staffing?${now}`),
        options(state.dimension, p, state.key),
      ]);
      if (mine !== generation) return;
      drawCards(current.total, previous.total, state, labels);
      drawTrend(trend, state);
      drawHeatmap(heat);
      drawTable("dash-agents", agents.rows, AGENT_COLUMNS, state, "agents",
        { labelHeading: t("dashboard.dim_agent"), focus: state.dimension === "agent" ? state.key : null });
      drawTable("dash-teams", teams.rows, TEAM_COLUMNS, state, "teams",
        { labelHeading: t("dashboard.dim_team"), focus: state.dimension === "team" ? state.key : null });
      drawRoi(roi, state);
      drawStaffing(staffing, state);
      const total = current.total.calls || 0;
      cv.status(t("dashboard.loaded", { calls: cv.number(total), from: dayLabel.format(Date.UTC(state.from.getFullYear(), state.from.getMonth(), state.from.getDate())), to: dayLabel.format(Date.UTC(state.to.getFullYear(), state.to.getMonth(), state.to.getDate())) }));
    } catch (failure) {
      if (mine !== generation) return;
      cv.status(t("error.generic", { error: failure.message }), true);
    }
    main.setAttribute("aria-busy", "false");
    main.dataset.loaded = "true";
  }

  /* --- the form ----------------------------------------------------------------------- */

  function show(state) {
    document.getElementById("dash-from").value = isoDate(state.from);
    document.getElementById("dash-to").value = isoDate(state.to);
    document.getElementById("dash-dimension").value = state.dimension;
    document.getElementById("dash-roi-by").value = state.roi;
    document.getElementById("dash-weekday").value = String(state.weekday);
    for (const button of document.querySelectorAll("[data-quick]")) {
      button.setAttribute("aria-pressed", String(button.dataset.quick === state.quick));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    let state = readState();
    const weekday = document.getElementById("dash-weekday");
    WEEKDAYS.forEach((name, i) => weekday.append(cv.el("option", { value: String(i + 1) }, name)));
    const form = document.getElementById("dash-filters");
    const apply = (change, push = true) => {
      state = { ...state, ...change };
      writeState(state, push);
      show(state);
      load(state);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const from = parseDate(form.elements.from.value), to = parseDate(form.elements.to.value);
      if (!from || !to || from > to) {
        cv.status(t("dashboard.bad_range"), true);
        return;
      }
      /* a dimension without a choice is no focus */
      const key = form.elements.key.value;
      apply({ from, to, quick: null, dimension: key ? form.elements.dimension.value : "", key });
    });
    for (const button of document.querySelectorAll("[data-quick]")) {
      button.addEventListener("click", () => {
        const [from, to] = quickRange(button.dataset.quick);
        apply({ from, to, quick: button.dataset.quick });
      });
    }
    form.elements.dimension.addEventListener("change", () => {
      options(form.elements.dimension.value, periods(state), "").catch((failure) => cv.status(t("error.generic", { error: failure.message }), true));
    });
    document.getElementById("dash-roi-by").addEventListener("change", (event) => apply({ roi: event.target.value }, false));
    weekday.addEventListener("change", () => apply({ weekday: Number(weekday.value) }, false));
    window.addEventListener("popstate", () => { state = readState(); show(state); load(state); });
    show(state);
    writeState(state, false);
    load(state);
  });
})();
