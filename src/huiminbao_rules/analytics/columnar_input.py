"""What the columnar engine refuses in a population's tables before it computes anything:
the checks the claim format's models make on one claim (:mod:`huiminbao_rules.claims.models`),
made on whole columns. A column missing, of the wrong type, with a missing value where one
is required, out of range or breaking a settlement identity is refused with an
:class:`~huiminbao_rules.core.errors.InputError` naming the table, the column and the first
row at fault; nothing is converted or repaired. Optional columns (the claim format's
defaults) may be left out.

Every check over the fee lines is one vectorised pass per column (its cost is in
``docs/batch-engine.md``); the rest are per encounter, claim or person, or per distinct value.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numba
import numpy as np
import pandas as pd

from huiminbao_rules.analytics.population import (ENCOUNTER_IDS, ENCOUNTER_MONEY, LIMIT_FEN, LINE_MONEY, Population,
                                                 REQUIRED_COLUMNS, fen_column, flag_column, line_number_column,
                                                 row_name, table_error)
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.core.fields import FIRST_DAY, ID_MAX, LAST_DAY, check_id
from huiminbao_rules.core.vocabulary import PUBLIC_PAYERS

__all__ = ["check_claimed_once", "check_days", "check_id_texts", "check_line_amounts", "check_people",
           "checked_population", "day_numbers"]

NO_DAY = np.iinfo(np.int64).min // 2
"""A missing date among day numbers."""

_OPTIONAL: dict[str, dict[str, Any]] = {  # the claim format's defaults
    "insured": {"pre_existing": "", "groups": "", "history": "[]", "event_on": pd.NaT},
    "encounters": {"admitted_on": pd.NaT, "discharged_on": pd.NaT, "service_date": pd.NaT, "institution": "",
                   "diagnoses": "", "settled_through_basic": True, "overlmt_selfpay": 0,
                   **{f: 0 for f in PUBLIC_PAYERS}},
}
_KINDS = ("inpatient", "outpatient_special", "outpatient", "pharmacy")
_SCHEMES = ("employee", "resident")
_LEVELS = ("01", "02", "03")
_FEE_TYPE = re.compile(r"[0-9]{2}")
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Za-z+]{1,10})?")
_refuse, _row, _amounts, _booleans = table_error, row_name, fen_column, flag_column  # (population.py owns them)


def checked_population(population: Population) -> Population:
    """``population`` with every column the engine reads checked, optional columns left
    out filled with the claim format's defaults; :class:`InputError` at the first fault."""
    tables = {}
    for table in ("insured", "claims", "encounters", "fee_lines"):
        frame = getattr(population, table)
        missing = [c for c in REQUIRED_COLUMNS[table] if c not in frame]
        if missing:
            raise _refuse(table, ", ".join(missing), "required column is missing")
        defaults = {c: v for c, v in _OPTIONAL.get(table, {}).items() if c not in frame}
        tables[table] = frame.assign(**defaults) if defaults else frame
    lines, enc, claims = tables["fee_lines"], tables["encounters"], tables["claims"]
    for c in LINE_MONEY:  # their values: check_fee_lines (a pass over every line: columnar.check_population)
        _amounts(lines, "fee_lines", c, values=False, narrow=True)
    enc_fen = {c: _amounts(enc, "encounters", c) for c in ENCOUNTER_MONEY}
    _settlement(enc, enc_fen)
    _amounts(claims, "claims", "other_insurance_paid")
    line_number_column(lines)
    for column in ("med_list_codg", "name"):  # text, possibly empty, never missing
        _vocabulary(lines, "fee_lines", column, lambda v: True, "text (possibly empty)")
    for table, column in (("claims", "claim_id"), ("claims", "insured_id"), ("encounters", "encounter_id")):
        _ids(tables[table], table, column)
    _vocabulary(enc, "encounters", "kind", lambda v: v in _KINDS, "one of " + ", ".join(_KINDS))
    _vocabulary(lines, "fee_lines", "chrgitm_lv", lambda v: v in _LEVELS, "01, 02 or 03")
    _vocabulary(lines, "fee_lines", "med_chrgitm_type", lambda v: isinstance(v, str) and bool(_FEE_TYPE.fullmatch(v)),
                "two digits, like 09")
    _vocabulary(enc, "encounters", "diagnoses", _diagnoses, "ICD-10 codes like C34.9, joined by ;", missing_ok=True)
    _booleans(enc, "encounters", "settled_through_basic")
    return replace(population, **tables)


