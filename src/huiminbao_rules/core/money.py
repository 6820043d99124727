"""Money and rates: the one place that turns input into ``Decimal`` and rounds.

Money is yuan as ``Decimal`` with at most two places (fen). Rates are ``Decimal``
fractions between 0 and 1 with at most four places (the national platform carries
ratios as ``5,4``). Binary floats are refused everywhere: ``0.1`` has no exact
binary value, so a float amount would already be wrong before any rule ran. Text is
read strictly: ASCII digits and one ``.``, nothing else (no sign, separator, exponent,
space or other script), so ``"1,50"`` is never taken as 150.

The library computes in its own decimal context (:data:`CONTEXT`, through :func:`exact`
on every public entry point), so a caller's ``decimal`` context (a low precision, a
trap on ``Inexact``) changes no result.

Every rounding in the library goes through :func:`quantize`, which always names its
mode instead of inheriting the context's banker's rounding; :func:`round_fen` is the
default (to the fen, ROUND_HALF_UP). A product may choose another mode or step for its
payable amounts (``[rounding]``); weights and pro-rating always use :func:`round_fen`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, PlainSerializer

from huiminbao_rules.core.shares import largest_remainder

__all__ = [
    "CONTEXT",
    "FEN",
    "ZERO",
    "Amount",
    "Rate",
    "allocate",
    "allocate_units",
    "exact",
    "fen_text",
    "format_percent",
    "format_yuan",
    "from_fen",
    "parse_amount",
    "parse_rate",
    "quantize",
    "round_fen",
    "to_fen",
]

FEN = Decimal("0.01")
_LIMIT = Decimal("1e14")
_BIG = 10**14
ZERO = Decimal("0.00")
ONE = Decimal("1")

CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP, Emin=-999999, Emax=999999,
                  traps=[InvalidOperation, DivisionByZero, Overflow])
"""The decimal context the library computes in, whatever the caller's context is: 60
significant digits (amounts have at most 16), so no sum or product it forms is rounded
by the context; every rounding is explicit (:func:`quantize`)."""

_F = TypeVar("_F", bound=Callable[..., Any])


def exact(func: _F) -> _F:
    """Run ``func`` in :data:`CONTEXT` (a local context: the caller's is untouched)."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with localcontext(CONTEXT):
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


_AMOUNT_TEXT = re.compile(r"[0-9]{1,14}(?:\.[0-9]{1,2})?")
_RATE_TEXT = re.compile(r"[0-9](?:\.[0-9]{1,4})?")
_FLOAT_HINT = 'write it as a quoted decimal string, e.g. "1234.50"'
_AMOUNT_FORM = 'an amount is a JSON string of ASCII digits with at most two decimals, e.g. "1234.50"'


def _why_not(text: str, what: str, places: int) -> str:
    """Why ``text`` is not a plain decimal (the message names what is accepted)."""
    shown = repr(text) if len(text) <= 40 else repr(text[:37] + "...")
    if text != text.strip():
        return f"{what} {shown} has spaces around it"
    if text[:1] and text[:1] in "+-":
        return (f"{what} {shown} is negative; amounts are zero or more" if text[:1] == "-" and text.strip("-0.")
                else f"{what} {shown} has a sign; write the digits alone")
    if re.fullmatch(r"[0-9]+([,_' ][0-9]+)+(\.[0-9]*)?|[0-9]+,[0-9]*", text):
        return f"{what} {shown} has a separator; write the digits alone, with a '.' before the decimals"
    if re.fullmatch(r"[0-9.]+[eE][+-]?[0-9]+", text):
        return f"{what} {shown} has an exponent; write every digit"
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return f"{what} {shown} has digits of another script; use ASCII digits 0-9"
    if re.fullmatch(r"[0-9]+\.[0-9]+", text):
        if len(text.split(".")[1]) > places:
            return (f"{what} {shown} has more than two decimal places; amounts are yuan to the fen (0.01)"
                    if places == 2 else f"{what} {shown} has more than {places} decimal places")
        return f"{what} {shown} is too large"
    if re.fullmatch(r"[0-9]+", text):
        return f"{what} {shown} is too large"
    return f"{what} {shown} is not a decimal number"


def _refuse_type(value: Any, what: str, hint: str) -> None:
    from huiminbao_rules.core.fields import JsonInt, shown

    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not a boolean; {hint}")
    if isinstance(value, float):
        raise ValueError(
            f"{what} was given as a binary float ({value!r}), which cannot hold it exactly; {hint}"
        )
    if isinstance(value, JsonInt):
        raise ValueError(f"{what} was given as a JSON number ({shown(value)}); {hint}")
    if not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"{what} must be a decimal string, got {shown(value)}; {hint}")


