"""The synthetic generator: reproducible, every claim consistent, and its distributions move
with their parameters. Every test uses a fixed seed, so none is flaky; tolerances on
distributions are wide on purpose."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from huiminbao_rules import get_product
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.claims.models import Settlement
from huiminbao_rules.analytics.population import ENCOUNTER_MONEY, LINE_MONEY, Population
from huiminbao_rules.analytics.synthetic import ByKind, Lognormal, SyntheticParams, population

DOCS = Path(__file__).resolve().parent.parent / "docs" / "synthetic.md"
HANGZHOU = get_product("hangzhou-2022")
SMALL = SyntheticParams(insured=300)


def build(product=HANGZHOU, seed: int = 11, **changes) -> Population:
    return population(product, replace(SyntheticParams(insured=20_000), **changes), seed=seed)


def assert_consistent(pop: Population, product) -> None:
    """Every settlement identity and the tables' structure, checked on the columns."""
    e, lines = pop.encounters, pop.fee_lines
    for col in ENCOUNTER_MONEY:
        assert e[col].dtype == np.int64 and (e[col] >= 0).all(), col
    for col in LINE_MONEY:
        assert lines[col].dtype == np.int64 and (lines[col] >= 0).all(), col
    # medfee_split and public_within_scope
    parts = e["fulamt_ownpay_amt"] + e["overlmt_selfpay"] + e["preselfpay_amt"] + e["inscp_scp_amt"]
    assert (e["medfee_sumamt"] == parts).all()
    public = e[list(Settlement.PUBLIC_PAYERS)].sum(axis=1)
    assert (public <= e["inscp_scp_amt"]).all()
    # each line splits with a non-negative in-scope part
    line_inscp = (lines["det_item_fee_sumamt"] - lines["fulamt_ownpay_amt"] - lines["overlmt_amt"]
                  - lines["preselfpay_amt"])
    assert (line_inscp >= 0).all()
    # lines_reconcile: per encounter, the lines add up to the settlement, field by field
    keys = ["claim_id", "encounter_id"]
    sums = lines.assign(inscp_scp_amt=line_inscp).groupby(keys, observed=True)[
        ["det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"]].sum()
    enc = e.set_index(keys).loc[sums.index]
    assert len(sums) == len(e), "every encounter has fee lines"
    for settlement_field, line_field in (("medfee_sumamt", "det_item_fee_sumamt"),
                                         ("fulamt_ownpay_amt", "fulamt_ownpay_amt"),
                                         ("overlmt_selfpay", "overlmt_amt"),
                                         ("preselfpay_amt", "preselfpay_amt"),
                                         ("inscp_scp_amt", "inscp_scp_amt")):
        assert (enc[settlement_field].to_numpy() == sums[line_field].to_numpy()).all(), settlement_field
    # structure: ids, line numbers, claims with encounters, people with claims
    assert pop.claims["claim_id"].is_unique and pop.insured["insured_id"].is_unique
    assert not e.duplicated(keys).any()
    assert set(e["claim_id"].astype(str)) == set(pop.claims["claim_id"])
    assert set(pop.claims["insured_id"]) <= set(pop.insured["insured_id"])
    first = lines.groupby(keys, observed=True)["line_no"].agg(["min", "max", "size"])
    assert (first["min"] == 1).all() and (first["max"] == first["size"]).all()
    # dates: inside the product's period, stays in order, enrollment after birth
    start, end = pd.Timestamp(product.period.start), pd.Timestamp(product.period.end)
    stay = e["kind"] == "inpatient"
    assert e.loc[stay, ["admitted_on", "discharged_on"]].notna().all().all()
    assert e.loc[~stay, "service_date"].notna().all()
    assert (e.loc[stay, "discharged_on"] >= e.loc[stay, "admitted_on"]).all()
    begins = e["admitted_on"].fillna(e["service_date"])
    ends = e["discharged_on"].fillna(e["service_date"])
    assert (begins >= start).all() and (ends <= end).all()
    people = pop.insured
    assert (people["enrolled_on"] >= people["birth_date"]).all()
    assert (people["birth_date"] < start).all()
    # other insurers never paid more than the person owed
    owed = (e["medfee_sumamt"] - public).groupby(e["claim_id"], observed=True).sum()
    other = pop.claims.set_index("claim_id")["other_insurance_paid"]
    assert (other.loc[owed.index.astype(str)].to_numpy() <= owed.to_numpy()).all()


def frames(pop: Population) -> tuple[pd.DataFrame, ...]:
    return (pop.insured, pop.claims, pop.encounters, pop.fee_lines)


# ---- reproducibility ---------------------------------------------------------------------


