"""The command line: the only place that prints, exits or shows progress."""
from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import sys
import time
import traceback
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from .. import CACHE, SITE_FILES, SITE_FOLDERS
from ..output import heap
from ..errors import N_, ContentError, OcopError, Problem, UsageError, printable, tr
from ..output.cache import cache_is_ours
from ..output.fresh import FolderCheck, Snapshot


def _day(text: str) -> date:
    from ..site import FIRST_DAY, LAST_DAY
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("'{text}' is not a date; write YYYY-MM-DD", text=text)) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(tr("'{text}' is not a date from {first_day_year} to {last_day_year}",
                                            text=text, first_day_year=FIRST_DAY.year, last_day_year=LAST_DAY.year))
    return day


def _month(text: str) -> str:
    try:
        date.fromisoformat(text + "-01")
    except ValueError:
        raise argparse.ArgumentTypeError(tr("'{text}' is not a month; write YYYY-MM", text=text)) from None
    return text


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(tr("'{text}' is not a port: use a whole number from 1 to 65535", text=text))
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(tr("'{text}' is not a whole number from 1 up", text=text))
    return value


def build_date(given: date | None) -> date:
    """--today, else SOURCE_DATE_EPOCH read as a UTC date, else the real date."""
    if given:
        return given
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return _day(datetime.fromtimestamp(int(epoch), timezone.utc).date().isoformat())
        except (ValueError, OverflowError, OSError, argparse.ArgumentTypeError):
            raise UsageError(tr("SOURCE_DATE_EPOCH must be a number of seconds; got '{epoch}'", epoch=epoch)) from None
    return date.today()


def _site(args) -> Path:
    site = Path(args.site)
    if not site.is_dir():
        raise UsageError(tr("no site folder at {site}", site=site))
    return site


