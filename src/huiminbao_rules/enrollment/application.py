"""Enrollment: may each person on an application enroll in a product version, from when
are they covered, what premium is due, and who pays it.

Pure, like the engine. Eligibility looks only at basic insurance (scheme, city, status),
registration or residence where the product asks for them, another city's product, and
the enrollment window with its special cases: **never** at age, health, medical history
or occupation (both seed policy documents forbid such preconditions; a property test
holds the library to it). Age, sex and health can only change the premium, and only
where the product's own premium table prices by them.

Cover start and waiting period come from :func:`huiminbao_rules.adjudication.coverage.cover_of`, the
same function adjudication uses, applied to the :class:`~huiminbao_rules.claims.models.Insured`
each decision hands back, so an enrollment and the claims that follow agree.

Who pays, in this order: a subsidy for the person's group (once: not when another
policy-type poverty insurance already subsidises them); then, if the application asks
for it, the payer's employee-scheme personal account for the relations the product
allows, with consent, while the balance lasts (what happens when it runs short is the
product's rule); then cash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from huiminbao_rules.adjudication.coverage import Cover, cover_of, special_case_of
from huiminbao_rules.core.errors import InputError
from huiminbao_rules.core.fields import Bool, Code, Day, Id, Int, Text
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, Limits
from huiminbao_rules.claims.models import EnrollmentYear, Insured, Scheme, json_object, problems_from_validation
from huiminbao_rules.core.money import ZERO, Amount, exact, format_yuan
from huiminbao_rules.rules.product import EligibilityRule, Enrollment, Premium, Product, Relation

__all__ = [
    "Application",
    "ApplicationDecision",
    "BasicInsurance",
    "Decision",
    "Payer",
    "Person",
    "Reason",
    "enroll",
    "parse_application",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class BasicInsurance(_Frozen):
    """The person's basic medical insurance."""

    scheme: Scheme
    city: Text = Field(description="the city (pinyin) whose scheme it is")
    level: Literal["city", "provincial", "industry"] = "city"
    status: Literal["active", "suspended", "terminated"] = "active"


class PovertyInsurance(_Frozen):
    """Another policy-type poverty insurance (政策性扶贫类商业补充医疗保险) the person holds."""

    name: Text
    subsidised: Bool = Field(description="whether the government subsidises the person's premium for it")


class Person(_Frozen):
    """A person to be insured, and how they relate to the payer."""

    id: Id
    relation: Relation
    birth_date: Day
    sex: Literal["female", "male"] | None = None
    basic_insurance: BasicInsurance | None = Field(default=None, description="none: not in any basic insurance")
    household_city: Text | None = Field(default=None, description="户籍 city (pinyin)")
    residence_permit_city: Text | None = None
    residence_permit_years: Int = Field(default=0, ge=0, le=150)
    groups: tuple[Code, ...] = Field(default=(), max_length=100)
    event_on: Day | None = Field(default=None, description="date of a special-case event (a newborn: birth)")
    other_poverty_insurance: tuple[PovertyInsurance, ...] = Field(default=(), max_length=100)
    in_other_city_product: Bool = Field(default=False, description="already in another city's 惠民保")
    tier: Text | None = Field(default=None, description="the premium tier asked for, if the product has tiers")

    @field_validator("history")
    @classmethod
    def _years_once(cls, values: tuple[EnrollmentYear, ...]) -> tuple[EnrollmentYear, ...]:
        years = [h.year for h in values]
        if len(years) != len(set(years)):
            raise ValueError("history lists a year more than once")
        return values
    pre_existing: tuple[Code, ...] = Field(default=(), max_length=100, description="never a reason to refuse")
    occupation: Text | None = Field(default=None, description="never a reason to refuse")
    history: tuple[EnrollmentYear, ...] = Field(default=(), max_length=101)


class Payer(_Frozen):
    """Who applies and pays: their employee-scheme personal account, if they have one."""

    id: Id
    scheme: Scheme | None = None
    account_balance: Amount = ZERO
    consent: Bool = Field(default=False, description="consent to deduct the premium from the personal account")


