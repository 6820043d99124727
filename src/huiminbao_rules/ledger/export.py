"""A ledger's live claims and their current results, written in the loaders' formats
(``docs/loading.md``) so that a what-if run can replay real history.

- ``jsonl``: ``PATH`` holds one claim per line (what :func:`~huiminbao_rules.analytics.loaders.load_jsonl`
  reads); ``PATH`` with ``.results.jsonl`` in place of its suffix holds one result per line.
- ``parquet``: ``PATH`` is a directory holding ``encounters.parquet``,
  ``fee_lines.parquet`` and ``claims.parquet`` (what
  :func:`~huiminbao_rules.analytics.loaders.load_tables` reads, the insured columns on the claims
  table, amounts as yuan text) and ``results.parquet``.

Reversed claims are not exported: the export is the history that counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from huiminbao_rules.core.inputs import NOT_A_FILE_NAME
from huiminbao_rules.ledger.backends import _encodable
from huiminbao_rules.ledger.core import Ledger
from huiminbao_rules.ledger.errors import LedgerError

__all__ = ["FORMATS", "export", "results_path"]

FORMATS = ("jsonl", "parquet")

RESULT_COLUMNS = ("claim_id", "insured_id", "product_id", "product_hash", "policy_year", "service_on", "version",
                  "library_version", "payable", "result_json")


def results_path(out: str | Path) -> Path:
    """Where the JSONL export writes the results next to the claims file ``out``."""
    p = Path(out)
    return p.with_name(f"{p.stem if p.suffix else p.name}.results.jsonl")


def _rows(ledger: Ledger, product_id: str | None) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for pid, claim, stored in ledger.live_claims(product_id):
        out.append((pid, claim.model_dump(mode="json"), stored))
    return out


def _result_row(pid: str, data: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    result = stored["result"]
    return {"claim_id": data["claim_id"], "insured_id": data["insured"]["id"], "product_id": pid,
            "product_hash": stored["product_hash"], "policy_year": result["policy_year"],
            "service_on": result["service_on"], "version": stored["version"],
            "library_version": stored["library_version"], "payable": result["payable"]}


def export(ledger: Ledger, fmt: str, out: str | Path, *, product_id: str | None = None) -> dict[str, Any]:
    """Write the live claims and results; return ``{"claims": n, "files": [...]}``."""
    if fmt not in FORMATS:
        raise LedgerError(f"export format {fmt!r}; accepted: {', '.join(FORMATS)}")
    rows = _rows(ledger, product_id)
    if not str(out).strip():
        raise LedgerError("export needs a file or directory to write (--out PATH); got an empty path")
    if "\x00" in str(out) or not _encodable(str(out)):
        raise LedgerError(f"{out}: cannot write the export: {NOT_A_FILE_NAME}")
    out = Path(out)
    if fmt == "jsonl":
        res = results_path(out)
        try:
            with out.open("w", encoding="utf-8") as f:
                for _, data, _ in rows:
                    f.write(json.dumps(data, ensure_ascii=False) + "\n")
            with res.open("w", encoding="utf-8") as f:
                for pid, data, stored in rows:
                    f.write(json.dumps({**_result_row(pid, data, stored), "result": stored["result"]},
                                       ensure_ascii=False) + "\n")
        except OSError as exc:
            raise LedgerError(f"{exc.filename or out}: cannot write the export: {exc.strerror}") from None
        return {"claims": len(rows), "files": [str(out), str(res)]}
    return _parquet(rows, out)


def _parquet(rows: list[tuple[str, dict[str, Any], dict[str, Any]]], out: Path) -> dict[str, Any]:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - the scenarios extra
        raise LedgerError("a Parquet export needs pandas and pyarrow: pip install 'huiminbao_rules[scenarios]'") from None
    from huiminbao_rules.analytics.loaders import CLAIM_COLUMNS, ENCOUNTER_COLUMNS, FEE_LINE_COLUMNS, INSURED_COLUMNS

    encounters, lines, claims, results = [], [], [], []
    for pid, data, stored in rows:
        ins = data["insured"]
        claims.append({
            "claim_id": data["claim_id"], "insured_id": ins["id"], "other_insurance_paid": data["other_insurance_paid"],
            "birth_date": ins["birth_date"], "scheme": ins["scheme"], "enrolled_on": ins["enrolled_on"],
            "pre_existing": ";".join(ins["pre_existing"]), "groups": ";".join(ins["groups"]),
            "history": json.dumps(ins["history"], ensure_ascii=False), "event_on": ins["event_on"] or "",
        })
        for enc in data["encounters"]:
            s = enc["settlement"]
            row = {"claim_id": data["claim_id"], "encounter_id": enc["id"], "kind": enc["kind"],
                   "admitted_on": enc["admitted_on"] or "", "discharged_on": enc["discharged_on"] or "",
                   "service_date": enc["service_date"] or "", "institution": enc["institution"],
                   "diagnoses": ";".join(enc["diagnoses"]),
                   "settled_through_basic": "true" if enc["settled_through_basic"] else "false"}
            for col in ENCOUNTER_COLUMNS[len(row):]:
                row[col] = s[col]
            row["psn_part_amt"] = s["psn_part_amt"] or ""
            encounters.append(row)
            for n, line in enumerate(enc["fee_lines"], 1):
                lines.append({"claim_id": data["claim_id"], "encounter_id": enc["id"], "line_no": str(n),
                              **{c: line[c] for c in FEE_LINE_COLUMNS[3:]},
                              "inscp_scp_amt": line["inscp_scp_amt"], "feedetl_sn": line["feedetl_sn"] or ""})
        results.append({**_result_row(pid, data, stored), "result_json": json.dumps(stored["result"], ensure_ascii=False)})

    def frame(records: list[dict[str, Any]], columns: tuple[str, ...]) -> Any:
        return pd.DataFrame(records, columns=list(columns)).astype(str) if records else pd.DataFrame(
            {c: pd.Series(dtype=str) for c in columns})

    claim_columns = (*CLAIM_COLUMNS, *INSURED_COLUMNS[1:])
    tables = {
        "encounters": frame(encounters, (*ENCOUNTER_COLUMNS, "psn_part_amt")),
        "fee_lines": frame(lines, (*FEE_LINE_COLUMNS, "inscp_scp_amt", "feedetl_sn")),
        "claims": frame(claims, claim_columns),
        "results": frame(results, RESULT_COLUMNS),
    }
    files = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            path = out / f"{name}.parquet"
            df.to_parquet(path, index=False)
            files.append(str(path))
    except OSError as exc:
        raise LedgerError(f"{exc.filename or out}: cannot write the export: {exc.strerror}") from None
    return {"claims": len(rows), "files": files}
