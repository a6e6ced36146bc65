/* "My scores" (agents: their submitted evaluations) and the evaluations list (everyone else:
   those of the calls in their scope), from GET /api/quality/evaluations; a row opens the
   evaluation's answers against the scorecard version it was scored with. */
"use strict";
(function () {
  const percent = (value) => (value === null || value === undefined ? "—" : `${cv.number(value, 2)} %`);

  function answerText(question, answer) {
    if (!answer) return "—";
    if (answer.na) return cv.t("quality.na");
    if (question.kind === "yes_no") return cv.t(answer.value ? "yes" : "no");
    return `${answer.value} / ${question.scale_max}`;
  }

  async function detail(evaluation) {
    const box = document.getElementById("cv-evaluation-detail");
    const card = (await cv.api("GET", `/api/quality/scorecards/${evaluation.scorecard.id}?version=${evaluation.scorecard.version}`)).data;
    const answers = new Map(evaluation.answers.map((a) => [a.question_id, a]));
    box.replaceChildren(cv.el("h2", {}, cv.t("quality.detail_title", { name: card.name, version: card.version })));
    if (evaluation.critical_failed) box.append(cv.el("p", { class: "cv-error" }, cv.t("quality.critical_failed")));
    card.sections.forEach((part, index) => {
      const rows = part.questions.map((q) => cv.el("tr", {}, cv.el("td", {}, q.text),
        cv.el("td", {}, answerText(q, answers.get(q.id))), cv.el("td", {}, (answers.get(q.id) || {}).note || "")));
      box.append(cv.el("h3", {}, `${part.title} — ${percent(evaluation.section_scores[index])}`),
        cv.el("table", { class: "striped" }, cv.el("tbody", {}, ...rows)));
    });
    if (evaluation.comment) box.append(cv.el("p", {}, cv.el("strong", {}, cv.t("quality.overall_comment")), ": ", evaluation.comment));
    box.hidden = false;
    box.dataset.evaluation = String(evaluation.id);
  }

  async function load() {
    const table = document.getElementById("cv-evaluations");
    const body = table.querySelector("tbody");
    const query = new URLSearchParams();
    for (const [name, value] of new URLSearchParams(location.search)) if (value) query.set(name, value);
    try {
      const found = (await cv.api("GET", `/api/quality/evaluations?${query}`)).data;
      body.replaceChildren();
      for (const e of found) {
        const call = e.call ? cv.el("a", { href: `/calls/${e.call_id}` }, e.call.uid) : String(e.call_id);
        const open = cv.el("button", { type: "button", class: "secondary outline cv-compact" }, percent(e.score));
        open.addEventListener("click", () => detail(e).catch((failure) => cv.status(failure.message, true)));
        body.append(cv.el("tr", { dataset: { evaluation: String(e.id), status: e.status } },
          cv.el("td", {}, cv.dateTime(e.submitted_at || e.updated_at)), cv.el("td", {}, call),
          cv.el("td", {}, `${e.scorecard.name} (v${e.scorecard.version})`), cv.el("td", {}, e.agent),
          cv.el("td", {}, e.evaluator), cv.el("td", {}, cv.t(`quality.status_${e.status}`)),
          cv.el("td", { class: "cv-num cv-score" }, open)));
      }
      const scored = found.filter((e) => e.status === "submitted" && e.score !== null);
      if (scored.length) {
        const average = scored.reduce((sum, e) => sum + e.score, 0) / scored.length;
        const node = document.getElementById("cv-average");
        node.textContent = cv.t("quality.average", { score: percent(average), count: cv.number(scored.length) });
        node.hidden = false;
      }
      cv.status(found.length ? cv.t("quality.count", { count: cv.number(found.length) }) : cv.t("quality.no_evaluations"));
    } catch (failure) {
      cv.status(cv.t("error.generic", { error: failure.message }), true);
    }
    table.dataset.loaded = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const filters = document.getElementById("cv-evaluation-filters");
    if (filters) {
      const given = new URLSearchParams(location.search);
      document.getElementById("cv-filter-agent").value = given.get("agent") || "";
      document.getElementById("cv-filter-status").value = given.get("status") || "";
    }
    load();
  });
})();
