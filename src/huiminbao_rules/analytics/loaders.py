"""Loading real data into a :class:`~huiminbao_rules.analytics.population.Population`, with every
rejected row reported and no claim silently dropped.

Needs the ``scenarios`` extra (pandas; pyarrow for Parquet; tqdm for the progress bar).
See ``docs/loading.md`` for the formats and the report.

- :func:`load_jsonl`: one claim per line, in the interchange format of
  ``docs/claim-format.md``;
- :func:`load_tables`: the four tables of :mod:`~huiminbao_rules.analytics.population` (national
  column names, amounts in yuan) from CSV or Parquet files or DataFrames;
- :func:`accounted`: after adjudication, claims in = paid + denied + rejected;
- :func:`yuan_tables`: a population's tables with amounts as yuan text, ready to write.

Every claim is validated by :func:`~huiminbao_rules.claims.models.parse_claim`, the library's one
definition of a valid claim (field rules, the money rules of :mod:`~huiminbao_rules.core.money`
and the settlement identities of :mod:`~huiminbao_rules.claims.identities`); the population is
then built from the validated claims by :meth:`Population.from_claims`, so it holds
exactly what was validated. A claim with any problem is rejected whole.
"""

from __future__ import annotations

import math
import os
import sys
from datetime import datetime, time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from huiminbao_rules.core.errors import AdjudicationError, FileError, InputError, Problem, SettlementError
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, Limits, open_regular, parse_json
from huiminbao_rules.claims.models import Claim, count_fee_lines, parse_claim, problems_from_validation
from huiminbao_rules.core.money import FEN, exact, parse_amount
from huiminbao_rules.analytics.population import ENCOUNTER_IDS, ENCOUNTER_MONEY, LINE_MONEY, Population, _yuan_text

__all__ = [
    "CLAIM_COLUMNS",
    "ENCOUNTER_COLUMNS",
    "FEE_LINE_COLUMNS",
    "INSURED_COLUMNS",
    "PROGRESS_MIN_BYTES",
    "PROGRESS_MIN_CLAIMS",
    "REJECTED_COLUMNS",
    "WITH_ITS_CLAIM",
    "Loaded",
    "accounted",
    "load_jsonl",
    "load_tables",
    "yuan_tables",
]

INSURED_COLUMNS = ("insured_id", "birth_date", "scheme", "enrolled_on", "pre_existing", "groups", "history",
                   "event_on")
CLAIM_COLUMNS = ("claim_id", "insured_id", "other_insurance_paid")
ENCOUNTER_COLUMNS = ("claim_id", "encounter_id", "kind", "admitted_on", "discharged_on", "service_date",
                     "institution", "diagnoses", "settled_through_basic", *ENCOUNTER_MONEY, *ENCOUNTER_IDS)
FEE_LINE_COLUMNS = ("claim_id", "encounter_id", "line_no", "med_list_codg", "name", "chrgitm_lv",
                    "med_chrgitm_type", *LINE_MONEY)
# Read and checked when present, but a Population does not keep them.
_ENCOUNTER_CHECKED = ("psn_part_amt",)
# Optional, kept when given: what identifies an encounter (docs/claim-format.md#encounter-identity).
_ENCOUNTER_IDS = ENCOUNTER_IDS
_LINE_CHECKED = ("inscp_scp_amt", "feedetl_sn")

REJECTED_COLUMNS = ("source", "row", "claim_id", "field", "reason")
WITH_ITS_CLAIM = "rejected with its claim"
"""The reason given for a row that has no problem of its own but belongs to a rejected claim."""

PROGRESS_MIN_CLAIMS = 5_000
"""With ``progress=None``, tables of at least this many claims show a progress bar (on a terminal)."""
PROGRESS_MIN_BYTES = 16 * 2**20
"""With ``progress=None``, JSONL files of at least this many bytes show a progress bar (on a terminal)."""

_MISSING: Any = object()
_FLOAT_REASON = ("amount was stored as a binary float ({text}), which has more than two decimals; "
                 "write the amount exactly: as text with at most two decimals or as a decimal column")


@dataclass
class Loaded:
    """What a loader read: the population of valid claims, and every rejected row.

    ``counts``: ``read`` claims (``loaded`` + ``rejected``), and ``unattributed_rows``,
    rows of a table that name no usable ``claim_id`` (listed in ``rejected`` with an empty
    ``claim_id``; always 0 for JSONL, where a line is a claim). ``ignored_columns``: per
    source, the columns a table had that the loader does not read.
    """

    population: Population
    rejected: pd.DataFrame
    counts: dict[str, int]
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)


# --- validation: the library's parse_claim, with every problem located -----------------------------


@dataclass(frozen=True)
class _Issue:
    loc: tuple[str | int, ...]
    reason: str


def _split(location: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in location.split(".")) if location else ()


