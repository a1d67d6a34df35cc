/* The case view (ärendevyn): small enhancements; every page works without them. */
(function () {
  "use strict";
  // Nytt meddelande: choosing a template fills in its text at once (without JavaScript the
  // "Use the template" button reloads the page with ?mall=<id>).
  var select = document.getElementById("mall");
  var body = document.getElementById("body");
  var templateId = document.getElementById("template_id");
  if (select && body && templateId) {
    var load = document.querySelector(".bo-template-load");
    if (load) { load.style.display = "none"; }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option ? option.getAttribute("data-body") : null;
      templateId.value = select.value;
      if (text !== null) { body.value = text; body.focus(); }
    });
  }
  // A tool panel or an error summary opened from the Verktyg box gets the focus, so a
  // screen reader starts reading there.
  var target = document.getElementById("error-summary") ||
    (window.location.hash === "#verktyg-panel" && document.getElementById("verktyg-panel"));
  if (target) { target.focus(); }
})();
