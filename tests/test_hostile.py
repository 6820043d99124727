"""Hostile input through the API: strict parsing (nothing coerced), limits, year-to-date
records checked against their product, no encounter paid twice, loaders that never abort
on a bad row, and arithmetic that does not depend on the caller's decimal context."""

from __future__ import annotations

import decimal
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiminbao_rules import (
    AdjudicationError,
    InputError,
    ProductError,
    adjudicate,
    bundled_products,
    get_product,
    parse_amount,
    parse_claim,
    replay,
    to_dict,
)
from huiminbao_rules.catalog import get_profile, load_profile, read_product
from huiminbao_rules.enrollment import enroll, parse_application
from huiminbao_rules.core.errors import FileError
from huiminbao_rules.core.inputs import Limits
from huiminbao_rules.analytics.loaders import load_jsonl, load_tables, yuan_tables
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.adjudication.result import YearToDate, check_year_to_date
from huiminbao_rules.testing import strategies as hst

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "claims" / "shenzhen-2023-s1.json"
APPLICATION = ROOT / "examples" / "applications" / "hangzhou-2022-family.json"
SZ = get_product("shenzhen-2023")


def claim_data() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def refused(data, *fragments: str, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        parse_claim(data, **kwargs)
    for f in fragments:
        assert f in str(err.value), (f, str(err.value))
    return str(err.value)


# --- amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [("0", "0.00"), ("1234.5", "1234.50"), ("1234.56", "1234.56"),
                                            ("007.10", "7.10"), ("99999999999999.99", "99999999999999.99")])
def test_plain_ascii_amounts_are_read_exactly(text, expected) -> None:
    assert str(parse_amount(text)) == expected


@pytest.mark.parametrize("value, says", [
    ("1,50", "separator"), ("1,234.50", "separator"), ("1_000", "separator"), ("1 000", "separator"),
    ("１２３", "another script"), ("١٢٣", "another script"), ("1E+3", "exponent"), ("1e3", "exponent"),
    ("-0.00", "sign"), ("+1", "sign"), ("-5", "negative"), (" 1.50", "spaces"), ("1.50\n", "spaces"),
    ("1.", "not a decimal number"), (".5", "not a decimal number"), ("", "not a decimal number"),
    ("NaN", "not a decimal number"), ("Infinity", "not a decimal number"), ("0x10", "not a decimal number"),
    ("1.234", "more than two decimal places"), ("1" * 15, "too large"),
    pytest.param("1" * 5000, "amount", id="5000-digit-text"),
    (1.5, "binary float"), (True, "boolean"), (None, "decimal string"), ([1], "decimal string"),
    (Decimal("-0.00"), "sign"), (Decimal("NaN"), "finite"), (Decimal("1.005"), "two decimal places"),
    pytest.param(10**5000, "digits", id="int-of-5001-digits"), (-1, "negative"),
])
def test_every_other_amount_form_is_refused(value, says) -> None:
    with pytest.raises(ValueError) as err:
        parse_amount(value)
    assert says in str(err.value)
    assert "Decimal(" not in str(err.value)


def test_a_json_number_as_an_amount_is_refused_with_a_message_saying_to_quote_it() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('"other_insurance_paid": "0.00"', '"other_insurance_paid": 0')
    assert '"other_insurance_paid": 0' in text
    refused(text, "other_insurance_paid", "JSON number", "quoted")
    data = claim_data()
    data["other_insurance_paid"] = 12.5
    refused(data, "other_insurance_paid", "binary float", "quoted")


# --- dates, booleans, integers, ids -----------------------------------------------------------------


@pytest.mark.parametrize("value", [1690000000, "2023-07-01T00:00:00Z", "2023-07-01 00:00", "20230701", "2023-7-1",
                                   "２０２３-０７-０１", "2023-02-30", "0999-05-01", "9999-12-31", None, True])
def test_dates_are_yyyy_mm_dd_strings_of_supported_years_only(value) -> None:
    data = claim_data()
    data["insured"]["enrolled_on"] = value
    refused(data, "insured.enrolled_on")


