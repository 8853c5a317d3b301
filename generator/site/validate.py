"""Checks raw records against the site format (SPEC §1–6) and builds the frozen Site.

Pure: raw records and a build date in, a Site and the problems out (products checked by an
earlier build may come from a memo, under a key of all that their check reads; a large site's
are checked by forked processes too, a share each, with the same results). Field checks
run file by file; cross-record checks (ids that must exist, the decision rules) run once every
file is read. Every problem is collected; nothing stops at the first.
"""
from __future__ import annotations

import difflib
import html
import functools
import os
import re
import unicodedata
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from multiprocessing import get_context
from pathlib import PurePosixPath
from typing import Any, Callable
from urllib.parse import unquote

from ..assets import images
from ..pages import commonmark, links
from . import codes
from . import model as m
from ..pages.depends import digest
from ..errors import Problem, printable, tr
from .load import REGISTER, Map, Media, Memo, RawSite, Seq, Source, parse_later
from .status import allowed_issuers, issuer_allowed, standing, stars_for_score

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)      # the dates a site's records may give
# the texts `ocop new product` writes for the editor to replace (scaffold.py): never published as they are
TEMPLATE_TEXTS = {"Tên sản phẩm", "Product name", "Tên cơ sở sản xuất", "Mô tả sản phẩm, viết bằng Markdown.",
                  "What it is, in Markdown."}
MULTILINE = ("description", "reason", "address", "hours", "note", "value", "summary")    # texts of more than a line
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
URL_RE = re.compile(r"^https?://[^\s/?#\"'<>]+[^\s\"'<>]*\Z")
# a host of labels (letters, digits, inner hyphens) or localhost, a port that can be one, a path of
# plain segments (no %-escapes: every page's address is made from it, and links are compared as written)
BASE_URL_RE = re.compile(r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                         r"[A-Za-z0-9])?(:(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3}))?"
                         r"(/[A-Za-z0-9._~-]+)*/\Z")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
NEWS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)\Z")
MAX_ID = 64
MAX_NUMBER = 10**12     # a price in đồng, a stamp's serial: any more is a typing slip


def _suggest(word: str, options) -> str:
    options = list(options)
    if plain_id(str(word)) in options:            # a name written for its id
        return tr(" (did you mean '{plain_id}'?)", plain_id=plain_id(str(word)))
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return tr(" (did you mean '{value}'?)", value=close[0]) if close else ""


def plain_id(name: str) -> str:
    """A name as an id is written: "Cà phê Đăk Rve" → "ca-phe-dak-rve" (no accents, lowercase, hyphens)."""
    letters = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "-".join(re.findall(r"[a-z0-9]+", "".join(c for c in letters if not unicodedata.combining(c)).lower()))


# What editors write in Vietnamese for a choice, as plain_id writes it (accents dropped, hyphens):
# the groups of Decision 148, the issuing authorities, the kinds of producer
_NAMED = {
    "food": ("thuc-pham",), "drinks": ("do-uong",), "herbal": ("duoc-lieu", "thao-duoc"),
    "handicrafts": ("thu-cong", "my-nghe"), "ornamentals": ("sinh-vat-canh",), "tourism": ("du-lich",),
    "district": ("huyen",), "province": ("tinh", "thanh-pho"),
    "national": ("trung-uong", "quoc-gia", "bo", "chinh-phu"),
    "cooperative-group": ("to-hop-tac",), "cooperative": ("hop-tac-xa", "htx"), "company": ("cong-ty", "doanh-nghiep"),
    "household": ("ho-kinh-doanh", "ho-san-xuat", "ho-gia-dinh", "co-so"),
}


# The keys of the site format as editors may write them in Vietnamese (plain_id of it → the key)
_KEYS = {
    "ten": "name", "ten-san-pham": "name", "nhom": "category", "nhom-san-pham": "category", "danh-muc": "category",
    "loai": "category", "xa": "commune", "nha-san-xuat": "producer", "chu-the": "producer", "mo-ta": "description",
    "anh": "images", "hinh-anh": "images", "gia": "price", "gia-ban": "price", "thong-so": "specs",
    "ma-vach": "gtin", "diem-ban": "showrooms", "tem": "stamps", "dia-chi": "address",
    "dien-thoai": "phone", "so-dien-thoai": "phone", "loai-hinh": "kind", "so": "number", "so-quyet-dinh": "number",
    "ngay": "date", "cap": "issuer", "co-quan": "authority", "co-quan-ban-hanh": "authority", "cong-nhan": "recognized",
    "thu-hoi": "revoked", "san-pham": "product", "sao": "stars", "hang-sao": "stars", "so-sao": "stars",
    "diem": "score",
    "ly-do": "reason", "tieu-de": "title", "tom-tat": "summary", "ban-nhap": "draft", "van-ban": "document",
}


def _meant(value: str, options: tuple[str, ...]) -> str:
    """The option a value written in Vietnamese names (Đồ uống → drinks, UBND tỉnh → province), if one."""
    words = f"-{plain_id(value)}-"
    found = [option for option in options if any(f"-{name}-" in words for name in _NAMED.get(option, ()))]
    return found[0] if len(found) == 1 else ""


def _commune_plain(name: str) -> str:
    """"Xã Đăk Kôi", "Đăk Kôi Commune" → "dak-koi"."""
    return re.sub(r"^(xa|phuong|thi-tran)-|-commune$", "", plain_id(name))


def _named(written: str, things, plain: Callable[[str], str] = plain_id) -> list:
    """The communes, showrooms or products whose id, or name in some language, is `written` (as
    `plain` writes both: an editor wrote a name where the id belongs)."""
    key = plain(written)
    return [thing for thing in things if key in {thing.id, *(plain(text) for _, text in thing.name.pairs)}]


def _one_of(options) -> str:
    options = list(options)
    if len(options) > 1:
        return ", ".join(options[:-1]) + tr(" or ") + options[-1]
    return options[0] if options else tr("nothing")


def _blank(text: str) -> bool:
    """Nothing a reader would see: spaces, line breaks and invisible characters (zero-width
    spaces, joiners, soft hyphens, byte-order marks) only."""
    return all(c.isspace() or unicodedata.category(c) in ("Cf", "Cc", "Zs", "Zl", "Zp") for c in text)


