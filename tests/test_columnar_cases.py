"""The columnar engine on cases built to reach each of its money stages: a small, fixed
(derandomised) run of the differential test, and hand-checked figures. These are the fast
tests the columnar engine's mutation run uses (scripts/mutate_columnar.py)."""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from huiminbao_rules import Claim, Product, parse_claim, parse_product
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.analytics.population import Population


def _differential():  # type: ignore[no-untyped-def]
    """tests/test_columnar.py, for its strategy of populations and its comparison."""
    path = Path(__file__).resolve().parent / "test_columnar.py"
    spec = importlib.util.spec_from_file_location("_columnar_differential", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _differential()


@settings(max_examples=25, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(D.populations())
def test_a_fixed_sample_of_populations_agrees_with_the_reference_engine(case) -> None:  # type: ignore[no-untyped-def]
    product, population, mode = case
    D._same(product, population, mode)


# ---- hand-built populations that reach the paths the sample may miss ---------------------

PERIOD = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}


def _product(responsibilities: list[dict], cross_year: str, *, completeness: str = "complete",
             indications: tuple[str, ...] = ()) -> Product:
    return parse_product({
        "id": "columnar-2023", "city": "test", "city_zh": "测试", "name": "测试", "policy_year": 2023,
        "period": PERIOD, "indemnity_source": "s", "sources": {"s": {"title": "hand-made", "grade": "derived"}},
        "lists": {"special_drugs": {"name_zh": "特药", "source": "s", "completeness": completeness,
                                    "items": [{"name": "X0001", "codes": ["X0001"],
                                               "indications": list(indications)}]}},
        "pre_existing": {"basis": "none", "source": "s"},
        "cross_year": {"rule": cross_year, "tail_days": 30, "source": "s"},
        "rounding": {"source": "s"}, "responsibilities": responsibilities,
    })


def _resp(i: int, takes: dict, rate: str = "0.80", deductible: str = "0") -> dict:
    return {"id": f"r{i}", "name_zh": f"责任{i}", "name_en": f"r{i}", "bucket": "other", "takes": [takes],
            "deductible": {"amount": deductible, "source": "s"}, "ratio": {"rate": rate, "source": "s"}}


def _line(code: str, amount: str, *, ful: str = "0.00", pre: str = "0.00") -> dict:
    return {"med_list_codg": code, "name": code, "chrgitm_lv": "01", "med_chrgitm_type": "09",
            "det_item_fee_sumamt": amount, "fulamt_ownpay_amt": ful, "preselfpay_amt": pre}


def _claim(claim_id: str, person: str, lines: list[dict], *, admitted: str | None = None,
           discharged: str | None = None, day: str = "2023-03-01", enrolled_on: str = "2022-12-01",
           years: tuple[int, ...] = (), public: str = "0.00", diagnoses: tuple[str, ...] = ("J18.9",),
           institution: str = "医院") -> Claim:
    total = sum(Decimal(x["det_item_fee_sumamt"]) for x in lines)
    ful = sum(Decimal(x["fulamt_ownpay_amt"]) for x in lines)
    pre = sum(Decimal(x["preselfpay_amt"]) for x in lines)
    over = sum(Decimal(x.get("overlmt_amt", "0")) for x in lines)
    dates = ({"kind": "inpatient", "admitted_on": admitted, "discharged_on": discharged} if admitted
             else {"kind": "outpatient", "service_date": day})
    return parse_claim({
        "claim_id": claim_id,
        "insured": {"id": person, "birth_date": "1970-01-01", "scheme": "employee", "enrolled_on": enrolled_on,
                    "history": [{"year": y, "enrolled": True} for y in years]},
        "encounters": [{"id": "E1", **dates, "diagnoses": list(diagnoses), "institution": institution,
                        "settlement": {"medfee_sumamt": str(total), "fulamt_ownpay_amt": str(ful),
                                       "preselfpay_amt": str(pre), "overlmt_selfpay": str(over),
                                       "inscp_scp_amt": str(total - ful - pre - over), "hifp_pay": public},
                        "fee_lines": lines}]})


def _stay_lines() -> list[dict]:
    return [_line("A1", "1000.00", ful="300.00", pre="100.00"), _line("B1", "501.00", ful="201.00", pre="50.00")]


@pytest.mark.parametrize("rule", ["discharge_year", "to_discharge", "ends_at_expiry", "admission_year_tail"])
def test_stays_across_the_edges_of_the_year_agree_with_the_reference(rule: str) -> None:
    """Stays begun last year (by people enrolled then or not, cover starting after the
    admission), stays running past the end of the year (renewed or not, within the tail
    or beyond it), under each cross-year rule, with public payments so the co-pay is shared."""
    product = _product([_resp(0, {"portions": ["preselfpay", "inscp_copay"]}),
                        _resp(1, {"portions": ["fulamt"]}, rate="0.60", deductible="100")], rule)
    late = {"enrolled_on": "2023-01-05"}
    claims = [
        _claim("A", "P1", _stay_lines(), admitted="2022-12-20", discharged="2023-01-10", years=(2022,), **late),
        _claim("B", "P2", _stay_lines(), admitted="2022-12-20", discharged="2023-01-10", **late),
        _claim("C", "P3", _stay_lines(), admitted="2023-12-20", discharged="2024-01-12", public="333.33"),
        _claim("D", "P4", _stay_lines(), admitted="2023-12-20", discharged="2024-03-01", public="333.33"),
        _claim("E", "P5", _stay_lines(), admitted="2023-12-20", discharged="2024-03-01", years=(2024,)),
        _claim("F", "P6", _stay_lines(), admitted="2023-06-01", discharged="2023-06-11", public="100.00"),
        _claim("G", "P6", _stay_lines(), day="2023-07-01"),
    ]
    population = Population.from_claims(claims)
    D._same(product, population, "pend")
    rows = adjudicate_population(population, product).set_index("claim_id")
    # P2's stay began before their cover; under the discharge-year rule P1's continues
    # last year's cover; by admission, both stays belong to 2022
    paid = rows["payable"].gt(0).to_dict()
    assert (paid["A"], paid["B"]) == ((True, False) if rule == "discharge_year" else (False, False))
    assert paid["E"] == (rule != "discharge_year")


@pytest.mark.parametrize("mode", ["pend", "member", "non-member"])
@pytest.mark.parametrize("weight", ["0.50", "0.0001"])
def test_weighted_and_pended_shares_of_a_shared_co_pay_agree_with_the_reference(mode: str, weight: str) -> None:
    """A co-pay shared over lines (public payers paid part) that go to a weighted
    responsibility (half, or the smallest weight: 1 in 10,000), or are held for review when
    the list's membership is unknown (two such lines in an encounter); the smallest weight
    on self-paid amounts."""
    product = _product([_resp(0, {"portions": ["preselfpay", "inscp_copay"], "in_list": "special_drugs",
                                  "weight": weight, "source": "s"}),
                        _resp(1, {"portions": ["fulamt"], "weight": "0.0001", "source": "s"}, rate="1.00")],
                       "discharge_year", completeness="partial")
    lines = [_line("X0001", "801.00", ful="100.00", pre="51.00"), _line("U0001", "403.00", pre="20.00"),
             _line("U0002", "297.00", ful="17.00"), _line("X0001", "99.99", ful="99.99")]
    claims = [_claim("A", "P1", lines, public="300.03"), _claim("B", "P1", lines[1:3], day="2023-05-01",
                                                                 public="111.11"),
              _claim("C", "P2", lines, admitted="2023-03-01", discharged="2023-03-09", public="300.03")]
    population = Population.from_claims(claims)
    D._same(product, population, mode)
    rows = adjudicate_population(population, product, unknown_lists=mode).set_index("claim_id")
    # the unknown lines' co-pay and 先行自付 are held for review only when the run pends
    assert rows["pending"].gt(0).all() == (mode == "pend")


def test_bands_after_the_deductible_read_the_deductible_taken_over_the_year() -> None:
    # 100% of self-paid amounts past a 1,000.00 deductible, banded on the amount after the
    # deductible: 50% up to 500.00, 90% above. Claims of 400, 400, 400 and 800: the first
    # two go to the deductible, the third takes its last 200.00 and pays 200 × 50% = 100.00,
    # the fourth lies on 200..1,000: 300 × 50% + 500 × 90% = 600.00.
    resp = _resp(0, {"portions": ["fulamt"]}, deductible="1000") | {
        "ratio": {"bands": [{"from": 0, "rate": "0.50"}, {"from": "500", "rate": "0.90"}], "source": "s"},
        "ratio_basis": "after_deductible"}
    product = _product([resp], "discharge_year")
    claims = [_claim(c, "P1", [_line("A1", amount, ful=amount)], day=day)
              for c, amount, day in (("A", "400.00", "2023-03-01"), ("B", "400.00", "2023-04-01"),
                                     ("C", "400.00", "2023-05-01"), ("D", "800.00", "2023-06-01"))]
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": 0, "B": 0, "C": 100_00, "D": 600_00}


def test_what_the_indemnity_limit_cuts_is_given_back_to_the_cap_and_the_sub_limit() -> None:
    # Self-paid amounts at 100% with no deductible (r1, after an r0 without sub-limits), a
    # cap of 1,000.00 and a payable sub-limit of 1,000.00 a year. P1: claim A owes 800.00 and other insurers paid 500.00: the indemnity limit cuts 500.00,
    # so A pays 300.00 and the cap and the sub-limit have 700.00 left; claim B (900.00) pays
    # 700.00. P2: other insurers paid 0.01 of 50.00 owed: the limit cuts exactly one fen.
    resp = _resp(1, {"portions": ["fulamt"]}, rate="1.00") | {
        "cap": {"amount": "1000", "source": "s"},
        "sub_limits": [{"id": "s0", "name_zh": "分项限额", "takes": {"portions": ["fulamt"]}, "per": "year",
                        "measure": "payable", "limit": "1000", "source": "s"}]}
    product = _product([_resp(0, {"portions": ["preselfpay"]}), resp], "discharge_year")
    claims = [_claim("A", "P1", [_line("A1", "800.00", ful="800.00")], day="2023-03-01"),
              _claim("B", "P1", [_line("A1", "900.00", ful="900.00")], day="2023-04-01"),
              _claim("C", "P2", [_line("A1", "30.00", ful="30.00"), _line("B1", "20.00", ful="20.00")])]
    claims = [c.model_copy(update={"other_insurance_paid": Decimal(o)}) for c, o in zip(claims, ("500", "0", "0.01"))]
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": 300_00, "B": 700_00, "C": 49_99}
    assert rows["indemnity_cut"].to_dict() == {"A": 500_00, "B": 0, "C": 1}


def test_an_indemnity_cut_over_several_groups_is_given_back_to_each_ones_combined_cap_and_the_total() -> None:
    # 100%, no deductible: r0 先行自付, r1 self-paid, r2 over-limit amounts; combined caps c0
    # (r0, r2) of 800.00 and c1 (r1, r2) of 1,000.00; a total cap of 2,000.00.
    # A owes 700.00 (300 to r0, 400 to r1) and other insurers paid 600.00: the limit (100.00)
    # cuts 600.00, r1's 400.00 first, then 200.00 of r0's: A pays 100.00 (r0), c0 has
    # 700.00 left, c1 1,000.00, the total cap 1,900.00. B (r1, 1,000.00) pays 1,000.00;
    # C (r0, 1,000.00) pays what c0 has left, 700.00 (the total cap has 900.00).
    product = _product([_resp(0, {"portions": ["preselfpay"]}, rate="1.00"),
                        _resp(1, {"portions": ["fulamt"]}, rate="1.00"),
                        _resp(2, {"portions": ["overlmt"]}, rate="1.00")], "discharge_year")
    product = product.model_validate(product.model_dump() | {
        "combined_caps": [{"id": "c0", "name_zh": "合并限额", "responsibilities": ["r0", "r2"], "amount": "800",
                           "source": "s"},
                          {"id": "c1", "name_zh": "合并限额", "responsibilities": ["r1", "r2"], "amount": "1000",
                           "source": "s"}],
        "total_cap": {"amount": "2000", "source": "s"}})
    claims = [_claim("A", "P1", [_line("A1", "700.00", ful="400.00", pre="300.00")], day="2023-03-01"),
              _claim("B", "P1", [_line("B1", "1000.00", ful="1000.00")], day="2023-04-01"),
              _claim("C", "P1", [_line("C1", "1000.00", pre="1000.00")], day="2023-05-01")]
    claims[0] = claims[0].model_copy(update={"other_insurance_paid": Decimal("600.00")})
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": 100_00, "B": 1000_00, "C": 700_00}
    assert rows["indemnity_cut"].to_dict() == {"A": 600_00, "B": 0, "C": 0}


def test_each_payable_sub_limit_of_a_responsibility_reads_its_own_limit_and_a_zero_cap_pays_nothing() -> None:
    # 100%, no deductible. r0 (self-paid) has one payable sub-limit of 5,000.00; r1 (先行自付)
    # two, of 2,000.00 and 300.00, both taking the line: r1 pays 300.00 of 500.00. r2
    # (over-limit amounts) has a cap of 0: it pays nothing of its 80.00.
    def sub(i: int, portion: str, limit: str) -> dict:
        return {"id": f"s{i}", "name_zh": "分项限额", "takes": {"portions": [portion]}, "per": "year",
                "measure": "payable", "limit": limit, "source": "s"}

    product = _product([_resp(0, {"portions": ["fulamt"]}, rate="1.00") | {"sub_limits": [sub(0, "fulamt", "5000")]},
                        _resp(1, {"portions": ["preselfpay"]}, rate="1.00") | {
                            "sub_limits": [sub(0, "preselfpay", "2000"), sub(1, "preselfpay", "300")]},
                        _resp(2, {"portions": ["overlmt"]}, rate="1.00") | {"cap": {"amount": "0", "source": "s"}}],
                       "discharge_year")
    line = _line("A1", "680.00", ful="100.00", pre="500.00") | {"overlmt_amt": "80.00"}
    population = Population.from_claims([_claim("A", "P1", [line])])
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": 100_00 + 300_00}


def test_a_payable_sub_limit_and_a_second_combined_cap_fill_up_claim_by_claim() -> None:
    # 100%, no deductible. r0 (self-paid) has a payable sub-limit of 1,000.00 a year; r1
    # (先行自付) is in the second combined cap, c1 (r1, r2) of 1,000.00; c0 (r0, r2) does not
    # bind. Claims of self-paid 800, 900, 100 and 先行自付 600, 600, 300: r0 pays 800, 200,
    # 0; r1 pays 600, 400, 0. With a total cap of 0 nothing is paid.
    product = _product([_resp(0, {"portions": ["fulamt"]}, rate="1.00") | {"sub_limits": [
                            {"id": "s0", "name_zh": "分项限额", "takes": {"portions": ["fulamt"]}, "per": "year",
                             "measure": "payable", "limit": "1000", "source": "s"}]},
                        _resp(1, {"portions": ["preselfpay"]}, rate="1.00"),
                        _resp(2, {"portions": ["overlmt"]}, rate="1.00")], "discharge_year")
    caps = {"combined_caps": [{"id": "c0", "name_zh": "合并限额", "responsibilities": ["r0", "r2"],
                               "amount": "100000", "source": "s"},
                              {"id": "c1", "name_zh": "合并限额", "responsibilities": ["r1", "r2"], "amount": "1000",
                               "source": "s"}]}
    claims = [_claim(c, "P1", [_line("A1", str(Decimal(ful) + Decimal(pre)), ful=ful, pre=pre)], day=day)
              for c, ful, pre, day in (("A", "800.00", "600.00", "2023-03-01"), ("B", "900.00", "600.00", "2023-04-01"),
                                       ("C", "100.00", "300.00", "2023-05-01"))]
    population = Population.from_claims(claims)
    for total, payable in ((None, {"A": 1400_00, "B": 600_00, "C": 0}), ("0", {"A": 0, "B": 0, "C": 0})):
        terms = caps | ({"total_cap": {"amount": total, "source": "s"}} if total is not None else {})
        capped = product.model_validate(product.model_dump() | terms)
        D._same(capped, population)
        assert adjudicate_population(population, capped).set_index("claim_id")["payable"].to_dict() == payable


@pytest.mark.parametrize("terms", ["weight", "sub_limit"])
def test_a_shared_co_pay_going_to_one_weighted_or_sub_limited_responsibility_is_shared_line_by_line(terms: str) -> None:
    """Every in-scope line of an encounter goes to one responsibility, which weighs its
    co-pay by half (self-paid amounts at full weight) or limits it (500.00 eligible a year):
    the encounter's co-pay cannot be added as one total, and the engines agree."""
    takes: dict = {"portions": ["preselfpay", "inscp_copay"]}
    extra: dict = {}
    if terms == "weight":
        takes |= {"weight": "0.50", "source": "s"}
    else:
        extra = {"sub_limits": [{"id": "s0", "name_zh": "分项限额", "takes": {"portions": ["inscp_copay"]},
                                 "per": "year", "measure": "eligible", "limit": "500", "source": "s"}]}
    product = _product([_resp(0, takes, rate="1.00") | extra, _resp(1, {"portions": ["fulamt"]}, rate="1.00")],
                       "discharge_year")
    lines = [_line("A1", "1001.00", ful="100.00", pre="50.00"), _line("B1", "600.00", ful="20.00")]
    population = Population.from_claims([_claim("A", "P1", lines, public="430.00")])
    D._same(product, population)
    # co-pay 1,431.00 − 430.00 = 1,001.00: weighted, 500.50 + 先行自付 25.00 + 120.00 self-paid;
    # limited, 500.00 + 50.00 + 120.00
    payable = {"weight": 645_50, "sub_limit": 670_00}[terms]
    assert adjudicate_population(population, product).set_index("claim_id")["payable"].to_dict() == {"A": payable}


def test_a_count_limit_counts_a_line_once_and_starts_from_the_first_line_it_selects() -> None:
    # r0 takes self-paid and over-limit amounts, at most 2 lines a year; r1 先行自付. Line 1
    # goes to r1 only; line 2 (100.00 self-paid, 50.00 over the limit) is r0's first line,
    # counted once for its two portions; line 3 (70.00) its second; line 4 (30.00) is
    # refused. All at 100%: 100 + 150 + 70 = 320.00.
    parts = ["fulamt", "overlmt"]
    product = _product([_resp(0, {"portions": parts}, rate="1.00") | {"sub_limits": [
                            {"id": "s0", "name_zh": "次数限制", "takes": {"portions": parts}, "per": "year",
                             "measure": "count", "count": 2, "source": "s"}]},
                        _resp(1, {"portions": ["preselfpay"]}, rate="1.00")], "discharge_year")
    lines = [_line("A1", "100.00", pre="100.00"), _line("B1", "150.00", ful="100.00") | {"overlmt_amt": "50.00"},
             _line("C1", "70.00", ful="70.00"), _line("D1", "30.00", ful="30.00")]
    population = Population.from_claims([_claim("A", "P1", lines)])
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "eligible"], rows.loc["A", "payable"]) == (320_00, 320_00)