@pytest.mark.parametrize("value", ["yes", "off", "true", 1, 0, None])
def test_booleans_are_json_true_or_false_only(value) -> None:
    data = claim_data()
    data["encounters"][0]["settled_through_basic"] = value
    refused(data, "encounters.0.settled_through_basic")


@pytest.mark.parametrize("value", [2022.0, "2022", True, Decimal("2022")])
def test_integers_are_json_integers_only(value) -> None:
    data = claim_data()
    data["insured"]["history"] = [{"year": value, "enrolled": True}]
    refused(data, "insured.history.0.year")


@pytest.mark.parametrize("value, says", [("", "empty"), ("A\x00B", "U+0000"), ("\u200b", "U+200B"),
                                         ("A\u200bB", "U+200B"), ("A\u202eB", "U+202E"), ("A\nB", "U+000A"),
                                         (" A", "space"), ("A ", "space"), ("x" * 129, "at most 128"),
                                         (7, "string")])
def test_ids_are_printable_bounded_text(value, says) -> None:
    for where in ("claim_id", "insured.id", "encounters.0.id"):
        data = claim_data()
        *path, key = where.split(".")
        node = data
        for p in path:
            node = node[int(p)] if p.isdigit() else node[p]
        node[key] = value
        refused(data, where, says)


def test_duplicate_keys_are_refused_naming_the_key_at_any_depth() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    refused(text.replace('"medfee_sumamt":', '"medfee_sumamt": "1.00", "medfee_sumamt":', 1),
            "'medfee_sumamt' appears twice")
    with pytest.raises(InputError, match="'persons' appears twice"):
        parse_application('{"persons": [], "persons": []}')


def test_nesting_huge_integers_and_lone_surrogates_are_refused_as_text() -> None:
    refused("[" * 10_000 + "]" * 10_000, "nest more than 64")
    refused('{"claim_id": ' + "9" * 5000 + "}", "5000 digits")
    refused(EXAMPLE.read_text(encoding="utf-8").replace('"SZ23-0001"', '"\\udc00"'), "lone surrogate")
    refused(b"\xff\xfe{}", "not UTF-8")


def test_the_limits_are_api_arguments_too() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    refused(text, "limit of 1 per claim", limits=Limits(max_fee_lines=1))
    refused(text, "limit of 100 bytes", limits=Limits(max_bytes=100))
    assert parse_claim(text, limits=Limits(max_fee_lines=6)).claim_id == "SZ23-0001"
    with pytest.raises(ValueError, match="max_bytes"):
        Limits(max_bytes=0)


def test_applications_are_parsed_as_strictly() -> None:
    good = json.loads(APPLICATION.read_text(encoding="utf-8"))
    assert parse_application(good).application_id == "HZ22-A001"
    for change in (lambda a: a["payer"].update(consent="yes"), lambda a: a["payer"].update(account_balance=1000),
                   lambda a: a.update(applied_on="2021-11-02T00:00:00"),
                   lambda a: a["persons"][0].update(residence_permit_years="2"),
                   lambda a: a.update(application_id="HZ\u200b")):
        data = json.loads(json.dumps(good))
        change(data)
        with pytest.raises(InputError):
            parse_application(json.dumps(data, ensure_ascii=False))


# --- products and profiles --------------------------------------------------------------------------


def _product_text() -> str:
    return (ROOT / "src/huiminbao_rules/products/shenzhen/2023.toml").read_text(encoding="utf-8").replace(
        'id = "shenzhen-2023"', 'id = "shenzhen-2023~mine"')


