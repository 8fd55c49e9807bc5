// Show only the fields that matter: the rule box for "Other", the beneficiary fields for
// the chosen kind. Without JavaScript every field stays visible and the form still works.
(function () {
  "use strict";
  function show(name, visible) {
    var box = document.querySelector(".field-" + name);
    if (box) box.classList.toggle("hidden-field", !visible);
  }
  function refresh() {
    var frequency = document.getElementById("id_frequency");
    if (frequency) show("rrule", frequency.value === "custom");
    var kind = document.querySelector("input[name=beneficiary_kind]:checked");
    var value = kind ? kind.value : "";
    show("beneficiary_resident", value === "resident");
    show("beneficiary_site", value === "place");
    show("beneficiary_name", value === "group" || value === "place");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.pledge-form");
    if (!form) return;
    form.addEventListener("change", refresh);
    refresh();
  });
})();