@pytest.mark.parametrize("mode", ["pend", "member"])
def test_a_pro_rated_stays_portions_read_one_by_one_agree_with_the_reference(mode: str) -> None:
    """A stay past the end of the year, not renewed, read portion by portion: 先行自付 of a
    partly known list at the smallest weight (unknown codes held for review when the run
    pends), over-limit amounts no responsibility takes, self-paid amounts at 37% under a
    payable then an eligible sub-limit (after another responsibility's sub-limit), and
    one-fen lines whose pro-rated share is 0.00."""
    def sub(i: int, portion: str, measure: str, limit: str) -> dict:
        return {"id": f"s{i}", "name_zh": "分项限额", "takes": {"portions": [portion]}, "per": "year",
                "measure": measure, "limit": limit, "source": "s"}

    product = _product([_resp(0, {"portions": ["preselfpay"], "in_list": "special_drugs", "weight": "0.0001",
                                  "source": "s"}, rate="1.00") | {"sub_limits": [sub(0, "preselfpay", "eligible",
                                                                                     "100000")]},
                        _resp(1, {"portions": ["fulamt"]}, rate="0.37") | {"sub_limits": [
                            sub(0, "fulamt", "payable", "5000"), sub(1, "fulamt", "eligible", "150")]}],
                       "ends_at_expiry", completeness="partial")
    lines = [*(_line(f"Z{i}", "0.01", ful="0.01") for i in range(4)),  # some pro-rated to 0.00
             _line("X0001", "500.00", ful="200.00", pre="100.00") | {"overlmt_amt": "50.00"},
             _line("U0001", "300.00", ful="90.00", pre="60.00"), _line("U0002", "200.00", ful="100.00", pre="40.00"),
             _line("B1", "100.00", ful="100.00")]
    population = Population.from_claims([_claim("A", "P1", lines, admitted="2023-12-20", discharged="2024-01-12")])
    D._same(product, population, mode)