@exact
def parse_amount(value: Any) -> Decimal:
    """Turn an input amount into ``Decimal`` yuan with exactly two places.

    Text must be ASCII digits with at most two decimals and nothing else: no sign,
    separator, exponent, space or other script. From Python (and TOML), an ``int`` or a
    ``Decimal`` is also taken when it is exact to the fen and not negative (``-0.00``
    included). Binary floats, booleans and JSON numbers are refused, each with a message
    that says what is accepted.

    >>> parse_amount("1234.5")
    Decimal('1234.50')
    >>> parse_amount(16000)
    Decimal('16000.00')
    """
    _refuse_type(value, "amount", _FLOAT_HINT)
    if isinstance(value, str):
        if len(value) > 40 or not _AMOUNT_TEXT.fullmatch(value):
            raise ValueError(_why_not(value, "amount", 2))
        return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
    if isinstance(value, int) and not -_BIG < value < _BIG:
        raise ValueError(f"amount of {'more than 14' if value > 0 else 'a negative number of'} digits is "
                         "refused: amounts are zero or more, with 14 digits before the decimal point")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"amount {value} is not a finite number; {_AMOUNT_FORM}")
    if amount.adjusted() >= 14:
        raise ValueError("amount is too large: the national format holds 14 digits before the decimal point")
    shown_ = str(value)
    if amount.is_signed():
        raise ValueError(f"amount {shown_} is negative; amounts are zero or more" if amount
                         else f"amount {shown_} has a sign; write 0.00")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):  # type: ignore[operator]
        raise ValueError(f"amount {shown_} has more than two decimal places; amounts are yuan to the fen (0.01)")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@exact
def parse_rate(value: Any) -> Decimal:
    """Turn an input ratio into a ``Decimal`` fraction between 0 and 1 (at most 4 places).

    Text is ASCII digits (``"0.65"``); from Python and TOML an ``int`` or ``Decimal``.

    >>> parse_rate("0.65")
    Decimal('0.65')
    """
    hint = 'write it as a quoted decimal string, e.g. "0.70"'
    _refuse_type(value, "ratio", hint)
    if isinstance(value, str):
        if len(value) > 40 or not _RATE_TEXT.fullmatch(value):
            raise ValueError(_why_not(value, "ratio", 4) if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value)
                             else f"ratio {value!r} is outside 0..1 or has more than four decimal places; "
                                  "write 70% as 0.70")
        rate = Decimal(value)
    else:
        if isinstance(value, int) and not -_BIG < value < _BIG:
            raise ValueError("ratio is outside 0..1; write 70% as 0.70")
        rate = Decimal(value)
        if not rate.is_finite():
            raise ValueError(f"ratio {value} is not a finite number; {hint}")
        if rate.adjusted() > 0 or rate.adjusted() < -30:
            if rate:
                raise ValueError("ratio is outside 0..1 or has more than four decimal places; write 70% as 0.70")
    text = str(value)
    if rate.is_signed():
        raise ValueError(f"ratio {text} has a sign; ratios are 0..1")
    if rate.as_tuple().exponent < -4 and rate != rate.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP):  # type: ignore[operator]
        raise ValueError(f"ratio {text} has more than four decimal places")
    if rate > 1:
        raise ValueError(f"ratio {text} is outside 0..1; write 70% as 0.70")
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