def test_the_same_seed_gives_identical_tables() -> None:
    a, b = population(HANGZHOU, SMALL, seed=42), population(HANGZHOU, SMALL, seed=42)
    for x, y in zip(frames(a), frames(b)):
        pd.testing.assert_frame_equal(x, y)


def test_different_seeds_give_different_tables() -> None:
    a, b = population(HANGZHOU, SMALL, seed=1), population(HANGZHOU, SMALL, seed=2)
    assert not a.insured.equals(b.insured)
    assert not a.encounters.equals(b.encounters)
    assert len(a.fee_lines) != len(b.fee_lines) or not a.fee_lines.equals(b.fee_lines)


# ---- every claim is valid ----------------------------------------------------------------


@pytest.mark.parametrize("product_id", ["hangzhou-2022", "shanghai-2025", "beijing-2021", "shenzhen-2023",
                                        "mianyang-2022", "zhengzhou-2023"])
def test_every_claim_of_a_small_population_validates(product_id: str) -> None:
    product = get_product(product_id)
    pop = population(product, replace(SMALL, listed_share=0.3), seed=3)
    claims = list(pop.to_claims())  # each is parsed and its settlement identities checked
    assert len(claims) == len(pop.claims) > 0
    assert sum(len(c.encounters) for c in claims) == len(pop.encounters)
    assert sum(len(e.fee_lines) for c in claims for e in c.encounters) == len(pop.fee_lines)
    for c in claims:
        for e in c.encounters:
            assert e.service_on in product.period
    assert_consistent(pop, product)


def test_the_claims_survive_a_round_trip_through_claim_objects() -> None:
    pop = population(HANGZHOU, SMALL, seed=8)
    again = Population.from_claims(pop.to_claims())
    assert again.encounters[list(ENCOUNTER_MONEY)].sum().equals(pop.encounters[list(ENCOUNTER_MONEY)].sum())
    assert again.fee_lines[list(LINE_MONEY)].sum().equals(pop.fee_lines[list(LINE_MONEY)].sum())
    assert again.claims["other_insurance_paid"].sum() == pop.claims["other_insurance_paid"].sum()


def test_a_population_without_claims_still_lists_its_insured() -> None:
    pop = population(HANGZHOU, SyntheticParams(insured=50, claim_share=0.0), seed=1)
    assert (len(pop.insured), len(pop.claims), len(pop.encounters), len(pop.fee_lines)) == (50, 0, 0, 0)
    assert list(pop.to_claims()) == []


# ---- a moderate population, checked on the columns -----------------------------------------


def test_a_moderate_population_of_twenty_thousand_claims_is_consistent() -> None:
    params = SyntheticParams().sized(claims=20_000, lines_per_claim=30)
    pop = population(HANGZHOU, params, seed=2024)
    assert 18_500 <= len(pop.claims) <= 21_500
    assert 27 <= len(pop.fee_lines) / len(pop.claims) <= 33
    assert len(pop.insured) == params.insured
    assert_consistent(pop, HANGZHOU)


# ---- distributions move with their parameters --------------------------------------------


def test_doubling_the_claim_share_roughly_doubles_the_claims() -> None:
    one, two = build(claim_share=0.04), build(claim_share=0.08)
    assert 1.7 <= len(two.claims) / len(one.claims) <= 2.3
    claimants = two.claims["insured_id"].nunique() / len(two.insured)
    assert 0.06 <= claimants <= 0.10


def test_more_claims_per_claimant_means_more_claims_from_the_same_people() -> None:
    few, many = build(claims_per_claimant=1.0), build(claims_per_claimant=4.0)
    assert len(few.claims) == few.claims["insured_id"].nunique()
    assert 3.4 <= len(many.claims) / many.claims["insured_id"].nunique() <= 4.6


def test_lines_per_claim_follow_the_lines_per_encounter() -> None:
    default = build()
    more = build(lines_per_encounter=ByKind(80.0, 24.0, 12.0, 3.0))
    per_claim = len(default.fee_lines) / len(default.claims)
    assert 0.75 * SyntheticParams().expected_lines_per_claim() <= per_claim <= 1.25 * SyntheticParams().expected_lines_per_claim()
    assert 1.7 <= (len(more.fee_lines) / len(more.claims)) / per_claim <= 2.3
    sized = build(**{"lines_per_encounter": SyntheticParams().sized(lines_per_claim=60).lines_per_encounter})
    assert 54 <= len(sized.fee_lines) / len(sized.claims) <= 66


