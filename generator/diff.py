"""`ocop diff REV`: what a change does to the public site, in plain words, for a reviewer."""
from __future__ import annotations

import subprocess
import tarfile
import tempfile
from datetime import date
from pathlib import Path

from .build import check
from .coverage import coverage
from .errors import ContentError, UsageError
from .model import Site
from .search import memory_with_room


def site_at(site_dir: Path, rev: str, today: date) -> tuple[Site | None, int]:
    """The site as it was at a git revision (None if it was invalid there), and its error count."""
    try:
        top = Path(_git(site_dir, "rev-parse", "--show-toplevel").decode().strip())
        inside = site_dir.resolve().relative_to(top.resolve()).as_posix() or "."
        listing = _git(top, "ls-tree", "-r", "-l", "-z", rev, "--", inside)   # "mode type object size\tpath"
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError) as e:
        why = getattr(e, "stderr", b"").decode(errors="replace").strip() or e
        raise UsageError(f"cannot read revision '{rev}' of the site: {why}") from None
    size = sum(int(entry.split(b"\t")[0].split()[3]) for entry in listing.split(b"\0")
               if entry and entry.split()[1] == b"blob")
    with tempfile.TemporaryDirectory(prefix="ocop-diff-", dir=memory_with_room(2 * size)) as tmp:
        # streamed from git into the folder: a site's photos never need to fit in memory
        with subprocess.Popen(["git", "-C", str(top), "archive", "--format=tar", rev, "--", inside],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as git:
            try:
                with tarfile.open(fileobj=git.stdout, mode="r|") as tar:
                    tar.extractall(tmp, filter="data")
                read = True
            except tarfile.TarError:
                read = False
            # tarfile stops at the first zero block, before the end of git's last record: git,
            # its pipe closed before it wrote that, would fail
            while git.stdout.read(1 << 16):
                pass
            why = git.stderr.read().decode(errors="replace").strip()
        if git.returncode != 0 or not read:
            raise UsageError(f"cannot read revision '{rev}' of the site: {why or 'git archive failed'}")
        try:        # what the site's builds checked is not checked again
            return check(Path(tmp) / inside, today, home=site_dir)[0], 0
        except ContentError as e:
            return None, sum(p.severity == "error" for p in e.problems)


def _git(folder: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=True).stdout


def describe(before: Site | None, after: Site, theme: Path, before_errors: int = 0) -> list[str]:
    lang = after.config.default_lang
    lines: list[str] = []
    if before is None:
        return [f"The site had {before_errors} error(s) at that revision; nothing to compare against."]
    old = {p.id: p for p in before.products}
    new = {p.id: p for p in after.products}
    for pid in sorted(new.keys() - old.keys()):
        lines.append(f"New product: {new[pid].name(lang)} ({pid}), {new[pid].category}, {new[pid].commune}.")
    for pid in sorted(old.keys() - new.keys()):
        lines.append(f"Product removed: {old[pid].name(lang)} ({pid}).")
    for pid in sorted(old.keys() & new.keys()):
        a, b = before.standing[pid], after.standing[pid]
        name = new[pid].name(lang)
        told = False
        if a.recognition != b.recognition and b.recognition:
            verb = "re-rated" if a.recognition else "recognised"
            change = f" (was {a.stars} stars)" if a.stars and a.stars != b.stars else ""
            lines.append(f"Certificate {verb}: {name} ({pid}), {b.stars} stars by {b.recognition.decision.number}"
                         f"{change}, valid until {b.valid_until}.")
            told = True
        if b.status == "revoked" and a.status != "revoked":
            lines.append(f"Certificate revoked: {name} ({pid}) by {b.revocation.decision.number}.")
        elif b.status == "expired" and a.status != "expired":
            lines.append(f"Certificate newly expired: {name} ({pid}), on {b.valid_until}.")
        elif a.status != b.status and not told:
            lines.append(f"Status of {name} ({pid}): {a.status} → {b.status}.")
        if old[pid].name != new[pid].name or old[pid].description != new[pid].description:
            lines.append(f"Text changed: {name} ({pid}).")
    _, shares_before = coverage(before, theme)
    _, shares_after = coverage(after, theme)
    for code in after.config.codes[1:]:
        was, now = shares_before.get(code), shares_after.get(code, 0.0)
        if was is None or round(was, 3) != round(now, 3):
            lines.append(f"Translation into {code}: {'' if was is None else f'{was:.0%} → '}{now:.0%}.")
    return lines or ["No change to the public site."]
