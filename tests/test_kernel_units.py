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
from huiminbao_rules.adjudication.result import YTD_VERSION, Exclusion

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


# ---- the benefits kernel, rule by rule (figures worked by hand, in fen) ---------------------

from huiminbao_rules.adjudication import kernel as K  # noqa: E402
from huiminbao_rules.claims.history import History, enrolled_as, history_of, insured_of, standing  # noqa: E402
from huiminbao_rules.claims.models import EnrollmentYear, Insured  # noqa: E402


def test_round_div_rounds_halves_as_the_mode_says_and_nothing_else() -> None:
    # 5/2 = 2.5, 7/2 = 3.5, 15/10 = 1.5, 5/10 = 0.5: halves
    assert [K.round_div(n, d, K.HALF_UP) for n, d in ((5, 2), (7, 2), (15, 10), (5, 10))] == [3, 4, 2, 1]
    assert [K.round_div(n, d, K.HALF_EVEN) for n, d in ((5, 2), (7, 2), (15, 10), (5, 10))] == [2, 4, 2, 0]
    assert [K.round_div(n, d, K.DOWN) for n, d in ((5, 2), (7, 2), (15, 10), (5, 10))] == [2, 3, 1, 0]
    # 1/3 = 0.33, 2/3 = 0.67, 14/10 = 1.4, 16/10 = 1.6: not halves, every mode but DOWN goes to the nearest
    for mode in (K.HALF_UP, K.HALF_EVEN):
        assert [K.round_div(n, d, mode) for n, d in ((1, 3), (2, 3), (14, 10), (16, 10))] == [0, 1, 1, 2]
    assert [K.round_div(n, d, K.DOWN) for n, d in ((1, 3), (2, 3), (14, 10), (16, 10))] == [0, 0, 1, 1]
    # exact quotients are left alone
    assert [K.round_div(6, 3, m) for m in (K.HALF_UP, K.HALF_EVEN, K.DOWN)] == [2, 2, 2]
    assert K.MODES == {"ROUND_HALF_UP": 0, "ROUND_HALF_EVEN": 1, "ROUND_DOWN": 2}


def test_round_raw_turns_fen_times_rate_into_fen_or_whole_yuan() -> None:
    # raw is fen × 10,000: 12,345 = 1.2345 fen; 15,000 = 1.5 fen; 25,000 = 2.5 fen
    assert K.round_raw(12345, 1, K.HALF_UP) == 1
    assert (K.round_raw(15000, 1, K.HALF_UP), K.round_raw(15000, 1, K.HALF_EVEN)) == (2, 2)
    assert (K.round_raw(25000, 1, K.HALF_UP), K.round_raw(25000, 1, K.HALF_EVEN), K.round_raw(29999, 1, K.DOWN)) == (3, 2, 2)
    # 1,234,567,890 = 123,456.789 fen = 1,234.56789 yuan: to the yuan 1,235 (half up) or 1,234 (down)
    assert (K.round_raw(1234567890, 100, K.HALF_UP), K.round_raw(1234567890, 100, K.DOWN)) == (123500, 123400)
    assert K.RATE_SCALE == 10_000


def test_weights_and_pro_rating_round_to_the_fen_half_up() -> None:
    # 3.33 yuan × 0.5 = 1.665 -> 1.67; 10.00 × 0.3333 = 3.333 -> 3.33; 0.01 × 0.5 = 0.005 -> 0.01
    assert [K.weighted(a, w) for a, w in ((333, 5000), (1000, 3333), (1, 5000), (0, 5000), (777, 10000))] == [
        167, 333, 1, 0, 777]
    # 10.00 yuan over 1 of 3 days = 3.333 -> 3.33; 2 of 3 days = 6.667 -> 6.67; 0.01 over 1 of 2 days -> 0.01
    assert [K.prorated(a, c, d) for a, c, d in ((1000, 1, 3), (1000, 2, 3), (1, 1, 2), (1000, 3, 3))] == [
        333, 667, 1, 1000]


