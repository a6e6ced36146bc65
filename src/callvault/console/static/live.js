/* Calls in progress. One EventSource on /api/events per page (server-sent events, scoped to
   the user by the server), shared by the page's scripts through cv.live.on(handler); the
   recording state and its controls (pause/resume/stop/start) as one element any page can
   show; and, on the journal page, the "in progress" section above the list: durations
   ticking, recording state, controls for those who may. A finished call is announced to
   the page as a "cv:call-finished" event (detail: the call as GET /api/calls/{id} gives it),
   so the list can show it at once. */
"use strict";
(function () {
  const EVENTS = ["call.started", "call.updated", "call.ended", "call.finished"];
  const CLEAR_AFTER_MS = 60000;
  const handlers = [];
  const calls = new Map(); /* call_id → the live call as the board last said */
  let canControl = false;

  function on(handler) { handlers.push(handler); }

  function emit(name, data) {
    for (const handler of handlers) {
      try { handler(name, data); } catch (failure) { console.error(failure); }
    }
  }

  /* Whole seconds since the call started, as m:ss or h:mm:ss. */
  function elapsed(call) {
    return cv.clock(Date.now() / 1000 - call.started_at);
  }

  /* The party on the far side: the caller of an inbound call, the callee of an outbound one
     (for other calls, whoever is not the extension). */
  function client(call) {
    const caller = { number: call.caller_number, name: call.caller_display_name };
    const callee = { number: call.callee_number, name: call.callee_display_name };
    if (call.direction === "outbound") return callee;
    if (call.direction === "inbound") return caller;
    return call.extension && call.extension === call.caller_number ? callee : caller;
  }

  function party(number, name) {
    if (name && number) return `${name} (${number})`;
    return name || number || cv.t("live.unknown_party");
  }

  const BUTTONS = {
    recording: ["pause", "stop"],
    paused: ["resume", "stop"],
    stopped: ["start"],
    "not recorded": ["start"],
  };

  /* The recording state of a call and, for users who may, the buttons that change it. A
     request still pending shows as such until the recorder applies it. */
  function recording(call) {
    const state = cv.el("span", {
      class: `cv-rec cv-rec-${call.recording.replace(" ", "-")}`,
      dataset: { state: call.recording },
    }, cv.t(`live.state_${call.recording.replace(" ", "_")}`));
    const box = cv.el("span", { class: "cv-rec-box" }, state);
    if (call.requested) {
      box.append(cv.el("small", { class: "cv-note cv-rec-pending" },
        cv.t("live.pending", { action: cv.t(`live.action_${call.requested}`), user: call.requested_by || "" })));
    }
    if (!canControl) return box;
    const note = cv.el("small", { class: "cv-error", role: "alert" });
    for (const action of BUTTONS[call.recording] || []) {
      const button = cv.el("button", {
        type: "button",
        class: action === "stop" ? "secondary outline cv-compact" : "cv-compact",
        dataset: { action },
        disabled: Boolean(call.requested),
      }, cv.t(`live.action_${action}`));
      button.addEventListener("click", async () => {
        for (const other of box.querySelectorAll("button")) other.disabled = true;
        try {
          const asked = await cv.api("POST", `/api/live/calls/${encodeURIComponent(call.call_id)}/recording`, { action });
          const now = { ...call, requested: asked.action, requested_by: asked.by };
          calls.set(call.call_id, now);
          emit("call.updated", now);
        } catch (failure) {
          note.textContent = failure.message;
          for (const other of box.querySelectorAll("button")) other.disabled = false;
        }
      });
      box.append(button);
    }
    box.append(note);
    return box;
  }

  function track(name, data) {
    if (name === "call.started" || name === "call.updated") calls.set(data.call_id, data);
    else if (name === "call.ended") calls.delete(data.call_id);
    else if (name === "call.finished") {
      calls.delete(data.uid);
      document.dispatchEvent(new CustomEvent("cv:call-finished", { detail: data }));
    }
  }

  /* The board now (and whether this user controls recording), then the stream, which
     starts with every call in progress again: handlers see call.started for a call they
     know, and treat it as an update. */
  async function start() {
    const listed = await cv.api("GET", "/api/live/calls");
    canControl = Boolean(listed.can_control);
    for (const call of listed.data) { track("call.started", call); emit("call.started", call); }
    const source = new EventSource("/api/events");
    for (const name of EVENTS) {
      source.addEventListener(name, (event) => {
        const data = JSON.parse(event.data);
        track(name, data);
        emit(name, data);
      });
    }
    source.addEventListener("open", () => emit("open", null));
    source.addEventListener("error", () => emit("error", null));
  }

  /* -- the journal's "in progress" section ------------------------------------------- */

  function journalSection() {
    const heading = document.querySelector("main h1");
    const count = cv.el("span", { class: "cv-note", id: "cv-live-count" });
    const body = cv.el("tbody");
    const section = cv.el("section", { id: "cv-live", class: "cv-live", hidden: true, "aria-labelledby": "cv-live-title" },
      cv.el("h2", { id: "cv-live-title" }, cv.t("live.title"), " ", count),
      cv.el("div", { class: "overflow-auto" },
        cv.el("table", { class: "striped cv-live-table" },
          cv.el("thead", {}, cv.el("tr", {},
            ...["live.col_started", "live.col_duration", "live.col_caller", "live.col_callee",
              "live.col_recording"].map((key) => cv.el("th", { scope: "col" }, cv.t(key))))),
          body)));
    heading.after(section);

    const rowOf = (id) => body.querySelector(`tr[data-call-id="${CSS.escape(id)}"]`);
    const refresh = () => {
      const current = body.querySelectorAll("tr:not([data-over])").length;
      count.textContent = cv.t("live.count", { count: cv.number(current) });
      section.hidden = body.rows.length === 0;
    };
    const draw = (call) => {
      const row = cv.el("tr", { dataset: { callId: call.call_id } },
        cv.el("td", {}, cv.dateTime(new Date(call.started_at * 1000).toISOString())),
        cv.el("td", { class: "cv-num cv-ticking", dataset: { started: String(call.started_at) } }, elapsed(call)),
        cv.el("td", {}, party(call.caller_number, call.caller_display_name)),
        cv.el("td", {}, party(call.callee_number, call.callee_display_name)),
        cv.el("td", { class: "cv-live-recording" }, recording(call)));
      const old = rowOf(call.call_id);
      if (old) old.replaceWith(row); else body.append(row);
    };
    const over = (id, finished) => {
      const row = rowOf(id);
      if (!row) return;
      /* Saved already: its end (the board row removed after the save) changes nothing. */
      if (!finished && row.dataset.over === "finished") return;
      row.dataset.over = finished ? "finished" : "ended";
      const ticking = row.querySelector(".cv-ticking");
      if (ticking) ticking.classList.remove("cv-ticking");
      const cell = row.querySelector(".cv-live-recording");
      cell.replaceChildren(finished
        ? cv.el("a", { href: `/calls/${finished.id}` }, cv.t("live.finished"))
        : cv.el("span", { class: "cv-note" }, cv.t("live.ended")));
      setTimeout(() => { row.remove(); refresh(); }, CLEAR_AFTER_MS);
    };
    on((name, data) => {
      if (name === "call.started" || name === "call.updated") draw(data);
      else if (name === "call.ended") over(data.call_id, null);
      else if (name === "call.finished") over(data.uid, data);
      refresh();
    });
  }

  setInterval(() => {
    for (const cell of document.querySelectorAll(".cv-ticking")) {
      cell.textContent = cv.clock(Date.now() / 1000 - Number(cell.dataset.started));
    }
  }, 1000);

  document.addEventListener("DOMContentLoaded", () => {
    if (document.body.dataset.page === "journal") journalSection();
    /* After the page's own DOMContentLoaded handlers have subscribed. */
    setTimeout(() => start().catch((failure) => cv.status(cv.t("error.generic", { error: failure.message }), true)), 0);
  });

  cv.live = { on, recording, client, party, elapsed, calls };
})();
