/* Language-neutral pages (root, stamp verification, not found): show the reader's language,
   re-check a certificate against the reader's own calendar, check a stamp's serial number.
   Without this script the pages read in the site's default language, as built. */
(function () {
  "use strict";
  var gs1 = document.getElementById("gs1");          /* a GS1 Digital Link address: go on, keeping ?s= */
  if (gs1) { location.replace(gs1.getAttribute("data-target") + location.search); return; }
  var sections = document.querySelectorAll("section[data-lang]");
  if (!sections.length) return;

  function pickLanguage() {
    var codes = Array.prototype.map.call(sections, function (s) { return s.getAttribute("data-lang"); });
    var wanted = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < wanted.length; i++) {
      var w = String(wanted[i]).toLowerCase();
      for (var j = 0; j < codes.length; j++) if (codes[j].toLowerCase() === w) return codes[j];
      for (j = 0; j < codes.length; j++) if (codes[j].toLowerCase().split("-")[0] === w.split("-")[0]) return codes[j];
    }
    return codes[0];
  }

  function show(code) {       /* the sections, and the banner, name and footer in each language */
    Array.prototype.forEach.call(document.querySelectorAll("[data-lang]"), function (s) {
      s.hidden = s.getAttribute("data-lang") !== code;
    });
    Array.prototype.forEach.call(document.querySelectorAll("a[data-lang-link]"), function (a) {
      if (a.getAttribute("data-lang-link") === code) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
    document.documentElement.lang = code;
    var section = document.querySelector('section[data-lang="' + code + '"][data-title]');
    if (section) document.title = section.getAttribute("data-title");
  }

  function fill(el, values) {
    el.textContent = el.textContent.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
    el.hidden = false;
  }

  function longDay(iso, el) {   /* an ISO date written as the page writes its dates, in the language of el's section */
    var p = iso.split("-");
    try {
      var section = el.closest("[data-lang]");
      return new Intl.DateTimeFormat(section ? section.getAttribute("data-lang") : undefined,
        {year: "numeric", month: "long", day: "numeric", timeZone: "UTC"}).format(new Date(Date.UTC(+p[0], +p[1] - 1, +p[2])));
    } catch (e) {
      return iso;
    }
  }

  function isoToday() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  }

  function daysBetween(a, b) {         /* whole calendar days from ISO date a to ISO date b */
    function utc(s) { var p = s.split("-"); return Date.UTC(+p[0], +p[1] - 1, +p[2]); }
    return Math.round((utc(b) - utc(a)) / 86400000);
  }

  function recheck(box) {
    var built = box.getAttribute("data-status");
    var until = box.getAttribute("data-valid-until");
    if (["valid", "expiring", "expired"].indexOf(built) < 0 || !until) return;
    var today = isoToday();
    var left = daysBetween(today, until);
    var now = left <= 0 ? "expired" : left < +box.getAttribute("data-expiring-days") ? "expiring" : "valid";
    if (now === built) return;
    box.setAttribute("data-status", now);
    Array.prototype.forEach.call(box.querySelectorAll("[data-when]"), function (el) {
      el.hidden = el.getAttribute("data-when") !== now;
    });
    Array.prototype.forEach.call(box.querySelectorAll("[data-clock-note]"), function (el) { fill(el, {today: longDay(today, el)}); });
  }

  function checkSerial(box) {
    var match = /[?&]s=([^&#]*)/.exec(location.search);
    if (!match) return;
    var serial = "";
    try { serial = decodeURIComponent(match[1]); } catch (e) { /* a malformed %-escape: not a number */ }
    var found = null;
    if (!/^\d{1,15}$/.test(serial)) {
      serial = "?";     /* never shown as written: a link could make an official page say anything */
    } else {
      (box.getAttribute("data-batches") || "").split(" ").forEach(function (b) {
        var m = /^(\d+)-(\d+):(\S+)$/.exec(b);
        if (m && +serial >= +m[1] && +serial <= +m[2]) found = {first: m[1], last: m[2], issued: m[3]};
      });
    }
    box.setAttribute("data-serial", found ? "ok" : "unknown");
    Array.prototype.forEach.call(box.querySelectorAll(found ? "[data-serial-ok]" : "[data-serial-unknown]"), function (el) {
      fill(el, {serial: serial, first: found ? found.first : "", last: found ? found.last : "",
                issued: found ? longDay(found.issued, el) : ""});
    });
  }

  /* the language links lead to each language's product page; here they switch the page in place */
  Array.prototype.forEach.call(document.querySelectorAll("a[data-lang-link]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      show(a.getAttribute("data-lang-link"));
    });
  });

  var notFound = document.getElementById("not-found");
  if (notFound) {
    var onVerify = location.pathname.indexOf(notFound.getAttribute("data-verify-prefix")) === 0;
    Array.prototype.forEach.call(notFound.querySelectorAll("[data-when-path]"), function (el) {
      el.hidden = el.getAttribute("data-when-path") !== (onVerify ? "verify" : "other");
    });
  }
  var box = document.getElementById("verification");
  if (box) { recheck(box); checkSerial(box); }
  show(pickLanguage());
})();
