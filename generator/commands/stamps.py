"""Printable sheets of stamp QR codes (SPEC §8): A4 pages at 600 dpi, codes at an exact printed size,
each with its serial, its check code (with the office's key: codes.py), the site's domain and the
product's name under it."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from urllib.parse import urlsplit

from ..site import codes
from ..errors import OcopError, tr
from ..site.model import Site
from ..assets.qr import matrix

DPI = 600
A4_MM = (210, 297)
MARGIN_MM = 10
GAP_MM = 6              # between cells, room for cut marks
LABEL_MM = 10           # three lines of text under each code
MAX_STAMPS = 5000       # one request; print larger batches in several sheets
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf")


class StampError(OcopError):
    """A stamp sheet that must not be printed: unknown product, no valid certificate, serials not issued."""


def px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def stamp_url(site: Site, product_id: str, serial: int, code: str = "") -> str:
    return f"{site.config.base_url}v/{product_id}/?s={serial}" + (f"-{code}" if code else "")


def stamp_codes(site: Site, product_id: str, first: int, last: int, key: bytes,
                known: dict[int, str]) -> tuple[dict[int, str], dict[int, str]]:
    """The codes of serials first..last, and the check hashes of the product's file with theirs
    added. A serial whose hash is on record already must have been made with this key: a code
    made with another would leave the stamp printed first reading as counterfeit."""
    made = {serial: codes.code(key, product_id, serial) for serial in range(first, last + 1)}
    hashes = dict(known)
    for serial, code in made.items():
        digest = codes.check_hash(product_id, serial, code)
        if hashes.setdefault(serial, digest) != digest:
            raise StampError(tr("stamp {serial} of '{product_id}' was printed with codes of another key; print "
                                "it with the key used then (products/codes/{product_id}.txt holds its check), "
                                "or print serials not printed before", serial=serial, product_id=product_id))
    return made, hashes


def check_serials(site: Site, product_id: str, first: int, last: int) -> None:
    product = next((p for p in site.products if p.id == product_id), None)
    if product is None:
        raise StampError(tr("no product '{product_id}' in products/", product_id=product_id))
    status = site.standing[product_id].status
    if status not in ("valid", "expiring"):
        raise StampError(tr("'{product_id}' has no valid OCOP certificate on {site_today} (it is {status}); "
                            "stamps are printed only for valid or expiring certificates",
                            product_id=product_id, site_today=site.today, status=status))
    if last - first + 1 > MAX_STAMPS:
        raise StampError(tr("{value} stamps in one sheet is over the limit of {max_stamps}; print in parts",
                            value=last - first + 1, max_stamps=MAX_STAMPS))
    issued = [b for b in product.stamps if b.issued <= site.today]
    outside = [s for s in (first, last) if not any(s in b for b in issued)]
    covered = sum(max(0, min(last, b.last) - max(first, b.first) + 1) for b in issued)
    if outside or covered != last - first + 1:
        batches = ", ".join(f"{b.first}–{b.last} (issued {b.issued})" for b in issued) or "none"
        raise StampError(tr("serials {first}–{last} are not all in the batches issued for '{product_id}' by "
                            "{site_today}: {batches}; add a batch to products/{product_id}.yaml first",
                            first=first, last=last, product_id=product_id, site_today=site.today, batches=batches))


def _font(size: int):
    for path in FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _draw_code(draw: ImageDraw.ImageDraw, modules: list[list[bool]], x0: int, y0: int, size: int) -> None:
    """Each module from round(i·m) to round((i+1)·m): the code is exactly `size` pixels wide."""
    n = len(modules)
    edge = [x0 + round(i * size / n) for i in range(n + 1)]
    top = [y0 + round(i * size / n) for i in range(n + 1)]
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((edge[x], top[y], edge[x + 1] - 1, top[y + 1] - 1), fill=0)


def stamp_sheet(site: Site, product_id: str, first: int, last: int, size_mm: float = 20.0,
                made: dict[int, str] | None = None) -> bytes:
    """The PDF: codes of `size_mm` including their quiet zone, each with its serial and check code
    (`made`, by serial: stamp_codes()), the site's domain and the product's name under it, and cut
    marks at the corners of each cell."""
    check_serials(site, product_id, first, last)
    product = next(p for p in site.products if p.id == product_id)
    name = product.name(site.config.default_lang)
    domain = urlsplit(site.config.base_url).hostname or ""
    made = made or {}
    page_w, page_h = px(A4_MM[0]), px(A4_MM[1])
    cell_w, cell_h = px(size_mm + GAP_MM), px(size_mm + LABEL_MM + GAP_MM)
    columns = max(1, (page_w - 2 * px(MARGIN_MM)) // cell_w)
    rows = max(1, (page_h - 2 * px(MARGIN_MM)) // cell_h)
    font, mark = _font(px(2.2)), px(1.5)
    pages, serials = [], list(range(first, last + 1))
    for start in range(0, len(serials), columns * rows):
        page = Image.new("1", (page_w, page_h), 1)
        draw = ImageDraw.Draw(page)
        for k, serial in enumerate(serials[start:start + columns * rows]):
            cx = px(MARGIN_MM) + (k % columns) * cell_w + px(GAP_MM / 2)
            cy = px(MARGIN_MM) + (k // columns) * cell_h + px(GAP_MM / 2)
            size = px(size_mm)
            code = made.get(serial, "")
            _draw_code(draw, matrix(stamp_url(site, product_id, serial, code), best_mask=True), cx, cy, size)
            lines = (f"№ {serial}" + (f"-{code}" if code else ""), domain, name)
            for n, text in enumerate(lines):      # the number and code whole, in a smaller font if need be
                face = _narrowed(draw, text, font, size + px(GAP_MM) * 3 // 4) if n == 0 else font
                draw.text((cx + size // 2, cy + size + px(0.6 + 3 * n)), _fit(draw, text, face, size), font=face,
                          fill=0, anchor="mt")
            right, bottom = cx + size, cy + size + px(LABEL_MM)
            for x, y, dx, dy in ((cx, cy, -1, -1), (right, cy, 1, -1), (cx, bottom, -1, 1), (right, bottom, 1, 1)):
                gap = px(GAP_MM / 2) - mark            # marks stay in the gap, clear of the quiet zone
                draw.line((x + dx * gap, y, x + dx * (gap + mark), y), fill=0, width=2)
                draw.line((x, y + dy * gap, x, y + dy * (gap + mark)), fill=0, width=2)
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=pages[1:],
                  title=f"OCOP stamps {product_id} {first}-{last}", creationDate=None, modDate=None)
    return out.getvalue()


def _narrowed(draw: ImageDraw.ImageDraw, text: str, font, width: int):
    while draw.textlength(text, font=font) > width and font.size > px(1.2):
        font = font.font_variant(size=font.size - 4)
    return font


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    while text and draw.textlength(text, font=font) > width * 1.3:
        text = text[:-2] + "…"
    return text


