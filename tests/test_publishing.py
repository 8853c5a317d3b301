"""Publishing work: GitHub annotations, templates for editors, the reviewer's diff, the monthly
report and the public programme page."""
import csv
import io
import re
import subprocess

import pytest

from conftest import TODAY, ocop, tree


def test_problems_as_github_annotations(site):
    (site / "products" / "tour.yaml").write_text("name: x\ncategory: tourisme\ncommune: dak-rve\n"
                                                 "producer: {name: X}\ndescription: Y\n", encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY, "--format", "github")
    assert result.code == 1
    assert ("::error file=products/tour.yaml,line=2,col=11::'category' must be food, drinks, herbal, handicrafts, "
            "ornamentals or tourism; got 'tourisme' (did you mean 'tourism'?)") in result.out.splitlines()


@pytest.mark.parametrize("kind, ident, path", [
    ("product", "dried-mango", "products/dried-mango.yaml"),
    ("decision", "1234-qd-ubnd", "products/decisions/2026-11-28-1234-qd-ubnd.yaml"),
    ("page", "visiting", "content/pages/visiting.vi.md"),
    ("news", "phien-cho", "content/news/2026-11-28-phien-cho.vi.md"),
])
def test_new_writes_a_commented_template(site, monkeypatch, kind, ident, path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795824000")          # 2026-11-28
    result = ocop("new", kind, ident, "--site", site)
    assert result.code == 0, result.err
    text = (site / path).read_text(encoding="utf-8")
    assert "#" in text or "---" in text
    check = ocop("check", "--site", site, "--today", TODAY)
    errors = [line for line in check.err.splitlines() if ": error: " in line]
    if kind == "decision":      # valid but for the one thing left to write: the products it concerns
        assert check.code == 1 and errors == [
            f"{path}:8:13: error: a decision needs 'recognized' or 'revoked': the products it concerns; "
            "'recognized' lists none"]
    elif kind == "product":     # refused while it holds the template's words, and no commune is chosen for it
        assert check.code == 1 and errors == [
            f"{path}:5:3: error: 'name' still holds the text of the template of ocop new ('Tên sản phẩm'); write the "
            "product's own",
            f"{path}:8:10: error: a product needs 'commune', and it is empty; write its value",
            f"{path}:10:3: error: the producer's name still holds the text of the template of ocop new ('Tên cơ sở sản "
            "xuất'); write the product's own",
            f"{path}:15:3: error: 'description' still holds the text of the template of ocop new ('Mô tả sản phẩm, "
            "viết bằng Markdown.'); write the product's own"]
        assert "dak-koi, dak-rve" in text           # the communes to choose from, none chosen
    else:
        assert check.code == 0, check.err
    assert ocop("new", kind, ident, "--site", site).code == 2          # never overwrites


@pytest.mark.parametrize("kind, written, meant", [("product", "Xoài sấy dẻo", "xoai-say-deo"),
                                                   ("decision", "1234/QĐ-UBND", "1234-qd-ubnd")])
def test_new_turns_a_name_into_the_id_to_use(site, kind, written, meant):
    result = ocop("new", kind, written, "--site", site)
    assert result.code == 2 and f"'{written}' is not a valid id" in result.err and f"(e.g. {meant})" in result.err
    assert ocop("new", kind, meant, "--site", site).code == 0


def git(site, *args, when="2026-01-01"):
    subprocess.run(["git", "-C", str(site), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "GIT_AUTHOR_DATE": f"{when}T00:00:00",
                        "GIT_COMMITTER_DATE": f"{when}T00:00:00", "PATH": "/usr/bin:/bin"})


def test_diff_says_what_a_change_does(site):
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    (site / "products" / "decisions" / "province-2026.yaml").write_text(
        "number: 77/QĐ-UBND\ndate: 2026-10-01\nissuer: province\nrecognized:\n  - {product: chicken, stars: 4}\n"
        "  - {product: mango, stars: 3}\nrevoked:\n  - {product: coffee, reason: Lỗi}\n", encoding="utf-8")
    (site / "products" / "mango.yaml").write_text("name: {vi: Xoài, en: Mango}\ncategory: food\ncommune: dak-koi\n"
                                                  "producer: {name: X}\ndescription: {vi: Xoài sấy.}\n",
                                                  encoding="utf-8")
    tea = site / "products" / "tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8").replace("commune: dak-koi", "commune: dak-rve")
                   + "price: {min: 45000, unit: {vi: gói, en: pack}}\n", encoding="utf-8")
    (site / "products" / "tour.yaml").unlink()
    (site / "content" / "retired.yaml").write_text("- {id: tour, note: Ngừng.}\n", encoding="utf-8")
    result = ocop("diff", "HEAD", "--site", site, "--today", TODAY)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "- New product: Xoài (mango), food, Xã Đăk Kôi." in lines
    assert ("- Certificate recognised: Xoài (mango), 3 stars by decision 77/QĐ-UBND of 2026-10-01, valid until "
            "2029-10-01.") in lines
    assert "- Product retired: Du lịch cộng đồng (tour); its verification page stays and says so." in lines
    assert ("- Certificate re-rated: Gà thả vườn (chicken), 4 stars (was 3) by decision 77/QĐ-UBND of 2026-10-01, "
            "valid until 2029-10-01.") in lines
    assert "- Certificate revoked: Cà phê (coffee) by decision 77/QĐ-UBND of 2026-10-01: Lỗi." in lines
    assert "- Moved to another commune: Trà dây (tea), Xã Đăk Kôi → Xã Đăk Rve." in lines
    assert "- Price changed: Trà dây (tea), no price → 45.000 ₫ / gói." in lines
    assert any(line.startswith("- Translation into en: ") for line in lines)
    assert ocop("diff", "no-such-rev", "--site", site, "--today", TODAY).code == 2


