"""Never refused for age, health, medical history or occupation (Hangzhou plan 二(一);
Zhengzhou guidance 三(一)): changing any of them never changes eligibility or cover, and
changes the premium only where the product's own premium table prices by it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiminbao_rules import Product, bundled_products, read_product
from huiminbao_rules.enrollment import Application, BasicInsurance, Payer, Person, enroll
from huiminbao_rules.testing import strategies as hst

TEST_PRODUCTS = [read_product(p) for p in sorted((Path(__file__).parent / "cases").rglob("products/*.toml"))]
PRODUCTS = bundled_products() + TEST_PRODUCTS
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CITIES = sorted({p.city for p in PRODUCTS}) + ["elsewhere"]
GROUPS = ("minimum_living", "extreme_poverty", "child_scheme", "university_student", "retiree")


def _prices_by(product: Product, attribute: str) -> bool:
    keys = {"age": ("min_age", "max_age"), "sex": ("sex",), "health": ("pre_existing",)}[attribute]
    return any(getattr(p.when, k) is not None for p in product.premiums for k in keys)


@st.composite
def cases(draw):
    product = draw(st.sampled_from(PRODUCTS))
    window = product.enrollment.window
    lo = (window.start if window else product.period.start) - timedelta(days=30)
    applied = lo + timedelta(days=draw(st.integers(min_value=0, max_value=(product.period.end - lo).days + 30)))
    basic = draw(st.one_of(st.none(), st.builds(
        BasicInsurance, scheme=st.sampled_from(("employee", "resident")), city=st.sampled_from(CITIES),
        level=st.sampled_from(("city", "provincial", "industry")), status=st.sampled_from(("active", "active", "suspended")))))
    person = Person(
        id="P", relation=draw(st.sampled_from(("self", "spouse", "child", "parent", "sibling"))),
        birth_date=date(draw(st.integers(min_value=1925, max_value=applied.year - 1)), 3, 1),
        sex=draw(st.sampled_from(("female", "male"))), basic_insurance=basic,
        household_city=draw(st.one_of(st.none(), st.sampled_from(CITIES))),
        groups=tuple(draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))),
        pre_existing=tuple(draw(st.lists(st.sampled_from(("malignant_tumor", "diabetes")), max_size=1))),
        occupation=draw(st.sampled_from((None, "teacher", "miner", "pilot"))),
    )
    payer = Payer(id="P", scheme=draw(st.sampled_from(("employee", "resident"))),
                  account_balance=draw(hst.amounts(max_value="500")), consent=draw(st.booleans()))
    payment = draw(st.sampled_from(("cash", "personal_account")))
    other = person.model_copy(update={
        "birth_date": date(draw(st.integers(min_value=1925, max_value=applied.year - 1)), 9, 15),
        "sex": draw(st.sampled_from(("female", "male"))),
        "pre_existing": tuple(draw(st.lists(st.sampled_from(("malignant_tumor", "kidney_failure")), max_size=2, unique=True))),
        "occupation": draw(st.sampled_from((None, "fisher", "acrobat"))),
    })  # enrollment history is not medical history: it may set a waiting period (new enrollees)
    return product, applied, payer, payment, person, other


def _decide(product, applied, payer, payment, person):
    app = Application(application_id="A", applied_on=applied, payer=payer, payment=payment, persons=(person,))
    return enroll(app, product).decisions[0]


def _both(case):
    """The product, and the decisions for the two people who differ only in age, sex,
    health and occupation."""
    product, applied, payer, payment, person, other = case
    return product, _decide(product, applied, payer, payment, person), _decide(product, applied, payer, payment, other)


@SETTINGS
@given(cases())
def test_age_health_history_and_occupation_never_change_eligibility(case) -> None:
    _, a, b = _both(case)
    assert a.eligible == b.eligible
    assert (a.cover_start, a.waiting_until) == (b.cover_start, b.waiting_until)
    refusals = {"not_in_basic_insurance", "basic_insurance_suspended", "not_eligible_here", "not_in_city_basic_insurance",
                "window_not_open", "window_closed", "after_period", "in_other_city_product", "balance_refused"}
    assert set(a.codes) & refusals == set(b.codes) & refusals


@SETTINGS
@given(cases())
def test_the_premium_changes_only_where_the_products_table_prices_by_it(case) -> None:
    product, a, b = _both(case)
    if a.premium != b.premium:
        assert any(_prices_by(product, attr) for attr in ("age", "sex", "health")), product.id
    for d in (a, b):
        if d.eligible and d.premium is not None:
            assert d.subsidy + d.personal_account + d.cash == d.premium
            assert min(d.subsidy, d.personal_account, d.cash) >= 0
