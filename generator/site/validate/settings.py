"""site.yaml, content/communes.yaml and content/showrooms.yaml."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable

from .. import BASE_URL_RE, model as m
from ...errors import Problem, printable, tr
from ..load import Map, Seq, Source
from .records import LANG_RE, URL_RE, _File, _commune_plain, _kind, _named, _suggest, valid_id

SITE_KEYS = ("title", "base_url", "languages", "region", "contact", "theme", "validity_months",
             "expiring_days", "authorities", "demo", "cms")
CMS_KEYS = ("backend", "repo", "branch", "review", "auth_url", "app_id")
REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+\Z")
SITE_REQUIRED = ("title", "base_url", "languages", "region")


def _config(source: Source | None, problems: list[Problem]) -> m.Config | None:
    if source is None or source.data is None:
        return None
    f = _File(source.path, problems, None)
    data = f.mapping(source.data, (1, 1), "site.yaml", SITE_KEYS, SITE_REQUIRED)
    if data is None:
        return None
    languages, seen = [], {}
    for item, mark in f.items(data, "languages", "languages"):
        entry = f.mapping(item, mark, tr("a language"), ("code", "name"), ("code", "name"))
        if entry is None:
            continue
        code, name = f.string(entry, "code"), f.string(entry, "name", required=True)
        if code and not LANG_RE.match(code):
            f.error(f.at(entry, "code"), tr("'{code}' is not a BCP 47 language code; use codes like vi, en, ko, "
                                            "zh-Hans", code=code))
        elif code.casefold() in seen:         # (zh-hans and zh-Hans: one folder on many disks)
            first = seen[code.casefold()]
            f.error(data.key_marks.get("languages", data.mark) if first != code else f.at(entry, "code"),
                    tr("the language '{code}' is listed twice", code=code) + (tr(" (as '{first}' too: codes are one language "
                                                                   "whatever their case)", first=first) if first != code else ""))
        elif code and name:
            seen[code.casefold()] = code
            languages.append(m.Language(code, name))
    if "languages" in data and not languages:
        f.error(f.at(data, "languages"), tr("'languages' must list at least one language, e.g. - {{code: vi, "
                                            "name: Tiếng Việt}}"))
        return None
    f.langs = tuple(language.code for language in languages) or None      # none valid: check codes no further
    base_url = f.string(data, "base_url")
    if base_url and not BASE_URL_RE.match(base_url):
        f.error(f.at(data, "base_url"), tr("'base_url' must be an absolute https:// or http:// address ending "
                                           "in '/' (a host name, a port from 1 to 65535 if any, a path of "
                                           "letters, digits, '-', '_', '.' and '~' without %-escapes); got "
                                           "'{base_url}'", base_url=base_url))
    title, region = f.text(data, "title", True), f.text(data, "region", True)
    contact = m.Contact()
    if "contact" in data:
        c = f.mapping(data["contact"], f.at(data, "contact"), "contact", ("phone", "email", "address"))
        if c is not None:
            contact = m.Contact(f.string(c, "phone"), f.email(c, "email"), f.text(c, "address"))
    theme = f.string(data, "theme") or "default"
    if not valid_id(theme):
        f.error(f.at(data, "theme"), tr("'theme' must be the name of a folder in themes/, like default; got "
                                        "'{theme}'", theme=theme))
    authorities = []
    for item, mark in f.items(data, "authorities", "authorities"):
        a = f.mapping(item, mark, tr("an authority"), ("stars", "issuer", "from", "until"), ("stars", "issuer"))
        if a is not None:
            stars, issuer = f.integer(a, "stars", 3, 5), f.choice(a, "issuer", m.ISSUERS)
            if stars and issuer:
                authorities.append(m.Authority(stars, issuer, f.day(a, "from"), f.day(a, "until")))
    validity = f.integer(data, "validity_months", 1, 240)
    expiring = f.integer(data, "expiring_days", 0, 3650)
    demo = f.boolean(data, "demo")
    cms = _cms(f, data)
    if problems_in(problems, source.path) or not (title and region and base_url and languages):
        return None
    return m.Config(title, base_url, tuple(languages), region, contact, theme, validity or 36,
                    90 if expiring is None else expiring, tuple(authorities) or m.DEFAULT_AUTHORITIES, demo, cms)


def _cms(f: _File, data: Map) -> m.Cms | None:
    """The published web editor (cms.py): the git host and repository each save goes to."""
    if "cms" not in data:
        return None
    c = f.mapping(data["cms"], f.at(data, "cms"), "cms", CMS_KEYS, ("backend", "repo"))
    if c is None:
        return None
    backend, repo = f.choice(c, "backend", m.CMS_BACKENDS), f.string(c, "repo")
    if repo and not REPO_RE.match(repo):
        f.error(f.at(c, "repo"), tr("'repo' must be the repository as its host names it, owner/name (on GitLab "
                                    "group/subgroup/name too); got '{repo}'", repo=repo))
        return None
    auth_url = f.string(c, "auth_url")
    if auth_url and not URL_RE.match(auth_url):
        f.error(f.at(c, "auth_url"), tr("'{key}' must be an absolute web address starting with https:// or "
                                        "http://; got '{value}'", key="auth_url", value=auth_url))
        return None
    if not (backend and repo):
        return None
    return m.Cms(backend, repo, f.string(c, "branch") or "main", bool(f.boolean(c, "review")), auth_url,
                 f.string(c, "app_id"))


def problems_in(problems: list[Problem], path: str) -> bool:
    path = printable(path)          # (as a Problem keeps it)
    return any(p.path == path and p.severity == "error" for p in problems)


# ---------------------------------------------------------------------------- communes and showrooms

COMMUNE_KEYS = ("id", "name", "since", "until", "formerly", "merged_into")
COMMUNE_REQUIRED = ("id", "name")
SHOWROOM_KEYS = ("id", "name", "commune", "address", "hours", "phone", "location")
SHOWROOM_REQUIRED = ("id", "name", "commune", "address")


def _list_file(source: Source | None, problems: list[Problem]) -> list[tuple[Any, tuple[int, int]]]:
    if source is None or source.data is None:
        return []
    if not isinstance(source.data, Seq):
        problems.append(Problem(source.path, 1, 1, tr("must be a list of entries, each starting with '- id: …'; "
                                                      "got {kind}", kind=_kind(source.data))))
        return []
    return list(zip(source.data, source.data.item_marks))


def _unique(f: _File, entry: Map, seen: dict[str, int], what: str) -> str:
    ident = f.ident(entry, "id", f"{what} id")
    if ident in seen:
        f.error(f.at(entry, "id"), tr("the {what} id '{ident}' is used twice (first at line {value})",
                                      what=what, ident=ident, value=seen[ident]))
        return ""
    if ident:
        seen[ident] = f.at(entry, "id")[0]
    return ident


def _communes(source: Source | None, langs, today: date, problems: list[Problem]) -> dict[str, m.Commune]:
    communes, seen, refs, merges = {}, {}, [], {}
    f = _File(source.path if source else "content/communes.yaml", problems, langs)
    for item, mark in _list_file(source, problems):
        entry = f.mapping(item, mark, tr("a commune"), COMMUNE_KEYS, COMMUNE_REQUIRED)
        if entry is None:
            continue
        ident, name = _unique(f, entry, seen, "commune"), f.text(entry, "name", True)
        formerly = []
        for value, where in f.items(entry, "formerly", "formerly"):
            if not isinstance(value, str) or not valid_id(value):
                f.error(where, tr("'formerly' must list commune ids; got {kind}", kind=_kind(value)))
            else:
                formerly.append(value)
                refs.append((value, where))
        merged_into = f.ident(entry, "merged_into", tr("commune id"))
        if merged_into and merged_into == ident:
            f.error(f.at(entry, "merged_into"), tr("'{ident}' cannot be merged into itself; name the commune it "
                                                   "became part of", ident=ident))
        elif merged_into:
            refs.append((merged_into, f.at(entry, "merged_into")))
            merges[ident] = f.at(entry, "merged_into")
        since, until = f.day(entry, "since"), f.day(entry, "until")
        if since and until and until < since:
            f.error(f.at(entry, "until"), tr("'until' ({until}) is before 'since' ({since})",
                                             until=until, since=since))
        elif until and until >= today:
            f.error(f.at(entry, "until"), tr("'until' ({until}) is not before the build date {today}: the "
                                             "commune still exists; write 'until' (and 'merged_into') once it "
                                             "has ceased, or build with --today", until=until, today=today))
            until, merged_into = None, ""       # (its products are not told it no longer exists)
        if ident and name:
            communes[ident] = m.Commune(ident, name, since, until, tuple(formerly), merged_into)
    for ident, where in refs:
        if ident not in seen:
            f.error(where, tr("no commune '{ident}' in this file{suggest}; every former or new unit needs its "
                              "own entry", ident=ident, suggest=_suggest(ident, seen)))
    for ident, where in merges.items():
        chain = _merges(communes, ident)
        if chain and chain[-1] == ident and ident == min(chain):        # a cycle, said once, at its first id
            f.error(where, tr("'merged_into' goes round in a circle: ") + " → ".join([ident, *chain])
                    + tr("; one of them must be the commune they became part of, without 'merged_into'"))
    return communes


def _merges(communes: dict[str, m.Commune], ident: str) -> list[str]:
    """The communes `ident` became part of, one merger after another, to the one in force (or
    back to `ident`, or to one that is not listed)."""
    return _chain(ident, lambda at: communes[at].merged_into if at in communes else "")


def _chain(ident: str, step: Callable[[str], str]) -> list[str]:
    """The ids `step` leads to from `ident`, one after another, until it leads nowhere or to one
    already met (which ends the list: a circle)."""
    chain: list[str] = []
    at = ident
    while at := step(at):
        chain.append(at)
        if at == ident or chain.count(at) > 1:
            break
    return chain


def _showrooms(source: Source | None, langs, communes: dict[str, m.Commune],
               problems: list[Problem]) -> dict[str, m.Showroom]:
    showrooms, seen = {}, {}
    f = _File(source.path if source else "content/showrooms.yaml", problems, langs)
    for item, mark in _list_file(source, problems):
        entry = f.mapping(item, mark, tr("a showroom"), SHOWROOM_KEYS, SHOWROOM_REQUIRED)
        if entry is None:
            continue
        ident, name, address = _unique(f, entry, seen, "showroom"), f.text(entry, "name", True), f.text(entry, "address", True)
        commune = _commune_ref(f, entry, communes)
        location = None
        if "location" in entry:
            loc = f.mapping(entry["location"], f.at(entry, "location"), "location", ("lat", "lon"), ("lat", "lon"))
            if loc is not None:
                lat, lon = f.number(loc, "lat", -90, 90), f.number(loc, "lon", -180, 180)
                location = m.Location(lat, lon) if lat is not None and lon is not None else None
        if ident and name and address and commune:
            showrooms[ident] = m.Showroom(ident, name, commune, address, f.text(entry, "hours"),
                                          f.string(entry, "phone"), location)
    return showrooms


def _commune_ref(f: _File, entry: Map, communes: dict[str, m.Commune]) -> str:
    written = entry.get("commune")
    if isinstance(written, str) and not valid_id(written):
        named = _named(written, communes.values(), _commune_plain)
        if len(named) == 1:
            f.error(f.at(entry, "commune"), tr("'{written}' is not a commune id; for {value} write its id: "
                                               "commune: {id}",
                                               written=written, value=named[0].name(named[0].name.default), id=named[0].id))
            return ""
    ident = f.ident(entry, "commune", tr("commune id"))
    if not ident:
        return ""
    commune = communes.get(ident)
    if commune is None:
        f.error(f.at(entry, "commune"), tr("no commune '{ident}' in content/communes.yaml{suggest}",
                                           ident=ident, suggest=_suggest(ident, communes)))
        return ""
    if not commune.current:
        chain = _merges(communes, ident)
        now = chain[-1] if chain and chain[-1] in communes and communes[chain[-1]].current else ""
        merged = tr(" (merged into {chain})", chain=', then '.join(chain)) if now else ""
        f.error(f.at(entry, "commune"), tr("the commune '{ident}' no longer exists{merged}",
                                           ident=ident, merged=merged)
                + (tr("; use '{now}'", now=now) if now else ""))
        return ""
    return ident


