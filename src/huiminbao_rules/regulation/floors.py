"""Regulatory profiles and the check of a product against one.

A profile is data (``profiles/<id>.toml``): a jurisdiction's rules, each of a *kind* this
module knows, with its bound, whether it binds only "in principle" (原则上), and the
clause and source that state it. :func:`check` returns one :class:`Finding` per rule.

**How the Hangzhou floors are read.** The 2020 plan sets the deductible, the *overall*
(总体) ratio and the cap "in principle", while Hangzhou's own products pay 50–65% on
several responsibilities and once had a 25,000 in-list deductible. Applied to every
responsibility, the floors would condemn the product the plan itself produced, so the
default reading (``overall``) applies them to the product's **main in-list
responsibility** (its first ``compliant`` one, which carries the 合规费用 the plan
describes) for a healthy first-time enrollee in a fresh year:

- deductible: its deductible (the highest over the two schemes) is at most the bound;
- ratio: read with the deductible as one **benefit curve**: for every amount F of
  in-list self-pay, it pays at least ``ratio × (F − deductible bound)``, i.e. its lowest
  effective ratio ``P(F) / (F − deductible bound)`` over the amounts the floor governs is
  at least the bound. A product with a lower deductible may pay less in its first band
  and still give everyone at least what the plan's floors give. P(F) is computed by the
  engine itself, so the check and adjudication cannot disagree;
- cap: the most it can pay (its cap, or the product's total cap) is at least the bound.

The ``strict`` reading applies each bound to every responsibility separately (the
lowest healthy rate of any band, every deductible, every cap) and treats in-principle
rules as binding. A failed in-principle rule is graded ``deviation`` under the overall
reading and ``violation`` under the strict one; a failed binding rule is always a
``violation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from huiminbao_rules.adjudication.engine import adjudicate
from huiminbao_rules.claims.models import Claim, Encounter, FeeLine, Insured, Settlement
from huiminbao_rules.core.money import FEN, ZERO, format_yuan, round_fen
from huiminbao_rules.core.vocabulary import SCHEME_LABELS, bucket_label
from huiminbao_rules.rules.product import Product, Responsibility
from huiminbao_rules.rules.profile import Profile, Rule, parse_profile

__all__ = [
    "Finding",
    "Profile",
    "Rule",
    "applicable_profiles",
    "check",
    "floor_payout",
    "main_responsibility",
    "parse_profile",
    "payout_curve",
    "people_of",
]

Severity = Literal["ok", "deviation", "violation", "not_applicable"]
Reading = Literal["overall", "strict"]


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule for one product (and, under the strict reading, one
    responsibility): the product's value, the bound, by how much it misses, the severity.

    ``value`` and ``bound`` are Decimals for figures (amounts, ratios), strings for names
    and kinds, None when there is no figure (a rule not in force, a responsibility
    without a cap); ``miss`` is a Decimal of the same kind as ``value``, or None.
    ``op`` says how value and bound compare (``<=``, ``>=``, ``contains``, ``covers``,
    ``==``), None when they do not."""

    profile: str
    rule: str
    name_zh: str
    name_en: str
    clause: str
    source: str
    reading: Reading
    subject: str | None
    value: Decimal | str | None
    op: str | None
    bound: Decimal | str | None
    miss: Decimal | None
    severity: Severity
    recorded: bool
    detail: str
    detail_zh: str = ""

    @property
    def failed(self) -> bool:
        return self.severity in ("deviation", "violation")


def applicable_profiles(product: Product, profiles: list[Profile]) -> list[Profile]:
    """The profiles that govern this product's city (national ones govern every city)."""
    return [p for p in profiles if "*" in p.cities or product.city in p.cities]


# ---- the main in-list responsibility and its payout curve ---------------------------------


def main_responsibility(product: Product) -> Responsibility | None:
    """The first responsibility of the ``compliant`` bucket."""
    return next((r for r in product.responsibilities if r.bucket == "compliant"), None)


PROBES = ("copay", "preselfpay", "outpatient_special")
"""The kinds of in-list cost the benefit curve is probed with: in-scope co-pay of a stay
(甲类), 乙类 先行自付 of a stay, and in-scope co-pay of a specified-disease outpatient visit."""
_RATE_STEP = Decimal("0.0001")
"""Effective ratios are shown to four places, like the ratios of a product."""


