"""Star decisions (products/decisions/*.yaml): each product's history and standing."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

from .. import model as m
from ...pages.depends import digest
from ...errors import Problem, tr
from ..load import Map, Memo, RawSite, parse_later
from ..status import allowed_issuers, issuer_allowed, standing, stars_for_score
from .records import _File, _named, _one_of, _show, _suggest
from .products import _media_ref

DECISION_KEYS = ("number", "date", "issuer", "authority", "document", "recognized", "revoked")
DECISION_REQUIRED = ("number", "date", "issuer")


def _decisions(raw: RawSite, config: m.Config, products: dict[str, m.Product], today: date,
               problems: list[Problem], files: set[str], named_ids: set[str]
               ) -> tuple[list[m.Decision], dict[str, list[m.Event]]]:
    """Field checks of each decision, then the rules that tie decisions and products together.
    `named_ids` gets every product id the decisions name."""
    langs = config.codes
    decisions, events, numbers = [], defaultdict(list), {}
    marks: dict[int, tuple[_File, tuple[int, int]]] = {}        # id(event) → where it was written
    for source in raw.decisions:
        if source.data is None:         # unreadable, not YAML or empty: said when it was read
            continue
        f = _File(source.path, problems, langs)
        data = f.mapping(source.data, (1, 1), tr("a decision"), DECISION_KEYS, DECISION_REQUIRED)
        if data is None:
            continue
        number, day, issuer = f.string(data, "number", True), f.day(data, "date"), f.choice(data, "issuer", m.ISSUERS)
        document, _ = _media_ref(f, data, "document", raw, image=False)
        if number and issuer:
            if (issuer, number) in numbers:
                f.error(f.at(data, "number"), tr("the {issuer} decision {number} is already in {value}",
                                                 issuer=issuer, number=number, value=numbers[issuer, number]))
            numbers[issuer, number] = source.path
        if day and day > today:
            f.error(f.at(data, "date"), tr("the decision is dated {day}, after the build date {today}; add it "
                                           "once it is signed, or build with --today", day=day, today=today))
            day = None
        recognized, revoked = f.items(data, "recognized", "recognized"), f.items(data, "revoked", "revoked")
        if all(data.get(key) in (None, []) for key in ("recognized", "revoked")):     # absent, or an empty list
            given = [key for key in ("recognized", "revoked") if key in data]
            f.error(f.at(data, given[0]) if given else (1, 1), tr("a decision needs 'recognized' or 'revoked': "
                                                                  "the products it concerns") + (tr("; '{value}' lists none", value=given[0]) if given else ""))
        authority = f.text(data, "authority")
        decision = m.Decision(source.path, number, day, issuer, authority, document) if number and day and issuer else None
        if decision:            # else its entries are still checked, but make no events
            decisions.append(decision)
        named: dict[str, int] = {}
        for item, mark, keys, required in ([(i, k, ("product", "stars", "score"), ("product", "stars")) for i, k in recognized]
                                          + [(i, k, ("product", "reason"), ("product",)) for i, k in revoked]):
            entry = f.mapping(item, mark, tr("an entry"), keys, required)
            if entry is None:
                continue
            product = f.string(entry, "product")
            named_ids.add(product)
            if product in files and product not in products:
                product = ""            # the product's own file has errors, reported there
            elif product and product not in products:
                by_name = [p.id for p in _named(product, products.values())]
                f.error(f.at(entry, "product"), tr("no product '{product}' (products/{product}.yaml)",
                                                   product=product)
                        + (tr("; that is the name of products/{value}.yaml: write product: {value}",
                              value=by_name[0])
                           if len(by_name) == 1 else _suggest(product, files)))
                product = ""
            elif product in named:
                f.error(f.at(entry, "product"), tr("'{product}' is named twice in this decision (first at line "
                                                   "{value}); name each product once",
                                                   product=product, value=named[product]))
                product = ""
            if product:
                named[product] = f.at(entry, "product")[0]
            if "stars" in keys:
                event = _recognition(f, entry, decision, product, config)
            else:
                reason = f.text(entry, "reason")
                event = m.Event(decision, product, reason=reason) if product and decision else None
            if event is not None:
                events[product].append(event)
                marks[id(event)] = (f, f.at(entry, "product"))
    _check_histories(events, marks, config)
    return decisions, events


def _decided(raw: RawSite, config: m.Config, products: dict[str, m.Product], today: date, files: set[str],
             memo: Memo | None) -> tuple[list[m.Decision], dict[str, tuple[m.Event, ...]], dict[str, m.Standing],
                                       list[Problem]]:
    """The decisions, each product's history of them and standing today, and their problems. Kept
    between builds (`memo`) under all that they are made from: the texts of the decisions and of
    site.yaml and the build date; and, while the products they name are as they were (a valid
    product, a file with errors, or none) and the scans they link are the same files, when they
    had no error. (A product they do not name is unrated: adding one checks none of them again.)"""
    def make():
        found: list[Problem] = []
        for source in raw.decisions:
            if source.digest:           # else unreadable: load.py said why
                found += parse_later(source, raw.parsed_decisions)
        named: set[str] = set()
        decisions, events = _decisions(raw, config, products, today, found, files, named)
        for source in raw.decisions:
            source.data = None          # the parsed trees are not needed again
        history = {pid: tuple(events[pid]) for pid in sorted(events.keys() & products.keys())}
        standings = {pid: standing(h, today, config.validity_months, config.expiring_days) for pid, h in history.items()}
        scans = {d.document: raw.media[d.document] for d in decisions if d.document}
        return decisions, history, standings, found, scans, {pid: (pid in products, pid in files) for pid in named}

    def valid(kept) -> bool:
        *_, found, scans, named = kept
        return (not any(p.severity == "error" for p in found)
                and all(raw.media.get(file) == media for file, media in scans.items())
                and all((pid in products, pid in files) == was for pid, was in named.items()))

    key = digest(raw.site.digest, today.isoformat(), *(f"{s.path}\0{s.digest}" for s in raw.decisions))
    decisions, rated, standings, found, *_ = memo.get(key, make, valid) if memo else make()
    unrated = standing((), today, config.validity_months, config.expiring_days)
    ids = sorted(products)
    return (decisions, {pid: rated.get(pid, ()) for pid in ids},
            {pid: standings.get(pid, unrated) for pid in ids}, found)


def _recognition(f: _File, entry: Map, decision: m.Decision | None, product: str, config: m.Config) -> m.Event | None:
    stars = entry.get("stars")
    if type(stars) is not int or stars not in (3, 4, 5):       # (not 4.0, not true)
        written = re.fullmatch(r"\s*([345])\s*(?:sao|stars?|★+)\s*", stars, re.I) if isinstance(stars, str) else None
        f.error(f.at(entry, "stars"), tr("stars must be 3, 4 or 5; got {show}", show=_show(stars))
                + (tr(" (1 and 2 stars carry no OCOP certificate)") if stars in (1, 2) else "")
                + (tr(": write stars: {value}", value=written[1]) if written else ""))
        return None
    if decision and not issuer_allowed(config.authorities, stars, decision.issuer, decision.date):
        may = allowed_issuers(config.authorities, stars, decision.date)
        f.error(f.at(entry, "stars"), tr("a {decision_issuer} decision cannot recognise {stars} stars on "
                                         "{decision_date}; {value} may",
                                         decision_issuer=decision.issuer, stars=stars, decision_date=decision.date, value=_one_of(may) if may else 'no issuer')
                + (tr(" (3 stars moved from district to province on 2025-07-06)")
                   if stars == 3 and decision.issuer == "district" else ""))
        return None
    score = f.number(entry, "score", 0, 100)
    if score is not None and stars_for_score(score) != stars:
        band = {3: tr("50 to under 70"), 4: tr("70 to under 90"), 5: "90 to 100"}[stars]
        f.error(f.at(entry, "score"), tr("a score of {score:g} is not in the {stars}-star class ({band})",
                                         score=score, stars=stars, band=band))
        return None
    return m.Event(decision, product, stars, score) if product and decision else None


def _check_histories(events: dict[str, list[m.Event]], marks, config: m.Config) -> None:
    for product, history in events.items():
        history.sort(key=lambda e: (e.date, e.decision.path))
        for before, event in zip(history, history[1:]):
            if before.date == event.date:
                f, where = marks[id(event)]
                f.error(where, tr("'{product}' is already in {path} of the same date {event_date}; a product "
                                  "can appear in only one decision a day",
                                  product=product, path=before.decision.path, event_date=event.date))
        for i, event in enumerate(history):
            if event.stars is None:
                earlier = [e for e in history[:i] if e.date < event.date]
                before = standing(earlier, event.date, config.validity_months, config.expiring_days)
                if before.status in ("unrated", "revoked"):      # (a lapsed certificate may be revoked)
                    why = {"unrated": tr("it has no OCOP certificate"),
                           "revoked": tr("its certificate was already revoked on {value}",
                                         value=before.revocation and before.revocation.date)}[before.status]
                    f, where = marks[id(event)]
                    f.error(where, tr("'{product}' cannot be revoked on {event_date}: {why}; only a certificate "
                                      "recognised before (valid, expiring or expired) can be revoked",
                                      product=product, event_date=event.date, why=why))


