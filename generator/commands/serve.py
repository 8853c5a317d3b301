"""`ocop serve`: build for localhost, serve the output, rebuild when a file of the site changes.

While the content is invalid the last good build stays up; the problems are printed and shown
over every page the browser has open, which reloads by itself after each good build. The system
tells of each change (file events: nothing is looked at while nothing changes). When a product's
file is saved and nothing else changed, its pages are rendered at once from the site the last
build left in memory, and served until the build that follows has written them (`Ahead`).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import json
import mimetypes
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import watchfiles

from . import cms
from .. import SITE_FILES, SITE_FOLDERS
from ..build import CACHE, build, check
from ..errors import ContentError, OcopError, printable, tr
from ..assets.search import pagefind_program
from ..output.cache import claim_cache
from ..pages.kinds import SEARCH
from ..pages.render import Renderer
from ..pages.routes import Route
from ..site.load import Media, RawSite, Source, file_key, read_bytes
from ..site.validate import check_product

LIVE_JS = b"""/* ocop serve: reload when a new build (or a page made ahead of it) is ready; show the problems
   of a failed one. Asked four times a second: a question held open until a change would take one
   of the six connections a browser opens to a server, and a seventh tab would wait. */
(function () {
  var seen = null, box = null;
  function show(problems) {
    if (!problems.length) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("role", "alert");
      box.className = "ocop-problems";
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:99999;" +
        "background:#fde4e4;color:#7a1111;border-top:4px solid #9b1c1c;padding:1rem;font:15px/1.5 system-ui,sans-serif";
      document.body.appendChild(box);
    }
    box.textContent = problems.join("\\n");
    box.style.whiteSpace = "pre-wrap";
  }
  function poll() {
    fetch("/__ocop/state", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (seen !== null && s.build !== seen) { location.reload(); return; }
      seen = s.build;
      show(s.problems.length ? [s.title, ""].concat(s.problems) : []);
      setTimeout(poll, 250);
    }).catch(function () { setTimeout(poll, 1000); });     /* the server stopped: asked again later */
  }
  poll();
})();
"""


class State:
    """What the browser asks the server: the number of the last good build (or of pages made ahead
    of it), and the problems of the build that failed after it (if any)."""

    def __init__(self, live: bool = True, site_dir: Path | None = None):
        self.build = 0
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.live = live            # False: serve the files exactly as a static host would
        self.site_dir = site_dir
        self.files = cms.LocalFiles(site_dir, lambda: _errors(site_dir)) if site_dir else None
        self.ahead = Ahead(site_dir) if site_dir else None

    def update(self, new_build: bool, problems: list[str]) -> None:
        with self.lock:
            self.build, self.problems = self.build + new_build, problems


def _errors(site_dir: Path) -> list[str]:
    """The site's errors as its files are now (a draft included, as the preview shows it)."""
    try:
        check(site_dir, date.today(), drafts=True)
    except ContentError as e:
        return [str(p) for p in e.problems if p.severity == "error"]
    return []


LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")