def _probe_claim(product: Product, amount: Decimal, scheme: str, groups: tuple[str, ...] = (),
                 probe: str = "copay") -> Claim:
    """A first-time enrollee without a pre-existing condition, in ``groups``, whose only cost
    is ``amount`` of one kind of in-list self-pay, in the middle of the policy period."""
    mid = product.period.start + (product.period.end - product.period.start) / 2
    if probe == "preselfpay":
        line = FeeLine(med_list_codg="PROBE", name="probe", chrgitm_lv="02", med_chrgitm_type="09",
                       det_item_fee_sumamt=amount, preselfpay_amt=amount)
        settlement = Settlement(medfee_sumamt=amount, fulamt_ownpay_amt=ZERO, preselfpay_amt=amount, inscp_scp_amt=ZERO)
    else:
        line = FeeLine(med_list_codg="PROBE", name="probe", chrgitm_lv="01", med_chrgitm_type="06",
                       det_item_fee_sumamt=amount)
        settlement = Settlement(medfee_sumamt=amount, fulamt_ownpay_amt=ZERO, preselfpay_amt=ZERO, inscp_scp_amt=amount)
    if probe == "outpatient_special":
        enc = Encounter(id="E1", kind="outpatient_special", service_date=mid, settlement=settlement,
                        fee_lines=(line,), diagnoses=("R69",))
    else:
        enc = Encounter(id="E1", kind="inpatient", admitted_on=mid, discharged_on=mid + timedelta(days=1),
                        settlement=settlement, fee_lines=(line,), diagnoses=("R69",))
    person = Insured(id="probe", birth_date=date(1970, 1, 1), scheme=scheme,  # type: ignore[arg-type]
                     enrolled_on=product.period.start - timedelta(days=30), groups=groups)
    return Claim(claim_id="probe", insured=person, encounters=(enc,))


def payout_curve(product: Product, amount: Decimal, scheme: str = "employee", groups: tuple[str, ...] = (),
                 probe: str = "copay") -> Decimal:
    """What the main in-list responsibility pays a first-time enrollee without a pre-existing
    condition (in ``groups``) with ``amount`` of one kind of in-list self-pay in a fresh year
    (computed by the engine)."""
    main = main_responsibility(product)
    if main is None:
        return ZERO
    claim = _probe_claim(product, amount, scheme, groups, probe)
    return adjudicate(claim, product).responsibility(main.id).payable


def people_of(product: Product, r: Responsibility) -> list[tuple[str, tuple[str, ...]]]:
    """The kinds of person the floors are checked for: both schemes, with no special group
    and with each group the responsibility's deductibles or ratios name."""
    groups = {g for v in (*product.deductible_variants(r), *r.ratio) if v.when.groups_any for g in v.when.groups_any}
    return [(scheme, g) for scheme in ("employee", "resident") for g in [(), *((x,) for x in sorted(groups))]]


def _healthy_first_time_deductible(product: Product, r: Responsibility) -> tuple[Decimal, str]:
    """The highest deductible a first-time enrollee without a pre-existing condition meets,
    over both schemes and every special group the responsibility names; and who meets it."""
    from huiminbao_rules.adjudication.coverage import Facts, holds

    out, who = ZERO, ""
    for scheme, groups in people_of(product, r):
        facts = Facts(pre_existing=False, groups=frozenset(groups), scheme=scheme, enrolled_years=1,
                      claim_free_years=0, settled_through_basic=True)
        for v in product.deductible_variants(r):
            if holds(v.when, facts):
                amount = v.amount if v.amount is not None else product.references[v.reference].for_scheme(scheme)  # type: ignore[index]
                if amount > out:  # type: ignore[operator]
                    out, who = amount, f"{scheme} scheme" + (f", group {groups[0]}" if groups else "")  # type: ignore[assignment]
                break
    return out, who


def _healthy_rates(r: Responsibility) -> list[Decimal]:
    """Every band rate of the schedules that can apply to a person without a pre-existing
    condition."""
    out = []
    for sched in r.ratio:
        if sched.when.pre_existing is True:
            continue
        for _, _, rate in sched.band_list:
            out.append(rate)
    return out


def _cap_of(product: Product, r: Responsibility) -> Decimal | None:
    """The most the responsibility can pay a person without a pre-existing condition: its cap,
    a combined cap over it that applies to them, or the total cap, whichever is lowest."""
    caps = [r.cap.amount if r.cap else None, product.total_cap.amount if product.total_cap else None]
    for c in product.combined_caps:
        if r.id in c.responsibilities and c.when.pre_existing is not True and not c.when.groups_any:
            caps.append(c.amount)
    found = [c for c in caps if c is not None]
    return min(found) if found else None


