"""The benefits kernel: every money rule of an adjudication, each defined once, over
integer fen.

Both engines use these very functions: the reference engine
(:mod:`huiminbao_rules.adjudication.engine`) calls them claim by claim, and the columnar
engine compiles the same function objects with ``numba.njit``. So they are plain
functions of ints, bools and sequences (tuples, lists or arrays) of ints: no objects, no
``Decimal``, no imports, nothing a compiler would refuse.

Units:

- money is integer **fen** (1 yuan = 100 fen), never negative;
- rates (ratios and selector weights) are integer parts per :data:`RATE_SCALE` (10,000):
  a ratio carries at most four decimals, so 0.65 is 6500 and 0.0065 is 65;
- a band's *raw* amount is fen × rate, that is fen × 10,000 before rounding;
- a rounding mode is one of :data:`HALF_UP`, :data:`HALF_EVEN`, :data:`DOWN`
  (:data:`MODES` names them as the product file does).

Largest-remainder sharing (:func:`largest_remainder`) is defined in
:mod:`huiminbao_rules.core.shares`, the lowest layer that needs it (``core.money``'s
``allocate`` is built on it), and is one of the kernel's rules here; like the rest it
uses nothing but the standard library.

The order in which the engines apply them is written in ``docs/computation.md``.
"""

from __future__ import annotations

from huiminbao_rules.core.shares import largest_remainder

__all__ = [
    "BEFORE_COVER",
    "COVERED",
    "DOWN",
    "HALF_EVEN",
    "HALF_UP",
    "MODES",
    "OTHER_POLICY_YEAR",
    "RATE_SCALE",
    "WAITING",
    "band_axis",
    "band_piece",
    "bands_raw",
    "capped",
    "compiled",
    "copay",
    "count_allows",
    "covered_until",
    "cut_from",
    "deductible_left",
    "deductible_taken",
    "encounter_verdict",
    "indemnity_excess",
    "indemnity_limit",
    "largest_remainder",
    "prorated",
    "room",
    "round_div",
    "round_raw",
    "stay_prorated",
    "weighted",
]

RATE_SCALE = 10_000
"""Rates are integers in parts per 10,000 (a ratio has at most four decimals)."""

HALF_UP = 0
"""Round half up (0.005 -> 0.01): the default."""
HALF_EVEN = 1
"""Round half to even (banker's rounding)."""
DOWN = 2
"""Round toward zero (amounts are never negative: drop the remainder)."""

MODES = {"ROUND_HALF_UP": HALF_UP, "ROUND_HALF_EVEN": HALF_EVEN, "ROUND_DOWN": DOWN}
"""A product's ``[rounding] mode`` (the ``decimal`` name) to the kernel's code."""


# ---- rounding ---------------------------------------------------------------------------


def round_div(numerator: int, denominator: int, mode: int) -> int:
    """``numerator / denominator`` rounded to a whole number by ``mode``; both not negative,
    the denominator not zero.

    >>> round_div(5, 2, HALF_UP), round_div(5, 2, HALF_EVEN), round_div(7, 2, HALF_EVEN), round_div(7, 2, DOWN)
    (3, 2, 4, 3)
    """
    q = numerator // denominator
    r = numerator - q * denominator
    if mode == DOWN:
        return q
    twice = 2 * r
    if twice > denominator or (twice == denominator and (mode == HALF_UP or q % 2 == 1)):
        return q + 1
    return q


def round_raw(raw: int, step: int, mode: int) -> int:
    """A raw amount (fen × :data:`RATE_SCALE`) rounded to fen, to a multiple of ``step`` fen
    (1: to the fen; 100: to the yuan) by ``mode``.

    >>> round_raw(15000, 1, HALF_UP), round_raw(15000, 1, HALF_EVEN), round_raw(1500000, 100, HALF_EVEN)
    (2, 2, 200)
    """
    return round_div(raw, RATE_SCALE * step, mode) * step


def weighted(amount: int, weight: int) -> int:
    """The eligible part of ``amount`` fen that a selector with ``weight`` (parts per
    10,000) takes, rounded to the fen half up.

    >>> weighted(333, 5000)
    167
    """
    return round_div(amount * weight, RATE_SCALE, HALF_UP)


