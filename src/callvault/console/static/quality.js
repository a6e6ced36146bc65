/* Quality review on a call's page (docs/quality.md): the call's moment comments, listed and
   drawn as markers on the player (a click seeks there); "comment at this moment" at the
   player's current time; scoring the call against a scorecard while listening — every
   answer saved to the draft at once, the score shown as the server computes it — and
   submitting; adding the call to a training playlist. */
"use strict";
(function () {
  const MARKER_COLOR = "rgba(245, 158, 11, 0.35)";
  let section, callId, player = null, draft = null, scorecard = null;

  const status = (text, isError) => {
    const node = document.getElementById("cv-review-status");
    node.textContent = text;
    node.classList.toggle("cv-error", Boolean(isError));
  };
  const failed = (failure) => status(cv.t("error.generic", { error: failure.message }), true);
  const percent = (value) => (value === null || value === undefined ? "—" : `${cv.number(value, 2)} %`);

  /* -- moment comments ------------------------------------------------------------------ */

  let comments = [];
  const markers = [];

  function drawMarkers() {
    if (!player) return;
    for (const region of markers.splice(0)) region.remove();
    for (const comment of comments) {
      const label = cv.el("span", { class: "cv-moment-marker", title: `${comment.author}: ${comment.text}` }, "✎");
      const region = player.regions.addRegion({
        start: comment.offset_s, content: label, color: MARKER_COLOR, drag: false, resize: false,
        id: `cv-moment-${comment.id}`,
      });
      markers.push(region);
    }
    document.getElementById("cv-moments").dataset.markers = String(markers.length);
  }

  function showComments() {
    const list = document.getElementById("cv-moments");
    list.replaceChildren();
    if (!comments.length) list.append(cv.el("li", { class: "cv-muted" }, cv.t("quality.no_moments")));
    for (const comment of comments) {
      const at = cv.el("button", {
        type: "button", class: "secondary outline cv-compact cv-moment-at",
        dataset: { offset: String(comment.offset_s) }, "aria-label": cv.t("quality.seek_to", { at: cv.clock(comment.offset_s) }),
      }, cv.clock(comment.offset_s));
      at.addEventListener("click", () => player && player.seek(comment.offset_s));
      list.append(cv.el("li", { dataset: { commentId: String(comment.id) } }, at, " ",
        cv.el("strong", {}, comment.author), ": ", comment.text));
    }
    drawMarkers();
  }

  async function loadComments() {
    comments = (await cv.api("GET", `/api/quality/calls/${callId}/comments`)).data;
    showComments();
  }

  function commenting() {
    const form = document.getElementById("cv-moment-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = document.getElementById("cv-moment-text");
      const offset = player ? player.time() : 0;
      try {
        await cv.api("POST", `/api/quality/calls/${callId}/comments`, {
          offset_s: Math.round(offset * 1000) / 1000, text: text.value,
          evaluation_id: draft ? draft.id : null,
        });
        text.value = "";
        status(cv.t("quality.moment_saved", { at: cv.clock(offset) }));
        await loadComments();
      } catch (failure) { failed(failure); }
    });
  }

  /* -- scoring -------------------------------------------------------------------------- */

  function answerOf(questionId) {
    return draft && draft.answers.find((a) => a.question_id === questionId);
  }

  function choice(question, value, label) {
    const id = `cv-q${question.id}-${value}`;
    const input = cv.el("input", { type: "radio", id, name: `q${question.id}`, value, dataset: { question: String(question.id) } });
    const given = answerOf(question.id);
    if (given && ((value === "na" && given.na) || (!given.na && String(given.value) === value))) input.checked = true;
    input.addEventListener("change", () => save([{ question_id: question.id, value: value === "na" ? null : Number(value), na: value === "na" }]));
    return cv.el("label", { for: id, class: "cv-choice" }, input, label);
  }

  function questionRow(question) {
    const choices = [];
    if (question.kind === "yes_no") {
      choices.push(choice(question, "1", cv.t("yes")), choice(question, "0", cv.t("no")));
    } else {
      for (let points = 0; points <= question.scale_max; points += 1) choices.push(choice(question, String(points), String(points)));
    }
    if (question.allow_na) choices.push(choice(question, "na", cv.t("quality.na")));
    const notes = [cv.t("quality.weight", { weight: cv.number(question.weight) })];
    if (question.critical) notes.push(cv.t("quality.critical"));
    return cv.el("fieldset", { class: "cv-question", dataset: { question: String(question.id) } },
      cv.el("legend", {}, question.text, " ", cv.el("small", {}, `(${notes.join(", ")})`)), ...choices);
  }

  function showEvaluation() {
    const form = document.getElementById("cv-evaluation");
    const box = document.getElementById("cv-questions");
    box.replaceChildren();
    for (const part of scorecard.sections) {
      box.append(cv.el("h4", {}, part.title, " ", cv.el("small", {}, cv.t("quality.weight", { weight: cv.number(part.weight) }))),
        ...part.questions.map(questionRow));
    }
    document.getElementById("cv-evaluation-comment").value = draft.comment || "";
    showScore();
    form.hidden = false;
    form.dataset.evaluation = String(draft.id);
  }

  function showScore() {
    const output = document.getElementById("cv-evaluation-score");
    output.textContent = percent(draft.score);
    output.dataset.score = draft.score === null ? "" : String(draft.score);
  }

  /* Saves go one after another, in the order made: a comment's change (on leaving the
     field) is saved before the submit that clicking "Submit" starts. */
  let saving = Promise.resolve();
  function save(answers, submit) {
    saving = saving.then(() => send(answers, submit));
    return saving;
  }

  async function send(answers, submit) {
    if (!draft) return;
    const url = `/api/quality/evaluations/${draft.id}${submit ? "/submit" : ""}`;
    const body = { answers, comment: document.getElementById("cv-evaluation-comment").value };
    try {
      draft = (await cv.api(submit ? "POST" : "PATCH", url, body)).data;
      showScore();
      if (submit) {
        document.getElementById("cv-evaluation").hidden = true;
        status(cv.t("quality.submitted", { score: percent(draft.score) }));
        draft = null;
        await loadEvaluations();
      } else {
        status(cv.t("quality.saved"));
        const cell = document.querySelector(`#cv-call-evaluations tr[data-evaluation="${draft.id}"] .cv-score`);
        if (cell) cell.textContent = percent(draft.score);
      }
    } catch (failure) { failed(failure); }
  }

  async function open(evaluation) {
    draft = evaluation;
    scorecard = (await cv.api("GET", `/api/quality/scorecards/${evaluation.scorecard.id}?version=${evaluation.scorecard.version}`)).data;
    showEvaluation();
  }

  function scoring(cards) {
    const select = document.getElementById("cv-scorecard");
    if (!select) return;
    for (const card of cards) select.append(cv.el("option", { value: String(card.id) }, `${card.name} (v${card.version})`));
    const start = document.getElementById("cv-evaluate");
    start.disabled = !cards.length;
    start.addEventListener("click", async () => {
      try {
        const made = (await cv.api("POST", "/api/quality/evaluations", { call: String(callId), scorecard_id: Number(select.value) })).data;
        await open(made);
        await loadEvaluations();
      } catch (failure) { failed(failure); }
    });
    document.getElementById("cv-evaluation").addEventListener("submit", (event) => {
      event.preventDefault();
      save([], true);
    });
    document.getElementById("cv-evaluation-comment").addEventListener("change", () => save([]));
  }

  async function loadEvaluations() {
    const body = document.querySelector("#cv-call-evaluations tbody");
    const found = (await cv.api("GET", `/api/quality/evaluations?call=${callId}`)).data;
    body.replaceChildren();
    if (!found.length) body.append(cv.el("tr", {}, cv.el("td", { colspan: "5" }, cv.t("quality.no_evaluations"))));
    for (const e of found) {
      const state = cv.el("td", {}, cv.t(`quality.status_${e.status}`));
      const mine = e.status === "draft" && e.evaluator === section.dataset.user && section.dataset.score === "true";
      if (mine) {
        const resume = cv.el("button", { type: "button", class: "secondary outline cv-compact" }, cv.t("quality.resume"));
        resume.addEventListener("click", () => open(e).catch(failed));
        state.append(" ", resume);
      }
      body.append(cv.el("tr", { dataset: { evaluation: String(e.id), status: e.status } },
        cv.el("td", {}, `${e.scorecard.name} (v${e.scorecard.version})`), cv.el("td", {}, e.agent),
        cv.el("td", {}, e.evaluator), state, cv.el("td", { class: "cv-num cv-score" }, percent(e.score))));
    }
    document.getElementById("cv-call-evaluations").dataset.loaded = "true";
  }

  /* -- playlists ------------------------------------------------------------------------ */

  async function playlists() {
    const select = document.getElementById("cv-playlist-choice");
    if (!select) return;
    const found = (await cv.api("GET", "/api/quality/playlists")).data;
    for (const p of found) select.append(cv.el("option", { value: String(p.id) }, p.name));
    const add = document.getElementById("cv-playlist-add");
    add.disabled = !found.length;
    add.addEventListener("click", async () => {
      try {
        await cv.api("POST", `/api/quality/playlists/${select.value}/items`, { call: String(callId) });
        status(cv.t("quality.playlist_added", { name: select.selectedOptions[0].textContent }));
      } catch (failure) { failed(failure); }
    });
  }

  /* The player announces itself once the recording is decoded. */
  document.addEventListener("cv:player-ready", (event) => {
    player = event.detail;
    player.regions.on("region-clicked", (region, click) => {
      if (!region.id.startsWith("cv-moment-")) return;
      click.stopPropagation();
      player.seek(region.start);
    });
    const add = document.getElementById("cv-moment-add");
    if (add) add.disabled = false;
    drawMarkers();
  });

  document.addEventListener("DOMContentLoaded", async () => {
    section = document.getElementById("cv-review");
    if (!section) return;
    callId = section.dataset.call;
    commenting();
    try {
      const jobs = [loadComments(), loadEvaluations(), playlists()];
      if (section.dataset.score === "true") {
        jobs.push(cv.api("GET", "/api/quality/scorecards").then((cards) => scoring(cards.data)));
      }
      await Promise.all(jobs);
    } catch (failure) { failed(failure); }
    section.dataset.loaded = "true";
  });
})();
