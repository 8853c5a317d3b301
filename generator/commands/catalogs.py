"""The catalogues: the theme's UI strings, and every word the tool itself says (errors.tr).

`python -m generator.commands.catalogs [THEME]` (`make messages`) rewrites locales/messages.pot and adds new
strings, untranslated, to every locales/<lang>/LC_MESSAGES/messages.po; `untranslated()` lists what
a language still lacks. The same for the tool: generator/locales/ocop.pot, its Vietnamese in
generator/locales/vi/LC_MESSAGES/ocop.po, and `tool_untranslated()`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from .. import PACKAGE
from ..errors import LANGUAGES, LOCALES
from ..pages.i18n import locale

METHODS = [("templates/**.html", "jinja2"), ("templates/**.xml", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}, "templates/**.xml": {"extensions": "jinja2.ext.do"}}
REPORT = PACKAGE / "commands" / "report.py"


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


def extract_tool() -> Catalog:
    """What the tool says: the first argument of every tr() and N_() in generator/."""
    template = Catalog(project="ocop-site", fuzzy=False)
    for _, _, message, _, _ in extract_from_dir(PACKAGE, [("**.py", "python")], keywords={"tr": None, "N_": None}):
        template.add(message)
    return template


def tool_untranslated() -> dict[str, list[str]]:
    """The tool's messages that have no translation, by language."""
    ids = [m.id for m in extract_tool() if m.id]
    found = {}
    for code in LANGUAGES[1:]:
        with (LOCALES / code / "LC_MESSAGES" / "ocop.po").open("rb") as f:
            catalog = read_po(f, locale=code)
        found[code] = [msgid for msgid in ids if not (catalog.get(msgid) and catalog.get(msgid).string)]
    return found


def _merge(template: Catalog, pot: Path, pos: list[Path]) -> None:
    with pot.open("wb") as f:
        write_po(f, template, omit_header=True, sort_output=True, width=100)
    for po in pos:
        code = po.parent.parent.name
        with po.open("rb") as f:
            catalog = read_po(f, locale=str(locale(code)))
        created = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True)
        catalog.creation_date = created          # unchanged strings, unchanged file
        catalog.obsolete.clear()
        with po.open("wb") as f:
            write_po(f, catalog, sort_output=True, width=100, ignore_obsolete=True)


def update(theme: Path) -> None:
    _merge(extract(theme), theme / "locales" / "messages.pot", sorted((theme / "locales").glob("*/LC_MESSAGES/messages.po")))
    _merge(extract_tool(), LOCALES / "ocop.pot", [LOCALES / code / "LC_MESSAGES" / "ocop.po" for code in LANGUAGES[1:]])


if __name__ == "__main__":
    update(Path(sys.argv[1] if len(sys.argv) > 1 else "themes/default"))
