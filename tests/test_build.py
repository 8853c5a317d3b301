"""Whole builds of a small real site, checked against SPEC §7."""
import csv
import io
import json
import os
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from conftest import TODAY, ocop, ocop_process, tree

BASE = "https://ocop.example.vn/"
LANGS = ["vi", "en"]


class Page(HTMLParser):
    """What the tests read from an HTML page: lang, alternates, links, and data-status elements."""

    def __init__(self, text: str):
        super().__init__()
        self.lang, self.alternates, self.links, self.statuses, self.scripts = None, {}, [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "link" and a.get("rel") == "alternate" and "hreflang" in a:
            self.alternates[a["hreflang"]] = a["href"]
        for name in ("href", "src"):
            if name in a:
                self.links.append(a[name])
        if "data-status" in a and tag in ("article", "p", "div", "section", "main"):
            self.statuses.append(a["data-status"])
        if tag == "script":
            self.scripts.append(a)


def html_pages(out: Path) -> dict[str, Page]:
    return {p.relative_to(out).as_posix(): Page(p.read_text(encoding="utf-8")) for p in out.rglob("*.html")}


def file_for(out: Path, url: str) -> Path:
    """The file a URL of the site maps to: …/x/ to x/index.html."""
    assert url.startswith(BASE), url
    path = url[len(BASE):].split("?")[0].split("#")[0]
    return out / (path + "index.html" if path.endswith("/") or not path else path)


# ---------------------------------------------------------------------------- products.json

def add_melon(site: Path) -> None:
    """A new product: banana's file under another id and name."""
    (site / "products/melon.yaml").write_text(
        (site / "products/banana.yaml").read_text(encoding="utf-8").replace("Chuối", "Dưa"), encoding="utf-8")


def renders(monkeypatch, what=lambda route: (route.kind, route.key)) -> list:
    """What the renderer renders from now on, each route as `what` gives it (a small site is made
    in the test's process, without worker processes)."""
    from generator.pages.render import Renderer
    rendered = []
    original = Renderer.render
    monkeypatch.setattr(Renderer, "render", lambda self, route, *args: rendered.append(what(route)) or original(self, route, *args))
    return rendered


def pagefind_behind(tmp_path: Path, monkeypatch, script: str) -> Path:
    """Pagefind run by a shell script (`{pagefind}` in it: the real program), two at a time after
    an edit, as on two cores."""
    from generator.assets import search
    wrapper = tmp_path / "pagefind-behind"
    wrapper.write_text("#!/bin/sh\n" + script.replace("{pagefind}", search.pagefind_program()) + "\n", encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setattr(search, "pagefind_program", lambda: str(wrapper))
    monkeypatch.setattr(search.os, "cpu_count", lambda: 2)
    return wrapper

def test_products_json_contract(built):
    data = json.loads((built / "data" / "products.json").read_text(encoding="utf-8"))
    assert data["generated"] == TODAY
    products = {p["id"]: p for p in data["products"]}
    assert sorted(products) == ["banana", "chicken", "coffee", "tea", "tour"]
    assert {p["status"] for p in products.values()} == {"valid", "expiring", "expired", "revoked", "unrated"}
    for p in products.values():
        assert set(p["name"]) == set(LANGS) and all(p["name"].values())
        assert p["verify_url"] == f"{BASE}v/{p['id']}/"
        assert p["urls"] == {lang: f"{BASE}{lang}/products/{p['id']}/" for lang in LANGS}
        assert set(p["qr"]) == {"svg", "png"}
        for key in ("category", "commune", "stars", "valid_until", "decision"):
            assert key in p
    coffee = products["coffee"]
    assert (coffee["status"], coffee["stars"], coffee["valid_until"]) == ("valid", 3, "2028-09-12")
    assert coffee["decision"] == {"number": "1898/QĐ-UBND", "date": "2025-09-12", "issuer": "province"}
    assert products["tea"]["name"] == {"vi": "Trà dây", "en": "Trà dây"}          # plain text: every language
    assert products["chicken"]["status"] == "expiring" and products["banana"]["status"] == "expired"
    tea = products["tea"]                                    # revoked: still the latest recognition's facts
    assert (tea["status"], tea["stars"], tea["decision"]["number"]) == ("revoked", 3, "45/QĐ-UBND")
    tour = products["tour"]
    assert (tour["status"], tour["stars"], tour["valid_until"], tour["decision"]) == ("unrated", None, None, None)


def test_products_csv_has_bom_and_the_same_products(built):
    raw = (built / "data" / "products.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["banana", "chicken", "coffee", "tea", "tour"]
    coffee = next(r for r in rows if r["id"] == "coffee")
    assert coffee["name_vi"] == "Cà phê" and coffee["status"] == "valid" and coffee["verify_url"] == f"{BASE}v/coffee/"


def test_exports_carry_what_an_agency_plans_with(built):
    """SPEC §7: price, producer, showrooms and photos in products.json and .csv; the showrooms as
    data; each JSON export valid against the JSON Schema published beside it."""
    import jsonschema
    products = {p["id"]: p for p in json.loads((built / "data/products.json").read_text(encoding="utf-8"))["products"]}
    coffee = products["coffee"]
    assert coffee["price"] == {"min": 100000, "max": 200000, "unit": {"vi": "túi", "en": "bag"}}
    assert coffee["producer"] == {"name": {"vi": "HTX Hoa Nam", "en": "Hoa Nam Cooperative"}, "kind": "cooperative",
                                  "phone": None, "email": None, "website": None, "address": None}
    assert coffee["showrooms"] == ["corner"] and products["tea"]["price"] is None
    assert len(coffee["images"]) == 1 and coffee["images"][0].startswith(BASE + "media/")
    assert (built / coffee["images"][0][len(BASE):]).is_file()          # every listed address is a file
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((built / "data/products.csv").read_text(encoding="utf-8-sig")))}
    assert {k: rows["coffee"][k] for k in ("price_min", "price_max", "price_unit", "producer_name", "producer_phone",
                                           "producer_email", "showrooms", "image")} == {
        "price_min": "100000", "price_max": "200000", "price_unit": "túi", "producer_name": "HTX Hoa Nam",
        "producer_phone": "", "producer_email": "", "showrooms": "corner", "image": coffee["images"][0]}
    rooms = json.loads((built / "data/showrooms.json").read_text(encoding="utf-8"))
    assert rooms == {"showrooms": [{"id": "corner", "name": {"vi": "Góc OCOP", "en": "OCOP corner"}, "commune": "dak-rve",
                                    "address": {"vi": "Đăk Rve", "en": "Đăk Rve"}, "phone": None, "hours": None,
                                    "location": {"lat": 14.48, "lon": 108.07}, "products": ["coffee"]}]}
    room_rows = list(csv.DictReader(io.StringIO((built / "data/showrooms.csv").read_text(encoding="utf-8-sig"))))
    assert room_rows == [{"id": "corner", "name": "Góc OCOP", "commune": "dak-rve", "address": "Đăk Rve", "phone": "",
                          "hours": "", "lat": "14.48", "lon": "108.07", "products": "coffee"}]
    for name in ("products", "showrooms"):
        schema = json.loads((built / f"data/{name}.schema.json").read_text(encoding="utf-8"))
        jsonschema.validate(json.loads((built / f"data/{name}.json").read_text(encoding="utf-8")), schema,
                            format_checker=jsonschema.FormatChecker())
    broken = {"products": [dict(coffee, price={"min": "cheap", "max": None, "unit": None})], "generated": TODAY}
    with pytest.raises(jsonschema.ValidationError):          # the schema holds something
        jsonschema.validate(broken, json.loads((built / "data/products.schema.json").read_text(encoding="utf-8")))


def test_csv_cells_cannot_run_as_formulas(site, tmp_path):
    path = site / "products" / "tour.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: {vi: Du lịch cộng đồng, en: Community tourism}",
                                                             'name: {vi: "=HYPERLINK(1)", en: "@SUM(A1)"}'),
                    encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out/data/products.csv").read_text(encoding="utf-8-sig"))))
    tour = next(r for r in rows if r["id"] == "tour")
    assert (tour["name_vi"], tour["name_en"]) == ("'=HYPERLINK(1)", "'@SUM(A1)")


# ---------------------------------------------------------------------------- QR codes

def svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Draws the SVG's own rectangles, so the test decodes what the SVG says, not the PNG."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    assert '<rect width="%d" height="%d" fill="#fff"/>' % (size, size) in svg
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle((x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1), fill=0)
    return image


def quiet_zone_modules(image: Image.Image, module: int) -> float:
    gray = image.convert("L")
    left, top, right, bottom = gray.point(lambda v: 255 if v < 128 else 0).getbbox()
    return min(left, top, gray.width - right, gray.height - bottom) / module


def test_every_qr_code_decodes_to_its_verify_url(built):
    products = json.loads((built / "data" / "products.json").read_text(encoding="utf-8"))["products"]
    for p in products:
        png = Image.open(built / p["qr"]["png"])
        assert png.mode in ("1", "L", "RGB")                    # opaque: no alpha channel
        png.load()
        assert png.convert("L").getpixel((0, 0)) == 255          # light background
        svg = svg_to_image((built / p["qr"]["svg"]).read_text(encoding="utf-8"))
        for image in (png, svg):
            decoded = zxingcpp.read_barcodes(image)
            assert [d.text for d in decoded] == [p["verify_url"]]
            assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode
        assert quiet_zone_modules(svg, 8) >= 4
        assert quiet_zone_modules(png, 8) >= 4


def test_the_sites_qr_encoder_gives_the_librarys_modules_at_every_length():
    """Versions 1 to 13 (one block and several, with and without version information): the same
    modules as the qrcode library's with mask 2, and a scanner reads them back."""
    import qrcode

    from generator.assets import qr
    for length in range(1, 400, 3):
        payload = ("https://ocop.example.vn/v/cà-phê-" + "đ" * length)[:length]
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=qr.QUIET_ZONE,
                             mask_pattern=qr.MASK)
        code.add_data(payload.encode(), optimize=0)
        code.make(fit=True)
        assert qr.matrix(payload) == code.get_matrix(), length
        if length % 30 == 1:
            assert zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.png(qr.modules(payload)))))[0].text == payload


def test_qr_files_are_named_by_what_went_in(built, tmp_path, site):
    out = tmp_path / "other"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY,
                "--base-url", "https://ocop.example.org/catalogue/").code == 0
    first = json.loads((built / "data/products.json").read_text(encoding="utf-8"))["products"][0]
    second = json.loads((out / "data/products.json").read_text(encoding="utf-8"))["products"][0]
    assert second["verify_url"] == "https://ocop.example.org/catalogue/v/banana/"
    assert first["qr"] != second["qr"]
    assert zxingcpp.read_barcodes(Image.open(out / second["qr"]["png"]))[0].text == second["verify_url"]


# ---------------------------------------------------------------------------- pages, URLs, languages

