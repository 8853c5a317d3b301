"""The catalogue in a real browser: language switching, filters, search without diacritics,
accessibility (axe-core), no request to other sites, and screenshots to look at."""
import json
import re
import shutil
from urllib.parse import urlsplit

import pytest

from browser import needs_browser, serve_folder
from conftest import ROOT, TODAY, copy_site, ocop

pytestmark = needs_browser
AXE = ROOT / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
LANGS = ["vi", "en", "ko", "zh-Hans"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The Kon Rẫy sample site, built for the address it is served at; its search index in shards
    of 2 products, as a large catalogue's would be."""
    from generator.assets import search
    root = tmp_path_factory.mktemp("sample")
    site = root / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site)
    for part in ("products", "content", "themes"):
        shutil.copytree(ROOT / part, site / part)
    server, url = serve_folder(root / "out")
    shard, search.PRODUCTS_A_SHARD = search.PRODUCTS_A_SHARD, 2
    try:
        result = ocop("build", "--site", site, "--output", root / "out", "--today", TODAY, "--base-url", url)
    finally:
        search.PRODUCTS_A_SHARD = shard
    assert result.code == 0, result.err
    shards = [re.search(r'data-bundle="([^"]+)" data-more="([^"]*)"', (root / f"out/{lang}/search/index.html")
                        .read_text(encoding="utf-8")).groups() for lang in LANGS]
    shards = [[first, *more.split()] for first, more in shards]
    assert all(len(own) > 1 for own in shards)                  # each language's own shards, merged
    assert len({bundle for own in shards for bundle in own}) == sum(len(own) for own in shards)
    yield url
    server.shutdown()


def new_page(browser, locale="en-US", **options):
    context = browser.new_context(locale=locale, **options)
    return context.new_page()


def test_switching_language_keeps_the_page(browser, sample):
    page = new_page(browser)
    page.goto(sample + "en/products/ca-phe-dak-rve/")
    page.locator("nav.langs a[hreflang=vi]").click()
    page.wait_for_url("**/vi/products/ca-phe-dak-rve/")
    assert page.locator("h1").inner_text() == "Cà phê Đăk Rve"
    page.locator("nav.langs a[hreflang=ko]").click()
    page.wait_for_url("**/ko/products/ca-phe-dak-rve/")
    assert page.locator("h1").inner_text() == "닥르베 커피"
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.context.close()


def visible_cards(page):
    return sorted(page.locator(".cards .card:visible h2").all_inner_texts())


def test_filters_narrow_the_catalogue_at_once(browser, sample):
    page = new_page(browser)
    page.goto(sample + "en/products/")
    everything = visible_cards(page)
    assert len(everything) == 8
    page.select_option("#filters select[name=category]", "food")
    food = visible_cards(page)
    assert 0 < len(food) < len(everything)
    assert "Đăk Rve coffee" not in food and "Ninh Tô pork roll" in food
    page.select_option("#filters select[name=commune]", "kon-braih")
    assert visible_cards(page) == ["Dưa lưới HF", "Ninh Tô pork roll"]
    page.select_option("#filters select[name=stars]", "4")
    assert visible_cards(page) == []
    assert "category=food&commune=kon-braih&stars=4" in page.url
    page.goto(sample + "en/products/?stars=4")                     # a shared link keeps its filter
    assert visible_cards(page) == ["Đăk Tờ Re Xơ Đăng brocade"]
    page.context.close()


def test_without_script_the_facet_pages_filter(browser, sample):
    page = new_page(browser, java_script_enabled=False)
    page.goto(sample + "en/products/")
    assert not page.locator("#filters").is_visible()
    page.locator(".facets a", has_text="Handicrafts").click()
    assert page.url.endswith("/en/categories/handicrafts/")
    assert visible_cards(page) == ["Đăk Tờ Re Xơ Đăng brocade"]
    page.context.close()