def test_a_shared_co_pay_over_lines_none_takes_holds_only_the_unknown_lines_share() -> None:
    # r0 takes the in-scope co-pay of drugs on a partly known list, on indication (C34). X0001
    # is on it but off indication (J18.9): not taken; U0001 is of unknown membership: held
    # for review. Public payers paid 100.00 of 500.00: the 400.00 co-pay is shared 160.00
    # (X0001, 200.00 in scope) and 240.00 (U0001, 300.00): only 240.00 is held.
    product = _product([_resp(0, {"portions": ["inscp_copay"], "in_list": "special_drugs"}, rate="1.00")],
                       "discharge_year", completeness="partial", indications=("C34",))
    population = Population.from_claims([_claim("A", "P1", [_line("X0001", "200.00"), _line("U0001", "300.00")],
                                                public="100.00")])
    D._same(product, population, "pend")
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "pending"], rows.loc["A", "payable"]) == (240_00, 0)


def test_a_line_with_a_limited_part_keeps_its_other_parts_and_its_in_scope_co_pay() -> None:
    # Public payers paid nothing, so each line's in-scope co-pay is read line by line: billed
    # less self-paid, over-limit and 先行自付 (1,000.00 - 300.00 - 200.00 - 100.00 = 400.00).
    # 先行自付 goes to r0 under an eligible sub-limit of 60.00 a year (so the line's first part
    # is read one by one); its other parts stay on the fast pass: the co-pay to r1 at 80%
    # (320.00), the self-paid amount to r2 at 100% (300.00); the over-limit amount to nobody.
    # Eligible 60 + 400 + 300 = 760.00, payable 60 + 320 + 300 = 680.00.
    product = _product([_resp(0, {"portions": ["preselfpay"]}, rate="1.00") | {"sub_limits": [
                            {"id": "s0", "name_zh": "分项限额", "takes": {"portions": ["preselfpay"]}, "per": "year",
                             "measure": "eligible", "limit": "60", "source": "s"}]},
                        _resp(1, {"portions": ["inscp_copay"]}),
                        _resp(2, {"portions": ["fulamt"]}, rate="1.00")], "discharge_year")
    line = _line("A1", "1000.00", ful="300.00", pre="100.00") | {"overlmt_amt": "200.00"}
    population = Population.from_claims([_claim("A", "P1", [line])])
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "eligible"], rows.loc["A", "payable"]) == (760_00, 680_00)
    assert [rows.loc["A", f"payable:r{i}"] for i in range(3)] == [60_00, 320_00, 300_00]


