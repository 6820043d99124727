"""One person's policy year under Shenzhen 2023: three claims arrive out of order, the
deductible is used up across them, and a reversed claim is undone by replaying the year
without it.

Run: python examples/replay_a_year.py
"""

from __future__ import annotations

import json
from pathlib import Path

from huiminbao_rules import get_product, parse_claim, replay

HERE = Path(__file__).parent
product = get_product("shenzhen-2023")
base = json.loads((HERE / "claims" / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))


def stay(claim_id: str, day: str, self_pay_first: str) -> dict:
    """A short stay whose only cost to the person is 乙类 先行自付 (in-list self-pay)."""
    data = json.loads(json.dumps(base))
    data["claim_id"] = claim_id
    enc = data["encounters"][0]
    enc.update(admitted_on=day, discharged_on=day)
    enc["settlement"] = {"medfee_sumamt": self_pay_first, "fulamt_ownpay_amt": "0.00",
                         "preselfpay_amt": self_pay_first, "inscp_scp_amt": "0.00"}
    enc["fee_lines"] = [{"med_list_codg": "Y-B1", "name": "乙类药", "chrgitm_lv": "02", "med_chrgitm_type": "09",
                         "det_item_fee_sumamt": self_pay_first, "preselfpay_amt": self_pay_first}]
    data["encounters"] = [enc]
    return data


claims = [parse_claim(stay(*args)) for args in
          [("C3", "2024-03-01", "9000.00"), ("C1", "2023-08-01", "10000.00"), ("C2", "2023-11-15", "8000.00")]]

year = replay(claims, product)  # adjudicated in service-date order: C1, C2, C3
for adj in year.adjudications:
    r = adj.responsibility("in_list")
    print(f"{adj.claim_id} {adj.service_on}: eligible {r.eligible}, deductible taken {r.deductible}, pays {adj.payable}")
print(f"year: {year.payable}; deductible used {year.year_to_date.deductible_pools['in_list']}")

# C2 is reversed: replay the year without it. C3 now takes the deductible C2 had used.
undone = replay([c for c in claims if c.claim_id != "C2"], product)
print(f"without C2: {undone.payable}")
assert (year.payable, undone.payable) == (8800, 2400)  # 0 + 1600 + 7200; 0 + 2400
