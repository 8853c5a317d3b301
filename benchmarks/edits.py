#!/usr/bin/env python3
"""Times what each kind of editor's change costs the next build: whole processes, from outside.

    .venv/bin/python benchmarks/edits.py [--size 20000] [--runs 3] [--showrooms 300] [--work DIR]

The shared workload (`gen_spec_site.py N`, two languages) with what it lacks and a site has: a
free page in each language, S showrooms (each product sold in one), and a scan of one decision.
After a first build (not timed), each change below is made, and `ocop build` timed, `--runs`
times in a row (each run a change of its own), and the median printed:
  price         one product's price (no search document changes)
  description   one product's description in one language (its search shard is indexed again)
  page text     a sentence of the free page "about"
  showroom      one showroom's opening hours
  scan          a decision's scan, a new file under the same name
  retire        a product deleted (and from its decision) and its id listed in content/retired.yaml
  decision      a new decision that rates 50 products again (their search shards are indexed again)
  new day       a build with the next day's date
run.py times the cold build and the edits of the shared workload against Hugo.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from run import BENCH, ROOT, add_showrooms, edit, edit_price, ocop, timed

TODAY = date(2026, 11, 28)


def build(site: Path, out: Path, today: date = TODAY) -> float:
    command = ocop(site, out)
    command[command.index("--today") + 1] = today.isoformat()
    return timed(command)[0]


def prepare(site: Path, showrooms: int) -> None:
    pages = site / "content" / "pages"
    pages.mkdir(parents=True)
    for lang, title in (("vi", "Giới thiệu"), ("en", "About")):
        (pages / f"about.{lang}.md").write_text(f"---\ntitle: {title}\n---\nChương trình OCOP của tỉnh.\n", encoding="utf-8")
    add_showrooms(site, showrooms)
    scan = site / "products" / "media" / "decisions" / "scan.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-1.4\n" + os.urandom(200_000))
    first = sorted((site / "products" / "decisions").glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "document: media/decisions/scan.pdf\n", encoding="utf-8")


def change(site: Path, what: str, run: int) -> None:
    products = sorted((site / "products").glob("*.yaml"))
    if what == "price":
        edit_price(site, run)
    elif what == "description":
        edit(site, run)
    elif what == "page text":
        about = site / "content" / "pages" / "about.vi.md"
        about.write_text(about.read_text(encoding="utf-8") + f"Sửa lần {run}.\n", encoding="utf-8")
    elif what == "showroom":
        rooms = site / "content" / "showrooms.yaml"
        text = re.sub(r"(?m)^  hours: .*\n", "", rooms.read_text(encoding="utf-8"))
        rooms.write_text(text.replace("  address: {vi: Địa chỉ 7,", f"  hours: 7:00–{16 + run}:00\n"
                                      "  address: {vi: Địa chỉ 7,", 1), encoding="utf-8")
    elif what == "scan":
        (site / "products" / "media" / "decisions" / "scan.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(200_000))
    elif what == "retire":          # (and taken out of the decision that rated it, as `ocop check` asks)
        gone = products[100 + run]
        gone.unlink()
        for decision in (site / "products" / "decisions").glob("*.yaml"):
            text = decision.read_text(encoding="utf-8")
            if f"{{product: {gone.stem}," in text:
                decision.write_text(re.sub(rf"(?m)^  - {{product: {gone.stem},.*\n", "", text), encoding="utf-8")
        with (site / "content" / "retired.yaml").open("a", encoding="utf-8") as f:
            f.write(f"- {{id: {gone.stem}, note: Ngừng sản xuất.}}\n")
    elif what == "decision":
        ids = [p.stem for p in products[1000 + 50 * run:1050 + 50 * run]]
        (site / "products" / "decisions" / f"2026-11-{run + 1:02d}-new.yaml").write_text(
            f"number: {9000 + run}/QĐ-UBND\ndate: 2026-11-{run + 1:02d}\nissuer: province\n"
            "authority: {vi: Ủy ban nhân dân tỉnh, en: Provincial People's Committee}\nrecognized:\n"
            + "".join(f"  - {{product: {i}, stars: 4, score: 80}}\n" for i in ids), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--showrooms", type=int, default=300)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", str(ROOT / "generator")],
                   check=True, capture_output=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="ocop-edits-"))
    site, out = work / "site", work / "out"
    subprocess.run([sys.executable, str(BENCH / "gen_spec_site.py"), str(args.size), str(site)], check=True,
                   capture_output=True)
    prepare(site, args.showrooms)
    print(f"first build: {build(site, out):.2f} s", flush=True)
    time.sleep(2)           # a build keeps no snapshot of inputs changed in the 2 s before it (fresh.RACY_NS)
    print("| change | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    today = TODAY
    for what in ("price", "description", "page text", "showroom", "scan", "retire", "decision", "new day"):
        walls = []
        for run in range(args.runs):
            if what == "new day":
                today += timedelta(days=1)
            else:
                change(site, what, run)
            walls.append(build(site, out, today))
        print(f"| {what} | {statistics.median(walls):.2f} | {min(walls):.2f} | {max(walls):.2f} |", flush=True)


if __name__ == "__main__":
    main()
