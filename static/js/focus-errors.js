// After a failed post, move focus to the error summary (templates/includes/form_errors.html),
// so that keyboard and screen-reader users land on what went wrong. Served from static: the
// Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  function focusErrorSummary(root) {
    var scope = root && root.querySelector ? root : document;
    var summary = scope.querySelector(".error-summary");
    if (!summary && scope !== document && scope.matches && scope.matches(".error-summary")) {
      summary = scope;
    }
    if (!summary) {
      return;
    }
    if (!summary.hasAttribute("tabindex")) {
      summary.setAttribute("tabindex", "-1");
    }
    // A summary inside a closed <details> would not take focus.
    var details = summary.closest("details");
    if (details) {
      details.open = true;
    }
    summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      focusErrorSummary(document);
    });
  } else {
    focusErrorSummary(document);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.detail && event.detail.target ? event.detail.target : document);
  });
})();
