#!/usr/bin/env python3
"""What `ocop serve` costs an editor: the time from saving a product's file to its page being
served with the change, and the CPU the server takes while nothing changes.

    .venv/bin/python benchmarks/serve.py SITE [--port 8765] [--runs 3] [--price]

Starts `ocop serve --site SITE` (its first build is not timed), measures its CPU time over 10 s
of nothing changing, then, run after run (3 s apart, while the builds the saves start run),
writes a new word into the Vietnamese description of the site's fourth product and asks for that
product's page every 20 ms until it holds the word, then for the search index of the products
saved since the last build (what the search page merges: /__ocop/recent.js) until it has the
product. With --price, a new price instead of a word. The product's file is given back its text
at the end.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")      # utime + stime


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read().decode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--price", action="store_true", help="change the product's price, not its description")
    args = parser.parse_args()
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "ocop"), "serve", "--site", str(args.site),
                               "--port", str(args.port)], stdout=subprocess.PIPE, text=True)
    path = sorted((args.site / "products").glob("*.yaml"))[3]
    text = path.read_text(encoding="utf-8")
    try:
        for line in server.stdout:          # the first build, then "serving …"
            if line.startswith("serving") or "http://localhost" in line:
                break
        before = cpu_seconds(server.pid)
        time.sleep(10)
        print(f"idle: {(cpu_seconds(server.pid) - before) / 10:.0%} of a core")
        page = f"http://localhost:{args.port}/vi/products/{path.stem}/"
        took, found = [], []
        for run in range(args.runs):
            if args.price:
                price = 4_321_000 + 1000 * run + time.time_ns() % 1000
                word = f"{price:,}".replace(",", ".")          # as the Vietnamese page writes it
                changed = re.sub(r"price: \{min: \d+, max: \d+", f"price: {{min: {price}, max: {price}", text, count=1)
            else:
                word = f"Fresh{run}x{time.time_ns()}"
                changed = re.sub(r"(description:\n  vi: \|\n)", rf"\g<1>    {word}\n", text, count=1)
            assert changed != text
            started = time.monotonic()
            path.write_text(changed, encoding="utf-8")
            while word not in fetch(page):
                time.sleep(0.02)
            took.append(time.monotonic() - started)
            while f"/vi/products/{path.stem}/" not in fetch(f"http://localhost:{args.port}/__ocop/recent.js"):
                time.sleep(0.02)
            found.append(time.monotonic() - started)
            print(f"run {run + 1}: the page served fresh after {took[-1]:.2f} s, its search index after {found[-1]:.2f} s",
                  flush=True)
            time.sleep(3)
        print(f"median: the page {statistics.median(took):.2f} s, the search {statistics.median(found):.2f} s")
    finally:
        path.write_text(text, encoding="utf-8")
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