class _File:
    """Reads the fields of one file, reporting each problem at the line of its key or value."""

    def __init__(self, path: str, problems: list[Problem], langs: tuple[str, ...] | None):
        self.path, self.problems, self.langs = path, problems, langs

    def error(self, mark, message: str) -> None:
        self.problems.append(Problem(self.path, mark[0], mark[1], message))

    def warn(self, mark, message: str) -> None:
        self.problems.append(Problem(self.path, mark[0], mark[1], message, "warning"))

    def at(self, mapping: Map, key: str):
        return mapping.value_marks.get(key, mapping.mark)

    def mapping(self, value: Any, mark, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = (),
                elsewhere: tuple[str, ...] = ()) -> Map | None:
        """`value` as a mapping of known keys: unknown keys are warnings, missing ones errors.
        `elsewhere`: keys an editor may expect here that are set in decisions instead."""
        if not isinstance(value, Map):
            self.error(mark, tr("{what} must be a mapping of 'key: value' lines; got {kind}",
                                what=what, kind=_kind(value)))
            return None
        for key in value:
            if key in elsewhere:
                self.warn(value.key_marks[key], tr("'{key}' in {what} is ignored: stars, status and validity "
                                                   "come from the decisions that name the product: to certify "
                                                   "it, name it in a decision's 'recognized' list "
                                                   "(products/decisions/)", key=key, what=what))
            elif key not in allowed:
                english = _KEYS.get(plain_id(str(key)))
                alias = {"description": "summary", "excerpt": "summary"}.get(str(key))     # as other generators write it
                self.warn(value.key_marks[key], tr("unknown key '{key}' in {what} is ignored", key=key, what=what)
                          + (tr(": keys are written in English; write {english}:", english=english) if english in allowed else
                             tr(" (did you mean '{alias}'?)", alias=alias) if alias in allowed else
                             tr("{suggest}; known keys: {allowed}",
                                suggest=_suggest(key, allowed), allowed=', '.join(allowed))))
        for key in required:
            if key not in value or value[key] is None:
                self.error(value.key_marks.get(key, value.mark), tr("{what} needs '{key}'", what=what, key=key))
            elif isinstance(value[key], str) and _blank(value[key]):      # (said here, whatever reads it next)
                self.error(value.value_marks.get(key, value.mark), tr("{what} needs '{key}', and it is empty; "
                                                                      "write its value", what=what, key=key))
                del value[key]
        return value

    def items(self, mapping: Map, key: str, what: str) -> list[tuple[Any, tuple[int, int]]]:
        value = mapping.get(key)
        if value is None:
            return []
        if not isinstance(value, Seq):
            hint = (f"; write {key}: [{value}]" if isinstance(value, str) and value.strip() else
                    tr("; put '- ' before each entry") if isinstance(value, Map) else "")
            self.error(self.at(mapping, key),
                       tr("'{key}' must be a list (lines starting with '- '); got {kind}{hint}",
                          key=key, kind=_kind(value), hint=hint))
            return []
        return list(zip(value, value.item_marks))

    def string(self, mapping: Map, key: str, required: bool = False) -> str:
        value = mapping.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or isinstance(value, (Map, Seq)):
            self.error(self.at(mapping, key), tr("'{key}' must be text; got {kind}", key=key, kind=_kind(value)))
            return ""
        text = mapping.raw.get(key, str(value)) if not isinstance(value, str) else value
        if _blank(text):
            if required:
                self.error(self.at(mapping, key), tr("'{key}' must not be empty", key=key))
            return ""
        return text.strip()

    def phone(self, mapping: Map, key: str) -> str:
        value = self.string(mapping, key)
        if value and not any(c.isdigit() for c in value):
            self.error(self.at(mapping, key), tr("'{key}' must be a phone number, with its digits; got '{value}'",
                                                 key=key, value=value))
            return ""
        return value

    def ident(self, mapping: Map, key: str, what: str = "") -> str:
        value, what = self.string(mapping, key), what or tr("an id")
        if value and not valid_id(value):
            self.error(self.at(mapping, key), tr("'{value}' is not a valid {what}: use lowercase letters a-z, "
                                                 "digits and single hyphens, at most 64 characters (e.g. "
                                                 "dak-rve)", value=value, what=what))
            return ""
        return value

    def text(self, mapping: Map, key: str, required: bool = False) -> m.Text | None:
        value = mapping.get(key)
        if value is None:
            if required and key in mapping:
                self.error(self.at(mapping, key), tr("'{key}' must not be empty", key=key))
            return None
        return self.l10n(value, self.at(mapping, key), key, mapping.raw.get(key))

    def one_line(self, mark, key: str, text: str) -> bool:
        """A name, title or label is one line: a line break in it would break a list, a heading or
        a report's table."""
        if key in MULTILINE or "\n" not in text.strip():
            return True
        self.error(mark, tr("'{key}' must be one line; it has a line break (a name is one line: write the rest "
                            "in the description)", key=key))
        return False

    def l10n(self, value: Any, mark, key: str, raw: str | None = None) -> m.Text | None:
        default = self.langs[0] if self.langs else ""
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            text = value if isinstance(value, str) else (raw or str(value))
            if _blank(text):
                self.error(mark, tr("'{key}' must not be empty", key=key))
                return None
            if not self.one_line(mark, key, text):
                return None
            return m.Text((("", text),), default)
        if not isinstance(value, Map):
            self.error(mark, tr("'{key}' must be text, or a mapping from language code to text ({{vi: …, en: "
                                "…}}); got {kind}", key=key, kind=_kind(value)))
            return None
        pairs = []
        for code, text in value.items():
            where = value.key_marks[code]
            if self.langs is not None and code not in self.langs:
                self.error(where, tr("'{code}' is not one of the site's languages{suggest}; use {one_of}",
                                     code=code, suggest=_suggest(code, self.langs), one_of=_one_of(self.langs)))
                continue
            if isinstance(text, bool) or not isinstance(text, (str, int, float)):
                self.error(value.value_marks[code], tr("the {code} text of '{key}' must be text; got {kind}",
                                                       code=code, key=key, kind=_kind(text)))
                continue
            text = text if isinstance(text, str) else value.raw.get(code, str(text))
            if _blank(text):
                self.error(value.value_marks[code], tr("the {code} text of '{key}' is empty; write it, or leave "
                                                       "the language out to use the default", code=code, key=key))
                continue
            if not self.one_line(value.value_marks[code], key, text):
                continue
            pairs.append((code, text))
        if self.langs is not None and default not in value:
            self.error(mark, tr("'{key}' has no text in the default language '{default}'; add '{default}: …'",
                                key=key, default=default))
            return None
        return m.Text(tuple(pairs), default) if pairs else None

    def integer(self, mapping: Map, key: str, low: int | None = None, high: int | None = None) -> int | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raw = mapping.raw.get(key, value if isinstance(value, str) else "")
            grouped = re.fullmatch(r"\d{1,3}([.,  ])\d{3}(?:\1\d{3})*", raw.strip())    # 90.000, 90,000, 90 000
            hint = tr("; write it without separators: ") + re.sub(r"\D", "", raw) if grouped else ""
            shown = raw if raw and not isinstance(value, str) else _show(value)     # 90.000 as written, not 90.0
            self.error(self.at(mapping, key), tr("'{key}' must be a whole number; got {shown}{hint}",
                                                 key=key, shown=shown, hint=hint))
            return None
        written = mapping.raw.get(key, str(value)).strip()
        if not re.fullmatch(r"-?[0-9]+", written):         # YAML also reads 0x10, 0o17, 1_000 and +5 as numbers
            self.error(self.at(mapping, key), tr("'{key}' must be written in decimal digits; got {written}, "
                                                 "which is {value}", key=key, written=written, value=value))
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"from {low}" + (f" to {high}" if high is not None else " up")
            self.error(self.at(mapping, key), tr("'{key}' must be {bounds}; got {value}",
                                                 key=key, bounds=bounds, value=value))
            return None
        return value

    def number(self, mapping: Map, key: str, low: float, high: float) -> float | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.error(self.at(mapping, key), tr("'{key}' must be a number from {low:g} to {high:g}; got {show}",
                                                 key=key, low=low, high=high, show=_show(value)))
            return None
        return value

    def day(self, mapping: Map, key: str) -> date | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            if not FIRST_DAY <= value <= LAST_DAY:      # (certificates run 36 months on: no date arithmetic overflows)
                self.error(self.at(mapping, key), tr("'{key}' must be a date from {first_day_year} to "
                                                     "{last_day_year}; got {value}",
                                                     key=key, first_day_year=FIRST_DAY.year, last_day_year=LAST_DAY.year, value=value.isoformat()))
                return None
            return value
        hint = ""
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return date.fromisoformat(value)
            except ValueError:
                pass
            if found := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip()):       # 2025-9-1
                try:
                    hint = f"; write {date(*map(int, found.groups())).isoformat()}"
                except ValueError:
                    pass
            if found := re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})", value.strip()):     # as Vietnam writes dates
                try:
                    meant = date(*map(int, reversed(found.groups())))
                    hint = tr("; if that is {meant_day} {meant:%B %Y}, write {meant2}",
                              meant_day=meant.day, meant=meant, meant2=meant.isoformat())
                except ValueError:
                    pass
        self.error(self.at(mapping, key), tr("'{key}' must be a date written YYYY-MM-DD; got {show}{hint}",
                                             key=key, show=_show(value), hint=hint))
        return None

    def choice(self, mapping: Map, key: str, options: tuple[str, ...]) -> str:
        value = self.string(mapping, key)
        if value and value not in options:
            meant = _meant(value, options)
            self.error(self.at(mapping, key), tr("'{key}' must be {one_of}; got '{value}'",
                                                 key=key, one_of=_one_of(options), value=value)
                       + (tr(": write {key}: {meant}", key=key, meant=meant) if meant else _suggest(value, options)))
            return ""
        return value

    def boolean(self, mapping: Map, key: str) -> bool:
        value = mapping.get(key, False)
        if not isinstance(value, bool):
            self.error(self.at(mapping, key), tr("'{key}' must be true or false; got {show}",
                                                 key=key, show=_show(value)))
            return False
        return value

    def url(self, mapping: Map, key: str) -> str:
        value = self.string(mapping, key)
        if value and not URL_RE.match(value):
            self.error(self.at(mapping, key), tr("'{key}' must be an absolute web address starting with "
                                                 "https:// or http://; got '{value}'", key=key, value=value))
            return ""
        return value

    def email(self, mapping: Map, key: str) -> str:
        value = self.string(mapping, key)
        if value and not EMAIL_RE.match(value):
            self.error(self.at(mapping, key), tr("'{key}' must be an e-mail address like name@example.vn; got "
                                                 "'{value}'", key=key, value=value))
            return ""
        return value


