"""Fuzzing every input surface with mutations of real inputs (Hypothesis).

A claim, an application, a year-to-date record, a product file, a profile file and the
loaders' tables and JSONL lines are mutated, byte by byte and value by value, with
hostile values (other scripts, separators, signs, exponents, huge numbers, far dates,
invisible characters, lone surrogates, deep nesting, duplicate keys …). For the command
line (run in-process, no subprocesses) every outcome must be either exit 0 with a valid
result, or exit 2 with exactly one line ``huiminbao: error: …`` naming the file (exit 1
only for ``check`` finding a violation); never a traceback or a hang. Where a mutation
puts a value into a field of a known kind (amount, date, boolean, integer, id) that an
independent reading of the format says is invalid, the input must be refused: nothing is
coerced. Loaders must return their rejections (a report that can be written) or raise the
library's typed error naming the file.

Bounded in time: a few hundred examples in all, well under a minute.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from huiminbao_rules import adjudicate, get_product, parse_claim
from huiminbao_rules.cli import main
from huiminbao_rules.core.errors import InputError
from huiminbao_rules.analytics.loaders import load_jsonl, load_tables, yuan_tables
from huiminbao_rules.analytics.population import Population

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = sorted((ROOT / "examples" / "claims").glob("*.json"))
APPLICATION = ROOT / "examples" / "applications" / "hangzhou-2022-family.json"
PRODUCT = ROOT / "src" / "huiminbao_rules" / "products" / "shenzhen" / "2023.toml"
HANGZHOU = ROOT / "src" / "huiminbao_rules" / "products" / "hangzhou" / "2022.toml"
PROFILE = ROOT / "src" / "huiminbao_rules" / "profiles" / "hangzhou-2020.toml"
EXAMPLES = int(os.environ.get("HUIMINBAO_FUZZ_EXAMPLES", "60"))
"""Examples per surface; set ``HUIMINBAO_FUZZ_EXAMPLES`` for a longer run."""
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- an independent reading of the format's value kinds -------------------------------------------

AMOUNTS = {"medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "hifp_pay",
           "hifmi_pay", "hifob_pay", "cvlserv_pay", "maf_pay", "hifes_pay", "oth_pay", "psn_part_amt",
           "det_item_fee_sumamt", "overlmt_amt", "other_insurance_paid", "paid", "account_balance", "total_paid",
           "eligible", "deductible"}
DATES = {"birth_date", "enrolled_on", "event_on", "admitted_on", "discharged_on", "service_date", "applied_on"}
BOOLS = {"enrolled", "settled_through_basic", "consent", "subsidised", "in_other_city_product"}
INTS = {"year", "residence_permit_years", "version"}
IDS = {"claim_id", "application_id", "setl_id", "mdtrt_id"}


def valid_as(kind: str, value: Any) -> bool:
    if kind == "amount":
        return isinstance(value, str) and re.fullmatch(r"[0-9]{1,14}(\.[0-9]{1,2})?", value, re.ASCII) is not None
    if kind == "date":
        if not (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII)):
            return False
        try:
            return 1900 <= date.fromisoformat(value).year <= 2199
        except ValueError:
            return False
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return type(value) is int
    if kind == "id":
        return (isinstance(value, str) and 0 < len(value) <= 128 and value == value.strip()
                and all(c == " " or c.isprintable() for c in value))
    return True


def kind_of(key: Any) -> str | None:
    for kind, keys in (("amount", AMOUNTS), ("date", DATES), ("bool", BOOLS), ("int", INTS), ("id", IDS)):
        if key in keys:
            return kind
    return None


# --- hostile values and mutations ------------------------------------------------------------------

HOSTILE_TEXT = ["1,50", "1_000", "１２３", "١٢٣", "1E+3", "1e5", "-0.00", "-1", "+1", " 1.00", "1.00 ", "1.", ".5",
                "1.005", "NaN", "Infinity", "0x10", "99999999999999999", "0", "0.00", "12.5", "",
                "9999-12-31", "0999-05-01", "2023-02-30", "2023-07-01T00:00:00Z", "20230701", "2023-7-1",
                "yes", "off", "true", "1", "2022", "\u200b", "A\u200bB", "A\x00B", "\u202e", "\ud800", "x" * 300,
                "inpatient", "resident", "employee", "03", "C34.9", "malignant_tumor"]
HOSTILE_JSON = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from([0, 1, -1, 2022, 2022.0, 1.5, 1e308, 10**25, True, False, None, [], {}, [[[[]]]],
                     {"a": {"b": {"c": {}}}}]),
    st.text(max_size=12),
    st.integers(min_value=-10**30, max_value=10**30),
)
TEXT_SNIPPETS = [b'"\\ud800"', b"1e999", b"NaN", b"[" * 200, b"]", b"}", b"{", b",", b'"x":1,', b"\xff", b"\x00",
                 b'\xef\xbc\x91', b"-0.00", b'"claim_id": "A", ', b"9" * 400, b'"', b"\\", b"\xed\xa0\x80"]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _set(node: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = node
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return node


@st.composite
def value_mutation(draw: st.DrawFn, data: Any) -> tuple[Any, bool]:
    """``data`` with one to three values replaced, removed or added; and whether an
    independent reading says a field of a known kind that the format reads now holds an
    invalid value."""
    data = json.loads(json.dumps(data))
    read = set(_paths(data))  # the real inputs hold only fields the format reads
    touched: list[tuple] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths[1:] or paths))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if action == "delete" and path:
            if isinstance(parent, dict):
                del parent[path[-1]]
            continue
        value = copy.deepcopy(draw(HOSTILE_JSON))  # never the shared constant itself
        if action == "add":
            if isinstance(parent, dict):  # a field the format may not read here: not judged
                parent[draw(st.sampled_from(sorted(AMOUNTS | DATES | BOOLS | INTS | IDS) + ["zzz"]))] = value
            continue
        data = _set(data, path, value)
        touched.append(path)
    invalid = False
    for path in touched:
        if path not in read:
            continue  # an added field the format does not read here: ignored, as documented
        node: Any = data
        try:
            for step in path:
                node = node[step]
        except (KeyError, IndexError, TypeError):
            continue
        kind = kind_of(path[-1]) if path else None
        if kind is not None and not valid_as(kind, node):
            note(f"invalid {kind} at {path}: {node!r}")
            invalid = True
    return data, invalid


@st.composite
def byte_mutation(draw: st.DrawFn, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        pos = draw(st.integers(min_value=0, max_value=len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "snippet"]))
        if op == "flip" and pos < len(data):
            data[pos] = draw(st.integers(min_value=0, max_value=255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(min_value=1, max_value=8))]
        else:
            data[pos:pos] = draw(st.sampled_from(TEXT_SNIPPETS))
    return bytes(data)


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


# --- running the command line in-process -----------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def check_outcome(code: int, out: str, err: str, files: list[str], *, may_find_violations: bool = False) -> None:
    assert "Traceback" not in err
    if code == 0 or (code == 1 and may_find_violations):
        assert err == "", err
        return
    assert code == 2, (code, err)
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("huiminbao: error: "), err
    assert any(f in err for f in files), (files, err)
    for leak in ("Decimal(", "errors.pydantic.dev", "input_value=", "Traceback"):
        assert leak not in err, err  # values as written, no library internals


def check_json_result(out: str) -> None:
    results = json.loads(out)
    assert isinstance(results, list) and results
    for r in results:
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", r["payable"])


# --- the surfaces ----------------------------------------------------------------------------------

CLAIM_DATA = [(p, json.loads(p.read_text(encoding="utf-8"))) for p in CLAIMS]
PRODUCT_OF = {p: "-".join(p.stem.split("-")[:2]) for p in CLAIMS}


@FUZZ
@given(st.data())
def test_fuzz_claims_by_value(tmp_path_factory, data) -> None:
    path, base = data.draw(st.sampled_from(CLAIM_DATA))
    mutated, invalid = data.draw(value_mutation(base))
    target = tmp_path_factory.mktemp("claim") / "claim.json"
    target.write_bytes(_dump(mutated))
    code, out, err = run(["adjudicate", str(target), "--product", PRODUCT_OF[path], "--json"])
    check_outcome(code, out, err, [str(target)])
    event(f"exit {code}")
    if invalid:
        assert code == 2, f"an invalid value was accepted: {out[:300]}"
    if code == 0:
        check_json_result(out)


@FUZZ
@given(st.data())
def test_fuzz_claims_by_byte(tmp_path_factory, data) -> None:
    path, _ = data.draw(st.sampled_from(CLAIM_DATA))
    raw = data.draw(byte_mutation(path.read_bytes()))
    target = tmp_path_factory.mktemp("claim") / "claim.json"
    target.write_bytes(raw)
    code, out, err = run(["adjudicate", str(target), "--product", PRODUCT_OF[path], "--json"])
    check_outcome(code, out, err, [str(target)])
    if code == 0:
        check_json_result(out)


@FUZZ
@given(st.data())
def test_fuzz_applications(tmp_path_factory, data) -> None:
    base = json.loads(APPLICATION.read_text(encoding="utf-8"))
    target = tmp_path_factory.mktemp("app") / "application.json"
    invalid = False
    if data.draw(st.booleans()):
        mutated, invalid = data.draw(value_mutation(base))
        target.write_bytes(_dump(mutated))
    else:
        target.write_bytes(data.draw(byte_mutation(APPLICATION.read_bytes())))
    code, out, err = run(["enroll", str(target), "--product", "hangzhou-2022", "--json"])
    check_outcome(code, out, err, [str(target)])
    if invalid:
        assert code == 2, f"an invalid value was accepted: {out[:300]}"
    if code == 0:
        assert json.loads(out)["application_id"]


_FIRST = parse_claim(CLAIM_DATA[[p.name for p, _ in CLAIM_DATA].index("shenzhen-2023-s1.json")][1])
_YEAR = json.loads(adjudicate(_FIRST, get_product("shenzhen-2023")).year_to_date.model_dump_json())
_NEXT = json.loads(json.dumps(CLAIM_DATA[[p.name for p, _ in CLAIM_DATA].index("shenzhen-2023-s1.json")][1]))
_NEXT["claim_id"] = "SZ23-0002"
for _e in _NEXT["encounters"]:
    _e["settlement"]["setl_id"] = f"S2-{_e['id']}"


@FUZZ
@given(st.data())
def test_fuzz_year_to_date_records(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("ytd")
    claim, record = folder / "claim.json", folder / "ytd.json"
    claim.write_bytes(_dump(_NEXT))
    invalid = False
    if data.draw(st.booleans()):
        mutated, invalid = data.draw(value_mutation(_YEAR))
        record.write_bytes(_dump(mutated))
    else:
        record.write_bytes(data.draw(byte_mutation(_dump(_YEAR))))
    code, out, err = run(["adjudicate", str(claim), "--product", "shenzhen-2023", "--year-to-date", str(record),
                          "--json"])
    check_outcome(code, out, err, [str(record)])
    if invalid:
        assert code == 2, "an invalid value in the record was accepted"
    if code == 0:
        check_json_result(out)


NUMBER = re.compile(rb"(?<=[=,\[ ])[0-9][0-9._]*(?=[ ,\]\n}])")
HOSTILE_NUMBERS = [b"0", b"-1", b"1e9", b"1000000000", b"3000000", b"10000000000000000000000000", b"1.5", b"0.005",
                   b"-0.0", b"inf", b"nan", b"1_000", b"99999999999999", b"2023.0", b'"12"', b"true", b"+5",
                   b"9" * 5000, b"2023-07-01T00:00:00+08:00", b"9999-12-31", b"0x10"]


@st.composite
def toml_mutation(draw: st.DrawFn, raw: bytes) -> bytes:
    spots = [m.span() for m in NUMBER.finditer(raw)]
    if not spots or draw(st.booleans()):
        return draw(byte_mutation(raw))
    data = raw
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        start, end = draw(st.sampled_from(spots))
        data = data[:start] + draw(st.sampled_from(HOSTILE_NUMBERS)) + data[end:]
        spots = [m.span() for m in NUMBER.finditer(data)] or [(0, 0)]
    return data


_PRODUCTS_RAW = [
    PRODUCT.read_bytes().replace(b'id = "shenzhen-2023"', b'id = "shenzhen-2023~fuzz"'),
    HANGZHOU.read_bytes().replace(b'id = "hangzhou-2022"', b'id = "hangzhou-2022~fuzz"'),
]


@FUZZ
@given(st.data())
def test_fuzz_product_files(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("product")
    product = folder / "product.toml"
    product.write_bytes(data.draw(toml_mutation(data.draw(st.sampled_from(_PRODUCTS_RAW)))))
    claim = CLAIMS[[p.name for p in CLAIMS].index("shenzhen-2023-s1.json")]
    code, out, err = run(["show", str(product), "--lang", "en"])
    check_outcome(code, out, err, [str(product)])
    loaded = code == 0
    event(f"product loads: {loaded}")
    # A product that loads can always adjudicate and enroll.
    code, out, err = run(["adjudicate", str(claim), "--product", str(product), "--json"])
    check_outcome(code, out, err, [str(product)])
    assert (code == 0) == loaded, err
    code, out, err = run(["adjudicate", str(claim), "--product", str(product), "--trace", "--lang", "en"])
    check_outcome(code, out, err, [str(product)])
    assert (code == 0) == loaded, err
    code, out, err = run(["enroll", str(APPLICATION), "--product", str(product), "--json"])
    check_outcome(code, out, err, [str(product)])
    assert (code == 0) == loaded, err
    if loaded:
        code, out, err = run(["check", str(product), "--profile", "national-2025"])
        check_outcome(code, out, err, [str(product)], may_find_violations=True)
        code, out, err = run(["diff", "shenzhen-2023", str(product)])
        check_outcome(code, out, err, [str(product)])


@FUZZ
@given(st.data())
def test_fuzz_profile_files(tmp_path_factory, data) -> None:
    profile = tmp_path_factory.mktemp("profile") / "profile.toml"
    profile.write_bytes(data.draw(toml_mutation(PROFILE.read_bytes())))
    code, out, err = run(["check", "shenzhen-2023", "--profile", str(profile)])
    check_outcome(code, out, err, [str(profile)], may_find_violations=True)


_TABLES = yuan_tables(Population.from_claims([parse_claim(d) for _, d in CLAIM_DATA]))


@st.composite
def table_text(draw: st.DrawFn, frame: pd.DataFrame) -> bytes:
    raw = frame.to_csv(index=False).encode("utf-8")
    if draw(st.booleans()):
        return draw(byte_mutation(raw))
    cells = frame.astype(str).copy()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        r = draw(st.integers(min_value=0, max_value=len(cells) - 1))
        c = draw(st.sampled_from(list(cells.columns)))
        cells.loc[cells.index[r], c] = draw(st.sampled_from([t for t in HOSTILE_TEXT if "\ud800" not in t]))
    return cells.to_csv(index=False).encode("utf-8")


@settings(max_examples=max(EXAMPLES * 2 // 3, 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_loaders(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("tables")
    paths = {}
    for name, frame in _TABLES.items():
        paths[name] = folder / f"{name}.csv"
        paths[name].write_bytes(frame.to_csv(index=False).encode("utf-8"))
    victim = data.draw(st.sampled_from(sorted(paths)))
    paths[victim].write_bytes(data.draw(table_text(_TABLES[victim])))
    try:
        loaded = load_tables(paths["encounters"], paths["fee_lines"], paths["claims"], paths["insured"])
    except InputError as exc:
        assert str(paths[victim]) in str(exc) or victim in str(exc), str(exc)
    else:
        assert loaded.counts["read"] == loaded.counts["loaded"] + loaded.counts["rejected"]
        loaded.rejected.to_csv(folder / "rejected.csv", index=False)
    lines = [json.dumps(d, ensure_ascii=False).encode("utf-8") for _, d in CLAIM_DATA]
    k = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    if data.draw(st.booleans()):
        lines[k] = data.draw(byte_mutation(lines[k])).replace(b"\n", b" ")
    else:
        mutated, _ = data.draw(value_mutation(CLAIM_DATA[k][1]))
        lines[k] = _dump(mutated)
    jsonl = folder / "claims.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    loaded = load_jsonl(jsonl)
    assert loaded.counts["read"] == loaded.counts["loaded"] + loaded.counts["rejected"] == len(lines)
    loaded.rejected.to_csv(folder / "rejected.csv", index=False)


# --- user list files (--list NAME=FILE.csv) --------------------------------------------------------

LIST_ROWS = [["name", "approval_number", "code", "indications"],
             ["某特定高额药", "国药准字H20183387", "XL01XX123A001010100001", "C34;C83.3"],
             ["另一药品", "", "XL01XX124*", ""]]
LIST_CELLS = HOSTILE_TEXT + ["=CMD()", "+1", "@SUM(A1)", "\ufeffname", "name", "code", "Name", "国药准字H２０１８３３８７",
                             "国药准字H2018338", "C34；C50", "c34", "C34\n", "XL01 XX", "X*Y", "\t", "\x1b[31m"]


def _csv_bytes(rows: list[list[str]], ends: str, bom: bool) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=ends).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8", "surrogatepass")


def _cell_invalid(column: str, value: str) -> bool:
    """An independent reading of a list cell: what must be refused."""
    if any(ch not in " \t" and not ch.isprintable() for ch in value):
        return True
    v = value.strip()
    if column == "code":
        return bool(v) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]{2,49}\*?", v, re.ASCII) is None
    if column == "approval_number":
        return bool(v) and re.fullmatch(r"(国药准字|进口药品注册证号|医药产品注册证号|注册证号)?[A-Z]{1,2}[0-9]{8}", v) is None
    if column == "indications":
        return any(re.fullmatch(r"[A-Z][0-9A-Z.]{0,7}", p.strip(), re.ASCII) is None
                   for p in re.split(r"[;；]", v) if p.strip())
    return False


@st.composite
def list_file(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A list CSV file mutated by cell, row or byte; and whether an independent reading says
    a data cell now holds a value that must be refused."""
    rows = [list(r) for r in LIST_ROWS]
    invalid = False
    how = draw(st.sampled_from(["cells", "cells", "rows", "bytes"]))
    if how == "cells":
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            r = draw(st.integers(min_value=0, max_value=len(rows) - 1))
            c = draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
            rows[r][c] = draw(st.one_of(st.sampled_from(LIST_CELLS), st.text(max_size=8)))
        header_ok = rows[0] == LIST_ROWS[0]
        invalid = header_ok and any(_cell_invalid(rows[0][c], row[c]) for row in rows[1:] for c in range(len(row)))
    elif how == "rows":
        op = draw(st.sampled_from(["ragged", "short", "blank", "header only", "name only", "repeat header", "many"]))
        if op == "ragged":
            rows[1].append("extra")
        elif op == "short":
            rows[2] = rows[2][:2]
        elif op == "blank":
            rows.insert(2, [])
        elif op == "header only":
            rows = rows[:1]
        elif op == "name only":
            rows = [[r[0]] for r in rows]
        elif op == "repeat header":
            rows[0][3] = "name"
        else:
            rows += [rows[1]] * draw(st.integers(min_value=1, max_value=500))
    ends = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    raw = _csv_bytes(rows, ends, draw(st.booleans()))
    if how == "bytes":
        raw = draw(byte_mutation(raw))
    return raw, invalid


