"""What-if runs over a population (``huiminbao_rules.analytics.scenarios``): every summary figure is
what the per-claim rows add up to, comparisons account for everyone, a lower deductible
never pays anyone less, the charts render, and Dask gives exactly the single-process rows."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from huiminbao_rules import (  # noqa: E402
    Claim,
    Encounter,
    FeeLine,
    InputError,
    Insured,
    Settlement,
    get_product,
    parse_product,
)
from huiminbao_rules.analytics.batch import BUCKETS  # noqa: E402
from huiminbao_rules.analytics.population import Population  # noqa: E402
from huiminbao_rules.rules.product import Period  # noqa: E402
from huiminbao_rules.analytics.charts import plot_payouts, plot_totals  # noqa: E402
from huiminbao_rules.analytics.scenarios import (  # noqa: E402
    ScenarioResult,
    run,
    run_dask,
    split,
    yuan,
)
from huiminbao_rules.testing import strategies as hst  # noqa: E402

FEN = Decimal("0.01")
YEAR = Period(start=date(2021, 1, 1), end=date(2021, 12, 31))


# ---- a seeded small city-year (the same people every run) -----------------------------------


def _money(rng: random.Random, mu: float, sigma: float) -> Decimal:
    return Decimal(max(1, int(rng.lognormvariate(mu, sigma) * 100))).scaleb(-2)


def _encounter(rng: random.Random, n: int) -> Encounter:
    kind = rng.choice(["inpatient", "inpatient", "outpatient_special", "outpatient"])
    lines = []
    for i in range(rng.randint(1, 4)):
        level = rng.choice(["01", "02", "03"])
        total = _money(rng, 9.3, 1.2)
        ful = total if level == "03" else Decimal("0.00")
        pre = (total * Decimal(rng.randint(5, 30)) / 100).quantize(FEN) if level == "02" else Decimal("0.00")
        lines.append(FeeLine(med_list_codg=f"X{i}", name=f"item {i}", chrgitm_lv=level,
                             med_chrgitm_type=rng.choice(["09", "03", "06"]), det_item_fee_sumamt=total,
                             fulamt_ownpay_amt=ful, preselfpay_amt=pre))
    ful = sum((ln.fulamt_ownpay_amt for ln in lines), Decimal("0.00"))
    pre = sum((ln.preselfpay_amt for ln in lines), Decimal("0.00"))
    inscp = sum((ln.inscp_scp_amt for ln in lines), Decimal("0.00"))
    public = (inscp * Decimal(rng.randint(40, 90)) / 100).quantize(FEN)
    settlement = Settlement(medfee_sumamt=ful + pre + inscp, fulamt_ownpay_amt=ful, preselfpay_amt=pre,
                            inscp_scp_amt=inscp, hifp_pay=public)
    day = YEAR.start + timedelta(days=rng.randint(0, 340))
    dates = ({"admitted_on": day, "discharged_on": day + timedelta(days=rng.randint(0, 20))}
             if kind == "inpatient" else {"service_date": day})
    return Encounter(id=f"E{n}", kind=kind, institution="医院", diagnoses=("C34.9",), settlement=settlement,
                     fee_lines=tuple(lines), **dates)


def city_claims(seed: int, people: int) -> list[Claim]:
    """``people`` insured of Hangzhou 2021 with 1-3 claims each, heavy-tailed costs."""
    rng = random.Random(seed)
    out = []
    for i in range(people):
        person = Insured(id=f"P{i:04d}", birth_date=date(rng.randint(1935, 2015), 6, 15),
                         scheme=rng.choice(["employee", "resident"]), enrolled_on=date(2020, 12, 1),
                         groups=("retiree",) if rng.random() < 0.2 else ())
        for k in range(rng.choice([1, 1, 1, 2, 3])):
            encs = tuple(_encounter(rng, n) for n in range(1, rng.randint(1, 2) + 1))
            out.append(Claim(claim_id=f"C{i:04d}-{k}", insured=person, encounters=encs))
    return out


def with_people_without_claims(population: Population, n: int) -> Population:
    """The population with ``n`` more insured who made no claim."""
    extra = population.insured.iloc[[0] * n].copy()
    extra["insured_id"] = [f"Q{i:04d}" for i in range(n)]
    return Population(insured=pd.concat([population.insured, extra], ignore_index=True), claims=population.claims,
                      encounters=population.encounters, fee_lines=population.fee_lines)


BASE = get_product("hangzhou-2021")
VARIANTS = {
    "original": BASE,
    "revised": get_product("hangzhou-2021-revised"),
    "deductible 15000": BASE.with_changes({"responsibilities.in_list.deductible[0].amount": "15000"}, id="hz-d15000"),
    "top band 85%": BASE.with_changes({"responsibilities.out_of_list.ratio[0].bands[1].rate": "0.85"}, id="hz-b85"),
    "cap 100000": BASE.with_changes({"total_cap.amount": "100000"}, id="hz-cap"),
}


@pytest.fixture(scope="module")
def population() -> Population:
    return with_people_without_claims(Population.from_claims(city_claims(7, 60)), 15)


@pytest.fixture(scope="module")
def result(population: Population) -> ScenarioResult:
    return run(population, VARIANTS)


# ---- the summary is what the rows add up to --------------------------------------------------


def _inverted_cdf(values: list[int], q: int) -> int:
    ordered = sorted(values)
    k = -(-q * len(ordered) // 100)  # ceil(q% of n): the k-th smallest value
    return ordered[max(k, 1) - 1]


def test_every_summary_figure_is_what_the_claim_rows_add_up_to(population: Population,
                                                               result: ScenarioResult) -> None:
    summary = result.summary()
    assert list(summary.index) == list(VARIANTS)
    everyone = set(population.insured["insured_id"])
    assert len(everyone) == 75
    for name, product in VARIANTS.items():
        rows = [r for r in result.claims.to_dict("records") if r["variant"] == name]
        s = summary.loc[name]
        per_person: dict[str, int] = {}
        for r in rows:
            per_person[r["insured_id"]] = per_person.get(r["insured_id"], 0) + r["payable"]
        paid = [v for v in per_person.values() if v > 0]
        assert s["product_id"] == product.id
        assert s["claims"] == len(rows) == len(population.claims)
        assert s["insured"] == 75 and s["claimants"] == 60 == len(per_person)
        assert s["beneficiaries"] == len(paid)
        for col in ("owed", "eligible", "payable", "indemnity_cut"):
            assert s[col] == sum(r[col] for r in rows), col
        for b in BUCKETS:
            assert s[f"eligible_{b}"] == sum(r[f"eligible_{b}"] for r in rows)
            assert s[f"payable_{b}"] == sum(r[f"payable_{b}"] for r in rows)
        assert s["payable"] == sum(s[f"payable_{b}"] for b in BUCKETS)
        assert s["premium_income"] == 75 * 15000 and s["premium_basis"] == "insured × first premium"
        assert s["loss_ratio"] == pytest.approx(s["payable"] / (75 * 15000), rel=1e-12)
        assert s["share_benefiting"] == pytest.approx(len(paid) / 75, rel=1e-12)
        assert (s["payout_p50"], s["payout_p90"], s["payout_p99"], s["payout_max"]) == (
            _inverted_cdf(paid, 50), _inverted_cdf(paid, 90), _inverted_cdf(paid, 99), max(paid))
        assert s["payable_per_insured"] == int((Decimal(int(s["payable"])) / 75).quantize(Decimal(1), "ROUND_HALF_UP"))


def test_money_is_int64_fen_in_every_frame(result: ScenarioResult) -> None:
    for frame in (result.claims, result.insured):
        for col in frame.columns:
            if col in ("owed", "eligible", "payable", "indemnity_cut") or col.startswith(("eligible_", "payable")):
                assert frame[col].dtype == np.int64, col
    summary = result.summary()
    assert summary["payable"].dtype == np.int64 and summary["premium_income"].dtype == "Int64"


def test_the_per_insured_table_has_everyone_under_every_variant(population: Population,
                                                                result: ScenarioResult) -> None:
    per = result.insured
    assert len(per) == 75 * len(VARIANTS)
    for name in VARIANTS:
        mine = per[per["variant"] == name]
        assert set(mine["insured_id"]) == set(population.insured["insured_id"])
        assert mine["payable"].sum() == result.claims.loc[result.claims["variant"] == name, "payable"].sum()
        assert (mine.loc[mine["insured_id"].str.startswith("Q"), ["claims", "payable"]] == 0).all().all()


def test_yuan_is_exact_decimal_in_summary_tables(result: ScenarioResult) -> None:
    fen, in_yuan = result.summary(), result.summary(unit="yuan")
    for name in VARIANTS:
        assert in_yuan.loc[name, "payable"] == Decimal(int(fen.loc[name, "payable"])) / 100
        assert isinstance(in_yuan.loc[name, "payout_p90"], Decimal)
        assert in_yuan.loc[name, "claims"] == fen.loc[name, "claims"]  # counts are not money
    assert yuan(1) == Decimal("0.01") and str(yuan(1234500)) == "12345.00"
    assert yuan(pd.Series([5, 120])).tolist() == [Decimal("0.05"), Decimal("1.20")]


def test_given_premium_income_is_used_and_said_to_be(population: Population) -> None:
    no_premium = parse_product({**BASE.model_dump(mode="python", by_alias=True), "premiums": [], "id": "hz-free"})
    r = run(population, {"a": BASE, "b": no_premium, "c": BASE}, premium_income={"a": "1000000.50"})
    s = r.summary()
    assert (s.loc["a", "premium_income"], s.loc["a", "premium_basis"]) == (100000050, "given")
    assert s.loc["a", "loss_ratio"] == pytest.approx(s.loc["a", "payable"] / 100000050)
    assert pd.isna(s.loc["b", "premium_income"]) and np.isnan(s.loc["b", "loss_ratio"])
    assert s.loc["b", "premium_basis"] == "none"
    assert s.loc["c", "premium_basis"] == "insured × first premium"
    with pytest.raises(InputError, match="binary float"):
        run(population, {"a": BASE}, premium_income=1.5)
    with pytest.raises(InputError, match="no such variant"):
        run(population, {"a": BASE}, premium_income={"z": 1})


def test_two_unnamed_variants_with_one_id_are_refused(population: Population) -> None:
    a = BASE.with_changes({"total_cap.amount": "1000"})
    b = BASE.with_changes({"total_cap.amount": "2000"})
    with pytest.raises(InputError, match="two variants have this id"):
        run(population, [a, b])
    assert run(population.subset(["P0001"]), [BASE, a]).variants == ["hangzhou-2021", "hangzhou-2021~variant"]


def test_the_worked_example_of_the_docs_pays_what_the_docs_show() -> None:
    from pathlib import Path

    from huiminbao_rules import parse_claim

    root = Path(__file__).resolve().parent.parent
    claim = parse_claim((root / "examples" / "claims" / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    base = get_product("shenzhen-2023").with_changes({"lists.rare_disease_drugs.completeness": "complete",
                                                      "lists.gba_drugs_devices.completeness": "complete"},
                                                     id="shenzhen-2023-as-published")
    what_if = base.with_changes({"responsibilities.in_list.deductible[0].amount": "10000",
                                 "responsibilities.in_list.ratio[0].rate": "0.90"}, id="sz-what-if")
    result = run(Population.from_claims([claim]), {"published": base, "what if": what_if}, premium_income="100")
    s = result.summary(unit="yuan")
    assert [str(v) for v in s["payable"]] == ["38600.00", "44510.00"]
    assert [str(v) for v in s["payable_compliant"]] == ["4080.00", "9990.00"]
    assert list(s["loss_ratio"]) == [386.0, 445.1]
    assert result.compare("published", "what if").outcomes().loc["gains", "difference"] == 591000
    docs = (root / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert "published  38600.00           4080.00           34520.00       386.0" in docs
    assert "591,000 fen (5,910.00 yuan)" in docs


# ---- who gains, who loses ------------------------------------------------------------------


def test_compare_accounts_for_everyone_and_every_fen(result: ScenarioResult) -> None:
    s = result.summary()
    for a, b in (("original", "revised"), ("original", "cap 100000"), ("top band 85%", "deductible 15000")):
        c = result.compare(a, b)
        t = c.outcomes()
        assert t.loc["gains", "insured"] + t.loc["loses", "insured"] + t.loc["unchanged", "insured"] == 75
        assert t.loc["all", "insured"] == 75
        assert t.loc["all", "difference"] == s.loc[b, "payable"] - s.loc[a, "payable"]
        assert t.loc["all", "difference"] == t.loc["gains", "difference"] + t.loc["loses", "difference"]
        assert t.loc["unchanged", "difference"] == 0
        assert t.loc["gains", "difference"] >= 0 >= t.loc["loses", "difference"]
        assert (t.loc["all", "payable_a"], t.loc["all", "payable_b"]) == (s.loc[a, "payable"], s.loc[b, "payable"])
        per = c.per_insured
        assert (per["difference"] == per["payable_b"] - per["payable_a"]).all()
        assert (per.loc[per["outcome"] == "gains", "difference"] > 0).all()
        top = c.largest(3)
        gains = top[top["difference"] > 0]["difference"].tolist()
        assert gains == sorted(gains, reverse=True)
        if len(gains):
            assert gains[0] == per["difference"].max()


def test_a_lower_cap_only_takes_and_a_lower_deductible_only_gives(result: ScenarioResult) -> None:
    capped = result.compare("original", "cap 100000").outcomes()
    assert capped.loc["gains", "insured"] == 0 and capped.loc["loses", "insured"] > 0
    lower = result.compare("original", "deductible 15000").outcomes()
    assert lower.loc["loses", "insured"] == 0 and lower.loc["gains", "insured"] > 0


def test_compare_by_a_column_splits_the_outcomes(result: ScenarioResult) -> None:
    t = result.compare("original", "revised", by="scheme").outcomes()
    assert set(t.index.get_level_values("scheme")) == {"employee", "resident"}
    assert t.xs("all", level="outcome")["insured"].sum() == 75
    with pytest.raises(InputError, match="not a column"):
        result.compare("original", "revised", by="nope")
    with pytest.raises(InputError, match="no such variant"):
        result.compare("original", "nope")


# ---- a lower deductible never pays anyone less ------------------------------------------------


def _single_in_list(deductible: Decimal, bands: list[tuple[Decimal, Decimal]], basis: str) -> dict[str, Any]:
    return {
        "id": "one", "city": "generated", "city_zh": "生成", "name": "单责任", "policy_year": 2021,
        "period": {"start": YEAR.start, "end": YEAR.end},
        "sources": {"g": {"title": "test", "grade": "derived"}},
        "pre_existing": {"basis": "none", "source": "g"},
        "cross_year": {"rule": "discharge_year", "source": "g"},
        "rounding": {"source": "g"}, "indemnity_source": "g",
        "responsibilities": [{
            "id": "in_list", "name_zh": "目录内", "name_en": "in-list", "bucket": "compliant",
            "takes": [{"portions": ["preselfpay", "inscp_copay"], "encounter_kinds": ["inpatient", "outpatient_special"]}],
            "deductible": [{"amount": deductible, "source": "g"}],
            "ratio": [{"bands": [{"from": f, "rate": r} for f, r in bands], "source": "g"}],
            "ratio_basis": basis}],
    }


@st.composite
def people_years(draw: st.DrawFn) -> list[Claim]:
    """A few people's years of claims, with distinct insured and claim ids."""
    out = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        year = draw(hst.claim_years(period=YEAR, max_claims=3, insured=hst.insureds(policy_year=2021, id=f"P{i}")))
        out += [c.model_copy(update={"claim_id": f"P{i}-{c.claim_id}"}) for c in year]
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(claims=people_years(), high=hst.amounts(max_value="40000"), cut=hst.amounts(max_value="40000"),
       first=hst.rates(), second=hst.rates(), edge=hst.amounts(min_value="1", max_value="100000"),
       basis=st.sampled_from(["eligible", "after_deductible"]))
