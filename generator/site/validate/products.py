"""Product files (products/*.yaml): each checked alone, many on every core."""
from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath
from typing import Any

from .. import model as m
from ...errors import Problem, tr
from ..load import Map, Media, RawSite, Seq, Source, parse_later
from .records import LANG_RE, MAX_NUMBER, TEMPLATE_TEXTS, _File, _kind, _named, _show, _stem_id, _suggest
from .settings import _commune_ref, problems_in

PRODUCT_KEYS = ("name", "category", "commune", "producer", "description", "images", "price", "specs", "gtin",
                "showrooms", "stamps", "tags") + ("location", "hours", "season", "languages", "booking", "duration",
                                                  "group_size")     # a place to visit (tourism; any category may)
VISIT_KEYS = PRODUCT_KEYS[-7:]
DECIDED_KEYS = ("stars", "status", "decision", "decisions", "score", "valid_until", "issuer", "certified")
PRODUCT_REQUIRED = ("name", "category", "commune", "producer", "description")
PRODUCER_KEYS = ("name", "kind", "address", "phone", "email", "website")
PRODUCER_REQUIRED = ("name",)


def gtin_ok(code: str) -> bool:
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def _media_ref(f: _File, entry: Map, key: str, raw: RawSite, image: bool) -> tuple[str, Any]:
    """A path relative to products/ that names a file under products/media, checked, or ("", None)."""
    value = f.string(entry, key)
    if not value:
        return "", None
    return _media_file(f, f.at(entry, key), value, raw, image)


