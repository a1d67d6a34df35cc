/* Mina sidor: move the focus to what the visitor came for.
   A notification's link (?meddelande=<id>) has lost its #fragment if a login came between,
   so the message is given back its anchor and the focus; after a failed form the focus goes
   to the error summary. Without JavaScript the page works the same, only without the jump. */
(function () {
  "use strict";
  var target = document.querySelector("[data-mp-focus]");
  if (!target) {
    return;
  }
  if (target.hasAttribute("data-mp-anchor") && !window.location.hash && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", "#" + target.id);
  }
  target.focus();
})();