def test_the_kind_mix_decides_the_encounter_kinds() -> None:
    no_drugs = build(kind_mix=ByKind(1.0, 1.0, 1.0, 0.0))
    assert "pharmacy" not in set(no_drugs.encounters["kind"].astype(str))
    only_drugs = build(kind_mix=ByKind(0.0, 0.0, 0.0, 1.0), claim_share=0.01)
    e, lines = only_drugs.encounters, only_drugs.fee_lines
    assert set(e["kind"].astype(str)) == {"pharmacy"}
    assert (lines["chrgitm_lv"] == "03").all() and (lines["med_chrgitm_type"] == "09").all()
    assert (e["medfee_sumamt"] == e["fulamt_ownpay_amt"]).all() and (e["inscp_scp_amt"] == 0).all()
    share = (build().encounters["kind"] == "inpatient").mean()
    assert 0.45 <= share <= 0.55


def _copay(pop: Population) -> pd.Series:
    e = pop.encounters[(pop.encounters["kind"] == "inpatient") & pop.encounters["settled_through_basic"]]
    return (e["inscp_scp_amt"] - e[list(Settlement.PUBLIC_PAYERS)].sum(axis=1)) / 100


def test_a_higher_copay_median_raises_what_a_stay_leaves_to_the_person() -> None:
    base = build()
    doubled = build(copay=replace(SyntheticParams().copay, inpatient=Lognormal(5000, 0.9, 1_500_000)))
    assert 2000 <= _copay(base).median() <= 3000  # the default median is 2,500 yuan
    assert 1.7 <= _copay(doubled).median() / _copay(base).median() <= 2.3


def test_special_drug_purchases_follow_their_median() -> None:
    def median(pop: Population) -> float:
        e = pop.encounters[pop.encounters["kind"] == "pharmacy"]
        return e["fulamt_ownpay_amt"].median() / 100

    assert 9_000 <= median(build()) <= 15_000
    assert 1.7 <= median(build(special_drug=Lognormal(24_000, 0.9))) / median(build()) <= 2.3


def test_the_public_payers_pay_their_share_of_the_in_scope_amount() -> None:
    pop = build()
    scheme_of_claim = pop.claims.set_index("claim_id")["insured_id"].map(
        pop.insured.set_index("insured_id")["scheme"].astype(str))
    e = pop.encounters[pop.encounters["settled_through_basic"] & (pop.encounters["inscp_scp_amt"] > 0)]
    scheme = e["claim_id"].astype(str).map(scheme_of_claim)
    share = e[list(Settlement.PUBLIC_PAYERS)].sum(axis=1) / e["inscp_scp_amt"]
    assert 0.76 <= share[scheme == "employee"].mean() <= 0.84
    assert 0.61 <= share[scheme == "resident"].mean() <= 0.69
    unsettled = pop.encounters[~pop.encounters["settled_through_basic"]]
    assert len(unsettled) > 0 and (unsettled[list(Settlement.PUBLIC_PAYERS)].sum(axis=1) == 0).all()


def test_people_shares_follow_their_parameters() -> None:
    pop = build(pre_existing_share=0.2, group_share=0.1, employee_share=0.5)
    people = pop.insured
    assert 0.18 <= (people["pre_existing"] != "").mean() <= 0.22
    assert 0.09 <= (people["groups"] != "").mean() <= 0.11
    adults = people["birth_date"] <= pd.Timestamp(HANGZHOU.period.start) - pd.DateOffset(years=19)
    assert 0.45 <= (people.loc[adults, "scheme"] == "employee").mean() <= 0.55
    assert set(people["groups"].astype(str)) - {""} <= {"retiree", "certified_hardship", "extreme_poverty",
                                                         "minimum_living", "near_minimum_living", "disability_card"}
    none = build(pre_existing_share=0.0, group_share=0.0)
    assert (none.insured["pre_existing"] == "").all() and (none.insured["groups"] == "").all()


def test_pre_existing_people_claim_more_often_and_for_their_condition() -> None:
    product = get_product("beijing-2021")
    pop = build(product, pre_existing_share=0.2)
    people = pop.insured.set_index("insured_id")
    claimants = set(pop.claims["insured_id"])
    pre = people["pre_existing"] != ""
    rate_pre = people.index[pre].isin(list(claimants)).mean()
    rate_healthy = people.index[~pre].isin(list(claimants)).mean()
    assert rate_pre > 2 * rate_healthy
    # a tumour patient's encounters are mostly diagnosed with a malignant tumour
    tumour = set(people.index[people["pre_existing"] == "malignant_tumor"])
    claims = pop.claims[pop.claims["insured_id"].isin(tumour)]["claim_id"]
    dx = pop.encounters[pop.encounters["claim_id"].astype(str).isin(set(claims))]["diagnoses"].astype(str)
    assert dx.str.match(r"^(C|D0)").mean() >= 0.6


def test_other_insurance_pays_on_its_share_of_claims() -> None:
    none, some = build(other_insurance_share=0.0), build(other_insurance_share=0.5)
    assert (none.claims["other_insurance_paid"] == 0).all()
    assert 0.45 <= (some.claims["other_insurance_paid"] > 0).mean() <= 0.55