class Application(_Frozen):
    """One application: the payer, the people to insure, the date, how to pay."""

    application_id: Id
    applied_on: Day
    payer: Payer
    payment: Literal["personal_account", "cash"] = "cash"
    persons: tuple[Person, ...] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _unique(self) -> Application:
        ids = [p.id for p in self.persons]
        if len(ids) != len(set(ids)):
            raise ValueError("a person appears twice on the application")
        for p in self.persons:
            if p.birth_date > self.applied_on:
                raise ValueError(f"person {p.id}: birth_date {p.birth_date} is after applied_on {self.applied_on}")
        return self


@exact
def parse_application(data: Mapping[str, Any] | str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> Application:
    """Validate an application from a mapping or JSON text; :class:`InputError` on any problem.
    ``limits`` bounds JSON text's size and nesting (see :class:`~huiminbao_rules.core.inputs.Limits`)."""
    data = json_object(data, "application", limits)
    try:
        return Application.model_validate(data)
    except ValidationError as exc:
        raise InputError("application", problems_from_validation(exc)) from None


@dataclass(frozen=True)
class Reason:
    """One reason in a decision: a stable code, what it says, and the clause and source."""

    code: str
    detail: str
    clause: str = ""
    source: str | None = None
    detail_zh: str = ""


@dataclass(frozen=True)
class Decision:
    """One person's decision."""

    person_id: str
    eligible: bool
    reasons: tuple[Reason, ...]
    cover_start: date | None = None
    waiting_until: date | None = None
    tier: str | None = None
    premium: Decimal | None = None
    subsidy: Decimal = ZERO
    subsidy_payer: str | None = None
    personal_account: Decimal = ZERO
    cash: Decimal = ZERO
    insured: Insured | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True)
class ApplicationDecision:
    """The decisions for everyone on an application, and the personal account's use."""

    application_id: str
    product_id: str
    decisions: tuple[Decision, ...]
    account_balance_before: Decimal
    account_used: Decimal
    notes: tuple[Reason, ...] = field(default=())

    @property
    def account_balance_after(self) -> Decimal:
        return self.account_balance_before - self.account_used

    def of(self, person_id: str) -> Decision:
        return next(d for d in self.decisions if d.person_id == person_id)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _rule_holds(rule: EligibilityRule, p: Person) -> bool:
    bi = p.basic_insurance
    if rule.requires_basic_insurance and (bi is None or bi.status != "active"):
        return False
    if rule.basic_insurance_cities is not None and (bi is None or bi.city not in rule.basic_insurance_cities):
        return False
    if rule.basic_insurance_levels is not None and (bi is None or bi.level not in rule.basic_insurance_levels):
        return False
    if rule.household_cities is not None and p.household_city not in rule.household_cities:
        return False
    if rule.residence_permit_city is not None and p.residence_permit_city != rule.residence_permit_city:
        return False
    if rule.min_residence_permit_years is not None and p.residence_permit_years < rule.min_residence_permit_years:
        return False
    return True


def _eligibility(product: Product, p: Person) -> list[Reason]:
    """Reasons the person may not enroll (empty: they may). Never age, health, history or occupation."""
    bi = p.basic_insurance
    rules = product.enrollment.eligibility
    if bi is None and all(r.requires_basic_insurance for r in rules or (EligibilityRule(source="-"),)):
        return [Reason("not_in_basic_insurance", "the person is in no basic medical insurance scheme", "enrollment.eligibility",
                       detail_zh="未参加基本医疗保险")]
    if bi is not None and bi.status != "active" and all(r.requires_basic_insurance for r in rules or (EligibilityRule(source="-"),)):
        return [Reason("basic_insurance_suspended",
                       f"the person's basic insurance is {bi.status}; enrollment needs it active (or the product's "
                       "special case for restored insurance)", "enrollment.eligibility",
                       detail_zh=f"基本医保状态为 {bi.status}; 投保需要医保处于正常参保状态 (或符合产品恢复参保的特殊情形)")]
    if rules:
        if not any(_rule_holds(r, p) for r in rules):
            return [Reason("not_eligible_here", "the person meets none of the product's eligibility rules "
                           "(basic insurance, registration or residence)", "enrollment.eligibility",
                           rules[0].source, "不符合产品的任何一条投保条件 (基本医保、户籍或居住证)")]
    elif bi is None or bi.city != product.city:
        return [Reason("not_in_city_basic_insurance",
                       f"the person's basic insurance is not the city's ({product.city})", "enrollment.eligibility",
                       detail_zh=f"基本医保不是本市 ({product.city_zh}) 的")]
    if product.enrollment.excludes_other_city_products and p.in_other_city_product:
        return [Reason("in_other_city_product", "the person is already in another city's 惠民保",
                       "enrollment.excludes_other_city_products", product.enrollment.excludes_other_city_products_source,
                       "已参加其他城市的惠民保")]
    return []