def to_fen(amount: Decimal) -> int:
    """Exact integer fen of a yuan amount; an amount that is not a whole number of fen is
    refused (nothing is rounded here: round first, naming the mode).

    >>> to_fen(Decimal("1234.56"))
    123456
    >>> to_fen(Decimal("0.005"))
    Traceback (most recent call last):
    ...
    ValueError: amount 0.005 is not a whole number of fen
    """
    numerator, denominator = amount.as_integer_ratio()  # exact, in lowest terms
    if 100 % denominator:
        raise ValueError(f"amount {amount} is not a whole number of fen")
    return numerator * (100 // denominator)


def from_fen(fen: int) -> Decimal:
    """Integer fen as exact ``Decimal`` yuan with two places.

    >>> from_fen(123456), from_fen(-5), from_fen(0)
    (Decimal('1234.56'), Decimal('-0.05'), Decimal('0.00'))
    """
    return Decimal(int(fen)).scaleb(-2)


def format_yuan(amount: Decimal, *, grouped: bool = False, signed: bool = False) -> str:
    """Yuan as text: two decimals, with thousands separators when ``grouped`` and a sign
    always when ``signed``. An amount that is not a whole number of fen is refused rather
    than rounded silently.

    >>> format_yuan(Decimal("1234.5")), format_yuan(Decimal("1234.5"), grouped=True)
    ('1234.50', '1,234.50')
    >>> format_yuan(Decimal("3"), signed=True), format_yuan(Decimal("-3"), signed=True)
    ('+3.00', '-3.00')
    """
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):  # type: ignore[operator]
        raise ValueError(f"amount {amount} is not a whole number of fen")
    return format(amount, ("+" if signed else "") + ("," if grouped else "") + ".2f")


def format_percent(rate: Decimal) -> str:
    """A ratio as a percentage with every digit it has and no trailing zeros.

    >>> format_percent(Decimal("0.70")), format_percent(Decimal("0.6550"))
    ('70%', '65.5%')
    """
    return f"{(rate * 100).normalize():f}%"


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
    return [from_fen(c) for c in allocate_units(to_fen(total), ws, ties)]


def allocate_units(total: int, weights: Sequence[int], ties: Sequence[Any] | None = None) -> list[int]:
    """:func:`allocate` in whole units (fen): ``total`` shared over integer ``weights`` by
    largest remainder, ties by ``ties`` then position. All zero weights give all zeros.
    The rule is :func:`huiminbao_rules.core.shares.largest_remainder`, the one definition
    both engines use.

    >>> allocate_units(10, [1, 1, 1])
    [4, 3, 3]
    """
    return largest_remainder(total, weights, ties if ties is not None else (0,) * len(weights))


_AMOUNT_FULL = re.compile(r"[0-9]{1,14}(\.[0-9]{1,2})?").fullmatch


def read_amount(value: Any) -> Decimal:
    """:func:`parse_amount`, quicker on the common case, an amount as JSON text writes it:
    text of ASCII digits with at most two decimals becomes ``Decimal`` yuan with exactly
    two places by building the two-place text (a ``Decimal`` made from text is exact in
    any context), with no rounding and no context; anything else (other types, and every
    text :func:`parse_amount` refuses) goes to :func:`parse_amount`, which accepts or
    refuses it with its message.

    >>> read_amount("7.5"), read_amount("12")
    (Decimal('7.50'), Decimal('12.00'))
    """
    if type(value) is str:
        match = _AMOUNT_FULL(value)
        if match is not None:
            decimals = match.group(1)
            if decimals is None:
                return Decimal(value + ".00")
            return Decimal(value if len(decimals) == 3 else value + "0")
    return parse_amount(value)


def amount_text(amount: Decimal) -> str:
    """An amount as JSON writes it: yuan with exactly two decimals (``"1234.50"``).
    ``str`` gives that, quicker, for an amount that has two places (every amount the
    library reads or computes to the fen).

    >>> amount_text(Decimal("7.50")), amount_text(Decimal("12")), amount_text(Decimal("0E-8"))
    ('7.50', '12.00', '0.00')
    """
    text = str(amount)
    return text if text[-3:-2] == "." else format_yuan(amount)


def fen_text(fen: int) -> str:
    """Integer fen as JSON writes an amount, ``amount_text(from_fen(fen))`` without making
    the ``Decimal``: yuan with exactly two decimals.

    >>> fen_text(123456), fen_text(5), fen_text(0), fen_text(-5)
    ('1234.56', '0.05', '0.00', '-0.05')
    """
    if fen < 0:
        return "-" + fen_text(-fen)
    return str(fen // 100) + _CENTS[fen % 100]


_CENTS = tuple(f".{c:02d}" for c in range(100))


Amount = Annotated[Decimal, BeforeValidator(read_amount), PlainSerializer(amount_text, return_type=str)]
"""A money field: Decimal yuan to the fen, serialised as a string."""

Rate = Annotated[Decimal, BeforeValidator(parse_rate), PlainSerializer(str, return_type=str)]
"""A ratio field: Decimal in 0..1, serialised as a string."""
