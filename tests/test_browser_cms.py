"""The web editor as a clerk uses it: `ocop serve`, then /admin/ in a real browser (Decap CMS,
vendored), writing the site's own files; a save that would break the site is refused, in Vietnamese."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from browser import needs_browser
from conftest import ROOT, copy_site, ocop
from generator.commands import cms
from generator.site import model

pytestmark = needs_browser
ARTIFACTS = ROOT / "test-artifacts" / "editor"
PHOTO = ROOT / "tests" / "sites" / "minimal" / "products" / "media" / "coffee.png"


def wait_for(condition, what: str, seconds: float = 60):
    """Until `condition()` is true (a build in another thread, a file written by the server)."""
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        threading.Event().wait(0.05)
    return found


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except urllib.error.URLError:          # not listening yet
        return 0, b""


@pytest.fixture
def editor(tmp_path, monkeypatch):
    from generator.commands.serve import serve
    monkeypatch.setenv("OCOP_LANG", "vi")
    site = copy_site(tmp_path / "site")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stop, said = threading.Event(), []
    thread = threading.Thread(target=serve, args=(site, port, said.append, 0.1, stop), daemon=True)
    thread.start()
    url = f"http://localhost:{port}/"
    wait_for(lambda: fetch(url + "__ocop/state")[0] == 200, "the first build")
    yield site, url, said
    stop.set()
    thread.join(30)


def open_editor(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.goto(url + "admin/")
    page.get_by_role("button", name="Đăng nhập").click()         # (on this machine: no password)
    return page


def fill_product(page, url: str, gtin: str = "") -> None:
    page.goto(url + "admin/#/collections/products/new")
    inputs = page.locator("input:visible")
    inputs.nth(0).fill("Mật ong rừng Đăk Kôi")              # the name: one input per language
    inputs.nth(1).fill("Đăk Kôi wild honey")
    page.locator("[id^=category-field]").click()
    page.get_by_text("Thực phẩm", exact=True).click()       # choices from the site's own lists
    page.locator("[id^=commune-field]").click()
    page.get_by_text("Xã Đăk Kôi", exact=True).click()
    page.locator("input[id^=name-field]").fill("Tổ hợp tác Mật ong Đăk Kôi")
    editors = page.locator("[contenteditable=true]:visible")       # the description, in Markdown
    editors.nth(0).click()
    page.keyboard.type("Mật ong hoa rừng, khai thác tự nhiên.")
    editors.nth(1).click()
    page.keyboard.type("Wild-flower honey, harvested by hand.")
    if gtin:
        page.locator("input[id^=gtin-field]").fill(gtin)


def add_photo(page, tmp_path: Path) -> None:
    photo = tmp_path / "mat-ong.png"
    photo.write_bytes(PHOTO.read_bytes())
    page.get_by_role("button", name="Add ảnh").click()
    page.get_by_role("button", name="Chọn một hình").click()
    page.locator("input[type=file]").set_input_files(photo)
    page.get_by_role("button", name="Lấy những cái đã chọn").click()
    alts = page.locator("input[id^=vi-field]:visible")
    alts.nth(alts.count() - 2).fill("Hũ mật ong rừng")     # what the photo shows (the next is the unit's)


def publish(page) -> None:
    page.get_by_role("button", name="Công bố").first.click()
    page.get_by_text("Công bố ngay").click()


def test_a_clerk_adds_a_product_with_two_languages_and_a_photo(browser, editor, tmp_path):
    site, url, said = editor
    page = open_editor(browser, url)
    assert page.get_by_text("Sản phẩm", exact=True).first.is_visible()        # labels in the clerk's language
    fill_product(page, url)
    add_photo(page, tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "new-product.png"))
    publish(page)
    written = wait_for(lambda: (site / "products" / "mat-ong-rung-dak-koi.yaml").is_file() and
                       site / "products" / "mat-ong-rung-dak-koi.yaml", "the product's file")
    record = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert record["name"] == {"vi": "Mật ong rừng Đăk Kôi", "en": "Đăk Kôi wild honey"}
    assert record["category"] == "food" and record["commune"] == "dak-koi"
    assert record["description"]["en"] == "Wild-flower honey, harvested by hand."
    assert record["images"] == [{"file": "media/mat-ong.png", "alt": {"vi": "Hũ mật ong rừng"}}]
    assert (site / "products" / "media" / "mat-ong.png").read_bytes() == PHOTO.read_bytes()
    assert "gtin" not in record and "price" not in record          # empty optional fields are left out
    checked = ocop("check", "--site", site)
    assert checked.code == 0, checked.err
    page_url = url + "en/products/mat-ong-rung-dak-koi/"
    status, html = wait_for(lambda: (answer := fetch(page_url))[0] == 200 and answer, "the rebuilt page")
    assert "Đăk Kôi wild honey" in html.decode() and "media/" in html.decode()
    page.close()


def test_a_save_that_would_break_the_site_is_refused_in_vietnamese(browser, editor):
    site, url, said = editor
    page = open_editor(browser, url)
    fill_product(page, url, gtin="123")
    publish(page)
    toast = page.get_by_text("không phải mã GTIN hợp lệ")
    toast.first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "refused.png"))
    assert "products/mat-ong-rung-dak-koi.yaml" in toast.first.inner_text()
    assert not (site / "products" / "mat-ong-rung-dak-koi.yaml").exists()
    page.close()


def post(url: str, body: dict, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(url + "api/v1", json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_the_editor_reaches_only_the_sites_content(editor):
    site, url, said = editor
    for path in ("site.yaml", "products/issued.txt", "products/codes/coffee.txt", "../outside.yaml",
                 "content/../../outside.yaml", ".git/config", "themes/default/templates/base.html"):
        code, answer = post(url, {"action": "persistEntry", "params": {"entry": {"path": path, "raw": "x"},
                                                                          "assets": []}})
        assert code == 403, (path, answer)
    assert not (site.parent / "outside.yaml").exists()
    assert post(url, {"action": "info"}, Origin="https://elsewhere.example")[0] == 403       # another site's page
    text = urllib.request.Request(url + "api/v1", b'{"action": "info"}', method="POST",
                                  headers={"Content-Type": "text/plain"})          # a form of another site
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(text, timeout=10)


def test_the_editors_forms_come_from_the_sites_own_lists(editor):
    site, url, said = editor
    status, text = fetch(url + "admin/config.yml")
    config = yaml.safe_load(text)
    assert config["backend"] == {"name": "proxy", "proxy_url": url + "api/v1"}
    assert config["media_folder"] == "products/media" and config["public_folder"] == "media"
    products = next(c for c in config["collections"] if c["name"] == "products")
    fields = {f["name"]: f for f in products["fields"]}
    assert [o["value"] for o in fields["category"]["options"]] == list(model.CATEGORIES)
    assert sorted(o["value"] for o in fields["commune"]["options"]) == ["dak-koi", "dak-rve"]      # current ones
    assert [f["name"] for f in fields["name"]["fields"]] == ["vi", "en"]                        # site languages
    assert fields["description"]["fields"][0]["widget"] == "markdown"
    from generator.site import validate
    assert set(fields) <= set(validate.PRODUCT_KEYS)
    pages = next(c for c in config["collections"] if c["name"] == "pages")
    assert config["i18n"] == {"structure": "multiple_files", "locales": ["vi", "en"], "default_locale": "vi"}
    assert pages["folder"] == "content/pages" and pages["i18n"] is True
    assert (cms.ADMIN / cms.SCRIPT).stat().st_size > 1_000_000 and (cms.ADMIN / "LICENSE").is_file()


def test_the_published_editor_saves_to_the_sites_repository(browser, tmp_path):
    from browser import serve_folder
    site = copy_site(tmp_path / "site")
    settings = site / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "cms: {backend: github, repo: konray/ocop-site, "
                        "review: true, auth_url: https://auth.konray.example.vn}\n", encoding="utf-8")
    out = tmp_path / "out"
    built = ocop("build", "--site", site, "--output", out)
    assert built.code == 0, built.err
    config = yaml.safe_load((out / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert config["backend"] == {"name": "github", "repo": "konray/ocop-site", "branch": "main",
                                 "base_url": "https://auth.konray.example.vn"}
    assert config["publish_mode"] == "editorial_workflow" and config["locale"] == "vi"    # each save a pull request
    assert config["collections"][0]["label"] == "Sản phẩm"          # the office's language, whoever builds
    assert (out / "admin" / cms.SCRIPT).read_bytes() == (cms.ADMIN / cms.SCRIPT).read_bytes()
    headers = (out / "_headers").read_text(encoding="utf-8")
    assert f"/admin/*\n  Content-Security-Policy: {cms.POLICY}\n" in headers
    assert "admin/" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    server, url = serve_folder(out)
    page = browser.new_page()
    page.goto(url + "admin/")
    page.get_by_role("button", name="Đăng nhập bằng GitHub").wait_for()
    page.close()
    server.shutdown()
    settings.write_text(settings.read_text(encoding="utf-8").replace("konray/ocop-site", "ocop site"), encoding="utf-8")
    wrong = ocop("check", "--site", site)
    assert wrong.code == 1 and "'repo' must be the repository as its host names it" in wrong.err


def test_communes_and_showrooms_are_edited_as_lists_and_saved_as_the_site_writes_them(editor):
    site, url, said = editor
    code, entry = post(url, {"action": "getEntry", "params": {"path": "content/showrooms.yaml"}})
    data = yaml.safe_load(entry["data"])
    assert code == 200 and [s["id"] for s in data["showrooms"]] == ["corner"]       # the list under one key
    data["showrooms"][0]["phone"] = "+84 260 000 0009"
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    code, answer = post(url, {"action": "persistEntry", "params": {"entry": {"path": "content/showrooms.yaml",
                                                                             "raw": raw}, "assets": []}})
    assert code == 200, answer
    saved = yaml.safe_load((site / "content" / "showrooms.yaml").read_text(encoding="utf-8"))
    assert isinstance(saved, list) and saved[0]["phone"] == "+84 260 000 0009"
    assert ocop("check", "--site", site).code == 0
    status, text = fetch(url + "admin/config.yml")
    lists = next(c for c in yaml.safe_load(text)["collections"] if c["name"] == "lists")
    assert [f["file"] for f in lists["files"]] == ["content/communes.yaml", "content/showrooms.yaml"]


def test_a_preview_shows_the_problems_of_a_broken_save_over_the_page(browser, editor):
    site, url, said = editor
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url + "vi/")
    tea = site / "products" / "tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8") + "gtin: '123'\n", encoding="utf-8")
    box = page.locator(".ocop-problems")
    box.wait_for()
    shown = box.inner_text()
    assert shown.startswith("Trang đang có lỗi; đây là bản dựng tốt gần nhất.")
    assert "products/tea.yaml:6:7: error: '123' không phải mã GTIN hợp lệ" in shown
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "problems-over-the-preview.png"))
    tea.write_text(tea.read_text(encoding="utf-8").replace("gtin: '123'\n", ""), encoding="utf-8")
    box.wait_for(state="detached")          # fixed: the page reloads with the new build
    page.close()
