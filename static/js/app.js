/* tourplan: small progressive enhancements; every page works without them. */
(function () {
  "use strict";
  // Copy buttons next to the share link and the embed code.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el) { return; }
      el.select();
      var done = function () {
        var old = btn.textContent;
        btn.textContent = "✓";
        setTimeout(function () { btn.textContent = old; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(el.value).then(done, function () {});
      } else {
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
      }
    });
  });
  // Print buttons.
  document.querySelectorAll(".print-now").forEach(function (btn) {
    btn.addEventListener("click", function () { window.print(); });
  });
  // A stop cannot be both kept and removed.
  document.querySelectorAll(".stop-actions").forEach(function (box) {
    var boxes = box.querySelectorAll("input[type=checkbox]");
    if (boxes.length !== 2) { return; }
    boxes[0].addEventListener("change", function () { if (boxes[0].checked) { boxes[1].checked = false; } });
    boxes[1].addEventListener("change", function () { if (boxes[1].checked) { boxes[0].checked = false; } });
  });
  // Simulation progress: poll the API until the run is done, then reload.
  var prog = document.getElementById("run-progress");
  if (prog) {
    var url = prog.getAttribute("data-poll");
    var bar = document.getElementById("progress-bar");
    var text = document.getElementById("progress-text");
    var tick = function () {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (run) {
          var pct = Math.round((run.progress || 0) * 100);
          bar.value = pct;
          bar.textContent = pct + "%";
          text.textContent = run.status + " · " + pct + "%";
          if (run.status === "done" || run.status === "failed") {
            window.location.assign(prog.getAttribute("data-done"));
          } else {
            setTimeout(tick, 700);
          }
        })
        .catch(function () { setTimeout(tick, 2000); });
    };
    setTimeout(tick, 400);
  }
}());
