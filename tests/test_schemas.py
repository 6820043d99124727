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


# ---- the docs against the schemas: one table per model, key for key ---------------------
#
# Each format page documents a model in a table (first column ``key`` or ``field``) under a
# heading that names it; a model documented inside its parent's row (a small object such as
# ``indemnity``) has each of its keys named in that row. The tables are read as tables and
# compared with the schemas both ways: a key the schema has and the page does not, a key
# the page documents and the schema does not have, a required key documented as optional
# (or the reverse), and for the result JSON a type that is not the schema's.

_RESULT_TABLES = {  # model -> (heading, which table under it) in result-json.md
    "<root>": ("## Top level", 0), "Responsibility": ("## `responsibilities[]`", 0),
    "Line": ("## `lines[]` and `portions[]`", 0), "Portion": ("## `lines[]` and `portions[]`", 1),
    "Band": ("## Bands, cuts and exclusions", 0), "Cut": ("## Bands, cuts and exclusions", 1),
    "Exclusion": ("## Bands, cuts and exclusions", 2), "Step": ("## `steps[]`", 0),
    "YearToDate": ("## The year-to-date record (`YearToDate`)", 0), "Caveat": ("## Caveats", 0),
}


def _doc_tables(text: str) -> list[tuple[str, str, list[list[str]]]]:
    """The key tables of a page, in order: (heading, the line before the table, rows as cells)."""
    out: list[tuple[str, str, list[list[str]]]] = []
    heading, before, code, lines = "", "", False, text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        code = code != line.startswith("```")
        if not code and line.startswith("#"):
            heading = line.strip()
        if (not code and line.startswith("|") and i + 1 < len(lines) and re.fullmatch(r"\|[-| :]+\|", lines[i + 1])
                and line.strip("| ").split("|")[0].strip() in ("key", "field")):
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip()[1:-1].split(" | ")])
                i += 1
            out.append((heading, before, rows))
            continue
        if line.strip():
            before = line
        i += 1
    return out


