"""What a careless or hostile change to a site's repository can no longer do: drop a published
page unsaid, make a build empty a folder that is not its output, publish a file from outside the
site or from .git, or run code from the cache folder (which a pull request can fill)."""
import io
import marshal
import os
import pickle
import re

import pytest
from jinja2.bccache import bc_magic

from conftest import TODAY, copy_site, ocop, tree
from random_edits import rebuilt_as_cold

# -- a published verification page is never dropped silently ----------------------------------


@pytest.mark.parametrize("field, blank", [("category", "''"), ("commune", "' '"), ("name", '"\\u200b\\u00ad"')])
def test_a_blank_required_value_is_an_error_not_a_missing_page(site, tmp_path, field, blank):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    before = tree(out)
    path = site / "products" / "coffee.yaml"
    text = re.sub(rf"(?m)^{field}:.*$", lambda m: f"{field}: {blank}", path.read_text(encoding="utf-8"), count=1)
    path.write_text(text, encoding="utf-8")
    for command in ("check", "build"):
        result = ocop(command, "--site", site, "--output", out, "--today", TODAY) if command == "build" else \
            ocop(command, "--site", site, "--today", TODAY)
        assert result.code == 1, command
        assert re.search(rf"products/coffee.yaml:\d+:\d+: error: a product needs '{field}', and it is empty",
                         result.err), result.err
    assert tree(out) == before


def test_an_entry_of_a_decision_with_a_blank_product_is_an_error(site):
    path = site / "products/decisions/province-2025.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{product: tea,", "{product: '',"), encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "an entry needs 'product', and it is empty" in result.err


# -- --output never destroys what is not a build's output -------------------------------------


