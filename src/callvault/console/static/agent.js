/* The agent view: when a call of the agent's starts (or is in progress when the page opens),
   a card pops up with the client's name and number, the call's duration and recording
   state (pause while a card number is read), the client's earlier calls with their
   outcomes and comments (GET /api/clients/{number}/calls) and a link to the call's page.
   The events come from live.js (cv.live), already scoped to the user by the server. */
"use strict";
(function () {
  const HISTORY = 5;

  function cardOf(id) {
    return document.querySelector(`.cv-card[data-call-id="${CSS.escape(id)}"]`);
  }

  async function history(number, uid, list) {
    try {
      const page = await cv.api("GET", `/api/clients/${encodeURIComponent(number)}/calls?limit=${HISTORY + 1}&count=none`);
      const earlier = page.data.filter((call) => call.uid !== uid).slice(0, HISTORY);
      if (!earlier.length) {
        list.replaceWith(cv.el("p", { class: "cv-empty cv-history" }, cv.t("live.first_call")));
        return;
      }
      list.replaceChildren(...earlier.map((call) => cv.el("li", { dataset: { uid: call.uid } },
        cv.el("a", { href: `/calls/${call.id}` }, cv.dateTime(call.started_at)),
        " · ", cv.t(`status.${call.status}`),
        " · ", cv.duration(call.talk_ms),
        call.outcome ? cv.el("strong", { class: "cv-outcome" }, ` · ${call.outcome}`) : null,
        call.comment ? cv.el("q", { class: "cv-comment" }, call.comment) : null)));
    } catch (failure) {
      list.replaceWith(cv.el("p", { class: "cv-error cv-history" }, cv.t("error.generic", { error: failure.message })));
    }
  }

  function pop(call) {
    const them = cv.live.client(call);
    const heading = cv.el("h2", { class: "cv-card-party" }, them.name || them.number || cv.t("live.unknown_party"));
    const list = cv.el("ol", { class: "cv-history", "aria-label": cv.t("live.earlier") },
      cv.el("li", { class: "cv-note" }, cv.t("loading")));
    const close = cv.el("button", { type: "button", class: "secondary outline cv-compact cv-card-close", "aria-label": cv.t("live.dismiss") }, "×");
    const card = cv.el("article", { class: "cv-card cv-card-new", dataset: { callId: call.call_id }, role: "region", "aria-label": cv.t("live.card_label") },
      cv.el("header", {},
        heading,
        them.name && them.number ? cv.el("p", { class: "cv-card-number" }, them.number) : null,
        cv.el("p", { class: "cv-note cv-card-direction" },
          cv.t(call.direction === "outbound" ? "live.outgoing" : "live.incoming"), " · ",
          cv.el("span", { class: "cv-ticking cv-card-duration", dataset: { started: String(call.started_at) } }, cv.live.elapsed(call))),
        close),
      cv.el("div", { class: "cv-card-recording" }, cv.live.recording(call)),
      cv.el("h3", {}, cv.t("live.earlier")),
      list,
      cv.el("footer", {}, cv.el("a", { class: "cv-card-link", href: `/calls/${encodeURIComponent(call.call_id)}` }, cv.t("live.open_call"))));
    close.addEventListener("click", () => { card.remove(); say(); });
    document.getElementById("cv-cards").prepend(card);
    setTimeout(() => card.classList.remove("cv-card-new"), 1500);
    if (them.number) history(them.number, call.call_id, list);
    else list.replaceWith(cv.el("p", { class: "cv-empty cv-history" }, cv.t("live.no_number")));
  }

  function over(id, finished) {
    const card = cardOf(id);
    if (!card) return;
    /* Saved already: its end (the board row removed after the save) changes nothing. */
    if (!finished && card.dataset.over === "finished") return;
    card.dataset.over = finished ? "finished" : "ended";
    const duration = card.querySelector(".cv-card-duration");
    duration.classList.remove("cv-ticking");
    card.querySelector(".cv-card-recording").replaceChildren(
      cv.el("span", { class: "cv-note" }, cv.t(finished ? "live.finished" : "live.ended")));
    if (finished) card.querySelector(".cv-card-link").href = `/calls/${finished.id}`;
  }

  /* "Waiting" while no card shows a call in progress, else how many there are. */
  function say() {
    const current = document.querySelectorAll(".cv-card:not([data-over])").length;
    cv.status(current ? cv.t("live.on_calls", { count: cv.number(current) }) : cv.t("live.waiting"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    cv.live.on((name, data) => {
      if (name === "open") say();
      else if (name === "error") cv.status(cv.t("live.reconnecting"), true);
      else if (name === "call.started" && !cardOf(data.call_id)) pop(data);
      else if (name === "call.started" || name === "call.updated") {
        const box = cardOf(data.call_id)?.querySelector(".cv-card-recording");
        if (box) box.replaceChildren(cv.live.recording(data));
      } else if (name === "call.ended") over(data.call_id, null);
      else if (name === "call.finished") over(data.uid, data);
      if (name !== "error") say();
    });
  });
})();