def _curve_points(product: Product, r: Responsibility, d_bound: Decimal, rate: Decimal, cap_bound: Decimal) -> list[Decimal]:
    """Amounts at which the two piecewise-linear curves can cross: every edge of either."""
    d = _healthy_first_time_deductible(product, r)[0]
    top = d_bound + (cap_bound / rate).quantize(FEN, rounding=ROUND_DOWN)
    edges = {d_bound, d, top}
    for sched in r.ratio:
        for start, _, _ in sched.band_list:
            edges |= {start, start + d}
    cap = _cap_of(product, r)
    if cap is not None:
        for sched in r.ratio:
            for _, _, rate_ in sched.band_list:
                if rate_ > 0:
                    edges.add(d + round_fen(cap / rate_))
    points = set()
    for e in edges:
        for delta in (Decimal("0.00"), Decimal("0.01"), Decimal("1000.00")):
            x = e + delta
            if d_bound < x <= top:
                points.add(x)
    return sorted(points)


# ---- the check -------------------------------------------------------------------------


def _severity(rule: Rule, ok: bool, strict: bool) -> Severity:
    if ok:
        return "ok"
    return "deviation" if rule.in_principle and not strict else "violation"


def _finding(profile: Profile, product: Product, rule: Rule, reading: Reading, subject: str | None,
             value: Decimal | str | None, op: str | None, bound: Decimal | str | None, miss: Decimal | None,
             severity: Severity, detail: str, detail_zh: str) -> Finding:
    src = profile.sources[rule.source]
    recorded = any(d.profile == profile.id and d.rule == rule.id for d in product.deviations)
    return Finding(profile=profile.id, rule=rule.id, name_zh=rule.name_zh, name_en=rule.name_en, clause=rule.clause,
                   source=f"{src.title} ({src.grade})", reading=reading, subject=subject, value=value, op=op,
                   bound=bound, miss=miss, severity=severity, recorded=recorded, detail=detail, detail_zh=detail_zh)


def _who_zh(who: str) -> str:
    """``employee scheme, group x, copay`` in Chinese."""
    words = {en: zh for zh, en in SCHEME_LABELS.values()} | {
        "copay": "住院政策范围内自付", "preselfpay": "住院乙类先行自付", "outpatient_special": "门诊规定病种政策范围内自付"}
    out = []
    for part in (x.strip() for x in who.split(",") if x.strip()):
        out.append(f"人群 {part[6:]}" if part.startswith("group ") else words.get(part, part))
    return ", ".join(out)


def check(product: Product, profile: Profile, *, strict: bool = False) -> list[Finding]:
    """One finding per rule of ``profile`` (per responsibility under ``strict``)."""
    c = _Check(product, profile, strict)
    if product.period.end < profile.effective:
        return [c.finding(rule, None, None, None, None, None, "not_applicable",
                          f"the profile takes effect {profile.effective}, after this version ends",
                          f"该规定自 {profile.effective} 起施行, 晚于本版本结束") for rule in profile.rules]
    out: list[Finding] = []
    for rule in profile.rules:
        if rule.kind in ("max_deductible", "min_ratio", "min_cap") and (c.main is None and not strict):
            out.append(c.finding(rule, None, None, None, None, None, _severity(rule, False, strict),
                                 "the product has no responsibility of the compliant bucket", "产品没有合规自付类责任"))
            continue
        out.extend(_CHECKS[rule.kind](c, rule))
    return out


@dataclass(frozen=True)
class _Check:
    """What every rule's check needs: the product, the profile, the reading, and the main
    responsibility with the profile's deductible and cap rules (for the ratio curve)."""

    product: Product
    profile: Profile
    strict: bool

    @property
    def reading(self) -> Reading:
        return "strict" if self.strict else "overall"

    @property
    def main(self) -> Responsibility | None:
        return main_responsibility(self.product)

    @property
    def targets(self) -> list[Responsibility]:
        """The responsibilities a rule is checked on: all of them under ``strict``, else the main one."""
        return list(self.product.responsibilities) if self.strict else [self.main]  # type: ignore[list-item]

    def rule_of(self, kind: str) -> Rule | None:
        return next((r for r in self.profile.rules if r.kind == kind), None)

    def finding(self, rule: Rule, subject: str | None, value: Any, op: str | None, bound: Any, miss: Any,
                severity: Severity, detail: str, detail_zh: str) -> Finding:
        return _finding(self.profile, self.product, rule, self.reading, subject, value, op, bound, miss, severity,
                        detail, detail_zh)


