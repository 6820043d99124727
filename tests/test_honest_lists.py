"""Lists that are not complete: a line whose place depends on one is held for review, never
paid by a broader responsibility nor refused as "not on the list"; results say what they
rest on (caveats); lists supplied by the user decide, and are recorded."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from huiminbao_rules import (
    ProductError,
    adjudicate,
    get_product,
    parse_claim,
    statement,
    to_dict,
    with_user_list,
)
from huiminbao_rules.cli import main

D = Decimal


def _claim(*, start: str, kind: str = "inpatient", institution: str = "某三甲医院", lines: list[dict],
           diagnoses: tuple[str, ...] = ("C34.9",), settled: bool = True) -> object:
    """One encounter whose lines are all wholly self-paid (nothing settled by basic insurance)."""
    total = sum(D(x["amount"]) for x in lines)
    enc: dict = {"id": "E1", "kind": kind, "institution": institution, "diagnoses": list(diagnoses),
                 "settled_through_basic": settled,
                 "settlement": {"medfee_sumamt": f"{total:.2f}", "fulamt_ownpay_amt": f"{total:.2f}",
                                "preselfpay_amt": "0", "inscp_scp_amt": "0"},
                 "fee_lines": [{"med_list_codg": x.get("code", "X-1"), "name": x["name"], "chrgitm_lv": "03",
                                "med_chrgitm_type": x["type"], "det_item_fee_sumamt": x["amount"],
                                "fulamt_ownpay_amt": x["amount"]} for x in lines]}
    if kind == "inpatient":
        enc["admitted_on"], enc["discharged_on"] = start, start[:-2] + "28"
    else:
        enc["service_date"] = start
    return parse_claim({"claim_id": "C1", "insured": {"id": "P1", "birth_date": "1970-01-01", "scheme": "employee",
                                                      "enrolled_on": start[:4] + "-01-01", "history": []},
                        "encounters": [enc], "other_insurance_paid": "0"})


PROTON = {"name": "质子治疗", "type": "05", "amount": "1000000.00"}


@pytest.mark.parametrize("pid,start", [("shanghai-2024", "2024-09-02"), ("shanghai-2025", "2025-09-02")])
def test_a_proton_course_at_the_carried_forward_institution_is_capped_by_its_own_responsibility(pid, start) -> None:
    product = get_product(pid)
    adj = adjudicate(_claim(start=start, institution="上海市质子重离子医院", lines=[PROTON]), product)
    # 1,000,000 × 70% = 700,000, capped at the proton responsibility's 300,000
    assert adj.payable == D("300000.00")
    assert adj.responsibility("proton_heavy_ion").cap_cut == D("400000.00")
    assert adj.responsibility("inpatient_self_pay").eligible == 0
    assert any(c.code == "unverified_term" and c.list == "proton_heavy_ion_institutions" for c in adj.caveats)


@pytest.mark.parametrize("pid,start", [("shanghai-2024", "2024-09-02"), ("shanghai-2025", "2025-09-02")])
def test_a_proton_course_elsewhere_is_held_for_review_not_paid_as_inpatient_self_pay(pid, start) -> None:
    adj = adjudicate(_claim(start=start, institution="上海某医院质子中心", lines=[PROTON]), get_product(pid))
    assert (adj.payable, adj.pending_amount) == (D("0.00"), D("1000000.00"))
    [line] = adj.lines
    assert [(e.reason, e.amount, e.clause) for e in line.portions[0].exclusions] == [
        ("pending_review", D("1000000.00"), "lists.proton_heavy_ion_institutions")]
    [c] = [c for c in adj.caveats if c.code == "list_unknown"]
    assert (c.line, c.list, c.responsibility, c.amount) == ("E1#1", "proton_heavy_ion_institutions",
                                                           "proton_heavy_ion", D("1000000.00"))
    [step] = [s for s in adj.steps if s.kind == "pending"]
    assert (step.subject, step.clause, step.values["amount"], step.values["responsibility"]) == (
        "E1#1", "lists.proton_heavy_ion_institutions", D("1000000.00"), "proton_heavy_ion")


def test_hangzhou_2022_selects_proton_therapy_by_the_item_at_any_institution() -> None:
    adj = adjudicate(_claim(start="2022-09-02", institution="浙江某医院", lines=[PROTON]), get_product("hangzhou-2022"))
    # 1,000,000 × 50%, no deductible, capped at 150,000; the out-of-list items responsibility takes nothing
    assert adj.payable == D("150000.00")
    assert adj.responsibility("proton_heavy_ion").payable == D("150000.00")
    assert adj.responsibility("out_of_list_items").eligible == 0
    assert adj.pending_amount == 0


def test_car_t_on_shanghai_2025_needs_the_designated_hospital_list_and_pays_its_own_cap_with_it(tmp_path) -> None:
    product = get_product("shanghai-2025")
    claim = _claim(start="2025-09-02", institution="上海交通大学医学院附属瑞金医院",
                   lines=[{"name": "阿基仑赛注射液", "type": "09", "amount": "1200000.00"}])
    adj = adjudicate(claim, product)
    assert (adj.payable, adj.pending_amount) == (D("0.00"), D("1200000.00"))
    assert {c.list for c in adj.caveats if c.code == "list_unknown"} == {"car_t_hospitals"}
    hospitals = tmp_path / "hospitals.csv"
    hospitals.write_text("name\n上海交通大学医学院附属瑞金医院\n", encoding="utf-8")  # institutions: names alone
    adj = adjudicate(claim, with_user_list(product, "car_t_hospitals", hospitals))
    # CAR-T: 100%, no deductible, capped at 500,000 (never the 1,000,000 of inpatient self-pay)
    assert (adj.payable, adj.pending_amount) == (D("500000.00"), D("0.00"))
    assert adj.responsibility("car_t").cap_cut == D("700000.00")
    assert [c.code for c in adj.caveats if c.list == "car_t_hospitals"] == ["user_list"]


@pytest.mark.parametrize("pid,start", [("beijing-2021", "2021-09-02"), ("beijing-2024", "2024-09-02"),
                                       ("xian-2021", "2021-09-02"), ("zhengzhou-2023", "2023-09-02"),
                                       ("jieyang-2023", "2023-09-02")])
def test_a_special_drug_bought_at_a_pharmacy_is_held_for_review_not_refused(pid, start) -> None:
    claim = _claim(start=start, kind="pharmacy", lines=[{"name": "某靶向药", "type": "09", "amount": "50000.00"}])
    adj = adjudicate(claim, get_product(pid))
    assert adj.pending_amount == D("50000.00")
    reasons = {e.reason for line in adj.lines for p in line.portions for e in p.exclusions}
    assert reasons == {"pending_review"}
    assert "list_unknown" in {c.code for c in adj.caveats}


def test_what_if_runs_take_unknown_membership_as_member_or_non_member_and_say_so() -> None:
    product = get_product("shanghai-2024")
    claim = _claim(start="2024-09-02", institution="上海某医院质子中心", lines=[PROTON])
    member = adjudicate(claim, product, unknown_lists="member")
    assert (member.payable, member.pending_amount, member.unknown_lists) == (D("300000.00"), 0, "member")
    non = adjudicate(claim, product, unknown_lists="non-member")
    # falls to responsibility 1: (1,000,000 − 12,000) × 70% = 691,600
    assert non.responsibility("inpatient_self_pay").payable == D("691600.00")
    assert all(c.list == "proton_heavy_ion_institutions" for c in non.caveats if c.code == "list_unknown")
    assert to_dict(non, product)["unknown_lists"] == "non-member"


def test_a_line_of_a_fee_type_the_list_cannot_hold_is_not_pended_and_says_what_excluded_it() -> None:
    # A stent (materials, 08) in a Xi'an stay: the only responsibility taking 全自费 is the special-drug
    # one, whose drug list cannot hold a material: not covered, not "not on the list", not pended.
    claim = _claim(start="2021-09-02", lines=[{"name": "支架", "type": "08", "amount": "30000.00"}])
    adj = adjudicate(claim, get_product("xian-2021"))
    [e] = adj.lines[0].portions[0].exclusions
    assert (e.reason, e.clause) == ("not_covered", "responsibilities.special_drugs.takes[0]")
    assert adj.pending_amount == 0 and not [c for c in adj.caveats if c.code == "list_unknown"]


def test_membership_that_changes_nothing_pends_nothing() -> None:
    # mianyang-2022: a self-paid drug in a stay not on the (partial) special-drug list, with the
    # list's member found: 英飞凡 is a member, so it is paid, no pend
    claim = _claim(start="2022-09-02", lines=[{"name": "英飞凡", "type": "09", "amount": "10000.00"}])
    adj = adjudicate(claim, get_product("mianyang-2022"))
    assert adj.pending_amount == 0 and adj.responsibility("special_drugs").payable == D("7000.00")


def test_every_result_says_its_period_is_assumed_where_it_is() -> None:
    claim = _claim(start="2021-09-02", lines=[{"name": "支架", "type": "08", "amount": "30000.00"}])
    assert [c.code for c in adjudicate(claim, get_product("xian-2021")).caveats] == ["assumed_period"]
    claim = _claim(start="2023-09-02", kind="outpatient", lines=[{"name": "检查", "type": "03", "amount": "100.00"}])
    assert "assumed_period" not in [c.code for c in adjudicate(claim, get_product("shenzhen-2023")).caveats]


def test_the_statement_has_a_notes_section_and_the_pended_lines_in_both_languages() -> None:
    product = get_product("shanghai-2024")
    adj = adjudicate(_claim(start="2024-09-02", institution="上海某医院质子中心", lines=[PROTON]), product)
    zh, en = statement(adj, product, "zh"), statement(adj, product, "en")
    assert "说明:" in zh and any("待人工审核" in x for x in zh) and any("1,000,000.00" in x for x in zh)
    assert "Notes (说明):" in en and any(x.startswith("Held for review") for x in en)
    assert any("[list_unknown]" in x for x in en)


def test_user_list_files_are_checked_and_recorded_by_content_hash(tmp_path, capsys) -> None:
    good = tmp_path / "drugs.csv"
    good.write_text("name,approval_number,code,indications\n癌症特效药,国药准字H20183387,X-DRUG,C22\n", encoding="utf-8")
    product = with_user_list(get_product("xian-2021"), "special_drugs", good)
    lst = product.lists["special_drugs"]
    assert (lst.completeness, lst.user_file, len(lst.user_sha256 or "")) == ("complete", "drugs.csv", 64)
    assert product.id == "xian-2021~special_drugs"
    bad = {"no header": "", "unknown column": "name,price\nx,1\n", "no id": "name,code\n某药,\n",
           "bad approval": "name,approval_number\n某药,准字123\n", "bad icd": "name,code,indications\n某药,X1,肺癌\n",
           "short row": "name,code\n某药\n"}
    for what, text in bad.items():
        path = tmp_path / f"{what}.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ProductError, match=str(path)):
            with_user_list(get_product("xian-2021"), "special_drugs", path)
        assert main(["show", "xian-2021", "--list", f"special_drugs={path}"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("huiminbao: error: ") and err.count("\n") == 1 and str(path) in err, (what, err)
    with pytest.raises(ProductError, match="no list 'nope'"):
        with_user_list(get_product("xian-2021"), "nope", good)
    assert main(["check", "xian-2021", "--list", f"nope={good}"]) == 2
    assert "no list 'nope'" in capsys.readouterr().err
    assert main(["adjudicate", "x.json", "--product", "xian-2021", "--list", "special_drugs"]) == 2
    assert "NAME=FILE.csv" in capsys.readouterr().err


def test_the_cli_records_the_run_choice_and_the_user_list(tmp_path, capsys) -> None:
    claim = tmp_path / "c.json"
    claim.write_text(json.dumps({
        "claim_id": "C1", "insured": {"id": "P1", "birth_date": "1970-01-01", "scheme": "employee",
                                      "enrolled_on": "2021-08-20", "history": []},
        "encounters": [{"id": "E1", "kind": "pharmacy", "service_date": "2021-12-20", "diagnoses": ["C22.0"],
                        "settlement": {"medfee_sumamt": "91000.00", "fulamt_ownpay_amt": "91000.00",
                                       "preselfpay_amt": "0", "inscp_scp_amt": "0"},
                        "fee_lines": [{"med_list_codg": "X-DRUG", "name": "癌症特效药", "chrgitm_lv": "03",
                                       "med_chrgitm_type": "09", "det_item_fee_sumamt": "91000.00",
                                       "fulamt_ownpay_amt": "91000.00"}]}]}), encoding="utf-8")
    drugs = tmp_path / "drugs.csv"
    drugs.write_text("name,code\n癌症特效药,X-DRUG\n", encoding="utf-8")
    assert main(["adjudicate", str(claim), "--product", "xian-2021", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    assert (out["payable"], out["pending_amount"], out["unknown_lists"]) == ("0.00", "91000.00", "pend")
    assert out["lines"][0]["pending"] == "91000.00"
    assert main(["adjudicate", str(claim), "--product", "xian-2021", "--json", "--list", f"special_drugs={drugs}"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    assert (out["payable"], out["pending_amount"]) == ("72800.00", "0.00")  # 91,000 × 80%
    [user] = [c for c in out["caveats"] if c["code"] == "user_list"]
    assert "drugs.csv" in user["message"] and user["list"] == "special_drugs"
    import hashlib
    assert hashlib.sha256(drugs.read_bytes()).hexdigest() == user["sha256"]
    assert user["sha256"] in user["message"]
    assert main(["adjudicate", str(claim), "--product", "xian-2021", "--unknown-lists", "member"]) == 0
    text = capsys.readouterr().out
    assert "说明:" in text and "member" in text


def test_a_product_can_take_its_list_from_the_bundled_national_innovative_drug_list(tmp_path) -> None:
    from pathlib import Path

    from huiminbao_rules import read_product
    from huiminbao_rules.catalog import bundled_list

    national, sources = bundled_list("cn-commercial-innovative-drugs-2025")
    assert national.completeness == "complete" and "nhsa-2025-33" in sources
    generic = [i.name for i in national.items if "brand of" not in i.note]
    assert len(generic) == 19
    assert {"阿基仑赛注射液", "瑞基奥仑赛注射液", "纳基奥仑赛注射液", "伊基奥仑赛注射液", "泽沃基奥仑赛注射液"} <= set(generic)
    text = (Path(__file__).parent / "cases" / "products" / "test-simple.toml").read_text(encoding="utf-8")
    start = text.index("[lists.special_drugs]")
    end = text.index("[[responsibilities]]", start)
    text = text[:start] + '[lists.special_drugs]\nbundled = "cn-commercial-innovative-drugs-2025"\n\n' + text[end:]
    path = tmp_path / "national.toml"
    path.write_text(text, encoding="utf-8")
    product = read_product(path)
    lst = product.lists["special_drugs"]
    assert (lst.completeness, lst.source, len(lst.items)) == ("complete", "nhsa-2025-33", 38)
    paid = adjudicate(_claim(start="2024-03-02", kind="pharmacy", lines=[
        {"name": "纳基奥仑赛注射液", "type": "09", "amount": "999000.00"},
        {"name": "某靶向药", "type": "09", "amount": "1000.00"}]), product)
    # 999,000 × 70% = 699,300, capped at 500,000; the other drug is surely not on the complete list
    assert (paid.payable, paid.pending_amount) == (D("500000.00"), 0)
    assert [e.reason for e in paid.lines[1].portions[0].exclusions] == ["not_on_list"]
    assert [c.code for c in paid.caveats] == ["unverified_term"]  # the list's rows are not all confirmed
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("cn-commercial-innovative-drugs-2025", "no-such-list"), encoding="utf-8")
    with pytest.raises(ProductError, match="no bundled list 'no-such-list'"):
        read_product(bad)


def test_check_reports_data_findings_apart_from_regulatory_ones(capsys) -> None:
    assert main(["check", "xian-2021", "--json"]) in (0, 1)
    rows = json.loads(capsys.readouterr().out)["findings"]
    data = [r for r in rows if r["kind"] == "data"]
    assert {r["kind"] for r in rows} == {"regulatory", "data"}
    assert {(r["code"], r["clause"]) for r in data} >= {("assumed_period", "period"),
                                                       ("list_not_complete", "lists.special_drugs")}
    [lst] = [r for r in data if r["code"] == "list_not_complete"]
    assert lst["responsibilities"] == ["special_drugs"] and lst["detail"].startswith("unknown: 0 members")
    assert main(["check", "xian-2021", "--lang", "en"]) in (0, 1)
    text = capsys.readouterr().out
    assert "data  xian-2021:" in text and "list not complete  lists.special_drugs" in text


def test_a_user_list_shows_in_check_and_a_complete_product_has_no_list_findings(tmp_path, capsys) -> None:
    drugs = tmp_path / "drugs.csv"
    drugs.write_text("name,code\n癌症特效药,X-DRUG\n", encoding="utf-8")
    assert main(["check", "xian-2021", "--json", "--list", f"special_drugs={drugs}"]) in (0, 1)
    data = [r for r in json.loads(capsys.readouterr().out)["findings"] if r["kind"] == "data"]
    assert "user_list" in {r["code"] for r in data} and "list_not_complete" not in {r["code"] for r in data}


def test_products_json_carries_a_completeness_summary(capsys) -> None:
    assert main(["products", "--json"]) == 0
    rows = {r["id"]: r["completeness"] for r in json.loads(capsys.readouterr().out)["products"]}
    assert rows["xian-2021"]["lists_not_complete"] == ["special_drugs"] and rows["xian-2021"]["period_assumed"]
    assert rows["shanghai-2025"]["lists"]["car_t_drugs"] == {"completeness": "complete", "members": 8,
                                                               "verified": False}
    assert rows["shanghai-2025"]["lists_not_complete"] == ["car_t_hospitals", "proton_heavy_ion_institutions"]
    assert all(set(c) == {"lists", "lists_not_complete", "unverified_terms", "period_assumed", "complete"}
               for c in rows.values())


def test_unverified_terms_an_amount_depended_on_are_named(tmp_path) -> None:
    drugs = tmp_path / "drugs.csv"
    drugs.write_text("name,code\n某靶向药,XL01-T\n", encoding="utf-8")
    product = with_user_list(get_product("beijing-2025"), "special_drugs", drugs)
    claim = _claim(start="2025-03-02", kind="pharmacy", lines=[{"name": "某靶向药", "code": "XL01-T", "type": "09",
                                                               "amount": "2000000.00"}])
    adj = adjudicate(claim, product)
    # 2,000,000 × 60% = 1,200,000, capped at the unverified 1,000,000 (the 2023 structure carried)
    assert (adj.payable, adj.responsibility("special_drugs").cap_cut) == (D("1000000.00"), D("200000.00"))
    codes = [(c.code, c.clause) for c in adj.caveats]
    assert ("unverified_term", "responsibilities.special_drugs.cap") in codes
    assert ("user_list", "lists.special_drugs") in codes and ("assumed_period", "period") in codes
    # the verified deductible and ratio of that responsibility give no caveat
    assert not [c for c in adj.caveats if c.clause and c.clause.startswith("responsibilities.special_drugs.")
                and c.clause != "responsibilities.special_drugs.cap"]
    small = adjudicate(_claim(start="2025-03-02", kind="pharmacy", lines=[
        {"name": "某靶向药", "code": "XL01-T", "type": "09", "amount": "1000.00"}]), product)
    assert small.payable == D("600.00") and "unverified_term" not in [c.code for c in small.caveats]


def test_unknown_membership_is_pended_only_where_it_would_change_the_outcome() -> None:
    from pathlib import Path

    from huiminbao_rules import read_product

    base = read_product(Path(__file__).parent / "cases" / "products" / "test-simple.toml")
    on_list = {"portions": ["fulamt"], "encounter_kinds": ["pharmacy"], "in_list": "special_drugs"}
    anyway = {"portions": ["fulamt"], "encounter_kinds": ["pharmacy"]}
    claim = _claim(start="2024-03-02", kind="pharmacy", lines=[{"name": "某药", "type": "09", "amount": "1000.00"}])
    # member or not, the same responsibility takes it at the same weight: nothing pended
    same = base.with_changes({"lists.special_drugs.completeness": "partial",
                              "responsibilities.special_drug.takes": [on_list, anyway]})
    adj = adjudicate(claim, same)
    assert (adj.payable, adj.pending_amount, adj.caveats) == (D("700.00"), 0, ())
    # a non-member would count at half: membership changes the amount, so it is pended
    half = base.with_changes({"lists.special_drugs.completeness": "partial",
                              "responsibilities.special_drug.takes": [on_list, {**anyway, "weight": "0.5",
                                                                                 "source": "hand-made"}]})
    adj = adjudicate(claim, half)
    assert (adj.payable, adj.pending_amount) == (D("0.00"), D("1000.00"))
    # the same product with its list complete: a definite non-member, weighted
    done = half.with_changes({"lists.special_drugs.completeness": "complete"}, id="done")
    adj = adjudicate(claim, done)
    assert (adj.payable, adj.pending_amount) == (D("350.00"), 0)


def test_pending_adds_up_over_lines_and_is_never_payable() -> None:
    product = get_product("shenzhen-2023")
    claim = _claim(start="2023-09-02", lines=[{"name": "某自费药", "type": "09", "amount": "30000.00"},
                                              {"name": "某检查", "type": "03", "amount": "20000.00"}])
    adj = adjudicate(claim, product)
    assert [line.pending for line in adj.lines] == [D("30000.00"), D("0.00")]
    assert adj.pending_amount == sum(line.pending for line in adj.lines) == D("30000.00")
    # (20,000 − 16,000) × 70%: the pended drug takes no deductible and pays nothing
    assert adj.payable == D("2800.00") and adj.eligible + adj.excluded == adj.owed
