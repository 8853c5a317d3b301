"""Translation coverage: which texts and UI strings each language still lacks (`ocop check`)."""
from __future__ import annotations

from pathlib import Path

from .catalogs import untranslated
from ..errors import Problem, tr
from ..site.model import Product, Site, Text


def _product_texts(p: Product) -> list[tuple[str, Text | None]]:
    # (proper names, the producer's, a showroom's or a commune's, are the same in every language)
    texts = [("name", p.name), ("description", p.description), ("producer.address", p.producer.address)]
    texts += [(f"images[{i}].alt", image.alt) for i, image in enumerate(p.images)]
    texts += [("price.unit", p.price.unit)] if p.price else []
    for i, spec in enumerate(p.specs):
        texts += [(f"specs[{i}].label", spec.label), (f"specs[{i}].value", spec.value)]
    return texts


def coverage(site: Site, theme: Path, detail: bool = False) -> tuple[list[Problem], dict[str, float]]:
    """Warnings for what each language lacks, and the share of texts translated per language.
    Unless `detail`, a language's gaps are one warning, not one for each file."""
    default = site.config.default_lang
    warnings, shares = [], {}
    for lang in site.config.codes[1:]:
        total = done = 0
        gaps = []
        for p in site.products:
            missing = []
            for field, text in _product_texts(p):
                if text is None:
                    continue
                total += 1
                if text.show(lang)[1] is None:
                    done += 1
                else:
                    missing.append(field)
            if missing:
                gaps.append(Problem(p.path, 1, 1, tr("not translated into {lang} (shown in {default}): {missing}",
                                                     lang=lang, default=default, missing=", ".join(missing)), "warning"))
        for kind, pages in (("pages", site.pages), ("news", site.news)):
            for page in pages:
                total += 1
                if lang in page.texts:
                    done += 1
                else:
                    gaps.append(Problem(f"content/{kind}/{page.id}.{default}.md", 1, 1,
                                        tr("there is no {lang} version (content/{kind}/{page_id}.{lang}.md); readers "
                                           "see the {default} text", lang=lang, kind=kind, page_id=page.id,
                                           default=default), "warning"))
        shares[lang] = done / total if total else 1.0
        if detail or not gaps:
            warnings += gaps
        else:
            warnings.append(Problem("site.yaml", 1, 1, tr(
                "{count} texts in {files} files are not translated into {lang} ({share:.0%} are): readers see the "
                "{default} text; ocop check --translations lists them", count=total - done, files=len(gaps),
                lang=lang, share=shares[lang], default=default), "warning"))
    for lang, ui in untranslated(theme, site.config.codes).items():     # the theme's own words
        if ui:
            warnings.append(Problem(f"themes/{theme.name}/locales/{lang}/LC_MESSAGES/messages.po", 1, 1,
                                    tr("{len} UI string(s) not translated into {lang}: ", len=len(ui), lang=lang)
                                    + "; ".join(f"'{m}'" for m in ui[:5]) + (" …" if len(ui) > 5 else ""), "warning"))
    return warnings, shares
