"""How one record's fields are read and checked (_File), and the site format's words."""
from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, Callable

from .. import FIRST_DAY, LAST_DAY, model as m
from ...errors import Problem, tr
from ..load import Map, Seq, Source


# the texts `ocop new product` writes for the editor to replace (scaffold.py): never published as they are
TEMPLATE_TEXTS = {"Tên sản phẩm", "Product name", "Tên cơ sở sản xuất", "Mô tả sản phẩm, viết bằng Markdown.",
                  "What it is, in Markdown."}
MULTILINE = ("description", "reason", "address", "hours", "note", "value", "summary")    # texts of more than a line
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
URL_RE = re.compile(r"^https?://[^\s/?#\"'<>]+[^\s\"'<>]*\Z")
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