def test_every_listed_url_maps_to_a_file(built):
    data = json.loads((built / "data" / "products.json").read_text(encoding="utf-8"))
    urls = [p["verify_url"] for p in data["products"]] + [u for p in data["products"] for u in p["urls"].values()]
    for p in data["products"]:
        assert (built / p["qr"]["svg"]).is_file() and (built / p["qr"]["png"]).is_file()
    sitemap = ElementTree.parse(built / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls += [loc.text for loc in sitemap.findall("s:url/s:loc", ns)]
    urls += [link.get("href") for link in sitemap.findall("s:url/x:link", ns)]
    for page in html_pages(built).values():
        urls += list(page.alternates.values()) + [u for u in page.links if u.startswith(BASE)]
    assert len(urls) > 50
    for url in urls:
        assert file_for(built, url).is_file(), url


def test_every_internal_link_resolves(built):
    for name, page in html_pages(built).items():
        for link in page.links:
            if link.startswith("/"):
                path = link.split("#")[0].split("?")[0].lstrip("/")
                target = built / (path + "index.html" if path.endswith("/") or not path else path)
                assert target.is_file(), f"{name}: {link}"
            else:
                assert link.startswith(("https://", "http://", "mailto:", "tel:", "geo:", "#")), f"{name}: {link}"


def test_every_page_has_its_language_and_alternates(built):
    pages = html_pages(built)
    assert len(pages) > 30
    for name, page in pages.items():
        first, second = (name.split("/") + [""])[:2]
        if first == "embed":        # a card for another site's page: its language, no alternates
            assert page.lang == second and not page.alternates, name
            continue
        assert page.lang == (first if first in LANGS else "vi"), name
        assert set(page.alternates) == set(LANGS) | {"x-default"}, name
    product = pages["en/products/coffee/index.html"]
    assert product.alternates == {"vi": f"{BASE}vi/products/coffee/", "en": f"{BASE}en/products/coffee/",
                                  "x-default": f"{BASE}vi/products/coffee/"}


def test_sitemap_lists_every_page_but_404_and_the_cards_for_other_sites(built):
    sitemap = ElementTree.parse(built / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    listed = {file_for(built, loc.text).relative_to(built).as_posix() for loc in sitemap.findall("s:url/s:loc", ns)}
    pages = set(html_pages(built))
    assert (built / "404.html").is_file()
    assert listed == {page for page in pages if not page.startswith("embed/")} - {"404.html"}
    entry = next(u for u in sitemap.findall("s:url", ns) if u.find("s:loc", ns).text == f"{BASE}en/about/")
    assert {link.get("hreflang") for link in entry.findall("x:link", ns)} == {"vi", "en", "x-default"}


def test_a_sitemap_of_more_pages_than_a_file_may_hold_is_an_index_of_several(site, tmp_path, monkeypatch):
    """sitemaps.org allows 50,000 pages a file (a national catalogue has more): past that,
    sitemap.xml is an index of files that list every page once between them, with its alternates."""
    from generator.pages import routes
    monkeypatch.setattr(routes, "SITEMAP_ENTRIES", 10)
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    index = ElementTree.parse(out / "sitemap.xml").getroot()
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
    pages = {page for page in html_pages(out) if not page.startswith("embed/")} - {"404.html"}
    assert parts == [f"{BASE}sitemap-{n}.xml" for n in range(1, -(-len(pages) // 10) + 1)]
    listed = []
    for part in parts:
        urls = ElementTree.parse(file_for(out, part)).getroot().findall("s:url", ns)
        assert 0 < len(urls) <= 10 and all(len(url.findall("x:link", ns)) == 3 for url in urls)    # vi, en, x-default
        listed += [file_for(out, url.find("s:loc", ns).text).relative_to(out).as_posix() for url in urls]
    assert sorted(listed) == sorted(pages)
    assert (out / "robots.txt").read_text(encoding="utf-8").endswith(f"Sitemap: {BASE}sitemap.xml\n")


def test_verification_page_carries_the_status(built):
    expected = {"coffee": "valid", "chicken": "expiring", "banana": "expired", "tea": "revoked", "tour": "unrated"}
    for product, status in expected.items():
        html = (built / "v" / product / "index.html").read_text(encoding="utf-8")
        page = Page(html)
        assert page.lang == "vi"
        assert page.statuses == [status], product
    coffee = (built / "v/coffee/index.html").read_text(encoding="utf-8")
    assert 'data-valid-until="2028-09-12"' in coffee and "1898/QĐ-UBND" in coffee
    assert 'data-batches="1-100:2025-10-01"' in coffee
    tea = (built / "v/tea/index.html").read_text(encoding="utf-8")
    assert "Không đạt tiêu chí bắt buộc." in tea          # the revocation's reason, in the default language


def test_missing_translations_fall_back_and_say_so(built):
    en = (built / "en/products/tea/index.html").read_text(encoding="utf-8")
    assert '<div lang="vi" class="fallback" title="Not yet translated"><p>Trà dây rừng.</p></div>' in en
    assert 'class="fallback-note"' in en
    assert 'class="fallback-note"' not in (built / "en/products/coffee/index.html").read_text(encoding="utf-8")
    assert '<article class="prose fallback" lang="vi">' in (built / "en/news/2025-09-20-new-products/index.html").read_text(encoding="utf-8")


def test_former_commune_page_leads_to_the_new_one(built):
    html = (built / "en/communes/dak-pne/index.html").read_text(encoding="utf-8")
    assert 'href="/en/communes/dak-rve/"' in html and "June 30, 2025" in html


def test_ui_is_translated_and_dates_follow_the_locale(built):
    vi = (built / "vi/products/coffee/index.html").read_text(encoding="utf-8")
    en = (built / "en/products/coffee/index.html").read_text(encoding="utf-8")
    assert "Nơi mua" in vi and "Where to buy" in en
    assert "12 tháng 9, 2028" in vi and "September 12, 2028" in en
    assert "100.000\u00a0₫" in vi and "100,000\u00a0₫" in en


# ---------------------------------------------------------------------------- untrusted content

def test_markdown_and_text_cannot_inject_script(site, tmp_path):
    (site / "products" / "tour.yaml").write_text(
        "name: {vi: '<script>alert(1)</script>Du lịch', en: Tour}\ncategory: tourism\ncommune: dak-rve\n"
        "producer: {name: X, website: 'https://example.vn/a?b=1&c=2'}\n"
        "description: |\n  Hello <script>alert(3)</script> <img src=https://tracker.example/p.gif onerror=alert(4)>\n"
        "  [click](javascript:alert(5)) <iframe src=https://evil.example></iframe>\n"
        "  [ok](https://example.vn)\n", encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    for path in (tmp_path / "out").rglob("*"):
        if path.suffix in (".html", ".xml", ".json"):
            text = path.read_text(encoding="utf-8-sig")
            assert "<script>alert" not in text and "onerror" not in text and "javascript:" not in text, path
            assert "<iframe" not in text and "tracker.example" not in text, path
    page = (tmp_path / "out/vi/products/tour/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Du lịch" in page
    assert 'href="https://example.vn/a?b=1&amp;c=2"' in page
    assert '<a href="https://example.vn" rel="noopener noreferrer">ok</a>' in page
    data = json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))
    assert data["products"][-1]["name"]["vi"] == "<script>alert(1)</script>Du lịch"     # still the same text


# ---------------------------------------------------------------------------- determinism and safety

def test_two_builds_are_byte_identical(site, tmp_path, monkeypatch):
    """Each in a folder of its own (no cache shared), the second writing its search documents in
    reverse order, as page workers may finish them in any order."""
    from generator.assets.search import SearchIndex
    assert ocop("build", "--site", site, "--output", tmp_path / "a/out", "--today", TODAY).code == 0
    original = SearchIndex.__init__

    def documents_reversed(self, *args):
        original(self, *args)
        self.jobs.reverse()

    monkeypatch.setattr(SearchIndex, "__init__", documents_reversed)
    assert ocop("build", "--site", site, "--output", tmp_path / "b/out", "--today", TODAY).code == 0
    assert tree(tmp_path / "a/out") == tree(tmp_path / "b/out")


def test_source_date_epoch_sets_the_build_date(site, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1893456000")          # 2030-01-01T00:00:00Z
    assert ocop("build", "--site", site, "--output", tmp_path / "out").code == 0
    data = json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))
    assert data["generated"] == "2030-01-01"
    assert {p["id"]: p["status"] for p in data["products"]}["coffee"] == "expired"      # 2028-09-12 is past
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", "2029-01-01").code == 0
    assert json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))["generated"] == "2029-01-01"


def test_a_failed_build_leaves_the_previous_output_alone(site, tmp_path):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    (site / "products" / "coffee.yaml").write_text("name: [broken\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 1 and "products/coffee.yaml:" in result.err
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".ocop-cache") == ["out", "site"]      # no temporary folders left


def test_a_crash_while_writing_leaves_the_previous_output_alone(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8").replace(   # every page changes
        "Sản phẩm OCOP thử", "Sản phẩm OCOP mới"), encoding="utf-8")
    from generator.output import write
    calls = {"n": 0}
    real = write.Output.write

    def fail_midway(self, rel, data, *rest):
        calls["n"] += 1
        if calls["n"] == 20:
            raise OSError(28, "No space left on device", rel)
        return real(self, rel, data, *rest)

    monkeypatch.setattr(write.Output, "write", fail_midway)
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 1 and result.err == (f"ocop: error: disk full while writing {out}: free some space and "
                                               "run it again; the previous output is unchanged\n")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".ocop-cache") == ["out", "site"]


def test_a_cache_file_is_written_whole_or_not_at_all(tmp_path):
    from generator.output.cache import read_versioned, write_versioned
    path = tmp_path / "memo.data"
    write_versioned(path, 1, {"a": "kept"})
    with pytest.raises(TypeError):
        write_versioned(path, 1, {"a": lambda: "cannot be kept"})
    assert read_versioned(path, 1) == {"a": "kept"} and [p.name for p in tmp_path.iterdir()] == ["memo.data"]
    assert read_versioned(path, 2) == {}           # another version of the file's: made again
    path.write_bytes(path.read_bytes()[:-3])
    assert read_versioned(path, 1) == {}           # cut short: made again


def test_the_cache_keeps_plain_data_and_gives_back_the_site_s_records(site):
    """What the build keeps (checked products, decisions, parsed YAML, routes, dates, problems)
    comes back equal and of its class, arrays as tuples; what is not plain data or a record of
    the site's cannot be kept; bytes that are not what pack() wrote are refused, never run."""
    from datetime import date
    from generator import build
    from generator.output.cache import NotData, pack, unpack
    from generator.pages.routes import Route
    from generator.site.load import parse_yaml
    checked, problems = build.check(site, date.fromisoformat(TODAY))
    assert checked and not problems
    product = checked.products[0]
    parsed = parse_yaml((site / "products/coffee.yaml").read_text(encoding="utf-8"), "products/coffee.yaml")
    values = {"product": product, "decisions": checked.decisions, "standing": checked.standing,
              "parsed": parsed, "route": Route("product", "en", "en/products/coffee/", "coffee"), "on": checked.today,
              "list": [1, "a", b"b", None, 1.5, True]}
    back = unpack(pack(values))
    assert type(back["product"]) is type(product) and "description" not in back["product"].__dict__   # unpacked when read
    assert back["product"].description == product.description and "description" in back["product"].__dict__
    assert back == {**values, "parsed": (parsed[0], tuple(parsed[1])), "list": (1, "a", b"b", None, 1.5, True)}
    assert type(back["parsed"][0]) is type(parsed[0]) and back["parsed"][0].key_marks == parsed[0].key_marks
    assert type(back["route"]) is Route and back["route"].output == "en/products/coffee/index.html"
    assert pack(back) == pack(values)         # the same bytes again: digests of what was read back hold
    decision = checked.decisions[0]
    again = unpack(pack((decision, [decision], {"d": decision})))   # a record met again stays one record
    assert again[0] == decision and again[0] is again[1][0] is again[2]["d"]
    for not_data in (lambda: 1, {1, 2}, site, Exception("x")):
        with pytest.raises(TypeError):
            pack(not_data)
    import pickle
    unknown_type, unknown_number = b"\xd4\x63\x00", b"\x81\xd4\x02\x00\x05"
    for foreign in (pickle.dumps(os.system), unknown_type, unknown_number, pack({"a": 1})[:-1], pack(1) + pack(2)):
        with pytest.raises(NotData):
            unpack(foreign)


