/* Catalogue filters: narrow the products by category, commune and stars together; on a facet's
   list (a commune's, a category's, a star class's) by the other two, that facet held (a hidden
   field). Without this script the facet links lead to the same lists as static pages, one facet
   at a time. A list on one page is narrowed in place, at once. A longer one (a page of each PER_PAGE
   products, routes.py) shows instead the products of one of the facet lists, the chosen commune's,
   else category's, else star class's (the shortest, as a rule), fetched from the site page by page
   (at `<list>page/<n>/`, two on their way at a time) and narrowed by the other choices: a page's
   worth at a time, or ten of the list's pages, and a button for more; a weak connection fetches
   only what the reader asks for. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) return;
  var fields = ["category", "commune", "stars"].filter(function (f) { return form.elements[f]; });   /* (no commune: too many) */
  var shortest = ["commune", "category", "stars"];     /* the facet list fetched: the first chosen */
  var count = form.querySelector(".count");
  var more = document.getElementById("more-products");
  var list = document.querySelector(".cards");
  var pager = document.querySelector(".pager");
  var own = list ? Array.prototype.slice.call(list.querySelectorAll(".card")) : [];
  var heading = own.length ? own[0].querySelector(".name").tagName : "H2";
  var found = null;         /* the products of a facet list shown: {ul, source, pages, next, ahead, size, shown, abort} */

  function chosen() {
    return fields.filter(function (f) { return form.elements[f].value; });
  }

  function picked() {
    /* what the reader chose, not the facet the page holds */
    return chosen().filter(function (f) { return form.elements[f].tagName === "SELECT"; });
  }

  function listOf(f) {
    /* the address of a chosen facet's list */
    var field = form.elements[f];
    return (field.options ? field.options[field.selectedIndex] : field).getAttribute("data-href");
  }

  function matches(card, names) {
    return names.every(function (f) { return card.getAttribute("data-" + f) === form.elements[f].value; });
  }

  function number(n) {          /* as the page's language writes it: 1.234 in Vietnamese */
    return n.toLocaleString(document.documentElement.lang);
  }

  function say(text) {
    count.textContent = text === "" ? "" : count.getAttribute("data-template").replace("{count}", text);
  }

  function fetchPage(url, signal) {
    return fetch(url, { signal: signal, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.text();
    }).then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  function address(n) {
    return n === 1 ? found.source : found.source + "page/" + n + "/";
  }

  function take(doc, names) {
    /* the cards of a fetched page that match, with this page's heading level */
    var cards = doc.querySelectorAll(".cards .card");
    found.size = found.size || cards.length;
    cards.forEach(function (card) {
      if (!matches(card, names)) return;
      var name = card.querySelector(".name");
      if (name && name.tagName !== heading) {
        var renamed = document.createElement(heading);
        renamed.className = name.className;
        renamed.append.apply(renamed, Array.prototype.slice.call(name.childNodes));
        name.replaceWith(renamed);
      }
      found.ul.append(document.importNode(card, true));
      found.shown++;
    });
  }

  async function load(names, asked) {
    /* the next pages of the facet list, until a page's worth of products more is shown (as many
       as its first page has), ten pages are fetched or the list ends; `asked`: by the button,
       whose reader is taken to the first product it brought */
    var mine = found, fetched = 0, before = mine.shown;
    more.hidden = true;
    try {
      while (mine.next <= mine.pages && (fetched === 0 || fetched < 10 && mine.shown - before < mine.size)) {
        for (var n = mine.next; n <= Math.min(mine.pages, mine.next + 1); n++) {     /* two on their way */
          if (!mine.ahead[n]) {
            mine.ahead[n] = fetchPage(address(n), mine.abort.signal);
            mine.ahead[n].catch(function () {});          /* (said when it is awaited) */
          }
        }
        var doc = await mine.ahead[mine.next];
        delete mine.ahead[mine.next];
        if (found !== mine) return;
        if (mine.next === 1) {
          var nav = doc.querySelector(".pager");
          mine.pages = nav ? parseInt(nav.getAttribute("data-pages"), 10) || 1 : 1;
        }
        take(doc, names);
        mine.next++;
        fetched++;
        say(number(mine.shown) + "…");          /* shown as they come */
      }
      say(number(mine.shown));
      more.hidden = mine.next > mine.pages;
      more.querySelector(".failed").hidden = true;
      var first = asked && mine.ul.children[before];
      if (first) first.querySelector("a").focus();
    } catch (e) {
      if (found !== mine) return;
      mine.ahead = {};                  /* fetched again when asked */
      say(number(mine.shown));
      more.hidden = false;
      more.querySelector(".failed").hidden = false;
    }
  }

  function apply() {
    var names = chosen(), query = picked().map(function (f) {
      return f + "=" + encodeURIComponent(form.elements[f].value);
    });
    history.replaceState(null, "", query.length ? "?" + query.join("&") : location.pathname);
    if (found) {
      found.abort.abort();
      found.ul.remove();
      found = null;
    }
    if (!pager) {               /* every product on this page: narrowed in place */
      var shown = 0;
      own.forEach(function (card) { card.hidden = !matches(card, names); if (!card.hidden) shown++; });
      var lapsed = list.querySelector(".lapsed-heading");     /* the heading of a section with none left shown */
      if (lapsed) lapsed.hidden = !own.some(function (card) { return !card.hidden && card.classList.contains("lapsed"); });
      say(number(shown) + " / " + number(own.length));
      return;
    }
    if (list) list.hidden = query.length > 0;
    pager.hidden = query.length > 0;
    more.hidden = true;
    if (!query.length) { say(""); return; }
    found = { ul: document.createElement("ul"), source: listOf(shortest.filter(function (f) { return names.indexOf(f) >= 0; })[0]),
              pages: 1, next: 1, ahead: {}, size: 0, shown: 0, abort: new AbortController() };
    found.ul.className = "cards";
    (list || pager).before(found.ul);
    say("…");
    load(names, false);
  }

  var params = new URLSearchParams(location.search);
  fields.forEach(function (name) {
    var value = params.get(name), field = form.elements[name];
    if (value && field.options && field.querySelector('option[value="' + CSS.escape(value) + '"]')) field.value = value;
  });
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  if (more) more.querySelector("button").addEventListener("click", function () { if (found) load(chosen(), true); });
  form.hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll("nav.facets"), function (nav) {
    nav.hidden = true;          /* one way to narrow the list: the same choices as the links, in the form */
  });
  apply();
})();