def test_a_part_no_responsibility_takes_leaves_the_lines_later_parts_to_theirs() -> None:
    # No responsibility takes 先行自付 (100.00); the parts after it on the same line still go
    # to theirs: the in-scope co-pay (1,000.00 - 300.00 - 200.00 - 100.00 = 400.00) to r1 at
    # 80% (320.00), the self-paid amount to r2 at 100% (300.00). Eligible 700.00, payable 620.00.
    product = _product([_resp(1, {"portions": ["inscp_copay"]}), _resp(2, {"portions": ["fulamt"]}, rate="1.00")],
                       "discharge_year")
    line = _line("A1", "1000.00", ful="300.00", pre="100.00") | {"overlmt_amt": "200.00"}
    population = Population.from_claims([_claim("A", "P1", [line])])
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "eligible"], rows.loc["A", "payable"]) == (700_00, 620_00)


@pytest.mark.parametrize(("mode", "fen"), [("ROUND_HALF_UP", 51), ("ROUND_HALF_EVEN", 50), ("ROUND_DOWN", 50)])
def test_a_claims_rounding_follows_the_products_mode(mode: str, fen: int) -> None:
    # 1.01 self-paid at 50% is 0.505: half up 0.51, half to even 0.50, down 0.50. A second
    # claim's 1.03 at 50% (0.515) rounds to 0.52 under both half-way modes, 0.51 down.
    product = _product([_resp(0, {"portions": ["fulamt"]}, rate="0.50")], "discharge_year")
    product = product.model_copy(update={"rounding": product.rounding.model_copy(update={"mode": mode})})
    claims = [_claim("A", "P1", [_line("A1", "1.01", ful="1.01")]),
              _claim("B", "P2", [_line("A1", "1.03", ful="1.03")])]
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": fen, "B": 51 if mode == "ROUND_DOWN" else 52}