class _Parser(argparse.ArgumentParser):
    """argparse in the tool's language: its headings, its help flag and its commonest complaints
    (argparse's own words come from gettext's global catalogue, which has no Vietnamese)."""

    _SAID = ((re.compile(r"the following arguments are required: (.+)"), N_("these are needed: {what}")),
             (re.compile(r"argument (\S+): invalid choice: (.+) \(choose from (.+)\)"),
              N_("{what}: {value} is not a choice; choose from {choices}")),
             (re.compile(r"unrecognized arguments: (.+)"), N_("unknown arguments: {what}")),
             (re.compile(r"argument (\S+): expected one argument"), N_("{what} needs a value")),
             (re.compile(r"argument (\S+): (.+)"), N_("{what}: {value}")))

    def __init__(self, *args, add_help: bool = True, **kwargs):
        super().__init__(*args, add_help=False, **kwargs)
        for group, title in ((self._positionals, N_("arguments")), (self._optionals, N_("options"))):
            group.title = tr(title)
        if add_help:
            self.add_argument("-h", "--help", action="help", help=tr("show this help and exit"))

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", tr("usage: "), 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", tr("usage: "), 1)

    def error(self, message: str):
        for pattern, said in self._SAID:
            if found := pattern.fullmatch(message):
                words = dict(zip(("what", "value", "choices"), found.groups()))
                message = tr(said, **words)
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ocop", description=tr("Build OCOP product catalogue sites."))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _Parser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help=tr("say more: an internal error's traceback; with check, every text not yet translated"))
    site = _Parser(add_help=False, parents=[common])
    site.add_argument("--site", default=".", metavar="DIR", help=tr("the site folder (default: here)"))
    fmt = _Parser(add_help=False)
    fmt.add_argument("--format", choices=("text", "github"), default="text",
                     help=tr("problems as PATH:LINE:COL lines, or as GitHub workflow annotations"))
    fmt.add_argument("--quiet", action="store_true", help=tr("print problems only"))
    today = _Parser(add_help=False)
    today.add_argument("--today", type=_day, metavar="DATE", help=tr("the build date (default: "
                                                                     "SOURCE_DATE_EPOCH or today)"))

    b = sub.add_parser("build", parents=[site, today, fmt], help=tr("validate, then build the whole site"))
    b.add_argument("--output", metavar="DIR", help=tr("where to build (default: SITE/output)"))
    b.add_argument("--base-url", metavar="URL", help=tr("build for another address than site.yaml's base_url"))
    b.add_argument("--publish", action="store_true",
                   help=tr("the build that is published (the workflow on main): add the products it publishes to "
                           "the register products/issued.txt"))
    c = sub.add_parser("check", parents=[site, today, fmt], help=tr("validate only; writes nothing"))
    c.add_argument("--strict", action="store_true", help=tr("treat warnings (translation coverage too) as errors"))
    c.add_argument("--translations", action="store_true",
                   help=tr("list every text not yet translated, file by file (by default: one line a language)"))
    s = sub.add_parser("serve", parents=[site], help=tr("build, serve on localhost, rebuild on change"))
    s.add_argument("--port", type=_port, default=8000, help=tr("the port on localhost (default 8000)"))
    r = sub.add_parser("report", parents=[site, today], help=tr("the monthly programme report"))
    r.add_argument("--month", type=_month, metavar="YYYY-MM", help=tr("default: the previous month"))
    r.add_argument("--format", choices=("md", "csv", "html", "docx"), default="md",
                   help=tr("md, csv, html, or docx: a Word document with the header of an official letter"))
    r.add_argument("--notes", metavar="FILE.md", help=tr("the office's own sections (difficulties, proposals) and "
                                                        "its letter's number, signer and recipients"))
    r.add_argument("--lang", metavar="LANG", help=tr("the report's language (default: the site's first)"))
    r.add_argument("--output", metavar="FILE", help=tr("default: standard output"))
    d = sub.add_parser("diff", parents=[site, today], help=tr("what a change since a git revision does to the site"))
    d.add_argument("rev", help=tr("a git revision: main, HEAD~1, a commit"))
    cat = sub.add_parser("catalogue", parents=[site, today], help=tr("a printable PDF catalogue in one language"))
    cat.add_argument("--lang", required=True, metavar="LANG", help=tr("one of the site's languages (site.yaml)"))
    cat.add_argument("--output", required=True, metavar="FILE.pdf", help=tr("the PDF to write"))
    cat.add_argument("--all", action="store_true", help=tr("every product, not only the certified ones"))
    cat.add_argument("--commune", metavar="ID", default="", help=tr("only the products of this commune"))
    cat.add_argument("--category", metavar="CATEGORY", default="", help=tr("only the products of this category"))
    cat.add_argument("--stars", type=int, choices=(3, 4, 5), default=0, help=tr("only the products certified with these "
                                                                                "stars"))
    n = sub.add_parser("new", parents=[site], help=tr("write a commented template for a product, decision, page "
                                                      "or news post"))
    n.add_argument("kind", choices=("product", "decision", "page", "news"))
    n.add_argument("id", help=tr("the new product's id, the decision file's name, the page's name, or the news "
                                 "post's (dated today)"))
    st = sub.add_parser("stamps", parents=[site, today], help=tr("a printable A4 sheet of stamp QR codes"))
    st.add_argument("product", help=tr("the product's id (its file's name in products/, without .yaml)"))
    st.add_argument("--from", dest="first", type=_positive, required=True, metavar="N",
                    help=tr("the first serial number to print: the serials must lie in the product's issued "
                            "batches"))
    st.add_argument("--to", dest="last", type=_positive, required=True, metavar="M", help=tr("the last serial number"))
    st.add_argument("--size", type=float, default=20.0, metavar="MM", help=tr("printed size of a code (default 20)"))
    st.add_argument("--key", metavar="FILE", help=tr("the office's stamp key (ocop key new): print a check code "
                                                     "with each serial, and add what checks them to "
                                                     "products/codes/PRODUCT.txt"))
    st.add_argument("--output", required=True, metavar="FILE.pdf", help=tr("the PDF to write"))
    i = sub.add_parser("init", parents=[common], help=tr("a new site folder, with an example of each file, that builds at once"))
    i.add_argument("folder", metavar="DIR", help=tr("a new or empty folder"))
    m = sub.add_parser("commune", parents=[site, today], help=tr("record a merger of communes: ocop commune merge OLD… "
                                                                 "--into NEW --on DATE"))
    m.add_argument("action", choices=("merge",), help=tr("merge: the old communes became part of a new one"))
    m.add_argument("old", nargs="+", metavar="OLD", help=tr("the ids of the communes merged"))
    m.add_argument("--into", required=True, metavar="NEW", help=tr("the id of the commune they became part of"))
    m.add_argument("--on", required=True, type=_day, metavar="DATE", help=tr("the first day of the new commune"))
    m.add_argument("--name", default="", metavar="NAME", help=tr("the new commune's name, if it is not in "
                                                                  "content/communes.yaml yet"))
    k = sub.add_parser("key", parents=[common], help=tr("the secret key for stamp check codes"))
    k.add_argument("action", choices=("new",), help=tr("new: write a new random key"))
    k.add_argument("file", metavar="FILE", help=tr("where to keep it: outside the site's repository"))
    return p