@pytest.mark.parametrize("change, says", [
    (lambda t: t.replace("amount = 88\n", "amount = 1.555\n"), "amount 1.555 has more than two decimal places"),
    (lambda t: t.replace("amount = 88\n", "amount = -88\n"), "negative"),
    (lambda t: t.replace("amount = 88\n", "amount = inf\n"), "inf"),
    (lambda t: t.replace("amount = 88\n", "amount = 1_000.5\n"), "underscores"),
    (lambda t: t.replace("amount = 88\n", "amount = true\n"), "boolean"),
    (lambda t: t.replace("policy_year = 2023", 'policy_year = "2023"'), "policy_year"),
    (lambda t: t.replace('verified = false\nnote = "\'within', 'verified = "no"\nnote = "\'within'), "verified"),
    (lambda t: t.replace("enroll_within_days = 30", "enroll_within_days = 99999"), "enroll_within_days"),
    (lambda t: t.replace("period = { start = 2023-07-01, end = 2024-06-30 }",
                         "period = { start = 2023-07-01, end = 2033-06-30 }"), "longer than two years"),
])
def test_product_values_are_strict_and_bounded_and_shown_as_written(tmp_path, change, says) -> None:
    path = tmp_path / "mine.toml"
    text = change(_product_text())
    assert text != _product_text()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProductError) as err:
        read_product(path)
    assert says in str(err.value) and str(path) in str(err.value)
    assert "Decimal(" not in str(err.value)


