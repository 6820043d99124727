"""One person's enrollment and claims, end to end: the cover start and waiting period the
enrollment decides are the ones adjudication applies."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from huiminbao_rules import adjudicate, enroll, get_product, parse_application, parse_claim, read_product
from huiminbao_rules.cli import main

CASES = Path(__file__).parent / "cases"


def _stay(insured, claim_id: str, day: str, copay: str) -> dict:
    return {"claim_id": claim_id, "insured": insured.model_dump(mode="json"), "encounters": [{
        "id": "E1", "kind": "inpatient", "admitted_on": day, "discharged_on": day, "diagnoses": ["J18.9"],
        "settlement": {"medfee_sumamt": copay, "fulamt_ownpay_amt": "0.00", "preselfpay_amt": "0.00",
                       "inscp_scp_amt": copay},
        "fee_lines": [{"med_list_codg": "A1", "name": "治疗", "chrgitm_lv": "01", "med_chrgitm_type": "05",
                       "det_item_fee_sumamt": copay}]}]}


def test_a_late_enrollees_waiting_period_excludes_the_claims_inside_it() -> None:
    product = read_product(CASES / "products" / "test-enrollment.toml")
    application = parse_application({
        "application_id": "A1", "applied_on": "2024-05-10", "payer": {"id": "P1"}, "payment": "cash",
        "persons": [{"id": "P1", "relation": "self", "birth_date": "1970-01-01",
                     "basic_insurance": {"scheme": "resident", "city": "testcity"}}]})
    decision = enroll(application, product).of("P1")
    # Window closed 2024-03-31; cover starts 15 days after enrollment; 30 days' waiting.
    assert decision.eligible and "late_enrollment" in decision.codes
    assert (decision.cover_start, decision.waiting_until) == (date(2024, 5, 25), date(2024, 6, 23))
    insured = decision.insured
    before = adjudicate(parse_claim(_stay(insured, "C1", "2024-05-20", "5000.00")), product)
    waiting = adjudicate(parse_claim(_stay(insured, "C2", "2024-06-23", "5000.00")), product)
    after = adjudicate(parse_claim(_stay(insured, "C3", "2024-06-24", "5000.00")), product)
    reasons = lambda a: {e.reason for line in a.lines for p in line.portions for e in p.exclusions}  # noqa: E731
    assert before.payable == 0 and reasons(before) == {"before_coverage_start"}
    assert waiting.payable == 0 and reasons(waiting) == {"waiting_period"}
    assert after.payable == 3200  # (5,000 − 1,000) × 0.80


def test_the_example_of_a_newborn_enrolled_then_claiming_runs(capsys) -> None:
    import runpy

    runpy.run_path(str(Path(__file__).parent.parent / "examples" / "enroll_then_claim.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "before_coverage_start" in out and "pays 4000.00" in out


def test_the_cli_prints_each_persons_decision(capsys) -> None:
    path = Path(__file__).parent.parent / "examples" / "applications" / "hangzhou-2022-family.json"
    assert main(["enroll", str(path), "--product", "hangzhou-2022", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    by_id = {p["person_id"]: p for p in result["persons"]}
    assert by_id["P-CHILD"]["premium"] == "100.00" and by_id["P-EMP"]["premium"] == "150.00"
    assert by_id["P-FATHER"]["eligible"] is False
    # The mother is in the 低保 group and her other poverty insurance is not subsidised: the
    # government pays her whole premium (docs/enrollment.md).
    assert (by_id["P-MOTHER"]["payers"]["subsidy"], by_id["P-MOTHER"]["payers"]["personal_account"]) == ("150.00", "0.00")
    assert result["account"] == {"balance_before": "1000.00", "used": "400.00", "balance_after": "600.00"}
    assert main(["enroll", str(path), "--product", "hangzhou-2022"]) == 0
    assert "可以投保" in capsys.readouterr().out


def test_the_cli_refuses_a_bad_application(tmp_path, capsys) -> None:
    bad = tmp_path / "a.json"
    bad.write_text(json.dumps({"application_id": "A", "applied_on": "2021-13-01", "payer": {"id": "X"},
                               "persons": [{"id": "X", "relation": "self", "birth_date": "1980-01-01"}]}))
    assert main(["enroll", str(bad), "--product", "hangzhou-2022"]) == 2
    err = capsys.readouterr().err
    assert "applied_on" in err and "Traceback" not in err


def test_a_product_with_no_known_premium_still_decides_eligibility_and_cover() -> None:
    application = parse_application({
        "application_id": "A", "applied_on": "2022-12-01", "payer": {"id": "Z"},
        "persons": [{"id": "Z", "relation": "self", "birth_date": "1980-01-01",
                     "basic_insurance": {"scheme": "employee", "city": "zhengzhou"}}]})
    d = enroll(application, get_product("zhengzhou-2023")).of("Z")
    assert d.eligible and d.premium is None and "premium_unknown" in d.codes
    assert d.cover_start == date(2023, 1, 1)


def test_a_group_that_is_not_an_identifier_is_bad_input() -> None:
    import pytest

    from huiminbao_rules import InputError

    with pytest.raises(InputError, match="persons.0.groups"):
        parse_application({"application_id": "A", "applied_on": "2022-12-01", "payer": {"id": "Z"},
                           "persons": [{"id": "Z", "relation": "self", "birth_date": "1980-01-01", "groups": ["低保"]}]})
