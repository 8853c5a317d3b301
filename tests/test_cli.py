"""The command line as a user meets it: exit codes, messages, no tracebacks."""
import json
import os
import shutil

import pytest

from conftest import ROOT, TODAY, ocop, tree
from conftest import ocop_process as run


def test_python_m_generator_builds_and_reports_exit_codes(site, tmp_path):
    ok = run("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert ok.returncode == 0, ok.stderr
    (site / "products" / "coffee.yaml").write_text("name: Cà phê\ncategory: coffee\n", encoding="utf-8")
    bad = run("check", "--site", site, "--today", TODAY)
    assert bad.returncode == 1
    assert "products/coffee.yaml:2:11: error: 'category' must be food, drinks" in bad.stderr
    assert "products/coffee.yaml:1:1: error: a product needs 'commune'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_usage_errors_exit_2(tmp_path, site):
    assert run("build", "--site", tmp_path / "nowhere").returncode == 2
    assert run("build", "--site", site, "--today", "2026-13-01").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("build", "--site", site, "--base-url", "ftp://x/").returncode == 2
    file = ocop("build", "--site", site, "--output", site / "site.yaml")
    assert file.code == 2 and "is a file; choose a folder" in file.err
    port = ocop("serve", "--site", site, "--port", "99999")       # refused before anything is built
    assert port.code == 2 and "'99999' is not a port: use a whole number from 1 to 65535" in port.err
    missing = ocop("check", "--site", tmp_path / "nowhere")
    assert missing.code == 2 and "no site folder" in missing.err
    inside = ocop("build", "--site", site, "--output", site / "products/media/site")     # read back as photos
    assert inside.code == 2 and "inside the site's products/ folder" in inside.err
    assert not (site / "products/media/site").exists()


def test_what_the_files_say_reaches_the_terminal_with_its_control_characters_escaped(site, tmp_path):
    """A file's text, quoted in a message, could otherwise clear the screen or colour a CI log."""
    tour = site / "products" / "tour.yaml"
    tour.write_text(tour.read_text(encoding="utf-8") + '"col\\e[2Jour\\u2028": red\n', encoding="utf-8")
    for fmt in ("text", "github"):
        result = ocop("check", "--site", site, "--today", TODAY, "--format", fmt)
        assert result.code == 0 and "unknown key 'col\\x1b[2Jour\\u2028'" in result.out + result.err
        assert not any(c in result.out + result.err for c in "\x1b\u2028")
    missing = ocop("check", "--site", tmp_path / "no\x1b[2Jsuch")
    assert missing.code == 2 and missing.err == f"ocop: error: no site folder at {tmp_path}/no\\x1b[2Jsuch\n"


def test_bad_source_date_epoch_is_a_usage_error(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = ocop("check", "--site", site)
    assert result.code == 2 and "SOURCE_DATE_EPOCH" in result.err


def test_check_writes_nothing(site):
    before = sorted(p for p in site.rglob("*"))
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 0 and "valid" in result.out
    assert sorted(p for p in site.rglob("*")) == before


def test_check_reads_what_a_build_into_the_default_output_checked_and_writes_nothing(site, monkeypatch):
    from generator.site import load
    from generator.site.validate import products as validate
    monkeypatch.setattr(load.Memo, "UNSAVED", 0)        # a small site's memo is written too
    assert ocop("build", "--site", site, "--today", TODAY).code == 0
    cache = tree(site / ".ocop-cache")
    checks = []
    original = validate._product
    monkeypatch.setattr(validate, "_product", lambda source, *args: checks.append(source.path) or original(source, *args))
    tea = site / "products/tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8").replace("commune: dak-koi", "commune: dak-koy"), encoding="utf-8")
    before = sorted(p for p in site.rglob("*"))
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "products/tea.yaml:3:10: error: no commune 'dak-koy'" in result.err, result.err
    assert checks == ["products/tea.yaml"]          # the others as the build checked them
    assert sorted(p for p in site.rglob("*")) == before and tree(site / ".ocop-cache") == cache


def test_output_may_not_hold_the_site(site):
    result = ocop("build", "--site", site, "--output", site.parent, "--today", TODAY)
    assert result.code == 2


