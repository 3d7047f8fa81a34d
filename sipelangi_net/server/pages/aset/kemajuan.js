// SiPelangi: live progress of a Tim Kerja job without reloading the page (the page works without it:
// <noscript> keeps a meta refresh). Packaged; no other host; it only sets text, never HTML.
"use strict";
(function () {
  var box = document.getElementById("kemajuan");
  if (!box || !box.dataset.url) { return; }
  var state = document.getElementById("status-pekerjaan-teks");
  var log = document.getElementById("log-pekerjaan");
  var steps = document.getElementById("langkah-pekerjaan");
  function show(data) {
    if (state) { state.textContent = data.state; }
    if (log) { log.textContent = data.log.join("\n"); }
    if (steps) {
      while (steps.firstChild) { steps.removeChild(steps.firstChild); }
      data.steps.forEach(function (line) {
        var li = document.createElement("li");
        li.textContent = line;
        steps.appendChild(li);
      });
    }
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show(data);
        if (data.running) { window.setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
