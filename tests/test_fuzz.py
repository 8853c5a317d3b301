"""Property-based tests: whatever an editor writes, loading and validating ends in a Site or a list
of problems, never an exception."""
import string
from datetime import date

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL
from generator.load import load_site, parse_yaml
from generator.validate import validate

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