def test_the_copay_is_what_the_public_payers_left_never_below_zero() -> None:
    assert (K.copay(1000, 700), K.copay(1000, 1000), K.copay(1000, 1200), K.copay(0, 0)) == (300, 0, 0, 0)


def test_the_deductible_takes_what_is_left_of_it_and_no_more_than_the_amount() -> None:
    assert (K.deductible_left(1000, 300), K.deductible_left(1000, 1000), K.deductible_left(1000, 1500)) == (700, 0, 0)
    # 1,000 deductible of which 800 used: 200 left, taken from 500
    assert K.deductible_taken(500, 1000, 800) == 200
    assert (K.deductible_taken(500, 1000, 0), K.deductible_taken(500, 1000, 500), K.deductible_taken(700, 1000, 300)) == (
        500, 500, 700)
    assert (K.deductible_taken(0, 1000, 0), K.deductible_taken(500, 1000, 1200), K.deductible_taken(500, 0, 0)) == (0, 0, 0)


def test_an_amount_lies_on_the_eligible_axis_or_after_the_deductible() -> None:
    # 500 eligible, 200 of it deductible, after 1,000 eligible of which 300 was deductible
    assert K.band_axis(True, 1000, 300, 500, 200) == (1200, 1500)
    assert K.band_axis(False, 1000, 300, 500, 200) == (700, 1000)
    assert K.band_axis(False, 0, 0, 500, 0) == (0, 500)
    assert K.band_axis(True, 0, 0, 500, 500) == (500, 500)


def test_a_band_piece_is_the_part_of_the_amount_inside_the_band() -> None:
    assert K.band_piece(500, 1500, 0, 1000) == (500, 1000)      # the band ends inside the amount
    assert K.band_piece(500, 800, 0, 1000) == (500, 800)        # the amount ends inside the band
    assert K.band_piece(500, 1000, 0, 1000) == (500, 1000)      # both end together
    assert K.band_piece(500, 1500, 1000, -1) == (1000, 1500)    # an open band
    assert K.band_piece(200, 300, 100, 0) == (200, 0)           # a band ending at 0 holds nothing
    assert K.band_piece(1500, 2000, 0, 1000) == (1500, 1000)    # below the amount: empty


def test_the_bands_pay_each_piece_at_its_rate() -> None:
    starts, ends, rates = (0, 1000), (1000, -1), (5000, 8000)  # 50% to 10.00 yuan, 80% above
    # 5.00..15.00 yuan: 5.00 at 50% and 5.00 at 80%: raw 500 × 5,000 + 500 × 8,000
    assert K.bands_raw(500, 1500, starts, ends, rates) == 6_500_000
    assert K.bands_raw(1200, 1500, starts, ends, rates) == 300 * 8000
    assert K.bands_raw(0, 0, starts, ends, rates) == 0
    assert K.bands_raw(1500, 1500, starts, ends, rates) == 0


def test_a_limit_keeps_what_is_left_of_it_and_cuts_the_rest() -> None:
    assert (K.room(1000, 300), K.room(1000, 1000), K.room(1000, 1500)) == (700, 0, 0)
    assert K.capped(500, 1000, 800) == (200, 300)
    assert K.capped(500, 1000, 1200) == (0, 500)
    assert K.capped(500, 1000, 500) == (500, 0)
    assert K.capped(500, 1000, 0) == (500, 0)
    assert [K.count_allows(c, n) for c, n in ((0, 1), (1, 1), (2, 1), (0, 0), (2, 3))] == [True, False, False, False, True]


def test_the_indemnity_limit_and_its_excess() -> None:
    assert (K.indemnity_limit(1000, 300), K.indemnity_limit(1000, 1000), K.indemnity_limit(300, 1000)) == (700, 0, 0)
    assert (K.indemnity_excess(1200, 1000), K.indemnity_excess(1000, 1000), K.indemnity_excess(800, 1000)) == (200, 0, 0)
    assert (K.cut_from(300, 500), K.cut_from(500, 300), K.cut_from(300, 300), K.cut_from(0, 300)) == (300, 300, 300, 0)


