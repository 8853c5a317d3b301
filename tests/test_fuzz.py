"""Property-based tests: whatever an editor writes, loading and validating ends in a Site or a list
of problems, never an exception; and whole site folders, edited at random, are checked and built
alike. (OCOP_FUZZ_EXAMPLES=N runs the whole-site fuzzer longer.)"""
import os
import re
import string
from datetime import date

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL
from generator.site.load import load_site, parse_yaml
from generator.site.validate import validate

TODAY = date(2026, 11, 28)
FILES = ["site.yaml", "products/tour.yaml", "products/decisions/province-2025.yaml", "content/communes.yaml",
         "content/showrooms.yaml", "content/pages/about.en.md"]
KEYS = ["name", "category", "commune", "producer", "description", "images", "price", "specs", "gtin", "stamps",
        "number", "date", "issuer", "recognized", "revoked", "product", "stars", "score", "id", "vi", "en", "eng",
        "title", "base_url", "languages", "code", "region", "file", "from", "to", "issued", "min", "max"]
scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True)
           | st.dates() | st.text(max_size=30) | st.sampled_from(["vi", "en", "food", "dak-rve", "coffee", "3",
                                                                    "2025-02-30", "media/coffee.png", "../x"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5), max_leaves=25)
yaml_text = st.text(alphabet=string.printable + "ăâđêôơưạảấầẩẫậ…\u00a0\ufeff", max_size=300)


def outcome_is_a_site_or_problems(site_dir):
    site, problems = validate(load_site(site_dir), TODAY)
    assert site is not None or any(p.severity == "error" for p in problems)
    for p in problems:
        assert p.path and p.message and p.line >= 0 and p.col >= 0


@settings(max_examples=300, deadline=None)
@given(yaml_text)
def test_any_text_parses_to_values_or_problems(text):
    data, problems = parse_yaml(text, "x.yaml")          # never raises
    assert all(p.line >= 1 and p.col >= 1 for p in problems)
    assert data is None or not problems or any("duplicate key" in p.message for p in problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FILES), values)
def test_any_yaml_document_in_any_file_is_validated_without_exceptions(tmp_path_factory, target, document):
    import shutil
    site = tmp_path_factory.mktemp("fuzz") / "site"
    shutil.copytree(MINIMAL, site)
    text = yaml.safe_dump(document, allow_unicode=True)
    if target.endswith(".md"):
        text = f"---\n{text}---\nbody\n"
    (site / target).write_text(text, encoding="utf-8")
    outcome_is_a_site_or_problems(site)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FILES), yaml_text)
def test_any_text_in_any_file_is_validated_without_exceptions(tmp_path_factory, target, text):
    import shutil
    site = tmp_path_factory.mktemp("fuzz") / "site"
    shutil.copytree(MINIMAL, site)
    (site / target).write_text(text, encoding="utf-8")
    outcome_is_a_site_or_problems(site)


def test_found_by_the_fuzzer_text_in_a_site_without_languages(tmp_path):
    import shutil
    site = tmp_path / "site"
    shutil.copytree(MINIMAL, site)
    (site / "site.yaml").write_text("title: {name: null}\n", encoding="utf-8")
    outcome_is_a_site_or_problems(site)


words = st.text(alphabet=string.ascii_letters + string.digits + " *_`#<>&\"'[]()!|-\\ăđêôơưạảấ…\u00a0☕𝕏\u2028",
                min_size=1, max_size=60).filter(str.strip)
