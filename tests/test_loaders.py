"""Loading real data: JSONL and tables (CSV, Parquet, DataFrames) into a Population, every
rejected row reported, and claims in = paid + denied + rejected after adjudication."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huiminbao_rules import AdjudicationError, InputError, get_product, parse_claim
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.analytics.loaders import (
    CLAIM_COLUMNS,
    ENCOUNTER_COLUMNS,
    FEE_LINE_COLUMNS,
    INSURED_COLUMNS,
    REJECTED_COLUMNS,
    WITH_ITS_CLAIM,
    Loaded,
    accounted,
    load_jsonl,
    load_tables,
    yuan_tables,
)
from huiminbao_rules.analytics.population import ENCOUNTER_MONEY, LINE_MONEY, Population

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "claims"
TABLES = ("encounters", "fee_lines", "claims", "insured")


def _example_dicts() -> list[dict[str, Any]]:
    """The three published examples, and three more claims of each of their people."""
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        base = json.loads(path.read_text(encoding="utf-8"))
        out.append(base)
        for k in (1, 2, 3):
            copy = json.loads(json.dumps(base))
            copy["claim_id"] = f"{base['claim_id']}-{k}"
            for e in copy["encounters"]:  # other encounters than the base claim's
                e["settlement"]["setl_id"] = f"{copy['claim_id']}/{e['id']}"
            out.append(copy)
    return out


def _claims() -> list:
    return [parse_claim(d) for d in _example_dicts()]


def _dump(claims) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in claims]


def _write(tables: dict[str, pd.DataFrame], directory: Path, fmt: str) -> dict[str, Path]:
    paths = {}
    for name, frame in tables.items():
        paths[name] = directory / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(paths[name], index=False)
        else:
            frame.to_parquet(paths[name], index=False)
    return paths


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rejected(loaded: Loaded, claim_id: str) -> list[tuple[str, int, str, str]]:
    r = loaded.rejected
    rows = r[(r["claim_id"] == claim_id) & (r["reason"] != WITH_ITS_CLAIM)]
    return [(Path(s).name, int(n), f, why) for s, n, f, why in
            rows[["source", "row", "field", "reason"]].itertuples(index=False)]


# --- the Population's layout -------------------------------------------------------------------------


def test_the_column_lists_are_the_populations() -> None:
    pop = Population.from_claims(_claims())
    assert tuple(pop.insured.columns) == INSURED_COLUMNS
    assert tuple(pop.claims.columns) == CLAIM_COLUMNS
    assert tuple(pop.encounters.columns) == ENCOUNTER_COLUMNS
    assert tuple(pop.fee_lines.columns) == FEE_LINE_COLUMNS


def test_importing_the_library_does_not_import_pandas() -> None:
    code = "import huiminbao_rules, huiminbao_rules.cli, sys; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- round trips --------------------------------------------------------------------------------------


def test_jsonl_round_trip(tmp_path: Path) -> None:
    dicts = _example_dicts()
    path = _jsonl(tmp_path / "claims.jsonl", [json.dumps(d, ensure_ascii=False) for d in dicts])
    loaded = load_jsonl(path)
    assert loaded.counts == {"read": len(dicts), "loaded": len(dicts), "rejected": 0, "unattributed_rows": 0}
    assert loaded.rejected.empty and list(loaded.rejected.columns) == list(REJECTED_COLUMNS)
    assert _dump(loaded.population.to_claims()) == _dump(_claims())
    expected = Population.from_claims(_claims())
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded.population, name), getattr(expected, name))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "frames"])
def test_tables_round_trip(tmp_path: Path, fmt: str) -> None:
    claims = _claims()
    pop = Population.from_claims(claims)
    tables = yuan_tables(pop)
    assert tables["encounters"]["medfee_sumamt"].iloc[0] == "300000.00"  # yuan text, not fen
    inputs: dict[str, Any] = tables if fmt == "frames" else _write(tables, tmp_path, fmt)
    loaded = load_tables(inputs["encounters"], inputs["fee_lines"], inputs["claims"], inputs["insured"])
    assert loaded.rejected.empty, loaded.rejected.to_string()
    assert loaded.counts == {"read": len(claims), "loaded": len(claims), "rejected": 0, "unattributed_rows": 0}
    assert loaded.ignored_columns == {}
    assert _dump(loaded.population.to_claims()) == _dump(claims)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded.population, name), getattr(pop, name))


def test_polars_frames_in_polars_results_out() -> None:
    """The tables given as Polars frames load the same population, and its results come back
    as a Polars frame holding the same rows as the pandas result, whichever engine runs."""
    pl = pytest.importorskip("polars")  # the test extra has it; users who pass Polars frames have it
    claims = _claims()
    tables = yuan_tables(Population.from_claims(claims))
    frames = {name: pl.from_pandas(tables[name]) for name in TABLES}
    loaded = load_tables(frames["encounters"], frames["fee_lines"], frames["claims"], frames["insured"])
    assert loaded.rejected.empty and loaded.population.frames == "polars"
    assert _dump(loaded.population.to_claims()) == _dump(claims)
    as_pandas = load_tables(tables["encounters"], tables["fee_lines"], tables["claims"], tables["insured"])
    assert as_pandas.population.frames == "pandas"
    product = get_product("shenzhen-2023")
    for engine in ("batch", "reference"):
        want = adjudicate_population(as_pandas.population, product, engine, "non-member")
        got = adjudicate_population(loaded.population, product, engine, "non-member")
        assert isinstance(got, pl.DataFrame) and isinstance(want, pd.DataFrame)
        assert got.columns == list(want.columns)
        pd.testing.assert_frame_equal(got.to_pandas(), want, check_dtype=False)
        assert int(got["payable"].sum()) == int(want["payable"].sum()) > 0


def test_insured_columns_on_the_claims_table_and_everything_on_the_encounter_rows(tmp_path: Path) -> None:
    claims = _claims()
    t = yuan_tables(Population.from_claims(claims))
    with_insured = t["claims"].merge(t["insured"], on="insured_id", how="left")
    paths = _write({"encounters": t["encounters"], "fee_lines": t["fee_lines"], "claims": with_insured},
                   tmp_path, "csv")
    loaded = load_tables(paths["encounters"], paths["fee_lines"], paths["claims"])
    assert loaded.rejected.empty, loaded.rejected.to_string()
    assert _dump(loaded.population.to_claims()) == _dump(claims)

    flat = t["encounters"].merge(with_insured, on="claim_id", how="left")
    loaded = load_tables(flat, t["fee_lines"])
    assert loaded.rejected.empty, loaded.rejected.to_string()
    assert _dump(loaded.population.to_claims()) == _dump(claims)

    # Claim-level columns repeated on encounter rows must agree.
    flat.loc[(flat["claim_id"] == "MY22-0001") & (flat["encounter_id"] == "E2"), "other_insurance_paid"] = "5.00"
    loaded = load_tables(flat, t["fee_lines"])
    assert loaded.counts["rejected"] == 1
    [(source, row, column, reason)] = _rejected(loaded, "MY22-0001")
    assert (source, column) == ("encounters", "other_insurance_paid") and "differs from row" in reason
    assert flat.iloc[row - 1]["encounter_id"] == "E2"


def test_parquet_decimal_and_float_amounts(tmp_path: Path) -> None:
    claims = _claims()
    t = yuan_tables(Population.from_claims(claims))

    def write(frame: pd.DataFrame, name: str, money: tuple[str, ...], kind: Any) -> Path:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for c in money:
            values = [Decimal(v) for v in frame[c]]
            array = pa.array([float(v) for v in values], pa.float64()) if kind == "float" else pa.array(values, kind)
            table = table.set_column(table.column_names.index(c), c, array)
        path = tmp_path / f"{name}-{kind}.parquet"
        pq.write_table(table, path)
        return path

    for kind in (pa.decimal128(18, 2), pa.decimal128(20, 4), "float"):
        loaded = load_tables(write(t["encounters"], "encounters", ENCOUNTER_MONEY, kind),
                             write(t["fee_lines"], "fee_lines", LINE_MONEY, kind),
                             t["claims"], t["insured"])
        assert loaded.rejected.empty, (kind, loaded.rejected.to_string())
        assert _dump(loaded.population.to_claims()) == _dump(claims)

    # A binary float with more than two decimals cannot be taken exactly: its claim is rejected.
    lines = t["fee_lines"].copy()
    row = lines.index[(lines["claim_id"] == "SZ23-0001-1") & (lines["line_no"] == 1)][0]
    path = write(lines, "fee_lines", LINE_MONEY, "float")
    table = pq.read_table(path)
    column = table.column("det_item_fee_sumamt").to_pylist()
    column[row] = 40000.005  # not 40000.00 exactly
    table = table.set_column(table.column_names.index("det_item_fee_sumamt"), "det_item_fee_sumamt",
                             pa.array(column, pa.float64()))
    pq.write_table(table, path)
    loaded = load_tables(t["encounters"], path, t["claims"], t["insured"])
    assert loaded.counts == {"read": 12, "loaded": 11, "rejected": 1, "unattributed_rows": 0}
    [(source, r, field, reason)] = _rejected(loaded, "SZ23-0001-1")
    assert (source, r, field) == (path.name, row + 1, "det_item_fee_sumamt")
    assert "binary float" in reason and "write the amount exactly" in reason


# --- rejected rows -------------------------------------------------------------------------------------


def _bad_tables(t: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    enc, lines = t["encounters"].copy(), t["fee_lines"].copy()

    def erow(cid: str, eid: str) -> int:
        return int(enc.index[(enc["claim_id"] == cid) & (enc["encounter_id"] == eid)][0])

    def lrow(cid: str, eid: str, n: int) -> int:
        return int(lines.index[(lines["claim_id"] == cid) & (lines["encounter_id"] == eid)
                               & (lines["line_no"] == n)][0])

    at = {
        "three_decimals": lrow("SZ23-0001-1", "E1", 1),
        "negative": erow("MY22-0001-1", "E1"),
        "missing": erow("WF22-0001-1", "E1"),
        "identity": erow("SZ23-0001-2", "E1"),
        "reconcile": erow("MY22-0001-2", "E1"),
        "unknown_encounter": lrow("WF22-0001-2", "E1", 2),
    }
    lines.loc[at["three_decimals"], "det_item_fee_sumamt"] = "40000.005"
    enc.loc[at["negative"], "hifp_pay"] = "-180000.00"
    enc.loc[at["missing"], "preselfpay_amt"] = ""
    enc.loc[at["identity"], "medfee_sumamt"] = "207901.00"
    lines.loc[lrow("MY22-0001-2", "E1", 1), "det_item_fee_sumamt"] = "150001.00"
    lines.loc[at["unknown_encounter"], "encounter_id"] = "E9"
    ghost = lines.iloc[[0]].copy()
    ghost["claim_id"] = "GHOST-1"
    lines = pd.concat([lines, ghost], ignore_index=True)
    at["ghost"] = len(lines) - 1
    return {**t, "encounters": enc, "fee_lines": lines}, at


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bad_rows_reject_their_claims_and_the_others_load(tmp_path: Path, fmt: str) -> None:
    claims = _claims()
    bad, at = _bad_tables(yuan_tables(Population.from_claims(claims)))
    paths = _write(bad, tmp_path, fmt)
    loaded = load_tables(paths["encounters"], paths["fee_lines"], paths["claims"], paths["insured"])
    E, L = f"encounters.{fmt}", f"fee_lines.{fmt}"

    [p] = _rejected(loaded, "SZ23-0001-1")
    assert p[:3] == (L, at["three_decimals"] + 1, "det_item_fee_sumamt") and "more than two decimal places" in p[3]
    [p] = _rejected(loaded, "MY22-0001-1")
    assert p[:3] == (E, at["negative"] + 1, "hifp_pay") and "negative" in p[3]
    [p] = _rejected(loaded, "WF22-0001-1")
    assert p == (E, at["missing"] + 1, "preselfpay_amt", "required field is missing")
    [p] = _rejected(loaded, "SZ23-0001-2")
    assert p[:3] == (E, at["identity"] + 1, "medfee_sumamt") and p[3].startswith("medfee_split: ")
    [p] = _rejected(loaded, "MY22-0001-2")
    assert p[:3] == (E, at["reconcile"] + 1, "medfee_sumamt") and p[3].startswith("lines_reconcile: ")
    problems = _rejected(loaded, "WF22-0001-2")
    assert problems[0][:3] == (L, at["unknown_encounter"] + 1, "encounter_id") and "no encounter E9" in problems[0][3]
    # ... and without its line, E1 no longer reconciles with its settlement.
    assert any(f == "medfee_sumamt" and why.startswith("lines_reconcile") for _, _, f, why in problems[1:])
    [p] = _rejected(loaded, "GHOST-1")
    assert p[:3] == (L, at["ghost"] + 1, "claim_id") and "no claim GHOST-1" in p[3]

    rejected_ids = {"SZ23-0001-1", "MY22-0001-1", "WF22-0001-1", "SZ23-0001-2", "MY22-0001-2", "WF22-0001-2",
                    "GHOST-1"}
    assert loaded.counts == {"read": 13, "loaded": 6, "rejected": 7, "unattributed_rows": 0}
    assert set(loaded.rejected["claim_id"]) == rejected_ids
    loaded_ids = [c.claim_id for c in claims if c.claim_id not in rejected_ids]
    assert list(loaded.population.claims["claim_id"]) == loaded_ids
    assert _dump(loaded.population.to_claims()) == _dump(c for c in claims if c.claim_id in loaded_ids)

    # Every row is either in a loaded claim or listed as rejected.
    for name, source in (("encounters", E), ("fee_lines", L), ("claims", f"claims.{fmt}")):
        frame = bad[name]
        listed = {int(r) for s, r in loaded.rejected[["source", "row"]].itertuples(index=False)
                  if Path(s).name == source}
        kept = {i + 1 for i, cid in enumerate(frame["claim_id"]) if cid in loaded_ids}
        assert listed | kept == set(range(1, len(frame) + 1)) and not listed & kept, name


def test_key_problems(tmp_path: Path) -> None:
    t = yuan_tables(Population.from_claims(_claims()))
    enc = t["encounters"].copy()
    enc.loc[enc.index[-1], "claim_id"] = ""  # a row that names no claim
    claims = pd.concat([t["claims"], t["claims"].iloc[[0]]], ignore_index=True)  # a claim on two rows
    insured = t["insured"][t["insured"]["insured_id"] != "P-WF-0001"]  # a person missing
    loaded = load_tables(enc, t["fee_lines"], claims, insured)
    r = loaded.rejected
    assert loaded.counts["unattributed_rows"] == 1
    orphan = r[r["claim_id"].isna()]
    assert orphan[["source", "row", "field", "reason"]].values.tolist() == [
        ["encounters", len(enc), "claim_id", "required field is missing"]]
    assert (r[(r["claim_id"] == claims["claim_id"][0]) & (r["field"] == "claim_id")]["row"].tolist()
            == [len(claims)])
    wf = r[r["claim_id"].str.startswith("WF22", na=False) & (r["field"] == "insured_id")]
    assert len(wf) == 4 and wf["reason"].str.contains("no row for insured P-WF-0001").all()
    with pytest.raises(InputError, match="column 'encounter_id' is missing"):
        load_tables(t["encounters"].drop(columns=["encounter_id"]), t["fee_lines"], t["claims"], t["insured"])
    with pytest.raises(InputError, match="unknown file type"):
        load_tables(tmp_path / "encounters.xlsx", t["fee_lines"])


def test_claims_that_disagree_about_a_person_are_rejected() -> None:
    t = yuan_tables(Population.from_claims(_claims()))
    claims = t["claims"].merge(t["insured"], on="insured_id", how="left")
    claims["birth_date"] = claims["birth_date"].astype(str)
    claims.loc[claims["claim_id"] == "SZ23-0001-3", "birth_date"] = "1962-05-02"
    enc = t["encounters"].assign(hospital_ward="A")
    loaded = load_tables(enc, t["fee_lines"], claims)
    assert loaded.counts == {"read": 12, "loaded": 8, "rejected": 4, "unattributed_rows": 0}
    r = loaded.rejected
    assert set(r["claim_id"]) == {"SZ23-0001", "SZ23-0001-1", "SZ23-0001-2", "SZ23-0001-3"}
    own = r[r["reason"] != WITH_ITS_CLAIM]
    assert (own["source"] == "claims").all() and (own["field"] == "birth_date").all()
    assert own["reason"].str.contains("one record per person").all()
    assert loaded.ignored_columns == {"encounters": ["hospital_ward"]}


def test_bad_jsonl_lines(tmp_path: Path) -> None:
    dicts = _example_dicts()
    text = [json.dumps(d, ensure_ascii=False) for d in dicts]
    float3 = json.dumps(dicts[1]).replace('"det_item_fee_sumamt": "150000.00"', '"det_item_fee_sumamt": 150000.005')
    negative = json.loads(text[2])
    negative["encounters"][0]["settlement"]["hifp_pay"] = "-1.00"
    missing = json.loads(text[3])
    del missing["encounters"][0]["settlement"]["preselfpay_amt"]
    identity = json.loads(text[4])
    identity["encounters"][0]["settlement"]["psn_part_amt"] = "1.00"
    lines = [text[0], float3, json.dumps(negative), json.dumps(missing), json.dumps(identity),
             '{"claim_id": "X", "insured": ', "", "[1, 2]", *text[5:], text[6]]
    loaded = load_jsonl(_jsonl(tmp_path / "claims.jsonl", lines))
    rows = [tuple(x) for x in loaded.rejected.itertuples(index=False)]
    src = str(tmp_path / "claims.jsonl")
    ids = [d["claim_id"] for d in dicts]
    assert rows[0][:4] == (src, 2, ids[1], "encounters.0.fee_lines.0.det_item_fee_sumamt")
    assert "binary float" in rows[0][4]
    assert rows[1][:4] == (src, 3, ids[2], "encounters.0.settlement.hifp_pay") and "negative" in rows[1][4]
    assert rows[2] == (src, 4, ids[3], "encounters.0.settlement.preselfpay_amt", "required field is missing")
    assert rows[3][:4] == (src, 5, ids[4], "encounters.0.settlement.psn_part_amt")
    assert rows[3][4].startswith("personal_share: ")
    assert rows[4][:2] == (src, 6) and pd.isna(rows[4][2]) and rows[4][3] == ""
    assert rows[4][4].startswith("not valid JSON")
    assert rows[5][:2] == (src, 8) and rows[5][3:] == ("", "expected a JSON object, got list")
    # ids[6] is on two lines: both rejected.
    dup = [x for x in rows[6:] if x[2] == ids[6]]
    assert [x[1] for x in dup] == [9 + 1, len(lines)] and all(x[3] == "claim_id" for x in dup)
    assert len(rows) == 8
    assert loaded.counts == {"read": len(lines) - 1, "loaded": len(dicts) - 5, "rejected": 8, "unattributed_rows": 0}
    assert list(loaded.population.claims["claim_id"]) == [ids[0], ids[5], *ids[7:]]


# --- accounting and the progress bar ---------------------------------------------------------------------


def test_claims_in_are_paid_denied_or_rejected(tmp_path: Path) -> None:
    bad, _ = _bad_tables(yuan_tables(Population.from_claims(_claims())))
    paths = _write(bad, tmp_path, "csv")
    loaded = load_tables(paths["encounters"], paths["fee_lines"], paths["claims"], paths["insured"])
    results = adjudicate_population(loaded.population, get_product("shenzhen-2023"), engine="reference")
    counts = accounted(loaded, results)
    # Shenzhen 2023 pays the Shenzhen claims that loaded and nothing on the other cities' claims.
    assert counts == {"in": 13, "paid": 2, "denied": 4, "rejected": 7}
    with pytest.raises(AdjudicationError, match="missing: "):
        accounted(loaded, results.iloc[1:])
    with pytest.raises(AdjudicationError, match="listed twice"):
        accounted(loaded, pd.concat([results, results.iloc[[0]]]))


def test_nothing_loaded_is_an_empty_population(tmp_path: Path) -> None:
    loaded = load_jsonl(_jsonl(tmp_path / "c.jsonl", ["{}", "nope"]))
    assert loaded.counts == {"read": 2, "loaded": 0, "rejected": 2, "unattributed_rows": 0}
    assert len(loaded.population) == 0
    results = adjudicate_population(loaded.population, get_product("shenzhen-2023"), engine="reference")
    assert accounted(loaded, results) == {"in": 2, "paid": 0, "denied": 0, "rejected": 2}


def test_the_progress_bar_writes_to_stderr_only_when_asked(tmp_path: Path, capsys) -> None:
    path = _jsonl(tmp_path / "claims.jsonl", [json.dumps(d) for d in _example_dicts()])
    t = yuan_tables(Population.from_claims(_claims()))
    load_jsonl(path)
    load_tables(t["encounters"], t["fee_lines"], t["claims"], t["insured"])
    load_jsonl(path, progress=False)
    assert capsys.readouterr() == ("", "")  # not a terminal, small input: silent
    load_jsonl(path, progress=True)
    load_tables(t["encounters"], t["fee_lines"], t["claims"], t["insured"], progress=True)
    out, err = capsys.readouterr()
    assert out == "" and err.count("loading claims") >= 2


def test_every_problem_of_a_claim_is_listed_not_only_the_first(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    data["encounters"][0]["fee_lines"][0]["fulamt_ownpay_amt"] = "abc"
    data["encounters"][1]["settlement"]["hifp_pay"] = "1.00"  # public payers above inscp_scp_amt 0
    data["insured"]["history"][0]["paid"] = 0.5
    loaded = load_jsonl(_jsonl(tmp_path / "c.jsonl", [json.dumps(data)]))
    got = {(f, why.split(":")[0] if why.startswith("public") else why[:20])
           for f, why in loaded.rejected[["field", "reason"]].itertuples(index=False)}
    assert got == {("encounters.0.fee_lines.0.fulamt_ownpay_amt", "amount 'abc' is not "),
                   ("encounters.1.settlement.inscp_scp_amt", "public_within_scope"),
                   ("insured.history.0.paid", "amount was given as ")}

    t = yuan_tables(Population.from_claims([parse_claim((EXAMPLES / "shenzhen-2023-s1.json").read_text("utf-8"))]))
    insured = t["insured"].assign(history='[{"year": 2022, "enrolled": true, "paid": 0.5}]')
    enc = t["encounters"].copy()
    enc.loc[1, "hifp_pay"] = "1.00"
    loaded = load_tables(enc, t["fee_lines"], t["claims"], insured)
    problems = loaded.rejected[loaded.rejected["reason"] != WITH_ITS_CLAIM]
    assert sorted(map(tuple, problems[["source", "row", "field"]].values.tolist())) == [
        ("encounters", 2, "inscp_scp_amt"), ("insured", 1, "history")]
    history = problems[problems["field"] == "history"]["reason"].iloc[0]
    assert history.startswith("0.paid: amount was given as a binary float")
