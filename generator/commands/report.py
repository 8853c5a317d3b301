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
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Callable

from babel.dates import format_skeleton

from ..pages.exports import spreadsheet_cell
from ..pages.i18n import format_day, format_number, locale
from ..site.model import CATEGORIES, Site
from ..site.status import standing


@dataclass
class Figures:
    month: str
    as_of: date
    by_stars: dict[int, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_commune: dict[str, int] = field(default_factory=dict)
    recognitions: list[tuple[str, str, date, int]] = field(default_factory=list)   # product, decision, date, stars
    revocations: list[tuple[str, str, date, str]] = field(default_factory=list)     # … and the reason, by language
    expiring: list[tuple[str, date]] = field(default_factory=list)                  # to re-evaluate soon
    expired: list[tuple[str, date]] = field(default_factory=list)                   # lapsed, not re-evaluated
    showrooms: dict[str, int] = field(default_factory=dict)
    batches: list[tuple[str, int, int, date]] = field(default_factory=list)         # stamps issued in the month
    before: dict[int, int] = field(default_factory=dict)        # certified by stars at the previous month's end
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
    stars, categories, communes, sold, before = Counter(), Counter(), Counter(), Counter(), Counter()
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
                    result.revocations.append((p.id, event.decision.number, event.date, event.reason))
        result.batches += [(p.id, b.first, b.last, b.issued) for b in p.stamps if first <= b.issued <= as_of]
        then = standing(site.history[p.id], first - timedelta(days=1), config.validity_months, config.expiring_days)
        if then.status in ("valid", "expiring"):
            before[then.stars] += 1
    result.by_stars = {n: stars[n] for n in (3, 4, 5)}
    result.before = {n: before[n] for n in (3, 4, 5)}
    result.batches.sort(key=lambda b: (b[3], b[0], b[1]))
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
    contact = {p.id: " · ".join(x for x in (p.producer.name(lang), p.producer.phone, p.producer.email) if x)
               for p in site.products}
    previous = format_skeleton("yMMMM", month_bounds(f.month)[0] - timedelta(days=1), locale=locale(lang))
    change = [[f"{n} ★", f.before[n], f.by_stars[n], f"{f.by_stars[n] - f.before[n]:+d}"] for n in (3, 4, 5)]
    total = sum(f.by_stars.values()) - sum(f.before.values())
    change.append([_("all"), sum(f.before.values()), sum(f.by_stars.values()), f"{total:+d}"])
    return [
        (_("Certified products by star class"), [_("stars"), _("products")], [[n, c] for n, c in f.by_stars.items()]),
        (_("Certified products by category"), [_("category"), _("products")],
         [[_(CATEGORY_NAMES[c]), n] for c, n in f.by_category.items()]),
        (_("Certified products by commune"), [_("commune"), _("products")],
         [[communes[c], n] for c, n in f.by_commune.items()]),
        (_("Recognitions in %(month)s") % {"month": month}, [_("product"), _("decision"), _("date"), _("stars")],
         [[products[p], d, day.isoformat(), s] for p, d, day, s in f.recognitions]),
        (_("Revocations in %(month)s") % {"month": month}, [_("product"), _("decision"), _("date"), _("reason")],
         [[products[p], d, day.isoformat(), why(lang) if why else ""] for p, d, day, why in f.revocations]),
        (_("Expiring within %(days)s days: to re-evaluate") % {"days": site.config.expiring_days},
         [_("product"), _("valid until"), _("producer's contact")],
         [[products[p], day.isoformat(), contact[p]] for p, day in f.expiring]),
        (_("Expired without re-evaluation: to follow up"), [_("product"), _("expired on")],
         [[products[p], day.isoformat()] for p, day in f.expired]),
        (_("Showrooms"), [_("showroom"), _("products")], [[showrooms[s], n] for s, n in f.showrooms.items()]),
        (_("Stamp batches issued in %(month)s") % {"month": month}, [_("product"), _("serials"), _("stamps"), _("date")],
         [[products[p], f"{a}–{b}", b - a + 1, day.isoformat()] for p, a, b, day in f.batches]),
        (_("Certified products against the end of %(month)s") % {"month": previous},
         [_("stars"), previous, _("now"), _("change")], change),
    ]


def _heading(site: Site, f: Figures, lang: str, ui) -> tuple[str, str]:
    _ = ui.gettext
    return (_("OCOP programme report, %(month)s") % {"month": _month(f, lang)},
            _("%(site)s, as of %(date)s: %(certified)s certified products of %(total)s.")
            % {"site": site.config.title(lang), "date": format_day(f.as_of, lang), "certified": format_number(f.certified, lang),
               "total": format_number(f.products, lang)})


def markdown(site: Site, f: Figures, lang: str, ui, notes: Notes | None = None) -> str:
    title, summary = _heading(site, f, lang, ui)
    lines = [f"# {title}", "", summary, ""]
    for title, header, rows in _sections(site, f, lang, ui):
        lines += [f"## {title}", ""]
        if not rows:
            lines += [ui.gettext("None."), ""]
            continue
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows] + [""]
    for heading, body in notes.sections if notes else ():          # the office's own sections, as written
        lines += ([f"## {_md(heading)}", ""] if heading else []) + [body, ""]
    return "\n".join(lines)


