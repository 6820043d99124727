"""The typed shape of one product version (one city, one policy year).

A product is data: responsibilities (责任) that take fee-line portions by selectors,
deductibles, ratio schedules with bands, caps at every level, lists, coverage and
waiting-period rules, the cross-year stay rule, and the source of every number. The
engine knows a fixed set of *rule kinds*; a product chooses among them and sets
their numbers. Nothing here names a city.

Every key is documented in ``docs/product-format.md``. The ``load`` functions live in
:mod:`huiminbao_rules.catalog`, the only module that reads files.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from huiminbao_rules.core.errors import ProductError
from huiminbao_rules.claims.models import CatalogueLevel, EncounterKind, Scheme, problems_from_validation
from huiminbao_rules.core.fields import Bool, Day, Int, Text
from huiminbao_rules.core.money import ONE, ZERO, Amount, Rate
from huiminbao_rules.core.vocabulary import PORTIONS, Bucket, Portion

MAX_DAYS = 3660
"""The most days any day count in a product may be (ten years): waiting periods, enrollment
and cover delays, cross-year tails."""


__all__ = [
    "Band",
    "Cap",
    "CombinedCap",
    "Condition",
    "Amendment",
    "CrossYear",
    "DeductiblePool",
    "Deviation",
    "EligibilityRule",
    "PersonalAccount",
    "PremiumCondition",
    "SpecialCase",
    "Subsidy",
    "DeductibleVariant",
    "Enrollment",
    "ListItem",
    "NamedList",
    "Completeness",
    "DRUG_FEE_TYPES",
    "Period",
    "PORTIONS",
    "PreExisting",
    "Product",
    "RatioSchedule",
    "Reference",
    "Responsibility",
    "Rounding",
    "Selector",
    "Source",
    "SubLimit",
    "WaitingPeriod",
    "parse_product",
]

_ID = r"^[a-z][a-z0-9_\-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Source(_Strict):
    """Where a number comes from."""

    title: str
    title_zh: str = Field(default="", description="the title in Chinese, for Chinese output, when the title is not")
    url: str | None = None
    grade: Literal["A", "B", "C", "D", "MEM", "derived", "user"] = Field(
        description="A government/wire, B mainstream media, C aggregator, D public code, MEM unverified memory, "
        "derived: computed from other cited figures, user: supplied by the user at run time"
    )
    clause: str = ""
    note: str = ""


class Cited(_Strict):
    """Anything that carries numbers carries ``source`` (an id in ``product.sources``)."""

    source: str
    verified: Bool = Field(default=True, description="false where the figure could not be confirmed")
    note: str = ""


class Condition(_Strict):
    """``when``: every key that is set must hold (an empty condition always holds)."""

    pre_existing: Bool | None = None
    groups_any: tuple[str, ...] | None = None
    scheme: Scheme | None = None
    min_enrolled_years: Int | None = Field(default=None, ge=1, le=100, description="consecutive years incl. this one")
    max_enrolled_years: Int | None = Field(default=None, ge=1, le=100)
    min_claim_free_years: Int | None = Field(default=None, ge=1, le=100, description="consecutive prior years, none paid")
    settled_through_basic: Bool | None = None

    @model_validator(mode="after")
    def _range(self) -> Condition:
        if (self.min_enrolled_years is not None and self.max_enrolled_years is not None
                and self.min_enrolled_years > self.max_enrolled_years):
            raise ValueError(f"min_enrolled_years {self.min_enrolled_years} is above max_enrolled_years "
                             f"{self.max_enrolled_years}")
        return self

    @property
    def is_always(self) -> bool:
        return all(getattr(self, f) is None for f in type(self).model_fields)


class Period(_Strict):
    start: Day
    end: Day
    assumed: Bool = Field(default=False, description="true where no source states the cover period: every result "
                          "on this product then carries an assumed_period caveat")
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before start {self.start}")
        if (self.end - self.start).days > 2 * 366:
            raise ValueError(f"period {self.start} to {self.end} is longer than two years")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


class Reference(Cited):
    """A figure defined outside the product, e.g. the year's 大病保险 threshold, by scheme."""

    name_zh: str
    name_en: str = ""
    employee: Amount
    resident: Amount

    def for_scheme(self, scheme: str) -> Decimal:
        return self.employee if scheme == "employee" else self.resident