def test_a_build_that_dies_while_moving_files_in_is_finished_by_the_next_run(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8").replace(
        "Sản phẩm OCOP thử", "Sản phẩm OCOP mới"), encoding="utf-8")
    for lang in ("en", "vi"):
        (site / f"content/pages/about.{lang}.md").unlink()  # a page fewer: files to delete
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    from generator.output import write
    moves = {"n": 0}
    real = write.os.replace

    def die_midway(source, target):
        if ".out.new-" in str(source) and "journal" not in str(source):
            moves["n"] += 1
            if moves["n"] == 5:
                raise SystemExit("killed")      # as if the process died with the journal half done
        return real(source, target)

    monkeypatch.setattr(write.os, "replace", die_midway)
    with pytest.raises(SystemExit):
        from generator.build import build
        from datetime import date
        build(site, out, date.fromisoformat(TODAY))
    monkeypatch.setattr(write.os, "replace", real)
    assert moves["n"] == 5 and list(tmp_path.glob(".out.new-*"))
    from generator.output.write import recover
    recover(out, tmp_path / ".ocop-cache" / "built-out.data")
    assert tree(out) == tree(cold)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".ocop-cache") == ["cold", "out", "site"]
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0     # and builds on from there
    assert tree(out) == tree(cold)


def test_a_journal_moves_files_in_past_whatever_stands_in_their_way(tmp_path):
    from generator.output.write import JOURNAL, apply, staged_name
    dest, stage = tmp_path / "out", tmp_path / ".out.new-x"
    (dest / "a").mkdir(parents=True)
    (dest / "a" / "b").write_text("a file where a folder goes")
    (dest / "x" / "index.html").mkdir(parents=True)
    (dest / "x" / "index.html" / "old").write_text("in a folder where a file goes")
    (dest / "gone" / "deep").mkdir(parents=True)
    (dest / "gone" / "deep" / "f").write_text("deleted, and its folders with it")
    (dest / "kept").write_text("")
    stage.mkdir()
    moves = {"a/b/c.html": b"c", "x/index.html": b"x", "kept": b"new"}
    for rel, data in moves.items():
        (stage / staged_name(rel)).write_bytes(data)
    (stage / JOURNAL).write_text(json.dumps({
        "moves": sorted((staged_name(rel), rel) for rel in moves), "deletes": ["gone/deep/f"],
        "manifest": [str(tmp_path / "new.data"), str(tmp_path / "built.data")]}))
    apply(stage, dest)
    assert tree(dest) == moves and not (dest / "gone").exists() and not stage.exists()


def test_output_left_by_a_version_that_swapped_whole_folders_is_restored(site, tmp_path):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    # as if the process died between moving the old output away and moving the new one in
    old = tmp_path / ".out.old-x"
    old.mkdir()
    os.replace(out, old / "site")
    (tmp_path / ".out.new-y").mkdir()
    from generator.output.write import recover
    recover(out, tmp_path / ".ocop-cache" / "built-out.data")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".ocop-cache") == ["out", "site"]


def test_every_page_forbids_scripts_and_requests_from_elsewhere(built):
    for name, page in html_pages(built).items():
        html = (built / name).read_text(encoding="utf-8")
        assert ('<meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;; img-src &#39;self&#39;; '
                "script-src &#39;self&#39; &#39;wasm-unsafe-eval&#39;;") in html, name
        for script in page.scripts:             # files of the theme, or data (JSON-LD) that never runs
            assert script.get("src", "").startswith("/static/") or script.get("type") == "application/ld+json", name
        assert re.search(r'<script(?![^>]*\b(src=|type="application/ld\+json"))', html) is None, name
        assert re.search(r"<[^>]*\s(style|on[a-z]+)\s*=", html) is None, name
    assert "Content-Security-Policy: default-src 'self'" in (built / "_headers").read_text(encoding="utf-8")


def test_a_link_to_a_missing_page_is_a_build_error(site, tmp_path):
    (site / "content/pages/about.en.md").write_text("---\ntitle: About\n---\nSee [products](../products/), "
                                                    "[the news](/en/news/) and [old](/en/gone/).\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1
    assert result.err.splitlines()[0] == ("content/pages/about.en.md:4:63: error: the page /en/about/ links to "
                                          "'/en/gone/', which is not part of the site; fix the link or add what it "
                                          "points to")
    assert not (tmp_path / "out").exists()


def test_a_broken_link_is_said_once_for_every_page_it_breaks_in(site, tmp_path):
    """The Vietnamese text of a page without an English one is shown on both languages' pages: its
    relative link leads nowhere from each, one error says so."""
    (site / "content/pages/about.en.md").unlink()
    about = site / "content/pages/about.vi.md"
    about.write_text(about.read_text(encoding="utf-8") + "\n[cũ](../gone/)\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1
    assert [line for line in result.err.splitlines() if ": error: " in line] == [
        "content/pages/about.vi.md:6:6: error: the page /en/about/ (and 1 other page) links to '../gone/', which is "
        "not part of the site; fix the link or add what it points to"]


def test_a_broken_link_in_a_product_description_is_located_in_its_file(site, tmp_path):
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace(
        "  en: Plain-roasted **coffee**.", "  en: Plain-roasted **coffee**, [sold here](/en/shops/?a=1&b=2)."),
        encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("products/coffee.yaml:9:45: error: the page /en/products/coffee/ "
                                                 "links to '/en/shops/?a=1&b=2', which"), result.err


@pytest.mark.parametrize("stop, code, said", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "stopped")])
def test_ctrl_c_or_a_cancelled_job_during_a_build_leaves_the_previous_output_alone(site, tmp_path, stop, code, said):
    """Ctrl-C, or SIGTERM (a CI job cancelled, `timeout`, `docker stop`) sent to the whole process
    group: one line, the previous output as it was, nothing left beside it or in /dev/shm."""
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    from conftest import add_products
    add_products(site, 400)
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    (site / "site.yaml").write_text((site / "site.yaml").read_text(encoding="utf-8").replace(   # every page changes
        "Sản phẩm OCOP thử", "Sản phẩm OCOP mới"), encoding="utf-8")
    slowly = ("import time, generator.output.produce as p; run = p.Work.run\n"            # every job a little slower,
              "p.Work.run = lambda self, *a: (time.sleep(0.002), run(self, *a))[1]\n"   # so Ctrl-C lands mid-build
              "from generator.commands.cli import command; command()")
    scratch = {Path(tempfile.gettempdir()), Path("/dev/shm")}
    build = subprocess.Popen([sys.executable, "-c", slowly, "build", "--site", str(site), "--output", str(out),
                              "--today", TODAY], stderr=subprocess.PIPE, text=True, start_new_session=True,
                             # as from a shell: Ctrl-C not ignored, whatever this test process inherited
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for _ in range(600):                                     # wait until it is writing the new output
        if list(tmp_path.glob(".out.new-*/*")):
            break
        time.sleep(0.01)
    os.killpg(build.pid, getattr(signal, stop))             # the build and its workers, as a terminal does
    assert build.wait(60) == code
    assert build.stderr.read().splitlines()[-1] == f"ocop: {said}; the previous output is unchanged"
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".ocop-cache") == ["out", "site"]
    assert not [p for folder in scratch for p in folder.glob(f"ocop-search-{build.pid}-*")]     # its own, not others'



def test_a_process_that_builds_again_reads_a_memo_file_once_until_it_is_written(site, tmp_path, monkeypatch):
    """As `ocop serve` does: the products checked are read from the cache at the first build
    after the file was written, not at every build (a rebuild is checked against a cold one by
    the random edits above, which build in one process too)."""
    from generator.site import load
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)            # a small site's memo is written too
    monkeypatch.setattr(load.Memo, "read", {})          # nothing kept from other tests
    from generator.output import cache
    reads, original = [], cache.read_versioned
    monkeypatch.setattr(cache, "read_versioned", lambda path, version: reads.append(path.name) or original(path, version))
    edits = [("content/pages/about.en.md", "The **about** page.", "The **about** page, edited."),
             ("content/pages/about.en.md", "page, edited.", "page, edited again."),
             ("products/coffee.yaml", "Plain-roasted **coffee**.", "Plain-roasted **coffee**, now darker."),
             ("content/pages/about.en.md", "edited again.", "edited a third time.")]
    read_at = []
    for number, (path, old, new) in enumerate([(None, "", ""), *edits]):
        if path:
            file = site / path
            file.write_text(file.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        reads.clear()
        assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
        if "checked.data" in reads:
            read_at.append(number)
    assert read_at == [1, 4]        # written by the first build and by the product's edit (the third)


def test_a_fault_of_ocop_itself_is_one_line_and_leaves_the_output(site, tmp_path, monkeypatch):
    from generator.output import produce
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    monkeypatch.setattr(produce.Work, "make", lambda self, route: 1 / 0)
    (site / "content/pages/about.en.md").write_text("---\ntitle: About\n---\nEdited.\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 70 and "Traceback" not in result.err
    assert result.err.startswith("ocop: internal error: ZeroDivisionError: division by zero (test_build.py:"), result.err
    assert tree(out) == before
    told = ocop("build", "--site", site, "--output", out, "--today", TODAY, "--verbose")     # for whoever reports it
    assert told.code == 70 and told.err.startswith("Traceback (most recent call last):")
    assert "in <lambda>" in told.err and told.err.rstrip().endswith("please report it with the command you ran")
    assert tree(out) == before


def test_a_product_page_weighs_under_100_kb_with_its_css_and_js(built):
    page = built / "vi/products/coffee/index.html"
    html = page.read_text(encoding="utf-8")
    assets = [built / href.lstrip("/") for href in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)]
    assert any(a.suffix == ".css" for a in assets)
    total = page.stat().st_size + sum(a.stat().st_size for a in assets)
    assert total < 100 * 1024, total


def test_sharing_tags_and_structured_data(built):
    html = (built / "en/products/coffee/index.html").read_text(encoding="utf-8")
    assert '<meta property="og:title" content="Coffee">' in html
    assert re.search(r'<meta property="og:image" content="https://ocop.example.vn/media/coffee-\w+-64.jpg">', html)
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta name="description" content="Plain-roasted coffee.">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    assert data["@type"] == "Product" and data["name"] == "Coffee" and data["gtin"] == "8936000000011"
    assert data["manufacturer"] == {"@type": "Organization", "name": "Hoa Nam Cooperative"}
    cert = data["hasCertification"]
    assert (cert["certificationIdentification"], cert["expires"], cert["certificationRating"]["ratingValue"]) == (
        "1898/QĐ-UBND", "2028-09-12", 3)
    assert cert["url"] == "https://ocop.example.vn/v/coffee/"
    tea = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>',
                               (built / "en/products/tea/index.html").read_text(encoding="utf-8")).group(1))
    assert "hasCertification" not in tea                     # revoked: no certificate to claim
    assert (built / "robots.txt").read_text(encoding="utf-8").endswith("Sitemap: https://ocop.example.vn/sitemap.xml\n")


