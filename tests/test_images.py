"""Product photos: orientation, metadata, sizes, weight, <picture> markup, and the encode cache."""
import io
import random
import re
import struct

from PIL import Image, ImageCms

from conftest import TODAY, ocop


def write_photo(site, name, size=(3000, 2000), exif_orientation=None, noise=False):
    image = Image.new("RGB", size, (180, 120, 60))
    if noise:
        rng = random.Random(1)
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera 9000"                 # model
    exif[0x0131] = "Editing Suite"                      # software
    if exif_orientation:
        exif[0x0112] = exif_orientation
    image.save(site / "products" / "media" / name, "JPEG", exif=exif.tobytes(), quality=95)
    tour = site / "products" / "tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8") + f"images:\n  - {{file: media/{name}, alt: Ảnh}}\n",
                    encoding="utf-8")


def build(site, out):
    result = ocop("build", "--site", site, "--output", out, "--today", TODAY)
    assert result.code == 0, result.err
    return (out / "vi/products/tour/index.html").read_text(encoding="utf-8")


def picture_files(html, out):
    return [out / m.lstrip("/") for m in re.findall(r'(/media/tour-photo-[^" ,]+)', html)]


def test_photos_are_resized_rotated_and_stripped(site, tmp_path):
    write_photo(site, "tour-photo.jpg", size=(3000, 2000), exif_orientation=6)      # shown turned a quarter
    html = build(site, tmp_path / "out")
    assert re.search(r'<source type="image/webp" srcset="/media/tour-photo-\w+-320.webp 320w, '
                     r'/media/tour-photo-\w+-640.webp 640w, /media/tour-photo-\w+-1024.webp 1024w"', html)
    assert re.search(r'<img src="/media/tour-photo-\w+-640.jpg" alt="Ảnh" width="640" height="960" '
                     r'fetchpriority="high">', html)
    files = set(picture_files(html, tmp_path / "out"))
    assert len(files) == 4
    for path in files:
        with Image.open(path) as image:
            assert image.height > image.width                       # portrait after applying the orientation
            assert not image.getexif() and "icc_profile" not in image.info and "xmp" not in image.info
            assert path.stat().st_size <= 400 * 1024
            width = int(path.stem.rsplit("-", 1)[1])
            assert image.size == (width, round(3000 * width / 2000))


def test_a_heavy_photo_stays_under_400_kb(site, tmp_path):
    write_photo(site, "tour-photo.jpg", size=(1600, 1200), noise=True)
    html = build(site, tmp_path / "out")
    for path in picture_files(html, tmp_path / "out"):
        assert path.stat().st_size <= 400 * 1024, path


def test_grey_16_bit_and_transparent_photos_keep_their_tones(site, tmp_path):
    """A 16-bit grey scan is brought to 8 bits, not clipped to white; a logo with a transparent
    background keeps it in WebP and is set on white in the JPEG fallback (JPEG has no
    transparency: the bare pixels underneath are often black)."""
    Image.new("I;16", (400, 300), 30000).save(site / "products/media/tour-photo.png")    # 30000/65535: 117 of 255
    logo = Image.new("RGBA", (400, 300), (0, 0, 0, 0))  # transparent black around a green square
    logo.paste((20, 160, 60, 255), (100, 100, 300, 200))
    logo.save(site / "products/media/tour-logo.png")
    tour = site / "products/tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8") + "images:\n  - {file: media/tour-photo.png, alt: Ảnh}\n"
                    "  - {file: media/tour-logo.png, alt: Logo}\n", encoding="utf-8")
    html = build(site, tmp_path / "out")
    for path in picture_files(html, tmp_path / "out"):
        with Image.open(path) as image:
            assert all(abs(channel - 117) <= 2 for channel in image.convert("RGB").getpixel((200, 150))), path
    logos = [tmp_path / "out" / m.lstrip("/") for m in re.findall(r'(/media/tour-logo-[^" ,]+)', html)]
    assert {path.suffix for path in logos} == {".webp", ".jpg"}
    for path in logos:
        with Image.open(path) as image:
            corner, middle = image.convert("RGBA").getpixel((5, 5)), image.convert("RGBA").getpixel((200, 150))
        if path.suffix == ".jpg":
            assert min(corner[:3]) >= 250, (path, corner)         # white, as the card it stands on
        else:
            assert corner[3] == 0, (path, corner)                   # still transparent
        assert abs(middle[1] - 160) <= 6 and middle[3] == 255, (path, middle)


