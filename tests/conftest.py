"""Helpers: copies of small real sites in tmp_path, and the command line run as a user runs it."""
from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["browser"]          # the real-browser fixture, for the tests that use it

from generator.commands.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MINIMAL = HERE / "sites" / "minimal"
TODAY = "2026-11-28"


@dataclass
class Run:
    code: int
    out: str
    err: str


def ocop(*args: str) -> Run:
    """Runs `ocop ARGS` in this process and captures what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:            # argparse's usage errors
            code = e.code
    return Run(code, out.getvalue(), err.getvalue())


def ocop_process(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    """Runs `python -m generator ARGS` as a process of its own (its environment read as it
    starts, its exit as a user sees it)."""
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)


def copy_site(dest: Path, source: Path = MINIMAL) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("output", ".*"))
    return dest


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copy_site(tmp_path / "site")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The minimal site, built once per test module."""
    root = tmp_path_factory.mktemp("built")
    src = copy_site(root / "site")
    result = ocop("build", "--site", src, "--output", root / "out", "--today", TODAY)
    assert result.code == 0, result.err
    return root / "out"


def add_products(site: Path, count: int) -> None:
    """`count` more products, each with a long description, to make a build take a while."""
    body = "Cà phê **rang mộc** trồng trên đất đỏ bazan. " * 40
    for i in range(count):
        (site / "products" / f"extra-{i:04d}.yaml").write_text(
            f"name: {{vi: Sản phẩm {i}, en: Product {i}}}\ncategory: food\ncommune: dak-rve\n"
            f"producer: {{name: Hộ {i}}}\ndescription: {{vi: '{body}', en: 'Plain roasted coffee.'}}\n",
            encoding="utf-8")
