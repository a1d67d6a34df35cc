/* Assignment rules (F-ES-9): the answer list shows only the answers of the chosen question.
   Without this script every answer is listed under its question, and the server checks. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-question-select]").forEach(function (answer) {
    var question = document.getElementById(answer.getAttribute("data-question-select"));
    if (!question) { return; }
    var groups = Array.prototype.slice.call(answer.querySelectorAll("optgroup")).map(function (g) {
      return g.cloneNode(true);
    });
    var empty = answer.options[0].cloneNode(true);
    function show() {
      var chosen = answer.value;
      var chosenGroup = answer.selectedOptions.length && answer.selectedOptions[0].parentNode.getAttribute
        ? answer.selectedOptions[0].parentNode.getAttribute("data-question") : null;
      while (answer.firstChild) { answer.removeChild(answer.firstChild); }
      answer.appendChild(empty.cloneNode(true));
      groups.forEach(function (group) {
        if (group.getAttribute("data-question") !== question.value) { return; }
        Array.prototype.forEach.call(group.children, function (option) {
          var copy = option.cloneNode(true);
          copy.selected = chosenGroup === question.value && copy.value === chosen;
          answer.appendChild(copy);
        });
      });
      answer.disabled = !question.value;
    }
    question.addEventListener("change", show);
    show();
  });
}());