def test_largest_remainder_gives_the_units_left_to_the_largest_remainders_then_by_rank() -> None:
    assert K.largest_remainder(10, (1, 1, 1), (0, 0, 0)) == [4, 3, 3]
    assert K.largest_remainder(10, (1, 1, 1), (2, 1, 0)) == [3, 3, 4]
    # 5 over (1, 1, 1, 1, 3): floors (0, 0, 0, 0, 2), remainders (5, 5, 5, 5, 1) sevenths; 3 left, by rank
    assert K.largest_remainder(5, (1, 1, 1, 1, 3), (3, 2, 1, 0, 0)) == [0, 1, 1, 1, 2]
    # 2 over (5, 3, 3, 1): remainders (10, 6, 6, 2) twelfths: the 10 first, then the tie at 6 by rank
    assert K.largest_remainder(2, (5, 3, 3, 1), (9, 1, 0, 5)) == [1, 0, 1, 0]
    assert K.largest_remainder(2, (5, 3, 3, 1), (9, 0, 1, 5)) == [1, 1, 0, 0]
    # 3 over (3, 2, 2, 2): floors (1, 0, 0, 0), remainders (0, 6, 6, 6) ninths: two of the tie
    assert K.largest_remainder(3, (3, 2, 2, 2), (0, 1, 0, 2)) == [1, 1, 1, 0]
    # 14 over (5, 3, 3, 1): floors (5, 3, 3, 1), remainders (10, 6, 6, 2) twelfths: the unit adds to a floor
    assert K.largest_remainder(14, (5, 3, 3, 1), (9, 1, 0, 5)) == [6, 3, 4, 1]
    # 4 over (1, 1, 1, 1, 3): floors (0, 0, 0, 0, 1), remainders (4, 4, 4, 4, 5) sevenths: the 5 first,
    # then two of the four tied at 4, by place
    assert K.largest_remainder(4, (1, 1, 1, 1, 3), (0, 0, 0, 0, 0)) == [1, 1, 0, 0, 2]
    assert K.largest_remainder(0, (1, 2), (0, 0)) == [0, 0]
    assert K.largest_remainder(7, (0, 0), (0, 0)) == [0, 0]
    assert K.largest_remainder(7, (0, 3), (0, 0)) == [0, 7]


def test_money_shares_by_the_kernel_rule() -> None:
    # allocate is the kernel's largest remainder on fen: 0.05 over (1, 1, 1, 1, 3) -> 0.00, 0.01 ...
    assert allocate(Decimal("0.05"), [Decimal(1)] * 4 + [Decimal(3)], [3, 2, 1, 0, 0]) == [
        Decimal("0.00"), Decimal("0.01"), Decimal("0.01"), Decimal("0.01"), Decimal("0.02")]
    assert allocate_units(5, [1, 1, 1, 1, 3]) == [1, 1, 1, 0, 2]


# ---- what a history means ---------------------------------------------------------------------


def _person(**changes: object) -> Insured:
    data: dict[str, object] = {"id": "P1", "birth_date": date(1980, 5, 1), "scheme": "employee",
                               "enrolled_on": date(2022, 12, 1)}
    data.update(changes)
    return Insured(**data)  # type: ignore[arg-type]


def test_standing_counts_the_years_just_before_and_the_claim_free_ones() -> None:
    years = [EnrollmentYear(year=y, enrolled=e, paid=p) for y, e, p in (
        (2019, True, "0"), (2020, False, "0"), (2021, True, "0"), (2022, True, "10.00"), (2023, True, "0"))]
    # 2024: 2023, 2022, 2021 enrolled (3); 2023 claim-free, 2022 paid something (1)
    assert standing(years, 2024) == (3, 1, False, False)
    # 2022: 2021 only (2020 not enrolled); renewed for 2023
    assert standing(years, 2022) == (1, 1, False, True)
    # 2021: not enrolled in 2020, enrolled in 2019: a gap
    assert standing(years, 2021) == (0, 0, True, True)
    assert standing(years, 2020) == (1, 1, False, True)
    assert standing((), 2024) == (0, 0, False, False)
    assert standing([EnrollmentYear(year=2022, enrolled=False)], 2024) == (0, 0, False, False)


