"""Claims as columns: a city-year of claims as four pandas tables, money in integer fen.

Needs the ``scenarios`` extra (numpy, pandas). The tables, and the national settlement
names they keep (see ``docs/scenarios.md``):

- ``insured``: one row per person: ``insured_id``, ``birth_date``, ``scheme``,
  ``enrolled_on``, ``pre_existing`` and ``groups`` (``;``-joined ids), ``history`` (JSON);
- ``claims``: ``claim_id``, ``insured_id``, ``other_insurance_paid``;
- ``encounters``: ``claim_id``, ``encounter_id``, ``kind``, ``admitted_on``,
  ``discharged_on``, ``service_date``, ``institution``, ``diagnoses`` (``;``-joined),
  ``settled_through_basic``, the settlement amounts, and ``setl_id`` and ``mdtrt_id`` (None
  where the claim has none: they identify the encounter);
- ``fee_lines``: ``claim_id``, ``encounter_id``, ``line_no``, ``med_list_codg``, ``name``,
  ``chrgitm_lv``, ``med_chrgitm_type``, and the line amounts.

Money columns are ``int64`` fen: exact, and fast to add. :meth:`Population.to_claims`
turns rows back into validated :class:`~huiminbao_rules.claims.models.Claim` objects, so every
claim of a population is exactly what the reference engine would be given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from huiminbao_rules.claims.models import Claim, problems_from_validation
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.core.money import exact, format_yuan, from_fen, to_fen
from huiminbao_rules.core.vocabulary import PUBLIC_PAYERS

__all__ = ["ENCOUNTER_IDS", "ENCOUNTER_MONEY", "LIMIT_FEN", "LINE_MONEY", "REQUIRED_COLUMNS", "Population", "arrow_text",
           "fen_column", "fen_type", "flag_column", "line_number_column", "row_name", "table_error"]

ENCOUNTER_MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                   *PUBLIC_PAYERS)
LINE_MONEY = ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt")
ENCOUNTER_IDS = ("setl_id", "mdtrt_id")
"""The national settlement and encounter ids, kept when a claim has them (they identify the
encounter: ``docs/claim-format.md#encounter-identity``)."""


REQUIRED_COLUMNS = {
    "insured": ("insured_id", "birth_date", "scheme", "enrolled_on"),
    "claims": ("claim_id", "insured_id", "other_insurance_paid"),
    "encounters": ("claim_id", "encounter_id", "kind", "medfee_sumamt", "fulamt_ownpay_amt", "preselfpay_amt",
                   "inscp_scp_amt"),
    "fee_lines": ("claim_id", "encounter_id", "line_no", "med_list_codg", "name", "chrgitm_lv", "med_chrgitm_type",
                  *LINE_MONEY),
}
"""The columns each table must have (the others have the claim format's defaults)."""


LIMIT_FEN = 10**16
"""Amounts are below 10**14 yuan (the national format's 14 digits before the point)."""


def table_error(table: str, column: str, message: str) -> InputError:
    """The error for a fault in ``column`` of one of a population's tables."""
    return InputError(f"population's {table} table", [Problem(column, message)])


def row_name(frame: pd.DataFrame, i: int) -> str:
    """Row ``i`` of a table, named by its ids."""
    ids = [f"{c} {frame[c].iloc[i]}" for c in ("insured_id", "claim_id", "encounter_id", "line_no") if c in frame]
    return f"row {i} ({', '.join(ids[:3])})"


def fen_type(frame: pd.DataFrame, table: str, column: str) -> None:
    """Refuse an amount column whose type cannot hold integer fen (binary floats, text,
    decimals, booleans) or that has a missing value; nothing is converted."""
    col = frame[column]
    dtype = col.dtype
    if dtype == object and pd.api.types.infer_dtype(col, skipna=False) == "integer":
        return
    what = f"amounts are integer fen from 0 to {LIMIT_FEN - 1}"
    if not pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise table_error(table, column, f"{what}, not {dtype} (binary floats, text and decimals are not read)")
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and col.hasnans:  # numpy integers have none
        raise table_error(table, column,
                          f"{row_name(frame, int(np.flatnonzero(col.isna())[0]))}: the amount is missing; {what}")


def fen_column(frame: pd.DataFrame, table: str, column: str, values: bool = True,
               narrow: bool = False) -> np.ndarray:
    """An amount column as int64 fen, refused unless it is integers (no binary floats, no
    text, nothing missing) from 0 up to :data:`LIMIT_FEN` (with ``values``: one pass over
    them). With ``narrow``, an int32 column is returned as it is, not copied to int64."""
    fen_type(frame, table, column)
    col = frame[column]
    dtype = col.dtype
    what = f"amounts are integer fen from 0 to {LIMIT_FEN - 1}"
    if narrow and dtype == np.int32:
        narrow_array = col.to_numpy()
        if values and (narrow_array < 0).any():
            i = int(np.flatnonzero(narrow_array < 0)[0])
            raise table_error(table, column, f"{row_name(frame, i)}: amount {int(narrow_array[i])} fen; {what}")
        return narrow_array
    if dtype == object:
        try:
            array = col.to_numpy(np.int64)
        except OverflowError:
            raise table_error(table, column, f"an amount is too large: {what}") from None
    else:
        array = col.to_numpy(np.uint64 if dtype == np.uint64 else np.int64)
    if array.dtype == np.uint64:
        if array.max(initial=0) >= LIMIT_FEN:
            raise table_error(table, column, f"{row_name(frame, int(np.argmax(array)))}: amount too large; {what}")
        return array.astype(np.int64)
    array = array.astype(np.int64, copy=False)
    # negative amounts read as unsigned are beyond the limit: one pass finds both
    if values and array.view(np.uint64).max(initial=0) >= LIMIT_FEN:
        i = int(np.flatnonzero((array < 0) | (array >= LIMIT_FEN))[0])
        raise table_error(table, column, f"{row_name(frame, i)}: amount {int(array[i])} fen; {what}")
    return array


def flag_column(frame: pd.DataFrame, table: str, column: str) -> None:
    """A yes/no column holds booleans, none missing (text such as "False" is not read)."""
    col = frame[column]
    if col.dtype == bool or (pd.api.types.is_bool_dtype(col.dtype) and not col.hasnans):
        return
    if col.dtype == object and pd.api.types.infer_dtype(col, skipna=False) == "boolean":
        return
    raise table_error(table, column, f"true or false for every row, none missing (got {col.dtype} "
                      f"{pd.api.types.infer_dtype(col, skipna=False)})")


def line_number_column(lines: pd.DataFrame) -> None:
    """Fee lines' numbers are numbers, none missing (text is not read as one)."""
    line_no = lines["line_no"]
    numbers = pd.api.types.is_numeric_dtype(line_no.dtype) and not pd.api.types.is_bool_dtype(line_no.dtype)
    if not numbers or ((line_no.dtype.kind == "f" or isinstance(line_no.dtype, pd.api.extensions.ExtensionDtype))
                       and line_no.hasnans):  # numpy integers have no missing value: no pass
        raise table_error("fee_lines", "line_no", f"line numbers are numbers, none missing (got {line_no.dtype})")


def _history(person: dict[str, Any]) -> Any:
    """A person's history column (JSON text) as data, none where it is missing (the claim
    format's default, as the columnar engine reads it); refused where it is not JSON."""
    text = person.get("history")
    if text is None or (not isinstance(text, str) and pd.isna(text)) or text == "":
        text = "[]"
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise table_error("insured", "history", f"person {person['insured_id']}: {str(text)[:60]!r} is not JSON "
                          f"({exc})") from None


def arrow_text(series: pd.Series, pa: Any) -> Any:
    """A text column as one Arrow large_string array (no copy where it is Arrow-backed;
    decoded where it is categorical), for Arrow's hashing and sorting of ids; TypeError
    where its values are not all text. ``pa``: the pyarrow module, imported by the caller."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = arrow_text(pd.Series(series.cat.categories), pa)
        codes = np.asarray(series.array.codes)  # not copied
        return cats.take(pa.array(codes, mask=codes < 0))
    arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type == pa.string():
        arr = arr.cast(pa.large_string())
    if arr.type != pa.large_string():
        raise TypeError("not text")
    return arr


def _yuan_text(fen: Any) -> str:
    """Fen (an integer of any integer type) as the yuan text of a claim file."""
    return format_yuan(from_fen(fen))


def _day(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, date)):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    return str(value)[:10]


@dataclass
class Population:
    """Many people's claims as four tables (see the module docstring)."""

    insured: pd.DataFrame
    claims: pd.DataFrame
    encounters: pd.DataFrame
    fee_lines: pd.DataFrame
    frames: Literal["pandas", "polars"] = "pandas"
    """The kind of frames the tables were given as: results computed from the population
    come back in the same kind (the tables themselves are pandas)."""

    def __len__(self) -> int:
        return len(self.claims)

    @classmethod
    @exact
    def from_claims(cls, claims: Iterable[Claim]) -> Population:
        """Tables from validated claims (the insured table keeps each person's first record)."""
        people: dict[str, dict[str, Any]] = {}
        rows_c, rows_e, rows_l = [], [], []
        for c in claims:
            p = c.insured
            people.setdefault(p.id, {
                "insured_id": p.id, "birth_date": p.birth_date, "scheme": p.scheme, "enrolled_on": p.enrolled_on,
                "pre_existing": ";".join(p.pre_existing), "groups": ";".join(p.groups),
                "history": json.dumps([h.model_dump(mode="json") for h in p.history]),
                "event_on": p.event_on,
            })
            rows_c.append({"claim_id": c.claim_id, "insured_id": p.id,
                           "other_insurance_paid": to_fen(c.other_insurance_paid)})
            for e in c.encounters:
                row = {"claim_id": c.claim_id, "encounter_id": e.id, "kind": e.kind, "admitted_on": e.admitted_on,
                       "discharged_on": e.discharged_on, "service_date": e.service_date, "institution": e.institution,
                       "diagnoses": ";".join(e.diagnoses), "settled_through_basic": e.settled_through_basic}
                for f in ENCOUNTER_MONEY:
                    row[f] = to_fen(getattr(e.settlement, f))
                for f in ENCOUNTER_IDS:
                    row[f] = getattr(e.settlement, f)
                rows_e.append(row)
                for n, line in enumerate(e.fee_lines, 1):
                    lrow = {"claim_id": c.claim_id, "encounter_id": e.id, "line_no": n,
                            "med_list_codg": line.med_list_codg, "name": line.name, "chrgitm_lv": line.chrgitm_lv,
                            "med_chrgitm_type": line.med_chrgitm_type}
                    for f in LINE_MONEY:
                        lrow[f] = to_fen(getattr(line, f))
                    rows_l.append(lrow)
        return cls(
            insured=_frame(list(people.values()), ["birth_date", "enrolled_on", "event_on"]),
            claims=_frame(rows_c, []),
            encounters=_frame(rows_e, ["admitted_on", "discharged_on", "service_date"]),
            fee_lines=_frame(rows_l, []),
        )

    def to_claims(self) -> Iterator[Claim]:
        """Every claim as a validated :class:`Claim` (settlement identities checked);
        :class:`InputError` naming the claim where one is not valid."""
        for data in self.claim_dicts():
            try:
                yield Claim.model_validate(data)
            except ValidationError as exc:
                raise InputError(f"population's claim {data['claim_id']}", problems_from_validation(exc)) from None

    def claim_dicts(self) -> Iterator[dict[str, Any]]:
        """Every claim in the interchange format (amounts as strings). Refused, naming the
        table, column and row, where the tables hold what the format cannot say exactly:
        amounts that are not integer fen (binary floats, decimals, text, missing), yes/no
        flags that are not booleans, line numbers that are not numbers, a fee line of an
        encounter the encounters table does not have, a claim of a person the insured table
        does not have."""
        self._check_tables()
        people = {r["insured_id"]: r for r in self.insured.to_dict("records")}
        lines: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self.fee_lines.sort_values(["claim_id", "encounter_id", "line_no"]).to_dict("records"):
            line = {k: r[k] for k in ("med_list_codg", "name", "chrgitm_lv", "med_chrgitm_type")}
            for f in LINE_MONEY:
                line[f] = _yuan_text(r[f])
            lines.setdefault((r["claim_id"], r["encounter_id"]), []).append(line)
        encs: dict[str, list[dict[str, Any]]] = {}
        for r in self.encounters.to_dict("records"):
            e: dict[str, Any] = {"id": r["encounter_id"], "kind": r["kind"], "institution": r.get("institution") or "",
                                 "diagnoses": [d for d in str(r.get("diagnoses") or "").split(";") if d],
                                 "settled_through_basic": bool(r.get("settled_through_basic", True)),
                                 "settlement": {f: _yuan_text(r[f]) for f in ENCOUNTER_MONEY if f in r},
                                 "fee_lines": lines.get((r["claim_id"], r["encounter_id"]), [])}
            for k in ("admitted_on", "discharged_on", "service_date"):
                if (v := _day(r.get(k))) is not None:
                    e[k] = v
            for k in ENCOUNTER_IDS:
                if isinstance(v := r.get(k), str):
                    e["settlement"][k] = v
            encs.setdefault(r["claim_id"], []).append(e)
        unclaimed = set(lines) - {(c, e["id"]) for c, es in encs.items() for e in es}
        if unclaimed:
            claim_id, encounter_id = sorted(unclaimed, key=str)[0]
            raise table_error("fee_lines", "encounter_id", f"claim {claim_id} encounter {encounter_id}: fee lines of an "
                              "encounter the encounters table does not have")
        for r in self.claims.to_dict("records"):
            if r["insured_id"] not in people:
                raise table_error("claims", "insured_id", f"claim {r['claim_id']}: person {r['insured_id']} is not in "
                                  "the insured table")
            p = people[r["insured_id"]]
            insured = {"id": p["insured_id"], "birth_date": _day(p["birth_date"]), "scheme": p["scheme"],
                       "enrolled_on": _day(p["enrolled_on"]),
                       "pre_existing": [x for x in str(p.get("pre_existing") or "").split(";") if x],
                       "groups": [x for x in str(p.get("groups") or "").split(";") if x],
                       "history": _history(p)}
            if (ev := _day(p.get("event_on"))) is not None:
                insured["event_on"] = ev
            yield {"claim_id": r["claim_id"], "insured": insured, "encounters": encs.get(r["claim_id"], []),
                   "other_insurance_paid": _yuan_text(r["other_insurance_paid"])}

    def _check_tables(self) -> None:
        """The columns :meth:`claim_dicts` would otherwise read loosely (see there)."""
        for table, required in REQUIRED_COLUMNS.items():
            missing = [c for c in required if c not in getattr(self, table)]
            if missing:
                raise table_error(table, ", ".join(missing), "required column is missing")
        for table, columns in (("fee_lines", LINE_MONEY), ("encounters", ENCOUNTER_MONEY),
                               ("claims", ("other_insurance_paid",))):
            frame = getattr(self, table)
            for column in columns:
                if column in frame:  # a missing one: the claim format says whether it may be
                    fen_column(frame, table, column)
        if "settled_through_basic" in self.encounters:
            flag_column(self.encounters, "encounters", "settled_through_basic")
        if "line_no" in self.fee_lines:
            line_number_column(self.fee_lines)

    def subset(self, insured_ids: Iterable[str]) -> Population:
        """The people named (all their claims)."""
        ids = set(insured_ids)
        claims = self.claims[self.claims["insured_id"].isin(ids)]
        keep = set(claims["claim_id"])
        return Population(
            insured=self.insured[self.insured["insured_id"].isin(ids)].reset_index(drop=True),
            claims=claims.reset_index(drop=True),
            encounters=self.encounters[self.encounters["claim_id"].isin(keep)].reset_index(drop=True),
            fee_lines=self.fee_lines[self.fee_lines["claim_id"].isin(keep)].reset_index(drop=True),
            frames=self.frames,
        )


def _frame(rows: list[dict[str, Any]], dates: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in dates:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame
