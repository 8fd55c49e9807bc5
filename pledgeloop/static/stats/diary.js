/* Service diary: copy the WeChat-ready HTML as rich text (so the editor keeps its styles). */
(function () {
  "use strict";
  var button = document.getElementById("diary-copy");
  var source = document.getElementById("diary-wechat-html");
  var status = document.getElementById("diary-copy-status");
  if (!button || !source) { return; }
  button.addEventListener("click", function () {
    var html = source.value;
    var done = function () { status.textContent = button.getAttribute("data-done"); };
    if (navigator.clipboard && window.ClipboardItem) {
      var item = new ClipboardItem({
        "text/html": new Blob([html], { type: "text/html" }),
        "text/plain": new Blob([html], { type: "text/plain" })
      });
      navigator.clipboard.write([item]).then(done, function () { source.select(); document.execCommand("copy"); done(); });
    } else {
      source.select();
      document.execCommand("copy");
      done();
    }
  });
})();