def test_a_file_of_ones_own_declares_its_own_id(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(_product_text().replace('id = "shenzhen-2023~mine"', 'id = "shenzhen-2023"'), encoding="utf-8")
    with pytest.raises(ProductError, match="bundled product's id"):
        read_product(path)
    path.write_text(_product_text(), encoding="utf-8")
    mine = read_product(path)
    assert mine.id == "shenzhen-2023~mine" and mine.content_hash != SZ.content_hash


def test_profiles_are_bundled_ids_or_toml_paths_never_joined_onto_a_folder(tmp_path) -> None:
    with pytest.raises(ProductError, match="no profile"):
        get_profile("../products/shenzhen/2023")
    with pytest.raises(ProductError, match="no profile"):
        load_profile("/etc/hostname")
    bundled = ROOT / "src/huiminbao_rules/profiles/hangzhou-2020.toml"
    copy = tmp_path / "mine.toml"
    copy.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_profile(str(copy)) == load_profile("hangzhou-2020")


def test_every_bundled_product_passes_the_bounds() -> None:
    assert len(bundled_products()) >= 20


# --- year-to-date records ---------------------------------------------------------------------------


def _year() -> YearToDate:
    return adjudicate(parse_claim(EXAMPLE.read_text(encoding="utf-8")), SZ).year_to_date


def test_a_stored_record_round_trips_and_checks_clean() -> None:
    ytd = _year()
    back = YearToDate.model_validate(json.loads(ytd.model_dump_json()))
    assert back == ytd and check_year_to_date(back, SZ) == []


@pytest.mark.parametrize("change, says", [
    (lambda r: r.update(version=99), "version 99"),
    (lambda r: r.update(product_hash="f" * 64), "another file"),
    (lambda r: r["responsibilities"].update(nowhere={"eligible": "1.00"}), "nowhere are not in the product"),
    (lambda r: r["responsibilities"]["in_list"].update(deductible="99999.00"), "more than eligible"),
    (lambda r: r.update(total_paid="1.00"), "sum of the responsibilities' paid"),
    (lambda r: r["deductible_pools"].update(in_list="1.00"), "deductible_pools.in_list"),
    (lambda r: r["combined_caps"].update(nowhere="1.00"), "combined_caps nowhere"),
    (lambda r: r["sub_limits"].update({"x.y": "1.00"}), "names no sub-limit"),
    (lambda r: r["encounters"].update({"setl_id:9": "C-NOT-COUNTED"}), "C-NOT-COUNTED"),
    (lambda r: r.update(encounters={}), "no encounter in encounters"),
])
def test_a_record_is_checked_against_its_product(change, says) -> None:
    record = json.loads(_year().model_dump_json())
    change(record)
    ytd = YearToDate.model_validate(record)
    assert any(says in p for p in check_year_to_date(ytd, SZ)), check_year_to_date(ytd, SZ)
    other = claim_data()
    other["claim_id"] = "SZ23-0002"
    for e in other["encounters"]:
        e["settlement"]["setl_id"] = f"S2-{e['id']}"
    with pytest.raises(AdjudicationError, match="year_to_date refused") as err:
        adjudicate(parse_claim(other), SZ, ytd)
    assert err.value.year_to_date


# --- no encounter paid twice ------------------------------------------------------------------------


def _twin(claim_id: str, **settlement) -> dict:
    data = claim_data()
    data["claim_id"] = claim_id
    for e in data["encounters"]:
        e["settlement"].update({k: f"{v}-{e['id']}" for k, v in settlement.items()})
    return data


def test_the_same_encounter_under_another_claim_id_is_refused_naming_both_claims() -> None:
    first = parse_claim(claim_data())
    twin = parse_claim(_twin("SZ23-TWIN"))
    with pytest.raises(AdjudicationError, match="same encounter") as err:
        replay([twin, first], SZ)
    assert set(err.value.claims) == {"SZ23-0001", "SZ23-TWIN"}
    # One claim at a time, with the record of the first: refused too.
    with pytest.raises(AdjudicationError, match="'SZ23-0001' already counted"):
        adjudicate(twin, SZ, adjudicate(first, SZ).year_to_date)
    # The year pays the one claim, 38,600.00 (the published figure, whose drugs are on
    # neither unknown list), not twice.
    assert replay([first], SZ, unknown_lists="non-member").payable == Decimal("38600.00")
    with pytest.raises(AdjudicationError, match="same encounter"):
        replay([twin, first], SZ, unknown_lists="non-member")


def test_identity_follows_setl_id_then_mdtrt_id_then_the_fingerprint() -> None:
    first = parse_claim(_twin("A", setl_id="S-1"))
    assert first.encounters[0].identity == "setl_id:S-1-E1"
    assert parse_claim(_twin("B", mdtrt_id="M-1")).encounters[0].identity == "mdtrt_id:M-1-E1"
    assert parse_claim(claim_data()).encounters[0].identity.startswith("fingerprint:")
    # Same setl_id under another claim: refused, whatever else differs.
    other = _twin("B", setl_id="S-1")
    other["encounters"][0]["institution"] = "另一家医院"
    with pytest.raises(AdjudicationError, match="same encounter"):
        replay([first, parse_claim(other)], SZ)
    # Distinct settlement ids: two encounters, both paid.
    a, b = parse_claim(_twin("A", setl_id="S-1")), parse_claim(_twin("B", setl_id="S-2"))
    assert len(replay([a, b], SZ).adjudications) == 2
    assert set(replay([a, b], SZ).year_to_date.encounters.values()) == {"A", "B"}


def test_the_same_encounter_twice_in_one_claim_is_refused() -> None:
    data = claim_data()
    copy = json.loads(json.dumps(data["encounters"][0]))
    copy["id"] = "E9"
    data["encounters"].append(copy)
    refused(data, "same encounter")


# --- loaders ----------------------------------------------------------------------------------------


def _tables(tmp_path: Path) -> dict[str, Path]:
    t = yuan_tables(Population.from_claims([parse_claim(claim_data())]))
    paths = {}
    for name, frame in t.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


@pytest.mark.parametrize("damage, says", [
    (lambda p: p.write_bytes(b"claim_id,encounter_id\n\xff\xfe,x\n"), "not UTF-8"),
    (lambda p: p.write_text("claim_id,encounter_id\nA,B,C,D\n", encoding="utf-8"), "not a readable CSV"),
    (lambda p: p.write_text("", encoding="utf-8"), "empty"),
    (lambda p: p.write_text("claim_id,claim_id,encounter_id\nA,B,C\n", encoding="utf-8"), "repeated column names"),
    (lambda p: p.unlink(), "No such file"),
])
def test_a_table_file_that_cannot_be_read_raises_the_typed_error_naming_it(tmp_path, damage, says) -> None:
    paths = _tables(tmp_path)
    damage(paths["encounters"])
    with pytest.raises(InputError) as err:
        load_tables(paths["encounters"], paths["fee_lines"], paths["claims"], paths["insured"])
    assert says in str(err.value) and str(paths["encounters"]) in str(err.value)


def test_a_corrupt_parquet_file_raises_the_typed_error(tmp_path) -> None:
    bad = tmp_path / "encounters.parquet"
    bad.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    paths = _tables(tmp_path)
    with pytest.raises(FileError, match="not a readable Parquet file") as err:
        load_tables(bad, paths["fee_lines"])
    assert str(bad) in str(err.value)


def test_bad_jsonl_lines_are_rejections_and_the_report_can_always_be_written(tmp_path) -> None:
    good = json.dumps(claim_data(), ensure_ascii=False)
    lines = [
        good,
        '{"claim_id": ' + "9" * 5000 + "}",
        "[" * 5000 + "]" * 5000,
        '{"claim_id": "\\ud800", "x": 1}',
        '{"claim_id": "A", "claim_id": "B"}',
        good.replace('"birth_date": "1962-05-01"', '"birth_date": "0999-05-01"').replace("SZ23-0001", "SZ23-0999"),
        good.replace('"SZ23-0001"', '"SZ23-TWIN"'),
    ]
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_jsonl(path)
    assert loaded.counts == {"read": 7, "loaded": 1, "rejected": 6, "unattributed_rows": 0}
    reasons = dict(zip(loaded.rejected["row"], loaded.rejected["reason"]))
    assert "5000 digits" in reasons[2] and "nest more than" in reasons[3] and "lone surrogate" in reasons[4]
    assert "appears twice" in reasons[5] and "supported years" in reasons[6] and "same encounter" in reasons[7]
    loaded.rejected.to_csv(tmp_path / "rejected.csv", index=False)  # writable, whatever the text
    with pytest.raises(FileError, match="directory"):
        load_jsonl(tmp_path)


def test_dates_round_trip_through_tables(tmp_path) -> None:
    data = claim_data()
    data["insured"]["birth_date"] = "1900-01-01"
    back = next(Population.from_claims([parse_claim(data)]).claim_dicts())
    assert back["insured"]["birth_date"] == "1900-01-01"
    paths = _tables(tmp_path)
    frame = pd.read_csv(paths["insured"], dtype=str)
    frame["birth_date"] = "1900-01-01"
    frame.to_csv(paths["insured"], index=False)
    loaded = load_tables(paths["encounters"], paths["fee_lines"], paths["claims"], paths["insured"])
    assert next(loaded.population.claim_dicts())["insured"]["birth_date"] == "1900-01-01"


# --- the caller's decimal context changes nothing ---------------------------------------------------

HOSTILE = st.builds(
    lambda prec, rounding, traps: decimal.Context(prec=prec, rounding=rounding, traps=traps, Emax=99, Emin=-99),
    st.integers(min_value=1, max_value=12),
    st.sampled_from([decimal.ROUND_DOWN, decimal.ROUND_UP, decimal.ROUND_HALF_EVEN, decimal.ROUND_CEILING,
                     decimal.ROUND_FLOOR, decimal.ROUND_05UP, decimal.ROUND_HALF_DOWN]),
    st.lists(st.sampled_from([decimal.Inexact, decimal.Rounded, decimal.InvalidOperation, decimal.Overflow,
                              decimal.Underflow, decimal.Subnormal, decimal.Clamped]), max_size=4),
)


@st.composite
def product_and_year(draw):
    product = draw(st.one_of(st.sampled_from(bundled_products()), hst.products()))
    return product, draw(hst.claim_years(period=product.period, max_claims=3))


def _everything(product, claims) -> list:
    year = replay(claims, product)
    texts = [c.model_dump_json() for c in claims]
    again = [parse_claim(t) for t in texts]
    return [year.payable, year.year_to_date.model_dump(mode="json"),
            [to_dict(a, product) for a in year.adjudications], [a.lines for a in year.adjudications] and None,
            [c.model_dump(mode="json") for c in again]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(product_and_year(), HOSTILE)
def test_results_are_identical_under_any_decimal_context(case, context) -> None:
    product, claims = case
    expected = _everything(product, claims)
    with decimal.localcontext(context):
        got = _everything(product, claims)
    assert got == expected


def test_the_published_example_under_a_six_digit_context() -> None:
    claim = parse_claim(EXAMPLE.read_text(encoding="utf-8"))
    with decimal.localcontext(decimal.Context(prec=6, traps=[decimal.Inexact, decimal.Rounded])):
        adj = adjudicate(parse_claim(EXAMPLE.read_text(encoding="utf-8")), SZ, unknown_lists="non-member")
        data = to_dict(adj, SZ)
        decision = enroll(parse_application(APPLICATION.read_text(encoding="utf-8")), get_product("hangzhou-2022"))
    assert adj.payable == Decimal("38600.00")
    assert data == to_dict(adjudicate(claim, SZ, unknown_lists="non-member"), SZ)
    assert decision == enroll(parse_application(APPLICATION.read_text(encoding="utf-8")), get_product("hangzhou-2022"))
    assert date(2023, 1, 1)  # the context is restored: nothing leaks out
    assert decimal.getcontext().prec == 28


def test_loading_and_batch_adjudication_ignore_the_callers_context_too(tmp_path) -> None:
    from huiminbao_rules.analytics.batch import adjudicate_population

    path = tmp_path / "claims.jsonl"
    path.write_text(json.dumps(claim_data()) + "\n", encoding="utf-8")

    def run() -> list:
        loaded = load_jsonl(path)
        return [loaded.population.encounters.to_dict("records")] + [
            adjudicate_population(loaded.population, SZ, engine=e, unknown_lists="non-member").to_dict("records")
            for e in ("batch", "reference")]

    expected = run()
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN, traps=[decimal.Inexact])):
        assert run() == expected
    assert expected[1][0]["payable"] == 3_860_000


