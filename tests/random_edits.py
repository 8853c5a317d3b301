"""Random sequences of edits to a site whose lists run to several pages: after each step a
rebuild over the previous output and cache must give what a cold build gives, byte for byte, or
fail with the same messages. A step is three to five changes, dealt in a random order from every
change there is (deck()) until each is dealt: a line of a file changed or changed back, a file
added or removed, a product withdrawn or restored, a photo added or removed, another build date.
A step that leaves the site with an error is undone by the next. `test_build.py` runs one
sequence; after changing what a build keeps between builds, run many:

    .venv/bin/python tests/random_edits.py --seeds 100
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from conftest import Run, copy_site, ocop, tree

from generator.pages import routes
from generator.site import load
from generator.build import BUNDLED_THEMES

EXTRA = 40          # products added to the minimal site
PER_PAGE = 10       # products a list page shows: each list runs to several pages
DAYS = ["2026-11-28", "2026-11-29", "2026-12-19", "2026-12-21", "2025-10-09", "2025-10-11", "2027-06-01"]

# (file, text, other text): a step changes the one there into the other
LINES = [
    ("products/coffee.yaml", "Plain-roasted **coffee**.", "Plain-roasted **coffee**, now darker."),
    ("products/coffee.yaml", "price: {min: 100000", "price: {min: 110000"),
    ("products/coffee.yaml", "showrooms: [corner]", "showrooms: []"),
    ("products/tea.yaml", "name: Trà dây", "name: Trà dây rừng"),
    ("products/chicken.yaml", "commune: dak-koi", "commune: dak-rve"),
    ("products/banana.yaml", "category: food", "category: herbal"),          # a list appears, one shrinks
    ("content/pages/about.en.md", "The **about** page.", "The **about** page, edited."),
    ("content/pages/about.vi.md", "---\n", "---\ndraft: true\n"),
    ("content/news/2025-09-20-new-products.vi.md", "title: Sản phẩm mới", "title: Sản phẩm mới nhất"),
    ("content/showrooms.yaml", "name: {vi: Góc OCOP, en: OCOP corner}", "name: {vi: Góc OCOP, en: The OCOP corner}"),
    ("content/showrooms.yaml", "location: {lat: 14.48, lon: 108.07}", "location: {lat: 14.48, lon: 108.07}\n"
     "- id: second\n  name: {vi: Góc hai, en: Second corner}\n  commune: dak-koi\n  address: Đăk Kôi"),
    ("content/communes.yaml", "en: Đăk Kôi Commune", "en: Dak Koi Commune"),
    ("content/communes.yaml", "- id: dak-pne",
     "- id: dak-moi\n  name: {vi: Xã Mới, en: New Commune}\n- id: dak-pne"),
    ("site.yaml", "region: Tỉnh thử", "region: Tỉnh thử nghiệm"),
    ("site.yaml", "  - {code: en, name: English}", "  - {code: en, name: English}\n  - {code: fr, name: Français}"),
    ("products/decisions/district-2023.yaml", "score: 58", "score: 59"),
    ("products/decisions/district-2023.yaml", "date: 2023-12-20", "date: 2023-06-20"),
    ("products/decisions/province-2024.yaml", "date: 2024-01-10", "date: 2023-11-20"),
    ("products/media/scan.pdf", "% scanned", "% scanned and signed"),
    ("themes/default/templates/product.html", "<h2>{{ _(\"Producer\") }}</h2>", "<h2>{{ _(\"Maker\") }}</h2>"),
    ("themes/default/templates/_card.html", '<li class="card"', '<li class="card product"'),
    ("themes/default/templates/_words.html", '"expired": _("Expired")', '"expired": _("Lapsed")'),
    ("themes/default/locales/vi/LC_MESSAGES/messages.po", 'msgstr "Giá"', 'msgstr "Giá bán"'),
    ("themes/default/static/style.css", "body {", "body {\n  margin: 0;"),
    ("products/x007.yaml", "category: ", "category: nope-"),                 # an error
    ("products/x008.yaml", "producer:", "showrooms: [second]\nproducer:"),   # an error without the second showroom
    ("products/x009.yaml", "commune: dak-rve", "commune: dak-moi"),         # and without the new commune
    ("products/x010.yaml", "commune: dak-koi", "commune: dak-moi"),
    ("products/x013.yaml", "'Mô tả", "'Xem [cà phê](/vi/products/coffee/). Mô tả"),
    ("products/x002.yaml", "producer:", "showrooms: [corner]\nproducer:"),
    ("products/x005.yaml", "producer:", "gtin: \"8936000000028\"\nproducer:"),
] + [(f"products/x{i:03d}.yaml", old, new) for i in (1, 20, 33) for old, new in [
    ("'Sản phẩm", "'Aa sản phẩm"),              # first in every list now
    ("en: 'Product", "en: 'Zz product"),
    ("Mô tả", "Mô tả mới"),
    ("price: {min: ", "price: {min: 9"),
    ("commune: dak-rve", "commune: dak-koi"),
    ("category: food", "category: drinks")]]

# files a step adds, or removes if they are there
FILES = {
    "content/news/2026-11-01-extra.vi.md": "---\ntitle: Tin thêm\n---\nXem [cà phê](/vi/products/coffee/).\n",
    "content/news/2026-12-01-later.vi.md": "---\ntitle: Tin sau\n---\nĐăng khi đến ngày.\n",     # held back
    "content/news/2026-12-01-later.en.md": "---\ntitle: Later news\n---\nPublished on its day.\n",
    "content/pages/visit.vi.md": "---\ntitle: Tham quan\n---\nĐến Kon Rẫy.\n",
    "content/pages/visit.en.md": "---\ntitle: Visit\n---\nCome to [Kon Rẫy](/en/).\n",
    "products/media/scan.pdf": "%PDF-1.4\n% scanned\n",        # its decision's scan: an error when missing
    "products/decisions/province-2026.yaml": "number: 99/QĐ-UBND\ndate: 2026-06-01\nissuer: province\nrecognized:\n"
    "  - {product: x010, stars: 4, score: 80}\n  - {product: x011, stars: 4}\n  - {product: x012, stars: 3}\n",
    "products/decisions/province-2026b.yaml": "number: 100/QĐ-UBND\ndate: 2026-10-01\nissuer: province\nrevoked:\n"
    "  - {product: x000, reason: {vi: Vi phạm.}}\n",
}


def make_site(dest: Path, rng: random.Random) -> Path:
    """The minimal site with a theme of its own, EXTRA more products and a decision rating half of
    them, with its scan."""
    site = copy_site(dest)
    shutil.copytree(BUNDLED_THEMES / "default", site / "themes/default")
    for i in range(EXTRA):
        (site / f"products/x{i:03d}.yaml").write_text(
            f"name: {{vi: 'Sản phẩm {rng.randint(100, 999)} {i}', en: 'Product {i}'}}\n"
            f"category: {rng.choice(['food', 'drinks'])}\ncommune: {rng.choice(['dak-rve', 'dak-koi'])}\n"
            f"producer: {{name: Hộ {i}}}\ndescription: {{vi: 'Mô tả {i} **đậm**.', en: 'About {i}.'}}\n"
            f"price: {{min: {1000 + i}}}\n", encoding="utf-8")
    rated = "".join(f"  - {{product: x{i:03d}, stars: 4}}\n" for i in range(0, EXTRA, 2))
    (site / "products/decisions/province-2024.yaml").write_text(
        f"number: 77/QĐ-UBND\ndate: 2024-01-10\nissuer: province\ndocument: media/scan.pdf\nrecognized:\n{rated}",
        encoding="utf-8")
    (site / "products/media/scan.pdf").write_text(FILES["products/media/scan.pdf"], encoding="utf-8")
    return site


def deck() -> list[tuple[str, object]]:
    """Every change a step may make, once: the steps deal them in a random order, then again."""
    return ([("line", line) for line in LINES] + [("file", path) for path in sorted(FILES)]
            + [("withdraw", "x039"), ("photo", "x003")] + [("day", day) for day in DAYS])


def change(site: Path, card: tuple[str, object], rng: random.Random) -> str:
    """Makes a change to the site, or undoes it if it is made; says which."""
    kind, what = card
    if kind == "line":
        path, one, other = what
        file = site / path
        if not file.exists():
            return f"{path} is not there to change"
        text = file.read_text(encoding="utf-8")
        if other in text:           # made: undone (the other text may hold the one)
            one, other = other, one
        elif one not in text:
            return f"{path}: neither {one!r} nor {other!r} is there"
        file.write_text(text.replace(one, other, 1), encoding="utf-8")
        return f"{path}: {one!r} → {other!r}"
    if kind == "file":
        file = site / what
        if file.exists():
            file.unlink()
            return f"{what} removed"
        file.write_text(FILES[what], encoding="utf-8")
        return f"{what} added"
    if kind == "withdraw":         # a product no decision names, listed in retired.yaml; or back
        product, aside = site / f"products/{what}.yaml", site.parent / f"{what}.yaml"
        retired = site / "content/retired.yaml"
        if product.exists():
            product.rename(aside)
            retired.write_text(f"- {{id: {what}, note: Ngừng sản xuất.}}\n", encoding="utf-8")
            return f"{what} withdrawn"
        aside.rename(product)
        retired.unlink()
        return f"{what} back"
    from PIL import Image
    photo, product = site / f"products/media/{what}.png", site / f"products/{what}.yaml"
    line = f"images: [{{file: media/{what}.png, alt: Ảnh}}]\n"
    if photo.exists():
        photo.unlink()
        product.write_text(product.read_text(encoding="utf-8").replace(line, ""), encoding="utf-8")
        return f"{what}'s photo removed"
    Image.new("RGB", (64, 48), (rng.randrange(256), 120, 40)).save(photo)
    product.write_text(product.read_text(encoding="utf-8") + line, encoding="utf-8")
    return f"{what}'s photo added"


def rebuilt_as_cold(site: Path, out: Path, cold: Path, today: str) -> tuple[Run, str | None]:
    """Builds the site over `out` and cold into `cold` (a folder of its own: no cache, no previous
    output, removed after); the rebuild, and how the two builds differ, if they do."""
    built = ocop("build", "--site", site, "--output", out, "--today", today, "--quiet")
    fresh = ocop("build", "--site", site, "--output", cold, "--today", today, "--quiet")
    try:
        if (built.code, built.err) != (fresh.code, fresh.err):
            return built, f"a rebuild said\n{built.err}\na cold build\n{fresh.err}"
        if built.code == 0:
            before, after = tree(out), tree(cold)
            differ = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
            if differ:
                return built, f"these files differ from a cold build's: {', '.join(differ[:10])}"
        return built, None
    finally:
        shutil.rmtree(cold.parent, ignore_errors=True)


def sequence(root: Path, seed: int, passes: int = 1) -> str | None:
    """Builds a new site, then steps until every change is dealt `passes` times, each step built
    over the last and cold; what went wrong first, or None."""
    per_page, routes.PER_PAGE = routes.PER_PAGE, PER_PAGE
    try:
        return _sequence(root, seed, passes)
    finally:
        routes.PER_PAGE = per_page


def _sequence(root: Path, seed: int, passes: int) -> str | None:
    rng = random.Random(seed)
    site, out, today = make_site(root / "site", rng), root / "incremental" / "out", DAYS[0]
    first = ocop("build", "--site", site, "--output", out, "--today", today, "--quiet")
    if first.code != 0:
        return f"seed {seed}: the first build failed:\n{first.err}"
    cards = [card for _ in range(passes) for card in rng.sample(deck(), len(deck()))]
    undo: list[tuple[str, object]] = []       # after a step that left the site with an error
    step = 0
    while cards or undo:
        hand = undo[::-1] or [cards.pop() for _ in range(min(len(cards), rng.randint(3, 5)))]
        mending, said, undo = bool(undo), [], []
        for kind, what in hand:
            if kind == "day":
                undo.append(("day", today))
                today = str(what)
                said.append(f"built on {today}")
            else:
                undo.append((kind, what))
                said.append(change(site, (kind, what), rng))
        built, wrong = rebuilt_as_cold(site, out, root / f"cold-{step}" / "out", today)
        where = f"seed {seed}, step {step} ({'; '.join(said)})"
        step += 1
        if wrong:
            return f"{where}: {wrong}"
        if built.code != 0 and mending:
            return f"{where}: undoing the changes of the step before left errors:\n{built.err}"
        if built.code == 0:
            undo = []
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="sequences to run (seeds 1, 2, …)")
    parser.add_argument("--first", type=int, default=1, help="the first seed")
    parser.add_argument("--passes", type=int, default=1, help="how many times each change is made in a sequence")
    args = parser.parse_args()
    failed, few = 0, load.Memo.UNSAVED
    for seed in range(args.first, args.first + args.seeds):
        # odd seeds with the caches written after every change, as a large site's are
        load.Memo.UNSAVED = 0 if seed % 2 else few
        with tempfile.TemporaryDirectory(prefix="ocop-edits-") as root:
            wrong = sequence(Path(root), seed, args.passes)
        print(wrong or f"seed {seed}: every rebuild as a cold build", flush=True)
        failed += wrong is not None
    print(f"{failed} of {args.seeds} sequences failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
