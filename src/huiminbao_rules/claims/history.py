"""What a person's history means: the one definition of which facts about an insured
person change what a product does in a policy year.

Cover (when it starts, which waiting period applies, a special case), the facts that
choose deductibles and ratio schedules (scheme, groups, years enrolled, claim-free years,
pre-existing conditions) and the cross-year rules (enrolled last year, renewed next
year) read a person only through :func:`history_of`. Two people with the same
:class:`History` for a year are adjudicated alike, claim for claim: the columnar engine
groups people by it, and :func:`insured_of` gives one person standing for each group.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from huiminbao_rules.claims.models import EnrollmentYear, Insured

__all__ = ["History", "enrolled_as", "history_of", "insured_of", "standing"]


class History(NamedTuple):
    """What the rules read of a person for one policy year (hashable: a grouping key)."""

    scheme: str
    """职工 ``employee`` or 居民 ``resident``."""
    enrolled_on: date
    """The day the enrollment was made (cover start, late enrollment, special cases)."""
    groups: frozenset[str]
    """Special groups (waiting-period exemptions, special cases, conditions)."""
    pre_existing: frozenset[str]
    """Declared pre-existing condition ids."""
    event_on: date | None
    """The day of a special-case event, as given."""
    newborn_birth: date | None
    """The birth date, where it can be a special case's event: a person in the
    ``newborn`` group with no ``event_on``; None otherwise (the birth date matters to no
    other rule)."""
    years_before: int
    """Consecutive policy years enrolled just before this one."""
    claim_free_before: int
    """Of those, how many consecutive years just before this one paid the person nothing."""
    gap: bool
    """Not enrolled last year, but enrolled in an earlier year."""
    renewed: bool
    """Enrolled for the next policy year."""

    @property
    def enrolled_last_year(self) -> bool:
        return self.years_before > 0


def standing(history: Iterable[EnrollmentYear], year: int) -> tuple[int, int, bool, bool]:
    """``(years_before, claim_free_before, gap, renewed)`` of an enrollment history for
    policy ``year`` (see :class:`History`).

    >>> h = [EnrollmentYear(year=y, enrolled=True, paid=p) for y, p in ((2021, "0"), (2022, "5.00"), (2023, "0"))]
    >>> standing(h, 2024), standing(h, 2025), standing(h, 2022)
    ((3, 1, False, False), (0, 0, True, False), (1, 1, False, True))
    """
    by_year = {h.year: h for h in history}

    def enrolled(y: int) -> bool:
        h = by_year.get(y)
        return bool(h and h.enrolled)

    before = 0
    while enrolled(year - 1 - before):
        before += 1
    free = 0
    while free < before and by_year[year - 1 - free].paid == 0:
        free += 1
    gap = before == 0 and any(h.enrolled and h.year < year - 1 for h in by_year.values())
    return before, free, gap, enrolled(year + 1)


def history_of(insured: Insured, year: int) -> History:
    """What the rules read of ``insured`` for policy ``year``."""
    before, free, gap, renewed = standing(insured.history, year)
    groups = frozenset(insured.groups)
    return History(
        scheme=insured.scheme, enrolled_on=insured.enrolled_on, groups=groups,
        pre_existing=frozenset(insured.pre_existing), event_on=insured.event_on,
        newborn_birth=insured.birth_date if insured.event_on is None and "newborn" in groups else None,
        years_before=before, claim_free_before=free, gap=gap, renewed=renewed,
    )


def enrolled_as(history: History, enrolled_on: date) -> History:
    """``history`` of a person who enrolled on ``enrolled_on`` instead. The enrolment day is
    carried as given and no other field of a history reads it, so for any person ``p``,
    ``history_of(p.model_copy(update={"enrolled_on": d}), year) == enrolled_as(history_of(p, year), d)``:
    the columnar engine works a history out once per everything else, then per day."""
    return history._replace(enrolled_on=enrolled_on)


_NO_BIRTH = date(1900, 1, 1)


def insured_of(history: History, year: int, insured_id: str) -> Insured:
    """A person with exactly this ``history`` for policy ``year``: ``history_of`` of the
    result is ``history`` (the columnar engine adjudicates one for each group)."""
    rows = [EnrollmentYear(year=year - 1 - i, enrolled=True, paid="0.00" if i < history.claim_free_before else "1.00")
            for i in range(history.years_before)]
    if history.gap:
        rows.append(EnrollmentYear(year=year - 2, enrolled=True))
    if history.renewed:
        rows.append(EnrollmentYear(year=year + 1, enrolled=True))
    birth = history.newborn_birth or min(_NO_BIRTH, history.enrolled_on)
    return Insured(id=insured_id, birth_date=birth, scheme=history.scheme,  # type: ignore[arg-type]
                   enrolled_on=history.enrolled_on, pre_existing=tuple(sorted(history.pre_existing)),
                   groups=tuple(sorted(history.groups)), history=tuple(rows), event_on=history.event_on)