def _validate(data: Mapping[str, Any]) -> tuple[Claim | None, list[_Issue]]:
    """``parse_claim`` decides; when it refuses, a second pass lists every problem (it
    reports only the first settlement breach), each with its path into ``data``."""
    try:
        return parse_claim(data), []
    except InputError as exc:
        refused = exc
    try:
        Claim.model_validate(data, context={"relax": ()})
    except ValidationError as exc:
        breaches: dict[str, SettlementError] = {}
        for err in exc.errors():
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, SettlementError):
                breaches[".".join(str(p) for p in err["loc"])] = cause
        issues = []
        for p in problems_from_validation(exc):
            cause = breaches.get(p.location)
            if cause is not None:
                # Located at the settlement field on the identity's left side.
                issues.append(_Issue((*_split(p.location), "settlement", cause.fields[0]), cause.problems[0].message))
            else:
                issues.append(_Issue(_split(p.location), p.message))
        if issues:
            return None, issues
    if isinstance(refused, SettlementError):
        return None, [_Issue((), str(p)) for p in refused.problems]
    return None, [_Issue(_split(p.location), p.message) for p in refused.problems]


# --- cells ------------------------------------------------------------------------------------------


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, Decimal):
        return v.is_nan()
    if isinstance(v, str):
        return not v.strip()
    return False


def _money(v: Any) -> tuple[Any, str | None]:
    """A money cell as a value for the claim (money.py decides), and a reason that replaces
    the validator's when the cell was a binary float that cannot be taken exactly."""
    if _is_missing(v):
        return _MISSING, None
    if isinstance(v, float):
        if not math.isfinite(v):
            return v, f"amount {v!r} is not a finite number"
        text = repr(v)
        if Decimal(text).as_tuple().exponent >= -2:  # type: ignore[operator]
            return text, None
        return v, _FLOAT_REASON.format(text=text)
    if isinstance(v, Decimal) and v.is_finite() and v.as_tuple().exponent < -2:  # type: ignore[operator]
        # A decimal column's scale is its type's: 12.3400 is 12.34 exactly.
        try:
            exact = v.quantize(FEN, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            return v, None
        return (exact if exact == v else v), None
    return v, None


def _text(v: Any) -> Any:
    if _is_missing(v):
        return _MISSING
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _date(v: Any) -> Any:
    """A date cell: text as it is (stripped); a timestamp at midnight as its date."""
    if _is_missing(v):
        return _MISSING
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, datetime) and v.tzinfo is None and v.time() == time(0):
        return v.date()
    return v


def _bool(v: Any) -> Any:
    """A boolean cell: a boolean, or the text true/false (any case); anything else is
    passed on to be refused."""
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _list(v: Any) -> Any:
    if _is_missing(v):
        return []
    if isinstance(v, str):
        return [x.strip() for x in v.split(";") if x.strip()]
    if hasattr(v, "tolist") and not isinstance(v, (int, bool)):
        v = v.tolist()
    return list(v) if isinstance(v, (list, tuple)) else v


def _history(v: Any) -> tuple[Any, str | None]:
    if _is_missing(v):
        return [], None
    if isinstance(v, str):
        try:
            return parse_json(v, "history", "history"), None
        except FileError as exc:
            return v, f"{exc.problems[0].message}; write a JSON array of history entries"
    if hasattr(v, "tolist"):
        v = v.tolist()
    return (list(v) if isinstance(v, (list, tuple)) else v), None


_BAD_KEY = "must be text (or a whole number)"


def _key(v: Any) -> str | None:
    """An id used to join rows: stripped text; None when missing; raises ValueError when unusable."""
    if _is_missing(v):
        return None
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise ValueError(f"{v!r} {_BAD_KEY}")


def _line_no(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v.strip())
    raise ValueError


def _canon(column: str, v: Any) -> Any:
    """A cell as compared between rows that must agree."""
    if column in ("pre_existing", "groups"):
        return _list(v)
    if column == "history":
        return _history(v)[0]
    if column == "other_insurance_paid":
        value, _ = _money(v)
        try:
            return parse_amount(value)
        except ValueError:
            return value
    return _text(v)


# --- tables -----------------------------------------------------------------------------------------

TableInput = str | PathLike[str] | pd.DataFrame | Any
"""A CSV or Parquet file, a pandas DataFrame or a Polars DataFrame."""


def is_polars_frame(obj: Any) -> bool:
    """Whether ``obj`` is a Polars DataFrame (recognised without importing Polars)."""
    return type(obj).__module__.split(".")[0] == "polars" and type(obj).__name__ == "DataFrame"


