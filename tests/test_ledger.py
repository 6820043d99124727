"""The claims ledger, on SQLite and on a real PostgreSQL server started here: every
person-year always equals a replay of its live claims, whatever the order, repeats,
reversals, concurrent writers and killed processes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from huiminbao_rules import InputError, adjudicate, get_product, parse_claim, replay, to_dict
from huiminbao_rules.cli import main
from huiminbao_rules.ledger import (
    SCHEMA_VERSION,
    ClaimConflict,
    DuplicateEncounter,
    Ledger,
    LedgerError,
    ProductMismatch,
    UnknownClaim,
)

sys.path.insert(0, str(Path(__file__).parent))
from ledger_support import PRODUCT, PostgresServer, claim, claim_years  # noqa: E402

HERE = Path(__file__).parent
WORKER = HERE / "ledger_worker.py"
ROOT = HERE.parent


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


_dbs = iter(range(10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"t{os.getpid()}_{next(_dbs)}")


@pytest.fixture
def product():
    return get_product(PRODUCT)


@pytest.fixture
def ledger(url):
    with Ledger.open(url) as led:
        yield led


def stay(claim_id: str, day: str, self_pay_first: str, person: str = "P-0001", setl_id: str | None = None) -> dict:
    """A stay whose only cost to the person is 乙类 先行自付 (as in examples/replay_a_year.py)."""
    settlement = {"medfee_sumamt": self_pay_first, "fulamt_ownpay_amt": "0.00", "preselfpay_amt": self_pay_first,
                  "inscp_scp_amt": "0.00"}
    if setl_id:
        settlement["setl_id"] = setl_id
    return {"claim_id": claim_id,
            "insured": {"id": person, "birth_date": "1962-05-01", "scheme": "employee", "enrolled_on": "2023-05-10",
                        "history": [{"year": 2022, "enrolled": True, "paid": "0.00"}]},
            "encounters": [{"id": "E1", "kind": "inpatient", "admitted_on": day, "discharged_on": day,
                            "settlement": settlement,
                            "fee_lines": [{"med_list_codg": "Y-B1", "name": "乙类药", "chrgitm_lv": "02",
                                           "med_chrgitm_type": "09", "det_item_fee_sumamt": self_pay_first,
                                           "preselfpay_amt": self_pay_first}]}]}


C1, C2, C3 = stay("C1", "2023-08-01", "10000.00"), stay("C2", "2023-11-15", "8000.00"), stay("C3", "2024-03-01", "9000.00")


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False))


def assert_equals_replay(ledger: Ledger, product, live: list[dict]) -> None:
    """Every person-year of ``live`` (claim data) in the ledger equals the test's own replay."""
    people: dict[str, list] = {}
    for c in live:
        people.setdefault(c["insured"]["id"], []).append(parse_claim(c))
    assert {(PRODUCT, p, 2023) for p in people} <= set(ledger.person_years())
    for person, claims in people.items():
        year = replay(claims, product)
        state = ledger.show(person, 2023, PRODUCT)
        shown = {c["claim_id"]: c for c in state["claims"] if c["status"] == "live"}
        assert sorted(shown) == sorted(c.claim_id for c in claims), person
        for adj in year.adjudications:
            assert shown[adj.claim_id]["result"] == as_json(to_dict(adj, product)), adj.claim_id
            assert shown[adj.claim_id]["payable"] == f"{adj.payable:.2f}"
        assert state["payable_total"] == f"{year.payable:.2f}"
        assert state["accumulators"] == as_json(year.year_to_date.model_dump(mode="json"))
    assert ledger.verify() == []


# ---- submit, idempotency, refusals ---------------------------------------------------------


