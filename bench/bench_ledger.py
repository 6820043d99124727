"""Ledger throughput: submits per second for SQLite and PostgreSQL, one writer and
several, 10,000 claims (2,000 people, 5 claims each, each person's claims in service-date
order so that no submit re-adjudicates another claim; a second run submits them in
random order, where late arrivals do).

    python bench/bench_ledger.py [--claims 10000] [--writers 4] [--skip-postgres]

Durability as measured: SQLite in WAL mode with ``synchronous=normal`` (the default: a
commit survives the process being killed; after a power cut the last few commits may be
lost, never half of one) and with ``synchronous=full`` (every commit fsynced); PostgreSQL
with its defaults (``fsync=on``, ``synchronous_commit=on``), on a Unix socket, server on
this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from ledger_support import PostgresServer, claim_years  # noqa: E402

WORKER = ROOT / "tests" / "ledger_worker.py"


def _in_order(claims: list[dict]) -> list[dict]:
    def day(c: dict) -> str:
        e = c["encounters"][0]
        return e["discharged_on"]
    return sorted(claims, key=lambda c: (day(c), c["claim_id"]))


def run(url: str, claims: list[dict], writers: int, tmp: Path) -> float:
    """Seconds for ``writers`` processes to submit ``claims`` (split by person), from the
    moment every process has the ledger open."""
    from huiminbao_rules.ledger import Ledger

    Ledger.open(url).close()  # create the schema once
    people: dict[str, list[dict]] = {}
    for c in claims:
        people.setdefault(c["insured"]["id"], []).append(c)
    groups: list[list[dict]] = [[] for _ in range(writers)]
    for i, person in enumerate(sorted(people)):
        groups[i % writers] += people[person]
    jobs = []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    for w, group in enumerate(groups):
        path = tmp / f"ops{w}.json"
        path.write_text(json.dumps([["submit", c] for c in group], ensure_ascii=False), encoding="utf-8")
        jobs.append(subprocess.Popen([sys.executable, str(WORKER), url, str(path), "--wait"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env))
    for job in jobs:
        assert job.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for job in jobs:
        job.stdin.write("go\n")
        job.stdin.flush()
    for job in jobs:
        out, _ = job.communicate()
        assert job.returncode == 0 and out.strip() == "done", out
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    claims = claim_years(args.claims // 5, 5, seed=12)
    ordered = _in_order(claims)
    shuffled = list(claims)
    random.Random(1).shuffle(shuffled)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        n = 0

        def sqlite(sync: str) -> str:
            nonlocal n
            n += 1
            return f"sqlite:///{tmp / f'l{n}.sqlite'}?synchronous={sync}"

        for sync in ("normal", "full"):
            for writers in (1, args.writers):
                rows.append((f"SQLite WAL synchronous={sync}", "in order", writers,
                             run(sqlite(sync), ordered, writers, tmp)))
        rows.append(("SQLite WAL synchronous=normal", "random order", 1, run(sqlite("normal"), shuffled, 1, tmp)))
        if not args.skip_postgres:
            server = PostgresServer(durable=True).start()
            try:
                for i, writers in enumerate((1, args.writers)):
                    rows.append(("PostgreSQL fsync=on", "in order", writers,
                                 run(server.create_database(f"bench{i}"), ordered, writers, tmp)))
                rows.append(("PostgreSQL fsync=on", "random order", 1,
                             run(server.create_database("bench_r"), shuffled, 1, tmp)))
            finally:
                server.stop()
    print(f"{len(claims):,} claims, {len(claims) // 5:,} people; {os.cpu_count()} CPUs")
    print(f"{'database':<32} {'order':<13} {'writers':>7} {'seconds':>8} {'submits/s':>10}")
    for name, order, writers, seconds in rows:
        print(f"{name:<32} {order:<13} {writers:>7} {seconds:>8.2f} {len(claims) / seconds:>10.0f}")


if __name__ == "__main__":
    main()