class ListItem(_Strict):
    """A named list's member: matched by national code (``*`` suffix = prefix) or by name prefix
    (see :mod:`huiminbao_rules.rules.classify`)."""

    name: Text
    codes: tuple[str, ...] = ()
    approval_numbers: tuple[str, ...] = Field(default=(), description="批准文号 (国药准字/进口注册证号), for people; "
                                              "lines are matched by code and name")
    indications: tuple[str, ...] = Field(default=(), description="ICD-10 prefixes; empty = any")
    note: str = ""


Completeness = Literal["complete", "partial", "unknown"]
DRUG_FEE_TYPES: tuple[str, ...] = ("09", "10", "11")
"""Fee types (``med_chrgitm_type``) of drugs: 西药, 中药饮片, 中成药."""


class NamedList(_Strict):
    """A named list of drugs, items or institutions, and how much of it is known.

    ``completeness`` says what a line that is *not* found on the list means:

    - ``complete``: every member is here; a line not found is not a member
    - ``partial``: the members here are members, others may be too
    - ``unknown``: the source does not name the members (the list may be empty here)

    A line not found on a list that is not complete has unknown membership; the engine
    pends it where membership would change the outcome (see ``docs/computation.md``).
    ``fee_types`` are the fee types a member can be billed as: a line of another fee type
    is never a member, whatever the completeness (default: drugs for ``drugs`` lists, any
    for ``items``).
    """

    name_zh: str
    name_en: str = ""
    kind: Literal["drugs", "items", "institutions"] = "drugs"
    source: str
    verified: Bool = True
    completeness: Completeness = Field(description="complete, partial or unknown: required, never assumed")
    completeness_source: str | None = Field(default=None, description="source id saying how complete it is; "
                                            "default: the list's source")
    fee_types: tuple[str, ...] | None = Field(default=None, description="fee types a member can be billed as")
    note: str = ""
    items: tuple[ListItem, ...] = ()
    bundled: str | None = Field(default=None, description="id of a bundled national list (huiminbao_rules/lists) whose "
                                "members this list takes; resolved when the catalogue reads the product file")
    user_file: str | None = Field(default=None, description="set on a list supplied by the user: the file it came from")
    user_sha256: str | None = Field(default=None, description="set on a list supplied by the user: sha256 of its content")

    @property
    def member_fee_types(self) -> frozenset[str] | None:
        """Fee types a member can have (None: any)."""
        if self.fee_types is not None:
            return frozenset(self.fee_types)
        return frozenset(DRUG_FEE_TYPES) if self.kind == "drugs" else None

    @property
    def supplied_by_user(self) -> bool:
        return self.user_sha256 is not None


class Selector(_Strict):
    """Which fee-line portions a responsibility takes. Every key that is set must match."""

    portions: tuple[Portion, ...] = Field(min_length=1)
    levels: tuple[CatalogueLevel, ...] | None = None
    fee_types: tuple[str, ...] | None = None
    encounter_kinds: tuple[EncounterKind, ...] | None = None
    in_list: str | None = Field(default=None, description="positive list: the line must be on it, on-indication")
    not_in_list: str | None = Field(default=None, description="negative list: the line must not be on it")
    institutions: str | None = Field(default=None, description="list of institutions the encounter must be at")
    settled_through_basic: Bool | None = None
    weight: Rate = Field(default=ONE, description="share of the portion that counts as eligible")
    source: str | None = Field(default=None, description="required when weight is not 1")


class DeductibleVariant(Cited):
    """One deductible; a responsibility's list of variants is read top-down, first ``when`` that holds."""

    when: Condition = Condition()
    amount: Amount | None = None
    reference: str | None = Field(default=None, description="id in product.references")

    @model_validator(mode="after")
    def _one_of(self) -> DeductibleVariant:
        if (self.amount is None) == (self.reference is None):
            raise ValueError("a deductible has exactly one of amount or reference")
        return self


