"""`ocop serve`: build for localhost, serve the output, rebuild when a file of the site changes.

While the content is invalid the last good build stays up; the problems are printed and shown
over every page the browser has open, which reloads by itself after each good build.
"""
from __future__ import annotations

import errno
import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from . import cms
from ..build import CACHE, build, check
from ..errors import ContentError, OcopError, printable, tr
from ..output.cache import claim_cache
from ..output.fresh import by_path, site_files

LIVE_JS = b"""/* ocop serve: reload when a new build is ready; show the problems of a failed one */
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
    }).catch(function () {}).finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"""


class State:
    """What the browser asks the server: the number of the last good build, and the problems of the
    build that failed after it (if any)."""

    def __init__(self, live: bool = True, site_dir: Path | None = None):
        self.build = 0
        self.problems: list[str] = []
        self.live = live            # False: serve the files exactly as a static host would
        self.site_dir = site_dir
        self.files = cms.LocalFiles(site_dir, lambda: _errors(site_dir)) if site_dir else None


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
        target = Path(self.translate_path(path))
        if target.is_dir():
            target = target / "index.html"
        if self.state.live and target.suffix == ".html" and target.is_file():     # pages get the live-reload script
            body = target.read_bytes().replace(b"</body>", b'<script src="/__ocop/live.js" defer></script></body>')
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


def rebuild(site: Path, output: Path, base_url: str, say: Callable[[str], None], state: State,
            seen: dict[str, tuple] | None = None) -> bool:
    """`seen`: the stats of the site's files the change was found by (a second look at 20,000
    product files costs ~0.06 s)."""
    started = time.monotonic()
    try:
        warnings = build(site, output, date.today(), base_url, cache=output.parent, drafts=True, seen=seen)
    except ContentError as e:
        for problem in e.problems:
            say(str(problem))
        say(tr("the site has errors; still serving the last good build"))
        state.problems = [str(p) for p in e.problems]
        return False
    for problem in warnings:
        say(str(problem))
    say(tr("built in {value:.1f} s", value=time.monotonic() - started))
    state.build, state.problems = state.build + 1, []
    return True


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
    seen = site_files(site)         # what a build reads, by size, times and inode (and whether a link is among it)
    try:
        while not stop.wait(poll):
            now = site_files(site)
            if now != seen:
                seen = now
                found, linked = now
                rebuild(site, output, base_url, say, state, None if linked else by_path(site, found))
    finally:
        server.shutdown()
        server.server_close()
