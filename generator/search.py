"""The search index: Pagefind, run on small search documents while the pages are rendered.

The products are split into shards of about PRODUCTS_A_SHARD (by a hash of their id, so a
product stays in its shard); free pages and news go to the first. Each shard is a Pagefind
index of its own, with one index per language inside, kept in the cache under the key of what
went into it: a rebuild indexes again only the shards whose searchable text changed. The
browser loads the first index and merges the others into it (search.js, `data-shards`).
A shard's documents are kept in the cache too, each under its product's key (depends.py), so
that indexing a shard again after an edit renders only the edited product's documents.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OcopError
from .fresh import read_pickle, write_pickle
from .write import Output, files_under

if TYPE_CHECKING:
    from .depends import Keys
    from .routes import Route

PRODUCTS_A_SHARD = 2000      # an edit indexes this many products again; a search loads one index a shard
SEARCHABLE = ("product", "page", "news")
MERGED_FILES = ("pagefind-entry.json", ".pf_meta")      # what a merged shard needs besides its chunks
STORE_VERSION = 1       # of the files that keep each shard's documents


def shard_of(route: Route, count: int) -> int:
    if route.kind != "product":
        return 0
    return int.from_bytes(hashlib.blake2b(route.key.encode(), digest_size=4).digest(), "big") % count


def shards(routes: list[Route], products: int) -> list[list[Route]]:
    """The searchable pages in shards, leaving out shards that would be empty."""
    count = max(1, -(-products // PRODUCTS_A_SHARD))
    found: list[list[Route]] = [[] for _ in range(count)]
    for route in routes:
        if route.kind in SEARCHABLE:
            found[shard_of(route, count)].append(route)
    return [shard for shard in found if shard]


def bundle(position: int) -> str:
    """Where a shard's index is published: the first, that the page loads, and the ones merged into it."""
    return "pagefind/" if position == 0 else f"pagefind-{position + 1}/"


