/* Ärenden: "check all" and the bulk status button, which needs cases of one e-service version.
   The page works without this script: the server checks the same rule and explains. */
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("bo-bulk-form");
  if (!form || !script) { return; }
  var all = document.getElementById("bo-check-all");
  var statusButton = document.getElementById("bo-bulk-status");
  var why = document.getElementById("bo-bulk-status-why");
  var state = document.getElementById("bo-bulk-state");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name='case_id']"));
  var actions = Array.prototype.slice.call(form.querySelectorAll("button[type='submit']:not([data-reveal])"));
  var defaultWhy = why ? why.textContent : "";

  function checked() {
    return boxes.filter(function (box) { return box.checked; });
  }

  function update() {
    var chosen = checked();
    var versions = {};
    chosen.forEach(function (box) { versions[box.getAttribute("data-version")] = box.getAttribute("data-eservice"); });
    var names = Object.keys(versions).map(function (key) { return versions[key]; });
    var none = chosen.length === 0;
    actions.forEach(function (button) {
      button.disabled = none;
    });
    if (statusButton && names.length > 1) {
      statusButton.disabled = true;
      why.textContent = script.getAttribute("data-versions").replace("{versions}", names.join(", "));
      why.classList.add("text-danger");
    } else if (why) {
      why.textContent = defaultWhy;
      why.classList.remove("text-danger");
    }
    if (state) {
      state.textContent = none ? script.getAttribute("data-none")
        : chosen.length === 1 ? script.getAttribute("data-count-one")
        : script.getAttribute("data-count-many").replace("{n}", String(chosen.length));
    }
    if (all) {
      all.checked = !none && chosen.length === boxes.length;
      all.indeterminate = !none && chosen.length < boxes.length;
    }
  }

  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
}());
