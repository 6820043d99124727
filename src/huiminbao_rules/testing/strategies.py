"""Hypothesis strategies for property tests of 惠民保 products and integrations.

    from hypothesis import given
    from huiminbao_rules.testing import strategies as hst

    @given(hst.claims(period=my_product.period))
    def test_never_pays_more_than_owed(claim):
        assert adjudicate(claim, my_product).payable <= claim.owed

Every strategy is a plural noun with keyword-only arguments; bounds are ``min_value`` /
``max_value``; arguments that shape parts take strategies, not values. Money is always
``Decimal`` with two places, and generated settlements satisfy every identity of
:mod:`huiminbao_rules.claims.identities`, so what a test sees is what real, valid input looks
like. This module imports Hypothesis; the rest of the library never does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st

from huiminbao_rules.claims.models import Claim, Encounter, FeeLine, Insured, Settlement
from huiminbao_rules.core.money import FEN, round_fen
from huiminbao_rules.core.vocabulary import BUCKETS
from huiminbao_rules.rules.product import Period, Product, parse_product
from huiminbao_rules.regulation.floors import Profile

__all__ = [
    "amounts",
    "claim_years",
    "claims",
    "encounters",
    "fee_lines",
    "insureds",
    "products",
    "rates",
    "settlements",
]

_FEE_TYPES = tuple(f"{i:02d}" for i in range(1, 15))
_KINDS = ("inpatient", "outpatient_special", "outpatient", "pharmacy")
_DIAGNOSES = ("C34.9", "C50.9", "I21.0", "N18.5", "E11.9", "J44.1", "S72.0", "K35.8")
_DEFAULT_PERIOD = Period(start=date(2023, 1, 1), end=date(2023, 12, 31))


def _money(value: Decimal | str | int) -> Decimal:
    return round_fen(Decimal(value))


def amounts(*, min_value: Decimal | str | int = "0.00", max_value: Decimal | str | int = "200000.00") -> st.SearchStrategy[Decimal]:
    """Money: ``Decimal`` yuan with exactly two places, ``min_value <= x <= max_value``.

    Shrinks towards ``min_value``; round figures (whole yuan, hundreds) are drawn often,
    because deductibles, caps and band edges are round figures.
    """
    lo, hi = int(_money(min_value) / FEN), int(_money(max_value) / FEN)
    if lo < 0 or hi < lo:
        raise ValueError("need 0 <= min_value <= max_value")
    fen = st.integers(min_value=lo, max_value=hi)
    round_ = st.integers(min_value=-(-lo // 10000), max_value=hi // 10000).map(lambda h: h * 10000)
    pick = st.one_of(fen, round_) if -(-lo // 10000) <= hi // 10000 else fen
    return pick.map(lambda c: Decimal(c) * FEN)


def rates(*, min_value: Decimal | str = "0", max_value: Decimal | str = "1", places: int = 2) -> st.SearchStrategy[Decimal]:
    """Ratios in ``[min_value, max_value]`` with ``places`` decimals (at most 4)."""
    if not 0 <= places <= 4:
        raise ValueError("places is 0..4")
    q = Decimal(1).scaleb(-places)
    lo, hi = int(Decimal(min_value) / q), int(Decimal(max_value) / q)
    return st.integers(min_value=lo, max_value=hi).map(lambda n: (Decimal(n) * q).quantize(q, rounding=ROUND_HALF_UP))


@st.composite
def fee_lines(
    draw: st.DrawFn,
    *,
    levels: tuple[str, ...] = ("01", "02", "03"),
    fee_types: tuple[str, ...] = _FEE_TYPES,
    codes: st.SearchStrategy[str] | None = None,
    min_value: Decimal | str = "0.01",
    max_value: Decimal | str = "50000.00",
) -> FeeLine:
    """A consistent fee line: 丙类 (03) wholly self-paid; 乙类 (02) with a 先行自付 share;
    any level possibly with an above-price-ceiling part; the rest in scope."""
    level = draw(st.sampled_from(levels))
    total = draw(amounts(min_value=min_value, max_value=max_value))
    over = draw(st.one_of(st.just(Decimal("0.00")), amounts(max_value=total))) if level != "03" else Decimal("0.00")
    rest = total - over
    if level == "03":
        ful, pre = total, Decimal("0.00")
    elif level == "02":
        ful = Decimal("0.00")
        pre = round_fen(rest * draw(rates(min_value="0", max_value="0.3")))
    else:
        ful = pre = Decimal("0.00")
    code = draw(codes) if codes is not None else draw(st.from_regex(r"[XYZ][0-9]{4}", fullmatch=True))
    return FeeLine(
        med_list_codg=code, name=code, chrgitm_lv=level, med_chrgitm_type=draw(st.sampled_from(fee_types)),
        det_item_fee_sumamt=total, fulamt_ownpay_amt=ful, overlmt_amt=over, preselfpay_amt=pre,
    )


def _settle(lines: list[FeeLine], public_share: Decimal, split: Decimal) -> Settlement:
    ful = sum((ln.fulamt_ownpay_amt for ln in lines), Decimal("0.00"))
    over = sum((ln.overlmt_amt for ln in lines), Decimal("0.00"))
    pre = sum((ln.preselfpay_amt for ln in lines), Decimal("0.00"))
    inscp = sum((ln.inscp_scp_amt for ln in lines), Decimal("0.00"))
    public = round_fen(inscp * public_share)
    hifp = round_fen(public * split)
    return Settlement(
        medfee_sumamt=ful + over + pre + inscp, fulamt_ownpay_amt=ful, overlmt_selfpay=over,
        preselfpay_amt=pre, inscp_scp_amt=inscp, hifp_pay=hifp, hifmi_pay=public - hifp,
    )


@st.composite
def settlements(
    draw: st.DrawFn,
    *,
    lines: st.SearchStrategy[list[FeeLine]] | None = None,
    public_share: st.SearchStrategy[Decimal] | None = None,
) -> Settlement:
    """A settlement that satisfies the identities (built from drawn fee lines: the public
    payers pay ``public_share`` of the in-scope amount, split between 统筹 and 大病)."""
    drawn = draw(lines if lines is not None else st.lists(fee_lines(), min_size=1, max_size=6))
    share = draw(public_share if public_share is not None else rates(min_value="0", max_value="0.95"))
    return _settle(drawn, share, draw(rates(min_value="0.5", max_value="1")))


@st.composite
def encounters(
    draw: st.DrawFn,
    *,
    kinds: tuple[str, ...] = _KINDS,
    period: Period = _DEFAULT_PERIOD,
    lines: st.SearchStrategy[FeeLine] | None = None,
    min_lines: int = 1,
    max_lines: int = 6,
    diagnoses: tuple[str, ...] = _DIAGNOSES,
    public_share: st.SearchStrategy[Decimal] | None = None,
    id: str | None = None,  # noqa: A002 - the field's name
) -> Encounter:
    """An encounter dated inside ``period``, with consistent fee lines and settlement.
    A ``pharmacy`` encounter is all self-paid 丙类 drugs."""
    kind = draw(st.sampled_from(kinds))
    days = (period.end - period.start).days
    start = period.start + timedelta(days=draw(st.integers(min_value=0, max_value=days)))
    if kind == "pharmacy":
        line_strategy = fee_lines(levels=("03",), fee_types=("09", "11"))
    else:
        line_strategy = lines if lines is not None else fee_lines()
    drawn = draw(st.lists(line_strategy, min_size=min_lines, max_size=max_lines))
    share = Decimal("0") if kind == "pharmacy" else draw(
        public_share if public_share is not None else rates(min_value="0", max_value="0.95"))
    settlement = _settle(drawn, share, draw(rates(min_value="0.5", max_value="1")))
    dates: dict[str, Any]
    if kind == "inpatient":
        stay = draw(st.integers(min_value=0, max_value=min(60, (period.end - start).days)))
        dates = {"admitted_on": start, "discharged_on": start + timedelta(days=stay)}
    else:
        dates = {"service_date": start}
    dx = draw(st.lists(st.sampled_from(diagnoses), min_size=1, max_size=2, unique=True))
    return Encounter(
        id=id or draw(st.from_regex(r"E[0-9]{3}", fullmatch=True)), kind=kind, institution="医院",
        diagnoses=tuple(dx), settlement=settlement, fee_lines=tuple(drawn), **dates,
    )


@st.composite
def insureds(
    draw: st.DrawFn,
    *,
    enrolled_on: st.SearchStrategy[date] | None = None,
    policy_year: int = 2023,
    conditions: tuple[str, ...] = ("malignant_tumor", "kidney_failure", "diabetes"),
    groups: tuple[str, ...] = ("minimum_living", "extreme_poverty", "retiree"),
    id: str | None = None,  # noqa: A002
) -> Insured:
    """A person enrolled for ``policy_year`` (by default before it starts), with any
    declared pre-existing conditions, special groups and enrollment history (up to three
    earlier years, and sometimes a renewal for the next)."""
    enrolled = draw(enrolled_on) if enrolled_on is not None else date(policy_year - 1, 12, 1)
    born = date(draw(st.integers(min_value=1930, max_value=enrolled.year - 1)), 6, 15)
    history = [
        {"year": y, "enrolled": draw(st.booleans()), "paid": draw(st.one_of(st.just(Decimal("0.00")), amounts(max_value="50000")))}
        for y in range(policy_year - draw(st.integers(min_value=0, max_value=3)), policy_year)
    ]
    if draw(st.booleans()):  # renewed for the next policy year (cross-year stays look at it)
        history.append({"year": policy_year + 1, "enrolled": True, "paid": Decimal("0.00")})
    return Insured(
        id=id or draw(st.from_regex(r"P-[0-9]{4}", fullmatch=True)), birth_date=born,
        scheme=draw(st.sampled_from(("employee", "resident"))), enrolled_on=enrolled,
        pre_existing=tuple(draw(st.lists(st.sampled_from(conditions), max_size=1))) if conditions else (),
        groups=tuple(draw(st.lists(st.sampled_from(groups), max_size=1))) if groups else (),
        history=tuple(history),
    )


@st.composite
def claims(
    draw: st.DrawFn,
    *,
    insured: st.SearchStrategy[Insured] | None = None,
    period: Period = _DEFAULT_PERIOD,
    encounter: st.SearchStrategy[Encounter] | None = None,
    max_encounters: int = 3,
    other_insurance_paid: st.SearchStrategy[Decimal] | None = None,
    claim_id: str | None = None,
) -> Claim:
    """A valid claim: one person, 1..``max_encounters`` encounters inside ``period``."""
    person = draw(insured if insured is not None else insureds(policy_year=period.start.year))
    n = draw(st.integers(min_value=1, max_value=max_encounters))
    cid = claim_id or draw(st.from_regex(r"C[0-9]{5}", fullmatch=True))
    encs = []
    for i in range(n):
        enc_strategy = encounter if encounter is not None else encounters(period=period, id=f"E{i + 1}")
        e = draw(enc_strategy)
        # Each encounter is its own settlement, with its own national settlement id.
        settlement = e.settlement.model_copy(update={"setl_id": f"{cid}/E{i + 1}"})
        encs.append(e.model_copy(update={"id": f"E{i + 1}", "settlement": settlement}))
    other = draw(other_insurance_paid) if other_insurance_paid is not None else Decimal("0.00")
    return Claim(claim_id=cid, insured=person, encounters=tuple(encs), other_insurance_paid=other)


@st.composite
def claim_years(
    draw: st.DrawFn,
    *,
    period: Period = _DEFAULT_PERIOD,
    insured: st.SearchStrategy[Insured] | None = None,
    min_claims: int = 1,
    max_claims: int = 5,
    encounter: st.SearchStrategy[Encounter] | None = None,
) -> list[Claim]:
    """One person's claims of one policy year: distinct claim ids, dates inside ``period``."""
    person = draw(insured if insured is not None else insureds(policy_year=period.start.year))
    n = draw(st.integers(min_value=min_claims, max_value=max_claims))
    return [
        draw(claims(insured=st.just(person), period=period, encounter=encounter, claim_id=f"Y{i:03d}", max_encounters=2))
        for i in range(n)
    ]


