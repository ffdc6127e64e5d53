// Forms marked data-autosubmit apply as soon as a choice changes (the dashboard's filters),
// with a full page load so every chart is redrawn. Empty choices are left out of the URL,
// so a shared link stays short. Controls tied to the form by form="…" count too.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit")) {
      form.requestSubmit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-autosubmit")) return;
    Array.from(form.elements).forEach(function (element) {
      if (element.name && element.value === "") element.disabled = true;
    });
  });
})();
