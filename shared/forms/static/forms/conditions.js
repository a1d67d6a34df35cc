/* Follow-up questions (visible_if) in forms drawn by forms/fields.html.
 *
 * The same rules as shared/forms/conditions.py and answers.py: questions are walked in
 * the form's order; a condition holds only if every question it names is shown and its
 * comparison holds (an unanswered question makes a comparison false). A hidden question
 * is hidden and its inputs disabled, so its answer is not sent; the server decides again
 * on what it receives. Without this script every question shows (unless the server drew
 * it hidden, as a page with one step of a form does).
 *
 * A form shown one step at a time tells the script about the questions on other pages in
 * data-form-context (shared/forms/html.py condition_context): {"shown": [ids], "values":
 * {id: answer}, "computed": [ids]}.
 */
(function () {
  "use strict";

  function same(a, b) {
    // Python's same_value: True never equals 1.
    if (typeof a === "boolean" || typeof b === "boolean") {
      return typeof a === typeof b && a === b;
    }
    return a === b;
  }

  function readNumber(text) {
    var cleaned = text.replace(/[\s\u00a0\u202f\u2009]/g, "").replace("\u2212", "-").replace(",", ".");
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(cleaned)) {
      return null;
    }
    return parseFloat(cleaned);
  }

  function valueOf(group) {
    var name = group.getAttribute("data-question");
    var type = group.getAttribute("data-type");
    var inputs = Array.prototype.filter.call(group.querySelectorAll("input, select, textarea"), function (el) {
      return el.name === name;
    });
    if (type === "multiple_choice" || type === "single_choice" || type === "yes_no") {
      var chosen = [];
      inputs.forEach(function (el) {
        if (el.tagName === "SELECT") {
          if (el.value) { chosen.push(el.value); }
        } else if (el.checked) {
          chosen.push(el.value);
        }
      });
      if (!chosen.length) { return null; }
      if (type === "multiple_choice") { return chosen; }
      if (type === "yes_no") { return chosen[0] === "yes"; }
      return chosen[0];
    }
    if (type === "file") {
      var count = 0;
      inputs.forEach(function (el) {
        if (el.type === "file") {
          count += el.files ? el.files.length : 0;
        } else if (el.type === "hidden" || el.checked) {
          count += 1; // a file attached before: kept by a hidden input or a ticked box
        }
      });
      return count ? [count] : null;
    }
    var text = inputs.length ? String(inputs[0].value || "").trim() : "";
    if (!text) { return null; }
    if (type === "number") { return readNumber(text); }
    return text;
  }

  function refs(condition, found) {
    if (!condition || typeof condition !== "object") { return found; }
    if (condition.question) { found.push(String(condition.question)); }
    (condition.all || []).concat(condition.any || []).forEach(function (part) { refs(part, found); });
    if (condition.not) { refs(condition.not, found); }
    return found;
  }

  function holds(condition, lookup) {
    if (!condition) { return true; }
    if (condition.all) { return condition.all.every(function (c) { return holds(c, lookup); }); }
    if (condition.any) { return condition.any.some(function (c) { return holds(c, lookup); }); }
    if (condition.not) { return !holds(condition.not, lookup); }
    var value = lookup(condition.question);
    if ("answered" in condition) { return (value !== null) === Boolean(condition.answered); }
    if (value === null) { return false; }
    if ("equals" in condition) { return same(value, condition.equals); }
    if ("not_equals" in condition) { return !same(value, condition.not_equals); }
    if ("in" in condition) { return condition["in"].some(function (v) { return same(value, v); }); }
    if ("contains" in condition) {
      return Array.isArray(value) && value.some(function (v) { return same(v, condition.contains); });
    }
    return false;
  }

  function show(element, visible) {
    element.hidden = !visible;
    element.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !visible; });
  }

  function readContext(form) {
    var text = form.getAttribute("data-form-context");
    if (!text) { return {}; }
    try { return JSON.parse(text) || {}; } catch (e) { return {}; }
  }

  function update(form) {
    var shown = {};
    var values = {};
    var computed = {};
    var stepShown = true;
    var context = readContext(form);
    (context.shown || []).forEach(function (name) { shown[name] = true; });
    Object.keys(context.values || {}).forEach(function (name) { values[name] = context.values[name]; });
    (context.computed || []).forEach(function (name) { computed[name] = true; });
    form.querySelectorAll(".form-step, [data-question]").forEach(function (element) {
      var condition = element.getAttribute("data-visible-if");
      condition = condition ? JSON.parse(condition) : null;
      var names = refs(condition, []);
      var visible;
      if (names.some(function (n) { return computed[n]; })) {
        visible = true; // a formula's result is only known to the server: keep the question
      } else {
        visible = names.every(function (n) { return shown[n]; }) &&
          holds(condition, function (n) { return values[n] === undefined ? null : values[n]; });
      }
      if (element.classList.contains("form-step")) {
        stepShown = visible;
        show(element, visible);
        return;
      }
      var name = element.getAttribute("data-question");
      visible = visible && stepShown;
      if (element.getAttribute("data-type") === "computed") { computed[name] = true; }
      shown[name] = visible;
      values[name] = visible ? valueOf(element) : null;
      show(element, visible);
    });
  }

  function init() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-visible-if]")) { return; }
      var again = function () { update(form); };
      form.addEventListener("change", again);
      form.addEventListener("input", again);
      update(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