def test_a_lower_deductible_never_pays_anyone_less(claims, high, cut, first, second, edge, basis) -> None:
    low = max(high - cut, Decimal("0.00"))
    bands = [(Decimal(0), first), (edge, second)]
    product = parse_product(_single_in_list(high, bands, basis))
    lower = product.with_changes({"responsibilities.in_list.deductible[0].amount": str(low)}, id="one-lower")
    c = run(Population.from_claims(claims), [product, lower]).compare("one", "one-lower")
    assert c.outcomes().loc["loses", "insured"] == 0, c.per_insured


# ---- charts ------------------------------------------------------------------------------------


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_the_charts_render_to_png_and_are_never_shown(result: ScenarioResult, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("a chart called plt.show()"))
    before = plt.get_fignums()
    for fig in (plot_payouts(result), plot_totals(result), plot_payouts(result, variants=["original"], bins=10),
                plot_totals(result, variants=["revised", "original"])):
        png = _png(fig)
        assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert plt.get_fignums() == before  # pyplot never learnt of them


def test_a_chart_draws_into_given_axes_and_copes_with_nobody_paid(population: Population) -> None:
    from matplotlib.figure import Figure

    nothing = BASE.with_changes({"responsibilities.in_list.ratio[0].rate": "0",
                                 "responsibilities.out_of_list.ratio[0].bands[0].rate": "0",
                                 "responsibilities.out_of_list.ratio[0].bands[1].rate": "0"}, id="hz-nothing")
    r = run(population.subset(["P0001", "P0002"]), [nothing])
    assert r.summary().loc["hz-nothing", "beneficiaries"] == 0
    assert pd.isna(r.summary().loc["hz-nothing", "payout_p50"])
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_payouts(r, ax=left) is fig and plot_totals(r, ax=right) is fig
    assert _png(fig).startswith(b"\x89PNG")