def _settlement(enc: pd.DataFrame, fen: dict[str, np.ndarray]) -> None:
    """Each encounter's settlement identities that read the settlement alone (medfee_split,
    public_within_scope of :mod:`huiminbao_rules.claims.identities`)."""
    parts = fen["fulamt_ownpay_amt"] + fen["overlmt_selfpay"] + fen["preselfpay_amt"] + fen["inscp_scp_amt"]
    bad = np.flatnonzero(parts != fen["medfee_sumamt"])
    if bad.size:
        raise _refuse("encounters", "medfee_sumamt", f"{_row(enc, int(bad[0]))}: medfee_split: medfee_sumamt must "
                      "equal fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt")
    public = sum(fen[f] for f in PUBLIC_PAYERS)
    bad = np.flatnonzero(public > fen["inscp_scp_amt"])
    if bad.size:
        raise _refuse("encounters", "inscp_scp_amt", f"{_row(enc, int(bad[0]))}: public_within_scope: the public "
                      "payers together paid more than the in-scope amount")


def check_claimed_once(enc: pd.DataFrame) -> None:
    """No claim lists the same settlement twice: its identity, the national ``setl_id``
    where given, else the ``mdtrt_id`` (:attr:`~huiminbao_rules.claims.models.Encounter.identity`;
    the fingerprint of an encounter without either is not computed here). Only the ids of
    claims with several encounters are read."""
    given = [c for c in ENCOUNTER_IDS if c in enc]
    if not given or not len(enc):
        return
    claim_ids = enc["claim_id"]
    claim = (np.asarray(claim_ids.array.codes) if isinstance(claim_ids.dtype, pd.CategoricalDtype)
             else pd.factorize(claim_ids)[0]).astype(np.int64)
    rows = np.flatnonzero(np.bincount(claim + 1)[claim + 1] > 1)
    if not len(rows):
        return
    ident = np.full(len(rows), -1, np.int64)
    offset = 0
    for c in reversed(given):  # setl_id last: it wins where both are given
        codes, uniques = pd.factorize(enc[c].iloc[rows])
        ident = np.where(codes >= 0, codes + offset, ident)
        offset += len(uniques)
    keep = ident >= 0
    key = pd.Index(claim[rows][keep] * offset + ident[keep])
    if not key.is_unique:
        i = int(rows[keep][np.flatnonzero(key.duplicated())[0]])
        raise _refuse("encounters", ", ".join(given), f"{_row(enc, i)}: the claim lists this settlement twice "
                      "(the same setl_id or mdtrt_id); an encounter is claimed once")


_PLAIN_ID = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$"
"""Printable ASCII without a space at either end: an id the claim format accepts as it is."""


def check_id_texts(distinct: Any, frame: pd.DataFrame, table: str, column: str) -> None:
    """Refuse a text id the claim format refuses (:func:`~huiminbao_rules.core.fields.check_id`:
    printable, no space at either end, at most ID_MAX characters), as the reference engine
    refuses it: " P1" and "P1" are not read as two people. ``distinct``: the column's
    distinct values as Arrow text (missing ones are refused elsewhere); Arrow picks out
    those that are not plain printable ASCII of an accepted length, and the claim format's
    own rule reads them."""
    import pyarrow.compute as pc

    plain = pc.and_(pc.match_substring_regex(distinct, _PLAIN_ID), pc.less_equal(pc.utf8_length(distinct), ID_MAX))
    for value in distinct.filter(pc.invert(plain)).to_pylist():  # a null's mask is null: left out
        try:
            check_id(value)
        except ValueError as exc:
            i = int(np.flatnonzero((frame[column] == value).to_numpy())[0])
            raise _refuse(table, column, f"{_row(frame, i)}: {exc}") from None


