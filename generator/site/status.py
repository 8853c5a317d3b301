"""The legal heart: a product's certification status on a date (SPEC §5), as pure functions."""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from .model import Authority, Event, Standing


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month (2024-02-29 + 36 → 2027-02-28)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def standing(events: Iterable[Event], today: date, validity_months: int = 36,
             expiring_days: int = 90) -> Standing:
    """Status on `today` from the events up to it. A later recognition supersedes an earlier one;
    a revocation ends the latest. Events of one product never share a date (validated)."""
    past = sorted((e for e in events if e.date <= today), key=lambda e: e.date)
    if not past:
        return Standing("unrated")
    recognitions = [e for e in past if e.stars is not None]
    latest = recognitions[-1] if recognitions else None
    valid_until = add_months(latest.date, validity_months) if latest else None
    if past[-1].stars is None:
        return Standing("revoked", latest, past[-1], valid_until)
    days_left = (valid_until - today).days
    if days_left <= 0:
        status = "expired"
    elif days_left < expiring_days:
        status = "expiring"
    else:
        status = "valid"
    return Standing(status, latest, None, valid_until, days_left)


def issuer_allowed(authorities: Iterable[Authority], stars: int, issuer: str, on: date) -> bool:
    return any(a.allows(stars, issuer, on) for a in authorities)


def allowed_issuers(authorities: Iterable[Authority], stars: int, on: date) -> list[str]:
    return sorted({a.issuer for a in authorities if a.stars == stars and a.allows(stars, a.issuer, on)})


def stars_for_score(score: float) -> int | None:
    """The star class a score of 0–100 falls in (Decision 148); None below 50 (no certificate)."""
    if 90 <= score <= 100:
        return 5
    if 70 <= score < 90:
        return 4
    if 50 <= score < 70:
        return 3
    return None


def changes(events: Iterable[Event], today: date, validity_months: int = 36) -> list[tuple[str, date, Event | None, int | None]]:
    """What happened to a certificate, in date order up to `today`: ("recognized", day, event,
    None), ("rerated", day, event, stars before), ("revoked", day, event, None) and ("expired",
    day, None, None) on the day a recognition ran out with nothing after it before then."""
    past = sorted((e for e in events if e.date <= today), key=lambda e: e.date)
    found: list[tuple[str, date, Event | None, int | None]] = []
    held: Event | None = None           # the recognition in force
    for event in past:
        if held is not None and (end := add_months(held.date, validity_months)) < event.date:
            found.append(("expired", end, None, None))
            held = None
        if event.stars is None:
            found.append(("revoked", event.date, event, None))
            held = None
        else:
            before = held.stars if held else None
            found.append(("rerated" if before and before != event.stars else "recognized", event.date, event, before))
            held = event
    if held is not None and (end := add_months(held.date, validity_months)) <= today:
        found.append(("expired", end, None, None))
    return found