def test_diff_counts_a_text_left_in_the_default_language_as_untranslated(site):
    """A description given in Vietnamese only is shown on the English page marked as untranslated;
    the diff counts it so too."""
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    chicken = site / "products" / "chicken.yaml"
    text = chicken.read_text(encoding="utf-8")
    assert "en: " in text
    chicken.write_text(re.sub(r"description: \{vi: ([^,}]+), en: [^}]+\}", r"description: {vi: \1}", text), encoding="utf-8")
    assert chicken.read_text(encoding="utf-8") != text
    lines = ocop("diff", "HEAD", "--site", site, "--today", TODAY).out.splitlines()
    changed = [line for line in lines if line.startswith("- Translation into en: ")]
    assert len(changed) == 1 and re.fullmatch(r"- Translation into en: (\d+)% → (\d+)%\.", changed[0]), lines
    was, now = map(int, re.findall(r"\d+", changed[0]))
    assert now < was


def test_diff_checks_only_what_the_last_build_did_not(site, monkeypatch):
    from generator.site import load
    from generator.site.validate import products as validate
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    assert ocop("build", "--site", site, "--today", TODAY).code == 0
    checks = []
    original = validate._product
    monkeypatch.setattr(validate, "_product", lambda source, *args: checks.append(source.path) or original(source, *args))
    tea = site / "products/tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8").replace("Trà dây rừng.", "Trà dây rừng Kon Rẫy."), encoding="utf-8")
    result = ocop("diff", "HEAD", "--site", site, "--today", TODAY)
    assert result.code == 0 and "- Text changed: Trà dây (tea)." in result.out.splitlines(), result.out
    assert checks == ["products/tea.yaml"]      # the site now; HEAD's copy of it is what the build checked


def test_diff_reads_all_git_writes(site, tmp_path, monkeypatch):
    """git pads its archive past the end that tarfile reads to; that padding may come late."""
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    slow = tmp_path / "bin"
    slow.mkdir()
    (slow / "git").write_text('#!/bin/sh\nset -e\ncase " $* " in *" archive "*)\n'
                              '  /usr/bin/git "$@" > "$TMPDIR/archive.tar"\n'
                              '  head -c -10240 "$TMPDIR/archive.tar"; sleep 0.5; tail -c 10240 "$TMPDIR/archive.tar";;\n'
                              '*) exec /usr/bin/git "$@";;\nesac\n', encoding="utf-8")
    (slow / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}:/usr/bin:/bin")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    result = ocop("diff", "HEAD", "--site", site, "--today", TODAY)
    assert result.out == "- No change to the public site.\n", result.err


def test_diff_of_an_unchanged_site(site):
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    assert ocop("diff", "HEAD", "--site", site, "--today", TODAY).out == "- No change to the public site.\n"


