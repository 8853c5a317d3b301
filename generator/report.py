"""The programme's figures for a month (`ocop report`) and for the public "at a glance" page:
pure functions of the site and a date, and plain renderings of them (Markdown, CSV, HTML with
SVG bar charts drawn here, no charting service)."""
from __future__ import annotations

import calendar
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from typing import Callable

from babel.dates import format_skeleton

from .exports import spreadsheet_cell
from .i18n import format_day, format_number, locale
from .model import CATEGORIES, Site
from .status import standing


@dataclass
class Figures:
    month: str
    as_of: date
    by_stars: dict[int, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_commune: dict[str, int] = field(default_factory=dict)
    recognitions: list[tuple[str, str, date, int]] = field(default_factory=list)   # product, decision, date, stars
    revocations: list[tuple[str, str, date]] = field(default_factory=list)
    expiring: list[tuple[str, date]] = field(default_factory=list)                  # to re-evaluate soon
    expired: list[tuple[str, date]] = field(default_factory=list)                   # lapsed, not re-evaluated
    showrooms: dict[str, int] = field(default_factory=dict)
    certified: int = 0
    products: int = 0


def month_bounds(month: str) -> tuple[date, date]:
    year, number = map(int, month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def figures(site: Site, month: str) -> Figures:
    """Standing at the end of the month (or on the build date, if that comes first)."""
    first, last = month_bounds(month)
    as_of = min(last, site.today)
    config = site.config
    result = Figures(month, as_of, products=len(site.products))
    stars, categories, communes, sold = Counter(), Counter(), Counter(), Counter()
    on_build_date = as_of == site.today        # the standing the site was checked with
    for p in site.products:
        sold.update(p.showrooms)            # (each named once: validate.py)
        s = site.standing[p.id] if on_build_date else standing(site.history[p.id], as_of, config.validity_months,
                                                               config.expiring_days)
        if s.status in ("valid", "expiring"):
            stars[s.stars] += 1
            categories[p.category] += 1
            communes[p.commune] += 1
        if s.status == "expiring":
            result.expiring.append((p.id, s.valid_until))
        if s.status == "expired":
            result.expired.append((p.id, s.valid_until))
        for event in site.history[p.id]:
            if first <= event.date <= as_of:
                if event.stars:
                    result.recognitions.append((p.id, event.decision.number, event.date, event.stars))
                else:
                    result.revocations.append((p.id, event.decision.number, event.date))
    result.by_stars = {n: stars[n] for n in (3, 4, 5)}
    result.by_category = {c: categories[c] for c in CATEGORIES}
    result.by_commune = {c.id: communes[c.id] for c in site.communes if c.current}
    result.certified = sum(stars.values())
    result.showrooms = {s.id: sold[s.id] for s in site.showrooms}
    result.expiring.sort(key=lambda x: x[1])
    result.expired.sort(key=lambda x: x[1])
    return result


# the theme's names of the categories (its _words.html), translated by its catalogue
CATEGORY_NAMES = {"food": "Food", "drinks": "Drinks", "herbal": "Herbal products", "handicrafts": "Handicrafts",
                  "ornamentals": "Ornamental plants and animals", "tourism": "Community tourism"}


def _names(site: Site, lang: str):
    products = {p.id: p.name(lang) for p in site.products}
    communes = {c.id: c.name(lang) for c in site.communes}
    showrooms = {s.id: s.name(lang) for s in site.showrooms}
    return products, communes, showrooms


def _month(f: Figures, lang: str) -> str:
    """The report's month as the language writes one: "tháng 10 năm 2025", "October 2025"."""
    return format_skeleton("yMMMM", month_bounds(f.month)[0], locale=locale(lang))


def _sections(site: Site, f: Figures, lang: str, ui) -> list[tuple[str, list[str], list[list]]]:
    """Each section's title, column names and rows, in `lang` (`ui`: the theme's catalogue for it).
    Dates in the rows are written YYYY-MM-DD, as data."""
    _ = ui.gettext
    month = _month(f, lang)
    products, communes, showrooms = _names(site, lang)
    return [
        (_("Certified products by star class"), [_("stars"), _("products")], [[n, c] for n, c in f.by_stars.items()]),
        (_("Certified products by category"), [_("category"), _("products")],
         [[_(CATEGORY_NAMES[c]), n] for c, n in f.by_category.items()]),
        (_("Certified products by commune"), [_("commune"), _("products")],
         [[communes[c], n] for c, n in f.by_commune.items()]),
        (_("Recognitions in %(month)s") % {"month": month}, [_("product"), _("decision"), _("date"), _("stars")],
         [[products[p], d, day.isoformat(), s] for p, d, day, s in f.recognitions]),
        (_("Revocations in %(month)s") % {"month": month}, [_("product"), _("decision"), _("date")],
         [[products[p], d, day.isoformat()] for p, d, day in f.revocations]),
        (_("Expiring within %(days)s days: to re-evaluate") % {"days": site.config.expiring_days},
         [_("product"), _("valid until")], [[products[p], day.isoformat()] for p, day in f.expiring]),
        (_("Expired without re-evaluation: to follow up"), [_("product"), _("expired on")],
         [[products[p], day.isoformat()] for p, day in f.expired]),
        (_("Showrooms"), [_("showroom"), _("products")], [[showrooms[s], n] for s, n in f.showrooms.items()]),
    ]


def _heading(site: Site, f: Figures, lang: str, ui) -> tuple[str, str]:
    _ = ui.gettext
    return (_("OCOP programme report, %(month)s") % {"month": _month(f, lang)},
            _("%(site)s, as of %(date)s: %(certified)s certified products of %(total)s.")
            % {"site": site.config.title(lang), "date": format_day(f.as_of, lang), "certified": format_number(f.certified, lang),
               "total": format_number(f.products, lang)})


def markdown(site: Site, f: Figures, lang: str, ui) -> str:
    title, summary = _heading(site, f, lang, ui)
    lines = [f"# {title}", "", summary, ""]
    for title, header, rows in _sections(site, f, lang, ui):
        lines += [f"## {title}", ""]
        if not rows:
            lines += [ui.gettext("None."), ""]
            continue
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows] + [""]
    return "\n".join(lines)


def _md(value) -> str:
    """A table cell's text as Markdown shows it, never as structure: one line (a line break would
    end the table or start a heading), with every character that means something escaped."""
    text = " ".join(str(value).split())
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text)


