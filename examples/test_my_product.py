"""Property tests an insurer might write for its own product, using only the library's
public strategies. Run: python -m pytest examples/test_my_product.py

Swap in your own product file with ``read_product("my-product.toml")``, and the headline
terms of ``test_an_in_list_stay_is_paid_at_the_published_ratios`` for yours.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings, target
from hypothesis import strategies as st

from huiminbao_rules import Claim, adjudicate, get_product, replay
from huiminbao_rules.testing import strategies as hst

product = get_product("hangzhou-2022")
# Claims of the product's own policy year (2022), so every rule below is exercised; a
# claim of another year would pay nothing and prove nothing.
in_year = hst.claims(period=product.period, other_insurance_paid=st.one_of(
    st.just(Decimal("0.00")), hst.amounts(max_value="50000")))


@settings(max_examples=60, deadline=None)
@given(in_year)
def test_never_pays_more_than_the_person_still_owes(claim: Claim) -> None:
    result = adjudicate(claim, product)
    target(int(result.payable * 100))  # steer towards claims that pay, where the bound can bite
    assert "other_policy_year" not in {reason for line in result.lines for reason in line.reasons}
    assert Decimal("0.00") <= result.payable <= max(claim.owed - claim.other_insurance_paid, Decimal("0.00"))


# A healthy person (no special group, so the ordinary 13,000 deductible) with stays whose
# lines are all in the catalogue (甲/乙类): only responsibility 1 (in_list) takes them.
healthy = hst.insureds(policy_year=product.policy_year, conditions=(), groups=())
in_list_stay = hst.encounters(kinds=("inpatient",), period=product.period,
                              lines=hst.fee_lines(levels=("01", "02"), max_value="60000"))


@settings(max_examples=60, deadline=None)
@given(hst.claims(insured=healthy, period=product.period, encounter=in_list_stay))
def test_an_in_list_stay_is_paid_at_the_published_ratios(claim: Claim) -> None:
    # The product's terms for responsibility 1 (products/hangzhou/2022.toml): the 乙类先行自付
    # and the in-scope co-pay count; deductible 13,000 a year; 30% of what lies between
    # 13,000 and 25,000 of the year's eligible, 80% above 25,000; cap 1,200,000; amounts
    # above the price ceiling (超限价) are taken by no responsibility.
    eligible = claim.owed - sum((line.overlmt_amt for e in claim.encounters for line in e.fee_lines), Decimal("0"))
    raw = Decimal("0.30") * (min(eligible, Decimal(25000)) - 13000) if eligible > 13000 else Decimal(0)
    raw += Decimal("0.80") * (eligible - 25000) if eligible > 25000 else 0
    expected = min(raw.quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal(1_200_000))
    result = adjudicate(claim, product)
    target(int(eligible))
    assert result.responsibility("in_list").eligible == eligible
    assert result.responsibility("in_list").deductible == min(eligible, Decimal(13000))
    assert result.payable == result.responsibility("in_list").payable == expected


@settings(max_examples=40, deadline=None)
@given(hst.claim_years(period=product.period, max_claims=4))
def test_a_year_stays_under_every_cap(claims: list[Claim]) -> None:
    year = replay(claims, product)
    paid = year.year_to_date
    assert paid.total_paid == sum((a.payable for a in year.adjudications), Decimal("0.00"))
    assert paid.total_paid <= product.total_cap.amount
    for r in product.responsibilities:
        if r.cap is not None:
            assert paid.responsibility(r.id).paid <= r.cap.amount


@settings(max_examples=40, deadline=None)
@given(hst.claims(period=product.period, other_insurance_paid=hst.amounts(max_value="50000")))
def test_what_others_paid_only_ever_lowers_the_payable(claim: Claim) -> None:
    without = claim.model_copy(update={"other_insurance_paid": Decimal("0.00")})
    with_others, alone = adjudicate(claim, product), adjudicate(without, product)
    target(int(alone.payable * 100))
    assert with_others.payable <= alone.payable
    # What others paid lowers the payable by exactly what the indemnity limit cuts.
    assert with_others.payable == min(alone.payable, max(claim.owed - claim.other_insurance_paid, Decimal("0.00")))


@settings(max_examples=20, deadline=None)
@given(st.from_type(Claim))
def test_a_claim_of_another_policy_year_pays_nothing_and_says_why(claim: Claim) -> None:
    # st.from_type works through the library's hypothesis entry point; it draws claims of
    # the strategies' default policy year (2023), so this 2022 product pays none of them.
    assert claim.service_on.year > product.policy_year
    result = adjudicate(claim, product)
    assert result.payable == Decimal("0.00")
    portions = [p for line in result.lines for p in line.portions]
    assert all(p.eligible == 0 and [e.reason for e in p.exclusions] == ["other_policy_year"] for p in portions)
    assert sum((p.excluded for p in portions), Decimal("0.00")) == claim.owed
