/* 长辈模式 (cookie "elder"), one switch for every page that has one.
 *  - The resident pages are drawn per visitor, with the class on <body> and a form that
 *    posts the choice (orders:elder) without this script; here it is toggled in place, so
 *    nothing typed is lost.
 *  - The cached public pages (wall, member page, figures, diary) are the same for every
 *    visitor: the class goes on <html> from the cookie before the page is drawn (this script
 *    is loaded in <head>, not deferred), and their switch (.elder-switch[data-public]) is
 *    shown and worked from here; without the script it stays hidden. */
(function () {
  "use strict";
  var root = document.documentElement;
  function isOn() { return /(?:^|;\s*)elder=1(?:;|$)/.test(document.cookie); }
  if (isOn()) { root.classList.add("elder"); }

  function show(button, on) {
    button.textContent = on ? button.dataset.on : button.dataset.off;
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function toggle(button) {
    var on = !(root.classList.contains("elder") || document.body.classList.contains("elder"));
    root.classList.toggle("elder", on);
    document.body.classList.toggle("elder", on);
    document.cookie = on
      ? "elder=1; path=/; max-age=31536000; samesite=lax"
      : "elder=; path=/; max-age=0; samesite=lax";
    show(button, on);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".elder-switch"), function (box) {
      var button = box.querySelector("button");
      if (!button) { return; }
      if (box.tagName === "FORM") {
        box.addEventListener("submit", function (event) {
          event.preventDefault();
          toggle(button);
        });
        return;
      }
      box.hidden = false;
      show(button, isOn());
      button.addEventListener("click", function () { toggle(button); });
    });
  });
})();