def _check_max_deductible(c: _Check, rule: Rule) -> list[Finding]:
    out = []
    for r in c.targets:
        d, who = _healthy_first_time_deductible(c.product, r)
        ok = d <= rule.bound  # type: ignore[operator]
        out.append(c.finding(rule, r.id, d, "<=", rule.bound, None if ok else d - rule.bound,  # type: ignore[operator]
                             _severity(rule, ok, c.strict),
                             "the highest deductible a first-time enrollee without a pre-existing condition "
                             f"meets (both schemes, every special group the product names): {who}",
                             "首次参保、无既往症的人适用的最高免赔额 (两种医保、产品列出的每个特殊人群): " + _who_zh(who)))
    return out


def _check_min_ratio(c: _Check, rule: Rule) -> list[Finding]:
    if not c.strict:
        return [_ratio_overall(c.profile, c.product, rule, c.main, c.rule_of("max_deductible"),  # type: ignore[arg-type]
                               c.rule_of("min_cap"))]
    out = []
    for r in c.targets:
        rates = [x for x in _healthy_rates(r) if x > 0]
        low = min(rates) if rates else ZERO
        ok = low >= rule.rate  # type: ignore[operator]
        out.append(c.finding(rule, r.id, low, ">=", rule.rate, None if ok else rule.rate - low,  # type: ignore[operator]
                             _severity(rule, ok, c.strict),
                             "lowest paying band rate for a person without a pre-existing condition",
                             "无既往症者可适用的最低赔付比例 (赔付的分段)"))
    return out


def _check_min_cap(c: _Check, rule: Rule) -> list[Finding]:
    out = []
    for r in c.targets:
        cap = _cap_of(c.product, r)
        ok = cap is None or cap >= rule.bound  # type: ignore[operator]
        out.append(c.finding(rule, r.id, cap, ">=", rule.bound, None if ok else rule.bound - cap,  # type: ignore[operator]
                             _severity(rule, ok, c.strict),
                             "the responsibility's cap (or the total cap, if lower)" if cap is not None
                             else "the responsibility has no cap",
                             "该责任的年度限额 (总限额更低时取总限额)" if cap is not None else "该责任不设限额"))
    return out


def _check_covers_buckets(c: _Check, rule: Rule) -> list[Finding]:
    have = {r.bucket for r in c.product.responsibilities}
    missing = [b for b in rule.buckets if b not in have]
    return [c.finding(rule, None, ", ".join(sorted(have)), "covers", ", ".join(rule.buckets), None,
                      _severity(rule, not missing, c.strict),
                      f"missing: {', '.join(missing)}" if missing else "every required bucket is covered",
                      f"缺少: {'、'.join(bucket_label(b) for b in missing)}" if missing else "要求的每类费用都有责任保障")]


def _check_no_enrollment_preconditions(c: _Check, rule: Rule) -> list[Finding]:
    return [c.finding(rule, None, "none", "==", "none", None, "ok",
                      "the product format cannot refuse enrollment by age, health, history or occupation; "
                      "pre-existing conditions change only ratios and deductibles",
                      "产品格式无法按年龄、健康状况、既往理赔或职业拒绝投保; 既往症只改变赔付比例和免赔额")]


def _check_name_contains(c: _Check, rule: Rule) -> list[Finding]:
    product, effective = c.product, c.profile.effective
    if product.period.start < effective:
        return [c.finding(rule, None, product.name, "contains", rule.text, None, "not_applicable",
                          f"this version started before {effective}", f"本版本在 {effective} 之前开始")]
    ok = rule.text in product.name  # type: ignore[operator]
    return [c.finding(rule, None, product.name, "contains", rule.text, None, _severity(rule, ok, c.strict),
                      "the product's name", "产品名称")]


