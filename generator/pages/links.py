"""Broken links are build errors: every internal href and src of every page must be a written file."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from posixpath import normpath
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import Problem, tr

# href, src or srcset, in any case (spelt out, after a look ahead: twice as fast as re.IGNORECASE)
_ATTR = re.compile(r"""\s(?=[hHsS])([hH][rR][eE][fF]|[sS][rR][cC](?:[sS][eE][tT])?)\s*=\s*["']([^"']*)["']""")
_PLAIN = re.compile(r"/[A-Za-z0-9_./-]*\Z")
_ELSEWHERE = ("http:", "https:", "mailto:", "tel:", "geo:", "data:", "#")


def _targets(html: str) -> list[str]:
    found = []
    for name, value in _ATTR.findall(html):
        if len(name) == 6:          # srcset: "url 480w, url 960w"
            found += [part.strip().split(" ")[0] for part in value.split(",") if part.strip()]
        else:
            found.append(value)
    return found


def internal_targets(html: str, page: str, base_path: str) -> list[tuple[str, str]]:
    """(link as written, output file it needs) for each link of `page` that stays on the site."""
    page_url = base_path + page
    result = []
    for href in _targets(html):
        if not href or href.lower().startswith(_ELSEWHERE):
            continue
        if href.startswith(base_path) and _PLAIN.match(href) and "/." not in href and "//" not in href:
            rel = href[len(base_path):]             # most links: an absolute path, nothing to resolve
            result.append((href, rel + "index.html" if rel.endswith("/") or not rel else rel))
            continue
        path = unquote(urlsplit(urljoin(page_url, href)).path)
        if not path.startswith(base_path):
            result.append((href, "../" + path))         # leaves the site's folder: never a written file
            continue
        rel = path[len(base_path):]
        rel = (normpath(rel) + "/" if rel.endswith("/") and rel != "/" else normpath(rel)) if rel else ""
        result.append((href, rel + "index.html" if rel.endswith("/") or rel in ("", ".") else rel))
    return result


class LinkCheck:
    """Collects the links of every page as it is written, then reports those that lead nowhere."""

    def __init__(self, base_path: str):
        self.base_path = base_path
        self.needed: dict[str, tuple[str, str, str]] = {}        # output file → (page, link, source file)

    def add(self, html: bytes, page: str, source: str) -> None:
        for href, target in internal_targets(html.decode("utf-8"), page, self.base_path):
            target = "index.html" if target == ".index.html" else target
            self.needed.setdefault(target, (page, href, source))

    def problems(self, written: set[str], theme: str, site_dir: Path, held: dict[str, str]) -> list[Problem]:
        """Each link that leads nowhere, where the content file it came from has it (or in the theme),
        once for all the pages it breaks in (a page in each language shows the same text, a template
        serves many pages). `held`: the files of pages not published yet, and why (routes.held_back)."""
        pages: dict[tuple, list[str]] = {}
        for target, (page, href, source) in sorted(self.needed.items()):
            if target not in written:
                href = unescape(href)
                why = (tr("is not published: it is {value}", value=held[target]) if target in held
                       else tr("is not part of the site; fix the link or add what it points to"))
                where = place(site_dir / source, href) if source else (1, 1)
                pages.setdefault((source or theme, *where, href, why), []).append(page)
        return [Problem(path, line, col, tr("the page /{page}", page=found[0]) + _others(len(found) - 1)
                        + tr(" links to '{href}', which {why}", href=href, why=why))
                for (path, line, col, href, why), found in pages.items()]


def _others(count: int) -> str:
    return tr(" (and 1 other page)") if count == 1 else tr(" (and {count} other pages)", count=count) if count else ""


def place(file: Path, href: str) -> tuple[int, int]:
    """The line and column (1-based) of a link in a content file, as Markdown writes it; (1, 1) if it
    is not written there as such (a link the theme made: its first line)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError):
        return 1, 1
    at = text.find(f"]({href}")
    at = at + 2 if at >= 0 else text.find(href)
    if at < 0:
        return 1, 1
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def content_links(site_dir: Path, site, routes, markdown_html) -> list[Problem]:
    """What the build's link check will say of the links that free pages and news posts write to
    pages of the site (the pages' own texts, as `ocop check` sees them: it writes nothing). Links
    to files other than pages are left to the build, which knows every file it writes."""
    from .routes import held_back, text_file
    pages = {route.output for route in routes.all}
    held = held_back(site)
    check = LinkCheck(routes.base_path)
    for route in routes.all:
        if route.kind in ("page", "news"):
            article, fallback = site.articles[route.kind, route.key].show(route.lang, site.config.default_lang)
            check.add(markdown_html(article.body).encode(), route.path,
                      text_file(route.kind, route.key, fallback or route.lang))
    check.needed = {target: why for target, why in check.needed.items() if target.endswith(".html")}
    return check.problems(pages, "", site_dir, held)
