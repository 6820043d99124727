"""JSON Schemas of the files a user writes and of the result the library gives back.

``schema(name)`` returns the JSON Schema (a dict) of one format; ``huiminbao schema NAME``
prints it. The input schemas (``claim``, ``application``, ``year-to-date``, ``product``)
are generated from the models that read those files, in validation mode, the way a file
is written: amounts are strings (``"1234.50"``; a product file, TOML read with exact
decimals, may also write them as numbers), dates ``YYYY-MM-DD`` strings. The ``result`` schema
is generated from the output models below, which describe key for key what
:func:`~huiminbao_rules.render.explain.to_dict` produces (docs/result-json.md).

The schemas are generated when asked for, from the models themselves, so they cannot
drift from what the library reads and writes. A schema says what a file looks like; the
library checks more than a schema can (identities between amounts, known ids, limits),
so a file that validates may still be refused, with a message naming what is wrong.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema

from huiminbao_rules.core import fields
from huiminbao_rules.core import money
from huiminbao_rules.enrollment.application import Application
from huiminbao_rules.claims.models import Claim
from huiminbao_rules.rules.product import Product
from huiminbao_rules.adjudication.result import YearToDate

__all__ = ["NAMES", "schema"]

NAMES = ("claim", "application", "year-to-date", "product", "result")
"""The formats :func:`schema` knows, in the order the docs present them."""

_MONEY = r"^[0-9]+\.[0-9]{2}$"
_EXACT = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_AMOUNT_TEXT = {"type": "string", "pattern": "^" + money._AMOUNT_TEXT.pattern + "$",
                "description": "yuan as a decimal string, at most two decimals, e.g. \"1234.50\""}
_RATE_TEXT = {"type": "string", "pattern": "^" + money._RATE_TEXT.pattern + "$",
              "description": "a ratio between 0 and 1 as a decimal string, e.g. \"0.70\""}


class _InputSchema(GenerateJsonSchema):
    """Validation-mode schemas as a JSON file is written: the library's parsers for
    amounts, ratios and dates take text, not JSON numbers."""

    toml = False

    def function_before_schema(self, schema: Any) -> Any:
        fn = schema["function"]["function"]
        if fn is money.parse_amount or fn is money.read_amount:
            if self.toml:
                return {"anyOf": [_AMOUNT_TEXT, {"type": "number", "minimum": 0}]}
            return dict(_AMOUNT_TEXT)
        if fn is money.parse_rate:
            if self.toml:
                return {"anyOf": [_RATE_TEXT, {"type": "number", "minimum": 0, "maximum": 1}]}
            return dict(_RATE_TEXT)
        if fn is fields.parse_day:
            return {"type": "string", "pattern": _DATE, "format": "date"}
        return super().function_before_schema(schema)


class _TomlSchema(_InputSchema):
    """A product file is TOML, read with exact decimals: amounts and ratios may be numbers
    there. The schema is of a product in its full form (as ``huiminbao show --json``
    prints it); it does not cover a file's shorthands (TOML dates, one table where the
    model takes a list of them)."""

    toml = True


# ---- the result JSON: what explain.to_dict produces --------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Band(_Out):
    """A band piece: the part of an eligible amount between ``from`` and ``to``, at ``rate``."""

    from_: str = Field(alias="from", pattern=_MONEY)
    to: str = Field(pattern=_MONEY)
    rate: str = Field(pattern=_EXACT)
    amount: str = Field(pattern=_MONEY)
    raw: str = Field(pattern=_EXACT)


class Cut(_Out):
    clause: str
    amount: str = Field(pattern=_MONEY)


class Exclusion(_Out):
    reason: str
    amount: str = Field(pattern=_MONEY)
    clause: str


class Portion(_Out):
    part: Literal["preselfpay", "inscp_copay", "fulamt", "overlmt"]
    amount: str = Field(pattern=_MONEY)
    responsibility: str | None
    eligible: str = Field(pattern=_MONEY)
    deductible: str = Field(pattern=_MONEY)
    bands: list[Band]
    raw: str = Field(pattern=_EXACT)
    rounded: str = Field(pattern=_MONEY)
    cuts: list[Cut]
    payable: str = Field(pattern=_MONEY)
    exclusions: list[Exclusion]


class Line(_Out):
    encounter_id: str
    number: int = Field(ge=1)
    feedetl_sn: str | None
    code: str
    name: str
    amount: str = Field(pattern=_MONEY)
    public_paid: str = Field(pattern=_MONEY)
    eligible: str = Field(pattern=_MONEY)
    payable: str = Field(pattern=_MONEY)
    excluded: str = Field(pattern=_MONEY)
    pending: str = Field(pattern=_MONEY)
    portions: list[Portion]


class Deductible(_Out):
    annual: str = Field(pattern=_MONEY)
    used_before: str = Field(pattern=_MONEY)
    taken: str = Field(pattern=_MONEY)


class ResponsibilityYearToDate(_Out):
    eligible: str = Field(pattern=_MONEY)
    deductible: str = Field(pattern=_MONEY)
    paid: str = Field(pattern=_MONEY)


class Responsibility(_Out):
    id: str
    name_zh: str
    name_en: str
    bucket: Literal["compliant", "reasonable", "special_drug", "other"]
    eligible: str = Field(pattern=_MONEY)
    deductible: Deductible
    bands: list[Band]
    raw: str = Field(pattern=_EXACT)
    rounded: str = Field(pattern=_MONEY)
    rounding: str = Field(pattern=_EXACT)
    cuts: list[Cut]
    payable: str = Field(pattern=_MONEY)
    year_to_date: ResponsibilityYearToDate


class Caveat(_Out):
    code: Literal["list_unknown", "unverified_term", "assumed_period", "user_list"]
    message: str
    message_zh: str
    responsibility: str | None = None
    line: str | None = None
    list: str | None = None
    clause: str | None = None
    amount: str | None = Field(default=None, pattern=_MONEY)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class Source(_Out):
    """A step's source: only ``id`` when the product was not given to ``to_dict``."""

    id: str
    title: str | None = None
    url: str | None = None
    grade: str | None = None


