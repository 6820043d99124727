"""The columnar engine compiles the benefits kernel's very functions with numba: each
compiles, and gives the answers the Python function gives."""

from __future__ import annotations

import numba
import numpy as np

from huiminbao_rules.adjudication import kernel

CASES = {
    "round_div": [(5, 2, 0), (5, 2, 1), (7, 2, 1), (7, 2, 2), (1, 3, 0), (2, 3, 1), (6, 3, 2)],
    "round_raw": [(12345, 1, 0), (25000, 1, 1), (1234567890, 100, 0), (1234567890, 100, 2)],
    "weighted": [(333, 5000), (1000, 3333), (1, 5000), (0, 5000)],
    "prorated": [(1000, 1, 3), (1000, 2, 3), (1, 1, 2)],
    "copay": [(1000, 700), (1000, 1200)],
    "deductible_left": [(1000, 300), (1000, 1500)],
    "deductible_taken": [(500, 1000, 800), (500, 1000, 0), (500, 1000, 1200)],
    "band_axis": [(True, 1000, 300, 500, 200), (False, 1000, 300, 500, 200)],
    "band_piece": [(500, 1500, 0, 1000), (500, 1500, 1000, -1), (1500, 2000, 0, 1000)],
    "bands_raw": [(500, 1500, (0, 1000), (1000, -1), (5000, 8000)),
                  (500, 1500, np.array([0, 1000]), np.array([1000, -1]), np.array([5000, 8000]))],
    "room": [(1000, 300), (1000, 1500)],
    "capped": [(500, 1000, 800), (500, 1000, 0), (500, 1000, 1200)],
    "count_allows": [(0, 1), (1, 1)],
    "indemnity_limit": [(1000, 300), (300, 1000)],
    "indemnity_excess": [(1200, 1000), (800, 1000)],
    "cut_from": [(300, 500), (500, 300)],
    "largest_remainder": [(10, np.array([1, 1, 1]), np.array([2, 1, 0])), (5, np.array([1, 1, 1, 1, 3]),
                                                                           np.array([3, 2, 1, 0, 0]))],
    # stay, by admission, anchor, starts, period start/end, cover start, waiting until, enrolled last year
    "encounter_verdict": [(False, False, 50, 50, 0, 364, 0, -1, False), (False, False, 400, 400, 0, 364, 0, -1, False),
                          (False, False, 50, 50, 0, 364, 60, 59, False), (False, False, 50, 50, 0, 364, 0, 89, False),
                          (True, False, 10, -5, 0, 364, 0, -1, True), (True, False, 10, -5, 0, 364, 0, -1, False),
                          (True, True, -5, -5, 0, 364, 0, -1, True)],
    "covered_until": [(364, 0), (364, 30)],
    "stay_prorated": [(370, 365, False), (370, 365, True), (365, 365, False)],
}


def test_every_rule_compiles_and_agrees_with_python() -> None:
    compiled = kernel.compiled(numba.njit)
    assert set(compiled) == set(CASES)
    for name, cases in CASES.items():
        python = getattr(kernel, name)
        for args in cases:
            got, want = compiled[name](*args), python(*args)
            assert (list(got) if isinstance(got, list) else got) == want, (name, args)


def test_a_rule_that_calls_no_other_compiles_as_it_is() -> None:
    for name in ("round_div", "band_piece", "band_axis", "room", "indemnity_limit", "largest_remainder"):
        fn = numba.njit(getattr(kernel, name))
        args = CASES[name][0]
        assert fn(*args) == getattr(kernel, name)(*args) or list(fn(*args)) == getattr(kernel, name)(*args)
