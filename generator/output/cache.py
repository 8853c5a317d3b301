"""The build's cache: one folder beside the output (.ocop-cache/), one module that reads and
writes it, one version.

Every file of it is the build's own, never content's, and is written whole or not at all (a
temporary file, then renamed). A file that is missing, unreadable, of another version or holds
anything but data is ignored, and what it held is made again. Values are kept as plain data
(MessagePack, pack()): strings, numbers, bytes, arrays, maps, dates, and the site's records as
their fields under a mark (_records()); reading one makes nothing else, so a cache forced into a
repository cannot run code. Compiled templates are code: they are kept sealed with a key of this
machine's (seal()), and a folder this machine did not make is not read at all (cache_is_ours()).
What is kept, each under a key of all it was made from, so that a stale value is never read:

  checked.data, decided.data       products and decisions checked (validate/)
  parsed*.data, texts.data,        YAML parsed, files' hashes, photos' sizes, git dates (load.py)
  media.data, git-dates.data
  data-lines-OUT.data              each product's lines of the data files (produce.py)
  search-docs-OUT-N.data,          each search shard's documents and index (search.py)
  pagefind-OUT-*/
  built-OUT.data, output-OUT.data, snapshot-OUT.data     what the output holds (write.py, fresh.py)
  templates/                       compiled templates, sealed (render.py)
  photo and QR files               named by the hash of their inputs (images.py, qr.py)
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import hmac
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any, Callable

import msgpack

VERSION = 2         # of every file: change it when what a file holds is written otherwise


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


class NotData(ValueError):
    """What a file of the cache holds is not what pack() writes: the file is ignored, made again."""


DATE = 1            # the ext type of a date: its ordinal, 4 bytes
AGAIN = 2           # of the mark of a record met before in the same value (a map of one key, it → its number)
_FIRST_RECORD = 16  # the ext types from here on mark a record (a map of one key, that mark → its fields, its number)


class _Record:
    """One class a cache file may hold, and how its values are written and made again."""

    def __init__(self, code: int, cls: type, fields: Callable[[Any], list], make: Callable[[Any], Any]):
        self.cls, self.fields, self.make = cls, fields, make
        self.mark = msgpack.ExtType(code, b"")


def _dataclass(code: int, cls: type) -> _Record:
    names = tuple(f.name for f in dataclasses.fields(cls))
    new = object.__new__

    def make(values):           # (the checks of __init__ ran when they were made; zip() leaves the number)
        record = new(cls)
        record.__dict__.update(zip(names, values))
        return record
    return _Record(code, cls, lambda record: [getattr(record, name) for name in names], make)


@functools.cache
def _records() -> tuple[dict[type, _Record], dict[int, _Record], str]:
    """Every class a cache file may hold besides plain data: problems, parsed YAML, the site's
    records (the frozen dataclasses of model.py), routes; by class and by ext type; and a digest
    of their fields, part of every file's version (a record with other fields is made again)."""
    from ..errors import Problem
    from ..pages.routes import Route
    from ..site import load, model
    classes = [Problem, load.Media, load.Source] + sorted(
        (value for value in vars(model).values() if dataclasses.is_dataclass(value) and isinstance(value, type)
         and value.__module__ == model.__name__), key=lambda cls: cls.__name__)
    records = [_dataclass(_FIRST_RECORD + n, cls) for n, cls in enumerate(classes)]
    code = _FIRST_RECORD + len(records)

    def map_(values):
        found = load.Map(values[0])
        found.update(values[1])
        found.key_marks, found.value_marks, found.raw = dict(values[2]), dict(values[3]), dict(values[4])
        return found

    def seq(values):
        found = load.Seq(values[0])
        found.extend(values[1])
        found.item_marks, found.raw = list(values[2]), list(values[3])
        return found
    records += [
        _Record(code, load.Map, lambda m: [m.mark, dict(m), m.key_marks, m.value_marks, m.raw], map_),
        _Record(code + 1, load.Seq, lambda s: [s.mark, list(s), s.item_marks, s.raw], seq),
        _Record(code + 2, Route, list, lambda values: tuple.__new__(Route, values[:-1]))]
    product = records[[record.cls for record in records].index(model.Product)]
    product.fields, product.make = model.Product.packed_fields, model.Product.packed
    shapes = repr([(r.cls.__qualname__, [f.name for f in dataclasses.fields(r.cls)] if dataclasses.is_dataclass(r.cls)
                    else r.cls._fields if r.cls is Route else "") for r in records])
    return ({r.cls: r for r in records}, {r.mark.code: r for r in records},
            hashlib.blake2b(shapes.encode(), digest_size=8).hexdigest())