def prorated(amount: int, covered_days: int, days: int) -> int:
    """The part of ``amount`` fen that ``covered_days`` of a stay of ``days`` days covers,
    rounded to the fen half up.

    >>> prorated(1000, 1, 3)
    333
    """
    return round_div(amount * covered_days, days, HALF_UP)


# ---- what the person owes ------------------------------------------------------------------


def copay(in_scope: int, public_paid: int) -> int:
    """The in-scope co-pay an encounter leaves the person: its in-scope amount less what
    the public payers paid, never below zero (public payers paying more than the in-scope
    amount leave no co-pay).

    >>> copay(1000, 700), copay(1000, 1200)
    (300, 0)
    """
    return in_scope - public_paid if in_scope > public_paid else 0


# ---- deductible and bands ------------------------------------------------------------------


def deductible_left(annual: int, used: int) -> int:
    """What remains of an ``annual`` deductible (or pool) of which ``used`` is taken."""
    return annual - used if annual > used else 0


def deductible_taken(eligible: int, annual: int, used: int) -> int:
    """What the deductible takes from ``eligible``: all of it up to what remains.

    >>> deductible_taken(500, 1000, 800), deductible_taken(500, 1000, 0)
    (200, 500)
    """
    left = deductible_left(annual, used)
    return eligible if eligible < left else left


def band_axis(on_eligible: bool, position: int, taken_before: int, eligible: int, deductible: int) -> tuple[int, int]:
    """Where an eligible amount lies on its responsibility's yearly axis: ``(lo, hi)``.

    ``position`` is the eligible amount counted before it this year and ``taken_before``
    the deductible taken before it. On the *eligible* axis (``on_eligible``) the amount
    starts at ``position`` and the deductible is its first part; on the axis *after the
    deductible* only what the deductible leaves counts, from ``position - taken_before``.

    >>> band_axis(True, 1000, 300, 500, 200), band_axis(False, 1000, 300, 500, 200)
    ((1200, 1500), (700, 1000))
    """
    if on_eligible:
        return position + deductible, position + eligible
    lo = position - taken_before
    return lo, lo + eligible - deductible


def band_piece(lo: int, hi: int, start: int, end: int) -> tuple[int, int]:
    """The part ``(a, b)`` of ``[lo, hi)`` inside the band ``[start, end)`` (``end`` < 0:
    no upper end); empty when ``b <= a``.

    >>> band_piece(500, 1500, 0, 1000), band_piece(500, 1500, 1000, -1), band_piece(0, 500, 1000, -1)
    ((500, 1000), (1000, 1500), (1000, 500))
    """
    a = lo if lo > start else start
    b = hi if end < 0 or hi < end else end
    return a, b


def bands_raw(lo: int, hi: int, starts, ends, rates) -> int:  # type: ignore[no-untyped-def]
    """The raw amount (fen × 10,000) a ratio schedule pays on ``[lo, hi)``: each band's
    piece times its rate. ``starts``, ``ends`` (< 0: open) and ``rates`` are the schedule's
    bands, in order.

    >>> bands_raw(500, 1500, (0, 1000), (1000, -1), (5000, 8000))
    6500000
    """
    raw = 0
    for k in range(len(starts)):
        a, b = band_piece(lo, hi, starts[k], ends[k])
        if b > a:
            raw += (b - a) * rates[k]
    return raw


# ---- limits ------------------------------------------------------------------------------


def room(limit: int, used: int) -> int:
    """What a limit (a sub-limit, a cap, a combined or total cap) still allows."""
    return limit - used if limit > used else 0


def capped(amount: int, limit: int, used: int) -> tuple[int, int]:
    """``(kept, cut)``: ``amount`` under a limit of which ``used`` is taken.

    >>> capped(500, 1000, 800), capped(500, 1000, 1200), capped(500, 1000, 0)
    ((200, 300), (0, 500), (500, 0))
    """
    left = room(limit, used)
    if amount > left:
        return left, amount - left
    return amount, 0


def count_allows(counted: int, count: int) -> bool:
    """Whether a count sub-limit of ``count`` items, ``counted`` already, takes one more."""
    return counted < count