def valid_id(value: str) -> bool:
    return len(value) <= MAX_ID and bool(ID_RE.match(value))


def _kind(value: Any) -> str:
    """How a value reads in a message: a mapping, a list, nothing, 'text', 42, true."""
    if isinstance(value, Map):
        return tr("a mapping")
    if isinstance(value, Seq):
        return tr("a list")
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, date)):
        return str(value)
    return f"'{value}'"


_show = _kind


def _stem_id(f: _File, source: Source, what: str) -> str:
    stem = PurePosixPath(source.path).stem
    if not valid_id(stem):
        f.error((1, 1), tr("the file name '{stem}' is not a valid {what} id: use lowercase letters a-z, digits "
                           "and single hyphens, at most 64 characters (e.g. dak-rve-coffee.yaml)",
                           stem=stem, what=what))
        return ""
    return stem


# ---------------------------------------------------------------------------- site.yaml

SITE_KEYS = ("title", "base_url", "languages", "region", "contact", "theme", "validity_months",
             "expiring_days", "authorities", "demo", "cms")
CMS_KEYS = ("backend", "repo", "branch", "review", "auth_url", "app_id")
REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+\Z")
SITE_REQUIRED = ("title", "base_url", "languages", "region")


def _config(source: Source | None, problems: list[Problem]) -> m.Config | None:
    if source is None or source.data is None:
        return None
    f = _File(source.path, problems, None)
    data = f.mapping(source.data, (1, 1), "site.yaml", SITE_KEYS, SITE_REQUIRED)
    if data is None:
        return None
    languages, seen = [], {}
    for item, mark in f.items(data, "languages", "languages"):
        entry = f.mapping(item, mark, tr("a language"), ("code", "name"), ("code", "name"))
        if entry is None:
            continue
        code, name = f.string(entry, "code"), f.string(entry, "name", required=True)
        if code and not LANG_RE.match(code):
            f.error(f.at(entry, "code"), tr("'{code}' is not a BCP 47 language code; use codes like vi, en, ko, "
                                            "zh-Hans", code=code))
        elif code.casefold() in seen:         # (zh-hans and zh-Hans: one folder on many disks)
            first = seen[code.casefold()]
            f.error(data.key_marks.get("languages", data.mark) if first != code else f.at(entry, "code"),
                    tr("the language '{code}' is listed twice", code=code) + (tr(" (as '{first}' too: codes are one language "
                                                                   "whatever their case)", first=first) if first != code else ""))
        elif code and name:
            seen[code.casefold()] = code
            languages.append(m.Language(code, name))
    if "languages" in data and not languages:
        f.error(f.at(data, "languages"), tr("'languages' must list at least one language, e.g. - {{code: vi, "
                                            "name: Tiếng Việt}}"))
        return None
    f.langs = tuple(language.code for language in languages) or None      # none valid: check codes no further
    base_url = f.string(data, "base_url")
    if base_url and not BASE_URL_RE.match(base_url):
        f.error(f.at(data, "base_url"), tr("'base_url' must be an absolute https:// or http:// address ending "
                                           "in '/' (a host name, a port from 1 to 65535 if any, a path of "
                                           "letters, digits, '-', '_', '.' and '~' without %-escapes); got "
                                           "'{base_url}'", base_url=base_url))
    title, region = f.text(data, "title", True), f.text(data, "region", True)
    contact = m.Contact()
    if "contact" in data:
        c = f.mapping(data["contact"], f.at(data, "contact"), "contact", ("phone", "email", "address"))
        if c is not None:
            contact = m.Contact(f.string(c, "phone"), f.email(c, "email"), f.text(c, "address"))
    theme = f.string(data, "theme") or "default"
    if not valid_id(theme):
        f.error(f.at(data, "theme"), tr("'theme' must be the name of a folder in themes/, like default; got "
                                        "'{theme}'", theme=theme))
    authorities = []
    for item, mark in f.items(data, "authorities", "authorities"):
        a = f.mapping(item, mark, tr("an authority"), ("stars", "issuer", "from", "until"), ("stars", "issuer"))
        if a is not None:
            stars, issuer = f.integer(a, "stars", 3, 5), f.choice(a, "issuer", m.ISSUERS)
            if stars and issuer:
                authorities.append(m.Authority(stars, issuer, f.day(a, "from"), f.day(a, "until")))
    validity = f.integer(data, "validity_months", 1, 240)
    expiring = f.integer(data, "expiring_days", 0, 3650)
    demo = f.boolean(data, "demo")
    cms = _cms(f, data)
    if problems_in(problems, source.path) or not (title and region and base_url and languages):
        return None
    return m.Config(title, base_url, tuple(languages), region, contact, theme, validity or 36,
                    90 if expiring is None else expiring, tuple(authorities) or m.DEFAULT_AUTHORITIES, demo, cms)


