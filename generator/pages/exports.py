"""The site as data: products.json and products.csv for agencies, sitemap.xml and robots.txt for crawlers."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import timedelta

from ..assets import images
from ..site.model import Config, Product, Retired, Site, Standing
from ..assets.qr import qr_path
from .routes import EMBED, Route, Routes, in_sitemap, sitemap_entries

# Pages load only the site's own files; scripts only from files (no inline script), so that no
# content can run script even if it got past the sanitizer. WebAssembly is for the search index.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'")


def product_record(site: Site, routes: Routes, product: Product) -> dict:
    codes = site.config.codes
    standing: Standing = site.standing[product.id]
    recognition = standing.recognition
    verify_url = routes.url(routes.get("verify", "", product.id))
    qr = qr_path(verify_url)
    return {
        "id": product.id,
        "name": {code: product.name(code) for code in codes},
        "category": product.category,
        "commune": product.commune,
        "producer": {
            "name": {code: product.producer.name(code) for code in codes}, "kind": product.producer.kind,
            "phone": product.producer.phone or None, "email": product.producer.email or None,
            "website": product.producer.website or None,
            "address": {code: product.producer.address(code) for code in codes} if product.producer.address else None},
        "status": standing.status,
        "stars": standing.stars,
        "score": recognition.score if recognition else None,
        "valid_until": standing.valid_until.isoformat() if standing.valid_until else None,
        "decision": {"number": recognition.decision.number, "date": recognition.date.isoformat(),
                     "issuer": recognition.decision.issuer} if recognition else None,
        "revocation": {"number": standing.revocation.decision.number, "date": standing.revocation.date.isoformat(),
                       "issuer": standing.revocation.decision.issuer} if standing.revocation else None,
        "verify_url": verify_url,
        "urls": {code: routes.url(routes.get("product", code, product.id)) for code in codes},
        "qr": {"svg": qr + ".svg", "png": qr + ".png"},
        "gtin": product.gtin or None,
        "price": {"min": product.price.min, "max": product.price.max,
                  "unit": {code: product.price.unit(code) for code in codes} if product.price.unit else None}
        if product.price else None,
        "showrooms": list(product.showrooms),
        "visit": _visit(product.visit, codes),
        "images": [routes.base_url + images.variants(i.file, i.digest, i.width, i.height)[1].path for i in product.images],
    }


def _visit(visit, codes) -> dict | None:
    """A product's fields for visitors (a tour stop), texts by language."""
    if visit is None:
        return None
    def text(t):
        return {c: t(c) for c in codes} if t else None
    return {"location": {"lat": visit.location.lat, "lon": visit.location.lon} if visit.location else None,
            "address": text(visit.address), "hours": text(visit.hours), "season": list(visit.season),
            "languages": list(visit.languages), "duration": text(visit.duration),
            "group_size": {"min": visit.group_min, "max": visit.group_max}
            if visit.group_min or visit.group_max else None,
            "booking": {"phone": visit.booking_phone or None, "email": visit.booking_email or None,
                        "website": visit.booking_website or None}
            if visit.booking_phone or visit.booking_email or visit.booking_website else None}