def _premium(product: Product, p: Person) -> tuple[int, Premium] | None:
    age = _age_on(p.birth_date, product.period.start) if p.birth_date <= product.period.start else 0
    for i, prem in enumerate(product.premiums):
        if p.tier is not None and prem.tier not in (None, p.tier):
            continue
        w = prem.when
        if w.min_age is not None and age < w.min_age:
            continue
        if w.max_age is not None and age > w.max_age:
            continue
        if w.sex is not None and p.sex != w.sex:
            continue
        if w.groups_any is not None and not set(w.groups_any) & set(p.groups):
            continue
        if w.pre_existing is not None and bool(p.pre_existing) != w.pre_existing:
            continue
        return i, prem
    return None


_WINDOW_CODES = ("late_enrollment", "special_case")
"""Reasons about the enrollment window that opened it for the person (listed after the cover)."""


@exact
def enroll(application: Application, product: Product) -> ApplicationDecision:
    """Decide, for each person on ``application``, whether they may enroll in ``product``,
    from when they are covered, the premium and who pays it."""
    balance = application.payer.account_balance
    used = ZERO
    decisions = []
    for p in application.persons:
        decision, from_account = _decide(application, product, p, balance - used)
        used += from_account
        decisions.append(decision)
    return ApplicationDecision(application_id=application.application_id, product_id=product.id,
                               decisions=tuple(decisions), account_balance_before=balance, account_used=used)


def _decide(application: Application, product: Product, p: Person, left: Decimal) -> tuple[Decision, Decimal]:
    """One person's decision, and what it takes from the payer's personal account (which
    holds ``left``): eligibility and window, cover, premium, subsidy, account, cash."""
    e = product.enrollment
    insured = _insured(p, application.applied_on)
    refusal = _eligibility(product, p)
    window: list[Reason] = []
    if not refusal:
        window, refusal = _window(product, insured, application.applied_on)
    if refusal:
        return Decision(person_id=p.id, eligible=False, reasons=tuple(refusal)), ZERO
    reasons = [_eligible(e, p), *window]
    cover = cover_of(insured, product)
    if cover.start > product.period.end:
        refusal = [Reason("cover_after_period", f"cover would start {cover.start}, after the policy period ends "
                          f"{product.period.end}", "enrollment", e.cover_start_source,
                          f"保障将于 {cover.start} 开始, 晚于保障期间结束日 {product.period.end}")]
        return Decision(person_id=p.id, eligible=False, reasons=tuple(refusal)), ZERO
    cover_reasons = _cover_reasons(e, cover)
    found = _premium(product, p)
    if found is None:
        return Decision(person_id=p.id, eligible=True, reasons=tuple(reasons + cover_reasons + [_no_premium(product, p)]),
                        cover_start=cover.start, waiting_until=cover.waiting_until, insured=insured), ZERO
    pi, prem = found
    premium = prem.amount
    reasons.append(Reason("premium", f"{prem.applies_to}: {format_yuan(premium)}", f"premiums[{pi}]", prem.source,
                          f"保费 {format_yuan(premium)} 元"))
    subsidy, subsidy_payer = _subsidy(e, p, premium, reasons)
    due = premium - subsidy
    account, refused = _from_account(application, e, p, due, left, reasons)
    if refused:
        kept = [r for r in reasons if r.code not in _WINDOW_CODES]
        return Decision(person_id=p.id, eligible=False, reasons=tuple(kept), premium=premium, tier=prem.tier), ZERO
    reasons = reasons[:1] + [r for r in reasons[1:] if r.code in _WINDOW_CODES] + cover_reasons + [
        r for r in reasons[1:] if r.code not in _WINDOW_CODES]
    return Decision(
        person_id=p.id, eligible=True, reasons=tuple(reasons), cover_start=cover.start,
        waiting_until=cover.waiting_until, tier=prem.tier, premium=premium, subsidy=subsidy,
        subsidy_payer=subsidy_payer, personal_account=account, cash=due - account, insured=insured), account