def test_a_rebuild_after_random_edits_equals_a_cold_build(site, tmp_path, monkeypatch):
    """Kept pages, caches (photos, QR codes, search index, checked products) and the previous
    output never leave a stale byte: after each edit of tests/random_edits.py that the minimal
    site can take (of every kind of input), alone and then three at a time, a photo changed, a
    product added and one withdrawn, building over the old output gives what a cold build gives."""
    import random
    import shutil
    from generator.site import load
    from generator.build import BUNDLED_THEMES
    from random_edits import LINES, change, rebuilt_as_cold
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memos are written too
    shutil.copytree(BUNDLED_THEMES / "default", site / "themes/default")      # a theme of the site's own, to edit
    rng = random.Random(7)
    out = tmp_path / "incremental"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    edits = [(path, one, other) for path, one, other in LINES         # those the minimal site has
             if (site / path).is_file() and one in (site / path).read_text(encoding="utf-8")]
    made, undone = rng.sample(edits, len(edits)), rng.sample(edits, len(edits))
    groups = [[edit] for edit in made] + [undone[i:i + 3] for i in range(0, len(undone), 3)]   # alone, then together
    for round_, group in enumerate(groups):
        for edit in group:
            said = change(site, ("line", edit), rng)
            assert " → " in said, said
        if round_ == 1:
            from PIL import Image
            Image.new("RGB", (64, 48), (10, 120, 40)).save(site / "products/media/coffee.png")
        if round_ == 3:
            add_melon(site)
        if round_ == 5:         # a product withdrawn: its verification page stays, saying so
            (site / "products/tour.yaml").unlink()
            (site / "content/retired.yaml").write_text("- {id: tour, note: Ngừng.}\n", encoding="utf-8")
        built, wrong = rebuilt_as_cold(site, out, tmp_path / f"cold-{round_}" / "out", TODAY)
        assert built.code == 0, built.err
        assert wrong is None, (round_, group, wrong)


# A theme's edits (template, a line of it, a line put after it, and what the build says of it, or
# None): a template that reads what its kind's inputs and the site-wide values leave out fails at
# its line; one that reads what it is given is rebuilt exactly as cold after the content changes
THEME_READS = [
    ("product.html", "<h1>{{ t(p.name) }}</h1>", "{% for q in featured[:4] %}{{ q.id }}{% endfor %}",
     "'featured' is undefined"),
    ("product.html", "<h1>{{ t(p.name) }}</h1>", "{% for q in certified[:4] %}{{ q.id }}{% endfor %}",   # its own flag
     "TypeError: 'bool' object is not subscriptable"),
    ("product.html", "<h1>{{ t(p.name) }}</h1>", "<p>{{ site.products|length }}</p>", "'site' is undefined"),
    ("_card.html", '    <a href="{{ href(\'product\', p.id) }}">', "{{ product.id }}", "'product' is undefined"),
    ("verify-section.html", '<div class="verdict">', "{{ listing|length }}", "'listing' is undefined"),
    ("commune.html", "<h1>{{ t(c.name) }}</h1>", "{% for post in news %}{{ post.id }}{% endfor %}", "'news' is undefined"),
    ("embed.html", "<main>", "{% for s in showrooms %}{{ s.id }}{% endfor %}", "'showrooms' is undefined"),
    ("glance.html", "<h1>{{ _(\"The programme at a glance\") }}</h1>", "{{ featured|length }}", "'featured' is undefined"),
    ("page.html", "<h1>{{ a.title }}</h1>", "{{ listing|length }}", "'listing' is undefined"),
    ("product.html", "<h1>{{ t(p.name) }}</h1>",
     "{% for s in showrooms %}<p>{{ t(s.address) }} {{ s.phone }}</p>{% endfor %}", None),
    ("_card.html", '    <a href="{{ href(\'product\', p.id) }}">',
     "<small>{{ t(communes[p.commune].name) }} {{ history(p)|length }}</small>", None),
    ("home.html", "<h2>{{ _(\"Featured products\") }}</h2>",
     "{% for p in featured %}<p>{{ day(standing(p).valid_until) }} {{ summary(p.description) }}</p>{% endfor %}", None),
    ("commune.html", "<h1>{{ t(c.name) }}</h1>",
     "<p>{{ current_communes|length }} {% for s in showrooms %}{{ t(s.name) }}{% endfor %} {{ listing|length }}</p>", None),
    ("verify-section.html", '<div class="verdict">', "<p>{{ stamps|length }} {{ day(updated) if updated }}</p>",
     "'updated' is undefined"),
    ("verify-section.html", '<div class="verdict">', "<p>{{ stamps|length }} {{ scans|length }}</p>", None),
    ("page.html", "<h1>{{ a.title }}</h1>", "<p>{{ figures|length }} {{ day(updated) if updated }}</p>", None),
]


def test_theme_edits_read_their_kinds_inputs_or_fail_at_their_line(site, tmp_path, monkeypatch):
    """A page's template sees its kind's inputs (kinds.py), what every page sees and pure helpers,
    nothing else: an edit that reads something else fails the build at its line and leaves the
    output as it was; one that reads what it is given is rebuilt as a cold build would build it,
    through random edits of the content."""
    import random
    import shutil
    from generator.site import load
    from generator.build import BUNDLED_THEMES
    from random_edits import LINES, change, rebuilt_as_cold
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)
    shutil.copytree(BUNDLED_THEMES / "default", site / "themes/default")
    templates = site / "themes/default/templates"
    rng = random.Random(11)
    out = tmp_path / "incremental"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    content = [(path, one, other) for path, one, other in LINES if not path.startswith("themes/")
               and (site / path).is_file() and one in (site / path).read_text(encoding="utf-8")]
    for round_, (name, line, added, said) in enumerate(rng.sample(THEME_READS, len(THEME_READS))):
        template = templates / name
        text = template.read_text(encoding="utf-8")
        assert text.count(line) == 1, (name, line)
        template.write_text(text.replace(line, f"{line}\n{added}"), encoding="utf-8")
        if said:
            before = tree(out)
            result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
            at = text[:text.index(line)].count("\n") + 2
            assert result.code == 1, (name, added)
            assert result.err.startswith(f"themes/default/templates/{name}:{at}:1: error: theme template error: "
                                         f"{said}"), result.err
            assert tree(out) == before
            template.write_text(text, encoding="utf-8")
            continue
        for edit in rng.sample(content, 3):
            change(site, ("line", edit), rng)
        built, wrong = rebuilt_as_cold(site, out, tmp_path / f"cold-{round_}" / "out", TODAY)
        assert built.code == 0, built.err
        assert wrong is None, (round_, name, added, wrong)