def test_the_sample_site_builds_with_every_status(tmp_path):
    """The repository root is the Kon Rẫy sample site."""
    site = tmp_path / "site"
    for part in ("site.yaml", "products", "content", "themes"):
        copy = shutil.copy if (ROOT / part).is_file() else shutil.copytree
        copy(ROOT / part, site / part) if part != "site.yaml" else (site.mkdir(), shutil.copy(ROOT / part, site))
    before = (site / "products" / "issued.txt").read_text(encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 0, result.err
    assert result.err == ""                                  # no warnings either
    data = json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))
    assert len(data["products"]) >= 8
    assert len({p["category"] for p in data["products"]}) >= 4
    assert {p["status"] for p in data["products"]} == {"valid", "expiring", "expired", "revoked", "unrated"}
    assert "Sample site" in (tmp_path / "out/en/index.html").read_text(encoding="utf-8")     # demo: true
    for lang in ("vi", "en", "ko", "zh-Hans"):
        assert (tmp_path / "out" / lang / "products" / "ca-phe-dak-rve" / "index.html").is_file()
    assert (site / "products" / "issued.txt").read_text(encoding="utf-8") == before     # every sample id is registered


def test_serve_on_a_port_in_use_says_so_before_building(site):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = ocop("serve", "--site", site, "--port", port)
    assert result.code == 1 and result.err == (f"ocop: error: port {port} is in use (by another ocop "
                                               "serve?); choose another with --port\n")
    assert "built" not in result.out


def test_serve_rebuilds_on_change_and_keeps_the_last_good_site(site):
    import socket
    import threading
    import time
    import urllib.error
    import urllib.request

    from generator.commands.serve import serve

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    said, stop = [], threading.Event()
    thread = threading.Thread(target=serve, args=(site, port, said.append), kwargs={"poll": 0.1, "stop": stop})
    thread.start()

    def fetch(path):
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as r:
                    return r.status, r.read().decode("utf-8")
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode("utf-8")
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not answer")

    def wait_for(predicate):
        for _ in range(100):
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(said)

    draft = site / "content/pages/visit.vi.md"          # a draft is previewed, with a note that says so
    draft.write_text("---\ntitle: Tham quan\ndraft: true\n---\nSắp có.\n", encoding="utf-8")
    try:
        assert "Cà phê" in fetch("vi/products/coffee/")[1]
        assert 'class="draft" role="note">Bản nháp: ' in fetch("vi/visit/")[1]
        assert any(line.startswith("content/pages/visit.vi.md:3:8: warning: a draft: shown by this preview") for line in said)
        assert (site / ".ocop-cache/media.data").is_file()        # the cache `ocop build` and `check` use
        assert not (site / ".ocop-cache/.ocop-cache").exists()
        status, body = fetch("v/nothing-here/")
        assert status == 404 and "not-found" in body
        path = site / "products" / "coffee.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("Cà phê", "Cà phê mới"), encoding="utf-8")
        wait_for(lambda: "Cà phê mới" in fetch("vi/products/coffee/")[1])      # (served ahead of the build, maybe)
        wait_for(lambda: sum(line.startswith("built in") for line in said) == 2)
        path.write_text("name: [broken\n", encoding="utf-8")
        wait_for(lambda: any("still serving" in line for line in said))
        assert any(line.startswith("products/coffee.yaml:") for line in said)
        assert "Cà phê mới" in fetch("vi/products/coffee/")[1]
        state = json.loads(fetch("__ocop/state")[1])          # what the page's script shows over the page
        assert any(line.startswith("products/coffee.yaml:2:1: error: invalid YAML") for line in state["problems"])
        assert '<script src="/__ocop/live.js" defer></script></body>' in fetch("vi/")[1]
    finally:
        stop.set()
        thread.join(10)
    # the preview stays in the site's cache folder: the next session makes only what changed
    assert "Cà phê mới" in (site / f".ocop-cache/preview-{port}/vi/products/coffee/index.html").read_text(encoding="utf-8")