def _insured(p: Person, day: date) -> Insured:
    """The person as the engine sees an insured, enrolled on ``day``."""
    return Insured(id=p.id, birth_date=p.birth_date, scheme=p.basic_insurance.scheme if p.basic_insurance else "resident",
                   enrolled_on=day, pre_existing=p.pre_existing, groups=p.groups, history=p.history,
                   event_on=p.event_on)


def _window(product: Product, insured: Insured, day: date) -> tuple[list[Reason], list[Reason]]:
    """The enrollment window on ``day`` and the special cases that open it: (reasons it is
    open to the person, reasons it is not)."""
    e = product.enrollment
    special = special_case_of(insured, product)
    if day > product.period.end:
        return [], [Reason("after_period", f"the policy period ended {product.period.end}", "period",
                           detail_zh=f"保障期间已于 {product.period.end} 结束")]
    if e.window is not None and day < e.window.start:
        return [], [Reason("window_not_open", f"enrollment opens {e.window.start}", "enrollment.window",
                           e.window_source, f"投保期 {e.window.start} 才开始")]
    if special is not None:
        i, case = special
        return [Reason("special_case", f"{case.group}: may enroll within {case.enroll_within_days} days "
                       f"of the event; waiting {case.waiting_days} days",
                       f"enrollment.special_cases[{i}]", case.source,
                       f"特殊人群 {case.group}: 事件发生后 {case.enroll_within_days} 天内可投保; "
                       f"等待期 {case.waiting_days} 天")], []
    if e.window is not None and day > e.window.end:
        if e.late_enrollment:
            return [Reason("late_enrollment", f"after the window (closed {e.window.end}): "
                           "enrolled late", "enrollment.late_enrollment", e.late_enrollment_source,
                           f"投保期已于 {e.window.end} 结束: 按逾期投保处理")], []
        return [], [Reason("window_closed", f"the enrollment window closed {e.window.end}",
                           "enrollment.window", e.window_source, f"投保期已于 {e.window.end} 结束")]
    return [], []


def _eligible(e: Enrollment, p: Person) -> Reason:
    """Why the person may enroll: the eligibility rule they meet."""
    rule_at = next((i for i, r in enumerate(e.eligibility) if _rule_holds(r, p)), None)
    return Reason(
        "eligible", "in basic insurance as the product requires; no age, health, history or occupation "
        "condition applies", "enrollment.eligibility" if rule_at is None else f"enrollment.eligibility[{rule_at}]",
        None if rule_at is None else e.eligibility[rule_at].source,
        "按产品要求参加了基本医保; 不设年龄、健康状况、既往理赔或职业限制")


def _cover_reasons(e: Enrollment, cover: Cover) -> list[Reason]:
    """The waiting period, if any, and the day cover starts."""
    out: list[Reason] = []
    if cover.waiting_until is not None:
        clause = (f"enrollment.special_cases[{cover.special_index}]" if cover.special is not None
                  else f"enrollment.waiting_periods[{cover.waiting_index}]")
        out.append(Reason("waiting_period", f"waiting period until {cover.waiting_until}", clause,
                          cover.waiting.source if cover.waiting else None, f"等待期至 {cover.waiting_until}"))
    out.append(Reason("cover_start", f"covered from {cover.start}", "enrollment", e.cover_start_source,
                      f"自 {cover.start} 起保障"))
    return out


def _no_premium(product: Product, p: Person) -> Reason:
    """Why no premium is stated: a tier the product does not have, or a premium it does not know."""
    tiers = sorted({x.tier for x in product.premiums if x.tier})
    if p.tier is not None and p.tier not in tiers:
        return Reason("unknown_tier", f"no premium tier {p.tier!r}; tiers: {', '.join(tiers) or 'none'}", "premiums",
                      detail_zh=f"没有保费档位 {p.tier}; 可选档位: {', '.join(tiers) or '无'}")
    return Reason("premium_unknown", "the product's premium for this person is not known "
                  "(see the product's limitations)", "premiums",
                  detail_zh="产品对此人的保费未知 (见产品文件的局限说明)")