class Step(_Out):
    kind: str
    subject: str
    clause: str
    source: Source | None
    values: dict[str, Any] = Field(description="the figures the step used and produced, per kind (for reading)")


class Indemnity(_Out):
    limit: str = Field(pattern=_MONEY)
    cut: str = Field(pattern=_MONEY)


class BucketTotals(_Out):
    eligible: str = Field(pattern=_MONEY)
    payable: str = Field(pattern=_MONEY)


class Result(_Out):
    """One claim's result, as ``huiminbao adjudicate --json`` prints it (an array of these)."""

    model_config = ConfigDict(extra="forbid", title="huiminbao_rules.adjudication/1")

    schema_: Literal["huiminbao_rules.adjudication/1"] = Field(alias="schema")
    claim_id: str
    insured_id: str
    product_id: str
    policy_year: int
    service_on: str = Field(pattern=_DATE, json_schema_extra={"format": "date"})
    payable: str = Field(pattern=_MONEY)
    pending_amount: str = Field(pattern=_MONEY)
    unknown_lists: Literal["pend", "member", "non-member"]
    caveats: list[Caveat]
    medical_total: str = Field(pattern=_MONEY)
    public_paid: str = Field(pattern=_MONEY)
    owed: str = Field(pattern=_MONEY)
    other_insurance_paid: str = Field(pattern=_MONEY)
    eligible: str = Field(pattern=_MONEY)
    excluded: str = Field(pattern=_MONEY)
    indemnity: Indemnity
    buckets: dict[Literal["compliant", "reasonable", "special_drug", "other"], BucketTotals]
    responsibilities: list[Responsibility]
    lines: list[Line]
    steps: list[Step]
    year_to_date: YearToDate


def _result_schema() -> dict[str, Any]:
    one = Result.model_json_schema(by_alias=True, mode="serialization")
    defs = one.pop("$defs", {})
    return {"title": "huiminbao adjudicate --json", "description": "One result per claim, in service-date order.",
            "type": "array", "items": one, "$defs": defs}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of the format ``name`` (one of :data:`NAMES`).

    >>> schema("result")["items"]["properties"]["payable"]["pattern"]
    '^[0-9]+\\\\.[0-9]{2}$'
    """
    if name == "claim":
        out = Claim.model_json_schema(mode="validation", schema_generator=_InputSchema)
    elif name == "application":
        out = Application.model_json_schema(mode="validation", schema_generator=_InputSchema)
    elif name == "year-to-date":
        out = YearToDate.model_json_schema(mode="validation", schema_generator=_InputSchema)
    elif name == "product":
        out = Product.model_json_schema(mode="validation", schema_generator=_TomlSchema)
    elif name == "result":
        out = _result_schema()
    else:
        raise ValueError(f"no schema named {name!r}; accepted: {', '.join(NAMES)}")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}
