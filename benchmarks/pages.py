#!/usr/bin/env python3
"""What rendering costs, page kind by page kind, in one process (no workers, nothing written):
each route of the site rendered once, in the order a build renders them, then each search
document; prints the count, the total and the time a page of each kind.

    .venv/bin/python benchmarks/pages.py SITE [--today 2026-11-28]

Cards and the menu are made once per language and reused, as in a build, so the list pages
rendered first carry their cost.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from generator.build import check, find_theme
from generator.pages.render import Renderer, Theme
from generator.pages.routes import plan

NOT_TEMPLATES = ("record", "data", "sitemap", "robots", "headers")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("--today", default="2026-11-28")
    args = parser.parse_args()
    site, _ = check(args.site, date.fromisoformat(args.today))
    routes = plan(site)
    with tempfile.TemporaryDirectory() as compiled:
        renderer = Renderer(site, routes, Theme(find_theme(args.site, site.config.theme), Path(compiled)))
        renderer.warm()
        spent, count = Counter(), Counter()
        for route in routes.all:
            if route.kind not in NOT_TEMPLATES:
                began = time.perf_counter()
                renderer.render(route)
                spent[route.kind] += time.perf_counter() - began
                count[route.kind] += 1
        for group in renderer.search_shards:
            for route in group:
                began = time.perf_counter()
                renderer.render(route, "search-doc.html")
                spent["search document"] += time.perf_counter() - began
                count["search document"] += 1
    print("| kind | pages | total s | ms a page |\n|---|---:|---:|---:|")
    for kind in count:
        print(f"| {kind} | {count[kind]:,} | {spent[kind]:.2f} | {spent[kind] / count[kind] * 1000:.3f} |")
    print(f"| all | {sum(count.values()):,} | {sum(spent.values()):.2f} | |")


if __name__ == "__main__":
    main()
