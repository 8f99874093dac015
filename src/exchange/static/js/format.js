/* The platform's one way to print money and moments in the browser: the twins of
 * exchange.core.money (format_yuan, format_wan, to_chinese_upper, parse_money) and
 * exchange.core.moments (format_moment), which the server's templates use through the
 * filters |yuan, |wan, |daxie and |moment. tests/browser/test_money_format.py runs these
 * functions over thousands of amounts and compares them with the Python ones.
 *
 *   ExchangeFormat.yuan("2350000")      → "¥2,350,000.00"  (also a BigInt of fen: 235000000n)
 *   ExchangeFormat.wan("12345678")      → "¥1,234.57万"  (the compact form; below 1万 as yuan())
 *   ExchangeFormat.daxie("2350000")     → "贰佰叁拾伍万元整"
 *   ExchangeFormat.parse("¥2,350,000")  → 235000000n (fen), null when parse_money would refuse
 *   ExchangeFormat.moment(iso, nowMs)   → "18:42:01" today, "12-03 18:42:01", "2027-01-03 …"
 *
 * Amounts are decimal strings of yuan (as the API sends them) or BigInt fen; a Number is
 * refused (money is never float). Anything that is not an amount prints as "".
 *
 * Amount inputs marked data-money-preview get a live line under them: the amount as the
 * platform prints it, in 万元 and in 大写 (data-money-preview-row on an ancestor: the line goes
 * after that element instead of right after the input).
 */
