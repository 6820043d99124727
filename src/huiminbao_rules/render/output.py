"""The result JSON as typed output models: the one definition of its shape.

:func:`result_of` makes a :class:`Result` from an adjudication; pydantic-core serialises
it (:func:`to_json` as JSON text, :func:`~huiminbao_rules.render.explain.to_dict` as
JSON-ready data), and :func:`huiminbao_rules.render.schemas.schema` prints the JSON Schema
of the same models (``huiminbao schema result``). The shape is documented in
``docs/result-json.md``.

Money is formatted once, where a model is made: a string with exactly two decimals
(``"38600.00"``); ``raw`` and ``rounding`` are exact decimal strings with every digit they
carry. The models are made from figures the library computed, not from input, so
:func:`result_of` builds them without validating again (as ``model_construct`` does, in
one step); the tests validate what it writes against the schema.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, WithJsonSchema, model_serializer

from huiminbao_rules.adjudication.result import Adjudication, BandPiece, YearToDate
from huiminbao_rules.core.money import ZERO, amount_text, exact
from huiminbao_rules.core.vocabulary import Bucket
from huiminbao_rules.core.vocabulary import Portion as PortionCode

__all__ = ["SCHEMA", "Result", "result_of", "to_json"]

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


# ---- making the models ------------------------------------------------------------------

_new = object.__new__
_slots = BaseModel.__dict__
_set_dict = _slots["__dict__"].__set__
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__


def _make(cls: type[_Out]) -> Any:
    """A maker of ``cls`` from a dict of its fields (by name, every field given), without
    validation: the values come from this module, already in their output form. It sets
    what ``model_construct`` sets, through the slots themselves (this runs for every line,
    portion, band and cut of every result)."""
    every = set(cls.model_fields)

    def make(values: dict[str, Any]) -> Any:
        m = _new(cls)
        _set_dict(m, values)
        _set_fields_set(m, every)
        _set_extra(m, None)
        _set_private(m, None)
        return m

    return make


_band_model, _cut, _exclusion, _portion, _line = (_make(Band), _make(Cut), _make(Exclusion), _make(Portion),
                                                  _make(Line))
_deductible, _resp_ytd, _responsibility_model = _make(Deductible), _make(ResponsibilityYearToDate), _make(Responsibility)
_source_ref, _source_model, _step, _indemnity, _totals, _result = (
    _make(SourceRef), _make(Source), _make(Step), _make(Indemnity), _make(BucketTotals), _make(Result))
_caveat_model = _make(Caveat)


_m = amount_text  # money as a string with two decimals


def _band(b: BandPiece) -> Any:
    return _band_model({"from_": _m(b.start), "to": _m(b.end), "rate": str(b.rate), "amount": _m(b.end - b.start),
                        "raw": str(b.raw)})


_NATIVE = frozenset({str, int, bool, type(None), Decimal, date})
"""Value types of steps pydantic-core writes itself as this format wants them: a Decimal as
``str`` gives it (every digit), a date as ISO text."""


def _plain(v: Any) -> Any:
    """A value of a step as pydantic-core should meet it: band pieces as bands, tuples as
    lists, anything else as it is (see :data:`_NATIVE`)."""
    kind = type(v)
    if kind in _NATIVE:
        return v
    if kind is BandPiece:
        return {"from": _m(v.start), "to": _m(v.end), "rate": str(v.rate), "amount": _m(v.end - v.start),
                "raw": str(v.raw)}
    if kind is dict:
        return {k: _plain(x) for k, x in v.items()}
    if kind is list or kind is tuple:
        return [_plain(x) for x in v]
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _source(product: Any, source_id: str | None) -> Any:
    if source_id is None:
        return None
    src = product.sources.get(source_id) if product else None
    if src is None:
        return _source_ref({"id": source_id})
    return _source_model({"id": source_id, "title": src.title, "url": src.url, "grade": src.grade})


def _caveat(c: Any) -> Any:
    return _caveat_model({
        "code": c.code, "message": c.message, "message_zh": c.message_zh, "responsibility": c.responsibility,
        "line": c.line, "list": c.list, "clause": c.clause, "amount": None if c.amount is None else _m(c.amount),
        "sha256": c.sha256})


def _lines(adj: Adjudication) -> tuple[list[Any], Decimal]:
    """The lines as models, and the claim's excluded total. (The money of a line and its
    portions is formatted inline, ``str`` then :func:`_m` only when that did not give two
    decimals: this loop formats most of a result's figures.)"""
    out = []
    excluded_total = ZERO
    m, band, cut, exclusion, portion, make_line = _m, _band, _cut, _exclusion, _portion, _line
    for line in adj.lines:
        eligible = payable = excluded = pending = ZERO
        portions = []
        for p in line.portions:
            eligible += p.eligible
            payable += p.payable
            exclusions = []
            for e in p.exclusions:
                excluded += e.amount
                if e.reason == "pending_review":
                    pending += e.amount
                exclusions.append(exclusion({"reason": e.reason, "amount": m(e.amount), "clause": e.clause}))
            amount, p_eligible, deductible, rounded, p_payable = (
                str(p.amount), str(p.eligible), str(p.deductible), str(p.rounded), str(p.payable))
            if not (amount[-3:-2] == p_eligible[-3:-2] == deductible[-3:-2] == rounded[-3:-2]
                    == p_payable[-3:-2] == "."):
                amount, p_eligible, deductible, rounded, p_payable = (
                    m(p.amount), m(p.eligible), m(p.deductible), m(p.rounded), m(p.payable))
            portions.append(portion({
                "part": p.part, "amount": amount, "responsibility": p.responsibility, "eligible": p_eligible,
                "deductible": deductible, "bands": [band(b) for b in p.bands] if p.bands else [],
                "raw": str(p.raw), "rounded": rounded,
                "cuts": [cut({"clause": c, "amount": m(a)}) for c, a in p.cuts] if p.cuts else [],
                "payable": p_payable, "exclusions": exclusions}))
        excluded_total += excluded
        out.append(make_line({
            "encounter_id": line.encounter_id, "number": line.number, "feedetl_sn": line.feedetl_sn,
            "code": line.code, "name": line.name, "amount": m(line.amount), "public_paid": m(line.public_paid),
            "eligible": m(eligible), "payable": m(payable), "excluded": m(excluded), "pending": m(pending),
            "portions": portions}))
    return out, excluded_total