class Progress:
    """A progress line for long builds: redrawn in place on a terminal, a plain line every quarter
    elsewhere (CI logs). Costs one print per hundred pages."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.tty, self.quarter = stream, stream.isatty(), 0

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            width = 30
            filled = width * done // total
            bar = "#" * filled + "." * (width - filled)
            print(f"\r[{bar}] " + tr("{done}/{total} files", done=done, total=total), end="", file=self.stream,
                  flush=True)
            if done == total:
                print("\r" + " " * (width + 30) + "\r", end="", file=self.stream, flush=True)
        elif done * 4 // total > self.quarter:
            self.quarter = done * 4 // total
            print(tr("built {done} of {total} files", done=done, total=total), file=self.stream, flush=True)


def _tell(problems: list[Problem], fmt: str = "text") -> None:
    for problem in problems:
        if fmt == "github":         # annotations that a pull request shows on the changed lines
            text = problem.message.replace("%", "%25")      # (a line break is escaped already: Problem)
            print(f"::{problem.severity} file={problem.path},line={problem.line or 1},col={problem.col or 1}::{text}")
        else:
            print(problem, file=sys.stderr)


def _summary(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return ", ".join((tr("1 error") if errors == 1 else tr("{count} errors", count=errors),
                      tr("1 warning") if warnings == 1 else tr("{count} warnings", count=warnings)))


def _build(args) -> int:
    """`ocop build`: first of all, and without loading the rest, is there anything to do?"""
    site = _site(args)
    base_url = args.base_url
    if base_url:
        from ..site import BASE_URL_RE
        if not BASE_URL_RE.match(base_url):
            raise UsageError(tr("--base-url must start with https:// or http:// and end with '/'; got "
                                "'{base_url}'", base_url=base_url))
    output = Path(args.output) if args.output else site / "output"
    if output.exists() and not output.is_dir():
        raise UsageError(tr("the output folder {output} is a file; choose a folder", output=output))
    if site.resolve().is_relative_to(output.resolve()):
        raise UsageError(tr("the output folder {output} holds the site itself; choose another", output=output))
    for part in SITE_FOLDERS:       # the next build would read what this one wrote
        if output.resolve().is_relative_to((site / part).resolve()):
            raise UsageError(tr("the output folder {output} is inside the site's {part}/ folder; choose "
                                "another (the default is output/ beside site.yaml)", output=output, part=part))
    inside = output.resolve().relative_to(site.resolve()).parts if output.resolve().is_relative_to(site.resolve()) else ()
    if inside and inside[0].startswith("."):        # .git, .github, the cache
        raise UsageError(tr("the output folder {output} is inside the site's {value}/ folder; choose "
                            "another (the default is output/ beside site.yaml)", output=output, value=inside[0]))
    from ..output.write import MARKER, replaceable
    if not replaceable(output):
        raise UsageError(tr("the output folder {output} holds files that no build wrote (it has no "
                            "{marker}); a build replaces everything in its folder, so choose an empty or "
                            "new folder", output=output, marker=MARKER))
    started, day = time.monotonic(), build_date(args.today)
    if args.publish and base_url:
        raise UsageError(tr("--publish builds for site.yaml's base_url; leave out --base-url"))
    cache = output.absolute().parent / CACHE
    folders = FolderCheck(output, cache) if cache_is_ours(cache) else None  # meanwhile, by a child process
    try:
        snapshot = Snapshot(site, output, (day, base_url, args.publish))
        warnings = snapshot.unchanged(folders)
        if warnings is None:
            from .. import build as pipeline
            snapshot.forget()
            warnings = pipeline.build(site, output, day, base_url, None if args.quiet else Progress(),
                                      seen=snapshot.seen, publish=args.publish, folders=folders)
            snapshot.save(warnings)
            done = tr("built {output} in {seconds:.1f} s", output=output, seconds=time.monotonic() - started)
        else:
            done = tr("{output} is up to date: nothing changed since it was built", output=output)
    finally:
        if folders:
            folders.close()
    _tell(warnings, args.format)
    if not args.quiet:
        print(f"{done} ({_summary(warnings)})")
    return 0


def _check(args) -> int:
    from .. import build as pipeline
    from .coverage import coverage
    from ..pages.render import Theme
    site_dir = _site(args)
    site, warnings = pipeline.check(site_dir, build_date(args.today))
    theme = pipeline.find_theme(site_dir, site.config.theme)
    pipeline.theme_files(site_dir, Theme(theme))        # what build would refuse, check refuses too
    missing, shares = coverage(site, theme, args.translations or args.verbose)
    warnings = sorted(warnings + missing)
    routes = pipeline.planned(site, warnings)       # two pages written to one address: said by check too
    from ..pages.links import content_links
    from ..pages.render import markdown_html
    if broken := content_links(site_dir, site, routes, markdown_html):      # as the build would say
        raise ContentError(sorted(warnings + broken))
    if args.strict and warnings:
        raise ContentError([replace(w, severity="error") for w in warnings])
    _tell(warnings, args.format)
    if not args.quiet:
        if shares:
            print(tr("translated: ") + ", ".join(f"{lang} {share:.0%}" for lang, share in shares.items()))
        print(tr("the site is valid ({summary})", summary=_summary(warnings)))
    return 0


def _report(args) -> int:
    from .. import build as pipeline
    from . import report
    from ..output.write import write_atomically
    from ..pages.i18n import translations
    site_dir = _site(args)
    site, _ = pipeline.check(site_dir, build_date(args.today))
    lang = args.lang or site.config.default_lang
    if lang not in site.config.codes:
        raise UsageError(tr("'{lang}' is not a language of the site; use one of {value}",
                            lang=lang, value=', '.join(site.config.codes)))
    month = args.month or report.previous_month(site.today)
    figures = report.figures(site, month)
    ui = translations(pipeline.find_theme(site_dir, site.config.theme), lang)
    notes = report.read_notes(Path(args.notes)) if args.notes else report.Notes()
    if args.format == "docx":
        if not args.output:
            raise UsageError(tr("--format docx writes a file: add --output FILE.docx"))
        data = report.docx(site, figures, lang, ui, notes)
    else:
        write = {"md": report.markdown, "csv": report.csv_text, "html": report.html}[args.format]
        data = write(site, figures, lang, ui, notes).encode()
    if args.output:
        write_atomically(not_of_the_site(site_dir, Path(args.output)), data)
        print(tr("wrote {output}", output=args.output))
    else:
        sys.stdout.write(data.decode())
    return 0


def _diff(args) -> int:
    from .. import build as pipeline
    from .diff import describe, site_at
    site_dir = _site(args)
    after, _ = pipeline.check(site_dir, build_date(args.today))
    before, errors = site_at(site_dir, args.rev, after.today)
    for line in describe(before, after, pipeline.find_theme(site_dir, after.config.theme), errors):
        print(f"- {printable(line)}")
    return 0


def _catalogue(args) -> int:
    from .. import build as pipeline
    from .catalogue import Choice, catalogue_pdf
    from ..output.write import write_atomically
    from ..site.model import CATEGORIES
    from ..pages.routes import plan
    site_dir = _site(args)
    site, _ = pipeline.check(site_dir, build_date(args.today))
    if args.lang not in site.config.codes:
        raise UsageError(tr("'{lang}' is not a language of the site; use one of {value}",
                            lang=args.lang, value=', '.join(site.config.codes)))
    if args.commune and args.commune not in {c.id for c in site.communes}:
        raise UsageError(tr("no commune '{commune}' in content/communes.yaml", commune=args.commune))
    if args.category and args.category not in CATEGORIES:
        raise UsageError(tr("--category must be one of {categories}; got '{category}'",
                            categories=', '.join(CATEGORIES), category=args.category))
    output = not_of_the_site(site_dir, Path(args.output))
    choice = Choice(args.all, args.commune, args.category, args.stars)
    from ..output.cache import cache_is_ours
    pdf = catalogue_pdf(site, plan(site), pipeline.find_theme(site_dir, site.config.theme), site_dir, args.lang,
                        choice, site_dir / CACHE if cache_is_ours(site_dir / CACHE) else None)
    write_atomically(output, pdf)
    print(tr("wrote {output}: {count} products", output=args.output, count=len(choice(site))))
    return 0


def _new(args) -> int:
    from .. import build as pipeline
    from .scaffold import create
    site_dir = _site(args)
    day = build_date(None)
    try:
        site, _ = pipeline.check(site_dir, day)
    except ContentError:
        site = None             # a template can still be written into a site that has errors
    path = create(site_dir, site, args.kind, args.id, day)
    print(tr("wrote {path}: fill it in, then run ocop check", path=path))
    return 0


def _serve(args) -> int:
    from .serve import serve
    serve(_site(args), args.port, lambda line: print(line, flush=True))
    return 0


def _stamps(args) -> int:
    from .. import build as pipeline
    from ..site import codes
    from ..output.write import write_atomically
    from .stamps import check_serials, stamp_codes, stamp_sheet
    if args.last < args.first:
        raise UsageError(tr("--to ({last}) is below --from ({first})", last=args.last, first=args.first))
    if not 10 <= args.size <= 100:
        raise UsageError(tr("--size must be from 10 to 100 mm; got {size:g}", size=args.size))
    site_dir = _site(args)
    output = not_of_the_site(site_dir, Path(args.output))
    key = read_key(Path(args.key)) if args.key else None
    site, _ = pipeline.check(site_dir, build_date(args.today))
    made = None
    if key:
        record = site_dir / codes.FOLDER / f"{args.product}.txt"
        check_serials(site, args.product, args.first, args.last)        # refused before anything is written
        made, hashes = stamp_codes(site, args.product, args.first, args.last, key,
                                   dict(site.codes.get(args.product, ())))
        write_atomically(record, codes.file_text(args.product, hashes).encode())
        print(tr("wrote {record}: commit it, or the site cannot check these codes",
                 record=record.relative_to(site_dir)))
    write_atomically(output, stamp_sheet(site, args.product, args.first, args.last, args.size, made))
    print(tr("wrote {output}: {count} stamps of {size:g} mm",
             output=args.output, count=args.last - args.first + 1, size=args.size)
          + (tr(" with check codes") if key else ""))
    return 0


def _init(args) -> int:
    from .scaffold import init
    written = init(Path(args.folder), build_date(None))
    print(tr("wrote a new site in {folder} ({count} files): edit site.yaml first, replace the examples with "
             "your records, then run ocop check --site {folder}", folder=args.folder, count=len(written)))
    return 0


def _commune(args) -> int:
    from .. import build as pipeline
    from .merge import apply, merge
    site_dir = _site(args)
    changed, showrooms = merge(site_dir, args.old, args.into, args.on, args.name)
    apply(site_dir, changed, lambda: pipeline.check(site_dir, build_date(args.today)))
    print(tr("recorded in content/communes.yaml: {old} merged into {new} on {date}; {products} product(s) and "
             "{showrooms} showroom(s) moved to {new}; review with ocop diff, then commit",
             old=", ".join(args.old), new=args.into, date=args.on,
             products=sum(rel.startswith("products/") for rel in changed), showrooms=showrooms))
    return 0


def _key(args) -> int:
    from ..site.codes import new_key_text
    path = Path(args.file)
    if path.exists() or path.is_symlink():
        raise UsageError(tr("{path} exists; a key is never overwritten (stamps printed with it would no "
                            "longer check)", path=path))
    repo = next((folder for folder in path.absolute().parents if (folder / ".git").exists()), None)
    if repo:
        raise UsageError(tr("{path} is inside the git repository {repo}; keep the key outside it, where a "
                            "push cannot publish it", path=path, repo=repo))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new_key_text())
    print(tr("wrote {path}: the stamp key. Keep it on the office's computer and one backup, never in the "
             "site's repository. Lost, stamps already printed cannot be printed again with the same codes; "
             "leaked, anyone can print stamps that read as genuine (then make a new key and print new "
             "stamps).", path=path))
    return 0


COMMANDS = {"build": _build, "check": _check, "report": _report, "diff": _diff, "catalogue": _catalogue, "new": _new,
            "serve": _serve, "stamps": _stamps, "init": _init, "commune": _commune, "key": _key}


def run(args) -> int:
    return COMMANDS[args.command](args)


def read_key(path: Path) -> bytes:
    from ..site.codes import StampKeyError, parse_key
    try:
        return parse_key(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as e:
        raise UsageError(tr("the key {path} cannot be read: {strerror}", path=path, strerror=e.strerror)) from None
    except StampKeyError as e:
        raise UsageError(f"{path} {e}") from None


def not_of_the_site(site_dir: Path, output: Path) -> Path:
    """A file a command may write: none of the site's own (its settings, records, texts, theme,
    repository)."""
    where = output.resolve()
    root = site_dir.resolve()
    if where.is_relative_to(root):
        inside = where.relative_to(root).parts
        if inside and (inside[0] in SITE_FILES + SITE_FOLDERS or inside[0].startswith(".")):
            raise UsageError(tr("--output {output} is a file of the site ({inside}); write it elsewhere",
                                output=output, inside='/'.join(inside)))
    if output.is_dir():
        raise UsageError(tr("--output {output} is a folder; name a file", output=output))
    return output


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, `timeout`, `docker stop`): stopped as cleanly as by Ctrl-C, its
    half-made files removed (search documents in /dev/shm would otherwise hold memory for a day)."""


