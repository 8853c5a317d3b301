"""The web editor: Decap CMS (vendored in generator/admin/, pinned, MIT), configured from the
validator's own tables so that what it writes is the site format (SPEC), and the files it asks
for on `ocop serve` (`LocalFiles`: Decap's proxy protocol, limited to the site's content).

A product, a decision, a page or a news post is one form; each text a site has in several
languages is one input per language; categories, communes, showrooms, issuers and producer kinds
are choices; dates are dates; photos go to products/media/. Labels and hints are in Vietnamese
and English, as the tool speaks (errors.tr).
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import os
from pathlib import Path

import yaml

from ..site import model
from ..site import validate as v
from ..errors import N_, speaking, tool_language, tr
from ..site.model import Site
from ..output.write import write_atomically

ADMIN = Path(__file__).parent.parent / "admin"
SCRIPT = "decap-cms-3.16.3.js"          # npm decap-cms@3.16.3, dist/decap-cms.js (LICENSE beside it)
# what the editor may read and write, relative to the site folder: the content, never the settings,
# the theme, the register or the stamp codes
EDITABLE = ("products/", "content/")
NOT_EDITABLE = ("products/issued.txt/", "products/codes/")
MAX_UPLOAD = 20 * 1024 * 1024


def _text(site: Site, name: str, label: str, required: bool = True, widget: str = "string", hint: str = "") -> dict:
    """A text of the site format: one input per site language, the default one required."""
    default = site.config.default_lang
    fields = [{"name": lang.code, "label": lang.name, "widget": widget, "required": required and lang.code == default}
              for lang in site.config.languages]
    field = {"name": name, "label": label, "widget": "object", "collapsed": False, "fields": fields,
             "required": required}
    if hint:
        field["hint"] = hint
    return field


def _choice(name: str, label: str, options, required: bool = True, multiple: bool = False) -> dict:
    return {"name": name, "label": label, "widget": "select", "required": required, "multiple": multiple,
            "options": [{"label": text, "value": value} for value, text in options]}


def _product(lang: str) -> dict:
    """A product, found by its name as one types it (a choice of 20,000 would not serve)."""
    return {"name": "product", "label": tr("Product"), "widget": "relation", "collection": "products",
            "value_field": "{{slug}}", "search_fields": [f"name.{lang}"], "display_fields": [f"name.{lang}"]}


def _date(name: str, label: str, required: bool = True) -> dict:
    return {"name": name, "label": label, "widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD",
            "time_format": False, "picker_utc": True, "required": required}


CATEGORY_LABELS = {"food": N_("Food"), "drinks": N_("Drinks"), "herbal": N_("Herbal products"),
                   "handicrafts": N_("Handicrafts"), "ornamentals": N_("Ornamental plants and animals"),
                   "tourism": N_("Community tourism")}
KIND_LABELS = {"cooperative": N_("cooperative"), "company": N_("company"), "household": N_("household business"),
               "cooperative-group": N_("cooperative group"), "other": N_("other")}
ISSUER_LABELS = {"district": N_("district"), "province": N_("province"), "national": N_("national")}


def collections(site: Site) -> list[dict]:
    lang = site.config.default_lang
    communes = [(c.id, c.name(lang)) for c in site.communes if c.current]
    showrooms = [(s.id, s.name(lang)) for s in site.showrooms]
    assert set(CATEGORY_LABELS) == set(model.CATEGORIES) and set(KIND_LABELS) == set(model.PRODUCER_KINDS)
    product_fields = [
        _text(site, "name", tr("Name")),
        _choice("category", tr("Category"), [(c, tr(CATEGORY_LABELS[c])) for c in model.CATEGORIES]),
        _choice("commune", tr("Commune"), communes),
        {"name": "producer", "label": tr("Producer"), "widget": "object", "collapsed": False, "fields": [
            {"name": "name", "label": tr("Name (a proper name, the same in every language)"), "widget": "string"},
            _choice("kind", tr("Kind"), [(k, tr(KIND_LABELS[k])) for k in model.PRODUCER_KINDS], required=False),
            _text(site, "address", tr("Address"), required=False),
            {"name": "phone", "label": tr("Phone"), "widget": "string", "required": False},
            {"name": "email", "label": tr("E-mail"), "widget": "string", "required": False},
            {"name": "website", "label": tr("Website"), "widget": "string", "required": False}]},
        _text(site, "description", tr("Description"), widget="markdown"),
        {"name": "images", "label": tr("Photos"), "widget": "list", "required": False, "fields": [
            {"name": "file", "label": tr("Photo (JPEG, PNG or WebP)"), "widget": "image"},
            _text(site, "alt", tr("What the photo shows, for readers who cannot see it"))]},
        {"name": "price", "label": tr("Price in đồng"), "widget": "object", "required": False, "fields": [
            {"name": "min", "label": tr("From"), "widget": "number", "value_type": "int", "min": 0, "required": False},
            {"name": "max", "label": tr("To"), "widget": "number", "value_type": "int", "min": 0, "required": False},
            _text(site, "unit", tr("Unit (a 500 g bag, a bottle)"), required=False)]},
        {"name": "specs", "label": tr("Specifications"), "widget": "list", "required": False, "fields": [
            _text(site, "label", tr("Label")), _text(site, "value", tr("Value"))]},
        {"name": "gtin", "label": tr("Barcode number (GTIN)"), "widget": "string", "required": False},
        _choice("showrooms", tr("Sold at"), showrooms, required=False, multiple=True),
        {"name": "stamps", "label": tr("Stamp batches"), "widget": "list", "required": False, "fields": [
            {"name": "from", "label": tr("First serial"), "widget": "number", "value_type": "int", "min": 1},
            {"name": "to", "label": tr("Last serial"), "widget": "number", "value_type": "int", "min": 1},
            _date("issued", tr("Issued on"))]},
    ]
    assert {f["name"] for f in product_fields} <= set(v.PRODUCT_KEYS)
    decision_fields = [
        {"name": "number", "label": tr("Number (as on the decision: 1898/QĐ-UBND)"), "widget": "string"},
        _date("date", tr("Signed on")),
        _choice("issuer", tr("Issued by"), [(i, tr(ISSUER_LABELS[i])) for i in model.ISSUERS]),
        _text(site, "authority", tr("Issuing authority"), required=False),
        {"name": "document", "label": tr("Scan of the decision (PDF)"), "widget": "file", "required": False},
        {"name": "recognized", "label": tr("Products recognised"), "widget": "list", "required": False, "fields": [
            _product(lang),
            _choice("stars", tr("Stars"), [(3, "★★★"), (4, "★★★★"), (5, "★★★★★")]),
            {"name": "score", "label": tr("Score"), "widget": "number", "value_type": "float", "min": 0, "max": 100,
             "required": False}]},
        {"name": "revoked", "label": tr("Certificates revoked"), "widget": "list", "required": False, "fields": [
            _product(lang), _text(site, "reason", tr("Reason"), required=False)]},
    ]
    assert {f["name"] for f in decision_fields} <= set(v.DECISION_KEYS)
    text_fields = [{"name": "title", "label": tr("Title"), "widget": "string", "i18n": True},
                   {"name": "summary", "label": tr("Summary"), "widget": "string", "required": False, "i18n": True},
                   {"name": "draft", "label": tr("Draft (not published)"), "widget": "boolean", "required": False,
                    "default": False, "i18n": "duplicate"},
                   {"name": "body", "label": tr("Text"), "widget": "markdown", "i18n": True}]
    return [
        {"name": "products", "label": tr("Products"), "label_singular": tr("product"), "folder": "products",
         "extension": "yaml", "format": "yaml", "create": True, "identifier_field": f"name.{lang}",
         "summary": f"{{{{name.{lang}}}}}", "sortable_fields": [f"name.{lang}", "category", "commune"],
         "fields": product_fields},
        {"name": "decisions", "label": tr("Star decisions"), "label_singular": tr("decision"),
         "folder": "products/decisions", "extension": "yaml", "format": "yaml", "create": True,
         "identifier_field": "number", "summary": "{{number}} ({{date}})", "fields": decision_fields},
        {"name": "pages", "label": tr("Pages"), "label_singular": tr("page"), "folder": "content/pages",
         "extension": "md", "format": "frontmatter", "create": True, "identifier_field": "title",
         "i18n": True, "fields": text_fields},
        {"name": "news", "label": tr("News"), "label_singular": tr("news post"), "folder": "content/news",
         "extension": "md", "format": "frontmatter", "create": True, "identifier_field": "title",
         "slug": "{{year}}-{{month}}-{{day}}-{{slug}}", "i18n": True, "fields": text_fields},
    ]


def lists(site: Site) -> dict:
    """content/communes.yaml and content/showrooms.yaml, whose whole file is a list: Decap edits
    only a mapping, so the local editor sees each as {communes: […]} (LocalFiles.LISTS)."""
    lang = site.config.default_lang
    communes = [(c.id, c.name(lang)) for c in site.communes if c.current]
    commune = [{"name": "id", "label": tr("Id (lowercase letters, digits and hyphens)"), "widget": "string"},
               _text(site, "name", tr("Name")), _date("since", tr("Since"), required=False),
               _date("until", tr("Until (a commune merged into another)"), required=False),
               {"name": "formerly", "label": tr("Formed from (ids)"), "widget": "list", "required": False},
               {"name": "merged_into", "label": tr("Merged into (id)"), "widget": "string", "required": False}]
    showroom = [{"name": "id", "label": tr("Id (lowercase letters, digits and hyphens)"), "widget": "string"},
                _text(site, "name", tr("Name")), _choice("commune", tr("Commune"), communes),
                _text(site, "address", tr("Address")), _text(site, "hours", tr("Opening hours"), required=False),
                {"name": "phone", "label": tr("Phone"), "widget": "string", "required": False},
                {"name": "location", "label": tr("Location"), "widget": "object", "required": False, "fields": [
                    {"name": "lat", "label": tr("Latitude"), "widget": "number", "value_type": "float"},
                    {"name": "lon", "label": tr("Longitude"), "widget": "number", "value_type": "float"}]}]
    assert {f["name"] for f in commune} <= set(v.COMMUNE_KEYS) and {f["name"] for f in showroom} <= set(v.SHOWROOM_KEYS)
    return {"name": "lists", "label": tr("Communes and showrooms"), "files": [
        {"name": "communes", "label": tr("Communes"), "file": "content/communes.yaml", "format": "yaml",
         "fields": [{"name": "communes", "label": tr("Communes"), "widget": "list", "fields": commune}]},
        {"name": "showrooms", "label": tr("Showrooms"), "file": "content/showrooms.yaml", "format": "yaml",
         "fields": [{"name": "showrooms", "label": tr("Showrooms"), "widget": "list", "fields": showroom}]}]}


def config(site: Site, backend: dict, locale: str = "") -> str:
    """Decap's config.yml: `backend` is {name: proxy, proxy_url: …} for `ocop serve`, or the
    site's git host for the published editor."""
    codes = list(site.config.codes)
    data = {
        "backend": backend,
        "locale": locale or tool_language(),          # Decap's own words in the clerk's language too
        "media_folder": "products/media", "public_folder": "media",      # images are written media/x.jpg
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "omit_empty_optional_fields": True,
        "i18n": {"structure": "multiple_files", "locales": codes, "default_locale": codes[0]},
        "collections": collections(site) + ([lists(site)] if backend["name"] == "proxy" else []),
    }
    return "# made by ocop-site from the site's own checks (cms.py); do not edit\n" + yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, width=120)