def wide_gamut_profile() -> bytes:
    """An ICC v2 RGB profile with primaries near Display P3's (what iPhones tag their photos with)."""
    def fixed(x):
        return struct.pack(">i", round(x * 65536))

    def xyz(v):
        return b"XYZ \0\0\0\0" + b"".join(fixed(c) for c in v)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    name = b"Wide test RGB\0"
    tags = [(b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + b"\0" * 78),
            (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"rXYZ", xyz((0.5151, 0.2412, -0.0011))),
            (b"gXYZ", xyz((0.2920, 0.6922, 0.0419))), (b"bXYZ", xyz((0.1571, 0.0666, 0.7841))),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve), (b"cprt", b"text\0\0\0\0none\0")]
    start, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table, data = table + sig + struct.pack(">II", start + len(data), len(body)), data + body
    header = (struct.pack(">I", start + len(data)) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + fixed(0.9642) + fixed(1.0) + fixed(0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + data


def test_colours_of_a_wide_gamut_photo_are_brought_to_srgb(site, tmp_path):
    """The published file carries no colour profile (nor any metadata): a photo tagged Display P3
    or Adobe RGB is turned into sRGB first, else browsers show it duller; an sRGB one is left as it is."""
    wide = wide_gamut_profile()
    Image.new("RGB", (400, 300), (200, 100, 50)).save(site / "products/media/tour-photo.jpg", quality=98,
                                                       icc_profile=wide)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (400, 300), (200, 100, 50)).save(site / "products/media/tour-plain.jpg", quality=98,
                                                       icc_profile=srgb)
    tour = site / "products/tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8") + "images:\n  - {file: media/tour-photo.jpg, alt: Ảnh}\n"
                    "  - {file: media/tour-plain.jpg, alt: Ảnh}\n", encoding="utf-8")
    html = build(site, tmp_path / "out")
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), (200, 100, 50)), ImageCms.getOpenProfile(
        io.BytesIO(wide)), ImageCms.createProfile("sRGB")).getpixel((0, 0))
    assert abs(expected[0] - 200) + abs(expected[2] - 50) > 20        # the profile makes a difference worth seeing
    for stem, colour in (("tour-photo", expected), ("tour-plain", (200, 100, 50))):
        files = {tmp_path / "out" / m.lstrip("/") for m in re.findall(rf'(/media/{stem}-[^" ,]+)', html)}
        assert len(files) == 3
        for path in files:
            with Image.open(path) as image:
                assert "icc_profile" not in image.info
                assert all(abs(a - b) <= 4 for a, b in zip(image.convert("RGB").getpixel((200, 150)), colour)), path


def test_a_photo_taller_than_webp_allows_is_published_narrower(site, tmp_path):
    """WebP holds at most 16,383 pixels a side: a long infographic is not a fault of the build."""
    Image.new("RGB", (300, 17000), (10, 100, 200)).save(site / "products/media/tour-photo.png")
    tour = site / "products/tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8") + "images:\n  - {file: media/tour-photo.png, alt: Ảnh}\n",
                    encoding="utf-8")
    html = build(site, tmp_path / "out")
    files = set(picture_files(html, tmp_path / "out"))
    assert {path.suffix for path in files} == {".webp", ".jpg"}
    for path in files:
        with Image.open(path) as image:
            assert max(image.size) <= 16383 and image.width == 289, (path, image.size)


def test_pages_and_news_show_photos_of_the_media_folder(site, tmp_path):
    """A photo in a page's or news text is written as Markdown means it, relative to the text's file
    (../../products/media/…, which editors' previews show too), and published as the products'
    photos are: <picture> with WebP sizes and a JPEG, its alt kept (escaped once)."""
    write_photo(site, "tour-photo.jpg", size=(1600, 1200))
    with (site / "content/pages/about.vi.md").open("a", encoding="utf-8") as f:
        f.write('\n![Nhà rông & "cà phê"](../../products/media/tour-photo.jpg)\n')
    with (site / "content/news/2025-09-20-new-products.vi.md").open("a", encoding="utf-8") as f:
        f.write('\n<img src="../../products/media/coffee.png" alt="Cà phê">\n\n![Cà phê][túi]\n\n'
                "[túi]: ../../products/media/coffee.png?v=2\n\n"                 # by reference, with a query
                "Viết ảnh như sau: `![ảnh](../../products/media/ten-anh.jpg)`\n")   # an example, not an image
    build(site, tmp_path / "out")
    page = (tmp_path / "out/vi/about/index.html").read_text(encoding="utf-8")
    found = re.search(r'<picture><source type="image/webp" srcset="(/media/tour-photo-\w+-320\.webp) 320w, '
                      r'(/media/tour-photo-\w+-640\.webp) 640w, (/media/tour-photo-\w+-1024\.webp) 1024w" '
                      r'sizes="[^"]+"><img src="(/media/tour-photo-\w+-640\.jpg)" alt="Nhà rông &amp; &quot;cà phê&quot;" '
                      r'width="640" height="480" loading="lazy" decoding="async"></picture>', page)
    assert found, page
    assert all((tmp_path / "out" / path.lstrip("/")).is_file() for path in found.groups())
    # a link shared on Facebook or Zalo shows the page's first photo
    assert f'<meta property="og:image" content="https://ocop.example.vn{found.group(4)}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    news = (tmp_path / "out/vi/news/2025-09-20-new-products/index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<picture><source type="image/webp" srcset="/media/coffee-\w+-64\.webp 64w"', news)) == 2
    assert "/media/coffee-" in (tmp_path / "out/vi/news/feed.xml").read_text(encoding="utf-8")

    with (site / "content/pages/about.vi.md").open("a", encoding="utf-8") as f:
        f.write("\n![Chợ](../../products/media/cho.jpg)\n")
    result = ocop("check", "--site", site, "--today", TODAY)
    lines = (site / "content/pages/about.vi.md").read_text(encoding="utf-8").count("\n")
    assert result.code == 1 and f"content/pages/about.vi.md:{lines}:8: error: the file products/media/cho.jpg does " \
        "not exist" in result.err