def test_a_folder_no_build_wrote_is_never_replaced(site, tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter-1.md").write_text("two years of work\n")
    result = ocop("build", "--site", site, "--output", thesis, "--today", TODAY)
    assert result.code == 2 and "holds files that no build wrote" in result.err
    assert tree(thesis) == {"chapter-1.md": b"two years of work\n"}
    (site / ".git").mkdir()
    (site / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = ocop("build", "--site", site, "--output", site / ".git", "--today", TODAY)
    assert result.code == 2 and (site / ".git" / "HEAD").is_file()


def test_an_empty_folder_or_an_earlier_output_is_built_into(site, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ocop("build", "--site", site, "--output", empty, "--today", TODAY).code == 0
    assert (empty / ".ocop-output").is_file() and (empty / "404.html").is_file()
    (empty / ".ocop-output").unlink()           # as an earlier version of ocop left it: known by its files
    (empty / "stray.txt").write_text("left by hand\n")
    assert ocop("build", "--site", site, "--output", empty, "--today", TODAY).code == 0
    assert (empty / ".ocop-output").is_file() and not (empty / "stray.txt").exists()


# -- no file from outside the site, and no secret from inside it, is published ------------------


def secret_git(site):
    (site / ".git").mkdir(exist_ok=True)
    (site / ".git" / "config").write_text('[http]\n\textraheader = "AUTHORIZATION: basic c2VjcmV0"\n')


def test_a_photo_linked_to_git_config_is_refused(site, tmp_path):
    secret_git(site)
    photo = site / "products/media/coffee.png"
    photo.unlink()
    photo.symlink_to("../../.git/config")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1 and "products/media/coffee.png is a symbolic link to .git/config" in result.err
    assert not (tmp_path / "out").exists()


def test_a_linked_media_folder_that_leads_out_of_the_site_is_refused(site, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (site / "products/media").rename(elsewhere)
    (site / "products/media").symlink_to(elsewhere, target_is_directory=True)
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1
    assert "products/media:1:1: error: is a symbolic link (or in a linked folder) that leads outside the site" in result.err


@pytest.mark.parametrize("link, target", [("passwd.txt", "/etc/passwd"), ("etc", "/etc"), ("git", "../../../.git")])
def test_a_theme_file_or_folder_linked_elsewhere_is_refused(site, tmp_path, link, target):
    from generator import BUNDLED_THEMES
    import shutil
    secret_git(site)
    shutil.copytree(BUNDLED_THEMES / "default", site / "themes" / "default")
    (site / "themes/default/static" / link).symlink_to(target)
    for command in ("check", "build"):
        args = ("--output", tmp_path / "out") if command == "build" else ()
        result = ocop(command, "--site", site, "--today", TODAY, *args)
        assert result.code == 1 and f"themes/default/static/{link}:1:1: error:" in result.err, (command, result.err)
    assert not (tmp_path / "out").exists()


# -- nothing from the repository is executed --------------------------------------------------


class _Payload:
    """What a hostile cache file would run: it leaves a file behind."""

    def __init__(self, mark):
        self.mark = str(mark)

    def __reduce__(self):
        return os.system, (f"touch {self.mark}",)


def test_cache_files_from_a_pull_request_run_nothing_and_are_made_again(site, tmp_path):
    from conftest import add_products
    add_products(site, 450)             # a site large enough that every cache file is written
    out, mark = tmp_path / "out", tmp_path / "pwned"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY, "--quiet").code == 0
    cache = tmp_path / ".ocop-cache"
    kept = sorted(cache.glob("*.data"))
    assert {p.name for p in kept} >= {"checked.data", "decided.data", "media.data"}
    for n, path in enumerate(kept):     # what a pickle-reading cache would run, and plain data that is not ours
        path.write_bytes([pickle.dumps(_Payload(mark)), b"\xd4\x63\x00", b"\x81\xc7\x00\x10\x93\x01\x02\x03"][n % 3])
    compiled = sorted((cache / "templates").glob("*.cache"))
    assert compiled
    code = compile(f"__import__('os').system('touch {mark}')", "<cache>", "exec")
    for path in compiled:            # Jinja's own format (magic, checksum, marshalled code), as it would load it
        data = io.BytesIO(path.read_bytes()[32:])           # (after this machine's seal)
        assert data.read(len(bc_magic)) == bc_magic
        checksum = pickle.load(data)
        path.write_bytes(bc_magic + pickle.dumps(checksum, 2) + marshal.dumps(code))
    (site / "products/coffee.yaml").write_text((site / "products/coffee.yaml").read_text(encoding="utf-8")
                                               .replace("max: 220000", "max: 230000"), encoding="utf-8")
    assert ocop("check", "--site", site, "--today", TODAY).code == 0
    built, differ = rebuilt_as_cold(site, out, tmp_path / "cold" / "out", TODAY)
    assert built.code == 0 and differ is None, differ
    assert not mark.exists()


def test_a_corrupt_search_index_in_the_cache_is_made_again(site, tmp_path):
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY, "--quiet").code == 0
    indexes = [p for p in (tmp_path / ".ocop-cache").glob("pagefind-*") if p.is_dir()]
    assert indexes
    for index in indexes:
        entry = index / "pagefind-entry.json"
        data = entry.read_bytes()
        os.unlink(entry)                # (a hard link of the output's: written anew, not through it)
        entry.write_bytes(data[:-5] + b"\xff\xfe garbled")
    # an edit that leaves the search documents as they were: the shards are not indexed again
    (site / "content/communes.yaml").write_text((site / "content/communes.yaml").read_text(encoding="utf-8") + "\n",
                                                encoding="utf-8")
    built, differ = rebuilt_as_cold(site, out, tmp_path / "cold" / "out", TODAY)
    assert built.code == 0 and differ is None, differ


# -- ocop serve answers only its own host ------------------------------------------------------


@pytest.fixture
def preview(built):
    import functools
    import threading
    from generator.commands.serve import Server, State, _Handler
    server = Server(("127.0.0.1", 0), functools.partial(_Handler, directory=str(built), state=State()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def ask(port, path, host):
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_the_preview_answers_only_requests_for_localhost(preview):
    for host in (f"localhost:{preview}", f"127.0.0.1:{preview}", f"[::1]:{preview}", f"LOCALHOST:{preview}"):
        assert ask(preview, "/__ocop/state", host)[0] == 200, host
    for host in (f"evil.example:{preview}", "localhost", f"localhost:{preview + 1}", ""):
        status, body = ask(preview, "/__ocop/state", host)
        assert status == 403 and b"problems" not in body, host


def test_a_malformed_path_is_a_bad_request_and_a_client_that_leaves_prints_nothing(preview, capfd):
    import socket
    for path in ("/v/coffee/%00", "/%ff%fe", "/a%00b/index.html"):
        assert ask(preview, path, f"localhost:{preview}")[0] == 400, path
    with socket.create_connection(("127.0.0.1", preview)) as s:       # asks for a page, leaves at once
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(f"GET /en/ HTTP/1.1\r\nHost: localhost:{preview}\r\n\r\n".encode())
    assert ask(preview, "/en/", f"localhost:{preview}")[0] == 200         # (the one before is answered by now)
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "Error" not in err


# -- every output format is safe, not only HTML -----------------------------------------------


def test_the_report_neutralises_formulas_and_markdown_structure(site, tmp_path):
    path = site / "products/coffee.yaml"
    text = path.read_text(encoding="utf-8").replace("name: {vi: Cà phê, en: Coffee}",
                                                    'name: {vi: "=HYPERLINK(\\"https://evil.example\\",\\"x\\")", '
                                                    'en: "**Big** [deal](https://evil.example) <b>|x|</b>"}')
    path.write_text(text, encoding="utf-8")
    # the coffee's recognition is in 2025-09: that month's report lists it
    csv = tmp_path / "r.csv"
    assert ocop("report", "--site", site, "--today", TODAY, "--month", "2025-09", "--format", "csv",
                "--output", csv).code == 0
    data = csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in data and ",=HYPERLINK" not in data and '"=HYPERLINK' not in data
    md = tmp_path / "r.md"
    assert ocop("report", "--site", site, "--today", TODAY, "--month", "2025-09", "--lang", "en", "--format", "md",
                "--output", md).code == 0
    table = md.read_text(encoding="utf-8")
    assert r"\*\*Big\*\* \[deal\](https://evil.example) \<b\>\|x\|\</b\>" in table


# -- what is plainly wrong is refused, with clear and true messages -----------------------------


@pytest.mark.parametrize("old, new, said", [
    ("  kind: cooperative", '  kind: cooperative\n  phone: "call us"', "'phone' must be a phone number, with its digits; got 'call us'"),
    ("min: 100000", "min: 0x186A0", "'min' must be written in decimal digits; got 0x186A0, which is 100000"),
    ("min: 100000", "min: 100_000", "'min' must be written in decimal digits; got 100_000"),
    ("name: {vi: Cà phê, en: Coffee}", 'name: {vi: "Cà phê\\n# Heading", en: Coffee}', "'name' must be one line"),
    ("{from: 1, to: 100, issued: 2025-10-01}", "{from: 1, to: 100, issued: 9999-10-01}",
     "'issued' must be a date from 1900 to 2999; got 9999-10-01"),
])
def test_a_plainly_wrong_value_is_refused(site, old, new, said):
    path = site / "products/coffee.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and said in result.err, result.err


def test_a_decision_scan_that_is_not_a_pdf_is_refused(site):
    (site / "products/media/scan.pdf").write_bytes(b"<html>not a scan</html>")
    path = site / "products/decisions/province-2025.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "document: media/scan.pdf\n", encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "products/media/scan.pdf is not a PDF file" in result.err
    (site / "products/media/scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    assert ocop("check", "--site", site, "--today", TODAY).code == 0


@pytest.mark.parametrize("url", ["https://ocop.example.vn:99999/", "https://-x-.example.vn/", "https://a..vn/",
                                 "https://ocop.example.vn/a%20b/", "https://ocop.example.vn\n/"])
def test_an_impossible_base_url_is_refused_by_check_and_build(site, tmp_path, url):
    config = site / "site.yaml"
    config.write_text(re.sub(r"base_url: \S+", lambda m: f"base_url: {url!r}".replace("'", '"').replace("\n", "\\n"),
                             config.read_text(encoding="utf-8")), encoding="utf-8")
    assert ocop("check", "--site", site, "--today", TODAY).code == 1
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 1
    result = ocop("build", "--site", copy_site(tmp_path / "ok"), "--output", tmp_path / "out", "--today", TODAY,
                  "--base-url", url)
    assert result.code == 2 and not (tmp_path / "out").exists()


def test_a_broken_link_in_a_page_fails_check_as_it_fails_the_build(site, tmp_path):
    page = site / "content/pages/about.en.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee [the list](/en/nowhere/).\n", encoding="utf-8")
    checked = ocop("check", "--site", site, "--today", TODAY)
    built = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert checked.code == built.code == 1
    line = next(line for line in built.err.splitlines() if "/en/nowhere/" in line)
    assert line.startswith("content/pages/about.en.md:") and line in checked.err.splitlines()


def test_one_language_twice_in_another_case_is_one_error_at_languages(site):
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("  - {code: en, name: English}",
                      "  - {code: en, name: English}\n  - {code: zh-Hans, name: 中文}\n  - {code: zh-hans, name: 中文}"),
                      encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert [line for line in result.err.splitlines() if "error" in line and not line.startswith("ocop:")] == [
        "site.yaml:3:1: error: the language 'zh-hans' is listed twice (as 'zh-Hans' too: codes are one language "
        "whatever their case)"]


def test_a_missing_site_yaml_or_a_folder_of_that_name_is_said_as_such(site):
    (site / "site.yaml").unlink()
    result = ocop("check", "--site", site, "--today", TODAY)
    assert "site.yaml:1:1: error: is missing" in result.err and ":0:0" not in result.err
    (site / "site.yaml").mkdir()
    assert "site.yaml:1:1: error: is a folder" in ocop("check", "--site", site, "--today", TODAY).err


def test_a_photo_named_with_separate_accents_is_explained(site):
    import unicodedata
    nfd = unicodedata.normalize("NFD", "cà-phê.png")
    (site / "products/media/coffee.png").rename(site / "products/media" / nfd)
    path = site / "products/coffee.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("media/coffee.png", "media/cà-phê.png"), encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "has the same name with its accents stored another way" in result.err


def test_text_with_separate_accents_reads_as_the_same_text(site, tmp_path):
    import unicodedata
    path = site / "products/coffee.yaml"
    path.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    page = (tmp_path / "out/vi/products/coffee/index.html").read_text(encoding="utf-8")
    assert "Cà phê" in page and unicodedata.normalize("NFD", "Cà phê") not in page


def test_a_cache_folder_this_machine_did_not_make_is_not_used(site, tmp_path):
    """A cache that came with a checkout (or a copy, an archive) is emptied before a build uses it:
    a QR code or a photo in it is never published, however it is named."""
    out = tmp_path / "out"
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    cache = tmp_path / ".ocop-cache"
    svgs = list((cache / "qr").glob("*.svg"))
    assert svgs and (cache / ".owner").is_file()
    forged = b'<svg xmlns="http://www.w3.org/2000/svg"><text>scan me: evil.example</text></svg>'
    for svg in svgs:
        svg.write_bytes(forged)
    (cache / ".owner").write_bytes(b"from a pull request")
    import shutil
    shutil.rmtree(out)                  # (an output made from scratch takes every QR code from the cache)
    assert ocop("check", "--site", site, "--today", TODAY).code == 0
    assert ocop("build", "--site", site, "--output", out, "--today", TODAY).code == 0
    assert not any(p.read_bytes() == forged for p in (out / "qr").glob("*.svg"))
    assert not any(p.is_file() and p.read_bytes() == forged for p in cache.rglob("*.svg"))
