// Small progressive enhancements for the order pages; every page works without them.
(function () {
  "use strict";

  // Needs list: one box selects every order on the page.
  document.querySelectorAll("input.select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select");
      box.form.querySelectorAll('input[name="' + name + '"]').forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });

  // Member picker: unfold the members after the first few.
  document.querySelectorAll("button.show-more").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll(button.getAttribute("data-show")).forEach(function (part) {
        part.hidden = false;
      });
      button.hidden = true;
    });
  });

  // QR codes: print the sheet.
  document.querySelectorAll("button.print-page").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Patrol report: fill in the phone's position when the member asks for it.
  document.querySelectorAll("button.use-location").forEach(function (button) {
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      var status = document.getElementById(button.getAttribute("data-status"));
      status.textContent = button.getAttribute("data-wait");
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("id_latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = position.coords.longitude.toFixed(6);
        status.textContent = button.getAttribute("data-done");
      }, function () {
        status.textContent = button.getAttribute("data-failed");
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  });
})();