def test_diff_of_a_site_in_a_folder_of_its_repository(site):
    git(site.parent, "init", "-q")
    git(site.parent, "add", "site")
    git(site.parent, "commit", "-q", "-m", "first")
    tea = site / "products/tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8").replace("Trà dây rừng.", "Trà dây rừng Kon Rẫy."), encoding="utf-8")
    result = ocop("diff", "HEAD", "--site", site, "--today", TODAY)
    assert result.out == "- Text changed: Trà dây (tea).\n", result.err
    bad = ocop("diff", "no-such-rev", "--site", site, "--today", TODAY)
    assert bad.code == 2 and "cannot read revision 'no-such-rev' of the site: fatal: " in bad.err, bad.err


def test_monthly_report_in_three_formats(site, tmp_path):
    md = ocop("report", "--month", "2025-09", "--lang", "en", "--site", site, "--today", TODAY)
    assert md.code == 0
    assert "# OCOP programme report, September 2025" in md.out
    assert "| Coffee | 1898/QĐ-UBND | 2025-09-12 | 3 |" in md.out                    # recognised that month
    assert ("## Revocations in September 2025\n\n| product | decision | date | reason |\n|---|---|---|---|\n"
            "| Trà dây | 1898/QĐ-UBND | 2025-09-12 | Failed mandatory criteria. |") in md.out
    assert "## Certified products against the end of August 2025\n\n| stars | August 2025 | now | change |" in md.out
    october = ocop("report", "--month", "2025-10", "--lang", "en", "--site", site, "--today", TODAY).out
    assert "## Stamp batches issued in October 2025\n\n| product | serials | stamps | date |" in october
    assert "| Coffee | 1–100 | 100 | 2025-10-01 |" in october
    out = tmp_path / "report.csv"
    assert ocop("report", "--month", "2026-11", "--lang", "en", "--format", "csv", "--output", out, "--site", site,
                "--today", TODAY).code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert ["Expiring within 90 days: to re-evaluate", "Free-range chicken", "2026-12-20", "HTX Đăk Kôi"] in rows
    assert ["Expired without re-evaluation: to follow up", "Dried banana", "2025-10-10", ""] in rows
    html = ocop("report", "--month", "2026-11", "--format", "html", "--site", site, "--today", TODAY).out
    assert html.count("<svg") == 3 and "@page{size:A4" in html
    assert ocop("report", "--month", "2026-13", "--site", site).code == 2


def test_the_report_is_in_the_sites_first_language_unless_asked(site):
    """For the office that sends it on: headings, categories and names in Vietnamese by default."""
    md = ocop("report", "--month", "2025-09", "--site", site, "--today", TODAY)
    assert md.code == 0 and md.out.startswith("# Báo cáo Chương trình OCOP, tháng 9 năm 2025\n")
    assert "## Công nhận trong tháng 9 năm 2025\n\n| sản phẩm | quyết định | ngày | hạng sao |" in md.out
    assert "| Cà phê | 1898/QĐ-UBND | 2025-09-12 | 3 |" in md.out and "| Thực phẩm |" in md.out
    assert ocop("report", "--lang", "fr", "--site", site, "--today", TODAY).code == 2      # not a language of the site


def test_the_programme_at_a_glance_page(built):
    html = (built / "en/programme/index.html").read_text(encoding="utf-8")
    assert "2 of the 5 products listed here hold a valid OCOP certificate" in html       # coffee valid, chicken expiring
    assert html.count('<svg role="img"') == 3
    vi = (built / "vi/programme/index.html").read_text(encoding="utf-8")
    assert "Tổng quan chương trình OCOP" in vi


def test_last_updated_comes_from_git_and_only_there(site, tmp_path):
    assert ocop("build", "--site", site, "--output", tmp_path / "plain", "--today", TODAY).code == 0
    assert "Last updated" not in (tmp_path / "plain/en/products/coffee/index.html").read_text(encoding="utf-8")
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")                    # dated 2026-01-01 by git()
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    html = (tmp_path / "out/en/products/coffee/index.html").read_text(encoding="utf-8")
    assert 'Last updated: <time datetime="2026-01-01">January 1, 2026</time>' in html
    assert 'datetime="2026-01-01"' in (tmp_path / "out/en/about/index.html").read_text(encoding="utf-8")
    post = (tmp_path / "out/vi/news/2025-09-20-new-products/index.html").read_text(encoding="utf-8")
    assert 'Cập nhật lần cuối: <time datetime="2026-01-01">' in post      # the post's own file, after its date


