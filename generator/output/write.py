"""The only code that writes the built site: nothing in the output folder changes until the whole
build has succeeded, and then only the files whose bytes changed.

A first build writes a complete new folder beside the output folder and renames it into place.
A rebuild writes only new and changed files, to a staging folder beside the output folder; when
every file is written, a journal of what to move in and what to delete is written, then carried
out. A build that fails, is interrupted or fills the disk before that leaves the previous output
exactly as it was; a run that dies while carrying out a journal is completed by the next one.

Beside the files, the output keeps a manifest (in the cache folder): for each file, the key of
what it was made from, so that a rebuild can keep a file whose inputs did not change without
making it again (see depends.py). Files made together from one key (a product's pages, record
and QR code) are kept as a group, under that key, with the list of its files; files named by
what went into them (QR codes, photos, search fragments) need no key: the name is one. And a
record of the files the output holds and of each of its folders' inode and time (fresh.py):
while no folder changed, the next build takes the files from it instead of looking at every one.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import KeysView

from ..errors import OcopError, tr
from .cache import read_versioned, write_versioned
from .fresh import FolderCheck, add_folders, files_under, forget_output_state, output_files, save_output_state
from ..site.load import REGISTER

JOURNAL = "journal.json"
MARKER = ".ocop-output"          # in every output folder: a folder with it is one a build may replace
MARKER_TEXT = b"This folder is written by `ocop build`: each build replaces everything in it.\n"
MANIFEST_VERSION = 3


class Output:
    """The output folder of one build: what it had, what this build writes, and the commit."""

    def __init__(self, dest: Path, cache: Path, folders: FolderCheck | None = None):
        """`folders`: the output's folders being compared with their record meanwhile."""
        self.dest = dest.absolute()
        self.cache = cache
        self.folder_check = folders
        self.manifest_path = cache / f"built-{self.dest.name}.data"
        self.stage: Path | None = None
        self.fresh = True               # no previous output: the staging folder is the new output
        self.previous: dict[str, str] = {}      # file → key of what the previous output's was made from
        self.manifest: dict[str, str] = {}      # the same, of this build
        self.previous_groups: dict[str, tuple[str, tuple[str, ...]]] = {}     # group → (key, its files)
        self.groups: dict[str, tuple[str, tuple[str, ...]]] = {}              # the same, of this build
        self.existing: set[str] = set()   # the files of the previous output
        self.written: set[str] = set()
        self.staged: set[str] = set()   # written into the staging folder (every file, when fresh)
        self.folders: set[str] = set()          # made in the staging folder
        self.recorded = False           # `existing` is from the record of the last build: still true
        self.folder_stats: dict[str, tuple] | None = None     # and its folders' stats, checked or looked at
        self.recovered = False          # a journal left by a run that died was carried out

    def __enter__(self) -> "Output":
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.lock = (self.cache / f"{self.dest.name}.lock").open("a+")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.lock.seek(0)
            holder = self.lock.read().strip()
            self.lock.close()
            raise OcopError(tr("another build (process {value}) is writing {dest}; run this one when it has "
                               "finished", value=holder or 'unknown', dest=self.dest)) from None
        self.lock.truncate(0)
        self.lock.write(f"{os.getpid()}\n")
        self.lock.flush()
        self.recovered = recover(self.dest, self.manifest_path)
        self.fresh = not self.dest.is_dir()
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.dest.name}.new-", dir=self.dest.parent))
        self.stage.chmod(0o755)          # readable by a web server, like the folders inside it
        return self

    def look(self) -> None:
        """Finds what the previous output holds and what each of its files was made from: before
        the first file is written or kept."""
        if self.fresh:
            return
        manifest = read_versioned(self.manifest_path, MANIFEST_VERSION)
        self.previous, self.previous_groups = manifest.get("files", {}), manifest.get("groups", {})
        record, listing = self.folder_check.result() if self.folder_check else (None, None)
        if self.recovered:              # a journal was carried out since the output was looked at
            record = listing = None
        known = output_files(self.dest, self.cache, record) if listing is None else None
        self.recorded = known is not None
        if known is None:
            if listing is None:
                folders: dict[str, tuple[int, int]] = {}
                listing = files_under(self.dest, folders), folders
            known = listing
        files, self.folder_stats = known
        self.existing = set(files)

    # -- writing ------------------------------------------------------------------------------

    def write(self, rel: str, data: bytes, key: str = "", cache: Path | None = None) -> None:
        """Writes a file of the site; with `cache`, the same bytes are also linked there (a link
        costs a fraction of writing the file again)."""
        self._claim(rel, key)
        if self.fresh or not self._same(rel, lambda: data):
            target = self._staged(rel)
            with open(target, "wb") as f:
                f.write(data)
            if cache is not None:
                _link(target, cache)

    def copy(self, rel: str, source: Path, key: str = "", link: bool = False) -> None:
        """Copies a file into the site; `link` for a file that never changes once made (the cache's,
        named by what went into them): a hard link costs a fraction of a copy."""
        self._claim(rel, key)
        if self.fresh or not self._same(rel, source.read_bytes):
            (_link if link else shutil.copyfile)(source, self._staged(rel))

    def keep_all(self, keys: dict[str, str | None]) -> KeysView[str]:
        """Keeps each of the previous output's files that was made from the same inputs (its key
        in `keys`; None: always made) and returns them; the caller makes the others. (A kept page's
        links need no new check: whatever they lead to is among its inputs, unchanged too.)"""
        previous, existing = self.previous.get, self.existing
        same = {rel: key for rel, key in keys.items() if key is not None and previous(rel) == key and rel in existing}
        self._keep(same)
        self.manifest.update(same)
        return same.keys()

    def keep_groups(self, keys: dict[str, str]) -> KeysView[str]:
        """Keeps the files of each group (files made together from one key) whose key is the one
        the previous output's were made from, all of them still there; returns those groups. The
        caller makes the others, and names their files (group()). (An output as the last build
        recorded it holds every file of its groups: they are not looked for.)"""
        previous, existing, recorded = self.previous_groups.get, self.existing, self.recorded
        same = {name: found for name, key in keys.items()
                if (found := previous(name)) and found[0] == key and (recorded or existing.issuperset(found[1]))}
        self._keep([rel for _, files in same.values() for rel in files])
        self.groups.update(same)
        return same.keys()

    def group(self, name: str, key: str, files: tuple[str, ...]) -> None:
        """Records that this build makes these files together from `key` (written with no key of their own)."""
        self.groups[name] = (key, files)

    def keep_named(self, files: list[str]) -> set[str]:
        """Keeps each of these files, named by what went into them, that the previous output has;
        returns them."""
        same = self.existing.intersection(files)
        self._keep(same)
        return same

    def _keep(self, files) -> None:
        if not self.written.isdisjoint(files):
            raise ValueError(tr("refusing to write twice: {min!r}", min=min(self.written.intersection(files))))
        self.written.update(files)

    def _claim(self, rel: str, key: str) -> None:
        if not rel or rel[0] == "/" or "/../" in f"/{rel}/" or "\\" in rel or rel in self.written:
            raise ValueError(tr("refusing to write outside the output folder, or twice: {rel!r}", rel=rel))
        self.written.add(rel)
        if key:
            self.manifest[rel] = key

    def _staged(self, rel: str) -> str:
        """Where a file is written. (Paths as strings: a Path costs more than writing a small file.)"""
        self.staged.add(rel)
        if not self.fresh:               # flat: a rebuild's few changed files need no folders here
            return f"{self.stage}/{staged_name(rel)}"
        folder = rel.rpartition("/")[0]
        if folder not in self.folders:
            os.makedirs(f"{self.stage}/{folder}", exist_ok=True)
            self.folders.add(folder)
        return f"{self.stage}/{rel}"

    def _same(self, rel: str, data) -> bool:
        """Whether the previous output's file already has these bytes."""
        previous = self.dest / rel
        try:
            if rel not in self.existing or not previous.is_file() or previous.is_symlink():
                return False
            new = data()
            return previous.stat().st_size == len(new) and previous.read_bytes() == new
        except OSError:
            return False

    def merge(self, written: set[str], staged: set[str], manifest: dict) -> None:
        """Takes in what a worker process wrote through its copy of this object."""
        twice = self.written & written
        if twice:
            raise ValueError(tr("written twice: {value!r}", value=sorted(twice)[0]))
        self.written |= written
        self.staged |= staged
        self.manifest.update(manifest)

    # -- committing ---------------------------------------------------------------------------

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self._finish(exc_type is not None)
        finally:
            self.lock.close()           # and with it the lock
        return False

    def _finish(self, failed: bool) -> None:
        if failed:
            shutil.rmtree(self.stage, ignore_errors=True)
            return
        if self.fresh or self.staged or not self.recorded or not self.existing <= self.written:
            forget_output_state(self.dest, self.cache)      # the output changes: its record is made again after
            self.recorded = False
        new_manifest = self.stage.parent / f"{self.stage.name}.manifest"
        if (self.fresh or self.manifest != self.previous or self.groups != self.previous_groups
                or not self.manifest_path.is_file()):
            write_versioned(new_manifest, MANIFEST_VERSION, {"files": self.manifest, "groups": self.groups})
        if self.fresh:
            self.manifest_path.unlink(missing_ok=True)
            os.replace(self.stage, self.dest)
            self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new_manifest, self.manifest_path)
            save_output_state(self.dest, self.cache, self.written)
            return
        deletes = self.existing - self.written
        journal = {"moves": sorted((staged_name(rel), rel) for rel in self.staged), "deletes": sorted(deletes),
                   "manifest": [str(new_manifest), str(self.manifest_path)]}
        (self.stage / f"{JOURNAL}.tmp").write_text(json.dumps(journal), encoding="utf-8")
        os.replace(self.stage / f"{JOURNAL}.tmp", self.stage / JOURNAL)        # from here on, the build is done
        apply(self.stage, self.dest)
        if not self.recorded:       # folders this build changed nothing in keep the stats found at the start
            save_output_state(self.dest, self.cache, self.written, self.folder_stats, self.staged | deletes)


