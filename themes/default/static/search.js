/* Search with Pagefind: an index per language, built with the site; accents are optional
   ("ca phe" finds "cà phê"). A large catalogue's index comes in shards (data-more), merged
   into the first. Results are narrowed by category, commune and stars with Pagefind's filters
   (made byte for byte the same at each build: search.settle). Loaded as a module: nothing here
   runs without JavaScript. In `ocop serve`, products saved since its last build are searched in
   an index of their own (window.ocopRecent), in place of their results in the site's. */
const form = document.getElementById("search-form");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const input = form.elements.q;
const filters = ["category", "commune", "stars"].filter((f) => form.elements[f]);   /* (no commune: too many) */
const bundle = form.getAttribute("data-bundle");
const more = (form.getAttribute("data-more") || "").split(" ").filter(Boolean);
const recent = window.ocopRecent;
const replaced = new Set(recent ? recent.replaced : []);
let loading = null;
let typing = 0;

function excerpt(html) {
  /* Pagefind marks matches with <mark>; keep only those, as text, whatever else the excerpt holds,
     and the spaces between them (parsed whole: a space alone would parse to nothing). */
  const p = document.createElement("p");
  new DOMParser().parseFromString(html, "text/html").body.childNodes.forEach((node) => {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      p.append(mark);
    } else p.append(node.textContent);
  });
  return p;
}

function load() {
  /* Pagefind and every shard's index, fetched once, from the moment the search box is entered
     (not when the form is sent): a slow connection brings them in while the reader types. */
  loading = loading || (async () => {
    const pagefind = await import(bundle + "pagefind.js");
    const baseUrl = bundle.replace(/pagefind(-\d+)?\/$/, "");      /* the site's root: "pagefind-2/" is a language's first shard */
    await pagefind.options({ baseUrl });
    /* all at once: each shard's files are a request or two, which a slow connection waits for one by one otherwise */
    await Promise.all(more.map((shard) => pagefind.mergeIndex(shard, { baseUrl })));
    if (recent) await pagefind.mergeIndex(recent.bundle, { baseUrl }).catch(() => {});
    return pagefind;
  })();
  loading.catch(() => { loading = null; });        /* a connection lost meanwhile: tried again next time */
  return loading;
}

function preload() {
  /* the index chunks of the words typed so far, a moment after the reader stops typing */
  clearTimeout(typing);
  const term = input.value.trim();
  if (term) typing = setTimeout(() => load().then((pagefind) => pagefind.preload(term)).catch(() => {}), 300);
}

async function run() {
  /* narrowed by Pagefind's own filters: the count is of every page that matches. Filters with no
     words would fetch every index chunk of every shard: the catalogue lists what they select. */
  const term = input.value.trim();
  const wanted = {};
  for (const f of filters) if (form.elements[f].value) wanted[f] = form.elements[f].value;
  list.replaceChildren();
  status.replaceChildren();
  if (!term) {
    if (Object.keys(wanted).length) {
      const a = document.createElement("a");
      a.href = status.getAttribute("data-catalogue") + "?" + new URLSearchParams(wanted);
      a.textContent = status.getAttribute("data-browse");
      status.append(a);
    }
    return;
  }
  const pagefind = await load();
  const search = await pagefind.search(term, { filters: wanted });
  /* A result's data (title, excerpt) is a request of its own: only the 30 shown are loaded. */
  let results = await Promise.all(search.results.slice(0, 30 + replaced.size).map((r) => r.data()));
  let count = search.results.length;
  if (recent) {         /* a saved product's result from its new text, not the site's index */
    const loaded = results.length;
    results = results.filter((r) => r.url.startsWith(recent.marker) || !replaced.has(r.url));
    for (const r of results) if (r.url.startsWith(recent.marker)) r.url = "/" + r.url.slice(recent.marker.length);
    count -= loaded - results.length;
  }
  results = results.slice(0, 30);
  status.textContent = count
    ? status.getAttribute("data-some").replace("{count}", count.toLocaleString(document.documentElement.lang))
    : status.getAttribute("data-none");
  for (const r of results) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = r.url;
    a.textContent = r.meta.title;
    if (r.meta.image) {
      const img = document.createElement("img");
      Object.assign(img, { src: r.meta.image, alt: "", width: 96, height: 72, loading: "lazy", decoding: "async" });
      li.append(img);
    }
    li.append(a);
    if (r.meta.status) {          /* a product: its stars, status and price, as its card shows them */
      const facts = document.createElement("p");
      facts.className = "meta";
      if (r.meta.stars) facts.append("★".repeat(+r.meta.stars) + " ");
      const status = document.createElement("span");
      status.className = "status";
      status.setAttribute("data-status", r.meta.state || "");
      status.textContent = r.meta.status;
      facts.append(status);
      if (r.meta.price) facts.append(" · " + r.meta.price);
      li.append(facts);
    }
    li.append(excerpt(r.excerpt));
    list.append(li);
  }
}

function remember() {
  const params = new URLSearchParams();
  for (const name of ["q", ...filters]) if (form.elements[name].value) params.set(name, form.elements[name].value);
  history.replaceState(null, "", "?" + params.toString());
}

const params = new URLSearchParams(location.search);
for (const name of ["q", ...filters]) if (params.get(name)) form.elements[name].value = params.get(name);
status.textContent = "";
form.addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(typing); remember(); run(); });
input.addEventListener("input", preload);
input.addEventListener("focus", () => load().catch(() => {}), { once: true });
form.addEventListener("change", (e) => { if (e.target !== input) { remember(); run(); } });
run();
