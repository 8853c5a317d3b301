"""`ocop new`: commented templates for a product, a decision, a page or a news post, in the right place.
A product's is refused by `check` until its words are the product's own (validate.TEMPLATE_TEXTS) and
its commune is chosen; a decision's until it names the products it concerns; `ocop init`: a new site."""
from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from ..errors import UsageError, tr
from ..site.model import Site
from ..site.validate import plain_id, valid_id


def _langs(site: Site | None) -> tuple[str, ...]:
    return site.config.codes if site else ("vi", "en")


def product(site: Site | None, ident: str, today: date) -> tuple[str, str]:
    langs = _langs(site)
    current = [c.id for c in site.communes if c.current] if site else []
    choices = ", ".join(current[:6]) + (", …" if len(current) > 6 else "")
    names = "".join(f"  {code}: {'Tên sản phẩm' if code == 'vi' else 'Product name'}\n" for code in langs[:2])
    text = "".join(f"  {code}: |\n    {'Mô tả sản phẩm, viết bằng Markdown.' if code == 'vi' else 'What it is, in Markdown.'}\n"
                   for code in langs[:2])
    said = [tr("A product of the catalogue. The file name ({ident}) is its id: it is part of the product's web "
               "address and of its stamp's QR code, so it never changes once published.", ident=ident),
            tr("or"),
            tr("the id of its commune (a current one of content/communes.yaml: {choices})", choices=choices)
            if current else tr("the id of its commune (a current one of content/communes.yaml)"),
            tr("text in one language is the same in every language"),
            tr("or"),
            tr("photos under products/media/, JPEG, PNG or WebP"),
            tr("đồng, digits only"),
            tr("serial numbers of the stamp batches printed for it, issued on or after "
                                           "its first recognition; print them with `ocop stamps --key`"),
            tr("dates are written YYYY-MM-DD")]
    said[0] = "\n# ".join(textwrap.wrap(said[0], 96))       # (a comment of a few lines)
    return f"products/{ident}.yaml", f"""# yaml-language-server: $schema=../schemas/product.schema.json
# {said[0]}
name:
{names}category: food              # food, drinks, herbal, handicrafts, ornamentals {said[1]} tourism
commune: ""                 # {said[2]}
producer:
  name: Tên cơ sở sản xuất      # {said[3]}
  kind: household           # cooperative, company, household, cooperative-group {said[4]} other
  # phone: "+84 ..."
  # address: {{vi: ..., en: ...}}
description:
{text}# images:                  # {said[5]}
#   - {{file: media/products/{ident}.jpg, alt: {{vi: ..., en: ...}}}}
# price: {{min: 100000, max: 150000, unit: {{vi: túi 500 g, en: 500 g bag}}}}   # {said[6]}
# showrooms: [showroom-id]
# stamps:                   # {said[7]}
#   - {{from: 1, to: 1000, issued: {date.today().isoformat()}}}     # {said[8]}
"""


def decision(site: Site | None, ident: str, today: date) -> tuple[str, str]:
    said = [tr("A decision that recognises products (3, 4 or 5 stars) or revokes their certificates."),
            tr("as printed on the decision; unique for its issuer"),
            tr("district (3 stars, until 2025-07-05), province (3 and 4 stars), national (5)"),
            tr("the scan, under products/media/"),
            tr("replace [] with one line a product it recognises, as below"),
            tr("score: 50-69.99 for 3 stars, 70-89.99 for 4, 90-100 for 5"),
            tr("a certificate recognised before, in force or already run out")]
    return f"products/decisions/{today}-{ident}.yaml", f"""# yaml-language-server: $schema=../../schemas/decision.schema.json
# {said[0]}
number: "SỐ/QĐ-UBND"          # {said[1]}
date: {today}
issuer: province            # {said[2]}
authority: {{vi: Ủy ban nhân dân tỉnh ..., en: ... Provincial People's Committee}}
# document: media/decisions/SO-QD.pdf   # {said[3]}
recognized: []              # {said[4]}
#  - {{product: product-id, stars: 3, score: 64}}    # {said[5]}
# revoked:                   # {said[6]}
#  - {{product: product-id, reason: {{vi: ..., en: ...}}}}
"""


def page(site: Site | None, ident: str, today: date) -> tuple[str, str]:
    lang = _langs(site)[0]
    said = [tr("a draft, not published: delete this line when the page is ready"),
            tr("Its translation: content/pages/{ident}.en.md, the same name with another language code.",
                ident=ident)]
    return f"content/pages/{ident}.{lang}.md", f"""---
title: Tiêu đề trang
summary: Một câu giới thiệu ngắn.
draft: true         # {said[0]}
---
Nội dung trang, viết bằng **Markdown**.

<!-- {said[1]} -->
"""


def news(site: Site | None, ident: str, today: date) -> tuple[str, str]:
    lang = _langs(site)[0]
    said = [tr("a draft, not published: delete this line when the post is ready"),
            tr("The date in the file's name is the day it appears: a later day than today, and the post "
                "waits for it. Its translation: content/news/{today}-{ident}.en.md. A photo: "
                "![what it shows](../../products/media/name.jpg), the photo under products/media/.",
                today=today, ident=ident)]
    return f"content/news/{today}-{ident}.{lang}.md", f"""---
title: Tiêu đề bản tin
summary: Một câu tóm tắt, hiện dưới tiêu đề và khi chia sẻ liên kết.
draft: true         # {said[0]}
---
Nội dung bản tin, viết bằng **Markdown**.

<!-- {said[1]} -->
"""