def test_shares_of_a_rounded_amount_too_large_for_int64_products_are_taken_exactly() -> None:
    # A claim's raw amounts (fen × 10,000) summed and rounded once per responsibility, then
    # shared over its groups by largest remainder: where total × weight could pass 2**62 the
    # run is shared in Python integers, elsewhere compiled; both give the kernel's shares.
    # Claim 0, responsibility 0: raw 33,333 + 33,333 + 33,334 = 10 fen over three groups
    # (3, 3, 4: the last has the largest remainder); responsibility 1: one group, 0.5 fen
    # rounded half up to 1. Claim 1: 2**40 fen over raws 2**40 × 5,000 ∓ 1,234,567 (too large for
    # int64 products).
    from types import SimpleNamespace

    from huiminbao_rules.analytics.columnar import _rounded_shares
    from huiminbao_rules.core.shares import largest_remainder

    half = 2**40 * 5_000
    groups = SimpleNamespace(claim=np.array([0, 0, 0, 0, 1, 1], np.int64), resp=np.array([0, 1, 0, 0, 0, 0], np.int64))
    g_raw = np.array([33_333, 5_000, 33_333, 33_334, half - 1_234_567, half + 1_234_567], np.int64)
    product = _product([_resp(0, {"portions": ["fulamt"]}), _resp(1, {"portions": ["fulamt"]})], "discharge_year")
    shares = _rounded_shares(product, 2, groups, g_raw)  # type: ignore[arg-type]
    big = largest_remainder(2**40, [half - 1_234_567, half + 1_234_567], [0, 0])
    assert shares.tolist() == [3, 1, 3, 4, *big]
    assert sum(big) == 2**40 and big[0] < big[1]


def test_a_rounded_amount_shared_over_many_encounters_goes_to_the_first_on_a_tie() -> None:
    # 60 claims, each of two encounters whose lines each owe 0.01 先行自付 and 0.01 self-paid,
    # two responsibilities at 50%: per claim and responsibility 0.005 + 0.005 = 0.01, shared
    # back over the two encounters by largest remainder: a tie, so the first encounter gets
    # the fen and the second 0.00, as the reference engine shares it (enough groups that the
    # order of the runs is the columnar engine's own doing, not a small sort's; people are
    # adjudicated in the reverse order of the claims' rows).
    product = _product([_resp(0, {"portions": ["preselfpay"]}, rate="0.50"),
                        _resp(1, {"portions": ["fulamt"]}, rate="0.50")], "discharge_year")
    claims = []
    for i in range(60):  # people in the reverse order of their claims
        c = _claim(f"C{i:02d}", f"P{59 - i:02d}", [_line("A1", "0.02", ful="0.01", pre="0.01")])
        other = _claim("X", "X", [_line("B1", "0.02", ful="0.01", pre="0.01")])
        second = other.encounters[0].model_copy(update={"id": "E2"})
        claims.append(c.model_copy(update={"encounters": [c.encounters[0], second]}))
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product)
    assert set(rows["payable"]) == {2}


def test_a_one_fen_line_keeps_its_share_of_a_shared_co_pay_under_a_sub_limit() -> None:
    # Public payers paid 50.00 of 100.01 in scope: the co-pay of 50.01 is shared over the
    # lines by their in-scope amounts, 0.01 and 100.00: 5,001 fen x 1/10,001 = 0.50005 fen
    # and 5,000.49995 fen; the fen left over goes to the larger remainder, the one-fen line's.
    # All of it goes to r0 under an eligible sub-limit (so each line's share is read one by
    # one): 50.01 payable at 100%.
    product = _product([_resp(0, {"portions": ["inscp_copay"]}, rate="1.00") | {"sub_limits": [
                            {"id": "s0", "name_zh": "分项限额", "takes": {"portions": ["inscp_copay"]}, "per": "year",
                             "measure": "eligible", "limit": "500", "source": "s"}]}], "discharge_year")
    lines = [_line("A1", "0.01"), _line("C1", "100.00")]
    population = Population.from_claims([_claim("A", "P1", lines, public="50.00")])
    D._same(product, population)
    assert adjudicate_population(population, product).set_index("claim_id")["payable"].to_dict() == {"A": 50_01}


