"""Product photos for the web: EXIF orientation applied, colours brought to sRGB, metadata stripped,
several widths in WebP plus one JPEG fallback, each file named by the hash of its source and the
parameters.

`variants()` is pure: render asks it for the names and sizes it writes into <picture>. `encode()`
makes the bytes, through a cache folder keyed by those same names, so an unchanged photo is
never encoded twice.
"""
from __future__ import annotations

import hashlib
import io
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageCms, ImageOps

WIDTHS = (320, 640, 1024)        # what phones and desktops ask for, through srcset
FALLBACK = 640                   # the JPEG for browsers without WebP, and for link previews
MAX_BYTES = 400 * 1024           # a published image is never larger
MAX_SIDE = 16383                 # WebP's limit on either side: a very tall photo is published narrower
_VERSION = "img4"                # change when the encoding changes, so names change with it


@dataclass(frozen=True)
class Variant:
    path: str        # in the output: media/<stem>-<hash>-<width>.<ext>
    width: int
    height: int
    format: str      # WEBP or JPEG


def web_name(stem: str) -> str:
    """A file's name as published: letters without accents, digits, '_' and '-' only ("Ảnh chợ
    phiên (1)" → "Anh-cho-phien-1"), so that it needs no escaping in a URL or a srcset, whose
    spaces and commas separate its entries."""
    letters = unicodedata.normalize("NFKD", stem.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in letters if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9_]+", "-", plain).strip("-") or "file"


def figure_file(src: str) -> str | None:
    """The file under products/ ("media/x.jpg") that a picture in a page or news text shows, when
    it is one of the site's photos: written relative to the text's file in content/pages/ or
    content/news/, as Markdown means it (and editors' previews show it): ../../products/media/x.jpg."""
    path = posixpath.normpath(posixpath.join("content/text", unquote(urlsplit(src).path)))
    return path[len("products/"):] if path.startswith("products/media/") else None


def variants(file: str, digest: str, width: int, height: int) -> tuple[tuple[Variant, ...], Variant]:
    """The WebP widths (never wider than the photo) and the JPEG fallback of one photo."""
    most = max(1, width * MAX_SIDE // height)       # the widest variant whose height WebP can hold
    widths = sorted({min(w, width, most) for w in WIDTHS})
    stem = web_name(Path(file).stem)

    def variant(w: int, fmt: str) -> Variant:
        h = max(1, round(height * w / width))
        key = hashlib.sha256(f"{_VERSION}|{digest}|{w}|{fmt}".encode()).hexdigest()[:12]
        return Variant(f"media/{stem}-{key}-{w}.{'webp' if fmt == 'WEBP' else 'jpg'}", w, h, fmt)

    return tuple(variant(w, "WEBP") for w in widths), variant(min(FALLBACK, width, most), "JPEG")


def encode(source: Path, variant: Variant, cache: Path | None = None) -> bytes:
    cached = cache / Path(variant.path).name if cache else None
    if cached and cached.is_file():
        return cached.read_bytes()
    with Image.open(source) as original:
        if original.format == "JPEG":   # decoded at the smallest scale (1/2, 1/4, 1/8) still as large as the variant
            turned = original.getexif().get(0x0112, 1) in (5, 6, 7, 8)
            original.draft("RGB", (variant.height, variant.width) if turned else (variant.width, variant.height))
        image = shown(ImageOps.exif_transpose(original), (variant.width, variant.height),
                      original.info.get("icc_profile"), alpha=variant.format == "WEBP")
        for quality in (82, 72, 62, 50, 40):
            out = io.BytesIO()
            # no exif, icc or xmp argument: the published file carries no metadata (no GPS, no camera serial)
            image.save(out, variant.format, quality=quality, **({"method": 4} if variant.format == "WEBP" else
                                                                   {"optimize": True, "progressive": True}))
            if out.tell() <= MAX_BYTES:
                break
    data = out.getvalue()
    if cached:          # whole or not at all: a build stopped midway leaves no half photo to reuse
        from ..output.write import write_atomically
        write_atomically(cached, data)
    return data


def shown(image: Image.Image, size: tuple[int, int], icc: bytes | None, alpha: bool) -> Image.Image:
    """An upright photo at `size`, as browsers and printers take the pixels of a file without a
    profile: 8 bits a channel, in sRGB (`icc`: the source's profile); with its transparency if
    `alpha`, else on white (a JPEG has none: the bare pixels under it are often black)."""
    if image.mode.startswith("I"):          # 16-bit grey: to 8 bits (a plain convert would clip it to white)
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        if not alpha:
            image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
    image = image.convert("RGBA" if image.mode == "RGBA" and alpha else "RGB")
    if image.size != size:
        image = image.resize(size, Image.LANCZOS)
    return _in_srgb(image, icc)      # after resizing: a colour transform costs by the pixel


def _in_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels of a photo made for another colour profile (an iPhone's Display P3, a camera's
    Adobe RGB) turned into sRGB: the published file carries no profile, so a browser takes its
    pixels as sRGB, and without this shows such a photo's colours duller than they are."""
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower().replace(" ", ""):
            return image
        return ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):      # a broken profile: the pixels as they are
        return image