def test_the_result_does_not_depend_on_the_engine(population: Population, result: ScenarioResult) -> None:
    # the columnar engine (numba) is part of the test install: a broken import fails here
    import huiminbao_rules.analytics.columnar  # noqa: F401

    _same(run(population, VARIANTS, engine="batch"), result)
    _same(run(population, VARIANTS, engine="reference"), result)


# ---- Dask -------------------------------------------------------------------------------------


def test_split_keeps_each_persons_year_in_one_part(population: Population) -> None:
    parts = split(population, 4)
    assert len(parts) == 4
    seen: set[str] = set()
    for part in parts:
        ids = set(part.insured["insured_id"])
        assert not ids & seen
        seen |= ids
        assert set(part.claims["insured_id"]) <= ids
        assert set(part.encounters["claim_id"]) <= set(part.claims["claim_id"])
        assert set(part.fee_lines["claim_id"]) <= set(part.claims["claim_id"])
    assert seen == set(population.insured["insured_id"])
    assert sum(len(p.claims) for p in parts) == len(population.claims)
    assert sum(len(p.fee_lines) for p in parts) == len(population.fee_lines)
    many = split(population, 1000)  # at most one part per person, none empty
    assert 1 < len(many) <= 75 and all(len(p.insured) for p in many)
    assert len(split(population, 1)) == 1


def _same(a: ScenarioResult, b: ScenarioResult) -> None:
    pd.testing.assert_frame_equal(a.claims, b.claims)
    pd.testing.assert_frame_equal(a.insured, b.insured)
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_dask_without_a_client_gives_the_same_rows(population: Population, result: ScenarioResult) -> None:
    _same(run_dask(population, VARIANTS, partitions=3), result)


def test_dask_on_a_local_cluster_gives_the_same_rows(population: Population, result: ScenarioResult) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        _same(run_dask(population, VARIANTS, client=client, partitions=5), result)
        _same(run_dask(population, VARIANTS, client=client), result)