def test_check_reports_translation_coverage_and_strict_makes_it_an_error(site):
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 0
    assert "translated: en 88%" in result.out     # 14 of 16 texts: the tea description and a news post lack it
    # one line a language by default; the producer's name, a proper name, is not asked for
    assert result.err == ("site.yaml:1:1: warning: 2 texts in 2 files are not translated into en (88% are): readers "
                          "see the vi text; ocop check --translations lists them\n")
    listed = ocop("check", "--site", site, "--today", TODAY, "--translations")
    assert ("products/tea.yaml:1:1: warning: not translated into en (shown in vi): description") in listed.err
    assert ("content/news/2025-09-20-new-products.vi.md:1:1: warning: there is no en version "
            "(content/news/2025-09-20-new-products.en.md); readers see the vi text") in listed.err
    assert "producer" not in listed.err
    strict = ocop("check", "--site", site, "--today", TODAY, "--strict", "--verbose")
    assert strict.code == 1
    assert "products/tea.yaml:1:1: error: not translated into en (shown in vi): description" in strict.err


def test_missing_ui_strings_are_reported(site):
    import shutil
    shutil.copytree(ROOT / "themes", site / "themes")
    po = site / "themes/default/locales/vi/LC_MESSAGES/messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Nơi mua"', 'msgstr ""'), encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert ("themes/default/locales/vi/LC_MESSAGES/messages.po:1:1: warning: 1 UI string(s) not translated into "
            "vi: 'Where to buy'") in result.err       # the default language's UI is checked too


def test_a_site_without_themes_uses_the_theme_that_ships_with_the_generator(site, tmp_path):
    from generator.build import BUNDLED_THEMES
    assert not (site / "themes").exists() and (BUNDLED_THEMES / "default" / "templates" / "base.html").is_file()
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    assert (tmp_path / "out/static/style.css").read_bytes() == (BUNDLED_THEMES / "default/static/style.css").read_bytes()


def test_a_theme_without_the_words_template_that_uses_its_words_is_told_so(site, tmp_path):
    import shutil
    shutil.copytree(ROOT / "themes/default", site / "themes/mine")
    (site / "themes/mine/templates/_words.html").unlink()
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "theme: mine\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1 and "Traceback" not in result.err and not (tmp_path / "out").exists()
    assert ("error: theme template error: 'words' is made from templates/_words.html, which this theme "
            "does not have") in result.err


@pytest.mark.parametrize("workers", [False, True])
@pytest.mark.parametrize("line, told", [
    ("<p>{{ p.no_such_field }}</p>", "'no_such_field'"),
    ("<p>{{ href() }}</p>", "a call that cannot be made: href() missing 1 required positional argument: 'kind'"),
    ("{{ words.stars(1, 2) }}", "a call that cannot be made: macro 'stars' takes not more than 1 argument(s)"),
    ("{{ lang() }}", "a call that cannot be made: 'str' object is not callable"),
    ("{{ site.standing[p.id].status }}", "'site' is undefined; a template sees only its kind's inputs, what every "
     "page sees and the helpers (README: “The default theme”): instead of site, standing(p), history(p)"),
    ("{{ listing|length }}", "'listing' is undefined; a template sees only its kind's inputs"),
])
def test_a_theme_error_while_rendering_is_located_in_its_template(site, tmp_path, monkeypatch, workers, line, told):
    from generator.output import produce
    monkeypatch.setattr(produce, "PARALLEL_FROM", 1 if workers else 10**9)    # raised in a worker process, or here
    shutil.copytree(ROOT / "themes/default", site / "themes/mine")
    template = site / "themes/mine/templates/product.html"
    lines = template.read_text(encoding="utf-8").splitlines(keepends=True)
    template.write_text("".join(lines[:7] + [line + "\n"] + lines[7:]), encoding="utf-8")
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "theme: mine\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 1 and "Traceback" not in result.err and not (tmp_path / "out").exists()
    assert result.err.splitlines()[0].startswith("themes/mine/templates/product.html:8:1: error: theme template "
                                                 "error: "), result.err
    assert told in result.err


