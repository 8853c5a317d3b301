"""SPEC §5: status from events and a date; authorities by date; score classes."""
from datetime import date

import pytest

from generator.site.model import DEFAULT_AUTHORITIES, Decision, Event
from generator.site.status import add_months, issuer_allowed, standing, stars_for_score

D = date.fromisoformat


def rec(day: str, stars: int = 3, number: str = "1") -> Event:
    return Event(Decision("d.yaml", number, D(day), "province", None, ""), "p", stars=stars)


def rev(day: str, number: str = "9") -> Event:
    return Event(Decision("r.yaml", number, D(day), "province", None, ""), "p")


@pytest.mark.parametrize("start, months, end", [
    ("2024-02-29", 36, "2027-02-28"),     # leap day clamps to the end of February
    ("2023-01-31", 1, "2023-02-28"),
    ("2024-01-31", 1, "2024-02-29"),
    ("2025-09-12", 36, "2028-09-12"),
    ("2025-12-31", 12, "2026-12-31"),
    ("2025-11-30", 3, "2026-02-28"),
    ("2022-10-10", 0, "2022-10-10"),
])
def test_add_months(start, months, end):
    assert add_months(D(start), months) == D(end)


CASES = [
    # events, today, status, stars, valid_until
    ([], "2026-01-01", "unrated", None, None),
    ([rec("2027-01-01")], "2026-01-01", "unrated", None, None),                # a future event does not count yet
    ([rec("2025-09-12")], "2025-09-12", "valid", 3, "2028-09-12"),             # valid from its own date
    ([rec("2025-09-12")], "2028-06-14", "valid", 3, "2028-09-12"),             # exactly 90 days left: still valid
    ([rec("2025-09-12")], "2028-06-15", "expiring", 3, "2028-09-12"),          # 89 days left
    ([rec("2025-09-12")], "2028-09-11", "expiring", 3, "2028-09-12"),          # 1 day left
    ([rec("2025-09-12")], "2028-09-12", "expired", 3, "2028-09-12"),           # runs out on valid_until itself
    ([rec("2024-02-29")], "2027-02-27", "expiring", 3, "2027-02-28"),
    ([rec("2024-02-29")], "2027-02-28", "expired", 3, "2027-02-28"),
    ([rec("2022-01-01", 3), rec("2024-06-01", 4)], "2026-01-01", "valid", 4, "2027-06-01"),   # re-rated up
    ([rec("2022-01-01", 4), rec("2024-06-01", 3)], "2026-01-01", "valid", 3, "2027-06-01"),   # down-graded
    ([rec("2022-01-01", 4), rec("2024-06-01", 3)], "2023-01-01", "valid", 4, "2025-01-01"),   # before re-rating
    ([rec("2022-01-01"), rev("2023-01-01")], "2023-01-01", "revoked", 3, "2025-01-01"),
    ([rec("2022-01-01"), rev("2023-01-01")], "2026-01-01", "revoked", 3, "2025-01-01"),      # stays revoked
    ([rec("2022-01-01"), rev("2023-01-01")], "2022-12-31", "valid", 3, "2025-01-01"),        # not yet revoked
    ([rec("2022-01-01"), rev("2023-01-01"), rec("2024-01-01", 4)], "2024-02-01", "valid", 4, "2027-01-01"),
    ([rec("2024-01-01", 4), rec("2022-01-01", 3)], "2024-02-01", "valid", 4, "2027-01-01"),  # order of input ignored
]


@pytest.mark.parametrize("events, today, status, stars, valid_until", CASES)
def test_standing(events, today, status, stars, valid_until):
    s = standing(events, D(today))
    assert (s.status, s.stars, s.valid_until) == (status, stars, D(valid_until) if valid_until else None)


def test_days_left_and_revocation_recorded():
    s = standing([rec("2025-09-12")], D("2028-09-01"))
    assert s.days_left == 11
    r = standing([rec("2022-01-01"), rev("2023-01-01", "905/QĐ")], D("2024-01-01"))
    assert r.revocation.decision.number == "905/QĐ" and r.recognition.date == D("2022-01-01")


def test_validity_and_window_are_settings():
    assert standing([rec("2025-01-01")], D("2026-01-01"), validity_months=12).status == "expired"
    assert standing([rec("2025-01-01")], D("2027-12-01"), expiring_days=0).status == "valid"
    assert standing([rec("2025-01-01")], D("2027-12-01"), expiring_days=32).status == "expiring"


@pytest.mark.parametrize("stars, issuer, day, allowed", [
    (3, "district", "2025-07-05", True),      # last day of district recognition
    (3, "district", "2025-07-06", False),     # Decision 1489 moved it to the province
    (3, "province", "2025-07-05", False),
    (3, "province", "2025-07-06", True),
    (4, "province", "2020-01-01", True),
    (4, "district", "2020-01-01", False),
    (5, "national", "2026-01-01", True),
    (5, "province", "2026-01-01", False),
])
def test_authorities(stars, issuer, day, allowed):
    assert issuer_allowed(DEFAULT_AUTHORITIES, stars, issuer, D(day)) is allowed


@pytest.mark.parametrize("score, stars", [
    (49.9, None), (50, 3), (69.5, 3), (69.99, 3), (70, 4), (89.9, 4), (90, 5), (100, 5), (100.5, None), (0, None),
])
def test_score_classes(score, stars):
    assert stars_for_score(score) == stars


@pytest.mark.parametrize("events, today, found", [
    ([rec("2020-01-10")], "2022-01-01", [("recognized", "2020-01-10")]),
    ([rec("2020-01-10")], "2023-01-10", [("recognized", "2020-01-10"), ("expired", "2023-01-10")]),   # ran out that day
    ([rec("2020-01-10"), rec("2022-05-01", 4)], "2024-01-01", [("recognized", "2020-01-10"), ("rerated", "2022-05-01")]),
    ([rec("2020-01-10"), rec("2022-05-01", 3)], "2024-01-01", [("recognized", "2020-01-10"), ("recognized", "2022-05-01")]),
    ([rec("2018-01-10"), rec("2022-05-01", 4)], "2024-01-01",           # lapsed in between: recognised anew
     [("recognized", "2018-01-10"), ("expired", "2021-01-10"), ("recognized", "2022-05-01")]),
    ([rec("2020-01-10"), rev("2021-03-01")], "2030-01-01", [("recognized", "2020-01-10"), ("revoked", "2021-03-01")]),
    ([rec("2020-01-10"), rev("2024-03-01")], "2030-01-01",                # a lapsed certificate revoked
     [("recognized", "2020-01-10"), ("expired", "2023-01-10"), ("revoked", "2024-03-01")]),
    ([rec("2027-01-01")], "2026-01-01", []),
])
def test_certification_changes(events, today, found):
    from generator.site.status import changes
    assert [(kind, day.isoformat()) for kind, day, _, _ in changes(events, D(today))] == found
