// Canned responses inserted into the staff reply in the page (progressive enhancement).
//
// Without this file the "Usa nel messaggio" button posts the reply form (the draft with it) and
// the page comes back with the response added to the draft. Here the button asks the API for
// the response rendered for this ticket and inserts it at the cursor (or after the draft), so
// nothing typed is lost and the page does not reload. Any failure falls back to the post.
(function () {
  "use strict";

  var box = document.getElementById("canned-box");
  if (!box || !window.fetch) {
    return;
  }
  var pick = document.getElementById("canned-pick");
  var button = document.getElementById("canned-use");
  var body = document.getElementById("staff-body");
  var endpoint = box.dataset.render;
  var csrf = box.dataset.csrf;
  if (!pick || !button || !body || !endpoint || !csrf) {
    return;
  }

  function insert(text) {
    var start = body.selectionStart, end = body.selectionEnd, value = body.value;
    if (document.activeElement !== body && typeof start === "number" && start === 0 && end === 0 && value.length > 0) {
      // The cursor was never placed in the draft: add the response after it.
      start = end = value.length;
    }
    var before = value.slice(0, start), after = value.slice(end);
    var gap = before.length > 0 && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    body.value = before + gap + text + after;
    var caret = (before + gap + text).length;
    body.focus();
    body.setSelectionRange(caret, caret);
  }

  button.addEventListener("click", function (event) {
    if (!pick.value) {
      return;
    }
    event.preventDefault();
    button.disabled = true;
    fetch(endpoint + encodeURIComponent(pick.value) + "/render", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("render failed: " + res.status);
        }
        return res.json();
      })
      .then(function (data) {
        button.disabled = false;
        insert(String(data.body || ""));
      })
      .catch(function () {
        button.disabled = false;
        // The page's own way: post the form to the canned-response address.
        var form = button.form;
        if (form && form.requestSubmit) {
          form.requestSubmit(button);
        } else if (form) {
          form.action = button.formAction;
          form.submit();
        }
      });
  });
})();
