"""The search index: Pagefind, run on small search documents while the pages are rendered.

Each language's documents are split into shards of about PRODUCTS_A_SHARD products (by a hash
of their id, so a product stays in its shard); free pages and news go to the language's first.
Each shard is a Pagefind index of its own, kept in the cache under the hash of its documents: a
rebuild indexes again only the shards whose searchable text changed, and an edit of one
language's text only that language's. A language's search page loads its first shard's index
and merges the language's others into it (search.js, `data-more`).
A shard's documents are kept in the cache too, each under its product's key (depends.py), so
that indexing a shard again after an edit renders only the edited product's documents.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import gzip
import hashlib
import json
import os
import pickle
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cbor2

from ..pages.depends import digest
from ..pages.kinds import SEARCH
from ..errors import OcopError, tr
from ..output.cache import read_values, read_versioned, seal, unpack, unseal, write_values, write_versioned
from ..output.fresh import files_under
from ..output.write import Output

if TYPE_CHECKING:
    from ..pages.depends import Keys
    from ..pages.render import Renderer
    from ..pages.routes import Route

# the program that writes a shard's documents in sorted order, then becomes Pagefind
WRITE_THEN_INDEX = Path(__file__).with_name("write_then_index.py")
EDITED = 100    # documents an edit changed: made by the build's own process, and indexed at once
PRODUCTS_A_SHARD = 2000      # an edit indexes this many products' documents again; a search loads one index a shard
SEARCHABLE = ("product", "page", "news")
MERGED_FILES = ("pagefind-entry.json", ".pf_meta")      # what a merged shard needs besides its chunks
STORE_VERSION = 2       # of the files that keep each shard's documents
# Pagefind's allocator (jemalloc) in huge pages where the system gives them on request (madvise,
# the usual setting): indexing a shard of 2,000 documents took 127,000 page faults, and takes
# 6,000 (an allocator's option never changes what a program writes; a setting of the user's is kept)
PAGEFIND_MALLOC = {"_RJEM_MALLOC_CONF": "thp:always,metadata_thp:always"}


def shard_of(route: Route, count: int) -> int:
    if route.kind != "product":
        return 0
    return int.from_bytes(hashlib.blake2b(route.key.encode(), digest_size=4).digest(), "big") % count


def shards(routes: list[Route], products: int) -> list[list[Route]]:
    """The searchable pages in shards: each language's apart (a search loads its own language's
    only, and an edit of one language's text indexes that language's shard only), split by
    product; the shards of one language follow each other, and empty ones are left out."""
    count = max(1, -(-products // PRODUCTS_A_SHARD))
    found: dict[str, list[list[Route]]] = {}
    where: dict[tuple[str, str], int] = {}      # a page's shard, the same in every language
    for route in routes:
        if route.kind in SEARCHABLE:
            if (route.kind, route.key) not in where:
                where[route.kind, route.key] = shard_of(route, count)
            if route.lang not in found:
                found[route.lang] = [[] for _ in range(count)]
            found[route.lang][where[route.kind, route.key]].append(route)
    return [shard for groups in found.values() for shard in groups if shard]


def leads(groups: list[list[Route]]) -> list[int]:
    """The position of each language's first shard: the bundle its search page loads Pagefind
    from, and merges the language's other shards into."""
    return [i for i, group in enumerate(groups) if i == 0 or group[0].lang != groups[i - 1][0].lang]


def bundle(position: int) -> str:
    """Where a shard's index is published: `pagefind/` for the first, `pagefind-2/` and so on after it."""
    return "pagefind/" if position == 0 else f"pagefind-{position + 1}/"


@dataclass
class Task:
    """A shard to index again."""
    position: int
    group: list[Route]
    pages: str                      # the key of its pages (Keys.search)
    store: Path                     # where its documents are kept
    old: Path | None                # the index the store names
    made: dict[str, str | None]     # document → its page's key (None: always rendered)
    kept: dict[str, bytes]          # the documents the store has under the same key
    docs: Path | None = None        # where the page workers write the others
    needs: int = 0                  # how many of the index's `jobs` are made once this shard's are