def test_filters_narrow_a_long_catalogue_by_several_facets(browser, tmp_path):
    """A catalogue of several pages is narrowed by products the facet lists' pages hold: a page's
    worth at a time and a button for more, whatever page of the catalogue the reader is on; a
    page that fails to load says so, and the button tries again."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site)
    for part in ("products", "content", "themes"):
        shutil.copytree(ROOT / part, site / part)
    categories, communes = ["food", "drinks", "herbal"], ["dak-rve", "dak-koi", "kon-braih"]
    for i in range(200):
        (site / f"products/extra-{i:03d}.yaml").write_text(
            f"name: Product {i}\ncategory: {categories[i % 3]}\ncommune: {communes[i % 7 % 3]}\n"
            f"producer: {{name: Hộ {i}}}\ndescription: About {i}.\n", encoding="utf-8")
    server, url = serve_folder(tmp_path / "out")
    try:
        result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY, "--base-url", url)
        assert result.code == 0, result.err
        records = json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))["products"]
        food = sorted(p["name"]["en"] for p in records if p["category"] == "food")
        food_here = sorted(p["name"]["en"] for p in records if p["category"] == "food" and p["commune"] == "dak-rve")
        assert len(food) > 60 and 0 < len(food_here) < 60

        page = new_page(browser, bypass_csp=True)                   # to inject axe-core
        page.goto(url + "en/products/page/2/")
        count = page.locator("#filters .count")
        page.select_option("#filters select[name=category]", "food")
        count.filter(has_text="60").wait_for()
        assert len(visible_cards(page)) == 60 and page.locator(".pager").is_hidden()
        page.locator("#more-products button").click()
        count.filter(has_text=str(len(food))).wait_for()
        assert visible_cards(page) == food and page.locator("#more-products").is_hidden()
        assert page.evaluate("document.activeElement.closest('.card') === document.querySelectorAll('.cards:not([hidden]) .card')[60]")

        page.select_option("#filters select[name=commune]", "dak-rve")
        count.filter(has_text=f": {len(food_here)}").wait_for()
        assert visible_cards(page) == food_here                    # from the commune's list, headings made h2
        assert "category=food&commune=dak-rve" in page.url
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert not [v["id"] for v in result["violations"] if v["impact"] in ("moderate", "serious", "critical")]
        page.select_option("#filters select[name=category]", "")
        page.select_option("#filters select[name=commune]", "")
        assert len(visible_cards(page)) == 60 and page.locator(".pager").is_visible() and count.inner_text() == ""

        page.goto(url + "en/communes/dak-rve/")           # a commune's list, narrowed by the other facets
        assert page.locator(".pager").is_visible() and page.locator("#filters select[name=commune]").count() == 0
        page.select_option("#filters select[name=category]", "food")
        count.filter(has_text=f": {len(food_here)}").wait_for()
        assert sorted(page.locator(".cards:visible .card h3").all_inner_texts()) == food_here
        assert page.url.endswith("/en/communes/dak-rve/?category=food")

        page.route("**/categories/food/page/2/", lambda route: route.abort())
        page.goto(url + "en/products/?category=food")           # a shared link keeps its filter
        count.filter(has_text="60").wait_for()
        page.locator("#more-products button").click()
        failed = page.locator("#more-products .failed")
        failed.wait_for()
        assert failed.inner_text().startswith("Not every product could be loaded")
        page.unroute("**/categories/food/page/2/")
        page.locator("#more-products button").click()
        count.filter(has_text=str(len(food))).wait_for()
        assert visible_cards(page) == food and failed.is_hidden()
        page.context.close()
    finally:
        server.shutdown()


def test_a_province_or_a_nation_of_communes_is_listed_on_the_communes_page(browser, tmp_path, monkeypatch):
    """Past a dozen communes (a province has about a hundred) the home and programme pages show those
    with the most products and lead to the list of all; past a hundred (the country has over 3,000)
    so do the lists' facets, and the filters and the search leave the commune out, narrowing by the rest."""
    from generator.pages import kinds
    monkeypatch.setattr(kinds, "TOP_COMMUNES", 2)
    site = copy_site(tmp_path / "site")
    with (site / "content/communes.yaml").open("a", encoding="utf-8") as f:
        f.write("".join(f"- id: xa-{n}\n  name: {{vi: Xã {n}, en: Commune {n}}}\n" for n in (1, 2, 3)))
    (site / "products/melon.yaml").write_text("name: {vi: Dưa, en: Melon}\ncategory: food\ncommune: xa-3\n"
                                              "producer: {name: Hộ Dưa}\ndescription: {vi: Dưa lưới., en: A melon.}\n",
                                              encoding="utf-8")
    server, url = serve_folder(tmp_path)
    try:
        for name, many in (("province", 100), ("nation", 3)):
            monkeypatch.setattr(kinds, "MANY_COMMUNES", many)
            result = ocop("build", "--site", site, "--output", tmp_path / name, "--today", TODAY, "--base-url", url + name + "/")
            assert result.code == 0, result.err
        page = new_page(browser)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "province/en/")
        tiles = page.locator("h2:has-text('By commune') + ul a")
        assert tiles.all_inner_texts() == ["Đăk Rve Commune", "Đăk Kôi Commune", "All 5 communes"]   # 3 and 2 products
        tiles.last.click()
        assert page.url.endswith("/province/en/communes/")
        assert page.locator("main ul.list").first.locator(":scope > li > a").count() == 5
        page.goto(url + "province/en/programme/")
        assert page.get_by_text("The 2 communes with the most certified products.").is_visible()
        assert page.locator("h2:has-text('By commune') ~ svg").first.locator("text").count() == 4   # (a name and a figure each)
        page.goto(url + "province/en/products/")
        assert page.locator(".facets a[href*='/en/communes/']").count() == 5       # each commune, not the list of all
        assert page.locator("#filters select").count() == 3
        page.goto(url + "nation/en/products/")
        assert page.locator(".facets a[href*='/en/communes/']").all_inner_texts() == ["All 5 communes"]
        assert page.locator("#filters select").count() == 2 and page.locator("[name=commune]").count() == 0
        page.select_option("#filters select[name=category]", "food")
        assert visible_cards(page) == ["Dried banana", "Free-range chicken", "Melon"]
        assert page.url.endswith("/nation/en/products/?category=food")
        page.goto(url + "nation/en/search/?q=coffee&commune=dak-koi&category=drinks")    # (a commune in the address: none)
        page.locator("#search-results li a").first.wait_for(timeout=15000)
        assert page.locator("#search-results li a").all_inner_texts() == ["Coffee"]
        assert page.locator("[name=commune]").count() == 0 and errors == []
        page.context.close()
    finally:
        server.shutdown()


