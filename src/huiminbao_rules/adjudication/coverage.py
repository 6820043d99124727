"""From enrollment to cover: when a person's cover starts under a product version, the
waiting period that applies, and the facts that choose deductibles and ratio schedules.

Pure functions of an :class:`~huiminbao_rules.claims.models.Insured` and a
:class:`~huiminbao_rules.rules.product.Product`; enrollment and adjudication share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from huiminbao_rules.claims.history import History, history_of
from huiminbao_rules.claims.models import Encounter, Insured
from huiminbao_rules.rules.product import Condition, Product, SpecialCase, WaitingPeriod

__all__ = ["Cover", "Facts", "cover_for", "cover_of", "facts_for", "facts_of", "holds", "special_case_of"]


@dataclass(frozen=True, slots=True)
class Cover:
    """When cover starts and, where a waiting period applies, its last day."""

    start: date
    waiting_until: date | None
    waiting: WaitingPeriod | SpecialCase | None
    waiting_index: int | None
    late: bool
    special: SpecialCase | None = None
    special_index: int | None = None


def special_case_of(insured: Insured | History, product: Product) -> tuple[int, SpecialCase] | None:
    """The product's special case this person enrolled under, if any: one of their groups
    has one and they enrolled within its days of the event (a newborn's event is birth)."""
    h = insured if isinstance(insured, History) else history_of(insured, product.policy_year)
    for i, case in enumerate(product.enrollment.special_cases):
        if case.group in h.groups:
            event = h.event_on or (h.newborn_birth if case.group == "newborn" else None)
            if event is not None and event <= h.enrolled_on <= event + timedelta(days=case.enroll_within_days):
                return i, case
    return None


def cover_of(insured: Insured, product: Product) -> Cover:
    """Cover start and waiting period for ``insured`` under ``product`` (:func:`cover_for`
    of the person's :func:`~huiminbao_rules.claims.history.history_of`)."""
    return cover_for(history_of(insured, product.policy_year), product)


def cover_for(history: History, product: Product) -> Cover:
    """Cover start and waiting period for a person of this ``history`` under ``product``.

    Enrolled before the period starts: cover starts with the period. Enrolled on or
    after: ``enrollment.cover_starts_days_after_enrollment`` days later. A person enrolled
    under a special case (a newborn within its days of birth …) is not a late enrollee and
    waits only the case's ``waiting_days``. Otherwise, of the product's waiting periods the
    first that applies (and does not exempt one of the person's groups) counts from the
    cover start.
    """
    h = history
    period, rules = product.period, product.enrollment
    if h.enrolled_on < period.start:
        start = period.start
    else:
        start = h.enrolled_on + timedelta(days=rules.cover_starts_days_after_enrollment)
    year = product.policy_year
    special = special_case_of(h, product)
    if special is not None:
        i, case = special
        until = start + timedelta(days=case.waiting_days - 1) if case.waiting_days else None
        return Cover(start, until, case if until else None, None, False, case, i)
    late = rules.window is not None and h.enrolled_on > rules.window.end
    new = not h.enrolled_last_year and product.first_year is not None and year > product.first_year
    applies = {"late_enrollment": late, "new_enrollee": new, "gap_in_enrollment": h.gap}
    for i, w in enumerate(rules.waiting_periods):
        if applies[w.applies_to] and not h.groups.intersection(w.exempt_groups):
            return Cover(start, start + timedelta(days=w.days - 1), w, i, late)
    return Cover(start, None, None, None, late)


@dataclass(frozen=True, slots=True)
class Facts:
    """What a :class:`~huiminbao_rules.rules.product.Condition` is judged on, for one encounter."""

    pre_existing: bool
    groups: frozenset[str]
    scheme: str
    enrolled_years: int
    claim_free_years: int
    settled_through_basic: bool


def _pre_existing(history: History, encounter: Encounter, product: Product) -> bool:
    rule = product.pre_existing
    declared = history.pre_existing
    if rule.basis == "none" or not declared:
        return False
    listed = {c.id: c for c in rule.conditions}
    if rule.basis == "person":
        return bool(declared & listed.keys()) if listed else True
    for cid in declared & listed.keys():
        prefixes = listed[cid].icd10
        if any(d.startswith(p) for d in encounter.diagnoses for p in prefixes):
            return True
    return False


def facts_of(insured: Insured, encounter: Encounter, product: Product) -> Facts:
    """The facts of one encounter (:func:`facts_for` of the person's history)."""
    return facts_for(history_of(insured, product.policy_year), encounter, product)


def facts_for(history: History, encounter: Encounter, product: Product) -> Facts:
    """What the product's conditions are judged on for one encounter of a person of this
    ``history``: the encounter gives its diagnoses and whether basic insurance settled it."""
    return Facts(
        pre_existing=_pre_existing(history, encounter, product),
        groups=history.groups,
        scheme=history.scheme,
        enrolled_years=1 + history.years_before,
        claim_free_years=history.claim_free_before,
        settled_through_basic=encounter.settled_through_basic,
    )


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether every key the condition sets holds for these facts."""
    c = condition
    if c.pre_existing is not None and c.pre_existing != facts.pre_existing:
        return False
    if c.groups_any is not None and not facts.groups.intersection(c.groups_any):
        return False
    if c.scheme is not None and c.scheme != facts.scheme:
        return False
    if c.min_enrolled_years is not None and facts.enrolled_years < c.min_enrolled_years:
        return False
    if c.max_enrolled_years is not None and facts.enrolled_years > c.max_enrolled_years:
        return False
    if c.min_claim_free_years is not None and facts.claim_free_years < c.min_claim_free_years:
        return False
    if c.settled_through_basic is not None and c.settled_through_basic != facts.settled_through_basic:
        return False
    return True
