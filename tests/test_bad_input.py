"""Bad input gets a clear error naming the field, what was wrong and what is accepted,
from the API and from the command line (exit code 2, no traceback)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import (
    AdjudicationError,
    InputError,
    SettlementError,
    UnknownProductError,
    adjudicate,
    get_product,
    parse_amount,
    parse_claim,
)
from huiminbao_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "claims" / "shenzhen-2023-s1.json"


def claim_data() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _settlement(data: dict) -> dict:
    return data["encounters"][0]["settlement"]


# Each bad input: (name, how to break a good claim, what the message must say).
BAD = [
    ("float amount", lambda d: _settlement(d).update(hifp_pay=134700.0),
     ["encounters.0.settlement.hifp_pay", "binary float", 'quoted decimal string']),
    ("three decimals", lambda d: _settlement(d).update(hifp_pay="134700.001"),
     ["encounters.0.settlement.hifp_pay", "more than two decimal places"]),
    ("negative amount", lambda d: d.update(other_insurance_paid="-1.00"),
     ["other_insurance_paid", "negative"]),
    ("impossible date", lambda d: d["encounters"][0].update(admitted_on="2023-02-30"),
     ["encounters.0.admitted_on", "date"]),
    ("discharge before admission", lambda d: d["encounters"][0].update(discharged_on="2023-09-01"),
     ["encounters.0", "before admitted_on"]),
    ("missing field", lambda d: d["insured"].pop("birth_date"),
     ["insured.birth_date", "required field is missing"]),
    ("unknown scheme", lambda d: d["insured"].update(scheme="private"),
     ["insured.scheme", "employee", "resident"]),
    ("not a number", lambda d: d.update(other_insurance_paid="twelve"),
     ["other_insurance_paid", "not a decimal number"]),
]


@pytest.mark.parametrize("name, breaks, says", BAD, ids=[b[0] for b in BAD])
def test_bad_claim_is_refused_naming_the_field(name, breaks, says) -> None:
    data = claim_data()
    breaks(data)
    with pytest.raises(InputError) as err:
        parse_claim(data)
    for fragment in says:
        assert fragment in str(err.value)
    assert err.value.problems, "the error lists its problems with their locations"


def test_broken_settlement_identity_names_encounter_fields_and_difference() -> None:
    data = claim_data()
    _settlement(data)["medfee_sumamt"] = "207901.00"
    with pytest.raises(SettlementError) as err:
        parse_claim(data)
    e = err.value
    assert (e.encounter, e.identity, e.difference) == ("E1", "medfee_split", Decimal("1.00"))
    assert "medfee_sumamt" in e.fields and "inscp_scp_amt" in e.fields
    assert "encounter E1" in str(e) and "difference 1.00" in str(e)


def test_public_payers_paying_more_than_the_in_scope_amount_is_refused() -> None:
    data = claim_data()
    _settlement(data)["hifmi_pay"] = "16100.01"
    with pytest.raises(SettlementError) as err:
        parse_claim(data)
    assert err.value.identity == "public_within_scope"
    assert err.value.difference == Decimal("0.01")


def test_lines_that_do_not_reconcile_with_their_settlement_are_refused() -> None:
    data = claim_data()
    line = data["encounters"][0]["fee_lines"][0]
    line["det_item_fee_sumamt"] = line["fulamt_ownpay_amt"] = "39999.00"
    with pytest.raises(SettlementError) as err:
        parse_claim(data)
    assert err.value.identity == "lines_reconcile"
    assert err.value.difference == Decimal("1.00")


def test_an_integration_can_relax_an_identity_by_name() -> None:
    data = claim_data()
    _settlement(data)["psn_part_amt"] = "1.00"
    with pytest.raises(SettlementError):
        parse_claim(data)
    assert parse_claim(data, relax={"personal_share"}).claim_id == "SZ23-0001"
    with pytest.raises(ValueError, match="unknown identities"):
        parse_claim(data, relax={"no_such_identity"})


def test_malformed_json_is_refused_with_its_position() -> None:
    with pytest.raises(InputError, match="line 1 column"):
        parse_claim('{"claim_id": ')


def test_a_float_amount_message_says_how_to_write_it() -> None:
    with pytest.raises(ValueError) as err:
        parse_amount(0.1)
    assert 'e.g. "1234.50"' in str(err.value)


def test_unknown_product_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProductError) as err:
        get_product("shenzhen-2099")
    assert "shenzhen-2023" in err.value.known
    assert "no product 'shenzhen-2099'" in str(err.value)


def test_year_to_date_of_another_product_or_person_or_claim_is_refused() -> None:
    claim = parse_claim(claim_data())
    first = adjudicate(claim, get_product("shenzhen-2023"))
    with pytest.raises(AdjudicationError, match="already counted"):
        adjudicate(claim, get_product("shenzhen-2023"), first.year_to_date)
    with pytest.raises(AdjudicationError, match="not 'mianyang-2022'"):
        adjudicate(claim, get_product("mianyang-2022"), first.year_to_date)
    other = parse_claim({**claim_data(), "claim_id": "X2", "insured": {**claim_data()["insured"], "id": "P-9"}})
    with pytest.raises(AdjudicationError, match="belongs to insured"):
        adjudicate(other, get_product("shenzhen-2023"), first.year_to_date)


def test_bad_input_changes_nothing() -> None:
    claim = parse_claim(claim_data())
    product = get_product("shenzhen-2023")
    first = adjudicate(claim, product)
    before = first.year_to_date.model_copy(deep=True)
    with pytest.raises(AdjudicationError):
        adjudicate(claim, product, first.year_to_date)
    assert first.year_to_date == before


# ---- the command line ---------------------------------------------------------------


@pytest.mark.parametrize("name, breaks, says", BAD, ids=[b[0] for b in BAD])
def test_cli_refuses_a_bad_claim_with_exit_2_and_no_traceback(name, breaks, says, tmp_path, capsys) -> None:
    data = claim_data()
    breaks(data)
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["adjudicate", str(path), "--product", "shenzhen-2023"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert str(path) in err and says[0] in err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("what, content, says", [
    ("malformed JSON", '{"claim_id": ', "malformed JSON at line 1"),
    ("broken identity", None, "medfee_split"),
    ("missing file", "", "cannot read claim"),
])
def test_cli_refuses_bad_files(what, content, says, tmp_path, capsys) -> None:
    path = tmp_path / "claim.json"
    if content is None:
        data = claim_data()
        _settlement(data)["medfee_sumamt"] = "1.00"
        path.write_text(json.dumps(data), encoding="utf-8")
    elif content:
        path.write_text(content, encoding="utf-8")
    assert main(["adjudicate", str(path), "--product", "shenzhen-2023"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_cli_refuses_an_unknown_product(capsys) -> None:
    assert main(["adjudicate", str(EXAMPLE), "--product", "nowhere-2023"]) == 2
    err = capsys.readouterr().err
    assert "no product 'nowhere-2023'" in err and "shenzhen-2023" in err


def test_cli_refuses_a_malformed_product_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nrate = 0.8\n[', encoding="utf-8")
    assert main(["adjudicate", str(EXAMPLE), "--product", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_cli_refuses_the_same_claim_twice_in_one_year(capsys) -> None:
    assert main(["adjudicate", str(EXAMPLE), str(EXAMPLE), "--product", "shenzhen-2023"]) == 2
    assert "claim ids repeat" in capsys.readouterr().err


def test_a_product_file_with_an_unsourced_reference_is_refused(tmp_path) -> None:
    from huiminbao_rules import ProductError, read_product

    text = (ROOT / "src/huiminbao_rules/products/shenzhen/2023.toml").read_text(encoding="utf-8")
    bad = tmp_path / "p.toml"
    bad.write_text(text.replace('source = "shenzhen-2023-brief" }\nratio = { rate = 0.80',
                                'source = "nowhere" }\nratio = { rate = 0.80', 1), encoding="utf-8")
    with pytest.raises(ProductError, match="source 'nowhere' is not in"):
        read_product(bad)


def test_an_amount_beyond_the_national_format_is_refused_clearly(tmp_path, capsys) -> None:
    data = claim_data()
    _settlement(data)["medfee_sumamt"] = "1" + "0" * 30
    with pytest.raises(InputError, match="too large"):
        parse_claim(data)
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["adjudicate", str(path), "--product", "shenzhen-2023"]) == 2
    assert "too large" in capsys.readouterr().err


def test_a_pool_named_like_a_responsibility_is_refused() -> None:
    from huiminbao_rules import ProductError

    product = get_product("hangzhou-2022")
    with pytest.raises(ProductError, match="pool ids must differ from responsibility ids"):
        product.with_changes({"deductible_pools.out_of_list.id": "in_list"})


def test_an_application_listing_a_year_twice_is_bad_input() -> None:
    from huiminbao_rules import parse_application

    with pytest.raises(InputError, match="more than once"):
        parse_application({"application_id": "A", "applied_on": "2021-11-01", "payer": {"id": "Z"},
                           "persons": [{"id": "Z", "relation": "self", "birth_date": "1980-01-01",
                                        "history": [{"year": 2021, "enrolled": True}, {"year": 2021, "enrolled": True}]}]})
