"""Every page and file the build writes, with its URL: the only place URLs are made.

Pure: a Site in, Routes out. Output paths are checked for collisions before anything is written.
"""
from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple
from urllib.parse import urlsplit

from ..site import codes
from ..errors import ContentError, Problem, tr
from ..site.model import CATEGORIES, Site


class Route(NamedTuple("_Route", [("kind", str), ("lang", str), ("path", str), ("key", str), ("source", str),
                                    ("page", int), ("output", str)])):
    """One output file. `lang` is "" for language-neutral pages (root, verification, 404).
    `path` is relative to the site's base ("en/products/x/", "404.html", "data/products.json"),
    `output` is the file ("en/products/x/index.html"); `key` the id of what it shows, when it
    shows one thing; `source` the content file it comes from, for error messages; `page` of a
    list of products, PER_PAGE at a time. A tuple: a build of 20,000 products makes 82,000."""

    __slots__ = ()

    def __new__(cls, kind: str, lang: str, path: str, key: str = "", source: str = "", page: int = 1):
        output = path + "index.html" if path.endswith("/") or not path else path
        return tuple.__new__(cls, (kind, lang, path, key, source, page, output))

    def __getnewargs__(self):      # pickled (jobs sent to the workers) without `output`, made again
        return tuple(self)[:6]

    @property
    def html(self) -> bool:
        return self.output.endswith(".html")


class Routes:
    def __init__(self, site: Site, routes: list[Route], lists: dict[tuple[str, str], list]):
        self.base_url = site.config.base_url
        self.codes = site.config.codes
        self.base_path = urlsplit(self.base_url).path
        self.all = routes
        self.listings = lists       # listings(site), made once by plan()
        self._index = {(r.kind, r.lang, r.key, r.page): r for r in routes}

    def get(self, kind: str, lang: str = "", key: str = "", page: int = 1) -> Route | None:
        return self._index.get((kind, lang, key, page))

    def href(self, kind: str, lang: str = "", key: str = "", page: int = 1) -> str:
        """The link to a page from any other page of the site (absolute path, works from 404.html too)."""
        return self.base_path + self._index[kind, lang, key, page].path

    def listing(self, route: Route, lists: dict[tuple[str, str], list] | None = None) -> tuple[list, int]:
        """The products one page of a list shows (or what stands for them in `lists`, list by list),
        and how many pages the list has."""
        products = (lists or self.listings).get((route.kind, route.key), [])
        start = (route.page - 1) * PER_PAGE
        return products[start:start + PER_PAGE], pages_of(len(products))

    def url(self, route: Route) -> str:
        return self.base_url + route.path

    def translations(self, route: Route) -> list[Route]:
        """The same page in every language; a language-neutral page is its own translation."""
        if not route.lang:
            return [route]
        found = (self._index.get((route.kind, code, route.key, route.page)) for code in self.codes)
        return [r for r in found if r]

    def alternates(self, route: Route) -> list[tuple[str, str]]:
        """(hreflang, URL) of every language version of a page, x-default last. A language-neutral
        page serves every language itself; the root leads to each language's home."""
        if route.lang:
            versions = [(r.lang, self.url(r)) for r in self.translations(route)]
            return versions + [("x-default", versions[0][1])]
        if route.kind == "root":
            return [(code, self.url(self._index["home", code, "", 1])) for code in self.codes] + [("x-default", self.url(route))]
        return [(code, self.url(route)) for code in self.codes] + [("x-default", self.url(route))]


PER_PAGE = 60
EMBED = "embed"         # the folder of the cards other sites may frame (exports.host_headers)
# A sitemap file may list 50,000 pages and weigh 50 MB (sitemaps.org); each page's entry lists its
# languages' addresses: a file lists SITEMAP_ENTRIES pages with up to four languages, fewer with more
SITEMAP_ENTRIES = 45_000


def sitemap_entries(languages: int) -> int:
    """How many pages one sitemap file lists."""
    return SITEMAP_ENTRIES * 4 // max(4, languages)


