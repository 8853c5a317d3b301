#!/usr/bin/env python3
"""Where one build's time goes: runs `ocop` with the given arguments and prints, for each step of
the pipeline, when it started and ended (seconds since the process started) and how long it took.

    .venv/bin/python benchmarks/phases.py build --site SITE --output OUT --today 2026-11-28 --quiet

The steps are wrapped from outside; nothing in the generator knows about this script. The
Pagefind line is the indexing thread, which runs beside the page workers.
"""
from __future__ import annotations

import functools
import os
import sys
import time

START = time.perf_counter()

from generator import build  # noqa: E402
from generator.assets import search  # noqa: E402
from generator.output import write  # noqa: E402
from generator.pages import exports, links  # noqa: E402
from generator.commands.cli import main  # noqa: E402


def timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            end = time.perf_counter()
            print(f"{label:22s} {began - START:8.2f} → {end - START:8.2f}  ({end - began:.2f} s)", file=sys.stderr)

    setattr(owner, name, wrapper)


for owner, name, label in [
    (build, "load_site", "load"), (build, "validate", "validate"), (build, "plan", "plan"),
    (write.Output, "look", "previous output"), (build, "Keys", "keys"),
    (build, "produce", "produce (workers)"), (search.SearchIndex, "_run_pagefind", "pagefind (thread)"),
    (search.SearchIndex, "finish", "search into output"), (exports, "products_json", "products.json"),
    (exports, "sitemap", "sitemap.xml"), (links.LinkCheck, "problems", "link check"),
    (write.Output, "__exit__", "commit"),
]:
    timed(owner, name, label)

if __name__ == "__main__":
    code = main(sys.argv[1:])
    print(f"{'whole process':22s} {0:8.2f} → {time.perf_counter() - START:8.2f}", file=sys.stderr)
    sys.stderr.flush()
    os._exit(code)          # as `ocop` does (cli.command)
