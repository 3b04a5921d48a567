/* Sessions page: filter form helpers and the cross-session metric chart. */
(function () {
  "use strict";

  function showCustomRange() {
    var custom = document.getElementById("f-range").value === "custom";
    document.querySelectorAll(".custom-range").forEach(function (label) {
      label.hidden = !custom;
    });
  }

  function filterQuery(metric) {
    var params = new URLSearchParams(window.location.search);
    ["cursor", "sort", "order"].forEach(function (name) { params.delete(name); });
    if (metric) { params.set("metric", metric); }
    return params.toString();
  }

  function loadMetric(metric) {
    fetch("/dashboard/metric.json?" + filterQuery(metric), {cache: "no-store"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var select = document.getElementById("metric-name");
        var options = data.names.length ? data.names : [""];
        select.replaceChildren.apply(select, options.map(function (name) {
          var option = document.createElement("option");
          option.value = name;
          option.textContent = name || "(no metrics)";
          option.selected = name === data.metric;
          return option;
        }));
        window.DataCat.draw(document.getElementById("metric-distribution"),
                            data.figures.distribution);
        window.DataCat.draw(document.getElementById("metric-series"), data.figures.series);
        document.getElementById("cross-metric").dataset.loaded = data.metric || "none";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("filters");
    document.getElementById("f-range").addEventListener("change", showCustomRange);
    document.getElementById("f-product").addEventListener("change", function () {
      document.getElementById("f-version").value = "";  /* versions belong to a product */
      form.submit();
    });
    showCustomRange();
    document.getElementById("metric-name").addEventListener("change", function (event) {
      loadMetric(event.target.value);
    });
    loadMetric("");
  });
})();