def csv_text(site: Site, f: Figures, lang: str, ui) -> str:
    _ = ui.gettext
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("section"), _("item"), _("value"), _("detail")])
    for title, header, rows in _sections(site, f, lang, ui):
        for row in rows:
            writer.writerow([spreadsheet_cell(c) for c in (title, row[0], row[1] if len(row) > 1 else "",
                                                " ".join(str(c) for c in row[2:]))])
    return "\ufeff" + out.getvalue()


def bars(rows: list[tuple[str, int]], label: str, number: Callable[[int], str] = str) -> str:
    """A horizontal bar chart as inline SVG: readable printed in black and white, and by a screen
    reader; `number` writes each value."""
    top = max((v for _, v in rows), default=0) or 1
    height = 26 * len(rows) + 8
    parts = [f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 520 {height}" width="520" height="{height}" '
             'xmlns="http://www.w3.org/2000/svg" class="bars">']
    for i, (name, value) in enumerate(rows):
        y = 4 + 26 * i
        width = round(300 * value / top)
        parts.append(f'<text x="170" y="{y + 16}" text-anchor="end" font-size="13">{escape(str(name))}</text>'
                     f'<rect x="180" y="{y + 3}" width="{width}" height="18" fill="#1f5b3a"/>'
                     f'<text x="{186 + width}" y="{y + 16}" font-size="13">{number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html(site: Site, f: Figures, lang: str, ui) -> str:
    title, summary = _heading(site, f, lang, ui)
    body = [f"<h1>{escape(title)}</h1>", f"<p>{escape(summary)}</p>"]
    for n, (heading, header, rows) in enumerate(_sections(site, f, lang, ui)):
        body.append(f"<section><h2>{escape(heading)}</h2>")
        if n < 3:           # stars, categories, communes: drawn
            body.append(bars([(f"{name} ★" if n == 0 else name, value) for name, value in rows], header[0],
                             lambda value: format_number(value, lang)))
        elif rows:
            body.append("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
                        + "</tbody></table>")
        else:
            body.append(f"<p>{escape(ui.gettext('None.'))}</p>")
        body.append("</section>")
    style = ("@page{size:A4;margin:15mm}body{font:11pt/1.45 system-ui,sans-serif;color:#1f2a22;max-width:48rem;margin:auto}"
             "h1{color:#143d27}h2{font-size:1.1rem;margin-top:1.4rem;color:#143d27}table{border-collapse:collapse;width:100%}"
             "th,td{border-bottom:1px solid #ccc;padding:.25rem .4rem;text-align:left}section{break-inside:avoid}")
    return (f'<!doctype html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def previous_month(day: date) -> str:
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"
