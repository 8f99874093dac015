// Countdown to the end of a project's disclosure period (server time is the truth;
// this only refreshes the remaining time shown).
(function () {
  "use strict";
  function tick(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    var out = el.querySelector("[data-part=text]");
    if (!out || isNaN(deadline)) return;
    var ms = deadline - Date.now();
    if (ms <= 0) { el.textContent = el.getAttribute("data-done"); return; }
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), sec = s % 60;
    var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
    out.textContent = zh ? d + "天" + h + "小时" + m + "分" + sec + "秒" : d + "d " + h + "h " + m + "m " + sec + "s";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var els = document.querySelectorAll(".lst-countdown[data-deadline]");
    if (!els.length) return;
    els.forEach(tick);
    setInterval(function () { els.forEach(tick); }, 1000);
  });
})();