def test_dates_from_the_commits_since_the_last_build_are_those_of_the_whole_history(site, tmp_path):
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    build = tmp_path / "kept" / "out"
    assert ocop("build", "--site", site, "--output", build, "--today", TODAY).code == 0

    def updated(page):
        html = (build / f"en/products/{page}/index.html").read_text(encoding="utf-8")
        return re.search(r'Last updated: <time datetime="([-0-9]+)"', html)[1]

    for when, amend in [("2026-03-04", False), ("2026-05-06", False), ("2026-07-08", True)]:
        coffee = site / "products/coffee.yaml"
        coffee.write_text(coffee.read_text(encoding="utf-8") + f"# {when}\n", encoding="utf-8")
        git(site, "add", ".")
        git(site, "commit", "-q", "-m", when, *(["--amend"] if amend else []), when=when)      # amended: not a descendant
        assert ocop("build", "--site", site, "--output", build, "--today", TODAY).code == 0
        assert (updated("coffee"), updated("tea")) == (when, "2026-01-01")
        cold = tmp_path / when / "out"          # its own cache: every commit read
        assert ocop("build", "--site", site, "--output", cold, "--today", TODAY).code == 0
        assert tree(cold) == tree(build)


def test_a_news_post_dated_ahead_waits_for_its_day(site, tmp_path):
    """Written ahead, a post is checked but published only by the first build on or after its date
    (the publishing workflow also builds every night)."""
    (site / "content/news/2026-12-05-phien-cho.vi.md").write_text("---\ntitle: Phiên chợ OCOP\n---\nSắp diễn ra.\n",
                                                                  encoding="utf-8")
    early = ocop("build", "--site", site, "--output", tmp_path / "early", "--today", "2026-11-28")
    assert early.code == 0 and ("content/news/2026-12-05-phien-cho.vi.md:1:1: warning: dated 2026-12-05, after the "
                                "build date 2026-11-28: not published yet") in early.err
    assert not (tmp_path / "early/vi/news/2026-12-05-phien-cho").exists()
    assert "Phiên chợ OCOP" not in (tmp_path / "early/vi/news/feed.xml").read_text(encoding="utf-8")
    due = ocop("build", "--site", site, "--output", tmp_path / "due", "--today", "2026-12-05")
    assert due.code == 0 and "not published yet" not in due.err
    assert (tmp_path / "due/vi/news/2026-12-05-phien-cho/index.html").is_file()