def _row_keys(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _definitions(schema: dict) -> dict[str, dict]:
    defs = {k: v for k, v in schema.get("$defs", {}).items() if "properties" in v}
    defs["<root>"] = schema.get("items", schema)
    return defs


def _refs(node: object) -> set[str]:
    """The definitions a property's schema refers to, through arrays, maps and unions."""
    if isinstance(node, dict):
        out = {node["$ref"].split("/")[-1]} if "$ref" in node else set()
        for v in node.values():
            out |= _refs(v)
        return out
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _tables_of(name: str, page: str, schema: dict) -> dict[str, list[list[str]]]:
    """Model -> the rows of the table that documents it on ``page``."""
    tables = _doc_tables((DOCS / page).read_text(encoding="utf-8"))
    defs = _definitions(schema)
    root_title = defs["<root>"].get("title", "")
    out: dict[str, list[list[str]]] = {}
    if name == "result":
        for model, (heading, index) in _RESULT_TABLES.items():
            out[model] = [rows for h, _, rows in tables if h == heading][index]
        return out
    if name == "year-to-date":
        return {"<root>": [rows for h, _, rows in tables if h == _RESULT_TABLES["YearToDate"][0]][0]}
    by_heading: dict[str, list[list[list[str]]]] = {}
    for heading, before, rows in tables:
        named = [n for n in re.findall(r"`([A-Za-z]+)`", before) if n in defs]  # "A condition (`Condition`):"
        if named:
            out[named[0]] = rows
        else:
            by_heading.setdefault(heading, []).append(rows)
    for heading, all_rows in by_heading.items():
        named = [n for n in re.findall(r"`([A-Za-z]+)`", heading) if n in defs or n == root_title]
        if not named:  # a heading that is the model's name in words: "## Insured"
            word = heading.lstrip("# ").strip()
            named = [word] if word in defs or word == root_title else []
        for model, rows in zip(named, all_rows):
            out["<root>" if model == root_title else model] = rows
    return out


_TYPE_WORDS = {"string", "integer", "money", "rate", "date", "object", "array", "exact decimal string"}


_PATTERN_KINDS = {
    r"^[0-9]+\.[0-9]{2}$": "money", r"^[0-9]{1,14}(?:\.[0-9]{1,2})?$": "money",  # as written, as read
    r"^-?[0-9]+(\.[0-9]+)?$": "exact decimal string", r"^[01](\.[0-9]+)?$": "rate",
}


def _kinds(prop: dict, defs: dict[str, dict]) -> set[str]:
    """What a property's schema admits, in the words the result page uses for types."""
    out: set[str] = set()
    for alt in prop.get("anyOf", [prop]):
        if "$ref" in alt or alt.get("type") == "object":
            out.add("object")
        elif alt.get("type") == "array":
            out.add("array")
        elif alt.get("type") == "string":
            pattern = alt.get("pattern")
            out.add(_PATTERN_KINDS.get(pattern, "date" if alt.get("format") == "date" else "string"))
        elif "const" in alt or "enum" in alt:
            out.add("string")
        else:
            out.add(alt.get("type", "any"))
    return out


def _documented_kinds(cell: str) -> set[str]:
    cell = re.sub(r"\[([^]]+)\]\([^)]*\)", r"\1", cell)
    kinds = {"array" if part.startswith("array") else part for part in cell.split(" or ")}
    return {"null" if k == "null" else k for k in kinds}


@pytest.mark.parametrize(("name", "page"), [
    ("result", "result-json.md"),
    ("year-to-date", "result-json.md"),
    ("claim", "claim-format.md"),
    ("application", "enrollment.md"),
    ("product", "product-format.md"),
])
def test_the_docs_document_each_model_key_for_key_as_the_schema_has_it(name, page, capsys) -> None:
    schema = _printed_schema(name, capsys)
    defs = _definitions(schema)
    tables = _tables_of(name, page, schema)
    problems: list[str] = []
    inline: dict[str, str] = {}  # model documented in its parent's row -> that row's text
    for model, rows in tables.items():
        props = defs[model]["properties"]
        required = set(defs[model].get("required", ()))
        documented: dict[str, list[str]] = {}
        for row in rows:
            for key in _row_keys(row[0]):
                documented[key] = row
        for key in sorted(set(props) - set(documented)):
            problems.append(f"{model}.{key}: in the schema, not in the table of docs/{page}")
        for key in sorted(set(documented) - set(props)):
            problems.append(f"{model}.{key}: documented in docs/{page}, not in the schema")
        for key in sorted(set(props) & set(documented)):
            row = documented[key]
            for ref in _refs(props[key]):
                if ref not in tables:
                    inline[ref] = inline.get(ref, "") + " | ".join(row)
            if len(row) == 4 and name != "claim":  # key | type | default | meaning
                said = row[2].startswith("required") and row[2] != "required when read back"
                if said != (key in required):
                    problems.append(f"{model}.{key}: docs/{page} says {row[2]!r}, the schema "
                                    f"{'requires it' if key in required else 'has a default'}")
            elif len(row) == 4:  # field | type | required | meaning
                if row[2].startswith("yes") != (key in required):
                    problems.append(f"{model}.{key}: docs/{page} says required {row[2]!r}, the schema "
                                    f"{'requires it' if key in required else 'has a default'}")
            if name in ("result", "year-to-date"):
                kinds, said_kinds = _kinds(props[key], defs), _documented_kinds(row[1])
                if said_kinds <= _TYPE_WORDS | {"null"} and kinds != said_kinds:
                    problems.append(f"{model}.{key}: docs/{page} says {row[1]!r}, the schema {sorted(kinds)}")
                elif not said_kinds <= _TYPE_WORDS | {"null"}:
                    problems.append(f"{model}.{key}: docs/{page} type {row[1]!r} is not one of {sorted(_TYPE_WORDS)}")
    for model in sorted(set(defs) - set(tables)):
        text = inline.get(model)
        if text is None:
            problems.append(f"{model}: documented in no table of docs/{page} and in no row that refers to it")
            continue
        named = set(re.findall(r"`([^`]+)`", text))
        for key in sorted(set(defs[model]["properties"]) - named):
            problems.append(f"{model}.{key}: not named where docs/{page} documents {model}")
    assert not problems, "\n".join(problems)


# ---- the result schema holds for generated claims under every product --------------------

_RESULT_VALIDATOR: list[Draft202012Validator] = []


def _result_validator() -> Draft202012Validator:
    if not _RESULT_VALIDATOR:
        from huiminbao_rules.render.schemas import schema

        _RESULT_VALIDATOR.append(Draft202012Validator(schema("result")))
    return _RESULT_VALIDATOR[0]


@pytest.mark.parametrize("pid", __import__("huiminbao_rules").bundled_ids())
def test_the_result_json_of_generated_claims_validates_against_the_result_schema(pid) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from huiminbao_rules import adjudicate, get_product, to_dict
    from huiminbao_rules.render.output import to_json
    from huiminbao_rules.testing.strategies import amounts, claims

    product = get_product(pid)
    validator = _result_validator()
    seen = {"lines": 0}

    @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(claim=claims(period=product.period, other_insurance_paid=amounts(max_value="3000.00")),
           mode=st.sampled_from(["pend", "member", "non-member"]))
    def check(claim, mode) -> None:  # type: ignore[no-untyped-def]
        adj = adjudicate(claim, product, unknown_lists=mode)
        for given_product in (product, None):
            text = to_json(adj, given_product)
            data = json.loads(text)
            assert data == to_dict(adj, given_product)
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors([data])]
            assert not errors, errors[:5]
        seen["lines"] += len(data["lines"])

    check()
    assert seen["lines"], seen  # the claims reached the lines


# ---- the result JSON, byte for byte -------------------------------------------------------

GOLDEN = sorted((ROOT / "tests" / "result_json").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_the_result_json_is_written_byte_for_byte_as_stored(path, capsys) -> None:
    """The stored files are results written before the output models produced them
    (``json.dumps(to_dict(...), ensure_ascii=False, indent=2)``): keys, their order and
    every value, for the example claims and a second claim of a year."""
    from huiminbao_rules.render.output import to_json

    stem, mode = path.name.split(".")[:2]
    names = stem.split("-")
    files = ([ROOT / "examples/claims" / f"{'-'.join(names[:-1])}.json",
              ROOT / "examples/next-claims" / f"{'-'.join(names[:-2])}-{names[-1]}.json"]
             if names[-2].startswith("s1") else [ROOT / "examples/claims" / f"{stem}.json"])
    pid = PRODUCT_OF[files[0].stem]
    want = path.read_text(encoding="utf-8")
    assert main(["adjudicate", *map(str, files), "--product", pid, "--json", "--unknown-lists", mode]) == 0
    assert capsys.readouterr().out == want
    from huiminbao_rules import get_product, parse_claim
    from huiminbao_rules.adjudication.engine import replay

    product = get_product(pid)
    year = replay([parse_claim(f.read_text(encoding="utf-8")) for f in files], product, unknown_lists=mode)
    for adj, item in zip(year.adjudications, json.loads(want), strict=True):
        assert to_json(adj, product) == json.dumps(item, ensure_ascii=False, separators=(",", ":"))
