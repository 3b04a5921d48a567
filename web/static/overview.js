/* Overview: refreshes numbers, figures and recent incidents in place (no reload, zoom kept). */
(function () {
  "use strict";
  var body = document.body;
  var every = Number(body.dataset.refresh || 5);
  var IDLE = 6;  /* with nothing live, check this many times less often */

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);
    if (cls) { node.className = cls; }
    return node;
  }

  function link(href, value, cls) {
    var a = text("a", value, cls);
    a.href = href;
    return a;
  }

  function when(seconds) {
    if (seconds == null) { return "—"; }
    return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function recentRow(r) {
    var tr = document.createElement("tr");
    var cells = [text("span", when(r.at)), text("span", r.kind),
                 link("/products/" + encodeURIComponent(r.product), r.product),
                 text("span", r.version), text("span", r.status, "badge status-" + r.status),
                 text("span", r.reason), link("/sessions/" + encodeURIComponent(r.id),
                                              r.id, "mono")];
    cells.forEach(function (content) {
      var td = document.createElement("td");
      td.appendChild(content);
      tr.appendChild(td);
    });
    return tr;
  }

  function update(data) {
    var counts = Object.assign({total: data.total, live: data.live, ever_hung: data.ever_hung},
                               data.by_status);
    Object.keys(counts).forEach(function (key) {
      var node = document.querySelector('[data-count="' + key + '"]');
      if (node) { node.textContent = String(counts[key]); }
    });
    window.DataCat.draw(document.getElementById("over-time"), data.figures.over_time);
    window.DataCat.draw(document.getElementById("rates"), data.figures.rates);
    var tbody = document.querySelector("#recent tbody");
    var rows = data.recent.map(recentRow);
    if (!rows.length) {
      var empty = document.createElement("tr");
      var cell = text("td", "No crashes or hangs.");
      cell.colSpan = 7;
      empty.className = "empty";
      empty.appendChild(cell);
      rows = [empty];
    }
    tbody.replaceChildren.apply(tbody, rows);
    body.dataset.live = data.live;
    body.dataset.generation = data.generation;
  }

  function schedule() {
    var live = Number(body.dataset.live) > 0;
    var seconds = live ? every : every * IDLE;
    document.getElementById("refresh-note").textContent = live
      ? "Live: updating every " + every + " s."
      : "No live sessions: checking every " + seconds + " s.";
    window.setTimeout(tick, seconds * 1000);
  }

  function tick() {
    if (document.hidden) { schedule(); return; }
    fetch("/dashboard/overview.json" + window.location.search, {cache: "no-store"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* the server is restarting: try again next time */ })
      .then(schedule);
  }

  document.addEventListener("DOMContentLoaded", schedule);
})();