class SearchIndex:
    """The shards still to index: their documents are written by the page workers (`jobs`),
    then `start()` runs Pagefind on them, one shard at a time in a thread, while the pages are
    rendered; `finish()` waits and copies every shard into the output."""

    def __init__(self, out: Output, groups: list[list[Route]], keys: Keys):
        """`groups`: the searchable pages, shard by shard (shards())."""
        self.out = out
        prefix = f"pagefind-{out.dest.name}-"         # each output folder beside the cache has its own
        self.shards = [out.cache / f"{prefix}{keys.search(group)}" for group in groups]
        current = {*self.shards, *(index.with_name(index.name + ".part") for index in self.shards)}
        self.stale = [old for old in out.cache.glob(f"{prefix}*") if old not in current]   # removed by _run_pagefind
        self.stores = [out.cache / f"search-docs-{out.dest.name}-{n}.pickle" for n in range(len(groups))]
        for old in out.cache.glob(f"search-docs-{out.dest.name}-*.pickle"):
            if old not in self.stores:
                old.unlink(missing_ok=True)
        self.todo: list[tuple] = []     # (documents folder, index, store, {document: key}, {document: kept bytes}, shard)
        self.jobs: list[tuple] = []                       # ("search", route, document, None)
        self.errors: list[str] = []
        self.process: subprocess.Popen | None = None
        self.stopped = False
        self.thread: threading.Thread | None = None
        temp = _scratch(sum(len(group) for group, index in zip(groups, self.shards) if not index.is_dir()))
        self.in_memory = temp is not None and not out.fresh     # an index made there, then linked (_assemble)
        for position, (group, index, store) in enumerate(zip(groups, self.shards, self.stores)):
            if index.is_dir():
                continue
            docs = Path(tempfile.mkdtemp(prefix="ocop-search-", dir=temp))
            stored = read_pickle(store, STORE_VERSION)     # document → (key, bytes)
            made = {route.output: keys.page(route) for route in group}     # None: always rendered
            kept = {doc: stored[doc][1] for doc, key in made.items() if key and stored.get(doc, ("",))[0] == key}
            self.jobs += [("search", route, str(docs / route.output), None) for route in group
                          if route.output not in kept]
            self.todo.append((docs, index, store, made, kept, position))

    def start(self) -> None:
        self.thread = threading.Thread(target=self._index, daemon=True)
        self.thread.start()

    def _index(self) -> None:
        try:
            self._run_pagefind()
        except Exception as e:          # reported by finish(), in the build's own words
            self.errors.append(str(e))

    def _run_pagefind(self) -> None:
        for docs, index, store, made, kept, position in self.todo:
            if self.stopped:
                return
            part = index.with_name(index.name + ".part")     # renamed when complete: never used half made
            shutil.rmtree(part, ignore_errors=True)
            made_in = docs / ".index" if self.in_memory else part
            docs = _in_order(docs, made, kept)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pagefind", "--site", str(docs), "--output-path", str(made_in), "--silent"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self._drop_stale()          # while Pagefind runs
            if len(kept) < sum(1 for key in made.values() if key):
                documents = {doc: (key, kept[doc] if doc in kept else (docs / doc).read_bytes())
                             for doc, key in made.items() if key}
                with contextlib.suppress(OSError):      # only saves work; Pagefind reports a full disk
                    write_pickle(store, (STORE_VERSION, documents))
            output = self.process.communicate()[0]
            if self.process.returncode != 0:
                shutil.rmtree(part, ignore_errors=True)
                if not self.stopped:
                    self.errors.append(output.strip()[-500:])
                return
            # Pagefind lists the languages in hash-map order; sorted, two builds are byte-identical
            # (its filter indexes vary the same way, so the theme filters by page metadata instead)
            entry = made_in / "pagefind-entry.json"
            data = json.loads(entry.read_text(encoding="utf-8"))
            data["languages"] = dict(sorted(data["languages"].items()))
            entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            if made_in != part:
                _assemble(made_in, part, self.out.dest / bundle(position))
            if index.is_dir():          # made meanwhile by another build of the same site
                shutil.rmtree(part, ignore_errors=True)
            else:
                os.replace(part, index)
        self._drop_stale()

    def _drop_stale(self) -> None:
        """Removes the shards of earlier versions of the site, and any left half made."""
        while self.stale:
            shutil.rmtree(self.stale.pop(), ignore_errors=True)

    def stop(self) -> None:
        """Stops indexing (the build failed): nothing half-made is left in the cache."""
        self.stopped = True
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.thread is not None:
            self.thread.join()
        for _, index, *_ in self.todo:
            shutil.rmtree(index.with_name(index.name + ".part"), ignore_errors=True)
        self._clean()

    def finish(self) -> None:
        if self.thread is None:
            self.start()
        self.thread.join()
        self._clean()
        if self.errors:
            raise OcopError(f"the search index could not be built: {self.errors[0]}")
        for shard, index in enumerate(self.shards):
            for rel in sorted(files_under(index)):
                if shard and "/" not in rel and not rel.endswith(MERGED_FILES):
                    continue                # merged shards need no script or styles of their own
                target = bundle(shard) + rel
                key = rel if "/" in rel else ""     # fragments and index chunks: named by the hash of their content
                if not self.out.keep(target, key):
                    self.out.copy(target, index / rel, key, link=True)

    def _clean(self) -> None:
        for docs, *_ in self.todo:
            shutil.rmtree(docs, ignore_errors=True)


def _scratch(documents: int) -> Path | None:
    """Where the search documents live for the few seconds they are needed: in memory
    (/dev/shm) when it has room for them and a shard's index, else the system's temporary
    folder (containers often give /dev/shm 64 MB; Pagefind may then number the pages in
    another order, see _in_order). Folders left there by a build that was killed a day ago
    or more are removed."""
    shm = Path("/dev/shm")
    for left in Path(tempfile.gettempdir()).glob("ocop-search-*"), shm.glob("ocop-search-*"):
        for folder in left:
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > 24 * 3600:
                    shutil.rmtree(folder, ignore_errors=True)
    try:
        free = os.statvfs(shm)
    except OSError:
        return None
    room = free.f_bavail * free.f_frsize
    return shm if os.access(shm, os.W_OK) and room >= documents * 16 * 1024 + 64 * 1024 * 1024 else None


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


def _in_order(docs: Path, files, kept: dict[str, bytes]) -> Path:
    """A new folder with the documents in sorted order: those `kept` from the store, the rest
    moved from `docs`. Pagefind numbers pages in the order it lists folders, which is the order
    their entries were made (on tmpfs; ext4 lists large folders by a hash of the names), while the
    page workers write documents in whatever order they finish them: so that two builds give the
    same index, byte for byte."""
    ordered = docs / ".sorted"
    for rel in sorted(files):
        target = ordered / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in kept:
            target.write_bytes(kept[rel])
        else:
            os.replace(docs / rel, target)
    return ordered
