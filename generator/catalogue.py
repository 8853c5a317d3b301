"""`ocop catalogue`: a printable PDF catalogue for travel agencies, one product per half A4 page:
photo, name, stars, price, where to buy, and a QR code to the product's page in that language."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from . import i18n
from .images import shown
from .model import Product, Site
from .qr import matrix
from .render import summary
from .routes import Routes

DPI = 150
PAGE = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))
MARGIN = round(12 / 25.4 * DPI)
FONTS = {  # the first file that exists is used; CJK languages need a CJK font
    "regular": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"],
    "bold": ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"],
    "cjk": ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"],
}


def _font(kind: str, size: int, lang: str):
    candidates = (FONTS["cjk"] if lang.split("-")[0] in ("zh", "ko", "ja") else []) + FONTS[kind] + FONTS["regular"]
    for path in candidates:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    """Greedy wrapping by words (by characters where a script has no spaces), at most `lines` lines."""
    units = text.split(" ") if " " in text else list(text)
    sep = " " if " " in text else ""
    out, line = [], ""
    for unit in units:
        candidate = f"{line}{sep}{unit}" if line else unit
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
        else:
            out.append(line)
            line = unit
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip(" ,.") + " …"
    return [o for o in out if o]


def _half(site: Site, routes: Routes, product: Product, lang: str, ui, site_dir: Path) -> Image.Image:
    width, height = PAGE[0] - 2 * MARGIN, PAGE[1] // 2 - MARGIN
    half = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(half)
    standing = site.standing[product.id]
    title, body, small = _font("bold", 34, lang), _font("regular", 22, lang), _font("regular", 18, lang)
    photo_w, photo_bottom = round(width * 0.42), 0
    if product.images:
        with Image.open(site_dir / "products" / product.images[0].file) as image:
            upright = ImageOps.exif_transpose(image)
            scale = min(photo_w / upright.width, height * 0.6 / upright.height, 1)
            photo = shown(upright, (max(1, round(upright.width * scale)), max(1, round(upright.height * scale))),
                          image.info.get("icc_profile"), alpha=False)
            half.paste(photo, (0, 0))
            photo_bottom = photo.height
    x, y = photo_w + 30, 0
    text_w = width - x
    for line in _wrap(draw, product.name(lang), title, text_w, 3):
        draw.text((x, y), line, font=title, fill=(20, 61, 39))
        y += 44
    if standing.status in ("valid", "expiring"):
        stars = "★" * standing.stars + "  " + ui.ngettext("%(num)d star", "%(num)d stars", standing.stars) % {"num": standing.stars}
        draw.text((x, y + 6), stars, font=_font("regular", 26, lang), fill=(168, 98, 20))
        y += 44
    facts = []
    if product.price and (product.price.min or product.price.max):
        low, high = product.price.min or product.price.max, product.price.max or product.price.min
        price = i18n.format_vnd(low, lang) + (f" – {i18n.format_vnd(high, lang)}" if high != low else "")
        facts.append(f"{ui.gettext('Price')}: {price}" + (f" / {product.price.unit(lang)}" if product.price.unit else ""))
    facts.append(f"{ui.gettext('Producer')}: {product.producer.name(lang)}")
    if product.producer.phone:
        facts.append(f"{ui.gettext('Phone')}: {product.producer.phone}")
    for fact in facts:
        for line in _wrap(draw, fact, body, text_w, 2):
            draw.text((x, y + 10), line, font=body, fill=(31, 42, 34))
            y += 30
    y = max(y + 20, photo_bottom + 20)
    for line in _wrap(draw, summary(product.description(lang), 400), small, width, 6):
        draw.text((0, y), line, font=small, fill=(60, 70, 62))
        y += 24
    y += 14
    showrooms = {s.id: s for s in site.showrooms}
    if product.showrooms:
        draw.text((0, y), ui.gettext("Where to buy"), font=_font("bold", 24, lang), fill=(20, 61, 39))
        y += 34
        for sid in product.showrooms:
            s = showrooms[sid]
            line = f"{s.name(lang)}: {s.address(lang)}" + (f" ({s.hours(lang)})" if s.hours else "")
            for part in _wrap(draw, line, small, width - 260, 2):
                draw.text((0, y), part, font=small, fill=(31, 42, 34))
                y += 24
    url = routes.url(routes.get("product", lang, product.id))
    modules = matrix(url, best_mask=True)
    scale = 6
    code = Image.new("1", (len(modules), len(modules)), 1)
    code.putdata([0 if dark else 1 for row in modules for dark in row])
    code = code.resize((len(modules) * scale, len(modules) * scale), Image.NEAREST)
    half.paste(code.convert("RGB"), (width - code.width, height - code.height - 10))
    draw.line((0, height - 2, width, height - 2), fill=(222, 214, 196), width=2)
    return half


def catalogue_pdf(site: Site, routes: Routes, theme: Path, site_dir: Path, lang: str) -> bytes:
    ui = i18n.translations(theme, lang)
    products = sorted(site.products, key=lambda p: (site.standing[p.id].status not in ("valid", "expiring"),
                                                    -(site.standing[p.id].stars or 0), p.id))
    pages = []
    for start in range(0, len(products), 2):
        page = Image.new("RGB", PAGE, "white")
        for i, product in enumerate(products[start:start + 2]):
            page.paste(_half(site, routes, product, lang, ui, site_dir), (MARGIN, MARGIN + i * (PAGE[1] // 2)))
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=pages[1:], quality=85,
                  title=f"{site.config.title(lang)}")
    return out.getvalue()