class Band(_Strict):
    """Pays ``rate`` on the part of the year's cumulative amount from ``from`` up to the next band."""

    from_: Amount = Field(alias="from")
    rate: Rate


class RatioSchedule(Cited):
    """A ratio (``rate``) or bands; a responsibility's schedules are read top-down."""

    when: Condition = Condition()
    rate: Rate | None = None
    bands: tuple[Band, ...] | None = None

    @model_validator(mode="after")
    def _shape(self) -> RatioSchedule:
        if (self.rate is None) == (self.bands is None):
            raise ValueError("a ratio schedule has exactly one of rate or bands")
        if self.bands is not None:
            if not self.bands or self.bands[0].from_ != 0:
                raise ValueError("bands start with one whose from is 0")
            froms = [b.from_ for b in self.bands]
            if froms != sorted(set(froms)):
                raise ValueError("band starts must increase")
        return self

    @cached_property
    def band_list(self) -> tuple[tuple[Decimal, Decimal | None, Decimal], ...]:
        """(from, to or None, rate) for each band."""
        if self.bands is None:
            return ((ZERO, None, self.rate),)  # type: ignore[return-value]
        out = []
        for i, b in enumerate(self.bands):
            to = self.bands[i + 1].from_ if i + 1 < len(self.bands) else None
            out.append((b.from_, to, b.rate))
        return tuple(out)


class Cap(Cited):
    amount: Amount


class SubLimit(Cited):
    """A limit inside a responsibility on the lines ``takes`` selects."""

    id: str = Field(pattern=_ID)
    name_zh: str
    name_en: str = ""
    takes: Selector
    per: Literal["year", "encounter", "item_year"] = Field(description="item_year: per national code per year")
    measure: Literal["payable", "eligible", "count"]
    limit: Amount | None = None
    count: Int | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _shape(self) -> SubLimit:
        if (self.measure == "count") != (self.count is not None) or (self.measure != "count") != (
            self.limit is not None
        ):
            raise ValueError("measure 'count' takes count; 'payable' and 'eligible' take limit")
        return self


class Responsibility(_Strict):
    """One 责任: what it takes, its deductible, ratio schedules, cap and sub-limits."""

    id: str = Field(pattern=_ID)
    name_zh: str
    name_en: str
    bucket: Bucket
    takes: tuple[Selector, ...] = Field(min_length=1)
    deductible: tuple[DeductibleVariant, ...] = ()
    deductible_pool: str | None = Field(default=None, description="id of a shared pool in product.deductible_pools")
    ratio: tuple[RatioSchedule, ...] = Field(min_length=1)
    ratio_basis: Literal["eligible", "after_deductible"] = Field(
        default="eligible",
        description="the axis bands are measured on: the year's cumulative eligible amount (the deductible "
        "included) or that amount less the deductible",
    )
    cap: Cap | None = None
    sub_limits: tuple[SubLimit, ...] = ()
    note: str = ""

    @field_validator("deductible", "ratio", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, Mapping) else v

    @model_validator(mode="after")
    def _shape(self) -> Responsibility:
        if (self.deductible_pool is None) == (not self.deductible):
            raise ValueError(f"responsibility {self.id}: give exactly one of deductible or deductible_pool")
        for name, variants in (("deductible", self.deductible), ("ratio", self.ratio)):
            if variants and not variants[-1].when.is_always:
                raise ValueError(f"responsibility {self.id}: the last {name} must have no 'when', so one always applies")
        return self


class DeductiblePool(_Strict):
    """A deductible shared by several responsibilities."""

    id: str = Field(pattern=_ID)
    name_zh: str
    name_en: str = ""
    deductible: tuple[DeductibleVariant, ...] = Field(min_length=1)

    @field_validator("deductible", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, Mapping) else v

    @model_validator(mode="after")
    def _catch_all(self) -> DeductiblePool:
        if not self.deductible[-1].when.is_always:
            raise ValueError(f"deductible pool {self.id}: the last deductible must have no 'when', so one always applies")
        return self


