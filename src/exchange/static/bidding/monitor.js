/* Supervisor monitor (竞价监管): every live auction, updated from the all-auctions stream
 * GET /api/v1/auctions/events (supervisors only). A row appears for an auction we did not
 * list yet only after a reload (the table is server-rendered); state changes reload the page
 * when an auction opens, pauses, resumes or closes, so the action buttons stay right. */
(function () {
  "use strict";
  var table = document.querySelector("[data-monitor]");
  if (!table) return;
  var cfg = JSON.parse(document.getElementById("monitor-config").textContent);
  var T = cfg.text;
  var conn = document.querySelector("[data-conn]");
  var F = window.ExchangeFormat;  // the platform's one formatter (js/format.js), as |yuan and |moment
  function fmt(s) { return (s && F.yuan(String(s))) || "—"; }
  function cell(row, f) { return row.querySelector('[data-f="' + f + '"]'); }
  function row(id) { return table.querySelector('[data-row="' + id + '"]'); }
  function flashRow(r) { r.classList.add("is-new"); setTimeout(function () { r.classList.remove("is-new"); }, 1200); }
  function setConn(ok, text) { if (conn) { conn.className = "conn " + (ok ? "conn-ok" : "conn-bad"); conn.textContent = text; } }
  var statuses = {};
  Array.prototype.forEach.call(table.querySelectorAll("[data-row]"), function (r) {
    statuses[r.getAttribute("data-row")] = (cell(r, "status").className.match(/bid-badge-(\w+)/) || [])[1];
  });
  var reloadTimer = null;
  function reloadSoon() { if (!reloadTimer) reloadTimer = setTimeout(function () { location.reload(); }, 800); }
  var es = new EventSource(cfg.events, { withCredentials: true });
  es.addEventListener("open", function () { setConn(true, T.live); });
  es.addEventListener("error", function () { setConn(false, T.reconnecting); });
  es.addEventListener("bid", function (e) {
    var d = JSON.parse(e.data), r = row(d.auction_id);
    if (!r) return;
    cell(r, "price").textContent = fmt(d.amount);
    cell(r, "leader").textContent = d.bidder_no;
    cell(r, "count").textContent = d.seq;
    var ends = F.moment(d.ends_at);
    if (ends) cell(r, "ends").textContent = ends;
    flashRow(r);
  });
  function onState(e) {
    var d = JSON.parse(e.data), id = String(d.auction_id || d.id), r = row(id);
    if (!r) { reloadSoon(); return; }
    if (statuses[id] !== d.status) reloadSoon();
  }
  es.addEventListener("state", onState);
  es.addEventListener("closed", onState);
})();