class _Table:
    def __init__(self, role: str, source: str, names: list[str], columns: list[list[Any]]):
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"{role} table", [Problem(source, f"repeated column names: {', '.join(dup)}")])
        self.role = role
        self.source = source
        self.names = names
        self.columns = dict(zip(names, columns, strict=True))
        self.n = len(columns[0]) if columns else 0

    def has(self, column: str) -> bool:
        return column in self.columns

    def get(self, column: str, row: int) -> Any:
        col = self.columns.get(column)
        if col is None:
            return None
        v = col[row]
        # A numpy scalar (from an object column) as the Python value it holds.
        return v.item() if isinstance(v, np.generic) and not isinstance(v, np.datetime64) else v

    def require(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise InputError(f"{self.role} table",
                             [Problem(self.source, f"column {c!r} is missing") for c in missing])


_COMPRESSION = {"gz": "gzip", "bz2": "bz2", "xz": "xz", "zst": "zstd", "zip": "zip"}


def _read(obj: TableInput, role: str, limits: Limits = DEFAULT_LIMITS) -> _Table:
    """A table from a DataFrame or a file; a file that cannot be read as a table raises
    :class:`FileError` naming it."""
    if isinstance(obj, pd.DataFrame):
        names = [str(c).strip() for c in obj.columns]
        return _Table(role, role, names, [obj.iloc[:, i].tolist() for i in range(obj.shape[1])])
    if is_polars_frame(obj):  # the same cells as Python values: str, int, date, None
        names = [str(c).strip() for c in obj.columns]
        return _Table(role, role, names, [obj.get_column(c).to_list() for c in obj.columns])
    path = Path(obj)
    name = path.name.lower()
    source = str(path)
    if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst", ".csv.zip")):
        with open_regular(path, f"{role} table") as fh:
            try:
                # Every cell as text: amounts are never parsed as binary floats, and "" is a missing value.
                # The header is read as a row, so a repeated column name is seen, not renamed.
                frame = pd.read_csv(fh, header=None, dtype=str, keep_default_na=False, na_filter=False,
                                    encoding="utf-8-sig", compression=_COMPRESSION.get(name.rsplit(".", 1)[1]))
            except UnicodeDecodeError as exc:
                raise FileError(source, f"{role} table is not UTF-8 text (byte offset {exc.start}: {exc.reason}); "
                                        "save it as UTF-8") from None
            except pd.errors.EmptyDataError:
                raise FileError(source, f"{role} table is empty: it needs a header row naming its columns") from None
            except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
                raise FileError(source, f"{role} table is not a readable CSV file: "
                                        f"{' '.join(str(exc).split())[:200]}") from None
        if frame.shape[0] == 0:
            raise FileError(source, f"{role} table is empty: it needs a header row naming its columns")
        names = [str(c).strip() for c in frame.iloc[0].tolist()]
        body = frame.iloc[1:]
        return _Table(role, source, names, [body.iloc[:, i].tolist() for i in range(body.shape[1])])
    if name.endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq

        with open_regular(path, f"{role} table") as fh:
            try:
                table = pq.read_table(fh)
                # to_pylist keeps decimals as Decimal, strings as str, floats as float: converted exactly below.
                columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
            except (pa.ArrowException, OSError, ValueError, OverflowError) as exc:
                raise FileError(source, f"{role} table is not a readable Parquet file: "
                                        f"{' '.join(str(exc).split())[:200]}") from None
        return _Table(role, source, [str(c).strip() for c in table.column_names], columns)
    raise FileError(source, f"{role} table: unknown file type; use .csv or .parquet")


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _bar(progress: bool | None, large: bool, **kwargs: Any) -> Any:
    """A tqdm bar on stderr when ``progress`` is True, or None and the input is large and
    stderr is a terminal; otherwise a bar that writes nothing."""
    if not (progress is True or (progress is None and large and _stderr_is_terminal())):
        return _NoBar()
    from tqdm import tqdm

    return tqdm(file=sys.stderr, **kwargs)


def _writable(text: str | None) -> str | None:
    """Text that any UTF-8 writer can write: a lone surrogate becomes its escape."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class _Report:
    """Rejected rows, in the order found (every text writable as UTF-8)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, str | None, str, str]] = []

    def add(self, source: str, row: int, claim_id: str | None, column: str, reason: str) -> None:
        self.rows.append((_writable(source), row, _writable(claim_id), _writable(column), _writable(reason)))  # type: ignore[arg-type]

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=list(REJECTED_COLUMNS))
        return frame.astype({"source": "str", "row": "int64", "claim_id": "str", "field": "str", "reason": "str"})


@dataclass
class _Place:
    table: _Table
    row: int  # zero-based


@dataclass
class _Pending:
    """One claim of the tables while it is being put together."""

    claim_id: str
    problems: list[tuple[_Place, str, str]] = field(default_factory=list)
    rows: list[_Place] = field(default_factory=list)  # every row of the claim (for the report)
    claim_src: _Place | None = None
    insured_src: _Place | None = None
    encounters: list[tuple[str, _Place, list[_Place]]] = field(default_factory=list)
    overrides: dict[tuple[str | int, ...], str] = field(default_factory=dict)

    def problem(self, place: _Place, column: str, reason: str) -> None:
        self.problems.append((place, column, reason))

    def place(self, loc: tuple[str | int, ...]) -> tuple[_Place, str, str]:
        """The row and column a path into the claim's dict came from, and the rest of the path."""
        rename: dict[str | int, str] = {}
        if loc[:1] == ("insured",):
            src, rest = self.insured_src, loc[1:]
            rename = {"id": "insured_id"}
        elif loc[:1] == ("encounters",) and len(loc) >= 2 and isinstance(loc[1], int):
            _, enc_place, line_places = self.encounters[loc[1]]
            if len(loc) >= 4 and loc[2] == "fee_lines" and isinstance(loc[3], int):
                src, rest = line_places[loc[3]], loc[4:]
            else:
                src, rest = enc_place, loc[2:]
                if rest[:1] == ("settlement",):
                    rest = rest[1:]
                rename = {"id": "encounter_id"}
        else:
            src, rest = self.claim_src, loc
        assert src is not None  # a dict is built only when every source row is known
        column = rename.get(rest[0], str(rest[0])) if rest else ""
        return src, column, ".".join(str(p) for p in rest[1:])