class CombinedCap(Cited):
    """One cap over the payable of several responsibilities (applies when ``when`` holds)."""

    id: str = Field(pattern=_ID)
    name_zh: str
    name_en: str = ""
    responsibilities: tuple[str, ...] = Field(min_length=2)
    amount: Amount
    when: Condition = Condition()

    @field_validator("responsibilities")
    @classmethod
    def _once(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            raise ValueError(f"names responsibility {', '.join(dup)} more than once; name each once")
        return values


class ConditionDefinition(_Strict):
    id: str = Field(pattern=_ID)
    name_zh: str
    icd10: tuple[str, ...] = Field(default=(), description="ICD-10 prefixes of related diagnoses")


class PreExisting(Cited):
    """How the product decides whether a pre-existing (既往症) schedule applies.

    - ``none``: it never does (the product pays everyone alike)
    - ``person``: the person declared one of ``conditions`` (any declared condition if the list is empty)
    - ``related_claim``: the person declared a condition *and* the encounter's diagnoses match its ICD-10
      prefixes; unrelated encounters of the same person are paid normally
    """

    basis: Literal["none", "person", "related_claim"]
    conditions: tuple[ConditionDefinition, ...] = ()


class WaitingPeriod(Cited):
    """Days after coverage starts during which encounters are not paid.

    - ``late_enrollment``: enrolled after the enrollment window closed
    - ``new_enrollee``: not enrolled the year before, in a year after the product's first
    - ``gap_in_enrollment``: enrolled in some earlier year, but not the year before
    """

    applies_to: Literal["late_enrollment", "new_enrollee", "gap_in_enrollment"]
    days: Int = Field(ge=1, le=MAX_DAYS)
    exempt_groups: tuple[str, ...] = ()


Relation = Literal["self", "spouse", "child", "parent", "sibling", "grandparent", "grandchild", "other"]


class EligibilityRule(Cited):
    """One way to be eligible to enroll: every key that is set must hold."""

    basic_insurance_cities: tuple[str, ...] | None = Field(default=None, description="cities (pinyin) whose basic insurance qualifies")
    basic_insurance_levels: tuple[Literal["city", "provincial", "industry"], ...] | None = None
    household_cities: tuple[str, ...] | None = Field(default=None, description="户籍 in one of these cities")
    residence_permit_city: str | None = None
    min_residence_permit_years: Int | None = Field(default=None, ge=0, le=150)
    requires_basic_insurance: Bool = Field(default=True, description="must be in some basic insurance scheme")


class SpecialCase(Cited):
    """An event that opens enrollment outside the window for the people in ``group``
    (newborns, transferred military, household migration, basic insurance restored)."""

    group: str = Field(description="the insured's group that marks the event, e.g. newborn")
    enroll_within_days: Int = Field(ge=0, le=MAX_DAYS, description="days after the event (a newborn's birth) to enroll in")
    waiting_days: Int = Field(default=0, ge=0, le=MAX_DAYS, description="0: no waiting period; else this one instead of the product's")


class PersonalAccount(Cited):
    """Who an employee-scheme member's personal account (个人账户/历年账户) may pay for."""

    relations: tuple[Relation, ...] = Field(min_length=1)
    consent_required: Bool = True
    insufficient_balance: Literal["split", "cash", "refuse"] = Field(
        description="split: the account pays what it holds, cash the rest; cash: the account pays nothing; "
        "refuse: the person is not enrolled"
    )


class Subsidy(Cited):
    """A government (or employer, collective) subsidy of the premium for some groups."""

    groups: tuple[str, ...] = Field(min_length=1)
    amount: Amount | None = Field(default=None, description="per person; none = the whole premium")
    payer: str = "government"
    once_with_other_poverty_insurance: Bool = Field(
        default=True, description="a person subsidised for another policy-type poverty insurance is not subsidised again")


class Enrollment(_Strict):
    window: Period | None = None
    window_source: str | None = None
    cover_starts_days_after_enrollment: Int = Field(
        default=1, ge=0, le=366, description="for an enrollment on or after the period start; 1 = the next day"
    )
    cover_start_source: str | None = None
    waiting_periods: tuple[WaitingPeriod, ...] = ()
    late_enrollment: Bool = Field(default=False, description="enrollment after the window (until the period ends)")
    late_enrollment_source: str | None = None
    eligibility: tuple[EligibilityRule, ...] = Field(
        default=(), description="empty: anyone in the product city's basic insurance")
    excludes_other_city_products: Bool = False
    excludes_other_city_products_source: str | None = None
    special_cases: tuple[SpecialCase, ...] = ()
    personal_account: PersonalAccount | None = None
    subsidies: tuple[Subsidy, ...] = ()


class CrossYear(Cited):
    """A stay that crosses the edge of the policy period (see ``docs/computation.md``).

    - ``discharge_year``: the whole stay counts in the policy year of its discharge date
    - ``to_discharge``: counts in the admission year, covered to discharge
    - ``ends_at_expiry``: counts in the admission year; if not renewed, cover ends at expiry
      (costs pro-rated by days)
    - ``admission_year_tail``: counts in the admission year; if not renewed, covered ``tail_days``
      after expiry, a longer stay pro-rated by days
    """

    rule: Literal["discharge_year", "to_discharge", "ends_at_expiry", "admission_year_tail"]
    tail_days: Int = Field(default=0, ge=0, le=MAX_DAYS)

    @property
    def by_admission(self) -> bool:
        return self.rule != "discharge_year"


class Rounding(Cited):
    mode: Literal["ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_DOWN"] = "ROUND_HALF_UP"
    step: Decimal = Field(default=Decimal("0.01"), description="0.01 (fen) or 1 (yuan)")

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, v: Any) -> Any:
        from decimal import InvalidOperation

        if isinstance(v, bool) or not isinstance(v, (int, str, Decimal)):
            raise ValueError("rounding step is 0.01 (fen) or 1 (yuan)")
        if isinstance(v, str) and v not in ("0.01", "1"):
            raise ValueError(f"rounding step {v!r} is not \"0.01\" (fen) or \"1\" (yuan)")
        try:
            d = Decimal(v)
        except InvalidOperation:
            raise ValueError(f"rounding step {v!r} is not a number; it is 0.01 (fen) or 1 (yuan)") from None
        # Normalised, so 1.0 or "0.010" mean what they say and not a finer quantum.
        if d == Decimal("0.01"):
            return Decimal("0.01")
        if d == 1:
            return Decimal("1")
        raise ValueError("rounding step is 0.01 (fen) or 1 (yuan)")