@pytest.mark.parametrize("n_claims", [64, 65])
def test_a_persons_many_claims_are_taken_in_order_of_day_then_id(n_claims: int) -> None:
    # Claims are taken per person by (service day, claim id); the columnar engine counts
    # them out by person and orders each person's claims by insertion, or sorts where
    # someone has more than 64. Days run backwards against the ids, and pairs share a day
    # (their ids decide); a deductible of 500.00 makes the order show in every claim.
    product = _product([_resp(0, {"portions": ["fulamt"]}, deductible="500.00")], "discharge_year")
    claims = [_claim(f"C{i:03d}", "P1", [_line("A1", f"{100 + i}.00", ful=f"{100 + i}.00")],
                     day=f"2023-{12 - (i // 2) // 28:02d}-{28 - (i // 2) % 28:02d}") for i in range(n_claims)]
    claims.append(_claim("Z", "P0", [_line("A1", "900.00", ful="900.00")]))
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product)
    by_day_then_id = sorted(range(n_claims), key=lambda i: (-(i // 2), i))
    assert rows["claim_id"].tolist() == ["Z", *(f"C{i:03d}" for i in by_day_then_id)]


def test_several_runs_too_large_for_int64_products_are_each_shared_over_their_own_groups() -> None:
    # Runs left to Python integers are shared each over its own (claim, responsibility):
    # claim 0, r0: raws 2**40 × 5,000 ∓ 1,234,567 sum to 2**40 fen, shared 2**39 ∓ 123.4567:
    # floors 2**39 - 124 and 2**39 + 123, the fen left to the larger remainder (0.5433), so
    # 2**39 - 123 and 2**39 + 123; claim 0, r1: raws 2**41 × 10,000 - 7 and 7 round to
    # 2**41 fen, shared 2**41 - 0.0007 and 0.0007: 2**41 and 0; claim 1, r0: raws
    # 2**42 × 5,000 + 3 and - 3, 2**42 fen shared 2**41 + 0.0003 and 2**41 - 0.0003: 2**41 each.
    from types import SimpleNamespace

    from huiminbao_rules.analytics.columnar import _rounded_shares

    half, big, huge = 2**40 * 5_000, 2**41 * 10_000, 2**42 * 5_000
    groups = SimpleNamespace(claim=np.array([0, 0, 0, 0, 1, 1], np.int64),
                             resp=np.array([0, 1, 0, 1, 0, 0], np.int64))
    g_raw = np.array([half - 1_234_567, big - 7, half + 1_234_567, 7, huge + 3, huge - 3], np.int64)
    product = _product([_resp(0, {"portions": ["fulamt"]}), _resp(1, {"portions": ["fulamt"]})], "discharge_year")
    shares = _rounded_shares(product, 2, groups, g_raw)  # type: ignore[arg-type]
    assert shares.tolist() == [2**39 - 123, 2**41, 2**39 + 123, 0, 2**41, 2**41]


def test_a_claims_groups_out_of_order_are_refused_not_rounded_twice() -> None:
    # Rounding is once per claim and responsibility over the claim's groups together; groups
    # of claim 0 on both sides of claim 1's would be rounded as two runs: refused instead.
    from types import SimpleNamespace

    from huiminbao_rules.analytics.columnar import _rounded_shares

    groups = SimpleNamespace(claim=np.array([0, 1, 0], np.int64), resp=np.array([0, 0, 0], np.int64))
    product = _product([_resp(0, {"portions": ["fulamt"]})], "discharge_year")
    with pytest.raises(RuntimeError, match="^a claim's groups are not together$"):
        _rounded_shares(product, 2, groups, np.array([5_000, 5_000, 5_000], np.int64))  # type: ignore[arg-type]


def test_each_claims_rounding_starts_from_nothing() -> None:
    # Self-paid at 49.99%: claim A's 1.00 is 0.4999 yuan raw, 0.50 rounded half up; claim B's
    # 0.01 is 0.004999 yuan raw, 0.00 (a raw amount carried over from A, however small,
    # would make it half a fen or more, so 0.01).
    product = _product([_resp(0, {"portions": ["fulamt"]}, rate="0.4999")], "discharge_year")
    claims = [_claim("A", "P1", [_line("A1", "1.00", ful="1.00")]),
              _claim("B", "P1", [_line("A1", "0.01", ful="0.01")], day="2023-05-01")]
    population = Population.from_claims(claims)
    D._same(product, population)
    assert adjudicate_population(population, product).set_index("claim_id")["payable"].to_dict() == {"A": 50, "B": 0}


@pytest.mark.parametrize("held", ["first", "last"])
def test_a_shared_co_pay_holds_the_unknown_lines_share_whichever_line_comes_last(held: str) -> None:
    # As above (400.00 co-pay shared 160.00 to X0001, on the list but off indication, and
    # 240.00 to U0001, of unknown membership): only U0001's 240.00 is held, whether it is the
    # encounter's first line or its last.
    product = _product([_resp(0, {"portions": ["inscp_copay"], "in_list": "special_drugs"}, rate="1.00")],
                       "discharge_year", completeness="partial", indications=("C34",))
    lines = [_line("X0001", "200.00"), _line("U0001", "300.00")]
    population = Population.from_claims([_claim("A", "P1", lines[::-1] if held == "first" else lines,
                                                public="100.00")])
    D._same(product, population, "pend")
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "pending"], rows.loc["A", "payable"]) == (240_00, 0)


def test_an_in_scope_co_pay_taken_directly_goes_to_the_responsibility_that_takes_it() -> None:
    # Public payers paid nothing: the line's in-scope co-pay, 1000.00 - 100.00 先行自付 =
    # 900.00, goes whole to r1 (the second responsibility) at 50%: 450.00; r0 takes the
    # 100.00 先行自付 at 100%. Payable 550.00.
    product = _product([_resp(0, {"portions": ["preselfpay"]}, rate="1.00"),
                        _resp(1, {"portions": ["inscp_copay"]}, rate="0.50")], "discharge_year")
    population = Population.from_claims([_claim("A", "P1", [_line("A1", "1000.00", pre="100.00")])])
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "payable:r0"], rows.loc["A", "payable:r1"]) == (100_00, 450_00)


@pytest.mark.parametrize("order", [[0, 2, 1], [1, 2, 0]])
def test_a_shared_co_pay_is_planned_over_an_encounters_lines_wherever_they_are_listed(order: list[int]) -> None:
    # Encounter E1's lines listed on both sides of E2's: X0001 (on the list: r0, 100%) and A1
    # (r1, 50%), 100.00 and 300.00 in scope; public payers paid 200.00, so the 200.00 co-pay
    # is shared 50.00 (X0001) and 150.00 (A1). E2's B1: 100.00 in scope, 50.00 paid, 50.00 to
    # r1. Claim A: r0 50.00; r1 (150.00 + 50.00) at 50% = 100.00.
    import dataclasses

    product = _product([_resp(0, {"portions": ["inscp_copay"], "in_list": "special_drugs"}, rate="1.00"),
                        _resp(1, {"portions": ["inscp_copay"]}, rate="0.50")], "discharge_year")
    first = _claim("A", "P1", [_line("X0001", "100.00"), _line("A1", "300.00")], public="200.00")
    other = _claim("X", "P1", [_line("B1", "100.00")], public="50.00").encounters[0].model_copy(update={"id": "E2"})
    population = Population.from_claims([first.model_copy(update={"encounters": [first.encounters[0], other]})])
    assert population.fee_lines["encounter_id"].tolist() == ["E1", "E1", "E2"]
    population = dataclasses.replace(population, fee_lines=population.fee_lines.iloc[order].reset_index(drop=True))
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "payable:r0"], rows.loc["A", "payable:r1"]) == (50_00, 100_00)


def test_a_line_held_for_review_in_two_parts_holds_both_and_keeps_its_weighted_co_pay() -> None:
    # U0001's membership of the list is unknown: its 先行自付 (100.00) and self-paid amount
    # (300.00), which r0 takes only on the list, are both held: 400.00 pending. Public payers
    # paid nothing, so its in-scope co-pay (1,000.00 - 100.00 - 300.00 = 600.00) goes to r1,
    # which counts half of it: 300.00 eligible and payable at 100%.
    product = _product([_resp(0, {"portions": ["preselfpay", "fulamt"], "in_list": "special_drugs"}, rate="1.00"),
                        _resp(1, {"portions": ["inscp_copay"], "weight": "0.50", "source": "s"}, rate="1.00")],
                       "discharge_year", completeness="partial")
    population = Population.from_claims([_claim("A", "P1", [_line("U0001", "1000.00", ful="300.00", pre="100.00")])])
    D._same(product, population, "pend")
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "pending"], rows.loc["A", "eligible"], rows.loc["A", "payable"]) == (400_00, 300_00, 300_00)


