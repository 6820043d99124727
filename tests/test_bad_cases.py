"""Every class of hostile input found so far, kept as a file in ``tests/cases/bad/``: each
gets exactly one line ``huiminbao: error: FILE: …`` naming its file(s), exit status 2, and
no traceback. ``cases.json`` lists the command for each file, what the line must say and
which files it must name (``{here}`` is that folder, ``{root}`` the repository).

Inputs that cannot be stored as files (a named pipe, a device, a file over the size limit)
and the loaders' cases are made at test time below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from huiminbao_rules import get_product
from huiminbao_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "cases" / "bad"
EXAMPLE = ROOT / "examples" / "claims" / "shenzhen-2023-s1.json"
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, out: str, err: str, names: list[str], says: str) -> None:
    assert code == 2, (code, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err  # one line
    line = err.rstrip("\n")
    assert line.startswith("huiminbao: error: "), line
    for leak in ("Traceback", "Decimal(", "errors.pydantic.dev", "input_value="):
        assert leak not in err, err
    for name in names:
        assert name in line, (name, line)
    assert says in line, (says, line)


def _arg(text: str, tmp_path: Path) -> str:
    text = text.replace("{here}", str(HERE)).replace("{root}", str(ROOT))
    path = Path(text)
    if path.suffix == ".json" and path.name.startswith("ytd-") and path.is_file():
        # A year-to-date record names the content hash of the product it was made under.
        record = path.read_text(encoding="utf-8").replace("PRODUCT_HASH", get_product("shenzhen-2023").content_hash)
        copy = tmp_path / path.name
        copy.write_text(record, encoding="utf-8")
        return str(copy)
    return text


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_stored_bad_input_gets_one_line_naming_its_file(case, tmp_path, capsys) -> None:
    argv = [_arg(a, tmp_path) for a in case["argv"]]
    names = [_arg(n, tmp_path) for n in case["names"]]
    assert_refused(*run(argv, capsys), names, case["says"])


def test_every_stored_file_is_a_case() -> None:
    kinds = (".json", ".toml", ".csv")
    used = {Path(a.partition("{here}/")[2]).name for c in CASES for a in c["argv"] if "{here}/" in a}
    used = {name for name in used if Path(name).suffix in kinds}
    stored = {p.name for p in HERE.iterdir() if p.is_file() and p.suffix in kinds and p.name != "cases.json"}
    assert stored == used


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting(tmp_path, capsys) -> None:
    pipe = tmp_path / "claim.json"
    os.mkfifo(pipe)
    assert_refused(*run(["adjudicate", str(pipe), "--product", "shenzhen-2023"], capsys), [str(pipe)], "named pipe")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_not_read_to_exhaustion(capsys) -> None:
    assert_refused(*run(["adjudicate", "/dev/zero", "--product", "shenzhen-2023"], capsys), ["/dev/zero"], "device")
    assert_refused(*run(["show", "/dev/zero"], capsys), ["/dev/zero"], "device")


def test_a_directory_and_a_missing_file_are_refused(tmp_path, capsys) -> None:
    assert_refused(*run(["adjudicate", str(tmp_path), "--product", "shenzhen-2023"], capsys), [str(tmp_path)],
                   "directory")
    missing = tmp_path / "none.json"
    assert_refused(*run(["enroll", str(missing), "--product", "hangzhou-2022"], capsys), [str(missing)],
                   "No such file")


def test_a_file_over_the_byte_limit_is_refused_naming_the_limit(tmp_path, capsys) -> None:
    assert_refused(*run(["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023", "--max-bytes", "100"], capsys),
                   [str(EXAMPLE)], "limit of 100 bytes")


def test_a_claim_over_the_fee_line_limit_is_refused_quickly(tmp_path, capsys) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    line = dict(data["encounters"][0]["fee_lines"][0])
    data["encounters"][0]["fee_lines"] = [line] * 20_001
    path = tmp_path / "long.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert_refused(*run(["adjudicate", str(path), "--product", "shenzhen-2023"], capsys), [str(path)],
                   "limit of 20000 per claim")
    assert_refused(*run(["adjudicate", str(EXAMPLE), "--product", "shenzhen-2023", "--max-fee-lines", "2"], capsys),
                   [str(EXAMPLE)], "limit of 2 per claim")


# --- the loaders: file-level problems raise the typed error naming the file; rows are rejections ---

LOADERS = HERE / "loaders"


@pytest.mark.parametrize("name, says", [
    ("encounters-not-utf8.csv", "not UTF-8"),
    ("encounters-ragged.csv", "not a readable CSV file"),
    ("encounters-empty.csv", "empty"),
    ("encounters-repeated-column.csv", "repeated column names: claim_id"),
    ("encounters-corrupt.parquet", "not a readable Parquet file"),
    ("encounters-missing.csv", "No such file"),
])
def test_a_table_file_that_cannot_be_read_is_a_typed_error_naming_it(name, says) -> None:
    from huiminbao_rules import InputError
    from huiminbao_rules.analytics.loaders import load_tables

    with pytest.raises(InputError) as err:
        load_tables(LOADERS / name, LOADERS / "fee_lines.csv")
    assert str(LOADERS / name) in str(err.value) and says in str(err.value), str(err.value)


def test_hostile_jsonl_lines_are_rejections_and_the_others_load(tmp_path) -> None:
    from huiminbao_rules.analytics.loaders import load_jsonl

    loaded = load_jsonl(LOADERS / "claims-hostile-lines.jsonl")
    assert loaded.counts == {"read": 9, "loaded": 1, "rejected": 8, "unattributed_rows": 0}
    assert list(loaded.population.claims["claim_id"]) == ["SZ23-0001"]
    reasons = {row: reason for row, reason in zip(loaded.rejected["row"], loaded.rejected["reason"])}
    assert [k for k in sorted(reasons)] == [2, 3, 4, 5, 6, 7, 8, 9]
    for row, says in {2: "5000 digits", 3: "nest more than", 4: "lone surrogate", 5: "'claim_id' appears twice",
                      6: "supported years", 7: "same encounter", 8: "not UTF-8", 9: "separator"}.items():
        assert says in reasons[row], (row, reasons[row])
    path = tmp_path / "rejected.csv"
    loaded.rejected.to_csv(path, index=False)  # the report can always be written
    assert path.read_text(encoding="utf-8").count("\n") == len(loaded.rejected) + 1


def test_the_error_is_one_line_whatever_the_file_name_holds(tmp_path, capsys) -> None:
    path = tmp_path / "bad\nname.json"
    path.write_text("{", encoding="utf-8")
    code, out, err = run(["adjudicate", str(path), "--product", "shenzhen-2023"], capsys)
    assert_refused(code, out, err, [str(path).replace("\n", "\\n")], "malformed JSON")