def indemnity_limit(owed: int, other_paid: int) -> int:
    """The most a claim may pay: what the person still owed after the public payers, less
    what other insurers or charity paid (never below zero)."""
    return owed - other_paid if owed > other_paid else 0


def indemnity_excess(payable: int, limit: int) -> int:
    """What a claim's computed ``payable`` exceeds its indemnity ``limit`` by."""
    return payable - limit if payable > limit else 0


def cut_from(amount: int, excess: int) -> int:
    """What an ``excess`` still to cut takes from one ``amount`` (cuts run from the last
    amount to the first)."""
    return amount if amount < excess else excess


# ---- encounters: which are paid, and how much of a stay past the end of cover ---------------
# Days are whole numbers on one consistent count (the reference engine uses
# ``date.toordinal()``, the columnar engine days since 1970).

COVERED = 0
"""Verdict: the encounter is paid under this policy year."""
OTHER_POLICY_YEAR = 1
"""Verdict: its anchor day (admission or service) falls outside the policy period."""
BEFORE_COVER = 2
"""Verdict: it starts before the person's cover starts."""
WAITING = 3
"""Verdict: it starts within the person's waiting period."""


def encounter_verdict(stay: bool, by_admission: bool, anchor: int, starts: int, period_start: int,
                      period_end: int, cover_start: int, waiting_until: int, enrolled_last_year: bool) -> int:
    """Whether an encounter is paid: :data:`COVERED` or the reason it is not. ``anchor`` is
    the day the product's cross-year rule reads (a stay's admission when it goes by
    admission, else the service day), ``starts`` the day the encounter starts,
    ``waiting_until`` the last day of the waiting period (any day before ``cover_start``
    when there is none). A stay that began before the period under last year's cover, where
    the product goes by discharge, continues that cover: neither the cover start nor the
    waiting period applies to it."""
    if anchor < period_start or anchor > period_end:
        return OTHER_POLICY_YEAR
    if stay and not by_admission and starts < period_start and enrolled_last_year:
        return COVERED
    if starts < cover_start:
        return BEFORE_COVER
    if starts <= waiting_until:
        return WAITING
    return COVERED


def covered_until(period_end: int, tail_days: int) -> int:
    """The day a stay admitted in the period is paid up to (its days before this one), under
    a rule that pays ``tail_days`` past the end of the period (0: only to its end)."""
    return period_end + 1 + tail_days


def stay_prorated(discharged: int, until: int, renewed: bool) -> bool:
    """Whether a stay admitted in the period is paid only for its days up to ``until``
    (:func:`covered_until`): it ends after that day and the person did not renew (a renewed
    person's next year pays the rest of the stay through this one)."""
    return discharged > until and not renewed


# ---- compiling ------------------------------------------------------------------------------

_RULES = ("round_div", "round_raw", "weighted", "prorated", "copay", "deductible_left", "deductible_taken", "band_axis",
          "band_piece", "bands_raw", "room", "capped", "count_allows", "indemnity_limit", "indemnity_excess",
          "cut_from", "largest_remainder", "encounter_verdict", "covered_until", "stay_prorated")


def compiled(jit):  # type: ignore[no-untyped-def]
    """The kernel's functions compiled by ``jit`` (e.g. ``numba.njit``), as a dict by name.

    Each compiled function is made from the same code object as the one above, with its
    globals (the constants and the other kernel functions it calls) bound to the compiled
    versions, so a rule calling another rule compiles too. The kernel itself imports no
    compiler: the caller passes it.
    """
    space: dict = {"RATE_SCALE": RATE_SCALE, "HALF_UP": HALF_UP, "HALF_EVEN": HALF_EVEN, "DOWN": DOWN,  # type: ignore[type-arg]
                   "COVERED": COVERED, "OTHER_POLICY_YEAR": OTHER_POLICY_YEAR, "BEFORE_COVER": BEFORE_COVER,
                   "WAITING": WAITING}
    for name in _RULES:
        fn = globals()[name]
        copy = type(fn)(fn.__code__, space, name, fn.__defaults__, fn.__closure__)
        space[name] = jit(copy)
    return {name: space[name] for name in _RULES}
