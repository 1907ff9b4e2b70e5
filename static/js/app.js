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
  // Must-see picker: filter the grouped list as the visitor types.
  document.querySelectorAll(".picker-search").forEach(function (input) {
    var box = document.getElementById(input.getAttribute("data-target"));
    if (!box) { return; }
    var none = box.querySelector(".picker-none");
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      box.querySelectorAll(".sight-group").forEach(function (group) {
        var inGroup = 0;
        group.querySelectorAll("li[data-name]").forEach(function (li) {
          var hit = !q || li.getAttribute("data-name").toLowerCase().indexOf(q) !== -1
            || li.querySelector("input").checked;
          li.hidden = !hit;
          if (hit) { inGroup += 1; }
        });
        group.hidden = inGroup === 0;
        shown += inGroup;
      });
      if (none) { none.hidden = shown !== 0; }
    });
  });
  // Type-ahead for typed places: suggestions from /places/suggest in a <datalist>.
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-suggest");
    var timer = null, last = "";
    if (!list) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q === last) { return; }
        last = q;
        if (!q) { list.textContent = ""; return; }
        fetch(url + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
          .then(function (data) {
            list.textContent = "";
            (data.suggestions || []).forEach(function (s) {
              var opt = document.createElement("option");
              opt.value = s.label;
              if (s.matched && s.matched !== s.label) { opt.label = s.matched; }
              list.appendChild(opt);
            });
          })
          .catch(function () { /* no suggestions; the field still works */ });
      }, 150);
    });
  });
  // My trips: the share ids of plans opened in this browser (localStorage only, no server state).
  var KEY = "tourplan.trips";
  var readTrips = function () {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]") || []; } catch (e) { return []; }
  };
  var writeTrips = function (trips) {
    try { window.localStorage.setItem(KEY, JSON.stringify(trips.slice(0, 20))); } catch (e) { /* private mode */ }
  };
  var title = document.getElementById("trip-title");
  if (title && title.getAttribute("data-trip-id")) {
    var id = title.getAttribute("data-trip-id");
    var trips = readTrips().filter(function (t) { return t.id !== id; });
    trips.unshift({id: id, url: title.getAttribute("data-trip-url"), label: title.getAttribute("data-trip-label")});
    writeTrips(trips);
  }
  var mine = document.getElementById("my-trips");
  var rowTpl = document.getElementById("my-trip-row");
  if (mine && rowTpl) {
    var render = function () {
      var list = mine.querySelector(".picked-trips");
      var trips = readTrips();
      list.textContent = "";
      trips.forEach(function (t) {
        if (typeof t.url !== "string" || t.url.indexOf("/i/") !== 0) { return; }
        var row = rowTpl.content.firstElementChild.cloneNode(true);
        var a = row.querySelector("a");
        a.href = t.url;
        a.textContent = t.label || t.id;
        row.querySelector(".forget").addEventListener("click", function () {
          writeTrips(readTrips().filter(function (x) { return x.id !== t.id; }));
          render();
        });
        list.appendChild(row);
      });
      mine.hidden = list.children.length === 0;
    };
    render();
  }
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