class Server(ThreadingHTTPServer):
    """The preview's server: a browser that goes away mid-answer is no news."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            print(printable(tr("ocop serve: {kind}: {error} (answering {client})",
                               kind=type(error).__name__, error=error, client=client_address[0])),
                  file=sys.stderr)


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, state: State, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, *args):          # quiet: the terminal is for build messages
        pass

    def parse_request(self) -> bool:
        """Only requests for this server by its own name: a page of another site that a DNS
        rebinding points at 127.0.0.1 could otherwise read the drafts and /__ocop/state. A path
        that names no file (a NUL, a broken escape) is a bad request, not an error of ours."""
        if not super().parse_request():
            return False
        port = self.server.server_address[1]
        if (self.headers.get("Host") or "").lower() not in {f"{name}:{port}" for name in LOCAL_NAMES}:
            self.send_error(403, tr("this server answers only requests for localhost"))
            return False
        try:
            path = unquote(self.path.split("?")[0].split("#")[0], errors="strict")
        except UnicodeDecodeError:
            path = "\0"
        if "\0" in path or not path.startswith("/"):
            self.send_error(400, tr("not a path of this site"))
            return False
        return True

    def _send(self, body: bytes, kind: str, code: int = 200) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/__ocop/state":
            return self._send(json.dumps({"build": self.state.build, "problems": self.state.problems,
                                          "title": tr("The site has errors; this is the last good build.")}).encode(),
                              "application/json")
        if self.state.site_dir and path in ("/admin", "/admin/", "/admin/index.html", "/admin/config.yml",
                                            f"/admin/{cms.SCRIPT}"):
            return self.admin(path)
        if path == "/__ocop/live.js":
            return self._send(LIVE_JS, "text/javascript")
        ahead = self.state.ahead or NOTHING_AHEAD
        if path.startswith(RECENT):
            if (file := ahead.index.get(path.removeprefix(RECENT))) is None:
                return self.send_error(404)
            return self._send(file, mimetypes.guess_type(path)[0] or "application/octet-stream")
        if path == "/__ocop/recent.js":
            return self._send(ahead.recent_js(), "text/javascript")
        target = Path(self.translate_path(path))
        if target.is_dir():
            target = target / "index.html"
        made = ahead.pages.get(os.path.relpath(target, self.directory).replace(os.sep, "/"), (0, None))[1]
        if made is not None or self.state.live and target.suffix == ".html" and target.is_file():
            body = target.read_bytes() if made is None else made        # pages get the live-reload script
            body = body.replace(b"</body>", b'<script src="/__ocop/live.js" defer></script></body>')
            if ahead.index:         # and, while products saved are not yet built, their search index
                body = body.replace(b"<head>", b'<head><script src="/__ocop/recent.js"></script>', 1)
            return self._send(body, "text/html; charset=utf-8")
        return super().do_GET()

    def admin(self, path: str) -> None:
        """The web editor on the clerk's own machine, saving into the site folder (cms.LocalFiles)."""
        if path == "/admin":
            self.send_response(301)
            self.send_header("Location", "/admin/")
            self.end_headers()
            return None
        if path.endswith(".js"):
            return self._send((cms.ADMIN / cms.SCRIPT).read_bytes(), "text/javascript")
        if path.endswith("config.yml"):
            try:
                site, _ = check(self.state.site_dir, date.today(), drafts=True)
            except ContentError as e:
                return self._send("\n".join(map(str, e.problems)).encode(), "text/plain; charset=utf-8", 503)
            port = self.server.server_address[1]
            text = cms.config(site, {"name": "proxy", "proxy_url": f"http://localhost:{port}/api/v1"})
            return self._send(text.encode(), "text/yaml; charset=utf-8")
        return self._send(cms.admin_page(tr("Edit the site")).encode(), "text/html; charset=utf-8")

    def do_POST(self):
        """Decap's proxy protocol, for the editor of this server's own /admin/ only: JSON (which a
        form of another site cannot send without asking first) from this origin."""
        port = self.server.server_address[1]
        origin = self.headers.get("Origin")
        if (not self.state.files or self.path != "/api/v1" or not (self.headers.get("Content-Type") or "").startswith("application/json")
                or (origin and origin not in {f"http://{name}:{port}" for name in LOCAL_NAMES})):
            return self._send(b'{"error": "forbidden"}', "application/json", 403)
        size = int(self.headers.get("Content-Length") or 0)
        if size > 2 * cms.MAX_UPLOAD:
            return self._send(b'{"error": "too large"}', "application/json", 413)
        try:
            answer, code = self.state.files.answer(json.loads(self.rfile.read(size))), 200
        except PermissionError as e:
            answer, code = {"error": str(e)}, 403
        except (ValueError, KeyError, TypeError) as e:      # the problems a save would cause; a bad request
            answer, code = {"error": str(e) if isinstance(e, ValueError) else tr("not a request of the editor")}, 422
        return self._send(json.dumps(answer, ensure_ascii=False).encode(), "application/json", code)

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def rebuild(site: Path, output: Path, base_url: str, say: Callable[[str], None], state: State) -> bool:
    ahead = state.ahead
    started, seen = time.monotonic(), ahead.seen      # (the changes seen so far: this build reads them)
    try:
        warnings = build(site, output, date.today(), base_url, cache=output.parent, drafts=True,
                         built=functools.partial(ahead.built, seen=seen))
    except ContentError as e:
        for problem in e.problems:
            say(str(problem))
        say(tr("the site has errors; still serving the last good build"))
        ahead.renderer = None
        ahead.landed(seen)
        state.update(False, [str(p) for p in e.problems])
        return False
    for problem in warnings:
        say(str(problem))
    say(tr("built in {value:.1f} s", value=time.monotonic() - started))
    ahead.landed(seen)
    state.update(True, [])
    return True


# what a product's file changes for its pages to wait for the build: what names the product, what is
# checked against other files (GTINs, stamps), what needs files the build makes (its photos, the
# list of a category or commune its page links to)
WAITS_FOR_THE_BUILD = ("id", "path", "gtin", "stamps", "images", "category", "commune")
RECENT = "/__ocop/recent/"              # where the search index of the products made ahead is served
RECENT_DOCUMENTS = "__ocop-recent/"     # their search documents' folder: a result's address starts with it


