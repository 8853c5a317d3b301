"""Hostile and broken input: every case ends in a clear error (or a safe page), fast, and writes nothing."""
import io
import os
import struct
import zlib

import pytest
from PIL import Image

from pathlib import Path

from conftest import TODAY, copy_site, ocop


def add_image(site, name: str, data: bytes) -> None:
    (site / "products" / "media" / name).write_bytes(data)
    product = site / "products" / "tour.yaml"
    product.write_text(product.read_text(encoding="utf-8") + f"images:\n  - {{file: media/{name}}}\n", encoding="utf-8")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb's first bytes."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, "JPEG")
    return out.getvalue()


def check(site):
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "Traceback" not in result.err
    return result.err


def test_billion_laughs_is_refused_at_the_first_anchor(site):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    (site / "products" / "tour.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "products/tour.yaml:1:4: error: anchors and aliases (& and *) are not allowed" in check(site)


def test_deep_nesting_is_refused(site):
    (site / "products" / "tour.yaml").write_text("name: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert "error: nested more than 32 levels deep" in check(site)


def test_a_huge_file_is_refused_unread(site):
    (site / "products" / "tour.yaml").write_text("name: x\n" + "# filler\n" * 200_000, encoding="utf-8")
    assert "products/tour.yaml:1:1: error: file is 1,800,008 bytes, over the limit of 1,048,576" in check(site)


def test_a_file_that_is_not_a_regular_file_is_refused_unread(site):
    os.mkfifo(site / "products" / "pipe.yaml")      # read, it would never end
    assert "products/pipe.yaml:1:1: error: is not a regular file" in check(site)


def test_a_decompression_bomb_is_refused(site):
    add_image(site, "bomb.png", png_claiming(100_000, 100_000))
    assert "error: products/media/bomb.png is over 40,000,000 pixels" in check(site)


def test_a_large_but_not_bomb_header_is_refused_too(site):
    add_image(site, "big.png", png_claiming(8000, 6000))
    assert "error: products/media/big.png is 8000×6000 pixels, over the limit of 40,000,000" in check(site)


def test_a_truncated_image_is_refused(site):
    data = jpeg((400, 300))
    add_image(site, "cut.jpg", data[: len(data) // 2])
    assert "error: products/media/cut.jpg is not a readable image" in check(site)


def test_a_file_that_claims_to_be_an_image_is_refused(site):
    add_image(site, "photo.jpg", b"<html><script>alert(1)</script></html>")
    assert "error: products/media/photo.jpg is not a readable image" in check(site)


def test_svg_uploads_are_refused(site):
    add_image(site, "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    assert "error: products/media/logo.svg is not a photo; use a JPEG, PNG or WebP file" in check(site)


def test_other_image_formats_are_refused(site):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    add_image(site, "anim.png", out.getvalue())
    assert "error: products/media/anim.png is a GIF image; use JPEG, PNG or WebP" in check(site)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symbolic_links_out_of_the_site_are_refused(site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("name: secret\n", encoding="utf-8")
    os.symlink(secret, site / "products" / "leak.yaml")
    os.symlink("/etc/hostname", site / "products" / "media" / "host.jpg")
    product = site / "products" / "tour.yaml"
    product.write_text(product.read_text(encoding="utf-8") + "images:\n  - {file: media/host.jpg}\n", encoding="utf-8")
    err = check(site)
    assert "products/leak.yaml:1:1: error: is a symbolic link (or in a linked folder) that leads outside the site" in err
    assert "error: products/media/host.jpg is a symbolic link (or in a linked folder) that leads outside the site" in err


@pytest.mark.parametrize("path", ["../../../etc/passwd", "/etc/passwd", "media/../../site.yaml", "media\\x.pdf"])
def test_document_paths_cannot_leave_the_media_folder(site, path):
    decision = site / "products" / "decisions" / "province-2025.yaml"
    decision.write_text(decision.read_text(encoding="utf-8") + f"document: '{path}'\n", encoding="utf-8")
    assert "must be a path inside products/media" in check(site)


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "..", "a/..", "/etc/passwd", "a\\..\\x", ""])
def test_nothing_is_written_outside_the_output_folder(rel, tmp_path):
    """The last line of defence, under every check of content: the writer refuses such a path."""
    from generator.output.write import Output
    with Output(tmp_path / "out", tmp_path / ".ocop-cache") as out:
        with pytest.raises(ValueError, match="refusing to write outside"):
            out.write(rel, b"x")
        out.write("a/..b/x.html", b"a name, not a way up")


def test_two_pages_for_one_file_are_an_error_before_anything_is_written(site, tmp_path):
    (site / "content" / "pages" / "products.vi.md").write_text("---\ntitle: Sản phẩm\n---\nx\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1
    said = ("content/pages/products.vi.md:1:1: error: the catalogue page and the page 'products' would both be "
            "written to output/en/products/index.html (and 1 more alike); rename the page (its file name is its address)")
    assert said in result.err.splitlines()
    assert not (tmp_path / "out").exists()
    check = ocop("check", "--site", site, "--today", TODAY)         # said before a build, once for both languages
    assert check.code == 1 and [line for line in check.err.splitlines() if ": error: " in line] == [said]


def test_two_products_with_one_gtin_are_an_error(site, tmp_path):
    tour = site / "products" / "tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8") + 'gtin: "8936000000011"\n', encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1 and ("error: the GTIN 8936000000011 is already that of products/coffee.yaml; each "
                                 "product has its own") in result.err
    check = ocop("check", "--site", site, "--today", TODAY)
    assert check.code == 1 and "products/tour.yaml:" in check.err and "already that of products/coffee.yaml" in check.err


@pytest.mark.parametrize("base_url", ['https://x.vn/"><script>alert(1)</script>/', "javascript:alert(1)//x/",
                                      "https://x.vn/a b/"])
def test_a_hostile_base_url_is_refused(site, base_url):
    text = (site / "site.yaml").read_text(encoding="utf-8").replace("https://ocop.example.vn/", base_url)
    (site / "site.yaml").write_text(text.replace("base_url: " + base_url, f"base_url: '{base_url}'"), encoding="utf-8")
    assert "error: 'base_url' must be an absolute https:// or http:// address ending in '/'" in check(site)


def test_hostile_text_in_every_output_format_stays_text(site, tmp_path):
    evil = "</script><script>alert(1)</script><style>body{display:none}</style>&amp;"
    (site / "content/news/2025-09-20-new-products.vi.md").write_text(
        f"---\ntitle: '{evil}'\nsummary: '{evil}'\n---\n{evil}\n<form action=https://evil.example><input></form>\n"
        "[x](data:text/html;base64,PHNjcmlwdD4=) <a href='vbscript:x'>y</a>\n", encoding="utf-8")
    tour = site / "products" / "tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8").replace("name: {vi: Du lịch cộng đồng, en: Community tourism}",
                                                             f"name: {{vi: '{evil}', en: x}}"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    for path in (tmp_path / "out").rglob("*"):
        if path.suffix in (".html", ".xml", ".json", "") and path.is_file():
            text = path.read_text(encoding="utf-8")
            for bad in ("<script>alert", "<style>", "evil.example", "<input>", 'href="data:', 'href="vbscript:'):
                assert bad not in text, (path, bad)
    feed = (tmp_path / "out/vi/news/feed.xml").read_text(encoding="utf-8")
    assert "<title>&lt;/script&gt;&lt;script&gt;alert(1)" in feed


def test_a_pages_description_is_the_plain_text_of_its_markdown(site, tmp_path):
    tour = site / "products" / "tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8").replace(
        "description: {vi: Nghỉ nhà dân., en: Homestays.}",
        """description: {vi: '[Nhà](https://x.vn "a > b") dân &amp; <b>bếp</b> lửa <!-- x --><i>"1 < 2"</i>',"""
        " en: Homestays.}"), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    html = (tmp_path / "out/vi/products/tour/index.html").read_text(encoding="utf-8")
    assert '<meta name="description" content="Nhà dân &amp; bếp lửa &#34;1 &lt; 2&#34;">' in html


def test_a_website_that_would_break_out_of_its_attribute_is_refused(site):
    tour = site / "products" / "tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8").replace("producer: {name: Tổ du lịch}",
                    """producer: {name: X, website: 'https://example.vn/"><script>alert(2)</script>'}"""),
                    encoding="utf-8")
    assert "error: 'website' must be an absolute web address starting with https:// or http://" in check(site)


HOSTILE = sorted(p.name for p in (Path(__file__).parent / "hostile").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_sites_build_safely(case, tmp_path):
    """tests/hostile/<case>/: files laid over the minimal site, and expect.txt: `absent: TEXT` must
    not appear in any page, feed, sitemap or data file; `present: FILE: TEXT` must appear in FILE;
    `absent-in: FILE: TEXT` must not appear in FILE."""
    folder = Path(__file__).parent / "hostile" / case
    site = copy_site(tmp_path / "site")
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "expect.txt":
            target = site / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 0, result.err
    outputs = [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".html", ".xml", ".json") and p.is_file()]
    texts = {p: p.read_text(encoding="utf-8") for p in outputs}
    for line in (folder / "expect.txt").read_text(encoding="utf-8").splitlines():
        kind, _, rest = line.partition(": ")
        if kind == "absent":
            assert not [p for p, text in texts.items() if rest in text], rest
        elif kind in ("present", "absent-in"):
            file, _, text = rest.partition(": ")
            content = (tmp_path / "out" / file).read_text(encoding="utf-8-sig")
            assert (text in content) == (kind == "present"), (file, text)
