/* Theme: follows the system unless switched; runs in <head> so the first paint is right. */
(function () {
  "use strict";
  var KEY = "datacat-theme";
  var MODES = ["auto", "dark", "light"];
  var media = window.matchMedia("(prefers-color-scheme: dark)");
  function chosen() {
    try { return localStorage.getItem(KEY) || "auto"; } catch (e) { return "auto"; }
  }
  function apply() {
    var mode = chosen();
    var dark = mode === "dark" || (mode === "auto" && media.matches);
    document.documentElement.dataset.theme = dark ? "dark" : "light";
    document.documentElement.dataset.themeMode = mode;
    var button = document.getElementById("theme-toggle");
    if (button) { button.textContent = "Theme: " + mode; }
    document.dispatchEvent(new CustomEvent("themechange"));
  }
  function next() {
    var mode = MODES[(MODES.indexOf(chosen()) + 1) % MODES.length];
    try { localStorage.setItem(KEY, mode); } catch (e) { /* private mode: not kept */ }
    apply();
  }
  media.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("theme-toggle").addEventListener("click", next);
    apply();
  });
  apply();
})();
