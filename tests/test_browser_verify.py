"""The verification page in a real browser: the verdict of a scan from the certificate and the
stamp (its serial and check code), the reader's language and clock, and the not-found page for
unknown codes. Each verdict's phone screenshot goes to test-artifacts/verdicts/."""
import re
import shutil
import subprocess

import pytest

from browser import needs_browser, serve_folder
from conftest import ROOT, TODAY, copy_site, ocop
from generator.site import codes

pytestmark = needs_browser
ARTIFACTS = ROOT / "test-artifacts" / "verdicts"
CODED = (1, 20)        # coffee's serials printed with check codes; 21–100 were printed without


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    site = copy_site(root / "site")
    key = root / "office" / "stamp.key"
    key.parent.mkdir()
    assert ocop("key", "new", key).code == 0
    printed = ocop("stamps", "coffee", "--from", CODED[0], "--to", CODED[1], "--key", key, "--site", site,
                   "--today", TODAY, "--output", root / "office" / "sheet.pdf")
    assert printed.code == 0, printed.err
    # built for the address it is served at, as `ocop serve` does
    server, url = serve_folder(root / "out")
    assert ocop("build", "--site", site, "--output", root / "out", "--today", TODAY, "--base-url", url).code == 0
    yield url, codes.parse_key(key.read_text()), root
    server.shutdown()


@pytest.fixture(scope="module")
def site_url(served):
    return served[0]


def code_of(served, serial):
    return codes.code(served[1], "coffee", serial)


def verdict(page):
    box = page.locator("#verification")
    return box.get_attribute("data-verdict"), box.get_attribute("data-stamp")


