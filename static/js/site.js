// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the summary of form errors so screen readers announce it at once.
  var errors = document.getElementById("form-errors");
  if (errors) {
    errors.focus();
  }
})();

// Hug and high-five buttons: send the form with fetch and update the button in place.
// Without JavaScript (or when anything goes wrong) the form posts and the page reloads.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) {
    return;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-reaction]")) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("button[aria-pressed]");
    var action = form.querySelector("input[name=action]");
    var count = form.querySelector("[data-reaction-count]");
    if (form.getAttribute("aria-busy") === "true") {
      return;
    }
    form.setAttribute("aria-busy", "true");
    // getAttribute, not form.action: the form's <input name="action"> shadows that property.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (state) {
        button.setAttribute("aria-pressed", state.active ? "true" : "false");
        action.value = state.active ? "remove" : "add";
        if (count) {
          count.textContent = state.label;
        }
        form.removeAttribute("aria-busy");
      })
      .catch(function () {
        form.removeAttribute("aria-busy");
        form.submit(); // the server's own page explains what went wrong
      });
  });
})();