def test_history_of_keeps_what_the_rules_read_and_nothing_else() -> None:
    a = _person(groups=("retiree", "newborn"), pre_existing=("diabetes",),
                history=(EnrollmentYear(year=2022, enrolled=True, paid="0"),))
    h = history_of(a, 2023)
    assert h == History(scheme="employee", enrolled_on=date(2022, 12, 1), groups=frozenset({"retiree", "newborn"}),
                        pre_existing=frozenset({"diabetes"}), event_on=None, newborn_birth=date(1980, 5, 1),
                        years_before=1, claim_free_before=1, gap=False, renewed=False)
    assert h.enrolled_last_year
    # the order of groups, the id and (outside the newborn case) the birth date do not matter
    b = _person(id="P2", groups=("retiree",), birth_date=date(1970, 1, 1))
    c = _person(id="P3", groups=("retiree",), birth_date=date(1990, 1, 1))
    assert history_of(b, 2023) == history_of(c, 2023)
    assert history_of(b, 2023).newborn_birth is None and not history_of(b, 2023).enrolled_last_year
    # an event day replaces the birth date
    d = _person(groups=("newborn",), event_on=date(2022, 11, 1))
    assert history_of(d, 2023).newborn_birth is None and history_of(d, 2023).event_on == date(2022, 11, 1)


def test_a_history_of_another_enrolment_day_differs_in_that_day_only() -> None:
    # The columnar engine works a history out once per everything but the enrolment day.
    years = (EnrollmentYear(year=2021, enrolled=True, paid="0"), EnrollmentYear(year=2022, enrolled=True, paid="5.00"),
             EnrollmentYear(year=2024, enrolled=True))
    people = (_person(), _person(history=years, groups=("newborn",)), _person(groups=("newborn",), event_on=date(2022, 6, 1)),
              _person(history=years[:1], pre_existing=("a",), groups=("retiree",)))
    for person in people:
        for day in (date(2020, 1, 1), date(2022, 12, 31), date(2023, 1, 1), date(2023, 6, 30), date(2024, 1, 1)):
            for year in (2022, 2023, 2024):
                moved = person.model_copy(update={"enrolled_on": day})
                assert history_of(moved, year) == enrolled_as(history_of(person, year), day)
                assert enrolled_as(history_of(person, year), day).enrolled_on == day


def test_a_person_standing_for_a_history_has_exactly_that_history() -> None:
    years = (EnrollmentYear(year=2020, enrolled=True, paid="0"), EnrollmentYear(year=2021, enrolled=True, paid="5.00"),
             EnrollmentYear(year=2022, enrolled=True, paid="0"), EnrollmentYear(year=2024, enrolled=True))
    for person in (_person(history=years, groups=("newborn",)), _person(history=years[:1]), _person(),
                   _person(history=years[1:], pre_existing=("a", "b"), event_on=date(2022, 6, 1))):
        for year in (2021, 2022, 2023, 2024):
            h = history_of(person, year)
            assert history_of(insured_of(h, year, "X"), year) == h


# ---- the engine's stages where the fast cases do not reach (figures worked by hand) ----------


def _one_stay(claim_id: str, day: str, *amounts: str) -> Claim:
    """One stay of in-list lines (the public payers paid nothing: all of it is co-pay)."""
    total = str(sum((Decimal(a) for a in amounts), Decimal("0.00")))
    lines = [{"med_list_codg": f"A{i}", "name": f"诊疗{i}", "chrgitm_lv": "01", "med_chrgitm_type": "05",
              "det_item_fee_sumamt": a} for i, a in enumerate(amounts, start=1)]
    return parse_claim({"claim_id": claim_id, "insured": {"id": "P1", "birth_date": "1970-01-01",
                                                          "scheme": "employee", "enrolled_on": "2022-12-01"},
                        "encounters": [{"id": "E1", "kind": "inpatient", "admitted_on": day, "discharged_on": day,
                                        "diagnoses": ["J18.9"],
                                        "settlement": {"medfee_sumamt": total, "fulamt_ownpay_amt": "0.00",
                                                       "preselfpay_amt": "0.00", "inscp_scp_amt": total},
                                        "fee_lines": lines}]})