@pytest.mark.parametrize("lang, query, expected", [
    ("vi", "ca phe", "Cà phê Đăk Rve"),                # typed without diacritics
    ("vi", "gio cha ninh to", "Giò chả Ninh Tô"),
    ("en", "Xơ Đăng", "Đăk Tờ Re Xơ Đăng brocade"),    # with them, on the English index
    ("en", "xo dang", "Đăk Tờ Re Xơ Đăng brocade"),
    ("en", "dak to re", "Đăk Tờ Re Xơ Đăng brocade"),
    ("en", "coffee", "Đăk Rve coffee"),
])
def test_search_finds_products_with_or_without_diacritics(browser, sample, lang, query, expected):
    page = new_page(browser)
    page.goto(sample + f"{lang}/search/?q={query}")
    first = page.locator("#search-results li a").first
    first.wait_for(timeout=15000)
    titles = page.locator("#search-results li a").all_inner_texts()
    assert expected in titles[:3], titles
    links = [a.get_attribute("href") for a in page.locator("#search-results li a").all()]     # (each shard's too)
    assert all(re.fullmatch(rf"/{lang}/[a-z0-9/-]+/", link) for link in links), links
    page.context.close()


def test_search_snippets_keep_the_spaces_between_the_words_found(browser, sample):
    page = new_page(browser)
    page.goto(sample + "vi/search/?q=cà phê đăk rve")
    page.locator("#search-results li p mark").first.wait_for(timeout=15000)
    snippet = page.locator("#search-results li p:not(.meta)").first.inner_text()
    marks = page.locator("#search-results li p:not(.meta)").first.locator("mark").all_inner_texts()
    assert len(marks) >= 2 and "Càphê" not in snippet.replace("Cà phê", "") and "phêĐăk" not in snippet
    assert re.search(r"(?i)cà phê", snippet), snippet
    first = page.locator("#search-results li").first           # what its card shows: photo, stars, status, price
    assert first.locator("img").get_attribute("src").endswith(".webp")
    assert first.locator("p.meta").inner_text() == "★★★ Đã chứng nhận · 120.000\u00a0₫ – 220.000\u00a0₫ / túi 500 g"
    page.context.close()


