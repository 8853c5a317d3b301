"""`ocop catalogue`: a printable PDF catalogue for travel agencies, in one language: a cover (title,
the date it was made, the office's contact), then the products, two to an A4 page: photo, name,
status and stars, price, producer, where to buy, and a QR code to the product's page with its
address printed under it. Its text is text (selectable, searchable, links that work), laid out
from the theme's `print-catalogue.html` and `static/print-catalogue.css` by WeasyPrint, with the
fonts embedded."""
from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from ..assets import images, qr
from ..errors import OcopError, tr
from ..site.model import Product, Site
from ..pages.kinds import Sources
from ..pages.render import Renderer, Theme
from ..pages.routes import Routes

CERTIFIED = ("valid", "expiring")
# a font that writes the language's script, and the Debian package that brings one
SCRIPTS = {"zh": ("zh-cn", "fonts-noto-cjk"), "ko": ("ko", "fonts-noto-cjk"), "ja": ("ja", "fonts-noto-cjk")}


class CatalogueError(OcopError):
    """A catalogue that cannot be made as asked: no product chosen, no font for the language."""


@dataclass(frozen=True)
class Choice:
    """Which products: by default the certified ones (valid or expiring), best rated first."""

    everything: bool = False
    commune: str = ""
    category: str = ""
    stars: int = 0

    def __call__(self, site: Site) -> list[Product]:
        status = site.standing
        chosen = [p for p in site.products
                  if (self.everything or status[p.id].status in CERTIFIED)
                  and (not self.commune or p.commune == self.commune)
                  and (not self.category or p.category == self.category)
                  and (not self.stars or (status[p.id].status in CERTIFIED and status[p.id].stars == self.stars))]
        return sorted(chosen, key=lambda p: (status[p.id].status not in CERTIFIED, -(status[p.id].stars or 0), p.id))


def font_for(lang: str) -> None:
    """Refuses a language whose script no installed font writes (the PDF would show boxes)."""
    script, package = SCRIPTS.get(lang.split("-")[0].lower(), ("vi", "fonts-dejavu-core"))
    try:
        found = subprocess.run(["fc-list", f":lang={script}", "family"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    if not found.strip():
        raise CatalogueError(tr("no font on this computer writes the '{lang}' text of the catalogue; install "
                                "one (on Debian or Ubuntu: apt-get install {package}) and run it again",
                                lang=lang, package=package))


def _data_uri(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def catalogue_pdf(site: Site, routes: Routes, theme: Path, site_dir: Path, lang: str, choice: Choice = Choice(),
                  cache: Path | None = None) -> bytes:
    try:
        from weasyprint import HTML          # (a second or so to load: only for this command)
    except OSError:                          # it lays text out with Pango, a library of the system's
        raise CatalogueError(tr("the catalogue is laid out with the Pango library, which is not installed; on "
                                "Debian or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0")) from None
    font_for(lang)
    products = choice(site)
    if not products:
        asked = [f"--{name} {value}" for name, value in (("commune", choice.commune), ("category", choice.category),
                                                         ("stars", choice.stars)) if value]
        raise CatalogueError(tr("no product is chosen: ") + (
            tr("the site has none") if not site.products else
            tr("no {value}product matches {asked}",
               value='' if choice.everything else 'certified ', asked=' '.join(asked)) if asked else
            tr("none is certified (add --all for every product)")))
    renderer = Renderer(Sources(site, routes), Theme(theme))
    context = renderer.context(routes.get("home", lang), {"today": site.today,
                                                          "showrooms": {s.id: s for s in site.showrooms}}, lang)

    def photo(product: Product) -> str:
        if not product.images:
            return ""
        image = product.images[0]
        jpeg = images.variants(image.file, image.digest, image.width, image.height)[1]
        made = cache / Path(jpeg.path).name if cache else None      # as the last build made it (read, not written)
        return _data_uri("image/jpeg", made.read_bytes() if made and made.is_file()
                         else images.encode(site_dir / "products" / image.file, jpeg))

    def code(url: str) -> Markup:
        return Markup(qr.svg(qr.modules(url)).decode())

    entries = [{"product": p, "standing": site.standing[p.id], "photo": photo(p),
                "url": routes.url(routes.get("product", lang, p.id)), "verify_url": routes.url(routes.get("verify", "", p.id))}
               for p in products]
    css = (theme / "static" / "print-catalogue.css").read_text(encoding="utf-8")
    html = renderer.theme.env.get_template("print-catalogue.html").render(
        context | {"entries": entries, "code": code, "css": Markup(css), "choice": choice,
                   "site_url": routes.url(routes.get("home", lang))})
    return HTML(string=html, base_url=str(site_dir)).write_pdf()