def test_a_persons_claims_on_one_day_are_taken_in_order_of_id_whatever_their_rows_order() -> None:
    # P1's B2 and B1 are both of 1 May, listed B2 first; B3 is of 1 June, and P0's A0 of 1
    # March comes before them all. By id, B1 (300.00) takes 300.00 of the 500.00 deductible and
    # pays nothing; B2 (400.00) takes the other 200.00 and pays 80% of 200.00 = 160.00; B3
    # (100.00) pays 80.00. A0 (600.00) pays 80% of 100.00 = 80.00.
    product = _product([_resp(0, {"portions": ["fulamt"]}, deductible="500.00")], "discharge_year")

    def claim(claim_id: str, person: str, amount: str, day: str) -> Claim:
        return _claim(claim_id, person, [_line("A1", amount, ful=amount)], day=day)

    population = Population.from_claims([claim("A0", "P0", "600.00", "2023-03-01"),
                                         claim("B2", "P1", "400.00", "2023-05-01"),
                                         claim("B1", "P1", "300.00", "2023-05-01"),
                                         claim("B3", "P1", "100.00", "2023-06-01")])
    D._same(product, population)
    rows = adjudicate_population(population, product)
    assert rows["claim_id"].tolist() == ["A0", "B1", "B2", "B3"]
    assert rows.set_index("claim_id")["payable"].to_dict() == {"A0": 80_00, "B1": 0, "B2": 160_00, "B3": 80_00}


def _as(claim: Claim, **insured: object) -> Claim:
    """``claim`` of a person with these fields changed."""
    from huiminbao_rules.claims.models import Insured

    return claim.model_copy(update={"insured": Insured.model_validate(claim.insured.model_dump() | insured)})


def _fulamt(claim_id: str, person: str, amount: str, day: str = "2023-03-01") -> Claim:
    return _claim(claim_id, person, [_line("A1", amount, ful=amount)], day=day)


def test_people_alike_but_for_the_enrolment_day_or_the_scheme_each_keep_their_own() -> None:
    # P1 and P2 differ only in the day they enrolled: P2's cover starts on 2 May, so its
    # claim of 1 March pays nothing; P1's pays 300.00 (100%, no deductible for an employee).
    # P3 differs from P1 only in being a resident: a deductible of 100.00, 200.00 paid.
    product = _product([_resp(0, {"portions": ["fulamt"]}, rate="1.00") | {"deductible": [
        {"when": {"scheme": "resident"}, "amount": "100", "source": "s"}, {"amount": "0", "source": "s"}]}],
        "discharge_year")
    claims = [_fulamt("A", "P1", "300.00"), _as(_fulamt("B", "P2", "300.00"), enrolled_on=date(2023, 5, 1)),
              _as(_fulamt("C", "P3", "300.00"), scheme="resident")]
    population = Population.from_claims(claims)
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": 300_00, "B": 0, "C": 200_00}


@pytest.mark.parametrize("column", ["text", "categorical"])
def test_each_persons_enrolment_history_is_read_as_text_or_categories_and_a_missing_one_as_none(column: str) -> None:
    # No deductible from the third consecutive year enrolled (this one included), 500.00
    # before: P2 (2021, 2022) and P3 (2020 to 2022) are in their third year or later, so each
    # 300.00 claim pays 300.00 at 100%; P1, with no history, is in its first: its 300.00 all
    # goes to the deductible. The same with P1's history missing from the table instead of
    # written as [], the column read as text or as categories (as a dataset may give it).
    import dataclasses

    product = _product([_resp(0, {"portions": ["fulamt"]}, rate="1.00") | {"deductible": [
        {"when": {"min_enrolled_years": 3}, "amount": "0", "source": "s"}, {"amount": "500", "source": "s"}]}],
        "discharge_year")
    claims = [_claim("A", "P1", [_line("A1", "300.00", ful="300.00")]),
              _claim("B", "P2", [_line("A1", "300.00", ful="300.00")], years=(2021, 2022)),
              _claim("C", "P3", [_line("A1", "300.00", ful="300.00")], years=(2020, 2021, 2022))]
    population = Population.from_claims(claims)
    D._same(product, population)
    insured = population.insured.copy()
    insured["history"] = insured["history"].where(insured["insured_id"] != "P1", None)
    if column == "categorical":
        insured["history"] = insured["history"].astype("category")
    missing = dataclasses.replace(population, insured=insured)
    D._same(product, missing)  # the reference engine reads a missing history as none too
    rows = adjudicate_population(missing, product, engine="batch")
    assert rows.set_index("claim_id")["payable"].to_dict() == {"A": 0, "B": 300_00, "C": 300_00}


def test_a_special_case_reads_each_persons_own_event_and_a_newborns_own_enrolment() -> None:
    # New enrollees wait 60 days from the day after they enrol, unless they enrolled within
    # 30 days of a special case's event. P1 and P2 moved household (enrolled 10 January):
    # P1's event of 1 January opens the case (no waiting), P2's of 1 June 2022 does not (it
    # waits until 11 March). P3 and P4, newborns of 1 January with no event (their birth
    # is theirs): P3 enrolled 10 January, within 30 days; P4 on 15 February, so it waits
    # until 16 April. Claims of 1 March, 300.00 at 100%: P1 and P3 are paid, P2 and P4 not.
    product = parse_product(_product([_resp(0, {"portions": ["fulamt"]}, rate="1.00")], "discharge_year")
                            .model_dump(mode="json", exclude_none=True) | {"first_year": 2022, "enrollment": {
                                "waiting_periods": [{"applies_to": "new_enrollee", "days": 60, "source": "s"}],
                                "special_cases": [{"group": g, "enroll_within_days": 30, "source": "s"}
                                                  for g in ("household_migration", "newborn")]}})
    moved = {"groups": ("household_migration",), "enrolled_on": date(2023, 1, 10)}
    born = {"groups": ("newborn",), "birth_date": date(2023, 1, 1)}
    claims = [_as(_fulamt("A", "P1", "300.00"), **moved, event_on=date(2023, 1, 1)),
              _as(_fulamt("B", "P2", "300.00"), **moved, event_on=date(2022, 6, 1)),
              _as(_fulamt("C", "P3", "300.00"), **born, enrolled_on=date(2023, 1, 10)),
              _as(_fulamt("D", "P4", "300.00"), **born, enrolled_on=date(2023, 2, 15))]
    population = Population.from_claims(claims)
    D._same(product, population)
    assert adjudicate_population(population, product).set_index("claim_id")["payable"].to_dict() == {
        "A": 300_00, "B": 0, "C": 300_00, "D": 0}


def test_a_co_pay_of_one_fen_left_after_the_public_payers_is_shared_and_paid() -> None:
    # Public payers paid 99.99 of 100.00 in scope: the co-pay of 0.01 goes to r0 at 100%.
    product = _product([_resp(0, {"portions": ["inscp_copay"]}, rate="1.00")], "discharge_year")
    population = Population.from_claims([_claim("A", "P1", [_line("A1", "100.00")], public="99.99")])
    D._same(product, population)
    assert adjudicate_population(population, product).set_index("claim_id")["payable"].to_dict() == {"A": 1}


