"""JSON Schemas of the content files, for editors: completion and red underlines in any editor
that reads `# yaml-language-server: $schema=…`. The keys, required keys and choices come from
validate/ and model.py, so the schemas follow the checks; `python -m generator.commands.schemas`
(`make schemas`) rewrites schemas/ and a test fails when they are out of date."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..site import model
from ..site import validate as v


def ecma(pattern) -> str:
    """A validator's pattern as JSON Schema writes it (ECMA-262: the end of the text is $)."""
    return pattern.pattern.replace(r"\Z", "$")


ID = {"type": "string", "pattern": ecma(v.ID_RE), "maxLength": v.MAX_ID}
DATE = {"description": "a date written YYYY-MM-DD: 2025-10-01 for 1 October 2025", "type": "string", "format": "date",
        "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DONG = {"description": "đồng, in digits only: 90000 (not 90.000)", "type": "integer", "minimum": 0,
        "maximum": v.MAX_NUMBER}
SERIAL = {"type": "integer", "minimum": 1, "maximum": v.MAX_NUMBER}
TEXT = {"type": ["string", "number"]}
L10N = {"description": "text, or a mapping from language code to text; the default language is required",
        "anyOf": [TEXT, {"type": "object", "additionalProperties": TEXT, "minProperties": 1}]}
URL = {"type": "string", "pattern": "^https?://"}


def obj(keys: tuple[str, ...], required: tuple[str, ...], types: dict, title: str = "") -> dict:
    schema = {"type": "object", "properties": {k: types.get(k, {}) for k in keys}, "required": list(required)}
    if title:
        schema["title"] = title
    return schema


def product() -> dict:
    producer = obj(v.PRODUCER_KEYS, v.PRODUCER_REQUIRED, {
        "name": L10N, "kind": {"enum": list(model.PRODUCER_KINDS)}, "address": L10N, "phone": TEXT,
        "email": {"type": "string"}, "website": URL})
    types = {
        "name": L10N, "category": {"enum": list(model.CATEGORIES)}, "commune": ID, "producer": producer,
        "description": L10N,
        "images": {"type": "array", "items": obj(("file", "alt"), ("file",), {"file": {"type": "string"}, "alt": L10N})},
        "price": {"anyOf": [DONG, obj(("min", "max", "unit"), (), {"min": DONG, "max": DONG, "unit": L10N})]},
        "specs": {"type": "array", "items": obj(("label", "value"), ("label", "value"), {"label": L10N, "value": L10N})},
        "gtin": {"type": "string", "pattern": r"^(\d{8}|\d{12,14})$"},
        "showrooms": {"type": "array", "items": ID},
        "stamps": {"type": "array", "items": obj(("from", "to", "issued"), ("from", "to", "issued"), {
            "from": SERIAL, "to": SERIAL, "issued": DATE})},
        "tags": {"type": "array", "items": TEXT},
    }
    return obj(v.PRODUCT_KEYS, v.PRODUCT_REQUIRED, types, "An OCOP product (products/<id>.yaml)")


def decision() -> dict:
    types = {"number": TEXT, "date": DATE, "issuer": {"enum": list(model.ISSUERS)}, "authority": L10N,
             "document": {"type": "string"},
             "recognized": {"type": "array", "items": obj(("product", "stars", "score"), ("product", "stars"), {
                 "product": ID, "stars": {"enum": [3, 4, 5]}, "score": {"type": "number", "minimum": 0, "maximum": 100}})},
             "revoked": {"type": "array", "items": obj(("product", "reason"), ("product",), {"product": ID, "reason": L10N})}}
    return obj(v.DECISION_KEYS, v.DECISION_REQUIRED, types, "A star decision (products/decisions/*.yaml)")


def site() -> dict:
    types = {"title": L10N, "base_url": {"type": "string", "pattern": ecma(v.BASE_URL_RE)},
             "languages": {"type": "array", "minItems": 1, "items": obj(("code", "name"), ("code", "name"), {
                 "code": {"type": "string", "pattern": ecma(v.LANG_RE)}, "name": {"type": "string"}})},
             "region": L10N, "contact": obj(("phone", "email", "address"), (), {"address": L10N}),
             "theme": ID, "validity_months": {"type": "integer", "minimum": 1}, "expiring_days": {"type": "integer", "minimum": 0},
             "authorities": {"type": "array", "items": obj(("stars", "issuer", "from", "until"), ("stars", "issuer"), {
                 "stars": {"enum": [3, 4, 5]}, "issuer": {"enum": list(model.ISSUERS)}, "from": DATE, "until": DATE})},
             "demo": {"type": "boolean"},
             "cms": obj(v.CMS_KEYS, ("backend", "repo"), {
                 "backend": {"enum": list(model.CMS_BACKENDS)}, "repo": {"type": "string", "pattern": ecma(v.REPO_RE)},
                 "branch": {"type": "string"}, "review": {"type": "boolean"}, "auth_url": URL,
                 "app_id": {"type": "string"}})}
    return obj(v.SITE_KEYS, v.SITE_REQUIRED, types, "Site settings (site.yaml)")


def communes() -> dict:
    types = {"id": ID, "name": L10N, "since": DATE, "until": DATE, "formerly": {"type": "array", "items": ID},
             "merged_into": ID}
    return {"title": "Communes (content/communes.yaml)", "type": "array",
            "items": obj(v.COMMUNE_KEYS, v.COMMUNE_REQUIRED, types)}


def showrooms() -> dict:
    types = {"id": ID, "name": L10N, "commune": ID, "address": L10N, "hours": L10N, "phone": TEXT,
             "location": obj(("lat", "lon"), ("lat", "lon"), {"lat": {"type": "number"}, "lon": {"type": "number"}})}
    return {"title": "Showrooms (content/showrooms.yaml)", "type": "array",
            "items": obj(v.SHOWROOM_KEYS, v.SHOWROOM_REQUIRED, types)}


SCHEMAS = {"site": site, "product": product, "decision": decision, "communes": communes, "showrooms": showrooms}


def render(name: str) -> str:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMAS[name]()}
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for name in SCHEMAS:
        (folder / f"{name}.schema.json").write_text(render(name), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas"))
