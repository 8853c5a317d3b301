"""`ocop serve`: build for localhost, serve the output, rebuild when a file of the site changes.

While the content is invalid the last good build stays up and the problems are printed.
"""
from __future__ import annotations

import functools
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .build import build
from .errors import ContentError

WATCHED = ("site.yaml", "products", "content", "themes")


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):          # quiet: the terminal is for build messages
        pass

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


def snapshot(site: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file the build reads, to notice changes without extra packages."""
    files = {}
    for name in WATCHED:
        root = site / name
        paths = [root] if root.is_file() else root.rglob("*") if root.is_dir() else []
        for path in paths:
            if path.is_file():
                stat = path.stat()
                files[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return files


def rebuild(site: Path, output: Path, base_url: str, say: Callable[[str], None]) -> bool:
    started = time.monotonic()
    try:
        warnings = build(site, output, date.today(), base_url)
    except ContentError as e:
        for problem in e.problems:
            say(str(problem))
        say("the site has errors; still serving the last good build")
        return False
    for problem in warnings:
        say(str(problem))
    say(f"built in {time.monotonic() - started:.1f} s")
    return True


def serve(site: Path, port: int, say: Callable[[str], None], poll: float = 0.5,
          stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    work = Path(tempfile.mkdtemp(prefix="ocop-serve-"))
    output, base_url = work / "site", f"http://localhost:{port}/"
    try:
        output.mkdir()
        rebuild(site, output, base_url, say)
        server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Handler, directory=str(output)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        say(f"serving {base_url} (Ctrl-C to stop)")
        seen = snapshot(site)
        try:
            while not stop.wait(poll):
                now = snapshot(site)
                if now != seen:
                    seen = now
                    rebuild(site, output, base_url, say)
        finally:
            server.shutdown()
            server.server_close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
