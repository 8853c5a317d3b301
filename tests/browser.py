"""A real browser for the tests: Debian's chromium driven by Playwright, against a site served on
loopback. Tests that use it are skipped where chromium is not installed (.ci/run installs it)."""
from __future__ import annotations

import functools
import shutil
import socket
import threading
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (installed by .ci/run)")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def serve_folder(folder: Path):
    """Serves a built site on 127.0.0.1 with 404.html for missing pages, as a static host does."""
    from generator.commands.serve import Server, State, _Handler
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Server(("127.0.0.1", port), functools.partial(_Handler, directory=str(folder), state=State(live=False)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()
