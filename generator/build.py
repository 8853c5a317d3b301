"""The pipeline: load → validate → plan → render → produce → write."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import jinja2

from . import exports, images, qr
from .errors import ContentError, OcopError, Problem
from .links import LinkCheck
from .load import load_site
from .model import Site
from .render import CONTENT_SECURITY_POLICY, Renderer, Theme
from .routes import Routes, plan
from .validate import validate
from .write import Output, append_register

BUNDLED_THEMES = Path(__file__).resolve().parent.parent / "themes"
CACHE = ".ocop-cache"        # beside the output folder: encoded photos, reused while their source is unchanged


def check(site_dir: Path, today: date, base_url: str | None = None) -> tuple[Site, list[Problem]]:
    """The valid Site and its warnings; raises ContentError with every problem otherwise."""
    site, problems = validate(load_site(site_dir), today)
    if site is None:
        raise ContentError(problems)
    if base_url:
        site = replace(site, config=replace(site.config, base_url=base_url))
    return site, problems


def build(site_dir: Path, output: Path, today: date, base_url: str | None = None) -> list[Problem]:
    """Builds the whole site into `output`, or leaves it untouched and raises. Returns the warnings."""
    site, warnings = check(site_dir, today, base_url)
    routes = plan(site)
    theme = Theme(find_theme(site_dir, site.config.theme))
    renderer = Renderer(site, routes, theme)
    try:
        with Output(output) as out:
            write_site(out, site_dir, site, routes, renderer)
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


def write_site(out: Output, site_dir: Path, site: Site, routes: Routes, renderer: Renderer) -> None:
    records = [exports.product_record(site, routes, p) for p in site.products]
    links = LinkCheck(routes.base_path)
    for route in routes.all:
        if route.html or route.kind == "feed":
            data = renderer.render(route)
            if route.html:
                links.add(data, route.path, route.source)
        elif route.kind == "data":
            data = exports.products_csv(site, records) if route.key == "csv" else exports.products_json(site, records)
        elif route.kind == "record":
            data = exports.certification_record(site, routes, route.key)
        elif route.kind == "sitemap":
            data = exports.sitemap(routes)
        elif route.kind == "headers":
            data = exports.host_headers(CONTENT_SECURITY_POLICY)
        else:
            data = exports.robots(routes)
        out.write(route.output, data)
    for record in records:
        modules = qr.matrix(record["verify_url"])
        out.write(record["qr"]["svg"], qr.svg(modules))
        out.write(record["qr"]["png"], qr.png(modules))
    cache = out.dest.parent / CACHE
    for product in site.products:
        for image in product.images:
            webp, jpeg = images.variants(image.file, image.digest, image.width, image.height)
            for variant in (*webp, jpeg):
                out.write(variant.path, images.encode(site_dir / "products" / image.file, variant, cache))
    for file, published in site.media.items():
        out.copy(published, site_dir / "products" / file)
    for rel, path in renderer.theme.static_files():
        out.copy(f"static/{rel}", path)
    broken = links.problems(out.written)
    if broken:
        raise ContentError(broken)
    search_index(out.tmp)


def search_index(folder: Path) -> None:
    """Pagefind indexes the written pages into folder/pagefind/: one index per <html lang>."""
    result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(folder), "--silent"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise OcopError(f"the search index could not be built: {(result.stderr or result.stdout).strip()[-500:]}")
    # Pagefind lists the languages in hash-map order; sorted, two builds of one site are byte-identical
    # (its filter indexes vary the same way, so the theme filters results by page metadata instead)
    entry = folder / "pagefind" / "pagefind-entry.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["languages"] = dict(sorted(data["languages"].items()))
    entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def find_theme(site_dir: Path, name: str) -> Path:
    for root in (site_dir / "themes", BUNDLED_THEMES):
        if (root / name / "templates").is_dir():
            return root / name
    raise ContentError([Problem("site.yaml", 1, 1, f"the theme '{name}' is not in themes/; "
                                f"use 'default' or add themes/{name}/templates/")])