# ---- products ---------------------------------------------------------------------

_SELECTORS = (
    {"portions": ["preselfpay", "inscp_copay"], "encounter_kinds": ["inpatient", "outpatient_special"]},
    {"portions": ["fulamt", "overlmt"], "encounter_kinds": ["inpatient"], "fee_types": ["03", "04", "09", "10", "11"]},
    {"portions": ["fulamt"], "encounter_kinds": ["inpatient", "outpatient_special"], "levels": ["03"]},
    {"portions": ["fulamt", "overlmt"], "encounter_kinds": ["outpatient", "outpatient_special", "pharmacy"],
     "fee_types": ["09", "10", "11"]},
    {"portions": ["fulamt"], "encounter_kinds": ["pharmacy"], "in_list": "special_drugs"},
    {"portions": ["preselfpay"], "weight": Decimal("0.50"), "source": "generated"},
    # the in-scope co-pay of drug lines apart from the rest: an encounter's co-pay is then
    # shared over lines that go to different responsibilities
    {"portions": ["inscp_copay"], "encounter_kinds": ["inpatient", "outpatient_special"],
     "fee_types": ["09", "10", "11"]},
)


@st.composite
def _ratios(draw: st.DrawFn, *, min_rate: Decimal, max_rate: Decimal) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"rate": draw(rates(min_value=min_rate, max_value=max_rate)), "source": "generated"}
    first = draw(rates(min_value=min_rate, max_value=max_rate))
    second = draw(rates(min_value=first, max_value=max_rate))  # non-decreasing, as real bands are
    edge = draw(amounts(min_value="1000", max_value="150000"))
    return {"bands": [{"from": 0, "rate": first}, {"from": edge, "rate": second}], "source": "generated"}


