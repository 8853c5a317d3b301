"""The pipeline: load → validate → plan → render → produce → write."""
from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import jinja2

from . import BUNDLED_THEMES, CACHE
from .output import heap
from .pages.depends import Keys, generator_key
from .pages.kinds import Sources
from .errors import ContentError, Problem, tr
from .output.cache import Memo, cache_is_ours, claim_cache
from .output.fresh import FolderCheck
from .pages.links import LinkCheck
from .site.load import leads_away, load_site
from .site.model import Site
from .output.produce import Work, produce
from .pages.render import Renderer, Theme
from .pages.routes import Routes, held_back, plan
from .assets.search import SearchIndex, shards
from .site.validate import validate
from .output.write import MARKER, MARKER_TEXT, Output, append_register


def check(site_dir: Path, today: date, base_url: str | None = None, cache: Path | None = None,
          dated: bool = False, home: Path | None = None, seen: dict[str, tuple] | None = None,
          drafts: bool = False) -> tuple[Site, list[Problem]]:
    """The valid Site and its warnings; raises ContentError with every problem otherwise.
    `cache`: the build's cache folder, read and written (by a forked process:
    Memo.wait_for_writes() waits for it). Without it, the cache of a build into the default
    output folder of the site (or of `home`, for a copy of it elsewhere) is read, if
    there, and nothing is written: what earlier builds parsed and checked is not done again.
    `dated`: with each file's last commit date, for the pages; `seen`: the files' stats (load_site);
    `drafts`: with the pages and posts marked as drafts (a preview's)."""
    keep = cache is not None
    cache = cache or (home or site_dir) / CACHE
    if not keep and not cache_is_ours(cache):       # (one from elsewhere is not read; a build empties it)
        cache = cache / "none"
    with heap.kept():       # millions of objects made, nearly all kept (build() lets go of them when it ends)
        checked = Memo(cache / "checked.data", generator_key(), keep=keep)
        decided = Memo(cache / "decided.data", generator_key(), few=0, keep=keep)
        raw = load_site(site_dir, cache, dated, keep, seen)
        site, problems = validate(raw, today, checked, decided, drafts, across_cores)
        Memo.save_apart([checked, decided, raw.parsed_decisions])
    if site is None:
        raise ContentError(problems)
    if base_url:
        site = replace(site, config=replace(site.config, base_url=base_url))
    return site, problems


CHECKED_APART_FROM = 1000      # items (products to check, to key): from this many, each core takes a share


def across_cores(check: Callable, items: list) -> list:
    """check(item) for each item, in their order: from CHECKED_APART_FROM items on, on every core,
    a share each, the first in this process; a forked process sends its share's results back (a
    fraction of what checking them costs)."""
    global _SHARES
    count = min(os.cpu_count() or 1, 8) if len(items) >= CHECKED_APART_FROM else 1
    if count == 1:
        return [check(item) for item in items]
    shares = [items[i::count] for i in range(count)]
    _SHARES = check, shares
    try:
        with ProcessPoolExecutor(count - 1, mp_context=get_context("fork")) as pool:
            others = [pool.submit(_check_share, n) for n in range(1, count)]
            results = [[check(item) for item in shares[0]]] + [other.result() for other in others]
    finally:
        _SHARES = None
    made: list = [None] * len(items)
    for n, share in enumerate(results):
        made[n::count] = share
    return made


_SHARES: tuple[Callable, list[list]] | None = None      # for the forked processes


def _check_share(n: int) -> list:
    check, shares = _SHARES
    return [check(item) for item in shares[n]]


def build(site_dir: Path, output: Path, today: date, base_url: str | None = None,
          progress: Callable[[int, int], None] | None = None, cache: Path | None = None,
          seen: dict[str, tuple] | None = None, drafts: bool = False, publish: bool = False,
          folders: FolderCheck | None = None, built: Callable[[Renderer], None] | None = None) -> list[Problem]:
    """Builds the whole site into `output`, or leaves it untouched and raises. Returns the warnings.
    `cache`: the cache folder, if not the one beside the output folder; `seen`: the stats of the
    site's files, just taken (load_site); `drafts`: a preview's, with the drafts; `publish`: the
    build that is published (`ocop build --publish`, the workflow on main), the only one that adds
    the ids it publishes to the register products/issued.txt; `folders`: the previous output's
    folders being looked at (started by the caller), else started here; `built`: given the renderer
    of the site just built (ocop serve renders an edited product's pages with it, ahead of the next build)."""
    cache = cache or output.absolute().parent / CACHE
    claim_cache(cache)
    folders = folders or FolderCheck(output, cache)        # the previous output's folders looked at meanwhile
    theme = None
    with heap.released():
        try:
            site, warnings = check(site_dir, today, base_url, cache, dated=True, seen=seen, drafts=drafts)
            with heap.kept():       # routes, the theme and the renderer are kept to the end too
                routes = planned(site, warnings)
                theme = Theme(find_theme(site_dir, site.config.theme), cache / "templates")
                renderer = Renderer(Sources(site, routes), theme)
            with Output(output, cache, folders) as out:
                write_site(out, site_dir, site, routes, renderer, progress)
            if publish and site.unregistered:
                append_register(site_dir, site.unregistered)
            if built:
                built(renderer)
        except jinja2.TemplateError as e:
            raise theme_error(site_dir, theme, e, e.message) from None     # (jinja runs only once theme is set)
        except Exception as e:
            if not theme or not in_template(e, theme.root / "templates"):
                raise
            # a value a template uses as it cannot be used ({{ flag[:4] }}): the theme's error
            raise theme_error(site_dir, theme, e, f"{type(e).__name__}: {e}") from None
        finally:
            folders.close()
            Memo.wait_for_writes()       # the cache as this build leaves it, for whatever reads it next
    return warnings