def test_a_news_post_dated_ahead_has_its_photo_checked_but_not_published(site, tmp_path):
    from PIL import Image
    Image.new("RGB", (120, 90), (200, 50, 50)).save(site / "products/media/cho.jpg")
    post = site / "content/news/2026-12-05-phien-cho.vi.md"
    post.write_text("---\ntitle: Phiên chợ OCOP\n---\n![Chợ](../../products/media/cho.jpg)\n", encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", "2026-11-28").code == 0
    assert not list((tmp_path / "out/media").glob("cho-*"))
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", "2026-12-05").code == 0
    assert len(list((tmp_path / "out/media").glob("cho-*"))) == 2       # a WebP and the JPEG, on its day
    post.write_text("---\ntitle: Phiên chợ OCOP\n---\n![Chợ](../../products/media/cho-phien.jpg)\n", encoding="utf-8")
    result = ocop("check", "--site", site, "--today", "2026-11-28")
    assert result.code == 1 and ("content/news/2026-12-05-phien-cho.vi.md:4:8: error: the file "
                                 "products/media/cho-phien.jpg does not exist") in result.err, result.err


def test_a_draft_is_checked_but_not_published(site, tmp_path):
    """`draft: true` in a text's front matter: a page whose default language's text is a draft is not
    published at all, nor its photos; a translation that is a draft leaves its readers the default
    language's text. Deleting the line publishes it."""
    from PIL import Image
    Image.new("RGB", (120, 90), (200, 50, 50)).save(site / "products/media/cho.jpg")
    page = site / "content/pages/visit.vi.md"
    page.write_text("---\ntitle: Tham quan\ndraft: true\n---\n![Chợ](../../products/media/cho.jpg)\n", encoding="utf-8")
    (site / "content/pages/visit.en.md").write_text("---\ntitle: Visit\n---\nSoon.\n", encoding="utf-8")
    about = site / "content/pages/about.en.md"
    about.write_text(about.read_text(encoding="utf-8").replace("---\n", "---\ndraft: soon\n", 1), encoding="utf-8")
    assert ocop("check", "--site", site, "--today", TODAY).err.count("'draft' must be true or false; got 'soon'") == 1
    about.write_text(about.read_text(encoding="utf-8").replace("draft: soon", "draft: true"), encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 0, result.err
    assert ("content/pages/visit.vi.md:3:8: warning: a draft: checked, not published, nor its translations, until "
            "'draft: true' is deleted") in result.err
    assert ("content/pages/about.en.md:2:8: warning: a draft: checked, not published (readers of en see the vi "
            "text) until 'draft: true' is deleted") in result.err
    assert not (tmp_path / "out/vi/visit").exists() and not (tmp_path / "out/en/visit").exists()
    assert not list((tmp_path / "out/media").glob("cho-*"))
    assert "Trang <strong>giới thiệu</strong>" in (tmp_path / "out/en/about/index.html").read_text(encoding="utf-8")
    page.write_text(page.read_text(encoding="utf-8").replace("draft: true\n", ""), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    assert (tmp_path / "out/en/visit/index.html").is_file() and len(list((tmp_path / "out/media").glob("cho-*"))) == 2


def test_a_link_to_a_text_not_yet_published_says_why(site, tmp_path):
    (site / "content/pages/visit.vi.md").write_text("---\ntitle: Tham quan\ndraft: true\n---\nx\n", encoding="utf-8")
    (site / "content/news/2026-12-05-phien-cho.vi.md").write_text("---\ntitle: Phiên chợ\n---\nx\n", encoding="utf-8")
    about = site / "content/pages/about.vi.md"
    about.write_text(about.read_text(encoding="utf-8") + "\n[Tham quan](/vi/visit/), [chợ](/vi/news/2026-12-05-phien-cho/)\n",
                     encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1 and not (tmp_path / "out").exists()
    assert [line for line in result.err.splitlines() if ": error: " in line] == [
        "content/pages/about.vi.md:6:13: error: the page /vi/about/ links to '/vi/visit/', which is not published: it "
        "is a draft (content/pages/visit.vi.md): delete its 'draft: true' first, or take the link out",
        "content/pages/about.vi.md:6:32: error: the page /vi/about/ links to '/vi/news/2026-12-05-phien-cho/', which "
        "is not published: it is dated 2026-12-05, after the build date: add the link on that day, or take it out"]


def test_commune_merge_records_the_merger_and_moves_products_and_showrooms(site):
    git(site, "init", "-q")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "first")
    communes = (site / "content" / "communes.yaml").read_text(encoding="utf-8")
    result = ocop("commune", "merge", "dak-koi", "dak-rve", "--into", "dak-moi", "--on", "2026-07-01",
                  "--name", "Xã Đăk Mới", "--site", site, "--today", TODAY)
    assert result.code == 0, result.err
    assert "dak-koi, dak-rve merged into dak-moi on 2026-07-01" in result.out
    text = (site / "content" / "communes.yaml").read_text(encoding="utf-8")
    assert text.startswith(communes.split("- id:")[0])          # the file's comments stay
    assert "  until: 2026-06-30\n  merged_into: dak-moi" in text
    assert '- id: dak-moi\n  name: "Xã Đăk Mới"\n  since: 2026-07-01\n  formerly: [dak-koi, dak-rve]\n' in text
    assert "commune: dak-moi" in (site / "products" / "tea.yaml").read_text(encoding="utf-8")
    assert ocop("check", "--site", site, "--today", TODAY).code == 0
    lines = ocop("diff", "HEAD", "--site", site, "--today", TODAY).out.splitlines()
    assert "- Moved to another commune: Trà dây (tea), Xã Đăk Kôi → Xã Đăk Mới." in lines, lines


def test_a_merger_that_would_break_the_site_changes_nothing(site, monkeypatch):
    before = tree(site)
    monkeypatch.setenv("OCOP_LANG", "vi")
    result = ocop("commune", "merge", "dak-koi", "--into", "dak-rve", "--on", "2030-01-01", "--site", site,
                  "--today", TODAY)
    assert result.code == 1 and "'until' (2029-12-31) không trước ngày dựng trang" in result.err, result.err
    assert tree(site) == before
    missing = ocop("commune", "merge", "dak-xyz", "--into", "dak-rve", "--on", "2026-01-01", "--site", site)
    assert missing.code == 2 and "không có xã 'dak-xyz'" in missing.err, missing.err


NOTES = """---
office: "UBND xã Đăk Rve\\nPhòng Văn hóa – Xã hội"
number: 15/BC-VHXH
place: Đăk Rve
signer: "Trưởng phòng\\n\\n\\nNguyễn Văn A"
recipients: [UBND tỉnh Quảng Ngãi, Lưu VT]
---
## Khó khăn, vướng mắc

- Một số chủ thể chưa gửi hồ sơ đánh giá lại.

## Đề xuất, kiến nghị

Đề nghị hỗ trợ kinh phí in tem.
"""


def test_the_monthly_report_as_the_office_files_it_a_word_document(site, tmp_path):
    import docx
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    out = tmp_path / "report.docx"
    result = ocop("report", "--month", "2026-11", "--format", "docx", "--notes", notes, "--output", out, "--site", site,
                  "--today", TODAY)
    assert result.code == 0, result.err
    first = out.read_bytes()
    document = docx.Document(str(out))
    office, nation = ([p.text for p in cell.paragraphs] for cell in document.tables[0].rows[0].cells)
    assert office == ["UBND XÃ ĐĂK RVE", "PHÒNG VĂN HÓA – XÃ HỘI", "Số: 15/BC-VHXH"]
    assert nation == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc"]
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Đăk Rve, ngày 28 tháng 11 năm 2026" and "BÁO CÁO" in texts
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[-2:] == ["Khó khăn, vướng mắc", "Đề xuất, kiến nghị"]
    assert "Thu hồi trong tháng 11 năm 2026" in headings and "Hết hiệu lực trong 90 ngày tới: cần đánh giá lại" in headings
    assert "Một số chủ thể chưa gửi hồ sơ đánh giá lại." in texts and "Đề nghị hỗ trợ kinh phí in tem." in texts
    rows = [[[c.text for c in row.cells] for row in table.rows] for table in document.tables[1:-1]]
    expiring = next(table for table in rows if table[0] == ["sản phẩm", "hiệu lực đến", "liên hệ chủ thể"])
    assert ["Gà thả vườn", "2026-12-20", "HTX Đăk Kôi"] in expiring, expiring
    recipients, signer = ([p.text for p in cell.paragraphs] for cell in document.tables[-1].rows[0].cells)
    assert recipients == ["Nơi nhận:", "- UBND tỉnh Quảng Ngãi;", "- Lưu VT;"]
    assert signer == ["TRƯỞNG PHÒNG", "", "", "Nguyễn Văn A"]
    # the same report, the same bytes; in English, the labels are English
    assert ocop("report", "--month", "2026-11", "--format", "docx", "--notes", notes, "--output", out, "--site", site,
                "--today", TODAY).code == 0 and out.read_bytes() == first
    english = tmp_path / "en.docx"
    assert ocop("report", "--month", "2026-11", "--format", "docx", "--lang", "en", "--output", english, "--site", site,
                "--today", TODAY).code == 0
    nation = [p.text for p in docx.Document(str(english)).tables[0].rows[0].cells[1].paragraphs]
    assert nation == ["SOCIALIST REPUBLIC OF VIET NAM", "Independence – Freedom – Happiness"]
    assert ocop("report", "--format", "docx", "--site", site, "--today", TODAY).code == 2      # a file, not stdout


def test_the_reports_notes_go_into_every_format_and_a_wrong_key_is_told(site, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    md = ocop("report", "--month", "2026-11", "--notes", notes, "--site", site, "--today", TODAY).out
    assert md.endswith("## Khó khăn, vướng mắc\n\n- Một số chủ thể chưa gửi hồ sơ đánh giá lại.\n\n"
                       "## Đề xuất, kiến nghị\n\nĐề nghị hỗ trợ kinh phí in tem.\n")
    html = ocop("report", "--month", "2026-11", "--format", "html", "--notes", notes, "--site", site, "--today", TODAY).out
    assert "<h2>Đề xuất, kiến nghị</h2><p>Đề nghị hỗ trợ kinh phí in tem.</p>" in html
    notes.write_text(NOTES.replace("place:", "nơi: x\nplace:"), encoding="utf-8")
    bad = ocop("report", "--notes", notes, "--site", site, "--today", TODAY)
    assert bad.code == 1 and "notes.md:4:1: error: unknown key 'nơi' in the report's notes" in bad.err, bad.err
