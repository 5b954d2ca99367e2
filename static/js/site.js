// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the summary of form errors so screen readers announce it at once.
  var errors = document.getElementById("form-errors");
  if (errors) {
    errors.focus();
  }
})();