# --- user list files, year-to-date records of list variants, the ledger's arguments -----------------

LIST = ROOT / "tests" / "cases" / "lists" / "tianjin-2021-special-drug.csv"


def _cli(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    from huiminbao_rules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _one_line(code: int, out: str, err: str, *says: str) -> str:
    assert (code, out) == (2, ""), (code, out, err)
    assert err.startswith("huiminbao: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    for s in says:
        assert s in err, (s, err)
    return err


@pytest.mark.parametrize("ends", ["\n", "\r\n", "\r"])
def test_a_user_list_reads_the_same_whatever_its_line_ends(tmp_path, ends) -> None:
    from huiminbao_rules.catalog import read_user_list

    text = LIST.read_text(encoding="utf-8").replace("\r\n", "\n")
    path = tmp_path / "list.csv"
    path.write_bytes(text.replace("\n", ends).encode("utf-8"))
    assert read_user_list(path)[0] == read_user_list(LIST)[0]


def test_a_user_list_cell_beyond_what_csv_reads_is_refused_naming_the_file(tmp_path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"name,code\n" + b"A" * 200_000 + b",XL01XX123A001010100001\n")
    _one_line(*_cli(["show", "shenzhen-2023", "--list", f"rare_disease_drugs={path}"]), str(path),
              "not readable as CSV")


def test_a_list_name_the_product_lacks_is_refused_before_its_file_is_read() -> None:
    _one_line(*_cli(["show", "shenzhen-2023", "--list", "nope=/dev/zero"]), "has no list 'nope'")


def test_a_list_kind_the_format_lacks_is_refused() -> None:
    from huiminbao_rules.catalog import read_user_list

    with pytest.raises(ProductError, match="list kind 'drug'"):
        read_user_list(LIST, "drug")


def test_a_year_to_date_record_of_another_list_variant_is_refused_saying_why(tmp_path) -> None:
    claim = tmp_path / "next.json"
    data = claim_data()
    data["claim_id"] = "SZ23-0002"
    for e in data["encounters"]:
        e["settlement"]["setl_id"] = f"S2-{e['id']}"
    claim.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("name,code\n某药,XL01XX123A001010100001\n", encoding="utf-8")
    plain, listed = tmp_path / "plain.json", tmp_path / "listed.json"
    with_list = ["--list", f"rare_disease_drugs={LIST}"]
    assert _cli(["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023", "--save-year-to-date", str(plain)])[0] == 0
    assert _cli(["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023", *with_list,
                 "--save-year-to-date", str(listed)])[0] == 0
    assert _cli(["adjudicate", str(claim), "--product", "shenzhen-2023", *with_list, "--year-to-date", str(listed),
                 "--json"])[0] == 0
    _one_line(*_cli(["adjudicate", str(claim), "--product", "shenzhen-2023", *with_list, "--year-to-date",
                     str(plain)]), str(plain), "not 'shenzhen-2023~rare_disease_drugs'", "(--list) is another product")
    _one_line(*_cli(["adjudicate", str(claim), "--product", "shenzhen-2023", "--year-to-date", str(listed)]),
              str(listed), "is for product 'shenzhen-2023~rare_disease_drugs', not 'shenzhen-2023'")
    _one_line(*_cli(["adjudicate", str(claim), "--product", "shenzhen-2023", "--list",
                     f"rare_disease_drugs={other}", "--year-to-date", str(listed)]),
              str(listed), "another list file makes another product")


def test_saving_a_year_to_date_record_where_it_cannot_be_written_is_one_line(tmp_path) -> None:
    for target in (tmp_path, tmp_path / "missing" / "ytd.json"):
        _one_line(*_cli(["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023", "--save-year-to-date",
                         str(target)]), str(target), "cannot write the year-to-date record")


def test_usage_errors_are_one_line_and_nothing_is_coerced(tmp_path) -> None:
    _one_line(*_cli(["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023", "--on", "２０２３-07-01"]),
              "argument --on: not a date")
    _one_line(*_cli(["ledger", "show", "P1", "--year", "２０２３", "--product", "shenzhen-2023", "--db",
                     str(tmp_path / "l.sqlite")]), "not a policy year")
    for flag in (["--unknown-lists", "member"], ["--list", f"rare_disease_drugs={LIST}"]):
        _one_line(*_cli(["ledger", "submit", str(EXAMPLE), "--product", "shenzhen-2023", *flag, "--db",
                         str(tmp_path / "l.sqlite")]), f"unrecognized arguments: {flag[0]}")
    _one_line(*_cli([]), "required: COMMAND")
    assert not (tmp_path / "l.sqlite").exists()


def test_the_ledger_refuses_hostile_databases_in_one_line(tmp_path) -> None:
    (tmp_path / "not-sqlite.sqlite").write_bytes(b"hello " * 200)
    for db, says in [(str(tmp_path), "cannot open the SQLite ledger"),
                     (str(tmp_path / "not-sqlite.sqlite"), "file is not a database"),
                     (str(tmp_path / "missing" / "l.sqlite"), "cannot open the SQLite ledger"),
                     ("ftp://example.org/l", "not a ledger URL"),
                     ("sqlite://", "not a ledger URL")]:
        _one_line(*_cli(["ledger", "init", "--db", db]), db, says)
        _one_line(*_cli(["ledger", "submit", str(EXAMPLE), "--product", "shenzhen-2023", "--db", db]), db)


def test_the_ledger_refuses_hostile_ids_and_paths_in_one_line(tmp_path) -> None:
    from huiminbao_rules.ledger import Ledger, LedgerError

    db = str(tmp_path / "l.sqlite")
    assert _cli(["ledger", "submit", str(EXAMPLE), "--product", "shenzhen-2023", "--db", db, "--json"])[0] == 0
    _one_line(*_cli(["ledger", "reverse", "\ud800", "--reason", "r", "--db", db]), "claim id", "U+D800")
    _one_line(*_cli(["ledger", "show", "P\x00", "--year", "2023", "--product", "shenzhen-2023", "--db", db]),
              "insured id", "U+0000")
    _one_line(*_cli(["ledger", "export", "--format", "jsonl", "--out", "", "--db", db]), "empty path")
    with Ledger.open(f"sqlite:///{db}") as ledger:
        insured = claim_data()["insured"]["id"]
        assert ledger.show(insured, 2023, "shenzhen-2023")["live_claims"] == 1
        for year in ("2023", 2023.0, True):
            with pytest.raises(LedgerError, match="whole number"):
                ledger.show(insured, year, "shenzhen-2023")
        with pytest.raises(LedgerError, match="an id is a string"):
            ledger.reverse(1, "r")


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
def test_a_path_no_file_can_have_is_refused_in_one_line_for_every_verb(tmp_path, bad) -> None:
    path = str(tmp_path / bad)
    shown = path.encode("unicode_escape").decode("ascii")
    db = str(tmp_path / "l.sqlite")
    claim = ["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023"]
    for argv in ([*claim[:1], path, *claim[2:]], [*claim, "--year-to-date", path], [*claim, "--save-year-to-date", path],
                 [*claim, "--list", f"rare_disease_drugs={path}"], ["adjudicate", str(EXAMPLE), "--product", path + ".toml"],
                 ["enroll", path, "--product", "hangzhou-2022"], ["ledger", "init", "--db", path],
                 ["ledger", "show", "P", "--year", "2023", "--product", "shenzhen-2023", "--db", path],
                 ["ledger", "export", "--format", "jsonl", "--out", path, "--db", db],
                 ["ledger", "export", "--format", "parquet", "--out", path, "--db", db]):
        if argv[1] == "export":
            assert _cli(["ledger", "init", "--db", db])[0] == 0
        _one_line(*_cli(argv), shown, "NUL character or a lone surrogate")


def test_a_postgresql_url_no_connection_can_take_is_refused_without_showing_its_password() -> None:
    err = _one_line(*_cli(["ledger", "init", "--db", "postgresql://u:s3cret\x00@127.0.0.1:1/x"]), "lone surrogate")
    assert "s3cret" not in err


@pytest.mark.parametrize("timeout", ["1_0", "１０", "1e9", "NaN", "-1", " 1"])
def test_a_sqlite_timeout_is_plain_ascii_seconds(tmp_path, timeout) -> None:
    db = f"sqlite:///{tmp_path / 'l.sqlite'}?timeout={timeout}"
    _one_line(*_cli(["ledger", "init", "--db", db]), "is not a number of seconds")
    assert not (tmp_path / "l.sqlite").exists()


def test_control_characters_of_a_file_name_are_shown_escaped(tmp_path) -> None:
    path = tmp_path / "a\x1b[31mb.json"
    path.write_text("{", encoding="utf-8")
    err = _one_line(*_cli(["adjudicate", str(path), "--product", "shenzhen-2023"]), "a\\x1b[31mb.json")
    assert "\x1b" not in err


def test_a_reversal_reason_is_printable_bounded_text(tmp_path) -> None:
    db = str(tmp_path / "l.sqlite")
    assert _cli(["ledger", "submit", str(EXAMPLE), "--product", "shenzhen-2023", "--db", db, "--json"])[0] == 0
    claim_id = claim_data()["claim_id"]
    _one_line(*_cli(["ledger", "reverse", claim_id, "--reason", "duplicate\x1b[2J", "--db", db]), "U+001B")
    _one_line(*_cli(["ledger", "reverse", claim_id, "--reason", "x" * 5000, "--db", db]), "at most 1000")
    assert _cli(["ledger", "reverse", claim_id, "--reason", "重复提交", "--db", db, "--json"])[0] == 0


def test_a_list_item_name_in_a_product_file_is_printable_text(tmp_path) -> None:
    text = (ROOT / "src/huiminbao_rules/products/shanghai/2024.toml").read_text(encoding="utf-8")
    text = text.replace('id = "shanghai-2024"', 'id = "shanghai-2024~mine"')
    changed = text.replace('{ name = "奕凯达"', '{ name = "奕凯\\u200b达"')
    assert changed != text
    path = tmp_path / "mine.toml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(ProductError, match="U\\+200B") as err:
        read_product(path)
    assert str(path) in str(err.value)