texts = words | st.fixed_dictionaries({"vi": words}, optional={"en": words})
products = st.fixed_dictionaries(
    {"name": texts, "category": st.sampled_from(["food", "drinks", "tourism"]), "commune": st.just("dak-rve"),
     "producer": st.fixed_dictionaries({"name": texts}, optional={"phone": words, "address": texts,
                                                                    "kind": st.sampled_from(["household", "other"])}),
     "description": texts},
    optional={"price": st.fixed_dictionaries({}, optional={"min": st.integers(0, 10**12), "max": st.integers(0, 10**12),
                                                             "unit": texts}),
              "specs": st.lists(st.fixed_dictionaries({"label": texts, "value": texts | st.integers(-10**15, 10**15)}),
                                max_size=3),
              "tags": st.lists(words, max_size=5), "gtin": st.sampled_from(["96385074", "8936000000028"]),
              "stamps": st.lists(st.fixed_dictionaries({"from": st.integers(1, 10**12), "to": st.integers(1, 10**12),
                                                         "issued": st.dates(date(2025, 9, 12), TODAY)}), max_size=2)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(products)
def test_any_valid_product_renders_every_page_it_is_on(tmp_path_factory, product):
    """Past validation nothing may fail: every page, record, search document and data line that
    shows a product is made, whatever text and numbers it holds (a price of 10^25 đồng once
    stopped Babel's formatting, as an internal error)."""
    import shutil
    from generator.build import check, find_theme
    from generator.assets.search import shards
    from generator.pages.kinds import KINDS, SEARCH, Sources
    from generator.pages.render import Renderer, Theme
    from generator.pages.routes import plan
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(MINIMAL, root / "site")
    (root / "site/products/coffee.yaml").write_text(yaml.safe_dump(product, allow_unicode=True), encoding="utf-8")
    site, problems = validate(load_site(root / "site"), TODAY)
    event("valid" if site else "invalid: " + min(p.message for p in problems if p.severity == "error")[:40])
    if site is None:
        return
    site, _ = check(root / "site", TODAY)
    routes = plan(site)
    sources = Sources(site, routes)
    renderer = Renderer(sources, Theme(find_theme(root / "site", site.config.theme), root / "compiled"))
    for route in routes.all:
        kind = KINDS[route.kind]
        if kind.make:
            kind.make(kind.inputs(sources, route), route, sources)
        else:
            renderer.render(route)
    for route in (r for group in shards(routes.all, len(site.products)) for r in group):
        renderer.render(route, SEARCH)


# -- whole site folders: random edits of every file, random new files with random names -------

SITE_FILES = ["site.yaml", "products/coffee.yaml", "products/tea.yaml", "products/decisions/province-2025.yaml",
              "products/decisions/district-2022.yaml", "content/communes.yaml", "content/showrooms.yaml"]
names = st.text(alphabet=string.ascii_lowercase + string.digits + "-_. \n\tĐđăA\u0301\u200b\u202e", min_size=1,
                max_size=12)
leaves = (st.none() | st.booleans() | st.integers(-10**13, 10**13) | st.floats(allow_nan=True, allow_infinity=True)
          | st.dates(date(1, 1, 1), date(9999, 12, 31)) | st.text(max_size=20) | names
          | st.sampled_from(["", " ", "\u200b", "vi", "en", "food", "dak-rve", "coffee", "tea", "corner", "province",
                             "4.0", "2025-02-30", "9999-12-31", "media/coffee.png", "../../.git/config",
                             "https://ocop.example.vn:99999/", "+84", "1.000.000", "\u202eevil"]))
anything = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(KEYS) | names, inner, max_size=4), max_leaves=12)
edit = st.tuples(st.sampled_from(SITE_FILES), st.lists(st.sampled_from(KEYS + ["validity_months", "expiring_days",
                                                                                "location", "lat", "authorities"]),
                                                      min_size=1, max_size=3), anything)
new_file = st.tuples(st.sampled_from(["products", "products/decisions", "products/media", "products/codes",
                                      "content/pages", "content/news", "content"]), names,
                     st.sampled_from([".yaml", ".md", ".txt", ".pdf", ".png", ".yml", ""]), anything)


def set_path(document, keys, value):
    """`document` with the value at `keys` (into the first item of a list) replaced or added."""
    here = document
    for key in keys[:-1]:
        if isinstance(here, list) and here:
            here = here[0]
        if not isinstance(here, dict):
            return document
        here = here.setdefault(key, {})
    if isinstance(here, list) and here:
        here = here[0]
    if isinstance(here, dict):
        here[keys[-1]] = value
    return document


def run_whole_site(root, edits, files):
    """The site edited and added to; check and build then either agree that it is invalid (exit 1,
    every line a PATH:LINE:COL problem, nothing written) or both succeed: never exit 70."""
    import shutil
    from conftest import ocop
    site = root / "site"
    shutil.copytree(MINIMAL, site)
    for target, keys, value in edits:
        document = yaml.safe_load((site / target).read_text(encoding="utf-8"))
        (site / target).write_text(yaml.safe_dump(set_path(document, keys, value), allow_unicode=True), encoding="utf-8")
    for folder, name, suffix, value in files:
        if "/" in name or name in (".", ".."):
            continue
        path = site / folder / (name + suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(value, allow_unicode=True)
        path.write_bytes((f"---\n{text}---\nbody\n" if suffix == ".md" else text).encode("utf-8", "surrogatepass"))
    checked = ocop("check", "--site", site, "--today", "2026-11-28")
    built = ocop("build", "--site", site, "--output", root / "out", "--today", "2026-11-28", "--quiet")
    for result in (checked, built):
        assert result.code in (0, 1), result.err
        assert "Traceback" not in result.err and "internal error" not in result.err
    assert checked.code == built.code, f"check said {checked.err!r}, build said {built.err!r}"
    if built.code == 1:
        assert not (root / "out").exists()
        for line in built.err.splitlines():
            assert line.startswith("ocop:") or re.match(r"[^\n]+:\d+:\d+: (error|warning): ", line), line


WHOLE_SITE_EXAMPLES = int(os.environ.get("OCOP_FUZZ_EXAMPLES", "25"))      # the suite's short run


@settings(max_examples=WHOLE_SITE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(edit, max_size=4), st.lists(new_file, max_size=3))
def test_any_whole_site_is_checked_and_built_alike_without_a_crash(tmp_path_factory, edits, files):
    run_whole_site(tmp_path_factory.mktemp("site-fuzz"), edits, files)
