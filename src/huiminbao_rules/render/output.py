"""The result JSON as typed output models: the one definition of its shape.

:func:`to_json` writes the result of an adjudication as JSON text and :func:`to_dict` as
JSON-ready data (what :func:`~huiminbao_rules.render.explain.to_dict` gives);
:func:`result_of` makes the :class:`Result` model of it, and
:func:`huiminbao_rules.render.schemas.schema` prints the JSON Schema of the models
(``huiminbao schema result``). The shape is documented in ``docs/result-json.md``.

Money is formatted once, from the engine's integer fen where it has them: a string with
exactly two decimals (``"38600.00"``); ``raw`` and ``rounding`` are exact decimal strings
with every digit they carry. The figures are the library's own, not input, so the JSON
is written from plain data of the models' shape by pydantic-core, without making and
validating the models again; the tests validate what it writes against the schema.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, WithJsonSchema, model_serializer
from pydantic_core import to_json as _write

from huiminbao_rules.adjudication.result import Adjudication, BandPiece, ResponsibilityToDate, YearToDate
from huiminbao_rules.core.money import ZERO, amount_text, exact, fen_text
from huiminbao_rules.core.vocabulary import Bucket
from huiminbao_rules.core.vocabulary import Portion as PortionCode

__all__ = ["SCHEMA", "Result", "result_of", "to_dict", "to_json"]

SCHEMA = "huiminbao_rules.adjudication/1"

_MONEY = r"^[0-9]+\.[0-9]{2}$"
Money = Annotated[str, Field(pattern=_MONEY)]
"""Money as the result writes it: yuan with exactly two decimals, as a string."""
_EXACT = r"^-?[0-9]+(\.[0-9]+)?$"
_RATE = r"^[01](\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"



class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Out):
    """A band piece: the part of an eligible amount between ``from`` and ``to``, at ``rate``."""

    from_: str = Field(alias="from", pattern=_MONEY)
    to: Money
    rate: str = Field(pattern=_RATE)
    amount: Money
    raw: str = Field(pattern=_EXACT)


class Cut(_Out):
    clause: str
    amount: Money


class Exclusion(_Out):
    reason: str
    amount: Money
    clause: str


class Portion(_Out):
    part: PortionCode
    amount: Money
    responsibility: str | None
    eligible: Money
    deductible: Money
    bands: list[Band]
    raw: str = Field(pattern=_EXACT)
    rounded: Money
    cuts: list[Cut]
    payable: Money
    exclusions: list[Exclusion]


class Line(_Out):
    encounter_id: str
    number: int = Field(ge=1)
    feedetl_sn: str | None
    code: str
    name: str
    amount: Money
    public_paid: Money
    eligible: Money
    payable: Money
    excluded: Money
    pending: Money
    portions: list[Portion]


class Deductible(_Out):
    annual: Money
    used_before: Money
    taken: Money


class ResponsibilityYearToDate(_Out):
    eligible: Money
    deductible: Money
    paid: Money


class Responsibility(_Out):
    id: str
    name_zh: str
    name_en: str
    bucket: Bucket
    eligible: Money
    deductible: Deductible
    bands: list[Band]
    raw: str = Field(pattern=_EXACT)
    rounded: Money
    rounding: str = Field(pattern=_EXACT)
    cuts: list[Cut]
    payable: Money
    year_to_date: ResponsibilityYearToDate


_Absent = Annotated[str | None, WithJsonSchema({"type": "string"})]
"""A key written only when it has a value: a string when present, never null."""


class Caveat(_Out):
    """A caveat; the keys after ``message_zh`` are written only when they have a value."""

    code: Literal["list_unknown", "unverified_term", "assumed_period", "user_list"]
    message: str
    message_zh: str
    responsibility: _Absent = None
    line: _Absent = None
    list: _Absent = None
    clause: _Absent = None
    amount: Annotated[str | None, WithJsonSchema({"type": "string", "pattern": _MONEY})] = None
    sha256: Annotated[str | None, WithJsonSchema({"type": "string", "pattern": r"^[0-9a-f]{64}$"})] = None

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        return {k: v for k, v in handler(self).items() if v is not None}


class SourceRef(_Out):
    """A step's source named by id only (the product was not given to ``to_dict``, or does
    not list it)."""

    id: str


class Source(_Out):
    """A step's source spelled out from the product's ``[sources]``."""

    id: str
    title: str | None
    url: str | None
    grade: str | None


class Step(_Out):
    kind: str
    subject: str
    clause: str
    source: Source | SourceRef | None
    values: dict[str, Any] = Field(description="the figures the step used and produced, per kind (for reading)")


class Indemnity(_Out):
    limit: Money
    cut: Money


class BucketTotals(_Out):
    eligible: Money
    payable: Money


class Result(_Out):
    """One claim's result, as ``huiminbao adjudicate --json`` prints it (an array of these)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="huiminbao_rules.adjudication/1")

    schema_: Literal["huiminbao_rules.adjudication/1"] = Field(alias="schema")
    claim_id: str
    insured_id: str
    product_id: str
    policy_year: int
    service_on: str = Field(pattern=_DATE, json_schema_extra={"format": "date"})
    payable: Money
    pending_amount: Money
    unknown_lists: Literal["pend", "member", "non-member"]
    caveats: list[Caveat]
    medical_total: Money
    public_paid: Money
    owed: Money
    other_insurance_paid: Money
    eligible: Money
    excluded: Money
    indemnity: Indemnity
    buckets: dict[Bucket, BucketTotals]
    responsibilities: list[Responsibility]
    lines: list[Line]
    steps: list[Step]
    year_to_date: YearToDate


