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
    adj = adjudicate(parse_claim(_below_deductible()), product)
    for lang, nothing in (("zh", "免赔额扣除后无余额, 不按比例赔付"), ("en", "Nothing is left after the deductible")):
        lines = statement(adj, product, lang)
        assert not [x for x in lines if x.strip().startswith(("〔", "["))], lines
        assert any(nothing in x for x in lines)


def test_statement_figures_have_two_decimals_and_a_currency() -> None:
    product = get_product("weifang-2022")
    adj = adjudicate(parse_claim(_claim("weifang-2022-w1.json")), product)
    en = statement(adj, product, "en")
    assert "   Sum at the ratios 133,300.00 yuan" in en
    assert "Total payable 364,700.00 yuan = 203,200.00 + 133,300.00 + 28,200.00" in en
    assert not [x for x in en if re.search(r"\d\.\d{3,}", x)]
    assert en[2] == "First service 2022-05-20; amounts in yuan (CNY)"
    assert en[-1] == "Source grades: (C) aggregator site"


def test_the_statement_shows_what_is_left_of_each_annual_cap_and_its_date_from_the_caller() -> None:
    product = get_product("shenzhen-2023")
    adj = adjudicate(parse_claim(_claim("shenzhen-2023-s1.json")), product)
    zh = statement(adj, product, on=date(2023, 12, 1))
    assert zh[2] == "计算书日期 2023-12-01; 首次就诊 2023-09-25"
    assert "   年度限额 1,200,000.00 元, 本年已赔 4,080.00 元, 剩余 1,195,920.00 元" in zh
    assert "   年度限额 500,000.00 元, 本年已赔 9,250.00 元, 剩余 490,750.00 元" in zh
    assert zh[-1] == "来源等级: (B) 主流媒体"
    assert statement(adj, product) == statement(adj, product)  # no clock: the same claim, the same statement


def test_the_trace_has_a_heading_and_no_python_reprs() -> None:
    for name, pid in (("shenzhen-2023-s1.json", "shenzhen-2023"), ("weifang-2022-w1.json", "weifang-2022"),
                      ("mianyang-2022-m1.json", "mianyang-2022")):
        product = get_product(pid)
        adj = adjudicate(parse_claim(_claim(name)), product)
        for lang in ("zh", "en"):
            lines = trace(adj, product, lang)
            assert lines[0] in ("计算步骤 (每一步及其条款与来源)", "Steps (each with its clause and source)")
            text = "\n".join(lines)
            for python in ("=False", "=True", "None", "{}", "[[", "Decimal(", "ROUND_HALF_UP", "x0."):
                assert python not in text, (pid, lang, python)
            assert not re.search(r"\d\.\d{3,}", text), (pid, lang)
    product = get_product("shenzhen-2023")
    zh = trace(adjudicate(parse_claim(_claim("shenzhen-2023-s1.json")), product), product)
    assert zh[2] == "  1. 保障生效 P-0001: 投保日 2023-05-10, 保障开始 2023-07-01, 逾期投保 否, 投保后生效天数 1 [enrollment]"
    assert any(x.startswith("  9. 分段计算 in_list: 分段计算 ((21,100.00 − 16,000.00) × 80% = 4,080.00), 计算值 4,080.00")
               for x in zh)
