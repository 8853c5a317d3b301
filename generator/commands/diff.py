"""`ocop diff REV`: what a change does to the public site, in plain words, for a reviewer."""
from __future__ import annotations

import subprocess
import tarfile
import tempfile
from datetime import date
from pathlib import Path

from ..build import check
from .coverage import coverage
from ..errors import ContentError, UsageError, tr
from ..site.model import Price, Site, Standing
from ..assets.search import memory_with_room


def site_at(site_dir: Path, rev: str, today: date) -> tuple[Site | None, int]:
    """The site as it was at a git revision (None if it was invalid there), and its error count."""
    try:
        top = Path(_git(site_dir, "rev-parse", "--show-toplevel").decode().strip())
        inside = site_dir.resolve().relative_to(top.resolve()).as_posix() or "."
        listing = _git(top, "ls-tree", "-r", "-l", "-z", rev, "--", inside)   # "mode type object size\tpath"
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError) as e:
        why = getattr(e, "stderr", b"").decode(errors="replace").strip() or e
        raise UsageError(tr("cannot read revision '{rev}' of the site: {why}", rev=rev, why=why)) from None
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
            raise UsageError(tr("cannot read revision '{rev}' of the site: {value}",
                                rev=rev, value=why or 'git archive failed'))
        try:        # what the site's builds checked is not checked again
            return check(Path(tmp) / inside, today, home=site_dir)[0], 0
        except ContentError as e:
            return None, sum(p.severity == "error" for p in e.problems)


def _git(folder: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=True).stdout


def describe(before: Site | None, after: Site, theme: Path, before_errors: int = 0) -> list[str]:
    """What a reviewer must see, a line each: products added (with their recognition) and removed
    or retired, certificates recognised, re-rated, revoked (and why) or lapsed, products moved to
    another commune, prices and texts changed, and each language's share of translated texts."""
    lang = after.config.default_lang
    if before is None:
        return [tr("The site had {count} error(s) at that revision; nothing to compare against.",
                   count=before_errors)]
    lines: list[str] = []
    old = {p.id: p for p in before.products}
    new = {p.id: p for p in after.products}
    communes = {c.id: c.name(lang) for c in (*before.communes, *after.communes)}
    retired = {r.id for r in after.retired} - {r.id for r in before.retired}
    for pid in sorted(new.keys() - old.keys()):
        p = new[pid]
        lines.append(tr("New product: {name} ({id}), {category}, {commune}.", name=p.name(lang), id=pid,
                        category=p.category, commune=communes.get(p.commune, p.commune)))
        lines += _certificate(None, after.standing[pid], p.name(lang), pid, lang)
    for pid in sorted(old.keys() - new.keys()):
        lines.append(tr("Product retired: {name} ({id}); its verification page stays and says so.",
                        name=old[pid].name(lang), id=pid) if pid in retired else
                     tr("Product removed: {name} ({id}).", name=old[pid].name(lang), id=pid))
    for pid in sorted(old.keys() & new.keys()):
        a, b, name = old[pid], new[pid], new[pid].name(lang)
        lines += _certificate(before.standing[pid], after.standing[pid], name, pid, lang)
        if a.commune != b.commune:
            lines.append(tr("Moved to another commune: {name} ({id}), {old} → {new}.", name=name, id=pid,
                            old=communes.get(a.commune, a.commune), new=communes.get(b.commune, b.commune)))
        if _price(a.price, lang) != _price(b.price, lang):
            lines.append(tr("Price changed: {name} ({id}), {old} → {new}.", name=name, id=pid,
                            old=_price(a.price, lang), new=_price(b.price, lang)))
        if a.name != b.name or a.description != b.description:
            lines.append(tr("Text changed: {name} ({id}).", name=name, id=pid))
    _, shares_before = coverage(before, theme)
    _, shares_after = coverage(after, theme)
    for code in after.config.codes[1:]:
        was, now = shares_before.get(code), shares_after.get(code, 0.0)
        if was is None:
            lines.append(tr("Translation into {lang}: {now:.0%} (a new language).", lang=code, now=now))
        elif round(was, 3) != round(now, 3):
            lines.append(tr("Translation into {lang}: {was:.0%} → {now:.0%}.", lang=code, was=was, now=now))
    return lines or [tr("No change to the public site.")]


def _certificate(a: Standing | None, b: Standing, name: str, pid: str, lang: str) -> list[str]:
    lines = []
    if b.recognition and (a is None or a.recognition != b.recognition):
        decision = b.recognition.decision
        if a is not None and a.recognition and a.stars != b.stars:
            lines.append(tr("Certificate re-rated: {name} ({id}), {stars} stars (was {was}) by decision {number} "
                            "of {date}, valid until {until}.", name=name, id=pid, stars=b.stars, was=a.stars,
                            number=decision.number, date=decision.date, until=b.valid_until))
        else:
            lines.append(tr("Certificate recognised: {name} ({id}), {stars} stars by decision {number} of {date}, "
                            "valid until {until}.", name=name, id=pid, stars=b.stars, number=decision.number,
                            date=decision.date, until=b.valid_until))
    was = a.status if a else "unrated"
    if b.status == "revoked" and was != "revoked":
        reason = b.revocation.reason(lang) if b.revocation.reason else tr("no reason given")
        lines.append(tr("Certificate revoked: {name} ({id}) by decision {number} of {date}: {reason}.", name=name,
                        id=pid, number=b.revocation.decision.number, date=b.revocation.date, reason=reason))
    elif b.status == "expired" and was != "expired":
        lines.append(tr("Certificate expired: {name} ({id}), on {date}.", name=name, id=pid, date=b.valid_until))
    elif a is not None and was != b.status and not lines:
        lines.append(tr("Status of {name} ({id}): {old} → {new}.", name=name, id=pid, old=was, new=b.status))
    return lines


def _price(price: Price | None, lang: str) -> str:
    if not price or not (price.min or price.max):
        return tr("no price")
    low, high = price.min or price.max, price.max or price.min
    text = f"{low:,}".replace(",", ".") + (f"–{high:,}".replace(",", ".") if high != low else "") + " ₫"
    return text + (f" / {price.unit(lang)}" if price.unit else "")