@st.composite
def products(
    draw: st.DrawFn,
    *,
    min_responsibilities: int = 1,
    max_responsibilities: int = 4,
    max_deductible: Decimal | str = "40000",
    min_rate: Decimal | str = "0.20",
    max_rate: Decimal | str = "1.00",
    min_cap: Decimal | str = "1000",
    max_cap: Decimal | str = "2000000",
    period: Period = _DEFAULT_PERIOD,
    profile: Profile | None = None,
) -> Product:
    """A valid product: 1..n responsibilities with drawn selectors, deductibles (some shared,
    some by condition), ratios or non-decreasing bands (with a pre-existing schedule
    sometimes), caps, sub-limits, combined caps and a total cap, within the given bounds.

    With ``profile``, the product lies within the profile's bounds even under the strict
    reading: every deductible at most its ``max_deductible``, every rate at least its
    ``min_ratio``, every cap at least its ``min_cap``, the buckets it requires covered, and
    a first, in-list responsibility taking 先行自付 and in-scope co-pay."""
    bounds = _Bounds(min_responsibilities, max_responsibilities, Decimal(max_deductible), Decimal(min_rate),
                     Decimal(max_rate), Decimal(min_cap), Decimal(max_cap))
    required: list[str] = []
    if profile is not None:
        bounds, required = _within_profile(bounds, profile)
    n = draw(st.integers(min_value=bounds.min_responsibilities, max_value=bounds.max_responsibilities))
    selectors = draw(st.lists(st.sampled_from(_SELECTORS), min_size=n, max_size=n))
    buckets = [draw(st.sampled_from(BUCKETS)) for _ in range(n)]
    if profile is not None:
        selectors[0] = _SELECTORS[0]
        buckets[0] = "compliant"
        for i, b in enumerate(dict.fromkeys(b for b in required if b != "compliant"), 1):
            buckets[i] = b
    resps = [_responsibility(draw, i, sel, buckets[i], bounds, sub_limit=not (profile is not None and i == 0))
             for i, sel in enumerate(selectors)]
    data = _product_data(draw, period, resps)
    _shared_terms(draw, data, resps, bounds)
    return parse_product(data)