def _cms(f: _File, data: Map) -> m.Cms | None:
    """The published web editor (cms.py): the git host and repository each save goes to."""
    if "cms" not in data:
        return None
    c = f.mapping(data["cms"], f.at(data, "cms"), "cms", CMS_KEYS, ("backend", "repo"))
    if c is None:
        return None
    backend, repo = f.choice(c, "backend", m.CMS_BACKENDS), f.string(c, "repo")
    if repo and not REPO_RE.match(repo):
        f.error(f.at(c, "repo"), tr("'repo' must be the repository as its host names it, owner/name (on GitLab "
                                    "group/subgroup/name too); got '{repo}'", repo=repo))
        return None
    auth_url = f.string(c, "auth_url")
    if auth_url and not URL_RE.match(auth_url):
        f.error(f.at(c, "auth_url"), tr("'{key}' must be an absolute web address starting with https:// or "
                                        "http://; got '{value}'", key="auth_url", value=auth_url))
        return None
    if not (backend and repo):
        return None
    return m.Cms(backend, repo, f.string(c, "branch") or "main", bool(f.boolean(c, "review")), auth_url,
                 f.string(c, "app_id"))


def problems_in(problems: list[Problem], path: str) -> bool:
    path = printable(path)          # (as a Problem keeps it)
    return any(p.path == path and p.severity == "error" for p in problems)


# ---------------------------------------------------------------------------- communes and showrooms

COMMUNE_KEYS = ("id", "name", "since", "until", "formerly", "merged_into")
COMMUNE_REQUIRED = ("id", "name")
SHOWROOM_KEYS = ("id", "name", "commune", "address", "hours", "phone", "location")
SHOWROOM_REQUIRED = ("id", "name", "commune", "address")


def _list_file(source: Source | None, problems: list[Problem]) -> list[tuple[Any, tuple[int, int]]]:
    if source is None or source.data is None:
        return []
    if not isinstance(source.data, Seq):
        problems.append(Problem(source.path, 1, 1, tr("must be a list of entries, each starting with '- id: …'; "
                                                      "got {kind}", kind=_kind(source.data))))
        return []
    return list(zip(source.data, source.data.item_marks))


def _unique(f: _File, entry: Map, seen: dict[str, int], what: str) -> str:
    ident = f.ident(entry, "id", f"{what} id")
    if ident in seen:
        f.error(f.at(entry, "id"), tr("the {what} id '{ident}' is used twice (first at line {value})",
                                      what=what, ident=ident, value=seen[ident]))
        return ""
    if ident:
        seen[ident] = f.at(entry, "id")[0]
    return ident


def _communes(source: Source | None, langs, today: date, problems: list[Problem]) -> dict[str, m.Commune]:
    communes, seen, refs, merges = {}, {}, [], {}
    f = _File(source.path if source else "content/communes.yaml", problems, langs)
    for item, mark in _list_file(source, problems):
        entry = f.mapping(item, mark, tr("a commune"), COMMUNE_KEYS, COMMUNE_REQUIRED)
        if entry is None:
            continue
        ident, name = _unique(f, entry, seen, "commune"), f.text(entry, "name", True)
        formerly = []
        for value, where in f.items(entry, "formerly", "formerly"):
            if not isinstance(value, str) or not valid_id(value):
                f.error(where, tr("'formerly' must list commune ids; got {kind}", kind=_kind(value)))
            else:
                formerly.append(value)
                refs.append((value, where))
        merged_into = f.ident(entry, "merged_into", tr("commune id"))
        if merged_into and merged_into == ident:
            f.error(f.at(entry, "merged_into"), tr("'{ident}' cannot be merged into itself; name the commune it "
                                                   "became part of", ident=ident))
        elif merged_into:
            refs.append((merged_into, f.at(entry, "merged_into")))
            merges[ident] = f.at(entry, "merged_into")
        since, until = f.day(entry, "since"), f.day(entry, "until")
        if since and until and until < since:
            f.error(f.at(entry, "until"), tr("'until' ({until}) is before 'since' ({since})",
                                             until=until, since=since))
        elif until and until >= today:
            f.error(f.at(entry, "until"), tr("'until' ({until}) is not before the build date {today}: the "
                                             "commune still exists; write 'until' (and 'merged_into') once it "
                                             "has ceased, or build with --today", until=until, today=today))
            until, merged_into = None, ""       # (its products are not told it no longer exists)
        if ident and name:
            communes[ident] = m.Commune(ident, name, since, until, tuple(formerly), merged_into)
    for ident, where in refs:
        if ident not in seen:
            f.error(where, tr("no commune '{ident}' in this file{suggest}; every former or new unit needs its "
                              "own entry", ident=ident, suggest=_suggest(ident, seen)))
    for ident, where in merges.items():
        chain = _merges(communes, ident)
        if chain and chain[-1] == ident and ident == min(chain):        # a cycle, said once, at its first id
            f.error(where, tr("'merged_into' goes round in a circle: ") + " → ".join([ident, *chain])
                    + tr("; one of them must be the commune they became part of, without 'merged_into'"))
    return communes


