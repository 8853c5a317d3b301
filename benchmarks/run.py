#!/usr/bin/env python3
"""Times whole builds from outside the process: ocop-site against Hugo on the shared catalogue
workload (../../shared/bench), alternating, and prints medians and their ratio.

    .venv/bin/python benchmarks/run.py [--sizes 1000,2000] [--runs 5] [--langs vi,en] [--photos K] [--commits C]
                                       [--communes C] [--showrooms S] [--news P] [--work DIR]

For each size it generates the same N products for Hugo (gen_workload.py) and for ocop-site
(gen_spec_site.py), then, run after run, alternates:
  hugo        hugo --cleanDestinationDir over its previous output (when hugo is installed)
  hugo-fresh  hugo into an empty folder (its previous output deleted first, not timed)
  hugo+pagefind  the same, then Pagefind (ocop-site's program) over Hugo's output, in one timed
              shell: the stack a Hugo site with search runs, the peer to beat
  cold        ocop build into an empty folder, with no cache
  rebuild     ocop build over its previous output (nothing changed: its snapshot of the inputs says so)
  rebuild-full  the same without the snapshot (every file's key checked; the files whose size,
              times and inode are as before are not read again)
  checkout    ocop build in a copy of the site, its output and its cache (not timed): every file
              with a new inode, as in a fresh checkout in CI with the output and the cache restored
              from the CI's cache: every input read, the output looked at whole
  edit        ocop build after one product's description changed (its search shard is indexed again)
  edit-price  ocop build after another product's price changed (no search document changes)
With --photos K, the first K products of ocop-site's workload get a photo each (1600×1200 JPEG,
about 0.5 MB, different for each; the shared workload has none, Hugo's neither).
With --communes C, ocop-site's products are spread over C communes instead of the workload's 50, as
a national catalogue's are (Vietnam has over 3,000; Hugo's workload keeps its 50).
With --showrooms S, ocop-site's workload gets S showrooms (it has none), each product sold in one.
With --news P, it gets P news posts in each language (~500 words each, five days apart).
With --commits C, ocop-site's workload is a git checkout with a history of C commits after the
first, each changing two product files, as a site's repository is; each edit is committed before
the build (the pages show the date of each file's last commit).
Each figure is the wall time of the whole process and its peak memory (GNU time).

Nothing is deleted until every size is timed: a folder to be emptied is moved into WORK/trash
and deleted at the end. On ext4 without a journal (this machine's disk), a file created within a
minute or so after many were deleted costs up to milliseconds: the kernel skips the recently
deleted inodes one by one. Deleting the previous output just before a cold build timed that, not
the build (at 2,000 products, 14-16 s instead of 6.5 s); Hugo's fresh build met it too. For the
same reason, leave a few minutes between the end of one run of this script and the next.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from generator.assets.search import pagefind_program

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
TIME = shutil.which("time") or "/usr/bin/time"


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak MiB) of one whole process, measured by GNU time."""
    result = subprocess.run([TIME, "-f", "%e %M", *command], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    wall, kib = result.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kib) / 1024


def ocop(site: Path, out: Path) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "python"), "-m", "generator", "build", "--site", str(site), "--output", str(out),
            "--today", "2026-11-28"]


def edit(site: Path, run: int) -> None:
    path = next(iter(sorted((site / "products").glob("*.yaml"))))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("description:\n  vi: |\n", f"description:\n  vi: |\n    Sửa lần {run}.\n", 1),
                    encoding="utf-8")


def edit_price(site: Path, run: int) -> None:
    path = sorted((site / "products").glob("*.yaml"))[1]
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"price: \{min: \d+", f"price: {{min: {1000 + run}", text, count=1), encoding="utf-8")


def add_photos(site: Path, count: int) -> None:
    from PIL import Image, ImageFilter
    media = site / "products" / "media"
    media.mkdir(exist_ok=True)
    for n, path in enumerate(sorted((site / "products").glob("*.yaml"))[:count]):
        photo = Image.effect_noise((1600, 1200), 40 + n % 50).convert("RGB").filter(ImageFilter.GaussianBlur(1))
        photo.save(media / f"{path.stem}.jpg", quality=85)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"images:\n  - {{file: media/{path.stem}.jpg, alt: {{vi: Ảnh, en: Photo}}}}\n")