@dataclass(frozen=True)
class _Bounds:
    """The bounds a generated product's terms are drawn within."""

    min_responsibilities: int
    max_responsibilities: int
    max_deductible: Decimal
    min_rate: Decimal
    max_rate: Decimal
    min_cap: Decimal
    max_cap: Decimal


def _within_profile(bounds: _Bounds, profile: Profile) -> tuple[_Bounds, list[str]]:
    """``bounds`` narrowed to the profile's, and the buckets the profile requires."""
    for rule in profile.rules:
        if rule.kind == "max_deductible":
            bounds = replace(bounds, max_deductible=rule.bound)
        elif rule.kind == "min_ratio":
            bounds = replace(bounds, min_rate=rule.rate)
        elif rule.kind == "min_cap":
            bounds = replace(bounds, min_cap=rule.bound, max_cap=max(bounds.max_cap, rule.bound * 3))  # type: ignore[operator]
    required = [b for rule in profile.rules if rule.kind == "covers_buckets" for b in rule.buckets]
    least = max(bounds.min_responsibilities, len(set(required)) + 1)
    return replace(bounds, min_responsibilities=least, max_responsibilities=max(bounds.max_responsibilities, least)), required


def _responsibility(draw: st.DrawFn, i: int, sel: dict[str, Any], bucket: str, bounds: _Bounds, *,
                    sub_limit: bool) -> dict[str, Any]:
    """Responsibility ``r{i}`` taking ``sel``: deductibles, ratios, maybe a cap and (when
    ``sub_limit``) sometimes a sub-limit."""
    min_rate, max_rate = bounds.min_rate, bounds.max_rate
    r: dict[str, Any] = {
        "id": f"r{i}", "name_zh": f"责任{i}", "name_en": f"responsibility {i}",
        "bucket": bucket,
        "takes": [dict(sel)],
        "deductible": [{"amount": draw(amounts(max_value=bounds.max_deductible)), "source": "generated"}],
        "ratio": [draw(_ratios(min_rate=min_rate, max_rate=max_rate))],
        "ratio_basis": draw(st.sampled_from(("eligible", "after_deductible"))),
    }
    if draw(st.booleans()):
        r["ratio"].insert(0, {**draw(_ratios(min_rate=min_rate, max_rate=max_rate)), "when": {"pre_existing": True}})
    if draw(st.booleans()):
        r["deductible"].insert(0, {"amount": draw(amounts(max_value=bounds.max_deductible)), "source": "generated",
                                   "when": {"pre_existing": True}})
    if draw(st.booleans()):
        r["cap"] = {"amount": draw(amounts(min_value=bounds.min_cap, max_value=bounds.max_cap)), "source": "generated"}
    if draw(st.integers(min_value=0, max_value=3)) == 0 and sub_limit:
        measure = draw(st.sampled_from(("payable", "eligible", "count")))
        sub = {"id": "s0", "name_zh": "分项限额", "takes": dict(sel),
               "per": draw(st.sampled_from(("year", "encounter", "item_year"))),
               "measure": measure, "source": "generated"}
        if measure == "count":
            sub["count"] = draw(st.integers(min_value=0, max_value=2))
        else:
            sub["limit"] = draw(amounts(min_value="100", max_value="50000"))
        r["sub_limits"] = [sub]
    return r