def _ids(frame: pd.DataFrame, table: str, column: str) -> None:
    """Ids are present and not empty."""
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        codes = np.asarray(col.array.codes)
        empty = (codes < 0) | (codes == cats.get_loc("")) if "" in cats else codes < 0
    else:
        empty = (col.isna() | (col.astype(str) == "") if col.dtype == object else col.isna() | (col == "")).to_numpy()
    if empty.any():
        raise _refuse(table, column, f"{_row(frame, int(np.flatnonzero(empty)[0]))}: an id is missing or empty")


def _vocabulary(frame: pd.DataFrame, table: str, column: str, known: Any, accepted: str,
                missing_ok: bool = False) -> None:
    """Every value of a text column is one ``known`` accepts (each distinct value checked
    once; a category no row uses is not read)."""
    col = frame[column]
    if accepted.startswith("text") and not isinstance(col.dtype, pd.CategoricalDtype):  # any text: missing only
        if col.hasnans:
            raise _refuse(table, column, f"{_row(frame, int(np.flatnonzero(col.isna().to_numpy())[0]))}: "
                          f"a value is missing; accepted: {accepted}")
        return
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(col.array.codes)
        has_missing = bool(len(codes)) and int(codes.min()) < 0
        present = list(col.cat.categories)
        if not all(known(v) for v in present):  # only then: which categories are used
            seen = np.zeros(len(present) + 1, np.bool_)
            seen[codes] = True
            present = [v for v, used in zip(present, seen) if used]
    else:
        uniques = pd.unique(col)
        has_missing = bool(pd.isna(uniques).any()) if len(uniques) else False
        present = [u for u in uniques if not pd.isna(u)]
    if has_missing and not missing_ok:
        raise _refuse(table, column, f"a value is missing; accepted: {accepted}")
    bad = [v for v in present if not known(v)]
    if bad:
        raise _refuse(table, column, f"{bad[0]!r} is not accepted; accepted: {accepted}")


def _codes(value: Any) -> bool:
    return isinstance(value, str) and all(_CODE.fullmatch(d) for d in value.split(";") if d)


def _diagnoses(value: Any) -> bool:
    return isinstance(value, str) and all(_ICD10.fullmatch(d) for d in value.split(";") if d)


_FIRST, _LAST = (int(np.datetime64(d, "D").astype(np.int64)) for d in (FIRST_DAY, LAST_DAY))


def _outside(days: np.ndarray) -> np.ndarray:
    return (days != NO_DAY) & ((days < _FIRST) | (days > _LAST))


def check_days(enc: pd.DataFrame, stay: np.ndarray, admitted: np.ndarray, discharged: np.ndarray,
               served: np.ndarray, born: np.ndarray) -> None:
    """A stay has its admission and discharge, discharge not before admission; every other
    encounter has its service date; no date outside the supported years, none before the
    person's birth (``born``, per encounter; days as int64, :data:`NO_DAY` where missing)."""
    starts = np.where(stay, admitted, served)
    years = f"the supported years are {FIRST_DAY.year}-{LAST_DAY.year}"
    for bad, column, message in (
            (_outside(admitted), "admitted_on", years), (_outside(discharged), "discharged_on", years),
            (_outside(served), "service_date", years),
            (stay & (admitted == NO_DAY), "admitted_on", "an inpatient encounter needs admitted_on"),
            (stay & (discharged == NO_DAY), "discharged_on", "an inpatient encounter needs discharged_on"),
            (stay & (discharged < admitted), "discharged_on", "discharged_on is before admitted_on"),
            (~stay & (served == NO_DAY), "service_date", "an encounter that is not a stay needs service_date"),
            (starts < born, "admitted_on, service_date", "the encounter starts before the insured's birth_date")):
        if bad.any():
            raise _refuse("encounters", column, f"{_row(enc, int(np.flatnonzero(bad)[0]))}: {message}")