def _portion_figures(adj) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return [(p.eligible, p.deductible, [(b.start, b.end, b.raw) for b in p.bands], p.raw, p.rounded, p.cuts,
             p.payable) for line in adj.lines for p in line.portions]


def test_per_line_figures_take_the_deductible_first_and_bear_the_cuts_last() -> None:
    # 800 + 700 + 1,500 = 3,000 eligible; deductible 1,000: line 1 takes 800 of it, line 2 the other 200.
    # Eligible axis: line 2 pays 1,000..1,500 at 50% = 250, line 3 1,500..3,000 at 50% = 750; total 1,000.
    # A total cap of 100 cuts 900: line 3 bears 750 of it, line 2 the other 150 (pays 100).
    z = D("0.00")
    want = [(D("800.00"), D("800.00"), [], z, z, (), z),
            (D("700.00"), D("200.00"), [(D("1000.00"), D("1500.00"), D("250"))], D("250"), D("250.00"),
             (("total_cap", D("150.00")),), D("100.00")),
            (D("1500.00"), z, [(D("1500.00"), D("3000.00"), D("750"))], D("750"), D("750.00"),
             (("total_cap", D("750.00")),), z)]
    adj = adjudicate(_one_stay("C1", "2023-03-01", "800.00", "700.00", "1500.00"), _banded("eligible", "100"))
    assert _portion_figures(adj) == want and adj.payable == D("100.00")
    assert str(adj.lines[0].portions[0].raw) == "0.00"
    # after the deductible: the same amounts lie at 0..500 and 500..2,000 of the axis
    want[1] = (*want[1][:2], [(z, D("500.00"), D("250"))], *want[1][3:])
    want[2] = (*want[2][:2], [(D("500.00"), D("2000.00"), D("750"))], *want[2][3:])
    adj = adjudicate(_one_stay("C1", "2023-03-01", "800.00", "700.00", "1500.00"), _banded("after_deductible", "100"))
    assert _portion_figures(adj) == want
    # inside the deductible: nothing at the ratios, nothing rounded, nothing paid
    adj = adjudicate(_one_stay("C1", "2023-03-01", "300.00", "200.00"), _banded("eligible", None))
    assert _portion_figures(adj) == [(D("300.00"), D("300.00"), [], z, z, (), z),
                                     (D("200.00"), D("200.00"), [], z, z, (), z)]


def test_a_combined_cap_room_starts_at_the_whole_cap() -> None:
    adj = adjudicate(_stays("0.00", ("E1", "2023-01-10", "600.00", "0.00")), _two_responsibilities("500.00"))
    assert [(r.id, r.payable, r.cap_cut) for r in adj.responsibilities] == [("r0", D("500.00"), D("100.00")),
                                                                             ("r1", D("0.00"), D("0"))]


def _sub_limited(measure: str, per: str, amount: str) -> Product:
    """r0 (in-list stays, 100%, no deductible) with one sub-limit on its in-scope co-pay."""
    data = _two_responsibilities("100000").model_dump(mode="python", by_alias=True)
    limit = {"count": int(amount)} if measure == "count" else {"limit": amount}
    data["responsibilities"][0]["sub_limits"] = [{
        "id": "s0", "name_zh": "子限额", "takes": {"portions": ["inscp_copay"]}, "per": per, "measure": measure,
        "source": "s", **limit}]
    return parse_product(data)


def _two_stays(claim_id: str, first: str, second: str, day: str = "2023-01-") -> Claim:
    claim = _stays("0.00", ("E1", f"{day}10", first, "0.00"), ("E2", f"{day}20", second, "0.00"))
    return claim.model_copy(update={"claim_id": claim_id})


