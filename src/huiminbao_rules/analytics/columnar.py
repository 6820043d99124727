"""The columnar engine: a whole population adjudicated in integer fen, on columns, its
sequential work compiled with numba. The money rules are the benefits kernel's functions (:mod:`huiminbao_rules.adjudication.kernel`, the ones the
reference engine calls) compiled with ``numba.njit``; what a person's history means is
:func:`huiminbao_rules.claims.history.history_of`; cover and facts are
:func:`~huiminbao_rules.adjudication.coverage.cover_for` and
:func:`~huiminbao_rules.adjudication.coverage.facts_for`; classification is the product's
compiled :class:`~huiminbao_rules.rules.classify.Classifier`; the deductible and ratio
schedule chosen for a set of facts are the reference engine's choice. Only the encounter
verdicts (other policy year, before cover, waiting period, pro-rating) are written here,
on date columns. A differential property test
holds every line, group, claim and year-to-date equal to
:func:`huiminbao_rules.adjudication.engine.adjudicate`, to the fen.

The work, in the reference engine's order:

1. **People** grouped by their history; cover and facts once per history (and diagnoses,
   settlement, where facts read them);
2. **Encounter verdicts** (other policy year, before cover, waiting period, a stay
   pro-rated past the end of cover), on date columns;
3. **Classification** of each fee line's portions once per distinct combination of what
   a selector can look at, found by one compiled pass over small category codes;
4. **Eligible amounts** per encounter and responsibility in one compiled pass (weights by
   the kernel); the in-scope co-pay shared over an encounter's lines by the kernel's
   largest remainder where it goes to several places;
5. **Portions read one by one** where the order of lines matters (responsibilities with
   sub-limits, pro-rated stays): a compiled pass in adjudication order applies the
   eligible-amount and count sub-limits; a portion under payable sub-limits is a group of
   its own;
6. **Deductible and bands** (compiled, person by person, in service-date order);
7. **Rounding** once per responsibility per claim, shared back over groups by largest
   remainder;
8. **Caps** (payable sub-limits, caps, combined caps, the total cap) **and indemnity**
   (compiled, in the same order).

Every row is computed here: the result's ``engine`` column says ``batch``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, NamedTuple

import numba
import numpy as np
import pandas as pd

from huiminbao_rules.analytics.caveat_rows import caveat_frame
from huiminbao_rules.analytics.rows import result_columns
from huiminbao_rules.core.vocabulary import BUCKETS, PORTIONS, PUBLIC_PAYERS
from huiminbao_rules.rules.classify import classifier_of
from huiminbao_rules.adjudication.coverage import Facts, cover_for, facts_for, holds
from huiminbao_rules.adjudication.terms import deductible_for, first_holding
from huiminbao_rules.core.errors import AdjudicationError, InputError, Problem
from huiminbao_rules.claims.history import History, enrolled_as, history_of
from huiminbao_rules.claims.models import EnrollmentYear, Insured
from huiminbao_rules.adjudication import kernel
from huiminbao_rules.core.money import allocate_units, to_fen
from huiminbao_rules.analytics.columnar_input import (check_claimed_once, check_days, check_id_texts, check_line_amounts,
                                                     check_people, checked_population, day_numbers)
from huiminbao_rules.analytics.population import LINE_MONEY, Population, arrow_text, fen_column
from huiminbao_rules.rules.product import Product

__all__ = ["ColumnarDetail", "adjudicate_columns", "check_population"]

_PARTS = PORTIONS

# The kernel's rules, compiled from the very functions the reference engine calls.
_K = kernel.compiled(numba.njit)
_k_band_axis, _k_bands_raw, _k_capped = _K["band_axis"], _K["bands_raw"], _K["capped"]
_k_cut_from, _k_deductible_taken = _K["cut_from"], _K["deductible_taken"]
_k_indemnity_excess, _k_indemnity_limit = _K["indemnity_excess"], _K["indemnity_limit"]
_k_largest_remainder, _k_round_raw, _k_weighted = _K["largest_remainder"], _K["round_raw"], _K["weighted"]
_k_count_allows = _K["count_allows"]
_COVERED = kernel.COVERED
_k_encounter_verdict, _k_covered_until, _k_stay_prorated = (_K["encounter_verdict"], _K["covered_until"],
                                                          _K["stay_prorated"])


@numba.njit(cache=True)
def _verdicts_pass(stay, by_admission, may_prorate, admitted, discharged, service_on, starts_on, p_start, p_end,
                   tail, cover_start, waiting_until, enrolled_prev, renewed):  # pragma: no cover - compiled
    """Per encounter: excluded (the kernel's verdict is not COVERED), and whether a stay is
    paid pro rata by its days (the kernel's covered_until and stay_prorated)."""
    n = len(stay)
    excluded = np.zeros(n, np.bool_)
    prorate = np.zeros(n, np.bool_)
    until = _k_covered_until(p_end, tail)
    for i in range(n):
        anchor = admitted[i] if stay[i] and by_admission else service_on[i]
        verdict = _k_encounter_verdict(stay[i], by_admission, anchor, starts_on[i], p_start, p_end, cover_start[i],
                                       waiting_until[i], enrolled_prev[i])
        excluded[i] = verdict != _COVERED
        if may_prorate and stay[i] and not excluded[i]:
            prorate[i] = _k_stay_prorated(discharged[i], until, renewed[i])
    return excluded, prorate


# ---- the compiled passes ---------------------------------------------------------------


@numba.njit(cache=True)
def _bands_pass(g_person, g_resp, g_elig, g_annual, g_pool, g_sched, resp_basis, n_resp, n_pool,
                band_start, band_end, band_rate, sched_first, sched_count, g_ded, g_raw):  # pragma: no cover - compiled
    """Deductible then bands (the kernel's rules), group by group (groups sorted person,
    claim, encounter, responsibility)."""
    elig_run = np.zeros(n_resp, np.int64)
    ded_run = np.zeros(n_resp, np.int64)
    pools = np.zeros(n_pool, np.int64)
    person = -1
    for g in range(g_person.shape[0]):
        if g_person[g] != person:
            person = g_person[g]
            elig_run[:] = 0
            ded_run[:] = 0
            pools[:] = 0
        r = g_resp[g]
        e = g_elig[g]
        pool = g_pool[g]
        d = _k_deductible_taken(e, g_annual[g], pools[pool])
        pools[pool] += d
        lo, hi = _k_band_axis(resp_basis[r] == 0, elig_run[r], ded_run[r], e, d)
        elig_run[r] += e
        ded_run[r] += d
        s0 = sched_first[g_sched[g]]
        s1 = s0 + sched_count[g_sched[g]]
        g_ded[g] = d
        g_raw[g] = _k_bands_raw(lo, hi, band_start[s0:s1], band_end[s0:s1], band_rate[s0:s1])


@numba.njit(cache=True, inline="always")
def _cut_indemnity(first, last, excess, g_resp, g_sub, g_ccmask, sl_first, sub_paid, paid, cc, n_cc, g_pay,
                   g_indcut):  # pragma: no cover - compiled
    """A claim's groups ``first``..``last`` cut by ``excess`` over its indemnity limit, from
    the last group first (the kernel's rule), and the cuts taken back from what their
    payable sub-limits, responsibilities and combined caps have paid; returns the amount cut."""
    cut = 0
    k = last
    while excess > 0 and k >= first:
        c_amt = _k_cut_from(g_pay[k], excess)
        if c_amt > 0:
            g_pay[k] -= c_amt
            g_indcut[k] = c_amt
            excess -= c_amt
            paid[g_resp[k]] -= c_amt
            for t in range(sl_first[g_resp[k] + 1] - sl_first[g_resp[k]]):
                if g_sub[k, t] >= 0:
                    sub_paid[g_sub[k, t]] -= c_amt
            for c in range(n_cc):
                if (g_ccmask[k] >> c) & 1:
                    cc[c] -= c_amt
            cut += c_amt
        k -= 1
    return cut


@numba.njit(cache=True)
def _caps_pass(g_person, g_claim, g_resp, g_share, g_ccmask, g_sub, sl_first, sl_amount, n_keys, resp_cap,
               cc_amount, total_cap, claim_owed, claim_other, n_resp, g_pay, g_capcut,
               g_indcut):  # pragma: no cover - compiled
    """Caps in order: payable sub-limits (``g_sub[g, t]``: the group's key under its
    responsibility's t-th sub-limit, or -1), the responsibility's cap, combined caps, the
    total cap (a limit of -1: none); then the indemnity limit per claim, cut from the last
    groups first (the kernel's rules)."""
    sub_paid = np.zeros(max(n_keys, 1), np.int64)
    paid = np.zeros(n_resp, np.int64)
    n_cc = cc_amount.shape[0]
    cc = np.zeros(max(n_cc, 1), np.int64)
    total = 0
    person = -1
    n = g_person.shape[0]
    g = 0
    while g < n:
        if g_person[g] != person:
            person = g_person[g]
            paid[:] = 0
            cc[:] = 0
            total = 0
        claim = g_claim[g]
        first = g
        claim_pay = 0
        while g < n and g_claim[g] == claim:
            r = g_resp[g]
            p = g_share[g]
            for t in range(sl_first[r + 1] - sl_first[r]):
                if g_sub[g, t] >= 0:
                    p, _ = _k_capped(p, sl_amount[sl_first[r] + t], sub_paid[g_sub[g, t]])
            if resp_cap[r] >= 0:
                p, _ = _k_capped(p, resp_cap[r], paid[r])
            for c in range(n_cc):
                if (g_ccmask[g] >> c) & 1:
                    p, _ = _k_capped(p, cc_amount[c], cc[c])
            if total_cap >= 0:
                p, _ = _k_capped(p, total_cap, total)
            g_capcut[g] = g_share[g] - p
            g_pay[g] = p
            for t in range(sl_first[r + 1] - sl_first[r]):
                if g_sub[g, t] >= 0:
                    sub_paid[g_sub[g, t]] += p
            paid[r] += p
            for c in range(n_cc):
                if (g_ccmask[g] >> c) & 1:
                    cc[c] += p
            total += p
            claim_pay += p
            g += 1
        excess = _k_indemnity_excess(claim_pay, _k_indemnity_limit(claim_owed[claim], claim_other[claim]))
        total -= _cut_indemnity(first, g - 1, excess, g_resp, g_sub, g_ccmask, sl_first, sub_paid, paid, cc, n_cc,
                                g_pay, g_indcut)


@numba.njit(cache=True)
def _weighted_all(amounts, weights, out):  # pragma: no cover - compiled
    """Each amount's eligible part under its weight (0: no weight), by the kernel's rule."""
    for i in range(amounts.shape[0]):
        out[i] = _k_weighted(amounts[i], weights[i]) if weights[i] > 0 else amounts[i]


@numba.njit(cache=True)
def _line_encounters(l_claim, l_encid, claim_map, encid_map, table, width, out, seen):  # pragma: no cover - compiled
    """Each fee line's encounter through a dense (claim, encounter id) table; -1 where none;
    ``seen``: the encounters some line names. Category codes of -1 (missing) take the last
    entry of each map, which is -1."""
    missing = 0
    for i in range(l_claim.shape[0]):
        c = claim_map[l_claim[i]]
        v = encid_map[l_encid[i]]
        e = -1
        if c >= 0 and v >= 0:
            e = table[c * width + v]
        out[i] = e
        if e < 0:
            missing += 1
        else:
            seen[e] = True
    return missing


@numba.njit(cache=True)
def _code(values, i, last):  # pragma: no cover - compiled
    v = np.int64(values[i])
    return last if v < 0 else v


@numba.njit(cache=True)
def _mark_pairs(code, name, n_code, n_name, seen):  # pragma: no cover - compiled
    """Which (code, name) pairs occur among the lines."""
    for i in range(code.shape[0]):
        seen[_code(code, i, n_code - 1) * n_name + _code(name, i, n_name - 1)] = True


@numba.njit(cache=True)
def _combo_ids(lv, ft, code, name, l_enc, e_key, n_e_key, pair_sig, radix, slot, out, first):  # pragma: no cover - compiled
    """Number each line's combination of what classification looks at (level, fee type,
    list signature of (code, name); its encounter's ``e_key``, one of ``n_e_key``: kind,
    settled, and institution and diagnoses where selectors read them) in order of first
    appearance, through a dense slot table; ``first[j]`` is the first line of combination
    j. Returns the number of combinations."""
    n_lv, n_ft, n_code, n_name, n_sig = radix
    n = 0
    for i in range(lv.shape[0]):
        sig = 0
        if n_sig > 1:
            sig = pair_sig[_code(code, i, n_code - 1) * n_name + _code(name, i, n_name - 1)]
        key = ((_code(lv, i, n_lv - 1) * n_ft + _code(ft, i, n_ft - 1)) * n_sig + sig) * n_e_key + e_key[l_enc[i]]
        s = slot[key]
        if s < 0:
            s = n
            slot[key] = n
            first[n] = i
            n += 1
        out[i] = s
    return n


@numba.njit(cache=True)
def _combination_places(lut_dest, lut_w, lut_pend, lut_lim, n_enc, n_resp):  # pragma: no cover - compiled
    """Per combination, for :func:`_eligible_pass`: whether it is plain (no part weighted or
    under a sub-limit); per part, where in the pass's ``sums`` its amount goes, as
    ``e × mul + add`` (its group, the encounter's pending sum, or the sink); the co-pay
    part's weight or sub-limit flag (a plan's row 2) and whether it is held for review with
    no responsibility (row 4)."""
    n_combo = lut_dest.shape[1]
    plain = np.ones(n_combo, np.bool_)
    mul = np.empty((n_combo, 4), np.int64)
    add = np.empty((n_combo, 4), np.int64)
    co_w = np.empty(n_combo, np.int64)
    co_held = np.empty(n_combo, np.int64)
    for c in range(n_combo):
        for k in range(4):
            d = lut_dest[k, c]
            if d >= 0:
                mul[c, k], add[c, k] = n_resp, d
            else:
                mul[c, k], add[c, k] = 1, n_enc * n_resp + (0 if lut_pend[k, c] else n_enc)
            if lut_lim[k, c] or lut_w[k, c] > 0:
                plain[c] = False
        co_w[c] = max(np.int64(lut_w[1, c]), np.int64(lut_lim[1, c]))
        co_held[c] = np.int64(lut_dest[1, c] < 0 and lut_pend[1, c])
    return plain, mul, add, co_w, co_held


# long: the one compiled pass over every line (a numba helper per line made a similar pass 3× slower)
@numba.njit(cache=True)
def _eligible_pass(l_enc, combo, pre, det, ful, over, flags, lut_dest, lut_w, lut_pend, lut_lim, n_resp, sums, plan,
                   slow):  # pragma: no cover - compiled
    """Each live portion's eligible amount (weighted by the kernel's rule) added to its
    (encounter, responsibility) group, or its amount to the encounter's pending sum:
    ``sums`` holds the groups (``n_enc × n_resp``), then the pending sums (``n_enc``), then
    a sink (``n_enc``) for what goes nowhere. ``flags`` per encounter: 1 co-pay shared (public
    payers paid), 2 live, 4 pro-rated, 8 co-pay taken directly (they paid nothing).

    The in-scope co-pay is read per line only where it is taken directly; where it is
    shared, the same pass notes per encounter what sharing it needs (``plan`` rows: lowest
    and highest destination, largest weight or sub-limit, lines with an in-scope amount, of
    them held for review), kept in registers while an encounter's lines run on. Portions
    read one by one (pro-rated encounters, responsibilities with sub-limits) are left to
    :func:`_limited_pass`; the pass marks their lines (``slow``), only those with such a
    portion that is not zero. A combination none of whose parts is weighted or under a
    sub-limit adds its four amounts without a branch, each to the place worked out for it
    once: ``sums[e × mul + add]``."""
    n_enc = flags.shape[0]
    out, pend = sums[:n_enc * n_resp], sums[n_enc * n_resp:n_enc * (n_resp + 1)]
    plain, mul, add, co_w, co_held = _combination_places(lut_dest, lut_w, lut_pend, lut_lim, n_enc, n_resp)
    cur = -1
    p0 = p1 = p2 = p3 = p4 = np.int64(0)
    for i in range(l_enc.shape[0]):
        e = np.int64(l_enc[i])
        c = combo[i]
        f = flags[e]
        inscp = det[i] - ful[i] - over[i] - pre[i]
        if e != cur:
            if cur >= 0:
                plan[0, cur], plan[1, cur], plan[2, cur], plan[3, cur], plan[4, cur] = p0, p1, p2, p3, p4
            cur = e
            p0, p1, p2, p3, p4 = plan[0, e], plan[1, e], plan[2, e], plan[3, e], plan[4, e]
        take = np.int64(f & 1) & np.int64(inscp > 0)  # an in-scope amount to share
        d = np.int64(lut_dest[1, c])
        p0 = min(p0, d if take else p0)
        p1 = max(p1, d if take else p1)
        p2 = max(p2, co_w[c] * take)
        p3 += take
        p4 += take & co_held[c]
        if not f & 2:  # excluded
            continue
        if f & 4:  # pro-rated
            slow[i] = True
            continue
        if plain[c]:
            sums[e * mul[c, 0] + add[c, 0]] += pre[i]
            if f & 8:
                sums[e * mul[c, 1] + add[c, 1]] += inscp
            sums[e * mul[c, 2] + add[c, 2]] += ful[i]
            sums[e * mul[c, 3] + add[c, 3]] += over[i]
            continue
        for k in range(4):
            if k == 0:
                a = pre[i]
            elif k == 1:
                if not f & 8:
                    if lut_lim[k, c] and take:  # its share of the co-pay, read one by one
                        slow[i] = True
                    continue
                a = inscp
            elif k == 2:
                a = ful[i]
            else:
                a = over[i]
            if a == 0:
                continue
            if lut_lim[k, c]:
                slow[i] = True
                continue
            d = lut_dest[k, c]
            if d < 0:
                if lut_pend[k, c]:
                    pend[e] += a
                continue
            w = np.int64(lut_w[k, c])
            if w > 0:
                a = _k_weighted(a, w)
            out[e * n_resp + d] += a
    if cur >= 0:
        plan[0, cur], plan[1, cur], plan[2, cur], plan[3, cur], plan[4, cur] = p0, p1, p2, p3, p4


@numba.njit(cache=True)
def _expand_portions(rows, pre, copay, ful, over, l_enc, combo, line_nos, prorate, lut_lim, out_row, out_part,
                     out_amount, out_enc, out_combo, out_order):  # pragma: no cover - compiled
    """The non-zero portions of ``rows`` (in their order, parts in order) that are read one
    by one: every portion of a pro-rated stay, and those a responsibility with sub-limits
    takes (the fast pass has the others), with their line's encounter and combination and
    their order in the encounter (line number × 4 + part). Returns how many."""
    n = 0
    for j in range(rows.shape[0]):
        i = rows[j]
        c = combo[i]
        for k in range(4):
            a = pre[i] if k == 0 else (copay[j] if k == 1 else (ful[i] if k == 2 else over[i]))
            if a != 0 and (prorate[l_enc[i]] or lut_lim[k, c] != 0):
                out_row[n] = i
                out_part[n] = k
                out_amount[n] = a
                out_enc[n] = l_enc[i]
                out_combo[n] = c
                out_order[n] = np.int64(line_nos[i]) * 4 + k
                n += 1
    return n


@numba.njit(cache=True)
def _limited_pass(p_enc, p_line, p_part, p_amount, p_combo, p_keys, lut_dest, lut_w, lut_pend, lut_lim, sl_first,
                  sl_measure, sl_amount, n_keys, n_resp, out, pend, p_elig, p_own):  # pragma: no cover - compiled
    """Portions read one by one in adjudication order (a person's claims, their encounters,
    lines, parts): weights, then the eligible-amount and count sub-limits (the kernel's
    ``capped`` and ``count_allows``; a line counts once however many of its portions a
    count limit selects). A portion whose responsibility has payable sub-limits is a group
    of its own (``p_own``); the others add to their (encounter, responsibility) group.
    ``p_keys[j, t]``: the key of the portion under its responsibility's t-th sub-limit, -1
    where that limit does not select it. Measures: 0 payable, 1 eligible, 2 count."""
    used = np.zeros(n_keys, np.int64)
    counted = np.zeros(n_keys, np.int64)
    last_line = np.full(n_keys, -1, np.int64)
    last_ok = np.zeros(n_keys, np.bool_)
    for j in range(p_enc.shape[0]):
        e, k, c, a = p_enc[j], p_part[j], p_combo[j], p_amount[j]
        if a == 0:
            continue
        d = lut_dest[k, c]
        if d < 0:
            if lut_pend[k, c]:
                pend[e] += a
            continue
        w = np.int64(lut_w[k, c])
        elig = _k_weighted(a, w) if w > 0 else a
        if lut_lim[k, c] & 1:
            for t in range(sl_first[d + 1] - sl_first[d]):
                s = sl_first[d] + t
                key = p_keys[j, t]
                if key < 0 or sl_measure[s] == 0:
                    continue
                if sl_measure[s] == 2:
                    if last_line[key] == p_line[j]:
                        ok = last_ok[key]
                    else:
                        ok = _k_count_allows(counted[key], sl_amount[s])
                        last_line[key] = p_line[j]
                        last_ok[key] = ok
                        if ok:
                            counted[key] += 1
                    if not ok:
                        elig = 0
                else:
                    elig, _ = _k_capped(elig, sl_amount[s], used[key])
                    used[key] += elig
        p_elig[j] = elig
        if elig == 0:
            continue
        if lut_lim[k, c] & 2:
            p_own[j] = True
        else:
            out[e * n_resp + d] += elig


@numba.njit(cache=True)
def _by_encounter(rows, l_enc, enc_pos, line_nos, out):  # pragma: no cover - compiled
    """``rows`` ordered by their encounter's place in ``enc_pos`` (a stable counting sort)
    into ``out``; whether line numbers then rise within each encounter (if they do, ``out``
    is ordered by (encounter's place, line number) as a stable sort would order it)."""
    counts = np.zeros(enc_pos.shape[0] + 1, np.int64)
    for j in range(rows.shape[0]):
        counts[enc_pos[l_enc[rows[j]]] + 1] += 1
    for k in range(enc_pos.shape[0]):
        counts[k + 1] += counts[k]
    for j in range(rows.shape[0]):
        p = enc_pos[l_enc[rows[j]]]
        out[counts[p]] = rows[j]
        counts[p] += 1
    for j in range(1, out.shape[0]):
        if l_enc[out[j]] == l_enc[out[j - 1]] and line_nos[out[j]] < line_nos[out[j - 1]]:
            return False
    return True


@numba.njit(cache=True)
def _copays_of(rows, l_enc, direct, pre, det, ful, over, shared_rows, shared, out):  # pragma: no cover - compiled
    """Each row's in-scope co-pay: its share where the encounter's co-pay was shared over
    its lines (``shared_rows``, sorted), the line's own where public payers paid nothing, else 0."""
    for j in range(rows.shape[0]):
        i = rows[j]
        at = np.searchsorted(shared_rows, i)
        if at < shared_rows.shape[0] and shared_rows[at] == i:
            out[j] = shared[at]
        elif direct[l_enc[i]]:
            out[j] = det[i] - ful[i] - over[i] - pre[i]
        else:
            out[j] = 0


@numba.njit(cache=True)
def _rows_of(l_enc, pre, det, ful, over, chosen, out):  # pragma: no cover - compiled
    """The lines with an in-scope amount of the chosen encounters; returns how many."""
    n = 0
    for i in range(l_enc.shape[0]):
        if chosen[l_enc[i]] and det[i] - ful[i] - over[i] - pre[i] > 0:
            out[n] = i
            n += 1
    return n


@numba.njit(cache=True)
def _add_copay(rows, shares, l_enc, combo, live, prorate, lut_dest1, lut_w1, lut_pend1, lut_lim1, n_resp, out,
               pend):  # pragma: no cover - compiled
    """Shared co-pay portions added to their groups (or pending sums), as in _eligible_pass."""
    for j in range(rows.shape[0]):
        i = rows[j]
        e = l_enc[i]
        a = shares[j]
        c = combo[i]
        if not live[e] or prorate[e] or lut_lim1[c] or a == 0:
            continue
        d = lut_dest1[c]
        if d < 0:
            if lut_pend1[c]:
                pend[e] += a
            continue
        w = np.int64(lut_w1[c])
        if w > 0:
            a = _k_weighted(a, w)
        out[e * n_resp + d] += a


@numba.njit(cache=True)
def _by_person_then_day(person_rank, service, out):  # pragma: no cover - compiled
    """Claims in order of (person rank, service day), equal keys in their own order (as a
    stable sort gives): counted out by person (ranks are 0 … people - 1), then each
    person's claims put in order of day by insertion. False, with ``out`` not filled, where
    someone has more than 64 claims (insertion would be slow: the caller sorts)."""
    n = person_rank.shape[0]
    n_people = 0
    for i in range(n):
        n_people = max(n_people, person_rank[i] + 1)
    start = np.zeros(n_people + 1, np.int64)
    for i in range(n):
        start[person_rank[i] + 1] += 1
    for p in range(n_people):
        if start[p + 1] > 64:
            return False
        start[p + 1] += start[p]
    fill = start[:n_people].copy()
    for i in range(n):
        out[fill[person_rank[i]]] = i
        fill[person_rank[i]] += 1
    for p in range(n_people):
        for j in range(start[p] + 1, start[p + 1]):
            x = out[j]
            k = j - 1
            while k >= start[p] and service[out[k]] > service[x]:
                out[k + 1] = out[k]
                k -= 1
            out[k + 1] = x
    return True


@numba.njit(cache=True)
def _claim_sums(g_place, g_resp, g_pay, g_elig, g_indcut, e_place, e_pend, bucket_of, n_b, out):  # pragma: no cover - compiled
    """Per claim (column ``g_place`` of ``out``, its place in the result), the sums of its
    groups and encounters, into rows of ``out``: 1 eligible, 2 payable, 3 indemnity cut,
    4 pending, then eligible per bucket, payable per bucket, payable per responsibility
    (row 0, what is owed, is the caller's)."""
    for k in range(g_place.shape[0]):
        c, r = g_place[k], g_resp[k]
        out[1, c] += g_elig[k]
        out[2, c] += g_pay[k]
        out[3, c] += g_indcut[k]
        out[5 + bucket_of[r], c] += g_elig[k]
        out[5 + n_b + bucket_of[r], c] += g_pay[k]
        out[5 + 2 * n_b + r, c] += g_pay[k]
    for k in range(e_place.shape[0]):
        out[4, e_place[k]] += e_pend[k]


@numba.njit(cache=True)
def _scatter_min(out, index, values):  # pragma: no cover - compiled
    """out[index[i]] = min(out[index[i]], values[i])."""
    for i in range(index.shape[0]):
        if values[i] < out[index[i]]:
            out[index[i]] = values[i]


@numba.njit(cache=True)
def _share_runs(starts, ends, totals, weights, ranks, out):  # pragma: no cover - compiled
    """Each run [starts[g], ends[g]) shares its total over its weights by the kernel's
    largest remainder, equal remainders by ``ranks`` then place."""
    for g in range(starts.shape[0]):
        a, b = starts[g], ends[g]
        parts = _k_largest_remainder(totals[g], weights[a:b], ranks[a:b])
        for i in range(b - a):
            out[a + i] = parts[i]


@numba.njit(cache=True)
def _claim_roundings(g_claim, g_resp, g_raw, n_resp, n_claims, step, mode, out, wide):  # pragma: no cover - compiled
    """Per claim (its groups together, in order), per responsibility: the groups' raw
    amounts summed and rounded once by the kernel's rule, then shared back over the groups
    by its largest remainder (equal remainders: the earlier group). A run where total ×
    weight could pass 2**62 is left to Python integers: its groups are marked ``wide`` and
    given the run's rounded total. Returns the number of such runs, or -1 where a claim's
    groups are not together."""
    n = g_claim.shape[0]
    members = np.empty(n, np.int64)
    weights = np.empty(n, np.int64)
    ranks = np.zeros(n, np.int64)
    raw_sum = np.zeros(n_resp, np.int64)
    count = np.zeros(n_resp, np.int64)
    seen = np.zeros(n_claims, np.bool_)
    n_wide = 0
    a = 0
    while a < n:
        if seen[g_claim[a]]:
            return -1
        seen[g_claim[a]] = True
        b = a + 1
        while b < n and g_claim[b] == g_claim[a]:
            b += 1
        for k in range(a, b):
            raw_sum[g_resp[k]] += g_raw[k]
            count[g_resp[k]] += 1
        for k in range(a, b):
            r = g_resp[k]
            if count[r] == 0:  # its run is shared already
                continue
            total = _k_round_raw(raw_sum[r], step, mode)
            m, top = 0, 1
            for q in range(k, b):
                if g_resp[q] == r:
                    members[m] = q
                    weights[m] = g_raw[q]
                    top = max(top, g_raw[q])
                    m += 1
            if m == 1:
                out[k] = total
            elif total >= (2**62 // m) // top:  # total × weight, and their sum, may pass int64
                for q in range(m):
                    out[members[q]] = total
                    wide[members[q]] = True
                n_wide += 1
            else:
                parts = _k_largest_remainder(total, weights[:m], ranks[:m])
                for q in range(m):
                    out[members[q]] = parts[q]
            raw_sum[r] = 0
            count[r] = 0
        a = b
    return n_wide


@numba.njit(cache=True)
def _group_rows(g_all, enc_perm, n_resp, g_enc, g_resp, g_elig):  # pragma: no cover - compiled
    """The groups of the pass over the lines: each (encounter, responsibility) with an
    eligible amount in ``g_all`` (dense, ``encounter × n_resp + responsibility``),
    encounters in adjudication order (``enc_perm``), then by responsibility."""
    n = 0
    for j in range(enc_perm.shape[0]):
        e = enc_perm[j]
        for r in range(n_resp):
            a = g_all[e * n_resp + r]
            if a > 0:
                g_enc[n], g_resp[n], g_elig[n] = e, r, a
                n += 1


@numba.njit(cache=True)
def _group_facts(g_enc, g_resp, e_fact, claim_pos, e_person, annual, sched, cc, pool_of, claim, person, g_annual,
                 g_sched, g_cc, g_pool):  # pragma: no cover - compiled
    """Per group, what its encounter and its facts chose: claim, person, annual deductible,
    schedule, combined-cap mask (per (facts, responsibility)) and deductible pool (per
    responsibility)."""
    for i in range(g_enc.shape[0]):
        e, r = g_enc[i], g_resp[i]
        f = e_fact[e]
        claim[i], person[i] = claim_pos[e], e_person[e]
        g_annual[i], g_sched[i], g_cc[i] = annual[f, r], sched[f, r], cc[f, r]
        g_pool[i] = pool_of[r]


@numba.njit(cache=True)
def _scatter_add(out, index, values):  # pragma: no cover - compiled
    """out[index[i]] += values[i], in exact int64."""
    for i in range(index.shape[0]):
        out[index[i]] += values[i]


# ---- helpers ---------------------------------------------------------------------------


def _histories(ins: pd.DataFrame, year: int) -> tuple[np.ndarray, list[History]]:
    """Each person's :func:`~huiminbao_rules.claims.history.history_of` for ``year`` (the one
    meaning of a history), numbered: people with equal histories share a number. It is
    worked out once per distinct combination of the columns a person is made of; the birth
    date joins the combination only where the history holds it (a probe date found among
    its fields)."""
    events = ins["event_on"] if "event_on" in ins else pd.Series(pd.NaT, index=ins.index)
    if isinstance(ins["history"].dtype, pd.CategoricalDtype):  # its codes: the texts are distinct
        json_codes = _cat_codes(ins["history"]).astype(np.int64)
        json_uniques = list(ins["history"].cat.categories.astype(str)) + ["[]"]
        json_codes[json_codes < 0] = len(json_uniques) - 1
    else:
        json_codes, json_uniques = pd.factorize(ins["history"].fillna("[]").astype(str))
    years = [_years(u) for u in json_uniques]
    texts = [_codes(ins[c]) for c in ("scheme", "pre_existing", "groups")]
    base, base_rows = _factor(*(codes for codes, _ in texts), json_codes, events)  # all but the enrolment day
    raw, raw_rows = _factor(base, ins["enrolled_on"])
    births = ins["birth_date"]

    def days(column: pd.Series, rows: np.ndarray) -> list[Any]:
        return [None if pd.isna(d) else d for d in pd.DatetimeIndex(column.to_numpy()[rows]).date]

    def history(rows: np.ndarray, born: list[Any]) -> list[History]:
        cols = [text[codes[rows]] for codes, text in texts]
        return [history_of(Insured.model_construct(
            id="", birth_date=born[i], scheme=cols[0][i], enrolled_on=enrolled, pre_existing=_split(cols[1][i]),
            groups=_split(cols[2][i]), history=years[json_codes[row]], event_on=event), year)
            for i, (row, enrolled, event) in enumerate(zip(rows, days(ins["enrolled_on"], rows), days(events, rows)))]

    index: dict[History, int] = {}
    kind_of_raw = np.full(len(raw_rows), -1, np.int64)
    probe = date(1900, 1, 1)
    of_base = history(base_rows, [probe] * len(base_rows))
    for j, (b, enrolled) in enumerate(zip(base[raw_rows], days(ins["enrolled_on"], raw_rows))):
        h = enrolled_as(of_base[b], enrolled)
        if probe not in h:
            kind_of_raw[j] = index.setdefault(h, len(index))
    kinds = kind_of_raw[raw]
    by_birth = np.flatnonzero(kinds < 0)
    if len(by_birth):
        sub, sub_rows = _factor(raw[by_birth], births.to_numpy()[by_birth])
        rows = by_birth[sub_rows]
        of_sub = [index.setdefault(h, len(index)) for h in history(rows, days(births, rows))]
        kinds[by_birth] = np.asarray(of_sub, np.int64)[sub]
    return kinds, list(index)


def _years(text: str) -> tuple[EnrollmentYear, ...]:
    """A history's JSON text as its enrolment years; refused where it is not a JSON array of
    years as the claim format writes them."""
    try:
        years = json.loads(text)
        if not isinstance(years, list):
            raise ValueError("not a JSON array")
        out = tuple(EnrollmentYear.model_validate(h) for h in years)
    except ValueError as exc:  # JSON and pydantic errors alike
        raise InputError("population's insured table", [Problem("history", f"{text[:60]!r}: {exc}")]) from None
    if len({h.year for h in out}) != len(out):
        raise InputError("population's insured table", [Problem("history", f"{text[:60]!r} lists a year more than once")])
    return out


def _claimants(insured_ids: pd.Series, claims: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The insured rows that have claims (a mask), each claim's person (a row among those
    kept) and each kept person's rank in sorted order of their ids; refused where a claim
    names a person the insured table does not have, a person's id repeats, or (text ids) a
    person's id is one the claim format refuses."""
    claim_insured = claims["insured_id"]
    found = _claimants_arrow(insured_ids, claims)
    if found is None:  # ids not text Arrow can read: pandas hashes them
        keep = _isin(insured_ids, pd.unique(claim_insured))
        kept = insured_ids[keep]
        if not kept.is_unique:
            raise AdjudicationError(f"insured ids repeat: {sorted(kept[kept.duplicated()].astype(str).unique())[:5]}")
        claim_person = pd.Index(kept).get_indexer(claim_insured)
        rank = _sorted_ranks(kept.reset_index(drop=True))
    else:
        keep, claim_person, rank = found
    if (claim_person < 0).any():
        raise AdjudicationError("a claim names an insured person the insured table does not have")
    return keep, claim_person, rank


def _claimants_arrow(insured_ids: pd.Series, claims: pd.DataFrame) -> Any:
    """:func:`_claimants` through Arrow's hashing and sorting of text (no Python string per
    id); None where the ids are not text or pyarrow is missing."""
    claim_insured = claims["insured_id"]
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is part of the extra
        return None
    try:
        ins, per_claim = arrow_text(insured_ids, pa), arrow_text(claim_insured, pa)
    except (TypeError, ValueError, pa.ArrowException):
        return None
    encoded = pc.dictionary_encode(per_claim)  # each claim's person among the distinct ids claims name
    distinct = encoded.dictionary
    check_id_texts(distinct, claims, "claims", "insured_id")
    at = pc.index_in(ins, value_set=distinct)  # each insured row's place among them, or null
    keep = at.is_valid().to_numpy(zero_copy_only=False)
    kept_at = at.filter(at.is_valid()).to_numpy().astype(np.int64)
    person_of = np.full(len(distinct) + 1, -1, np.int64)  # the last: a claim without a person id
    person_of[kept_at] = np.arange(len(kept_at))
    if len(kept_at) and np.bincount(kept_at).max() > 1:
        dup = sorted(distinct[int(i)].as_py() for i in np.flatnonzero(np.bincount(kept_at) > 1)[:5])
        raise AdjudicationError(f"insured ids repeat: {dup}")
    codes = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False).astype(np.int64)
    order = pc.sort_indices(distinct).to_numpy().astype(np.int64)  # by the ids' text (code points)
    rank_of = np.empty(len(distinct), np.int64)
    rank_of[order] = np.arange(len(distinct))
    rank = np.empty(len(kept_at), np.int64)
    rank[person_of[kept_at]] = rank_of[kept_at]
    return keep, person_of[codes], rank


def _isin(column: pd.Series, values: Any) -> np.ndarray:
    """``column.isin(values)``, through Arrow's hash look-up when the column is Arrow-backed."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arrow = pa.array(column)
        return pc.is_in(arrow, value_set=pa.array(values, type=arrow.type)).to_numpy(zero_copy_only=False)
    except Exception:  # not Arrow-backed, or no pyarrow: pandas does it
        return column.isin(values).to_numpy()


def _rate(d: Decimal) -> int:
    return int(d * kernel.RATE_SCALE)


def _split(text: Any) -> tuple[str, ...]:
    return tuple(x for x in str(text or "").split(";") if x)


def _days(series: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970 (NaT as a large negative number)."""
    return day_numbers(series)


_EPOCH = date(1970, 1, 1).toordinal()


def _day(d: Any) -> int:
    """A date as days since 1970."""
    return d.toordinal() - _EPOCH if type(d) is date else int(np.datetime64(d, "D").astype(np.int64))


def _factor(*columns: Any) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct combinations of ``columns`` (each factorised once, then the
    integer codes combined), and the first row of each combination."""
    key = None
    for c in columns:
        codes = pd.factorize(c, use_na_sentinel=False)[0].astype(np.int64)
        if key is None:
            key = codes
        else:  # mixed radix, re-factorised at each step so the key stays small
            key = pd.factorize(key * (int(codes.max(initial=0)) + 1) + codes)[0].astype(np.int64)
    assert key is not None
    if len(key) == 0:
        return key, np.zeros(0, np.int64)
    # factorize numbers values in order of first appearance: a code's first row is where the
    # running maximum of the codes rises to it
    running = np.maximum.accumulate(key)
    first = np.flatnonzero(np.concatenate(([True], running[1:] > running[:-1])))
    return key, first


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a text column and the text of each code (categoricals for free)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.append(np.asarray(series.cat.categories.astype(str), dtype=object), "")
        codes = _cat_codes(series).astype(np.int64)
        codes[codes < 0] = len(cats) - 1
        return codes, cats
    codes, uniques = pd.factorize(series.fillna("").astype(str))
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _strings(series: pd.Series) -> np.ndarray:
    """A text column as a numpy object array, cheaply for categoricals."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.asarray(series.cat.categories.astype(str), dtype=object)
        codes = _cat_codes(series)
        out = cats[np.maximum(codes, 0)]
        out[codes < 0] = ""
        return out
    return series.fillna("").astype(str).to_numpy(dtype=object)


def _cat_codes(series: pd.Series) -> np.ndarray:
    """A categorical column's codes, read-only and not copied (``.cat.codes`` copies them)."""
    return np.asarray(series.array.codes)


def _as_category(series: pd.Series) -> pd.Series:
    return series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")


def _category(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column's category codes (their own width, -1 where missing, not copied) and
    the text of each code with "" appended, which numba passes read for code -1."""
    series = _as_category(series)
    cats = np.append(np.asarray(series.cat.categories.astype(str), dtype=object), "")
    return _cat_codes(series), cats


def _positions(index: pd.Index, column: pd.Series) -> np.ndarray:
    """``index.get_indexer(column)``, once per category where the column is categorical."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        at = np.append(index.get_indexer(column.cat.categories), -1)
        return at[_cat_codes(column)]
    return index.get_indexer(column)


def _sorted_ranks(series: pd.Series) -> np.ndarray:
    """Each value's rank in sorted order of its text (equal values, equal ranks)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.asarray(series.cat.categories.astype(str), dtype=object)
        rank = np.empty(len(cats) + 1, np.int64)
        rank[np.argsort(cats, kind="stable")] = np.arange(len(cats))
        rank[-1] = -1
        return rank[_cat_codes(series)]
    return pd.factorize(series.astype(str), sort=True)[0]


def _same_or_indexer(index: pd.Index, values: pd.Index) -> np.ndarray:
    """``index.get_indexer(values)``, without hashing where they are the same categories."""
    if values is index or (len(values) == len(index) and values.equals(index)):
        return np.arange(len(index))
    return index.get_indexer(values)


def _encounter_of_lines(enc: pd.DataFrame, lines: pd.DataFrame) -> np.ndarray:
    """Each fee line's encounter (row of ``enc``), by (claim id, encounter id)."""
    ec, ee, lc, le = (_as_category(x) for x in (enc["claim_id"], enc["encounter_id"], lines["claim_id"],
                                                lines["encounter_id"]))
    e_claim, e_id = _cat_codes(ec), _cat_codes(ee)
    l_claim, l_id = _cat_codes(lc), _cat_codes(le)
    ec, ee, lc, le = ec.cat.categories, ee.cat.categories, lc.cat.categories, le.cat.categories
    width = len(ee)
    keys = e_claim.astype(np.int64) * width + e_id
    if (e_claim < 0).any() or (e_id < 0).any():
        raise AdjudicationError("an encounter lacks a claim id or an encounter id")
    claim_map = np.append(_same_or_indexer(ec, lc), -1).astype(np.int64)
    id_map = np.append(_same_or_indexer(ee, le), -1).astype(np.int64)
    out = np.empty(len(lines), np.int32)
    seen = np.zeros(len(enc), np.bool_)
    if len(ec) * width <= max(4 * len(lines), 1 << 20):
        table = np.full(len(ec) * width, -1, np.int32)
        table[keys] = np.arange(len(enc), dtype=np.int32)
        if (table[keys] != np.arange(len(enc))).any():
            raise AdjudicationError("an encounter repeats (claim id, encounter id)")
        missing = _line_encounters(l_claim, l_id, claim_map, id_map, table, width, out, seen)
    else:  # encounter ids unique across claims: a hash look-up
        if not pd.Index(keys).is_unique:
            raise AdjudicationError("an encounter repeats (claim id, encounter id)")
        c, v = claim_map[l_claim], id_map[l_id]
        out[:] = pd.Index(keys).get_indexer(np.where((c < 0) | (v < 0), -1, c * width + v))
        missing = int((out < 0).sum())
        seen[out[out >= 0]] = True
    if missing:
        raise AdjudicationError("a fee line names an encounter the encounters table does not have")
    if not seen.all():
        bare = np.flatnonzero(~seen)[:5]
        raise AdjudicationError("encounters without a fee line (every encounter lists at least one): " + ", ".join(
            f"claim {enc['claim_id'].iloc[i]} encounter {enc['encounter_id'].iloc[i]}" for i in bare))
    return out


def _line_combinations(classifier: Any, l_enc: np.ndarray, lv: Any, ft: Any, code: Any, name: Any, kind: Any,
                       settled: np.ndarray, inst: Any, diag: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each line's combination of what classification can look at, and the first line of
    each combination (pairs of codes and their texts; encounter-level ones by encounter).
    A line's (code, name) matters only through which item of each named list it matches:
    its signature; institution and diagnoses only where a selector reads them."""
    lists = list(classifier.lists.items())
    n_code, n_name = len(code[1]), len(name[1])
    pair_sig = np.zeros(1, np.int32)
    n_sig = 1
    if lists:
        seen = np.zeros(n_code * n_name, np.bool_)
        _mark_pairs(code[0], name[0], n_code, n_name, seen)
        pair_sig = np.zeros(n_code * n_name, np.int32)
        sigs: dict[tuple, int] = {(0,) * len(lists): 0}  # type: ignore[type-arg]
        for k in np.flatnonzero(seen):
            c_, n_ = code[1][k // n_name], name[1][k % n_name]
            found = [lst.find(c_, n_) for _, lst in lists]
            pair_sig[k] = sigs.setdefault(tuple(0 if f is None else id(f) for f in found), len(sigs))
        n_sig = len(sigs)
    by_inst = any(e.inst is not None and e.inst.names for e in classifier.entries)
    by_diag = any(any(it.indications for it in e.sel_items) for e in classifier.entries)
    n_inst = inst[1] if by_inst else 1
    n_diag = diag[1] if by_diag else 1
    n_e_key = kind[1] * 2 * n_inst * n_diag
    size = len(lv[1]) * len(ft[1]) * n_sig * n_e_key
    if size > 1 << 26:
        raise AdjudicationError(f"too many combinations of line attributes to classify ({size:,})")
    # what a line's encounter adds to its combination, once per encounter
    e_key = kind[0].astype(np.int64) * 2 + settled
    e_key = (e_key * n_inst + (inst[0] if by_inst else 0)) * n_diag + (diag[0] if by_diag else 0)
    slot = np.full(size, -1, np.int32)
    combo = np.empty(len(l_enc), np.int32)
    first = np.empty(min(size, len(l_enc)), np.int64)
    n = _combo_ids(lv[0], ft[0], code[0], name[0], l_enc, e_key, n_e_key, pair_sig,
                   (len(lv[1]), len(ft[1]), n_code, n_name, n_sig), slot, combo, first)
    return combo, first[:n]


def _shared_copay(lines: pd.DataFrame, l_enc: np.ndarray, combo: np.ndarray, amounts: tuple, plan: np.ndarray,  # type: ignore[type-arg]
                  copay_total: np.ndarray, luts1: tuple, live: np.ndarray, prorate: np.ndarray,  # type: ignore[type-arg]
                  n_resp: int, out: np.ndarray, pend: np.ndarray, detail: bool,
                  texts: tuple) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """The in-scope co-pay of encounters where public payers paid, added to the groups.
    ``plan`` as :func:`_eligible_pass` leaves it.
    Where every in-scope line of an encounter goes to one place plainly, only the total
    matters; otherwise it is shared over the lines by largest remainder as the reference
    engine shares it (equal remainders by what the line is, then its place). Returns the
    shared lines and their co-pays."""
    pre, det, ful, over = amounts
    dest1, w1, pend1, lim1 = luts1
    dmin, dmax, wmax, count, pended = plan
    has = count > 0
    single = has & (dmin == dmax) & (wmax == 0) & ((pended == 0) | (pended == count)) & (not detail)
    to = single & live & (dmin >= 0)
    out[np.flatnonzero(to) * n_resp + dmin[to]] += copay_total[to]
    held = single & live & (pended > 0)
    pend[held] += copay_total[held]
    split = has & ~single
    rows = np.empty(int(count[split].sum()), np.int64)
    if len(rows):  # a pass over every line, only where some encounter's co-pay is to be shared
        _rows_of(l_enc, pre, det, ful, over, split, rows)
    shares = np.zeros(len(rows), np.int64)
    if len(rows):
        code_c, code_u, name_c, name_u, lv_c, lv_u, ft_c, ft_u = texts
        line_no = lines["line_no"].to_numpy()  # not converted: only the rows' are read
        rows = rows[np.lexsort((line_no[rows], l_enc[rows]))]
        edges = np.flatnonzero(np.diff(l_enc[rows])) + 1
        starts = np.concatenate(([0], edges)).astype(np.int64)
        ends = np.append(edges, len(rows)).astype(np.int64)
        weights = det[rows].astype(np.int64) - ful[rows] - over[rows] - pre[rows]  # int64 even for int32 amounts
        totals = copay_total[l_enc[rows[starts]]]
        # equal remainders go by what the line is: its rank among the lines' keys
        ranks = _key_ranks([_text_ranks(code_u)[code_c[rows]], _text_ranks(name_u)[name_c[rows]],
                            _text_ranks(lv_u)[lv_c[rows]], _text_ranks(ft_u)[ft_c[rows]], det[rows], ful[rows],
                            over[rows], pre[rows]])
        safe = _fits(totals, weights, starts, ends)
        _share_runs(starts[safe], ends[safe], totals[safe], weights, ranks, shares)
        for a, b in zip(starts[~safe], ends[~safe]):  # beyond int64: the same rule in Python integers
            members = rows[a:b]
            ties = [(code_u[code_c[m]], name_u[name_c[m]], lv_u[lv_c[m]], ft_u[ft_c[m]], int(det[m]), int(ful[m]),
                     int(over[m]), int(pre[m]), "") for m in members]
            shares[a:b] = allocate_units(int(copay_total[l_enc[members[0]]]), [int(w) for w in weights[a:b]], ties)
        _add_copay(rows, shares, l_enc, combo, live, prorate, dest1, w1, pend1, lim1, n_resp, out, pend)
    return rows, shares


@dataclass
class _OneByOne:
    """Portions read one by one (see :func:`_portions_one_by_one`), in adjudication order."""

    row: np.ndarray  # the fee line
    enc: np.ndarray
    part: np.ndarray
    combo: np.ndarray
    amount: np.ndarray  # what the portion is, covered part where the stay is pro-rated
    elig: np.ndarray
    own: np.ndarray  # a group of its own (its responsibility has payable sub-limits)
    order: np.ndarray  # line number × 4 + part: the order of such groups in their encounter
    payable_keys: np.ndarray  # per sub-limit slot of its responsibility: payable sub-limit key, or -1
    n_keys: int
    sl_amount: np.ndarray  # per sub-limit of the product: limit in fen, or count
    sl_measure: np.ndarray  # 0 payable, 1 eligible, 2 count


def _portions_one_by_one(rows: np.ndarray, lines: pd.DataFrame, l_enc: np.ndarray, combo: np.ndarray,
                         amounts: tuple, direct: np.ndarray, copays: tuple, prorate: np.ndarray,  # type: ignore[type-arg]
                         days: tuple, enc_pos: np.ndarray, e_person: np.ndarray, texts: tuple,  # type: ignore[type-arg]
                         product: Product, luts: tuple, sl_first: np.ndarray, n_resp: int, out: np.ndarray,  # type: ignore[type-arg]
                         pend: np.ndarray) -> _OneByOne:
    """The portions of ``rows`` (lines of pro-rated stays, lines a responsibility with
    sub-limits takes), read one by one as the reference engine reads them: a pro-rated
    stay's covered amount shared over its portions by largest remainder (equal remainders
    by what the line and part are), then :func:`_limited_pass`. Adds to ``out`` and
    ``pend`` as :func:`_eligible_pass` does."""
    pre, det, ful, over = amounts
    lut_dest, lut_w, lut_pend, lut_lim, lut_sl = luts
    code_c, code_u, name_c, name_u, lv_c, lv_u, ft_c, ft_u = texts
    line_nos = lines["line_no"].to_numpy()
    by_enc = np.empty(len(rows), np.int64)
    if _by_encounter(rows, l_enc, enc_pos, line_nos, by_enc):  # line numbers rise within each encounter
        rows = by_enc
    else:
        line_nos = line_nos.astype(np.int64)
        rows = rows[np.argsort(enc_pos[l_enc[rows]] * (int(line_nos.max(initial=0)) + 1) + line_nos[rows],
                               kind="stable")]
    shared_at = np.argsort(copays[0], kind="stable")
    copay = np.empty(len(rows), np.int64)
    _copays_of(rows, l_enc, direct, pre, det, ful, over, copays[0][shared_at], copays[1][shared_at], copay)
    n = 4 * len(rows)
    row, part, amount = np.empty(n, np.int32 if len(lines) < 2**31 else np.int64), np.empty(n, np.int8), np.empty(n, np.int64)
    enc, p_combo, p_order = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    n = _expand_portions(rows, pre, copay, ful, over, l_enc, combo, line_nos, prorate, lut_lim, row, part, amount,
                         enc, p_combo, p_order)
    row, part, amount, enc, p_combo, p_order = row[:n], part[:n], amount[:n], enc[:n], p_combo[:n], p_order[:n]
    for members in _runs(np.flatnonzero(prorate[enc]), enc):
        e = enc[members[0]]
        weights = [int(x) for x in amount[members]]
        ties = [(code_u[code_c[m]], name_u[name_c[m]], lv_u[lv_c[m]], ft_u[ft_c[m]], int(det[m]), int(ful[m]),
                 int(over[m]), int(pre[m]), _PARTS[k]) for m, k in zip(row[members], part[members])]
        total = kernel.prorated(sum(weights), int(days[0][e]), int(days[1][e]))
        amount[members] = allocate_units(total, weights, ties)
    sls = [(ri, t, sl) for ri, r in enumerate(product.responsibilities) for t, sl in enumerate(r.sub_limits)]
    keys, payable_keys, n_keys = _sub_limit_keys(sls, sl_first, row, enc, part, p_combo, e_person, texts, luts)
    measure = {"payable": 0, "eligible": 1, "count": 2}
    sl_measure = np.array([measure[sl.measure] for _, _, sl in sls] or [0], np.int64)
    sl_amount = np.array([sl.count if sl.measure == "count" else to_fen(sl.limit) for _, _, sl in sls] or [0], np.int64)
    elig = np.zeros(len(row), np.int64)
    own = np.zeros(len(row), np.bool_)
    _limited_pass(enc, row, part, amount, p_combo, keys, lut_dest, lut_w, lut_pend, lut_lim, sl_first, sl_measure,
                  sl_amount, max(n_keys, 1), n_resp, out, pend, elig, own)
    return _OneByOne(row, enc, part, p_combo, amount, elig, own, p_order, payable_keys, n_keys, sl_amount,
                     sl_measure)


def _sub_limit_keys(sls: list[Any], sl_first: np.ndarray, row: np.ndarray, enc: np.ndarray, part: np.ndarray,
                    p_combo: np.ndarray, e_person: np.ndarray, texts: tuple, luts: tuple) -> tuple[Any, Any, int]:  # type: ignore[type-arg]
    """Each portion's key under each sub-limit of its responsibility that selects it (slot
    t: its t-th sub-limit; -1 where it does not select it): per year the person, per
    encounter the encounter, per item and year the person and the line's code (its name
    where it has none). Keys per encounter or year are numbered directly (sub-limit's base
    plus owner); only the per-item keys are hashed. Returns the keys, the same with only
    payable sub-limits, and how many keys there are."""
    code_c, code_u, name_c, name_u = texts[:4]
    lut_dest, lut_sl = luts[0], luts[4]
    n_slots = max(int(np.diff(sl_first).max(initial=0)), 1)
    keys = np.full((len(row), n_slots), -1, np.int32)  # int32: fewer keys than portions and owners
    payable_keys = np.full((len(row), n_slots), -1, np.int32)
    n_keys = 0
    if sls:
        vocab = pd.factorize(np.concatenate((code_u, name_u)))[0]
        code_v, name_v = vocab[:len(code_u)], vocab[len(code_u):]
        code_item = np.where(code_u != "", code_v, -1).astype(np.int64)  # the code, or the name where it has none
        owners = max(len(e_person), int(e_person.max(initial=0)) + 1)
        items = int(vocab.max(initial=0)) + 1
        if len(sls) * owners * items >= 2**62:
            raise AdjudicationError("too many sub-limit keys to number in 64 bits")
        per = np.array([{"encounter": 0, "year": 1, "item_year": 2}[sl.per] for _, _, sl in sls], np.int64)
        base = np.cumsum([0] + [owners if p < 2 else 0 for p in per]).astype(np.int64)  # per sub-limit: first key
        n_dense = int(base[-1])
        if n_dense + len(row) * n_slots >= 2**31:
            raise AdjudicationError("too many sub-limit keys to number in 32 bits")
        payable = np.array([sl.measure == "payable" for _, _, sl in sls], np.bool_)
        item_raw = np.empty(len(row) * n_slots, np.int64)
        item_at = np.empty(len(row) * n_slots, np.int64)
        item_pay = np.empty(len(row) * n_slots, np.bool_)
        m = _numbered_sub_limit_keys(row, enc, part, p_combo, lut_dest, lut_sl, sl_first, per, payable, base,
                                     e_person, code_c, name_c, code_item, name_v.astype(np.int64), owners, items,
                                     keys, payable_keys, item_raw, item_at, item_pay)
        ids, uniques = pd.factorize(item_raw[:m])
        del item_raw
        at = item_at[:m]
        keys.ravel()[at] = ids + n_dense
        pay = at[item_pay[:m]]
        payable_keys.ravel()[pay] = keys.ravel()[pay]
        n_keys = n_dense + len(uniques)
    return keys, payable_keys, n_keys


@numba.njit(cache=True)
def _numbered_sub_limit_keys(row, enc, part, p_combo, lut_dest, lut_sl, sl_first, per, payable, base, e_person,
                             code_c, name_c, code_item, name_item, owners, items, keys, payable_keys, item_raw,
                             item_at, item_pay):  # pragma: no cover - compiled
    """Each portion's key under each sub-limit of its responsibility that selects it (slot
    t: its t-th; left -1 where it does not): per encounter or year, the sub-limit's
    ``base`` plus the owner (the encounter, or the person), written to ``keys`` (and
    ``payable_keys`` where the sub-limit is payable); per item and year, the raw key
    (sub-limit, person, item) in mixed radix, the item the line's code or its name where it
    has none, written to ``item_raw`` with its place (portion × slots + slot) in
    ``item_at`` and whether the sub-limit is payable in ``item_pay``, to be numbered.
    Category code -1 reads the last entry. Returns how many raw keys."""
    n_slots = keys.shape[1]
    m = 0
    for j in range(row.shape[0]):
        d = lut_dest[part[j], p_combo[j]]
        if d < 0:
            continue
        mask = lut_sl[part[j], p_combo[j]]
        for s in range(sl_first[d], sl_first[d + 1]):
            if (mask >> s) & 1 == 0:
                continue
            owner = enc[j] if per[s] == 0 else e_person[enc[j]]
            t = s - sl_first[d]
            if per[s] < 2:
                keys[j, t] = base[s] + owner
                if payable[s]:
                    payable_keys[j, t] = base[s] + owner
                continue
            i = row[j]
            item = code_item[code_c[i]]
            if item < 0:
                item = name_item[name_c[i]]
            item_raw[m] = (s * owners + owner) * items + item
            item_at[m] = j * n_slots + t
            item_pay[m] = payable[s]
            m += 1
    return m


def _text_ranks(texts: np.ndarray) -> np.ndarray:
    """Each text's rank in sorted order (Python's order of strings; equal texts, equal ranks)."""
    order = sorted(range(len(texts)), key=lambda i: texts[i])
    ranks = np.empty(len(texts), np.int64)
    rank = -1
    for k, i in enumerate(order):
        if k == 0 or texts[i] != texts[order[k - 1]]:
            rank += 1
        ranks[i] = rank
    return ranks


def _key_ranks(columns: list[np.ndarray]) -> np.ndarray:
    """Dense ranks of the rows' keys (tuples of the integer ``columns``, compared in order)."""
    order = np.lexsort(columns[::-1])
    keys = np.stack([c[order] for c in columns])
    new = np.concatenate(([True], (keys[:, 1:] != keys[:, :-1]).any(axis=0)))
    ranks = np.empty(len(order), np.int64)
    ranks[order] = np.cumsum(new) - 1
    return ranks


