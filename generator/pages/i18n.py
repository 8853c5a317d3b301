"""Languages: UI strings from the theme's gettext catalogues, and dates and numbers by locale (Babel)."""
from __future__ import annotations

import functools
import gettext
import io
from datetime import date
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal


@functools.cache
def locale(code: str) -> Locale:
    try:
        return Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def translations(theme: Path, code: str) -> gettext.NullTranslations:
    """The theme's catalogue for a language, compiled in memory; msgids (English) where there is none."""
    po = theme / "locales" / code / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=str(locale(code)))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.lru_cache(maxsize=4096)
def format_day(day: date, code: str) -> str:
    return format_date(day, "long", locale=locale(code))


def format_number(number: int, code: str) -> str:
    """A count as the language writes it: 20.000 in Vietnamese, 20,000 in English."""
    return format_decimal(number, locale=locale(code))


def format_vnd(amount: int, code: str) -> str:
    return format_number(amount, code) + "\u00a0₫"


def month_names(months: tuple[int, ...], code: str) -> str:
    """Months of a season, as the language names them: "November, December, January"."""
    names = locale(code).months["stand-alone"]["wide"]
    return ", ".join(names[m] for m in months)


def language_names(codes: tuple[str, ...], code: str) -> str:
    """Languages as this language names them: ["vi", "en"] in English, "Vietnamese, English"."""
    return ", ".join(locale(other).get_display_name(locale(code)) or other for other in codes)