@FUZZ
@given(st.data())
def test_fuzz_user_list_files(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("list")
    path = folder / "list.csv"
    raw, invalid = data.draw(list_file())
    path.write_bytes(raw)
    name = data.draw(st.sampled_from(["rare_disease_drugs", "rare_disease_drugs", "gba_drugs_devices", "nope"]))
    verb = data.draw(st.sampled_from([
        [str(CLAIMS[[p.name for p in CLAIMS].index("shenzhen-2023-s1.json")]), "--product", "shenzhen-2023", "--json"],
        ["shenzhen-2023", "--json"], ["shenzhen-2023", "--json"]]))
    command = "adjudicate" if "--product" in verb else data.draw(st.sampled_from(["show", "check"]))
    code, out, err = run([command, *verb, "--list", f"{name}={path}"])
    event(f"{command} exit {code}")
    if name == "nope":
        assert code == 2 and "has no list 'nope'" in err and err.count("\n") == 1, err
        return
    check_outcome(code, out, err, [str(path)], may_find_violations=command == "check")
    if invalid:
        assert code == 2, f"an invalid list cell was accepted: {raw[:300]!r}"
    if code == 0 and command == "adjudicate":
        check_json_result(out)


# --- the ledger ------------------------------------------------------------------------------------


@settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_fuzz_ledger_submissions(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("ledger")
    db, claim = str(folder / "ledger.sqlite"), folder / "claim.json"
    path, base = data.draw(st.sampled_from(CLAIM_DATA))
    invalid = False
    if data.draw(st.booleans()):
        mutated, invalid = data.draw(value_mutation(base))
        claim.write_bytes(_dump(mutated))
    else:
        claim.write_bytes(data.draw(byte_mutation(path.read_bytes())))
    argv = ["ledger", "submit", str(claim), "--product", PRODUCT_OF[path], "--db", db, "--json"]
    code, out, err = run(argv)
    check_outcome(code, out, err, [str(claim)])
    event(f"exit {code}")
    if invalid:
        assert code == 2, f"an invalid value was accepted into the ledger: {out[:300]}"
    if code == 0:
        first = json.loads(out)[0]
        again, out2, err2 = run(argv)  # the same file again: recorded once
        assert (again, err2) == (0, ""), err2
        second = json.loads(out2)[0]
        assert second["recorded"] is False and second["payable"] == first["payable"], (first, second)


LEDGER_TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12))


