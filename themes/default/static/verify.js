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

  function fill(el, values) {         /* {name} in el's text (not its markup) replaced by values[name] */
    var walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) {
      walk.currentNode.nodeValue = walk.currentNode.nodeValue.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
    }
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

  /* the certificate's status by the reader's own calendar (SPEC §5): returns it */
  function recheck(box) {
    var built = box.getAttribute("data-status");
    var until = box.getAttribute("data-valid-until");
    if (["valid", "expiring"].indexOf(built) < 0 || !until) return built;
    var today = isoToday();
    var left = daysBetween(today, until);
    var now = left <= 0 ? "expired" : left < +box.getAttribute("data-expiring-days") ? "expiring" : "valid";
    if (now !== built) {
      box.setAttribute("data-status", now);
      Array.prototype.forEach.call(box.querySelectorAll("[data-clock-note]"), function (el) { fill(el, {today: longDay(today, el)}); });
    }
    return now;
  }

  /* SHA-256 of an ASCII string, as hex (the stamp's check: codes.py); no secure context needed */
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,
    0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,
    0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,
    0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,
    0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  function sha256(text) {
    function ror(x, n) { return (x >>> n) | (x << (32 - n)); }
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var bytes = [], i, j, w = [];
    for (i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i) & 255);
    var bits = bytes.length * 8;
    bytes.push(0x80);
    while (bytes.length % 64 !== 56) bytes.push(0);
    bytes.push(0, 0, 0, 0, (bits >>> 24) & 255, (bits >>> 16) & 255, (bits >>> 8) & 255, bits & 255);
    for (j = 0; j < bytes.length; j += 64) {
      for (i = 0; i < 16; i++) w[i] = (bytes[j + 4 * i] << 24) | (bytes[j + 4 * i + 1] << 16) | (bytes[j + 4 * i + 2] << 8) | bytes[j + 4 * i + 3];
      for (i = 16; i < 64; i++) {
        var s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        var s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (i = 0; i < 64; i++) {
        var t1 = (h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        var t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H = [H[0] + a, H[1] + b, H[2] + c, H[3] + d, H[4] + e, H[5] + f, H[6] + g, H[7] + h].map(function (x) { return x | 0; });
    }
    return H.map(function (x) { return ("0000000" + (x >>> 0).toString(16)).slice(-8); }).join("");
  }

  /* what the address says of the stamp: calls back with {kind, serial, batch}; kind is none, ok,
     legacy (a batch printed without codes), unchecked (its code file could not be fetched),
     unknown (no such serial), malformed or mismatch (a wrong or missing check code) */
  var SHARD = 256;
  function readStamp(box, done) {
    var match = /[?&]s=([^&#]*)/.exec(location.search);
    if (!match) return done({kind: "none"});
    var written = "";
    try { written = decodeURIComponent(match[1]).trim().toLowerCase(); } catch (e) { /* a malformed %-escape */ }
    var parts = /^(\d{1,15})(?:[-.](\w{1,32}))?$/.exec(written);
    if (!parts) return done({kind: "malformed"});        /* never shown as written: a link could make an official page say anything */
    var serial = +parts[1], code = (parts[2] || "").replace(/o/g, "0").replace(/[il]/g, "1");
    var batch = null;
    (box.getAttribute("data-batches") || "").split(" ").forEach(function (b) {
      var m = /^(\d+)-(\d+):(\S+)$/.exec(b);
      if (m && serial >= +m[1] && serial <= +m[2]) batch = {first: m[1], last: m[2], issued: m[3]};
    });
    var stamp = {serial: String(serial), batch: batch};
    if (!batch) { stamp.kind = "unknown"; return done(stamp); }
    var shard = Math.floor(serial / SHARD);
    if ((" " + (box.getAttribute("data-codes") || "") + " ").indexOf(" " + shard + " ") < 0) {
      stamp.kind = "legacy";
      return done(stamp);
    }
    var request = new XMLHttpRequest();
    request.open("GET", box.getAttribute("data-codes-at") + shard + ".txt");
    request.onload = function () {
      if (request.status !== 200) { stamp.kind = "unchecked"; return done(stamp); }
      var hash = (request.responseText.split("\n")[serial % SHARD] || "").trim();
      var product = box.getAttribute("data-product");
      stamp.kind = !hash ? "legacy" : code && sha256(product + "/" + serial + "/" + code).slice(0, 16) === hash ? "ok" : "mismatch";
      done(stamp);
    };
    request.onerror = function () { stamp.kind = "unchecked"; done(stamp); };
    request.send();
  }

  /* the verdict of the scan (SPEC §7): the certificate's status and the stamp's kind */
  function decide(box, status, stamp) {
    var certStop = ["valid", "expiring"].indexOf(status) < 0;
    var stampStop = ["unknown", "malformed", "mismatch"].indexOf(stamp.kind) >= 0;
    var verdict = certStop || stampStop ? "stop" : status === "expiring" || stamp.kind === "legacy" || stamp.kind === "unchecked" ? "caution" : "ok";
    box.setAttribute("data-verdict", verdict);
    box.setAttribute("data-stamp", stamp.kind);
    var head = certStop ? status : stampStop || status === "valid" && verdict === "caution" ? stamp.kind : status;
    Array.prototype.forEach.call(box.querySelectorAll("[data-head]"), function (el) {
      el.hidden = el.getAttribute("data-head") !== head;
    });
    Array.prototype.forEach.call(box.querySelectorAll("[data-tense]"), function (el) {
      el.hidden = el.getAttribute("data-tense") !== (certStop ? "past" : "now");
    });
    var line = stamp.kind === "none" ? "" : certStop && !stampStop ? "void" : stamp.kind;
    var b = stamp.batch || {};
    Array.prototype.forEach.call(box.querySelectorAll("[data-stamp], [data-head]"), function (el) {
      if (el.hasAttribute("data-stamp")) el.hidden = el.getAttribute("data-stamp") !== line;
      if (!el.hidden) fill(el, {serial: stamp.serial || "", first: b.first || "", last: b.last || "",
                                issued: b.issued ? longDay(b.issued, el) : ""});
    });
    Array.prototype.forEach.call(box.querySelectorAll("[data-checked]"), function (el) {
      fill(el, {when: longNow(el), host: location.host});
    });
    Array.prototype.forEach.call(box.querySelectorAll("a[data-report]"), function (a) {
      a.href = "mailto:" + a.getAttribute("data-report") + "?subject=" + encodeURIComponent(a.getAttribute("data-subject")) +
        "&body=" + encodeURIComponent(a.getAttribute("data-body").replace("{serial}", stamp.serial || "?") + "\n" + location.href);
    });
  }

  function longNow(el) {        /* the reader's date and time, as the section's language writes them */
    var section = el.closest("[data-lang]");
    try {
      return new Intl.DateTimeFormat(section ? section.getAttribute("data-lang") : undefined,
        {year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit"}).format(new Date());
    } catch (e) {
      return new Date().toString();
    }
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
  /* the root page leads a reader straight to their language's home, unless they came from this
     site (to choose another language): without script, or then, the chooser stays */
  var chooser = document.getElementById("choose-language");
  if (chooser && !(document.referrer && document.referrer.indexOf(location.origin + "/") === 0)) {
    var enter = chooser.querySelector('section[data-lang="' + pickLanguage() + '"] a[hreflang]');
    if (enter) { location.replace(enter.href); return; }
  }
  var box = document.getElementById("verification");
  if (box) {
    var status = recheck(box);
    readStamp(box, function (stamp) { decide(box, status, stamp); });
  }
  show(pickLanguage());
})();
