"""The ledger: person-years of claims, adjudicated in service-date order, with every
version kept. See ``docs/ledger.md``.

A *person-year* is one insured person under one product (a product id is one city's
policy year). Its *live* claims, taken in service-date order (then claim id, as
:func:`~huiminbao_rules.adjudication.engine.replay` takes them), are each adjudicated against the
accumulators the one before left: the ledger always holds exactly what a replay of the
live claims gives. A claim that arrives late, or a reversal, changes the claims after it;
each of those gets a new *version* of its adjudication and an *adjustment* (previous
payable, new payable, difference). Nothing stored is ever changed but the pointers to
the current versions, the claim's status, and the person-year's running totals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import metadata
from typing import Any

from huiminbao_rules.adjudication.engine import adjudicate, fresh_year
from huiminbao_rules.core.errors import InputError
from huiminbao_rules.core.fields import _text, check_id
from huiminbao_rules.render.explain import to_dict
from huiminbao_rules.claims.models import Claim, parse_claim
from huiminbao_rules.core.money import ZERO, format_yuan
from huiminbao_rules.rules.product import Product, parse_product
from huiminbao_rules.adjudication.result import YearToDate
from huiminbao_rules.ledger.backends import Backend, Tx, connect
from huiminbao_rules.ledger.errors import ClaimConflict, DuplicateEncounter, LedgerError, ProductMismatch, UnknownClaim
from huiminbao_rules.ledger.schema import SCHEMA_VERSION, current_version, migrate


def _checked_id(what: str, value: Any) -> str:
    """An id asked for, checked as the claim format checks ids (no control or invisible
    characters, no lone surrogates): refused, never looked up as something else."""
    try:
        return check_id(value)
    except ValueError as exc:
        raise LedgerError(f"{what}: {exc}") from None


__all__ = ["Adjustment", "Ledger", "Submission", "Reversal", "library_version"]


def library_version() -> str:
    """The installed huiminbao_rules version, recorded with every adjudication."""
    try:
        return metadata.version("huiminbao_rules")
    except metadata.PackageNotFoundError:
        from huiminbao_rules import __version__

        return __version__


def canonical_claim(claim: Claim) -> tuple[dict[str, Any], str, str]:
    """The claim as the ledger stores it: its JSON data, canonical text and SHA-256."""
    data = claim.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return data, text, hashlib.sha256(text.encode()).hexdigest()


def canonical_product(product: Product) -> tuple[str, str]:
    """A product's definition as canonical JSON text, and its SHA-256 (the content hash)."""
    text = json.dumps(product.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return text, hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=64)
def _product_from(text: str) -> Product:
    return parse_product(json.loads(text), "product stored in the ledger")