def _link(source: str | Path, target: str | Path) -> None:
    """A hard link, or a copy where the file system has none."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def staged_name(rel: str) -> str:
    return hashlib.sha256(rel.encode()).hexdigest()[:32]


def apply(stage: Path, dest: Path) -> None:
    """Carries out a journal: safe to repeat, so that a run that died halfway is finished by the next.
    Ctrl-C waits until it is done."""
    journal = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
    blocked = _block_interrupts()
    try:
        new_manifest, manifest = (Path(p) for p in journal["manifest"])
        if new_manifest.exists():                   # none when it did not change
            manifest.unlink(missing_ok=True)        # until the files agree with the new one
        root = str(dest)
        emptied: set[str] = set()
        for rel in journal["deletes"]:
            target = f"{root}/{rel}"
            try:
                os.unlink(target)
            except FileNotFoundError:
                pass
            except OSError:                         # a folder
                shutil.rmtree(target)
            add_folders(emptied, rel)
        for folder in sorted(emptied - {""}, key=lambda f: -f.count("/")):
            try:
                os.rmdir(f"{root}/{folder}")        # only when nothing is left in it
            except OSError:
                pass
        made: set[str] = set()
        for name, rel in journal["moves"]:
            source, target = f"{stage}/{name}", f"{root}/{rel}"
            folder = rel.rpartition("/")[0]
            if folder not in made:
                _make_folder(root, folder)
                made.add(folder)
            try:
                os.replace(source, target)
            except FileNotFoundError:
                if os.path.lexists(source):
                    raise
                continue                            # moved by the run that died
            except IsADirectoryError:               # a folder where the file goes
                shutil.rmtree(target)
                os.replace(source, target)
        if new_manifest.exists():
            manifest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new_manifest, manifest)
        shutil.rmtree(stage, ignore_errors=True)
    finally:
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _block_interrupts() -> bool:
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        return True
    except (ValueError, OSError):
        return False


def _make_folder(root: str, folder: str) -> None:
    """A folder of the output for files to move into, made with its parents; a file of the same
    name as the folder or one of its parents is removed first."""
    path = f"{root}/{folder}" if folder else root
    if os.path.isdir(path):
        return
    step = root
    for part in folder.split("/"):
        step = f"{step}/{part}"
        if os.path.lexists(step) and not os.path.isdir(step):
            os.unlink(step)
    os.makedirs(path, exist_ok=True)


def replaceable(dest: Path) -> bool:
    """Whether a build may write `dest`, replacing what it holds: a folder that is missing or
    empty, or that a build wrote (its marker; before markers, the files every build writes)."""
    if not dest.is_dir():
        return not dest.exists()
    if (dest / MARKER).is_file() or all((dest / f).is_file() for f in ("404.html", "sitemap.xml", "data/products.json")):
        return True
    return next(dest.iterdir(), None) is None


def recover(dest: Path, manifest: Path) -> bool:
    """Finish what an interrupted run left beside `dest`: a journal is carried out, anything else
    dropped. (Folders named .old-* are from versions that swapped whole folders: restored.)
    Whether `dest` changed."""
    parent, changed = dest.parent, False
    olds = sorted(parent.glob(f".{dest.name}.old-*"))
    if not dest.exists():
        for old in olds:
            if (old / "site").is_dir():
                os.replace(old / "site", dest)
                changed = True
                break
    for stage in sorted(parent.glob(f".{dest.name}.new-*")):
        if stage.is_dir() and (stage / JOURNAL).is_file() and dest.is_dir():
            apply(stage, dest)
            changed = True
    for leftover in olds + sorted(parent.glob(f".{dest.name}.new-*")):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return changed


def write_atomically(path: Path, data: bytes) -> None:
    """The file whole, or as it was: written beside itself, then renamed over it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def append_register(site_dir: Path, ids: tuple[str, ...]) -> None:
    """Adds newly published product ids to the site's register of verification URLs (load.REGISTER)."""
    path = site_dir / REGISTER
    text = path.read_text(encoding="utf-8") if path.is_file() else (
        "# Every product whose verification page /v/<id>/ was published: its QR codes may be printed on\n"
        "# stamps, so its page must never disappear. Written by `ocop build --publish`; commit it with the site.\n")
    if text and not text.endswith("\n"):
        text += "\n"
    write_atomically(path, (text + "".join(f"{ident}\n" for ident in ids)).encode("utf-8"))