@FUZZ
@given(st.data())
def test_fuzz_ledger_arguments(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("ledger-args")
    (folder / "not-sqlite.sqlite").write_bytes(b"SQLite format 2\x00" + b"\xff" * 200)
    ready = folder / "ledger.sqlite"
    db = data.draw(st.sampled_from([str(ready), str(folder), str(folder / "not-sqlite.sqlite"),
                                    str(folder / "missing" / "l.sqlite"), f"sqlite:///{ready}?timeout=x",
                                    f"sqlite:///{ready}?mode=ro", "ftp://localhost/l", "sqlite://", "://",
                                    f"sqlite:///{folder}/\u202e.sqlite"]))
    run(["ledger", "init", "--db", str(ready)])
    verb = data.draw(st.sampled_from(["reverse", "show", "export"]))
    if verb == "reverse":
        argv = ["reverse", data.draw(LEDGER_TEXT), "--reason", data.draw(LEDGER_TEXT)]
    elif verb == "show":
        argv = ["show", data.draw(LEDGER_TEXT), "--year", data.draw(LEDGER_TEXT), "--product", data.draw(LEDGER_TEXT)]
    else:
        out_name = data.draw(LEDGER_TEXT).replace("/", "_").replace("\x00", "_")
        argv = ["export", "--format", data.draw(st.sampled_from(["jsonl", "parquet"])), "--out",
                str(folder / f"x{out_name}")]
    code, out, err = run(["ledger", argv[0], "--db", db, *argv[1:]])
    event(f"{verb} exit {code}")
    # A database that cannot be used is named; a refused argument (a usage error, read before
    # the database is opened) or id is about no file.
    usage = "--help`)" in err
    check_outcome(code, out, err, [folder.name, db.partition("?")[0]] if db != str(ready) and not usage else [""])