def _subsidy(e: Enrollment, p: Person, due: Decimal, reasons: list[Reason]) -> tuple[Decimal, str | None]:
    """The subsidy for the person's group, once (not when another poverty insurance already
    subsidises them): (amount, payer); its reasons go to ``reasons``."""
    for si, sub in enumerate(e.subsidies):
        if not set(sub.groups) & set(p.groups):
            continue
        clause = f"enrollment.subsidies[{si}]"
        other = [x.name for x in p.other_poverty_insurance if x.subsidised]
        if sub.once_with_other_poverty_insurance and other:
            reasons.append(Reason("already_subsidised", f"already subsidised through {', '.join(other)}: "
                                  "one subsidy only", clause, sub.source,
                                  f"已通过 {', '.join(other)} 获得资助: 只能资助一次"))
            continue  # a later subsidy without the once rule may still apply
        subsidy = due if sub.amount is None else min(sub.amount, due)
        groups = "/".join(sorted(set(sub.groups) & set(p.groups)))
        reasons.append(Reason("subsidy", f"{sub.payer} pays {format_yuan(subsidy)} for group {groups}", clause,
                              sub.source, f"{'政府' if sub.payer == 'government' else sub.payer} 为人群 {groups} "
                              f"资助 {format_yuan(subsidy)} 元"))
        return subsidy, sub.payer
    return ZERO, None


def _account_refusal(application: Application, e: Enrollment, p: Person) -> tuple[str, str] | None:
    """Why the payer's personal account may not pay for the person (English, Chinese), or None."""
    pa, payer = e.personal_account, application.payer
    if pa is None:
        return "the product states no personal-account payment", "产品未规定可用个人账户支付"
    if payer.scheme != "employee":
        return "only an employee-scheme member's personal account can pay", "只有职工医保参保人的个人账户可以支付"
    if p.relation not in pa.relations:
        return (f"the personal account may pay for {', '.join(pa.relations)}, not a {p.relation}",
                f"个人账户只能为 {', '.join(pa.relations)} 支付, 不能为 {p.relation} 支付")
    if pa.consent_required and not payer.consent:
        return "the account holder has not consented to the deduction", "账户持有人未同意划扣"
    return None


def _from_account(application: Application, e: Enrollment, p: Person, due: Decimal, left: Decimal,
                  reasons: list[Reason]) -> tuple[Decimal, bool]:
    """What the personal account pays of ``due`` when the application asks for it, and
    whether the person is refused for a short balance; its reasons go to ``reasons``."""
    if not due or application.payment != "personal_account":
        return ZERO, False
    pa = e.personal_account
    why = _account_refusal(application, e, p)
    if why is not None:
        reasons.append(Reason("personal_account_not_allowed", why[0], "enrollment.personal_account",
                              pa.source if pa else None, why[1]))
        return ZERO, False
    assert pa is not None
    if left >= due:
        return due, False
    if pa.insufficient_balance == "split":
        reasons.append(Reason("balance_split", f"the account holds {format_yuan(left)}: it pays that, the rest in cash",
                              "enrollment.personal_account", pa.source,
                              f"账户余额 {format_yuan(left)} 元: 余额部分由账户支付, 其余付现金"))
        return left, False
    if pa.insufficient_balance == "cash":
        reasons.append(Reason("balance_short", f"the account holds {format_yuan(left)}, less than {format_yuan(due)}: "
                              "the premium is paid in cash", "enrollment.personal_account", pa.source,
                              f"账户余额 {format_yuan(left)} 元, 不足 {format_yuan(due)} 元: 保费以现金支付"))
        return ZERO, False
    reasons.append(Reason("balance_refused", f"the account holds {format_yuan(left)}, less than {format_yuan(due)}: "
                          "not enrolled", "enrollment.personal_account", pa.source,
                          f"账户余额 {format_yuan(left)} 元, 不足 {format_yuan(due)} 元: 不予投保"))
    return ZERO, True
