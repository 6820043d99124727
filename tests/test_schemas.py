"""The JSON Schemas printed by ``huiminbao schema NAME`` describe what the library reads
and writes: the result JSON of every example claim validates against the result schema,
the example files against theirs, and a broken key does not."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from huiminbao_rules.cli import main
from huiminbao_rules.render.schemas import NAMES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CLAIMS = sorted((ROOT / "examples" / "claims").glob("*.json"))
PRODUCT_OF = {"shenzhen-2023-s1": "shenzhen-2023", "weifang-2022-w1": "weifang-2022",
              "mianyang-2022-m1": "mianyang-2022"}


def _printed_schema(name: str, capsys) -> dict:
    assert main(["schema", name]) == 0
    data = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(data)
    return data


def _errors(schema: dict, data: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(data)]


def _adjudicate_json(claim: Path, mode: str, capsys) -> list:
    argv = ["adjudicate", str(claim), "--product", PRODUCT_OF[claim.stem], "--json", "--unknown-lists", mode]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_every_example_claim_is_mapped_to_its_product() -> None:
    assert CLAIMS and {c.stem for c in CLAIMS} == set(PRODUCT_OF)


@pytest.mark.parametrize("mode", ["pend", "member", "non-member"])
def test_the_result_json_of_every_example_claim_validates_against_the_result_schema(mode, capsys) -> None:
    schema = _printed_schema("result", capsys)
    for claim in CLAIMS:
        data = _adjudicate_json(claim, mode, capsys)
        assert data and not _errors(schema, data), (claim.name, _errors(schema, data)[:5])


def test_the_result_schema_refuses_a_broken_result(capsys) -> None:
    schema = _printed_schema("result", capsys)
    good = _adjudicate_json(ROOT / "examples/claims/shenzhen-2023-s1.json", "non-member", capsys)
    assert not _errors(schema, good)
    breaks = [
        lambda r: r.pop("pending_amount"),                               # a key missing
        lambda r: r.update(payable_now="1.00"),                          # a key not in the format
        lambda r: r.update(payable=float(r["payable"])),                 # money as a JSON number
        lambda r: r.update(payable="4080.5"),                            # money without its two decimals
        lambda r: r["lines"][0].pop("pending"),                          # a line's key missing
        lambda r: r["lines"][0]["portions"][0].update(part="copay"),    # an unknown portion
        lambda r: r["responsibilities"][0]["deductible"].pop("taken"),
        lambda r: r["steps"][0].pop("source"),
        lambda r: r.update(unknown_lists="maybe"),
        lambda r: r["year_to_date"].update(total_paid=1),
        lambda r: r["caveats"].append({"code": "list_unknown", "message": "m"}),  # message_zh missing
    ]
    for i, brk in enumerate(breaks):
        bad = copy.deepcopy(good)
        brk(bad[0])
        assert _errors(schema, bad), f"break {i} validated"


@pytest.mark.parametrize(("name", "files"), [
    ("claim", [*CLAIMS, *sorted((ROOT / "examples" / "next-claims").glob("*.json"))]),
    ("application", sorted((ROOT / "examples" / "applications").glob("*.json"))),
])
def test_the_example_files_validate_against_their_schemas(name, files, capsys) -> None:
    schema = _printed_schema(name, capsys)
    assert files
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert not _errors(schema, data), (path.name, _errors(schema, data)[:5])


def test_every_bundled_product_as_show_prints_it_validates_against_the_product_schema(capsys) -> None:
    from huiminbao_rules.catalog import bundled_ids

    schema = _printed_schema("product", capsys)
    for pid in bundled_ids():
        assert main(["show", pid, "--json"]) == 0
        product = json.loads(capsys.readouterr().out)["product"]
        assert not _errors(schema, product), (pid, _errors(schema, product)[:5])
    product["responsibilities"][0]["bucket"] = "elsewhere"
    assert _errors(schema, product)


def test_the_claim_schema_wants_amounts_as_strings(capsys) -> None:
    schema = _printed_schema("claim", capsys)
    data = json.loads(CLAIMS[0].read_text(encoding="utf-8"))
    line = data["encounters"][0]["fee_lines"][0]
    line["det_item_fee_sumamt"] = float(line["det_item_fee_sumamt"])
    assert _errors(schema, data)
    line["det_item_fee_sumamt"] = "12.345"
    assert _errors(schema, data)


def test_a_saved_year_to_date_validates_against_its_schema(tmp_path, capsys) -> None:
    schema = _printed_schema("year-to-date", capsys)
    saved = tmp_path / "ytd.json"
    assert main(["adjudicate", str(CLAIMS[0]), "--product", PRODUCT_OF[CLAIMS[0].stem], "--unknown-lists",
                 "member", "--json", "--save-year-to-date", str(saved)]) == 0
    capsys.readouterr()
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["responsibilities"] and not _errors(schema, data)
    data["total_paid"] = 12.5
    assert _errors(schema, data)


def test_every_schema_is_printed_and_an_unknown_name_is_one_line_and_exit_2(capsys) -> None:
    for name in NAMES:
        assert _printed_schema(name, capsys)["$schema"].startswith("https://json-schema.org/")
    assert main(["schema", "results"]) == 2
    err = capsys.readouterr().err
    assert err == ("huiminbao: error: no schema named 'results'; accepted: claim, application, year-to-date, "
                   "product, result\n")


# ---- the docs name every property of the schemas --------------------------------------


def _properties(schema: dict) -> set[str]:
    """Every property name of a schema, its definitions included."""
    out: set[str] = set()
    for node in [schema, *schema.get("$defs", {}).values()]:
        for item in (node, node.get("items") or {}):
            out |= set(item.get("properties", {}))
    return out


def _documented(text: str) -> set[str]:
    return set(re.findall(r"`([a-zA-Z_$][a-zA-Z0-9_]*)`", text))


@pytest.mark.parametrize(("name", "page"), [
    ("result", "result-json.md"),
    ("year-to-date", "result-json.md"),
    ("claim", "claim-format.md"),
    ("application", "enrollment.md"),
    ("product", "product-format.md"),
])
def test_every_property_of_a_schema_is_documented(name, page, capsys) -> None:
    props = _properties(_printed_schema(name, capsys))
    assert props
    missing = props - _documented((DOCS / page).read_text(encoding="utf-8"))
    assert not missing, f"{name}: properties not documented in docs/{page}: {sorted(missing)}"