KINDS = {"product": product, "decision": decision, "page": page, "news": news}


def create(site_dir: Path, site: Site | None, kind: str, ident: str, today: date) -> Path:
    """Writes the template of `kind`; `today` dates a decision or a news post (the site may have errors: None)."""
    if not valid_id(ident):
        plain = plain_id(ident)
        raise UsageError(tr("'{ident}' is not a valid id: use lowercase letters a-z, digits and single hyphens",
                            ident=ident)
                         + (tr(" (e.g. {plain})", plain=plain) if valid_id(plain) else ""))
    rel, text = KINDS[kind](site, ident, today)
    path = site_dir / rel
    if path.exists():
        raise UsageError(tr("{rel} already exists; choose another id", rel=rel))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def init(dest: Path, today: date) -> list[str]:
    """`ocop init DIR`: a new site folder that builds at once, one example of each file, to be
    replaced by the office's own records. Refused where DIR holds anything."""
    from importlib.metadata import version

    from .. import WORKFLOWS
    from . import schemas
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(tr("{dest} is not an empty folder; ocop init writes a new site into a new or empty "
                            "folder", dest=dest))
    files = {
        "site.yaml": f"""# yaml-language-server: $schema=schemas/site.schema.json
# The site's settings. Write your office's name, the address the site is published at, and its
# languages (the first is the default, in which every text must exist).
title: {{vi: Sản phẩm OCOP của xã, en: OCOP products of the commune}}
base_url: https://ocop.example.vn/          # the address the site is published at, ending in /
languages:
  - {{code: vi, name: Tiếng Việt}}
  - {{code: en, name: English}}
region: {{vi: Tỉnh …, en: … Province}}
contact: {{phone: "+84 000 000 000", email: ocop@example.vn, address: {{vi: Địa chỉ văn phòng, en: Office address}}}}
demo: true                                  # a banner says the records are examples: delete once they are real
""",
        "content/communes.yaml": """# yaml-language-server: $schema=../schemas/communes.schema.json
# The communes of the region: products and showrooms name one by its id.
- id: xa-mau
  name: {vi: Xã Mẫu, en: Mẫu Commune}
""",
        "content/showrooms.yaml": """# yaml-language-server: $schema=../schemas/showrooms.schema.json
# Showrooms and points of sale.
- id: diem-ocop-xa-mau
  name: {vi: Điểm giới thiệu sản phẩm OCOP xã Mẫu, en: Mẫu Commune OCOP showroom}
  commune: xa-mau
  address: {vi: Trụ sở UBND xã Mẫu, en: Mẫu Commune People's Committee}
  hours: {vi: "Thứ Hai – Thứ Sáu, 7:30–17:00", en: "Monday to Friday, 7:30–17:00"}
""",
        "products/san-pham-mau.yaml": """# yaml-language-server: $schema=../schemas/product.schema.json
# An example product: the file name is its id, part of its web address and stamp QR code.
name: {vi: Sản phẩm mẫu, en: Example product}
category: food
commune: xa-mau
producer:
  name: {vi: Hợp tác xã mẫu, en: Example cooperative}
  kind: cooperative
description:
  vi: Mô tả sản phẩm, viết bằng **Markdown**.
  en: What the product is, in **Markdown**.
price: {min: 100000, max: 150000, unit: {vi: hộp, en: box}}
showrooms: [diem-ocop-xa-mau]
""",
        "products/decisions/quyet-dinh-mau.yaml": f"""# yaml-language-server: $schema=../../schemas/decision.schema.json
# An example decision: it recognises the example product with 3 stars.
number: "MẪU/QĐ-UBND"
date: {today.isoformat()}
issuer: province
authority: {{vi: Ủy ban nhân dân tỉnh …, en: … Provincial People's Committee}}
recognized:
  - {{product: san-pham-mau, stars: 3, score: 60}}
""",
        "content/pages/about.vi.md": "---\ntitle: Giới thiệu\n---\nChương trình Mỗi xã một sản phẩm (OCOP) của xã.\n",
        "content/pages/about.en.md": "---\ntitle: About\n---\nThe commune's One Commune One Product (OCOP) programme.\n",
        ".gitignore": "output/\n.ocop-cache/\n",
        "requirements.txt": f"# the version of ocop-site the workflows build this site with (pip install -r requirements.txt)\n"
                            f"ocop-site=={version('ocop-site')}\n",
    }
    # the workflows: every pull request checked and described, every push to main and every night
    # published; they install ocop-site as requirements.txt says
    files |= {f".github/workflows/{path.name}": path.read_text(encoding="utf-8").replace(
        "pip install -c constraints.txt .", "pip install -r requirements.txt") for path in sorted(WORKFLOWS.glob("*.yml"))}
    files |= {f"schemas/{name}.schema.json": schemas.render(name) for name in schemas.SCHEMAS}
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)