def _product_data(draw: st.DrawFn, period: Period, resps: list[dict[str, Any]]) -> dict[str, Any]:
    """A product file's data around ``resps``: sources, a special-drug list, pre-existing
    conditions, the cross-year rule."""
    return {
        "id": "generated", "city": "generated", "city_zh": "生成", "name": "生成产品", "policy_year": period.start.year,
        "period": {"start": period.start, "end": period.end},
        "sources": {"generated": {"title": "generated by huiminbao_rules.testing.strategies", "grade": "derived"}},
        "lists": {"special_drugs": {"name_zh": "特药", "source": "generated",
                                    "completeness": draw(st.sampled_from(("complete", "partial", "unknown"))), "items": [
            {"name": "X0001", "codes": ["X0001"], "indications": ["C34"]},
            {"name": "X0002", "codes": ["X0002"]}]}},
        "pre_existing": {"basis": draw(st.sampled_from(("none", "person", "related_claim"))), "source": "generated",
                         "conditions": [{"id": "malignant_tumor", "name_zh": "恶性肿瘤", "icd10": ["C"]},
                                        {"id": "diabetes", "name_zh": "糖尿病", "icd10": ["E11"]}]},
        "cross_year": {"rule": draw(st.sampled_from(("discharge_year", "to_discharge", "ends_at_expiry",
                                                     "admission_year_tail"))),
                       "tail_days": 90, "source": "generated"},
        "rounding": {"source": "generated"},
        "indemnity_source": "generated",
        "responsibilities": resps,
    }


def _shared_terms(draw: st.DrawFn, data: dict[str, Any], resps: list[dict[str, Any]], bounds: _Bounds) -> None:
    """Sometimes a deductible pool shared by the first two responsibilities, a combined cap
    over them, and a total cap."""
    if len(resps) >= 2 and draw(st.booleans()):
        data["deductible_pools"] = [{"id": "shared", "name_zh": "共用免赔额", "deductible": {
            "amount": draw(amounts(max_value=bounds.max_deductible)), "source": "generated"}}]
        for r in resps[:2]:
            del r["deductible"]
            r["deductible_pool"] = "shared"
    if len(resps) >= 2 and draw(st.booleans()):
        data["combined_caps"] = [{"id": "c0", "name_zh": "合并限额", "responsibilities": ["r0", "r1"],
                                  "amount": draw(amounts(min_value=bounds.min_cap, max_value=bounds.max_cap)),
                                  "source": "generated"}]
    if draw(st.booleans()):
        data["total_cap"] = {"amount": draw(amounts(min_value=bounds.min_cap, max_value=bounds.max_cap)),
                             "source": "generated"}
