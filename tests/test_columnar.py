"""The columnar engine agrees with the reference engine to the fen on every claim: a
differential property test over generated populations and products."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiminbao_rules import bundled_products, get_product, parse_claim
from huiminbao_rules.batch import adjudicate_population
from huiminbao_rules.population import Population
from huiminbao_rules.testing import strategies as hst

BUNDLED = bundled_products()
ENGINES: Counter[str] = Counter()
PENDED: Counter[str] = Counter()


@st.composite
def populations(draw):
    product = draw(st.one_of(st.sampled_from(BUNDLED), hst.products()))
    years = draw(st.lists(hst.claim_years(period=product.period, max_claims=3), min_size=1, max_size=4))
    claims = []
    for i, year in enumerate(years):
        for c in year:
            person = c.insured.model_copy(update={"id": f"P{i}"})
            claims.append(c.model_copy(update={"insured": person, "claim_id": f"P{i}-{c.claim_id}"}))
    return product, Population.from_claims(claims)


def _same(product, population) -> None:
    reference = adjudicate_population(population, product, engine="reference")
    batch = adjudicate_population(population, product, engine="batch")
    # Products with sub-limits, and people with a line held for review, fall back by design.
    if not any(r.sub_limits for r in product.responsibilities):
        pended_people = set(batch.loc[batch["pending"] > 0, "insured_id"])
        ENGINES.update(batch.loc[~batch["insured_id"].isin(pended_people), "engine"])
    PENDED.update(batch.loc[batch["pending"] > 0, "engine"])
    columns = [c for c in reference.columns if c != "service_on"]
    pd.testing.assert_frame_equal(reference[columns], batch[columns], check_dtype=False)
    assert (reference["service_on"].dt.date == batch["service_on"].dt.date).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(populations())
def test_the_columnar_engine_agrees_with_the_reference_to_the_fen_on_every_claim(case) -> None:
    product, population = case
    _same(product, population)


def test_most_generated_claims_take_the_columnar_path_not_the_fallback() -> None:
    # Runs after the differential test in this module: for products without sub-limits only
    # people with a stay pro-rated across the end of cover go to the reference engine, so the
    # columnar path must carry nearly all of them.
    if sum(ENGINES.values()) > 100:
        assert ENGINES["batch"] >= 4 * ENGINES["reference"], ENGINES


def test_claims_held_for_review_were_generated_and_computed_by_the_reference_engine() -> None:
    # Runs after the differential test: pended claims occur (so the agreement above covers
    # them) and only the reference engine reports them.
    if sum(ENGINES.values()) > 100:
        assert PENDED["reference"] > 0 and PENDED["batch"] == 0, PENDED


def test_the_published_examples_agree() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "claims"
    for path in sorted(root.glob("*.json")):
        city, year = path.stem.split("-")[:2]
        claim = parse_claim(path.read_text(encoding="utf-8"))
        _same(get_product(f"{city}-{year}"), Population.from_claims([claim]))


def test_the_core_library_imports_no_numpy_pandas_or_numba() -> None:
    code = ("import sys, huiminbao_rules, huiminbao_rules.cli, huiminbao_rules.regulation, huiminbao_rules.enrollment;"
            "print(sorted(m for m in ('numpy', 'pandas', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_engines_agree_under_every_choice_for_unknown_lists() -> None:
    from huiminbao_rules.synthetic import SyntheticParams, population as synthetic

    for pid in ("shenzhen-2023", "hangzhou-2022", "shanghai-2024"):
        product = get_product(pid)
        population = synthetic(product, SyntheticParams(insured=1_500), seed=5)
        totals = {}
        for mode in ("pend", "member", "non-member"):
            reference = adjudicate_population(population, product, engine="reference", unknown_lists=mode)
            batch = adjudicate_population(population, product, unknown_lists=mode)
            columns = [c for c in reference.columns if c != "service_on"]
            pd.testing.assert_frame_equal(reference[columns], batch[columns], check_dtype=False)
            totals[mode] = (int(batch["payable"].sum()), int(batch["pending"].sum()))
        # pended amounts exist by default and vanish when the run decides
        assert totals["pend"][1] > 0 and totals["member"][1] == totals["non-member"][1] == 0, (pid, totals)