class PremiumCondition(_Strict):
    """Who a premium applies to: every key that is set must hold (ages at the period start)."""

    min_age: Int | None = Field(default=None, ge=0, le=150)
    max_age: Int | None = Field(default=None, ge=0, le=150)
    sex: Literal["female", "male"] | None = None
    groups_any: tuple[str, ...] | None = None
    pre_existing: Bool | None = None

    @model_validator(mode="after")
    def _ages(self) -> PremiumCondition:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")
        return self


class Premium(Cited):
    """A premium; the first whose ``tier`` and ``when`` fit a person is theirs."""

    amount: Amount
    applies_to: str = "everyone"
    tier: str | None = Field(default=None, description="a named tier (多档) a person may ask for")
    when: PremiumCondition = PremiumCondition()


class Deviation(Cited):
    """A known departure from a regulatory profile's rule, recorded with its source, so the
    contract tests accept it knowingly (see ``huiminbao check``)."""

    profile: str = Field(description="profile id, e.g. hangzhou-2020")
    rule: str = Field(description="rule id within that profile")


class Amendment(Cited):
    """This version changes another version of the same policy year (e.g. a retroactive
    deductible cut); ``on`` is when the change was announced."""

    amends: str = Field(description="id of the version it changes")
    on: Day


class Product(_Strict):
    """One product version: a city's 惠民保 for one policy year."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_\-~]*$")
    city: str = Field(pattern=r"^[a-z]+$", description="lower-case pinyin")
    city_zh: str
    name: str
    name_en: str = ""
    policy_year: Int = Field(ge=2015, le=2100)
    first_year: Int | None = Field(default=None, ge=2000, le=2100, description="the product's first policy year")
    period: Period
    premiums: tuple[Premium, ...] = ()
    sources: dict[str, Source] = Field(min_length=1)
    references: dict[str, Reference] = {}
    lists: dict[str, NamedList] = {}
    pre_existing: PreExisting
    enrollment: Enrollment = Enrollment()
    cross_year: CrossYear
    responsibilities: tuple[Responsibility, ...] = Field(min_length=1)
    deductible_pools: tuple[DeductiblePool, ...] = ()
    combined_caps: tuple[CombinedCap, ...] = ()
    total_cap: Cap | None = None
    indemnity_source: str
    rounding: Rounding
    amendment: Amendment | None = None
    deviations: tuple[Deviation, ...] = ()
    limitations: str = ""
    limitations_zh: str = Field(default="", description="the limitations in Chinese, for Chinese output")

    @model_validator(mode="after")
    def _references(self) -> Product:
        problems: list[str] = []
        resp_ids = [r.id for r in self.responsibilities]
        if len(resp_ids) != len(set(resp_ids)):
            problems.append("responsibility ids repeat")
        pools = {p.id: p for p in self.deductible_pools}
        if len(pools) != len(self.deductible_pools):
            problems.append("deductible pool ids repeat")
        clash = sorted(set(pools) & set(resp_ids))
        if clash:
            problems.append(f"deductible pool ids must differ from responsibility ids (each responsibility with "
                            f"its own deductible is its own pool): {', '.join(clash)}")
        for where, cited in self._cited():
            if cited.source not in self.sources:
                problems.append(f"{where}: source {cited.source!r} is not in [sources]")
        for r in self.responsibilities:
            problems.extend(self._responsibility_problems(r, pools))
        for c in self.combined_caps:
            for rid in c.responsibilities:
                if rid not in resp_ids:
                    problems.append(f"combined cap {c.id}: no responsibility {rid!r}")
        problems.extend(self._uncited_sources())
        if self.first_year is not None and self.first_year > self.policy_year:
            problems.append("first_year is after policy_year")
        if self.amendment is not None and self.amendment.amends == self.id:
            problems.append(f"amendment.amends {self.amendment.amends!r} is this product's own id; an amendment "
                            "changes another version")
        windows = [("enrollment.window", self.enrollment.window)] if self.enrollment.window is not None else []
        for name, w in windows:
            if w.start > self.period.end:  # type: ignore[union-attr]
                problems.append(f"{name} starts {w.start} after the policy period ends {self.period.end}")  # type: ignore[union-attr]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _responsibility_problems(self, r: Responsibility, pools: Mapping[str, DeductiblePool]) -> list[str]:
        """What responsibility ``r`` refers to that the product does not define."""
        problems: list[str] = []
        if r.deductible_pool is not None and r.deductible_pool not in pools:
            problems.append(f"responsibility {r.id}: no deductible pool {r.deductible_pool!r}")
        for variants in (r.deductible, pools[r.deductible_pool].deductible if r.deductible_pool in pools else ()):
            for v in variants:
                if v.reference is not None and v.reference not in self.references:
                    problems.append(f"responsibility {r.id}: no reference {v.reference!r}")
        selectors = list(r.takes) + [s.takes for s in r.sub_limits]
        for s in selectors:
            for lst in (s.in_list, s.not_in_list, s.institutions):
                if lst is not None and lst not in self.lists:
                    problems.append(f"responsibility {r.id}: no list {lst!r}")
            if s.weight != ONE and (s.source is None or s.source not in self.sources):
                problems.append(f"responsibility {r.id}: a weight of {s.weight} needs a source")
        ids = [s.id for s in r.sub_limits]
        if len(ids) != len(set(ids)):
            problems.append(f"responsibility {r.id}: sub-limit ids repeat")
        return problems

    def _uncited_sources(self) -> list[str]:
        """The lists' and the enrollment's sources that are not in ``[sources]``."""
        problems: list[str] = []
        for lid, lst in self.lists.items():
            if lst.source not in self.sources:
                problems.append(f"list {lid}: source {lst.source!r} is not in [sources]")
            if lst.completeness_source is not None and lst.completeness_source not in self.sources:
                problems.append(f"list {lid}: completeness_source {lst.completeness_source!r} is not in [sources]")
        for name, src in (("enrollment.window_source", self.enrollment.window_source),
                          ("enrollment.cover_start_source", self.enrollment.cover_start_source),
                          ("enrollment.late_enrollment_source", self.enrollment.late_enrollment_source),
                          ("enrollment.excludes_other_city_products_source",
                           self.enrollment.excludes_other_city_products_source),
                          ("indemnity_source", self.indemnity_source)):
            if src is not None and src not in self.sources:
                problems.append(f"{name}: {src!r} is not in [sources]")
        return problems

    def _cited(self) -> list[tuple[str, Cited]]:
        out: list[tuple[str, Cited]] = [("pre_existing", self.pre_existing), ("cross_year", self.cross_year),
                                        ("rounding", self.rounding)]
        out += [(f"premiums[{i}]", p) for i, p in enumerate(self.premiums)]
        out += [(f"deviations[{i}]", d) for i, d in enumerate(self.deviations)]
        if self.amendment is not None:
            out.append(("amendment", self.amendment))
        out += [(f"references.{k}", v) for k, v in self.references.items()]
        e = self.enrollment
        out += [(f"enrollment.waiting_periods[{i}]", w) for i, w in enumerate(e.waiting_periods)]
        out += [(f"enrollment.eligibility[{i}]", r) for i, r in enumerate(e.eligibility)]
        out += [(f"enrollment.special_cases[{i}]", c) for i, c in enumerate(e.special_cases)]
        out += [(f"enrollment.subsidies[{i}]", c) for i, c in enumerate(e.subsidies)]
        if e.personal_account is not None:
            out.append(("enrollment.personal_account", e.personal_account))
        if self.total_cap:
            out.append(("total_cap", self.total_cap))
        out += [(f"combined_caps.{c.id}", c) for c in self.combined_caps]
        for p in self.deductible_pools:
            out += [(f"deductible_pools.{p.id}.deductible", v) for v in p.deductible]
        for r in self.responsibilities:
            out += [(f"responsibilities.{r.id}.deductible", v) for v in r.deductible]
            out += [(f"responsibilities.{r.id}.ratio", v) for v in r.ratio]
            if r.cap:
                out.append((f"responsibilities.{r.id}.cap", r.cap))
            out += [(f"responsibilities.{r.id}.sub_limits.{s.id}", s) for s in r.sub_limits]
        return out

    # ---- conveniences the engine and explanations use -------------------------------

    @cached_property
    def responsibility_by_id(self) -> dict[str, Responsibility]:
        return {r.id: r for r in self.responsibilities}

    @cached_property
    def pool_by_id(self) -> dict[str, DeductiblePool]:
        return {p.id: p for p in self.deductible_pools}

    def pool_of(self, responsibility: Responsibility) -> str:
        """The deductible pool a responsibility draws on (its own unless shared)."""
        return responsibility.deductible_pool or responsibility.id

    def deductible_variants(self, responsibility: Responsibility) -> tuple[DeductibleVariant, ...]:
        if responsibility.deductible_pool is not None:
            return self.pool_by_id[responsibility.deductible_pool].deductible
        return responsibility.deductible

    def source_label(self, source_id: str | None, lang: str = "en") -> str:
        """A source's title and grade, for people (its Chinese title, if it has one, for ``lang="zh"``)."""
        if source_id is None:
            return ""
        src = self.sources.get(source_id)
        if src is None:
            return source_id
        return f"{src.title_zh if lang == 'zh' and src.title_zh else src.title} ({src.grade})"

    def with_changes(self, changes: Mapping[str, Any], *, id: str | None = None) -> Product:  # noqa: A002
        """A variant of this product with some clauses changed, for what-if runs.

        ``changes`` maps clause paths to new values. A path names responsibilities, sub-limits,
        pools and combined caps by id and list items by index::

            product.with_changes({
                "responsibilities.in_list.deductible[0].amount": "15000",
                "responsibilities.in_list.ratio[0].bands[1].rate": "0.85",
                "total_cap.amount": "4000000",
            })

        The variant is validated like any product (amounts as strings or ints: never
        floats) and gets the id ``<id>~variant`` unless ``id`` is given, so its year-to-date
        accumulators never mix with the original's.
        """
        data = _lists(self.model_dump(mode="python", by_alias=True))
        for path, value in changes.items():
            _set_path(data, path, value)
        data["id"] = id or f"{self.id}~variant"
        return parse_product(data, f"{self.id} with changes")

    def with_list(self, name: str, items: tuple[ListItem, ...], *, file: str, sha256: str,
                  id: str | None = None) -> Product:  # noqa: A002
        """A variant of this product whose list ``name`` holds ``items``, supplied by the user
        (e.g. an insurer's real special-drug list, read by
        :func:`huiminbao_rules.catalog.read_user_list`). The list is then ``complete``; every
        result it decides carries a ``user_list`` caveat naming ``file`` and ``sha256``.
        The variant's id is ``<id>~<name>`` unless ``id`` is given."""
        if name not in self.lists:
            raise ProductError(f"product {self.id} has no list {name!r}; its lists: {', '.join(self.lists) or 'none'}")
        data = _lists(self.model_dump(mode="python", by_alias=True))
        src_id = f"user-list-{name}"
        data["sources"][src_id] = {"title": f"list supplied by the user: {file}", "grade": "user",
                                   "note": f"sha256 {sha256}"}
        lst = data["lists"][name]
        lst.update(items=[i.model_dump(mode="python") for i in items], completeness="complete",
                   completeness_source=src_id, source=src_id, verified=True, user_file=file, user_sha256=sha256,
                   note=f"supplied by the user ({file}); replaces the bundled list")
        data["id"] = id or f"{self.id}~{name}"
        return parse_product(data, f"{self.id} with list {name} from {file}")

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the product's content (every clause and number, canonically written): two
        files with the same id but any difference have different hashes. A year-to-date record
        carries it, so accumulators made under one file are never used with another."""
        import hashlib
        import json

        text = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @cached_property
    def compiled(self) -> dict[str, Any]:
        """Forms of this product compiled for speed, built on first use by the modules that
        own them (the fee-line classifier of :func:`huiminbao_rules.rules.classify.classifier_of`).
        The product is immutable, so each stays true for its life."""
        return {}


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _lists(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_lists(v) for v in node]
    return node


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _set_path(data: Any, path: str, value: Any) -> None:
    """Set ``value`` at a clause path in a product's dumped data (see ``with_changes``)."""
    steps: list[str | int] = [int(i) if i else name for name, i in _STEP.findall(path)]
    if not steps:
        raise ProductError(f"empty clause path {path!r}")
    node = data
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise ProductError(f"clause path {path!r}: no item [{step}]")
            if last:
                node[step] = value
            else:
                node = node[step]
        elif isinstance(node, list):  # a list of things with ids
            found = next((x for x in node if isinstance(x, dict) and x.get("id") == step), None)
            if found is None:
                known = [x.get("id") for x in node if isinstance(x, dict)]
                raise ProductError(f"clause path {path!r}: no {step!r}; known: {', '.join(map(str, known))}")
            if last:
                raise ProductError(f"clause path {path!r} names a whole item; name one of its keys")
            node = found
        elif isinstance(node, dict):
            if last:
                node[step] = value
            elif node.get(step) is None:
                raise ProductError(f"clause path {path!r}: {step!r} is not set in this product")
            else:
                node = node[step]
        else:
            raise ProductError(f"clause path {path!r}: cannot go into {step!r}")


def parse_product(data: Mapping[str, Any], origin: str | None = None) -> Product:
    """Validate a product from a mapping (e.g. TOML read with ``parse_float=Decimal``)."""
    try:
        return Product.model_validate(data)
    except ValidationError as exc:
        lines = "; ".join(str(p) for p in problems_from_validation(exc))
        raise ProductError(f"invalid product: {lines}", origin) from None


