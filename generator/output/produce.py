"""Produce every file of the site from its routes and assets, across all cores.

The jobs (a page, a data file, a search document, a QR code, a photo size) are pure functions
of the site: a worker process, forked with the site, the routes and the renderer already in
memory, turns a chunk of jobs into files in the new output folder and reports what it wrote and
which internal links those pages need. Small sites are produced in this process: the bytes are
the same either way. A file whose key (depends.py) is the one its previous version was made
from is kept, not made again.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from ..assets import images, qr, search
from . import heap
from ..pages import exports
from ..pages.depends import Keys
from ..pages.kinds import KINDS
from ..pages.links import LinkCheck
from ..site.load import Memo
from ..site.model import Site
from ..pages.render import Renderer
from ..pages.routes import Route, Routes
from .write import Output

PARALLEL_FROM = 400        # jobs; below this, starting processes costs more than it saves
CHUNK = 100


@dataclass
class Work:
    """What every job needs: the output being written and the site being built."""

    out: Output
    site_dir: Path
    site: Site
    routes: Routes
    renderer: Renderer
    cache: Path
    keys: Keys
    lines: list | None = None       # each product's line of products.json and of products.csv

    def __post_init__(self):
        self.renderer.sources.lines = self.product_lines

    def jobs(self) -> list[tuple]:
        """The files still to make: (kind, what, output file or files, key); the previous output's
        files made from the same inputs are kept as they are. A product's pages, record and QR
        code are kept or made together, by its key; QR codes and photos are named by what went in."""
        own, page = self.keys.own_files, self.keys.page
        kept = self.out.keep_groups(own)
        made: dict[str, list[str]] = {}         # the files of each product made again
        grouped, others, keys = [], [], {}
        for route in self.routes.all:
            if KINDS[route.kind].own and route.key in own:
                if route.key not in kept:
                    made.setdefault(route.key, []).append(route.output)
                    grouped.append(route)
            else:
                keys[route.output] = page(route)
                others.append(route)
        codes = {}
        for name, files in made.items():       # with its QR code (the SVG and PNG from one encoding)
            path = qr.qr_path(self.renderer.verify_url(name))
            codes[name] = (f"{path}.svg", f"{path}.png")
            self.out.group(name, own[name], (*files, *codes[name]))
        every = [image for product in self.site.products for image in product.images] + [*self.site.figures.values()]
        photos = {variant.path: (image.file, variant) for image in every
                  for webp, jpeg in [images.variants(image.file, image.digest, image.width, image.height)]
                  for variant in (*webp, jpeg)}         # (a photo shown twice is made once)
        named = self.out.keep_named([rel for files in codes.values() for rel in files] + list(photos))
        kept_pages = self.out.keep_all(keys)
        jobs = [("page", route, route.output, "") for route in grouped]
        jobs += [("page", route, route.output, keys[route.output]) for route in others if route.output not in kept_pages]
        for product_id, files in codes.items():
            if left := tuple(rel for rel in files if rel not in named):
                jobs.append(("qr", product_id, left, None))
        return jobs + [("photo", what, rel, "") for rel, what in photos.items() if rel not in named]

    def run(self, job: tuple, links: LinkCheck) -> None:
        kind, what, output, key = job
        if kind == "page":
            data = self.make(what)
            if what.html:
                links.add(data, what.path, what.source)
            self.out.write(output, data, key)
        elif kind == "qr":
            modules = None
            for rel in output:
                cached = self.cache / rel           # named by what went in: never stale
                if cached.is_file():
                    self.out.copy(rel, cached, link=True)
                    continue
                modules = modules or qr.modules(self.renderer.verify_url(what))
                cached.parent.mkdir(parents=True, exist_ok=True)
                self.out.write(rel, qr.svg(modules) if rel.endswith(".svg") else qr.png(modules), cache=cached)
        else:
            file, variant = what
            self.out.write(output, images.encode(self.site_dir / "products" / file, variant, self.cache), key)

    def make(self, route: Route) -> bytes:
        """The bytes of a page or a file of data."""
        kind = KINDS[route.kind]
        if kind.make:
            sources = self.renderer.sources
            return kind.make(kind.inputs(sources, route), route, sources)
        return self.renderer.render(route)

    def product_lines(self) -> list[tuple[bytes, bytes]]:
        """Each product's line of products.json and of products.csv, kept by the product's key: an
        edit makes one product's again."""
        if self.lines is None:
            site, routes = self.site, self.routes
            memo = Memo(self.cache / f"data-lines-{self.out.dest.name}.data", self.keys.site_key)
            self.lines = [memo.get(self.keys.products[p.id], lambda p=p: exports.product_lines(site, routes, p))
                          for p in site.products]
            memo.save()
        return self.lines

    def chunk(self, jobs: list[tuple]) -> tuple[set[str], set[str], dict, dict]:
        """Runs jobs; returns what they wrote (files, staged files, manifest entries) and the links they need."""
        links = LinkCheck(self.routes.base_path)
        out = self.out
        before = out.written, out.staged, out.manifest
        out.written, out.staged, out.manifest = set(), set(), {}
        try:
            search.write_documents(self.renderer, [job for job in jobs if job[0] == "search"])
            for job in jobs:
                if job[0] != "search":
                    self.run(job, links)
            return out.written, out.staged, out.manifest, links.needed
        finally:
            out.written, out.staged, out.manifest = before