def _responsibilities(adj: Adjudication) -> list[Any]:
    out = []
    for r in adj.responsibilities:
        after = adj.year_to_date.responsibility(r.id)
        out.append(_responsibility_model({
            "id": r.id, "name_zh": r.name_zh, "name_en": r.name_en, "bucket": r.bucket, "eligible": _m(r.eligible),
            "deductible": _deductible({"annual": _m(r.deductible_amount), "used_before": _m(r.deductible_before),
                                       "taken": _m(r.deductible)}),
            "bands": [_band(b) for b in r.bands], "raw": str(r.raw), "rounded": _m(r.rounded),
            "rounding": str(r.rounded - r.raw), "cuts": [_cut({"clause": c, "amount": _m(a)}) for c, a in r.cuts],
            "payable": _m(r.payable),
            "year_to_date": _resp_ytd({"eligible": _m(after.eligible), "deductible": _m(after.deductible),
                                       "paid": _m(after.paid)})}))
    return out


@exact
def result_of(adj: Adjudication, product: Any = None) -> Result:
    """The adjudication as its output model; pass the product to have each step's source
    spelled out rather than named by id."""
    lines, excluded = _lines(adj)
    buckets: dict[str, Any] = {}
    eligible = ZERO
    for r in adj.responsibilities:
        eligible += r.eligible
        e, p = buckets.get(r.bucket, (ZERO, ZERO))
        buckets[r.bucket] = (e + r.eligible, p + r.payable)
    return _result({  # type: ignore[no-any-return]
        "schema_": SCHEMA, "claim_id": adj.claim_id, "insured_id": adj.insured_id, "product_id": adj.product_id,
        "policy_year": adj.policy_year, "service_on": adj.service_on.isoformat(), "payable": _m(adj.payable),
        "pending_amount": _m(adj.pending_amount), "unknown_lists": adj.unknown_lists,
        "caveats": [_caveat(c) for c in adj.caveats], "medical_total": _m(adj.medical_total),
        "public_paid": _m(adj.public_paid), "owed": _m(adj.owed), "other_insurance_paid": _m(adj.other_insurance_paid),
        "eligible": _m(eligible), "excluded": _m(excluded),
        "indemnity": _indemnity({"limit": _m(adj.indemnity_limit), "cut": _m(adj.indemnity_cut)}),
        "buckets": {b: _totals({"eligible": _m(e), "payable": _m(p)}) for b, (e, p) in buckets.items()},
        "responsibilities": _responsibilities(adj),
        "lines": lines,
        "steps": [_step({"kind": s.kind, "subject": s.subject, "clause": s.clause,
                         "source": _source(product, s.source),
                         "values": {k: v if type(v) in _NATIVE else _plain(v) for k, v in s.values.items()}})
                  for s in adj.steps],
        "year_to_date": adj.year_to_date,
    })


_SERIALIZER = Result.__pydantic_serializer__


def to_json(adj: Adjudication, product: Any = None, *, indent: int | None = None) -> str:
    """The result JSON of one adjudication as text (pydantic-core writes it; UTF-8 text,
    not ASCII escapes): the same keys and values as
    :func:`~huiminbao_rules.render.explain.to_dict`, compact unless ``indent`` is given."""
    return _SERIALIZER.to_json(result_of(adj, product), by_alias=True, indent=indent).decode()


def to_data(result: Result) -> dict[str, Any]:
    """A result model as JSON-ready data: dicts, lists, strings, integers and null."""
    return _SERIALIZER.to_python(result, mode="json", by_alias=True)  # type: ignore[no-any-return]