def test_search_fetches_every_shard_while_the_reader_types(browser, sample):
    """Nothing of Pagefind before the search box is entered; once it is, every shard of the
    language, at once, and the typed words' index chunks before Enter is pressed."""
    page = new_page(browser)
    fetched = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    page.goto(sample + "vi/search/")
    page.wait_for_load_state("networkidle")
    assert not [url for url in fetched if "/pagefind" in url]
    shards = [sample.rstrip("/") + bundle for bundle in
              [page.locator("#search-form").get_attribute("data-bundle"),
               *page.locator("#search-form").get_attribute("data-more").split()]]
    page.locator("#q").press_sequentially("ca phe", delay=100)
    page.wait_for_timeout(1500)
    entries = {url.split("pagefind-entry.json")[0] for url in fetched if "pagefind-entry.json" in url}
    assert entries == set(shards) and any("/index/" in url for url in fetched)
    page.locator("#q").press("Enter")
    page.locator("#search-results li a").first.wait_for(timeout=15000)
    assert "Cà phê Đăk Rve" in page.locator("#search-results li a").all_inner_texts()
    page.context.close()


def test_search_results_can_be_narrowed(browser, sample):
    """By words and filters; with filters and no words, the page leads to the catalogue narrowed
    by them (a search for nothing would fetch every shard's whole index)."""
    page = new_page(browser)
    page.goto(sample + "vi/search/?q=xa&category=drinks")
    page.locator("#search-results li a").first.wait_for(timeout=15000)
    assert page.locator("#search-results li a").all_inner_texts() == ["Cà phê Đăk Rve"]
    page.goto(sample + "en/search/?commune=kon-braih&category=food")
    page.locator("#search-status a", has_text="See these products in the catalogue").click()
    assert page.url.endswith("/en/products/?category=food&commune=kon-braih")
    assert visible_cards(page) == ["Dưa lưới HF", "Ninh Tô pork roll"]
    page.context.close()


