"""The reference engine on paths the hand cases and snapshots do not take: a stay that
began under last year's cover, a per-item sub-limit, a count limit on a line with several
portions, and the ties of a pro-rated stay's shares. Each figure is worked out in the test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huiminbao_rules import adjudicate, parse_claim, parse_product

PERIOD = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}


def _product(responsibilities: list[dict], cross_year: str = "discharge_year", enrollment: dict | None = None,
             tail_days: int = 30):  # type: ignore[no-untyped-def]
    """A product; the tail days are read only under the admission-year-tail rule."""
    spec = {
        "id": "paths-2023", "city": "test", "city_zh": "测试", "name": "测试", "policy_year": 2023,
        "period": PERIOD, "indemnity_source": "s", "sources": {"s": {"title": "hand-made", "grade": "derived"}},
        "pre_existing": {"basis": "none", "source": "s"}, "cross_year": {"rule": cross_year, "tail_days": tail_days, "source": "s"},
        "rounding": {"source": "s"}, "responsibilities": responsibilities,
    }
    if enrollment is not None:
        spec["enrollment"] = enrollment
    return parse_product(spec)


def _resp(takes: list[dict], sub_limits: tuple[dict, ...] = ()) -> dict:
    """A responsibility paying 100% with no deductible."""
    return {"id": "r0", "name_zh": "责任", "name_en": "r0", "bucket": "other", "takes": takes,
            "deductible": {"amount": "0", "source": "s"}, "ratio": {"rate": "1.00", "source": "s"},
            "sub_limits": list(sub_limits)}


def _line(code: str, amount: str, *, ful: str = "0.00", pre: str = "0.00", over: str = "0.00") -> dict:
    return {"med_list_codg": code, "name": code, "chrgitm_lv": "01", "med_chrgitm_type": "09",
            "det_item_fee_sumamt": amount, "fulamt_ownpay_amt": ful, "preselfpay_amt": pre, "overlmt_amt": over}


def _claim(lines: list[dict], *, admitted: str | None = None, discharged: str | None = None, day: str = "2023-03-01",
           enrolled_on: str = "2022-12-01", history: tuple[dict, ...] = (), public: str = "0.00") -> object:
    total = sum(Decimal(x["det_item_fee_sumamt"]) for x in lines)
    ful = sum(Decimal(x["fulamt_ownpay_amt"]) for x in lines)
    pre = sum(Decimal(x["preselfpay_amt"]) for x in lines)
    over = sum(Decimal(x["overlmt_amt"]) for x in lines)
    dates = ({"kind": "inpatient", "admitted_on": admitted, "discharged_on": discharged} if admitted
             else {"kind": "outpatient", "service_date": day})
    return parse_claim({
        "claim_id": "C1",
        "insured": {"id": "P1", "birth_date": "1970-01-01", "scheme": "employee", "enrolled_on": enrolled_on,
                    "history": list(history)},
        "encounters": [{"id": "E1", **dates, "diagnoses": ["J18.9"], "institution": "医院",
                        "settlement": {"medfee_sumamt": str(total), "fulamt_ownpay_amt": str(ful),
                                       "preselfpay_amt": str(pre), "overlmt_selfpay": str(over),
                                       "inscp_scp_amt": str(total - ful - pre - over),
                                       "hifp_pay": public},
                        "fee_lines": lines}]})


def _eligible(adj) -> dict[tuple[str, int, str], Decimal]:  # type: ignore[no-untyped-def]
    """Each portion's eligible amount, by (code, line number, part)."""
    return {(line.code, line.number, p.part): p.eligible for line in adj.lines for p in line.portions}


def _excluded(adj) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    """What was excluded, by reason."""
    out: dict[str, Decimal] = {}
    for line in adj.lines:
        for p in line.portions:
            for e in p.exclusions:
                out[e.reason] = out.get(e.reason, Decimal(0)) + e.amount
    return out


