/* One auction's live page (竞价室). Plain JS, no framework.
 *
 * State comes from GET /api/v1/auctions/{id} (this viewer: my_no, my_status) and then from
 * the event stream GET /api/v1/auctions/{id}/events (SSE: `state`, `bid`, `closed`).
 * The browser's EventSource reconnects by itself and sends Last-Event-ID, so the server
 * replays the bids we missed; if the stream is closed for good (an error answer), we open a
 * new one with ?last_event_id=<last seq seen>. Bids are POSTed to the API with the session
 * and the CSRF token. The countdown uses server time: offset = server_time − local time,
 * measured at every state snapshot (half the round trip is taken off when we know it).
 *
 * 减价 (mode "dutch"): the step price is computed here every tick from the server clock with
 * the formula of rules.dutch_price_at (no request); one button takes the lot at it. Once
 * taken, the price is frozen and, while the deadline (the pre-emption window) runs, a
 * same-price bid is the only one the page lets through, and only to a bidder the server says
 * may pre-empt (my_can_preempt: qualified, ranking above the taker; my_rank 0 = no right).
 * The taker (the leader) and a bidder without a higher right are offered no bid at all, but
 * a line that says why.
 *
 * My status (领先 / 被超越 / 尚未出价 / 已报价, after the close 已竞得 / 未竞得 / 未出价): "outbid"
 * only for a bidder who has bid — known from the server's my_status (viewer snapshots) and
 * from the bids seen with my number. my_* fields come only with this viewer's snapshots
 * (GET /api/v1/auctions/{id}, the stream's first `state`); public events do not carry them.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-auction]");
  if (!root) return;
  var cfg = JSON.parse(document.getElementById("auction-config").textContent);
  var T = cfg.text;

  var el = function (name) { return document.querySelector("[data-" + name + "]"); };
  var els = {
    price: el("price"), priceLabel: el("price-label"), leader: el("leader"), myNo: el("my-no"),
    myStatus: el("my-status"), status: el("status"), countdown: el("countdown"), phase: el("phase"),
    endsAt: el("ends-at"), startsAt: el("starts-at"), startsRow: el("starts-row"), offset: el("offset"), count: el("bid-count"), history: el("history"),
    empty: el("history-empty"), conn: el("conn"), form: el("bid-form"), amount: el("amount"),
    formError: el("form-error"), flash: el("flash"), notice: el("notice"), next: el("next-min"), dialog: el("confirm"),
    increment: el("increment"),
    take: el("take"), takeBox: el("take-box"), takeLabel: el("take-label"), takeAmount: el("take-amount"),
    dutchNext: el("dutch-next"), dutchNextLabel: el("dutch-next-label"), dutchNote: el("dutch-note"),
    dutchNextRow: el("dutch-next-row"), dutchMine: el("dutch-mine"), dutchNoRight: el("dutch-no-right"),
    confirmAmount: el("confirm-amount"), confirmUpper: el("confirm-upper"), result: el("result"),
  };
  var quick = Array.prototype.slice.call(root.querySelectorAll("[data-quick]"));

  var state = {};        // the auction as last known
  var lastSeq = 0;       // highest bid sequence number seen
  var offsetMs = 0;      // server clock − local clock
  var seen = {};         // seq → true (history dedupe)
  var es = null;
  var pendingAmount = null;
  var closed = false;
  var iBid = false;      // this viewer has an accepted bid (never undone)

  // ---- money: integer cents, never floats for arithmetic ---------------------------------
  function toCents(s) {
    if (s === null || s === undefined || s === "") return null;
    var m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(s).trim());
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function fromCents(c) {
    var yuan = Math.floor(c / 100), fen = c % 100;
    return yuan + "." + (fen < 10 ? "0" : "") + fen;
  }
  // printing goes through the platform's one formatter (js/format.js, the twin of the
  // server's |yuan and |daxie): fen as Number here, BigInt there
  var F = window.ExchangeFormat;
  function fmt(s) {
    var text = typeof s === "number" ? F.yuan(BigInt(s)) : F.yuan(s === null || s === undefined ? "" : String(s));
    return text || "—";
  }
  function upper(c) { return c === null ? "" : F.daxie(BigInt(c)); }  // 人民币大写, for the confirmation

  // ---- the rules the page can check before the server does --------------------------------
  function increment() { return toCents(state.next_increment || state.increment) || 0; }
  function minNext() {
    if (state.mode === "dutch") return dutchPrice();
    if (state.next_minimum) return toCents(state.next_minimum);
    var cur = toCents(state.current_price);
    return cur === null ? toCents(state.start_price) : cur + increment();
  }
  function quickAmount(n) {
    var cur = toCents(state.current_price);
    if (cur === null) return toCents(state.start_price) + (n - 1) * increment();
    return cur + n * increment();
  }
  function validate(text) {
    var t = String(text).trim().replace(/,/g, "");
    if (!t) return T.empty;
    if (!/^\d+(\.\d+)?$/.test(t)) return T.not_number;
    if (/\.\d{3,}$/.test(t)) return T.too_many_decimals;
    var c = toCents(t);
    if (c === null || c <= 0) return T.not_number;
    if (state.mode === "dutch") return validateDutch(c);
    var min = minNext();
    if (min !== null && c < min) return T.too_low.replace("%s", fmt(min));
    var inc = increment(), base = toCents(state.current_price);
    if (base === null) base = toCents(state.start_price);
    if (inc > 0 && base !== null && state.mode !== "sealed" && (c - base) % inc !== 0) {
      return T.not_multiple.replace("%s", fmt(inc));
    }
    return null;
  }

  // ---- 减价 (dutch) ------------------------------------------------------------------------------
  function isoMs(iso) { var t = iso ? new Date(iso).getTime() : NaN; return isNaN(t) ? null : t; }
  function dutchTaken() { return state.mode === "dutch" && !!state.current_price; }
  function dutchStepsToFloor() {  // rules.dutch_steps_to_floor
    var tick = toCents(state.dutch_tick) || 0;
    if (tick <= 0) return 0;
    return Math.max(0, Math.floor((toCents(state.start_price) - (toCents(state.dutch_floor) || 0)) / tick));
  }
  // rules.dutch_price_at: start − tick × ⌊(at − starts_at) / interval⌋, never below the floor
  function dutchPriceAt(at) {
    var start = toCents(state.start_price), t0 = isoMs(state.starts_at);
    var interval = (state.dutch_interval_seconds || 0) * 1000;
    if (start === null || t0 === null || at <= t0 || interval <= 0) return start;
    var steps = Math.floor((at - t0) / interval);
    var tick = toCents(state.dutch_tick) || 0, floor = toCents(state.dutch_floor) || 0;
    return Math.max(floor, start - tick * Math.min(steps, dutchStepsToFloor()));
  }
  // what is offered now (rules.dutch_price): the taken price once taken (frozen), else the
  // step price at the server's now, never past the deadline; while paused the server's figure
  function dutchPrice() {
    if (state.current_price) return toCents(state.current_price);
    if (state.status === "paused" && state.dutch_price) return toCents(state.dutch_price);
    var at = serverNow(), end = isoMs(state.ends_at);
    if (end !== null && at > end) at = end;
    return dutchPriceAt(at);
  }
  // ms until the next step down, or null: taken, paused, over, at the lowest step, or the
  // deadline comes first
  function dutchNextStepIn() {
    var t0 = isoMs(state.starts_at), end = isoMs(state.ends_at);
    var interval = (state.dutch_interval_seconds || 0) * 1000;
    if (state.current_price || state.status === "paused" || isOver() || t0 === null || interval <= 0) return null;
    var now = serverNow();
    var steps = now > t0 ? Math.floor((now - t0) / interval) : 0;
    if (steps >= dutchStepsToFloor()) return null;
    var next = t0 + (steps + 1) * interval;
    if (end !== null && next >= end) return null;
    return Math.max(0, next - now);
  }
  function beforeDeadline() { var end = isoMs(state.ends_at); return end !== null && end > serverNow(); }
  function dutchWindowOpen() {  // taken, and the pre-emption window (the deadline) still runs
    return dutchTaken() && state.status === "running" && beforeDeadline();
  }
  function mmss(ms) {
    var s = Math.floor(ms / 1000), m = Math.floor(s / 60), sec = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
  }
  function validateDutch(c) {  // rules._dutch and _dutch_preempt, as far as the page knows
    if (dutchTaken()) {
      var taken = toCents(state.current_price);
      return c === taken ? null : T.dutch_same_price.replace("%s", fmt(taken));
    }
    var price = dutchPrice(), start = toCents(state.start_price), tick = toCents(state.dutch_tick) || 0;
    if (price !== null && c < price) return T.dutch_too_low.replace("%s", fmt(price));
    if (start !== null && c > start) return T.dutch_above_start.replace("%s", fmt(start));
    if (tick > 0 && start !== null && (start - c) % tick !== 0) return T.dutch_not_multiple.replace("%s", fmt(tick));
    return null;
  }
  // the taker while the lot is taken (the pre-emption window, or paused in it): rules._dutch_preempt
  // refuses any bid of the leader (self_raise), so the page offers none and says why
  function dutchLeader() { return dutchTaken() && myStatus() === "leading" && !isOver(); }
  // a bidder other than the taker while the lot is taken: may they pre-empt (rules._dutch_preempt)?
  // No right at all (my_rank 0) never; a holder as the server last said (unknown right after a
  // new bid, until its snapshot is back: the server decides)
  function dutchNoRight() {
    if (!dutchTaken() || isOver() || !state.my_no || dutchLeader()) return false;
    if (!state.my_rank) return true;
    return state.my_can_preempt === false;
  }
  // the custom amount's example, from one of the template's texts ("%s" = the amount as typed,
  // e.g. 98000.00): in Dutch mode the only amount worth bidding — the step price, once taken
  // the frozen taken price —, in the other modes the lowest amount biddable now (最低可出价)
  function amountPlaceholder(attribute, cents) {
    var text = els.amount && els.amount.getAttribute(attribute);
    if (!text || cents === null) return;
    text = text.replace("%s", fromCents(cents));
    if (els.amount.placeholder !== text) els.amount.placeholder = text;
  }
  function dutchPhase() {
    if (state.status !== "running" || !state.current_price) return state.phase;
    return dutchWindowOpen() ? "preemption" : "closed";  // taken and the deadline passed: the clock closes it
  }
  function renderDutch() {  // every tick: the price moves without any message from the server
    var price = dutchPrice(), taken = dutchTaken(), open = dutchWindowOpen();
    var sold = state.status === "closed" && state.final_price;
    setText(els.priceLabel, sold ? T.final_price : taken ? T.dutch_taken : T.dutch_price);
    setText(els.price, fmt(sold ? state.final_price : price));
    setText(els.phase, T.phase[dutchPhase()] || state.phase_label || "");
    setText(els.dutchNextLabel, taken ? T.dutch_window_left : T.dutch_next);
    if (els.dutchNextRow) els.dutchNextRow.hidden = isOver();  // neither a next step nor a window after the close
    var next = taken ? (open ? Math.max(0, isoMs(state.ends_at) - serverNow()) : null) : dutchNextStepIn();
    setText(els.dutchNext, next !== null ? mmss(next) : (!taken && state.status === "running" ? T.dutch_lowest : "—"));
    var mine = dutchLeader(), noRight = dutchNoRight();
    setText(els.next, state.status === "running" && price !== null && !noRight && !(taken && mine) ? fmt(price) : "—");
    if (els.dutchNote) {
      els.dutchNote.hidden = !open;
      if (open) setText(els.dutchNote, T.dutch_preempt_note.replace("%s", fmt(price)));
    }
    if (els.take) {
      els.take.hidden = mine || noRight;
      els.take.disabled = !canBid() || !beforeDeadline() || mine || noRight;
      setText(els.takeLabel, taken ? T.dutch_preempt : T.dutch_take);
      setText(els.takeAmount, fmt(price));
    }
    if (els.dutchMine) {
      els.dutchMine.hidden = !mine;
      if (mine) setText(els.dutchMine, els.dutchMine.getAttribute("data-text").replace("%s", fmt(price)));
    }
    if (els.dutchNoRight) els.dutchNoRight.hidden = !noRight;
    amountPlaceholder(taken ? "data-placeholder-taken" : "data-placeholder-dutch", price);
    if (els.takeBox) els.takeBox.hidden = isOver();
  }

  // ---- rendering ------------------------------------------------------------------------------
  function serverNow() { return Date.now() + offsetMs; }
  // a bid's server time with milliseconds, in the exchange's wall-clock time whatever the
  // browser's time zone, with the date when not today (F.moment):
  // "2026-11-27T20:12:04.364000+08:00" → "20:12:04.364" (today) or "11-27 20:12:04.364"
  function clockText(iso) {
    var text = F.moment(iso, serverNow());
    if (!text) return "—";
    var m = /T\d\d:\d\d:\d\d(\.\d{1,3})?/.exec(String(iso));
    return text + (m[1] || ".000").padEnd(4, "0");
  }
  function setText(node, text) { if (node && node.textContent !== text) node.textContent = text; }
  function isOver() { return state.status === "closed" || state.status === "cancelled"; }
  function canBid() { return state.status === "running" && !!state.my_no && !closed && !isOver(); }
  // the server's my_status (leading, outbid, quoted, none) kept live from the bids seen; the
  // page adds won / lost / did_not_bid after the close
  function myStatus() {
    if (!state.my_no) return "";
    if (state.status === "closed") {
      if (state.winner_no && state.winner_no === state.my_no) return "won";
      return iBid ? "lost" : "did_not_bid";
    }
    if (state.mode === "sealed" && state.sealed !== false && !isOver()) return iBid ? "quoted" : "none";
    if (state.leader_no && state.leader_no === state.my_no) return "leading";
    return iBid ? "outbid" : "none";
  }
  function render() {
    if (state.mode !== "dutch") {  // dutch: renderDutch, from tick()
      setText(els.price, fmt(state.current_price));
      setText(els.priceLabel, state.status === "closed" && state.final_price ? T.final_price : state.current_price ? T.current_price : T.start_price_label);
      if (!state.current_price && els.price) els.price.textContent = fmt(state.start_price);
    }
    setText(els.leader, state.leader_no || "—");
    setText(els.myNo, state.my_no || T.not_bidder);
    var ms = myStatus();
    if (els.myStatus) {
      els.myStatus.className = "bid-status bid-status-" + (ms || "none");
      var labels = {
        leading: T.leading, outbid: T.outbid, none: T.no_bid_yet, quoted: T.quoted,
        won: T.won, lost: T.lost, did_not_bid: T.did_not_bid,
      };
      var looks = { won: "leading", lost: "none", did_not_bid: "none", quoted: "leading" };
      els.myStatus.className = "bid-status bid-status-" + (looks[ms] || ms || "none");
      setText(els.myStatus, labels[ms] || "");
    }
    setText(els.status, T.status[state.status] || state.status_label || state.status || "");
    if (els.status) els.status.className = "badge bid-badge-" + (state.status || "");
    setText(els.phase, state.phase_label || T.phase[state.phase] || "");
    // sealed before the opening: the number of quotes is not sent (null)
    setText(els.count, state.bid_count === null || state.bid_count === undefined ? "—" : String(state.bid_count));
    if (els.notice) {  // an outage moved the deadline: the server's notice, as sent
      els.notice.hidden = !state.notice;
      setText(els.notice, state.notice || "");
    }
    setText(els.next, state.status === "running" && minNext() !== null ? fmt(minNext()) : "—");
    if (state.mode !== "dutch" && state.status === "running") amountPlaceholder("data-placeholder-min", minNext());
    if (state.increment) setText(els.increment, fmt(state.increment));
    if (els.startsRow) els.startsRow.hidden = state.status !== "scheduled";
    tickMoments();
    var sign = offsetMs >= 0 ? "+" : "−";
    setText(els.offset, sign + (Math.abs(offsetMs) / 1000).toFixed(2) + " s");
    var bidOk = canBid();
    quick.forEach(function (b) {
      var n = parseInt(b.getAttribute("data-quick"), 10);
      b.disabled = !bidOk || (ms === "leading" && !state.allow_leader_rebid);
      // labelled by the amount it bids ("出价 ¥2,360,000.00"); the line under it says how
      // that amount comes about (before the first bid, "+1" bids the start price itself)
      setText(b.querySelector("[data-quick-amount]"), state.start_price ? T.bid_amount.replace("%s", fmt(quickAmount(n))) : "");
      var first = toCents(state.current_price) === null;
      setText(b.querySelector("[data-quick-how]"), first ? (n === 1 ? T.quick_start : T.quick_start_plus.replace("%n", n - 1)) : T.quick_plus.replace("%n", n));
    });
    if (els.form) {
      Array.prototype.forEach.call(els.form.querySelectorAll("input,button"), function (x) { x.disabled = !bidOk; });
      els.form.hidden = isOver() || dutchLeader() || dutchNoRight();  // dutch: nothing left to bid
    }
    var quickBox = document.querySelector(".bid-quick");
    if (quickBox) quickBox.hidden = isOver() || state.mode === "dutch";
    if (state.status === "closed" || state.status === "cancelled") showResult();
    tick();
  }
  // the deadline (and, before the opening, the start) with the date whenever it is not the
  // exchange's today: 18:42:01, 12-03 18:42:01 (F.moment, the twin of the |moment filter)
  function tickMoments() {
    var now = serverNow();
    if (els.endsAt && state.ends_at) setText(els.endsAt, F.moment(state.ends_at, now));
    if (els.startsAt && state.starts_at) setText(els.startsAt, F.moment(state.starts_at, now));
  }
  function tick() {
    tickMoments();
    if (state.mode === "dutch") renderDutch();
    if (!els.countdown) return;
    if (!state.ends_at || state.status === "closed" || state.status === "cancelled") {
      setText(els.countdown, state.status === "closed" ? T.ended : "—");
      root.classList.remove("is-urgent");
      return;
    }
    if (state.status === "paused") { setText(els.countdown, T.paused); return; }
    var target = new Date(state.status === "scheduled" && state.starts_at ? state.starts_at : state.ends_at).getTime();
    var left = Math.max(0, target - serverNow());
    var s = Math.floor(left / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
    if (left < 10000 && state.status === "running") text += "." + Math.floor((left % 1000) / 100);
    setText(els.countdown, (state.status === "scheduled" ? T.starts_in + " " : "") + text);
    root.classList.toggle("is-urgent", state.status === "running" && left < 30000);
  }
  function addHistory(bid, live) {
    if (!els.history || seen[bid.seq]) return;
    seen[bid.seq] = true;
    if (els.empty) els.empty.hidden = true;
    var tr = document.createElement("tr");
    tr.setAttribute("data-seq", bid.seq);
    var mine = state.my_no && bid.bidder_no === state.my_no;
    if (mine) tr.className = "is-mine";
    var cells = [
      bid.seq === null || bid.seq === undefined ? "—" : String(bid.seq),  // a sealed receipt: no place told
      bid.bidder_no + (mine ? " (" + T.me + ")" : ""),
      fmt(bid.amount),
      clockText(bid.accepted_at),
    ];
    cells.forEach(function (c, i) {
      var td = document.createElement("td");
      td.textContent = c;
      if (i === 2) td.className = "num";
      tr.appendChild(td);
    });
    // newest first; replayed bids arrive in order, so inserting at the top keeps it sorted
    var first = els.history.firstElementChild;
    while (first && parseInt(first.getAttribute("data-seq"), 10) > bid.seq) first = first.nextElementSibling;
    els.history.insertBefore(tr, first);
    if (live) { tr.classList.add("is-new"); setTimeout(function () { tr.classList.remove("is-new"); }, 1500); }
    while (els.history.children.length > 200) els.history.removeChild(els.history.lastElementChild);
  }
  function showResult() {
    if (!els.result) return;
    els.result.hidden = false;
    var txt;
    if (state.status === "cancelled") txt = T.cancelled;
    else if (state.result === "sold" || (state.winner_no && state.final_price)) {
      txt = T.sold.replace("%no", state.winner_no || state.leader_no || "").replace("%price", fmt(state.final_price || state.current_price));
      if (state.my_no && (state.winner_no || state.leader_no) === state.my_no) txt += " " + T.you_won;
    } else if (state.result_label) txt = state.result_label;
    else txt = T.ended;
    setText(els.result, txt);
  }
  function flash(text, kind) {
    if (!els.flash) return;
    els.flash.textContent = text;
    els.flash.className = "alert alert-" + (kind || "success");
    els.flash.hidden = false;
    clearTimeout(flash.t);
    flash.t = setTimeout(function () { els.flash.hidden = true; }, 4000);
  }
  function setConn(ok, text) {
    if (!els.conn) return;
    els.conn.className = "conn " + (ok ? "conn-ok" : "conn-bad");
    setText(els.conn, text);
  }

  // ---- server data ----------------------------------------------------------------------------
  var MINE = ["my_no", "my_status", "my_rank", "my_can_preempt", "my_quote"];
  function applyState(s, rtt) {
    var mine = {};
    MINE.forEach(function (k) { mine[k] = state[k]; });
    for (var k in s) if (Object.prototype.hasOwnProperty.call(s, k)) state[k] = s[k];
    if (!s.my_no && mine.my_no) {  // public state events do not carry this viewer's fields
      MINE.forEach(function (k) { state[k] = mine[k]; });
    } else if (s.my_no && s.my_status && s.my_status !== "none") {
      iBid = true;  // leading, outbid, quoted: the server knows of a bid of mine
    }
    if (s.my_quote && state.my_no) addHistory(s.my_quote, false);  // sealed: my own receipt only
    if (s.server_time) {
      var server = typeof s.server_time === "number" ? s.server_time * 1000 : new Date(s.server_time).getTime();
      offsetMs = server + (rtt || 0) / 2 - Date.now();
    }
    render();
  }
  function applyBid(b, live) {
    var seq = parseInt(b.seq, 10);
    if (seq > lastSeq) {
      lastSeq = seq;
      state.current_price = b.amount;
      state.leader_no = b.bidder_no;
      if (b.ends_at) state.ends_at = b.ends_at;
      state.next_minimum = b.next_minimum || null;  // recomputed from the increment
      if (state.mode === "dutch") {  // taken: the price freezes; a holder may bid this price only
        state.next_minimum = b.amount;
        state.dutch_price = b.amount;
      }
      state.bid_count = Math.max(state.bid_count || 0, seq);
      // taken or pre-empted by another: whether I may (still) pre-empt is the server's to say
      if (state.mode === "dutch" && live && state.my_rank && b.bidder_no !== state.my_no) {
        state.my_can_preempt = null;
        load().catch(function () {});
      }
    }
    if (state.my_no && b.bidder_no === state.my_no) iBid = true;
    addHistory(b, live);
    render();
  }
  function load() {
    var t0 = Date.now();
    return fetch(cfg.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) { if (res.ok) applyState(res.body, Date.now() - t0); });
  }

  // ---- the event stream -------------------------------------------------------------------------
  var retryDelay = 1000;
  function connect() {
    if (closed) return;
    var url = cfg.events + (lastSeq ? "?last_event_id=" + lastSeq : "");
    es = new EventSource(url, { withCredentials: true });
    es.addEventListener("open", function () { setConn(true, T.live); retryDelay = 1000; });
    es.addEventListener("state", function (e) { applyState(JSON.parse(e.data)); });
    es.addEventListener("bid", function (e) { applyBid(JSON.parse(e.data), true); });
    es.addEventListener("closed", function (e) {
      applyState(JSON.parse(e.data));
      closed = true;
      state.status = state.status === "cancelled" ? "cancelled" : "closed";
      render();
      es.close();
      setConn(true, T.ended);
    });
    es.addEventListener("error", function () {
      if (closed) return;
      if (es.readyState === EventSource.CLOSED) {  // the browser gave up: we reconnect with replay
        setConn(false, T.reconnecting);
        setTimeout(function () { load().catch(function () {}).then(connect); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 15000);
      } else {
        setConn(false, T.reconnecting);  // EventSource retries by itself, with Last-Event-ID
      }
    });
  }

  // ---- bidding --------------------------------------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }
  function ask(cents) {
    pendingAmount = cents;
    setText(els.confirmAmount, fmt(cents));
    setText(els.confirmUpper, upper(cents));
    if (els.dialog && els.dialog.showModal) els.dialog.showModal();
    else if (window.confirm(T.confirm_q + " " + fmt(cents))) place(cents);
  }
  function place(cents) {
    var amount = fromCents(cents);
    setText(els.formError, "");
    return fetch(cfg.bids, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cfg.csrf },
      body: JSON.stringify({ amount: amount, key: uuid() }),
    })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (res) {
        if (res.status === 201 || res.status === 200) {
          flash(T.accepted.replace("%s", fmt(res.body.amount)), "success");
          if (els.amount) els.amount.value = "";
          applyBid(res.body, false);
        } else {
          var msg = (res.body && res.body.message) || T.failed;
          flash(msg, "error");
          setText(els.formError, msg);
          load();
        }
      })
      .catch(function () { flash(T.network, "error"); });
  }
  quick.forEach(function (b) {
    b.addEventListener("click", function () { ask(quickAmount(parseInt(b.getAttribute("data-quick"), 10))); });
  });
  if (els.take) {
    // the price shown when clicked: if it steps down before the confirmation, that amount is
    // still on the grid and above the step price, so it takes the lot at what was confirmed
    els.take.addEventListener("click", function () {
      var c = dutchPrice();
      if (c === null) return;
      setText(els.formError, "");  // the button does not use the custom amount: clear its error
      if (els.amount) els.amount.removeAttribute("aria-invalid");
      ask(c);
    });
  }
  if (els.form) {
    els.form.addEventListener("submit", function (e) {
      e.preventDefault();
      var err = validate(els.amount.value);
      setText(els.formError, err || "");
      if (els.amount) els.amount.setAttribute("aria-invalid", err ? "true" : "false");
      if (!err) ask(toCents(els.amount.value.trim().replace(/,/g, "")));
    });
  }
  if (els.dialog) {
    els.dialog.addEventListener("close", function () {
      if (els.dialog.returnValue === "confirm" && pendingAmount !== null) place(pendingAmount);
      pendingAmount = null;
    });
  }

  // ---- start ------------------------------------------------------------------------------------------
  applyState(cfg.initial || {});
  (cfg.initial_bids || []).forEach(function (b) { applyBid(b, false); });
  setInterval(tick, 100);
  setConn(false, T.connecting);
  connect();
  window.__auction = { state: state, lastSeq: function () { return lastSeq; }, offset: function () { return offsetMs; } };
})();