def stats(folder):
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_a_build_with_nothing_changed_writes_nothing_and_repeats_the_warnings(site, tmp_path, monkeypatch):
    from generator.output import fresh
    monkeypatch.setattr(fresh, "RACY_NS", 0)        # the site's files were copied a moment ago
    out = tmp_path / "out"
    banana = site / "products" / "banana.yaml"
    banana.write_text(banana.read_text(encoding="utf-8") + "colour: yellow\n", encoding="utf-8")
    build = ("build", "--site", site, "--output", out, "--today", TODAY)
    first = ocop(*build)                            # (a build that is not --publish leaves the register alone)
    assert first.code == 0 and "unknown key 'colour'" in first.err and first.out.startswith("built")
    before, files = stats(out), tree(out)

    again = ocop(*build)
    assert again.code == 0 and "is up to date" in again.out and "1 warning" in again.out
    assert again.err == first.err                   # the warnings again, as the build gave them
    assert stats(out) == before                     # not a file written, not a folder touched

    def rebuilds(why):
        result = ocop(*build)
        assert result.code == 0 and result.out.startswith("built"), why
        assert tree(out) == files or why.startswith("changes"), why

    (out / "en" / "products" / "banana" / "index.html").unlink()
    rebuilds("a file deleted deep in the output is made again")
    shutil.rmtree(out / "v" / "coffee")
    rebuilds("a folder deleted from the output is made again")
    min(out.glob("qr/*.png")).unlink()
    rebuilds("a QR code deleted from the output is made again (with the pages of its product, kept together)")
    (out / "stray.html").write_text("x", encoding="utf-8")
    rebuilds("a file the build did not write is removed")
    text = banana.read_text(encoding="utf-8")
    banana.write_text(text.replace("yellow", "yellaw"), encoding="utf-8")      # the same size
    rebuilds("changes: an edit that keeps the file's size")
    assert "Chuối sấy" in (out / "vi" / "products" / "banana" / "index.html").read_text(encoding="utf-8")
    (site / "content" / "news").mkdir(exist_ok=True)
    (site / "content" / "news" / "2026-11-01-hello.vi.md").write_text("---\ntitle: Xin chào\n---\nTin.\n",
                                                                     encoding="utf-8")
    rebuilds("changes: a new file")
    result = ocop(*build[:-1], "2026-11-29")
    assert result.out.startswith("built"), "another build date"
    result = ocop(*build, "--base-url", "https://preview.example.org/")
    assert result.out.startswith("built"), "another address"
    assert "preview.example.org" in (out / "index.html").read_text(encoding="utf-8")


def test_a_file_edited_while_the_build_runs_is_built_by_the_next_one(site, tmp_path, monkeypatch):
    """The snapshot a build keeps is the one it started with: an edit made after the file was
    read changes its stats (its ctime at least), so the next build runs and shows it."""
    from generator import build as pipeline
    from generator.output import fresh
    monkeypatch.setattr(fresh, "RACY_NS", 0)
    out = tmp_path / "out"
    build = ("build", "--site", site, "--output", out, "--today", TODAY)
    assert ocop(*build).out.startswith("built")        # (adds the products to the register)
    banana = site / "products" / "banana.yaml"
    text = banana.read_text(encoding="utf-8")
    assert "Chuối sấy" in text
    validate = pipeline.validate

    def edited_meanwhile(raw, *args):
        banana.write_text(text.replace("Chuối sấy", "Chuối phơi"), encoding="utf-8")     # the same size
        return validate(raw, *args)

    monkeypatch.setattr(pipeline, "validate", edited_meanwhile)
    banana.write_text(text.replace("Chuối sấy", "Chuối xấy"), encoding="utf-8")
    assert ocop(*build).out.startswith("built")
    page = out / "vi" / "products" / "banana" / "index.html"
    assert "Chuối xấy" in page.read_text(encoding="utf-8")     # as read, before the edit
    monkeypatch.setattr(pipeline, "validate", validate)
    assert ocop(*build).out.startswith("built")
    assert "Chuối phơi" in page.read_text(encoding="utf-8")
    assert "is up to date" in ocop(*build).out


