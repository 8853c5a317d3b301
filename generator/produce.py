"""Produce every file of the site from its routes and assets, across all cores.

The jobs (a page, a QR code, a photo size) are pure functions of the site: a worker process,
forked with the site, the routes and the renderer already in memory, turns a chunk of jobs into
files in the new output folder and reports what it wrote and which internal links those pages
need. Small sites are produced in this process: the bytes are the same either way.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from . import exports, images, qr
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

    def jobs(self) -> list[tuple]:
        jobs: list[tuple] = [("page", route) for route in self.routes.all if route.html or route.kind in ("feed", "record")]
        jobs += [("qr", product.id) for product in self.site.products]
        for product in self.site.products:
            for image in product.images:
                webp, jpeg = images.variants(image.file, image.digest, image.width, image.height)
                jobs += [("photo", image.file, variant) for variant in (*webp, jpeg)]
        return jobs

    def run(self, job: tuple, links: LinkCheck) -> None:
        if job[0] == "page":
            route = job[1]
            if route.kind == "record":
                data = exports.certification_record(self.site, self.routes, route.key,
                                                    self.renderer.product(route.key), self.renderer.retired.get(route.key))
            else:
                data = self.renderer.render(route)
                if route.html:
                    links.add(data, route.path, route.source)
            self.out.write(route.output, data)
        elif job[0] == "qr":
            url = self.renderer.verify_url(job[1])
            path = qr.qr_path(url)
            svg, png = self.cache / f"{path}.svg", self.cache / f"{path}.png"
            if not (svg.is_file() and png.is_file()):       # named by what went in: never stale
                modules = qr.matrix(url)
                svg.parent.mkdir(parents=True, exist_ok=True)
                svg.write_bytes(qr.svg(modules))
                png.write_bytes(qr.png(modules))
            self.out.copy(f"{path}.svg", svg)
            self.out.copy(f"{path}.png", png)
        else:
            _, file, variant = job
            self.out.write(variant.path, images.encode(self.site_dir / "products" / file, variant, self.cache))

    def chunk(self, jobs: list[tuple]) -> tuple[set[str], dict]:
        links = LinkCheck(self.routes.base_path)
        before = set(self.out.written)
        for job in jobs:
            self.run(job, links)
        return self.out.written - before, links.needed


_WORK: Work | None = None          # set in each worker process by _start


def _start(work: Work) -> None:
    global _WORK
    _WORK = work


def _chunk(jobs: list[tuple]) -> tuple[set[str], dict]:
    return _WORK.chunk(jobs)


def produce(work: Work, links: LinkCheck, progress: Callable[[int, int], None] | None = None) -> None:
    """Writes every page, record, QR code and photo; merges what was written and linked.
    `progress(done, total)` is called as chunks of jobs finish."""
    jobs = work.jobs()
    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or len(jobs) < PARALLEL_FROM:
        results = [work.chunk(jobs)]
    else:
        work.renderer.warm()                      # compile templates once, before forking
        chunks = [jobs[i:i + CHUNK] for i in range(0, len(jobs), CHUNK)]
        pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_start, initargs=(work,))
        try:
            results = []
            for result in pool.map(_chunk, chunks):
                results.append(result)
                if progress:
                    progress(min(len(results) * CHUNK, len(jobs)), len(jobs))
        except BaseException:               # Ctrl-C or a failed job: stop every worker before the
            for process in list(pool._processes.values()):      # output folder is cleaned up
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    for written, needed in results:
        work.out.written |= written
        for target, origin in needed.items():
            links.needed.setdefault(target, origin)