_WORK: Work | None = None          # set in each worker process by _start


def _start(work: Work) -> None:
    global _WORK
    _WORK = work


def _chunk(jobs: list[tuple]) -> tuple[set[str], set[str], dict, dict]:
    return _WORK.chunk(jobs)


def _with_pages(documents: list[tuple], jobs: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """Each search document followed by its page, if that is made too: a chunk renders both, and
    converts the Markdown they share once (render.markdown_html keeps it), not in two processes."""
    pages = {job[1].output: job for job in jobs if job[0] == "page"}
    paired = [job for document in documents
              for job in (document, pages.pop(document[1].output, None)) if job is not None]
    return paired, [job for job in jobs if job[0] != "page" or job[1].output in pages]


def produce(work: Work, links: LinkCheck, progress: Callable[[int, int], None] | None = None,
            first: list[tuple] = (), then: Callable[[int], None] = lambda written: None) -> None:
    """Writes every page, record, data file, QR code and photo; merges what was written and linked.
    The jobs `first` (the search documents of many pages, each made with its page) are done first,
    and `then(n)` is called as the first n of them are, in their order, from once the workers are
    forked: the indexer starts on each shard whose documents are made (an edit's few are indexed
    from before, SearchIndex.begin), in a thread that waits for Pagefind and links files, holding
    no lock a worker needs. `progress(done, total)` is called as chunks of jobs finish."""
    with heap.kept():       # (later collections leave out what build() made, and find what the pages leave)
        jobs = work.jobs()
        opening, jobs = _with_pages(first, jobs)

    def take(result: tuple[set[str], set[str], dict, dict]) -> None:
        written, staged, manifest, needed = result
        work.out.merge(written, staged, manifest)
        for target, origin in needed.items():
            links.needed.setdefault(target, origin)

    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or len(opening) + len(jobs) < PARALLEL_FROM:
        take(work.chunk(opening))
        then(len(first))
        take(work.chunk(jobs))
        return
    work.renderer.warm()                      # compile templates once, before forking
    total = len(opening) + len(jobs)
    with heap.shared():     # the site stays where it is: collections in the workers leave its memory shared
        chunks = [opening[i:i + CHUNK] for i in range(0, len(opening), CHUNK)]
        made = list(accumulate(sum(job[0] == "search" for job in chunk) for chunk in chunks))      # documents
        started = len(chunks)
        chunks += [jobs[i:i + CHUNK] for i in range(0, len(jobs), CHUNK)]
        pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_start, initargs=(work,))
        try:
            results = pool.map(_chunk, chunks)        # every chunk submitted: the workers are forked
            then(0)
            for done, result in enumerate(results, 1):
                take(result)
                if done <= started:
                    then(made[done - 1])
                if progress:
                    progress(min(done * CHUNK, total), total)
        except BaseException:               # Ctrl-C or a failed job: stop every worker before the
            for process in list(pool._processes.values()):      # output folder is cleaned up
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    pool.shutdown()