def _fits(totals: np.ndarray, weights: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether total × weight (and the weights' sum) of each run stay below 2**62, so that
    largest remainder is exact in int64."""
    if not len(starts):
        return np.zeros(0, bool)
    limit = (2**62 // (ends - starts)) // np.maximum(np.maximum.reduceat(weights, starts), 1)
    return totals < limit  # integer division: the check itself cannot overflow


def _runs(idx: np.ndarray, by: np.ndarray) -> list[np.ndarray]:
    """``idx`` split into runs of equal ``by[idx]`` (``idx`` grouped by it)."""
    if not len(idx):
        return []
    return np.split(idx, np.flatnonzero(np.diff(by[idx])) + 1)


def _encounter_order(claim_rank: np.ndarray, service: np.ndarray, id_rank: np.ndarray) -> np.ndarray:
    """Encounters sorted by (claim's place, service day, id's rank): one sort of one integer
    key where the three fit in 64 bits (the keys are distinct: ids are unique in a claim)."""
    if len(service) == 0:
        return np.zeros(0, np.int64)
    lo, days = int(service.min()), int(service.max()) - int(service.min()) + 1
    ids = int(id_rank.max()) + 2
    if (int(claim_rank.max()) + 1) * days * ids >= 2**62:
        return np.lexsort((id_rank, service, claim_rank))
    return np.argsort((claim_rank * days + (service - lo)) * ids + (id_rank + 1))


def _claim_order(claim_ids: pd.Series, service: np.ndarray, person_rank: np.ndarray) -> np.ndarray:
    """Claims sorted by (person rank, service day, claim id); ids compared only among ties."""
    order = np.empty(len(service), np.int64)
    if not _by_person_then_day(person_rank, service, order):  # someone with very many claims
        order = np.lexsort((service, person_rank))
    p, s = person_rank[order], service[order]
    same = (p[1:] == p[:-1]) & (s[1:] == s[:-1])
    if same.any():
        tied = np.zeros(len(order), bool)
        tied[1:] |= same
        tied[:-1] |= same
        at = np.flatnonzero(tied)
        run = np.cumsum(np.concatenate(([True], ~same)))[at]
        ids = claim_ids.iloc[order[at]].to_numpy(dtype=object)
        order[at] = order[at][sorted(range(len(at)), key=lambda i: (run[i], ids[i]))]
    return order


# ---- the engine ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnarDetail:
    """The columnar engine's figures below the claim, for the rows it computed itself
    (``engine == "batch"``); money in int64 fen.

    - ``portions``: one row per non-zero part of a fee line: ``claim_id``, ``encounter_id``,
      ``line_no``, ``part``, ``responsibility`` (None where no responsibility takes it or
      the encounter is excluded) and ``eligible``;
    - ``groups``: one row per (claim, encounter, responsibility) with an eligible amount:
      ``eligible``, ``deductible``, ``raw`` (fen × 10,000, before rounding), ``rounded``
      (the encounter's share of the claim's rounded amount), ``cap_cut``,
      ``indemnity_cut``, ``payable``;
    - ``year_to_date``: one row per claim, the person's accumulators after it:
      ``eligible:<id>``, ``deductible:<id>``, ``paid:<id>`` per responsibility,
      ``pool:<id>`` per deductible pool, ``combined:<id>`` per combined cap, ``total_paid``;
    - ``caveats``: one row per caveat per claim, as the reference engine lists them
      (:mod:`huiminbao_rules.analytics.caveat_rows`).
    """

    portions: pd.DataFrame
    groups: pd.DataFrame
    year_to_date: pd.DataFrame
    caveats: pd.DataFrame


def adjudicate_columns(population: Population, product: Product, unknown_lists: str = "pend", *,
                       detail: bool = False) -> Any:
    """One row per claim, as :func:`huiminbao_rules.analytics.batch.adjudicate_population`; with
    ``detail=True``, the pair (rows, :class:`ColumnarDetail`). ``unknown_lists`` as for
    :func:`huiminbao_rules.adjudication.engine.adjudicate`."""
    population = checked_population(population)
    claim_index = _claim_index(population.claims)
    people = _people(population, product)
    e = _encounters(population, people, claim_index)
    verdicts = _encounter_verdicts(product, people, e)
    facts = _encounter_facts(product, people, e)
    choices = _choices(product, facts.facts)
    ln = _fee_lines(population, e.enc)
    table = _classify_lines(product, unknown_lists, e.enc, facts.settled, ln)
    elig = _eligible_amounts(len(product.responsibilities), e, verdicts, ln, table, detail)
    order = _one_by_one(product, e, verdicts, ln, table, elig)
    if not detail:  # arrays as long as the fee lines that only the detail reads again: let them go
        none = np.zeros(0, np.int32)
        ln, table = ln._replace(l_enc=none), table._replace(combo=none)
        elig = elig._replace(slow_line=none, copay_rows=none, copay_shares=none)
    g = _groups(product, e, facts, choices, table, elig, order)
    if not detail:  # the eligible sums are in the groups now: only the held sums are read again
        elig = elig._replace(g_all=np.zeros(0, np.int64), e_pend=elig.e_pend.copy())
    bands = _deductible_and_bands(product, choices, g)
    share = _rounded_shares(product, len(population.claims), g, bands.raw)
    paid = _caps_and_indemnity(product, population.claims, e, ln, g, share, table.sl_first, order.slow)
    if not detail:  # the result reads the groups' claim, responsibility and eligible amount: the rest goes first
        none = np.zeros(0, np.int64)
        g = g._replace(enc=none, sub=none, person=none, annual=none, sched=none, cc=none, pool=none)
        paid = paid._replace(cap_cut=none)
        del bands, share
        return _result_rows(product, population.claims, e, elig, g, paid)
    out = _result_rows(product, population.claims, e, elig, g, paid)
    caveats = caveat_frame(product, unknown_lists, population, SimpleNamespace(
        people=people, e=e, facts=facts, ln=ln, table=table, elig=elig, order=order, g=g, share=share, paid=paid))
    return out, _detail(product, population.claims, e, ln, table, elig, order.slow, g, bands, share, paid, caveats)


def check_population(population: Population) -> None:
    """What :func:`adjudicate_columns` does not check on every run, to stay fast (the
    loaders check it: call this on frames of your own): the fee lines' amounts, in one pass
    over every line (about 4 ms per million lines), each from 0 up to
    :data:`~huiminbao_rules.analytics.columnar_input.LIMIT_FEN`, a line's self-paid parts not
    above its total, each encounter's settlement the sums of its lines (lines_reconcile);
    and no claim listing the same settlement (``setl_id``, else ``mdtrt_id``) twice.
    :class:`InputError` at the first fault (and at what :func:`adjudicate_columns` refuses)."""
    population = checked_population(population)
    enc, lines = population.encounters.reset_index(drop=True), population.fee_lines.reset_index(drop=True)
    check_claimed_once(enc)
    check_line_amounts(enc, lines, _encounter_of_lines(enc, lines),
                       tuple(fen_column(lines, "fee_lines", c, values=False, narrow=True) for c in LINE_MONEY))


# -- the stages, in the order the engine takes them ------------------------------------------------


def _claim_index(claims: pd.DataFrame) -> pd.Index:
    """The claims' ids, refused where one repeats."""
    claim_index = pd.Index(claims["claim_id"])
    if not claim_index.is_unique:
        dup = sorted(claims.loc[claims["claim_id"].duplicated(), "claim_id"].unique())[:5]
        raise AdjudicationError(f"claim ids repeat: {dup}")
    return claim_index


class _People(NamedTuple):
    """The insured people who have claims (``ins``), each claim's person (``claim_person``,
    a row of ``ins``) and each person's rank in the order of their ids (``rank``); each
    person's kind of history (``kind``, into ``histories``); per kind, ``kind_cover``: cover
    start (day), waiting period end (day), enrolled last year, renewed; per person, the first three."""

    ins: pd.DataFrame
    claim_person: np.ndarray
    rank: np.ndarray
    kind: np.ndarray
    histories: list[History]
    kind_cover: np.ndarray
    cover_start: np.ndarray
    waiting_until: np.ndarray
    enrolled_prev: np.ndarray


def _people(population: Population, product: Product) -> _People:
    """People grouped by their history; cover once per history."""
    ins = population.insured
    keep, claim_person, rank = _claimants(ins["insured_id"], population.claims)
    ins = ins[keep].reset_index(drop=True)
    check_people(ins)
    person_kind, histories = _histories(ins, product.policy_year)
    kind_cover = np.empty((len(histories), 4), np.int64)
    for k, h in enumerate(histories):
        cov = cover_for(h, product)
        kind_cover[k] = (_day(cov.start), _day(cov.waiting_until) if cov.waiting_until else np.iinfo(np.int64).min // 2,
                         h.enrolled_last_year, h.renewed)
    return _People(ins, claim_person, rank, person_kind, histories, kind_cover, kind_cover[person_kind, 0],
                   kind_cover[person_kind, 1], kind_cover[person_kind, 2].astype(bool))


class _Encounters(NamedTuple):
    """Claims and encounters in order: per claim its person, first service day, place in
    adjudication order (``claim_order``: claims in that order; ``claim_rank``: its inverse);
    per encounter its claim's row (``claim_pos``), person and days."""

    enc: pd.DataFrame
    claim_person: np.ndarray
    claim_pos: np.ndarray
    e_person: np.ndarray
    stay: np.ndarray
    admitted: np.ndarray
    discharged: np.ndarray
    service_on: np.ndarray
    starts_on: np.ndarray
    claim_service: np.ndarray
    claim_order: np.ndarray
    claim_rank: np.ndarray


def _encounters(population: Population, people: _People, claim_index: pd.Index) -> _Encounters:
    """Claims and encounters, their people and days, and the order of adjudication."""
    claims = population.claims
    enc = population.encounters.reset_index(drop=True)
    claim_person = people.claim_person
    claim_pos = _positions(claim_index, enc["claim_id"])
    if (claim_pos < 0).any():
        raise AdjudicationError("an encounter names a claim the claims table does not have")
    kind_c, kind_u = _codes(enc["kind"])
    stay = (kind_u == "inpatient")[kind_c]
    admitted, discharged, served = _days(enc["admitted_on"]), _days(enc["discharged_on"]), _days(enc["service_date"])
    check_days(enc, stay, admitted, discharged, served, day_numbers(people.ins["birth_date"])[claim_person[claim_pos]])
    service_on = np.where(stay, discharged, served)
    starts_on = np.where(stay, admitted, served)
    claim_service = np.full(len(claims), np.iinfo(np.int64).max, np.int64)
    _scatter_min(claim_service, claim_pos, service_on)
    if (bare := np.flatnonzero(claim_service == np.iinfo(np.int64).max)).size:
        raise AdjudicationError("claims without an encounter (every claim has at least one): "
                                + ", ".join(str(x) for x in claims["claim_id"].iloc[bare[:5]]))
    # claims ordered by person (their ids' order), then (service date, claim id): the order
    # of the result, and each person's adjudication order
    claim_order = _claim_order(claims["claim_id"], claim_service, people.rank[claim_person])
    claim_rank = np.empty(len(claims), np.int64)
    claim_rank[claim_order] = np.arange(len(claims))
    return _Encounters(enc, claim_person, claim_pos, claim_person[claim_pos], stay, admitted, discharged, service_on,
                       starts_on, claim_service, claim_order, claim_rank)


class _Verdicts(NamedTuple):
    """Per encounter: excluded (other policy year, before cover, waiting period), pro-rated
    (a stay past the end of cover), and, where any is pro-rated, covered and stay days."""

    excluded: np.ndarray
    prorate: np.ndarray
    covered_days: np.ndarray
    stay_days: np.ndarray


def _encounter_verdicts(product: Product, people: _People, e: _Encounters) -> _Verdicts:
    """The encounter verdicts, on date columns."""
    rule = product.cross_year
    tail = rule.tail_days if rule.rule == "admission_year_tail" else 0
    p_start, p_end = _day(product.period.start), _day(product.period.end)
    ep = e.e_person
    excluded, prorate = _verdicts_pass(e.stay, rule.by_admission, rule.by_admission and rule.rule != "to_discharge",
                                       e.admitted, e.discharged, e.service_on, e.starts_on, p_start, p_end, tail,
                                       people.cover_start[ep], people.waiting_until[ep], people.enrolled_prev[ep],
                                       people.kind_cover[people.kind, 3].astype(bool)[ep])
    covered_days = stay_days = np.zeros(len(e.enc), np.int64)
    if prorate.any():
        covered_days, stay_days = _k_covered_until(p_end, tail) - e.admitted, e.discharged - e.admitted
    return _Verdicts(excluded, prorate, covered_days, stay_days)


class _EncounterFacts(NamedTuple):
    """Per encounter: settled through basic insurance, and its facts (``e_fact``, into ``facts``)."""

    settled: np.ndarray
    e_fact: np.ndarray
    facts: list[Facts]


def _encounter_facts(product: Product, people: _People, e: _Encounters) -> _EncounterFacts:
    """Facts once per distinct (history, diagnoses where facts read them, settlement)."""
    enc = e.enc
    diag = _strings(enc["diagnoses"])
    settled = enc["settled_through_basic"].fillna(True).astype(bool).to_numpy()
    related = product.pre_existing.basis == "related_claim"
    e_kind = people.kind[e.e_person]
    fact_codes, fact_rows = _factor(e_kind, diag if related else np.zeros(len(enc), np.int8), settled)
    fact_keys = [(e_kind[i], diag[i], settled[i]) for i in fact_rows]
    facts_list: list[Facts] = []
    facts_index: dict[Facts, int] = {}
    unique_of: list[int] = []
    probe = SimpleNamespace()
    for kind_i, dx, st in fact_keys:
        probe.diagnoses, probe.settled_through_basic = (_split(dx) if related else ()), bool(st)
        facts = facts_for(people.histories[kind_i], probe, product)  # type: ignore[arg-type]
        if facts not in facts_index:
            facts_index[facts] = len(facts_list)
            facts_list.append(facts)
        unique_of.append(facts_index[facts])
    return _EncounterFacts(settled, np.asarray(unique_of, np.int64)[fact_codes], facts_list)


class _Choices(NamedTuple):
    """Per (facts, responsibility): the annual deductible in fen, the ratio schedule (into
    ``schedules``) and the mask of combined caps that take it."""

    schedules: list[Any]
    annual: np.ndarray
    sched: np.ndarray
    cc: np.ndarray


def _choices(product: Product, facts_list: list[Facts]) -> _Choices:
    """The deductible, schedule and combined caps each set of facts chooses."""
    resps = product.responsibilities
    n_resp = len(resps)
    schedules: list[Any] = []
    sched_of: dict[int, int] = {}
    choice_annual = np.zeros((len(facts_list), n_resp), np.int64)
    choice_sched = np.zeros((len(facts_list), n_resp), np.int64)
    choice_cc = np.zeros((len(facts_list), n_resp), np.int64)
    for fi, facts in enumerate(facts_list):
        for ri, r in enumerate(resps):
            choice_annual[fi, ri] = to_fen(deductible_for(product, r, facts)[0])
            _, sched = first_holding(r.ratio, facts)
            if id(sched) not in sched_of:
                sched_of[id(sched)] = len(schedules)
                schedules.append(sched)
            choice_sched[fi, ri] = sched_of[id(sched)]
            mask = 0
            for ci, c in enumerate(product.combined_caps):
                if r.id in c.responsibilities and holds(c.when, facts):
                    mask |= 1 << ci
            choice_cc[fi, ri] = mask
    return _Choices(schedules, choice_annual, choice_sched, choice_cc)


class _FeeLines(NamedTuple):
    """The fee lines: their encounter, what a selector reads of them as category codes and
    texts, their amounts in fen; per encounter, what public payers paid and the in-scope
    co-pay left."""

    lines: pd.DataFrame
    l_enc: np.ndarray
    lv_c: np.ndarray
    lv_u: np.ndarray
    ft_c: np.ndarray
    ft_u: np.ndarray
    code_c: np.ndarray
    code_u: np.ndarray
    name_c: np.ndarray
    name_u: np.ndarray
    pre: np.ndarray
    det: np.ndarray
    ful: np.ndarray
    over: np.ndarray
    public: Any
    copay_total: np.ndarray

    @property
    def amounts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.pre, self.det, self.ful, self.over

    @property
    def texts(self) -> tuple[np.ndarray, ...]:
        return (self.code_c, self.code_u, self.name_c, self.name_u, self.lv_c, self.lv_u, self.ft_c, self.ft_u)

    def in_scope(self) -> np.ndarray:
        """Each line's in-scope amount (total less the three self-paid parts), int64 fen
        whatever the width of the amounts."""
        return self.det.astype(np.int64) - self.ful - self.over - self.pre


def _fee_lines(population: Population, enc: pd.DataFrame) -> _FeeLines:
    """The fee lines as columns."""
    lines = population.fee_lines.reset_index(drop=True)
    l_enc = _encounter_of_lines(enc, lines)
    lv_c, lv_u = _category(lines["chrgitm_lv"])
    ft_c, ft_u = _category(lines["med_chrgitm_type"])
    code_c, code_u = _category(lines["med_list_codg"])
    name_c, name_u = _category(lines["name"])
    # int32 amounts as they are (half the memory of int64; every sum is made in int64: the
    # compiled passes widen each value, the numpy sites over lines widen first), others as int64
    det, ful, over, pre = (fen_column(lines, "fee_lines", c, values=False, narrow=True) for c in LINE_MONEY)
    public = sum(enc[f].to_numpy(np.int64) for f in PUBLIC_PAYERS if f in enc)
    copay_total = np.maximum(enc["inscp_scp_amt"].to_numpy(np.int64) - public, 0)
    return _FeeLines(lines, l_enc, lv_c, lv_u, ft_c, ft_u, code_c, code_u, name_c, name_u, pre, det, ful, over,
                     public, copay_total)


class _Table(NamedTuple):
    """Per line its combination (``combo``); per (part, combination): destination
    (responsibility index, or -1), weight (1/10,000; 0 = none), whether the portion is held
    for review, whether its responsibility has sub-limits (1: eligible or count, 2: payable)
    and which of them select it (a bit per sub-limit, numbered over the product, each
    responsibility's from ``sl_first``)."""

    combo: np.ndarray
    dest: np.ndarray
    w: np.ndarray
    pend: np.ndarray
    lim: np.ndarray
    sl: np.ndarray
    sl_first: np.ndarray


def _classify_lines(product: Product, unknown_lists: str, enc: pd.DataFrame, settled: np.ndarray,
                    ln: _FeeLines) -> _Table:
    """Each line's combination of what a selector can look at, and what each combination's
    portions are."""
    try:
        classifier = classifier_of(product, unknown_lists)
    except ValueError as exc:
        raise AdjudicationError(str(exc)) from None
    kind_c, kind_u = _codes(enc["kind"])
    inst_c, inst_u = _codes(enc["institution"])
    diag_c, diag_u = _codes(enc["diagnoses"])
    combo, combo_first = _line_combinations(classifier, ln.l_enc, (ln.lv_c, ln.lv_u), (ln.ft_c, ln.ft_u),
                                            (ln.code_c, ln.code_u), (ln.name_c, ln.name_u), (kind_c, len(kind_u)),
                                            settled, (inst_c, len(inst_u)), (diag_c, len(diag_u)))
    return _combination_table(product, classifier, combo, combo_first, ln,
                              ((kind_c, kind_u), (inst_c, inst_u), (diag_c, diag_u)), settled)


def _combination_table(product: Product, classifier: Any, combo: np.ndarray, combo_first: np.ndarray,
                       ln: _FeeLines, enc_codes: tuple, settled: np.ndarray) -> _Table:  # type: ignore[type-arg]
    """What each combination's portions are, by the classifier, read on its first line."""
    (kind_c, kind_u), (inst_c, inst_u), (diag_c, diag_u) = enc_codes
    resps = product.responsibilities
    n_combo = len(combo_first)
    lut_dest = np.full((4, n_combo), -1, np.int16)
    lut_w = np.zeros((4, n_combo), np.int32)
    lut_pend = np.zeros((4, n_combo), np.bool_)
    lut_lim = np.zeros((4, n_combo), np.int8)
    lut_sl = np.zeros((4, n_combo), np.int64)
    sl_first = np.cumsum([0] + [len(r.sub_limits) for r in resps]).astype(np.int64)
    for j, row in enumerate(combo_first):
        e_i = ln.l_enc[row]
        line_ns = SimpleNamespace(chrgitm_lv=ln.lv_u[ln.lv_c[row]], med_chrgitm_type=ln.ft_u[ln.ft_c[row]],
                                  med_list_codg=ln.code_u[ln.code_c[row]], name=ln.name_u[ln.name_c[row]])
        enc_ns = SimpleNamespace(kind=kind_u[kind_c[e_i]], settled_through_basic=bool(settled[e_i]),
                                 institution=inst_u[inst_c[e_i]], diagnoses=_split(diag_u[diag_c[e_i]]))
        for part_i, part in enumerate(_PARTS):
            entry, miss = classifier.classify(part, line_ns, enc_ns)  # type: ignore[arg-type]
            if entry is None:
                lut_pend[part_i, j] = miss[0] == "pending_review"
                continue
            r = entry.resp
            lut_dest[part_i, j] = entry.r_index
            lut_w[part_i, j] = _rate(entry.weight) if entry.weight is not None else 0
            lut_lim[part_i, j] = int(entry.limited) | 2 * int(entry.payable_limited)
            for t, sl in enumerate(r.sub_limits):
                if classifier.sub_limits[(r.id, sl.id)].matches(part, line_ns, enc_ns):  # type: ignore[arg-type]
                    lut_sl[part_i, j] |= 1 << int(sl_first[entry.r_index] + t)
    return _Table(combo, lut_dest, lut_w, lut_pend, lut_lim, lut_sl, sl_first)


class _Eligible(NamedTuple):
    """Eligible amounts per (encounter, responsibility) (``g_all``, dense), held amounts per
    encounter (``e_pend``); per encounter, not excluded (``live``) and co-pay taken directly
    (public payers paid nothing); per line, whether it is read one by one; the lines the
    in-scope co-pay was shared over and their shares."""

    live: np.ndarray
    slow_line: np.ndarray
    g_all: np.ndarray
    e_pend: np.ndarray
    direct: np.ndarray
    copay_rows: np.ndarray
    copay_shares: np.ndarray


def _eligible_amounts(n_resp: int, e: _Encounters, v: _Verdicts, ln: _FeeLines, t: _Table,
                      detail: bool) -> _Eligible:
    """Eligible amounts per encounter and responsibility in one compiled pass; the in-scope
    co-pay shared over an encounter's lines where it goes to several places."""
    live = ~v.excluded
    n_enc = len(e.enc)
    slow_line = np.zeros(len(ln.lines), np.bool_)
    sums = np.zeros(n_enc * (n_resp + 2), np.int64)  # groups, pending sums, a sink: see _eligible_pass
    g_all, e_pend = sums[:n_enc * n_resp], sums[n_enc * n_resp:n_enc * (n_resp + 1)]
    direct = ln.copay_total == e.enc["inscp_scp_amt"].to_numpy(np.int64)  # public payers paid nothing
    shared = ~direct & (ln.copay_total > 0)
    plan = np.zeros((5, n_enc), np.int64)
    plan[0], plan[1] = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    plan[2, v.prorate] = 1  # a pro-rated stay's co-pay is shared over its lines
    flags = (shared.astype(np.uint8) | live.astype(np.uint8) << 1 | v.prorate.astype(np.uint8) << 2
             | direct.astype(np.uint8) << 3)
    _eligible_pass(ln.l_enc, t.combo, ln.pre, ln.det, ln.ful, ln.over, flags, t.dest, t.w, t.pend, t.lim, n_resp, sums,
                   plan, slow_line)
    # in-scope co-pay where public payers paid: shared over the encounter's lines
    copay_rows, copay_shares = _shared_copay(
        ln.lines, ln.l_enc, t.combo, ln.amounts, plan, ln.copay_total, (t.dest[1], t.w[1], t.pend[1], t.lim[1]),
        live, v.prorate, n_resp, g_all, e_pend, detail, ln.texts)
    return _Eligible(live, slow_line, g_all, e_pend, direct, copay_rows, copay_shares)


class _Order(NamedTuple):
    """Encounters in adjudication order (``enc_perm``) and each one's place in it
    (``enc_pos``); the portions read one by one."""

    enc_perm: np.ndarray
    enc_pos: np.ndarray
    slow: _OneByOne


def _one_by_one(product: Product, e: _Encounters, v: _Verdicts, ln: _FeeLines, t: _Table,
                el: _Eligible) -> _Order:
    """Encounters in adjudication order: claims per person, encounters by (service date, id);
    the portions whose order matters read one by one in it."""
    n_enc = len(e.enc)
    enc_perm = _encounter_order(e.claim_rank[e.claim_pos], e.service_on, _sorted_ranks(e.enc["encounter_id"]))
    enc_pos = np.empty(n_enc, np.int64)
    enc_pos[enc_perm] = np.arange(n_enc)
    slow = _portions_one_by_one(
        np.flatnonzero(el.slow_line), ln.lines, ln.l_enc, t.combo, ln.amounts, el.direct,
        (el.copay_rows, el.copay_shares), v.prorate, (v.covered_days, v.stay_days), enc_pos, e.e_person, ln.texts,
        product, (t.dest, t.w, t.pend, t.lim, t.sl), t.sl_first, len(product.responsibilities), el.g_all, el.e_pend)
    return _Order(enc_perm, enc_pos, slow)


class _Groups(NamedTuple):
    """One row per group, in adjudication order: its encounter, responsibility, eligible
    amount, payable sub-limit keys (per slot, or -1), claim, person, annual deductible,
    schedule, combined-cap mask and deductible pool."""

    enc: np.ndarray
    resp: np.ndarray
    elig: np.ndarray
    sub: np.ndarray
    claim: np.ndarray
    person: np.ndarray
    annual: np.ndarray
    sched: np.ndarray
    cc: np.ndarray
    pool: np.ndarray


def _group_keys(n_resp: int, t: _Table, el: _Eligible,
                order: _Order) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Groups in adjudication order: by encounter, then responsibility, then (portions that
    are groups of their own) line and part: (encounter, responsibility, eligible, sub-limit keys)."""
    n_enc = len(order.enc_pos)
    slow = order.slow
    n_fast = int(np.count_nonzero(el.g_all > 0))
    g_enc, g_resp, g_elig = np.empty(n_fast, np.int64), np.empty(n_fast, np.int64), np.empty(n_fast, np.int64)
    _group_rows(el.g_all, order.enc_perm, n_resp, g_enc, g_resp, g_elig)
    n_sl = max(int(np.diff(t.sl_first).max(initial=0)), 1)
    g_sub = np.full((n_fast, n_sl), -1, np.int32)
    if slow.own.any():  # portions that are groups of their own, merged in order
        own = np.flatnonzero(slow.own)
        o_resp = t.dest[slow.part[own], slow.combo[own]].astype(np.int64)
        g_enc = np.concatenate((g_enc, slow.enc[own]))
        g_resp = np.concatenate((g_resp, o_resp))
        g_elig = np.concatenate((g_elig, slow.elig[own]))
        sub_order = np.concatenate((np.full(n_fast, -1, np.int64), slow.order[own]))
        g_sub = np.concatenate((g_sub, slow.payable_keys[own]))
        # one key (encounter's place, responsibility, portion's order; the groups of the fast
        # pass are in that order already, the others nearly): a stable sort merges the runs
        width = int(sub_order.max(initial=0)) + 2
        if n_enc * n_resp * width < 2**62:
            key = (order.enc_pos[g_enc] * n_resp + g_resp) * width + (sub_order + 1)
            if (key[1:] >= key[:-1]).all():  # in order already (all groups portions, one responsibility each encounter)
                return g_enc, g_resp, g_elig, g_sub
            ordered = np.argsort(key, kind="stable")
        else:  # pragma: no cover - beyond 64 bits
            ordered = np.lexsort((sub_order, g_resp, order.enc_pos[g_enc]))
        g_enc, g_resp, g_elig, g_sub = g_enc[ordered], g_resp[ordered], g_elig[ordered], g_sub[ordered]
    return g_enc, g_resp, g_elig, g_sub


def _groups(product: Product, e: _Encounters, f: _EncounterFacts, ch: _Choices, t: _Table, el: _Eligible,
            order: _Order) -> _Groups:
    """The groups, with what their facts chose."""
    resps = product.responsibilities
    g_enc, g_resp, g_elig, g_sub = _group_keys(len(resps), t, el, order)
    pool_ids = sorted({product.pool_of(r) for r in resps})
    pool_index = {p: i for i, p in enumerate(pool_ids)}
    pool_of = np.array([pool_index[product.pool_of(r)] for r in resps], np.int64)
    claim, person, annual, sched, cc, pool = (np.empty(len(g_enc), np.int64) for _ in range(6))
    _group_facts(g_enc, g_resp, f.e_fact, e.claim_pos, e.e_person, ch.annual, ch.sched, ch.cc, pool_of,
                 claim, person, annual, sched, cc, pool)
    return _Groups(g_enc, g_resp, g_elig, g_sub, claim, person, annual, sched, cc, pool)


class _Bands(NamedTuple):
    """Per group: the deductible taken, and the amount by the bands (fen × 10,000)."""

    ded: np.ndarray
    raw: np.ndarray


def _deductible_and_bands(product: Product, ch: _Choices, g: _Groups) -> _Bands:
    """Deductible and bands, person by person, in order (compiled)."""
    resps = product.responsibilities
    n_pools = len({product.pool_of(r) for r in resps})
    band_start, band_end, band_rate, sched_first, sched_count = [], [], [], [], []
    for s in ch.schedules:
        sched_first.append(len(band_start))
        sched_count.append(len(s.band_list))
        for a, b, rate in s.band_list:
            band_start.append(to_fen(a))
            band_end.append(-1 if b is None else to_fen(b))
            band_rate.append(_rate(rate))
    arr = lambda x: np.asarray(x if x else [0], np.int64)  # noqa: E731
    basis = np.array([0 if r.ratio_basis == "eligible" else 1 for r in resps], np.int64)
    n_groups = len(g.enc)
    g_ded = np.zeros(n_groups, np.int64)
    g_raw = np.zeros(n_groups, np.int64)
    _bands_pass(g.person, g.resp, g.elig, g.annual, g.pool, g.sched, basis, len(resps), n_pools,
                arr(band_start), arr(band_end), arr(band_rate), arr(sched_first), arr(sched_count), g_ded, g_raw)
    return _Bands(g_ded, g_raw)


def _rounded_shares(product: Product, n_claims: int, g: _Groups, g_raw: np.ndarray) -> np.ndarray:
    """Rounding once per responsibility per claim, shared back over the claim's groups by
    largest remainder: each group's rounded amount (compiled; the runs too large for int64
    products shared in Python integers)."""
    g_share = np.zeros(len(g_raw), np.int64)
    wide = np.zeros(len(g_raw), np.bool_)
    n_wide = _claim_roundings(g.claim, g.resp, g_raw, len(product.responsibilities), n_claims,
                              to_fen(product.rounding.step), kernel.MODES[product.rounding.mode], g_share, wide)
    if n_wide < 0:  # pragma: no cover - the groups are in adjudication order by construction
        raise RuntimeError("a claim's groups are not together")
    if n_wide:
        _share_wide_runs(np.flatnonzero(wide), g.claim, g.resp, g_raw, g_share)
    return g_share


def _share_wide_runs(rows: np.ndarray, g_claim: np.ndarray, g_resp: np.ndarray, g_raw: np.ndarray,
                     g_share: np.ndarray) -> None:
    """The runs whose total × weight could pass int64 (``rows``, each run's rounded total in
    ``g_share``), shared by the kernel's largest remainder in Python integers."""
    runs: dict[tuple[int, int], list[int]] = {}
    for k in rows.tolist():
        runs.setdefault((int(g_claim[k]), int(g_resp[k])), []).append(k)
    for members in runs.values():
        parts = kernel.largest_remainder(int(g_share[members[0]]), [int(g_raw[k]) for k in members],
                                         [0] * len(members))
        g_share[members] = parts


class _Paid(NamedTuple):
    """Per group: payable, cut by caps, cut by the indemnity limit; per claim, what is owed."""

    pay: np.ndarray
    cap_cut: np.ndarray
    indemnity_cut: np.ndarray
    claim_owed: np.ndarray


def _caps_and_indemnity(product: Product, claims: pd.DataFrame, e: _Encounters, ln: _FeeLines, g: _Groups,
                        g_share: np.ndarray, sl_first: np.ndarray, slow: _OneByOne) -> _Paid:
    """Payable sub-limits, caps, combined caps, the total cap and the indemnity limit, in
    order (compiled)."""
    resps = product.responsibilities
    owed = (e.enc["medfee_sumamt"].to_numpy(np.int64) - ln.public)
    claim_owed = np.zeros(len(claims), np.int64)
    _scatter_add(claim_owed, e.claim_pos.astype(np.int64), owed)
    other = claims["other_insurance_paid"].to_numpy(np.int64)
    resp_cap = np.array([to_fen(r.cap.amount) if r.cap else -1 for r in resps], np.int64)
    cc_amount = np.array([to_fen(c.amount) for c in product.combined_caps] or [0], np.int64)[:len(product.combined_caps)]
    total_cap = to_fen(product.total_cap.amount) if product.total_cap else -1
    n_groups = len(g.enc)
    g_pay = np.zeros(n_groups, np.int64)
    g_capcut = np.zeros(n_groups, np.int64)
    g_indcut = np.zeros(n_groups, np.int64)
    _caps_pass(g.person, g.claim, g.resp, g_share, g.cc, g.sub, sl_first, slow.sl_amount, max(slow.n_keys, 1),
               resp_cap, np.ascontiguousarray(cc_amount, np.int64),
               total_cap, claim_owed, other, len(resps), g_pay, g_capcut, g_indcut)
    return _Paid(g_pay, g_capcut, g_indcut, claim_owed)


def _result_rows(product: Product, claims: pd.DataFrame, e: _Encounters, el: _Eligible, g: _Groups,
                 paid: _Paid) -> pd.DataFrame:
    """One row per claim, in adjudication order: the money columns are rows of one block,
    summed in one compiled pass."""
    resps = product.responsibilities
    n_claims, n_resp, n_b = len(claims), len(resps), len(BUCKETS)
    o = e.claim_order
    block = np.zeros((5 + 2 * n_b + n_resp, n_claims), np.int64)
    block[0] = paid.claim_owed[o]
    _claim_sums(e.claim_rank[g.claim], g.resp, paid.pay, g.elig, paid.indemnity_cut, e.claim_rank[e.claim_pos],
                el.e_pend, np.array([BUCKETS.index(r.bucket) for r in resps], np.int64), n_b, block)
    names = ["owed", "eligible", "payable", "indemnity_cut", "pending", *(f"eligible_{b}" for b in BUCKETS),
             *(f"payable_{b}" for b in BUCKETS), *(f"payable:{r.id}" for r in resps)]
    columns: dict[str, Any] = {
        "claim_id": claims["claim_id"].iloc[o].reset_index(drop=True),
        "insured_id": claims["insured_id"].iloc[o].reset_index(drop=True),
        "product_id": product.id, "service_on": pd.to_datetime(e.claim_service[o], unit="D"),
        **dict(zip(names, block))}
    out = pd.DataFrame({c: columns[c] for c in result_columns(product)}, copy=False)
    out["engine"] = "batch"
    return out


def _detail(product: Product, claims: pd.DataFrame, e: _Encounters, ln: _FeeLines, t: _Table, el: _Eligible,
            slow: _OneByOne, g: _Groups, bands: _Bands, g_share: np.ndarray, paid: _Paid,
            caveats: pd.DataFrame) -> ColumnarDetail:
    """The figures below the claim: portions, groups, year-to-date and caveats."""
    resps = product.responsibilities
    copay_line = np.where(el.direct[ln.l_enc], ln.in_scope(), 0)
    copay_line[el.copay_rows] = el.copay_shares
    portions = _portion_rows(resps, ln.lines, ln.l_enc, el.live, t.combo, t.dest, t.w,
                             np.stack([ln.pre, copay_line, ln.ful, ln.over]), slow)
    groups = pd.DataFrame({
        "claim_id": claims["claim_id"].to_numpy()[g.claim], "encounter_id": e.enc["encounter_id"].to_numpy()[g.enc],
        "responsibility": np.array([r.id for r in resps], dtype=object)[g.resp], "eligible": g.elig,
        "deductible": bands.ded, "raw": bands.raw, "rounded": g_share, "cap_cut": paid.cap_cut,
        "indemnity_cut": paid.indemnity_cut,
        "payable": paid.pay}).groupby(["claim_id", "encounter_id", "responsibility"], sort=False, as_index=False).sum()
    ytd = _year_to_date_rows(product, claims, e.claim_person, e.claim_order, g.claim, g.resp, g.cc, g.elig, bands.ded,
                             paid.pay)
    return ColumnarDetail(portions, groups, ytd.reset_index(drop=True), caveats)


def _portion_rows(resps: Any, lines: pd.DataFrame, l_enc: np.ndarray, live: np.ndarray, combo: np.ndarray,
                  lut_dest: np.ndarray, lut_w: np.ndarray, amounts: np.ndarray, slow: _OneByOne) -> pd.DataFrame:
    """Every non-zero part of every fee line: where it went and what counts of it (the
    portions read one by one as they came out: nothing of a stay's uncovered part)."""
    frames = []
    ids = np.array([r.id for r in resps] + [None], dtype=object)
    for k, part in enumerate(_PARTS):
        rows = np.flatnonzero(amounts[k] != 0)
        a = amounts[k][rows]
        d = np.where(live[l_enc[rows]], lut_dest[k][combo[rows]].astype(np.int64), -1)
        w = lut_w[k][combo[rows]].astype(np.int64)
        eligible = np.empty(len(a), np.int64)
        _weighted_all(a, w, eligible)
        mine = slow.part == k
        at = np.searchsorted(rows, slow.row[mine])
        d[at] = np.where(slow.amount[mine] > 0, d[at], -1)
        eligible[at] = slow.elig[mine]
        frames.append(pd.DataFrame({
            "claim_id": lines["claim_id"].to_numpy()[rows], "encounter_id": lines["encounter_id"].to_numpy()[rows],
            "line_no": lines["line_no"].to_numpy()[rows], "part": part, "responsibility": ids[d],
            "eligible": np.where(d >= 0, eligible, 0)}))
    out = pd.concat(frames, ignore_index=True)
    out["responsibility"] = out["responsibility"].astype(object).where(out["responsibility"].notna(), None)
    return out


def _year_to_date_rows(product: Product, claims: pd.DataFrame, claim_person: np.ndarray, claim_order: np.ndarray,
                       g_claim: np.ndarray, g_resp: np.ndarray, g_cc: np.ndarray, g_elig: np.ndarray,
                       g_ded: np.ndarray, g_pay: np.ndarray) -> pd.DataFrame:
    """Each person's accumulators after each of their claims (claims in adjudication order)."""
    resps = product.responsibilities
    n_claims, n_resp = len(claims), len(resps)
    cols: dict[str, np.ndarray] = {}
    for name, values in (("eligible", g_elig), ("deductible", g_ded), ("paid", g_pay)):
        m = np.zeros((n_claims, n_resp), np.int64)
        np.add.at(m, (g_claim, g_resp), values)
        for ri, r in enumerate(resps):
            cols[f"{name}:{r.id}"] = m[:, ri]
    for pool in sorted({product.pool_of(r) for r in resps}):
        cols[f"pool:{pool}"] = sum((cols[f"deductible:{r.id}"] for r in resps if product.pool_of(r) == pool),
                                   np.zeros(n_claims, np.int64))
    for ci, c in enumerate(product.combined_caps):
        m1 = np.zeros(n_claims, np.int64)
        np.add.at(m1, g_claim, np.where((g_cc >> ci) & 1 == 1, g_pay, 0))
        cols[f"combined:{c.id}"] = m1
    cols["total_paid"] = sum((cols[f"paid:{r.id}"] for r in resps), np.zeros(n_claims, np.int64))
    frame = pd.DataFrame(cols).iloc[claim_order]
    running = frame.groupby(claim_person[claim_order]).cumsum()
    running.insert(0, "claim_id", claims["claim_id"].to_numpy()[claim_order])
    return running