def test_no_snapshot_is_kept_of_files_changed_just_before_the_build(site, tmp_path, monkeypatch):
    """A file changed in the clock tick it was looked at could change again unseen: a build
    right after an edit is followed by a full one."""
    from generator.output import fresh
    monkeypatch.setattr(fresh, "RACY_NS", 3600 * 10**9)     # every file changed "just now"
    build = ("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    for _ in range(3):
        assert ocop(*build).out.startswith("built")
    monkeypatch.setattr(fresh, "RACY_NS", 0)
    assert ocop(*build).out.startswith("built")
    assert "is up to date" in ocop(*build).out
    (site / "themes").mkdir()
    (site / "themes" / "notes.txt").symlink_to(site / "site.yaml")     # what it leads to could change unseen
    for _ in range(2):
        assert ocop(*build).out.startswith("built")


def test_the_output_s_folders_are_compared_with_their_record_by_a_child_process(site, tmp_path, monkeypatch):
    from generator.output import fresh
    out, cache = tmp_path / "out", tmp_path / ".ocop-cache"
    build = ("build", "--site", site, "--output", out, "--today", TODAY)
    assert ocop(*build).code == 0
    record = os.stat(fresh.state_path(out, cache))
    assert fresh.FolderCheck(out, cache).result() == ((record.st_ino, record.st_mtime_ns), None)
    (out / "vi" / "products" / "tea" / "index.html").unlink()           # a folder changed:
    found, (files, folders) = fresh.FolderCheck(out, cache).result()    # the child looks at the whole output
    assert found is None and sorted(files) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                                                     if not p.is_dir())
    assert "vi/products/tea/index.html" not in files and folders == {   # as the record keeps them
        folder: (ino, mtime) for folder, ino, mtime in fresh._folder_stats(str(out), list(folders))}
    assert ocop(*build).code == 0 and (out / "vi" / "products" / "tea" / "index.html").is_file()
    looked = []                 # this process compares no folder of the whole record again
    real = fresh._folder_stats
    monkeypatch.setattr(fresh, "_folder_stats", lambda root, folders: looked.append(len(folders)) or real(root, folders))
    tea = site / "products" / "tea.yaml"
    tea.write_text(tea.read_text(encoding="utf-8").replace("Trà dây rừng.", "Trà dây rừng Kon Rẫy."), encoding="utf-8")
    assert ocop(*build).code == 0 and "Kon Rẫy" in (out / "vi/products/tea/index.html").read_text(encoding="utf-8")
    folders = sum(1 for p in out.rglob("*") if p.is_dir()) + 1
    assert looked and max(looked) < folders         # only those the edit's commit changed


def test_a_rebuild_takes_the_outputs_files_from_the_record_while_no_folder_changed(site, tmp_path, monkeypatch):
    from generator.output import fresh, write
    out = tmp_path / "out"
    build = ("build", "--site", site, "--output", out, "--today", TODAY)
    assert ocop(*build).code == 0
    log = tmp_path / "walked"           # by which process each walk of the output was made
    real = fresh.files_under

    def files_under(root, folders=None):
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {root}\n")
        return real(root, folders)
    monkeypatch.setattr(fresh, "files_under", files_under)
    monkeypatch.setattr(write, "files_under", files_under)

    def walked():
        found = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
        log.unlink(missing_ok=True)
        return [(int(pid) == os.getpid(), root) for pid, root in found if root == str(out)]
    banana = site / "products" / "banana.yaml"
    banana.write_text(banana.read_text(encoding="utf-8").replace("Chuối sấy", "Chuối sấy dẻo"), encoding="utf-8")
    assert ocop(*build).code == 0
    assert walked() == [] and "Chuối sấy dẻo" in (out / "vi/products/banana/index.html").read_text(encoding="utf-8")

    from generator.output.cache import read_values

    def record():       # in any order
        with fresh.state_path(out, out.parent / ".ocop-cache").open("rb") as f:
            (version, root, folders), files = read_values(f, 2)
        return version, root, sorted(folders), sorted(files)
    kept = record()     # the edit's build looked again only at the folders it changed: they agree with all
    fresh.save_output_state(out, out.parent / ".ocop-cache", set(kept[3]))
    assert record() == kept
    (out / "vi" / "products" / "tea" / "index.html").unlink()
    banana.write_text(banana.read_text(encoding="utf-8").replace("dẻo", "giòn"), encoding="utf-8")
    assert ocop(*build).code == 0
    assert walked() == [(False, str(out))]      # a folder changed: the output is looked at, once, by the child
    assert (out / "vi" / "products" / "tea" / "index.html").is_file()
    kept = record()                             # from what the child found, and the folders the build changed
    fresh.save_output_state(out, out.parent / ".ocop-cache", set(kept[3]))
    assert record() == kept