def _merges(communes: dict[str, m.Commune], ident: str) -> list[str]:
    """The communes `ident` became part of, one merger after another, to the one in force (or
    back to `ident`, or to one that is not listed)."""
    return _chain(ident, lambda at: communes[at].merged_into if at in communes else "")


def _chain(ident: str, step: Callable[[str], str]) -> list[str]:
    """The ids `step` leads to from `ident`, one after another, until it leads nowhere or to one
    already met (which ends the list: a circle)."""
    chain: list[str] = []
    at = ident
    while at := step(at):
        chain.append(at)
        if at == ident or chain.count(at) > 1:
            break
    return chain


def _showrooms(source: Source | None, langs, communes: dict[str, m.Commune],
               problems: list[Problem]) -> dict[str, m.Showroom]:
    showrooms, seen = {}, {}
    f = _File(source.path if source else "content/showrooms.yaml", problems, langs)
    for item, mark in _list_file(source, problems):
        entry = f.mapping(item, mark, tr("a showroom"), SHOWROOM_KEYS, SHOWROOM_REQUIRED)
        if entry is None:
            continue
        ident, name, address = _unique(f, entry, seen, "showroom"), f.text(entry, "name", True), f.text(entry, "address", True)
        commune = _commune_ref(f, entry, communes)
        location = None
        if "location" in entry:
            loc = f.mapping(entry["location"], f.at(entry, "location"), "location", ("lat", "lon"), ("lat", "lon"))
            if loc is not None:
                lat, lon = f.number(loc, "lat", -90, 90), f.number(loc, "lon", -180, 180)
                location = m.Location(lat, lon) if lat is not None and lon is not None else None
        if ident and name and address and commune:
            showrooms[ident] = m.Showroom(ident, name, commune, address, f.text(entry, "hours"),
                                          f.string(entry, "phone"), location)
    return showrooms


def _commune_ref(f: _File, entry: Map, communes: dict[str, m.Commune]) -> str:
    written = entry.get("commune")
    if isinstance(written, str) and not valid_id(written):
        named = _named(written, communes.values(), _commune_plain)
        if len(named) == 1:
            f.error(f.at(entry, "commune"), tr("'{written}' is not a commune id; for {value} write its id: "
                                               "commune: {id}",
                                               written=written, value=named[0].name(named[0].name.default), id=named[0].id))
            return ""
    ident = f.ident(entry, "commune", tr("commune id"))
    if not ident:
        return ""
    commune = communes.get(ident)
    if commune is None:
        f.error(f.at(entry, "commune"), tr("no commune '{ident}' in content/communes.yaml{suggest}",
                                           ident=ident, suggest=_suggest(ident, communes)))
        return ""
    if not commune.current:
        chain = _merges(communes, ident)
        now = chain[-1] if chain and chain[-1] in communes and communes[chain[-1]].current else ""
        merged = tr(" (merged into {chain})", chain=', then '.join(chain)) if now else ""
        f.error(f.at(entry, "commune"), tr("the commune '{ident}' no longer exists{merged}",
                                           ident=ident, merged=merged)
                + (tr("; use '{now}'", now=now) if now else ""))
        return ""
    return ident


# ---------------------------------------------------------------------------- products

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


CHECKED_APART_FROM = 1000      # products to check: from this many, each core checks a share of them


def _check_all(sources: list[Source], check: Callable[[Source], tuple]) -> dict[str, tuple]:
    """Each product file checked (path → check's result): many on every core, a share each, the
    first in this process; a forked process sends its share's results back (a fraction of what
    checking them costs)."""
    global _SHARES
    count = min(os.cpu_count() or 1, 8) if len(sources) >= CHECKED_APART_FROM else 1
    shares = [sources[i::count] for i in range(count)]
    if count == 1:
        return {source.path: check(source) for source in sources}
    _SHARES = check, shares
    try:
        with ProcessPoolExecutor(count - 1, mp_context=get_context("fork")) as pool:
            others = [pool.submit(_check_share, n) for n in range(1, count)]
            made = {source.path: check(source) for source in shares[0]}
            for share, results in zip(shares[1:], others):
                made.update(zip((source.path for source in share), results.result()))
    finally:
        _SHARES = None
    return made


_SHARES: tuple[Callable[[Source], tuple], list[list[Source]]] | None = None      # for the forked processes


def _check_share(n: int) -> list[tuple]:
    check, shares = _SHARES
    return [check(source) for source in shares[n]]


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


# ---------------------------------------------------------------------------- decisions

DECISION_KEYS = ("number", "date", "issuer", "authority", "document", "recognized", "revoked")
DECISION_REQUIRED = ("number", "date", "issuer")


