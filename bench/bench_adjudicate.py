"""Benchmark: adjudicating one 30-line claim.

Prints, median of several runs, single process:
- claims/s to adjudicate an already-parsed claim,
- claims/s for parse + validate + adjudicate from JSON text, and with the full result
  serialised back to JSON,
- a plain pydantic parse of the same claim, for scale.

Run: python bench/bench_adjudicate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from decimal import Decimal

from huiminbao_rules import adjudicate, get_product, parse_claim, to_dict
from huiminbao_rules.models import Claim


def thirty_line_claim() -> dict:
    """An inpatient stay with 30 fee lines of every catalogue level under Shenzhen 2023."""
    lines = []
    ful = pre = inscp = Decimal("0.00")
    for i in range(30):
        level = ("01", "02", "03")[i % 3]
        fee_type = ("09", "03", "04", "06", "08", "11")[i % 6]
        amount = Decimal(1000 + 137 * i) + Decimal("0.37")
        line = {"feedetl_sn": f"L{i:03d}", "med_list_codg": f"X{i:05d}", "name": f"item {i}",
                "chrgitm_lv": level, "med_chrgitm_type": fee_type, "det_item_fee_sumamt": str(amount)}
        if level == "03":
            line["fulamt_ownpay_amt"] = str(amount)
            ful += amount
        elif level == "02":
            p = (amount * Decimal("0.10")).quantize(Decimal("0.01"))
            line["preselfpay_amt"] = str(p)
            pre += p
            inscp += amount - p
        else:
            inscp += amount
        lines.append(line)
    total = ful + pre + inscp
    public = (inscp * Decimal("0.85")).quantize(Decimal("0.01"))
    return {
        "claim_id": "BENCH-1",
        "insured": {"id": "P-1", "birth_date": "1960-01-01", "scheme": "employee", "enrolled_on": "2023-05-01"},
        "encounters": [{
            "id": "E1", "kind": "inpatient", "admitted_on": "2023-09-01", "discharged_on": "2023-09-20",
            "diagnoses": ["C34.9"],
            "settlement": {"medfee_sumamt": str(total), "fulamt_ownpay_amt": str(ful), "preselfpay_amt": str(pre),
                           "inscp_scp_amt": str(inscp), "hifp_pay": str(public)},
            "fee_lines": lines,
        }],
    }


def _median_rate(fn, n: int, repeat: int) -> float:
    """Median over ``repeat`` runs of calls per second, each run ``n`` calls."""
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("-n", type=int, default=2000)
    args = ap.parse_args()
    product = get_product("shenzhen-2023")
    data = thirty_line_claim()
    text = json.dumps(data)
    claim = parse_claim(text)
    adjudicate(claim, product)  # warm up

    plain = _median_rate(lambda: Claim.model_validate_json(text), args.n, args.repeat)
    engine = _median_rate(lambda: adjudicate(claim, product), args.n, args.repeat)
    parsed = _median_rate(lambda: adjudicate(parse_claim(text), product).payable, args.n, args.repeat)
    full = _median_rate(lambda: json.dumps(to_dict(adjudicate(parse_claim(text), product), product)),
                        args.n // 4, args.repeat)
    print(f"30-line claim, {args.repeat} runs, median")
    print(f"  pydantic parse of the claim only      {plain:10.0f} claims/s  {1e6 / plain:8.1f} us/claim")
    print(f"  adjudicate a parsed claim             {engine:10.0f} claims/s  {1e6 / engine:8.1f} us/claim")
    print(f"  parse + validate + adjudicate         {parsed:10.0f} claims/s  {1e6 / parsed:8.1f} us/claim")
    print(f"  parse + validate + adjudicate + JSON  {full:10.0f} claims/s  {1e6 / full:8.1f} us/claim")
    print("  (JSON = the full result with every line, portion and step, serialised by json.dumps)")


if __name__ == "__main__":
    main()
