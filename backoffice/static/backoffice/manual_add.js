/* Lägg till ärende: the filter box narrows the table as one types (without the script the
   box filters on the server when the form is sent). */
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    var none = document.getElementById("manual-add-none");
    if (!table) { return; }
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var text = row.getAttribute("data-filter-text") || "";
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      table.hidden = shown === 0;
      if (none) { none.hidden = shown !== 0; }
    });
  });
}());

/* A form sent back with errors: move to the list of errors, which links to each field. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
}());
