"""Shared by the ledger tests and benchmark: claim years to submit, and a real
PostgreSQL server in a temporary directory (Debian's ``postgresql`` package: ``initdb``
and ``pg_ctl``), started and stopped by the caller.
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

PRODUCT = "shenzhen-2023"  # policy year 2023-07-01 .. 2024-06-30


def _day(offset: int) -> str:
    from datetime import date, timedelta

    return (date(2023, 7, 3) + timedelta(days=offset)).isoformat()


def claim(person: str, claim_id: str, day: int, rng: random.Random, *, setl_id: str | None = None,
          encounters: int = 1) -> dict[str, Any]:
    """A claim of ``person`` on day ``day`` of the policy year (0 .. 360): short stays whose
    costs to the person are 乙类 先行自付 (in-list, behind the deductible) and 全自费."""
    encs = []
    for k in range(encounters):
        pre = Decimal(rng.choice([800, 2500, 6000, 12000, 30000, 90000, 250000])) + Decimal(rng.randint(0, 99)) / 100
        own = Decimal(rng.choice([0, 0, 1500, 8000, 40000, 300000]))
        a_class = Decimal(rng.randint(1000, 20000))
        public = (a_class * Decimal("0.8")).quantize(Decimal("0.01"))
        total = pre + own + a_class
        when = _day(min(day + k, 360))
        settlement = {"medfee_sumamt": str(total), "fulamt_ownpay_amt": str(own), "preselfpay_amt": str(pre),
                      "inscp_scp_amt": str(a_class), "hifp_pay": str(public)}
        if setl_id is not None:
            settlement["setl_id"] = f"{setl_id}-{k}"
        lines = [{"med_list_codg": "Y-B1", "name": "乙类药", "chrgitm_lv": "02", "med_chrgitm_type": "09",
                  "det_item_fee_sumamt": str(pre), "preselfpay_amt": str(pre)},
                 {"med_list_codg": "Y-A1", "name": "床位手术等", "chrgitm_lv": "01", "med_chrgitm_type": "06",
                  "det_item_fee_sumamt": str(a_class)}]
        if own:
            lines.append({"med_list_codg": "XL01XC28", "name": "自费靶向药", "chrgitm_lv": "03",
                          "med_chrgitm_type": "09", "det_item_fee_sumamt": str(own), "fulamt_ownpay_amt": str(own)})
        encs.append({"id": f"E{k + 1}", "kind": "inpatient", "admitted_on": when, "discharged_on": when,
                     "institution": "深圳市人民医院", "diagnoses": ["C34.9"], "settlement": settlement,
                     "fee_lines": lines})
    return {"claim_id": claim_id,
            "insured": {"id": person, "birth_date": "1962-05-01", "scheme": "employee", "enrolled_on": "2023-05-10",
                        "history": [{"year": 2022, "enrolled": True, "paid": "0.00"}]},
            "encounters": encs, "other_insurance_paid": "0.00"}


def claim_years(people: int, per_person: int, seed: int, prefix: str = "P") -> list[dict[str, Any]]:
    """``people`` persons with ``per_person`` claims each, on distinct days, every other
    claim carrying a national settlement id (the rest are told apart by fingerprint)."""
    rng = random.Random(seed)
    out = []
    for p in range(people):
        person = f"{prefix}{p:04d}"
        days = rng.sample(range(0, 355), per_person)
        for n, day in enumerate(days):
            cid = f"{person}-C{n:03d}"
            out.append(claim(person, cid, day, rng, setl_id=f"S-{cid}" if n % 2 else None,
                             encounters=2 if n % 5 == 0 else 1))
    return out


# ---- a real PostgreSQL server ------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    return None


class PostgresServer:
    """A throw-away PostgreSQL cluster listening on a Unix socket in a temporary directory.

    The server refuses to run as root; as root it runs as the ``postgres`` user that
    Debian's package creates. ``durable=False`` turns off fsync (tests); the benchmark
    keeps the defaults.
    """

    def __init__(self, *, durable: bool = False):
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (Debian), or run .ci/run")
        self.bin = bin_dir
        self.durable = durable
        self.dir = Path(tempfile.mkdtemp(prefix="huiminbao-pg-"))
        self.data = self.dir / "data"
        self.port = 5432
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root needs the 'postgres' user (Debian's postgresql package)") from None
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True)
        if done.returncode:
            log = self.dir / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}\n{tail}")

    def start(self) -> PostgresServer:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "--locale=C", "--no-sync")
        options = f"-k {self.dir} -p {self.port} -c listen_addresses='' -c max_connections=40"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options,
                  "-w", "-t", "60", "start")
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError
        time.sleep(0.01)
