"""The pipeline: load → validate → plan → render → produce → write."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Callable

import jinja2

from . import exports
from .depends import Keys
from .errors import ContentError, OcopError, Problem
from .links import LinkCheck
from .load import load_site
from .model import Site
from .produce import Work, produce
from .render import CONTENT_SECURITY_POLICY, Renderer, Theme
from .routes import Routes, plan
from .validate import validate
from .write import Output, append_register

_HERE = Path(__file__).resolve().parent
# the default theme ships inside the installed package; in a checkout it is the repository's themes/
BUNDLED_THEMES = _HERE / "themes" if (_HERE / "themes").is_dir() else _HERE.parent / "themes"
CACHE = ".ocop-cache"        # beside the output folder: photos, QR codes and the search index, named by their inputs


def check(site_dir: Path, today: date, base_url: str | None = None,
          cache: Path | None = None) -> tuple[Site, list[Problem]]:
    """The valid Site and its warnings; raises ContentError with every problem otherwise."""
    site, problems = validate(load_site(site_dir, cache), today)
    if site is None:
        raise ContentError(problems)
    if base_url:
        site = replace(site, config=replace(site.config, base_url=base_url))
    return site, problems


def build(site_dir: Path, output: Path, today: date, base_url: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> list[Problem]:
    """Builds the whole site into `output`, or leaves it untouched and raises. Returns the warnings."""
    site, warnings = check(site_dir, today, base_url, output.absolute().parent / CACHE)
    routes = plan(site)
    theme = Theme(find_theme(site_dir, site.config.theme), output.absolute().parent / CACHE / "templates")
    renderer = Renderer(site, routes, theme)
    try:
        with Output(output, output.absolute().parent / CACHE) as out:
            write_site(out, site_dir, site, routes, renderer, progress)
        if base_url is None and site.unregistered:      # a preview for another address publishes nothing
            append_register(site_dir, site.unregistered)
    except jinja2.TemplateError as e:
        line = getattr(e, "lineno", 0) or 0
        where = getattr(e, "filename", None) or getattr(e, "name", None) or "templates"
        try:
            where = Path(where).resolve().relative_to(site_dir.resolve()).as_posix()
        except ValueError:
            pass
        raise ContentError([Problem(str(where), line, 0, f"theme template error: {e.message}")]) from None
    return warnings


def write_site(out: Output, site_dir: Path, site: Site, routes: Routes, renderer: Renderer,
               progress: Callable[[int, int], None] | None = None) -> None:
    keys = Keys(site, routes, renderer.theme.root)
    search = start_search_index(out, renderer, keys)
    try:
        records = [exports.product_record(site, routes, p) for p in site.products]
        whole_site = {"data": lambda r: (exports.products_csv if r.key == "csv" else exports.products_json)(site, records),
                      "sitemap": lambda r: exports.sitemap(routes), "robots": lambda r: exports.robots(routes),
                      "headers": lambda r: exports.host_headers(CONTENT_SECURITY_POLICY)}
        for route in routes.all:
            if route.kind in whole_site:
                out.write(route.output, whole_site[route.kind](route))
        for file, published in site.media.items():
            out.copy(published, site_dir / "products" / file)
        for rel, path in renderer.theme.static_files():
            out.copy(f"static/{rel}", path)
        links = LinkCheck(routes.base_path)
        produce(Work(out, site_dir, site, routes, renderer, out.cache, keys), links, progress)
    except BaseException:           # stop the indexer before the half-built output is removed
        finish_search_index(search, out, stopped=True)
        raise
    finish_search_index(search, out)
    broken = links.problems(out.written, f"themes/{renderer.theme.root.name}/templates")
    if broken:
        raise ContentError(broken)


def start_search_index(out: Output, renderer: Renderer, keys: Keys) -> tuple[subprocess.Popen | None, Path | None, Path]:
    """Pagefind indexes small search documents (the searchable text of each product, page and
    news post, at its page's path) while the pages are rendered: one index per <html lang>.
    The index is kept in the cache under the key of what went into it: a rebuild that changed
    no searchable text reuses it without making the documents."""
    routes = [route for route in renderer.routes.all if route.kind in ("product", "page", "news")]
    cached = out.cache / f"pagefind-{keys.search(routes)}"
    if (cached / "pagefind-entry.json").is_file():
        return None, None, cached
    for old in out.cache.glob("pagefind-*"):
        shutil.rmtree(old, ignore_errors=True)
    shm = Path("/dev/shm")          # in memory where the system has it: these files live a few seconds
    docs = Path(tempfile.mkdtemp(prefix="ocop-search-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))
    try:
        for route in routes:
            target = docs / route.output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(renderer.render(route, "search-doc.html"))
    except BaseException:
        shutil.rmtree(docs, ignore_errors=True)
        raise
    command = [sys.executable, "-m", "pagefind", "--site", str(docs), "--output-path", str(cached), "--silent"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), docs, cached


def finish_search_index(search: tuple[subprocess.Popen | None, Path, Path], out: Output, stopped: bool = False) -> None:
    """Waits for the indexer (None: the cached index serves) and copies the index into the output."""
    process, docs, cached = search
    try:
        if process is not None and stopped:
            process.kill()
        output = process.communicate()[0] if process is not None else ""
    finally:
        if docs is not None:
            shutil.rmtree(docs, ignore_errors=True)
    if stopped:
        if process is not None:
            shutil.rmtree(cached, ignore_errors=True)
        return
    if process is not None and process.returncode != 0:
        shutil.rmtree(cached, ignore_errors=True)
        raise OcopError(f"the search index could not be built: {output.strip()[-500:]}")
    # Pagefind lists the languages in hash-map order; sorted, two builds of one site are byte-identical
    # (its filter indexes vary the same way, so the theme filters results by page metadata instead)
    entry = cached / "pagefind-entry.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["languages"] = dict(sorted(data["languages"].items()))
    entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    for path in sorted(cached.rglob("*")):
        if path.is_file():
            rel = "pagefind/" + path.relative_to(cached).as_posix()
            # fragments and index chunks are named by the hash of their content
            key = f"{rel}:{path.stat().st_size}" if path.parent.name in ("fragment", "index", "filter") else ""
            if out.keep(rel, key) is None:
                out.copy(rel, path, key)


def find_theme(site_dir: Path, name: str) -> Path:
    for root in (site_dir / "themes", BUNDLED_THEMES):
        if (root / name / "templates").is_dir():
            return root / name
    raise ContentError([Problem("site.yaml", 1, 1, f"the theme '{name}' is not in themes/; "
                                f"use 'default' or add themes/{name}/templates/")])
