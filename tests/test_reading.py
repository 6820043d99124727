"""What a person reads: statements, traces and the command line say everything in one
language, with figures a calculator can check and nothing a program left behind."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from huiminbao_rules import adjudicate, get_product, parse_claim, statement, trace

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "claims"


def _claim(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _below_deductible() -> dict:
    """The Shenzhen example's outpatient visit alone, its drugs under the 40,000 deductible."""
    data = _claim("shenzhen-2023-s1.json")
    enc = data["encounters"][1]
    enc["fee_lines"][0]["det_item_fee_sumamt"] = enc["fee_lines"][0]["fulamt_ownpay_amt"] = "30000.00"
    enc["settlement"]["medfee_sumamt"] = enc["settlement"]["fulamt_ownpay_amt"] = "44200.00"
    data["encounters"] = [enc]
    return data


def test_a_deductible_that_takes_everything_leaves_no_citation_without_its_figures() -> None:
    product = get_product("shenzhen-2023")
    adj = adjudicate(parse_claim(_below_deductible()), product, unknown_lists="non-member")
    for lang, nothing in (("zh", "免赔额扣除后无余额, 不按比例赔付"), ("en", "Nothing is left after the deductible")):
        lines = statement(adj, product, lang)
        caveats = re.compile(r"\s*\[(list_unknown|unverified_term|assumed_period|user_list)\]")
        assert not [x for x in lines if x.strip().startswith(("〔", "[")) and not caveats.match(x)], lines
        assert any(nothing in x for x in lines)


def test_statement_figures_have_two_decimals_and_a_currency() -> None:
    product = get_product("weifang-2022")
    adj = adjudicate(parse_claim(_claim("weifang-2022-w1.json")), product, unknown_lists="member")  # as W1 reads its drug
    en = statement(adj, product, "en")
    assert "   Sum at the ratios 133,300.00 yuan" in en
    assert "Total payable 364,700.00 yuan = 203,200.00 + 133,300.00 + 28,200.00" in en
    assert not [x for x in en if re.search(r"\d\.\d{3,}", x)]
    assert en[2] == "Service date 2022-05-20; amounts in yuan (CNY)"
    assert en[-1] == "Source grades: (C) aggregator site"


def test_the_statement_shows_what_is_left_of_each_annual_cap_and_its_date_from_the_caller() -> None:
    product = get_product("shenzhen-2023")
    adj = adjudicate(parse_claim(_claim("shenzhen-2023-s1.json")), product, unknown_lists="non-member")
    zh = statement(adj, product, on=date(2023, 12, 1))
    assert zh[2] == "计算书日期 2023-12-01; 服务日期 2023-09-25"
    assert "   年度限额 1,200,000.00 元, 本年已赔 4,080.00 元, 剩余 1,195,920.00 元" in zh
    assert "   年度限额 500,000.00 元, 本年已赔 9,250.00 元, 剩余 490,750.00 元" in zh
    assert zh[-1] == "来源等级: (B) 主流媒体"
    assert statement(adj, product) == statement(adj, product)  # no clock: the same claim, the same statement


def test_the_trace_has_a_heading_and_no_python_reprs() -> None:
    for name, pid in (("shenzhen-2023-s1.json", "shenzhen-2023"), ("weifang-2022-w1.json", "weifang-2022"),
                      ("mianyang-2022-m1.json", "mianyang-2022")):
        product = get_product(pid)
        for mode, lang in [(m, lg) for m in ("pend", "non-member") for lg in ("zh", "en")]:
            adj = adjudicate(parse_claim(_claim(name)), product, unknown_lists=mode)
            lines = trace(adj, product, lang)
            assert lines[0] in ("计算步骤 (每一步及其条款与来源)", "Steps (each with its clause and source)")
            text = "\n".join(lines)
            for python in ("=False", "=True", "None", "{}", "[[", "Decimal(", "ROUND_HALF_UP", "x0."):
                assert python not in text, (pid, lang, python)
            assert not re.search(r"\d\.\d{3,}", text), (pid, lang)
    product = get_product("shenzhen-2023")
    zh = trace(adjudicate(parse_claim(_claim("shenzhen-2023-s1.json")), product, unknown_lists="non-member"), product)
    assert zh[2] == "  1. 保障生效 P-0001: 投保日 2023-05-10, 保障开始 2023-07-01, 逾期投保 否, 投保后生效天数 1 [enrollment]"
    assert any(x.startswith("  9. 分段计算 in_list: 分段计算 ((21,100.00 − 16,000.00) × 80% = 4,080.00), 计算值 4,080.00")
               for x in zh)


