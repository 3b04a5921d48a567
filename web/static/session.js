/* Session page: timeline clicks (and "at this instant" buttons) show the state then. */
(function () {
  "use strict";
  var sid = document.body.dataset.sid;

  function show(query) {
    var panel = document.getElementById("instant");
    panel.setAttribute("aria-busy", "true");
    fetch("/dashboard/sessions/" + encodeURIComponent(sid) + "/instant?" + query,
          {cache: "no-store"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        /* The fragment is rendered by the server with every value escaped. */
        panel.innerHTML = html;
        panel.dataset.shown = query;
        panel.removeAttribute("aria-busy");
      });
  }

  function onPoint(event) {
    var point = event.points && event.points[0];
    var key = point && point.customdata;
    if (!key) { return; }
    show((key[0] === "s" ? "change=" : "event=") + key[1]);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var timeline = document.getElementById("timeline");
    if (timeline && timeline.dataCatReady) {
      timeline.dataCatReady.then(function () {
        timeline.on("plotly_click", onPoint);
        timeline.dataset.clickable = "yes";
      });
    }
    document.querySelectorAll("[data-instant]").forEach(function (button) {
      button.addEventListener("click", function () {
        show(button.dataset.instant);
        document.getElementById("instant").scrollIntoView({block: "nearest"});
      });
    });
    document.querySelectorAll("[data-tree]").forEach(function (button) {
      button.addEventListener("click", function () {
        var open = button.dataset.tree === "open";
        document.querySelectorAll("#state-tree details").forEach(function (details) {
          details.open = open;
        });
      });
    });
  });
})();