def in_sitemap(routes: list[Route]) -> list[Route]:
    """The pages a sitemap lists: every one but 404.html and the cards other sites embed."""
    return [route for route in routes if route.html and route.kind not in ("404", "embed", "admin")]


def pages_of(count: int) -> int:
    return max(1, -(-count // PER_PAGE))


def in_force_first(site: Site) -> list:
    """The products as lists show them: certified ones first, then those never rated, then those
    whose certificate expired or was revoked (a section of their own); by id within each."""
    rank = {"valid": 0, "expiring": 0, "unrated": 1, "expired": 2, "revoked": 2}
    return sorted(site.products, key=lambda p: (rank[site.standing[p.id].status], p.id))


def listings(site: Site) -> dict[tuple[str, str], list]:
    """The products of each list page: all, by category, by commune, by showroom, certified by
    stars (certified first: in_force_first); and the news posts of the list of news, newest first."""
    lists: dict[tuple[str, str], list] = defaultdict(list)
    if site.news:
        lists["news-list", ""] = list(site.news)
    for p in in_force_first(site):
        lists["catalogue", ""].append(p)
        lists["category", p.category].append(p)
        lists["commune", p.commune].append(p)
        for showroom in p.showrooms:
            lists["showroom", showroom].append(p)
        standing = site.standing[p.id]
        if standing.status in ("valid", "expiring"):
            lists["stars", str(standing.stars)].append(p)
    return dict(lists)


def verify_path(product_id: str) -> str:
    return f"v/{product_id}/"


def plan(site: Site) -> Routes:
    routes: list[Route] = [Route("root", "", ""), Route("404", "", "404.html")]
    default = site.config.default_lang
    lists = listings(site)
    categories = [c for c in CATEGORIES if ("category", c) in lists]
    star_classes = sorted(int(key) for kind, key in lists if kind == "stars")
    counts = {key: len(products) for key, products in lists.items()}
    for lang in site.config.codes:
        def add(kind: str, path: str, key: str = "", source: str = "") -> None:
            routes.append(Route(kind, lang, f"{lang}/{path}", key, source))
            for page in range(2, pages_of(counts.get((kind, key), 0)) + 1):
                routes.append(Route(kind, lang, f"{lang}/{path}page/{page}/", key, source, page))
        add("home", "")
        add("catalogue", "products/")
        routes += [Route("product", lang, f"{lang}/products/{product.id}/", product.id, product.path)
                   for product in site.products]        # (one page each: add() for 20,000 costs 0.03 s)
        routes += [Route("embed", lang, f"{EMBED}/{lang}/{product.id}/", product.id, product.path)
                   for product in site.products]        # a card for other sites' pages (an <iframe>)
        for category in categories:
            add("category", f"categories/{category}/", category)
        for stars in star_classes:
            add("stars", f"stars/{stars}/", str(stars))
        add("search", "search/")
        add("glance", "programme/")
        add("communes", "communes/")
        for commune in site.communes:
            add("commune", f"communes/{commune.id}/", commune.id)
        if site.showrooms:
            add("showrooms", "showrooms/")
        for showroom in site.showrooms:
            add("showroom", f"showrooms/{showroom.id}/", showroom.id)
        for page in site.pages:
            add("page", text_path("page", page.id), page.id,
                text_file("page", page.id, lang if lang in page.texts else default))
        if site.news:
            add("news-list", "news/")
            add("feed", "news/feed.xml")
        if any(site.history.values()):
            add("changes", "certifications/feed.xml")
        for post in site.news:
            add("news", text_path("news", post.id), post.id,
                text_file("news", post.id, lang if lang in post.texts else default))
    for product in site.products:
        routes.append(Route("verify", "", verify_path(product.id), product.id, product.path))
        routes.append(Route("record", "", verify_path(product.id) + "record.json", product.id, product.path))
        if product.gtin:
            routes.append(Route("gs1", "", f"01/{product.gtin.zfill(14)}/", product.id, product.path))
        routes += [Route("codes", "", f"{verify_path(product.id)}codes/{shard}.txt", product.id, product.path, shard + 1)
                   for shard in codes.shards(site.codes.get(product.id, ()))]
    for retired in site.retired:
        routes.append(Route("verify", "", verify_path(retired.id), retired.id, "content/retired.yaml"))
        routes.append(Route("record", "", verify_path(retired.id) + "record.json", retired.id, "content/retired.yaml"))
    # the sitemap: one file, or past sitemap_entries() pages an index of several (sitemap-1.xml, …)
    parts = -(-len(in_sitemap(routes)) // sitemap_entries(len(site.config.codes)))
    routes += [Route("data", "", "data/products.json"), Route("data", "", "data/products.csv", "csv"),
               Route("data", "", "data/showrooms.json", "showrooms"), Route("data", "", "data/showrooms.csv", "showrooms-csv"),
               Route("data", "", "data/products.schema.json", "schema-products"),
               Route("data", "", "data/showrooms.schema.json", "schema-showrooms"),
               Route("sitemap", "", "sitemap.xml", "index" if parts > 1 else "")]
    routes += [Route("sitemap", "", f"sitemap-{n}.xml", str(n)) for n in range(1, parts + 1) if parts > 1]
    routes += [Route("robots", "", "robots.txt"), Route("headers", "", "_headers")]
    if site.config.cms:         # the web editor, published (cms.py)
        from ..commands.cms import SCRIPT
        routes += [Route("admin", "", "admin/"), Route("admin", "", "admin/config.yml", "config"),
                   Route("admin", "", f"admin/{SCRIPT}", "script")]
    from .kinds import KINDS        # (which reads the routes' records)
    for kind in KINDS.values():
        if kind.routes:
            routes += kind.routes(site)
    _check_collisions(routes)
    return Routes(site, routes, lists)


def text_path(kind: str, ident: str) -> str:
    """Where a free page ("page") or a news post ("news") is, under its language's folder."""
    return f"news/{ident}/" if kind == "news" else f"{ident}/"


def text_file(kind: str, ident: str, lang: str) -> str:
    """The file of a free page's ("page") or a news post's ("news") text in a language."""
    return f"content/{'news' if kind == 'news' else 'pages'}/{ident}.{lang}.md"


def held_back(site: Site) -> dict[str, str]:
    """The files the pages and posts not published (a draft, a post dated ahead) would be, and why
    each is not: a link to one says so."""
    return {f"{lang}/{text_path(kind, ident)}index.html": why
            for (kind, ident), why in site.held.items() for lang in site.config.codes}


def _check_collisions(routes: list[Route]) -> None:
    outputs = [route.output.casefold() for route in routes]
    if len(set(outputs)) == len(outputs):
        return
    by_output: dict[str, list[Route]] = defaultdict(list)
    for route in routes:
        by_output[route.output.casefold()].append(route)
    clashes: dict[tuple[str, str, str], list[str]] = {}     # the same clash in every language: said once
    for output in sorted(output for output, clash in by_output.items() if len(clash) > 1):
        clash = by_output[output]
        names = tr(" and ").join((tr("the page") if r.kind == "page" else tr("the {kind} page", kind=r.kind))
                                 + (f" '{r.key}'" if r.key else "") for r in clash)
        page = any(r.kind == "page" for r in clash)
        hint = tr("rename the page (its file name is its address)") if page else tr("rename one of them")
        source = next((r.source for r in clash if r.source), "site.yaml")
        clashes.setdefault((source, names, hint), []).append(clash[0].output)
    raise ContentError([Problem(source, 1, 1, tr("{names} would both be written to output/{value}",
                                                 names=names, value=outputs[0])
                                + (tr(" (and {value} more alike)", value=len(outputs) - 1) if len(outputs) > 1 else "") + f"; {hint}")
                        for (source, names, hint), outputs in clashes.items()])
