"""Produce every file of the site from its routes and assets, across all cores.

The jobs (a page, a QR code, a photo size) are pure functions of the site: a worker process,
forked with the site, the routes and the renderer already in memory, turns a chunk of jobs into
files in the new output folder and reports what it wrote and which internal links those pages
need. Small sites are produced in this process: the bytes are the same either way. A file whose
key (depends.py) is the one its previous version was made from is kept, not made again.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from . import exports, images, qr
from .depends import Keys
from .links import LinkCheck
from .model import Site
from .render import Renderer
from .routes import Routes
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

    def jobs(self) -> list[tuple]:
        """The files still to make: (kind, what, output file, key); the rest are kept as they are."""
        jobs: list[tuple] = []
        for route in self.routes.all:
            if route.html or route.kind in ("feed", "record"):
                jobs.append(("page", route, route.output, self.keys.page(route)))
        for product in self.site.products:
            path = qr.qr_path(self.renderer.verify_url(product.id))
            jobs += [("qr", product.id, f"{path}.{ext}", f"{path}.{ext}") for ext in ("svg", "png")]
            for image in product.images:
                webp, jpeg = images.variants(image.file, image.digest, image.width, image.height)
                jobs += [("photo", (image.file, variant), variant.path, variant.path) for variant in (*webp, jpeg)]
        return jobs

    def keep(self, job: tuple, links: LinkCheck) -> bool:
        """Keeps the previous output's file when it was made from the same inputs."""
        kind, what, output, key = job
        kept = self.out.keep(output, key) if key else None
        if kept is not None and kind == "page":
            links.known(what.path, what.source, kept)
        return kept is not None

    def run(self, job: tuple, links: LinkCheck) -> None:
        kind, what, output, key = job
        if kind == "page":
            route = what
            found: tuple = ()
            if route.kind == "record":
                data = exports.certification_record(self.site, self.routes, route.key,
                                                    self.renderer.product(route.key), self.renderer.retired.get(route.key))
            else:
                data = self.renderer.render(route)
                if route.html:
                    found = links.add(data, route.path, route.source)
            self.out.write(output, data, key, found)
        elif kind == "qr":
            cached = self.cache / output
            if not cached.is_file():        # named by what went in: never stale
                modules = qr.matrix(self.renderer.verify_url(what))
                cached.parent.mkdir(parents=True, exist_ok=True)
                stem = str(cached)[:-len(cached.suffix)]
                Path(stem + ".svg").write_bytes(qr.svg(modules))
                Path(stem + ".png").write_bytes(qr.png(modules))
            self.out.copy(output, cached, key)
        else:
            file, variant = what
            self.out.write(output, images.encode(self.site_dir / "products" / file, variant, self.cache), key)

    def chunk(self, jobs: list[tuple]) -> tuple[set[str], set[str], dict, dict]:
        """Runs jobs; returns what they wrote (files, staged files, manifest entries) and the links they need."""
        links = LinkCheck(self.routes.base_path)
        out = self.out
        before = out.written, out.staged, out.manifest
        out.written, out.staged, out.manifest = set(), set(), {}
        try:
            for job in jobs:
                self.run(job, links)
            return out.written, out.staged, out.manifest, links.needed
        finally:
            out.written, out.staged, out.manifest = before


_WORK: Work | None = None          # set in each worker process by _start


def _start(work: Work) -> None:
    global _WORK
    _WORK = work


def _chunk(jobs: list[tuple]) -> tuple[set[str], dict]:
    return _WORK.chunk(jobs)


def produce(work: Work, links: LinkCheck, progress: Callable[[int, int], None] | None = None) -> None:
    """Writes every page, record, QR code and photo; merges what was written and linked.
    `progress(done, total)` is called as chunks of jobs finish."""
    jobs = [job for job in work.jobs() if not work.keep(job, links)]
    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or len(jobs) < PARALLEL_FROM:
        written, staged, manifest, needed = work.chunk(jobs)
        work.out.merge(written, staged, manifest)
        for target, origin in needed.items():
            links.needed.setdefault(target, origin)
        return
    work.renderer.warm()                      # compile templates once, before forking
    chunks = [jobs[i:i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_start, initargs=(work,))
    try:
        done = 0
        for written, staged, manifest, needed in pool.map(_chunk, chunks):
            work.out.merge(written, staged, manifest)
            for target, origin in needed.items():
                links.needed.setdefault(target, origin)
            done += 1
            if progress:
                progress(min(done * CHUNK, len(jobs)), len(jobs))
    except BaseException:               # Ctrl-C or a failed job: stop every worker before the
        for process in list(pool._processes.values()):      # output folder is cleaned up
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
