"""One folder per invalid input under tests/invalid/: the files it adds to or replaces in the
minimal site, and expected.txt with the exact lines `ocop check` must print."""
import json
from pathlib import Path

import pytest

from conftest import HERE, TODAY, copy_site, ocop

CASES = sorted(p.name for p in (HERE / "invalid").iterdir() if p.is_dir())


def overlay(case: Path, site: Path) -> None:
    for path in case.rglob("*"):
        if path.is_file() and path.name != "expected.txt":
            target = site / path.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


def test_there_are_enough_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_invalid_input_is_reported(case, tmp_path):
    site = copy_site(tmp_path / "site")
    overlay(HERE / "invalid" / case, site)
    expected = (HERE / "invalid" / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if not line.startswith("ocop:")]
    assert lines == expected
    assert "Traceback" not in result.err
    # the build refuses the same site, and writes nothing
    build = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert build.code == 1 and not (tmp_path / "out").exists()


def test_every_problem_is_reported_at_once(site):
    (site / "products" / "tour.yaml").write_text("name: {vi: Du lịch, eng: Tour}\ncategory: toursim\n"
                                                 "commune: nowhere\nproducer: {name: X}\ndescription: Y\n",
                                                 encoding="utf-8")
    (site / "products" / "decisions" / "bad.yaml").write_text(
        "number: 1/X\ndate: 2025-09-01\nissuer: province\nrecognized:\n  - {product: coffee, stars: 6}\n",
        encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    problems = [line for line in result.err.splitlines() if ": error: " in line]
    assert result.code == 1
    assert [p.split(": error:")[0] for p in problems] == [
        "products/decisions/bad.yaml:5:30", "products/tour.yaml:1:21", "products/tour.yaml:2:11",
        "products/tour.yaml:3:10"]


def test_products_checked_by_several_processes_have_the_same_problems(site, monkeypatch):
    """A large site's products are checked on every core, a share each: the same problems, in
    the same order, as one process finds."""
    from generator import build
    (site / "products" / "tour.yaml").write_text("name: {vi: Du lịch, eng: Tour}\ncategory: toursim\n",
                                                 encoding="utf-8")
    (site / "products" / "honey.yaml").write_text((site / "products" / "coffee.yaml").read_text(encoding="utf-8")
                                                  + "colour: red\n", encoding="utf-8")
    one = ocop("check", "--site", site, "--today", TODAY)
    monkeypatch.setattr(build, "CHECKED_APART_FROM", 1)
    monkeypatch.setattr(build.os, "cpu_count", lambda: 3)       # three shares
    shared = ocop("check", "--site", site, "--today", TODAY)
    assert one.code == shared.code == 1
    assert "products/tour.yaml:1:21: error:" in one.err and "products/honey.yaml" in one.err
    assert shared.err == one.err


def test_directional_formatting_closed_where_it_is_opened_is_allowed(site, tmp_path):
    """Text in a right-to-left script may need embeddings and isolates: closed on their line,
    they reorder nothing after them, and the site builds with them as written."""
    path = site / "products" / "tour.yaml"
    name = "\u2067\u202bسياحة\u202c\u2069 \u202babc\u202c"
    path.write_text(path.read_text(encoding="utf-8").replace("Community tourism", name), encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    assert name in (tmp_path / "out/en/products/tour/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("line, message", [
    ('name: "\u202eabc\u202c"', "1:8: error: a right-to-left override (U+202E) is in the text"),
    ('name: "\u2067abc"  # \u2069', "1:7: error: a right-to-left isolate (U+2067) is left open here"),
    ('name: {vi: "\u202babc", en: "x\u202c"}', "1:12: error: a right-to-left embedding (U+202B) is left open here"),
])
def test_an_override_or_a_direction_left_open_in_its_value_is_refused(site, line, message):
    """Overrides serve no product text; an embedding or isolate closed only by a comment or another
    value on its line would still reorder the page after the value."""
    path = site / "products" / "tour.yaml"
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]
    path.write_text(line + "\n" + text, encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and f"products/tour.yaml:{message}" in result.err, result.err


def test_unknown_keys_are_warnings_that_do_not_stop_the_build(site, tmp_path):
    path = site / "products" / "tour.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "colour: red\nstars: 4\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    assert result.code == 0
    assert "products/tour.yaml:6:1: warning: unknown key 'colour' in a product is ignored" in result.err
    # stars are a decision's to give: said so, not "did you mean 'stamps'?"
    assert ("products/tour.yaml:7:1: warning: 'stars' in a product is ignored: stars, status and validity come from "
            "the decisions that name the product: to certify it, name it in a decision's 'recognized' list "
            "(products/decisions/)") in result.err.splitlines()


@pytest.mark.parametrize("breaks", ["\r", "\r\n", "\u2028"])
def test_a_yaml_error_is_placed_whatever_the_line_breaks(site, breaks):
    """Old Mac (CR) or Windows (CRLF) line breaks, or a Unicode line separator: YAML counts each as
    a line, and the message says which (a tab where indentation belongs, here on line 3)."""
    text = breaks.join(["name: {vi: Trà, en: Tea}", "producer:", "\tname: HTX", "[", ""])
    (site / "products" / "tea.yaml").write_bytes(text.encode("utf-8"))
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "internal error" not in result.err
    assert "products/tea.yaml:3:1: error: a tab character where YAML expects spaces" in result.err


def test_files_where_the_build_does_not_read_them_are_warnings_that_say_where_they_belong(site, tmp_path):
    for rel in ("content/pages/2025/visit.vi.md", "content/retire.yaml", "products/honey/honey.yaml",
                "products/media/notes.yaml", "products/decisions/2025/x.yaml", "products/README.md"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("- {id: x}\n" if rel.endswith("x.yaml") else "x\n", encoding="utf-8")
    result = ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY)
    warnings = [line for line in result.err.splitlines() if "not read" in line]
    assert warnings == [
        "content/pages/2025/visit.vi.md:1:1: warning: this file is not read: content/pages/ is read without its "
        "subfolders; move it to content/pages/visit.vi.md",
        "content/retire.yaml:1:1: warning: this file is not read: did you mean content/retired.yaml?",
        "products/honey/honey.yaml:1:1: warning: this file is not read: product records go directly in products/, "
        "decisions in products/decisions/; move it to products/honey.yaml"]
    # the decisions' subfolders are read (x.yaml is one: its error says so)
    assert result.code == 1 and "products/decisions/2025/x.yaml:1:1: error:" in result.err


def test_a_price_may_be_one_number(site, tmp_path):
    """`price: 90000` is one price: shown and exported as a range from it to itself; a list is neither form."""
    path = site / "products" / "tour.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "price: 90000\n", encoding="utf-8")
    assert ocop("build", "--site", site, "--output", tmp_path / "out", "--today", TODAY).code == 0
    assert "90.000\u00a0₫" in (tmp_path / "out/vi/products/tour/index.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out/data/products.json").read_text(encoding="utf-8"))
    assert [p["price"] for p in data["products"] if p["id"] == "tour"] == [{"min": 90000, "max": 90000, "unit": None}]
    path.write_text(path.read_text(encoding="utf-8").replace("price: 90000", "price: [90000, 120000]"), encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 1 and "price must be one number (price: 90000) or a mapping" in result.err


def test_front_matter_written_as_other_generators_write_it_is_pointed_to_its_key(site):
    about = site / "content/pages/about.vi.md"
    about.write_text(about.read_text(encoding="utf-8").replace("---\n", "---\ndescription: Giới thiệu.\n", 1),
                     encoding="utf-8")
    result = ocop("check", "--site", site, "--today", TODAY)
    assert result.code == 0
    assert ("content/pages/about.vi.md:2:1: warning: unknown key 'description' in the front matter is ignored "
            "(did you mean 'summary'?)") in result.err.splitlines()
