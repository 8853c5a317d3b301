"""Every kind of file a site has, in one registry: the template that makes it (or, for a file of
data, the function) and what it is made from.

A kind's `inputs(sources, route)` names everything its file shows beyond what every page shows
(`site_wide`). A template is given those names, the site-wide ones and pure helpers (render.py),
and nothing else: reading anything more is an error at the template's line ("'x' is undefined"),
never a page silently left stale. The file's key (depends.py) is the digest of the generator, the
theme, the site-wide values and the same inputs, so a rebuild keeps a file exactly when nothing it
was made from changed. A helper that shows more of a record than the record itself (a product's
standing, history, check codes) is covered by the record's key, which stands for all of it.

To add a kind: an entry here with its routes (or the routes in routes.plan()), its inputs and its
template in the theme.
"""
from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from ..site import codes
from ..site.model import CATEGORIES, Site
from ..site.status import changes
from ..commands.report import figures
from . import exports
from .routes import Route, Routes, text_file

# A district has a few communes, a province about a hundred since 2025, the country over 3,000.
# Past TOP_COMMUNES, the home and programme pages show those with the most products and link to the
# list of all; past MANY_COMMUNES, so do the lists' facets, and the filter forms leave the commune
# out (a select of 3,000 names weighs more than the page; the search finds a commune by its name)
TOP_COMMUNES = 12
MANY_COMMUNES = 100
CURRENT = ("valid", "expiring")


@dataclass(frozen=True)
class Kind:
    inputs: Callable[["Sources", Route], dict]
    template: str = ""          # the theme's template ("NAME-section.html" too, language-neutral); "": made by `make`
    make: Callable[[dict, Route, "Sources"], bytes] | None = None     # a file of data, from its inputs
    own: bool = False           # one of a product's own files: kept or made with its QR code
    links_anywhere: bool = False    # its text may link to any page: every page's address is an input
    routes: Callable[[Site], list[Route]] | None = None     # its files, if routes.plan() does not make them
    same_in_every_language: bool = False    # inputs taken once for a page in all its languages (else for each)


@dataclass(frozen=True)
class Made:
    """An input made only when its page is rendered, from other values: in the page's key, it is
    those values and the function (which must read nothing else)."""
    make: Callable
    of: tuple = ()

    def __call__(self):
        return self.make(*self.of)


class Sources:
    """What the kinds' inputs are taken from: the checked site and its routes, indexed once."""

    def __init__(self, site: Site, routes: Routes):
        self.site, self.routes = site, routes
        self.by_id = {p.id: p for p in site.products}
        self.retired = {r.id: r for r in site.retired}
        self.showrooms = {s.id: s for s in site.showrooms}
        standing = site.standing
        self.certified = sorted((p for p in site.products if standing[p.id].status in CURRENT),
                                key=lambda p: (-standing[p.id].stars, p.id))
        self.scans = {d.document: site.media[d.document] for d in site.decisions if d.document}

    def product(self, key: str):
        """The product a page shows: for a retired id, the product that replaced it (or None)."""
        retired = self.retired.get(key)
        return self.by_id.get(retired.replaced_by if retired else key)

    def scans_of(self, product) -> dict[str, str]:
        """Its decisions' scans, by file under products/ → published path."""
        if not self.scans or product is None:
            return {}
        return {e.decision.document: self.scans[e.decision.document]
                for e in self.site.history.get(product.id, ()) if e.decision.document}

    def updated(self, files: list[str]):
        """When the newest of these files was last committed (git); None outside a checkout."""
        dates = [self.site.updated[f] for f in files if f in self.site.updated]
        return max(dates) if dates else None

    @functools.cached_property
    def search_bundles(self) -> dict[str, list[str]]:
        """Each language's search index bundles, the first (search.leads) first."""
        from ..assets import search         # (which keys its shards with depends.py, which reads this registry)
        bundles: dict[str, list[str]] = {}
        for position, shard in enumerate(search.shards(self.routes.all, len(self.site.products))):
            bundles.setdefault(shard[0].lang, []).append(self.routes.base_path + search.bundle(position))
        return bundles

    def lines(self) -> list[tuple[bytes, bytes]]:
        """Each product's line of products.json and of products.csv (set by the build, which keeps them)."""
        return [exports.product_lines(self.site, self.routes, p) for p in self.site.products]

    @functools.cached_property
    def commune_links(self) -> tuple[list, int]:
        """The communes the home and programme pages link to, and how many more there are."""
        current = [c for c in self.site.communes if c.current]
        if len(current) <= TOP_COMMUNES:
            return current, 0
        listed = Counter(p.commune for p in self.site.products)
        return sorted(current, key=lambda c: -listed[c.id])[:TOP_COMMUNES], len(current) - TOP_COMMUNES


