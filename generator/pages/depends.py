"""What each file of the site is made from, as a key: when a file's key is the one its previous
version was made from, a rebuild keeps that file without making it again.

A file's key is the digest of the generator's code, the theme's files, what every page shows
(kinds.site_wide) and its kind's inputs (kinds.py), the same values its template is given: a
template cannot read what its key leaves out. Records stand in a key for themselves by what they
are made from: a product by its file's text, its photos' hashes, its decisions' texts, its check
codes and its status on the build date (product_key: which, with the site-wide values, make its
record, standing and history); the whole site, for the files of data that show all of it, by every
product's key and everything else it holds; the routes by every page's address. QR codes and photos
are named by their inputs already: the name is the key. `tests/test_build.py` checks that a rebuild
after random edits of the content and the theme equals a cold build.
"""
from __future__ import annotations

import functools
import hashlib
import io
import pickle
import sys
from datetime import date
from pathlib import Path
from typing import Callable

from .. import PACKAGE
from ..output.fresh import library_versions
from ..site.model import Event, Product, Site
from .kinds import KINDS, SEARCH, Kind, Made, Sources, site_wide
from .routes import Route, Routes


LARGE = 1000        # items of a list or mapping that is written once a build, however often it is met


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


def product_key(site: Site, product) -> str:
    """What stands for a product in a key. Its record is made from its file's text, its photos, and
    what the site-wide values hold (languages, communes): the text's hash stands for the record
    (pickling 20,000 records costs more than half a second); a photo's hash stands for its size in
    pixels. Its standing and history come from the texts of the decision files it is in, the
    validity (site-wide) and the build date: the status on that date is in the key, not the
    date. (Strings only: they are joined, not pickled.)"""
    texts = site.texts
    parts = [texts[product.path], site.standing[product.id].status]
    for image in product.images:
        parts.append(f"photo {image.file} {image.digest}")
    parts += [f"decision {texts[event.decision.path]}" for event in site.history.get(product.id, ())]
    if product.id in site.codes:        # its stamps' check hashes
        parts.append("codes " + digest(site.codes[product.id]))
    return digest(*parts)


class Keys:
    """The key of each file of the site that a rebuild may keep."""

    def __init__(self, sources: Sources, theme_root: Path, each: Callable[[Callable, list], list] | None = None):
        """`each(f, items)`: [f(item) for item in items], or the same made on every core (the
        build's across_cores)."""
        site, routes = sources.site, sources.routes
        self.sources = sources
        self.texts, self.history = site.texts, site.history
        self._records: dict[int, tuple[object, str]] = {}      # id → (record, its digest)
        self._documents: dict[str, str] = {}                   # a search document's key, by its page's file
        self._inputs: dict[tuple, str] = {}             # the inputs of a kind's page in any language, written
        self.generator = generator_key()
        self.products = {p.id: product_key(site, p) for p in site.products}
        self.site_key = digest(self.generator, digest(_files(theme_root)), self.fingerprint(site_wide(site, routes)))
        own: dict[str, list[Route]] = {}
        for route in routes.all:
            if KINDS[route.kind].own and route.key in self.products:
                own.setdefault(route.key, []).append(route)
        # one key for a product's own files and its QR code, kept or made together (Output.keep_groups)
        each = each or (lambda f, items: [f(item) for item in items])
        self.own_files = dict(zip(own, each(self._together, list(own.values()))))

    def page(self, route: Route, kinds: dict[str, Kind] = KINDS) -> str:
        """The key of the file a route is: its kind's inputs with the site-wide values and the route itself."""
        return digest(self.site_key, self._made_of(route, kinds))

    def _made_of(self, route: Route, kinds: dict[str, Kind]) -> str:
        kind = kinds[route.kind]
        if not kind.same_in_every_language:
            inputs = self.fingerprint(kind.inputs(self.sources, route))
        else:                   # written once for all the page's languages
            known = self._inputs.get((id(kind), route.key, route.page))
            if known is None:
                known = self._inputs[id(kind), route.key, route.page] = self.fingerprint(kind.inputs(self.sources, route))
            inputs = known
        made_of = "\2".join((*route[:5], str(route.page), inputs))
        if kind.links_anywhere:         # (a kept page's links are not checked again)
            made_of += "\2" + self.every_page
        return made_of

    def _together(self, files: list[Route]) -> str:
        """The key of a product's own files: their addresses and each kind's inputs (once for all
        languages, for a kind whose inputs are the same in every language)."""
        parts, seen = [self.site_key], set()
        for route in files:
            kind = KINDS[route.kind]
            parts.append(route.output)
            if not kind.same_in_every_language or route.kind not in seen:
                seen.add(route.kind)
                parts.append(self.fingerprint(kind.inputs(self.sources, route)))
        return digest(*parts)

    def search_document(self, route: Route) -> str:
        if route.output not in self._documents:
            self._documents[route.output] = self.page(route, SEARCH)
        return self._documents[route.output]

    def search(self, routes: list[Route]) -> str:
        """The searchable documents of these pages (products, free pages, news)."""
        return digest(*(self.search_document(route) for route in routes))

    def fingerprint(self, inputs: dict) -> str:
        """The inputs as a string that differs when they do: a product by its key, an event by its
        decision file's text, the site and the routes by theirs, a value made at rendering by what
        it is made from, another record by the digest of all it holds, plain values as written."""
        return "\1".join([f"{name}={self._written(value)}" for name, value in inputs.items()])

    def _written(self, value) -> str:
        kind = type(value)
        if kind is Product:
            return self.products[value.id]
        if kind is str:
            return repr(value)
        if kind is list or kind is tuple or kind is dict:
            if not value:
                return "[]" if kind is not dict else "{}"
            if len(value) < LARGE:
                return self._container(value)
            known = self._records.get(id(value))        # a large one met again: written once a build
            if known is None or known[0] is not value:
                known = self._records[id(value)] = value, self._container(value)
            return known[1]
        if value is None or kind is int or kind is bool or kind is date:
            return repr(value)
        if kind is Event:           # (a decision file's text stands for every event it holds)
            return f"event {self.texts[value.decision.path]} {value.product} {value.date} {value.stars}"
        if kind is Made:
            return f"{value.make.__qualname__}({self._written(value.of)})"
        if kind is set or kind is frozenset:        # (in a set's order, which differs between processes)
            return "{" + ",".join(sorted(map(self._written, value))) + "}"
        if kind is Site:
            return self.whole_site
        if kind is Routes:
            return self.every_page
        known = self._records.get(id(value))        # a record met again (a showroom, on each page of its products)
        if known is None or known[0] is not value:
            known = self._records[id(value)] = value, digest(value)
        return known[1]

    def _container(self, value) -> str:
        if type(value) is dict:
            if value is self.history:       # every product's history: each product's key stands for its own
                return "history " + digest(*self.products.values())
            return "{" + ",".join([f"{self._written(k)}:{self._written(v)}" for k, v in value.items()]) + "}"
        return "[" + ",".join(map(self._written, value)) + "]"

    @functools.cached_property
    def every_page(self) -> str:
        return digest(*(r.output for r in self.sources.routes.all))

    @functools.cached_property
    def whole_site(self) -> str:
        """The site: every product's key, and everything else it holds."""
        site = self.sources.site
        return digest(self.site_key, site.today, list(self.products.values()), site.showrooms, site.retired,
                      site.pages, site.news, site.media, site.figures)