def _md(value) -> str:
    """A table cell's text as Markdown shows it, never as structure: one line (a line break would
    end the table or start a heading), with every character that means something escaped."""
    text = " ".join(str(value).split())
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text)


def csv_text(site: Site, f: Figures, lang: str, ui, notes: Notes | None = None) -> str:
    _ = ui.gettext
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("section"), _("item"), _("value"), _("detail")])
    for title, header, rows in _sections(site, f, lang, ui):
        for row in rows:
            writer.writerow([spreadsheet_cell(c) for c in (title, row[0], row[1] if len(row) > 1 else "",
                                                " ".join(str(c) for c in row[2:]))])
    for heading, body in notes.sections if notes else ():
        writer.writerow([spreadsheet_cell(heading), "", spreadsheet_cell(" ".join(body.split())), ""])
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


def html(site: Site, f: Figures, lang: str, ui, notes: Notes | None = None) -> str:
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
    for heading, text in notes.sections if notes else ():
        from ..pages.render import markdown_html          # (sanitized, as every text of the site)
        body.append(f"<section>{f'<h2>{escape(heading)}</h2>' if heading else ''}{markdown_html(text)}</section>")
    style = ("@page{size:A4;margin:15mm}body{font:11pt/1.45 system-ui,sans-serif;color:#1f2a22;max-width:48rem;margin:auto}"
             "h1{color:#143d27}h2{font-size:1.1rem;margin-top:1.4rem;color:#143d27}table{border-collapse:collapse;width:100%}"
             "th,td{border-bottom:1px solid #ccc;padding:.25rem .4rem;text-align:left}section{break-inside:avoid}")
    return (f'<!doctype html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def previous_month(day: date) -> str:
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


@dataclass
class Notes:
    """What the office adds to a month's report (`ocop report --notes FILE.md`): its letter's
    particulars in the front matter (office, number, place, signer, recipients) and free sections
    (difficulties, proposals) as `## ` headings with Markdown under them."""
    office: str = ""
    number: str = ""
    place: str = ""
    signer: str = ""
    recipients: tuple[str, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()      # (heading, Markdown)


NOTES_KEYS = ("office", "number", "place", "signer", "recipients")


def read_notes(path: Path) -> Notes:
    """The notes file, or a ContentError that says what is wrong in it, where."""
    from ..errors import ContentError, Problem, tr
    from ..site.load import MAX_TEXT_BYTES, parse_yaml
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ContentError([Problem(name, 1, 1, tr("cannot be read: {strerror}", strerror=e.strerror))]) from None
    if len(data) > MAX_TEXT_BYTES:
        raise ContentError([Problem(name, 1, 1, tr("file is {size:,} bytes, over the limit of {max_text_bytes:,}; "
                                                   "split it or shorten it", size=len(data),
                                                   max_text_bytes=MAX_TEXT_BYTES))])
    try:
        text = data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise ContentError([Problem(name, 1, 1, tr("the file is not UTF-8 text; save it with UTF-8 encoding"))]) from None
    fields, body = {}, text
    if text.startswith("---\n") and "\n---\n" in text[3:]:
        head, body = text[4:].split("\n---\n", 1)
        fields, problems = parse_yaml(head, name, offset=1)
        if not isinstance(fields, dict):
            problems = problems or [Problem(name, 2, 1, tr("the front matter must be 'key: value' lines"))]
        problems += [Problem(name, fields.value_marks.get(key, (1, 1))[0] if hasattr(fields, "value_marks") else 1, 1,
                             tr("unknown key '{key}' in the report's notes; known keys: {allowed}", key=key,
                                allowed=", ".join(NOTES_KEYS)))
                     for key in (fields if isinstance(fields, dict) else {}) if key not in NOTES_KEYS]
        if problems:
            raise ContentError(problems)
    recipients = fields.get("recipients") or ()
    sections, heading, lines = [], "", []
    for line in body.split("\n"):
        if line.startswith("## "):
            if heading or "".join(lines).strip():
                sections.append((heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    if heading or "".join(lines).strip():
        sections.append((heading, "\n".join(lines).strip()))
    return Notes(*(str(fields.get(key) or "").strip() for key in NOTES_KEYS[:4]),
                 tuple(str(r) for r in (recipients if isinstance(recipients, list) else [recipients])),
                 tuple(sections))


def with_notes_markdown(text: str, notes: Notes) -> str:
    return text + "".join(f"## {heading}\n\n{body}\n\n" if heading else f"{body}\n\n" for heading, body in notes.sections)


def docx(site: Site, f: Figures, lang: str, ui, notes: Notes) -> bytes:
    """The report as the office files it: a Word document with the header of a Vietnamese official
    letter (the issuing office and the letter's number on the left, the national name and motto on
    the right, place and date), the figures as tables, the office's own sections, the signer and
    the recipients."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    _ = ui.gettext
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = Mm(30), Mm(15), Mm(20), Mm(20)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    document.core_properties.created = document.core_properties.modified = datetime(f.as_of.year, f.as_of.month,
                                                                                     f.as_of.day)
    title, summary = _heading(site, f, lang, ui)
    document.core_properties.title = title
    document.core_properties.author = notes.office.split("\n")[0] if notes.office else site.config.title(lang)

    def line(where, text: str, bold=False, italic=False, underline=False, centre=True, size=13):
        blank = where is not document and len(where.paragraphs) == 1 and not where.paragraphs[0].runs
        paragraph = where.paragraphs[0] if blank else where.add_paragraph()     # (a new cell has one, empty)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centre else WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold, run.italic, run.underline, run.font.size = bold, italic, underline, Pt(size)
        return paragraph

    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    for n, text in enumerate((notes.office or site.config.title(lang)).split("\n")):
        line(left, text.upper(), bold=n > 0 or "\n" not in (notes.office or ""), size=12)
    line(left, _("No.: %(number)s") % {"number": notes.number or "……/BC"}, size=12)
    line(right, _("SOCIALIST REPUBLIC OF VIET NAM"), bold=True, size=12)
    line(right, _("Independence – Freedom – Happiness"), bold=True, underline=True)
    place = notes.place or site.config.region(lang).split(",")[0]
    dated = _("%(place)s, on %(day)s/%(month)s/%(year)s") % {"place": place, "day": f"{f.as_of.day:02d}",
                                                            "month": f"{f.as_of.month:02d}", "year": f.as_of.year}
    line(document, dated, italic=True).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph()
    line(document, _("REPORT"), bold=True, size=14)
    line(document, title, bold=True)
    document.add_paragraph(summary)
    for heading, columns, rows in _sections(site, f, lang, ui):
        document.add_heading(heading, level=2)
        if not rows:
            document.add_paragraph(_("None."))
            continue
        table = document.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, columns):
            cell.text = str(text)
            cell.paragraphs[0].runs[0].bold = True
        for row in rows:
            for cell, value in zip(table.add_row().cells, row):
                cell.text = str(value)
    for heading, body in notes.sections:
        if heading:
            document.add_heading(heading, level=2)
        for block in (b for b in body.split("\n\n") if b.strip()):
            for item in block.split("\n") if block.lstrip().startswith(("- ", "* ")) else [block]:
                text = " ".join(item.strip().lstrip("-* ").split())
                document.add_paragraph(text, style="List Bullet" if item.lstrip().startswith(("- ", "* ")) else None)
    footer = document.add_table(rows=1, cols=2)
    left, right = footer.rows[0].cells
    if notes.recipients:
        line(left, _("Recipients:"), bold=True, italic=True, centre=False, size=12)
        for recipient in notes.recipients:
            line(left, f"- {recipient};", centre=False, size=11)
    for n, text in enumerate(notes.signer.split("\n") if notes.signer else ()):     # (blank lines: room to sign)
        line(right, text.upper() if n == 0 else text, bold=True)
    out = io.BytesIO()
    document.save(out)
    return _dated_zip(out.getvalue(), f.as_of)


def _dated_zip(data: bytes, day: date) -> bytes:
    """The same zip with every entry dated `day`: the same report, the same bytes."""
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in source.infolist():
            copy.writestr(zipfile.ZipInfo(entry.filename, (day.year, day.month, day.day, 0, 0, 0)),
                          source.read(entry.filename), zipfile.ZIP_DEFLATED)
    return out.getvalue()