class Ahead:
    """A saved product's pages, rendered from the site the last good build left in memory with the
    product file checked anew, and its search documents indexed apart: a few milliseconds, where the
    build that follows takes seconds at 20,000 products. Only when every change since that build
    began was of product files, and the product's file changed none of WAITS_FOR_THE_BUILD. Changes
    are counted as they are seen: what is made ahead is served until a build that began after its
    change has ended. The search page merges that index into the site's and leaves out the saved
    products' results from the site's (search.js, `window.ocopRecent`: set by /__ocop/recent.js)."""

    def __init__(self, site_dir: Path | None):
        self.site_dir = site_dir
        self.renderer: Renderer | None = None
        self.made_after = 0         # the changes seen when the build of the renderer began
        self.seen = 0               # the changes seen
        self.other = 0              # the last change seen that was not of product files alone
        self.pages: dict[str, tuple[int, bytes]] = {}       # by file in the output: (change, bytes)
        self.documents: dict[str, tuple[int, bytes]] = {}   # their search documents, by file of the page
        self.index: dict[str, bytes] = {}       # a search index of such documents, by file (RECENT)
        self.indexed: list[str] = []            # the pages whose documents it holds
        self.lock = threading.Lock()
        self.rendering = threading.Lock()       # held while pages are made ahead (not_while_forking)

    def not_while_forking(self) -> None:
        """The build forks its workers while this thread may render: a fork waits for the page being
        rendered, so that no worker starts with a lock of a library held (Jinja's, Babel's)."""
        os.register_at_fork(before=self.rendering.acquire, after_in_parent=self.rendering.release,
                            after_in_child=self.rendering.release)

    def built(self, renderer: Renderer, seen: int) -> None:
        self.renderer, self.made_after = renderer, seen

    def landed(self, seen: int) -> None:
        """A build that began when `seen` changes had been seen has ended: what it made is served."""
        with self.lock:
            self.pages = {rel: made for rel, made in self.pages.items() if made[0] > seen}
            self.documents = {rel: made for rel, made in self.documents.items() if made[0] > seen}
            if not self.documents:
                self.index, self.indexed = {}, []

    def change(self, changed: set[str]) -> list[tuple[Route, Renderer]]:
        """The next change (its files' paths in the site folder): the pages it lets be made ahead,
        made and served; their routes, with the renderer of each, for search()."""
        self.seen += 1
        renderer = self.renderer        # (the builder may replace it meanwhile)
        if not all(rel.startswith("products/") and rel.endswith(".yaml") and rel.count("/") == 1 for rel in changed):
            self.other = self.seen
        if renderer is None or self.other > self.made_after:
            return []
        try:
            with self.rendering:
                made = [(route, showing) for rel in sorted(changed) for route, showing in self.product(renderer, rel)]
                pages = {route.output: (self.seen, showing.render(route)) for route, showing in made}
        except Exception:       # (what the build that follows says, at its file and line)
            return []
        with self.lock:
            self.pages = self.pages | pages
        return made

    def search(self, made: list[tuple[Route, Renderer]]) -> None:
        """The search documents of pages made ahead, and an index of all such documents."""
        if not made:
            return
        try:
            with self.rendering:
                documents = {route.output: (self.seen, showing.render(route, SEARCH)) for route, showing in made}
            with self.lock:
                self.documents = documents = self.documents | documents
            index = recent_index({rel: page for rel, (_, page) in documents.items()})
        except Exception:       # (the pages are served; the search finds them after the build)
            return
        with self.lock:
            if self.documents is documents:     # (no build has landed meanwhile)
                self.index, self.indexed = index, sorted(documents) if index else []

    def product(self, renderer: Renderer, rel: str) -> list[tuple[Route, Renderer]]:
        """The routes of a saved product's pages, and the renderer that shows it as saved: none if
        it must wait for the build."""
        sources = renderer.sources
        site = sources.site
        old = sources.by_id.get(rel.removeprefix("products/").removesuffix(".yaml"))
        data = read_bytes(self.site_dir, rel)[0] if old else None
        if data is None:
            return []
        # its photos as the last build read them (a change under products/media is not one of a product
        # file alone); a format, not None: a photo
        media = {image.file: Media(0, image.digest, "", image.width, image.height) for image in old.images}
        new, problems = check_product(Source(rel, digest=file_key(data, rel), content=data),
                                      RawSite(self.site_dir, media=media), site)
        if (new is None or any(p.severity == "error" for p in problems)
                or any(getattr(new, name) != getattr(old, name) for name in WAITS_FOR_THE_BUILD)):
            return []
        showing = renderer.showing(new)
        routes = [sources.routes.get("product", code, new.id) for code in site.config.codes]
        return [(route, showing) for route in routes if route]

    def recent_js(self) -> bytes:
        """What the search page is told of the index of the products made ahead."""
        with self.lock:
            replaced = ["/" + rel.removesuffix("index.html") for rel in self.indexed]
        return b"window.ocopRecent = %s;\n" % json.dumps(
            {"bundle": RECENT, "marker": "/" + RECENT_DOCUMENTS, "replaced": replaced}).encode()