def test_the_rows_money_columns_are_int64_fen_and_an_absent_event_column_reads_as_no_event() -> None:
    # 300.00 self-paid at 80% after a deductible of 100.00: 160.00 payable, for P1 and for
    # P2 (enrolled last year too); every money column of the columnar engine's rows is int64
    # fen. The same population without the insured's event_on column (it is optional) gives
    # the same rows.
    import dataclasses

    product = _product([_resp(0, {"portions": ["fulamt"]}, deductible="100")], "discharge_year")
    population = Population.from_claims([_fulamt("A", "P1", "300.00"),
                                         _claim("B", "P2", [_line("A1", "300.00", ful="300.00")], years=(2022,))])
    rows = D._same_rows(product, population)
    money = [c for c in rows.columns if c not in ("claim_id", "insured_id", "product_id", "service_on", "engine")]
    assert {c: str(rows[c].dtype) for c in money} == {c: "int64" for c in money}
    assert rows.set_index("claim_id")["payable"].to_dict() == {"A": 160_00, "B": 160_00}
    without = dataclasses.replace(population, insured=population.insured.drop(columns=["event_on"]))
    pd.testing.assert_frame_equal(D._same_rows(product, without), rows)


def test_a_shared_co_pay_keeps_the_lowest_destination_of_an_encounters_lines_listed_before_another() -> None:
    # E1's X0001 (r0, 100%) and A1 (r1, 50%) are listed before E2's B1, its A2 (r1) after:
    # 100.00, 100.00 and 200.00 in scope, public payers paid 200.00, so the 200.00 co-pay is
    # shared 50.00, 50.00 and 100.00. E2: 50.00 of B1's 100.00 to r1. Claim A: r0 50.00;
    # r1 (50.00 + 100.00 + 50.00) at 50% = 100.00.
    import dataclasses

    product = _product([_resp(0, {"portions": ["inscp_copay"], "in_list": "special_drugs"}, rate="1.00"),
                        _resp(1, {"portions": ["inscp_copay"]}, rate="0.50")], "discharge_year")
    first = _claim("A", "P1", [_line("X0001", "100.00"), _line("A1", "100.00"), _line("A2", "200.00")],
                   public="200.00")
    other = _claim("X", "P1", [_line("B1", "100.00")], public="50.00").encounters[0].model_copy(update={"id": "E2"})
    population = Population.from_claims([first.model_copy(update={"encounters": [first.encounters[0], other]})])
    assert population.fee_lines["encounter_id"].tolist() == ["E1", "E1", "E1", "E2"]
    listed = population.fee_lines.iloc[[0, 1, 3, 2]].reset_index(drop=True)
    population = dataclasses.replace(population, fee_lines=listed)
    D._same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert (rows.loc["A", "payable:r0"], rows.loc["A", "payable:r1"]) == (50_00, 100_00)


def test_encounters_alike_but_for_the_institution_or_the_diagnosis_are_classified_apart() -> None:
    """A line's combination carries what the product's selectors read of its encounter and
    which list item the line is: the same drug line pays under the special-drug
    responsibility only on its indication (C34), a second drug with no indication pays
    whether found by its code or by its name, and the same item pays only at the listed
    institution. One claim per person, the lines alike but for those."""
    base = _product([_resp(0, {"portions": ["inscp_copay"], "in_list": "special_drugs"}, rate="1.00")],
                    "discharge_year", indications=("C34",))
    data = base.model_dump(mode="json", exclude_none=True)
    data["lists"]["special_drugs"]["items"].append({"name": "X0002", "codes": ["X0002"]})
    data["responsibilities"].append(
        _resp(1, {"portions": ["fulamt"], "in_list": "items", "institutions": "centres"}, rate="1.00"))
    data["lists"] |= {
        "items": {"name_zh": "项目", "kind": "items", "source": "s", "completeness": "complete",
                  "items": [{"name": "Y0001", "codes": ["Y0001"]}]},
        "centres": {"name_zh": "机构", "kind": "institutions", "source": "s", "completeness": "complete",
                    "items": [{"name": "中心医院"}]}}
    product = parse_product(data)
    drug, item = _line("X0001", "300.00"), _line("Y0001", "200.00", ful="200.00")
    by_code, by_name = _line("X0002", "150.00") | {"name": "别名"}, _line("ZZZ9", "120.00") | {"name": "X0002片"}
    claims = [_claim("A", "P1", [drug], diagnoses=("C34.1",)), _claim("B", "P2", [drug]),
              _claim("C", "P3", [item], institution="中心医院"), _claim("D", "P4", [item]),
              _claim("E", "P5", [by_code]), _claim("F", "P6", [by_name]), _claim("G", "P7", [_line("A1", "80.00")])]
    population = Population.from_claims(claims)
    D._same(product, population)
    # on indication the co-pay of 300.00 is paid in full, and the second drug's 150.00 and
    # 120.00; at the listed centre the 200.00 self-paid item; elsewhere, and for a line on no
    # list in an encounter like those of the second drug, nothing
    paid = adjudicate_population(population, product).set_index("claim_id")["payable"].to_dict()
    assert paid == {"A": 300_00, "B": 0, "C": 200_00, "D": 0, "E": 150_00, "F": 120_00, "G": 0}


def test_no_figure_the_columnar_engine_returns_is_a_binary_float() -> None:
    """Money and counts stay integers from the passes to the frames: the rows and every part
    of the detail hold no float column (a float would be exact up to 2**53 fen, and so
    would pass every comparison of figures)."""
    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.columnar import adjudicate_columns
    from huiminbao_rules.analytics.synthetic import SyntheticParams, population

    for product_id in ("hangzhou-2022", "shanghai-2023"):  # shanghai-2023: groups of their own (payable sub-limits)
        product = get_product(product_id)
        pop = population(product, SyntheticParams().sized(claims=300, lines_per_claim=10), seed=3, progress=False)
        rows, detail = adjudicate_columns(pop, product, detail=True)
        for name, frame in (("rows", rows), ("portions", detail.portions), ("groups", detail.groups),
                            ("year_to_date", detail.year_to_date), ("caveats", detail.caveats)):
            floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
            assert not floats, (product_id, name, floats)
        assert (rows["payable"] > 0).any() and len(detail.groups) and len(detail.portions)
