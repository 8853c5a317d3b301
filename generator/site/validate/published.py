"""What was published must stay: retired ids, the register, GTINs, stamps and their check codes."""
from __future__ import annotations

from pathlib import PurePosixPath

from .. import codes
from .. import model as m
from ...errors import Problem, tr
from ..load import REGISTER, RawSite, Source
from .records import _File, _suggest, valid_id
from .settings import _chain, _list_file, _unique

def _retired(source: Source | None, langs, products: dict[str, m.Product], files: set[str],
             problems: list[Problem]) -> dict[str, m.Retired]:
    retired, seen, missing = {}, {}, []
    f = _File(source.path if source else "content/retired.yaml", problems, langs)
    for item, mark in _list_file(source, problems):
        entry = f.mapping(item, mark, tr("a retired product"), ("id", "replaced_by", "note"), ("id",))
        if entry is None:
            continue
        ident = _unique(f, entry, seen, tr("retired product"))
        if ident in files:
            f.error(f.at(entry, "id"), tr("'{ident}' is still a product (products/{ident}.yaml); list here only "
                                          "products that no longer exist", ident=ident))
            continue
        replaced_by = f.ident(entry, "replaced_by", tr("product id"))
        if replaced_by and replaced_by not in files:
            missing.append((replaced_by, f.at(entry, "replaced_by")))
        note = f.text(entry, "note")
        if ident and not replaced_by and note is None and "replaced_by" not in entry:
            f.error(entry.mark, tr("say what became of '{ident}': 'replaced_by: NEW-ID' or a 'note'", ident=ident))
        if ident:
            retired[ident] = m.Retired(ident, replaced_by, note)
    for replaced_by, where in missing:
        if replaced_by not in retired:
            f.error(where, tr("no product '{replaced_by}' (products/{replaced_by}.yaml){suggest}",
                              replaced_by=replaced_by, suggest=_suggest(replaced_by, files)))
            continue
        now = ([replaced_by] + _chain(replaced_by, lambda at: retired[at].replaced_by if at in retired else ""))[-1]
        f.error(where, tr("'{replaced_by}' is retired too", replaced_by=replaced_by) + (tr("; write the product in force: replaced_by: {now}",
                                                               now=now)
                                                             if now in files else tr("; name a product in force")))
    return retired


def _register(raw: RawSite, files: set[str], retired: dict[str, m.Retired], problems: list[Problem]) -> tuple[str, ...]:
    """Every id ever published must still have a page; returns the ids this build publishes first."""
    registered = set()
    for line, ident in raw.register:
        if not valid_id(ident):
            problems.append(Problem(REGISTER, line, 1, tr("'{ident}' is not a product id; the register lists "
                                                          "one product id a line", ident=ident)))
        elif ident not in files and ident not in retired:
            problems.append(Problem(REGISTER, line, 1, tr("the verification page v/{ident}/ was published and "
                                                          "may be printed on stamps, but products/{ident}.yaml "
                                                          "is gone; restore it, or add '- {{id: {ident}, "
                                                          "replaced_by: NEW-ID}}' (or a note) to "
                                                          "content/retired.yaml", ident=ident)))
        registered.add(ident)
    return tuple(sorted((files | set(retired)) - registered))


def _gtins(raw: RawSite, products: dict[str, m.Product], problems: list[Problem]) -> None:
    """A GTIN is one trade item's, and its GS1 address (01/<GTIN-14>/) one product's."""
    first: dict[str, str] = {}
    for product in products.values():           # (in the order of their files)
        if product.gtin:
            other = first.setdefault(product.gtin.zfill(14), product.path)
            if other != product.path:
                problems.append(Problem(product.path, *raw.place(product.path, "gtin"),
                                        tr("the GTIN {product_gtin} is already that of {other}; each product "
                                           "has its own (the number under the barcode on its package)",
                                           product_gtin=product.gtin, other=other)))


def _stamps_after_recognition(raw: RawSite, products: dict[str, m.Product], history, problems: list[Problem]) -> None:
    """A stamp says its product is certified: no batch is issued before the first recognition."""
    for pid, product in products.items():
        rated = [e.date for e in history.get(pid, ()) if e.stars is not None]
        early = [(i, b) for i, b in enumerate(product.stamps) if not rated or b.issued < rated[0]]
        for i, batch in early:
            line, col = raw.place(product.path, "stamps", i)
            since = (tr("its first recognition is dated {value}", value=rated[0]) if rated
                     else tr("it has never been recognised (no decision names it)"))
            problems.append(Problem(product.path, line, col, tr("the stamp batch {batch_first}–{batch_last} is "
                                                                "issued on {batch_issued}, before the product "
                                                                "was OCOP-certified: {since}; stamps are issued "
                                                                "only after a recognition, so correct the "
                                                                "batch's date",
                                                                batch_first=batch.first, batch_last=batch.last, batch_issued=batch.issued, since=since)))


def _stamp_codes(raw: RawSite, products: dict[str, m.Product], files: set[str],
                 problems: list[Problem]) -> dict[str, tuple[tuple[int, str], ...]]:
    """The check hashes of each product's stamps (codes.py), each serial in one of its batches."""
    found = {}
    for rel, text in sorted(raw.codes.items()):
        pid = PurePosixPath(rel).stem
        if pid not in files:
            problems.append(Problem(rel, 1, 1, tr("no product '{pid}' (products/{pid}.yaml) for these stamp "
                                                  "codes; the file is named after the product its stamps are of",
                                                  pid=pid)))
            continue
        hashes, faults = codes.parse_file(text)
        problems += [Problem(rel, line, 1, why) for line, why in faults]
        product = products.get(pid)
        if product is None:         # its own file has errors, said there
            continue
        lines = {int(line.split()[0]): n for n, line in enumerate(text.split("\n"), 1)
                 if line.split() and line.split()[0].isdigit()}
        for serial in sorted(hashes):
            if not any(serial in batch for batch in product.stamps):
                problems.append(Problem(rel, lines.get(serial, 1), 1, tr("serial {serial} is in no stamp batch of "
                                                                         "{product_path}; add the batch there, or "
                                                                         "print codes only for its serials",
                                                                         serial=serial, product_path=product.path)))
        found[pid] = tuple(sorted(hashes.items()))
    return found


