"""The small definitions every adjudication rests on, tested at their edges: sharing an
amount by largest remainder, the band pieces of a deductible-only claim, and the clause a
deductible step cites. (Written to kill the mutants docs/testing.md lists.)"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import Claim, Product, adjudicate, get_product, parse_claim, parse_product
from huiminbao_rules.core.money import allocate, allocate_units
from huiminbao_rules.adjudication.result import YTD_VERSION

D = Decimal
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "claims"


def test_the_largest_remainders_get_the_fen_left_over() -> None:
    # 2 × (1, 2, 2) / 5: floors (0, 0, 0), remainders (2, 4, 4): the two fen go to the 4s
    assert allocate_units(2, [1, 2, 2]) == [0, 1, 1]
    assert allocate_units(2, [2, 1, 2]) == [1, 0, 1]


def test_equal_remainders_go_by_the_tie_key_then_by_place() -> None:
    assert allocate_units(1, [1, 1]) == [1, 0]
    assert allocate_units(1, [1, 1], ["b", "a"]) == [0, 1]
    assert allocate_units(2, [1, 2, 2], ["c", "b", "a"]) == [0, 1, 1]
    assert allocate(Decimal("0.01"), [Decimal(1), Decimal(1)], ["b", "a"]) == [Decimal("0.00"), Decimal("0.01")]


def test_a_single_weight_takes_everything_and_zero_weights_take_nothing() -> None:
    assert allocate_units(5, [1, 0]) == [5, 0]
    assert allocate_units(5, [0, 0]) == [0, 0]
    assert allocate(Decimal("0.00"), [Decimal(0), Decimal(0)]) == [Decimal("0.00"), Decimal("0.00")]
    assert allocate(Decimal("7.00"), []) == []


def test_allocation_refuses_what_cannot_be_shared() -> None:
    with pytest.raises(ValueError, match=r"^cannot allocate a non-zero total over zero weights$"):
        allocate(Decimal("1.00"), [Decimal(0), Decimal(0)])
    with pytest.raises(ValueError, match=r"^cannot allocate a negative total -0.01$"):
        allocate(Decimal("-0.01"), [Decimal(1)])


def _shenzhen_stay(self_pay: str) -> dict:
    data = json.loads((EXAMPLES / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    enc = data["encounters"][0]
    enc["settlement"] = {"medfee_sumamt": self_pay, "fulamt_ownpay_amt": "0.00", "preselfpay_amt": self_pay,
                         "inscp_scp_amt": "0.00"}
    enc["fee_lines"] = [{"med_list_codg": "Y-B1", "name": "乙类药", "chrgitm_lv": "02", "med_chrgitm_type": "09",
                         "det_item_fee_sumamt": self_pay, "preselfpay_amt": self_pay}]
    data["encounters"] = [enc]
    return data


def test_a_claim_inside_the_deductible_has_no_band_pieces() -> None:
    # shenzhen-2023: 16,000 deductible; 10,000 of in-list self-pay is all deductible
    r = adjudicate(parse_claim(_shenzhen_stay("10000.00")), get_product("shenzhen-2023")).responsibility("in_list")
    assert (r.eligible, r.deductible, r.bands, r.payable) == (Decimal("10000.00"), Decimal("10000.00"), (), 0)
    # 16,000 exactly: still nothing above it
    r = adjudicate(parse_claim(_shenzhen_stay("16000.00")), get_product("shenzhen-2023")).responsibility("in_list")
    assert (r.deductible, r.bands) == (Decimal("16000.00"), ())


def test_a_deductible_step_cites_the_pool_or_the_responsibility_it_comes_from() -> None:
    # hangzhou-2022: 2a and 2b share the out_of_list pool; in_list has its own deductible
    # (its third variant, the one for everyone else)
    claim = json.loads((EXAMPLES / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    claim["insured"]["enrolled_on"] = "2021-12-01"
    for enc in claim["encounters"]:
        for key in ("admitted_on", "discharged_on", "service_date"):
            if key in enc:
                enc[key] = enc[key].replace("2023-", "2022-")
    # the self-paid drugs could be on the product's unknown lists: read as on none of them,
    # they go to 2a and draw on the shared pool
    adj = adjudicate(parse_claim(claim), get_product("hangzhou-2022"), unknown_lists="non-member")
    clauses = {s.subject: s.clause for s in adj.steps if s.kind == "deductible"}
    assert clauses["in_list"] == "responsibilities.in_list.deductible[2]"
    assert clauses["out_of_list_drugs"] == "deductible_pools.out_of_list.deductible[0]"


def _banded(basis: str, total_cap: str | None) -> Product:
    """One responsibility for in-list stays: deductible 1,000; 50% up to 3,000 on its
    yearly axis, 100% above; ``basis`` says what the axis counts."""
    data = {
        "id": "banded-2023", "city": "test", "city_zh": "测试", "name": "测试", "policy_year": 2023,
        "period": {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}, "indemnity_source": "s",
        "sources": {"s": {"title": "hand-made", "grade": "derived"}},
        "pre_existing": {"basis": "none", "source": "s"}, "cross_year": {"rule": "discharge_year", "source": "s"},
        "rounding": {"source": "s"},
        "responsibilities": [{
            "id": "r0", "name_zh": "责任", "name_en": "r0", "bucket": "compliant",
            "takes": [{"portions": ["preselfpay", "inscp_copay"], "encounter_kinds": ["inpatient"]}],
            "deductible": {"amount": "1000", "source": "s"}, "ratio_basis": basis,
            "ratio": {"bands": [{"from": "0", "rate": "0.50"}, {"from": "3000", "rate": "1.00"}], "source": "s"}}],
    }
    if total_cap is not None:
        data["total_cap"] = {"amount": total_cap, "source": "s"}
    return parse_product(data)


def _three_stays() -> Claim:
    def stay(eid: str, day: str, amount: str) -> dict:
        return {"id": eid, "kind": "inpatient", "admitted_on": day, "discharged_on": day, "diagnoses": ["J18.9"],
                "settlement": {"medfee_sumamt": amount, "fulamt_ownpay_amt": "0.00", "preselfpay_amt": "0.00",
                               "inscp_scp_amt": amount},
                "fee_lines": [{"med_list_codg": f"A-{eid}", "name": "诊疗", "chrgitm_lv": "01",
                               "med_chrgitm_type": "05", "det_item_fee_sumamt": amount}]}
    return parse_claim({"claim_id": "C1", "insured": {"id": "P1", "birth_date": "1970-01-01", "scheme": "employee",
                                                      "enrolled_on": "2022-12-01"},
                        "encounters": [stay("E1", "2023-01-10", "2000.00"), stay("E2", "2023-01-20", "1500.00"),
                                       stay("E3", "2023-01-30", "2000.00")]})


def _figures(r) -> tuple[Decimal, ...]:  # type: ignore[no-untyped-def]
    return r.eligible, r.deductible, r.raw, r.rounded, r.cap_cut, r.payable


def test_bands_on_the_eligible_axis_follow_the_encounters_of_one_claim_and_the_total_cap_cuts_the_last() -> None:
    r = adjudicate(_three_stays(), _banded("eligible", "2500")).responsibility("r0")
    # E1 2,000: 1,000 deductible, then 1,000..2,000 at 50% = 500
    # E2 1,500: 2,000..3,000 at 50% = 500, 3,000..3,500 at 100% = 500
    # E3 2,000: 3,500..5,500 at 100% = 2,000
    # raw 500 + 1,000 + 2,000 = 3,500; the total cap 2,500 leaves E3 1,000 of its 2,000
    assert _figures(r) == (D("5500.00"), D("1000.00"), D("3500"), D("3500.00"), D("1000.00"), D("2500.00"))


def test_bands_on_the_after_deductible_axis_start_where_the_deductible_ends() -> None:
    r = adjudicate(_three_stays(), _banded("after_deductible", None)).responsibility("r0")
    # E1: 1,000 deductible, its other 1,000 at 0..1,000 of the axis, 50% = 500
    # E2: 1,000..2,500 at 50% = 750
    # E3: 2,500..3,000 at 50% = 250, 3,000..4,500 at 100% = 1,500
    assert _figures(r) == (D("5500.00"), D("1000.00"), D("3000"), D("3000.00"), D("0"), D("3000.00"))


def _two_responsibilities(combined_cap: str) -> Product:
    """r0 takes in-list stays, r1 self-paid stays, both at 100% with no deductible, under one
    combined cap."""
    def resp(i: int, takes: dict) -> dict:
        return {"id": f"r{i}", "name_zh": f"责任{i}", "name_en": f"r{i}", "bucket": "other", "takes": [takes],
                "deductible": {"amount": "0", "source": "s"}, "ratio": {"rate": "1.00", "source": "s"}}

    return parse_product({
        "id": "combined-2023", "city": "test", "city_zh": "测试", "name": "测试", "policy_year": 2023,
        "period": {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}, "indemnity_source": "s",
        "sources": {"s": {"title": "hand-made", "grade": "derived"}},
        "pre_existing": {"basis": "none", "source": "s"}, "cross_year": {"rule": "discharge_year", "source": "s"},
        "rounding": {"source": "s"},
        "responsibilities": [resp(0, {"portions": ["inscp_copay"], "encounter_kinds": ["inpatient"]}),
                             resp(1, {"portions": ["fulamt"], "encounter_kinds": ["inpatient"]})],
        "combined_caps": [{"id": "c0", "name_zh": "合并限额", "responsibilities": ["r0", "r1"], "amount": combined_cap,
                           "source": "s"}],
    })


def _stays(other: str, *stays: tuple[str, str, str, str]) -> Claim:
    encounters = []
    for eid, day, in_list, self_paid in stays:
        total = str(Decimal(in_list) + Decimal(self_paid))
        encounters.append({
            "id": eid, "kind": "inpatient", "admitted_on": day, "discharged_on": day, "diagnoses": ["J18.9"],
            "settlement": {"medfee_sumamt": total, "fulamt_ownpay_amt": self_paid, "preselfpay_amt": "0.00",
                           "inscp_scp_amt": in_list},
            "fee_lines": [{"med_list_codg": "A1", "name": "诊疗", "chrgitm_lv": "01", "med_chrgitm_type": "05",
                           "det_item_fee_sumamt": in_list},
                          {"med_list_codg": "C1", "name": "自费", "chrgitm_lv": "03", "med_chrgitm_type": "05",
                           "det_item_fee_sumamt": self_paid, "fulamt_ownpay_amt": self_paid}]})
    return parse_claim({"claim_id": "C1", "other_insurance_paid": other, "encounters": encounters,
                        "insured": {"id": "P1", "birth_date": "1970-01-01", "scheme": "employee",
                                    "enrolled_on": "2022-12-01"}})


def test_a_combined_cap_counts_every_group_of_the_claim_before_the_next() -> None:
    # E1: r0 600 (room 900.50), r1 300 (room 300.50); E2: r0 500, room 900.50 − 900 = 0.50
    adj = adjudicate(_stays("0.00", ("E1", "2023-01-10", "600.00", "300.00"), ("E2", "2023-01-20", "500.00", "0.00")),
                     _two_responsibilities("900.50"))
    assert [(r.id, r.payable, r.cap_cut) for r in adj.responsibilities] == [
        ("r0", D("600.50"), D("499.50")), ("r1", D("300.00"), D("0"))]
    assert adj.year_to_date.combined_caps == {"c0": D("900.50")}
    # what the claim and its year-to-date say about themselves
    assert (adj.claim_id, adj.insured_id, adj.product_id, adj.policy_year) == ("C1", "P1", "combined-2023", 2023)
    assert (adj.medical_total, adj.public_paid, adj.owed) == (D("1400.00"), D("0.00"), D("1400.00"))
    ytd = adj.year_to_date
    assert (ytd.version, ytd.product_id, ytd.insured_id, ytd.claims, ytd.total_paid) == (
        YTD_VERSION, "combined-2023", "P1", ("C1",), D("900.50"))


def test_an_encounter_of_another_year_is_excluded_and_the_next_one_still_paid() -> None:
    claim = _stays("0.00", ("E0", "2022-12-20", "500.00", "0.00"), ("E1", "2023-01-10", "600.00", "0.00"))
    adj = adjudicate(claim, _two_responsibilities("5000"))
    assert adj.payable == D("600.00")
    assert [(line.encounter_id, line.reasons) for line in adj.lines if line.amount] == [
        ("E0", ("other_policy_year",)), ("E1", ())]


def test_a_responsibility_paid_at_zero_over_several_encounters_pays_nothing() -> None:
    product = _two_responsibilities("5000")
    data = product.model_dump(mode="python", by_alias=True)
    data["responsibilities"][0]["ratio"] = [{"rate": "0", "source": "s"}]
    claim = _stays("0.00", ("E1", "2023-01-10", "600.00", "0.00"), ("E2", "2023-01-20", "500.00", "0.00"))
    r = adjudicate(claim, parse_product(data)).responsibility("r0")
    assert (r.eligible, r.raw, r.rounded, r.payable) == (D("1100.00"), D("0"), D("0"), D("0"))


def test_the_indemnity_limit_is_what_is_owed_after_other_insurers_and_never_below_zero() -> None:
    claim = _stays("1399.50", ("E1", "2023-01-10", "1000.00", "400.00"))  # owed 1,400; others paid 1,399.50
    adj = adjudicate(claim, _two_responsibilities("5000"))
    assert (adj.indemnity_limit, adj.payable, adj.indemnity_cut) == (D("0.50"), D("0.50"), D("1399.50"))
    claim = _stays("2000.00", ("E1", "2023-01-10", "1000.00", "400.00"))  # others paid more than is owed
    adj = adjudicate(claim, _two_responsibilities("5000"))
    assert (adj.indemnity_limit, adj.payable, adj.indemnity_cut) == (D("0.00"), D("0.00"), D("1400.00"))
