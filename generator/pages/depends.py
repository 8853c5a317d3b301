"""What each file of the site is made from, as a key: when a file's key is the one its previous
version was made from, a rebuild keeps that file without making it again.

The keys are deliberately coarse. Everything that is not a product (site.yaml, communes, the
free pages' titles (the menu), the theme, the generator itself, which lists exist, and so which
showrooms) goes into one site key that every file's key contains: edit any of it and every page
is made again. On top of that:
- a product's own pages (its page in each language, its verification page, record and GS1
  redirect) add the product: its file's text and photos (which, with the site key, make its
  record), its history and its status on the build date, the dates of its files, the showrooms
  that sell it and its decisions' scans; not the build date, which none of them states: a build
  on a new day makes again the pages of the products whose status it changed, and the data
  files, which say the date;
- a retired id's verification page and record add what became of it and the product that
  replaced it;
- a page of a product list adds the products it shows and how many pages its list has (a new
  product that makes a list a page longer makes that list again, not the whole site), and the
  showrooms it shows (a showroom's page, its own; a commune's, those in the commune);
- QR codes and photos are named by their inputs already: the name is the key (a product's QR
  code is kept with its pages, by the product's key; one made again is taken from the cache);
- the data files add every product; the sitemap, every page's address;
- a free page or news post adds its text, its files' dates, the photos texts show and every
  page's address (a kept page's links are not checked again: its text may link to any page); the
  list of news (each of its pages) and the feed add every post;
- every other page (home, programme, search, the list of showrooms) is made on every build and
  written only when its bytes changed.
A theme's product, verification and list templates may therefore use the site-wide settings,
the free pages' titles, the product or the listed products and the showrooms named above, but not
other products, showrooms or a free page's text; a free page's or news post's template its own
text and no product: the default theme keeps to that, and `tests/test_build.py` checks that a
rebuild after random edits equals a cold build.
"""
from __future__ import annotations

import functools
import hashlib
import io
import pickle
import sys
from pathlib import Path

from .. import PACKAGE
from ..output.fresh import library_versions
from ..site.model import Site
from .routes import Route, Routes, text_file

PER_PRODUCT = ("product", "verify", "record", "gs1", "codes", "embed")
LISTS = ("catalogue", "category", "commune", "showroom", "stars")


