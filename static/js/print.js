// Printing (static/css/print.css): the printed header names the page and the moment it was
// printed, and the Plotly charts are redrawn at the paper's width, then back after printing.
// Plotly follows the window's size only, and printing does not resize the window.
(function () {
  "use strict";

  // The narrowest printable width in CSS pixels: A4 (210 mm) or Letter less print.css's
  // 12 mm margins and the card's padding.
  var PRINT_WIDTH = 660;
  var resized = [];

  function fillHeader() {
    var title = document.querySelector("[data-print-title]");
    if (title) {
      title.textContent = document.title.replace(/ · Pulse$/, "");
    }
    var printed = document.querySelector("[data-print-date]");
    if (printed) {
      var now = new Date();
      printed.dateTime = now.toISOString();
      printed.textContent = now.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
    }
  }

  function fitCharts() {
    if (typeof Plotly === "undefined" || resized.length) {
      return;
    }
    document.querySelectorAll('[data-chart][data-drawn="yes"]').forEach(function (element) {
      if (element.offsetWidth > PRINT_WIDTH) {
        resized.push(element);
        Plotly.relayout(element, { width: PRINT_WIDTH });
      }
    });
  }

  function restoreCharts() {
    resized.splice(0).forEach(function (element) {
      Plotly.relayout(element, { width: null, autosize: true });
    });
  }

  document.addEventListener("DOMContentLoaded", fillHeader);
  window.addEventListener("beforeprint", function () {
    fillHeader();
    fitCharts();
  });
  window.addEventListener("afterprint", restoreCharts);
  // A "Print" button (data-print-now): the page's own print, with no inline script (CSP).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print-now]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
