"""`ocop commune merge OLD… --into NEW --on DATE`: a merger of communes recorded in one step.

content/communes.yaml gains the merger (each old commune `until` the day before, `merged_into`
the new one; the new one `formerly` lists them, `since` that day when it is new), and every
product and showroom of an old commune moves to the new one. The files are edited as text, so
an editor's comments and layout stay; the site is then checked, and if it has errors every file
is put back as it was.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from ..errors import ContentError, UsageError, tr
from ..output.write import write_atomically

COMMUNES = "content/communes.yaml"
SHOWROOMS = "content/showrooms.yaml"


def merge(site_dir: Path, old: list[str], new: str, on: date, name: str = "") -> tuple[dict[str, str], int]:
    """The site's files edited for the merger: {relative path: its new text} of those it changes,
    and how many showrooms move."""
    if new in old:
        raise UsageError(tr("'{id}' cannot be merged into itself; name the commune it became part of", id=new))
    path = site_dir / COMMUNES
    if not path.is_file():
        raise UsageError(tr("no {file} in the site", file=COMMUNES))
    text = path.read_text(encoding="utf-8")
    entries = _entries(text)
    for ident in old:
        if ident not in entries:
            raise UsageError(tr("no commune '{id}' in {file}", id=ident, file=COMMUNES))
    if new not in entries and not name:
        raise UsageError(tr("'{id}' is not in {file} yet: give its name with --name", id=new, file=COMMUNES))
    lines = text.split("\n")
    edits: dict[int, list[str]] = {}         # an entry's first line → its new lines
    for ident in old:
        start, end = entries[ident]
        body = [line for line in lines[start:end] if not re.match(r"\s+(until|merged_into):", line)]
        last = max(i for i, line in enumerate(body) if line.strip() and not line.lstrip().startswith("#")) + 1
        body[last:last] = [f"  until: {(on - timedelta(days=1)).isoformat()}", f"  merged_into: {new}"]
        edits[start] = body
    if new in entries:
        start, end = entries[new]
        body = lines[start:end]
        at = next((i for i, line in enumerate(body) if re.match(r"\s+formerly:", line)), None)
        if at is None:
            last = max(i for i, line in enumerate(body) if line.strip() and not line.lstrip().startswith("#")) + 1
            body[last:last] = [f"  formerly: [{', '.join(old)}]"]
        else:
            listed = re.findall(r"[a-z0-9-]+", body[at].split(":", 1)[1].split("#")[0])
            body[at] = f"  formerly: [{', '.join(listed + [i for i in old if i not in listed])}]"
        edits[start] = body
    out: list[str] = []
    skip_to = 0
    for i, line in enumerate(lines):
        if i < skip_to:
            continue
        if i in edits:
            out += edits[i]
            skip_to = next(end for start, end in entries.values() if start == i)
        else:
            out.append(line)
    merged = "\n".join(out)
    if new not in entries:
        merged = merged.rstrip("\n") + (f"\n- id: {new}\n  name: {_quoted(name)}\n  since: {on.isoformat()}\n"
                                       f"  formerly: [{', '.join(old)}]\n")
    changed = {COMMUNES: merged}
    moved = re.compile(r"^(\s*commune:\s*)([\"']?)(" + "|".join(map(re.escape, old)) + r")\2(?=\s*(#.*)?$)", re.M)
    for product in sorted((site_dir / "products").glob("*.yaml")):
        before = product.read_text(encoding="utf-8")
        after = moved.sub(lambda m: m[1] + m[2] + new + m[2], before)
        if after != before:
            changed[product.relative_to(site_dir).as_posix()] = after
    showrooms = site_dir / SHOWROOMS
    if showrooms.is_file():
        before = showrooms.read_text(encoding="utf-8")
        inline = re.compile(r"(\bcommune:\s*)([\"']?)(" + "|".join(map(re.escape, old)) + r")\2(?=\s*[,}\n#]|\s*$)")
        after, showrooms_moved = inline.subn(lambda m: m[1] + m[2] + new + m[2], before)
        if after != before:
            changed[SHOWROOMS] = after
        return changed, showrooms_moved
    return changed, 0


def _entries(text: str) -> dict[str, tuple[int, int]]:
    """Each commune's id → the lines of its entry (first, past the last), for entries written
    in block form (`- id: …` then indented keys)."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("-")]
    found = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        entry = "\n".join(lines[start:end])
        ident = re.search(r"^-?\s*id:\s*[\"']?([a-z0-9-]+)", entry, re.M) or re.search(r"\bid:\s*([a-z0-9-]+)", entry)
        if ident:
            found[ident[1]] = (start, end)
    return found


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def apply(site_dir: Path, changed: dict[str, str], check) -> None:
    """Writes the changed files, then checks the site; on errors, puts every file back and raises."""
    before = {rel: (site_dir / rel).read_bytes() for rel in changed}
    for rel, text in changed.items():
        write_atomically(site_dir / rel, text.encode("utf-8"))
    try:
        check()
    except ContentError:
        for rel, data in before.items():
            write_atomically(site_dir / rel, data)
        raise