def digest(*parts: object) -> str:
    """A key of some values: frozen records, tuples, strings, dates. Pickled (several times faster
    than repr) without the pickler's memo, which would write an object met twice as a reference
    to the first: the bytes would depend on which equal values are one object, and a product
    checked in this build (its texts sharing the site's language codes) would get another key
    than the same product taken from the cache. Strings alone (paths, other keys) are joined."""
    try:
        data = "\0".join(parts).encode()        # paths and keys hold no NUL
    except TypeError:                           # not strings alone
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=5)
        pickler.fast = True
        pickler.dump(parts)
        data = buffer.getvalue()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _files(root: Path) -> list[tuple[str, bytes]]:
    return [(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts]


@functools.cache        # the code a process runs is the code it started with
def generator_key() -> str:
    """The generator's code, the libraries it reads and renders with, and the Python it runs on."""
    return digest(sys.version, library_versions(), [f for f in _files(PACKAGE) if f[0].endswith(".py")])


def site_key(site: Site, routes: Routes, code: str) -> str:
    return digest(code, site.config, site.communes, bool(site.showrooms), menu(site), bool(site.news),
                  [(r.kind, r.lang, r.key) for r in routes.all if r.kind in LISTS and r.page == 1])


def menu(site: Site) -> list[tuple]:
    """What every page shows of the free pages: the menu, each page's title in each language it
    has. (Their texts are their own pages' and search documents': a typo fixed in one makes one
    page again, not the site.)"""
    return [(page.id, [(lang, text.title) for lang, text in page.texts.items()]) for page in site.pages]


def product_key(site: Site, product) -> str:
    """The product's record is made from its file's text, its photos, and what the site key holds
    (languages, communes): the text's hash stands for the record (pickling 20,000
    records costs more than half a second); a photo's hash stands for its size in pixels. Its
    status comes from its history, which the texts of the decision files it is in stand for
    likewise, the build date and the validity (the site key): the status itself is in the key,
    not the date, and every key of a product's files holds both keys. (Strings only: they are
    joined, not pickled.)"""
    texts, updated = site.texts, site.updated
    parts = [texts[product.path], f"date {updated.get(product.path)}", site.standing[product.id].status]
    for image in product.images:
        parts += (f"photo {image.file} {image.digest}", f"date {updated.get(f'products/{image.file}')}")
    parts += [f"decision {texts[event.decision.path]}" for event in site.history.get(product.id, ())]
    if product.id in site.codes:        # its stamps' check hashes
        parts.append("codes " + digest(site.codes[product.id]))
    return digest(*parts)


class Keys:
    """The key of each file of the site that a rebuild may keep (None: always made)."""

    def __init__(self, site: Site, routes: Routes, theme_root: Path):
        self.site, self.routes = site, routes
        self.generator = generator_key()
        self.site_key = site_key(site, routes, digest(self.generator, _files(theme_root)))
        self.products = {p.id: product_key(site, p) for p in site.products}
        showrooms = {s.id: digest(s) for s in site.showrooms}
        scans = {d.path: site.media[d.document] for d in site.decisions if d.document}     # named by content
        history = site.history if scans else {}

        def shown(product) -> str:
            """What else the product's own pages show: the showrooms that sell it, its decisions' scans."""
            return "".join(showrooms[s] for s in product.showrooms) + "".join(
                scans.get(event.decision.path, "") for event in history.get(product.id, ()))
        # one key for a product's pages, record and QR code, kept or made together (Output.keep_groups)
        self.own_files = {p.id: self.site_key + self.products[p.id] + shown(p) for p in site.products}
        self.retired = {r.id: r for r in site.retired}
        # the showrooms a list page shows: a showroom's, its own; a commune's, those in the commune
        self.rooms = {("showroom", room): [key] for room, key in showrooms.items()} | {
            ("commune", commune): [showrooms[s.id] for s in rooms] for commune, rooms in site.showrooms_in.items()}
        self.listed = {name: [self.products[p.id] for p in listing] for name, listing in routes.listings.items()
                       if name[0] in LISTS}

    @functools.cached_property
    def every_page(self) -> str:
        return digest(*(r.output for r in self.routes.all))

    @functools.cached_property
    def news(self) -> str:
        return digest(self.site.news)

    def page(self, route: Route) -> str | None:
        if route.kind in PER_PRODUCT and route.key in self.products:
            return self.own_files[route.key]
        if route.kind in PER_PRODUCT and route.key in self.retired:     # its verification page and record
            retired = self.retired[route.key]
            return digest(self.site_key, route.output, retired, self.products.get(retired.replaced_by))
        if route.kind in LISTS:
            listed, pages = self.routes.listing(route, self.listed)
            return digest(self.site_key, route.output, str(pages), *listed, *self.rooms.get((route.kind, route.key), ()))
        if route.kind == "changes":     # every product's history and status, and the build date (what expired)
            return digest(self.site_key, route.output, self.site.today, list(self.products.values()))
        if route.kind == "data":        # every product, the showrooms, and the build date
            return digest(self.site_key, route.output, self.site.today, list(self.products.values()),
                          list(self.rooms.get(("showroom", s.id), [""])[0] for s in self.site.showrooms))
        if route.kind == "sitemap":     # every page's address
            return digest(self.site_key, route.output, self.every_page)
        if route.kind in ("page", "news"):
            # its text, its files' dates, the photos texts show; every page's address: its text may
            # link to any page (and a kept page's links are not checked again)
            files = [text_file(kind, route.key, code) for kind in ("page", "news") for code in self.site.config.codes]
            return digest(self.site_key, route.output, self.every_page, self.site.articles[route.kind, route.key],
                          [self.site.updated.get(file) for file in files], self.site.figures)
        if route.kind in ("news-list", "feed"):     # every post, and the photos they show
            return digest(self.site_key, route.output, self.news, self.site.figures)
        return None

    def search(self, routes: list[Route]) -> str:
        """The searchable documents of these pages (products, free pages, news)."""
        return digest(self.site_key, self.news, [(r.output, self.products.get(r.key), r.kind == "page" and
                                                  self.site.articles[r.kind, r.key]) for r in routes])