def _media_file(f: _File, where: tuple[int, int], value: str, raw: RawSite, image: bool) -> tuple[str, Any]:
    parts = PurePosixPath(value).parts
    if "\\" in value or value.startswith("/") or ".." in parts or not parts or parts[0] != "media":
        f.error(where, tr("'{value}' must be a path inside products/media, written relative to products/ (e.g. "
                          "media/dak-rve-coffee.jpg)", value=value))
        return "", None
    info = raw.media.get(value)
    if info is None:
        alike = [name for name in raw.media if unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", value)]
        f.error(where, tr("the file products/{value} does not exist", value=value) + (
            tr("; products/{value} has the same name with its accents stored another way (as separate marks, as "
               "some computers save names): rename the file, typing its name again", value=alike[0]) if alike
            else _suggest(value, raw.media)))
        return "", None
    if info.error:
        f.error(where, tr("products/{value} {info_error}", value=value, info_error=info.error))
        return "", None
    if image and info.format is None:
        if PurePosixPath(value).suffix.lower() in (".heic", ".heif"):
            f.error(where, tr("products/{value} is a HEIC photo, as iPhones save them, which most browsers "
                              "cannot show; save it as JPEG (on the iPhone: Settings, Camera, Formats, Most "
                              "Compatible)", value=value))
        else:
            f.error(where, tr("products/{value} is not a photo; use a JPEG, PNG or WebP file", value=value))
        return "", None
    if not image and PurePosixPath(value).suffix.lower() not in (".pdf", ".jpg", ".jpeg", ".png", ".webp"):
        f.error(where, tr("products/{value} must be a PDF, JPEG, PNG or WebP scan", value=value))
        return "", None
    return value, info


def _check_product(source: Source, raw: RawSite, langs, communes, showrooms) -> tuple[m.Product | None, list[Problem]]:
    """A product file parsed and checked: the product, if it has no error, and its problems."""
    problems = parse_later(source)
    product = _product(source, raw, langs, communes, showrooms, problems) if source.data is not None else None
    source.data = None          # the parsed tree is not needed again
    return product, problems


def _same_photos(media: dict[str, Media], checked: tuple[m.Product | None, list[Problem]]) -> bool:
    """Whether a product checked before without error reads the same media files now: the only
    ones its check looked at (a product with an error may have looked at all their names)."""
    product, found = checked
    return product is not None and not any(p.severity == "error" for p in found) and all(
        (info := media.get(image.file)) is not None and info.digest == image.digest for image in product.images)


def _product(source: Source, raw: RawSite, langs, communes, showrooms, problems: list[Problem]) -> m.Product | None:
    f = _File(source.path, problems, langs)
    ident = _stem_id(f, source, "product")
    data = f.mapping(source.data, (1, 1), tr("a product"), PRODUCT_KEYS, PRODUCT_REQUIRED, DECIDED_KEYS)
    if data is None:
        return None
    name, description = f.text(data, "name", True), f.text(data, "description", True)
    category = f.choice(data, "category", m.CATEGORIES)
    commune = _commune_ref(f, data, communes)
    producer = None
    if data.get("producer") is not None:
        p = f.mapping(data["producer"], f.at(data, "producer"), "producer", PRODUCER_KEYS, PRODUCER_REQUIRED)
        if p is not None:
            pname = f.text(p, "name", True)
            kind = f.choice(p, "kind", m.PRODUCER_KINDS) or "other"
            address, phone, email, website = f.text(p, "address"), f.phone(p, "phone"), f.email(p, "email"), f.url(p, "website")
            producer = m.Producer(pname, kind, address, phone, email, website) if pname else None
    images = []
    for item, mark in f.items(data, "images", "images"):
        if isinstance(item, str):
            f.error(mark, tr("an image needs its file and what it shows, for readers who cannot see it: write - "
                             "{{file: {item}, alt: {{{value}: …}}}}", item=item, value=(langs or ('vi',))[0]))
            continue
        img = f.mapping(item, mark, tr("an image"), ("file", "alt"), ("file",))
        if img is not None:
            file, info = _media_ref(f, img, "file", raw, image=True)
            if file:
                images.append(m.Image(file, f.text(img, "alt"), info.width, info.height, info.digest))
    price = None
    if isinstance(data.get("price"), Seq):
        f.error(f.at(data, "price"), tr("price must be one number (price: 90000) or a mapping (price: {{min: "
                                        "90000, max: 120000, unit: kg}}); got a list"))
    elif data.get("price") is not None and not isinstance(data["price"], Map):       # one price: `price: 90000`
        one = f.integer(data, "price", 0, MAX_NUMBER)
        price = m.Price(one, one, None) if one is not None else None
    elif data.get("price") is not None:
        pr = f.mapping(data["price"], f.at(data, "price"), "price", ("min", "max", "unit"))
        if pr is not None:
            low, high = f.integer(pr, "min", 0, MAX_NUMBER), f.integer(pr, "max", 0, MAX_NUMBER)
            if low is not None and high is not None and high < low:
                f.error(f.at(pr, "max"), tr("'max' ({high}) is below 'min' ({low}); swap them", high=high, low=low))
            price = m.Price(low, high, f.text(pr, "unit"))
    specs = []
    for item, mark in f.items(data, "specs", "specs"):
        s = f.mapping(item, mark, tr("a spec"), ("label", "value"), ("label", "value"))
        if s is not None:
            label, value = f.text(s, "label", True), f.text(s, "value", True)
            if label and value:
                specs.append(m.Spec(label, value))
    gtin = f.string(data, "gtin")
    if gtin and not gtin_ok(gtin):
        f.error(f.at(data, "gtin"), tr("'{gtin}' is not a valid GTIN: it needs 8, 12, 13 or 14 digits with a "
                                       "correct check digit (quote it if it starts with 0)", gtin=gtin))
        gtin = ""
    sold_at = []
    for value, where in f.items(data, "showrooms", "showrooms"):
        if not isinstance(value, str) or value not in showrooms:
            named = _named(value, showrooms.values()) if isinstance(value, str) else []
            f.error(where, tr("no showroom '{value}' in content/showrooms.yaml", value=value) + (
                tr("; that is the name of the showroom {id}: write its id", id=named[0].id) if len(named) == 1
                else _suggest(value, showrooms)))
        elif value in sold_at:
            f.error(where, tr("the showroom '{value}' is listed twice", value=value))
        else:
            sold_at.append(value)
    stamps = []
    for item, mark in f.items(data, "stamps", "stamps"):
        b = f.mapping(item, mark, tr("a stamp batch"), ("from", "to", "issued"), ("from", "to", "issued"))
        if b is None:
            continue
        first, last, issued = f.integer(b, "from", 1, MAX_NUMBER), f.integer(b, "to", 1, MAX_NUMBER), f.day(b, "issued")
        if first is not None and last is not None and last < first:
            f.error(f.at(b, "to"), tr("'to' ({last}) is below 'from' ({first})", last=last, first=first))
        elif first is not None and last is not None and issued:
            for other in stamps:
                if first <= other.last and other.first <= last:
                    f.error(mark, tr("serials {first}–{last} overlap the batch {other_first}–{other_last}; "
                                     "batches of one product must not overlap",
                                     first=first, last=last, other_first=other.first, other_last=other.last))
                    break
            else:
                stamps.append(m.Batch(first, last, issued))
    tags = []
    for value, where in f.items(data, "tags", "tags"):
        if isinstance(value, (Map, Seq)) or value is None:
            f.error(where, tr("a tag must be a word or phrase; got {kind}", kind=_kind(value)))
        else:
            tags.append(str(value))
    for key, text in (("name", name), ("description", description), ("producer", producer and producer.name)):
        if text and (left := next((v for _, v in text.pairs if v.strip() in TEMPLATE_TEXTS), None)):
            f.error(f.at(data, key), tr("{value} still holds the text of the template of ocop new ('{left}'); "
                                        "write the product's own",
                                        value=tr("the producer's name") if key == "producer" else repr(key),
                                        left=left.strip()))
    visit = _visit(f, data)
    if problems_in(problems, source.path):
        return None
    if not (ident and name and description and category and commune and producer):     # never dropped unsaid
        f.error((1, 1), tr("the product cannot be published: it needs a name, description, category, commune "
                           "and producer, each with a value"))
        return None
    return m.Product(ident, source.path, name, category, commune, producer, description, tuple(images), price,
                     tuple(specs), gtin, tuple(sold_at), tuple(stamps), tuple(tags), visit)


def _visit(f: _File, data: Map) -> m.Visit | None:
    """A product's fields for visitors (location, hours, season, languages, booking, duration,
    group_size), or None when it has none."""
    if not any(key in data for key in VISIT_KEYS):
        return None
    location, address = None, None
    if data.get("location") is not None:
        loc = f.mapping(data["location"], f.at(data, "location"), "location", ("lat", "lon", "address"), ("lat", "lon"))
        if loc is not None:
            lat, lon = f.number(loc, "lat", -90, 90), f.number(loc, "lon", -180, 180)
            location = m.Location(lat, lon) if lat is not None and lon is not None else None
            address = f.text(loc, "address")
    season = []
    for value, where in f.items(data, "season", "season"):
        if type(value) is not int or not 1 <= value <= 12:
            f.error(where, tr("a month of the season is a number from 1 (January) to 12 (December); got {show}",
                              show=_show(value)))
        elif value in season:
            f.error(where, tr("the month {value} is listed twice", value=value))
        else:
            season.append(value)
    spoken = []
    for value, where in f.items(data, "languages", "languages"):
        if not isinstance(value, str) or not LANG_RE.match(value):
            f.error(where, tr("a language spoken is a language code such as vi, en, fr, ko or zh-Hans; got "
                              "{show}", show=_show(value)))
        elif value not in spoken:
            spoken.append(value)
    group_min = group_max = None
    if data.get("group_size") is not None:
        group = f.mapping(data["group_size"], f.at(data, "group_size"), "group_size", ("min", "max"))
        if group is not None:
            group_min, group_max = f.integer(group, "min", 1, 100_000), f.integer(group, "max", 1, 100_000)
            if group_min and group_max and group_max < group_min:
                f.error(f.at(group, "max"), tr("'max' ({group_max}) is below 'min' ({group_min})",
                                               group_max=group_max, group_min=group_min))
    phone = email = website = ""
    if data.get("booking") is not None:
        booking = f.mapping(data["booking"], f.at(data, "booking"), "booking", ("phone", "email", "website"))
        if booking is not None:
            phone, email, website = f.phone(booking, "phone"), f.email(booking, "email"), f.url(booking, "website")
            if not any(booking.get(key) for key in ("phone", "email", "website")):
                f.error(f.at(data, "booking"), tr("'booking' needs a phone, an email or a website"))
    return m.Visit(location, address, f.text(data, "hours"), tuple(season), tuple(spoken),
                   f.text(data, "duration"), group_min, group_max, phone, email, website)


