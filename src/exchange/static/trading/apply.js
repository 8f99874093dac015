/* The buyer's application form (受让申请): each file is uploaded as soon as it is chosen and
   kept as the member's draft (POST data-upload-url → {id, name, ...}); the form carries the
   ids in draft_<kind>, shows the files as uploaded with a remove button, and submits them
   with the application. Without this script the files go with the form and are kept the
   same way (the remove button is then a submit button of the form). Vanilla JS, no inline
   script (CSP); works in the WeChat in-app browser. */
(function () {
  "use strict";
  var form = document.querySelector("[data-apply-form]");
  if (!form || !window.fetch || !window.FormData) return;
  var uploadUrl = form.getAttribute("data-upload-url");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  /* the messages come translated from the page (data-msg-*) */
  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  var text = {
    uploading: msg("uploading"),
    removing: msg("removing"),
    failed: msg("failed"),
    removeFailed: msg("remove-failed"),
    tooLarge: msg("too-large"),
    wait: msg("wait"),
    uploaded: msg("uploaded"),
    removed: msg("removed"),
    login: msg("login")
  };
  var pending = 0;
  var submit = form.querySelector("[data-apply-submit]");

  function busy(delta) {
    pending += delta;
    if (submit) submit.disabled = pending > 0;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.redirected) return { ok: false, data: { message: text.login } }; /* to the login page */
      return response.json().then(
        function (data) { return { ok: response.ok, data: data }; },
        function () { return { ok: false, data: {} }; }
      );
    });
  }

  function setup(box) {
    var kind = box.getAttribute("data-draft-kind");
    var idInput = box.querySelector("[data-draft-id]");
    var row = box.querySelector("[data-draft-row]");
    var link = box.querySelector("[data-draft-link]");
    var size = box.querySelector("[data-draft-size]");
    var remove = box.querySelector("[data-draft-remove]");
    var fileInput = box.querySelector("[data-draft-input]");
    var status = box.querySelector("[data-draft-status]");
    var errorList = box.querySelector("[data-draft-error]");
    var required = !!box.querySelector(".field-label .required");
    var removeUrl = remove.getAttribute("data-remove-url") || "";

    function error(message) {
      box.classList.toggle("has-error", !!message);
      errorList.hidden = !message;
      errorList.innerHTML = "";
      if (message) {
        var li = document.createElement("li");
        li.textContent = message;
        errorList.appendChild(li);
      }
    }

    function show(draft) {
      idInput.value = draft ? String(draft.id) : "";
      row.hidden = !draft;
      fileInput.hidden = !!draft;
      if (draft) {
        link.textContent = draft.name;
        link.setAttribute("href", draft.url);
        size.textContent = draft.size_display;
        remove.value = String(draft.id);
        removeUrl = draft.remove_url;
        fileInput.removeAttribute("required");
      } else {
        remove.value = "";
        removeUrl = "";
        if (required) fileInput.setAttribute("required", "");
      }
    }

    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file) return;
      error("");
      if (maxBytes && file.size > maxBytes) {
        fileInput.value = "";
        error(text.tooLarge.replace("{mb}", String(Math.round(maxBytes / 1048576))));
        return;
      }
      var body = new FormData();
      body.append("kind", kind);
      body.append("file", file);
      if (idInput.value) body.append("replaces", idInput.value);
      status.textContent = text.uploading;
      fileInput.disabled = true;
      busy(1);
      post(uploadUrl, body).then(function (result) {
        if (result.ok) {
          show(result.data);
          status.textContent = text.uploaded.replace("{name}", result.data.name);
        } else {
          status.textContent = "";
          error(result.data.message || text.failed);
        }
      }, function () {
        status.textContent = "";
        error(text.failed);
      }).then(function () {
        fileInput.value = ""; /* kept on the server or refused: never sent again with the form */
        fileInput.disabled = false;
        busy(-1);
      });
    });

    remove.addEventListener("click", function (event) {
      if (!removeUrl) return;
      event.preventDefault();
      status.textContent = text.removing;
      remove.disabled = true;
      busy(1);
      post(removeUrl, new FormData()).then(function (result) {
        /* gone either way: removed now, or no longer there (404) */
        if (result.ok || (result.data && result.data.code === "not_found")) {
          show(null);
          status.textContent = text.removed.replace("{name}", link.textContent);
          fileInput.focus();
        } else {
          status.textContent = "";
          error(result.data.message || text.removeFailed);
        }
      }, function () {
        status.textContent = "";
        error(text.removeFailed);
      }).then(function () {
        remove.disabled = false;
        busy(-1);
      });
    });
  }

  var boxes = form.querySelectorAll("[data-draft-kind]");
  for (var i = 0; i < boxes.length; i++) setup(boxes[i]);

  form.addEventListener("submit", function (event) {
    if (pending > 0) {
      event.preventDefault();
      window.alert(text.wait);
    }
  });
})();