def spread_communes(site: Path, count: int) -> None:
    """Puts the products in `count` communes, each in a commune of its own for the first `count`."""
    if not count:
        return
    (site / "content" / "communes.yaml").write_text(
        "".join(f"- id: xa-{n:04d}\n  name: {{vi: Xã Số {n}, en: Commune {n}}}\n" for n in range(count)), encoding="utf-8")
    for n, path in enumerate(sorted((site / "products").glob("*.yaml"))):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^commune: .*$", f"commune: xa-{n % count:04d}", text, count=1), encoding="utf-8")


def add_showrooms(site: Path, count: int) -> None:
    """`count` showrooms, in the workload's communes by turns; each product sold in one, by turns."""
    if not count:
        return
    communes = re.findall(r"(?m)^- id: (\S+)", (site / "content" / "communes.yaml").read_text(encoding="utf-8"))
    (site / "content" / "showrooms.yaml").write_text("".join(
        f"- id: sr-{n:04d}\n  name: {{vi: Điểm bán {n}, en: Showroom {n}}}\n  commune: {communes[n % len(communes)]}\n"
        f"  address: {{vi: Địa chỉ {n}, en: Address {n}}}\n" for n in range(count)), encoding="utf-8")
    for n, path in enumerate(sorted((site / "products").glob("*.yaml"))):
        with path.open("a", encoding="utf-8") as f:
            f.write(f"showrooms: [sr-{n % count:04d}]\n")


def add_news(site: Path, count: int, langs: str) -> None:
    """`count` news posts in each language, five days apart (the workload has none)."""
    news = site / "content" / "news"
    news.mkdir(parents=True, exist_ok=True)
    body = "Tin tức về sản phẩm OCOP của xã, với **nhiều** chi tiết về hội chợ và các sản phẩm mới. " * 12
    for n in range(count):
        day = date(2021, 1, 4) + timedelta(days=5 * n)
        for lang in langs.split(","):
            (news / f"{day.isoformat()}-tin-{n:04d}.{lang}.md").write_text(
                f"---\ntitle: Tin {n} {lang}\nsummary: Tóm tắt {n}.\n---\n{body}\n\n{body}\n", encoding="utf-8")


def commit(site: Path, commits: int) -> None:
    if commits:
        subprocess.run(["git", "-C", str(site), "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                        "commit", "-qam", "edit"], check=True, capture_output=True)


def add_history(site: Path, commits: int) -> None:
    """Makes the site a git checkout: a first commit of every file, then `commits` commits that each
    add a comment line to two product files (through git fast-import: seconds, not an hour)."""
    env = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@localhost", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z", "PATH": "/usr/bin:/bin"}

    def git(*args: str, **kwargs) -> None:
        subprocess.run(["git", "-C", str(site), *args], check=True, capture_output=True, env=env, **kwargs)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "all products")
    files = sorted(p.relative_to(site).as_posix() for p in (site / "products").glob("*.yaml"))
    texts = {f: (site / f).read_bytes() for f in files}
    stream: list[bytes] = []
    for n in range(commits):
        stream.append((f"commit refs/heads/main\ncommitter bench <bench@localhost> {1704067200 + 3600 * n} +0000\n"
                      "data 4\nedit\n" + ("from refs/heads/main^0\n" if n == 0 else "")).encode())
        for f in (files[(7 * n) % len(files)], files[(7 * n + 3) % len(files)]):
            texts[f] += f"# {n}\n".encode()
            stream.append(f"M 100644 inline {f}\ndata {len(texts[f])}\n".encode() + texts[f] + b"\n")
    git("fast-import", "--quiet", input=b"".join(stream))
    git("reset", "-q", "--hard")


