/* Scorecards (quality.manage): the list, and a form to define one — sections with weights,
   their questions (yes/no or a 0…N scale, weight, N/A allowed, critical). Saving a scorecard
   that evaluations use makes its next version (the server decides; docs/quality.md). */
"use strict";
(function () {
  let editing = null;

  function field(label, input) {
    return cv.el("label", { class: "cv-field" }, label, input);
  }

  function questionRow(question) {
    const q = question || { text: "", kind: "yes_no", weight: 1, scale_max: null, allow_na: false, critical: false };
    const text = cv.el("input", { class: "cv-q-text", required: true, maxlength: "1000", value: q.text });
    const kind = cv.el("select", { class: "cv-q-kind" },
      cv.el("option", { value: "yes_no" }, cv.t("quality.kind_yes_no")), cv.el("option", { value: "scale" }, cv.t("quality.kind_scale")));
    kind.value = q.kind;
    const scale = cv.el("input", { class: "cv-q-scale", type: "number", min: "1", max: "100", value: q.scale_max ?? 5 });
    const weight = cv.el("input", { class: "cv-q-weight", type: "number", min: "0.01", step: "any", value: String(q.weight) });
    const na = cv.el("input", { class: "cv-q-na", type: "checkbox", checked: q.allow_na });
    const critical = cv.el("input", { class: "cv-q-critical", type: "checkbox", checked: q.critical });
    const scaleField = field(cv.t("quality.scale_max"), scale);
    const showScale = () => { scaleField.hidden = kind.value !== "scale"; };
    kind.addEventListener("change", showScale);
    showScale();
    const remove = cv.el("button", { type: "button", class: "secondary outline cv-compact" }, cv.t("quality.remove"));
    const row = cv.el("div", { class: "cv-question-editor" }, field(cv.t("quality.question"), text),
      field(cv.t("quality.kind"), kind), scaleField, field(cv.t("quality.weight_label"), weight),
      cv.el("label", { class: "cv-check" }, na, cv.t("quality.allow_na")),
      cv.el("label", { class: "cv-check" }, critical, cv.t("quality.critical")), remove);
    remove.addEventListener("click", () => row.remove());
    return row;
  }

  function sectionBox(part) {
    const s = part || { title: "", weight: 1, questions: [null] };
    const title = cv.el("input", { class: "cv-s-title", required: true, maxlength: "200", value: s.title });
    const weight = cv.el("input", { class: "cv-s-weight", type: "number", min: "0.01", step: "any", value: String(s.weight) });
    const questions = cv.el("div", { class: "cv-s-questions" }, ...s.questions.map(questionRow));
    const add = cv.el("button", { type: "button", class: "secondary outline cv-compact cv-question-add" }, cv.t("quality.add_question"));
    add.addEventListener("click", () => questions.append(questionRow(null)));
    const remove = cv.el("button", { type: "button", class: "secondary outline cv-compact" }, cv.t("quality.remove_section"));
    const box = cv.el("fieldset", { class: "cv-section-editor" },
      cv.el("legend", {}, cv.t("quality.section")), field(cv.t("quality.section_title"), title),
      field(cv.t("quality.weight_label"), weight), questions, add, " ", remove);
    remove.addEventListener("click", () => box.remove());
    return box;
  }

  function definition() {
    return [...document.querySelectorAll("#cv-sections .cv-section-editor")].map((box) => ({
      title: box.querySelector(".cv-s-title").value,
      weight: Number(box.querySelector(".cv-s-weight").value),
      questions: [...box.querySelectorAll(".cv-question-editor")].map((row) => {
        const kind = row.querySelector(".cv-q-kind").value;
        return {
          text: row.querySelector(".cv-q-text").value, kind,
          weight: Number(row.querySelector(".cv-q-weight").value),
          scale_max: kind === "scale" ? Number(row.querySelector(".cv-q-scale").value) : null,
          allow_na: row.querySelector(".cv-q-na").checked,
          critical: row.querySelector(".cv-q-critical").checked,
        };
      }),
    }));
  }

  function edit(card) {
    editing = card;
    const form = document.getElementById("cv-scorecard-form");
    document.getElementById("cv-scorecard-form-title").textContent =
      card ? cv.t("quality.edit_scorecard", { name: card.name }) : cv.t("quality.new_scorecard");
    document.getElementById("cv-scorecard-name").value = card ? card.name : "";
    document.getElementById("cv-scorecard-description").value = card ? card.description || "" : "";
    document.getElementById("cv-sections").replaceChildren(...(card ? card.sections : [null]).map(sectionBox));
    document.getElementById("cv-scorecard-form-status").textContent = "";
    form.hidden = false;
    document.getElementById("cv-scorecard-name").focus();
  }

  async function load() {
    const body = document.querySelector("#cv-scorecards tbody");
    const cards = (await cv.api("GET", "/api/quality/scorecards?inactive=true")).data;
    body.replaceChildren();
    for (const card of cards) {
      const count = card.sections.reduce((sum, s) => sum + s.questions.length, 0);
      const button = cv.el("button", { type: "button", class: "secondary outline cv-compact" }, cv.t("quality.edit"));
      button.addEventListener("click", () => edit(card));
      body.append(cv.el("tr", { dataset: { scorecard: String(card.id) } },
        cv.el("td", {}, card.name, card.active ? "" : ` (${cv.t("quality.inactive")})`),
        cv.el("td", { class: "cv-num" }, String(card.version)), cv.el("td", { class: "cv-num" }, String(count)),
        cv.el("td", {}, cv.t(card.in_use ? "yes" : "no")), cv.el("td", {}, button)));
    }
    cv.status(cv.t("quality.scorecard_count", { count: cv.number(cards.length) }));
    document.getElementById("cv-scorecards").dataset.loaded = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("cv-scorecard-new").addEventListener("click", () => edit(null));
    document.getElementById("cv-section-add").addEventListener("click", () =>
      document.getElementById("cv-sections").append(sectionBox(null)));
    document.getElementById("cv-scorecard-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = document.getElementById("cv-scorecard-form-status");
      const body = {
        name: document.getElementById("cv-scorecard-name").value,
        description: document.getElementById("cv-scorecard-description").value || null,
        sections: definition(),
      };
      try {
        const saved = editing
          ? await cv.api("PATCH", `/api/quality/scorecards/${editing.id}`, body)
          : await cv.api("POST", "/api/quality/scorecards", body);
        editing = saved.data;
        await load();
        note.classList.remove("cv-error");
        note.textContent = cv.t("quality.scorecard_saved", { name: saved.data.name, version: saved.data.version });
      } catch (failure) {
        note.classList.add("cv-error");
        note.textContent = cv.t("error.generic", { error: failure.message });
      }
    });
    load().catch((failure) => cv.status(cv.t("error.generic", { error: failure.message }), true));
  });
})();
