"""The site as the build sees it once it is valid: frozen records, every field declared."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from datetime import date

CATEGORIES = ("food", "drinks", "herbal", "handicrafts", "ornamentals", "tourism")
PRODUCER_KINDS = ("cooperative", "company", "household", "cooperative-group", "other")
ISSUERS = ("district", "province", "national")


@dataclass(frozen=True)
class Text:
    """Localized text: (language, text) pairs, or one pair with language "" for the same
    text in every language. `default` is the site's default language."""

    pairs: tuple[tuple[str, str], ...]
    default: str

    def show(self, lang: str) -> tuple[str, str | None]:
        """The text for `lang`, and the language it falls back to (None when it does not)."""
        values = dict(self.pairs)
        if lang in values:
            return values[lang], None
        if "" in values:
            return values[""], None
        return values[self.default], self.default

    def __call__(self, lang: str) -> str:
        return self.show(lang)[0]

    def languages(self) -> set[str]:
        return {code for code, _ in self.pairs}


@dataclass(frozen=True)
class Language:
    code: str
    name: str


@dataclass(frozen=True)
class Authority:
    """Who may recognise a star class, and over which dates (both ends included)."""

    stars: int
    issuer: str
    since: date | None = None
    until: date | None = None

    def allows(self, stars: int, issuer: str, on: date) -> bool:
        return (self.stars == stars and self.issuer == issuer
                and (self.since is None or self.since <= on) and (self.until is None or on <= self.until))


DEFAULT_AUTHORITIES = (
    Authority(3, "district", until=date(2025, 7, 5)),
    Authority(3, "province", since=date(2025, 7, 6)),
    Authority(4, "province"),
    Authority(5, "national"),
)


@dataclass(frozen=True)
class Contact:
    phone: str = ""
    email: str = ""
    address: Text | None = None


CMS_BACKENDS = ("github", "gitlab")


@dataclass(frozen=True)
class Cms:
    """The published web editor: where each save goes (a commit to `branch`, or with `review` a
    pull request), and how the clerk signs in (`auth_url`: GitHub's OAuth helper; `app_id`: a
    GitLab application, signing in with PKCE and no server)."""

    backend: str
    repo: str
    branch: str = "main"
    review: bool = False
    auth_url: str = ""
    app_id: str = ""


@dataclass(frozen=True)
class Config:
    title: Text
    base_url: str
    languages: tuple[Language, ...]
    region: Text
    contact: Contact = Contact()
    theme: str = "default"
    validity_months: int = 36
    expiring_days: int = 90
    authorities: tuple[Authority, ...] = DEFAULT_AUTHORITIES
    demo: bool = False
    cms: Cms | None = None

    @property
    def default_lang(self) -> str:
        return self.languages[0].code

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(language.code for language in self.languages)


@dataclass(frozen=True)
class Producer:
    name: Text
    kind: str = "other"
    address: Text | None = None
    phone: str = ""
    email: str = ""
    website: str = ""


@dataclass(frozen=True)
class Image:
    file: str            # relative to products/
    alt: Text | None
    width: int           # as displayed: EXIF orientation applied
    height: int
    digest: str          # sha256 of the file


@dataclass(frozen=True)
class Price:
    min: int | None
    max: int | None
    unit: Text | None


@dataclass(frozen=True)
class Spec:
    label: Text
    value: Text


@dataclass(frozen=True)
class Batch:
    """A batch of stamps: serial numbers first..last, inclusive, issued on a date."""

    first: int
    last: int
    issued: date

    def __contains__(self, serial: int) -> bool:
        return self.first <= serial <= self.last


@dataclass(frozen=True)
class Visit:
    """What a visitor needs of a product that is a place or an activity (a tour stop: community
    tourism, a farm, a workshop): where, when, how long, for how many, in which languages, and
    whom to book with."""

    location: "Location | None" = None
    address: Text | None = None
    hours: Text | None = None
    season: tuple[int, ...] = ()            # months, 1-12
    languages: tuple[str, ...] = ()         # spoken by the hosts: BCP 47 codes
    duration: Text | None = None
    group_min: int | None = None
    group_max: int | None = None
    booking_phone: str = ""
    booking_email: str = ""
    booking_website: str = ""


