"""Pages: the Jinja environment of a theme, and one function that renders a route to bytes.

One factory makes the environment; the helpers templates use are closures bound to the site,
its routes and the page's language. Markdown from content is converted, then sanitized.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import os
import re
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

from ..assets import images
from . import commonmark, i18n
from ..site import codes
from ..site.model import Text
from .exports import CONTENT_SECURITY_POLICY, json_for_html
from ..output.cache import seal, unseal
from ..output.fresh import files_under
from ..assets.qr import qr_path
from ..commands.report import bars
from .kinds import KINDS, Kind, Made, Sources, site_wide
from .routes import Route

ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
                "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
                "tbody", "td", "th", "thead", "tr", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
                      "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
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
    carries this machine's seal (cache.seal), which no file from a repository can."""

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


def figure_of(figures: dict, attributes: str) -> tuple:
    """The site's photo an <img> of sanitized text shows (or None), and the tag's attributes."""
    found = dict(_ATTRIBUTE.findall(attributes))
    return figures.get(images.figure_file(html_unescape(found.get("src", ""))) or ""), found


class Renderer:
    """Renders the HTML pages and feeds of one site with one theme, each page from its kind's
    inputs (kinds.py), what every page shows (kinds.site_wide) and the helpers below."""

    def __init__(self, sources: Sources, theme: Theme):
        site, routes = sources.site, sources.routes
        self.sources, self.site, self.routes, self.theme = sources, site, routes, theme
        self.ui = {code: i18n.translations(theme.root, code) for code in site.config.codes}
        self.common = site_wide(site, routes)
        self.chrome = {code: [(code, Markup(""))] for code in site.config.codes}      # base.html
        self.chrome[""] = [(code, Markup(' lang="{}" data-lang="{}"{}').format(code, code, Markup(" hidden") if i else ""))
                           for i, code in enumerate(site.config.codes)]
        self._fragments: dict[tuple, tuple[Markup, set[str]]] = {}
        self._cards_of = ""         # the language whose cards _fragments holds
        self._made: dict[tuple, tuple[Made, object]] = {}
        # the words of each language (_words.html), made once: no page runs that template again
        words = theme.env.get_template("_words.html") if "_words.html" in theme.env.list_templates() else None
        self.words = {code: words.make_module({"_": ui.gettext, "ngettext": ui.ngettext, "lang": code,
                                               "day": lambda d, code=code: i18n.format_day(d, code) if d else ""})
                      for code, ui in self.ui.items()} if words else {}

    def showing(self, product) -> Renderer:
        """The same renderer, with `product` in place of the product of its id."""
        renderer = copy.copy(self)
        renderer.sources = copy.copy(self.sources)
        renderer.sources.by_id = self.sources.by_id | {product.id: product}
        renderer._fragments, renderer._made = {}, {}
        return renderer

    def warm(self) -> None:
        """Compiles every template now, so that worker processes share the compiled code."""
        for name in self.theme.env.list_templates():
            self.theme.env.get_template(name)

    def render(self, route: Route, kinds: dict[str, Kind] = KINDS) -> bytes:
        """A page of the site (or, with kinds.SEARCH, its search document)."""
        kind = kinds[route.kind]
        env = self.theme.env
        inputs = {name: self.made(value) if type(value) is Made else value
                  for name, value in kind.inputs(self.sources, route).items()}
        context = self.context(route, inputs)
        if not route.lang:      # language-neutral: one section per language, the default first, and its title
            section = env.get_template(kind.template.replace(".html", "-section.html"))
            try:
                made = [(code, section.make_module(self.context(route, inputs, code))) for code in self.site.config.codes]
            except Exception:           # told at the template's line, as render() tells it (make_module does not)
                env.handle_exception()
            context["sections"] = [(code, Markup(module), getattr(module, "title", "")) for code, module in made]
        return env.get_template(kind.template).render(context).encode()

    def made(self, value: Made):
        """An input made now (kinds.Made), once for every page that has it."""
        key = (value.make, tuple(map(id, value.of)))        # (kept with the value: no id is reused)
        if key not in self._made:
            self._made[key] = value, value()
        return self._made[key][1]

    def fragment(self, name: str, lang: str, fallbacks: set[str], key: tuple = (), **values) -> Markup:
        """A part of pages rendered once per language (and key), then reused: the menu and the
        footer of every page, a product's card in every list (cards of the last language only:
        they would fill the memory of a large site). The template sees what every page sees, the
        language and `values`, never the page; the languages its text falls back to count for
        each page that shows it."""
        if key and lang != self._cards_of:     # pages come language by language: cards of one are kept
            self._fragments = {k: v for k, v in self._fragments.items() if not k[2]}
            self._cards_of = lang
        if (name, lang, key) not in self._fragments:
            context = self.context(self.routes.get("home", lang) or self.routes.all[0], {}, lang)
            html = Markup(self.theme.env.get_template(name).render(context | values))
            self._fragments[name, lang, key] = html, set(context["fallbacks"])
        html, used = self._fragments[name, lang, key]
        fallbacks |= used
        return html

    def context(self, route: Route, inputs: dict, lang: str = "") -> dict:
        """What a template sees: the site-wide values, the helpers, and its kind's inputs."""
        site, routes = self.site, self.routes
        lang = lang or route.lang or site.config.default_lang
        ui = self.ui[lang]
        fallbacks: set[str] = set()
        untranslated = ui.gettext("Not yet translated")
        exists = self.common["exists"]
        shown = inputs.get("figures")       # the photos texts show, for the kinds that show texts

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
            if pictures and "<img" in html:
                html = Markup(_IMG.sub(figure, html))
            if fallback is None:
                return html
            fallbacks.add(fallback)
            return Markup('<div lang="{}" class="fallback" title="{}">{}</div>').format(fallback, untranslated, html)

        def photos() -> dict:
            if shown is None:
                raise jinja2.TemplateRuntimeError(f"the photos of texts are not among the inputs of a {route.kind} "
                                                  "page (kinds.py): only pages, news and the news feed show them")
            return shown

        def href(kind: str, key: str = "", in_lang: str | None = None, page: int = 1) -> str:
            return routes.href(kind, lang if in_lang is None else in_lang, key, page)

        def full_url(kind: str, key: str = "", in_lang: str | None = None) -> str:
            return routes.base_url + routes.get(kind, lang if in_lang is None else in_lang, key).path

        def asset(path: str) -> str:
            return routes.base_path + path

        def figure(tag: re.Match) -> str:
            """An <img> of sanitized text as its photo's picture(), if it shows one of the site's."""
            image, attributes = figure_of(photos(), tag.group(1))
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

        def og_image(shown) -> dict | None:
            """The photo link previews show (Facebook, Zalo): a product's first photo, or the first of a
            page's or news post's text (given as its Markdown), as its JPEG fallback."""
            if isinstance(shown, str):
                image = next((image for tag in _IMG.findall(markdown_html(shown))
                              if (image := figure_of(photos(), tag)[0])), None)
                return self.photo_link(image)
            return self.photo_link(shown.images[0] if shown.images else None)

        return self.common | {
            "route": route, "lang": lang, "url": routes.url(route), "translations": routes.translations(route),
            "alternates": lambda: routes.alternates(route),
            "fallbacks": fallbacks, "csp": CONTENT_SECURITY_POLICY, "chrome": self.chrome[route.lang],
            "has": lambda kind, key="": (kind, key) in exists,
            "t": t, "md": md, "href": href, "full_url": full_url, "asset": asset, "picture": picture,
            "thumbnail": thumbnail, "og_image": og_image,
            "_": ui.gettext, "ngettext": ui.ngettext,
            "day": lambda d, in_lang=lang: i18n.format_day(d, in_lang) if d else "",
            "iso": lambda d: d.isoformat() if isinstance(d, date) else "",
            "vnd": lambda n, in_lang=lang: i18n.format_vnd(n, in_lang),
            "number": lambda n, in_lang=lang: i18n.format_number(n, in_lang),
            "months": lambda months: i18n.month_names(months, lang),
            "language_names": lambda codes: i18n.language_names(codes, lang),
            # what a product's key stands for (depends.product_key), shown of a product the inputs give
            "standing": lambda product: site.standing[product.id],
            "history": lambda product: site.history[product.id],
            "code_shards": lambda product: codes.shards(site.codes.get(product.id, ())),
            "qr": lambda product: qr_path(self.verify_url(product.id)),
            "product_jsonld": lambda product: self.product_jsonld(product, lang),
            "summary": lambda text: summary(text(lang)),
            "bars": lambda rows, label: Markup(bars(rows, label, lambda n: i18n.format_number(n, lang))),
            "escaped": lambda html: Markup(html_escape(str(html), quote=False)),
            "shared": lambda name, in_lang=lang: self.fragment(name, in_lang, fallbacks),
            "card": lambda name, p, heading: self.fragment(name, lang, fallbacks, (p.id, heading), p=p, heading=heading),
            "words": self.words.get(lang) or jinja2.StrictUndefined(
                hint="'words' is made from templates/_words.html, which this theme does not have"),
        } | inputs

    def photo_link(self, image) -> dict | None:
        """A photo as link previews show it: its JPEG fallback."""
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
        photo = self.photo_link(product.images[0] if product.images else None)
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
