"""Problems found in an editor's files, the two ways a run can fail, and the language the tool
speaks (`tr`).

    OcopError
    ├── ContentError   the site's files are invalid: carries every Problem found (exit 1)
    └── UsageError     the command line is wrong: a bad flag, a missing folder (exit 2)
"""
from __future__ import annotations

import contextlib
import functools
import os
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = ("en", "vi")        # what the tool speaks: English as written, Vietnamese from locales/
LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, at a 1-based line and column (0 when unknown)."""

    path: str
    line: int
    col: int
    message: str
    severity: str = "error"

    def __post_init__(self):        # (the message quotes what the files say; the path is theirs too)
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(self.message))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"


class OcopError(Exception):
    """Base of the errors a user can cause; never shown with a traceback."""


class ContentError(OcopError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems)


class UsageError(OcopError):
    pass


def printable(text: str) -> str:
    """Text as it may be shown on a terminal or in a CI log: each character that is not printable
    (a control character, an escape sequence's start, a line separator, a direction override, an
    invisible space) written as its escape, \\x1b or \\u2028: a file's text cannot move the cursor,
    colour the log, start a line that looks like another message, or hide itself."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


_SPEAKING: ContextVar[str] = ContextVar("speaking", default="")


@contextlib.contextmanager
def speaking(lang: str):
    """tr() in `lang` within: what the build writes for the site's readers (the published editor's
    labels), not for whoever runs it."""
    token = _SPEAKING.set(lang if lang in LANGUAGES else "en")
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def tool_language() -> str:
    """The language of every word the tool says: OCOP_LANG (vi or en), else the locale
    (LC_ALL, LC_MESSAGES, LANG, as POSIX ranks them: vi_VN… is Vietnamese), else English."""
    if _SPEAKING.get():
        return _SPEAKING.get()
    chosen = os.environ.get("OCOP_LANG", "").strip().lower()
    if not chosen:
        chosen = next((os.environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(name)), "")
    code = chosen.lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else "en"


@functools.cache
def _catalogue(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po
    with open(LOCALES / lang / "LC_MESSAGES" / "ocop.po", "rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id and m.string and not m.fuzzy}


def N_(message: str) -> str:
    """A message marked for translation where it is defined (a table's entry), translated with tr()
    where it is said."""
    return message


def tr(message: str, /, **values) -> str:
    """`message` in the tool's language, its {names} filled in from `values` (a message is
    marked for translation by being written as tr's first argument: `make messages`)."""
    return _catalogue(tool_language()).get(message, message).format(**values)
