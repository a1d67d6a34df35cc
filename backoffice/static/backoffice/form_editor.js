/* The form editor's condition rows (backoffice/templates/backoffice/builder/form_macros.html):
 * once a question is chosen, the answer list offers only that question's options, and only
 * the answer field that fits shows (a list for choice and yes/no questions, a text box for
 * the others; neither for "is answered"). Without this script every option and both fields
 * show, and the server checks that the answer belongs to the question.
 */
(function () {
  "use strict";

  function groupOf(element) {
    return element ? element.closest(".form-group") : null;
  }

  function update(row) {
    var question = row.querySelector("select[name$='-question']");
    var operator = row.querySelector("select[name$='-operator']");
    var choice = row.querySelector("select[name$='-choice']");
    var text = row.querySelector("input[name$='-text']");
    if (!question || !operator || !choice || !text) { return; }
    var id = question.value;
    var hasOptions = false;
    Array.prototype.forEach.call(choice.querySelectorAll("optgroup"), function (group) {
      var match = group.getAttribute("data-question") === id;
      group.hidden = !match;
      group.disabled = !match;
      hasOptions = hasOptions || match;
    });
    var selected = choice.options[choice.selectedIndex];
    if (selected && selected.parentNode.disabled) { choice.value = ""; }
    var answered = operator.value === "answered" || operator.value === "not_answered";
    groupOf(choice).hidden = !id || answered || !hasOptions;
    groupOf(text).hidden = !id || answered || hasOptions;
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".bo-condition-row"), function (row) {
      row.addEventListener("change", function () { update(row); });
      update(row);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
