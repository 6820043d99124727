"""The benchmark's hand-written baselines (bench/baseline_pandas.py, bench/baseline_polars.py)
compute what the library computes: every claim's payable equal to the fen to both engines'
on generated populations, including people outside cover, stays from the year before,
claims cut by the indemnity limit and years that reach a responsibility's cap."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from huiminbao_rules import get_product
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.analytics.synthetic import ByKind, Lognormal, SyntheticParams, population

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import baseline_pandas  # noqa: E402
import baseline_polars  # noqa: E402
import hangzhou_2022  # noqa: E402

PRODUCT = get_product("hangzhou-2022")


def _shifted(pop, seed: int):  # type: ignore[no-untyped-def]
    """The population with dates moved so every cover rule is met: encounters in the year
    before and after, stays admitted the year before, people enrolled during the year."""
    rng = pd.Series(range(len(pop.encounters))).sample(frac=1.0, random_state=seed).to_numpy()
    enc = pop.encounters.copy()
    shift = pd.to_timedelta(pd.Series(rng % 7 - 3, index=enc.index) * 70, unit="D")  # -210 .. +210 days
    moved = rng % 5 == 0
    for col in ("admitted_on", "discharged_on", "service_date"):
        enc.loc[moved, col] = enc.loc[moved, col] + shift[moved]
    early = (rng % 11 == 1) & (enc["kind"] == "inpatient").to_numpy()  # admitted last year, discharged this
    enc.loc[early, "admitted_on"] = pd.Timestamp("2021-12-20")
    insured = pop.insured.copy()
    late = insured.index % 6 == 0
    insured.loc[late, "enrolled_on"] = pd.Timestamp("2022-04-01")
    return replace(pop, insured=insured, encounters=enc)


# The baselines implement the product's rules that need no list member (see hangzhou_2022):
# the populations draw no line named on a product list (no proton/heavy-ion therapy).
NO_LISTED = SyntheticParams(listed_share=0.0)


def _heavy() -> SyntheticParams:
    """Large out-of-list amounts and frequent other insurance: years reach the caps of 2a
    and 2b and many claims are cut by the indemnity limit."""
    base = NO_LISTED
    return replace(base, insured=1500, claim_share=0.5, claims_per_claimant=6.0,
                   fulamt=ByKind(Lognormal(150_000, 1.0, 2_000_000), Lognormal(60_000, 1.0, 500_000),
                                 Lognormal(60, 1.2, 20_000), None),
                   other_insurance_share=0.4, other_insurance_fraction=(0.5, 1.0))


def _populations():  # type: ignore[no-untyped-def]
    plain = population(PRODUCT, NO_LISTED.sized(claims=700, lines_per_claim=20), seed=11)
    yield "plain", plain
    yield "cover", _shifted(population(PRODUCT, NO_LISTED.sized(claims=700, lines_per_claim=20), seed=12), 3)
    yield "heavy", population(PRODUCT, _heavy(), seed=13)


POPULATIONS = dict(_populations())


def _engines(pop) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    batch = adjudicate_population(pop, PRODUCT, unknown_lists=hangzhou_2022.UNKNOWN_LISTS)[["claim_id", "payable"]]
    reference = adjudicate_population(pop, PRODUCT, engine="reference",
                                      unknown_lists=hangzhou_2022.UNKNOWN_LISTS)[["claim_id", "payable"]]
    both = batch.merge(reference, on="claim_id", suffixes=("", "_reference"), validate="1:1")
    assert (both["payable"] == both["payable_reference"]).all()
    return batch.astype({"claim_id": str}).sort_values("claim_id", ignore_index=True)


ENGINES = {name: _engines(pop) for name, pop in POPULATIONS.items()}


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.astype({"claim_id": str, "payable": "int64"}).sort_values("claim_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, expected.astype({"payable": "int64"}))


def test_the_transcribed_rules_are_the_product_files() -> None:
    hangzhou_2022.check_against(PRODUCT)
    with pytest.raises(AssertionError):
        hangzhou_2022.check_against(get_product("hangzhou-2021"))


def test_the_populations_meet_what_they_are_for() -> None:
    cover = POPULATIONS["cover"]
    kinds = {"outside the year": ((cover.encounters["discharged_on"].dt.year != 2022)
                                  & (cover.encounters["kind"] == "inpatient")).sum(),
             "admitted the year before": (cover.encounters["admitted_on"].dt.year == 2021).sum(),
             "enrolled during the year": (cover.insured["enrolled_on"].dt.year == 2022).sum()}
    assert all(kinds.values()), kinds
    heavy = adjudicate_population(POPULATIONS["heavy"], PRODUCT, unknown_lists=hangzhou_2022.UNKNOWN_LISTS)
    assert (heavy["indemnity_cut"] > 0).sum() >= 10
    paid = heavy.groupby("insured_id")[["payable:out_of_list_items", "payable:out_of_list_drugs"]].sum()
    assert (paid["payable:out_of_list_items"] == hangzhou_2022.ITEMS_CAP).sum() >= 3


@pytest.mark.parametrize("name", POPULATIONS)
@pytest.mark.parametrize("settle_everyone", [False, True])
def test_the_pandas_baseline_pays_what_the_engines_pay(name: str, settle_everyone: bool) -> None:
    got, capped = baseline_pandas.payable(POPULATIONS[name], settle_everyone=settle_everyone)
    _same(got, ENGINES[name])
    if settle_everyone:
        assert capped == POPULATIONS[name].claims["insured_id"].nunique()


@pytest.mark.parametrize("name", POPULATIONS)
@pytest.mark.parametrize("settle_everyone", [False, True])
def test_the_polars_baseline_pays_what_the_engines_pay(name: str, settle_everyone: bool) -> None:
    got, capped = baseline_polars.payable(baseline_polars.frames(POPULATIONS[name]), settle_everyone=settle_everyone)
    assert isinstance(got, pl.DataFrame)
    _same(got.to_pandas(), ENGINES[name])
    if settle_everyone:
        assert capped == POPULATIONS[name].claims["insured_id"].nunique()


def test_people_whose_year_reaches_a_cap_go_through_the_cap_loop() -> None:
    _, by_pandas = baseline_pandas.payable(POPULATIONS["heavy"])
    _, by_polars = baseline_polars.payable(baseline_polars.frames(POPULATIONS["heavy"]))
    assert by_pandas == by_polars >= 3