class _Writer:
    """pack()'s way with what is not plain data: a tuple as an array, a date as its ordinal, a
    record as a map of one key, its mark, to its fields and its number; a record met again
    within the value as its number (a product's events share their decisions). Anything else
    cannot be kept."""

    def __init__(self):
        self.numbers: dict[int, int] = {}      # id() of each record written → its number

    def default(self, value: Any) -> Any:
        kind = type(value)
        if kind is tuple:
            return list(value)
        if kind is date:
            return msgpack.ExtType(DATE, value.toordinal().to_bytes(4, "little"))
        record = _records()[0].get(kind)
        if record is None:
            raise TypeError(f"a {kind.__qualname__} cannot be kept in the cache")
        number = self.numbers.get(id(value))        # (every record of the value lives while it is written)
        if number is not None:
            return {_AGAIN: number}
        number = self.numbers[id(value)] = len(self.numbers)
        return {record.mark: [*record.fields(value), number]}


_AGAIN = msgpack.ExtType(AGAIN, b"")


class _Reader:
    """What _Writer wrote, made again: each record once, by its number."""

    def __init__(self):
        self.made: dict[int, Any] = {}

    @staticmethod
    def ext(code: int, data: bytes) -> Any:
        if code == DATE:
            return date.fromordinal(int.from_bytes(data, "little"))
        if code == AGAIN:
            return _AGAIN
        try:
            return _records()[1][code]
        except KeyError:
            raise NotData(f"ext type {code}") from None

    def object(self, found: dict) -> Any:
        if len(found) == 1:
            for key, value in found.items():
                if type(key) is _Record:
                    record = self.made[value[-1]] = key.make(value)
                    return record
                if key is _AGAIN:
                    return self.made[value]
        return found


def pack(value: Any) -> bytes:
    """A value as plain data (MessagePack): None, booleans, numbers, strings, bytes, tuples and
    lists (both read back as tuples), dicts, dates and the records of _records()."""
    return msgpack.packb(value, default=_Writer().default, strict_types=True, use_bin_type=True)


def _unpacker(file=None) -> msgpack.Unpacker:
    reader = _Reader()
    return msgpack.Unpacker(file, ext_hook=reader.ext, object_hook=reader.object, use_list=False, raw=False,
                            strict_map_key=False, max_buffer_size=2**31 - 1)


def unpack(data: bytes) -> Any:
    """The value pack() made these bytes of, or NotData."""
    reader = _Reader()
    try:
        return msgpack.unpackb(data, ext_hook=reader.ext, object_hook=reader.object, use_list=False, raw=False,
                               strict_map_key=False)
    except NotData:
        raise
    except Exception as error:      # (malformed bytes: MessagePack's own errors, a record's fields)
        raise NotData(f"{type(error).__name__}: {error}") from error


def read_values(file, count: int = 1) -> list:
    """The first `count` values write_values() wrote into a file (binary, open), or NotData."""
    unpacker = _unpacker(file)
    try:
        return [unpacker.unpack() for _ in range(count)]
    except NotData:
        raise
    except Exception as error:
        raise NotData(f"{type(error).__name__}: {error}") from error


def write_values(path: Path, *values) -> None:
    """Values into a file of the build's cache, complete or not at all (two processes writing the
    same file each write their own part, and the last one's is kept)."""
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        with part.open("wb") as f:
            for value in values:
                f.write(pack(value))
        os.replace(part, path)
    except BaseException:           # a full disk, Ctrl-C: no part is left behind
        part.unlink(missing_ok=True)
        raise


def write_versioned(path: Path, version: object, value: object, *more) -> None:
    """A value that read_versioned(path, version) gives back, under the cache's VERSION, the
    records' fields and the file's own version; `more` values after it (read_values)."""
    write_values(path, ((VERSION, _records()[2], version), value), *more)


def read_versioned(path: Path, version: object) -> dict:
    """The dict write_versioned(path, version, it) wrote; empty when the file is missing,
    unreadable, of another version (the cache's, the records' or the file's own) or not data."""
    try:
        with path.open("rb") as f:
            (found, value), = read_values(f)
        return value if found == unpack(pack((VERSION, _records()[2], version))) else {}    # (as read back)
    except Exception:
        return {}


class Memo:
    """Values made from files' texts, by a key of the text, kept in a file of the cache between
    builds: a rebuild makes again only those of the files that changed. The file is the build's
    own (never content's); none yet, unreadable or of another version, and every value is made."""

    UNSAVED = 20        # changed values that do not make its file be written again (few=)
    read: dict[Path, tuple[tuple, dict]] = {}   # each file read: (its inode, size, time, version), what it held
    writing: dict[Path, int] = {}       # each file a forked process is writing (save_apart): its pid

    def __init__(self, path: Path | None, version: object, few: int | None = None, keep: bool = True):
        """`few`: how many changed values (or 1% of them, if more) do not make the file be
        written again (save()); 0 for values that cost more to make again than to write.
        `keep=False`: the file is read, never written."""
        self.path, self.version, self.keep = path, version, keep
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
            cls.read[path] = (seen, read_versioned(path, version))
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
            write_versioned(self.path, self.version, self.new)

    @classmethod
    def save_apart(cls, memos: list[Memo]) -> None:
        """Saves the memos from a forked process while this one goes on (at 20,000 products, half a
        second of writing off a cold build's serial start). This process reads one of those files
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