def snap(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_page(browser, url, *, locale="en-US", now=None, script=True):
    context = browser.new_context(locale=locale, timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=script,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    if now:
        page.clock.set_fixed_time(now)
    page.goto(url)
    if script and page.locator("#verification").count():   # the verdict is given once the stamp is read
        page.locator("#verification[data-stamp]").wait_for(state="attached")
    return page


def shown(page, selector):
    return page.locator(f"section:not([hidden]) {selector}").inner_text().strip()


@pytest.mark.parametrize("now, status, note", [
    (f"{TODAY}T09:00:00+07:00", "valid", False),            # read on the build date: as built
    ("2028-06-14T09:00:00+07:00", "valid", False),          # 90 days left
    ("2028-06-15T09:00:00+07:00", "expiring", True),        # 89 days left
    ("2028-09-11T23:30:00+07:00", "expiring", True),
    ("2028-09-12T00:30:00+07:00", "expired", True),         # runs out on valid_until, in the reader's own time zone
])
def test_the_readers_clock_updates_the_status(browser, site_url, now, status, note):
    page = open_page(browser, site_url + "v/coffee/", now=now)
    assert page.locator("#verification").get_attribute("data-status") == status
    verdict = shown(page, ".verdict h1")
    assert {"valid": "valid until", "expiring": "expires on", "expired": "expired on"}[status] in verdict
    assert "September 12, 2028" in verdict
    assert page.locator("section:not([hidden]) [data-clock-note]").is_visible() is note
    if note:
        assert re.search(r"^By today's date, [A-Z][a-z]+ \d{1,2}, 2028, the status has changed since this page",
                         shown(page, "[data-clock-note]"))
    page.context.close()


def test_an_expiring_page_read_earlier_reads_valid(browser, site_url):
    page = open_page(browser, site_url + "v/chicken/", now="2026-01-01T09:00:00+07:00")
    assert page.locator("#verification").get_attribute("data-status") == "valid"
    page.context.close()


@pytest.mark.parametrize("product, status, words", [
    ("tea", "revoked", "revoked on September 12, 2025 by decision 1898/QĐ-UBND"),
    ("tour", "unrated", "Not an OCOP-certified product"),
])
def test_revoked_and_unrated_do_not_change_with_the_clock(browser, site_url, product, status, words):
    for now in ("2020-01-01T09:00:00+07:00", "2035-01-01T09:00:00+07:00"):
        page = open_page(browser, site_url + f"v/{product}/", now=now)
        assert page.locator("#verification").get_attribute("data-status") == status
        assert words in shown(page, ".verdict h1")
        page.context.close()


def chrome(page):
    """The site's name in the header and the footer, as shown."""
    return (page.locator("header.site .brand:visible").inner_text().strip(),
            page.locator("footer.site").inner_text().strip())


def test_the_page_opens_in_the_readers_language(browser, site_url):
    page = open_page(browser, site_url + "v/coffee/", locale="vi-VN")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Sản phẩm OCOP đã được chứng nhận" in shown(page, ".verdict h1")
    name, footer = chrome(page)
    assert name.startswith("Sản phẩm OCOP thử") and "Trang này chỉ để thông tin" in footer and "This site" not in footer
    assert page.title().endswith(" · Sản phẩm OCOP thử") and "certificate" not in page.title()
    page.context.close()
    page = open_page(browser, site_url + "v/coffee/", locale="en-GB")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Coffee" in shown(page, ".what .name")
    name, footer = chrome(page)         # the header and footer too, not only the verification
    assert name.startswith("Test OCOP products") and "This site informs" in footer and "Trang này" not in footer
    assert page.locator("header.site .brand:visible").get_attribute("href").endswith("/en/")
    assert page.title() == "Coffee · OCOP certificate check · Test OCOP products"         # the tab's title too
    page.context.close()
    page = open_page(browser, site_url + "v/coffee/", locale="ko-KR")         # not a site language: the default
    assert page.evaluate("document.documentElement.lang") == "vi"
    page.context.close()


def test_without_script_the_default_language_and_the_built_status_show(browser, site_url):
    page = open_page(browser, site_url + "v/chicken/", script=False, locale="en-US")
    assert page.locator("#verification").get_attribute("data-status") == "expiring"
    assert page.locator("section[data-lang=vi]").is_visible()
    assert not page.locator("section[data-lang=en]").is_visible()
    assert "hết hạn ngày 20 tháng 12, 2026" in page.locator("section[data-lang=vi] .verdict h1").inner_text()
    name, footer = chrome(page)
    assert name.startswith("Sản phẩm OCOP thử") and "Trang này chỉ để thông tin" in footer and "This site" not in footer
    page.context.close()


def test_a_stamp_with_its_check_code_reads_ok(browser, served):
    page = open_page(browser, served[0] + f"v/coffee/?s=7-{code_of(served, 7)}", now=f"{TODAY}T09:00:00+07:00")
    assert verdict(page) == ("ok", "ok")
    assert shown(page, ".verdict h1").startswith("✔ Certified OCOP product, valid until September 12, 2028")
    assert shown(page, '[data-stamp="ok"]') == ("Stamp number 7 and its check code match a stamp issued for this "
                                                "product (numbers 1–100, issued October 1, 2025).")
    host = served[0].split("/")[2]
    assert re.fullmatch(rf"Checked on November 28, 2026 at \d\d:\d\d [AP]M at {re.escape(host)}",
                        shown(page, "[data-checked]"))
    snap(page, "ok")
    page.context.close()


def test_a_code_written_in_capitals_or_with_look_alike_letters_reads_ok(browser, served):
    code = code_of(served, 8).upper().replace("0", "O").replace("1", "I")
    page = open_page(browser, served[0] + f"v/coffee/?s=8-{code}")
    assert verdict(page)[1] == "ok"
    page.context.close()


def altered(code):
    return code[:5] + ("b" if code[5] != "b" else "c") + code[6:]


@pytest.mark.parametrize("written, stamp, head", [
    (lambda served: f"7-{altered(code_of(served, 7))}", "mismatch", "The check code of stamp number 7 is wrong"),
    (lambda served: f"8-{code_of(served, 7)}", "mismatch", "The check code of stamp number 8 is wrong"),
    (lambda served: "7", "mismatch", "The check code of stamp number 7 is wrong"),      # its code left out
    (lambda served: f"101-{code_of(served, 7)}", "unknown", "Stamp number 101 was never issued"),
    (lambda served: "0", "unknown", "Stamp number 0 was never issued"),
    (lambda served: "abc", "malformed", "This is not a stamp number of this product"),
    (lambda served: "1e2", "malformed", "This is not a stamp number of this product"),
    (lambda served: "%E0%A4%A", "malformed", "This is not a stamp number of this product"),
    (lambda served: "CALL%200900%20000%20000%20FOR%20A%20REFUND", "malformed", "This is not a stamp number"),
])
def test_a_stamp_that_does_not_check_reads_stop(browser, served, written, stamp, head):
    """A serial or code that is not as written is never shown as written (a link could otherwise make
    the official page say anything), and a malformed escape does not stop the script."""
    page = open_page(browser, served[0] + f"v/coffee/?s={written(served)}", now=f"{TODAY}T09:00:00+07:00")
    assert verdict(page) == ("stop", stamp)
    text = shown(page, ".verdict h1")
    assert text.startswith("✖ " + head) and "counterfeit" in text
    assert "Certified" not in shown(page, ".verdict")
    assert "CALL" not in page.locator("body").inner_text()
    assert page.locator(".verification .verdict").first.evaluate("e => getComputedStyle(e).backgroundColor") == \
        "rgb(155, 28, 28)"          # red, white words
    if written(served) == "7":
        snap(page, "stop-code-missing")
    page.context.close()


def test_a_stamp_printed_before_check_codes_reads_caution(browser, served):
    page = open_page(browser, served[0] + "v/coffee/?s=42", now=f"{TODAY}T09:00:00+07:00")
    assert verdict(page) == ("caution", "legacy")
    assert shown(page, ".verdict h1") == ("⚠ Certified OCOP product, valid until September 12, 2028, but this "
                                          "stamp carries no check code")
    assert "printed without check codes" in shown(page, '[data-stamp="legacy"]')
    snap(page, "caution-no-check-code")
    page.context.close()


@pytest.mark.parametrize("now, result", [
    (f"{TODAY}T09:00:00+07:00", ("valid", "ok")),
    ("2028-06-15T09:00:00+07:00", ("expiring", "caution")),
    ("2028-09-12T09:00:00+07:00", ("expired", "stop")),
])
def test_the_readers_clock_moves_a_genuine_stamp_from_ok_to_caution_to_stop(browser, served, now, result):
    page = open_page(browser, served[0] + f"v/coffee/?s=3-{code_of(served, 3)}", now=now)
    box = page.locator("#verification")
    assert (box.get_attribute("data-status"), box.get_attribute("data-verdict")) == result
    if result[1] == "stop":         # past facts read as past, and the stamp stood for what is gone
        assert shown(page, ".verdict h1") == "✖ The OCOP certificate expired on September 12, 2028"
        facts = shown(page, ".facts")
        assert "Was valid until" in facts and "(expired)" in facts and "\nValid until" not in facts
        assert "no longer in force" in shown(page, '[data-stamp="void"]')
    page.context.close()


@pytest.mark.parametrize("product, words", [
    ("tea", "The OCOP certificate was revoked on September 12, 2025 by decision 1898/QĐ-UBND"),
    ("banana", "The OCOP certificate expired on October 10, 2025"),
    ("tour", "Not an OCOP-certified product"),
])
def test_a_certificate_not_in_force_reads_stop_with_its_past_facts(browser, served, product, words):
    page = open_page(browser, served[0] + f"v/{product}/", now=f"{TODAY}T09:00:00+07:00")
    assert verdict(page)[0] == "stop"
    assert words in shown(page, ".verdict h1")
    html = page.content()
    assert "Valid until" not in html and "valid until" not in html.replace("Was valid until", "")
    if product == "tea":
        assert "Reason: Failed mandatory criteria." in shown(page, ".verdict")
        assert "(withdrawn)" in shown(page, ".facts") and page.locator("section:not([hidden]) .facts s").count() == 1
    snap(page, f"stop-{product}")
    page.context.close()


def test_a_doubt_is_reported_with_the_serial_filled_in(browser, served):
    page = open_page(browser, served[0] + "v/coffee/?s=42")
    href = page.locator("section:not([hidden]) a[data-report]").get_attribute("href")
    assert href.startswith("mailto:office@example.vn?subject=") and "Stamp%20number%3A%2042" in href
    assert "photo" in shown(page, ".be-sure")
    page.context.close()


def test_a_printed_sheet_scans_to_pages_that_read_ok(browser, served, tmp_path):
    """Stamps printed for the served address, rasterised at 300 dpi, decoded, opened."""
    zxingcpp = pytest.importorskip("zxingcpp")
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs pdftoppm (poppler-utils)")
    from PIL import Image
    url, key, root = served
    key_file = root / "office" / "stamp.key"
    site = root / "site"
    sheet = tmp_path / "sheet.pdf"
    result = ocop("stamps", "coffee", "--from", 1, "--to", 6, "--key", key_file, "--site", site, "--today", TODAY,
                  "--output", sheet)
    assert result.code == 0, result.err
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", str(sheet), str(tmp_path / "p")], check=True)
    page_image = Image.open(next(tmp_path.glob("p-*.png")))
    found = sorted(code.text for code in zxingcpp.read_barcodes(page_image, formats=zxingcpp.BarcodeFormat.QRCode))
    assert len(found) == 6
    base = "https://ocop.example.vn/"
    for text in found:
        assert text.startswith(base + "v/coffee/?s=") and re.fullmatch(r"\d+-[0-9a-hjkmnp-tv-z]{13}", text.split("=")[1])
        page = open_page(browser, url + text[len(base):])
        assert verdict(page) == ("ok", "ok")
        page.context.close()


def test_nothing_published_or_kept_in_the_site_lets_anyone_make_a_code(served):
    url, key, root = served
    made = [codes.code(key, "coffee", serial) for serial in range(CODED[0], CODED[1] + 1)]
    for folder in (root / "out", root / "site"):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert key.hex().encode() not in data and key not in data, path
                assert not any(code.encode() in data for code in made), path
    assert (root / "out" / "v" / "coffee" / "codes" / "0.txt").is_file()


@pytest.mark.parametrize("locale, words", [("en-US", "This code is not in the register"),
                                           ("vi-VN", "Mã này không có trong danh sách")])
def test_an_unknown_code_says_the_stamp_may_be_counterfeit(browser, site_url, locale, words):
    page = open_page(browser, site_url + "v/no-such-product/?s=5", locale=locale)
    assert page.locator("section:not([hidden]) h1:visible").inner_text().strip() == words
    assert page.locator("main").get_attribute("data-verdict") == "stop"
    assert page.locator("[data-when-path=verify]:visible").evaluate("e => getComputedStyle(e).backgroundColor") == \
        "rgb(155, 28, 28)"
    snap(page, f"stop-unknown-product-{locale}")
    assert page.locator("section:not([hidden]) a[href^='tel:']").count() == 1
    page.context.close()


def test_another_missing_page_is_an_ordinary_not_found(browser, site_url):
    page = open_page(browser, site_url + "en/nothing-here/")
    assert page.locator("section:not([hidden]) h1:visible").inner_text().strip() == "Page not found"
    assert page.title() == "Page not found · Test OCOP products"
    page.context.close()


def test_a_gs1_address_leads_to_the_verification_page_keeping_the_serial(browser, site_url):
    page = open_page(browser, site_url + "01/08936000000011/?s=7")
    page.wait_for_url("**/v/coffee/?s=7")
    page.locator("#verification[data-stamp]").wait_for(state="attached")
    assert verdict(page) == ("stop", "mismatch")        # 7 was printed with a check code
    page.context.close()


def test_the_language_links_switch_the_verification_in_place(browser, site_url):
    page = open_page(browser, site_url + "v/coffee/?s=30", locale="vi-VN")
    assert "1 tháng 10, 2025" in shown(page, '[data-stamp="legacy"]')      # dates as each language writes them
    page.locator("nav.langs a[data-lang-link=en]").click()
    assert "issued October 1, 2025" in shown(page, '[data-stamp="legacy"]')
    assert page.url.endswith("/v/coffee/?s=30")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "valid until" in shown(page, ".verdict h1")
    assert "This site informs" in chrome(page)[1]
    assert page.title().endswith("OCOP certificate check · Test OCOP products")
    page.context.close()
