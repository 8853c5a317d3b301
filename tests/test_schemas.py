"""The JSON Schemas editors use: up to date with the validator, and true to the sample site."""
import json
from datetime import date

import jsonschema
import pytest
import yaml

from conftest import ROOT
from generator.commands import schemas


def as_json(value):
    """YAML values as JSON sees them: dates become ISO text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_committed_schemas_are_up_to_date(name):
    assert (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8") == schemas.render(name), \
        "run `make schemas`"


FILES = ([("site", ROOT / "site.yaml"), ("communes", ROOT / "content/communes.yaml"),
          ("showrooms", ROOT / "content/showrooms.yaml")]
         + [("product", p) for p in sorted((ROOT / "products").glob("*.yaml"))]
         + [("decision", p) for p in sorted((ROOT / "products/decisions").glob("*.yaml"))])


@pytest.mark.parametrize("name, path", FILES, ids=[p.name for _, p in FILES])
def test_sample_files_match_their_schema_and_name_it(name, path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema="), path
    referenced = (path.parent / text.splitlines()[0].split("=", 1)[1]).resolve()
    assert referenced == (ROOT / "schemas" / f"{name}.schema.json").resolve()
    schema = json.loads(referenced.read_text(encoding="utf-8"))
    jsonschema.validate(as_json(yaml.safe_load(text)), schema)


def test_a_schema_catches_what_the_validator_catches():
    schema = json.loads(schemas.render("product"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "category": "coffee", "commune": "a", "producer": {"name": "y"},
                             "description": "z"}, schema)