(function () {
  "use strict";

  var DIGITS = "零壹贰叁肆伍陆柒捌玖";
  var IN_SECTION = ["仟", "佰", "拾", ""];
  var SECTIONS = ["亿", "万", ""];
  var MAX_UPPER = 99999999999999n;  // fen: 9999亿…99 (core.money.MAX_UPPER)
  var MAX_INTEGER_DIGITS = 16;      // DecimalField(18, 2)

  // fen (BigInt) of a decimal string, rounded half up like quantize_money; null if not a number
  function fen(value) {
    if (typeof value === "bigint") return value;
    if (typeof value !== "string") return null;
    var m = /^\s*([-+]?)(\d+)(?:\.(\d*))?\s*$/.exec(value);
    if (!m) return null;
    var frac = (m[3] || "") + "000";
    var c = BigInt(m[2]) * 100n + BigInt(frac.slice(0, 2));
    if (frac.charCodeAt(2) >= 53) c += 1n;  // the third decimal is 5 or more: half up
    return m[1] === "-" ? -c : c;
  }
  function abs(c) { return c < 0n ? -c : c; }
  function group(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function pad(n, width) { var s = String(n); while (s.length < width) s = "0" + s; return s; }

  // format_yuan: "¥1,234,567.00", negative "-¥1,234.00"
  function yuan(value) {
    var c = fen(value);
    if (c === null) return "";
    var a = abs(c);
    return (c < 0n ? "-" : "") + "¥" + group(String(a / 100n)) + "." + pad(a % 100n, 2);
  }

  // format_wan, the compact form: "¥1,234.57万" from 1万 up (2 decimals of 万, half up,
  // trailing zeros dropped), the full amount below
  function wan(value) {
    var c = fen(value);
    if (c === null) return "";
    var a = abs(c);
    if (a < 1000000n) return yuan(c);
    var q = a / 10000n;  // hundredths of 万
    if ((a % 10000n) * 2n >= 10000n) q += 1n;
    var text = (group(String(q / 100n)) + "." + pad(q % 100n, 2)).replace(/\.?0+$/, "");
    return (c < 0n ? "-" : "") + "¥" + text + "万";
  }

  // to_chinese_upper: the same conventions, written the same way (see its docstring)
  function integerUpper(n) {  // 1 ≤ n < 10^12, read by 4-digit sections
    var out = "", zeroPending = false, text = pad(n, 12);
    for (var s = 0; s < SECTIONS.length; s++) {
      var section = text.slice(s * 4, s * 4 + 4);
      var followsDigits = s > 0 && text.slice(s * 4 - 4, s * 4) !== "0000";
      for (var i = 0; i < 4; i++) {
        var ch = section.charAt(i);
        if (ch === "0") { zeroPending = zeroPending || out !== ""; continue; }
        if (zeroPending && !(i === 0 && followsDigits)) out += "零";
        zeroPending = false;
        out += DIGITS.charAt(+ch) + IN_SECTION[i];
      }
      if (section !== "0000") out += SECTIONS[s];
    }
    return out;
  }
  function daxie(value) {
    var c = fen(value);
    if (c === null || abs(c) > MAX_UPPER) return "";
    if (c === 0n) return "零元整";
    var a = abs(c);
    var y = a / 100n, jiao = Number(a / 10n % 10n), f = Number(a % 10n);
    var out = c < 0n ? "负" : "";
    if (y > 0n) out += integerUpper(y) + "元";
    if (jiao) out += DIGITS.charAt(jiao) + "角";
    else if (f && y > 0n) out += "零";
    if (f) out += DIGITS.charAt(f) + "分";
    else if (!jiao) out += "整";
    return out;
  }

  // parse_money, for what a user types: fen, or null where the server would refuse it
  var FULL = { "，": ",", "．": ".", "－": "-", "＋": "+", "￥": "¥" };
  function normalise(text) {
    return String(text).replace(/[\uFF10-\uFF19，．－＋￥]/g, function (ch) {
      var code = ch.charCodeAt(0);
      return code >= 0xFF10 && code <= 0xFF19 ? String(code - 0xFF10) : FULL[ch];
    }).replace(/[\s\u3000]+/g, "");
  }
  var AMOUNT = /^(?:([-+]?)¥?|¥([-+]))([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?$/;
  function parse(text, options) {
    var m = AMOUNT.exec(normalise(text === null || text === undefined ? "" : text));
    if (!m) return null;
    var integer = m[3].replace(/,/g, ""), frac = m[4] || "";
    if (frac.length > 2 || integer.replace(/^0+/, "").length > MAX_INTEGER_DIGITS) return null;
    var sign = m[1] || m[2] || "";
    var c = BigInt(integer + (frac + "00").slice(0, 2));  // fen
    if (sign === "-" && c !== 0n && !(options && options.allowNegative)) return null;
    return sign === "-" ? -c : c;
  }

  // format_moment: the time alone on the exchange's today, else with the date. `iso` carries
  // the exchange's offset (the server writes local time, "…T18:42:01.123+08:00"); "today" is
  // taken in that offset from `nowMs` (the server's now: Date.now() + clock offset)
  var ISO = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|([-+])(\d\d):(\d\d))$/;
  function moment(iso, nowMs) {
    var m = ISO.exec(String(iso || ""));
    if (!m) return "";
    var offset = m[5] === "Z" ? 0 : (m[6] === "-" ? -1 : 1) * (Number(m[7]) * 60 + Number(m[8]));
    var now = new Date((nowMs === undefined ? Date.now() : nowMs) + offset * 60000).toISOString();
    if (now.slice(0, 10) === m[1] + "-" + m[2] + "-" + m[3]) return m[4];
    if (now.slice(0, 4) === m[1]) return m[2] + "-" + m[3] + " " + m[4];
    return m[1] + "-" + m[2] + "-" + m[3] + " " + m[4];
  }

  // ---- the live preview under amount inputs ------------------------------------------------
  function zh() { return (document.documentElement.lang || "zh").indexOf("zh") === 0; }
  function previewText(input) {
    var c = parse(input.value);
    if (c === null) return "";
    var parts = [yuan(c)];
    if (zh() && abs(c) >= 1000000n) parts.push(wan(c));  // 万 means nothing to an English reader (as |wan)
    var upper = daxie(c);
    if (upper) parts.push(upper);
    return parts.join(" · ");
  }
  function bindPreview(input) {
    if (input.__moneyPreview) return;
    var out = document.createElement("span");
    out.className = "money-preview";
    out.setAttribute("data-money-preview-out", "");
    out.setAttribute("aria-live", "polite");
    input.__moneyPreview = out;
    // after the input (or its row of input + button, as in the bid form)
    var anchor = input.closest("[data-money-preview-row]") || input;
    anchor.insertAdjacentElement("afterend", out);
    var update = function () {
      var text = previewText(input);
      if (out.textContent !== text) out.textContent = text;
      out.hidden = !text;
    };
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    update();
  }
  function bindAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("input[data-money-preview]"), bindPreview);
  }

  window.ExchangeFormat = {
    fen: fen, yuan: yuan, wan: wan, daxie: daxie, parse: parse, moment: moment, bindPreviews: bindAll,
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { bindAll(); });
  else bindAll();
  document.addEventListener("htmx:afterSwap", function (e) { bindAll(e.target); });
})();
