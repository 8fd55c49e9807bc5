/* pledgeloop: a photo field as one big button in the page's language.
 * Every .photo-pick on the page holds the browser's own file control, kept but out of sight
 * once this script runs (html.js in pledgeloop.css), and a label of ours over it: tapping it
 * opens the phone's camera or gallery as the control would. A line says what was chosen, and
 * a button takes it off again. Without this script the browser's own control shows, in the
 * phone's language. Used by the resident's order form and the members' photo fields.
 * A photo kept from the page before (.photo-kept, lib/photos.py) stands for the choice: its
 * line shows while no new photo is chosen and its "don't want it" tick is not ticked. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function show(input) {
    var pick = input.closest(".photo-pick");
    if (!pick) { return; }
    var files = input.files ? Array.prototype.slice.call(input.files) : [];
    var button = pick.querySelector(".photo-button");
    var chosen = pick.querySelector(".photo-chosen");
    var remove = pick.querySelector(".photo-remove");
    var kept = pick.querySelector(".photo-kept");
    var drop = kept && kept.querySelector("input[type=checkbox]");
    // A new choice wins over the kept photo (the server drops it): its line goes meanwhile.
    var keeping = Boolean(kept) && !files.length && !(drop && drop.checked);
    if (kept) { kept.hidden = files.length > 0; }
    if (chosen) {
      chosen.hidden = keeping;
      chosen.textContent = files.length ? chosen.dataset.chosen : chosen.dataset.none;
      chosen.classList.toggle("chosen", files.length > 0);
      files.forEach(function (file) {
        var name = document.createElement("span");
        name.className = "photo-name";
        name.textContent = file.name;
        chosen.appendChild(name);
      });
    }
    if (button) {
      button.querySelector("span").textContent =
        files.length || keeping ? button.dataset.other : button.dataset.none;
    }
    if (remove) { remove.hidden = !files.length; }
  }

  // A page's own script that changes the chosen files (the resident form shrinks a big photo)
  // asks for the line again through this.
  window.photoPick = { show: show };

  Array.prototype.forEach.call(
    document.querySelectorAll(".photo-pick input[type=file]"),
    function (input) {
      input.addEventListener("change", function () { show(input); });
      show(input);  // files the browser kept on "back"
      var pick = input.closest(".photo-pick");
      var drop = pick.querySelector(".photo-kept input[type=checkbox]");
      if (drop) { drop.addEventListener("change", function () { show(input); }); }
      var remove = pick.querySelector(".photo-remove");
      if (remove) {
        remove.addEventListener("click", function () {
          input.value = "";
          show(input);
          input.focus();
        });
      }
    }
  );
})();