def programme(site: Site):
    """The programme's figures on the build date (the "at a glance" page)."""
    return figures(site, f"{site.today.year:04d}-{site.today.month:02d}")


def certification_changes(products, history, today, validity_months) -> list[tuple]:
    """The latest certification changes, newest first: (kind, day, product, event, stars before)."""
    found = [(kind, day, product, event, before) for product in products
             for kind, day, event, before in changes(history.get(product.id, ()), today, validity_months)]
    return sorted(found, key=lambda c: (c[1], c[2].id, c[0]), reverse=True)[:50]


def site_wide(site: Site, routes: Routes) -> dict:
    """What every template may read, whatever its kind: in every file's key. The menu holds the free
    pages' titles only (a typo fixed in a page's text makes that page again, not the site); `exists`
    the lists, feeds and free pages there are (`has(kind, key)` in a template)."""
    lists = ("catalogue", "category", "commune", "showroom", "stars", "showrooms", "news-list", "feed", "changes", "page")
    default = site.config.default_lang
    return {
        "config": site.config, "languages": site.config.languages, "categories": CATEGORIES,
        "lang_name": {language.code: language.name for language in site.config.languages},
        "communes": {c.id: c for c in site.communes},
        "current_communes": [c for c in site.communes if c.current],
        "many_communes": sum(c.current for c in site.communes) > MANY_COMMUNES,
        "menu": {code: [(page.id, page.show(code, default)[0].title, page.show(code, default)[1]) for page in site.pages]
                 for code in site.config.codes},
        "exists": frozenset((r.kind, r.key) for r in routes.all if r.kind in lists and r.page == 1),
    }


# --- the inputs of each kind ------------------------------------------------------------------

def _product(s: Sources, route: Route) -> dict:
    p = s.by_id[route.key]
    return {"product": p, "showrooms": [s.showrooms[i] for i in p.showrooms], "scans": s.scans_of(p),
            "updated": s.updated([p.path] + [f"products/{image.file}" for image in p.images])}


def _card(s: Sources, route: Route) -> dict:
    return {"product": s.by_id[route.key]}


def _verify(s: Sources, route: Route) -> dict:
    p = s.product(route.key)
    today = s.site.today
    return {"product": p, "retired": s.retired.get(route.key), "scans": s.scans_of(p),
            "stamps": [b for b in p.stamps if b.issued <= today] if p else []}


def _record(s: Sources, route: Route) -> dict:
    p = s.product(route.key)
    today = s.site.today
    return {"product": p, "retired": s.retired.get(route.key),
            "history": [e for e in s.site.history[p.id] if e.date <= today] if p else []}


def _make_record(inputs: dict, route: Route, s: Sources) -> bytes:
    p = inputs["product"]
    return exports.certification_record(s.site.config, s.routes, route.key, p, inputs["retired"],
                                        s.site.standing[p.id] if p else None, inputs["history"])


def _codes(s: Sources, route: Route) -> dict:
    return {"codes": s.site.codes[route.key]}


def _listing(s: Sources, route: Route) -> dict:
    listing, pages = s.routes.listing(route)
    return {"listing": listing, "pages": pages}


def _commune(s: Sources, route: Route) -> dict:
    return _listing(s, route) | {"showrooms": s.site.showrooms_in.get(route.key, [])}


def _showroom(s: Sources, route: Route) -> dict:
    return _listing(s, route) | {"showroom": s.showrooms[route.key]}


def _text(s: Sources, route: Route) -> dict:
    """A free page or news post: its text, its files' dates, the photos texts show."""
    article = s.site.articles[route.kind, route.key]
    files = [text_file(route.kind, route.key, route.lang), text_file(route.kind, route.key, s.site.config.default_lang)]
    return {"article": article, "updated": s.updated(files), "figures": s.site.figures}


def _home(s: Sources, route: Route) -> dict:
    counted = Counter(s.site.standing[p.id].stars for p in s.certified)
    links, left = s.commune_links
    return {"featured": s.certified[:6], "by_stars": {n: counted[n] for n in (3, 4, 5)},
            "product_count": len(s.site.products), "commune_links": links, "communes_left": left,
            "news": s.site.news[:3]}