def test_a_stay_begun_under_last_years_cover_continues_it_under_the_discharge_year_rule() -> None:
    # Admitted 2022-12-20, discharged 2023-01-10: the 2023 year pays it (discharge year).
    # Enrolled on 2023-01-05, so 2023's cover starts after the admission; a person enrolled
    # in 2022 continues last year's cover (paid in full: 500.00 at 100%), a person who was
    # not is refused as before the start of cover.
    product = _product([_resp([{"portions": ["fulamt"]}])])
    lines = [_line("X", "500.00", ful="500.00")]
    stay = {"admitted": "2022-12-20", "discharged": "2023-01-10", "enrolled_on": "2023-01-05"}
    renewed = adjudicate(_claim(lines, **stay, history=({"year": 2022, "enrolled": True},)), product)
    assert (renewed.payable, _excluded(renewed)) == (Decimal("500.00"), {})
    new = adjudicate(_claim(lines, **stay), product)
    assert (new.payable, _excluded(new)) == (Decimal("0.00"), {"before_coverage_start": Decimal("500.00")})


def test_a_per_item_sub_limit_counts_each_code_on_its_own() -> None:
    # Self-paid drugs, at most 100.00 eligible per national code per year: X 150.00 → 100.00,
    # Y 150.00 → 100.00, X again 80.00 → 0.00 (X's 100.00 is used): 200.00 paid.
    product = _product([_resp([{"portions": ["fulamt"]}], (
        {"id": "item", "name_zh": "单品限额", "takes": {"portions": ["fulamt"]}, "per": "item_year",
         "measure": "eligible", "limit": "100", "source": "s"},))])
    adj = adjudicate(_claim([_line("X", "150.00", ful="150.00"), _line("Y", "150.00", ful="150.00"),
                             _line("X", "80.00", ful="80.00")]), product)
    assert _eligible(adj) == {("X", 1, "fulamt"): Decimal("100.00"), ("Y", 2, "fulamt"): Decimal("100.00"),
                              ("X", 3, "fulamt"): Decimal("0.00")}
    assert (adj.payable, _excluded(adj)) == (Decimal("200.00"), {"sub_limit": Decimal("180.00")})


def test_a_count_limit_counts_a_line_once_however_many_of_its_portions_it_takes() -> None:
    # At most 2 lines a year. Line 1 has four portions the limit takes (50.00 paid first,
    # the 150.00 co-pay: no public payment, 100.00 self-paid, 30.00 over the price limit): it
    # is one line, so line 2 (100.00) is the second and line 3 (100.00) is refused: 430.00 paid.
    parts = ["preselfpay", "inscp_copay", "fulamt", "overlmt"]
    product = _product([_resp([{"portions": parts}], (
        {"id": "visits", "name_zh": "次数限制", "takes": {"portions": parts}, "per": "year", "measure": "count",
         "count": 2, "source": "s"},))])
    adj = adjudicate(_claim([_line("X", "330.00", ful="100.00", pre="50.00", over="30.00"),
                             _line("Y", "100.00", ful="100.00"),
                             _line("Z", "100.00", ful="100.00")]), product)
    assert _eligible(adj) == {("X", 1, "preselfpay"): Decimal("50.00"), ("X", 1, "inscp_copay"): Decimal("150.00"),
                              ("X", 1, "fulamt"): Decimal("100.00"), ("X", 1, "overlmt"): Decimal("30.00"),
                              ("Y", 2, "fulamt"): Decimal("100.00"), ("Z", 3, "fulamt"): Decimal("0.00")}
    assert (adj.payable, _excluded(adj)) == (Decimal("430.00"), {"count_limit": Decimal("100.00")})


def test_a_pro_rated_stays_odd_fen_goes_by_what_the_lines_are_not_where_they_stand() -> None:
    # Admitted 2023-12-30, discharged 2024-01-02, not renewed: cover ends at expiry, so 2 of
    # the stay's 3 days are paid. Two lines of 1.00 self-paid: 2.00 × 2/3 = 1.33, shared
    # 0.665 each: one line gets 0.67, the other 0.66, the same line whichever is listed first.
    product = _product([_resp([{"portions": ["fulamt"]}])], cross_year="ends_at_expiry")
    x, y = _line("X", "1.00", ful="1.00"), _line("Y", "1.00", ful="1.00")
    stay = {"admitted": "2023-12-30", "discharged": "2024-01-02"}
    first, second = adjudicate(_claim([x, y], **stay), product), adjudicate(_claim([y, x], **stay), product)
    by_code = [{code: e for (code, _, _), e in _eligible(adj).items()} for adj in (first, second)]
    assert by_code[0] == by_code[1]
    assert sorted(by_code[0].values()) == [Decimal("0.66"), Decimal("0.67")]
    assert first.payable == second.payable == Decimal("1.33")
    assert _excluded(first) == {"beyond_cover_end": Decimal("0.67")}


