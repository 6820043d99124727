"""Floors as properties: for a product that passes a profile, generated claims never pay
less than the profile implies; for one that does not, the same property finds a claim
that shows it. Run against every bundled product the profile covers, and against
generated products within the profile's bounds."""

from __future__ import annotations

from decimal import Decimal
from random import Random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from huiminbao_rules import Claim, Product, adjudicate
from huiminbao_rules.catalog import bundled_products, get_profile, read_product
from huiminbao_rules.core.money import ZERO
from huiminbao_rules.regulation import check, floor_payout, main_responsibility, people_of
from huiminbao_rules.testing import strategies as hst

HANGZHOU = get_profile("hangzhou-2020")
RULES = {r.kind: r for r in HANGZHOU.rules}
RATE, DEDUCTIBLE, CAP = RULES["min_ratio"].rate, RULES["max_deductible"].bound, RULES["min_cap"].bound
COVERED = [p for p in bundled_products() if p.city in HANGZHOU.cities and p.period.end >= HANGZHOU.effective]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Looking for a claim below the floor: any one will do, so no shrinking; a fixed seed, so
# that a product below the floor in a narrow region is found on every run, not most.
SEARCH = settings(max_examples=3000, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow])


def in_list_claims(product: Product) -> st.SearchStrategy[Claim]:
    """Claims of a person without a pre-existing condition (in any special group the product
    names, or none), first claim of the year, whose cost to them is all in-list (甲类 and
    乙类 lines without an above-ceiling part, in stays and specified-disease outpatient visits;
    the public payers pay a drawn share of the in-scope amount): general ones, and single
    encounters whose cost reaches every region of the floor, up to well past where it meets
    the cap."""
    main = main_responsibility(product)
    groups = tuple(sorted({g for g in people_groups(product, main)}))
    person = hst.insureds(policy_year=product.policy_year, conditions=(), groups=groups)
    in_list = st.one_of(hst.fee_lines(levels=("01",), max_value="400000"),
                        hst.fee_lines(levels=("02",), max_value="400000"))
    kinds = ("inpatient", "outpatient_special")
    stays = hst.encounters(kinds=kinds, period=product.period, lines=in_list.filter(lambda ln: not ln.overlmt_amt),
                           max_lines=4)
    large = hst.encounters(kinds=kinds, period=product.period, public_share=st.just(Decimal("0")),
                           lines=hst.fee_lines(levels=("01", "02"), min_value="1", max_value="3000000").filter(
                               lambda ln: not ln.overlmt_amt), max_lines=1)
    return st.one_of(
        hst.claims(insured=person, period=product.period, encounter=large, max_encounters=1),
        hst.claims(insured=person, period=product.period, encounter=stays, max_encounters=3),
    )


def people_groups(product: Product, main) -> set[str]:  # type: ignore[no-untyped-def]
    return {g for _, gs in people_of(product, main) for g in gs}


def shortfall(product: Product, claim: Claim) -> Decimal:
    """How much less than the floor the main in-list responsibility pays on this claim."""
    compliant = sum((e.settlement.compliant_self_pay for e in claim.encounters), ZERO)
    owed = sum((e.settlement.owed for e in claim.encounters), ZERO)
    assert compliant == owed  # nothing out of the list
    main = main_responsibility(product)
    paid = adjudicate(claim, product).responsibility(main.id).payable
    return floor_payout(compliant, RATE, DEDUCTIBLE, CAP) - paid


def passes(product: Product) -> bool:
    return not any(f.failed for f in check(product, HANGZHOU) if f.rule in ("deductible", "ratio", "cap"))


def test_the_profile_covers_bundled_products() -> None:
    assert COVERED, "no bundled product under the Hangzhou profile"


@pytest.mark.parametrize("product", COVERED, ids=lambda p: p.id)
def test_a_bundled_product_pays_the_floor_exactly_when_the_check_says_it_passes(product: Product) -> None:
    if passes(product):
        @SETTINGS
        @given(in_list_claims(product))
        def never_below_the_floor(claim: Claim) -> None:
            assert shortfall(product, claim) <= 0

        never_below_the_floor()
    else:
        found = find(in_list_claims(product), lambda c: shortfall(product, c) > 0,
                     settings=SEARCH, random=Random(20261129))
        assert shortfall(product, found) > 0


@SETTINGS
@given(st.data())
def test_products_within_the_profiles_bounds_pass_the_check_and_pay_the_floor(data: st.DataObject) -> None:
    product = data.draw(hst.products(profile=HANGZHOU))
    assert not [f for f in check(product, HANGZHOU, strict=True) if f.failed]
    claim = data.draw(in_list_claims(product))
    assert shortfall(product, claim) <= 0


@pytest.mark.parametrize("change", [
    ('deductible = { amount = 20000, source = "hand-made" }', 'deductible = { amount = 30000, source = "hand-made" }'),
    ('ratio = { rate = 0.70, source = "hand-made" }', 'ratio = { rate = 0.60, source = "hand-made" }'),
    ('cap = { amount = 1000000, source = "hand-made" }', 'cap = { amount = 800000, source = "hand-made" }'),
], ids=["deductible-30000", "ratio-60", "cap-800000"])
def test_a_product_that_misses_a_floor_is_caught_by_the_same_property(tmp_path: Path, change) -> None:
    text = (Path(__file__).parent / "regulation" / "minimal.toml").read_text(encoding="utf-8").replace(*change, 1)
    (tmp_path / "p.toml").write_text(text, encoding="utf-8")
    product = read_product(tmp_path / "p.toml")
    assert not passes(product)
    try:
        found = find(in_list_claims(product), lambda c: shortfall(product, c) > 0,
                     settings=SEARCH, random=Random(20261129))
    except NoSuchExample:  # pragma: no cover - a failure of the property test itself
        pytest.fail("the floor property did not catch a product the check fails")
    assert shortfall(product, found) > 0
