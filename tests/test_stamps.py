"""Stamp sheets (SPEC §8): every code scans back to verify_url?s=SERIAL, at its printed size."""
import re
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageFilter

from conftest import TODAY, ocop
from generator.site import codes
from generator.assets.qr import QUIET_ZONE, matrix

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
URL = "https://ocop.example.vn/v/coffee/?s="


def rasterize(pdf, tmp_path, dpi=300):
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp_path / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.png"))]


def test_every_code_on_the_sheet_decodes_to_its_serial(site, tmp_path):
    pdf = tmp_path / "stamps.pdf"
    result = ocop("stamps", "coffee", "--from", 1, "--to", 70, "--site", site, "--today", TODAY, "--output", pdf)
    assert result.code == 0, result.err
    pages = rasterize(pdf, tmp_path)
    assert len(pages) == 2                                   # 70 codes of 20 mm do not fit on one A4 page
    assert abs(pages[0].width - 2480) <= 1 and abs(pages[0].height - 3508) <= 1      # A4 at 300 dpi
    found = {}
    for page in pages:
        for code in zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode):
            found[code.text] = code
    assert set(found) == {f"{URL}{n}" for n in range(1, 71)}
    # printed size: the symbol without its 4-module quiet zones on each side, at 300 dpi
    code = found[f"{URL}1"]
    width_px = code.position.top_right.x - code.position.top_left.x
    total = len(matrix(f"{URL}1"))
    assert abs(width_px / 300 * 25.4 * total / (total - 2 * QUIET_ZONE) - 20) < 0.5


def test_a_15_mm_code_still_decodes_blurred_and_rotated(site, tmp_path):
    pdf = tmp_path / "small.pdf"
    assert ocop("stamps", "coffee", "--from", 42, "--to", 42, "--size", 15, "--site", site, "--today", TODAY,
                "--output", pdf).code == 0
    page = rasterize(pdf, tmp_path)[0].convert("L")
    box = page.point(lambda v: 255 if v < 128 else 0).getbbox()
    code = page.crop((box[0] - 40, box[1] - 40, box[0] + 260, box[1] + 220))
    worn = code.filter(ImageFilter.GaussianBlur(1.2)).rotate(4, expand=True, fillcolor=255)
    assert [c.text for c in zxingcpp.read_barcodes(worn)] == [f"{URL}42"]


@pytest.mark.parametrize("first, last, message", [
    (90, 110, "serials 90–110 are not all in the batches issued for 'coffee'"),
    (101, 101, "serials 101–101 are not all in the batches issued for 'coffee'"),
])
def test_serials_outside_the_batches_are_refused(site, tmp_path, first, last, message):
    pdf = tmp_path / "x.pdf"
    result = ocop("stamps", "coffee", "--from", first, "--to", last, "--site", site, "--today", TODAY, "--output", pdf)
    assert result.code == 1 and message in result.err and not pdf.exists()


def test_batches_count_only_once_issued(site, tmp_path):
    result = ocop("stamps", "coffee", "--from", 1, "--to", 5, "--site", site, "--today", "2025-09-30",
                  "--output", tmp_path / "x.pdf")
    assert result.code == 1 and "issued for 'coffee' by 2025-09-30: none" in result.err


@pytest.mark.parametrize("product", ["tea", "banana", "tour"])          # revoked, expired, unrated
def test_no_stamps_without_a_valid_certificate(site, tmp_path, product):
    result = ocop("stamps", product, "--from", 1, "--to", 1, "--site", site, "--today", TODAY,
                  "--output", tmp_path / "x.pdf")
    assert result.code == 1 and "has no valid OCOP certificate" in result.err


def test_sheets_are_deterministic(site, tmp_path):
    for name in ("a.pdf", "b.pdf"):
        assert ocop("stamps", "coffee", "--from", 1, "--to", 3, "--site", site, "--today", TODAY,
                    "--output", tmp_path / name).code == 0
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_the_catalogue_pdf_has_every_product_and_scannable_links(site, tmp_path):
    pdf = tmp_path / "catalogue.pdf"
    result = ocop("catalogue", "--lang", "en", "--site", site, "--today", TODAY, "--output", pdf)
    assert result.code == 0, result.err
    pages = rasterize(pdf, tmp_path, dpi=150)
    assert len(pages) == 2                                  # the cover, then the 2 certified products
    found = sorted(code.text for page in pages for code in zxingcpp.read_barcodes(page))
    assert found == [f"https://ocop.example.vn/en/products/{p}/" for p in ("chicken", "coffee")]
    assert ocop("catalogue", "--lang", "fr", "--site", site, "--output", pdf).code == 2


