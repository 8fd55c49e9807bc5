/* 长辈模式 on the cached public pages (wall, member page, figures, diary): the page is the
 * same for every visitor, so the larger text comes from the visitor's own cookie ("elder",
 * set here or on the resident pages), read before the page is drawn (this script is loaded
 * in <head>, not deferred), and the switch is shown and worked from here. Without the script
 * the page is in normal text and shows no switch. */
(function () {
  "use strict";
  var root = document.documentElement;
  function isOn() { return /(?:^|;\s*)elder=1(?:;|$)/.test(document.cookie); }
  if (isOn()) { root.classList.add("elder"); }

  function show(button, on) {
    button.textContent = on ? button.dataset.on : button.dataset.off;
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".elder-switch[data-public]"), function (box) {
      var button = box.querySelector("button");
      if (!button) { return; }
      box.hidden = false;
      show(button, isOn());
      button.addEventListener("click", function () {
        var on = !root.classList.contains("elder");
        root.classList.toggle("elder", on);
        document.body.classList.toggle("elder", on);
        document.cookie = on
          ? "elder=1; path=/; max-age=31536000; samesite=lax"
          : "elder=; path=/; max-age=0; samesite=lax";
        show(button, on);
      });
    });
  });
})();
