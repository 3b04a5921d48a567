/* Draws every figure a page embeds and redraws them in the colours of the current theme. */
(function () {
  "use strict";
  var CONFIG = {responsive: true, displaylogo: false,
                modeBarButtonsToRemove: ["lasso2d", "select2d"]};

  function colour(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function themed(layout) {
    var fg = colour("--fg"), grid = colour("--grid");
    var out = Object.assign({}, layout);
    out.font = Object.assign({color: fg, family: "system-ui, sans-serif"}, layout.font || {});
    out.legend = Object.assign({}, layout.legend || {}, {font: {color: fg}});
    Object.keys(out).concat(["xaxis", "yaxis"]).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        out[key] = Object.assign({gridcolor: grid, zerolinecolor: grid, linecolor: grid},
                                 out[key] || {});
      }
    });
    if (out.title) { out.title = Object.assign({}, out.title, {font: {color: fg, size: 14}}); }
    return out;
  }

  /* Draw (or update in place, keeping the user's zoom) ``fig`` into ``div``. */
  function draw(div, fig) {
    div.dataCatFigure = fig;
    return Plotly.react(div, fig.data, themed(fig.layout), CONFIG);
  }

  function drawAll(root) {
    root.querySelectorAll("[data-figure]").forEach(function (div) {
      var source = document.getElementById(div.dataset.figure);
      if (source) { div.dataCatReady = draw(div, JSON.parse(source.textContent)); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("themechange", function () {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (div) {
      if (div.dataCatFigure) { draw(div, div.dataCatFigure); }
    });
  });
  window.DataCat = {draw: draw, drawAll: drawAll};
})();