def differences(stored: Any, given: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where two JSON values differ, as ``(dotted path, stored, given)``."""
    if isinstance(stored, dict) and isinstance(given, dict):
        out = []
        for k in sorted(set(stored) | set(given)):
            p = f"{path}.{k}" if path else k
            if k not in stored:
                out.append((p, None, given[k]))
            elif k not in given:
                out.append((p, stored[k], None))
            else:
                out += differences(stored[k], given[k], p)
        return out
    if isinstance(stored, list) and isinstance(given, list):
        out = []
        for i in range(max(len(stored), len(given))):
            p = f"{path}.{i}" if path else str(i)
            if i >= len(stored):
                out.append((p, None, given[i]))
            elif i >= len(given):
                out.append((p, stored[i], None))
            else:
                out += differences(stored[i], given[i], p)
        return out
    return [] if stored == given else [(path, stored, given)]


@dataclass(frozen=True)
class Adjustment:
    """A change of a claim's payable caused by an earlier-dated claim arriving or a
    reversal: pay ``difference`` when positive, recover it when negative."""

    claim_id: str
    from_version: int
    to_version: int
    previous_payable: Decimal
    new_payable: Decimal
    difference: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "from_version": self.from_version, "to_version": self.to_version,
                "previous_payable": format_yuan(self.previous_payable), "new_payable": format_yuan(self.new_payable),
                "difference": format_yuan(self.difference)}


@dataclass(frozen=True)
class Submission:
    """What :meth:`Ledger.submit` did. ``recorded`` is False when the ledger already held
    this exact claim (nothing was written); ``result`` is then the stored one."""

    claim_id: str
    product_id: str
    insured_id: str
    policy_year: int
    recorded: bool
    status: str
    version: int
    payable: Decimal
    result: dict[str, Any] | None
    adjustments: tuple[Adjustment, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "product_id": self.product_id, "insured_id": self.insured_id,
                "policy_year": self.policy_year, "recorded": self.recorded, "status": self.status,
                "version": self.version, "payable": format_yuan(self.payable),
                "adjustments": [a.to_dict() for a in self.adjustments], "result": self.result}


@dataclass(frozen=True)
class Reversal:
    """What :meth:`Ledger.reverse` did (``recorded`` False: it was already reversed)."""

    claim_id: str
    product_id: str
    insured_id: str
    policy_year: int
    recorded: bool
    reason: str
    version: int
    adjustments: tuple[Adjustment, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "product_id": self.product_id, "insured_id": self.insured_id,
                "policy_year": self.policy_year, "recorded": self.recorded, "reason": self.reason,
                "version": self.version, "adjustments": [a.to_dict() for a in self.adjustments]}


@dataclass
class _Live:
    claim_id: str
    service_on: str
    version: int
    payable: Decimal


@dataclass
class _PersonYear:
    id: int
    product_id: str
    insured_id: str
    policy_year: int
    revision: int


@dataclass
class _Work:
    """What one transaction writes, gathered as it goes."""

    adjustments: list[Adjustment] = field(default_factory=list)


class Ledger:
    """A claims ledger on SQLite or PostgreSQL. Open it with :meth:`open`."""

    def __init__(self, backend: Backend, url: str = ""):
        self._db = backend
        self.url = url
        self._products: dict[str, str] = {}  # product id -> content hash known to be stored
        self._hashes: dict[int, tuple[Product, str, str]] = {}  # id(product) -> (product, text, hash)
        self.library_version = library_version()

    # ---- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Ledger:
        """Open the ledger at ``url``: ``sqlite:///PATH`` (embedded; options
        ``?synchronous=full|normal|off&timeout=SECONDS``) or ``postgresql://…``.

        With ``create`` (the default) a new ledger is made and an old one brought up to the
        current schema; without it, a ledger that does not exist yet is refused.
        """
        backend = connect(url, create=create)
        try:
            if create:
                migrate(backend)
            else:
                have = current_version(backend)
                if have == 0:
                    raise LedgerError(f"{backend.where}: no ledger here; create one with `huiminbao ledger init`")
                if have != SCHEMA_VERSION:
                    migrate(backend)  # refuses a newer schema, applies what an older one lacks
        except BaseException:
            backend.close()
            raise
        return cls(backend, url)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.dialect

    def schema_version(self) -> int:
        return current_version(self._db)

    # ---- products ------------------------------------------------------------------

    def _store_product(self, product: Product) -> str:
        known = self._products.get(product.id)
        cached = self._hashes.get(id(product))
        if cached is None or cached[0] is not product:
            cached = (product, *canonical_product(product))
            self._hashes[id(product)] = cached
        _, text, digest = cached
        if known == digest:
            return digest

        def work(tx: Tx) -> str:
            tx.run("INSERT INTO products (product_id, content_hash, policy_year, definition) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (product_id) DO NOTHING", (product.id, digest, product.policy_year, text))
            row = tx.one("SELECT content_hash FROM products WHERE product_id = ?", (product.id,))
            assert row is not None
            if row[0] != digest:
                raise ProductMismatch(product.id, row[0], digest)
            return digest

        self._db.write(work)
        self._products[product.id] = digest
        return digest

    def product(self, product_id: str) -> Product:
        """The product definition the ledger holds under this id."""
        row = self._db.read(lambda tx: tx.one("SELECT definition FROM products WHERE product_id = ?", (product_id,)))
        if row is None:
            raise LedgerError(f"no product {product_id!r} in the ledger")
        return _product_from(row[0])

    # ---- the person-year lock and state --------------------------------------------

    def _lock(self, tx: Tx, product: Product, insured_id: str) -> _PersonYear:
        tx.run("INSERT INTO person_years (product_id, insured_id, policy_year) VALUES (?, ?, ?) "
               "ON CONFLICT (product_id, insured_id) DO NOTHING", (product.id, insured_id, product.policy_year))
        row = tx.one("SELECT id, product_id, insured_id, policy_year, revision FROM person_years "
                     "WHERE product_id = ? AND insured_id = ?" + self._db.lock_suffix(), (product.id, insured_id))
        assert row is not None
        return _PersonYear(*row)

    def _lock_id(self, tx: Tx, person_year_id: int) -> _PersonYear:
        row = tx.one("SELECT id, product_id, insured_id, policy_year, revision FROM person_years WHERE id = ?"
                     + self._db.lock_suffix(), (person_year_id,))
        assert row is not None
        return _PersonYear(*row)

    @staticmethod
    def _live(tx: Tx, py: _PersonYear) -> list[_Live]:
        rows = tx.all("SELECT c.claim_id, c.service_on, c.current_version, a.payable FROM claims c "
                      "JOIN adjudications a ON a.claim_id = c.claim_id AND a.version = c.current_version "
                      "WHERE c.person_year_id = ? AND c.status = 'live'", (py.id,))
        live = [_Live(r[0], r[1], int(r[2]), Decimal(r[3])) for r in rows]
        live.sort(key=lambda c: (c.service_on, c.claim_id))
        return live

    @staticmethod
    def _ytd_after(tx: Tx, before: _Live | None, product: Product, insured_id: str) -> YearToDate:
        if before is None:
            return fresh_year(product, insured_id)
        row = tx.one("SELECT accumulators FROM adjudications WHERE claim_id = ? AND version = ?",
                     (before.claim_id, before.version))
        assert row is not None and row[0] is not None
        return YearToDate.model_validate_json(row[0])

    def _event(self, tx: Tx, py: _PersonYear, kind: str, claim_id: str, reason: str | None = None) -> int:
        row = tx.one("INSERT INTO events (person_year_id, kind, claim_id, reason, library_version) "
                     "VALUES (?, ?, ?, ?, ?) RETURNING id", (py.id, kind, claim_id, reason, self.library_version))
        assert row is not None
        return int(row[0])

    def _record(self, tx: Tx, claim_id: str, version: int, event: int, cause: str, payable: Decimal,
                result: dict[str, Any] | None, ytd: YearToDate | None, product_hash: str) -> None:
        tx.run("INSERT INTO adjudications (claim_id, version, event_id, cause, payable, result_json, accumulators, "
               "library_version, product_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (claim_id, version, event, cause, format_yuan(payable),
                None if result is None else json.dumps(result, ensure_ascii=False),
                None if ytd is None else ytd.model_dump_json(), self.library_version, product_hash))

    def _adjust(self, tx: Tx, work: _Work, py: _PersonYear, event: int, claim_id: str, old: int, new: int,
                before: Decimal, after: Decimal) -> None:
        adj = Adjustment(claim_id, old, new, before, after, after - before)
        tx.run("INSERT INTO adjustments (event_id, person_year_id, claim_id, from_version, to_version, "
               "previous_payable, new_payable, difference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (event, py.id, claim_id, old, new, format_yuan(before), format_yuan(after), format_yuan(after - before)))
        work.adjustments.append(adj)

    def _readjudicate(self, tx: Tx, work: _Work, py: _PersonYear, event: int, later: list[_Live],
                      ytd: YearToDate, product: Product, product_hash: str) -> YearToDate:
        """Adjudicate ``later`` (live claims, in order) again from ``ytd``, as new versions."""
        if not later:
            return ytd
        ids = [c.claim_id for c in later]
        texts: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join("?" * len(chunk))
            texts.update(tx.all(f"SELECT claim_id, claim_json FROM claims WHERE claim_id IN ({marks})", chunk))
        for c in later:
            claim = parse_claim(texts[c.claim_id])
            adj = adjudicate(claim, product, ytd)
            ytd = adj.year_to_date
            version = c.version + 1
            self._record(tx, c.claim_id, version, event, "readjudicated", adj.payable, to_dict(adj, product), ytd,
                         product_hash)
            tx.run("UPDATE claims SET current_version = ? WHERE claim_id = ?", (version, c.claim_id))
            self._adjust(tx, work, py, event, c.claim_id, c.version, version, c.payable, adj.payable)
            c.version, c.payable = version, adj.payable
        return ytd

    @staticmethod
    def _close_year(tx: Tx, py: _PersonYear, live: list[_Live], ytd: YearToDate | None) -> None:
        total = sum((c.payable for c in live), ZERO)
        tx.run("UPDATE person_years SET revision = revision + 1, accumulators = ?, payable_total = ? WHERE id = ?",
               (None if ytd is None or not live else ytd.model_dump_json(), format_yuan(total), py.id))

    # ---- submit --------------------------------------------------------------------

    def submit(self, claim: Claim | Mapping[str, Any] | str | bytes, product: Product) -> Submission:
        """Adjudicate and record ``claim`` under ``product`` in the person's year.

        Idempotent: the same claim id with the same content returns the stored result and
        writes nothing. Refused (:class:`ClaimConflict`, :class:`DuplicateEncounter`,
        :class:`ProductMismatch`, :class:`~huiminbao_rules.core.errors.InputError`) with
        nothing written: the same id with other content, an encounter the person-year
        already counts under another claim id, a product id the ledger holds with another
        definition, a claim that is not valid.
        """
        claim, data, text, digest = _strictly_checked(claim)
        identities = _encounter_identities(claim)
        product_hash = self._store_product(product)
        return self._db.write(lambda tx: self._submit(tx, claim, product, product_hash, data, text, digest, identities))

    def _submit(self, tx: Tx, claim: Claim, product: Product, product_hash: str, data: dict[str, Any], text: str,
                digest: str, identities: dict[str, str]) -> Submission:
        """:meth:`submit` inside the write transaction: the stored result if the claim is
        known, else adjudicated at its place in the year, the later claims re-adjudicated."""
        insured_id = claim.insured.id
        service_on = claim.service_on.isoformat()
        py = self._lock(tx, product, insured_id)
        stored = self._stored_submission(tx, claim, product, data, digest)
        if stored is not None:
            return stored
        _refuse_counted_encounters(tx, py, claim, identities)
        live = self._live(tx, py)
        key = (service_on, claim.claim_id)
        at = sum(1 for c in live if (c.service_on, c.claim_id) < key)
        ytd = self._ytd_after(tx, live[at - 1] if at else None, product, insured_id)
        adj = adjudicate(claim, product, ytd)
        event = self._event(tx, py, "submit", claim.claim_id)
        tx.run("INSERT INTO claims (claim_id, person_year_id, service_on, claim_hash, claim_json, product_id, "
               "product_hash, status, current_version, submitted_event) VALUES (?, ?, ?, ?, ?, ?, ?, 'live', 1, ?)",
               (claim.claim_id, py.id, service_on, digest, text, product.id, product_hash, event))
        result = to_dict(adj, product)
        self._record(tx, claim.claim_id, 1, event, "submitted", adj.payable, result, adj.year_to_date,
                     product_hash)
        tx.many("INSERT INTO live_encounters (person_year_id, identity, claim_id, encounter_id) VALUES (?, ?, ?, ?)",
                [(py.id, ident, claim.claim_id, enc_id) for ident, enc_id in identities.items()])
        w = _Work()
        later = live[at:]
        ytd = self._readjudicate(tx, w, py, event, later, adj.year_to_date, product, product_hash)
        live.insert(at, _Live(claim.claim_id, service_on, 1, adj.payable))
        self._close_year(tx, py, live, ytd)
        return Submission(claim.claim_id, product.id, insured_id, product.policy_year, True, "live", 1,
                          adj.payable, result, tuple(w.adjustments))

    @staticmethod
    def _stored_submission(tx: Tx, claim: Claim, product: Product, data: dict[str, Any],
                           digest: str) -> Submission | None:
        """The stored result of a claim id already recorded with the same content and product
        (None if the id is new); :class:`ClaimConflict` if the content or product differs."""
        row = tx.one("SELECT claim_hash, claim_json, product_id, status, current_version FROM claims "
                     "WHERE claim_id = ?", (claim.claim_id,))
        if row is None:
            return None
        stored_hash, stored_json, stored_product, status, version = row
        if stored_hash != digest:
            raise ClaimConflict(claim.claim_id, differences(json.loads(stored_json), data))
        if stored_product != product.id:
            raise ClaimConflict(claim.claim_id, [("product", stored_product, product.id)])
        got = tx.one("SELECT payable, result_json FROM adjudications WHERE claim_id = ? AND version = ?",
                     (claim.claim_id, version))
        assert got is not None
        return Submission(claim.claim_id, product.id, claim.insured.id, product.policy_year, False, status,
                          int(version), Decimal(got[0]), None if got[1] is None else json.loads(got[1]))

    # ---- reverse -------------------------------------------------------------------

    def reverse(self, claim_id: str, reason: str) -> Reversal:
        """Take a claim's effect out of its person-year: a new version paying 0.00, an
        adjustment recovering what it paid, the later claims re-adjudicated. Reversing
        an already reversed claim with the same reason changes nothing; with another
        reason it is refused."""
        _checked_id("claim id", claim_id)
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise LedgerError(f"reversing claim {claim_id!r} needs a reason")
        try:
            _text(reason)  # kept in the audit trail and shown: printable and bounded, like any text
        except ValueError as exc:
            raise LedgerError(f"the reason for reversing claim {claim_id!r}: {exc}") from None

        def work(tx: Tx) -> Reversal:
            found = tx.one("SELECT person_year_id FROM claims WHERE claim_id = ?", (claim_id,))
            if found is None:
                raise UnknownClaim(claim_id)
            py = self._lock_id(tx, int(found[0]))
            status, version, stored_reason, product_hash, product_id = tx.one(
                "SELECT status, current_version, reversal_reason, product_hash, product_id FROM claims "
                "WHERE claim_id = ?", (claim_id,))  # type: ignore[misc]
            if status == "reversed":
                if stored_reason != reason:
                    raise LedgerError(f"claim {claim_id!r} is already reversed, for another reason: {stored_reason!r}")
                return Reversal(claim_id, py.product_id, py.insured_id, py.policy_year, False, reason, int(version))
            definition = tx.one("SELECT definition, content_hash FROM products WHERE product_id = ?", (product_id,))
            assert definition is not None and definition[1] == product_hash
            product = _product_from(definition[0])
            live = self._live(tx, py)
            at = next(i for i, c in enumerate(live) if c.claim_id == claim_id)
            gone = live.pop(at)
            event = self._event(tx, py, "reverse", claim_id, reason)
            w = _Work()
            self._record(tx, claim_id, gone.version + 1, event, "reversed", ZERO, None, None, product_hash)
            tx.run("UPDATE claims SET status = 'reversed', current_version = ?, reversal_reason = ?, "
                   "reversed_event = ? WHERE claim_id = ?", (gone.version + 1, reason, event, claim_id))
            tx.run("DELETE FROM live_encounters WHERE claim_id = ?", (claim_id,))
            self._adjust(tx, w, py, event, claim_id, gone.version, gone.version + 1, gone.payable, ZERO)
            ytd = self._ytd_after(tx, live[at - 1] if at else None, product, py.insured_id)
            ytd = self._readjudicate(tx, w, py, event, live[at:], ytd, product, product_hash)
            self._close_year(tx, py, live, ytd)
            return Reversal(claim_id, py.product_id, py.insured_id, py.policy_year, True, reason, gone.version + 1,
                            tuple(w.adjustments))

        return self._db.write(work)

    # ---- reading -------------------------------------------------------------------

    def person_years(self) -> list[tuple[str, str, int]]:
        """Every person-year: ``(product_id, insured_id, policy_year)``, sorted."""
        rows = self._db.read(lambda tx: tx.all("SELECT product_id, insured_id, policy_year FROM person_years "
                                               "WHERE revision > 0"))
        return sorted((r[0], r[1], int(r[2])) for r in rows)

    def show(self, insured_id: str, policy_year: int, product_id: str) -> dict[str, Any]:
        """One person-year as JSON-ready data: its claims (in service-date order) with every
        version, the adjustments and events in order, the accumulators and
        ``payable_total``. :class:`LedgerError` when the ledger has no such person-year."""
        _checked_id("insured id", insured_id)
        _checked_id("product id", product_id)
        if type(policy_year) is not int:
            raise LedgerError(f"a policy year is a whole number, not {policy_year!r}")
        def work(tx: Tx) -> dict[str, Any]:
            py = tx.one("SELECT id, policy_year, revision, accumulators, payable_total FROM person_years "
                        "WHERE product_id = ? AND insured_id = ?", (product_id, insured_id))
            if py is None or int(py[2]) == 0:
                raise LedgerError(f"no claims of insured {insured_id!r} under product {product_id!r} in the ledger")
            if int(py[1]) != policy_year:
                raise LedgerError(f"product {product_id!r} is policy year {py[1]}, not {policy_year}")
            pid = py[0]
            claims = tx.all("SELECT claim_id, service_on, status, current_version, reversal_reason, claim_hash, "
                            "product_hash FROM claims WHERE person_year_id = ?", (pid,))
            versions = tx.all("SELECT a.claim_id, a.version, a.cause, a.payable, a.event_id, a.library_version, "
                              "a.product_hash, a.result_json FROM adjudications a JOIN claims c "
                              "ON c.claim_id = a.claim_id WHERE c.person_year_id = ?", (pid,))
            adjustments = tx.all("SELECT event_id, claim_id, from_version, to_version, previous_payable, new_payable, "
                                 "difference FROM adjustments WHERE person_year_id = ?", (pid,))
            events = tx.all("SELECT id, kind, claim_id, reason, library_version, recorded_at FROM events "
                            "WHERE person_year_id = ?", (pid,))
            return {"py": py, "claims": claims, "versions": versions, "adjustments": adjustments, "events": events}

        got = self._db.read(work)
        py = got["py"]
        by_claim: dict[str, list[dict[str, Any]]] = {}
        results: dict[tuple[str, int], Any] = {}
        for cid, version, cause, payable, event, libv, phash, result in sorted(got["versions"], key=lambda r: (r[0], r[1])):
            by_claim.setdefault(cid, []).append({"version": int(version), "cause": cause, "payable": payable,
                                                 "event": int(event), "library_version": libv,
                                                 "product_hash": phash})
            results[(cid, int(version))] = result
        claims = []
        for cid, service_on, status, current, reason, chash, phash in sorted(got["claims"], key=lambda r: (r[1], r[0])):
            current = int(current)
            result = results[(cid, current)]
            claims.append({"claim_id": cid, "service_on": service_on, "status": status,
                           "reversal_reason": reason, "claim_hash": chash, "product_hash": phash,
                           "current_version": current, "payable": by_claim[cid][-1]["payable"],
                           "versions": by_claim[cid], "result": None if result is None else json.loads(result)})
        adjustments = [{"event": int(e), "claim_id": c, "from_version": int(f), "to_version": int(t),
                        "previous_payable": p, "new_payable": n, "difference": d}
                       for e, c, f, t, p, n, d in sorted(got["adjustments"], key=lambda r: (int(r[0]), r[1]))]
        events = [{"event": int(i), "kind": k, "claim_id": c, "reason": r, "library_version": v, "recorded_at": str(at)}
                  for i, k, c, r, v, at in sorted(got["events"], key=lambda r: int(r[0]))]
        return {
            "product_id": product_id, "insured_id": insured_id, "policy_year": int(py[1]), "revision": int(py[2]),
            "payable_total": py[4],
            "live_claims": sum(1 for c in claims if c["status"] == "live"),
            "accumulators": None if py[3] is None else json.loads(py[3]),
            "claims": claims, "adjustments": adjustments, "events": events,
        }

    def live_claims(self, product_id: str | None = None) -> Iterable[tuple[str, Claim, dict[str, Any]]]:
        """Every live claim with its current result: ``(product_id, claim, result)``, by
        product, person and service date."""
        sql = ("SELECT c.product_id, p.insured_id, c.service_on, c.claim_id, c.claim_json, a.result_json, "
               "a.version, a.library_version, c.product_hash FROM claims c "
               "JOIN person_years p ON p.id = c.person_year_id "
               "JOIN adjudications a ON a.claim_id = c.claim_id AND a.version = c.current_version "
               "WHERE c.status = 'live'")
        params: tuple[Any, ...] = ()
        if product_id is not None:
            sql += " AND c.product_id = ?"
            params = (product_id,)
        rows = self._db.read(lambda tx: tx.all(sql, params))
        for pid, _insured, _day, _cid, claim_json, result_json, version, libv, phash in sorted(
                rows, key=lambda r: (r[0], r[1], r[2], r[3])):
            result = json.loads(result_json)
            yield pid, parse_claim(claim_json), {"version": int(version), "library_version": libv,
                                                 "product_hash": phash, "result": result}

    def verify(self) -> list[str]:
        """Check every person-year against a replay of its live claims under its stored
        product, and the ledger's own bookkeeping; return the problems found (none: ``[]``)."""
        from huiminbao_rules.adjudication.engine import replay

        problems: list[str] = []
        for product_id, insured_id, year in self.person_years():
            state = self.show(insured_id, year, product_id)
            product = self.product(product_id)
            live = [c for c in state["claims"] if c["status"] == "live"]
            claims = list(self._claims_of([c["claim_id"] for c in live]))
            expected = replay(claims, product) if claims else None
            where = f"{product_id}/{insured_id}"
            total = ZERO
            for c in state["claims"]:
                if [v["version"] for v in c["versions"]] != list(range(1, c["current_version"] + 1)):
                    problems.append(f"{where}: claim {c['claim_id']} has versions "
                                    f"{[v['version'] for v in c['versions']]}, current {c['current_version']}")
                if c["status"] == "reversed" and c["payable"] != "0.00":
                    problems.append(f"{where}: reversed claim {c['claim_id']} pays {c['payable']}")
            for c in live:
                want = to_dict(expected.of(c["claim_id"]), product)  # type: ignore[union-attr]
                if c["result"] != json.loads(json.dumps(want, ensure_ascii=False)):
                    problems.append(f"{where}: claim {c['claim_id']} v{c['current_version']}: the stored result "
                                    f"(payable {c['payable']}) differs from a replay's (payable {want['payable']})")
                total += Decimal(c["payable"])
            if format_yuan(total) != state["payable_total"]:
                problems.append(f"{where}: payable_total {state['payable_total']} but the live claims pay {format_yuan(total)}")
            acc = state["accumulators"]
            want_acc = None if expected is None else json.loads(expected.year_to_date.model_dump_json())
            if acc != want_acc:
                problems.append(f"{where}: stored accumulators differ from a replay's")
            identities = self._identities(product_id, insured_id)
            want_ids = sorted((e.identity, cl.claim_id) for cl in claims for e in cl.encounters)
            if identities != want_ids:
                problems.append(f"{where}: live encounter identities {identities} differ from the live claims' "
                                f"{want_ids}")
        return problems

    def _claims_of(self, ids: list[str]) -> Iterable[Claim]:
        for cid in ids:
            row = self._db.read(lambda tx, cid=cid: tx.one("SELECT claim_json FROM claims WHERE claim_id = ?", (cid,)))
            assert row is not None
            yield parse_claim(row[0])

    def _identities(self, product_id: str, insured_id: str) -> list[tuple[str, str]]:
        rows = self._db.read(lambda tx: tx.all(
            "SELECT e.identity, e.claim_id FROM live_encounters e JOIN person_years p ON p.id = e.person_year_id "
            "WHERE p.product_id = ? AND p.insured_id = ?", (product_id, insured_id)))
        return sorted((r[0], r[1]) for r in rows)


