"""Free pages and news posts (content/pages/, content/news/) and the photos they show."""
from __future__ import annotations

import html
import re
from collections import defaultdict
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import unquote

from ...assets import images
from ...pages import commonmark, links
from .. import model as m
from ...errors import Problem, tr
from ..load import RawSite, Source
from .records import NEWS_RE, _File, _one_of, _suggest, valid_id
from .products import _media_file

def _articles(sources: list[Source], langs, default: str, problems: list[Problem], news: bool,
              held: dict[tuple[str, str], str], today: date | None = None, drafts: bool = False) -> list[m.Page]:
    """The pages, or the news (`news`): a post dated after `today` is checked but not published
    yet (the first build on or after its day publishes it), and so is a draft (but for a preview:
    `drafts`). `held` gets why each page or post that is not published is not, by (kind, id)."""
    kind = "news" if news else "page"
    texts: dict[str, dict[str, m.Article]] = defaultdict(dict)
    dates: dict[str, date] = {}
    first_path: dict[str, str] = {}
    pattern = "yyyy-mm-dd-slug.LANG.md (e.g. 2025-09-12-new-ocop-products.vi.md)" if news else "NAME.LANG.md (e.g. about.vi.md)"
    for source in sources:
        f = _File(source.path, problems, langs)
        stem, _, lang = PurePosixPath(source.path).stem.rpartition(".")
        ident = stem
        if not stem or lang not in langs:
            f.error((1, 1), tr("the file name must be {pattern}, with a language of the site ({one_of})",
                               pattern=pattern, one_of=_one_of(langs))
                    + (tr("; got the language '{lang}'{suggest}", lang=lang, suggest=_suggest(lang, langs)) if stem else ""))
            continue
        day = None
        if news:
            match = NEWS_RE.match(stem)
            try:
                day = date.fromisoformat(match.group(1)) if match else None
            except ValueError:
                day = None
            if day is None or not valid_id(stem):
                f.error((1, 1), tr("the file name must be {pattern}; got '{name}'",
                                   pattern=pattern, name=PurePosixPath(source.path).name))
                continue
        elif not valid_id(stem):
            f.error((1, 1), tr("'{stem}' is not a valid page name: use lowercase letters a-z, digits and single "
                               "hyphens (e.g. how-to-check-a-stamp.en.md)", stem=stem))
            continue
        if source.data is None:
            continue
        data = f.mapping(source.data, (2, 1), tr("the front matter"), ("title", "summary", "date", "draft"), ("title",))
        if data is None:
            continue
        title, summary = f.string(data, "title", True), f.string(data, "summary")
        when = f.day(data, "date")
        draft = f.boolean(data, "draft")
        if draft and drafts:
            f.warn(f.at(data, "draft"), tr("a draft: shown by this preview, not published until 'draft: true' "
                                           "is deleted"))
        elif draft:
            if lang == default:
                held[kind, ident] = tr("a draft ({source_path}): delete its 'draft: true' first, or take the "
                                       "link out", source_path=source.path)
            f.warn(f.at(data, "draft"), tr("a draft: checked, not published") + (
                tr(", nor its translations,") if lang == default else tr(" (readers of {lang} see the {default} "
                                                                     "text)", lang=lang, default=default))
                + tr(" until 'draft: true' is deleted"))
            continue
        if day and today and day > today:
            f.warn((1, 1), tr("dated {day}, after the build date {today}: not published yet; the first build on "
                              "or after that day publishes it", day=day, today=today))
            held[kind, ident] = tr("dated {day}, after the build date: add the link on that day, or take it out",
                                   day=day)
            continue
        if title:
            texts[ident][lang] = m.Article(title, summary, day or when, source.body, draft)
            first_path.setdefault(ident, source.path)
            if day:
                dates[ident] = day
    pages = []
    for ident, by_lang in sorted(texts.items()):
        if (kind, ident) in held:
            continue
        if default not in by_lang:
            problems.append(Problem(first_path[ident], 1, 1, tr("there is no {default} version of '{ident}'; "
                                                                "write {value}/{ident}.{default}.md first",
                                                                default=default, ident=ident, value='content/news' if news else 'content/pages')))
            continue
        pages.append(m.Page(ident, dict(sorted(by_lang.items())), dates.get(ident)))
    if news:
        pages.sort(key=lambda p: (p.date, p.id), reverse=True)
    return pages


IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']*)""", re.IGNORECASE)


def _figures(raw: RawSite, problems: list[Problem], pages: list[m.Page], news: list[m.Page]) -> dict[str, m.Image]:
    """The photos that pages and news show from products/media (images.figure_file), checked as a
    product's photos are, at the line of the text that shows them. (Found in the text as HTML,
    as Markdown makes it: an image in a code example is no image.) Those of a text not published
    (`pages` and `news` are those that are), a draft or a post dated ahead, are checked, not published."""
    figures = {}
    published = {f"content/{folder}/{text.id}.{lang}.md" for folder, texts in (("pages", pages), ("news", news))
                 for text in texts for lang in text.texts}
    for source in (*raw.pages, *raw.news):
        for src in IMG_SRC.findall(commonmark.to_html(source.body)):
            src = html.unescape(src)
            file = images.figure_file(src)
            if file is None:            # anything else: the link check says whether the site has it
                continue
            where = links.place(raw.root / source.path, src)
            if where == (0, 0):         # written otherwise: <../../products/media/a b.jpg> made a%20b.jpg
                where = links.place(raw.root / source.path, unquote(src))
            file, info = _media_file(_File(source.path, problems, None), where, file, raw, image=True)
            if file and source.path in published:
                figures[file] = m.Image(file, None, info.width, info.height, info.digest)
    return dict(sorted(figures.items()))