def _check_no_midyear_change(c: _Check, rule: Rule) -> list[Finding]:
    product, effective, a = c.product, c.profile.effective, c.product.amendment
    if a is None:
        return [c.finding(rule, None, None, None, None, None, "ok", "this version changes no other version",
                          "本版本不修订其他版本")]
    if a.on < effective:
        return [c.finding(rule, None, f"amends {a.amends} on {a.on}", None, None, None, "not_applicable",
                          f"the change was made before {effective}", f"修订在 {effective} 之前作出")]
    opens = product.enrollment.window.start if product.enrollment.window else product.period.start
    ok = not (opens <= a.on <= product.period.end)
    return [c.finding(rule, None, f"amends {a.amends} on {a.on}", None, None, None, _severity(rule, ok, c.strict),
                      f"a change to payout terms announced between enrollment opening ({opens}) and the "
                      f"end of the policy year ({product.period.end}) changes signed contracts",
                      f"在投保开始 ({opens}) 至保障年度结束 ({product.period.end}) 之间公布的赔付条件调整"
                      "会改变已签订的合同")]


_CHECKS = {
    "max_deductible": _check_max_deductible,
    "min_ratio": _check_min_ratio,
    "min_cap": _check_min_cap,
    "covers_buckets": _check_covers_buckets,
    "no_enrollment_preconditions": _check_no_enrollment_preconditions,
    "name_contains": _check_name_contains,
    "no_midyear_change": _check_no_midyear_change,
}
"""The check of each rule kind (every kind a profile may hold: ``rules.profile.Rule.kind``)."""


def floor_payout(amount: Decimal, rate: Decimal, deductible: Decimal, cap: Decimal) -> Decimal:
    """What the floors imply for ``amount`` of in-list self-pay: ``rate × (amount − deductible)``,
    at most ``cap``, rounded half up to the fen as a payout would be.

    >>> floor_payout(Decimal("30000"), Decimal("0.70"), Decimal("20000"), Decimal("1000000"))
    Decimal('7000.00')
    """
    return round_fen(min(rate * max(amount - deductible, ZERO), cap))


def _ratio_overall(profile: Profile, product: Product, rule: Rule, main: Responsibility, d_rule: Rule, c_rule: Rule | None) -> Finding:
    rate, d_bound = rule.rate, d_rule.bound
    cap_bound = c_rule.bound if c_rule is not None else Decimal("1000000.00")
    lowest: tuple[Decimal, Decimal] | None = None
    short: tuple[Decimal, Decimal] | None = None
    people = people_of(product, main)
    worst_who = ""
    for f in _curve_points(product, main, d_bound, rate, cap_bound):  # type: ignore[arg-type]
        paid, who = min(((payout_curve(product, f, scheme, groups, probe), f"{scheme} scheme"
                          + (f", group {groups[0]}" if groups else "") + f", {probe}")
                         for scheme, groups in people for probe in PROBES), key=lambda x: x[0])
        effective = paid / (f - d_bound)  # type: ignore[operator]
        if lowest is None or effective < lowest[0]:
            lowest = (effective, f)
            worst_who = who
        gap = floor_payout(f, rate, d_bound, cap_bound) - paid  # type: ignore[arg-type]
        if gap > 0 and (short is None or gap > short[0]):
            short = (gap, f)
    if lowest is None:
        return _finding(profile, product, rule, "overall", main.id, None, ">=", rate, None, "ok", "no amount to check",
                        "没有需要检查的金额")
    shown = lowest[0].quantize(_RATE_STEP, rounding=ROUND_HALF_UP)
    detail = (f"lowest effective ratio P(F) / (F − {format_yuan(d_bound)}) of the in-list benefit curve, at F = {format_yuan(lowest[1])} "
              f"({worst_who}); P(F) must be at least the floor rounded to the fen at every F, for both schemes, every "
              "special group the product names and every kind of in-list cost")
    detail_zh = (f"目录内赔付曲线的最低有效赔付比例 P(F) / (F − {format_yuan(d_bound)}), 在 F = {format_yuan(lowest[1])} 处 "
                 f"({_who_zh(worst_who)}); 对两种医保、产品列出的每个特殊人群和每种目录内费用, 每个 F 的 P(F) "
                 "都不得低于按底线计算并取整到分的金额")
    if short is None:
        return _finding(profile, product, rule, "overall", main.id, shown, ">=", rate, None, "ok", detail, detail_zh)
    miss = (rate - lowest[0]).quantize(_RATE_STEP, rounding=ROUND_HALF_UP)  # type: ignore[operator]
    return _finding(profile, product, rule, "overall", main.id, shown, ">=", rate, miss,
                    _severity(rule, False, False),
                    detail + f"; it pays {format_yuan(short[0])} less than the floor at F = {format_yuan(short[1])}",
                    detail_zh + f"; 在 F = {format_yuan(short[1])} 处比底线少赔 {format_yuan(short[0])} 元")
