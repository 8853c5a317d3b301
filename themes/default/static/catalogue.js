/* Catalogue filters: narrow the list at once by category, commune and stars. Without this script
   the facet links above the list lead to the same lists as static pages. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) return;
  var cards = document.querySelectorAll(".cards .card");
  var count = form.querySelector(".count");
  var fields = ["category", "commune", "stars"];

  function apply() {
    var shown = 0, query = [];
    fields.forEach(function (name) { if (form.elements[name].value) query.push(name + "=" + encodeURIComponent(form.elements[name].value)); });
    Array.prototype.forEach.call(cards, function (card) {
      var match = fields.every(function (name) {
        var wanted = form.elements[name].value;
        return !wanted || card.getAttribute("data-" + name) === wanted;
      });
      card.hidden = !match;
      if (match) shown++;
    });
    count.textContent = count.getAttribute("data-template").replace("{count}", shown + " / " + cards.length);
    history.replaceState(null, "", query.length ? "?" + query.join("&") : location.pathname);
  }

  var params = new URLSearchParams(location.search);
  fields.forEach(function (name) {
    var value = params.get(name);
    if (value && form.elements[name].querySelector('option[value="' + CSS.escape(value) + '"]')) form.elements[name].value = value;
  });
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
})();