def _decisions(raw: RawSite, config: m.Config, products: dict[str, m.Product], today: date,
               problems: list[Problem], files: set[str], named_ids: set[str]
               ) -> tuple[list[m.Decision], dict[str, list[m.Event]]]:
    """Field checks of each decision, then the rules that tie decisions and products together.
    `named_ids` gets every product id the decisions name."""
    langs = config.codes
    decisions, events, numbers = [], defaultdict(list), {}
    marks: dict[int, tuple[_File, tuple[int, int]]] = {}        # id(event) → where it was written
    for source in raw.decisions:
        if source.data is None:         # unreadable, not YAML or empty: said when it was read
            continue
        f = _File(source.path, problems, langs)
        data = f.mapping(source.data, (1, 1), tr("a decision"), DECISION_KEYS, DECISION_REQUIRED)
        if data is None:
            continue
        number, day, issuer = f.string(data, "number", True), f.day(data, "date"), f.choice(data, "issuer", m.ISSUERS)
        document, _ = _media_ref(f, data, "document", raw, image=False)
        if number and issuer:
            if (issuer, number) in numbers:
                f.error(f.at(data, "number"), tr("the {issuer} decision {number} is already in {value}",
                                                 issuer=issuer, number=number, value=numbers[issuer, number]))
            numbers[issuer, number] = source.path
        if day and day > today:
            f.error(f.at(data, "date"), tr("the decision is dated {day}, after the build date {today}; add it "
                                           "once it is signed, or build with --today", day=day, today=today))
            day = None
        recognized, revoked = f.items(data, "recognized", "recognized"), f.items(data, "revoked", "revoked")
        if all(data.get(key) in (None, []) for key in ("recognized", "revoked")):     # absent, or an empty list
            given = [key for key in ("recognized", "revoked") if key in data]
            f.error(f.at(data, given[0]) if given else (1, 1), tr("a decision needs 'recognized' or 'revoked': "
                                                                  "the products it concerns") + (tr("; '{value}' lists none", value=given[0]) if given else ""))
        authority = f.text(data, "authority")
        decision = m.Decision(source.path, number, day, issuer, authority, document) if number and day and issuer else None
        if decision:            # else its entries are still checked, but make no events
            decisions.append(decision)
        named: dict[str, int] = {}
        for item, mark, keys, required in ([(i, k, ("product", "stars", "score"), ("product", "stars")) for i, k in recognized]
                                          + [(i, k, ("product", "reason"), ("product",)) for i, k in revoked]):
            entry = f.mapping(item, mark, tr("an entry"), keys, required)
            if entry is None:
                continue
            product = f.string(entry, "product")
            named_ids.add(product)
            if product in files and product not in products:
                product = ""            # the product's own file has errors, reported there
            elif product and product not in products:
                by_name = [p.id for p in _named(product, products.values())]
                f.error(f.at(entry, "product"), tr("no product '{product}' (products/{product}.yaml)",
                                                   product=product)
                        + (tr("; that is the name of products/{value}.yaml: write product: {value}",
                              value=by_name[0])
                           if len(by_name) == 1 else _suggest(product, files)))
                product = ""
            elif product in named:
                f.error(f.at(entry, "product"), tr("'{product}' is named twice in this decision (first at line "
                                                   "{value}); name each product once",
                                                   product=product, value=named[product]))
                product = ""
            if product:
                named[product] = f.at(entry, "product")[0]
            if "stars" in keys:
                event = _recognition(f, entry, decision, product, config)
            else:
                reason = f.text(entry, "reason")
                event = m.Event(decision, product, reason=reason) if product and decision else None
            if event is not None:
                events[product].append(event)
                marks[id(event)] = (f, f.at(entry, "product"))
    _check_histories(events, marks, config)
    return decisions, events


def _decided(raw: RawSite, config: m.Config, products: dict[str, m.Product], today: date, files: set[str],
             memo: Memo | None) -> tuple[list[m.Decision], dict[str, tuple[m.Event, ...]], dict[str, m.Standing],
                                       list[Problem]]:
    """The decisions, each product's history of them and standing today, and their problems. Kept
    between builds (`memo`) under all that they are made from: the texts of the decisions and of
    site.yaml and the build date; and, while the products they name are as they were (a valid
    product, a file with errors, or none) and the scans they link are the same files, when they
    had no error. (A product they do not name is unrated: adding one checks none of them again.)"""
    def make():
        found: list[Problem] = []
        for source in raw.decisions:
            if source.digest:           # else unreadable: load.py said why
                found += parse_later(source, raw.parsed_decisions)
        named: set[str] = set()
        decisions, events = _decisions(raw, config, products, today, found, files, named)
        for source in raw.decisions:
            source.data = None          # the parsed trees are not needed again
        history = {pid: tuple(events[pid]) for pid in sorted(events.keys() & products.keys())}
        standings = {pid: standing(h, today, config.validity_months, config.expiring_days) for pid, h in history.items()}
        scans = {d.document: raw.media[d.document] for d in decisions if d.document}
        return decisions, history, standings, found, scans, {pid: (pid in products, pid in files) for pid in named}

    def valid(kept) -> bool:
        *_, found, scans, named = kept
        return (not any(p.severity == "error" for p in found)
                and all(raw.media.get(file) == media for file, media in scans.items())
                and all((pid in products, pid in files) == was for pid, was in named.items()))

    key = digest(raw.site.digest, today.isoformat(), *(f"{s.path}\0{s.digest}" for s in raw.decisions))
    decisions, rated, standings, found, *_ = memo.get(key, make, valid) if memo else make()
    unrated = standing((), today, config.validity_months, config.expiring_days)
    ids = sorted(products)
    return (decisions, {pid: rated.get(pid, ()) for pid in ids},
            {pid: standings.get(pid, unrated) for pid in ids}, found)


def _recognition(f: _File, entry: Map, decision: m.Decision | None, product: str, config: m.Config) -> m.Event | None:
    stars = entry.get("stars")
    if type(stars) is not int or stars not in (3, 4, 5):       # (not 4.0, not true)
        written = re.fullmatch(r"\s*([345])\s*(?:sao|stars?|★+)\s*", stars, re.I) if isinstance(stars, str) else None
        f.error(f.at(entry, "stars"), tr("stars must be 3, 4 or 5; got {show}", show=_show(stars))
                + (tr(" (1 and 2 stars carry no OCOP certificate)") if stars in (1, 2) else "")
                + (tr(": write stars: {value}", value=written[1]) if written else ""))
        return None
    if decision and not issuer_allowed(config.authorities, stars, decision.issuer, decision.date):
        may = allowed_issuers(config.authorities, stars, decision.date)
        f.error(f.at(entry, "stars"), tr("a {decision_issuer} decision cannot recognise {stars} stars on "
                                         "{decision_date}; {value} may",
                                         decision_issuer=decision.issuer, stars=stars, decision_date=decision.date, value=_one_of(may) if may else 'no issuer')
                + (tr(" (3 stars moved from district to province on 2025-07-06)")
                   if stars == 3 and decision.issuer == "district" else ""))
        return None
    score = f.number(entry, "score", 0, 100)
    if score is not None and stars_for_score(score) != stars:
        band = {3: tr("50 to under 70"), 4: tr("70 to under 90"), 5: "90 to 100"}[stars]
        f.error(f.at(entry, "score"), tr("a score of {score:g} is not in the {stars}-star class ({band})",
                                         score=score, stars=stars, band=band))
        return None
    return m.Event(decision, product, stars, score) if product and decision else None