# ---- the command line ------------------------------------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

import huiminbao_rules  # noqa: E402
from huiminbao_rules.cli.main import _parser, main  # noqa: E402


def test_the_version_is_printed_by_the_command_and_python_m() -> None:
    version = f"huiminbao {huiminbao_rules.__version__}"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{huiminbao_rules.__version__}"' in pyproject
    for cmd in (["huiminbao", "--version"], [sys.executable, "-m", "huiminbao_rules", "--version"]):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == version


@pytest.mark.parametrize("argv, flags", [
    (["adjudicate", "examples/claims/shenzhen-2023-s1.json", "--product", "shenzhen-2023", "--json", "--lang", "en"],
     "--lang"),
    (["adjudicate", "examples/claims/shenzhen-2023-s1.json", "--product", "shenzhen-2023", "--json", "--trace"],
     "--trace"),
    (["adjudicate", "examples/claims/shenzhen-2023-s1.json", "--product", "shenzhen-2023", "--json", "--lang", "zh",
      "--trace"], "--lang and --trace"),
    (["enroll", "examples/applications/hangzhou-2022-family.json", "--product", "hangzhou-2022", "--json", "--lang",
      "en"], "--lang"),
    (["check", "hangzhou-2022", "--json", "--all"], "--all"),
    (["show", "shenzhen-2023", "--json", "--lang", "en"], "--lang"),
    (["diff", "shenzhen-2023", "shenzhen-2024", "--json", "--lang", "zh"], "--lang"),
])
def test_a_flag_that_would_change_nothing_is_refused(monkeypatch, capsys, argv, flags) -> None:
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"huiminbao: error: {flags} cannot be used with --json")


def test_every_verb_and_flag_is_described_in_help() -> None:
    parser = _parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert {c.dest: c.help for c in sub._choices_actions}.keys() == sub.choices.keys()
    for name, verb in sub.choices.items():
        assert verb.description, name
        for action in verb._actions:
            assert action.help, (name, action.dest)


