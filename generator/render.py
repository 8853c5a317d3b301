"""Pages: the Jinja environment of a theme, and one function that renders a route to bytes.

One factory makes the environment; the helpers templates use are closures bound to the site,
its routes and the page's language. Markdown from content is converted, then sanitized.
"""
from __future__ import annotations

import functools
from html import escape as html_escape
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import jinja2
import markdown
import nh3
from markupsafe import Markup, escape

from . import i18n, images
from .model import CATEGORIES, Site, Text
from .qr import qr_name
from .routes import Route, Routes

ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
                "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
                "tbody", "td", "th", "thead", "tr", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
                      "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Pages load only the site's own files; scripts only from files (no inline script), so that no
# content can run script even if it got past the sanitizer.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'")


@functools.lru_cache(maxsize=4096)
def markdown_html(text: str) -> str:
    """Markdown to HTML with only an allow-list of tags, attributes and URL schemes left in."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", attribute_filter=_same_site_images)


def _same_site_images(tag: str, attribute: str, value: str) -> str | None:
    """Pages load nothing from other sites (privacy, weak connections): an image's src must be the site's own."""
    if tag == "img" and attribute == "src" and ("//" in value or ":" in value.split("/")[0]):
        return None
    return value


@dataclass
class Theme:
    """A theme folder: templates/, static/ and locales/."""

    root: Path
    env: jinja2.Environment = field(init=False)

    def __post_init__(self):
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.root / "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.do"])
        self.env.tests["contains"] = lambda sequence, item: item in sequence

    def static_files(self) -> list[tuple[str, Path]]:
        static = self.root / "static"
        return sorted((p.relative_to(static).as_posix(), p) for p in static.rglob("*") if p.is_file())


class Renderer:
    """Renders the HTML pages and feeds of one site with one theme."""

    def __init__(self, site: Site, routes: Routes, theme: Theme):
        self.site, self.routes, self.theme = site, routes, theme
        self.ui = {code: i18n.translations(theme.root, code) for code in site.config.codes}
        self.by_id = {p.id: p for p in site.products}
        self.communes = {c.id: c for c in site.communes}
        self.showrooms = {s.id: s for s in site.showrooms}
        self.retired = {r.id: r for r in site.retired}

    def product(self, key: str):
        """The product a page shows: for a retired id, the product that replaced it (or None)."""
        retired = self.retired.get(key)
        return self.by_id.get(retired.replaced_by if retired else key)

    def render(self, route: Route) -> bytes:
        env = self.theme.env
        context = self.context(route)
        if not route.lang:      # language-neutral: one section per language, the default first
            section = env.get_template(f"{route.kind}-section.html")
            context["sections"] = [(code, Markup(section.render(self.context(route, code))))
                                   for code in self.site.config.codes]
        template = env.get_template(f"{route.kind}.{'xml' if route.kind == 'feed' else 'html'}")
        return template.render(context).encode()

    def context(self, route: Route, lang: str = "") -> dict:
        site, routes = self.site, self.routes
        lang = lang or route.lang or site.config.default_lang
        ui = self.ui[lang]
        fallbacks: set[str] = set()

        def t(text: Text | None, in_lang: str = lang) -> Markup:
            if text is None:
                return Markup("")
            value, fallback = text.show(in_lang)
            if fallback is None:
                return escape(value)
            fallbacks.add(fallback)
            return Markup('<span lang="{}" class="fallback">{}</span>').format(fallback, value)

        def md(text: Text | str | None, in_lang: str = lang) -> Markup:
            if text is None:
                return Markup("")
            value, fallback = (text, None) if isinstance(text, str) else text.show(in_lang)
            html = Markup(markdown_html(value))
            if fallback is None:
                return html
            fallbacks.add(fallback)
            return Markup('<div lang="{}" class="fallback">{}</div>').format(fallback, html)

        def href(kind: str, key: str = "", in_lang: str | None = None) -> str:
            return routes.href(kind, lang if in_lang is None else in_lang, key)

        def asset(path: str) -> str:
            return routes.base_path + path

        def picture(image, sizes: str, lazy: bool = True, alt: str = "") -> Markup:
            """A photo as <picture>: WebP at several widths, a JPEG fallback, its size set to avoid layout shift."""
            webp, jpeg = images.variants(image.file, image.digest, image.width, image.height)
            return Markup('<picture><source type="image/webp" srcset="{}" sizes="{}">'
                          '<img src="{}" alt="{}" width="{}" height="{}"{}></picture>').format(
                ", ".join(f"{asset(v.path)} {v.width}w" for v in webp), sizes, asset(jpeg.path), alt,
                jpeg.width, jpeg.height,
                Markup(' loading="lazy" decoding="async"') if lazy else Markup(' fetchpriority="high"'))

        return {
            "site": site, "config": site.config, "route": route, "lang": lang, "routes": routes,
            "translations": routes.translations(route), "languages": site.config.languages,
            "url": routes.url(route), "fallbacks": fallbacks, "csp": CONTENT_SECURITY_POLICY,
            "product": self.product(route.key), "retired": self.retired.get(route.key),
            "products_by_id": self.by_id, "communes": self.communes, "showrooms": self.showrooms,
            "categories": CATEGORIES,
            "t": t, "md": md, "href": href, "asset": asset, "picture": picture,
            "_": ui.gettext, "ngettext": ui.ngettext,
            "day": lambda d, in_lang=lang: i18n.format_day(d, in_lang) if d else "",
            "iso": lambda d: d.isoformat() if isinstance(d, date) else "",
            "vnd": lambda n, in_lang=lang: i18n.format_vnd(n, in_lang),
            "qr": lambda product_id: f"qr/{qr_name(self.verify_url(product_id))}",
            "media": lambda file: asset(site.media[file]),
            "verify_url": self.verify_url, "escaped": lambda html: Markup(html_escape(str(html), quote=False)), "lang_name": {l.code: l.name for l in site.config.languages},
        }

    def verify_url(self, product_id: str) -> str:
        return self.routes.url(self.routes.get("verify", "", product_id))