def test_a_page_kind_registered_with_its_inputs_is_kept_or_made_by_them(site, tmp_path, monkeypatch):
    """A kind added to the registry (here a price list of each category, in a theme of the site's
    own) gets its routes, its inputs and its template: an edit of a product it lists makes its
    page again, the others are kept, and the rebuild is what a cold build gives."""
    import shutil
    import yaml
    from generator.build import BUNDLED_THEMES
    from generator.pages import kinds
    from generator.pages.render import Renderer
    from generator.pages.routes import Route
    from random_edits import rebuilt_as_cold

    def routes(site):
        return [Route("prices", lang, f"{lang}/prices/{category}/", category) for lang in site.config.codes
                for category in sorted({p.category for p in site.products})]

    def inputs(sources, route):
        return {"priced": [p for p in sources.site.products if p.category == route.key and p.price]}
    monkeypatch.setitem(kinds.KINDS, "prices", kinds.Kind(inputs, "prices.html", routes=routes))
    shutil.copytree(BUNDLED_THEMES / "default", site / "themes/default")
    (site / "themes/default/templates/prices.html").write_text(
        '{% extends "base.html" %}{% block title %}{{ route.key }}{% endblock %}{% block main %}'
        '{% for p in priced %}<p class="priced">{{ t(p.name) }}: {{ vnd(p.price.min) }}</p>{% endfor %}{% endblock %}\n',
        encoding="utf-8")
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    coffee = yaml.safe_load((site / "products/coffee.yaml").read_text(encoding="utf-8"))
    page = out / f"en/prices/{coffee['category']}/index.html"
    assert "100,000" in page.read_text(encoding="utf-8")
    categories = {p.parent.name for p in out.glob("en/prices/*/index.html")}
    assert len(categories) > 1
    made, render = [], Renderer.render
    monkeypatch.setattr(Renderer, "render", lambda self, route, *more: made.append(route) or render(self, route, *more))
    edit = site / "products/coffee.yaml"
    edit.write_text(edit.read_text(encoding="utf-8").replace("price: {min: 100000", "price: {min: 110000"),
                    encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert "110,000" in page.read_text(encoding="utf-8")
    assert {(r.lang, r.key) for r in made if r.kind == "prices"} == {("vi", coffee["category"]),
                                                                     ("en", coffee["category"])}
    built, wrong = rebuilt_as_cold(site, out, tmp_path / "cold" / "out", TODAY)
    assert built.code == 0 and wrong is None, (built.err, wrong)


def test_a_rebuild_after_each_step_of_a_random_sequence_equals_a_cold_build(tmp_path, monkeypatch):
    """As above, on a site whose lists run to several pages, with new build dates, decisions and
    posts added and removed, a product withdrawn and back, languages, communes and showrooms
    added, and errors mended (tests/random_edits.py; run it with more seeds after changing what
    a build keeps)."""
    from generator.site import load
    from random_edits import sequence
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # the caches written after every change
    wrong = sequence(tmp_path, seed=6)
    assert wrong is None, wrong


def test_a_second_build_of_the_same_output_at_once_is_refused(site, tmp_path):
    import fcntl
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    with (tmp_path / ".ocop-cache/out.lock").open("a+") as lock:          # as a build in progress holds it
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.truncate(0)
        lock.write("4242\n")
        lock.flush()
        result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 1 and f"another build (process 4242) is writing {out}" in result.err
    assert tree(out) == before
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0


def test_markdown_is_github_flavoured_and_converting_it_keeps_no_memory():
    """commonmark.py gives cmarkgfm's own HTML, and frees what cmark-gfm allocates: its wrapper
    loses ~30 kB a call, which a national catalogue turns into gigabytes."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    from generator.pages.commonmark import to_html
    samples = ["# Đăk Rve\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n", "~~old~~ www.example.vn and <script>x</script>",
               "- [x] done\n- [ ] todo\n\n```py\nprint(1)\n```\n", "Cà phê **rang mộc** <b>raw</b>", "", "\ud800"]
    for text in samples[:-1]:
        assert to_html(text) == cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    assert to_html(samples[-1]) == "<p>?</p>\n"        # a lone surrogate from a YAML escape is no crash

    if not os.path.exists("/proc/self/statm"):
        pytest.skip("resident memory is read from Linux's /proc")

    def resident_mib() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE") / 2**20
    text = "Cà phê **rang mộc** trồng trên đất đỏ bazan, [xem](https://example.vn). " * 30
    to_html(text)
    before = resident_mib()
    for i in range(4000):
        to_html(f"{text} {i}")
    assert resident_mib() - before < 20         # the wrapper's way: ~120 MiB more


def test_an_edit_renders_only_the_edited_products_search_documents(site, tmp_path, monkeypatch):
    """The other documents of the edited product's search shard come from the cache, as they were,
    and so do the other products' lines of the data files."""
    from generator.site import load
    from generator.pages.kinds import KINDS, SEARCH
    from generator.pages.render import Renderer
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = []
    original = Renderer.render

    def render(self, route, kinds=KINDS):
        if kinds is SEARCH:
            rendered.append((route.kind, route.key))
        return original(self, route, kinds)

    monkeypatch.setattr(Renderer, "render", render)
    from generator.pages import exports
    lines = []
    product_lines = exports.product_lines
    monkeypatch.setattr(exports, "product_lines", lambda s, r, p: lines.append(p.id) or product_lines(s, r, p))
    edit = site / "products/coffee.yaml"
    edit.write_text(edit.read_text(encoding="utf-8").replace("Plain-roasted", "Dark-roasted"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {key for kind, key in rendered if kind == "product"} == {"coffee"}
    assert lines == ["coffee"]          # the data files' other lines are kept too
    assert "Dark-roasted" in (out / "en/products/coffee/index.html").read_text(encoding="utf-8")
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_product_from_the_cache_has_the_key_it_had_when_checked(site, tmp_path, monkeypatch):
    """The build after a cold one takes unchanged products from the cache of checked products:
    they must get the same keys as when they were checked, or all their pages are made again."""
    from generator.site import load
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = renders(monkeypatch, lambda route: route.key)
    tea = site / "products/tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8").replace("Trà dây rừng.", "Trà dây rừng Kon Rẫy."), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert "tea" in rendered and "coffee" not in rendered       # coffee: a photo, whose alt text is in its key


def test_a_new_product_that_makes_a_list_a_page_longer_makes_that_list_again_not_the_site(
        site, tmp_path, monkeypatch):
    """How many pages a list has is in the keys of that list's pages, not in the site's: a new
    product that gives the catalogue a second page makes the catalogue's pages again (and the
    lists and search index it is in), not the other products' pages."""
    from generator.pages import routes
    monkeypatch.setattr(routes, "PER_PAGE", len(list((site / "products").glob("*.yaml"))))    # one page, then two
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    catalogue = (out / "en/products/index.html").read_text(encoding="utf-8")
    assert 'id="filters"' in catalogue and "data-href" not in catalogue     # the whole list: narrowed in place
    rendered = renders(monkeypatch, lambda route: (route.kind, route.lang, route.key, route.page))
    add_melon(site)
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {("catalogue", "en", "", 1), ("catalogue", "en", "", 2), ("product", "en", "melon", 1)} <= set(rendered)
    assert not {key for kind, _, key, _ in rendered if kind in ("product", "verify")} - {"melon"}
    catalogue = (out / "en/products/index.html").read_text(encoding="utf-8")
    assert "page/2/" in catalogue
    # a page of several: narrowed by what the facet lists' pages hold, each choice with its list's address
    assert 'data-href="/en/categories/food/"' in catalogue and 'id="more-products"' in catalogue
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_showrooms_products_come_a_page_at_a_time_made_again_only_when_one_of_them_changes(
        site, tmp_path, monkeypatch):
    """A showroom's products are a list like a commune's, PER_PAGE a page, keyed by the products
    it lists: not made at every build (300 showrooms, 20,000 products: a price edit took 16 s)."""
    from generator.pages import routes
    monkeypatch.setattr(routes, "PER_PAGE", 1)
    tea = site / "products/tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8") + "showrooms: [corner]\n", encoding="utf-8")
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    first, second = (Page((out / f"en/showrooms/corner/{page}index.html").read_text(encoding="utf-8"))
                     for page in ("", "page/2/"))
    assert "/en/products/coffee/" in first.links and "/en/showrooms/corner/page/2/" in first.links
    assert "/en/products/tea/" in second.links and "/en/products/coffee/" not in second.links
    rendered = renders(monkeypatch, lambda route: (route.kind, route.key, route.page))
    banana = site / "products/banana.yaml"           # sold in no showroom
    banana.write_text(banana.read_text(encoding="utf-8").replace("Chuối sấy", "Chuối sấy giòn"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert ("product", "banana", 1) in rendered and not {kind for kind, *_ in rendered} & {"showroom"}
    tea.write_text(tea.read_text(encoding="utf-8").replace("name: Trà dây", "name: Trà dây rừng"), encoding="utf-8")
    rendered.clear()
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {(key, page) for kind, key, page in rendered if kind == "showroom"} == {("corner", 2)}


def test_a_showrooms_edit_makes_again_the_pages_that_show_it_not_the_site(site, tmp_path, monkeypatch):
    """New opening hours for one of 300 showrooms made every page of 20,000 products again: now
    the pages of the products it sells, its own and its commune's."""
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = renders(monkeypatch)
    showrooms = site / "content/showrooms.yaml"
    showrooms.write_text(showrooms.read_text(encoding="utf-8").replace("  address: Đăk Rve\n",
                         "  address: Đăk Rve\n  hours: {vi: 7:00–17:00 hằng ngày, en: 7 am to 5 pm daily}\n"),
                         encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {("product", "coffee"), ("showroom", "corner"), ("commune", "dak-rve")} <= set(rendered)
    assert not {("product", "banana"), ("commune", "dak-koi"), ("catalogue", "")} & set(rendered)
    for page in ("en/products/coffee/", "en/showrooms/corner/"):
        assert "7 am to 5 pm daily" in (out / page / "index.html").read_text(encoding="utf-8"), page
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_decisions_scan_made_anew_makes_again_the_pages_of_its_products_only(site, tmp_path, monkeypatch):
    """A decision's scan is published under a name from its content, and its products' pages link
    it: a new scan (or a new decision with one) made every page again; now its products' pages."""
    scan = site / "products/media/decisions/1898.pdf"
    scan.parent.mkdir()
    scan.write_bytes(b"%PDF-1.4\n% first scan\n")
    decision = site / "products/decisions/province-2025.yaml"
    decision.write_text(decision.read_text(encoding="utf-8") + "document: media/decisions/1898.pdf\n", encoding="utf-8")
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = renders(monkeypatch)
    scan.write_bytes(b"%PDF-1.4\n% a clearer scan\n")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {("product", "coffee"), ("verify", "coffee"), ("verify", "tea")} <= set(rendered)   # tea: revoked by it
    assert not {("product", "banana"), ("verify", "chicken"), ("catalogue", "")} & set(rendered)
    link = re.search(r'href="(/media/1898-\w+\.pdf)"', (out / "v/coffee/index.html").read_text(encoding="utf-8"))[1]
    assert (out / link[1:]).read_bytes() == scan.read_bytes()
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_news_post_is_made_again_when_its_text_or_the_sites_pages_change_not_at_every_build(
        site, tmp_path, monkeypatch):
    """300 news posts made at every build cost a price edit at 20,000 products 0.4 s: a post is kept
    while its text, its files' dates, the site's photos and the site's pages are as they were (its
    text may link to any page, and a kept page's links are not checked again)."""
    post = site / "content/news/2025-09-20-new-products.vi.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nXem [tin sau](/vi/news/2025-10-01-more/).\n", encoding="utf-8")
    later = site / "content/news/2025-10-01-more.vi.md"
    later.write_text("---\ntitle: Tin sau\n---\nThêm.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = renders(monkeypatch)
    banana = site / "products/banana.yaml"
    banana.write_text(banana.read_text(encoding="utf-8").replace("Chuối sấy", "Chuối sấy giòn"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert ("product", "banana") in rendered
    assert not {kind for kind, _ in rendered} & {"news", "news-list", "feed", "page"}
    post.write_text(post.read_text(encoding="utf-8").replace("Ba sản phẩm mới.", "Bốn sản phẩm mới."), encoding="utf-8")
    rendered.clear()
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {kind for kind, _ in rendered} & {"news", "news-list", "feed", "page"} == {"news", "news-list", "feed"}
    assert "Bốn sản phẩm mới." in (out / "vi/news/2025-09-20-new-products/index.html").read_text(encoding="utf-8")
    later.unlink()                      # the post's link now leads nowhere, and the post is as it was
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 1 and result.err.startswith("content/news/2025-09-20-new-products.vi.md:"), result.err
    assert "links to '/vi/news/2025-10-01-more/'" in result.err


def test_a_retired_ids_page_is_made_again_when_what_became_of_it_changes_not_at_every_build(
        site, tmp_path, monkeypatch):
    """Retired ids pile up over the years (products renamed, withdrawn), and their pages stay:
    each is kept by what became of it and the product that replaced it, and retiring one more
    does not make the whole site again."""
    add_melon(site)                 # withdrawn below: the lists it is on stay
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = renders(monkeypatch)
    (site / "products/melon.yaml").unlink()
    retired = site / "content/retired.yaml"
    retired.write_text("- {id: melon, note: Ngừng.}\n", encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert ("verify", "melon") in rendered and not {("product", "coffee"), ("verify", "coffee")} & set(rendered)
    (site / "products/coffee.yaml").rename(site / "products/dak-rve-coffee.yaml")
    decision = site / "products/decisions/province-2025.yaml"
    decision.write_text(decision.read_text(encoding="utf-8").replace("product: coffee", "product: dak-rve-coffee"),
                        encoding="utf-8")
    retired.write_text(retired.read_text(encoding="utf-8") + "- {id: coffee, replaced_by: dak-rve-coffee}\n",
                       encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    banana = site / "products/banana.yaml"
    banana.write_text(banana.read_text(encoding="utf-8").replace("Chuối sấy", "Chuối sấy giòn"), encoding="utf-8")
    rendered.clear()
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert ("verify", "banana") in rendered and not {("verify", "melon"), ("verify", "coffee")} & set(rendered)
    coffee = site / "products/dak-rve-coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("Cà phê", "Cà phê Đăk Rve"), encoding="utf-8")
    retired.write_text(retired.read_text(encoding="utf-8").replace("Ngừng.", "Ngừng sản xuất."), encoding="utf-8")
    rendered.clear()
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {("verify", "melon"), ("verify", "coffee"), ("verify", "dak-rve-coffee")} <= set(rendered)
    assert ("verify", "banana") not in rendered
    assert "Ngừng sản xuất." in (out / "v/melon/index.html").read_text(encoding="utf-8")
    assert "Cà phê Đăk Rve" in (out / "v/coffee/index.html").read_text(encoding="utf-8")
    assert "Cà phê Đăk Rve" in json.loads((out / "v/coffee/record.json").read_text(encoding="utf-8"))["name"]["vi"]
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_build_on_a_new_day_makes_again_the_data_files_and_the_products_whose_status_changed(
        site, tmp_path, monkeypatch):
    """Only the data files say the build date; a product's pages, verification page and record
    show its status, which the date changes on a few days only: a push on a new day (and the
    nightly build) made all of the site again (20,000 products: 31.8 s), then the 40,000
    verification pages and records (15.2 s)."""
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    record = json.loads((out / "v/chicken/record.json").read_text(encoding="utf-8"))
    assert record["valid_until"] == "2026-12-20" and record["expiring_from"] == "2026-09-22"     # 89 days before
    assert record["status"] == "expiring" and TODAY not in json.dumps(record)
    rendered = renders(monkeypatch)
    for day, changed in [("2026-11-29", set()), ("2026-12-21", {"chicken"})]:      # chicken's certificate expires
        rendered.clear()
        before = {path: path.stat().st_mtime_ns for path in out.glob("v/*/*")}
        assert ocop("build", "--site", site, "--output", out, "--today", day).code == 0
        assert {key for kind, key in rendered if kind in ("verify", "record", "product")} == changed
        assert bool({kind for kind, _ in rendered} & {"catalogue", "stars", "commune", "category"}) == bool(changed)
        assert {path.parent.name for path in out.glob("v/*/*") if path.stat().st_mtime_ns != before[path]} == changed
        assert json.loads((out / "data/products.json").read_text(encoding="utf-8"))["generated"] == day
        cold = tmp_path / day / "out"
        assert ocop("build", "--site", site, "--output", cold, "--today", day).code == 0
        assert tree(out) == tree(cold), day
    assert 'data-status="expired"' in (out / "v/chicken/index.html").read_text(encoding="utf-8")


def test_a_free_pages_text_makes_that_page_again_and_its_title_every_page(site, tmp_path, monkeypatch):
    """Every page's menu shows the free pages' titles, and only that: a typo fixed in the text of
    "about" took a build of 20,000 products 30 s, every page made again. The search finds the new text."""
    import gzip
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    rendered = renders(monkeypatch)
    about = site / "content/pages/about.en.md"
    about.write_text(about.read_text(encoding="utf-8").replace("The **about** page.", "The **about** page, mended."),
                     encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {kind for kind, _ in rendered} <= {"page", "home", "glance", "search", "communes", "showrooms", "root", "404"}
    assert ("page", "about") in rendered and "mended" in (out / "en/about/index.html").read_text(encoding="utf-8")
    fragments = [gzip.decompress(path.read_bytes()).decode("utf-8")
                 for path in out.glob("pagefind*/fragment/*.pf_fragment")]
    assert any('"/en/about/"' in text and "mended" in text for text in fragments)
    about.write_text(about.read_text(encoding="utf-8").replace("title: About", "title: About us"), encoding="utf-8")
    rendered.clear()
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert {("product", "coffee"), ("verify", "coffee"), ("catalogue", "")} <= set(rendered)
    assert ">About us</a>" in (out / "en/products/coffee/index.html").read_text(encoding="utf-8")


def test_the_list_of_news_comes_a_page_at_a_time_and_the_feed_holds_the_latest_posts(site, tmp_path, monkeypatch):
    """A portal that posts every day has thousands of posts in a few years: the list of news is
    cut into pages as the product lists are, and the feed a reader polls holds the latest 20."""
    from generator.pages import routes
    monkeypatch.setattr(routes, "PER_PAGE", 10)
    for day in range(1, 25):        # with the sample's post, 25 posts: pages of 10, 10 and 5
        (site / f"content/news/2026-10-{day:02d}-tin-{day}.vi.md").write_text(
            f"---\ntitle: Tin số {day}\n---\nNội dung {day}.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    pages = [(out / f"en/news/{page}index.html").read_text(encoding="utf-8") for page in ("", "page/2/", "page/3/")]
    assert not (out / "en/news/page/4").exists()
    listed = [re.findall(r'<li><a href="/en/news/([^/]+)/"', page) for page in pages]
    newest_first = [f"2026-10-{day:02d}-tin-{day}" for day in range(24, 0, -1)] + ["2025-09-20-new-products"]
    assert [len(posts) for posts in listed] == [10, 10, 5] and sum(listed, []) == newest_first
    assert 'href="/en/news/page/2/" rel="next"' in pages[0] and 'href="/en/news/page/3/" rel="next"' in pages[1]
    assert 'href="/en/news/page/2/" rel="prev"' in pages[2] and 'href="/en/news/feed.xml"' in pages[2]
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{BASE}vi/news/page/3/</loc>" in sitemap
    feed = ElementTree.parse(out / "en/news/feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    entries = [entry.find(f"{atom}id").text for entry in feed.iter(f"{atom}entry")]
    assert entries == [f"{BASE}en/news/{post}/" for post in newest_first[:20]]


def test_counts_are_written_as_each_language_writes_them(site, tmp_path):
    """A province's catalogue has thousands of products: 1.005 in Vietnamese, 1,005 in English."""
    banana = (site / "products/banana.yaml").read_text(encoding="utf-8")
    for n in range(1000):
        (site / f"products/banana-{n}.yaml").write_text(banana, encoding="utf-8")
    (site / "products/decisions/province-2025-bananas.yaml").write_text(
        "number: 1900/QĐ-UBND\ndate: 2025-09-12\nissuer: province\nrecognized:\n"
        + "".join(f"  - {{product: banana-{n}, stars: 3}}\n" for n in range(1000)), encoding="utf-8")
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    vi, en = ((out / f"{lang}/index.html").read_text(encoding="utf-8") for lang in ("vi", "en"))
    assert "Tất cả sản phẩm (1.005)" in vi and "All products (1,005)" in en
    glance = (out / "vi/programme/index.html").read_text(encoding="utf-8")
    assert "1.002 trong số 1.005 sản phẩm" in glance            # coffee, chicken and the copies certified
    assert re.search(r'font-size="13">1\.00[12]</text>', glance)       # the bars of 3 stars, of Đăk Rve, of food
    report = ocop("report", "--month", "2026-11", "--site", site, "--today", TODAY, "--lang", "en")
    assert report.code == 0 and "1,002 certified products of 1,005." in report.out


def test_a_product_from_the_cache_unpacks_what_only_its_pages_read_when_they_read_it(site, tmp_path, monkeypatch):
    """The cache of checked products keeps what only a product's own pages and data read (its
    names, texts, producer, price) packed: checking the site again from the cache unpacks none of
    it (a rebuild unpacks the few products whose pages it makes), and a product unpacked is the
    product that was checked."""
    from datetime import date
    from generator.site import load, model
    from generator.build import check
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    cache = tmp_path / "cache"
    first, _ = check(site, date.fromisoformat(TODAY), cache=cache)
    again, _ = check(site, date.fromisoformat(TODAY), cache=cache)
    assert again.products and all(set(model.PACKED).isdisjoint(vars(p)) for p in again.products)
    assert again.products == first.products
    assert all(set(model.PACKED) <= vars(p).keys() for p in again.products)


def test_the_search_index_holds_a_news_posts_summary_and_text(site, tmp_path):
    """What a reader sees as the lead of a post (its summary) is found by a search, as its text is."""
    import gzip
    post = site / "content/news/2025-09-20-new-products.vi.md"
    post.write_text(post.read_text(encoding="utf-8").replace("title: Sản phẩm mới\n",
                                                             "title: Sản phẩm mới\nsummary: Mật ong rừng Kon Plông\n"),
                    encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    fragments = [gzip.decompress(path.read_bytes()).decode("utf-8").removeprefix("pagefind_dcd")
                 for path in (tmp_path / "out").glob("pagefind*/fragment/*.pf_fragment")]
    news = [json.loads(text) for text in fragments if '"/vi/news/2025-09-20-new-products/"' in text]
    assert len(news) == 1 and "Mật ong rừng Kon Plông" in news[0]["content"] and "Ba sản phẩm mới" in news[0]["content"]


def test_outputs_side_by_side_keep_their_own_search_index(site, tmp_path, monkeypatch):
    """The site built into `public` and into `public-2` (a preview, say) beside it: a build of one
    leaves the other's search shards and documents in the cache."""
    from generator.assets import search
    runs = []
    original = search.subprocess.Popen
    monkeypatch.setattr(search.subprocess, "Popen", lambda command, *a, **kw: (
        runs.append(command) if "--output-path" in command else None) or original(command, *a, **kw))
    for name in ("public", "public-2"):
        assert ocop("build", "--site", site, "--output", tmp_path / name, "--today", TODAY).code == 0
    cache = tmp_path / ".ocop-cache"
    theirs = {p.name for p in cache.iterdir() if p.name.startswith(("search-docs-public-2-", "pagefind-public-2-"))}
    assert len(theirs) == 6         # a shard for each language: its documents, its index and the index's seal
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("value: 500 g", "value: 250 g"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "public", "--today", TODAY).code == 0
    assert theirs <= {p.name for p in cache.iterdir()}
    assert ocop("build", "--site", site, "--output", tmp_path / "public-2", "--today", TODAY).code == 0
    assert len(runs) == 4           # each language's index a folder, made when each was built first


def test_pagefind_runs_again_only_when_a_search_document_changed(site, tmp_path, monkeypatch):
    """A shard's index is named by its documents: a new specification or a new page template
    changes pages but no search document, and the index is taken from the cache as it was; a new
    price is indexed in every language (results show it), a new description in its own language
    only. Every time the site equals a cold build of the same input."""
    import shutil
    from generator.assets import search
    from generator.build import BUNDLED_THEMES
    runs = []
    original = search.subprocess.Popen

    def popen(command, *args, **kwargs):
        if "--output-path" in command:         # Pagefind
            runs.append(command)
        return original(command, *args, **kwargs)

    out = tmp_path / "out"
    shutil.copytree(BUNDLED_THEMES / "default", site / "themes/default")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    monkeypatch.setattr(search.subprocess, "Popen", popen)
    for n, (path, old, new, indexed) in enumerate([
        ("products/coffee.yaml", "value: 500 g", "value: 250 g", 0),
        ("products/coffee.yaml", "min: 100000", "min: 120000", 2),
        ("themes/default/templates/product.html", '<h2>{{ _("Producer") }}</h2>', '<h2>{{ _("Maker") }}</h2>', 0),
        ("products/coffee.yaml", "Plain-roasted", "Dark-roasted", 1),          # the English description
    ]):
        edited = site / path
        assert old in edited.read_text(encoding="utf-8")
        edited.write_text(edited.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        runs.clear()
        assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
        assert len(runs) == indexed, path
        cold = tmp_path / f"cold-{n}" / "out"
        assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
        assert tree(out) == tree(cold)
    assert "Dark-roasted" in (out / "en/products/coffee/index.html").read_text(encoding="utf-8")
    assert len([p for p in (tmp_path / ".ocop-cache").glob("pagefind-out-*") if p.is_dir()]) == 2      # the old English index removed
    assert len(list((tmp_path / ".ocop-cache").glob("pagefind-out-*.intact"))) == 2        # and its seal


def test_page_workers_make_the_same_site_as_one_process(site, tmp_path, monkeypatch):
    """Large sites are checked and made by forked worker processes, chunk by chunk: the same
    bytes, both cold and after an edit (whose few search documents are made before the workers start)."""
    from generator import build
    from generator.output import produce
    from generator.site import load
    one, many = tmp_path / "one/out", tmp_path / "many/out"
    assert ocop("build", "--site", site, "--output", one, "--today", TODAY).code == 0
    with monkeypatch.context() as patch:
        patch.setattr(load.Memo, "UNSAVED", 0)          # the products checked are kept, and taken after the edit
        patch.setattr(build, "CHECKED_APART_FROM", 1)
        patch.setattr(os, "cpu_count", lambda: 3)     # three shares, three page workers
        patch.setattr(produce, "PARALLEL_FROM", 0)
        patch.setattr(produce, "CHUNK", 3)
        assert ocop("build", "--site", site, "--output", many, "--today", TODAY).code == 0
        assert tree(many) == tree(one)
        edit = site / "products/coffee.yaml"
        edit.write_text(edit.read_text(encoding="utf-8").replace("Plain-roasted", "Dark-roasted"), encoding="utf-8")
        assert ocop("build", "--site", site, "--output", many, "--today", TODAY).code == 0
    assert ocop("build", "--site", site, "--output", one, "--today", TODAY).code == 0
    assert tree(many) == tree(one)
    assert "Dark-roasted" in (many / "en/products/coffee/index.html").read_text(encoding="utf-8")


def test_the_keys_of_products_own_files_made_on_every_core_are_those_made_in_one(site, tmp_path, monkeypatch):
    """A large site's products' own files are keyed on every core (build.across_cores), each
    product's key given back to it; the keys are the ones one process makes."""
    from datetime import date
    from generator import build
    from generator.pages.depends import Keys
    from generator.pages.kinds import Sources
    from generator.pages.routes import plan
    checked, _ = build.check(site, date.fromisoformat(TODAY), cache=tmp_path / "cache")
    sources = Sources(checked, plan(checked))
    theme = build.find_theme(site, checked.config.theme)
    alone = Keys(sources, theme).own_files
    monkeypatch.setattr(build, "CHECKED_APART_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)         # three shares
    shared = Keys(sources, theme, build.across_cores).own_files
    assert len(set(alone.values())) == len(alone) == len(checked.products) > 3
    assert list(shared.items()) == list(alone.items())


def test_each_search_shard_is_indexed_once_its_documents_are_made(site, tmp_path, monkeypatch):
    """The page workers make each search document with its page, chunk by chunk, and the indexer is
    told as the chunks are done: each shard is indexed once its documents are made, while the
    others still are (one that began too soon would miss some). The same site as one process makes."""
    from generator.assets import search
    from generator.output import produce
    monkeypatch.setattr(search, "PRODUCTS_A_SHARD", 1)         # a shard a product
    monkeypatch.setattr(search, "EDITED", 0)                       # every document made by the workers
    one, many = tmp_path / "one/out", tmp_path / "many/out"
    assert ocop("build", "--site", site, "--output", one, "--today", TODAY).code == 0
    told, documents = [], search.SearchIndex.documents

    def recorded(self, written):
        told.append((written, len(self.jobs)))
        return documents(self, written)
    monkeypatch.setattr(search.SearchIndex, "documents", recorded)
    write = search.write_documents

    def slowly(renderer, jobs):         # (an indexer that did not wait would find documents missing)
        time.sleep(0.05)
        return write(renderer, jobs)
    monkeypatch.setattr(search, "write_documents", slowly)
    monkeypatch.setattr(produce, "PARALLEL_FROM", 0)
    monkeypatch.setattr(produce, "CHUNK", 3)
    assert ocop("build", "--site", site, "--output", many, "--today", TODAY).code == 0
    assert tree(many) == tree(one)
    made = [written for written, total in told]
    assert made == sorted(made) and made[-1] == told[-1][1] > 3     # in order, to the last document
    assert [n for n in made if 0 < n < made[-1]]                   # and shard by shard on the way


def test_products_checked_by_an_earlier_build_are_checked_again_when_what_they_refer_to_changes(
        site, tmp_path, monkeypatch):
    """A product is kept checked between builds under its text and what its check reads besides:
    unchanged, it is not checked again and its warnings still come; a new photo elsewhere leaves it
    alone, a change to its own photo or its commune's removal does not."""
    from generator.site import load
    from generator.site.validate import products as validate
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    checks = []
    original = validate._product
    monkeypatch.setattr(validate, "_product", lambda source, *args: checks.append(source.path) or original(source, *args))
    banana = site / "products/banana.yaml"
    banana.write_text(banana.read_text(encoding="utf-8") + "colour: yellow\n", encoding="utf-8")
    build = ("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    first = ocop(*build)
    assert first.code == 0 and "products/banana.yaml:" in first.err and "unknown key 'colour'" in first.err
    assert "products/tea.yaml" in checks and (tmp_path / ".ocop-cache/checked.data").is_file()

    checks.clear()
    again = ocop(*build[:-1], "2026-12-01")         # another date: the whole site is read again
    assert again.code == 0 and again.out.startswith("built") and checks == []
    assert again.err == first.err

    from PIL import Image
    Image.new("RGB", (64, 48), (1, 2, 3)).save(site / "products/media/new.png")      # a photo no product shows yet
    checks.clear()
    assert ocop(*build).code == 0 and checks == []
    Image.new("RGB", (30, 20), (4, 5, 6)).save(site / "products/media/coffee.png")   # the photo of one product
    checks.clear()
    assert ocop(*build).code == 0 and checks == ["products/coffee.yaml"]
    assert 'width="30" height="20"' in (tmp_path / "out/en/products/coffee/index.html").read_text(encoding="utf-8")

    communes = site / "content/communes.yaml"
    communes.write_text(communes.read_text(encoding="utf-8").replace("id: dak-koi", "id: dak-koy"), encoding="utf-8")
    gone = ocop(*build)
    assert gone.code == 1 and "products/tea.yaml:3:10: error: no commune 'dak-koi'" in gone.err, gone.err


def test_decisions_checked_by_an_earlier_build_are_checked_again_when_what_they_read_changes(
        site, tmp_path, monkeypatch):
    """The decisions, checked once, are kept under their texts and the build date: a product's
    edit or a new product leaves them alone; another date, a scan they link changed or gone, or a
    product they name gone or made valid again, and they are checked again."""
    from generator.site.validate import decisions as validate
    checks = []
    original = validate._decisions
    monkeypatch.setattr(validate, "_decisions", lambda *args: checks.append(1) or original(*args))
    (site / "products/media/scan.pdf").write_bytes(b"%PDF-1.4 first")
    decision = site / "products/decisions/district-2023.yaml"
    decision.write_text(decision.read_text(encoding="utf-8") + "document: media/scan.pdf\ncolour: red\n",
                        encoding="utf-8")
    out = tmp_path / "out"
    build = ("build", "--site", site, "--output", out, "--today", TODAY)
    warned = "products/decisions/district-2023.yaml:7:1: warning: unknown key 'colour' in a decision"

    def built(*args) -> int:
        checks.clear()
        result = ocop(*(args or build))
        assert result.code == 0 and warned in result.err, result.err      # its warnings kept with it
        return len(checks)
    assert built() == 1
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("min: 100000", "min: 120000"), encoding="utf-8")
    assert built() == 0
    add_melon(site)
    assert built() == 0 and (out / "v/melon/index.html").is_file()      # named by none: unrated
    chicken = site / "products/chicken.yaml"
    text = chicken.read_text(encoding="utf-8")
    chicken.write_text(text.replace("category: food", "category: fud"), encoding="utf-8")
    assert ocop(*build).code == 1
    chicken.write_text(text, encoding="utf-8")
    assert built() == 1         # a product they name, valid again: its history made again
    assert "389/QĐ-UBND" in (out / "en/products/chicken/index.html").read_text(encoding="utf-8")
    assert built(*build[:-1], "2026-12-01") == 1 and built() == 1

    (site / "products/media/scan.pdf").unlink()
    gone = ocop(*build)
    assert gone.code == 1 and "products/decisions/district-2023.yaml:" in gone.err
    assert "error: the file products/media/scan.pdf does not exist" in gone.err, gone.err
    (site / "products/media/scan.pdf").write_bytes(b"%PDF-1.4 second")
    assert built() == 1
    [scan] = (out / "media").glob("scan-*.pdf")
    assert scan.read_bytes() == b"%PDF-1.4 second"
    assert scan.name in (out / "en/products/chicken/index.html").read_text(encoding="utf-8")

    (site / "products/chicken.yaml").unlink()
    named = ocop(*build)
    assert named.code == 1 and "error: no product 'chicken' (products/chicken.yaml)" in named.err, named.err


def test_product_files_are_read_again_only_when_they_change(site, tmp_path, monkeypatch):
    """A product file's hash is kept by its size, times and inode: a rebuild reads only the files
    that changed, and those of the others whose product has to be checked again (a commune
    renamed), each compared with the hash it had; the site is the one a cold build makes."""
    from generator.site import load
    monkeypatch.setattr(load, "RACY_NS", 0)         # files written by this test count as settled at once
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    reads = []
    read_bytes = load.read_bytes
    monkeypatch.setattr(load, "read_bytes", lambda root, rel: reads.append(rel) or read_bytes(root, rel))
    products = {f"products/{p.name}" for p in (site / "products").glob("*.yaml")}
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("min: 100000", "min: 120000"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert [rel for rel in reads if rel in products] == ["products/coffee.yaml"]

    reads.clear()
    communes = site / "content/communes.yaml"
    communes.write_text(communes.read_text(encoding="utf-8").replace("Đăk Kôi", "Đắk Kôi"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert products <= set(reads)
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)

    stale = load.Source("products/tea.yaml", digest="the hash it had when its times were recorded", root=site)
    [problem] = load.parse_later(stale)
    assert (problem.path, problem.severity) == ("products/tea.yaml", "error")
    assert "changed while the build was reading the site" in problem.message


@pytest.mark.parametrize("named", ["here", "relative", "absolute"])
def test_a_build_takes_the_site_files_stats_from_the_snapshot_it_starts_with(site, tmp_path, monkeypatch, named):
    """The snapshot that a build starts with looked at every file of the site: the load takes the
    product and decision files' stats from it, however the site folder is named, and looks again
    only at the file it reads (the edited one, by read_bytes)."""
    from generator.site import load
    monkeypatch.setattr(load, "RACY_NS", 0)         # files written by this test count as settled at once
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memos are written too
    monkeypatch.chdir(site.parent if named == "relative" else site)
    where = {"here": ".", "relative": site.name, "absolute": str(site)}[named]
    build = ("build", "--site", where, "--output", tmp_path / "out", "--today", TODAY)
    assert ocop(*build).code == 0
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("min: 100000", "min: 120000"), encoding="utf-8")
    looked, lstat = [], os.lstat
    monkeypatch.setattr(load.os, "lstat", lambda path, *a, **kw: looked.append(os.fspath(path)) or lstat(path, *a, **kw))
    assert ocop(*build).code == 0
    assert [p for p in looked if "products/" in p and p.endswith(".yaml")] == [f"{where}/products/coffee.yaml"], looked
    assert "120.000" in (tmp_path / "out/vi/products/coffee/index.html").read_text(encoding="utf-8")


def test_shards_not_indexed_again_are_linked_by_the_build_while_pagefind_runs(site, tmp_path, monkeypatch):
    """After a product's edit, the build links the search shards the product is not in itself,
    while Pagefind indexes its shard (here made slow); the site is the one a cold build makes."""
    import threading
    from generator.assets import search
    monkeypatch.setattr(search, "PRODUCTS_A_SHARD", 1)         # a shard a product, as 20,000 make 2,000s
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    pagefind_behind(tmp_path, monkeypatch, 'sleep 1\nexec "{pagefind}" "$@"')
    linked, publish = {}, search.SearchIndex._publish

    def recorded(self, shards):
        linked.setdefault(threading.current_thread() is threading.main_thread(), set()).update(shards)
        return publish(self, shards)
    monkeypatch.setattr(search.SearchIndex, "_publish", recorded)
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("Plain-roasted", "Dark-roasted"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert len(linked[False]) == 2 and linked[True] and not linked[True] & linked[False]    # coffee's vi and en
    assert len(list(out.glob("pagefind*/pagefind-entry.json"))) == len(linked[True] | linked[False])
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_new_product_is_indexed_in_each_language_at_once(site, tmp_path, monkeypatch):
    """A new product is in a shard of each language: after an edit, two Pagefinds run side by
    side (here made slow, and logging when each starts and ends); the site is the one a cold
    build makes."""
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    log = tmp_path / "pagefind.log"
    pagefind_behind(tmp_path, monkeypatch, f'echo start >> "{log}"\nsleep 1\n"{{pagefind}}" "$@"\ncode=$?\n'
                                           f'echo end >> "{log}"\nexit $code')
    add_melon(site)
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert log.read_text(encoding="utf-8").split() == ["start", "start", "end", "end"]
    cold = tmp_path / "cold" / "out"
    assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
    assert tree(out) == tree(cold)


def test_a_pagefind_that_fails_beside_another_stops_both_and_leaves_the_output(site, tmp_path, monkeypatch):
    """One of two Pagefinds running side by side fails: the other is stopped, nothing half made
    is left in the cache, and the previous output is as it was."""
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    failing = pagefind_behind(tmp_path, monkeypatch,         # fails on the first shard (vi), is slow on the other
                              'if [ -d "$2/vi" ]; then echo "Error: out of room"; exit 1; fi\nsleep 2\nexec "{pagefind}" "$@"')
    add_melon(site)
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 1 and "the search index could not be built: Error: out of room" in result.err, result.err
    assert tree(out) == before
    assert not list((tmp_path / ".ocop-cache").glob("pagefind-*.part"))
    running = []                # the other one was stopped, not left running
    for command in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            running += [command] if str(failing).encode() in command.read_bytes() else []
        except OSError:         # (a process that ended meanwhile)
            pass
    assert running == []


def test_a_search_index_that_cannot_be_made_is_one_line_and_leaves_the_output(site, tmp_path, monkeypatch):
    """Pagefind missing (or failing): the build stops with what went wrong in one line, no
    traceback, and the previous output as it was."""
    from generator.assets import search
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    monkeypatch.setattr(search, "pagefind_program", lambda: str(tmp_path / "no-pagefind"))
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("Plain-roasted", "Dark-roasted"), encoding="utf-8")
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert f"the search index could not be built: cannot run {tmp_path / 'no-pagefind'}: No such file" in result.err
    assert tree(out) == before


def test_another_pagefind_program_indexes_the_site_again(site, tmp_path):
    """A search index is kept by what made it: after PAGEFIND_BINARY_PATH names another Pagefind
    program (as `python -m pagefind` finds it), a build of unchanged content runs that one on
    every shard, and again when the program itself changes, not while it stays the same. (Whole
    `ocop` processes, as an editor runs them: the environment is read as a process starts.)"""
    from generator.assets import search
    out, log = tmp_path / "out", tmp_path / "pagefind.log"
    program = tmp_path / "pagefind-logged"

    def build() -> list[str]:
        run = ocop_process("build", "--site", site, "--output", out, "--today", TODAY, "--quiet",
                           env={**os.environ, "PAGEFIND_BINARY_PATH": str(program)})
        assert run.returncode == 0, run.stderr
        return log.read_text(encoding="utf-8").split() if log.exists() else []

    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    program.write_text(f'#!/bin/sh\necho ran >> "{log}"\nexec "{search.pagefind_program()}" "$@"\n', encoding="utf-8")
    program.chmod(0o755)
    shards = len(list(out.glob("pagefind*/pagefind-entry.json")))
    assert build() == ["ran"] * shards
    assert tree(out) == before          # the same Pagefind behind it: the same index
    assert build() == ["ran"] * shards
    program.write_text(program.read_text(encoding="utf-8").replace("echo ran", "echo again"), encoding="utf-8")
    assert build() == ["ran"] * shards + ["again"] * shards


def test_search_documents_go_to_the_disk_when_dev_shm_has_no_room(site, tmp_path, monkeypatch):
    """Containers often give /dev/shm 64 MB: a site whose search documents would not fit there
    writes them to the temporary folder instead. (Pagefind may number the pages in another order
    there: the search files are compared by what they hold, the rest byte for byte.)"""
    import tempfile
    from generator.assets import search
    assert ocop("build", "--site", site, "--output", tmp_path / "a/out", "--today", TODAY).code == 0
    statvfs, folders = os.statvfs, []
    monkeypatch.setattr(search.os, "statvfs", lambda path: os.statvfs_result((4096,) * 2 + (0,) * 8)
                        if str(path) == "/dev/shm" else statvfs(path))
    mkdtemp = tempfile.mkdtemp

    def made_in(**kw):
        if kw.get("prefix", "").startswith("ocop-search-"):
            folders.append(kw.get("dir"))
        return mkdtemp(**kw)

    monkeypatch.setattr(search.tempfile, "mkdtemp", made_in)
    assert ocop("build", "--site", site, "--output", tmp_path / "b/out", "--today", TODAY).code == 0
    assert folders and all(folder is None for folder in folders)
    a, b = tree(tmp_path / "a/out"), tree(tmp_path / "b/out")
    assert {k: v for k, v in a.items() if not k.startswith("pagefind")} == \
        {k: v for k, v in b.items() if not k.startswith("pagefind")}
    assert sorted(k.split("/")[1] for k in a if k.startswith("pagefind/fragment/")) == \
        sorted(k.split("/")[1] for k in b if k.startswith("pagefind/fragment/"))     # every page, the same text


def test_lists_show_certified_products_first_with_their_price_and_lapsed_ones_apart(built):
    html = (built / "en/products/index.html").read_text(encoding="utf-8")
    order = re.findall(r'<li class="card[^"]*"[^>]*>\s*<a href="/en/products/([a-z-]+)/"', html)
    assert order == ["chicken", "coffee", "tour", "banana", "tea"]          # in force, never rated, lapsed
    heading = html.index('class="lapsed-heading"')
    assert html.index("/en/products/tour/") < heading < html.index("/en/products/banana/")
    assert "No longer certified" in html[heading:heading + 200]
    card = html[html.index("/en/products/coffee/"):html.index("/en/products/tour/")]
    assert "100.000" in card or "100,000" in card


def test_an_atom_feed_of_certification_changes_per_language(built):
    from xml.dom import minidom
    feed = minidom.parse(str(built / "en/certifications/feed.xml"))
    titles = [e.getElementsByTagName("title")[0].firstChild.data for e in feed.getElementsByTagName("entry")]
    assert titles[:3] == ["Dried banana: certificate expired", "Trà dây: certificate revoked by decision 1898/QĐ-UBND",
                          "Coffee: recognised with 3 stars by decision 1898/QĐ-UBND"]
    assert any(t.startswith("Free-range chicken: recognised") for t in titles)
    vi = (built / "vi/certifications/feed.xml").read_text(encoding="utf-8")
    assert 'xml:lang="vi"' in vi and "Chuối sấy" in vi
    assert '/en/certifications/feed.xml' in (built / "en/index.html").read_text(encoding="utf-8")


VISIT = """location: {lat: 14.47, lon: 108.06, address: {vi: "Làng Kon Rlong", en: "Kon Rlong village"}}
hours: {vi: "7:00–18:00", en: "7:00–18:00"}
season: [11, 12, 1]
languages: [vi, en, fr]
duration: {vi: nửa ngày, en: half a day}
group_size: {min: 2, max: 25}
booking: {phone: "+84 260 000 0202", email: tour@example.vn}
"""


def test_a_tour_stop_is_described_for_visitors_on_its_page_in_the_exports_and_as_a_tourist_attraction(site, tmp_path):
    path = site / "products/tour.yaml"
    path.write_text(path.read_text(encoding="utf-8") + VISIT, encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    page = (tmp_path / "out/en/products/tour/index.html").read_text(encoding="utf-8")
    visit = page[page.index('<dl class="facts visit">'):]
    visit = re.sub(r"<[^>]+>", " ", visit[:visit.index("</dl>")])
    for words in ("Kon Rlong village", "November, December, January", "half a day", "2 to 25 people",
                  "Vietnamese, English, French", "+84 260 000 0202", "tour@example.vn"):
        assert words in " ".join(visit.split()), words
    assert "geo:14.47,108.06" in page
    jsonld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    place = next(item for item in jsonld["@graph"] if item["@type"] == "TouristAttraction")
    assert place["geo"] == {"@type": "GeoCoordinates", "latitude": 14.47, "longitude": 108.06}
    assert place["availableLanguage"] == ["vi", "en", "fr"] and place["address"] == "Kon Rlong village"
    vi = (tmp_path / "out/vi/products/tour/index.html").read_text(encoding="utf-8")
    assert "Tháng 11, Tháng 12, Tháng 1" in vi and "Tiếng Việt, Tiếng Anh, Tiếng Pháp" in vi
    tour = next(p for p in json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))["products"]
                if p["id"] == "tour")
    assert tour["visit"]["season"] == [11, 12, 1] and tour["visit"]["group_size"] == {"min": 2, "max": 25}
    assert tour["visit"]["booking"] == {"phone": "+84 260 000 0202", "email": "tour@example.vn", "website": None}
    import jsonschema
    jsonschema.validate(json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8")),
                        json.loads((tmp_path / "out/data/products.schema.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("old, new, said", [
    ("season: [11, 12, 1]", "season: [11, 13]", "a month of the season is a number from 1 (January) to 12"),
    ("languages: [vi, en, fr]", "languages: [vi, English]", "a language spoken is a language code"),
    ("group_size: {min: 2, max: 25}", "group_size: {min: 20, max: 5}", "'max' (5) is below 'min' (20)"),
    ('booking: {phone: "+84 260 000 0202", email: tour@example.vn}', "booking: {}", "'booking' needs a phone"),
    ("location: {lat: 14.47,", "location: {lat: 95,", "'lat' must be a number from -90 to 90"),
])
def test_a_tour_stops_fields_are_checked(site, old, new, said):
    path = site / "products/tour.yaml"
    path.write_text(path.read_text(encoding="utf-8") + VISIT.replace(old, new), encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and said in result.err, result.err


def headers_for(rules_text: str, path: str) -> list[str]:
    """The headers a host that reads _headers (Netlify, Cloudflare Pages) sends for a path: those of
    every rule whose pattern matches it (a trailing * matches the rest), merged."""
    found, matching = [], False
    for line in rules_text.splitlines():
        if not line.startswith(" "):
            pattern = line.strip()
            matching = path == pattern or pattern.endswith("*") and path.startswith(pattern[:-1])
        elif matching:
            found.append(line.strip())
    return found


def test_a_product_card_for_other_sites_is_the_only_page_they_may_frame(built):
    card = (built / "embed/en/coffee/index.html").read_text(encoding="utf-8")
    assert '<base target="_blank">' in card and 'content="noindex"' in card and "Coffee" in card
    assert "100.000" in card or "100,000" in card
    assert "embed/" not in (built / "sitemap.xml").read_text(encoding="utf-8")
    product = (built / "en/products/coffee/index.html").read_text(encoding="utf-8")
    assert "&lt;iframe src=&#34;https://ocop.example.vn/embed/en/coffee/&#34;" in product or \
        '&lt;iframe src="https://ocop.example.vn/embed/en/coffee/"' in product
    rules = (built / "_headers").read_text(encoding="utf-8")
    for path in ["/", "/index.html", "/404.html", "/en/", "/vi/products/coffee/", "/v/coffee/", "/data/products.json",
                 "/static/style.css", "/pagefind/pagefind.js", "/01/08936000000011/"]:
        policies = [h for h in headers_for(rules, path) if h.startswith("Content-Security-Policy")]
        assert len(policies) == 1 and policies[0].endswith("frame-ancestors 'none'"), (path, policies)
    policies = [h for h in headers_for(rules, "/embed/en/coffee/") if h.startswith("Content-Security-Policy")]
    assert len(policies) == 1 and policies[0].endswith("frame-ancestors *")
    assert "X-Content-Type-Options: nosniff" in headers_for(rules, "/embed/en/coffee/")
