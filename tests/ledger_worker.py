"""A ledger client process for the concurrency and crash tests.

    python ledger_worker.py URL OPS.json [--wait]

``OPS.json`` is a list of ``["submit", claim]`` and ``["reverse", claim_id, reason]``
operations under the Shenzhen 2023 product, run in order. Prints ``ready`` once the
ledger is open, ``done`` at the end; with ``--wait``, waits for a line on standard input
after ``ready`` (the benchmark starts every writer at once).
"""

from __future__ import annotations

import json
import sys

from huiminbao_rules import get_product
from huiminbao_rules.ledger import Ledger


def main(url: str, ops_path: str, *flags: str) -> int:
    with open(ops_path, encoding="utf-8") as f:
        ops = json.load(f)
    product = get_product("shenzhen-2023")
    with Ledger.open(url) as ledger:
        print("ready", flush=True)
        if "--wait" in flags:
            sys.stdin.readline()
        for op in ops:
            if op[0] == "submit":
                ledger.submit(op[1], product)
            else:
                ledger.reverse(op[1], op[2])
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
