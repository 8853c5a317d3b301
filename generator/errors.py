"""Problems found in an editor's files, and the two ways a run can fail.

    OcopError
    ├── ContentError   the site's files are invalid: carries every Problem found (exit 1)
    └── UsageError     the command line is wrong: a bad flag, a missing folder (exit 2)
"""
from __future__ import annotations

from dataclasses import dataclass


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
