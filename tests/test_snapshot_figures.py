"""Golden snapshots anchored by arithmetic: for every bundled product, at least one figure
of its snapshot worked out by hand from the product file's terms, so a snapshot is more
than whatever the code printed when it was generated.

The canonical claims are those of ``tests/snapshot_claims.py``; the person is an
employee-scheme insured born 1960, enrolled before the period, with no special group, no
declared condition and no earlier years. The two claims used here:

- ``in-list-stay``: one stay; a 乙类 drug line of 60,000 of which 10,000 is 先行自付
  (preselfpay) and a 甲类 surgery line of 140,000; the public payers paid 150,000 of the
  190,000 in scope, so the in-scope co-pay is 40,000. In-list self-pay: 10,000 + 40,000.
- ``out-of-list-stay``: one stay; wholly self-paid 丙类 lines of 60,000 (drug, fee type 09),
  30,000 (material, 08) and 10,000 (examination, 03), and an in-scope bed fee of 5,000 of
  which the public payers paid 4,000. Out-of-list self-pay: 100,000.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import adjudicate, bundled_products, get_product, parse_claim

sys.path.insert(0, str(Path(__file__).parent))
from snapshot_claims import canonical_claims  # noqa: E402

SNAPSHOTS = Path(__file__).parent / "snapshots"
D = Decimal

# (product, claim, responsibility, eligible, payable): each figure written as the product's terms.
CASES = [
    # 目录内 deductible 15,000, 70%
    ("anhui-2024", "in-list-stay", "in_list", D(10000 + 40000), (D(50000) - 15000) * D("0.70")),  # 24,500
    # deductible: the 大病保险 threshold for the employee scheme, 39,500; 80%
    ("beijing-2021", "in-list-stay", "in_list", D(50000), (D(50000) - D(39500)) * D("0.80")),  # 8,400
    # threshold 30,404 for both schemes; 80%
    ("beijing-2024", "in-list-stay", "in_list", D(50000), (D(50000) - D(30404)) * D("0.80")),  # 15,676.80
    ("beijing-2025", "in-list-stay", "in_list", D(50000), (D(50000) - D(30404)) * D("0.80")),  # 15,676.80
    # basic_costs takes only the in-scope co-pay (not 先行自付): deductible 16,000, 80%
    ("guangzhou-2022", "in-list-stay", "basic_costs", D(40000), (D(40000) - 16000) * D("0.80")),  # 19,200
    # the same at 85%
    ("guangzhou-2025", "in-list-stay", "basic_costs", D(40000), (D(40000) - 16000) * D("0.85")),  # 20,400
    # deductible 25,000, 80%
    ("hangzhou-2021", "in-list-stay", "in_list", D(50000), (D(50000) - 25000) * D("0.80")),  # 20,000
    # deductible 13,000; 30% from 13,000 to 25,000 of the year's eligible, 80% above
    ("hangzhou-2021-revised", "in-list-stay", "in_list", D(50000),
     (D(25000) - 13000) * D("0.30") + (D(50000) - 25000) * D("0.80")),  # 3,600 + 20,000
    ("hangzhou-2022", "in-list-stay", "in_list", D(50000),
     (D(25000) - 13000) * D("0.30") + (D(50000) - 25000) * D("0.80")),  # 23,600
    # deductible 10,000, 95%
    ("huizhou-2021", "in-list-stay", "in_list", D(50000), (D(50000) - 10000) * D("0.95")),  # 38,000
    # in_scope takes the inpatient in-scope co-pay; no claim-free year yet: deductible 14,000, 80%
    ("jieyang-2023", "in-list-stay", "in_scope", D(40000), (D(40000) - 14000) * D("0.80")),  # 20,800
    # in-scope co-pay in full, 先行自付 weighted at 50%: 40,000 + 5,000; deductible 15,000, 70%
    ("mianyang-2022", "in-list-stay", "in_list", D(40000) + D(10000) * D("0.50"),
     (D(45000) - 15000) * D("0.70")),  # 21,000
    # inpatient self-paid (丙类) costs: deductible 20,000, 70% (no declared condition). The
    # 60,000 drug line could be on the special-drug lists, which are not complete: it is held
    # for review, so only the material and the examination count: 30,000 + 10,000
    ("shanghai-2021", "out-of-list-stay", "inpatient_self_pay", D(30000 + 10000),
     (D(40000) - 20000) * D("0.70")),  # 14,000
    ("shanghai-2022", "out-of-list-stay", "inpatient_self_pay", D(40000), (D(40000) - 20000) * D("0.70")),  # 14,000
    # the drug held for review as above; no claim-free year yet: deductible 16,000; 70%
    ("shanghai-2023", "out-of-list-stay", "inpatient_self_pay", D(40000), (D(40000) - 16000) * D("0.70")),  # 16,800
    # the drug held for review as above; no claim-free year yet: deductible 12,000; 70%
    ("shanghai-2024", "out-of-list-stay", "inpatient_self_pay", D(40000), (D(40000) - 12000) * D("0.70")),  # 19,600
    # 2025's special-drug lists are complete and do not name the drug: all 100,000 count
    ("shanghai-2025", "out-of-list-stay", "inpatient_self_pay", D(100000), (D(100000) - 12000) * D("0.70")),  # 61,600
    # deductible 16,000, 80%
    ("shenzhen-2023", "in-list-stay", "in_list", D(50000), (D(50000) - 16000) * D("0.80")),  # 27,200
    # fewer than two years enrolled: deductible 15,000; 80%
    ("shenzhen-2024", "in-list-stay", "in_list", D(50000), (D(50000) - 15000) * D("0.80")),  # 28,000
    # deductible 20,000, 70%
    ("tianjin-2021", "in-list-stay", "in_list", D(50000), (D(50000) - 20000) * D("0.70")),  # 21,000
    ("tianjin-2022", "in-list-stay", "in_list", D(50000), (D(50000) - 20000) * D("0.70")),  # 21,000
    # no family enrollment, fewer than two years enrolled: deductible 18,000; 70%
    ("tianjin-2023", "in-list-stay", "in_list", D(50000), (D(50000) - 18000) * D("0.70")),  # 22,400
    # as mianyang-2022: 40,000 + 10,000 × 50%; fewer than two years enrolled: deductible 15,000; 70%
    ("mianyang-2023", "in-list-stay", "in_list", D(40000) + D(10000) * D("0.50"),
     (D(45000) - 15000) * D("0.70")),  # 21,000
    # deductible 15,000; 25% of the cumulative eligible up to 30,404, 80% above it
    ("beijing-2026", "in-list-stay", "in_list", D(50000),
     (D(30404) - 15000) * D("0.25") + (D(50000) - 30404) * D("0.80")),  # 3,851 + 15,676.80
    # deductible 18,000; 65% up to 100,000 of the year's eligible
    ("weifang-2022", "in-list-stay", "in_list", D(50000), (D(50000) - 18000) * D("0.65")),  # 20,800
    # deductible 20,000, 80%
    ("xian-2021", "in-list-stay", "inpatient", D(50000), (D(50000) - 20000) * D("0.80")),  # 24,000
    # deductible 20,000, 70% (no special group, no declared condition)
    ("zhengzhou-2023", "in-list-stay", "compliant_self_pay", D(50000), (D(50000) - 20000) * D("0.70")),  # 21,000
]


def test_every_bundled_product_has_a_hand_worked_figure() -> None:
    assert {p.id for p in bundled_products()} <= {c[0] for c in CASES}


@pytest.mark.parametrize("product_id, claim_id, responsibility, eligible, payable", CASES, ids=lambda x: str(x))
def test_the_hand_worked_figure_is_what_the_engine_pays_and_the_snapshot_holds(
        product_id: str, claim_id: str, responsibility: str, eligible: Decimal, payable: Decimal) -> None:
    product = get_product(product_id)
    claim = next(c for c in canonical_claims(product) if c["claim_id"] == claim_id)
    result = adjudicate(parse_claim(claim), product).responsibility(responsibility)
    assert (result.eligible, result.payable) == (eligible, payable.quantize(Decimal("0.01")))
    golden = json.loads((SNAPSHOTS / f"{product_id}.json").read_text(encoding="utf-8"))
    assert golden["claims"][claim_id]["responsibilities"][responsibility] == {
        "eligible": f"{eligible:.2f}", "payable": f"{payable:.2f}"}