def _check_histories(events: dict[str, list[m.Event]], marks, config: m.Config) -> None:
    for product, history in events.items():
        history.sort(key=lambda e: (e.date, e.decision.path))
        for before, event in zip(history, history[1:]):
            if before.date == event.date:
                f, where = marks[id(event)]
                f.error(where, tr("'{product}' is already in {path} of the same date {event_date}; a product "
                                  "can appear in only one decision a day",
                                  product=product, path=before.decision.path, event_date=event.date))
        for i, event in enumerate(history):
            if event.stars is None:
                earlier = [e for e in history[:i] if e.date < event.date]
                before = standing(earlier, event.date, config.validity_months, config.expiring_days)
                if before.status in ("unrated", "revoked"):      # (a lapsed certificate may be revoked)
                    why = {"unrated": tr("it has no OCOP certificate"),
                           "revoked": tr("its certificate was already revoked on {value}",
                                         value=before.revocation and before.revocation.date)}[before.status]
                    f, where = marks[id(event)]
                    f.error(where, tr("'{product}' cannot be revoked on {event_date}: {why}; only a certificate "
                                      "recognised before (valid, expiring or expired) can be revoked",
                                      product=product, event_date=event.date, why=why))


# ---------------------------------------------------------------------------- pages and news

def _articles(sources: list[Source], langs, default: str, problems: list[Problem], news: bool,
              held: dict[tuple[str, str], str], today: date | None = None, drafts: bool = False) -> list[m.Page]:
    """The pages, or the news (`news`): a post dated after `today` is checked but not published
    yet (the first build on or after its day publishes it), and so is a draft (but for a preview:
    `drafts`). `held` gets why each page or post that is not published is not, by (kind, id)."""
    kind = "news" if news else "page"
    texts: dict[str, dict[str, m.Article]] = defaultdict(dict)
    dates: dict[str, date] = {}
    first_path: dict[str, str] = {}
    pattern = "yyyy-mm-dd-slug.LANG.md (e.g. 2025-09-12-new-ocop-products.vi.md)" if news else "NAME.LANG.md (e.g. about.vi.md)"
    for source in sources:
        f = _File(source.path, problems, langs)
        stem, _, lang = PurePosixPath(source.path).stem.rpartition(".")
        ident = stem
        if not stem or lang not in langs:
            f.error((1, 1), tr("the file name must be {pattern}, with a language of the site ({one_of})",
                               pattern=pattern, one_of=_one_of(langs))
                    + (tr("; got the language '{lang}'{suggest}", lang=lang, suggest=_suggest(lang, langs)) if stem else ""))
            continue
        day = None
        if news:
            match = NEWS_RE.match(stem)
            try:
                day = date.fromisoformat(match.group(1)) if match else None
            except ValueError:
                day = None
            if day is None or not valid_id(stem):
                f.error((1, 1), tr("the file name must be {pattern}; got '{name}'",
                                   pattern=pattern, name=PurePosixPath(source.path).name))
                continue
        elif not valid_id(stem):
            f.error((1, 1), tr("'{stem}' is not a valid page name: use lowercase letters a-z, digits and single "
                               "hyphens (e.g. how-to-check-a-stamp.en.md)", stem=stem))
            continue
        if source.data is None:
            continue
        data = f.mapping(source.data, (2, 1), tr("the front matter"), ("title", "summary", "date", "draft"), ("title",))
        if data is None:
            continue
        title, summary = f.string(data, "title", True), f.string(data, "summary")
        when = f.day(data, "date")
        draft = f.boolean(data, "draft")
        if draft and drafts:
            f.warn(f.at(data, "draft"), tr("a draft: shown by this preview, not published until 'draft: true' "
                                           "is deleted"))
        elif draft:
            if lang == default:
                held[kind, ident] = tr("a draft ({source_path}): delete its 'draft: true' first, or take the "
                                       "link out", source_path=source.path)
            f.warn(f.at(data, "draft"), tr("a draft: checked, not published") + (
                tr(", nor its translations,") if lang == default else tr(" (readers of {lang} see the {default} "
                                                                     "text)", lang=lang, default=default))
                + tr(" until 'draft: true' is deleted"))
            continue
        if day and today and day > today:
            f.warn((1, 1), tr("dated {day}, after the build date {today}: not published yet; the first build on "
                              "or after that day publishes it", day=day, today=today))
            held[kind, ident] = tr("dated {day}, after the build date: add the link on that day, or take it out",
                                   day=day)
            continue
        if title:
            texts[ident][lang] = m.Article(title, summary, day or when, source.body, draft)
            first_path.setdefault(ident, source.path)
            if day:
                dates[ident] = day
    pages = []
    for ident, by_lang in sorted(texts.items()):
        if (kind, ident) in held:
            continue
        if default not in by_lang:
            problems.append(Problem(first_path[ident], 1, 1, tr("there is no {default} version of '{ident}'; "
                                                                "write {value}/{ident}.{default}.md first",
                                                                default=default, ident=ident, value='content/news' if news else 'content/pages')))
            continue
        pages.append(m.Page(ident, dict(sorted(by_lang.items())), dates.get(ident)))
    if news:
        pages.sort(key=lambda p: (p.date, p.id), reverse=True)
    return pages


IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']*)""", re.IGNORECASE)


def _figures(raw: RawSite, problems: list[Problem], pages: list[m.Page], news: list[m.Page]) -> dict[str, m.Image]:
    """The photos that pages and news show from products/media (images.figure_file), checked as a
    product's photos are, at the line of the text that shows them. (Found in the text as HTML,
    as Markdown makes it: an image in a code example is no image.) Those of a text not published
    (`pages` and `news` are those that are), a draft or a post dated ahead, are checked, not published."""
    figures = {}
    published = {f"content/{folder}/{text.id}.{lang}.md" for folder, texts in (("pages", pages), ("news", news))
                 for text in texts for lang in text.texts}
    for source in (*raw.pages, *raw.news):
        for src in IMG_SRC.findall(commonmark.to_html(source.body)):
            src = html.unescape(src)
            file = images.figure_file(src)
            if file is None:            # anything else: the link check says whether the site has it
                continue
            where = links.place(raw.root / source.path, src)
            if where == (0, 0):         # written otherwise: <../../products/media/a b.jpg> made a%20b.jpg
                where = links.place(raw.root / source.path, unquote(src))
            file, info = _media_file(_File(source.path, problems, None), where, file, raw, image=True)
            if file and source.path in published:
                figures[file] = m.Image(file, None, info.width, info.height, info.digest)
    return dict(sorted(figures.items()))


# ---------------------------------------------------------------------------- published verification URLs

