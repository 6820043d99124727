"""A ledger client process for the concurrency and crash tests.

    python ledger_worker.py URL OPS.json

``OPS.json`` is a list of ``["submit", claim]`` and ``["reverse", claim_id, reason]``
operations under the Shenzhen 2023 product, run in order. Prints ``ready`` once the
ledger is open, ``done`` at the end.
"""

from __future__ import annotations

import json
import sys

from huiminbao_rules import get_product, parse_claim
from huiminbao_rules.ledger import Ledger


def main(url: str, ops_path: str) -> int:
    with open(ops_path, encoding="utf-8") as f:
        ops = json.load(f)
    product = get_product("shenzhen-2023")
    claims = {op[1]["claim_id"]: parse_claim(op[1]) for op in ops if op[0] == "submit"}
    with Ledger.open(url) as ledger:
        print("ready", flush=True)
        for op in ops:
            if op[0] == "submit":
                ledger.submit(claims[op[1]["claim_id"]], product)
            else:
                ledger.reverse(op[1], op[2])
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