def pdf_text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("lang, words", [
    ("en", ["Coffee", "Free-range chicken", "Catalogue of OCOP products, as of November 28, 2026", "office@example.vn"]),
    ("vi", ["Cà phê", "Gà thả vườn", "28 tháng 11, 2026", "office@example.vn"]),
    ("zh-Hans", ["咖啡", "散养鸡", "2026年11月28日"]),
])
def test_the_catalogue_is_text_in_every_script_with_its_fonts_embedded(site, tmp_path, lang, words):
    if lang == "zh-Hans":
        config = site / "site.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "  - {code: en, name: English}", "  - {code: en, name: English}\n  - {code: zh-Hans, name: 中文}"),
            encoding="utf-8")
        for name, chinese in (("coffee", "咖啡"), ("chicken", "散养鸡")):
            path = site / f"products/{name}.yaml"
            path.write_text(re.sub(r"(?m)^name: \{(.*)\}", lambda m: f"name: {{{m[1]}, zh-Hans: {chinese}}}",
                                   path.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    pdf = tmp_path / f"{lang}.pdf"
    result = ocop("catalogue", "--lang", lang, "--site", site, "--today", TODAY, "--output", pdf)
    assert result.code == 0, result.err
    text = pdf_text(pdf)
    for word in words:
        assert word in text, (word, text[:800])
    assert "Dried banana" not in text and "Chuối sấy" not in text        # expired: not in by default
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)        # every font embedded
    links = subprocess.run(["pdfinfo", "-url", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert f"https://ocop.example.vn/{lang}/products/coffee/" in links and "mailto:office@example.vn" in links


def test_the_catalogue_chooses_by_commune_category_and_stars(site, tmp_path):
    pdf = tmp_path / "c.pdf"
    assert ocop("catalogue", "--lang", "en", "--site", site, "--today", TODAY, "--output", pdf, "--all",
                "--commune", "dak-rve").code == 0
    text = pdf_text(pdf)
    assert "Coffee" in text and "Dried banana" in text and "Free-range chicken" not in text    # chicken: Đăk Kôi
    assert "Expired" in text                                   # its status said
    assert ocop("catalogue", "--lang", "en", "--site", site, "--today", TODAY, "--output", pdf,
                "--category", "food").code == 0
    assert "Free-range chicken" in pdf_text(pdf) and "Coffee" not in pdf_text(pdf)
    result = ocop("catalogue", "--lang", "en", "--site", site, "--today", TODAY, "--output", pdf, "--stars", "5")
    assert result.code == 1 and "no certified product matches --stars 5" in result.err
    assert ocop("catalogue", "--lang", "en", "--site", site, "--output", pdf, "--commune", "nowhere").code == 2


def test_a_language_without_a_font_for_its_script_is_refused(site, tmp_path, monkeypatch):
    from generator.commands import catalogue
    real = catalogue.subprocess.run
    monkeypatch.setattr(catalogue.subprocess, "run", lambda args, **kw: real(
        ["true"] if args[0] == "fc-list" else args, **kw))            # as on a computer with no such font
    result = ocop("catalogue", "--lang", "en", "--site", site, "--today", TODAY, "--output", tmp_path / "x.pdf")
    assert result.code == 1 and "apt-get install fonts-dejavu-core" in result.err and not (tmp_path / "x.pdf").exists()


def stamp_key(tmp_path):
    key = tmp_path / "office" / "stamp.key"
    key.parent.mkdir(exist_ok=True)
    if not key.exists():
        assert ocop("key", "new", key).code == 0
    return key


def test_a_new_key_is_random_private_and_never_overwritten(tmp_path):
    key = stamp_key(tmp_path)
    other = tmp_path / "other.key"
    assert ocop("key", "new", other).code == 0
    assert codes.parse_key(key.read_text()) != codes.parse_key(other.read_text())
    assert key.stat().st_mode & 0o077 == 0                      # the office's alone
    before = key.read_bytes()
    result = ocop("key", "new", key)
    assert result.code == 2 and "never overwritten" in result.err and key.read_bytes() == before
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    result = ocop("key", "new", tmp_path / "repo" / "stamp.key")
    assert result.code == 2 and "inside the git repository" in result.err
    assert not (tmp_path / "repo" / "stamp.key").exists()


def test_stamps_with_a_key_carry_their_code_and_the_site_keeps_only_hashes(site, tmp_path):
    key = stamp_key(tmp_path)
    pdf = tmp_path / "coded.pdf"
    result = ocop("stamps", "coffee", "--from", 11, "--to", 14, "--key", key, "--site", site, "--today", TODAY,
                  "--output", pdf)
    assert result.code == 0, result.err
    secret = codes.parse_key(key.read_text())
    made = {n: codes.code(secret, "coffee", n) for n in range(11, 15)}
    assert all(len(code) == 13 and set(code) <= set(codes.ALPHABET) for code in made.values())
    found = {code.text for page in rasterize(pdf, tmp_path) for code in zxingcpp.read_barcodes(page)}
    assert found == {f"{URL}{n}-{made[n]}" for n in made}
    record = (site / "products" / "codes" / "coffee.txt").read_text()
    hashes, faults = codes.parse_file(record)
    assert not faults and hashes == {n: codes.check_hash("coffee", n, made[n]) for n in made}
    assert not any(code in record for code in made.values())
    # printing more adds to the record; the same serials again with the same key change nothing
    assert ocop("stamps", "coffee", "--from", 11, "--to", 20, "--key", key, "--site", site, "--today", TODAY,
                "--output", pdf).code == 0
    assert len(codes.parse_file((site / "products" / "codes" / "coffee.txt").read_text())[0]) == 10
    # another key for serials printed before would make the first stamps read as counterfeit
    other = tmp_path / "other.key"
    assert ocop("key", "new", other).code == 0
    before = (site / "products" / "codes" / "coffee.txt").read_bytes()
    result = ocop("stamps", "coffee", "--from", 20, "--to", 21, "--key", other, "--site", site, "--today", TODAY,
                  "--output", tmp_path / "other.pdf")
    assert result.code == 1 and "printed with codes of another key" in result.err
    assert (site / "products" / "codes" / "coffee.txt").read_bytes() == before
    assert not (tmp_path / "other.pdf").exists()
    # the build publishes the hashes in shards a page fetches one at a time
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    shard = (tmp_path / "out/v/coffee/codes/0.txt").read_text().split("\n")
    assert shard[11] == hashes[11] and shard[10] == "" and len(shard) == codes.SHARD + 1
    html = (tmp_path / "out/v/coffee/index.html").read_text()
    assert 'data-codes="0"' in html and 'data-codes-at="/v/coffee/codes/"' in html


def test_a_stamp_sheet_shows_the_sites_domain_under_each_code(site, tmp_path):
    """Two sheets of one stamp for sites at two domains differ in the code and in the second line
    under it, not in the first (the serial) or the third (the product's name)."""
    sheets = []
    for n, base in enumerate(("https://ocop.example.vn/", "https://ocop-fake.example.org/")):
        config = site / "site.yaml"
        config.write_text(re.sub(r"base_url: \S+", f"base_url: {base}", config.read_text(encoding="utf-8")),
                          encoding="utf-8")
        pdf = tmp_path / f"{n}.pdf"
        assert ocop("stamps", "coffee", "--from", 1, "--to", 1, "--site", site, "--today", TODAY,
                    "--output", pdf).code == 0
        (tmp_path / str(n)).mkdir()
        sheets.append(rasterize(pdf, tmp_path / str(n))[0].convert("L"))
    code = zxingcpp.read_barcodes(sheets[0])[0]
    module = (code.position.bottom_left.y - code.position.top_left.y) / (len(matrix(f"{URL}1")) - 2 * QUIET_ZONE)
    bottom = code.position.bottom_left.y + QUIET_ZONE * module        # the printed code's edge
    mm = 300 / 25.4

    def differs(top_mm, bottom_mm):
        box = (0, int(bottom + top_mm * mm), sheets[0].width, int(bottom + bottom_mm * mm))
        return ImageChops.difference(sheets[0].crop(box), sheets[1].crop(box)).getbbox() is not None
    assert (differs(0.3, 3.0), differs(3.3, 6.0), differs(6.3, 9.3)) == (False, True, False)


@pytest.mark.parametrize("key_text, message", [
    ("", "is not a stamp key"), ("abc\n", "is not a stamp key"), ("00" * 31 + "\n", "is not a stamp key"),
])
def test_a_file_that_is_not_a_key_is_refused(site, tmp_path, key_text, message):
    key = tmp_path / "bad.key"
    key.write_text(key_text)
    result = ocop("stamps", "coffee", "--from", 1, "--to", 2, "--key", key, "--site", site, "--today", TODAY,
                  "--output", tmp_path / "x.pdf")
    assert result.code == 2 and message in result.err and not (site / "products" / "codes").exists()


@pytest.mark.parametrize("target", ["site.yaml", "products/coffee.yaml", "content/communes.yaml", ".git/config"])
def test_no_output_overwrites_a_file_of_the_site(site, tmp_path, target):
    (site / ".git").mkdir(exist_ok=True)
    (site / ".git" / "config").write_text("[core]\n")
    before = (site / target).read_bytes()
    for command in (["stamps", "coffee", "--from", 1, "--to", 1], ["catalogue", "--lang", "en"],
                    ["report", "--month", "2026-10"]):
        result = ocop(*command, "--site", site, "--today", TODAY, "--output", site / target)
        assert result.code == 2 and "is a file of the site" in result.err, command
        assert (site / target).read_bytes() == before


def test_codes_for_a_serial_in_no_batch_or_a_product_that_is_gone_are_errors(site, tmp_path):
    folder = site / "products" / "codes"
    folder.mkdir()
    (folder / "coffee.txt").write_text("# codes\n5 0123456789abcdef\n500 0123456789abcdef\nfive 01\n")
    (folder / "gone.txt").write_text("1 0123456789abcdef\n")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1
    assert "products/codes/coffee.txt:3:1: error: serial 500 is in no stamp batch of products/coffee.yaml" in result.err
    assert "products/codes/coffee.txt:4:1: error: a line is a serial number and a hash" in result.err
    assert "products/codes/gone.txt:1:1: error: no product 'gone'" in result.err
