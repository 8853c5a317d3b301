"""Checks raw records against the site format (SPEC §1–6) and builds the frozen Site.

Pure: raw records and a build date in, a Site and the problems out; it reads no file (load.py
did). The build brings the rest: a memo of the products and decisions checked by an earlier
build, under a key of all that their check reads, and a way to check many products at once (on
every core, with the same results). Field checks run file by file (records.py reads a field;
settings, products, decisions, texts and published check each kind of file); cross-record checks
(ids that must exist, the decision rules) run once every file is read. Every problem is
collected; nothing stops at the first.
"""
from __future__ import annotations

import functools
from datetime import date
from pathlib import PurePosixPath
from typing import Callable

from ...assets import images
from .. import model as m
from ...pages.depends import digest
from ...errors import Problem, tr
from ..load import REGISTER, Memo, RawSite, Source
from .settings import _communes, _config, _showrooms, problems_in
from .products import _check_product, _same_photos
from .decisions import _decided
from .texts import _articles, _figures
from .published import _gtins, _register, _retired, _stamp_codes, _stamps_after_recognition
# the site format's words, for the schemas, the web editor and `ocop new`
from .. import BASE_URL_RE, FIRST_DAY, LAST_DAY
from .records import ID_RE, LANG_RE, MAX_ID, MAX_NUMBER, TEMPLATE_TEXTS, plain_id, valid_id
from .settings import (CMS_KEYS, COMMUNE_KEYS, COMMUNE_REQUIRED, REPO_RE, SHOWROOM_KEYS, SHOWROOM_REQUIRED, SITE_KEYS,
                       SITE_REQUIRED)
from .products import PRODUCER_KEYS, PRODUCER_REQUIRED, PRODUCT_KEYS, PRODUCT_REQUIRED
from .decisions import DECISION_KEYS, DECISION_REQUIRED

__all__ = ["validate", "check_product", "BASE_URL_RE", "FIRST_DAY", "ID_RE", "LANG_RE", "LAST_DAY", "MAX_ID", "MAX_NUMBER", "TEMPLATE_TEXTS",
           "plain_id", "valid_id", "CMS_KEYS", "COMMUNE_KEYS", "COMMUNE_REQUIRED", "REPO_RE", "SHOWROOM_KEYS",
           "SHOWROOM_REQUIRED", "SITE_KEYS", "SITE_REQUIRED", "PRODUCER_KEYS", "PRODUCER_REQUIRED", "PRODUCT_KEYS",
           "PRODUCT_REQUIRED", "DECISION_KEYS", "DECISION_REQUIRED"]


def _published_media(products, decisions, raw: RawSite) -> dict[str, str]:
    """Each decision scan the site links, and where its copy goes: named by its content hash.
    (Photos are re-encoded in several sizes instead: images.py.)"""
    files = {d.document for d in decisions if d.document}
    published = {}
    for file in sorted(files):
        name = PurePosixPath(file)
        published[file] = f"media/{images.web_name(name.stem)}-{raw.media[file].digest[:12]}{name.suffix.lower()}"
    return published


def check_product(source: Source, raw: RawSite, site: m.Site) -> tuple[m.Product | None, list[Problem]]:
    """One product file checked against a site checked before: its languages, communes and
    showrooms (`raw`: the media files it may name)."""
    return _check_product(source, raw, site.config.codes, {c.id: c for c in site.communes},
                          {s.id: s for s in site.showrooms})


def validate(raw: RawSite, today: date, checked: Memo | None = None, decided: Memo | None = None,
             drafts: bool = False, each: Callable[[Callable, list], list] = lambda check, items: list(map(check, items))
             ) -> tuple[m.Site | None, list[Problem]]:
    """Every problem of the site, and the Site when there is no error among them (`drafts`: with
    the pages and posts marked as drafts, for a preview). `checked`:
    products checked by earlier builds (with their problems), by the text of their file and all
    that a product's check reads besides (languages, communes, showrooms; its photos: _same_photos).
    `decided`: the decisions checked by an earlier build, and what they make of the products (_decided).
    `each(check, products)`: each product file checked, in their order (the build's, on every core)."""
    problems = list(raw.problems)
    config = _config(raw.site, problems)
    langs = config.codes if config else None
    communes = _communes(raw.communes, langs, today, problems)
    showrooms = _showrooms(raw.showrooms, langs, communes, problems)
    around = digest(langs, communes, showrooms)
    products = {}
    valid = functools.partial(_same_photos, raw.media)
    check = functools.partial(_check_product, raw=raw, langs=langs, communes=communes, showrooms=showrooms)
    sources = [source for source in raw.products if source.digest]       # (unreadable: load.py said why)
    old = checked.old if checked else {}        # (one kept, but whose photos changed, is checked below)
    unknown = [source for source in sources if source.digest + around not in old]
    made = dict(zip((source.path for source in unknown), each(check, unknown)))
    for source in sources:
        make = functools.partial(made.pop, source.path) if source.path in made else functools.partial(check, source)
        product, found = checked.get(source.digest + around, make, valid) if checked else make()
        problems += found
        if product:
            products[product.id] = product
    if config is None:
        return None, sorted(problems)
    _gtins(raw, products, problems)
    files = {s.path[len("products/"):-len(".yaml")] for s in raw.products}     # (products/*.yaml: load.py)
    decisions, history, standings, found = _decided(raw, config, products, today, files, decided)
    problems += found
    if not any(p.severity == "error" for p in found):      # (a decision with errors may be the one that rates it)
        _stamps_after_recognition(raw, products, history, problems)
    stamp_codes = _stamp_codes(raw, products, files, problems)
    retired = _retired(raw.retired, config.codes, products, files, problems)
    unregistered = _register(raw, files, retired, problems)
    for line, ident in raw.register:        # a page printed on stamps is never dropped unsaid
        if ident in files and ident not in products and not problems_in(problems, f"products/{ident}.yaml"):
            problems.append(Problem(REGISTER, line, 1, tr("v/{ident}/ is published and may be printed on "
                                                          "stamps, but this build would not publish "
                                                          "products/{ident}.yaml", ident=ident)))
    held: dict[tuple[str, str], str] = {}
    pages = _articles(raw.pages, config.codes, config.default_lang, problems, news=False, drafts=drafts, held=held)
    news = _articles(raw.news, config.codes, config.default_lang, problems, news=True, today=today, drafts=drafts,
                     held=held)
    figures = _figures(raw, problems, pages, news)
    if any(p.severity == "error" for p in problems):
        return None, sorted(problems)
    site = m.Site(
        config, today, tuple(products[pid] for pid in sorted(products)),
        tuple(sorted(decisions, key=lambda d: (d.date, d.path))),
        tuple(communes[c] for c in sorted(communes)), tuple(showrooms[s] for s in sorted(showrooms)),
        tuple(pages), tuple(news), history, standings,
        _published_media(products.values(), decisions, raw), tuple(retired[r] for r in sorted(retired)),
        unregistered, raw.updated, {source.path: source.digest for source in (*raw.products, *raw.decisions)}, figures,
        held, stamp_codes)
    return site, sorted(problems)
