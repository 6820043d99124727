"""Property tests an insurer might write for its own product, using only the library's
public strategies. Run: python -m pytest examples/test_my_product.py

Swap in your own product file with ``read_product("my-product.toml")``.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from huiminbao_rules import Claim, adjudicate, get_product, replay
from huiminbao_rules.testing import strategies as hst

product = get_product("hangzhou-2022")
in_period = hst.claims(period=product.period)


@settings(max_examples=60, deadline=None)
@given(in_period)
def test_never_pays_more_than_the_person_still_owes(claim: Claim) -> None:
    result = adjudicate(claim, product)
    assert Decimal("0.00") <= result.payable <= claim.owed - claim.other_insurance_paid


@settings(max_examples=40, deadline=None)
@given(hst.claim_years(period=product.period, max_claims=4))
def test_a_year_stays_under_every_cap(claims: list[Claim]) -> None:
    year = replay(claims, product)
    paid = year.year_to_date
    assert paid.total_paid <= product.total_cap.amount
    for r in product.responsibilities:
        if r.cap is not None:
            assert paid.responsibility(r.id).paid <= r.cap.amount


@settings(max_examples=40, deadline=None)
@given(hst.claims(period=product.period, other_insurance_paid=hst.amounts(max_value="50000")))
def test_what_others_paid_only_ever_lowers_the_payable(claim: Claim) -> None:
    without = claim.model_copy(update={"other_insurance_paid": Decimal("0.00")})
    assert adjudicate(claim, product).payable <= adjudicate(without, product).payable


@settings(max_examples=20, deadline=None)
@given(st.from_type(Claim))
def test_any_claim_hypothesis_can_build_is_valid_input(claim: Claim) -> None:
    # st.from_type works through the library's hypothesis entry point.
    assert adjudicate(claim, product).payable >= 0
