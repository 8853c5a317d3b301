"""Pages: the Jinja environment of a theme, and one function that renders a route to bytes.

One factory makes the environment; the helpers templates use are closures bound to the site,
its routes and the page's language. Markdown from content is converted, then sanitized.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
from collections import Counter
from html import escape as html_escape, unescape as html_unescape
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import FunctionType, MethodType

import jinja2
import jinja2.bccache
import jinja2.compiler
import nh3
from markupsafe import Markup, escape

try:        # markupsafe's escaping, without the Markup its escape() wraps the text in (private: optional)
    from markupsafe import _escape_inner
except ImportError:
    _escape_inner = escape

from ..assets import images, search
from . import commonmark, i18n
from ..site import codes
from ..site.model import CATEGORIES, Site, Text
from .exports import json_for_html
from ..output.fresh import files_under, seal, unseal
from ..assets.qr import qr_path
from ..commands.report import bars, figures
from .routes import Route, Routes, text_file
from ..site.status import changes

ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
                "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
                "tbody", "td", "th", "thead", "tr", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
                      "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# A district has a few communes, a province about a hundred since 2025, the country over 3,000.
# Past TOP_COMMUNES, the home and programme pages show those with the most products and link to the
# list of all; past MANY_COMMUNES, so do the lists' facets, and the filter forms leave the commune
# out (a select of 3,000 names weighs more than the page; the search finds a commune by its name)
TOP_COMMUNES = 12
MANY_COMMUNES = 100
# Pages load only the site's own files; scripts only from files (no inline script), so that no
# content can run script even if it got past the sanitizer. WebAssembly is for the search index.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'")


@functools.lru_cache(maxsize=1024)        # a text is reused within a page (its summary) and by its cards
def markdown_html(text: str) -> str:
    """Markdown (CommonMark with GitHub's tables: commonmark.py) to HTML, then only an allow-list
    of tags, attributes and URL schemes is left in."""
    return nh3.clean(commonmark.to_html(text), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                     attribute_filter=_same_site_images).strip()


def _same_site_images(tag: str, attribute: str, value: str) -> str | None:
    """Pages load nothing from other sites (privacy, weak connections): an image's src must be the site's own."""
    if tag == "img" and attribute == "src" and ("//" in value or ":" in value.split("/")[0]):
        return None
    return value


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling the helpers (functions and methods that ask for no context) at once,
    as Jinja would: its checks of what a callable asks for cost more than most helpers do, and a
    product page calls about forty of them (rendering every page of 2,000 products: 5% faster).
    A call a template cannot make (arguments a helper or macro does not take, something that is not
    a function) is the theme's error, told as one, at its line."""

    @jinja2.utils.internalcode      # left out of a template error's traceback, as Jinja's own
    def call(__self, __obj, *args, **kwargs):     # (named as Jinja names them: templates pass any keyword)
        try:
            kind = type(__obj)
            if not (kind is FunctionType or kind is MethodType) or hasattr(__obj, "jinja_pass_arg"):
                return jinja2.runtime.Context.call(__self, __obj, *args, **kwargs)
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined("value was undefined because a callable raised a"
                                                " StopIteration exception")
        except TypeError as e:
            tb = e.__traceback__
            while tb.tb_next:
                tb = tb.tb_next
            if tb.tb_frame.f_code not in _CALLS:        # raised inside what was called: not the template's doing
                raise
            message = str(e)
            if isinstance(__obj, (FunctionType, MethodType)):      # "href()", not "Renderer.context.<locals>.href()"
                message = message.replace(__obj.__qualname__, __obj.__name__)
            raise jinja2.TemplateRuntimeError(f"a call that cannot be made: {message}") from None


# where a call is made and its arguments bound
_CALLS = (_Context.call.__code__, jinja2.runtime.Context.call.__code__, jinja2.runtime.Macro.__call__.__code__)


def _escaped(value) -> str:
    """What `{{ value }}` writes: text escaped as markupsafe.escape escapes it, Markup as it is."""
    return _escape_inner(value) if type(value) is str else escape(value)


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, writing `{{ value }}` through _escaped: the same text, without a
    Markup made of each value only to be joined into the page (rendering 11% faster)."""

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)
        self.write("environment.escaped(")
        if finalize.src is not None:
            self.write(finalize.src)


_IMG = re.compile(r"<img\b([^>]*)>")        # in sanitized HTML: attributes quoted with ", < > & " escaped
_ATTRIBUTE = re.compile(r'([a-z]+)="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")     # in sanitized HTML: nh3 writes < and > in text and attributes as &lt; &gt;


@functools.lru_cache(maxsize=4096)
def summary(markdown_text: str, length: int = 160) -> str:
    """Plain text of the start of some Markdown, for meta descriptions and link previews."""
    text = html_unescape(" ".join(_TAG.sub("", markdown_html(markdown_text)).split()))
    return text if len(text) <= length else text[:length - 1].rsplit(" ", 1)[0] + "…"


class _SealedBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between builds. They are Python code: a file is run only when it
    carries this machine's seal (fresh.seal), which no file from a repository can."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self._get_cache_filename(bucket), "rb") as f:
                code = unseal(f.read())
        except OSError:
            return
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self._get_cache_filename(bucket)
        part = f"{name}.{os.getpid()}.part"
        try:
            with open(part, "wb") as f:
                f.write(seal(bucket.bytecode_to_string()))
            os.replace(part, name)
        except OSError:         # (a cache that cannot be written: compiled again next time)
            with contextlib.suppress(OSError):
                os.unlink(part)


@dataclass
class Theme:
    """A theme folder: templates/, static/ and locales/."""

    root: Path
    compiled: Path | None = None     # a folder to keep compiled templates in, between builds
    env: jinja2.Environment = field(init=False)

    def __post_init__(self):
        if self.compiled:
            self.compiled.mkdir(parents=True, exist_ok=True)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.root / "templates"), autoescape=True,
            auto_reload=False,      # a build's templates do not change while it runs: no stat each page
            bytecode_cache=_SealedBytecodeCache(str(self.compiled), "escaped-%s.cache") if self.compiled else None,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.do"])
        self.env.context_class = _Context
        self.env.code_generator_class = _CodeGenerator
        self.env.escaped = _escaped
        self.env.tests["contains"] = lambda sequence, item: item in sequence
        # đ is a letter of its own, not d with a mark: search folds it so that "dak" finds "Đăk"
        self.env.filters["fold_d"] = lambda text: str(text).replace("đ", "d").replace("Đ", "D")

    def static_files(self) -> list[tuple[str, Path]]:
        """The files of static/ (a linked folder inside it is listed as a file: build.py refuses it)."""
        static = self.root / "static"
        return sorted((rel, static / rel) for rel in files_under(static)) if static.is_dir() else []


class Renderer:
    """Renders the HTML pages and feeds of one site with one theme."""

    def __init__(self, site: Site, routes: Routes, theme: Theme):
        self.site, self.routes, self.theme = site, routes, theme
        self.ui = {code: i18n.translations(theme.root, code) for code in site.config.codes}
        self.by_id = {p.id: p for p in site.products}
        self.communes = {c.id: c for c in site.communes}
        self.showrooms = {s.id: s for s in site.showrooms}
        self.retired = {r.id: r for r in site.retired}
        standing = site.standing
        self.certified = sorted((p for p in site.products if standing[p.id].status in ("valid", "expiring")),
                                key=lambda p: (-standing[p.id].stars, p.id))
        self.search_shards = search.shards(routes.all, len(site.products))
        self.search_bundles: dict[str, list[str]] = {}     # language → its shards' bundles, the first (search.leads) first
        for position, shard in enumerate(self.search_shards):
            self.search_bundles.setdefault(shard[0].lang, []).append(routes.base_path + search.bundle(position))
        self.chrome = {code: [(code, Markup(""))] for code in site.config.codes}      # base.html
        self.chrome[""] = [(code, Markup(' lang="{}" data-lang="{}"{}').format(code, code, Markup(" hidden") if i else ""))
                           for i, code in enumerate(site.config.codes)]
        self._fragments: dict[tuple, tuple[Markup, set[str]]] = {}
        self._cards_of = ""         # the language whose cards _fragments holds
        counted = Counter(standing[p.id].stars for p in self.certified)
        self.certified_by_stars = {n: counted[n] for n in (3, 4, 5)}
        current = [c for c in site.communes if c.current]
        self.many_communes = len(current) > MANY_COMMUNES
        self.commune_links = current
        if len(current) > TOP_COMMUNES:         # (on pages made at every build: not on a list of products)
            listed = Counter(p.commune for p in site.products)
            self.commune_links = sorted(current, key=lambda c: -listed[c.id])[:TOP_COMMUNES]
        self.communes_left = len(current) - len(self.commune_links)
        # the words of each language (_words.html), made once: no page runs that template again
        words = theme.env.get_template("_words.html") if "_words.html" in theme.env.list_templates() else None
        self.words = {code: words.make_module({"_": ui.gettext, "ngettext": ui.ngettext, "lang": code,
                                               "day": lambda d, code=code: i18n.format_day(d, code) if d else ""})
                      for code, ui in self.ui.items()} if words else {}

    def product(self, key: str):
        """The product a page shows: for a retired id, the product that replaced it (or None)."""
        retired = self.retired.get(key)
        return self.by_id.get(retired.replaced_by if retired else key)

    def warm(self) -> None:
        """Compiles every template now, so that worker processes share the compiled code."""
        for name in self.theme.env.list_templates():
            self.theme.env.get_template(name)

    def render(self, route: Route, template_name: str = "") -> bytes:
        env = self.theme.env
        context = self.context(route)
        if template_name:
            return env.get_template(template_name).render(context).encode()
        if not route.lang:      # language-neutral: one section per language, the default first, and its title
            section = env.get_template(f"{route.kind}-section.html")
            made = [(code, section.make_module(self.context(route, code))) for code in self.site.config.codes]
            context["sections"] = [(code, Markup(module), getattr(module, "title", "")) for code, module in made]
        template = env.get_template(f"{route.kind}.{'xml' if route.kind in ('feed', 'changes') else 'html'}")
        return template.render(context).encode()

    def fragment(self, name: str, lang: str, fallbacks: set[str], key: tuple = (), **values) -> Markup:
        """A part of pages rendered once per language (and key), then reused: the menu and the
        footer of every page, a product's card in every list (cards of the last language only:
        they would fill the memory of a large site). The template sees the site, the
        language and `values`, never the page; the languages its text falls back to count for
        each page that shows it."""
        if key and lang != self._cards_of:     # pages come language by language: cards of one are kept
            self._fragments = {k: v for k, v in self._fragments.items() if not k[2]}
            self._cards_of = lang
        if (name, lang, key) not in self._fragments:
            context = self.context(self.routes.get("home", lang) or self.routes.all[0], lang)
            html = Markup(self.theme.env.get_template(name).render(context | values))
            self._fragments[name, lang, key] = html, set(context["fallbacks"])
        html, used = self._fragments[name, lang, key]
        fallbacks |= used
        return html

    def context(self, route: Route, lang: str = "") -> dict:
        site, routes = self.site, self.routes
        lang = lang or route.lang or site.config.default_lang
        ui = self.ui[lang]
        fallbacks: set[str] = set()
        untranslated = ui.gettext("Not yet translated")
        listing, pages = routes.listing(route)

        def t(text: Text | None, in_lang: str = lang) -> Markup:
            if text is None:
                return Markup("")
            value, fallback = text.show(in_lang)
            if fallback is None:
                return escape(value)
            fallbacks.add(fallback)
            return Markup('<span lang="{}" class="fallback" title="{}">{}</span>').format(fallback, untranslated, value)

        def md(text: Text | str | None, in_lang: str = lang, pictures: bool = False) -> Markup:
            """Markdown as HTML; `pictures`: a page's or news text, whose photos from products/media
            are shown as the site's other photos are (picture())."""
            if text is None:
                return Markup("")
            value, fallback = (text, None) if isinstance(text, str) else text.show(in_lang)
            html = Markup(markdown_html(value))
            if pictures and site.figures and "<img" in html:
                html = Markup(_IMG.sub(figure, html))
            if fallback is None:
                return html
            fallbacks.add(fallback)
            return Markup('<div lang="{}" class="fallback" title="{}">{}</div>').format(fallback, untranslated, html)

        def href(kind: str, key: str = "", in_lang: str | None = None, page: int = 1) -> str:
            return routes.href(kind, lang if in_lang is None else in_lang, key, page)

        def asset(path: str) -> str:
            return routes.base_path + path

        def figure(tag: re.Match) -> str:
            """An <img> of sanitized text as its photo's picture(), if it shows one of the site's."""
            image, attributes = self.figure_of(tag.group(1))
            if image is None:
                return tag.group(0)
            return picture(image, "(max-width: 42rem) 100vw, 42rem", alt=Markup(attributes.get("alt", "")))

        def picture(image, sizes: str, lazy: bool = True, alt: str = "") -> Markup:
            """A photo as <picture>: WebP at several widths, a JPEG fallback, its size set to avoid layout shift."""
            webp, jpeg = images.variants(image.file, image.digest, image.width, image.height)
            return Markup('<picture><source type="image/webp" srcset="{}" sizes="{}">'
                          '<img src="{}" alt="{}" width="{}" height="{}"{}></picture>').format(
                ", ".join(f"{asset(v.path)} {v.width}w" for v in webp), sizes, asset(jpeg.path), alt,
                jpeg.width, jpeg.height,
                Markup(' loading="lazy" decoding="async"') if lazy else Markup(' fetchpriority="high"'))

        def thumbnail(image) -> str:
            """The address of a photo's smallest WebP (search results)."""
            return asset(images.variants(image.file, image.digest, image.width, image.height)[0][0].path)

        return {
            "site": site, "config": site.config, "route": route, "lang": lang, "routes": routes, "thumbnail": thumbnail,
            "translations": routes.translations(route), "languages": site.config.languages,
            "url": routes.url(route), "fallbacks": fallbacks, "csp": CONTENT_SECURITY_POLICY,
            "listing": listing, "pages": pages,
            "product": self.product(route.key), "retired": self.retired.get(route.key),
            "article": site.articles.get((route.kind, route.key)),      # a free page's or news post's
            "products_by_id": self.by_id, "communes": self.communes, "showrooms": self.showrooms,
            "showrooms_in": site.showrooms_in,
            "categories": CATEGORIES, "certified": self.certified,
            "certified_by_stars": self.certified_by_stars,
            "commune_links": self.commune_links, "communes_left": self.communes_left,
            "many_communes": self.many_communes,
            "t": t, "md": md, "href": href, "asset": asset, "picture": picture,
            "_": ui.gettext, "ngettext": ui.ngettext,
            "day": lambda d, in_lang=lang: i18n.format_day(d, in_lang) if d else "",
            "iso": lambda d: d.isoformat() if isinstance(d, date) else "",
            "vnd": lambda n, in_lang=lang: i18n.format_vnd(n, in_lang),
            "number": lambda n, in_lang=lang: i18n.format_number(n, in_lang),
            "months": lambda months: i18n.month_names(months, lang),
            "language_names": lambda codes: i18n.language_names(codes, lang),
            "qr": lambda product_id: qr_path(self.verify_url(product_id)),
            "code_shards": lambda product_id: codes.shards(site.codes.get(product_id, ())),
            "media": lambda file: asset(site.media[file]),
            "og_image": self.og_image, "product_jsonld": lambda product: self.product_jsonld(product, lang),
            "summary": lambda text: summary(text(lang)),
            "figures": lambda: self.figures, "updated": self.updated,
            "certification_changes": lambda: self.certification_changes,
            "bars": lambda rows, label: Markup(bars(rows, label, lambda n: i18n.format_number(n, lang))),
            "escaped": lambda html: Markup(html_escape(str(html), quote=False)),
            "shared": lambda name, in_lang=lang: self.fragment(name, in_lang, fallbacks),
            "card": lambda name, p, heading: self.fragment(name, lang, fallbacks, (p.id, heading), p=p, heading=heading),
            "search_bundles": self.search_bundles.get(lang, []), "chrome": self.chrome[route.lang],
            "lang_name": {language.code: language.name for language in site.config.languages},
            "words": self.words.get(lang) or jinja2.StrictUndefined(
                hint="'words' is made from templates/_words.html, which this theme does not have"),
        }

    def updated(self, kind: str, key: str, lang: str):
        """When a product or page was last changed, from git; None outside a git checkout."""
        if kind == "product":
            product = self.by_id[key]
            files = [product.path] + [f"products/{image.file}" for image in product.images]
        else:
            files = [text_file(kind, key, lang), text_file(kind, key, self.site.config.default_lang)]
        dates = [self.site.updated[f] for f in files if f in self.site.updated]
        return max(dates) if dates else None

    @functools.cached_property
    def certification_changes(self) -> list[tuple]:
        """Every product's certification changes, newest first: (kind, day, product, event, stars before)."""
        site = self.site
        found = [(kind, day, product, event, before) for product in site.products
                 for kind, day, event, before in changes(site.history.get(product.id, ()), site.today,
                                                         site.config.validity_months)]
        return sorted(found, key=lambda c: (c[1], c[2].id, c[0]), reverse=True)

    @functools.cached_property
    def figures(self):
        """The programme's figures on the build date, for the "at a glance" page."""
        return figures(self.site, f"{self.site.today.year:04d}-{self.site.today.month:02d}")

    def figure_of(self, attributes: str) -> tuple:
        """The site's photo an <img> of sanitized text shows (or None), and the tag's attributes."""
        found = dict(_ATTRIBUTE.findall(attributes))
        return self.site.figures.get(images.figure_file(html_unescape(found.get("src", ""))) or ""), found

    def og_image(self, shown) -> dict | None:
        """The photo link previews show (Facebook, Zalo): a product's first photo, or the first of a
        page's or news post's text (given as its Markdown), as its JPEG fallback."""
        if isinstance(shown, str):
            image = next((image for tag in _IMG.findall(markdown_html(shown))
                          if (image := self.figure_of(tag)[0])), None)
        else:
            image = shown.images[0] if shown.images else None
        if image is None:
            return None
        jpeg = images.variants(image.file, image.digest, image.width, image.height)[1]
        return {"url": self.routes.base_url + jpeg.path, "width": jpeg.width, "height": jpeg.height}

    def product_jsonld(self, product, lang: str) -> Markup:
        """schema.org Product for search engines: the producer as manufacturer, the OCOP
        certificate in force as hasCertification."""
        standing = self.site.standing[product.id]
        data = {"@context": "https://schema.org", "@type": "Product", "name": product.name(lang),
                "description": summary(product.description(lang)),
                "url": self.routes.url(self.routes.get("product", lang, product.id)),
                "category": product.category,
                "manufacturer": {"@type": "Organization", "name": product.producer.name(lang)}}
        if product.producer.website:
            data["manufacturer"]["url"] = product.producer.website
        if product.gtin:
            data["gtin"] = product.gtin
        photo = self.og_image(product)
        if photo:
            data["image"] = photo["url"]
        visit = product.visit
        if product.category == "tourism" and visit:       # also a place to go: a tourist attraction
            place = {"@type": "TouristAttraction", "name": product.name(lang), "url": data["url"],
                     "description": data["description"]}
            if visit.location:
                place["geo"] = {"@type": "GeoCoordinates", "latitude": visit.location.lat,
                                "longitude": visit.location.lon}
            if visit.address:
                place["address"] = visit.address(lang)
            if visit.languages:
                place["availableLanguage"] = list(visit.languages)
            if visit.booking_phone:
                place["telephone"] = visit.booking_phone
            if "image" in data:
                place["image"] = data["image"]
        if standing.status in ("valid", "expiring"):
            decision = standing.recognition.decision
            data["hasCertification"] = {
                "@type": "Certification", "name": f"OCOP {standing.stars}★",
                "certificationIdentification": decision.number,
                "issuedBy": {"@type": "Organization", "name": decision.authority(lang) if decision.authority
                             else decision.issuer},
                "validFrom": decision.date.isoformat(), "expires": standing.valid_until.isoformat(),
                "certificationRating": {"@type": "Rating", "ratingValue": standing.stars, "bestRating": 5},
                "url": self.verify_url(product.id)}
        if product.category == "tourism" and visit:
            del data["@context"]
            data = {"@context": "https://schema.org", "@graph": [data, place]}
        return Markup(json_for_html(data, separators=(",", ":")))

    def verify_url(self, product_id: str) -> str:
        return self.routes.url(self.routes.get("verify", "", product_id))