def planned(site: Site, warnings: list[Problem]) -> Routes:
    """The site's routes; two pages for one address are an error said with the warnings found
    before it: every problem at once."""
    try:
        return plan(site)
    except ContentError as e:
        raise ContentError(sorted(warnings + e.problems)) from None


def write_site(out: Output, site_dir: Path, site: Site, routes: Routes, renderer: Renderer,
               progress: Callable[[int, int], None] | None = None) -> None:
    with heap.kept():           # the keys and the output's record, kept to the end too
        keys = Keys(renderer.sources, renderer.theme.root, across_cores)
        search = SearchIndex(out, shards(routes.all, len(site.products)), keys)
    try:
        with heap.kept():
            search.begin(renderer)          # an edit's few search documents: Pagefind runs from now on
            out.look()
        search.ready.set()
        for file, published in site.media.items():
            out.copy(published, site_dir / "products" / file)
        for rel, path in theme_files(site_dir, renderer.theme):
            out.copy(f"static/{rel}", path)
        out.write(MARKER, MARKER_TEXT)
        links = LinkCheck(routes.base_path)
        produce(Work(out, site_dir, site, routes, renderer, out.cache, keys), links, progress,
                first=search.jobs, then=search.documents)
    except BaseException:           # stop the indexer before the half-built output is removed
        search.stop()
        raise
    search.finish()
    broken = links.problems(out.written, f"themes/{renderer.theme.root.name}/templates", site_dir,
                            held_back(site))
    if broken:
        raise ContentError(broken)


# what a theme made for an earlier version read, and what a template reads instead (kinds.py)
FORMERLY = {"site": "standing(p), history(p), has(kind, key), menu[lang], news, today",
            "routes": "href(kind, key), full_url(kind, key), alternates(), has(kind, key)",
            "products_by_id": "named", "certified": "featured", "certified_by_stars": "by_stars",
            "showrooms_in": "showrooms", "media": "asset(scans[file])", "certification_changes": "changes"}


def theme_error(site_dir: Path, theme: Theme, e: Exception, message: str) -> ContentError:
    where, line = template_place(e, theme.root / "templates")
    try:
        where = Path(where).resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        pass
    said = tr("theme template error: {message}", message=message)
    if isinstance(e, jinja2.UndefinedError) and (gone := re.fullmatch(r"'(\w+)' is undefined", message)):
        said += tr("; a template sees only its kind's inputs, what every page sees and the helpers (README: "
                   "“The default theme”)")
        if gone[1] in FORMERLY:
            said += tr(": instead of {value}, {instead}", value=gone[1], instead=FORMERLY[gone[1]])
    return ContentError([Problem(str(where), line or 1, 1, said)])


def _frames(e: BaseException) -> list[tuple[str, int]]:
    """The file and line of each frame an error went through, the innermost last (as text, for an
    error in a worker process: the pool passes the worker's traceback as the error's cause)."""
    frames, tb = [], e.__traceback__
    while tb:
        frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return frames + [(file, int(line)) for file, line in re.findall(r'File "([^"]+)", line (\d+)', str(e.__cause__ or ""))]


def in_template(e: BaseException, templates: Path) -> bool:
    """Whether the error was raised by a template's own code, not by what it called."""
    frames = _frames(e)
    return bool(frames) and Path(frames[-1][0]).is_relative_to(templates)


def template_place(e: Exception, templates: Path) -> tuple[str, int]:
    """The template and line a theme error comes from. Jinja names them for a syntax error; an
    error while rendering has them in its traceback, the innermost template frame."""
    if getattr(e, "filename", None):
        return e.filename, e.lineno or 0
    inside = [(file, line) for file, line in _frames(e) if Path(file).is_relative_to(templates)]
    return inside[-1] if inside else (str(templates), 0)


def theme_files(site_dir: Path, theme: Theme) -> list[tuple[str, Path]]:
    """The theme's static files, each a file of the theme's own: none that a link leads elsewhere."""
    files = theme.static_files()
    base = site_dir if theme.root.absolute().is_relative_to(site_dir.absolute()) else theme.root
    wrong = [Problem(path.relative_to(site_dir).as_posix() if path.is_relative_to(site_dir) else str(path), 1, 1,
                     why if (why := leads_away(base, path)) else tr("is a link to a folder; copy the files instead"))
             for _, path in files if path.is_symlink() and (leads_away(base, path) or path.is_dir())]
    if wrong:
        raise ContentError(wrong)
    return files


def find_theme(site_dir: Path, name: str) -> Path:
    for root in (site_dir / "themes", BUNDLED_THEMES):
        if (root / name / "templates").is_dir():
            if root != BUNDLED_THEMES and (why := leads_away(site_dir, root / name, tr("the theme"))):
                raise ContentError([Problem(f"themes/{name}", 1, 1, why)])
            return root / name
    raise ContentError([Problem("site.yaml", 1, 1, tr("the theme '{name}' is not in themes/; use 'default' or "
                                                      "add themes/{name}/templates/", name=name))])