def discard(path: Path, trash: Path) -> None:
    """Moves a file or folder out of the way, into `trash`, if it is there."""
    if path.exists():
        trash.mkdir(exist_ok=True)
        path.rename(trash / str(len(list(trash.iterdir()))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--langs", default="vi,en")
    parser.add_argument("--photos", type=int, default=0)
    parser.add_argument("--commits", type=int, default=0)
    parser.add_argument("--communes", type=int, default=0)
    parser.add_argument("--showrooms", type=int, default=0)
    parser.add_argument("--news", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    hugo = shutil.which("hugo")
    # compiled as an installed program is (pip compiles what it installs): where PYTHONDONTWRITEBYTECODE
    # is set, a module changed since its last compile would otherwise be compiled again by every run
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", str(ROOT / "generator")],
                   check=True, capture_output=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="ocop-bench-"))
    trash = work / "trash"
    print("| N | languages | what | median s | min s | max s | peak MiB | × hugo | × hugo-fresh | × hugo+pagefind |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for size in map(int, args.sizes.split(",")):
        folder = work / (f"n{size}" + ("" if args.langs == "vi,en" else "-" + args.langs.replace(",", "-"))
                         + (f"-photos{args.photos}" if args.photos else "")
                         + (f"-commits{args.commits}" if args.commits else "")
                         + (f"-communes{args.communes}" if args.communes else "")
                         + (f"-showrooms{args.showrooms}" if args.showrooms else "")
                         + (f"-news{args.news}" if args.news else ""))     # (a workload reused only as made)
        if not folder.is_dir():
            subprocess.run([sys.executable, str(BENCH / "gen_workload.py"), str(size), str(folder)], check=True,
                           capture_output=True)
            subprocess.run([sys.executable, str(BENCH / "gen_spec_site.py"), str(size), str(folder / "spec"),
                            args.langs], check=True, capture_output=True)
            add_photos(folder / "spec", args.photos)
            spread_communes(folder / "spec", args.communes)
            add_showrooms(folder / "spec", args.showrooms)
            add_news(folder / "spec", args.news, args.langs)
            if args.commits:
                add_history(folder / "spec", args.commits)
        site, out = folder / "spec", folder / "out"
        figures: dict[str, list[tuple[float, float]]] = {"hugo": [], "hugo-fresh": [], "hugo+pagefind": [],
                                                          "cold": [], "rebuild": [],
                                                          "rebuild-full": [], "checkout": [], "edit": [], "edit-price": []}
        for run in range(args.runs):
            if hugo:
                command = [hugo, "--quiet", "--cleanDestinationDir", "-d", str(folder / "hugo-out")]
                figures["hugo"].append(timed(command, cwd=folder / "hugo"))
                discard(folder / "hugo-out", trash)
                figures["hugo-fresh"].append(timed(command, cwd=folder / "hugo"))
                discard(folder / "hugo-out", trash)
                both = f'"{hugo}" --quiet -d "{folder / "hugo-out"}" && "{pagefind_program()}" --site "{folder / "hugo-out"}" --silent'
                figures["hugo+pagefind"].append(timed(["sh", "-c", both], cwd=folder / "hugo"))
            discard(out, trash)
            discard(folder / ".ocop-cache", trash)
            time.sleep(2)       # a build keeps no snapshot of inputs changed in the 2 s before it (fresh.RACY_NS)
            figures["cold"].append(timed(ocop(site, out)))
            figures["rebuild"].append(timed(ocop(site, out)))
            (folder / ".ocop-cache" / f"snapshot-{out.name}.data").unlink(missing_ok=True)
            figures["rebuild-full"].append(timed(ocop(site, out)))
            copy = folder / "checkout"
            discard(copy, trash)
            for name in ("spec", "out", ".ocop-cache"):
                shutil.copytree(folder / name, copy / name, symlinks=True)
            figures["checkout"].append(timed(ocop(copy / "spec", copy / "out")))
            discard(copy, trash)
            edit(site, run)
            commit(site, args.commits)
            figures["edit"].append(timed(ocop(site, out)))
            edit_price(site, run)
            commit(site, args.commits)
            figures["edit-price"].append(timed(ocop(site, out)))
        references = [statistics.median(w for w, _ in figures[h]) if figures[h] else None
                      for h in ("hugo", "hugo-fresh", "hugo+pagefind")]
        for what, runs in figures.items():
            if not runs:
                continue
            walls = [w for w, _ in runs]
            median = statistics.median(walls)
            ratios = " | ".join(f"{median / r:.2f}" if r else "–" for r in references)
            print(f"| {size:,} | {args.langs} | {what} | {median:.2f} | {min(walls):.2f} | {max(walls):.2f} | "
                  f"{max(m for _, m in runs):.0f} | {ratios} |", flush=True)
    shutil.rmtree(trash, ignore_errors=True)


if __name__ == "__main__":
    main()
