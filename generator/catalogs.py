"""The theme's UI catalogues: extract the strings its templates use, merge them into each language.

`python -m generator.catalogs [THEME]` (`make messages`) rewrites locales/messages.pot and adds new
strings, untranslated, to every locales/<lang>/LC_MESSAGES/messages.po; `untranslated()` lists what
a language still lacks.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from . import PACKAGE
from .i18n import locale

METHODS = [("templates/**.html", "jinja2"), ("templates/**.xml", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}, "templates/**.xml": {"extensions": "jinja2.ext.do"}}
REPORT = PACKAGE / "report.py"


def extract(theme: Path) -> Catalog:
    """The strings of the theme's templates, and of `ocop report` (REPORT), which reads them from the
    theme's catalogues too."""
    template = Catalog(project="ocop-site theme", fuzzy=False)
    found = [message for _, _, message, _, _ in extract_from_dir(theme, METHODS, OPTIONS)]
    found += [message for _, message, _, _ in extract_from_file("python", REPORT)]
    for message in found:
        template.add(message, flags=("python-format",) if "%(" in str(message) else ())
    return template


def _po(theme: Path, code: str) -> Path:
    return theme / "locales" / code / "LC_MESSAGES" / "messages.po"


def untranslated(theme: Path, codes: list[str]) -> dict[str, list[str]]:
    """The theme's UI strings that have no translation in each language (English msgids need
    none). The templates are read once for all the languages."""
    ids = [m.id for m in extract(theme) if m.id]
    return {code: [] if code.split("-")[0] == "en" else _missing(theme, code, ids) for code in codes}


def _missing(theme: Path, code: str, ids: list) -> list[str]:
    path = _po(theme, code)
    if not path.is_file():
        return [i if isinstance(i, str) else i[0] for i in ids]
    with path.open("rb") as f:
        catalog = read_po(f, locale=str(locale(code)))
    missing = []
    for msgid in ids:
        message = catalog.get(msgid)
        strings = message.string if message else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(msgid if isinstance(msgid, str) else msgid[0])
    return missing


def update(theme: Path) -> None:
    template = extract(theme)
    with (theme / "locales" / "messages.pot").open("wb") as f:
        write_po(f, template, omit_header=True, sort_output=True, width=100)
    for po in sorted((theme / "locales").glob("*/LC_MESSAGES/messages.po")):
        code = po.parent.parent.name
        with po.open("rb") as f:
            catalog = read_po(f, locale=str(locale(code)))
        created = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True)
        catalog.creation_date = created          # unchanged strings, unchanged file
        catalog.obsolete.clear()
        with po.open("wb") as f:
            write_po(f, catalog, sort_output=True, width=100, ignore_obsolete=True)


if __name__ == "__main__":
    update(Path(sys.argv[1] if len(sys.argv) > 1 else "themes/default"))
