/* The login form: POST /api/session, then on to the page asked for. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("cv-login");
  const error = document.getElementById("cv-login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = {
      username: form.elements.username.value.trim(),
      password: form.elements.password.value,
    };
    try {
      await cv.api("POST", "/api/session", body);
      location.assign(form.dataset.next || "/calls");
    } catch (failure) {
      error.textContent = cv.t(failure.status === 429 ? "login.throttled" : "login.failed");
      error.hidden = false;
      form.elements.password.select();
    }
  });
});