@dataclass(frozen=True)
class Product:
    id: str
    path: str
    name: Text
    category: str
    commune: str
    producer: Producer
    description: Text
    images: tuple[Image, ...] = ()
    price: Price | None = None
    specs: tuple[Spec, ...] = ()
    gtin: str = ""
    showrooms: tuple[str, ...] = ()
    stamps: tuple[Batch, ...] = ()
    tags: tuple[str, ...] = ()
    visit: Visit | None = None

    # In the cache of checked products (output/cache.py), the fields only a product's own pages
    # and data read are packed into one string of bytes, unpacked when one of them is first read:
    # a rebuild after an edit reads 20,000 products in a quarter of the time, and unpacks the few
    # whose pages it makes again. (Pickled to be hashed, pages/depends.py, a product is the same.)
    def packed_fields(self) -> list:
        from ..output.cache import pack
        return [self.__dict__.get("_packed") or pack(tuple(getattr(self, f) for f in PACKED)),
                *(getattr(self, f) for f in _UNPACKED)]

    @staticmethod
    def packed(values: tuple) -> Product:
        product = object.__new__(Product)
        product.__dict__.update(zip(_UNPACKED, values[1:]), _packed=values[0])
        return product

    def __reduce__(self):
        return Product.packed, (tuple(self.packed_fields()),)

    def __getattr__(self, name: str):       # (only called for what the object does not hold)
        packed = self.__dict__.get("_packed")
        if packed is None or name not in PACKED:
            raise AttributeError(f"'Product' object has no attribute '{name}'")
        from ..output.cache import unpack
        self.__dict__.update(zip(PACKED, unpack(packed)))
        return self.__dict__[name]


PACKED = ("name", "producer", "description", "price", "specs", "tags", "visit")
_UNPACKED = tuple(f.name for f in fields(Product) if f.name not in PACKED)


@dataclass(frozen=True)
class Decision:
    path: str
    number: str
    date: date
    issuer: str
    authority: Text | None
    document: str            # relative to products/, or ""


@dataclass(frozen=True)
class Event:
    """One entry in a product's history: a recognition (stars set) or a revocation."""

    decision: Decision
    product: str
    stars: int | None = None
    score: float | None = None
    reason: Text | None = None

    @property
    def date(self) -> date:
        return self.decision.date

    @property
    def kind(self) -> str:
        return "recognized" if self.stars is not None else "revoked"


@dataclass(frozen=True)
class Commune:
    id: str
    name: Text
    since: date | None = None
    until: date | None = None
    formerly: tuple[str, ...] = ()
    merged_into: str = ""

    @property
    def current(self) -> bool:
        return not self.until and not self.merged_into


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Showroom:
    id: str
    name: Text
    commune: str
    address: Text
    hours: Text | None = None
    phone: str = ""
    location: Location | None = None


@dataclass(frozen=True)
class Article:
    """A free page or a news post in one language: front matter plus Markdown body."""

    title: str
    summary: str
    date: date | None
    body: str
    draft: bool = False         # shown by `ocop serve` only


@dataclass(frozen=True)
class Page:
    """A free page or news post with its text in each language it was written in."""

    id: str
    texts: dict[str, Article]
    date: date | None = None        # news only

    def show(self, lang: str, default: str) -> tuple[Article, str | None]:
        if lang in self.texts:
            return self.texts[lang], None
        return self.texts[default], default


@dataclass(frozen=True)
class Retired:
    """A product id that was published (its QR codes may be printed) but is no longer a product:
    its verification page stays, and says what became of it."""

    id: str
    replaced_by: str = ""
    note: Text | None = None


@dataclass(frozen=True)
class Standing:
    """A product's certification on a date, from its history (see status.py)."""

    status: str
    recognition: Event | None = None        # the latest recognition up to that date
    revocation: Event | None = None         # set when the status is revoked
    valid_until: date | None = None
    days_left: int | None = None

    @property
    def stars(self) -> int | None:
        return self.recognition.stars if self.recognition else None


@dataclass(frozen=True)
class Site:
    config: Config
    today: date
    products: tuple[Product, ...]
    decisions: tuple[Decision, ...]
    communes: tuple[Commune, ...]
    showrooms: tuple[Showroom, ...]
    pages: tuple[Page, ...]
    news: tuple[Page, ...]                          # newest first
    history: dict[str, tuple[Event, ...]] = field(default_factory=dict)     # product id → events by date
    standing: dict[str, Standing] = field(default_factory=dict)             # product id → status today
    media: dict[str, str] = field(default_factory=dict)     # file under products/ → its published path
    retired: tuple[Retired, ...] = ()
    unregistered: tuple[str, ...] = ()      # published ids not yet in products/issued.txt
    updated: dict[str, date] = field(default_factory=dict)     # file → date of its last commit (git)
    texts: dict[str, str] = field(default_factory=dict)        # product or decision file → hash of its path and text
    figures: dict[str, Image] = field(default_factory=dict)    # photos shown in pages and news, by file under products/
    held: dict[tuple[str, str], str] = field(default_factory=dict)     # ("page" or "news", id) not published → why
    codes: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)    # product id → (serial, check hash)

    @functools.cached_property
    def articles(self) -> dict[tuple[str, str], Page]:
        """Each free page and news post by ("page" or "news", its id)."""
        return {**{("page", a.id): a for a in self.pages}, **{("news", a.id): a for a in self.news}}

    @functools.cached_property
    def showrooms_in(self) -> dict[str, list[Showroom]]:
        """The showrooms of each commune that has any, by its id."""
        found: dict[str, list[Showroom]] = {}
        for showroom in self.showrooms:
            found.setdefault(showroom.commune, []).append(showroom)
        return found