def _ids(table: _Table, column: str, report: _Report) -> dict[str, list[int]]:
    """Row numbers by id; a row whose id is missing or unusable is reported unattributed."""
    out: dict[str, list[int]] = {}
    for i in range(table.n):
        try:
            key = _key(table.get(column, i))
        except ValueError as exc:
            report.add(table.source, i + 1, None, column, str(exc))
            continue
        if not key:
            report.add(table.source, i + 1, None, column, "required field is missing")
            continue
        out.setdefault(key, []).append(i)
    return out


@exact
def load_tables(encounters: TableInput, fee_lines: TableInput, claims: TableInput | None = None,
                insured: TableInput | None = None, *, progress: bool | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Load claims from tables (CSV or Parquet files, by extension, or DataFrames).

    ``encounters`` (one row per encounter) and ``fee_lines`` (one row per fee line) are
    required. ``claims`` holds one row per claim (``claim_id``, ``insured_id``,
    ``other_insurance_paid``); without it those columns are read from the encounter rows
    and must agree between the rows of a claim. ``insured`` holds one row per person;
    without it the insured columns are read from the claim rows (the claims table, or the
    encounter rows). Amounts are yuan. See ``docs/loading.md``.

    A file that cannot be read as a table (missing, not a regular file, not UTF-8, ragged,
    empty, corrupt, repeated column names) raises :class:`~huiminbao_rules.core.errors.FileError`
    naming it; every problem of a row is a rejection. A claim with more fee lines than
    ``limits.max_fee_lines`` is rejected.
    """
    report = _Report()
    t = _tables(encounters, fee_lines, claims, insured, limits, report)
    unattributed = len(report.rows)
    claim_ids = list(dict.fromkeys([*t.claims_by_id, *t.enc_by_claim, *t.lines_by_claim]))

    loaded: list[tuple[Claim, _Pending]] = []
    rejected: list[_Pending] = []
    with _bar(progress, len(claim_ids) >= PROGRESS_MIN_CLAIMS, total=len(claim_ids), unit="claim",
              desc="loading claims") as bar:
        for cid in claim_ids:
            p = _Pending(cid)
            _gather(p, t)
            claim = _assemble(p, t, limits)
            if claim is not None and not p.problems:
                loaded.append((claim, p))
            else:
                rejected.append(p)
            bar.update(1)

    # A population keeps one record per person: claims that disagree about a person are rejected.
    for (_, p), column, reason in _insured_conflicts(loaded):
        assert p.insured_src is not None
        p.problem(p.insured_src, column, reason)
    for (claim, p), index, reason in _encounter_repeats(loaded):
        p.problem(p.encounters[index][1], "encounter_id", reason)
    rejected += [p for _, p in loaded if p.problems]
    keep = [c for c, p in loaded if not p.problems]
    for p in rejected:
        _report_rejected(report, p)

    counts = {"read": len(claim_ids), "loaded": len(keep), "rejected": len(rejected),
              "unattributed_rows": unattributed}
    given = [x for x in (encounters, fee_lines, claims, insured) if x is not None]
    frames = "polars" if any(is_polars_frame(x) for x in given) else "pandas"
    return Loaded(replace(_population(keep), frames=frames), report.frame(), counts, t.ignored)


@dataclass
class _Tables:
    """The tables a load reads, the tables the claim and the insured columns come from, and
    the rows of each id."""

    enc: _Table
    lines: _Table
    cl: _Table | None
    ins: _Table | None
    ignored: dict[str, list[str]]
    enc_by_claim: dict[str, list[int]]
    lines_by_claim: dict[str, list[int]]
    claims_by_id: dict[str, list[int]]
    insured_by_id: dict[str, list[int]]
    insured_checked: dict[str, tuple[_Place | None, str]] = field(default_factory=dict)

    @property
    def claim_level(self) -> _Table:
        return self.cl if self.cl is not None else self.enc

    @property
    def insured_level(self) -> _Table:
        return self.ins if self.ins is not None else self.claim_level


def _tables(encounters: TableInput, fee_lines: TableInput, claims: TableInput | None, insured: TableInput | None,
            limits: Limits, report: _Report) -> _Tables:
    """Read the tables, check their required columns, and index their rows by id (a row
    whose id is unusable goes to ``report`` unattributed)."""
    enc = _read(encounters, "encounters", limits)
    lines = _read(fee_lines, "fee_lines", limits)
    cl = _read(claims, "claims", limits) if claims is not None else None
    ins = _read(insured, "insured", limits) if insured is not None else None
    enc.require("claim_id", "encounter_id")
    lines.require("claim_id", "encounter_id")
    (cl if cl is not None else enc).require("claim_id", "insured_id")
    if ins is not None:
        ins.require("insured_id")
    ignored = _ignored(enc, lines, cl, ins)
    return _Tables(enc, lines, cl, ins, ignored, _ids(enc, "claim_id", report), _ids(lines, "claim_id", report),
                   _ids(cl, "claim_id", report) if cl is not None else {},
                   _ids(ins, "insured_id", report) if ins is not None else {})


def _assemble(p: _Pending, t: _Tables, limits: Limits) -> Claim | None:
    """The claim from its gathered rows, validated (None when it has too many fee lines or
    a row is missing); every problem goes to ``p``."""
    n_lines = sum(len(lp) for _, _, lp in p.encounters)
    if n_lines > limits.max_fee_lines:
        p.problem(p.encounters[0][1], "claim_id", f"claim {p.claim_id} has {n_lines} fee lines, more than the "
                  f"limit of {limits.max_fee_lines} per claim")
        return None
    if p.claim_src is None or p.insured_src is None or not p.encounters:
        return None
    data = _claim_dict(p, t.enc, t.lines, t.claim_level, t.insured_level)
    claim, issues = _validate(data)
    for issue in issues:
        place, column, rest = p.place(issue.loc)
        reason = p.overrides.get(issue.loc, issue.reason)
        p.problem(place, column, f"{rest}: {reason}" if rest else reason)
    return claim


def _report_rejected(report: _Report, p: _Pending) -> None:
    """A rejected claim's problems, and each of its other rows as rejected with its claim."""
    listed = set()
    for place, column, reason in p.problems:
        report.add(place.table.source, place.row + 1, p.claim_id, column, reason)
        listed.add((id(place.table), place.row))
    for place in p.rows:
        if (id(place.table), place.row) not in listed:
            listed.add((id(place.table), place.row))
            report.add(place.table.source, place.row + 1, p.claim_id, "", WITH_ITS_CLAIM)


def _ignored(enc: _Table, lines: _Table, cl: _Table | None, ins: _Table | None) -> dict[str, list[str]]:
    insured_cols = set(INSURED_COLUMNS[1:]) if ins is None else set()
    known = {
        id(enc): {*ENCOUNTER_COLUMNS, *_ENCOUNTER_CHECKED,
                  *((set(CLAIM_COLUMNS[1:]) | insured_cols) if cl is None else ())},
        id(lines): {*FEE_LINE_COLUMNS, *_LINE_CHECKED},
    }
    if cl is not None:
        known[id(cl)] = {*CLAIM_COLUMNS, *insured_cols}
    if ins is not None:
        known[id(ins)] = set(INSURED_COLUMNS)
    out = {}
    for t in (enc, lines, cl, ins):
        if t is not None and (extra := [c for c in t.names if c not in known[id(t)]]):
            out[t.source] = extra
    return out


def _gather(p: _Pending, t: _Tables) -> None:
    """Find the claim's rows and check how they fit together (ids, one row per key)."""
    erows = t.enc_by_claim.get(p.claim_id, [])
    lrows = t.lines_by_claim.get(p.claim_id, [])
    p.rows += [_Place(t.enc, r) for r in erows]
    p.rows += [_Place(t.lines, r) for r in lrows]
    _claim_row(p, t, erows)
    seen = _encounter_rows(p, t, erows)
    by_enc = _fee_line_rows(p, t, erows, lrows, seen)
    for eid, r in seen.items():
        entries = sorted(by_enc[eid])
        for (a, ra), (b, rb) in zip(entries, entries[1:]):
            if a == b and t.lines.has("line_no"):
                p.problem(_Place(t.lines, rb), "line_no",
                          f"line_no {b} of encounter {eid} of claim {p.claim_id} is also on row {ra + 1}")
        if not entries:
            p.problem(_Place(t.enc, r), "encounter_id", f"encounter {eid} of claim {p.claim_id} has no fee lines "
                      "in the fee_lines table")
        p.encounters.append((eid, _Place(t.enc, r), [_Place(t.lines, rr) for _, rr in entries]))
    _insured_row(p, t)


def _claim_row(p: _Pending, t: _Tables, erows: list[int]) -> None:
    """The claim's own row: its row of the claims table, or without one its first encounter
    row (the claim's columns then the same on each of its encounter rows)."""
    cid, enc, cl = p.claim_id, t.enc, t.cl
    if cl is not None:
        crows = t.claims_by_id.get(cid, [])
        p.rows[:0] = [_Place(cl, r) for r in crows]
        for r in crows[1:]:
            p.problem(_Place(cl, r), "claim_id",
                      f"claim {cid} is also on row {crows[0] + 1} of the claims table; a claim has one row")
        if crows:
            p.claim_src = _Place(cl, crows[0])
        elif erows:  # (fee lines alone are each reported below)
            p.problem(_Place(enc, erows[0]), "claim_id", f"no row for claim {cid} in the claims table")
        return
    if not erows:
        return
    p.claim_src = _Place(enc, erows[0])
    agree = [c for c in (*CLAIM_COLUMNS[1:], *(INSURED_COLUMNS[1:] if t.ins is None else ())) if enc.has(c)]
    for r in erows[1:]:
        for c in agree:
            if _canon(c, enc.get(c, r)) != _canon(c, enc.get(c, erows[0])):
                p.problem(_Place(enc, r), c,
                          f"differs from row {erows[0] + 1}, the claim's first encounter row "
                          f"({enc.get(c, r)!r} vs {enc.get(c, erows[0])!r}); without a claims table "
                          f"a claim's {c} is repeated, the same, on each of its encounter rows")


def _encounter_rows(p: _Pending, t: _Tables, erows: list[int]) -> dict[str, int]:
    """encounter id -> its row, for the claim's encounter rows with a usable, unrepeated id."""
    if not erows and p.claim_src is not None:
        p.problem(p.claim_src, "claim_id", f"no encounter rows for claim {p.claim_id} in the encounters table")
    seen: dict[str, int] = {}
    for r in erows:
        try:
            eid = _key(t.enc.get("encounter_id", r))
        except ValueError as exc:
            p.problem(_Place(t.enc, r), "encounter_id", str(exc))
            continue
        if not eid:
            p.problem(_Place(t.enc, r), "encounter_id", "required field is missing")
        elif eid in seen:
            p.problem(_Place(t.enc, r), "encounter_id",
                      f"encounter {eid} of claim {p.claim_id} is also on row {seen[eid] + 1}; an encounter has one row")
        else:
            seen[eid] = r
    return seen


def _fee_line_rows(p: _Pending, t: _Tables, erows: list[int], lrows: list[int],
                   seen: dict[str, int]) -> dict[str, list[tuple[int, int]]]:
    """The claim's fee-line rows by encounter, each as (line_no, row) (the row number for
    order without a line_no column)."""
    cid, lines = p.claim_id, t.lines
    by_enc: dict[str, list[tuple[int, int]]] = {eid: [] for eid in seen}
    for r in lrows:
        place = _Place(lines, r)
        try:
            eid = _key(lines.get("encounter_id", r))
        except ValueError as exc:
            p.problem(place, "encounter_id", str(exc))
            continue
        if not eid:
            p.problem(place, "encounter_id", "required field is missing")
            continue
        if eid not in by_enc:
            if not erows and p.claim_src is None:
                p.problem(place, "claim_id", f"no claim {cid}: the claim_id is in no encounter row"
                          + (" and no claims row" if t.cl is not None else ""))
            else:
                p.problem(place, "encounter_id", f"claim {cid} has no encounter {eid} in the encounters table")
            continue
        order = r
        if lines.has("line_no"):
            raw = lines.get("line_no", r)
            try:
                order = _line_no(raw)
            except ValueError:
                p.problem(place, "line_no", f"line_no {raw!r} must be a whole number")
                continue
        by_enc[eid].append((order, r))
    return by_enc


def _insured_row(p: _Pending, t: _Tables) -> None:
    """The insured person's row: the claim's own row without an insured table, else the
    person's one row there (rows of one person that differ are a problem of each claim)."""
    ins = t.ins
    if ins is None:
        p.insured_src = p.claim_src
        return
    if p.claim_src is None:
        return
    try:
        iid = _key(t.claim_level.get("insured_id", p.claim_src.row))
    except ValueError as exc:
        p.problem(p.claim_src, "insured_id", str(exc))
        return
    if not iid:
        p.problem(p.claim_src, "insured_id", "required field is missing")
        return
    if iid not in t.insured_checked:
        irows = t.insured_by_id.get(iid, [])
        reason = "" if irows else f"no row for insured {iid} in the insured table"
        for r in irows[1:]:
            differ = [c for c in INSURED_COLUMNS[1:] if ins.has(c)
                      and _canon(c, ins.get(c, r)) != _canon(c, ins.get(c, irows[0]))]
            if differ:
                reason = (f"insured {iid} is on rows {', '.join(str(x + 1) for x in irows)} of the insured table, "
                          f"which differ ({', '.join(differ)}); a person has one record")
        t.insured_checked[iid] = (_Place(ins, irows[0]) if irows else None, reason)
    place, reason = t.insured_checked[iid]
    if reason:
        p.problem(place or p.claim_src, "insured_id", reason)
    p.insured_src = place


def _claim_dict(p: _Pending, enc: _Table, lines: _Table, claim_level: _Table,
                insured_level: _Table) -> dict[str, Any]:
    """The claim in the interchange format, from its rows."""
    assert p.claim_src is not None and p.insured_src is not None

    def put(target: dict[str, Any], key: str, value: Any) -> None:
        if value is not _MISSING:
            target[key] = value

    def money(target: dict[str, Any], key: str, raw: Any, loc: tuple[str | int, ...]) -> None:
        value, reason = _money(raw)
        put(target, key, value)
        if reason:
            p.overrides[loc] = reason

    crow, irow = p.claim_src.row, p.insured_src.row
    t = insured_level
    person: dict[str, Any] = {}
    put(person, "id", _text(t.get("insured_id", irow)))
    for k in ("birth_date", "enrolled_on", "event_on"):
        put(person, k, _date(t.get(k, irow)))
    put(person, "scheme", _text(t.get("scheme", irow)))
    for k in ("pre_existing", "groups"):
        put(person, k, _list(t.get(k, irow)))
    history, reason = _history(t.get("history", irow))
    person["history"] = history
    if reason:
        p.overrides[("insured", "history")] = reason

    data: dict[str, Any] = {"claim_id": p.claim_id, "insured": person, "encounters": []}
    money(data, "other_insurance_paid", claim_level.get("other_insurance_paid", crow), ("other_insurance_paid",))
    for i, (eid, eplace, line_places) in enumerate(p.encounters):
        r = eplace.row
        e: dict[str, Any] = {"id": eid}
        put(e, "kind", _text(enc.get("kind", r)))
        for k in ("admitted_on", "discharged_on", "service_date"):
            put(e, k, _date(enc.get(k, r)))
        put(e, "institution", _text(enc.get("institution", r)))
        e["diagnoses"] = _list(enc.get("diagnoses", r))
        if not _is_missing(b := enc.get("settled_through_basic", r)):
            e["settled_through_basic"] = _bool(b)
        settlement: dict[str, Any] = {}
        for k in (*ENCOUNTER_MONEY, *_ENCOUNTER_CHECKED):
            money(settlement, k, enc.get(k, r), ("encounters", i, "settlement", k))
        for k in _ENCOUNTER_IDS:
            put(settlement, k, _text(enc.get(k, r)))
        e["settlement"] = settlement
        e["fee_lines"] = []
        for j, lp in enumerate(line_places):
            line: dict[str, Any] = {}
            for k in ("feedetl_sn", "med_list_codg", "name", "chrgitm_lv", "med_chrgitm_type"):
                put(line, k, _text(lines.get(k, lp.row)))
            for k in (*LINE_MONEY, "inscp_scp_amt"):
                money(line, k, lines.get(k, lp.row), ("encounters", i, "fee_lines", j, k))
            e["fee_lines"].append(line)
        data["encounters"].append(e)
    return data


def _insured_conflicts(loaded: list[tuple[Claim, Any]]) -> Iterable[tuple[tuple[Claim, Any], str, str]]:
    """Claims of one person whose insured records differ: each, with the first differing
    field and a reason naming the claims."""
    by_person: dict[str, list[tuple[Claim, Any]]] = {}
    for item in loaded:
        by_person.setdefault(item[0].insured.id, []).append(item)
    for pid, items in by_person.items():
        if len(items) < 2:
            continue
        dumps = [c.insured.model_dump(mode="json") for c, _ in items]
        differ = [k for k in dumps[0] if any(d[k] != dumps[0][k] for d in dumps[1:])]
        if not differ:
            continue
        names = ", ".join(c.claim_id for c, _ in items)
        reason = (f"insured {pid} is recorded differently by claims {names} ({', '.join(differ)}); "
                  "a population keeps one record per person")
        column = {"id": "insured_id"}.get(differ[0], differ[0])
        for item in items:
            yield item, column, reason


def _encounter_repeats(loaded: list[tuple[Claim, Any]]) -> Iterable[tuple[tuple[Claim, Any], int, str]]:
    """Claims that present an encounter an earlier claim of the same person already presents
    (by :attr:`~huiminbao_rules.claims.models.Encounter.identity`): each later one, with the
    encounter's index and a reason naming both claims. An encounter is paid once."""
    seen: dict[tuple[str, str], str] = {}
    for item in loaded:
        claim = item[0]
        for index, e in enumerate(claim.encounters):
            key = (claim.insured.id, e.identity)
            first = seen.setdefault(key, claim.claim_id)
            if first != claim.claim_id:
                yield item, index, (f"encounter {e.id} of claim {claim.claim_id} is the same encounter ({e.identity}) "
                                    f"as one of claim {first}; an encounter is paid once in a person-year")
                break


def _population(claims: list[Claim]) -> Population:
    if claims:
        return Population.from_claims(claims)
    dates = {"birth_date", "enrolled_on", "event_on", "admitted_on", "discharged_on", "service_date"}
    money = {*ENCOUNTER_MONEY, *LINE_MONEY, "other_insurance_paid", "line_no"}

    def empty(columns: tuple[str, ...]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series([], dtype="datetime64[s]" if c in dates else "int64" if c in money
                                          else "bool" if c == "settled_through_basic" else "str")
                             for c in columns})

    return Population(insured=empty(INSURED_COLUMNS), claims=empty(CLAIM_COLUMNS),
                      encounters=empty(ENCOUNTER_COLUMNS), fee_lines=empty(FEE_LINE_COLUMNS))


