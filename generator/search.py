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

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import OcopError
from .fresh import write_pickle
from .write import Output, files_under

if TYPE_CHECKING:
    from .depends import Keys
    from .routes import Route

PRODUCTS_A_SHARD = 2000      # an edit indexes this many products again; a search loads one index a shard
SEARCHABLE = ("product", "page", "news")
MERGED_FILES = ("pagefind-entry.json", ".pf_meta")      # what a merged shard needs besides its chunks


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
        for old in out.cache.glob(f"{prefix}*"):          # of earlier versions of the site, or half made
            if old not in self.shards:
                shutil.rmtree(old, ignore_errors=True)
        self.stores = [out.cache / f"search-docs-{out.dest.name}-{n}.pickle" for n in range(len(groups))]
        for old in out.cache.glob(f"search-docs-{out.dest.name}-*.pickle"):
            if old not in self.stores:
                old.unlink(missing_ok=True)
        self.todo: list[tuple[Path, Path, Path, dict]] = []   # (documents, index, store, {document: key})
        self.jobs: list[tuple] = []                       # ("search", route, document, None)
        self.errors: list[str] = []
        self.process: subprocess.Popen | None = None
        self.stopped = False
        self.thread: threading.Thread | None = None
        shm = Path("/dev/shm")          # in memory where the system has it: these files live a few seconds
        temp = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
        for group, index, store in zip(groups, self.shards, self.stores):
            if index.is_dir():
                continue
            docs = Path(tempfile.mkdtemp(prefix="ocop-search-", dir=temp))
            kept = _read_store(store)
            made = {route.output: keys.page(route) for route in group}     # None: always rendered
            for route in group:
                key, (old_key, data) = made[route.output], kept.get(route.output, (None, b""))
                if key is not None and key == old_key:
                    target = docs / route.output
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                else:
                    self.jobs.append(("search", route, str(docs / route.output), None))
            self.todo.append((docs, index, store, made))

    def start(self) -> None:
        self.thread = threading.Thread(target=self._index, daemon=True)
        self.thread.start()

    def _index(self) -> None:
        try:
            self._run_pagefind()
        except Exception as e:          # reported by finish(), in the build's own words
            self.errors.append(str(e))

    def _run_pagefind(self) -> None:
        for docs, index, store, made in self.todo:
            if self.stopped:
                return
            part = index.with_name(index.name + ".part")     # renamed when complete: never used half made
            shutil.rmtree(part, ignore_errors=True)
            docs = _in_order(docs, made)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pagefind", "--site", str(docs), "--output-path", str(part), "--silent"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            output = self.process.communicate()[0]
            if self.process.returncode != 0:
                shutil.rmtree(part, ignore_errors=True)
                if not self.stopped:
                    self.errors.append(output.strip()[-500:])
                return
            # Pagefind lists the languages in hash-map order; sorted, two builds are byte-identical
            # (its filter indexes vary the same way, so the theme filters by page metadata instead)
            entry = part / "pagefind-entry.json"
            data = json.loads(entry.read_text(encoding="utf-8"))
            data["languages"] = dict(sorted(data["languages"].items()))
            entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            if index.is_dir():          # made meanwhile by another build of the same site
                shutil.rmtree(part, ignore_errors=True)
            else:
                os.replace(part, index)
            write_pickle(store, {doc: (key, (docs / doc).read_bytes()) for doc, key in made.items() if key})

    def stop(self) -> None:
        """Stops indexing (the build failed): nothing half-made is left in the cache."""
        self.stopped = True
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.thread is not None:
            self.thread.join()
        for _, index, _, _ in self.todo:
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
        for docs, _, _, _ in self.todo:
            shutil.rmtree(docs, ignore_errors=True)


def _in_order(docs: Path, files) -> Path:
    """The documents moved into a new folder, in sorted order. Pagefind numbers pages in the order
    it lists folders, which is the order their entries were made (on tmpfs; ext4 lists large
    folders by a hash of the names), while the page workers write documents in whatever order they
    finish them: so that two builds give the same index, byte for byte."""
    ordered = docs / ".sorted"
    for rel in sorted(files):
        target = ordered / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(docs / rel, target)
    return ordered


def _read_store(path: Path) -> dict[str, tuple[str, bytes]]:
    """The documents a shard had: the build's own file (never content's); none when unreadable."""
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:
        return {}

