"""The only code that writes the built site: a complete new folder, swapped in when all succeeded.

The new site is written to a hidden folder beside the output folder. Only when every file is
written is the old output renamed away and the new one renamed into place; a build that fails,
is interrupted or fills the disk leaves the previous output exactly as it was. Leftovers of an
interrupted run are cleaned up (or, mid-swap, restored) by the next one.
"""
from __future__ import annotations

import os
import stat
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .load import REGISTER


class Output:
    def __init__(self, dest: Path):
        self.dest = dest.absolute()
        self.tmp: Path | None = None
        self.written: set[str] = set()
        self.folders: set[Path] = set()

    def __enter__(self) -> "Output":
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        recover(self.dest)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.dest.name}.new-", dir=self.dest.parent))
        self.tmp.chmod(0o755)           # readable by a web server, like the folders inside it
        return self

    def _target(self, rel: str) -> Path:
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or ".." in parts or "\\" in rel:
            raise ValueError(f"refusing to write outside the output folder: {rel!r}")
        target = self.tmp.joinpath(*parts)
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        self.written.add(rel)
        return target

    def write(self, rel: str, data: bytes) -> None:
        target = self._target(rel)
        if not self._unchanged(rel, target, lambda: data):
            target.write_bytes(data)

    def copy(self, rel: str, source: Path) -> None:
        target = self._target(rel)
        if not self._unchanged(rel, target, source.read_bytes):
            shutil.copyfile(source, target)

    def _unchanged(self, rel: str, target: Path, data) -> bool:
        """Links the previous output's file when its bytes are the same: on many disks creating and
        filling a file costs fifty times more than a link, and most files of a rebuild are unchanged."""
        previous = self.dest / rel
        try:
            info = previous.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size != len(new := data()) or previous.read_bytes() != new:
                return False
            os.link(previous, target)
            return True
        except OSError:
            return False

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old = None
        if self.dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.dest.name}.old-", dir=self.dest.parent))
            os.replace(self.dest, old / "site")
        os.replace(self.tmp, self.dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False


def recover(dest: Path) -> None:
    """Undo what an interrupted build left beside `dest`: restore a half-swapped output, drop the rest."""
    parent = dest.parent
    olds = sorted(parent.glob(f".{dest.name}.old-*"))
    if not dest.exists():
        for old in olds:
            if (old / "site").is_dir():
                os.replace(old / "site", dest)
                break
    for leftover in olds + sorted(parent.glob(f".{dest.name}.new-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def append_register(site_dir: Path, ids: tuple[str, ...]) -> None:
    """Adds newly published product ids to the site's register of verification URLs (load.REGISTER)."""
    path = site_dir / REGISTER
    text = path.read_text(encoding="utf-8") if path.is_file() else (
        "# Every product whose verification page /v/<id>/ was published: its QR codes may be printed on\n"
        "# stamps, so its page must never disappear. Written by `ocop build`; commit it with the site.\n")
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "".join(f"{ident}\n" for ident in ids), encoding="utf-8")