# ---- the result as data -------------------------------------------------------------------
#
# The models above define the result's shape (and its schema); the result of an
# adjudication is written from plain data of that shape: dicts in the models' field
# order, keys as the JSON spells them, money already text. Nothing in it comes from input
# unchecked (every figure was computed by the library), so it is not validated again:
# pydantic-core writes it directly (``tests/test_schemas.py`` validates what it writes
# against the schema, and holds it byte for byte to stored results).

_m = amount_text  # a Decimal amount as a string with two decimals
_f = fen_text  # integer fen as a string with two decimals


def _band_data(start: str, end: str, amount: str, rate: Decimal, raw: Decimal) -> dict[str, str]:
    """A band piece as the result writes it, its money already text."""
    return {"from": start, "to": end, "rate": str(rate), "amount": amount, "raw": str(raw)}


def _band(b: BandPiece) -> dict[str, str]:
    return _band_data(_m(b.start), _m(b.end), _m(b.end - b.start), b.rate, b.raw)


_KEPT = (frozenset({str, int, bool, type(None)}), frozenset({str, int, bool, type(None), Decimal, date}))
"""Types of step values kept as they are: in JSON-ready data, and for pydantic-core to write."""


def _value(v: Any, ready: bool) -> Any:
    """A value of a step as the result holds it: band pieces as bands, tuples as lists,
    and, when ``ready`` (JSON-ready data), a Decimal as ``str`` gives it (every digit) and
    a date as ISO text; otherwise pydantic-core writes those the same way."""
    kind = type(v)
    if kind is str or kind is int or kind is bool or v is None:
        return v
    if isinstance(v, Decimal):
        return str(v) if ready else v
    if isinstance(v, date):
        return v.isoformat() if ready else v
    if kind is BandPiece:
        return _band(v)
    if isinstance(v, dict):
        return {k: _value(x, ready) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_value(x, ready) for x in v]
    return v


def _source(product: Any, source_id: str | None) -> Any:
    if source_id is None:
        return None
    src = product.sources.get(source_id) if product else None
    if src is None:
        return {"id": source_id}
    return {"id": source_id, "title": src.title, "url": src.url, "grade": src.grade}


_CAVEAT_KEYS = ("responsibility", "line", "list", "clause")


def _caveat(c: Any) -> dict[str, str]:
    """A caveat: the keys after ``message_zh`` only when they have a value."""
    out = {"code": c.code, "message": c.message, "message_zh": c.message_zh}
    for k in _CAVEAT_KEYS:
        v = getattr(c, k)
        if v is not None:
            out[k] = v
    if c.amount is not None:
        out["amount"] = _m(c.amount)
    if c.sha256 is not None:
        out["sha256"] = c.sha256
    return out


def _lines(adj: Adjudication) -> tuple[list[dict[str, Any]], Decimal]:
    """The lines, and the claim's excluded total: from the engine's figures in fen, each
    formatted once (this loop writes most of a result's figures)."""
    out = []
    excluded_total = ZERO
    f, m = _f, _m
    for line in adj.line_figures:
        eligible = payable = 0
        excluded = pending = ZERO
        portions = []
        for p in line.portions:
            eligible += p.eligible
            payable += p.payable
            exclusions = []
            if p.exclusions:
                for e in p.exclusions:
                    excluded += e.amount
                    if e.reason == "pending_review":
                        pending += e.amount
                    exclusions.append({"reason": e.reason, "amount": m(e.amount), "clause": e.clause})
            portions.append({
                "part": p.part, "amount": f(p.amount), "responsibility": p.responsibility, "eligible": f(p.eligible),
                "deductible": f(p.deductible),
                "bands": [_band_data(f(a), f(b), f(b - a), rate, raw) for a, b, rate, raw in p.bands],
                "raw": str(p.raw), "rounded": f(p.rounded),
                "cuts": [{"clause": c, "amount": f(a)} for c, a in p.cuts] if p.cuts else [],
                "payable": f(p.payable), "exclusions": exclusions})
        excluded_total += excluded
        out.append({
            "encounter_id": line.encounter_id, "number": line.number, "feedetl_sn": line.feedetl_sn,
            "code": line.code, "name": line.name, "amount": m(line.amount), "public_paid": f(line.public_paid),
            "eligible": f(eligible), "payable": f(payable), "excluded": m(excluded), "pending": m(pending),
            "portions": portions})
    return out, excluded_total