def test_a_submitted_claim_is_stored_with_its_result_hashes_and_library_version(ledger, product) -> None:
    s = ledger.submit(C1, product)
    want = to_dict(adjudicate(parse_claim(C1), product), product)
    assert (s.recorded, s.status, s.version, s.adjustments) == (True, "live", 1, ())
    assert s.result == want and s.payable == Decimal(want["payable"])
    state = ledger.show("P-0001", 2023, PRODUCT)
    (c,) = state["claims"]
    canonical = json.dumps(parse_claim(C1).model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    assert c["claim_hash"] == hashlib.sha256(canonical.encode()).hexdigest()
    text = json.dumps(product.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    assert c["product_hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert c["versions"] == [{"version": 1, "cause": "submitted", "payable": want["payable"], "event": 1,
                              "library_version": metadata.version("huiminbao_rules"),
                              "product_hash": c["product_hash"]}]
    assert c["result"] == as_json(want)
    assert state["accumulators"] == as_json(want["year_to_date"])
    assert ledger.product(PRODUCT) == product


def test_the_same_claim_again_returns_the_stored_result_and_writes_nothing(ledger, product) -> None:
    first = ledger.submit(C1, product)
    before = ledger.show("P-0001", 2023, PRODUCT)
    # The same content, spelled differently: keys in another order, an amount without its zeros.
    again = json.loads(json.dumps(C1))
    again["encounters"][0]["settlement"]["medfee_sumamt"] = "10000"
    again = dict(reversed(list(again.items())))
    s = ledger.submit(json.dumps(again), product)
    assert (s.recorded, s.version, s.payable, s.result) == (False, 1, first.payable, first.result)
    assert ledger.show("P-0001", 2023, PRODUCT) == before


def test_the_same_claim_id_with_other_content_is_refused_naming_what_differs(ledger, product) -> None:
    ledger.submit(C1, product)
    before = ledger.show("P-0001", 2023, PRODUCT)
    changed = stay("C1", "2023-08-02", "10000.00")
    with pytest.raises(ClaimConflict) as caught:
        ledger.submit(changed, product)
    paths = [d[0] for d in caught.value.differences]
    assert paths == ["encounters.0.admitted_on", "encounters.0.discharged_on"]
    assert "encounters.0.admitted_on: stored '2023-08-01', submitted '2023-08-02'" in str(caught.value)
    other_person = stay("C1", "2023-08-01", "10000.00", person="P-0002")
    with pytest.raises(ClaimConflict, match="insured.id: stored 'P-0001', submitted 'P-0002'"):
        ledger.submit(other_person, product)
    assert ledger.show("P-0001", 2023, PRODUCT) == before
    assert ledger.person_years() == [(PRODUCT, "P-0001", 2023)]


def test_the_same_encounter_under_another_claim_id_is_refused(ledger, product) -> None:
    ledger.submit(stay("A", "2023-08-01", "10000.00", setl_id="S1"), product)
    ledger.submit(C2, product)  # no national ids: known by its fingerprint
    with pytest.raises(DuplicateEncounter, match=r"claim 'B': encounter 'E1' is the same encounter \(setl_id:S1\)"):
        ledger.submit(stay("B", "2023-09-01", "500.00", setl_id="S1"), product)
    twin = dict(C2, claim_id="C2-again")
    with pytest.raises(DuplicateEncounter, match="of claim 'C2'") as caught:
        ledger.submit(twin, product)
    assert caught.value.identity == parse_claim(C2).encounters[0].identity
    two = json.loads(json.dumps(C3))
    two["encounters"].append(dict(two["encounters"][0], id="E2"))
    with pytest.raises(InputError, match="encounters E1 and E2 are the same encounter"):
        ledger.submit(two, product)
    # Another person may have a settlement with the same fingerprint: the identity is per person-year.
    ledger.submit(stay("D", "2023-11-15", "8000.00", person="P-0002"), product)
    state = ledger.show("P-0001", 2023, PRODUCT)
    assert [c["claim_id"] for c in state["claims"]] == ["A", "C2"]


def test_a_product_id_with_another_definition_is_refused(ledger, product) -> None:
    ledger.submit(C1, product)
    changed = product.with_changes({"responsibilities.in_list.deductible[0].amount": "15000"}, id=PRODUCT)
    with pytest.raises(ProductMismatch, match="shenzhen-2023"):
        ledger.submit(C2, changed)
    with Ledger.open(ledger.url) as other, pytest.raises(ProductMismatch):  # not this connection's memory
        other.submit(C2, changed)
    assert len(ledger.show("P-0001", 2023, PRODUCT)["claims"]) == 1


def test_an_invalid_claim_is_refused_and_nothing_is_written(ledger, product) -> None:
    bad = stay("X", "2023-08-01", "100.00")
    bad["encounters"][0]["settlement"]["medfee_sumamt"] = "101.00"
    with pytest.raises(InputError, match="medfee_split"):
        ledger.submit(bad, product)
    relaxed = parse_claim(bad, relax={"medfee_split", "lines_reconcile"})  # a Claim a caller checked less
    with pytest.raises(LedgerError, match="records only claims that pass every check"):
        ledger.submit(relaxed, product)
    assert ledger.person_years() == []


# ---- late arrivals and reversals -----------------------------------------------------------


def test_a_late_claim_readjudicates_the_later_ones_as_new_versions_with_adjustments(ledger, product) -> None:
    assert ledger.submit(C3, product).payable == 0  # alone, C3's 9,000 is under the 10,000 deductible
    late = ledger.submit(C1, product)
    assert late.payable == 0
    assert [a.to_dict() for a in late.adjustments] == [
        {"claim_id": "C3", "from_version": 1, "to_version": 2, "previous_payable": "0.00",
         "new_payable": "2400.00", "difference": "2400.00"}]
    middle = ledger.submit(C2, product)
    assert middle.payable == Decimal("1600.00")
    assert [a.to_dict() for a in middle.adjustments] == [
        {"claim_id": "C3", "from_version": 2, "to_version": 3, "previous_payable": "2400.00",
         "new_payable": "7200.00", "difference": "4800.00"}]
    state = ledger.show("P-0001", 2023, PRODUCT)
    c3 = state["claims"][-1]
    assert [(v["version"], v["cause"], v["payable"], v["event"]) for v in c3["versions"]] == [
        (1, "submitted", "0.00", 1), (2, "readjudicated", "2400.00", 2), (3, "readjudicated", "7200.00", 3)]
    assert [e["kind"] + ":" + e["claim_id"] for e in state["events"]] == ["submit:C3", "submit:C1", "submit:C2"]
    assert state["payable_total"] == "8800.00"
    assert_equals_replay(ledger, product, [C1, C2, C3])


def test_a_reversal_removes_the_claim_and_readjudicates_the_later_ones(ledger, product) -> None:
    for c in (C1, C2, C3):
        ledger.submit(c, product)
    r = ledger.reverse("C2", "billed twice")
    assert (r.recorded, r.version) == (True, 2)
    assert [a.to_dict() for a in r.adjustments] == [
        {"claim_id": "C2", "from_version": 1, "to_version": 2, "previous_payable": "1600.00",
         "new_payable": "0.00", "difference": "-1600.00"},
        {"claim_id": "C3", "from_version": 1, "to_version": 2, "previous_payable": "7200.00",
         "new_payable": "2400.00", "difference": "-4800.00"}]
    state = ledger.show("P-0001", 2023, PRODUCT)
    c2 = next(c for c in state["claims"] if c["claim_id"] == "C2")
    assert (c2["status"], c2["reversal_reason"], c2["payable"], c2["result"]) == ("reversed", "billed twice", "0.00", None)
    assert [v["cause"] for v in c2["versions"]] == ["submitted", "reversed"]
    assert state["events"][-1] | {"recorded_at": ""} == {"event": 4, "kind": "reverse", "claim_id": "C2",
                                                         "reason": "billed twice", "recorded_at": "",
                                                         "library_version": metadata.version("huiminbao_rules")}
    assert state["payable_total"] == "2400.00"
    assert_equals_replay(ledger, product, [C1, C3])
    # Again with the same reason: nothing changes. Another reason, an unknown claim, no reason: refused.
    assert ledger.reverse("C2", "billed twice").recorded is False
    with pytest.raises(LedgerError, match="already reversed, for another reason: 'billed twice'"):
        ledger.reverse("C2", "other")
    with pytest.raises(UnknownClaim, match="no claim 'C9'"):
        ledger.reverse("C9", "x")
    with pytest.raises(LedgerError, match="needs a reason"):
        ledger.reverse("C1", " ")
    # The reversed claim submitted again is the stored one: still reversed, nothing written.
    again = ledger.submit(C2, product)
    assert (again.recorded, again.status, again.version, again.payable, again.result) == (False, "reversed", 2, 0, None)
    # Every claim reversed: the person-year pays nothing and has no accumulators.
    ledger.reverse("C1", "billed twice")
    ledger.reverse("C3", "billed twice")
    empty = ledger.show("P-0001", 2023, PRODUCT)
    assert (empty["payable_total"], empty["live_claims"], empty["accumulators"]) == ("0.00", 0, None)
    assert ledger.verify() == []
    for cid in ("C1", "C3"):
        ledger.submit(dict(C1 if cid == "C1" else C3, claim_id=f"{cid}b"), product)
    C1b, C3b = dict(C1, claim_id="C1b"), dict(C3, claim_id="C3b")
    assert_equals_replay(ledger, product, [C1b, C3b])
    # Its encounter is free again: the same stay under a new claim id counts.
    ledger.submit(dict(C2, claim_id="C2b"), product)
    assert ledger.show("P-0001", 2023, PRODUCT)["payable_total"] == "8800.00"
    assert_equals_replay(ledger, product, [C1b, dict(C2, claim_id="C2b"), C3b])


@pytest.mark.parametrize("seed", [1, 2])
def test_any_order_with_repeats_and_reversals_ends_as_a_replay(ledger, product, seed) -> None:
    rng = random.Random(seed)
    claims = claim_years(3, 8, seed)
    ops: list[tuple[str, Any]] = [("submit", c) for c in claims] + [("submit", c) for c in rng.sample(claims, 6)]
    rng.shuffle(ops)
    reversed_ids = {c["claim_id"] for c in rng.sample(claims, 4)}
    for op, c in list(ops):
        ledger.submit(c, product)
        if c["claim_id"] in reversed_ids and rng.random() < 0.5:
            ledger.reverse(c["claim_id"], "reversed in test")
    for cid in sorted(reversed_ids):
        ledger.reverse(cid, "reversed in test")
    assert_equals_replay(ledger, product, [c for c in claims if c["claim_id"] not in reversed_ids])


# ---- schema --------------------------------------------------------------------------------


def test_migrations_are_recorded_applied_once_and_a_newer_schema_is_refused(url) -> None:
    with Ledger.open(url) as led:
        assert led.schema_version() == SCHEMA_VERSION
    with Ledger.open(url) as led:  # opening again applies nothing twice
        assert led.schema_version() == SCHEMA_VERSION
        led._db.write(lambda tx: tx.run("INSERT INTO ledger_schema (version, description) VALUES (?, ?)",
                                        (SCHEMA_VERSION + 1, "from the future")))
    with pytest.raises(LedgerError, match=f"schema is version {SCHEMA_VERSION + 1}, newer than"):
        Ledger.open(url)


def test_a_missing_ledger_is_refused_without_create(tmp_path) -> None:
    with pytest.raises(LedgerError, match="no ledger here"):
        Ledger.open(f"sqlite:///{tmp_path / 'none.sqlite'}", create=False)
    assert not (tmp_path / "none.sqlite").exists()
    with pytest.raises(LedgerError, match="not a ledger URL"):
        Ledger.open("mysql://x")
    with pytest.raises(LedgerError, match="synchronous='sometimes'"):
        Ledger.open(f"sqlite:///{tmp_path / 'x.sqlite'}?synchronous=sometimes")
    with pytest.raises(LedgerError, match="timeout='soon' is not a number of seconds"):
        Ledger.open(f"sqlite:///{tmp_path / 'x.sqlite'}?timeout=soon")
    with pytest.raises(LedgerError, match="unknown option cache; accepted: synchronous, timeout"):
        Ledger.open(f"sqlite:///{tmp_path / 'x.sqlite'}?cache=shared")
    with Ledger.open(f"sqlite:///{tmp_path / 'x.sqlite'}?synchronous=full&timeout=2.5") as led:
        assert led._db.synchronous == "full" and led._db._conn.execute("PRAGMA busy_timeout").fetchone() == (2500,)
        assert led._db._conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert led._db._conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# ---- many processes ------------------------------------------------------------------------


def _worker(url: str, ops: list, path: Path) -> subprocess.Popen:
    path.write_text(json.dumps(ops, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, str(WORKER), url, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_eight_processes_of_200_claims_end_in_the_state_of_a_serial_order(url, product, tmp_path) -> None:
    rng = random.Random(8)
    claims = claim_years(320, 5, seed=8)  # 1,600 claims, 320 people
    rng.shuffle(claims)
    reversed_ids = {c["claim_id"] for c in rng.sample(claims, 40)}
    jobs = []
    for w in range(8):
        mine = claims[w * 200:(w + 1) * 200]
        ops: list[list[Any]] = [["submit", c] for c in mine]
        # Some of another process's claims too: the same claim from two processes at once.
        ops += [["submit", c] for c in rng.sample(claims, 20)]
        rng.shuffle(ops)
        ops += [["reverse", c["claim_id"], "reversed in test"] for c in mine if c["claim_id"] in reversed_ids]
        jobs.append(_worker(url, ops, tmp_path / f"ops{w}.json"))
    for job in jobs:
        out, err = job.communicate(timeout=600)
        assert job.returncode == 0, err[-3000:]
        assert out.split() == ["ready", "done"]
    with Ledger.open(url) as led:
        assert len(led.person_years()) == 320
        assert_equals_replay(led, product, [c for c in claims if c["claim_id"] not in reversed_ids])


def test_a_process_killed_at_random_points_leaves_every_person_year_whole(url, product, tmp_path) -> None:
    rng = random.Random(6)
    claims = claim_years(4, 30, seed=6)
    rng.shuffle(claims)
    reversed_ids = sorted(c["claim_id"] for c in rng.sample(claims, 12))
    ops: list[list[Any]] = [["submit", c] for c in claims]
    for cid in reversed_ids:  # each reversal after its claim's submission
        at = next(i for i, op in enumerate(ops) if op[0] == "submit" and op[1]["claim_id"] == cid)
        ops.insert(rng.randint(at + 1, len(ops)), ["reverse", cid, "reversed in test"])
    kills, recorded = 0, [0]
    with Ledger.open(url) as led:
        for _ in range(40):  # each run starts over: what was recorded is submitted again, idempotently
            job = _worker(url, ops, tmp_path / "ops.json")
            assert job.stdout.readline().strip() == "ready", job.stderr.read()
            time.sleep(rng.uniform(0.0, 0.12))
            job.send_signal(signal.SIGKILL)
            job.communicate()
            if job.returncode != -signal.SIGKILL:
                break  # it finished first
            kills += 1
            assert led.verify() == [], f"after kill {kills}"
            recorded.append(sum(len(led.show(p, 2023, PRODUCT)["claims"]) for _, p, _ in led.person_years()))
            if kills == 12:
                break
        assert kills >= 8, "the worker finished before it could be killed often enough"
        assert recorded == sorted(recorded) and recorded[-1] > 0, recorded
        job = _worker(url, ops, tmp_path / "ops.json")
        _, err = job.communicate(timeout=300)
        assert job.returncode == 0, err[-3000:]
        assert_equals_replay(led, product, [c for c in claims if c["claim_id"] not in reversed_ids])


# ---- the command line ----------------------------------------------------------------------


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_ledger_commands(url, product, tmp_path, capsys) -> None:
    db = url if url.startswith("postgresql") else str(tmp_path / "ledger.sqlite")
    files = {}
    for c in (C1, C2, C3):
        files[c["claim_id"]] = tmp_path / f"{c['claim_id']}.json"
        files[c["claim_id"]].write_text(json.dumps(c, ensure_ascii=False), encoding="utf-8")
    code, out, err = _cli(capsys, "ledger", "init", "--db", db, "--lang", "en")
    assert code == 0 and "schema version 1" in out
    code, out, _ = _cli(capsys, "ledger", "submit", str(files["C3"]), str(files["C1"]), "--product", PRODUCT, "--db", db,
                        "--lang", "en")
    assert code == 0
    assert out.splitlines() == [f"{files['C3']}: claim C3 v1 payable 0.00 recorded",
                                f"{files['C1']}: claim C1 v1 payable 0.00 recorded",
                                "  adjustment: claim C3 v1 -> v2: 0.00 -> 2400.00 (+2400.00)"]
    code, out, _ = _cli(capsys, "ledger", "submit", str(files["C2"]), str(files["C2"]), "--product", PRODUCT,
                        "--db", db, "--json")
    first, again = json.loads(out)
    assert (first["recorded"], first["payable"], again["recorded"], again["payable"]) == (True, "1600.00", False, "1600.00")
    assert first["adjustments"] == [{"claim_id": "C3", "from_version": 2, "to_version": 3, "previous_payable": "2400.00",
                                     "new_payable": "7200.00", "difference": "4800.00"}]
    code, out, _ = _cli(capsys, "ledger", "show", "P-0001", "--year", "2023", "--product", PRODUCT, "--db", db, "--json")
    state = json.loads(out)
    assert state["payable_total"] == "8800.00"
    assert [(c["claim_id"], c["current_version"], c["payable"]) for c in state["claims"]] == [
        ("C1", 1, "0.00"), ("C2", 1, "1600.00"), ("C3", 3, "7200.00")]
    code, out, _ = _cli(capsys, "ledger", "show", "P-0001", "--year", "2023", "--product", PRODUCT, "--db", db,
                        "--lang", "en")
    assert "P-0001 · shenzhen-2023 · policy year 2023: 3 live claim(s), payable total 8800.00" in out
    code, out, _ = _cli(capsys, "ledger", "reverse", "C2", "--reason", "billed twice", "--db", db, "--lang", "en")
    assert code == 0 and out.splitlines()[0] == "claim C2 reversed (v2): billed twice"
    code, out, _ = _cli(capsys, "ledger", "show", "P-0001", "--year", "2023", "--product", PRODUCT, "--db", db, "--json")
    assert json.loads(out)["payable_total"] == "2400.00"

    # Refusals: one line naming the file, exit 2, nothing written.
    conflict = tmp_path / "conflict.json"
    conflict.write_text(json.dumps(stay("C1", "2023-08-01", "10001.00")), encoding="utf-8")
    duplicate = tmp_path / "duplicate.json"
    duplicate.write_text(json.dumps(dict(C1, claim_id="C1-again")), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    for path, words in ((conflict, "already in the ledger with different content"),
                        (duplicate, "is the same encounter"), (broken, "malformed JSON")):
        code, out, err = _cli(capsys, "ledger", "submit", str(path), "--product", PRODUCT, "--db", db)
        assert code == 2 and out == ""
        assert err.startswith(f"huiminbao: error: {path}: ") and words in err and err.count("\n") == 1, err
    for args, words in ((["reverse", "nope", "--reason", "x"], "no claim 'nope'"),
                        (["show", "P-9", "--year", "2023", "--product", PRODUCT], "no claims of insured 'P-9'"),
                        (["show", "P-0001", "--year", "2024", "--product", PRODUCT], "policy year 2023, not 2024")):
        code, out, err = _cli(capsys, "ledger", *args, "--db", db)
        assert (code, out) == (2, "") and words in err and err.count("\n") == 1, err
    code, _, err = _cli(capsys, "ledger", "show", "P-0001", "--year", "2023", "--product", PRODUCT,
                        "--db", str(tmp_path / "missing.sqlite"))
    assert code == 2 and f"{tmp_path / 'missing.sqlite'}: no ledger here" in err
    code, out, err = _cli(capsys, "ledger", "submit", str(files["C1"]), "--product", PRODUCT, "--db", str(files["C1"]))
    assert (code, out) == (2, "") and err.startswith(f"huiminbao: error: {files['C1']}: ") and err.count("\n") == 1, err
    with Ledger.open(url if "://" in db else f"sqlite:///{db}") as led:
        assert_equals_replay(led, product, [C1, C3])


def test_the_ledger_commands_speak_chinese_by_default(tmp_path, capsys) -> None:
    db = str(tmp_path / "ledger.sqlite")
    files = {}
    for c in (C1, C2, C3):
        files[c["claim_id"]] = tmp_path / f"{c['claim_id']}.json"
        files[c["claim_id"]].write_text(json.dumps(c, ensure_ascii=False), encoding="utf-8")
    code, out, _ = _cli(capsys, "ledger", "init", "--db", db)
    assert (code, out) == (0, f"账本已就绪: sqlite:///{db} (sqlite, 数据结构版本 1)\n")
    code, out, _ = _cli(capsys, "ledger", "submit", str(files["C3"]), str(files["C1"]), str(files["C1"]),
                        "--product", PRODUCT, "--db", db)
    assert code == 0
    assert out.splitlines() == [f"{files['C3']}: 理赔 C3 第 1 版 应付 0.00 已记录",
                                f"{files['C1']}: 理赔 C1 第 1 版 应付 0.00 已记录",
                                "  调整: 理赔 C3 第 1 版 -> 第 2 版: 0.00 -> 2400.00 (+2400.00)",
                                f"{files['C1']}: 理赔 C1 第 1 版 应付 0.00 此前已记录 (有效)"]
    code, out, _ = _cli(capsys, "ledger", "submit", str(files["C2"]), "--product", PRODUCT, "--db", db)
    assert out.splitlines() == [f"{files['C2']}: 理赔 C2 第 1 版 应付 1600.00 已记录",
                                "  调整: 理赔 C3 第 2 版 -> 第 3 版: 2400.00 -> 7200.00 (+4800.00)"]
    code, out, _ = _cli(capsys, "ledger", "reverse", "C2", "--reason", "重复收费", "--db", db)
    assert out.splitlines() == ["理赔 C2 已撤销 (第 2 版): 重复收费",
                                "  调整: 理赔 C2 第 1 版 -> 第 2 版: 1600.00 -> 0.00 (-1600.00)",
                                "  调整: 理赔 C3 第 3 版 -> 第 4 版: 7200.00 -> 2400.00 (-4800.00)"]
    code, out, _ = _cli(capsys, "ledger", "reverse", "C2", "--reason", "重复收费", "--db", db)
    assert out.splitlines() == ["理赔 C2 此前已撤销 (第 2 版): 重复收费"]
    code, out, _ = _cli(capsys, "ledger", "show", "P-0001", "--year", "2023", "--product", PRODUCT, "--db", db)
    lines = out.splitlines()
    assert lines[0] == "P-0001 · shenzhen-2023 · 保单年度 2023: 有效理赔 2 笔, 应付合计 2400.00 (修订号 4)", lines
    assert "  调整:" in lines and lines[-1].startswith("  累计: 已付 2400.00; 已用免赔额: ")
    assert any(x.strip().startswith("第 2 版 撤销") for x in lines) and any(" — 已撤销: 重复收费" in x for x in lines)
    text = re.sub(r"库版本 [^)]*\)", "", "\n".join(lines[1:-1]))  # the library version, as recorded
    assert set(re.findall(r"(?<![0-9])[A-Za-z][A-Za-z_\-0-9]*", text)) <= {"C1", "C2", "C3"}, text
    code, out, _ = _cli(capsys, "ledger", "export", "--format", "jsonl", "--out", str(tmp_path / "c.jsonl"), "--db", db)
    assert code == 0 and out.startswith("已导出 2 笔有效理赔: ")
    for args in (["submit", str(files["C1"]), "--product", PRODUCT, "--json"], ["reverse", "C1", "--reason", "x", "--json"],
                 ["show", "P-0001", "--year", "2023", "--product", PRODUCT, "--json"]):
        code, out, err = _cli(capsys, "ledger", *args, "--lang", "zh", "--db", db)
        assert (code, out) == (2, "") and "--lang cannot be used with --json" in err and err.count("\n") == 1, err


def test_the_default_database_is_huiminbao_sqlite_in_the_current_directory(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c1.json").write_text(json.dumps(C1), encoding="utf-8")
    assert _cli(capsys, "ledger", "init")[0] == 0
    assert _cli(capsys, "ledger", "submit", "c1.json", "--product", PRODUCT)[0] == 0
    assert (tmp_path / "huiminbao.sqlite").is_file()
    with Ledger.open(f"sqlite:///{tmp_path / 'huiminbao.sqlite'}") as led:
        assert led.person_years() == [(PRODUCT, "P-0001", 2023)]


def test_an_export_loads_with_the_loaders_and_replays_to_the_ledgers_results(url, product, tmp_path, capsys) -> None:
    pytest.importorskip("pyarrow")
    from huiminbao_rules.analytics.loaders import load_jsonl, load_tables

    claims = claim_years(3, 5, seed=3)
    with Ledger.open(url) as led:
        for c in claims:
            led.submit(c, product)
        led.reverse(claims[0]["claim_id"], "reversed in test")
    live = {c["claim_id"] for c in claims[1:]}
    db = url
    assert _cli(capsys, "ledger", "export", "--format", "jsonl", "--out", str(tmp_path / "x.jsonl"), "--db", db)[0] == 0
    assert _cli(capsys, "ledger", "export", "--format", "parquet", "--out", str(tmp_path / "pq"), "--db", db)[0] == 0
    results = [json.loads(line) for line in (tmp_path / "x.results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["claim_id"] for r in results} == live
    payable = {r["claim_id"]: r["payable"] for r in results}
    assert all(r["result"]["payable"] == r["payable"] and r["product_id"] == PRODUCT for r in results)
    import pandas as pd

    pq = tmp_path / "pq"
    table = pd.read_parquet(pq / "results.parquet")
    assert dict(zip(table["claim_id"], table["payable"])) == payable
    for loaded in (load_jsonl(tmp_path / "x.jsonl"),
                   load_tables(pq / "encounters.parquet", pq / "fee_lines.parquet", pq / "claims.parquet")):
        assert loaded.counts["rejected"] == 0 and loaded.counts["loaded"] == len(live)
        by_person: dict[str, list] = {}
        for c in loaded.population.to_claims():
            by_person.setdefault(c.insured.id, []).append(c)
        replayed = {a.claim_id: f"{a.payable:.2f}" for cs in by_person.values() for a in replay(cs, product).adjudications}
        assert replayed == payable


def test_the_example_backend_pays_out_the_person_years_total(url) -> None:
    import runpy

    example = runpy.run_path(str(ROOT / "examples" / "ledger_backend.py"), run_name="example")
    assert example["main"](url) == Decimal("2400.00")
