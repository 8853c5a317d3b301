"""The build's cache: one folder beside the output (.ocop-cache/), one module that reads and
writes it, one version.

Every file of it is the build's own, never content's, and is written whole or not at all (a
temporary file, then renamed). A file that is missing, unreadable, of another version or holds
anything but data is ignored, and what it held is made again. Values are pickled and read back
by a reader that builds only dates, problems, parsed YAML, the site's records and routes
(_CacheUnpickler): a cache forced into a repository cannot run code. Compiled templates are code:
they are kept sealed with a key of this machine's (seal()), and a folder this machine did not
make is not read at all (cache_is_ours()). What is kept, each under a key of all it was made
from, so that a stale value is never read:

  checked.pickle, decided.pickle     products and decisions checked (validate/)
  parsed*.pickle, texts.pickle,      YAML parsed, files' hashes, photos' sizes, git dates (load.py)
  media.pickle, git-dates.pickle
  data-lines-OUT.pickle              each product's lines of the data files (produce.py)
  search-docs-OUT-N.pickle,          each search shard's documents and index (search.py)
  pagefind-OUT-*/
  built-OUT.pickle, output-OUT.pickle, snapshot-OUT.pickle     what the output holds (write.py, fresh.py)
  templates/                         compiled templates, sealed (render.py)
  photo and QR files                 named by the hash of their inputs (images.py, qr.py)
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hmac
import io
import os
import pickle
import shutil
from pathlib import Path
from typing import Any, Callable

VERSION = 1         # of every file: change it when what a file holds is written otherwise


class _CacheUnpickler(pickle.Unpickler):
    """Reads a file of the build's cache, which a change to the repository could have put there
    (`.ocop-cache/` forced into a pull request): only data, never code. A pickle names what to
    build by module and name; anything but the plain record classes of CACHED (no function, no
    class of another module) makes the read fail, and the file is ignored and made again."""

    def find_class(self, module: str, name: str):
        if name in _cached().get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not data a cache file may hold")


@functools.cache
def _cached() -> dict[str, frozenset[str]]:
    """Every class a cache file may hold, by module: dates, problems, parsed YAML, the site's
    records (the frozen dataclasses of model.py) and routes. Never a function."""
    from ..site import model
    records: set[str] = {name for name, value in vars(model).items()
               if dataclasses.is_dataclass(value) and isinstance(value, type) and value.__module__ == model.__name__}
    records.add("_unpacked_later")       # a Product as its cache keeps it (model.Product.__reduce__)
    return {"datetime": frozenset({"date"}), "generator.errors": frozenset({"Problem"}),
            "generator.site.load": frozenset({"Map", "Seq", "Media", "Source"}), "generator.site.model": frozenset(records),
            "generator.pages.routes": frozenset({"Route"})}


@functools.cache
def _machine_key() -> bytes:
    """A secret of this machine's, kept outside every site (in the user's cache folder): what
    seal() signs with. Where it cannot be kept, one for this process alone (nothing sealed by an
    earlier run is then trusted: made again)."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ocop"
    path = home / "seal.key"
    with contextlib.suppress(OSError):
        home.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        key = path.read_bytes()
        if len(key) == 32:
            return key
    return os.urandom(32)


def seal(data: bytes) -> bytes:
    """Bytes of a cache file that will be run as code (compiled templates), signed by this machine."""
    return hmac.digest(_machine_key(), data, "sha256") + data


def unseal(sealed: bytes) -> bytes | None:
    """What seal() signed, or None for bytes this machine did not seal (a file from a repository)."""
    tag, data = sealed[:32], sealed[32:]
    return data if hmac.compare_digest(tag, hmac.digest(_machine_key(), data, "sha256")) else None


OWNER = ".owner"        # in the cache folder: sealed by the machine that made it


def cache_is_ours(cache: Path) -> bool:
    """Whether this machine made the cache folder (or there is none yet): a folder that came with
    a checkout, a copy or an archive is not read, whatever it holds (photos, QR codes, indexes)."""
    try:
        sealed = (cache / OWNER).read_bytes()
    except OSError:
        return not cache.is_dir() or next(cache.iterdir(), None) is None
    return unseal(sealed) == str(cache.resolve()).encode()


def claim_cache(cache: Path) -> None:
    """Before a build writes into the cache folder: one this machine did not make is emptied first."""
    if not cache_is_ours(cache):
        shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / OWNER).is_file():
        part = cache / f"{OWNER}.{os.getpid()}.part"
        part.write_bytes(seal(str(cache.resolve()).encode()))
        os.replace(part, cache / OWNER)


def load_cached(file) -> object:
    """One value of a cache file (open, binary), or UnpicklingError for what is not data."""
    return _CacheUnpickler(file).load()


def loads_cached(data: bytes) -> object:
    return _CacheUnpickler(io.BytesIO(data)).load()