def test_every_verb_that_prints_can_print_json_with_a_schema(monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    runs = [["products"], ["show", "shenzhen-2023"], ["diff", "shenzhen-2023", "shenzhen-2024"],
            ["check", "hangzhou-2022"],
            ["enroll", "examples/applications/hangzhou-2022-family.json", "--product", "hangzhou-2022"]]
    for argv in runs:
        assert main([*argv, "--json"]) == 0, argv
        assert json.loads(capsys.readouterr().out)["schema"].startswith("huiminbao_rules."), argv
    assert main(["adjudicate", "examples/claims/shenzhen-2023-s1.json", "--product", "shenzhen-2023", "--json"]) == 0
    assert [r["schema"] for r in json.loads(capsys.readouterr().out)] == ["huiminbao_rules.adjudication/1"]


def _without_rare_disease_drugs(tmp_path: Path) -> Path:
    """Shenzhen 2023 with its rare-disease drug responsibility and list taken out."""
    import re as _re

    text = (ROOT / "src/huiminbao_rules/products/shenzhen/2023.toml").read_text(encoding="utf-8")
    text = text.replace('id = "shenzhen-2023"', 'id = "shenzhen-2023~no-rare"', 1)
    text = _re.sub(r"\[lists\.rare_disease_drugs\]\n.*?(?=\n\[)", "", text, count=1, flags=_re.S)
    text = _re.sub(r"\[\[responsibilities\]\]\nid = \"rare_disease_drugs\"\n.*?(?=\[\[responsibilities\]\])", "", text,
                   count=1, flags=_re.S)
    path = tmp_path / "no-rare.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_diff_pairs_list_items_by_what_they_are(capsys, tmp_path) -> None:
    assert main(["diff", "shenzhen-2023", "shenzhen-2024"]) == 0
    lines = capsys.readouterr().out.splitlines()
    fee_types = [x for x in lines if "inpatient_self_pay.takes" in x]
    assert fee_types == ["+ responsibilities.inpatient_self_pay.takes[0].fee_types[08]: 08"]
    assert main(["diff", "shenzhen-2023", str(_without_rare_disease_drugs(tmp_path))]) == 0
    removed_lines = capsys.readouterr().out.splitlines()
    assert [x for x in removed_lines if "rare_disease_drugs" in x] == [
        "- lists.rare_disease_drugs: 罕见病自费药品清单", "- responsibilities.rare_disease_drugs: 罕见病自费药品费用"]
    assert main(["diff", "shenzhen-2023", str(_without_rare_disease_drugs(tmp_path)), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    removed = next(c for c in data["changes"] if c["path"] == "responsibilities.rare_disease_drugs")
    assert removed["op"] == "removed" and removed["new"] is None
    assert removed["old"]["cap"] == {"amount": "500000.00"} and removed["old"]["takes"][0]["fee_types"] == [
        "09", "10", "11"]
    assert len(data["changes"]) == len(removed_lines) - 1
    assert main(["diff", "shenzhen-2023", "shenzhen-2024", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["changes"]) == len(lines) - 1


PUBLISHED = ["--unknown-lists", "non-member"]  # as the published example reads its drugs


def test_the_year_to_date_written_by_one_run_is_read_by_the_next(tmp_path, capsys) -> None:
    first = json.loads((EXAMPLES / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    second = json.loads(json.dumps(first))
    second["claim_id"] = "SZ23-0002"
    for enc in second["encounters"]:
        for key in ("admitted_on", "discharged_on", "service_date"):
            if key in enc:
                enc[key] = enc[key].replace("2023-09-", "2024-02-").replace("2023-11-", "2024-03-")
    a, b, ytd = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "ytd.json"
    a.write_text(json.dumps(first), encoding="utf-8")
    b.write_text(json.dumps(second), encoding="utf-8")
    assert main(["adjudicate", str(a), str(b), "--product", "shenzhen-2023", "--json", *PUBLISHED]) == 0
    together = json.loads(capsys.readouterr().out)
    assert main(["adjudicate", str(a), "--product", "shenzhen-2023", "--save-year-to-date", str(ytd), *PUBLISHED]) == 0
    capsys.readouterr()
    assert json.loads(ytd.read_text(encoding="utf-8"))["total_paid"] == "38600.00"
    assert main(["adjudicate", str(b), "--product", "shenzhen-2023", "--year-to-date", str(ytd), "--json", *PUBLISHED]) == 0
    assert json.loads(capsys.readouterr().out) == together[1:]
    assert main(["adjudicate", str(a), str(b), "--product", "shenzhen-2023", *PUBLISHED]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "本年度合计赔付 121,200.00 元"


# ---- one language per run ----------------------------------------------------------------

from huiminbao_rules import bundled_products, enroll, parse_application  # noqa: E402
from huiminbao_rules.render.describe import decision_lines, describe  # noqa: E402

_ID_KEYS = {"id", "amends", "groups_any", "groups", "deductible_pool", "in_list", "not_in_list", "institutions", "reference", "group",
            "responsibilities"}


def _identifiers(value: object, out: set[str], key: str = "") -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if key in ("lists", "references", "sources"):
                out.add(k)
            _identifiers(v, out, k)
    elif isinstance(value, list):
        for v in value:
            _identifiers(v, out, key)
    elif isinstance(value, str) and key in _ID_KEYS:
        out.add(value)
    return out


def _keys(value: object, out: set[str]) -> set[str]:
    """The file format's own words: every key of a product file, and every one-word value (an enum value)."""
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    elif isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]*", value):
        out.add(value)
    return out


def _format_words() -> set[str]:
    """Words the limitations may cite as written: product ids, the file format's keys and enum values, the claim
    format's field names, the fee-line parts and the boolean values of a product file."""
    from huiminbao_rules.claims.models import Claim, Encounter, FeeLine, Insured, Settlement

    words = {"preselfpay", "inscp_copay", "fulamt", "overlmt", "true", "false", "ICD-10"}
    for model in (Claim, Encounter, FeeLine, Insured, Settlement):
        words |= set(model.model_fields)
    for p in bundled_products():
        words.add(p.id)
        _keys(p.model_dump(mode="json", by_alias=True), words)
    return words


def _english_words(lines: list[str]) -> list[str]:
    words = []
    for line in lines:
        text = re.sub(r"〔[^〕]*〕", "", line)  # clause paths and source titles are cited as they are
        words += re.findall(r"(?<![0-9])[A-Za-z][A-Za-z_\-0-9]*", text)  # not an item's label (3b)
    return words


def test_show_speaks_chinese_but_for_identifiers() -> None:
    format_words = _format_words()
    for p in bundled_products():
        allowed = _identifiers(p.model_dump(mode="json"), {p.id, "A", "B", "C", "D", "MEM", "derived", "CAR-T", "PET-CT",
                                                          "huiminbao", "show", "lang", "en", "HIV", "II"})
        allowed |= format_words
        lines = [x for x in describe(p, "zh") if not x.startswith("  [")]  # the sources' own titles
        assert "局限:" in lines or not p.limitations.strip(), p.id
        assert not any("只有英文" in x for x in lines), p.id  # the limitations themselves, not a pointer to them
        icd = {w for w in _english_words(lines) if re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9]+)?", w)}  # ICD-10 codes
        stray = sorted(set(_english_words(lines)) - allowed - icd)
        assert not stray, (p.id, stray)


def test_show_prints_the_chinese_limitations_and_points_to_the_english_where_a_file_has_none() -> None:
    product = get_product("shenzhen-2023")
    lines = describe(product, "zh")
    start = lines.index("局限:")
    assert lines[start + 1:] == ["  " + x for x in product.limitations_zh.strip().splitlines()]
    english = describe(product, "en")
    assert english[english.index("Limitations:") + 1:] == ["  " + x for x in product.limitations.strip().splitlines()]
    user_file = product.model_copy(update={"limitations_zh": ""})  # a user's product file written in English only
    lines = describe(user_file, "zh")
    assert lines[lines.index("局限:") + 1:] == ["  本产品文件的局限说明只有英文版本: huiminbao show shenzhen-2023 --lang en"]
    assert describe(product.model_copy(update={"limitations": "", "limitations_zh": ""}), "zh")[-1] != "局限:"


def test_enrollment_decisions_speak_chinese_but_for_identifiers(monkeypatch) -> None:
    from huiminbao_rules import get_product

    data = json.loads((ROOT / "examples" / "applications" / "hangzhou-2022-family.json").read_text(encoding="utf-8"))
    data["persons"].append({"id": "P-LATE", "relation": "child", "birth_date": "2010-01-01", "tier": "gold",
                            "basic_insurance": {"scheme": "resident", "city": "hangzhou"}})
    data["payer"]["account_balance"] = "420.00"
    product = get_product("hangzhou-2022")
    result = enroll(parse_application(data), product)
    codes = {r.code for d in result.decisions for r in d.reasons}
    assert {"eligible", "not_eligible_here", "subsidy", "balance_short", "cover_start", "premium"} <= codes, codes
    assert all(r.detail_zh for d in result.decisions for r in d.reasons)
    lines = decision_lines(result, product, "zh")
    stray = set(_english_words(lines)) - {"P-EMP", "P-SPOUSE", "P-CHILD", "P-MOTHER", "P-FATHER", "P-LATE", "HZ22-A001",
                                          "hangzhou-2022", "minimum_living", "A", "B", "C"}
    assert not stray, stray


def test_one_adjudication_is_a_dataframe_of_its_lines() -> None:
    from decimal import Decimal

    from huiminbao_rules.analytics.frames import LINE_COLUMNS, portions_frame

    product = get_product("shenzhen-2023")
    adj = adjudicate(parse_claim(_claim("shenzhen-2023-s1.json")), product, unknown_lists="non-member")
    frame = adj.to_frame()
    assert tuple(frame.columns) == LINE_COLUMNS
    assert frame[["encounter_id", "number", "payable", "excluded", "reasons"]].values.tolist() == [
        ["E1", 1, Decimal("16800.00"), Decimal("0.00"), ""], ["E1", 2, Decimal("8470.00"), Decimal("0.00"), ""],
        ["E1", 3, Decimal("0.00"), Decimal("0.00"), ""], ["E1", 4, Decimal("4080.00"), Decimal("0.00"), ""],
        ["E2", 1, Decimal("9250.00"), Decimal("0.00"), ""], ["E2", 2, Decimal("0.00"), Decimal("14200.00"), "不属于任何保障责任"]]
    assert sum(frame["payable"]) == adj.payable and all(isinstance(v, Decimal) for v in frame["amount"])
    assert adj.to_frame("en")["reasons"].iloc[5] == "not covered by any responsibility"
    portions = portions_frame(adj)
    assert sum(portions["payable"]) == adj.payable and len(portions) == sum(len(x.portions) for x in adj.lines)


def test_limitations_name_responsibilities_rather_than_number_them() -> None:
    # `show` lists responsibilities in the file's order, which need not be the published
    # numbering: a number in prose would point at the wrong one.
    for p in bundled_products():
        for text in (p.limitations, p.limitations_zh):
            assert not re.search(r"[Rr]esponsibilit(y|ies) [0-9]|责任 ?[0-9一二三四五六七八九]", text), p.id