def recent_index(documents: dict[str, bytes]) -> dict[str, bytes]:
    """A Pagefind index of these search documents (by their page's file in the output), each under
    RECENT_DOCUMENTS: its files by path."""
    with tempfile.TemporaryDirectory(prefix="ocop-recent-") as folder:
        docs, index = Path(folder) / "docs", Path(folder) / "index"
        for rel, page in documents.items():
            path = docs / RECENT_DOCUMENTS / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(page)
        done = subprocess.run([pagefind_program(), "--site", str(docs), "--output-path", str(index), "--silent"],
                              capture_output=True)
        if done.returncode != 0:
            return {}
        return {path.relative_to(index).as_posix(): path.read_bytes() for path in index.rglob("*") if path.is_file()}


NOTHING_AHEAD = Ahead(None)       # (a server of built files only)


def watch(site: Path, state: State, pending: threading.Event, stop: threading.Event, poll: float) -> None:
    """Each change: the pages it lets be made ahead served at once (the open pages reload), then their
    search; and a build asked for."""
    for changed in changes(site, stop, poll):
        if made := state.ahead.change(changed):
            state.update(True, state.problems)
            state.ahead.search(made)
        pending.set()


def changes(site: Path, stop: threading.Event, poll: float) -> Iterator[set[str]]:
    """Each time files a build reads have changed, their paths in the site folder ("" for a change
    of the site's own files or folders). The folders are watched by the system's file events; the
    site's own files, and which of the folders there are, are looked at every `poll` seconds. Where
    the system refuses to tell (too many folders watched, a file system without events), the
    folders' files are looked at too, as often."""
    top, gone, looked = _top(site), set(), None
    while not stop.is_set():
        folders = [str(site / name) for name in SITE_FOLDERS if (site / name).is_dir()]
        events = (watchfiles.watch(*folders, stop_event=stop, step=20, rust_timeout=int(poll * 1000),
                                   yield_on_timeout=True, force_polling=looked, poll_delay_ms=int(poll * 1000))
                  if folders else _ticks(stop, poll))
        with contextlib.closing(events):
            try:
                for found in events:
                    if (now := _top(site)) != top:      # (also what changed while the watch began)
                        top = now
                        yield {""}
                        break           # (a folder may have come or gone: watched again)
                    # a file made and gone again is no change (one written beside another, then renamed
                    # over it), nor is its removal if that is told apart
                    brief = {path for change, path in found
                             if change == watchfiles.Change.added and not os.path.lexists(path)}
                    told = {path for change, path in found if change == watchfiles.Change.deleted and path in gone}
                    gone = (gone | brief) - told
                    paths = {path for _, path in found} - brief - told
                    if looked:          # (every file is looked at: a folder is told of for its files)
                        paths = {path for path in paths if not os.path.isdir(path)}
                    if paths:
                        yield {os.path.relpath(path, site).replace(os.sep, "/") for path in paths}
            except FileNotFoundError:       # a folder gone meanwhile: watched again
                continue
            except (OSError, RuntimeError):
                if looked:
                    raise
                looked = True


def _top(site: Path) -> tuple:
    """The site's own files by their stats, and its folders by what they are."""
    def stats(path: Path) -> tuple | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        if stat.S_ISDIR(info.st_mode):
            return info.st_ino, info.st_mode
        return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns
    return tuple(stats(site / name) for name in SITE_FILES + SITE_FOLDERS)


def _ticks(stop: threading.Event, poll: float) -> Iterator[set]:
    while not stop.wait(poll):
        yield set()


def serve(site: Path, port: int, say: Callable[[str], None], poll: float = 0.5,
          stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    # kept between sessions, in the site's cache folder: the next `ocop serve` makes only what changed;
    # that cache is also `ocop build`'s (into SITE/output) and `ocop check`'s: what one of them
    # checked, probed or encoded (products, photos) the others take from it
    output, base_url = site / CACHE / f"preview-{port}", f"http://localhost:{port}/"
    state = State(site_dir=site)
    claim_cache(output.parent)
    output.mkdir(parents=True, exist_ok=True)       # served even when the first build failed
    try:                # the port taken first: a port in use is said before a build, not after
        server = Server(("127.0.0.1", port), functools.partial(_Handler, directory=str(output),
                                                                            state=state))
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        raise OcopError(tr("port {port} is in use (by another ocop serve?); choose another with --port", port=port)) from None
    rebuild(site, output, base_url, say, state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    say(tr("serving {base_url} (Ctrl-C to stop); edit the site in a browser at {base_url}admin/", base_url=base_url))
    pending = threading.Event()         # a change not yet built
    state.ahead.not_while_forking()
    threading.Thread(target=watch, args=(site, state, pending, stop, poll), daemon=True).start()
    try:
        while not stop.is_set():
            if pending.wait(poll):
                pending.clear()
                rebuild(site, output, base_url, say, state)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
