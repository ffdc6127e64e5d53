/*
 * The launch checklist, answered in place (templates/reviews/launch/_item.html).
 *
 * Each item's form carries `data-autosave`: an answer saves itself, a choice shortly after it
 * is made (arrowing through the choices sends only the last one) and text once typing pauses
 * or the field is left. The form's own button, for pages without JavaScript, is hidden.
 * The server answers 422 (refused) or 409 (someone else changed the item) with the message
 * for the item's status line; htmx would not swap an error status, so those are let through.
 * An item answered and saved folds to its one-line row once the focus has left it; Escape folds the
 * item being edited and returns to its row. A form elsewhere on the page (Submit for review)
 * waits for answers still being saved, so none is lost on the way.
 */
(function () {
  "use strict";

  var CHOICE_DELAY = 300;
  var TYPING_DELAY = 800;
  var timers = new Map(); // form -> pending save
  var inFlight = 0;

  function autosaveForms(root) {
    var found = Array.from(root.querySelectorAll("form[data-autosave]"));
    if (root.matches && root.matches("form[data-autosave]")) found.push(root);
    return found;
  }

  // What the user has answered, without the version and token that change on every save.
  function answerOf(form) {
    var data = new FormData(form);
    data.delete("version");
    data.delete("csrfmiddlewaretoken");
    return new URLSearchParams(data).toString();
  }

  function enhance(root) {
    autosaveForms(root).forEach(function (form) {
      if (form.dataset.savedAnswer !== undefined) return;
      form.dataset.savedAnswer = answerOf(form);
      form.querySelectorAll("[data-autosave-submit]").forEach(function (button) {
        button.hidden = true;
      });
    });
  }

  function chosenStatus(form) {
    var checked = form.querySelector('input[name="status"]:checked');
    return checked ? checked.value : "";
  }

  function save(form) {
    timers.delete(form);
    if (form.dataset.conflict) return; // the message stays until the user reloads
    if (answerOf(form) === form.dataset.savedAnswer) return;
    var reason = form.querySelector('[name="not_applicable_reason"]');
    // "Not applicable" needs a reason: wait for it instead of showing an error at once.
    if (chosenStatus(form) === "not_applicable" && reason && !reason.value.trim()) return;
    htmx.trigger(form, "autosave");
  }

  function schedule(form, delay) {
    clearTimeout(timers.get(form));
    timers.set(
      form,
      setTimeout(function () {
        save(form);
      }, delay)
    );
  }

  function flush(form) {
    if (!timers.has(form)) return;
    clearTimeout(timers.get(form));
    save(form);
  }

  function busy() {
    return timers.size > 0 || inFlight > 0;
  }

  function itemOf(element) {
    return element.closest(".check-item");
  }

  function fold(item) {
    var details = item.querySelector("details.check-fold");
    var form = item.querySelector("form[data-autosave]");
    var row = item.querySelector("summary");
    if (!details || !form || !row || !details.open) return;
    // Only once the user has moved on: a click on a choice may leave the focus nowhere.
    if (!item.dataset.left || item.contains(document.activeElement)) return;
    if (timers.has(form) || form.classList.contains("htmx-request")) return;
    if (form.dataset.refused || row.classList.contains("check-not_done")) return;
    if (answerOf(form) !== form.dataset.savedAnswer) return;
    details.open = false;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-autosave")) return;
    if (event.target.type === "radio") {
      schedule(form, CHOICE_DELAY);
    } else {
      // Leaving a text field saves it now rather than after the pause.
      clearTimeout(timers.get(form));
      save(form);
    }
  });

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-autosave") || event.target.type === "radio") return;
    schedule(form, TYPING_DELAY);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-autosave")) {
      // Enter in a field (or the button without JavaScript's help) saves now.
      clearTimeout(timers.get(form));
      timers.delete(form);
      return;
    }
    if (!busy()) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var action = form.getAttribute("action");
    Array.from(timers.keys()).forEach(flush);
    var waited = 0;
    var poll = setInterval(function () {
      waited += 100;
      if (busy() && waited < 10000) return;
      clearInterval(poll);
      // A save swaps the readiness card, actions included: submit the form now in its place
      // (it carries the review's current version).
      var current = form.isConnected
        ? form
        : document.querySelector('form[action="' + CSS.escape(action) + '"]');
      if (current) current.requestSubmit();
    }, 100);
  }, true);

  document.addEventListener("focusout", function (event) {
    var item = itemOf(event.target);
    if (!item || (event.relatedTarget && item.contains(event.relatedTarget))) return;
    item.dataset.left = "1";
    setTimeout(function () {
      fold(item);
    }, 0);
  });

  function stay(event) {
    var item = itemOf(event.target);
    if (item) delete item.dataset.left;
  }
  document.addEventListener("focusin", stay);
  document.addEventListener("pointerdown", stay);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var item = itemOf(event.target);
    if (!item) return;
    var details = item.querySelector("details.check-fold");
    var row = item.querySelector("summary");
    if (!details || !details.open || !row) return;
    var form = item.querySelector("form[data-autosave]");
    if (form) flush(form);
    details.open = false;
    row.focus();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.hasAttribute || !form.hasAttribute("data-autosave")) return;
    inFlight += 1;
    form.dataset.sending = answerOf(form);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-autosave")) return;
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.hasAttribute || !form.hasAttribute("data-autosave")) return;
    inFlight = Math.max(0, inFlight - 1);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 200) {
      form.dataset.savedAnswer = form.dataset.sending;
      delete form.dataset.refused;
      form.querySelector(".check-state").classList.remove("check-error");
    } else {
      form.dataset.refused = "1";
      if (status === 409) form.dataset.conflict = "1";
      if (status === 0 || status >= 500) {
        // The network or the server failed: say so where the user is looking.
        var state = form.querySelector(".check-state");
        if (state) {
          state.textContent = "Not saved: the server could not be reached. Your answer is still here; change it again to retry.";
          state.classList.add("check-error");
        }
      }
    }
    var item = itemOf(form);
    if (item) fold(item);
  });

  document.addEventListener("htmx:load", function (event) {
    enhance(event.detail.elt);
  });
  enhance(document);
})();