def test_history_follows_the_prior_year_share() -> None:
    product = get_product("shanghai-2023")  # first year 2021: up to two earlier years
    never, always = build(product, prior_year_share=0.0), build(product, prior_year_share=1.0)
    assert (never.insured["history"] == "[]").all()
    assert always.insured["history"].astype(str).str.contains('"year": 2021').all()
    assert not always.insured["history"].astype(str).str.contains('"year": 2020').any()


def test_listed_drugs_appear_with_their_indications() -> None:
    from pathlib import Path

    from huiminbao_rules import read_product

    # test-simple lists 测试靶向药甲 for breast cancer (C50) and 测试罕见病药乙 for anything
    product = read_product(Path(__file__).parent / "cases" / "products" / "test-simple.toml")
    pop = build(product, listed_share=1.0, claim_share=0.2)
    lines = pop.fee_lines
    on_list = lines[lines["name"] == "测试靶向药甲"]
    assert len(on_list) > 0 and (on_list["chrgitm_lv"] == "03").all()
    keys = on_list[["claim_id", "encounter_id"]].drop_duplicates()
    dx = pop.encounters.merge(keys, on=["claim_id", "encounter_id"])["diagnoses"].astype(str)
    assert dx.str.startswith("C50").mean() >= 0.8
    assert len(build(product, listed_share=0.0).fee_lines.query("name == '测试靶向药甲'")) == 0


def test_a_listed_institution_appears_in_proportion() -> None:
    product = get_product("shanghai-2022")
    pop = build(product, listed_share=0.2)
    stays = pop.encounters[pop.encounters["kind"].isin(["inpatient", "outpatient_special"])]
    assert 0.15 <= (stays["institution"] == "上海市质子重离子医院").mean() <= 0.25


def test_catalogue_codes_repeat_from_a_small_vocabulary() -> None:
    lines = build().fee_lines
    assert lines["med_list_codg"].nunique() < 250 < len(lines)
    assert set(lines["chrgitm_lv"].astype(str)) == {"01", "02", "03"}
    assert lines["med_chrgitm_type"].astype(str).str.fullmatch(r"[0-9]{2}").all()


# ---- adjudication ------------------------------------------------------------------------


def test_a_small_population_adjudicates_through_the_reference_engine() -> None:
    pop = population(HANGZHOU, SMALL, seed=5)
    result = adjudicate_population(pop, HANGZHOU, engine="reference")
    assert len(result) == len(pop.claims)
    assert set(result["claim_id"]) == set(pop.claims["claim_id"])
    assert (result["payable"] >= 0).all() and (result["payable"] <= result["owed"]).all()


# ---- parameters --------------------------------------------------------------------------


def test_sized_sets_the_population_for_a_number_of_claims() -> None:
    p = SyntheticParams().sized(claims=50_000, lines_per_claim=12)
    assert abs(p.expected_claims() - 50_000) < 1
    assert abs(p.expected_lines_per_claim() - 12) < 1e-6
    assert all(v >= 1 for v in p.lines_per_encounter.values())
    with pytest.raises(ValueError, match="lines_per_claim"):
        SyntheticParams().sized(lines_per_claim=1.0)


@pytest.mark.parametrize("changes, message", [
    ({"claim_share": 1.5}, "claim_share"),
    ({"claims_per_claimant": 0.5}, "claims_per_claimant"),
    ({"public_share_employee": 1.0}, "public_share_employee"),
    ({"kind_mix": ByKind(0.0, 0.0, 0.0, 0.0)}, "kind_mix"),
    ({"lines_per_encounter": ByKind(0.5, 1.0, 1.0, 1.0)}, "lines_per_encounter"),
    ({"copay": ByKind(None, None, None, Lognormal(10, 1))}, "copay.pharmacy"),
    ({"other_insurance_fraction": (0.8, 0.2)}, "other_insurance_fraction"),
])
def test_invalid_parameters_are_refused_by_name(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(SyntheticParams(), **changes)


def test_a_lognormal_is_checked() -> None:
    with pytest.raises(ValueError, match="median"):
        Lognormal(0, 1)
    with pytest.raises(ValueError, match="max"):
        Lognormal(100, 1, max=50)


def test_every_parameter_is_documented_with_its_default() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", text))
    missing = [f.name for f in fields(SyntheticParams) if f.name not in documented]
    assert not missing, f"parameters missing from docs/synthetic.md: {missing}"


def test_the_core_library_does_not_import_numpy_or_pandas() -> None:
    code = ("import sys, huiminbao_rules, huiminbao_rules.cli; "
            "assert not {'numpy', 'pandas'} & set(sys.modules), sorted({'numpy', 'pandas'} & set(sys.modules))")
    subprocess.run([sys.executable, "-c", code], check=True)
