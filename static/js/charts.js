// Draws every chart on the page: an element with data-chart="<id of a JSON script>" gets the
// Plotly figure stored in that script (built server-side by metrics/charts.py). No inline
// scripts, so it works under the strict Content-Security-Policy.
(function () {
  "use strict";

  var config = { displayModeBar: false, responsive: true };

  // A chart that fills its card (.chart-fill, a figure with no height of its own) is redrawn
  // to the card's new size when the card changes height, e.g. when a table opens beside it;
  // Plotly's own "responsive" only follows the window.
  function followSize(element) {
    if (!element.classList.contains("chart-fill") || typeof ResizeObserver === "undefined") {
      return;
    }
    // The first call comes at once: the row may have grown while the charts beside were drawn.
    var height = null;
    new ResizeObserver(function () {
      if (element.clientHeight !== height) {
        height = element.clientHeight;
        Plotly.Plots.resize(element);
      }
    }).observe(element);
  }

  // Figures are built in the light theme's token colours (core/palette.py). In dark mode each
  // of those colours is swapped for its token's current value, so a chart matches its card;
  // a transparent ground lets the card show through.
  var darkMode = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)");

  function themeSwaps() {
    var source = document.getElementById("chart-tokens");
    if (!darkMode || !darkMode.matches || !source) {
      return null;
    }
    var style = getComputedStyle(document.documentElement);
    var tokens = JSON.parse(source.textContent);
    var swaps = {};
    Object.keys(tokens).forEach(function (name) {
      var now = style.getPropertyValue(name).trim();
      if (now) {
        swaps[tokens[name].toLowerCase()] = now;
      }
    });
    return swaps;
  }

  function themed(value, swaps) {
    if (typeof value === "string") {
      return swaps[value.toLowerCase()] || value;
    }
    if (Array.isArray(value)) {
      return value.map(function (item) { return themed(item, swaps); });
    }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) { out[key] = themed(value[key], swaps); });
      return out;
    }
    return value;
  }

  function draw(root) {
    if (typeof Plotly === "undefined") {
      return;
    }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      if (element.dataset.drawn === "yes") {
        return;
      }
      var source = document.getElementById(element.dataset.chart);
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      var swaps = themeSwaps();
      if (swaps) {
        figure = themed(figure, swaps);
      }
      Plotly.newPlot(element, figure.data, figure.layout || {}, config).then(function () {
        element.dataset.drawn = "yes";
        element.setAttribute("aria-busy", "false");
        followSize(element);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  // Charts inside fragments that htmx swaps in are drawn too.
  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.target);
  });
})();
