"""Checking products against regulatory profiles: the readings, the severities, the
command line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules.catalog import bundled_products, bundled_profiles, get_product, get_profile, read_product
from huiminbao_rules.cli import main
from huiminbao_rules.regulation import applicable_profiles, check

MINIMAL = Path(__file__).parent / "regulation" / "minimal.toml"
HANGZHOU = get_profile("hangzhou-2020")


def variant(tmp_path: Path, *changes: tuple[str, str], name: str = "p.toml") -> Path:
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


DEDUCTIBLE_30000 = ('deductible = { amount = 20000, source = "hand-made" }', 'deductible = { amount = 30000, source = "hand-made" }')
RATIO_60 = ('ratio = { rate = 0.70, source = "hand-made" }', 'ratio = { rate = 0.60, source = "hand-made" }')
CAP_800000 = ('cap = { amount = 1000000, source = "hand-made" }', 'cap = { amount = 800000, source = "hand-made" }')


def by_rule(findings, rule):
    return [f for f in findings if f.rule == rule]


def test_a_product_at_the_bounds_passes_both_readings() -> None:
    product = read_product(MINIMAL)
    for strict in (False, True):
        assert all(f.severity == "ok" for f in check(product, HANGZHOU, strict=strict))


@pytest.mark.parametrize("change, rule, value, miss", [
    (DEDUCTIBLE_30000, "deductible", "30000.00", "10000.00"),
    (RATIO_60, "ratio", "0.60", "0.10"),
    (CAP_800000, "cap", "800000.00", "200000.00"),
])
def test_a_floor_missed_by_the_main_responsibility_is_a_deviation_overall_and_a_violation_strictly(
        tmp_path, change, rule, value, miss) -> None:
    product = read_product(variant(tmp_path, change))
    [overall] = by_rule(check(product, HANGZHOU), rule)
    assert overall.severity == "deviation" and overall.subject == "in_list"
    assert isinstance(overall.value, Decimal) and isinstance(overall.miss, Decimal)
    assert str(overall.value).startswith(value.rstrip("0").rstrip("."))
    assert overall.clause == "三(五) 待遇水平" and "(A)" in overall.source
    strict = [f for f in by_rule(check(product, HANGZHOU, strict=True), rule) if f.subject == "in_list"]
    assert strict[0].severity == "violation"
    assert (str(strict[0].value), str(strict[0].miss)) == (value, miss)


@pytest.mark.parametrize("change, says", [
    (DEDUCTIBLE_30000, "30000.00 vs ≤ 20000.00, misses by 10000.00"),
    (RATIO_60, "0.60 vs ≥ 0.70, misses by 0.10"),
    (CAP_800000, "800000.00 vs ≥ 1000000.00, misses by 200000.00"),
])
def test_the_cli_reports_violations_under_strict_and_exits_non_zero(tmp_path, capsys, change, says) -> None:
    path = variant(tmp_path, change)
    assert main(["check", str(path), "--profile", "hangzhou-2020", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "! deviation (in principle)" in out
    assert main(["check", str(path), "--profile", "hangzhou-2020", "--strict", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "✗ violation" in out and says in out


def test_the_overall_reading_looks_only_at_the_main_in_list_responsibility(tmp_path) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    head, tail = text.rsplit('ratio = { rate = 0.70, source = "hand-made" }', 1)
    path = tmp_path / "p.toml"
    path.write_text(head + 'ratio = { rate = 0.50, source = "hand-made" }' + tail, encoding="utf-8")
    product = read_product(path)
    assert all(f.severity == "ok" for f in check(product, HANGZHOU))
    strict = by_rule(check(product, HANGZHOU, strict=True), "ratio")
    assert [(f.subject, f.severity) for f in strict] == [("in_list", "ok"), ("out_of_list", "violation")]


def test_a_lower_deductible_can_carry_a_lower_first_band_under_the_overall_reading(tmp_path) -> None:
    # Hangzhou 2022's design for most people: 13,000 deductible, 30% to 25,000, then 80%, cap
    # 1,200,000: at least 0.72 × (F − 20,000) for every F.
    path = variant(tmp_path, ('deductible = { amount = 20000, source = "hand-made" }',
                              'deductible = { amount = 13000, source = "hand-made" }'),
                   ('ratio = { rate = 0.70, source = "hand-made" }',
                    'ratio = { bands = [{ from = 0, rate = 0.30 }, { from = 25000, rate = 0.80 }], source = "hand-made" }'),
                   ('cap = { amount = 1000000, source = "hand-made" }', 'cap = { amount = 1200000, source = "hand-made" }'))
    [finding] = by_rule(check(read_product(path), HANGZHOU), "ratio")
    assert finding.severity == "ok" and str(finding.value) == "0.7200"
    assert "F = 25000.00" in finding.detail
    [strict] = [f for f in by_rule(check(read_product(path), HANGZHOU, strict=True), "ratio") if f.subject == "in_list"]
    assert strict.severity == "violation" and str(strict.value) == "0.30"


def test_a_special_groups_deductible_is_checked_too() -> None:
    # Hangzhou 2022 keeps a 25,000 deductible for employee-scheme retirees and certificate holders.
    [finding] = by_rule(check(get_product("hangzhou-2022"), HANGZHOU), "deductible")
    assert finding.severity == "deviation" and str(finding.value) == "25000.00" and finding.recorded
    assert "group" in finding.detail


def test_every_kind_of_in_list_cost_is_probed() -> None:
    # Mianyang counts 乙类 先行自付 at half: its in-list benefit curve misses the Hangzhou floor.
    [finding] = by_rule(check(get_product("mianyang-2022"), HANGZHOU), "ratio")
    assert finding.severity == "deviation" and "preselfpay" in finding.detail


def test_a_missing_bucket_is_a_violation_in_either_reading(tmp_path) -> None:
    path = variant(tmp_path, ('bucket = "reasonable"', 'bucket = "other"'))
    product = read_product(path)
    for strict in (False, True):
        [f] = by_rule(check(product, HANGZHOU, strict=strict), "buckets")
        assert f.severity == "violation" and "missing: reasonable" in f.detail
    [zz] = by_rule(check(product, get_profile("zhengzhou-2022")), "buckets")
    assert zz.severity == "violation" and "special_drug" in zz.detail


def test_the_national_name_rule_applies_to_versions_starting_after_the_notice(tmp_path) -> None:
    national = get_profile("national-2025")
    late = variant(tmp_path, ("policy_year = 2023\nperiod = { start = 2023-01-01, end = 2023-12-31 }",
                              "policy_year = 2026\nperiod = { start = 2026-01-01, end = 2026-12-31 }"))
    [name] = by_rule(check(read_product(late), national), "name")
    assert name.severity == "violation"
    named = variant(tmp_path, ("policy_year = 2023\nperiod = { start = 2023-01-01, end = 2023-12-31 }",
                               "policy_year = 2026\nperiod = { start = 2026-01-01, end = 2026-12-31 }"),
                    ('name = "测试产品"', 'name = "测试定制医疗保险"'), name="q.toml")
    assert by_rule(check(read_product(named), national), "name")[0].severity == "ok"
    [old] = by_rule(check(read_product(MINIMAL), national), "name")
    assert old.severity == "not_applicable"


def test_a_change_to_payout_terms_inside_a_signed_year_is_a_violation_after_the_notice(tmp_path) -> None:
    national = get_profile("national-2025")
    amended = variant(tmp_path, ("policy_year = 2023\nperiod = { start = 2023-01-01, end = 2023-12-31 }",
                                 "policy_year = 2026\nperiod = { start = 2026-01-01, end = 2026-12-31 }"),
                      ("[pre_existing]", "[amendment]\namends = \"hangzhou-2026\"\non = 2026-06-01\nsource = \"hand-made\"\n\n"
                                         "[pre_existing]"))
    [f] = by_rule(check(read_product(amended), national), "no_midyear_change")
    assert f.severity == "violation"


def test_a_recorded_deviation_is_marked_and_does_not_fail_the_cli(tmp_path, capsys) -> None:
    path = variant(tmp_path, DEDUCTIBLE_30000, ('[pre_existing]', '[[deviations]]\nprofile = "hangzhou-2020"\n'
                                                'rule = "deductible"\nsource = "hand-made"\n\n[pre_existing]'))
    [f] = by_rule(check(read_product(path), HANGZHOU), "deductible")
    assert f.recorded and f.severity == "deviation"
    assert main(["check", str(path), "--strict", "--profile", "hangzhou-2020", "--lang", "en"]) == 0
    assert "(recorded in the product file)" in capsys.readouterr().out


def test_check_without_arguments_reports_every_bundled_product(capsys) -> None:
    code = main(["check", "--json"])
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "huiminbao_rules.check/1"
    assert {r["product"] for r in data["findings"]} == {p.id for p in bundled_products()}
    rows = [r for r in data["findings"] if r["kind"] == "regulatory"]
    assert len(data["findings"]) - len(rows) == data["summary"]["data_findings"]
    assert code == (1 if any(r["severity"] == "violation" and not r["recorded"] for r in rows) else 0)
    summary = data["summary"]
    assert summary["products"] == len(bundled_products())
    assert sum(summary[k] for k in ("ok", "deviation", "violation", "not_applicable")) == len(rows)
    for r in rows:  # figures are decimal strings, the value and the miss of one kind
        assert r["value_kind"] in (None, "number", "text")
        if r["miss"] is not None:
            assert r["value_kind"] == "number" and Decimal(r["miss"]) > 0 and Decimal(r["value"]) >= 0
        if r["bound"] is not None and r["bound"]["kind"] == "number":
            assert r["bound"]["op"] in ("<=", ">=") and Decimal(r["bound"]["value"]) > 0


def test_check_prints_a_summary_and_lists_rules_that_do_not_apply_only_on_request(capsys) -> None:
    assert main(["check", "hangzhou-2022"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert not [x for x in out if "不适用" in x and "hangzhou-2022 ·" in x]
    assert out[-1] == ("共检查 1 个产品: 符合 3 项, 偏离 2 项, 违反 0 项 (产品文件已记录的偏离或违反 2 项), "
                       "不适用 2 项 (未列出, 加 --all 显示)")
    assert "      目录内赔付曲线的最低有效赔付比例 P(F) / (F − 20000.00), 在 F = 20000.01 处 (职工医保, 人群 certified_hardship, " \
           "住院政策范围内自付); 对两种医保、产品列出的每个特殊人群和每种目录内费用, 每个 F 的 P(F) 都不得低于按底线计算并取整到分的金额; " \
           "在 F = 25000.00 处比底线少赔 3500.00 元" in out
    assert main(["check", "hangzhou-2022", "--all", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len([x for x in out if x.startswith("- not applicable  hangzhou-2022 ·")]) == 2
    assert out[-1].startswith("1 product(s) checked: 3 ok, 2 deviation(s), 0 violation(s)")
    details = [x for x in out if x.startswith("      ")]
    assert details and not [x for x in details if any("\u4e00" <= c <= "\u9fff" for c in x)]


def test_every_bundled_product_is_checked_against_its_citys_profiles() -> None:
    profiles = bundled_profiles()
    for product in bundled_products():
        ids = {p.id for p in applicable_profiles(product, profiles)}
        assert "national-2025" in ids
        if product.city in ("hangzhou", "zhengzhou"):
            assert len(ids) == 2


def test_an_unknown_profile_is_bad_input(capsys) -> None:
    assert main(["check", "shenzhen-2023", "--profile", "nowhere"]) == 2
    assert "no profile 'nowhere'" in capsys.readouterr().err
