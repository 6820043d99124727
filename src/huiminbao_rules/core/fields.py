"""The strict field types every input model uses: one owner for each rule.

Nothing is coerced. A value is accepted in the form the format states, or refused with a
message that says what is accepted:

- :data:`Day`: a ``"YYYY-MM-DD"`` string (or, from Python and TOML, a ``date`` that is
  not a ``datetime``), between :data:`FIRST_DAY` and :data:`LAST_DAY`;
- :data:`Int`: an integer (a JSON or TOML integer; never ``2022.0``, ``"2022"`` or ``true``);
- :data:`Bool`: ``true`` or ``false`` (never ``1``, ``"yes"``, ``"off"``);
- :data:`Id`: non-empty printable text of at most :data:`ID_MAX` characters, without
  control or invisible characters and without surrounding spaces;
- :data:`Text`: printable text of at most :data:`TEXT_MAX` characters (may be empty);
- :data:`Code`: an identifier: lower-case letters, digits and ``_``, starting with a letter.

Amounts and ratios are :data:`huiminbao_rules.core.money.Amount` and ``Rate``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Strict

__all__ = [
    "FIRST_DAY",
    "ID_MAX",
    "LAST_DAY",
    "TEXT_MAX",
    "Bool",
    "Code",
    "Day",
    "Id",
    "Int",
    "JsonInt",
    "Text",
    "check_id",
    "parse_day",
    "shown",
]

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
ID_MAX = 128
TEXT_MAX = 1000

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODE = re.compile(r"[a-z][a-z0-9_]*")


class JsonInt(int):
    """An integer as JSON text wrote it (a number, not a string). Integer fields take it;
    an amount refuses it, since amounts are JSON strings."""

    __slots__ = ()


def shown(value: Any) -> str:
    """A value as the input wrote it, for a message: text quoted, numbers as digits
    (``1.5``, never ``Decimal('1.5')``)."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        text = str(value)
        return text if len(text) <= 60 else f"a number of {len(text)} characters"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def parse_day(value: Any) -> date:
    """A calendar date from ``"YYYY-MM-DD"`` (or a ``date``), within the supported years."""
    if isinstance(value, datetime):
        raise ValueError(f"{shown(value)} is a date with a time; write the date alone, YYYY-MM-DD")
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        if not _DAY.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a date written YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{shown(value)} is not a calendar date (YYYY-MM-DD)") from None
    else:
        raise ValueError(f"a date is a string written YYYY-MM-DD, not {shown(value)}")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"date {day.isoformat()} is outside the supported years {FIRST_DAY.year}-{LAST_DAY.year}")
    return day


def _invisible(text: str) -> str | None:
    """The first character that is not printable (control, format, separator, surrogate …)."""
    for ch in text:
        if ch != " " and not ch.isprintable():
            return ch
    return None


def check_id(value: Any) -> str:
    """``value`` if it is an id (:data:`Id`); ValueError saying what is wrong otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"an id is a string, not {shown(value)}")
    if not value:
        raise ValueError("an id must not be empty")
    if len(value) > ID_MAX:
        raise ValueError(f"an id has at most {ID_MAX} characters; this one has {len(value)}")
    bad = _invisible(value)
    if bad is not None:
        raise ValueError(f"id {value!r} contains the invisible or control character U+{ord(bad):04X}")
    if value != value.strip():
        raise ValueError(f"id {value!r} starts or ends with a space")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {shown(value)}")
    if len(value) > TEXT_MAX:
        raise ValueError(f"text has at most {TEXT_MAX} characters; this has {len(value)}")
    bad = _invisible(value)
    if bad is not None:
        raise ValueError(f"text {value[:40]!r} contains the invisible or control character U+{ord(bad):04X}")
    return value


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(f"{value!r} is not an identifier: use lower-case letters, digits and _")
    return value


Day = Annotated[date, BeforeValidator(parse_day)]
"""A calendar date: ``"YYYY-MM-DD"``."""

Int = Annotated[int, Strict()]
"""An integer, as a JSON or TOML integer."""

Bool = Annotated[bool, Strict()]
"""``true`` or ``false``."""

Id = Annotated[str, BeforeValidator(check_id)]
"""Non-empty printable text of bounded length: no control or invisible characters."""

Text = Annotated[str, BeforeValidator(_text)]
"""Printable text of bounded length (may be empty)."""

Code = Annotated[str, BeforeValidator(check_id), AfterValidator(_code)]
"""An identifier: lower-case letters, digits and ``_``, starting with a letter."""
