/*
 * Pulse's own behaviour, loaded on every page after htmx (no inline scripts: CSP is
 * script-src 'self').
 *  - htmx sends the CSRF token from <meta name="csrf-token"> with every request;
 *  - GET requests from filter forms drop empty parameters, so shared URLs stay short;
 *  - the browser's time zone goes into the `tz` cookie, which the server uses to show times.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function rememberTimeZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    if (!zone) return;
    var current = document.cookie.split("; ").find(function (row) {
      return row.indexOf("tz=") === 0;
    });
    if (current && decodeURIComponent(current.slice(3)) === zone) return;
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie =
      "tz=" + encodeURIComponent(zone) + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
    if (event.detail.verb === "get") {
      var params = event.detail.parameters;
      Array.from(params.entries()).forEach(function (entry) {
        if (entry[1] === "") delete params[entry[0]];
      });
    }
  });

  rememberTimeZone();
})();

// Forms that destroy something ask first: <form data-confirm="Revoke …?">.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
