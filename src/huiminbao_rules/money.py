"""Money and rates: the one place that turns input into ``Decimal`` and rounds.

Money is yuan as ``Decimal`` with at most two places (fen). Rates are ``Decimal``
fractions between 0 and 1 with at most four places (the national platform carries
ratios as ``5,4``). Binary floats are refused everywhere: ``0.1`` has no exact
binary value, so a float amount would already be wrong before any rule ran.

Every rounding in the library goes through :func:`quantize`, which always names its
mode instead of inheriting the context's banker's rounding; :func:`round_fen` is the
default (to the fen, ROUND_HALF_UP). A product may choose another mode or step for its
payable amounts (``[rounding]``); weights and pro-rating always use :func:`round_fen`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = [
    "FEN",
    "ZERO",
    "Amount",
    "Rate",
    "allocate",
    "allocate_units",
    "parse_amount",
    "parse_rate",
    "quantize",
    "round_fen",
]

FEN = Decimal("0.01")
_LIMIT = Decimal("1e14")
ZERO = Decimal("0.00")
ONE = Decimal("1")

_FLOAT_HINT = 'write it as a quoted decimal string, e.g. "1234.50"'


def _to_decimal(value: Any, what: str, hint: str = _FLOAT_HINT) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not a boolean")
    if isinstance(value, float):
        raise ValueError(
            f"{what} was given as a binary float ({value!r}), which cannot hold it exactly; {hint}"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "") if value.strip() else value
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a decimal number; {hint}") from None
    else:
        raise ValueError(f"{what} must be a decimal string, got {type(value).__name__}; {hint}")
    if not result.is_finite():
        raise ValueError(f"{what} {value!r} is not a finite number; {hint}")
    if result.adjusted() > 20:
        raise ValueError(f"{what} {value!r} is too large")
    return result


def parse_amount(value: Any) -> Decimal:
    """Turn an input amount into ``Decimal`` yuan with exactly two places.

    Accepts ``str``, ``int`` and ``Decimal``; refuses floats, more than two decimal
    places and negative amounts, each with a message that says what is accepted.

    >>> parse_amount("1234.5")
    Decimal('1234.50')
    >>> parse_amount(16000)
    Decimal('16000.00')
    """
    amount = _to_decimal(value, "amount")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(
            f"amount {value!r} has more than two decimal places; amounts are yuan to the fen (0.01)"
        )
    if amount < 0:
        raise ValueError(f"amount {value!r} is negative; amounts are zero or more")
    if amount >= _LIMIT:
        raise ValueError(f"amount {value!r} is too large: the national format holds 14 digits before the decimal point")
    return amount.quantize(FEN)


def parse_rate(value: Any) -> Decimal:
    """Turn an input ratio into a ``Decimal`` fraction between 0 and 1 (at most 4 places).

    >>> parse_rate("0.65")
    Decimal('0.65')
    """
    rate = _to_decimal(value, "ratio", 'write it as a quoted decimal string, e.g. "0.70"')
    if rate.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError(f"ratio {value!r} has more than four decimal places")
    if rate < 0 or rate > 1:
        raise ValueError(f"ratio {value!r} is outside 0..1; write 70% as 0.70")
    return rate


def quantize(value: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round ``value`` to a multiple of ``step`` (0.01 or 1) by the named ``decimal`` mode.

    >>> quantize(Decimal("2.665"), Decimal("0.01"), "ROUND_HALF_EVEN")
    Decimal('2.66')
    >>> quantize(Decimal("1234.5"), Decimal("1"), "ROUND_HALF_UP")
    Decimal('1235')
    """
    return value.quantize(step, rounding=mode)


def round_fen(value: Decimal) -> Decimal:
    """Round to the fen, half up (0.005 -> 0.01): the default rounding.

    >>> round_fen(Decimal("2.665"))
    Decimal('2.67')
    >>> round_fen(Decimal("0.004"))
    Decimal('0.00')
    """
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


_SCALE = Decimal("1e8")


def allocate(total: Decimal, weights: Sequence[Decimal], ties: Sequence[Any] | None = None) -> list[Decimal]:
    """Share ``total`` (money) out over ``weights`` so the parts add up to it exactly.

    Each part is the fen floor of its exact pro-rata share; the fen left over go one
    at a time to the largest remainders (on equal remainders, the smallest ``ties`` key
    first, then the earliest). Zero weights get
    zero. This is the largest-remainder (Hamilton) method; it is computed in integers
    (fen, and weights to eight decimal places), so it depends on nothing but the inputs.

    >>> allocate(Decimal("0.10"), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('0.04'), Decimal('0.03'), Decimal('0.03')]
    >>> allocate(Decimal("100.00"), [Decimal("0.0065"), Decimal("0.0035")])
    [Decimal('65.00'), Decimal('35.00')]
    """
    if total < 0:
        raise ValueError(f"cannot allocate a negative total {total}")
    if not weights:
        return []
    ws = [int(w * _SCALE) for w in weights]
    if sum(ws) == 0 and total != 0:
        raise ValueError("cannot allocate a non-zero total over zero weights")
    return [Decimal(c).scaleb(-2) for c in allocate_units(int(total * 100), ws, ties)]


def allocate_units(total: int, weights: Sequence[int], ties: Sequence[Any] | None = None) -> list[int]:
    """:func:`allocate` in whole units (fen): ``total`` shared over integer ``weights`` by
    largest remainder, ties by ``ties`` then position. All zero weights give all zeros.

    >>> allocate_units(10, [1, 1, 1])
    [4, 3, 3]
    """
    wsum = sum(weights)
    if wsum == 0:
        return [0] * len(weights)
    parts, rems = [], []
    for w in weights:
        q, r = divmod(total * w, wsum)
        parts.append(q)
        rems.append(r)
    left = total - sum(parts)
    if left:
        if ties is None:
            order = sorted(range(len(weights)), key=lambda i: (-rems[i], i))
        else:
            order = sorted(range(len(weights)), key=lambda i: (-rems[i], ties[i], i))
        for i in order[:left]:
            parts[i] += 1
    return parts


Amount = Annotated[Decimal, BeforeValidator(parse_amount), PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]
"""A money field: Decimal yuan to the fen, serialised as a string."""

Rate = Annotated[Decimal, BeforeValidator(parse_rate), PlainSerializer(str, return_type=str)]
"""A ratio field: Decimal in 0..1, serialised as a string."""