def test_a_photo_named_with_spaces_and_accents_is_published_under_a_plain_name(site, tmp_path):
    """Spaces separate the entries of a srcset: "Ảnh cà phê (1).jpg" as written would break its
    picture; it is published as Anh-ca-phe-1-<hash>-<width>."""
    write_photo(site, "Ảnh cà phê (1).jpg", size=(800, 600))
    html = build(site, tmp_path / "out")
    found = re.findall(r'/media/Anh-ca-phe-1-\w+-(?:320|640|800)\.(?:webp|jpg)', html)
    assert len(set(found)) == 4 and all((tmp_path / "out" / path.lstrip("/")).is_file() for path in found)


def test_small_photos_are_not_enlarged(site, tmp_path):
    write_photo(site, "tour-photo.jpg", size=(500, 400))
    html = build(site, tmp_path / "out")
    widths = sorted(int(p.stem.rsplit("-", 1)[1]) for p in set(picture_files(html, tmp_path / "out")))
    assert widths == [320, 500, 500]                      # WebP 320 and 500, JPEG 500


def test_lists_load_photos_lazily(built):
    html = (built / "vi/products/index.html").read_text(encoding="utf-8")
    assert re.search(r'<img src="/media/coffee-\w+-64.jpg" alt="" width="64" height="48" loading="lazy"', html)


def test_encoded_photos_are_reused_from_the_cache(site, tmp_path):
    write_photo(site, "tour-photo.jpg")
    html = build(site, tmp_path / "out")
    jpeg = next(p for p in picture_files(html, tmp_path / "out") if p.suffix == ".jpg")
    cached = tmp_path / ".ocop-cache" / jpeg.name
    assert cached.read_bytes() == jpeg.read_bytes()
    cached.write_bytes(b"from the cache")       # what a build into a new folder beside it publishes comes from here
    build(site, tmp_path / "other")
    assert (tmp_path / "other" / jpeg.relative_to(tmp_path / "out")).read_bytes() == b"from the cache"
    Image.new("RGB", (3000, 2000), (10, 20, 30)).save(site / "products/media/tour-photo.jpg")   # a changed source
    html = build(site, tmp_path / "out")                                                      # gets new names
    assert jpeg.name not in html


def test_photos_are_read_and_decoded_again_only_when_they_change(site, tmp_path, monkeypatch):
    """A rebuild takes an unchanged photo's hash from its size, times and inode, and its format and
    size from its hash: a catalogue of thousands of photos is not read and decoded on every build.
    A photo changed in place is read again, and a broken one still refused."""
    import hashlib
    from types import SimpleNamespace
    from generator.site import load
    monkeypatch.setattr(load, "RACY_NS", 0)         # files written by this test count as settled at once
    write_photo(site, "tour-photo.jpg", size=(800, 600))
    build(site, tmp_path / "out")
    hashed, decoded = [], []
    monkeypatch.setattr(load, "hashlib", SimpleNamespace(
        blake2b=hashlib.blake2b, sha256=lambda data: hashed.append(len(data)) or hashlib.sha256(data)))
    decode = load._decode
    monkeypatch.setattr(load, "_decode", lambda path, *args: decoded.append(path.name) or decode(path, *args))
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace("min: 100000", "min: 110000"), encoding="utf-8")
    build(site, tmp_path / "out")
    assert hashed == [] and decoded == []
    photo = site / "products/media/tour-photo.jpg"
    data = photo.read_bytes()
    photo.write_bytes(data[: len(data) // 2])
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1
    assert "products/media/tour-photo.jpg" in result.err and "is not a readable image" in result.err
    assert hashed == [len(data) // 2] and decoded == ["tour-photo.jpg"]


def test_a_photo_two_products_show_is_made_once(site, tmp_path):
    write_photo(site, "tour-photo.jpg", size=(800, 600))
    coffee = site / "products/coffee.yaml"
    coffee.write_text(coffee.read_text(encoding="utf-8").replace(
        "images:\n", "images:\n  - {file: media/tour-photo.jpg, alt: {vi: Ảnh, en: A photo}}\n"), encoding="utf-8")
    html = build(site, tmp_path / "out")
    files = picture_files(html, tmp_path / "out")
    assert files and all(f.is_file() for f in files)
    assert set(picture_files((tmp_path / "out/vi/products/coffee/index.html").read_text(encoding="utf-8"),
                             tmp_path / "out")) == set(files)
    build(site, tmp_path / "out")           # and kept by a rebuild