def test_nothing_changed_is_found_while_a_child_compares_the_output_s_folders(site, tmp_path, monkeypatch):
    """`ocop build` with nothing to do: the output's folders are compared with their record by a
    child process while this one looks at the site's files; a file deleted from the output by
    hand is still seen, and made again."""
    from generator.output import fresh
    monkeypatch.setattr(fresh, "RACY_NS", 0)
    out = tmp_path / "out"
    build = ("build", "--site", site, "--output", out, "--today", TODAY)
    assert ocop(*build).out.startswith("built")
    log = tmp_path / "compared"         # by which process the folders were compared
    real = fresh._folder_stats

    def folder_stats(root, folders):
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        return real(root, folders)
    monkeypatch.setattr(fresh, "_folder_stats", folder_stats)
    assert "is up to date" in ocop(*build).out
    assert log.read_text(encoding="utf-8").split() and str(os.getpid()) not in log.read_text(encoding="utf-8").split()
    (out / "vi" / "products" / "tea" / "index.html").unlink()
    assert ocop(*build).out.startswith("built")
    assert (out / "vi" / "products" / "tea" / "index.html").is_file()
    assert "is up to date" in ocop(*build).out


def test_init_writes_a_site_that_builds_at_once(tmp_path):
    site = tmp_path / "new-site"
    result = ocop("init", site)
    assert result.code == 0, result.err
    assert (site / ".gitignore").read_text() == "output/\n.ocop-cache/\n"
    assert (site / "schemas/product.schema.json").is_file()          # the files' schema comments lead there
    assert ocop("check", "--site", site, "--strict").code == 0
    assert ocop("build", "--site", site, "--output", site / "output").code == 0
    assert (site / "output/v/san-pham-mau/index.html").is_file()
    # the workflows: checked and described on every pull request, published from main, with ocop-site
    # installed as requirements.txt pins it
    workflows = {path.name: path.read_text(encoding="utf-8") for path in (site / ".github/workflows").iterdir()}
    assert set(workflows) == {"check.yml", "publish.yml", "nightly.yml"}
    assert "ocop check --format github" in workflows["check.yml"] and "ocop diff" in workflows["check.yml"]
    assert "ocop build --publish" in workflows["publish.yml"] and "pip install -r requirements.txt" in workflows["publish.yml"]
    assert "pip install ." not in "".join(workflows.values())
    import re
    assert re.search(r"^ocop-site==\d+\.\d+", (site / "requirements.txt").read_text(), re.M)
    again = ocop("init", site)
    assert again.code == 2 and "not an empty folder" in again.err


