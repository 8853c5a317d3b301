#!/usr/bin/env python3
"""What a search costs a reader on a slow connection: a built site served on loopback, its search
page opened in Chromium with a query in its address, the network throttled (Chrome's own
emulation: each request waits the latency, the bytes come at the rate), the cache empty. Prints
the time from asking for the page to the count of results shown, and what was fetched. With
--catalogue, the catalogue's page instead, narrowed by --filter (catalogue.js): the time to the
count of the products it shows.

    .venv/bin/python benchmarks/search.py OUTPUT [--query "cà phê"] [--latency 300] [--kib 200] [--runs 3]
                                                 [--typed SECONDS] [--filter commune=ID] [--catalogue]

Needs Debian's chromium (as the browser tests do). The server is Python's, one connection a
request (HTTP/1.0): a host with HTTP/2 sends a page's requests over one connection, so it waits
less for many small files than this does.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import CHROMIUM, FLAGS, serve_folder  # noqa: E402


def kind(url: str) -> str:
    """What a fetched file is, by its name: a shard's index chunk, a fragment, its metadata…"""
    url = url.split("?")[0]
    if "/index/" in url:
        return "index chunks"
    if "/fragment/" in url:
        return "fragments (a result's title and excerpt)"
    if "/filter/" in url:
        return "filters"
    if url.endswith(".pf_meta"):
        return "shard metadata"
    if url.endswith("pagefind-entry.json"):
        return "shard entry"
    return url.rsplit("/", 1)[-1] or "page"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=Path)
    parser.add_argument("--query", default="cà phê")
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--latency", type=int, default=300, help="milliseconds a request waits")
    parser.add_argument("--kib", type=int, default=200, help="KiB a second downloaded")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--typed", type=float, metavar="SECONDS",
                        help="open the page without a query, type it a letter at a time over SECONDS, then "
                             "press Enter: the time is then from Enter to the results")
    parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                        help="narrow the results, as the page's menus do (category, commune, stars)")
    parser.add_argument("--catalogue", action="store_true", help="the catalogue's filters, not a search")
    args = parser.parse_args()
    narrowed = "".join(f"&{f}" for f in args.filter)
    from playwright.sync_api import sync_playwright
    server, base = serve_folder(args.output)
    times, fetched, shown = [], [], ""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for _ in range(args.runs):
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": args.latency,
                                                          "downloadThroughput": args.kib * 1024,
                                                          "uploadThroughput": args.kib * 1024})
            fetched = []
            page.on("requestfinished", lambda request: fetched.append((request.url, request.sizes()["responseBodySize"])))
            status = page.locator("#filters .count" if args.catalogue else "#search-status")
            if args.catalogue:
                began = time.perf_counter()
                page.goto(f"{base}{args.lang}/products/?{narrowed[1:]}", wait_until="domcontentloaded", timeout=0)
            elif args.typed is None:
                began = time.perf_counter()
                page.goto(f"{base}{args.lang}/search/?q={args.query}{narrowed}", wait_until="domcontentloaded", timeout=0)
            else:
                page.goto(f"{base}{args.lang}/search/?{narrowed[1:]}", wait_until="load", timeout=0)
                page.locator("#q").click()
                page.locator("#q").press_sequentially(args.query, delay=args.typed * 1000 / len(args.query))
                began = time.perf_counter()
                page.locator("#q").press("Enter")
            while not status.inner_text().strip() or status.inner_text().endswith("…"):
                time.sleep(0.01)
            times.append(time.perf_counter() - began)
            shown = status.inner_text()
            context.close()
        browser.close()
    server.shutdown()
    by_kind: dict[str, list[int]] = {}
    for url, size in fetched:
        by_kind.setdefault(kind(url), []).append(size)
    what = f"the catalogue, {narrowed[1:]}" if args.catalogue else f"'{args.query}'{narrowed}"
    print(f"{args.output} at {args.latency} ms and {args.kib} KiB/s, {what}: {shown}")
    print(f"  {'from Enter ' if args.typed is not None else ''}to results: median {statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"  fetched: {len(fetched)} files, {sum(size for _, size in fetched) / 1024:.0f} KiB")
    for name, sizes in sorted(by_kind.items(), key=lambda item: -sum(item[1])):
        print(f"    {name:45s} {len(sizes):4d} files {sum(sizes) / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