def write_pickle(path: Path, *objects, fast: bool = False) -> None:
    """Pickles objects into a file of the build's cache, complete or not at all (two processes
    writing the same file each write their own part, and the last one's is kept). `fast`: without
    the pickler's memo, which keeps every object written alive until the end: for values that
    share no object (one met twice is written, and read, twice)."""
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        with part.open("wb") as f:
            for value in objects:
                pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.fast = fast
                pickler.dump(value)
        os.replace(part, path)
    except BaseException:           # a full disk, Ctrl-C: no part is left behind
        part.unlink(missing_ok=True)
        raise


def write_versioned(path: Path, version: object, value: object, *more, fast: bool = False) -> None:
    """A value that read_pickle(path, version) gives back, with the cache's VERSION and the file's
    own; `more` objects after it, read with load_cached() once it is."""
    write_pickle(path, ((VERSION, version), value), *more, fast=fast)


def read_pickle(path: Path, version: object) -> dict:
    """The dict a build wrote with write_pickle(path, (version, it)); empty when the file is
    missing, unreadable, of another version (the cache's or the file's own) or not data."""
    try:
        with path.open("rb") as f:
            found, value = load_cached(f)
        return value if found == (VERSION, version) else {}
    except Exception:
        return {}


class Memo:
    """Values made from files' texts, by a key of the text, kept in a file of the cache between
    builds: a rebuild makes again only those of the files that changed. The file is the build's
    own (never content's); none yet, unreadable or of another version, and every value is made."""

    UNSAVED = 20        # changed values that do not make its file be written again (few=)
    read: dict[Path, tuple[tuple, dict]] = {}   # each file read: (its inode, size, time, version), what it held
    writing: dict[Path, int] = {}       # each file a forked process is writing (save_apart): its pid

    def __init__(self, path: Path | None, version: object, few: int | None = None, keep: bool = True,
                 fast: bool = False):
        """`few`: how many changed values (or 1% of them, if more) do not make the file be
        written again (save()); 0 for values that cost more to make again than to write.
        `keep=False`: the file is read, never written. `fast`: values that share no object with
        each other, written without the pickler's memo (write_pickle)."""
        self.path, self.version, self.keep, self.fast = path, version, keep, fast
        self.few = self.UNSAVED if few is None else few
        self.new: dict = {}
        self.made = 0

    @functools.cached_property
    def old(self) -> dict:
        """The values of the file: read at the first get(), not before (a memo may go unused)."""
        return self._read(self.path, self.version) if self.path else {}

    @classmethod
    def _read(cls, path: Path, version: object) -> dict:
        """The file's values. A process that builds again and again (`ocop serve`) reads it once
        until it is written again: the values are never changed in place, only replaced."""
        if path in cls.writing:
            cls.wait_for_writes()
        try:
            info = path.stat()
        except OSError:
            return {}
        seen = (info.st_ino, info.st_size, info.st_mtime_ns, version)
        if cls.read.get(path, (None,))[0] != seen:
            cls.read[path] = (seen, read_pickle(path, version))
        return cls.read[path][1]

    def get(self, key, make: Callable[[], Any], valid: Callable[[Any], bool] = lambda value: True) -> Any:
        """The value kept under `key` if `valid` says it still is, else make()'s."""
        if key in self.new:
            return self.new[key]
        if key in self.old and valid(self.old[key]):
            found = self.old[key]
        else:
            found = make()
            self.made += 1
        self.new[key] = found
        return found

    def due(self) -> bool:
        """Whether save() writes the file: more than a few values changed (after a small edit,
        making those again next time costs less than writing the whole file now)."""
        if not self.new or not self.keep or self.path is None:      # unused: the file stays as it is
            return False
        changed = self.made + len(self.old.keys() - self.new.keys())
        return changed > (max(self.few, len(self.new) // 100) if self.few else 0)

    def save(self) -> None:
        if self.due():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_versioned(self.path, self.version, self.new, fast=self.fast)

    @classmethod
    def save_apart(cls, memos: list[Memo]) -> None:
        """Saves the memos from a forked process while this one goes on (at 20,000 products, half a
        second of pickling off a cold build's serial start). This process reads one of those files
        again only once it is written; wait_for_writes() waits for every one."""
        due = [memo for memo in memos if memo.due()]
        try:
            pid = os.fork() if due else None
        except OSError:
            pid = None
        if pid is None:
            for memo in due:
                memo.save()
        elif pid == 0:              # the child writes and leaves, running nothing of the parent's
            try:
                for memo in due:
                    memo.save()
            finally:                # (a file it could not write is made again by the next build)
                os._exit(0)
        else:
            cls.writing.update((memo.path, pid) for memo in due)

    @classmethod
    def wait_for_writes(cls) -> None:
        """Waits for the memos save_apart() is writing."""
        for pid in set(cls.writing.values()):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        cls.writing.clear()