def _glance(s: Sources, route: Route) -> dict:
    links, left = s.commune_links
    return {"programme": Made(programme, (s.site,)), "commune_links": links, "communes_left": left,
            "named": s.by_id}


def _feed(s: Sources, route: Route) -> dict:
    """The latest posts: a reader asks for the feed again and again; the list of news has them all."""
    return {"news": s.site.news[:20], "figures": s.site.figures}


def _changes(s: Sources, route: Route) -> dict:
    site = s.site
    return {"changes": Made(certification_changes, (site.products, site.history, site.today, site.config.validity_months)),
            "today": site.today}


def _search(s: Sources, route: Route) -> dict:
    return {"search_bundles": s.search_bundles.get(route.lang, [])}


def _showrooms(s: Sources, route: Route) -> dict:
    return {"showrooms": list(s.site.showrooms)}


def _nothing(s: Sources, route: Route) -> dict:
    return {}


def _whole_site(s: Sources, route: Route) -> dict:
    return {"site": s.site}


def _addresses(s: Sources, route: Route) -> dict:
    return {"routes": s.routes}


def _make_data(inputs: dict, route: Route, s: Sources) -> bytes:
    site = inputs["site"]
    if route.key.startswith("schema-"):
        return exports.export_schema(site, route.key.removeprefix("schema-"))
    if route.key.startswith("showrooms"):
        return exports.showrooms_csv(site) if route.key.endswith("csv") else exports.showrooms_json(site)
    return (exports.products_csv if route.key == "csv" else exports.products_json)(site, s.lines())


def _make_admin(inputs: dict, route: Route, s: Sources) -> bytes:
    from ..commands import cms
    site = inputs["site"]
    if route.key == "script":
        return (cms.ADMIN / cms.SCRIPT).read_bytes()
    if route.key == "config":
        return cms.published(site).encode()
    return cms.admin_page(site.config.title(site.config.default_lang)).encode()


KINDS: dict[str, Kind] = {
    # a product's own files, kept or made together with its QR code
    "product": Kind(_product, "product.html", own=True, same_in_every_language=True),
    "embed": Kind(_card, "embed.html", own=True, same_in_every_language=True),     # its card, for other sites
    "verify": Kind(_verify, "verify.html", own=True),       # (a retired id's too, alone)
    "record": Kind(_record, make=_make_record, own=True),
    "gs1": Kind(_card, "gs1.html", own=True),
    "codes": Kind(_codes, make=lambda i, r, s: codes.shard_text(i["codes"], r.page - 1).encode(), own=True),
    # lists of products
    "catalogue": Kind(_listing, "catalogue.html", same_in_every_language=True),
    "category": Kind(_listing, "category.html", same_in_every_language=True),
    "stars": Kind(_listing, "stars.html", same_in_every_language=True),
    "commune": Kind(_commune, "commune.html", same_in_every_language=True),
    "showroom": Kind(_showroom, "showroom.html", same_in_every_language=True),
    # the rest of the site
    "root": Kind(_nothing, "root.html"),
    "404": Kind(_nothing, "404.html"),
    "home": Kind(_home, "home.html", same_in_every_language=True),
    "glance": Kind(_glance, "glance.html", same_in_every_language=True),
    "search": Kind(_search, "search.html"),
    "communes": Kind(_nothing, "communes.html"),
    "showrooms": Kind(_showrooms, "showrooms.html"),
    "page": Kind(_text, "page.html", links_anywhere=True),
    "news": Kind(_text, "news.html", links_anywhere=True),
    "news-list": Kind(_listing, "news-list.html", same_in_every_language=True),
    "feed": Kind(_feed, "feed.xml", same_in_every_language=True),
    "changes": Kind(_changes, "changes.xml", same_in_every_language=True),
    # files of data
    "data": Kind(_whole_site, make=_make_data),
    "sitemap": Kind(_addresses, make=lambda i, r, s: exports.sitemap(i["routes"], r)),
    "robots": Kind(_nothing, make=lambda i, r, s: exports.robots(s.routes)),
    "headers": Kind(_addresses, make=lambda i, r, s: exports.host_headers(exports.CONTENT_SECURITY_POLICY, i["routes"])),
    "admin": Kind(_whole_site, make=_make_admin),
}

# What Pagefind indexes of a product's page, a free page or a news post (search-doc.html): its own
# text, none of what the page shows beside it (showrooms, dates)
SEARCH = {"product": Kind(_card, "search-doc.html", same_in_every_language=True),
          "page": Kind(_text, "search-doc.html"), "news": Kind(_text, "search-doc.html")}