def _retired(source: Source | None, langs, products: dict[str, m.Product], files: set[str],
             problems: list[Problem]) -> dict[str, m.Retired]:
    retired, seen, missing = {}, {}, []
    f = _File(source.path if source else "content/retired.yaml", problems, langs)
    for item, mark in _list_file(source, problems):
        entry = f.mapping(item, mark, tr("a retired product"), ("id", "replaced_by", "note"), ("id",))
        if entry is None:
            continue
        ident = _unique(f, entry, seen, tr("retired product"))
        if ident in files:
            f.error(f.at(entry, "id"), tr("'{ident}' is still a product (products/{ident}.yaml); list here only "
                                          "products that no longer exist", ident=ident))
            continue
        replaced_by = f.ident(entry, "replaced_by", tr("product id"))
        if replaced_by and replaced_by not in files:
            missing.append((replaced_by, f.at(entry, "replaced_by")))
        note = f.text(entry, "note")
        if ident and not replaced_by and note is None and "replaced_by" not in entry:
            f.error(entry.mark, tr("say what became of '{ident}': 'replaced_by: NEW-ID' or a 'note'", ident=ident))
        if ident:
            retired[ident] = m.Retired(ident, replaced_by, note)
    for replaced_by, where in missing:
        if replaced_by not in retired:
            f.error(where, tr("no product '{replaced_by}' (products/{replaced_by}.yaml){suggest}",
                              replaced_by=replaced_by, suggest=_suggest(replaced_by, files)))
            continue
        now = ([replaced_by] + _chain(replaced_by, lambda at: retired[at].replaced_by if at in retired else ""))[-1]
        f.error(where, tr("'{replaced_by}' is retired too", replaced_by=replaced_by) + (tr("; write the product in force: replaced_by: {now}",
                                                               now=now)
                                                             if now in files else tr("; name a product in force")))
    return retired


def _register(raw: RawSite, files: set[str], retired: dict[str, m.Retired], problems: list[Problem]) -> tuple[str, ...]:
    """Every id ever published must still have a page; returns the ids this build publishes first."""
    registered = set()
    for line, ident in raw.register:
        if not valid_id(ident):
            problems.append(Problem(REGISTER, line, 1, tr("'{ident}' is not a product id; the register lists "
                                                          "one product id a line", ident=ident)))
        elif ident not in files and ident not in retired:
            problems.append(Problem(REGISTER, line, 1, tr("the verification page v/{ident}/ was published and "
                                                          "may be printed on stamps, but products/{ident}.yaml "
                                                          "is gone; restore it, or add '- {{id: {ident}, "
                                                          "replaced_by: NEW-ID}}' (or a note) to "
                                                          "content/retired.yaml", ident=ident)))
        registered.add(ident)
    return tuple(sorted((files | set(retired)) - registered))


def _gtins(raw: RawSite, products: dict[str, m.Product], problems: list[Problem]) -> None:
    """A GTIN is one trade item's, and its GS1 address (01/<GTIN-14>/) one product's."""
    first: dict[str, str] = {}
    for product in products.values():           # (in the order of their files)
        if product.gtin:
            other = first.setdefault(product.gtin.zfill(14), product.path)
            if other != product.path:
                problems.append(Problem(product.path, *raw.place(product.path, "gtin"),
                                        tr("the GTIN {product_gtin} is already that of {other}; each product "
                                           "has its own (the number under the barcode on its package)",
                                           product_gtin=product.gtin, other=other)))


def _stamps_after_recognition(raw: RawSite, products: dict[str, m.Product], history, problems: list[Problem]) -> None:
    """A stamp says its product is certified: no batch is issued before the first recognition."""
    for pid, product in products.items():
        rated = [e.date for e in history.get(pid, ()) if e.stars is not None]
        early = [(i, b) for i, b in enumerate(product.stamps) if not rated or b.issued < rated[0]]
        for i, batch in early:
            line, col = raw.place(product.path, "stamps", i)
            since = (tr("its first recognition is dated {value}", value=rated[0]) if rated
                     else tr("it has never been recognised (no decision names it)"))
            problems.append(Problem(product.path, line, col, tr("the stamp batch {batch_first}–{batch_last} is "
                                                                "issued on {batch_issued}, before the product "
                                                                "was OCOP-certified: {since}; stamps are issued "
                                                                "only after a recognition, so correct the "
                                                                "batch's date",
                                                                batch_first=batch.first, batch_last=batch.last, batch_issued=batch.issued, since=since)))


def _stamp_codes(raw: RawSite, products: dict[str, m.Product], files: set[str],
                 problems: list[Problem]) -> dict[str, tuple[tuple[int, str], ...]]:
    """The check hashes of each product's stamps (codes.py), each serial in one of its batches."""
    found = {}
    for rel, text in sorted(raw.codes.items()):
        pid = PurePosixPath(rel).stem
        if pid not in files:
            problems.append(Problem(rel, 1, 1, tr("no product '{pid}' (products/{pid}.yaml) for these stamp "
                                                  "codes; the file is named after the product its stamps are of",
                                                  pid=pid)))
            continue
        hashes, faults = codes.parse_file(text)
        problems += [Problem(rel, line, 1, why) for line, why in faults]
        product = products.get(pid)
        if product is None:         # its own file has errors, said there
            continue
        lines = {int(line.split()[0]): n for n, line in enumerate(text.split("\n"), 1)
                 if line.split() and line.split()[0].isdigit()}
        for serial in sorted(hashes):
            if not any(serial in batch for batch in product.stamps):
                problems.append(Problem(rel, lines.get(serial, 1), 1, tr("serial {serial} is in no stamp batch of "
                                                                         "{product_path}; add the batch there, or "
                                                                         "print codes only for its serials",
                                                                         serial=serial, product_path=product.path)))
        found[pid] = tuple(sorted(hashes.items()))
    return found


# ---------------------------------------------------------------------------- the whole site

def _published_media(products, decisions, raw: RawSite) -> dict[str, str]:
    """Each decision scan the site links, and where its copy goes: named by its content hash.
    (Photos are re-encoded in several sizes instead: images.py.)"""
    files = {d.document for d in decisions if d.document}
    published = {}
    for file in sorted(files):
        name = PurePosixPath(file)
        published[file] = f"media/{images.web_name(name.stem)}-{raw.media[file].digest[:12]}{name.suffix.lower()}"
    return published


def validate(raw: RawSite, today: date, checked: Memo | None = None,
             decided: Memo | None = None, drafts: bool = False) -> tuple[m.Site | None, list[Problem]]:
    """Every problem of the site, and the Site when there is no error among them (`drafts`: with
    the pages and posts marked as drafts, for a preview). `checked`:
    products checked by earlier builds (with their problems), by the text of their file and all
    that a product's check reads besides (languages, communes, showrooms; its photos: _same_photos).
    `decided`: the decisions checked by an earlier build, and what they make of the products (_decided)."""
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
    made = _check_all([source for source in sources if source.digest + around not in old], check)
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
