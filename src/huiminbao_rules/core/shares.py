"""Sharing a whole amount out by largest remainder: the one definition, in integers.

Plain Python over ints and sequences, importing nothing, so that the benefits kernel
(:mod:`huiminbao_rules.adjudication.kernel`, which counts it among its rules) can be
compiled with ``numba.njit`` and :func:`huiminbao_rules.core.money.allocate` shares
``Decimal`` money by the very same function.
"""

from __future__ import annotations

__all__ = ["largest_remainder"]


def largest_remainder(total: int, weights, ranks) -> list[int]:  # type: ignore[no-untyped-def]
    """``total`` (whole units, e.g. fen) shared over integer ``weights`` by largest
    remainder (Hamilton): each part is the floor of its exact share, and the units left
    over go one at a time to the largest remainders; on equal remainders the smaller
    ``ranks`` value first, then the earlier position. All weights zero: all parts zero.

    ``ranks`` are the tie keys, one per weight: integers where the function is compiled;
    from Python, any values that order among themselves (what a line *is*, so that a
    share never depends on the order lines are listed in).

    >>> largest_remainder(10, (1, 1, 1), (0, 0, 0)), largest_remainder(1, (1, 1), (1, 0))
    ([4, 3, 3], [0, 1])
    """
    n = len(weights)
    parts = [0] * n
    wsum = 0
    for i in range(n):
        wsum += weights[i]
    if wsum == 0:
        return parts
    rems = [0] * n
    given = 0
    for i in range(n):
        share = total * weights[i]
        q = share // wsum
        parts[i] = q
        rems[i] = share - q * wsum
        given += q
    left = total - given
    if left:
        # the smallest remainder that still gets a unit; only ties at it need the ranks
        order = [(-rems[i], i) for i in range(n)]
        order.sort()
        cut = -order[left - 1][0]
        ties = []
        for i in range(n):
            if rems[i] > cut:
                parts[i] += 1
                left -= 1
            elif rems[i] == cut:
                ties.append((ranks[i], i))
        ties.sort()
        for k in range(left):
            parts[ties[k][1]] += 1
    return parts