def _strictly_checked(claim: Claim | Mapping[str, Any] | str | bytes) -> tuple[Claim, dict[str, Any], str, str]:
    """The claim with every check passed (none relaxed), its canonical data, text and digest;
    :class:`LedgerError` for a :class:`Claim` parsed with identities relaxed that fails one."""
    checked = not isinstance(claim, Claim)
    if checked:
        claim = parse_claim(claim)  # every check, none relaxed
    data, text, digest = canonical_claim(claim)  # type: ignore[arg-type]
    if not checked:  # a Claim object may have been parsed with identities relaxed
        try:
            parse_claim(data)
        except InputError as exc:
            raise LedgerError(f"claim {claim.claim_id!r}: the ledger records only claims that pass every "  # type: ignore[union-attr]
                              f"check (none relaxed): {exc}") from None
    assert isinstance(claim, Claim)
    return claim, data, text, digest


def _encounter_identities(claim: Claim) -> dict[str, str]:
    """identity -> encounter id of the claim's encounters; :class:`DuplicateEncounter` if two share one."""
    identities: dict[str, str] = {}
    for enc in claim.encounters:
        other = identities.get(enc.identity)
        if other is not None:
            raise DuplicateEncounter(claim.claim_id, enc.id, enc.identity, claim.claim_id, other)
        identities[enc.identity] = enc.id
    return identities


def _refuse_counted_encounters(tx: Tx, py: _PersonYear, claim: Claim, identities: dict[str, str]) -> None:
    """:class:`DuplicateEncounter` if the person-year already counts one of the encounters under another claim."""
    marks = ", ".join("?" * len(identities))
    taken = tx.all(f"SELECT identity, claim_id, encounter_id FROM live_encounters WHERE person_year_id = ? "
                   f"AND identity IN ({marks})", (py.id, *identities))
    if taken:
        identity, other_claim, other_enc = sorted(taken)[0]
        raise DuplicateEncounter(claim.claim_id, identities[identity], identity, other_claim, other_enc)
