/* The application flow's small helpers (progressive enhancement; the pages work without):
 * - the error summary takes the focus, so a screen reader reads it and the keyboard starts there;
 * - a form with data-compute-url asks the server for its computed questions' results as the
 *   answers change (the server's own evaluator: no formula is worked out here).
 */
(function () {
  "use strict";

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  function formBody(form) {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") { body.append(name, value); } // files stay out
    });
    return body;
  }

  function watchComputed(form) {
    var url = form.getAttribute("data-compute-url");
    if (!url || !window.fetch) { return; }
    var timer = null;
    var asked = 0;
    function refresh() {
      var ticket = ++asked;
      window.fetch(url, {
        method: "POST",
        body: formBody(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (!data || ticket !== asked) { return; }
        form.querySelectorAll('[data-type="computed"][data-question]').forEach(function (group) {
          var output = group.querySelector("output");
          var value = (data.computed || {})[group.getAttribute("data-question")];
          if (output) { output.textContent = value === undefined || value === "" ? "\u2013" : value; }
        });
      }).catch(function () { /* the server computes again when the page is sent */ });
    }
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  function init() {
    focusErrors();
    document.querySelectorAll("form[data-compute-url]").forEach(watchComputed);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