def test_a_saved_product_s_pages_served_ahead_of_the_build_are_those_the_build_then_writes(site, tmp_path):
    from datetime import date
    from functools import partial

    from generator.build import build
    from generator.commands.serve import Ahead

    ahead, out, today = Ahead(site), tmp_path / "out", date.fromisoformat(TODAY)

    def built():
        build(site, out, today, drafts=True, built=partial(ahead.built, seen=ahead.seen))

    built()
    path = site / "products" / "coffee.yaml"
    text = path.read_text(encoding="utf-8")
    edits = [("rang mộc", "rang mộc, vừa đổi"), ("min: 100000", "min: 120000"), ("showrooms: [corner]", "showrooms: []"),
             ("name: {vi: Cà phê,", "name: {vi: Cà phê rang,"), ("value: 500 g}", "value: 450 g}")]
    for n in range(1, len(edits) + 1):          # each edit, with those before it
        edited = text
        for old, new in edits[:n]:
            edited = edited.replace(old, new)
        path.write_text(edited, encoding="utf-8")
        ahead.search(ahead.change({"products/coffee.yaml"}))
        pages = {rel: page for rel, (change, page) in ahead.pages.items()}
        assert set(pages) == set(ahead.documents) == {"vi/products/coffee/index.html", "en/products/coffee/index.html"}
        assert "vừa đổi" in pages["vi/products/coffee/index.html"].decode("utf-8")
        assert "vừa đổi" in ahead.documents["vi/products/coffee/index.html"][1].decode("utf-8")
        assert "pagefind-entry.json" in ahead.index and b"/__ocop-recent/" in ahead.recent_js()
        before = {rel: (out / rel).read_bytes() for rel in pages}
        built()
        for rel, page in pages.items():
            assert (out / rel).read_bytes() == page, (edits[n - 1], rel)
        assert any(page != before[rel] for rel, page in pages.items()), edits[n - 1]
        ahead.landed(ahead.seen)
        assert ahead.pages == ahead.documents == ahead.index == {}

    # what shows beyond the product's own pages, or is wrong, waits for the build
    for changed in (text.replace("category: drinks", "category: food"), text.replace("commune: dak-rve", "commune: dak-koi"),
                    text.replace("\nimages:\n  - {file: media/coffee.png, alt: {vi: Túi cà phê, en: A bag of coffee}}", ""),
                    text.replace("{from: 1, to: 100,", "{from: 1, to: 200,"), text.replace('"8936000000011"', '"8936000000028"'),
                    text.replace("commune: dak-rve", "commune: nowhere"), "name: [broken\n"):
        path.write_text(changed, encoding="utf-8")
        assert not ahead.change({"products/coffee.yaml"}), changed
    path.write_text(text.replace("rang mộc", "rang"), encoding="utf-8")
    assert ahead.change({"products/coffee.yaml"})
    # after a change of another file, until a build that began after it has ended
    assert not ahead.change({"products/coffee.yaml", "content/communes.yaml"})
    assert not ahead.change({"products/coffee.yaml"})
    seen = ahead.seen
    built()
    ahead.search(ahead.change({"products/coffee.yaml"}))
    ahead.landed(seen)          # a build that began before the last change: its pages are still served
    assert set(ahead.pages) == set(pages) and ahead.index
    ahead.renderer = None           # as after a build that failed
    assert not ahead.change({"products/coffee.yaml"})


@pytest.mark.parametrize("told_by_the_system", [True, False])
def test_serve_is_told_of_each_change_of_what_a_build_reads(site, monkeypatch, told_by_the_system):
    import queue
    import threading

    import watchfiles

    from generator.commands.serve import changes
    from generator.output.write import write_atomically

    if not told_by_the_system:          # it refuses (too many folders watched): the files are looked at
        watch = watchfiles.watch

        def refusing(*paths, force_polling=None, **options):
            if not force_polling:
                raise RuntimeError("OS file watch limit reached")
            yield from watch(*paths, force_polling=force_polling, **options)
        monkeypatch.setattr(watchfiles, "watch", refusing)

    found, stop = queue.Queue(), threading.Event()
    thread = threading.Thread(target=lambda: [found.put(c) for c in changes(site, stop, 0.05)], daemon=True)
    thread.start()

    def told(rel: str, expected: set[str]) -> None:
        """A file written until the watch tells of it (it may not have begun yet), as the web editor
        writes it: beside itself, then renamed over it."""
        for n in range(100):
            write_atomically(site / rel, f"# {n}\n".encode())
            try:
                while found.get(timeout=0.5) != expected:
                    pass
                return
            except queue.Empty:
                continue
        raise AssertionError(rel)

    try:
        told("products/coffee.yaml", {"products/coffee.yaml"})
        told("content/pages/about.en.md", {"content/pages/about.en.md"})
        told("site.yaml", {""})                         # the site's own file
        told("themes/mine/templates/home.html", {""})   # a folder a build reads, made: watched from then on
        told("themes/mine/templates/home.html", {"themes/mine/templates/home.html"})
    finally:
        stop.set()
        thread.join()
