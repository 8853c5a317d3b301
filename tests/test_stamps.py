"""Stamp sheets (SPEC §8): every code scans back to verify_url?s=SERIAL, at its printed size."""
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from conftest import TODAY, ocop
from generator.qr import QUIET_ZONE, matrix

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
    assert len(pages) == 3                                  # 5 products, two to a page
    found = sorted(code.text for page in pages for code in zxingcpp.read_barcodes(page))
    assert found == sorted(f"https://ocop.example.vn/en/products/{p}/" for p in
                           ("banana", "chicken", "coffee", "tea", "tour"))
    assert ocop("catalogue", "--lang", "fr", "--site", site, "--output", pdf).code == 2