def day_numbers(series: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970 (:data:`NO_DAY` where missing): a date with a time
    zone is the day as written there; a column that is not dates is refused."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    try:
        values = series.to_numpy(dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise InputError("population's tables", [Problem(str(series.name), f"not a date column: {exc}")]) from None
    out = values.astype(np.int64)
    out[np.isnat(values)] = NO_DAY
    return out


def check_people(ins: pd.DataFrame) -> None:
    """Every person with claims has a known scheme, a birth date and an enrolment date, not
    before birth."""
    _vocabulary(ins, "insured", "scheme", lambda v: v in _SCHEMES, "employee or resident")
    for column in ("pre_existing", "groups"):
        _vocabulary(ins, "insured", column, _codes, "identifiers (lower-case letters, digits and _) joined by ;",
                    missing_ok=True)
    born, enrolled = day_numbers(ins["birth_date"]), day_numbers(ins["enrolled_on"])
    years = f"the supported years are {FIRST_DAY.year}-{LAST_DAY.year}"
    for bad, column, message in ((_outside(born), "birth_date", years), (_outside(enrolled), "enrolled_on", years),(born == NO_DAY, "birth_date", "the birth date is missing"),
                                 (enrolled == NO_DAY, "enrolled_on", "the enrolment date is missing"),
                                 (enrolled < born, "enrolled_on", "enrolled_on is before birth_date")):
        if bad.any():
            raise _refuse("insured", column, f"{_row(ins, int(np.flatnonzero(bad)[0]))}: {message}")


_LINE_SUMS = (("medfee_sumamt", "det_item_fee_sumamt"), ("fulamt_ownpay_amt", "fulamt_ownpay_amt"),
              ("overlmt_selfpay", "overlmt_amt"), ("preselfpay_amt", "preselfpay_amt"))


def check_line_amounts(enc: pd.DataFrame, lines: pd.DataFrame, l_enc: np.ndarray,
                       amounts: tuple) -> None:  # type: ignore[type-arg]
    """In one compiled pass over the fee lines: each amount from 0 up to :data:`LIMIT_FEN`,
    a line's self-paid parts not above its total, and (lines_reconcile) each encounter's
    settlement amounts the sums of its lines' (the in-scope amount follows, by the
    identities already checked). ``amounts``: the lines' det, ful, over, pre in fen;
    ``l_enc``: each line's encounter."""
    sums = np.zeros((4, len(enc)), np.int64)
    bad, what = _line_pass(l_enc, *amounts, LIMIT_FEN, sums)
    if bad >= 0:
        names = ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt")
        if what < 4:
            raise _refuse("fee_lines", names[what], f"{_row(lines, bad)}: amount {int(amounts[what][bad])} fen; "
                          f"amounts are integer fen from 0 to {LIMIT_FEN - 1}")
        raise _refuse("fee_lines", "fulamt_ownpay_amt, overlmt_amt, preselfpay_amt",
                      f"{_row(lines, bad)}: the self-paid parts exceed det_item_fee_sumamt")
    for k, (settled, line) in enumerate(_LINE_SUMS):
        declared = enc[settled].to_numpy(np.int64)
        differ = np.flatnonzero(sums[k] != declared)
        if differ.size:
            i = int(differ[0])
            raise _refuse("encounters", settled, f"{_row(enc, i)}: lines_reconcile: {settled} {int(declared[i])} fen "
                          f"differs from the sum of its fee lines' {line} {int(sums[k, i])} fen")


@numba.njit(cache=True)
def _line_pass(l_enc, det, ful, over, pre, limit, sums):  # pragma: no cover - compiled
    """The first line at fault and what (0-3: that amount out of range; 4: self-paid above
    the total), or (-1, -1); the per-encounter sums of the four amounts (each below
    ``limit``: no overflow before 900 lines at the limit)."""
    for i in range(l_enc.shape[0]):
        d, f, o, p = det[i], ful[i], over[i], pre[i]
        if not 0 <= d < limit:
            return i, 0
        if not 0 <= f < limit:
            return i, 1
        if not 0 <= o < limit:
            return i, 2
        if not 0 <= p < limit:
            return i, 3
        if f + o + p > d:
            return i, 4
        e = l_enc[i]
        sums[0, e] += d
        sums[1, e] += f
        sums[2, e] += o
        sums[3, e] += p
    return -1, -1