def test_an_eligible_sub_limit_per_year_counts_across_encounters_and_claims() -> None:
    # 500 a year: E1 300 all eligible, E2 400 only 200; the next claim's 100 finds no room
    product = _sub_limited("eligible", "year", "500.00")
    adj = adjudicate(_two_stays("C1", "300.00", "400.00"), product)
    assert (adj.responsibility("r0").eligible, adj.payable) == (D("500.00"), D("500.00"))
    assert [(line.encounter_id, p.eligible, p.exclusions) for line in adj.lines for p in line.portions] == [
        ("E1", D("300.00"), ()),
        ("E2", D("200.00"), (Exclusion("sub_limit", D("200.00"), "responsibilities.r0.sub_limits.s0"),))]
    assert adj.year_to_date.sub_limits == {"r0.s0": D("500.00")}
    nxt = adjudicate(_two_stays("C2", "100.00", "0.50", "2023-02-"), product, adj.year_to_date)
    assert (nxt.payable, nxt.year_to_date.sub_limits) == (D("0.00"), {"r0.s0": D("500.00")})


def test_an_eligible_sub_limit_per_encounter_starts_again_at_each_encounter() -> None:
    adj = adjudicate(_two_stays("C1", "300.00", "400.00"), _sub_limited("eligible", "encounter", "250.00"))
    assert adj.payable == D("500.00")
    assert adj.year_to_date.sub_limits == {"r0.s0@C1/E1": D("250.00"), "r0.s0@C1/E2": D("250.00")}


def test_a_count_sub_limit_takes_the_first_items_of_the_year() -> None:
    adj = adjudicate(_two_stays("C1", "300.00", "400.00"), _sub_limited("count", "year", "1"))
    assert adj.payable == D("300.00")
    assert [p.exclusions for line in adj.lines for p in line.portions] == [
        (), (Exclusion("count_limit", D("400.00"), "responsibilities.r0.sub_limits.s0"),)]
    assert adj.year_to_date.sub_limit_counts == {"r0.s0": 1}


def test_a_payable_sub_limit_caps_what_is_paid_from_its_first_fen() -> None:
    adj = adjudicate(_two_stays("C1", "300.00", "400.00"), _sub_limited("payable", "year", "500.00"))
    r = adj.responsibility("r0")
    assert (r.eligible, r.payable, r.cuts) == (D("700.00"), D("500.00"),
                                               (("responsibilities.r0.sub_limits.s0", D("200.00")),))
    adj = adjudicate(_two_stays("C1", "600.00", "0.00"), _sub_limited("payable", "year", "500.00"))
    assert adj.payable == D("500.00") and adj.year_to_date.sub_limits == {"r0.s0": D("500.00")}


def test_a_tie_in_sharing_the_copay_goes_to_the_line_with_the_smaller_key_wherever_it_is_listed() -> None:
    # two lines of 1.00 in scope, the public payers paid 1.99: 0.01 of co-pay, remainders equal;
    # the line coded A gets it, listed second
    claim = _one_stay("C1", "2023-03-01", "1.00", "1.00").model_dump(mode="python")
    enc = claim["encounters"][0]
    enc["settlement"]["hifp_pay"] = Decimal("1.99")
    enc["fee_lines"][0]["med_list_codg"], enc["fee_lines"][1]["med_list_codg"] = "B", "A"
    adj = adjudicate(parse_claim(json.loads(json.dumps(claim, default=str))), _banded("eligible", None))
    assert [(line.code, [(p.part, p.amount) for p in line.portions], line.public_paid) for line in adj.lines] == [
        ("B", [], D("1.00")), ("A", [("inscp_copay", D("0.01"))], D("0.99"))]


def test_each_responsibility_is_rounded_on_its_own() -> None:
    # r0 and r1 at 50% each take 0.01: 0.005 each, rounded half up to 0.01 each (together 0.02),
    # not 0.01 for the two together
    data = _two_responsibilities("5000").model_dump(mode="python", by_alias=True)
    for r in data["responsibilities"]:
        r["ratio"] = [{"rate": "0.50", "source": "s"}]
    adj = adjudicate(_stays("0.00", ("E1", "2023-01-10", "0.01", "0.01")), parse_product(data))
    assert [(r.raw, r.rounded, r.payable) for r in adj.responsibilities] == [
        (D("0.0050"), D("0.01"), D("0.01")), (D("0.0050"), D("0.01"), D("0.01"))]