def command() -> None:
    """The `ocop` program: main(), then out of the process at once. Its files are written and
    closed, its workers and threads done; what is left is freeing the few million objects of the
    site one by one, which takes a build of 20,000 products ~0.4 s and serves nothing."""
    first = os.getpid()

    def terminated(signum, frame) -> None:
        if os.getpid() == first:
            raise Terminated
        signal.signal(signal.SIGTERM, signal.SIG_DFL)      # a forked worker ends as it would without this
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, terminated)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:         # a reader that has gone (`ocop report | head`)
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    heap.long_lived()
    try:
        return run(args)
    except ContentError as e:
        _tell(e.problems, getattr(args, "format", "text"))
        print(tr("ocop: {summary}; nothing was written", summary=_summary(e.problems)), file=sys.stderr)
        return 1
    except UsageError as e:
        print("ocop: error: " + printable(str(e)), file=sys.stderr)
        return 2
    except OcopError as e:
        print("ocop: error: " + printable(str(e)), file=sys.stderr)
        return 1
    except OSError as e:
        kept = tr("; the previous output is unchanged") if args.command == "build" else ""
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            where = getattr(args, "output", None) or (Path(args.site) / "output" if args.command == "build" else e.filename)
            print(printable(tr("ocop: error: disk full while writing {where}: free some space and run it "
                               "again{kept}", where=where, kept=kept)),
                  file=sys.stderr)
            return 1
        print(printable(f"ocop: error: {e.strerror or e}: {e.filename or ''}{kept}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        print(tr("ocop: stopped; the previous output is unchanged") if isinstance(e, Terminated) else
              tr("ocop: interrupted; the previous output is unchanged"),
              file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT)
    except Exception as e:          # a fault of ocop's own, not of the site's files: one line, not a traceback
        if getattr(args, "verbose", False):         # (unless asked: for whoever reports it)
            traceback.print_exc()
        where = traceback.extract_tb(e.__traceback__)[-1]
        print(printable(tr("ocop: internal error: {kind}: {error} ({file}:{line}); please report it with the command "
                           "you ran", kind=type(e).__name__, error=e, file=Path(where.filename).name,
                           line=where.lineno)), file=sys.stderr)
        return 70