def _encounter_step(adj):  # type: ignore[no-untyped-def]
    (step,) = [s for s in adj.steps if s.kind == "encounter"]
    return step.clause, {k: v for k, v in step.values.items() if k not in ("kind", "service_on", "fraction")}


def test_the_encounter_step_names_the_clause_and_the_dates_that_decided() -> None:
    # What the trace shows for each verdict: the clause, the anchor date the cross-year rule
    # read, and the dates or days behind an exclusion or a pro-rated stay.
    waiting = {"waiting_periods": [{"applies_to": "gap_in_enrollment", "days": 30, "source": "s"}]}
    by_discharge = _product([_resp([{"portions": ["fulamt"]}])], enrollment=waiting)
    by_admission = _product([_resp([{"portions": ["fulamt"]}])], cross_year="admission_year_tail")
    to_discharge = _product([_resp([{"portions": ["fulamt"]}])], cross_year="to_discharge")
    lines = [_line("X", "10.00", ful="10.00")]
    renewed = ({"year": 2024, "enrolled": True},)
    # a newborn (born 2023-01-25) enrolled late, within the special case's 30 days, waits
    # its 10 days instead of the late enrollment's 90
    special = _product([_resp([{"portions": ["fulamt"]}])], enrollment={
        "window": {"start": date(2022, 11, 1), "end": date(2023, 1, 1)}, "late_enrollment": True,
        "waiting_periods": [{"applies_to": "late_enrollment", "days": 90, "source": "s"}],
        "special_cases": [{"group": "newborn", "enroll_within_days": 30, "waiting_days": 10, "source": "s"}]})
    late = _claim(lines, day="2023-02-15", enrolled_on="2023-02-10")
    newborn = late.model_copy(update={"insured": late.insured.model_copy(
        update={"groups": ("newborn",), "birth_date": date(2023, 1, 25)})})
    cases = [
        (by_discharge, _claim(lines, day="2023-03-01"), ("period", {"excluded": None, "anchor": date(2023, 3, 1)})),
        (by_discharge, _claim(lines, day="2024-03-01"), ("period", {"excluded": "other_policy_year", "anchor": date(2024, 3, 1)})),
        (by_discharge, _claim(lines, admitted="2023-12-20", discharged="2024-01-02"),
         ("cross_year", {"excluded": "other_policy_year", "anchor": date(2024, 1, 2)})),
        (by_discharge, _claim(lines, admitted="2023-03-01", discharged="2023-03-05"),
         ("cross_year", {"excluded": None, "anchor": date(2023, 3, 5)})),
        (by_discharge, _claim(lines, day="2023-03-01", enrolled_on="2023-03-05"),
         ("enrollment", {"excluded": "before_coverage_start", "anchor": date(2023, 3, 1), "cover_start": date(2023, 3, 6)})),
        (by_discharge, _claim(lines, day="2023-01-20", history=({"year": 2021, "enrolled": True},)),
         ("enrollment.waiting_periods[0]", {"excluded": "waiting_period", "anchor": date(2023, 1, 20), "waiting_until": date(2023, 1, 30)})),
        (special, newborn, ("enrollment.special_cases[0]", {"excluded": "waiting_period",
                                                            "anchor": date(2023, 2, 15),
                                                            "waiting_until": date(2023, 2, 20)})),
        (by_admission, _claim(lines, admitted="2023-12-20", discharged="2024-03-01"),
         ("cross_year", {"excluded": None, "anchor": date(2023, 12, 20), "renewed": False, "days": 72, "covered_days": 42,
                         "tail_days": 30})),
        (by_admission, _claim(lines, admitted="2023-12-20", discharged="2024-03-01", history=renewed),
         ("cross_year", {"excluded": None, "anchor": date(2023, 12, 20), "renewed": True})),
        (to_discharge, _claim(lines, admitted="2023-12-20", discharged="2024-03-01"),
         ("cross_year", {"excluded": None, "anchor": date(2023, 12, 20), "renewed": False})),
        (to_discharge, _claim(lines, admitted="2022-12-20", discharged="2023-01-03"),
         ("cross_year", {"excluded": "other_policy_year", "anchor": date(2022, 12, 20)})),
    ]
    for product, claim, expected in cases:
        assert _encounter_step(adjudicate(claim, product)) == expected, claim.encounters[0]
