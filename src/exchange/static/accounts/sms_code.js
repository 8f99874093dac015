/* 获取验证码: ask the API for an SMS code without reloading the page, then count down the resend
   pause. Without script the same button posts the form (`send_code`) and the page answers.
   Vanilla JS (works in the WeChat in-app browser); no inline script (the site's CSP). */
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function countdown(button, seconds) {
    var label = button.getAttribute("data-label");
    var wait = button.getAttribute("data-label-wait");
    var left = Math.max(0, Math.ceil(seconds));
    if (!left) return;
    button.disabled = true;
    var tick = function () {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.textContent = wait.replace("{s}", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
  }

  function show(status, text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  function send(button) {
    var form = button.form;
    var phone = document.getElementById(button.getAttribute("data-phone"));
    var status = button.closest(".sms-code").querySelector("[data-sms-status]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var value = phone ? phone.value.trim() : "";  // the server words any error (one message everywhere)
    button.disabled = true;
    button.textContent = button.getAttribute("data-label-sending");
    fetch(button.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token ? token.value : cookie("csrftoken"),
      },
      body: JSON.stringify({ phone: value, purpose: button.getAttribute("data-purpose") }),
    })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (answer) {
        var body = answer.body || {};
        button.disabled = false;
        button.textContent = button.getAttribute("data-label");
        if (answer.status === 202) {
          show(status, body.message, false);
          countdown(button, body.resend_after || 60);
          var code = form.querySelector("input[name=sms_code]");
          if (code) code.focus();
        } else {
          show(status, body.message || button.getAttribute("data-error"), true);
          if (answer.status === 429 && body.retry_after && body.retry_after <= 120) countdown(button, body.retry_after);
        }
      })
      .catch(function () {
        button.disabled = false;
        button.textContent = button.getAttribute("data-label");
        show(status, button.getAttribute("data-error"), true);
      });
  }

  var buttons = document.querySelectorAll("[data-sms-send]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (!button.disabled) send(button);
      });
      var pause = parseInt(button.getAttribute("data-resend-after"), 10);
      if (pause > 0) countdown(button, pause); // the page came back from a send without script
    })(buttons[i]);
  }
})();