def test_a_search_loads_only_the_results_it_shows(browser, tmp_path):
    """Each result's title and excerpt is a request of its own (a weak connection pays for each):
    of 140 coffees and the news post on the coffee's recognition found, the 30 shown are loaded,
    and the count says 141. Narrowed by category, commune or stars (Pagefind's filters), the count
    is of every match, not of the first results looked at."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site)
    for part in ("products", "content", "themes"):
        shutil.copytree(ROOT / part, site / part)
    coffee = re.sub(r"(?m)^gtin:.*\n", "", (site / "products/ca-phe-dak-rve.yaml").read_text(encoding="utf-8"))
    coffee = re.sub(r"(?ms)^stamps:\n(  - .*?\n)+", "", coffee)         # (never recognised: no stamps)
    for n in range(139):            # every seventh in Kon Braih, the last ones among them too
        (site / f"products/ca-phe-{n:03d}.yaml").write_text(
            coffee.replace("commune: dak-rve", "commune: kon-braih") if n % 7 == 6 else coffee, encoding="utf-8")
    server, url = serve_folder(tmp_path / "out")
    try:
        result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY, "--base-url", url)
        assert result.code == 0, result.err
        page = new_page(browser)
        fragments = []
        page.on("request", lambda request: fragments.append(request.url) if "pf_fragment" in request.url else None)
        status = page.locator("#search-status")
        page.goto(url + "en/search/?q=coffee")
        page.locator("#search-results li a").first.wait_for(timeout=15000)
        page.wait_for_load_state("networkidle")
        assert page.locator("#search-results li a").count() == 30 and len(fragments) == 30
        assert status.inner_text() == "Results: 141"
        fragments.clear()
        page.goto(url + "en/search/?q=coffee&commune=kon-braih")
        status.filter(has_text="Results: 19").wait_for(timeout=15000)      # every seventh coffee
        page.wait_for_load_state("networkidle")
        assert page.locator("#search-results li a").count() == 19 and len(fragments) == 19
        page.goto(url + "en/search/?q=coffee&category=food")        # none: every coffee is a drink
        status.filter(has_text=status.get_attribute("data-none")).wait_for(timeout=15000)
        assert page.locator("#search-results li").count() == 0
        page.context.close()
    finally:
        server.shutdown()


def test_long_words_and_tables_stay_within_a_phone_screen(browser, tmp_path):
    """A long web address, e-mail or table in a commune's text breaks or scrolls inside its box:
    no page gets wider than a 360-pixel phone."""
    site = copy_site(tmp_path / "site")
    long_url = "https://ocop.example.vn/" + "/".join(["averylongfoldername"] * 6) + ".pdf"     # no hyphen to break at
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace(
        "  vi: Cà phê **rang mộc**.", f"  vi: Cà phê **rang mộc**, xem {long_url}.").replace(
        "  kind: cooperative", "  kind: cooperative\n  email: hoptacxanongnghiepdichvuhoanam@averylongdomainname.vn\n"
        f"  website: {long_url}"), encoding="utf-8")
    with (site / "content/pages/about.vi.md").open("a", encoding="utf-8") as f:
        f.write("\n| Sản phẩm | Xã | Hạng sao | Số quyết định | Ghi chú | Liên kết |\n|---|---|---|---|---|---|\n"
                f"| Cà phê Đăk Rve | Đăk Rve | 3 | 1898/QĐ-UBND | Đạt chuẩn OCOP năm 2025 | {long_url} |\n")
    server, url = serve_folder(tmp_path / "out")
    try:
        result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY, "--base-url", url)
        assert result.code == 0, result.err
        page = new_page(browser, viewport={"width": 360, "height": 800})
        wide = {}
        for path in ("vi/products/coffee/", "en/products/coffee/", "vi/about/", "v/coffee/"):
            page.goto(url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide[path] = width
        assert not wide
        page.goto(url + "vi/about/")
        assert page.evaluate("(t => t.scrollWidth > t.clientWidth)(document.querySelector('main table'))")
        page.context.close()
    finally:
        server.shutdown()


def test_no_request_leaves_the_site(browser, sample):
    origin = urlsplit(sample).netloc
    page = new_page(browser)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in ("en/", "en/products/", "en/products/ca-phe-dak-rve/", "v/ca-phe-dak-rve/", "vi/search/?q=ca+phe"):
        page.goto(sample + path)
        page.wait_for_load_state("networkidle")
    assert requested and all(urlsplit(url).netloc == origin for url in requested), requested
    page.context.close()


@pytest.mark.skipif(not AXE.is_file(), reason="needs axe-core (make test installs it with npm)")
@pytest.mark.parametrize("lang", LANGS)
def test_no_accessibility_violations_but_minor_ones(browser, sample, lang):
    page = new_page(browser, locale=lang, bypass_csp=True)          # to inject axe-core itself
    found = {}
    for path in (f"{lang}/", f"{lang}/products/", f"{lang}/products/ca-phe-dak-rve/", "v/ca-phe-dak-rve/",
                 f"{lang}/search/", f"{lang}/communes/dak-rve/", f"{lang}/programme/", f"{lang}/showrooms/",
                 f"{lang}/news/", "404.html", f"embed/{lang}/ca-phe-dak-rve/", f"{lang}/products/du-lich-cong-dong-dak-rve/"):
        page.goto(sample + path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found_here = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                      if v["impact"] in ("moderate", "serious", "critical")]
        if found_here:
            found[path] = found_here
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    page.context.close()


@pytest.mark.parametrize("width, height, name", [(390, 844, "phone"), (1280, 900, "desktop")])
def test_screenshots_for_people_to_look_at(browser, sample, width, height, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser, locale="vi-VN", viewport={"width": width, "height": height})
    for path, label in (("vi/", "home"), ("vi/products/", "list"), ("vi/products/ca-phe-dak-rve/", "product"),
                        ("v/ca-phe-dak-rve/?s=42", "verify"), ("embed/vi/ca-phe-dak-rve/", "card")):
        page.goto(sample + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / f"{label}-{name}.png"), full_page=True)
    page.context.close()
    assert all((ARTIFACTS / f"{label}-{name}.png").stat().st_size > 10_000 for label in ("home", "product", "verify"))


@pytest.mark.parametrize("locale, home", [("ko-KR", "ko/"), ("en-GB", "en/"), ("fr-FR", "vi/")])
def test_the_root_page_leads_a_reader_to_their_language(browser, sample, locale, home):
    page = new_page(browser, locale=locale)
    page.goto(sample)
    page.wait_for_url(sample + home)
    page.context.close()
    page = new_page(browser, locale=locale, java_script_enabled=False)       # without script: the chooser stays
    page.goto(sample)
    assert page.url == sample and page.locator("#choose-language").is_visible()
    page.context.close()


def test_the_root_page_keeps_the_chooser_for_a_reader_who_came_from_the_site(browser, sample):
    page = new_page(browser, locale="ko-KR")
    page.goto(sample, referer=sample + "en/")
    assert page.url == sample and page.locator("#choose-language").is_visible()
    page.context.close()


@pytest.mark.parametrize("path", ["en/", "en/products/", "vi/categories/food/"])
def test_on_a_phone_the_first_screen_shows_products(browser, sample, path):
    page = new_page(browser, viewport={"width": 390, "height": 844})
    page.goto(sample + path)
    first = page.locator(".card").first.bounding_box()
    assert first["y"] + 120 < 844, first              # its photo's top part and more, without scrolling
    facets, form = page.locator("nav.facets:visible").count(), page.locator("#filters:visible").count()
    assert facets + form <= 1                          # one way to narrow a list: the form, with script
    page.context.close()


def test_the_phone_menu_opens_without_script_and_the_desktop_shows_it_at_once(browser, sample):
    page = new_page(browser, viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page.goto(sample + "en/")
    menu = page.locator("header.site nav.menu a", has_text="Communes")
    assert not menu.is_visible()
    page.locator("header.site .menu-box > summary").click()
    assert menu.is_visible()
    menu.click()
    page.wait_for_url("**/en/communes/")
    page.context.close()
    page = new_page(browser, viewport={"width": 1280, "height": 800})
    page.goto(sample + "en/")
    assert page.locator("header.site nav.menu a", has_text="Communes").is_visible()
    assert not page.locator("header.site .menu-box > summary").is_visible()
    page.context.close()


def test_another_site_shows_a_products_card_in_a_frame(browser, sample, tmp_path):
    """An agency's page on another origin frames the card: it shows the product, and its links
    open the site in a new tab, not inside the frame."""
    (tmp_path / "agency").mkdir()
    (tmp_path / "agency/index.html").write_text(
        f'<!doctype html><title>Tours</title><iframe src="{sample}embed/en/ca-phe-dak-rve/" width="320" height="420">'
        "</iframe>", encoding="utf-8")
    server, agency = serve_folder(tmp_path / "agency")
    try:
        page = new_page(browser)
        page.goto(agency)
        card = page.frame_locator("iframe").locator("article.card")
        assert "Đăk Rve coffee" in card.locator("h1").inner_text()
        assert "120,000" in card.inner_text() or "120.000" in card.inner_text()
        with page.context.expect_page() as opened:
            card.locator("a").first.click()
        assert opened.value.url.endswith("/en/products/ca-phe-dak-rve/")
        page.context.close()
    finally:
        server.shutdown()


def test_in_the_preview_a_saved_product_is_found_by_its_new_words_before_the_build(browser, tmp_path):
    """`ocop serve`: the page of a product just saved, and its search index, are made ahead of the
    build (serve.Ahead); the search page finds it by its new text, and no longer by its old."""
    import functools
    import socket
    import threading
    from datetime import date

    from playwright.sync_api import expect

    from generator.build import build
    from generator.commands.serve import Server, State, _Handler

    site, out = copy_site(tmp_path / "site"), tmp_path / "out"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://localhost:{port}/"
    state = State(site_dir=site)
    build(site, out, date.fromisoformat(TODAY), url, drafts=True, built=functools.partial(state.ahead.built, seen=0))
    path = site / "products" / "coffee.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Plain-roasted **coffee**.", "Zebrawood-smoked **coffee**."),
                    encoding="utf-8")
    state.ahead.search(state.ahead.change({"products/coffee.yaml"}))
    server = Server(("127.0.0.1", port), functools.partial(_Handler, directory=str(out), state=state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = new_page(browser)
        page.goto(url + "en/products/coffee/")
        assert "Zebrawood-smoked" in page.locator("main").inner_text()
        page.goto(url + "en/search/?q=zebrawood")
        page.locator("#search-results li a").first.wait_for(timeout=15000)
        links = page.locator("#search-results li a")
        assert links.all_inner_texts() == ["Coffee"]
        assert links.first.get_attribute("href") == "/en/products/coffee/"
        assert page.locator("#search-status").inner_text() == "Results: 1"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "serve-search-ahead.png"), full_page=True)
        page.goto(url + "en/search/?q=plain roasted")
        expect(page.locator("#search-status")).to_have_text("No product matches your search.", timeout=15000)
        assert page.locator("#search-results li a").all_inner_texts() == []
        page.context.close()
    finally:
        server.shutdown()
        server.server_close()
