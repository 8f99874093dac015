// The hall's filter box starts folded on a phone unless a filter is in use, so the
// projects come first; it is always open without JavaScript and on wider screens.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("details[data-collapse-on-phone='1']");
    if (box && window.matchMedia("(max-width: 767px)").matches) box.removeAttribute("open");
  });
})();
