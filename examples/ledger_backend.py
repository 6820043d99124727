"""An insurer backend wired to the claims ledger: each claim that comes in is submitted,
what the ledger answers becomes payment instructions (pay a claim, pay or recover an
adjustment), and refusals go back to the sender. Shows a claim resubmitted after a
timeout, a claim that arrives after later ones were paid, a duplicate settlement under a
new claim id, and a reversal.

Run: python examples/ledger_backend.py   (a SQLite ledger in a temporary directory;
``main("postgresql://…")`` runs the same on PostgreSQL)
"""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path

from huiminbao_rules import HuiminbaoError, get_product
from huiminbao_rules.ledger import Ledger

HERE = Path(__file__).parent
PRODUCT = get_product("shenzhen-2023")
BASE = json.loads((HERE / "claims" / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))


def stay(claim_id: str, day: str, self_pay_first: str, setl_id: str) -> dict:
    """A short stay whose only cost to the person is 乙类 先行自付 (in-list self-pay)."""
    data = json.loads(json.dumps(BASE))
    data["claim_id"] = claim_id
    enc = data["encounters"][0]
    enc.update(admitted_on=day, discharged_on=day)
    enc["settlement"] = {"medfee_sumamt": self_pay_first, "fulamt_ownpay_amt": "0.00", "setl_id": setl_id,
                         "preselfpay_amt": self_pay_first, "inscp_scp_amt": "0.00"}
    enc["fee_lines"] = [{"med_list_codg": "Y-B1", "name": "乙类药", "chrgitm_lv": "02", "med_chrgitm_type": "09",
                         "det_item_fee_sumamt": self_pay_first, "preselfpay_amt": self_pay_first}]
    data["encounters"] = [enc]
    return data


class Backend:
    """What an insurer's claim service does with the ledger: one call per incoming claim."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.payments: list[tuple[str, Decimal, str]] = []  # (claim id, amount, why): > 0 pay, < 0 recover

    def receive(self, data: dict) -> str:
        try:
            s = self.ledger.submit(data, PRODUCT)
        except HuiminbaoError as refused:  # bad claim, conflicting resubmission, settlement already paid
            return f"refused: {refused}"
        if not s.recorded:  # a retry of a claim already handled: pay nothing again
            return f"{s.claim_id}: already recorded, payable {s.payable}"
        if s.payable:
            self.payments.append((s.claim_id, s.payable, "claim"))
        for a in s.adjustments:
            if a.difference:
                self.payments.append((a.claim_id, a.difference, f"adjustment v{a.from_version}->v{a.to_version}"))
        return f"{s.claim_id}: payable {s.payable}, {len(s.adjustments)} adjustment(s)"

    def reverse(self, claim_id: str, reason: str) -> str:
        r = self.ledger.reverse(claim_id, reason)
        for a in r.adjustments:
            if a.difference:
                self.payments.append((a.claim_id, a.difference, f"reversal of {claim_id}"))
        return f"{claim_id}: reversed, {len(r.adjustments)} adjustment(s)"


def main(url: str | None = None) -> Decimal:
    with tempfile.TemporaryDirectory() as tmp:
        with Ledger.open(url or f"sqlite:///{Path(tmp) / 'claims.sqlite'}") as ledger:
            backend = Backend(ledger)
            c3 = stay("C3", "2024-03-01", "9000.00", "S-3")
            for step in (
                backend.receive(c3),                                         # 9,000 under the deductible: 0
                backend.receive(c3),                                         # the sender timed out and retried
                backend.receive(stay("C1", "2023-08-01", "10000.00", "S-1")),  # earlier: C3 now pays 2,400
                backend.receive(stay("C2", "2023-11-15", "8000.00", "S-2")),   # earlier still: C3 pays 7,200
                backend.receive(stay("C2-copy", "2023-11-15", "8000.00", "S-2")),  # same settlement: refused
                backend.reverse("C2", "settlement cancelled by the hospital"),    # C3 back to 2,400
            ):
                print(step)
            for claim_id, amount, why in backend.payments:
                print(f"  {'pay' if amount > 0 else 'recover':<7} {abs(amount):>9} on {claim_id} ({why})")
            state = ledger.show("P-0001", 2023, PRODUCT.id)
            paid = sum((amount for _, amount, _ in backend.payments), Decimal("0.00"))
            print(f"person-year payable total {state['payable_total']}; paid out net {paid}")
            assert paid == Decimal(state["payable_total"]) == Decimal("2400.00")
            assert ledger.verify() == []
            return paid


if __name__ == "__main__":
    main()