# --- JSONL ------------------------------------------------------------------------------------------


@exact
def load_jsonl(path: str | PathLike[str], *, progress: bool | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Load one claim per line (the interchange format of ``docs/claim-format.md``).

    Each line is validated by :func:`parse_claim`; a line with a problem is rejected (with
    its line number, field and reason) and the others load. Blank lines are skipped.
    A claim id on more than one line rejects all of them. Each line is read as strict JSON
    (see :mod:`.inputs`), at most ``limits.max_bytes`` bytes and ``limits.max_fee_lines``
    fee lines; a file that cannot be opened as a regular file raises
    :class:`~huiminbao_rules.core.errors.FileError`.
    """
    path = Path(path)
    source = str(path)
    with open_regular(path, "claims") as fh:
        size = os.fstat(fh.fileno()).st_size
        with _bar(progress, size >= PROGRESS_MIN_BYTES, total=size, unit="B", unit_scale=True,
                  desc="loading claims") as bar:
            entries = _jsonl_entries(fh, source, limits, bar)
    _refuse_repeated_claim_ids(entries)
    loaded = [(claim, k) for k, (_, claim, _, problems) in enumerate(entries) if claim is not None and not problems]
    for (_, k), column, reason in _insured_conflicts(loaded):
        entries[k][3].append(("insured" if column == "insured_id" else f"insured.{column}", reason))
    for (_, k), index, reason in _encounter_repeats(loaded):
        entries[k][3].append((f"encounters.{index}", reason))

    report = _Report()
    keep = []
    rejected = 0
    for lineno, claim, cid, problems in entries:
        if claim is not None and not problems:
            keep.append(claim)
            continue
        rejected += 1
        for column, reason in problems:
            report.add(source, lineno, cid, column, reason)
    counts = {"read": len(entries), "loaded": len(keep), "rejected": rejected, "unattributed_rows": 0}
    return Loaded(_population(keep), report.frame(), counts, {})


_Entry = tuple[int, "Claim | None", "str | None", list[tuple[str, str]]]
"""A line of a JSON Lines file: (line number, the claim or None, its claim id if it has one,
problems as (field, reason))."""


def _jsonl_entries(fh: Any, source: str, limits: Limits, bar: Any) -> list[_Entry]:
    """Every line of the file that is not blank, read and validated (a line longer than
    ``limits.max_bytes`` is skipped unread and rejected)."""
    entries: list[_Entry] = []
    lineno = 0
    while True:
        raw = fh.readline(limits.max_bytes + 1)
        if not raw:
            return entries
        lineno += 1
        bar.update(len(raw))
        if len(raw) > limits.max_bytes and not raw.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                bar.update(len(rest))
            bar.update(len(rest))
            entries.append((lineno, None, None, [("", f"line has more than the limit of {limits.max_bytes} bytes")]))
            continue
        entry = _jsonl_entry(lineno, raw, source, limits)
        if entry is not None:
            entries.append(entry)


def _jsonl_entry(lineno: int, raw: bytes, source: str, limits: Limits) -> _Entry | None:
    """Line ``lineno`` read as a claim (None for a blank line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (lineno, None, None, [("", f"not UTF-8 text ({exc.reason} at byte {exc.start})")])
    if lineno == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return None
    try:
        data = parse_json(text, source, "line", limits)
    except FileError as exc:
        message = exc.problems[0].message
        if message.startswith("malformed JSON"):
            message = "not valid JSON: " + message.split(": ", 1)[1]
        return (lineno, None, None, [("", message)])
    if not isinstance(data, dict):
        return (lineno, None, None, [("", f"expected a JSON object, got {type(data).__name__}")])
    cid = data.get("claim_id")
    cid = cid.strip() if isinstance(cid, str) and cid.strip() else None
    if count_fee_lines(data) > limits.max_fee_lines:
        return (lineno, None, cid, [("encounters", f"more than the limit of {limits.max_fee_lines} fee lines per claim")])
    claim, issues = _validate(data)
    return (lineno, claim, cid, [(".".join(str(x) for x in i.loc), i.reason) for i in issues])


def _refuse_repeated_claim_ids(entries: list[_Entry]) -> None:
    """A claim id on more than one line: a problem of each of those lines."""
    by_id: dict[str, list[int]] = {}
    for k, (_, _, cid, _) in enumerate(entries):
        if cid is not None:
            by_id.setdefault(cid, []).append(k)
    for cid, ks in by_id.items():
        if len(ks) > 1:
            where = ", ".join(str(entries[k][0]) for k in ks)
            for k in ks:
                entries[k][3].append(("claim_id", f"claim {cid} is on lines {where}; a claim is on one line"))


# --- after adjudication -----------------------------------------------------------------------------


def accounted(loaded: Loaded, results: pd.DataFrame) -> dict[str, int]:
    """Claims in = paid (payable > 0) + denied (payable == 0) + rejected.

    ``results`` is :func:`~huiminbao_rules.analytics.batch.adjudicate_population` run on
    ``loaded.population``. Raises :class:`AdjudicationError` if the results do not list
    every loaded claim exactly once, or if the counts do not add up.
    """
    ids = results["claim_id"]
    dup = sorted(set(ids[ids.duplicated()]))
    expected = set(loaded.population.claims["claim_id"])
    missing = sorted(expected - set(ids))
    extra = sorted(set(ids) - expected)
    if dup or missing or extra:
        parts = [f"{what}: {', '.join(map(str, xs[:10]))}{' …' if len(xs) > 10 else ''}"
                 for what, xs in (("listed twice", dup), ("missing", missing), ("not loaded", extra)) if xs]
        raise AdjudicationError(f"the results do not match the loaded claims ({'; '.join(parts)})")
    payable = results["payable"]
    if payable.isna().any() or (payable < 0).any():
        raise AdjudicationError("the results have a payable amount that is missing or negative")
    counts = {"in": loaded.counts["read"], "paid": int((payable > 0).sum()), "denied": int((payable == 0).sum()),
              "rejected": loaded.counts["rejected"]}
    if counts["in"] != counts["paid"] + counts["denied"] + counts["rejected"]:
        raise AdjudicationError(f"claims do not add up: {counts['in']} in, but {counts['paid']} paid + "
                                f"{counts['denied']} denied + {counts['rejected']} rejected")
    return counts


def yuan_tables(population: Population) -> dict[str, pd.DataFrame]:
    """The population's four tables with amounts as yuan text (``"1234.50"``), the form
    :func:`load_tables` reads: ``{"encounters", "fee_lines", "claims", "insured"}``.

    The population's own tables hold int64 fen; written as they are, a loader would read
    every amount a hundred times too large.
    """
    def convert(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
        out = frame.copy()
        for c in columns:
            if c in out:
                out[c] = pd.Series([_yuan_text(v) for v in out[c].tolist()], index=out.index, dtype="str")
        return out

    return {
        "encounters": convert(population.encounters, ENCOUNTER_MONEY),
        "fee_lines": convert(population.fee_lines, LINE_MONEY),
        "claims": convert(population.claims, ("other_insurance_paid",)),
        "insured": population.insured.copy(),
    }