def test_a_cap_counts_what_earlier_encounters_of_the_claim_were_paid() -> None:
    data = _two_responsibilities("100000").model_dump(mode="python", by_alias=True)
    data["responsibilities"][0]["cap"] = {"amount": "500", "source": "s"}
    claim = _stays("0.00", ("E1", "2023-01-10", "100.00", "0.00"), ("E2", "2023-01-20", "100.00", "0.00"),
                   ("E3", "2023-01-30", "400.00", "0.00"))
    r = adjudicate(claim, parse_product(data)).responsibility("r0")
    # 100 + 100 paid; E3 finds 300 of the cap left and is cut 100
    assert (r.payable, r.cuts) == (D("500.00"), (("responsibilities.r0.cap", D("100.00")),))
    claim = _stays("0.00", ("E1", "2023-01-10", "100.00", "0.00"), ("E2", "2023-01-20", "100.00", "0.00"),
                   ("E3", "2023-01-30", "400.00", "0.00"))
    adj = adjudicate(claim, _sub_limited("payable", "year", "500.00"))
    assert (adj.payable, adj.year_to_date.sub_limits) == (D("500.00"), {"r0.s0": D("500.00")})


# ---- encounter verdicts (days on any one count; here day 0 is the period's first day) -------

def test_an_encounter_outside_the_period_is_another_policy_year() -> None:
    assert K.encounter_verdict(False, False, 365, 365, 0, 364, 0, -1, False) == K.OTHER_POLICY_YEAR
    assert K.encounter_verdict(False, False, -1, -1, 0, 364, 0, -1, False) == K.OTHER_POLICY_YEAR
    assert K.encounter_verdict(False, False, 364, 364, 0, 364, 0, -1, False) == K.COVERED


def test_cover_start_then_the_waiting_period_are_checked_on_the_day_an_encounter_starts() -> None:
    # cover from day 60: day 59 is before it; waiting until day 89: days 60-89 wait, 90 is paid
    assert K.encounter_verdict(False, False, 59, 59, 0, 364, 60, 59, False) == K.BEFORE_COVER
    assert K.encounter_verdict(False, False, 60, 60, 0, 364, 60, 89, False) == K.WAITING
    assert K.encounter_verdict(False, False, 89, 89, 0, 364, 60, 89, False) == K.WAITING
    assert K.encounter_verdict(False, False, 90, 90, 0, 364, 60, 89, False) == K.COVERED


def test_a_stay_continuing_from_last_years_cover_skips_cover_start_and_waiting() -> None:
    # by discharge: anchor (discharge) day 10 in the period, admitted day -5 under last year's cover
    assert K.encounter_verdict(True, False, 10, -5, 0, 364, 0, 30, True) == K.COVERED
    assert K.encounter_verdict(True, False, 10, -5, 0, 364, 0, 30, False) == K.BEFORE_COVER
    # by admission the stay belongs to last year: another policy year
    assert K.encounter_verdict(True, True, -5, -5, 0, 364, 0, -1, True) == K.OTHER_POLICY_YEAR


def test_a_stay_past_the_end_is_paid_to_the_tail_unless_renewed() -> None:
    assert K.covered_until(364, 0) == 365 and K.covered_until(364, 30) == 395
    assert K.stay_prorated(366, 365, False) is True
    assert K.stay_prorated(365, 365, False) is False  # discharged on the day paid up to: whole stay
    assert K.stay_prorated(366, 365, True) is False


def test_the_first_day_of_the_period_is_in_it_and_a_stay_admitted_that_day_does_not_continue() -> None:
    assert K.encounter_verdict(False, False, 0, 0, 0, 364, 0, -1, False) == K.COVERED
    # admitted on the period's first day, cover from day 10: not a stay continuing last year's cover
    assert K.encounter_verdict(True, False, 20, 0, 0, 364, 10, 9, True) == K.BEFORE_COVER