class SearchIndex:
    """The shards still to index: their documents are written by the page workers (`jobs`);
    as each shard's are (`documents()`), a thread runs Pagefind on it, two shards at a time,
    while the pages are rendered, and links every shard into the output; `finish()` waits for
    it. A shard's index is kept in the cache under the hash of its documents: an edit that
    leaves them as they were (a price, a photo, a decision that keeps the stars, most of the
    theme) needs no indexing."""

    def __init__(self, out: Output, groups: list[list[Route]], keys: Keys):
        """`groups`: the searchable pages, shard by shard (shards())."""
        self.out = out
        self.leads = set(leads(groups))
        self.prefix = f"pagefind-{out.dest.name}-"         # each output folder beside the cache has its own
        self.generator = keys.generator
        stores = [out.cache / f"search-docs-{out.dest.name}-{n}.data" for n in range(len(groups))]
        ours = re.compile(re.escape(f"search-docs-{out.dest.name}-") + r"\d+\.data")     # not those of "out-2"
        self.gone = [old for old in out.cache.glob(f"search-docs-{out.dest.name}-*.data")     # removed by begin()
                     if ours.fullmatch(old.name) and old not in stores]
        self.shards: list[Path | None] = []     # each shard's index in the cache (None: still to make)
        self.todo: list[Task] = []
        named: set[Path] = set()
        for position, (group, store) in enumerate(zip(groups, stores)):
            known = read_versioned(store, STORE_VERSION)       # {"pages": key, "index": name}
            index = out.cache / f"{self.prefix}{known['index']}" if known else None
            named.add(index)
            pages = keys.search(group)
            if index and known["pages"] == pages and index.is_dir() and _intact(index):
                self.shards.append(index)
                continue
            self.shards.append(None)
            made = {route.output: keys.search_document(route) for route in group}
            documents = _stored_documents(store) if known else {}
            kept = {doc: documents[doc][1] for doc, key in made.items() if key and documents.get(doc, ("",))[0] == key}
            self.todo.append(Task(position, group, pages, store, index, made, kept))
        ours = re.compile(re.escape(self.prefix) + r"[0-9a-f]{32}(\.part)?")
        self.stale = [old for old in out.cache.glob(f"{self.prefix}*")                  # removed by _run_pagefind
                      if ours.fullmatch(old.name) and old not in named]
        self.errors: list[str] = []
        self.published: list[Output] = []      # what _publish() linked into the output
        self.others = set(range(len(self.shards))) - {task.position for task in self.todo}    # not indexed again
        self.claim = threading.Lock()       # the others are linked by whichever thread is first free
        self.processes: list[subprocess.Popen] = []
        self.at_once = min(2, os.cpu_count() or 1)      # Pagefinds running together (a shard of each language)
        self.stopped = False
        self.thread: threading.Thread | None = None
        self.ready = threading.Event()      # set once the output knows its previous files (Output.look)
        self.in_memory = False      # an index made in memory, then linked (_assemble): set by begin()
        self.jobs: list[tuple] = []                       # ("search", route, its shard's folder, None)
        self.done = 0                       # of `jobs`, in their order (`documents()`)
        self.progress = threading.Condition()

    def begin(self, renderer: Renderer) -> None:
        """Sets to work: the stores of shards no longer there removed, a folder for the documents
        of each shard to index, the jobs that make them listed. An edit's few documents are made
        here and indexed at once, while the rest of the build goes on; more are left to the page
        workers (`jobs`), and produce() tells the indexer as they are made (`documents()`)."""
        for old in self.gone:
            old.unlink(missing_ok=True)
        temp = _scratch(sum(len(task.made) for task in self.todo))
        self.in_memory = temp is not None and not self.out.fresh
        for task in self.todo:
            task.docs = Path(tempfile.mkdtemp(prefix=f"ocop-search-{os.getpid()}-", dir=temp))   # (whose: by its process)
            self.jobs += [("search", route, str(task.docs), None) for route in task.group
                          if route.output not in task.kept]
            task.needs = len(self.jobs)
        if len(self.jobs) <= EDITED:
            write_documents(renderer, self.jobs)
            self.documents(len(self.jobs))
            self.jobs = []

    def documents(self, written: int) -> None:
        """The first `written` of `jobs` are made (in their order): the shards whose documents all
        are can be indexed, while the page workers go on."""
        with self.progress:
            self.done = max(self.done, written)
            self.progress.notify_all()
        if self.thread is None:
            self.thread = threading.Thread(target=self._index, daemon=True)
            self.thread.start()

    def _index(self) -> None:
        try:
            self._run_pagefind()
            if not self.errors and not self.stopped:
                self._clean()
                self.ready.wait()
                self._publish({task.position for task in self.todo} | self._others())
        except Exception as e:          # reported by finish(), in the build's own words
            self.errors.append(str(e))

    def _run_pagefind(self) -> None:
        running: list[tuple] = []       # indexes being made: at most `at_once`, finished in order
        try:
            for task in self.todo:
                with self.progress:
                    self.progress.wait_for(lambda: self.done >= task.needs or self.stopped)
                if self.stopped:
                    return
                written: dict[str, bytes] = {}
                for batch in task.docs.glob("*.docs"):
                    written.update(unpack(batch.read_bytes()))
                documents = {doc: task.kept[doc] if doc in task.kept else written[doc] for doc in sorted(task.made)}
                # named by what it is made from: the documents, Pagefind's version and this code
                index = self.out.cache / f"{self.prefix}{digest(self.generator, documents)}"
                self.shards[task.position] = index
                if task.old and task.old != index:
                    self.stale.append(task.old)
                part = index.with_name(index.name + ".part")     # renamed when complete: never used half made
                self.stale = [old for old in self.stale if old not in (index, part)]
                made_in = task.docs / ".index" if self.in_memory else part
                if index.is_dir() and not _intact(index):      # changed since it was made: made again
                    shutil.rmtree(index, ignore_errors=True)
                if not index.is_dir():
                    shutil.rmtree(part, ignore_errors=True)
                    docs = task.docs / ".sorted"
                    process = subprocess.Popen(
                        [sys.executable, "-I", "-S", str(WRITE_THEN_INDEX),
                         pagefind_program(), "--site", str(docs), "--output-path", str(made_in), "--silent"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        env=PAGEFIND_MALLOC | os.environ)
                    self.processes.append(process)
                    running.append((process, task, made_in, part, index))
                    with contextlib.suppress(BrokenPipeError), process.stdin:     # (it says why it stopped)
                        process.stdin.write(pickle.dumps((str(docs), sorted(documents.items())), protocol=5))
                self._drop_stale()          # while Pagefind runs
                header = {"pages": task.pages, "index": index.name.removeprefix(self.prefix)}
                with contextlib.suppress(OSError):      # only saves work; Pagefind reports a full disk
                    write_versioned(task.store, STORE_VERSION, header,
                                    {doc: (key, documents[doc]) for doc, key in task.made.items() if key})
                if len(running) >= self.at_once and not self._finish_index(*running.pop(0)):
                    return
            while running:
                if not self._finish_index(*running.pop(0)):
                    return
            self._drop_stale()
        finally:
            for process, _, _, part, _ in running:      # after a failure: stopped, nothing half made kept
                process.kill()
                process.wait()
                shutil.rmtree(part, ignore_errors=True)

    def _finish_index(self, process: subprocess.Popen, task: Task, made_in: Path, part: Path, index: Path) -> bool:
        """Waits for Pagefind to make a shard's index, then puts the index in the cache; False if it failed."""
        output = process.stdout.read().decode(errors="replace")
        if process.wait() != 0:
            shutil.rmtree(part, ignore_errors=True)
            if not self.stopped:
                self.errors.append(output.strip()[-500:])
            return False
        sort_index(made_in)
        if made_in != part:
            _assemble(made_in, part, self.out.dest / bundle(task.position))
        os.replace(part, index)
        _record_intact(index)
        return True

    def _drop_stale(self) -> None:
        """Removes the shards of earlier versions of the site, and any left half made."""
        while self.stale:
            old = self.stale.pop()
            shutil.rmtree(old, ignore_errors=True)
            _intact_record(old).unlink(missing_ok=True)

    def stop(self) -> None:
        """Stops indexing (the build failed): nothing half-made is left in the cache."""
        self.stopped = True
        self.ready.set()
        with self.progress:
            self.progress.notify_all()
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        if self.thread is not None:
            self.thread.join()
        for index in self.shards:
            if index:
                shutil.rmtree(index.with_name(index.name + ".part"), ignore_errors=True)
        self._clean()

    def _publish(self, shards: set[int]) -> None:
        """Links these shards' files into the output, from the indexing thread while the pages are
        still being made, or from finish() while Pagefind still runs: through a copy of the output
        that keeps its own list of what it wrote, merged by finish()."""
        out = copy.copy(self.out)
        out.written, out.staged, out.manifest = set(), set(), {}
        self.published.append(out)
        for shard in sorted(shards):
            index = self.shards[shard]
            if self.stopped:
                return
            files = {bundle(shard) + rel: rel for rel in files_under(index)             # merged shards need
                     if shard in self.leads or "/" in rel or rel.endswith(MERGED_FILES)}    # no script of their own
            # fragments and index chunks (in folders) are named by the hash of their content
            kept = out.keep_named([target for target, rel in files.items() if "/" in rel])
            for target, rel in files.items():
                if target not in kept:
                    out.copy(target, index / rel, link=True)

    def _others(self) -> set[int]:
        with self.claim:
            others, self.others = self.others, set()
        return others

    def finish(self) -> None:
        self.documents(len(self.jobs))
        if self.thread.is_alive():      # still indexing: the shards not indexed again are linked meanwhile
            try:
                self._publish(self._others())
            except BaseException:       # (a full disk, Ctrl-C) the indexer stops before the output is cleaned up
                self.stop()
                raise
        self.thread.join()
        self._clean()
        if self.errors:
            raise OcopError(tr("the search index could not be built: {value}", value=self.errors[0]))
        for out in self.published:
            self.out.merge(out.written, out.staged, out.manifest)

    def _clean(self) -> None:
        for task in self.todo:
            shutil.rmtree(task.docs, ignore_errors=True)


def sort_index(index: Path) -> None:
    """Makes an index Pagefind made the same, byte for byte, as it makes for the same documents
    again: it lists the languages, and each filter's values, in hash-map order. The values are
    sorted, each filter's file named after its new content as Pagefind names it (the language and
    a hash), and so is the metadata file that names them, which the entry file names."""
    entry = index / "pagefind-entry.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    for lang, language in data["languages"].items():
        meta_path = index / f"pagefind.{language['hash']}.pf_meta"
        meta = _read_pf(meta_path)
        for chunk in meta[3]:           # [filter, the name of its file]
            path = index / "filter" / f"{chunk[1]}.pf_filter"
            name, values = _read_pf(path)
            path.unlink()
            chunk[1] = _write_pf(index / "filter", lang, 7, ".pf_filter", [name, sorted(values)])
        meta[3].sort()
        meta_path.unlink()
        language["hash"] = _write_pf(index, lang, 10, ".pf_meta", meta, prefix="pagefind.")
    data["languages"] = dict(sorted(data["languages"].items()))
    entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


PF_SIGNATURE = b"pagefind_dcd"      # what each of Pagefind's gzipped CBOR files begins with


def _read_pf(path: Path):
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(PF_SIGNATURE):
        raise OcopError(tr("Pagefind wrote {path_name} in a form this version does not know", path_name=path.name))
    return cbor2.loads(data[len(PF_SIGNATURE):])


def _write_pf(folder: Path, lang: str, digits: int, suffix: str, value, prefix: str = "") -> str:
    """Writes a value as Pagefind does, named after its content; returns the name."""
    data = gzip.compress(PF_SIGNATURE + cbor2.dumps(value), mtime=0)
    name = f"{lang}_{hashlib.blake2b(data, digest_size=8).hexdigest()[:digits]}"
    (folder / f"{prefix}{name}{suffix}").write_bytes(data)
    return name


@functools.cache
def pagefind_program() -> str:
    """Pagefind's program, found as `python -m pagefind` finds it (PAGEFIND_BINARY_PATH, the
    extended build, the plain one, the PATH), and started directly: a Python less for each shard."""
    from pagefind.service import get_executable
    found = get_executable()
    if found is None:
        raise OcopError(tr("Pagefind's program is not installed: pip install 'pagefind[extended]'"))
    return str(found)


def write_documents(renderer: Renderer, jobs: list[tuple]) -> None:
    """Pages' search documents, for the indexer, not the site: one file of them for each shard
    the jobs are of, in its folder (a file for each document costs more to make, read and remove)."""
    batches: dict[str, dict[str, bytes]] = {}
    for _, route, folder, _ in jobs:
        batches.setdefault(folder, {})[route.output] = renderer.render(route, SEARCH)
    for folder, documents in batches.items():       # named by its first document: one chunk has it
        name = hashlib.blake2b(min(documents).encode(), digest_size=16).hexdigest()
        write_values(Path(folder) / f"{name}.docs", documents)


def _scratch(documents: int) -> Path | None:
    """Where the search documents live for the few seconds they are needed: in memory
    (/dev/shm) when it has room for them and a shard's index, else the system's temporary
    folder (containers often give /dev/shm 64 MB; Pagefind may then number the pages in
    another order, see write_then_index.py). Folders left there by a build that was killed a day ago
    or more are removed."""
    shm = Path("/dev/shm")
    for left in Path(tempfile.gettempdir()).glob("ocop-search-*"), shm.glob("ocop-search-*"):
        for folder in left:
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > 24 * 3600:
                    shutil.rmtree(folder, ignore_errors=True)
    return memory_with_room(documents * 16 * 1024 + 64 * 1024 * 1024)


def memory_with_room(size: int) -> Path | None:
    """/dev/shm, when it is there, writable and has `size` bytes free: files made there cost a
    fraction of what they cost on a disk."""
    shm = Path("/dev/shm")
    try:
        free = os.statvfs(shm)
    except OSError:
        return None
    return shm if os.access(shm, os.W_OK) and free.f_bavail * free.f_frsize >= size else None


def _intact_record(index: Path) -> Path:
    return index.with_name(index.name + ".intact")


def _stats(index: Path) -> list[list]:
    """Each file of an index folder with its size and time (one stat a file, from its folder's listing)."""
    found, todo = [], [(str(index), "")]
    while todo:
        path, prefix = todo.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    info = entry.stat(follow_symlinks=False)
                    found.append([prefix + entry.name, info.st_size, info.st_mtime_ns, stat.S_ISREG(info.st_mode)])
    return sorted(found)


def _record_intact(index: Path) -> None:
    """What a shard's index in the cache is as Pagefind made it (each file's size and time), sealed
    by this machine (cache.seal): an index that differs, or that came from elsewhere, is made again."""
    with contextlib.suppress(OSError):
        _intact_record(index).write_bytes(seal(json.dumps(_stats(index)).encode()))


def _intact(index: Path) -> bool:
    try:
        record = unseal(_intact_record(index).read_bytes())
        return record is not None and json.loads(record) == _stats(index)
    except (OSError, ValueError):
        return False


def _assemble(made: Path, part: Path, published: Path) -> None:
    """Puts an index made in memory into the cache: the files named by the hash of their content
    (fragments, index chunks) that the output already has are linked from it, the rest copied.
    After an edit that is all but a few of a shard's 4,000 files, which Pagefind need not write
    to the disk."""
    folders: set[Path] = set()
    for rel in files_under(made):
        target = part / rel
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        if "/" in rel:
            try:
                if stat.S_ISREG(os.lstat(published / rel).st_mode):
                    os.link(published / rel, target)
                    continue
            except OSError:
                pass
        shutil.copyfile(made / rel, target)


def _stored_documents(store: Path) -> dict[str, tuple[str, bytes]]:
    """The documents a shard's store keeps after its header (read_versioned reads only that): document → (key, bytes)."""
    try:
        with store.open("rb") as f:
            return read_values(f, 2)[1]
    except Exception:
        return {}