def certification_record(config: Config, routes: Routes, ident: str, product: Product | None,
                         retired: Retired | None, standing: Standing | None, history: list) -> bytes:
    """/v/<id>/record.json: the certification behind a verification page, for agencies and portals,
    with a hash of its own content. `product` is what the id shows now (for a retired id, the
    product that replaced it, or None). It does not say the build date, so that it changes only
    when what it says does: its status holds until `expiring_from` (the first day it reads
    "expiring") or `valid_until`, against which a reader checks its own date, as the
    verification page does. `history`: the product's events up to the build date."""
    codes = config.codes
    record: dict = {"id": ident, "verify_url": routes.url(routes.get("verify", "", ident))}
    if retired:
        record["retired"] = {"replaced_by": retired.replaced_by or None,
                             "note": {c: retired.note(c) for c in codes} if retired.note else None}
    if product is None:
        record["status"] = "unrated"
    else:
        record.update({
            "product": product.id,
            "name": {c: product.name(c) for c in codes},
            "producer": {c: product.producer.name(c) for c in codes},
            "commune": product.commune, "category": product.category,
            "status": standing.status, "stars": standing.stars,
            "valid_until": standing.valid_until.isoformat() if standing.valid_until else None,
            "expiring_from": (standing.valid_until - timedelta(days=config.expiring_days - 1)).isoformat()
            if standing.valid_until and config.expiring_days else None,       # (0: it never reads expiring)
            "decisions": [{
                "kind": e.kind, "number": e.decision.number, "date": e.date.isoformat(), "issuer": e.decision.issuer,
                "authority": {c: e.decision.authority(c) for c in codes} if e.decision.authority else None,
                "stars": e.stars, "score": e.score,
                "reason": {c: e.reason(c) for c in codes} if e.reason else None,
            } for e in history],
            "batches": [{"from": b.first, "to": b.last, "issued": b.issued.isoformat()} for b in product.stamps],
        })
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    record["hash"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return (json_for_html(record, indent=1) + "\n").encode()


def json_for_html(data, **dumps) -> str:
    """JSON with < > & escaped, so that no content can close a <script> when the data is embedded
    in a page (our JSON-LD, or a portal that embeds our files)."""
    text = json.dumps(data, ensure_ascii=False, **dumps)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def product_lines(site: Site, routes: Routes, product: Product) -> tuple[bytes, bytes]:
    """A product's line of products.json and its row of products.csv, in UTF-8 (kept as bytes
    between builds: no text to decode and encode again)."""
    r = product_record(site, routes, product)
    d, price, producer = r["decision"] or {}, r["price"] or {}, r["producer"]
    default = site.config.default_lang
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(
        [spreadsheet_cell(v) for v in [r["id"], *r["name"].values(), r["category"], r["commune"], r["status"], r["stars"],
                            r["score"], r["valid_until"], d.get("number"), d.get("date"), d.get("issuer"),
                            r["verify_url"], *r["urls"].values(), r["qr"]["svg"], r["qr"]["png"], r["gtin"],
                            price.get("min"), price.get("max"), (price.get("unit") or {}).get(default),
                            producer["name"][default], producer["phone"], producer["email"], " ".join(r["showrooms"]),
                            r["images"][0] if r["images"] else None]])
    return json_for_html(r, separators=(",", ":")).encode(), out.getvalue().encode()


def products_json(site: Site, lines: list[tuple[bytes, bytes]]) -> bytes:
    """One product a line: compact, and a change shows as one changed line."""
    products = b",\n".join(line for line, _ in lines)
    return b'{"generated":"%s","products":[\n%s\n]}\n' % (site.today.isoformat().encode(), products)


def spreadsheet_cell(value) -> str:
    """A spreadsheet cell that a spreadsheet cannot run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def products_csv(site: Site, lines: list[tuple[bytes, bytes]]) -> bytes:
    codes = site.config.codes
    header = (["id"] + [f"name_{c}" for c in codes] + ["category", "commune", "status", "stars", "score",
              "valid_until", "decision_number", "decision_date", "decision_issuer", "verify_url"]
              + [f"url_{c}" for c in codes] + ["qr_svg", "qr_png", "gtin", "price_min", "price_max", "price_unit",
                                                 "producer_name", "producer_phone", "producer_email", "showrooms",
                                                 "image"])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(header)
    return out.getvalue().encode("utf-8-sig") + b"".join(row for _, row in lines)


def showroom_records(site: Site) -> list[dict]:
    codes = site.config.codes
    sold = {room.id: [] for room in site.showrooms}
    for product in site.products:
        for room in product.showrooms:
            sold[room].append(product.id)
    return [{"id": room.id, "name": {c: room.name(c) for c in codes}, "commune": room.commune,
             "address": {c: room.address(c) for c in codes}, "phone": room.phone or None,
             "hours": {c: room.hours(c) for c in codes} if room.hours else None,
             "location": {"lat": room.location.lat, "lon": room.location.lon} if room.location else None,
             "products": sold[room.id]} for room in site.showrooms]


def showrooms_json(site: Site) -> bytes:
    return (json_for_html({"showrooms": showroom_records(site)}, indent=1) + "\n").encode()


def showrooms_csv(site: Site) -> bytes:
    """The showrooms for spreadsheets: texts in the default language."""
    default = site.config.default_lang
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "name", "commune", "address", "phone", "hours", "lat", "lon", "products"])
    for r in showroom_records(site):
        writer.writerow([spreadsheet_cell(v) for v in (
            r["id"], r["name"][default], r["commune"], r["address"][default], r["phone"],
            (r["hours"] or {}).get(default), r["location"] and r["location"]["lat"],
            r["location"] and r["location"]["lon"], " ".join(r["products"]))])
    return out.getvalue().encode("utf-8-sig")


def _by_language(codes, text: dict | None = None) -> dict:
    """A schema of texts by language: every language of the site filled."""
    return text or {"type": "object", "properties": {c: {"type": "string"} for c in codes}, "required": list(codes),
                    "additionalProperties": False}


def export_schema(site: Site, name: str) -> bytes:
    """The JSON Schema of data/products.json or data/showrooms.json (SPEC §7), published beside it."""
    codes = site.config.codes
    texts, maybe = _by_language(codes), lambda schema: {"anyOf": [schema, {"type": "null"}]}
    string, integer, date = {"type": "string"}, {"type": "integer"}, {"type": "string", "format": "date"}
    url = {"type": "string", "format": "uri"}
    if name == "products":
        decision = {"type": "object", "required": ["number", "date", "issuer"], "properties": {
            "number": string, "date": date, "issuer": {"enum": ["district", "province", "national"]}}}
        product = {"type": "object", "required": [
            "id", "name", "category", "commune", "status", "stars", "valid_until", "decision", "verify_url", "urls", "qr",
            "price", "producer", "showrooms", "images"], "properties": {
            "id": string, "name": texts, "category": string, "commune": string,
            "status": {"enum": ["valid", "expiring", "expired", "revoked", "unrated"]},
            "stars": maybe({"enum": [3, 4, 5]}), "score": maybe({"type": "number"}), "valid_until": maybe(date),
            "decision": maybe(decision), "revocation": maybe(decision), "verify_url": url,
            "urls": {"type": "object", "properties": {c: url for c in codes}, "required": list(codes)},
            "qr": {"type": "object", "required": ["svg", "png"], "properties": {"svg": string, "png": string}},
            "gtin": maybe(string),
            "price": maybe({"type": "object", "required": ["min", "max", "unit"], "properties": {
                "min": maybe(integer), "max": maybe(integer), "unit": maybe(texts)}}),
            "producer": {"type": "object", "required": ["name", "kind", "phone", "email", "website", "address"],
                         "properties": {"name": texts, "kind": string, "phone": maybe(string), "email": maybe(string),
                                        "website": maybe(url), "address": maybe(texts)}},
            "showrooms": {"type": "array", "items": string}, "images": {"type": "array", "items": url},
            "visit": maybe({"type": "object", "properties": {
                "location": maybe({"type": "object", "required": ["lat", "lon"],
                                   "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}}),
                "address": maybe(texts), "hours": maybe(texts), "duration": maybe(texts),
                "season": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 12}},
                "languages": {"type": "array", "items": string},
                "group_size": maybe({"type": "object", "properties": {"min": maybe(integer), "max": maybe(integer)}}),
                "booking": maybe({"type": "object", "properties": {"phone": maybe(string), "email": maybe(string),
                                                                    "website": maybe(url)}})}})}}
        schema = {"type": "object", "required": ["generated", "products"],
                  "properties": {"generated": date, "products": {"type": "array", "items": product}}}
    else:
        showroom = {"type": "object", "required": ["id", "name", "commune", "address", "phone", "hours", "location",
                                                   "products"], "properties": {
            "id": string, "name": texts, "commune": string, "address": texts, "phone": maybe(string),
            "hours": maybe(texts), "products": {"type": "array", "items": string},
            "location": maybe({"type": "object", "required": ["lat", "lon"],
                               "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}})}}
        schema = {"type": "object", "required": ["showrooms"],
                  "properties": {"showrooms": {"type": "array", "items": showroom}}}
    return (json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                        "title": f"data/{name}.json of {site.config.base_url}", **schema},
                       ensure_ascii=False, indent=1) + "\n").encode()


_XML_PLAIN = re.compile(r'[^&<>"\n\r\t]*')       # text that XML writes as it is, in an element or quoted


def sitemap(routes: Routes, file: Route) -> bytes:
    """Every page's address and its versions': the whole sitemap (`file.key` ""), or one part of
    it ("1", "2", …), or the index of the parts ("index"). The addresses are made of the base URL,
    ids, language codes and fixed words, all checked to hold nothing XML escapes (validate/):
    they are written as they are (escaping 190,000 of them took 0.15 s at 20,000 products)."""
    if file.key == "index":
        parts = [r for r in routes.all if r.kind == "sitemap" and r.key != "index"]
        return ("\n".join(['<?xml version="1.0" encoding="UTF-8"?>',
                           '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
                           *(f"<sitemap><loc>{routes.url(part)}</loc></sitemap>" for part in parts),
                           "</sitemapindex>"]) + "\n").encode()
    pages = in_sitemap(routes.all)
    if file.key:
        share = sitemap_entries(len(routes.codes))
        pages = pages[(int(file.key) - 1) * share:int(file.key) * share]
    if not (_XML_PLAIN.fullmatch(routes.base_url) and all(_XML_PLAIN.fullmatch(route.path) for route in pages)):
        raise ValueError("a page address holds a character XML must escape")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    for route in pages:
        lines.append(f"<url><loc>{routes.url(route)}</loc>")
        lines += [f'<xhtml:link rel="alternate" hreflang="{lang}" href="{url}"/>' for lang, url in routes.alternates(route)]
        lines.append("</url>")
    return ("\n".join(lines + ["</urlset>"]) + "\n").encode()


def robots(routes: Routes) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {routes.base_url}sitemap.xml\n".encode()


def host_headers(policy: str, routes: Routes | None = None) -> bytes:
    """_headers, read by static hosts such as Netlify and Cloudflare Pages: the same policy as the
    pages' own meta tag, plus what a meta tag cannot say: no other site may frame a page, but for
    the product cards made for that (embed/). A host merges the headers of every rule a path
    matches, so the policy is given by top folder, never to /* and embed/* both."""
    outputs = [r.output for r in routes.all] if routes else []
    top = sorted(({o.split("/")[0] for o in outputs if "/" in o} - {EMBED, "admin"}) | {"static", "media", "qr"})
    framed = ["/", *(f"/{o}" for o in outputs if "/" not in o and o != "_headers"),
              *(f"/{folder}/*" for folder in top), "/pagefind*"]
    rules = "".join(f"{path}\n  Content-Security-Policy: {policy}; frame-ancestors 'none'\n" for path in framed)
    if "admin/config.yml" in outputs:       # the web editor: a policy of its own (cms.POLICY)
        from ..commands.cms import POLICY
        rules += f"/admin/*\n  Content-Security-Policy: {POLICY}\n  Cache-Control: no-cache\n"
    return ("/*\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: strict-origin-when-cross-origin\n" + rules
            + f"/{EMBED}/*\n  Content-Security-Policy: {policy}; frame-ancestors *\n"
            "/v/*\n  Cache-Control: public, max-age=3600\n").encode()