# what the editor's page may do, published (_headers): Decap compiles its config's schema (eval) and
# talks to the git host's API; no other site may frame it
POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob: https:; connect-src 'self' https:; frame-src 'self' https:; "
          "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def published(site: Site) -> str:
    """config.yml of the editor published at /admin/ (site.yaml's `cms`): each save a commit to the
    branch, or with `review: true` a pull request (Decap's editorial workflow)."""
    c = site.config.cms
    backend = {"name": c.backend, "repo": c.repo, "branch": c.branch}
    if c.auth_url:
        backend["base_url"] = c.auth_url
    if c.backend == "gitlab" and c.app_id:
        backend |= {"auth_type": "pkce", "app_id": c.app_id}
    default = site.config.default_lang      # the office's language, whoever builds (Decap speaks these and more)
    with speaking(default):
        text = config(site, backend, default if default in ("vi", "en", "fr", "ko") else "en")
    return text + ("publish_mode: editorial_workflow\n" if c.review else "")


def admin_page(title: str) -> str:
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
            f"initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>{title}</title>"
            f"<link href=\"config.yml\" type=\"text/yaml\" rel=\"cms-config-url\"></head><body>"
            f"<script src=\"{SCRIPT}\"></script></body></html>\n")


class LocalFiles:
    """Decap's proxy protocol (decap-server's local_fs mode) over the site folder: the editor on
    the clerk's own machine reads and writes the site's content files, nothing else; a save is
    checked first, and one that would break the site is refused with the problems, in the tool's
    language, and leaves the files as they were."""

    def __init__(self, site_dir: Path, check):
        self.root = site_dir.resolve()
        self.check = check          # () -> the site's errors as its files are now, as text

    def path(self, rel: str) -> Path:
        rel = str(rel).replace("\\", "/").lstrip("/")
        target = (self.root / rel).resolve()
        inside = target.relative_to(self.root).as_posix() + "/" if target.is_relative_to(self.root) else ""
        if (not inside.startswith(EDITABLE) or inside.startswith(NOT_EDITABLE)
                or any(part.startswith(".") for part in inside.split("/"))):
            raise PermissionError(tr("the editor may change only the files of products/ and content/; not {path}",
                                     path=rel))
        return target

    LISTS = {"content/communes.yaml": "communes", "content/showrooms.yaml": "showrooms"}

    def entry(self, rel: str) -> dict:
        try:
            data = self.path(rel).read_bytes()
        except OSError:
            return {"data": None, "file": {"path": rel, "id": None}}
        text = data.decode("utf-8", errors="replace")
        if rel in self.LISTS:           # the list as the value of one key, for the editor
            text = f"{self.LISTS[rel]}:\n" + "".join(f"  {line}" if line.strip() else line
                                                     for line in text.splitlines(keepends=True))
        return {"data": text, "file": {"path": rel, "id": _sha(data)}}

    def unwrapped(self, rel: str, raw: str) -> bytes:
        """What the editor saved, as the site format writes the file: the list itself, under the
        file's first comment lines."""
        if rel not in self.LISTS:
            return raw.encode("utf-8")
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError:
            data = None
        items = data.get(self.LISTS[rel]) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError(tr("{path}: the editor sent no list of '{key}'", path=rel, key=self.LISTS[rel]))
        path = self.path(rel)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file() else []
        head = "".join(itertools.takewhile(lambda line: line.startswith("#"), lines))
        return (head + yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=120)).encode("utf-8")

    def media(self, rel: str) -> dict:
        data = self.path(rel).read_bytes()
        return {"id": _sha(data), "content": base64.b64encode(data).decode(), "encoding": "base64", "path": rel,
                "name": rel.rsplit("/", 1)[-1]}

    def listing(self, folder: str, extension: str, depth: int) -> list[str]:
        base = self.path(folder.rstrip("/") + "/")
        found = []
        for here, folders, files in os.walk(base):
            level = Path(here).relative_to(base).parts
            folders[:] = sorted(f for f in folders if not f.startswith(".")) if len(level) + 1 < depth else []
            found += [Path(here, name).relative_to(self.root).as_posix() for name in sorted(files)
                      if name.endswith(extension) and not name.startswith(".")]
        return found

    def write(self, files: dict[str, bytes]) -> None:
        """The files written whole, then the site checked; on new errors every file is put back."""
        known = set(self.check())          # (errors the site had already are not this save's)
        before = {}
        for rel, data in files.items():
            path = self.path(rel)
            if len(data) > MAX_UPLOAD:
                raise PermissionError(tr("{path} is over {limit:,} bytes", path=rel, limit=MAX_UPLOAD))
            before[path] = path.read_bytes() if path.is_file() else None
        try:
            for path, data in zip(before, files.values()):
                write_atomically(path, data)
            problems = [problem for problem in self.check() if problem not in known]
        except BaseException:
            problems = None
            raise
        finally:
            if problems is None or problems:
                for path, data in before.items():
                    if data is None:
                        path.unlink(missing_ok=True)
                    else:
                        write_atomically(path, data)
        if problems:
            raise ValueError("\n".join(str(p) for p in problems))

    def answer(self, body: dict):
        """One request of the protocol → its JSON answer."""
        action, params = body.get("action"), body.get("params") or {}
        if action == "info":
            return {"repo": self.root.name, "publish_modes": ["simple"], "type": "local_fs"}
        if action == "entriesByFolder":
            return [self.entry(rel) for rel in self.listing(params["folder"], params.get("extension", ""),
                                                             int(params.get("depth", 1)))]
        if action == "entriesByFiles":
            return [self.entry(f["path"]) for f in params.get("files", [])]
        if action == "getEntry":
            return self.entry(params["path"])
        if action == "persistEntry":
            entry = params.get("entry")
            data_files = params.get("dataFiles") or ([entry] if entry else [])
            files = {f["path"]: self.unwrapped(f["path"], f["raw"]) for f in data_files}
            files |= {a["path"]: base64.b64decode(a["content"]) if a.get("encoding") == "base64" else
                      a["content"].encode() for a in params.get("assets", [])}
            self.write(files)
            return {"message": "entry persisted"}
        if action == "getMedia":
            return [self.media(rel) for rel in self.listing(params["mediaFolder"], "", 1)]
        if action == "getMediaFile":
            return self.media(params["path"])
        if action == "persistMedia":
            asset = params["asset"]
            data = base64.b64decode(asset["content"]) if asset.get("encoding") == "base64" else asset["content"].encode()
            path = self.path(asset["path"])
            if len(data) > MAX_UPLOAD:
                raise PermissionError(tr("{path} is over {limit:,} bytes", path=asset["path"], limit=MAX_UPLOAD))
            write_atomically(path, data)
            return self.media(asset["path"])
        if action in ("deleteFile", "deleteFiles"):
            for rel in params.get("paths") or [params["path"]]:
                self.path(rel).unlink(missing_ok=True)
            return {"message": "deleted"}
        if action == "getDeployPreview":
            return None
        raise KeyError(action)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
