"""JSON Schemas of the files a user writes and of the result the library gives back.

``schema(name)`` returns the JSON Schema (a dict) of one format; ``huiminbao schema NAME``
prints it. The input schemas (``claim``, ``application``, ``year-to-date``, ``product``)
are generated from the models that read those files, in validation mode, the way a file
is written: amounts are strings (``"1234.50"``; a product file, TOML read with exact
decimals, may also write them as numbers), dates ``YYYY-MM-DD`` strings. The ``result`` schema
is generated from the output models of :mod:`huiminbao_rules.render.output`, the models
that produce the result JSON (:func:`~huiminbao_rules.render.explain.to_dict`,
:func:`~huiminbao_rules.render.output.to_json`; docs/result-json.md).

The schemas are generated when asked for, from the models themselves, so they cannot
drift from what the library reads and writes. A schema says what a file looks like; the
library checks more than a schema can (identities between amounts, known ids, limits),
so a file that validates may still be refused, with a message naming what is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from huiminbao_rules.core import fields
from huiminbao_rules.core import money
from huiminbao_rules.enrollment.application import Application
from huiminbao_rules.claims.models import Claim
from huiminbao_rules.rules.product import Product
from huiminbao_rules.adjudication.result import YearToDate
from huiminbao_rules.render.output import _DATE, _MONEY, Result

__all__ = ["NAMES", "schema"]

NAMES = ("claim", "application", "year-to-date", "product", "result")
"""The formats :func:`schema` knows, in the order the docs present them."""


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


class _ResultSchema(GenerateJsonSchema):
    """Serialisation-mode schemas of the result: an amount of the year-to-date record is
    written as money (:func:`~huiminbao_rules.core.money.amount_text`)."""

    def ser_schema(self, schema: Any) -> Any:
        if schema.get("type") == "function-plain" and schema.get("function") is money.amount_text:
            return {"type": "string", "pattern": _MONEY}
        return super().ser_schema(schema)


def _result_schema() -> dict[str, Any]:
    one = Result.model_json_schema(by_alias=True, mode="serialization", schema_generator=_ResultSchema)
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
