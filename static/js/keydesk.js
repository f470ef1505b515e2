// Keydesk's only script: show/copy/hide for revealed secrets. Templates carry no inline scripts,
// so a Content-Security-Policy without 'unsafe-inline' fits.
(function () {
  "use strict";
  var HIDE_AFTER_MS = 60000;

  function secretBox(el) { return el.closest("[data-secret]"); }

  function wipe(box) {
    // Remove the values from the page, not just from sight.
    box.querySelectorAll("[data-secret-value]").forEach(function (input) { input.value = ""; });
    box.replaceWith(Object.assign(document.createElement("p"), {
      className: "muted", textContent: "Hidden. Reveal again if you still need it (it is audited each time)."
    }));
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches("[data-toggle-secret]")) {
      var input = target.parentElement.querySelector("[data-secret-value]");
      var showing;
      if (input.tagName === "TEXTAREA") {  // multi-line values (PEM): masked by a CSS class
        showing = !input.classList.contains("masked");
        input.classList.toggle("masked", showing);
      } else {
        showing = input.type === "text";
        input.type = showing ? "password" : "text";
      }
      target.textContent = showing ? "Show" : "Hide value";
    } else if (target.matches("[data-copy-secret]")) {
      var value = target.parentElement.querySelector("[data-secret-value]").value;
      var done = function () { target.textContent = "Copied"; setTimeout(function () { target.textContent = "Copy"; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(done, function () { target.textContent = "Copy failed"; });
      } else {
        target.textContent = "Copy needs HTTPS";
      }
    } else if (target.matches("[data-hide-secret]")) {
      wipe(secretBox(target));
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    event.detail.elt.querySelectorAll && event.detail.elt.querySelectorAll("[data-secret]").forEach(function (box) {
      setTimeout(function () { if (box.isConnected) { wipe(box); } }, HIDE_AFTER_MS);
    });
  });

  document.addEventListener("htmx:sendError", function (event) {
    var flash = document.getElementById("flash");
    if (flash) { flash.innerHTML = ""; flash.appendChild(Object.assign(document.createElement("p"), {
      className: "error", textContent: "Keydesk could not be reached. Check your connection and try again."
    })); }
  });
})();