_NOTHING_YET = ResponsibilityToDate()


def _responsibilities(adj: Adjudication) -> list[dict[str, Any]]:
    out = []
    year = adj.year_to_date.responsibilities
    for r in adj.responsibilities:
        after = year.get(r.id) or _NOTHING_YET
        out.append({
            "id": r.id, "name_zh": r.name_zh, "name_en": r.name_en, "bucket": r.bucket, "eligible": _m(r.eligible),
            "deductible": {"annual": _m(r.deductible_amount), "used_before": _m(r.deductible_before),
                           "taken": _m(r.deductible)},
            "bands": [_band(b) for b in r.bands], "raw": str(r.raw), "rounded": _m(r.rounded),
            "rounding": str(r.rounded - r.raw), "cuts": [{"clause": c, "amount": _m(a)} for c, a in r.cuts],
            "payable": _m(r.payable),
            "year_to_date": {"eligible": _m(after.eligible), "deductible": _m(after.deductible),
                             "paid": _m(after.paid)}})
    return out


@exact
def _data(adj: Adjudication, product: Any, ready: bool) -> dict[str, Any]:
    """The result as data of the shape of :class:`Result` (keys as the JSON spells them);
    ``ready``: JSON-ready throughout, else step values may hold Decimals and dates and the
    year to date is its model, which pydantic-core writes."""
    lines, excluded = _lines(adj)
    kept = _KEPT[not ready]
    buckets: dict[str, Any] = {}
    eligible = ZERO
    for r in adj.responsibilities:
        eligible += r.eligible
        e, p = buckets.get(r.bucket, (ZERO, ZERO))
        buckets[r.bucket] = (e + r.eligible, p + r.payable)
    return {
        "schema": SCHEMA, "claim_id": adj.claim_id, "insured_id": adj.insured_id, "product_id": adj.product_id,
        "policy_year": adj.policy_year, "service_on": adj.service_on.isoformat(), "payable": _m(adj.payable),
        "pending_amount": _m(adj.pending_amount), "unknown_lists": adj.unknown_lists,
        "caveats": [_caveat(c) for c in adj.caveats], "medical_total": _m(adj.medical_total),
        "public_paid": _m(adj.public_paid), "owed": _m(adj.owed), "other_insurance_paid": _m(adj.other_insurance_paid),
        "eligible": _m(eligible), "excluded": _m(excluded),
        "indemnity": {"limit": _m(adj.indemnity_limit), "cut": _m(adj.indemnity_cut)},
        "buckets": {b: {"eligible": _m(e), "payable": _m(p)} for b, (e, p) in buckets.items()},
        "responsibilities": _responsibilities(adj),
        "lines": lines,
        "steps": [{"kind": s.kind, "subject": s.subject, "clause": s.clause, "source": _source(product, s.source),
                   "values": {k: v if type(v) in kept else _value(v, ready) for k, v in s.values.items()}}
                  for s in adj.steps],
        "year_to_date": adj.year_to_date.model_dump(mode="json") if ready else adj.year_to_date,
    }


def result_of(adj: Adjudication, product: Any = None) -> Result:
    """The adjudication as its output model; pass the product to have each step's source
    spelled out rather than named by id. (:func:`to_json` and
    :func:`~huiminbao_rules.render.explain.to_dict` write the same data without making
    the model.)"""
    return Result.model_validate(_data(adj, product, ready=False))


def to_json(adj: Adjudication, product: Any = None, *, indent: int | None = None) -> str:
    """The result JSON of one adjudication as text (pydantic-core writes it; UTF-8 text,
    not ASCII escapes): the same keys and values as
    :func:`~huiminbao_rules.render.explain.to_dict`, compact unless ``indent`` is given."""
    return _write(_data(adj, product, ready=False), indent=indent).decode()


def to_dict(adj: Adjudication, product: Any = None) -> dict[str, Any]:
    """The result of one adjudication as JSON-ready data: dicts, lists, strings, integers
    and null (what :func:`to_json` writes as text)."""
    return _data(adj, product, ready=True)


def to_data(result: Result) -> dict[str, Any]:
    """A result model as JSON-ready data: dicts, lists, strings, integers and null."""
    return Result.__pydantic_serializer__.to_python(result, mode="json", by_alias=True)  # type: ignore[no-any-return]
