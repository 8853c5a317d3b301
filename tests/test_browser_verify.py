"""The verification page in a real browser: the reader's language, the reader's clock, stamp
serials, and the not-found page for unknown codes."""
import re

import pytest

from browser import needs_browser, serve_folder
from conftest import TODAY, copy_site, ocop

pytestmark = needs_browser


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    site = copy_site(root / "site")
    # built for the address it is served at, as `ocop serve` does
    server, url = serve_folder(root / "out")
    assert ocop("build", "--site", site, "--output", root / "out", "--today", TODAY, "--base-url", url).code == 0
    yield url
    server.shutdown()


def open_page(browser, url, *, locale="en-US", now=None, script=True):
    context = browser.new_context(locale=locale, timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=script)
    page = context.new_page()
    if now:
        page.clock.set_fixed_time(now)
    page.goto(url)
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
    verdict = shown(page, "h1.verdict")
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
        assert words in shown(page, "h1.verdict")
        page.context.close()


def chrome(page):
    """The site's name in the header and the footer, as shown."""
    return (page.locator("header.site .brand:visible").inner_text().strip(),
            page.locator("footer.site").inner_text().strip())


def test_the_page_opens_in_the_readers_language(browser, site_url):
    page = open_page(browser, site_url + "v/coffee/", locale="vi-VN")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Sản phẩm OCOP đã được chứng nhận" in shown(page, "h1.verdict")
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
    assert "hết hạn ngày 20 tháng 12, 2026" in page.locator("section[data-lang=vi] h1.verdict").inner_text()
    name, footer = chrome(page)
    assert name.startswith("Sản phẩm OCOP thử") and "Trang này chỉ để thông tin" in footer and "This site" not in footer
    page.context.close()


@pytest.mark.parametrize("serial, ok, said", [("1", True, "1"), ("42", True, "42"), ("100", True, "100"),
                                              ("101", False, "101"), ("0", False, "0"), ("abc", False, "?"),
                                              ("1e2", False, "?"), ("%E0%A4%A", False, "?"),
                                              ("CALL%200900%20000%20000%20FOR%20A%20REFUND", False, "?")])
def test_a_stamp_serial_is_checked_against_the_issued_batches(browser, site_url, serial, ok, said):
    """A serial that is not a number is never shown as written (a link could otherwise make the
    official page say anything), and a malformed escape does not stop the script."""
    page = open_page(browser, site_url + f"v/coffee/?s={serial}", now=f"{TODAY}T09:00:00+07:00")
    assert page.locator("#verification").get_attribute("data-serial") == ("ok" if ok else "unknown")
    if ok:
        assert shown(page, "[data-serial-ok]") == (f"Stamp number {said} is one of the stamps issued for this "
                                                   "product (numbers 1–100, issued October 1, 2025).")
        assert not page.locator("section:not([hidden]) [data-serial-unknown]").is_visible()
    else:
        text = shown(page, "[data-serial-unknown]")
        assert f"stamp number {said} was never issued for this product" in text and "counterfeit" in text
        assert "CALL" not in page.locator("body").inner_text()
    page.context.close()


@pytest.mark.parametrize("locale, words", [("en-US", "This code is not in the register"),
                                           ("vi-VN", "Mã này không có trong danh sách")])
def test_an_unknown_code_says_the_stamp_may_be_counterfeit(browser, site_url, locale, words):
    page = open_page(browser, site_url + "v/no-such-product/?s=5", locale=locale)
    assert page.locator("section:not([hidden]) h1:visible").inner_text().strip() == words
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
    assert page.locator("#verification").get_attribute("data-serial") == "ok"
    page.context.close()


def test_the_language_links_switch_the_verification_in_place(browser, site_url):
    page = open_page(browser, site_url + "v/coffee/?s=3", locale="vi-VN")
    assert "1 tháng 10, 2025" in shown(page, "[data-serial-ok]")      # dates as each language writes them
    page.locator("nav.langs a[data-lang-link=en]").click()
    assert "issued October 1, 2025" in shown(page, "[data-serial-ok]")
    assert page.url.endswith("/v/coffee/?s=3")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "valid until" in shown(page, "h1.verdict")
    assert "This site informs" in chrome(page)[1]
    assert page.title().endswith("OCOP certificate check · Test OCOP products")
    page.context.close()
