"""What adjudication returns: figures per responsibility and per fee line, the steps
that produced them, and the year-to-date accumulators to store for the next claim.

Results are plain frozen dataclasses (cheap to build, easy to read); the year-to-date
record is a pydantic model because callers hand it back in as input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from huiminbao_rules.core.fields import Id, Int
from huiminbao_rules.core.reasons import label
from huiminbao_rules.core.money import ZERO, Amount, exact, from_fen

__all__ = [
    "Adjudication",
    "BandPiece",
    "Caveat",
    "Exclusion",
    "LineFigures",
    "LineResult",
    "PortionFigures",
    "PortionResult",
    "ResponsibilityResult",
    "ResponsibilityToDate",
    "Step",
    "YearToDate",
    "check_year_to_date",
]

YTD_VERSION = 2


class ResponsibilityToDate(BaseModel):
    """One responsibility's running figures for the policy year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eligible: Amount = ZERO
    deductible: Amount = ZERO
    paid: Amount = ZERO


class YearToDate(BaseModel):
    """Accumulators for one person under one product version: store it after each claim
    and hand it back with the next. ``claims`` lists the claim ids already counted and
    ``encounters`` the encounters (by :attr:`~huiminbao_rules.claims.models.Encounter.identity`)
    with the claim that counted each; ``product_hash`` is the
    :attr:`~huiminbao_rules.rules.product.Product.content_hash` of the product it was made under."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Int = YTD_VERSION
    product_id: Id
    product_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    insured_id: Id | None = None
    claims: tuple[Id, ...] = ()
    encounters: dict[str, Id] = Field(default={}, description="encounter identity -> the claim that counted it")
    responsibilities: dict[str, ResponsibilityToDate] = {}
    deductible_pools: dict[str, Amount] = Field(default={}, description="deductible used per pool")
    sub_limits: dict[str, Amount] = Field(default={}, description="amount used per sub-limit key")
    sub_limit_counts: dict[str, Annotated[Int, Field(ge=0, le=10**9)]] = {}
    combined_caps: dict[str, Amount] = {}
    total_paid: Amount = ZERO

    def responsibility(self, rid: str) -> ResponsibilityToDate:
        return self.responsibilities.get(rid) or ResponsibilityToDate()


_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def trusted_model(cls: type[_M], **values: Any) -> _M:
    """``cls.model_construct(**values)`` for figures the engine computed, every field given:
    the same model (no validation, every field set), without ``model_construct``'s work per
    field (aliases, defaults), which runs for every claim."""
    m = cls.__new__(cls)
    _set(m, "__dict__", {name: values[name] for name in cls.__pydantic_fields__})
    _set(m, "__pydantic_fields_set__", set(values))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


def check_year_to_date(ytd: YearToDate, product: Any) -> list[str]:
    """What is wrong with a year-to-date record handed in for ``product``: its version, the
    product (id and content hash), keys the product does not have, and figures that
    cannot have come from adjudication. Empty when nothing is."""
    problems: list[str] = []
    if ytd.version != YTD_VERSION:
        problems.append(f"version {ytd.version} is not {YTD_VERSION}, the version this library writes")
    if ytd.product_id != product.id:
        variant = "~" in ytd.product_id or "~" in product.id
        problems.append(f"it is for product {ytd.product_id!r}, not {product.id!r}: accumulators do not carry "
                        "across product versions" + ("; a product with a list supplied by the user (--list) is "
                                                     "another product, named <id>~<list>" if variant else ""))
        return problems
    return problems + _product_hash_problems(ytd, product) + _key_problems(ytd, product) \
        + _figure_problems(ytd, product) + _claim_problems(ytd)


def _product_hash_problems(ytd: YearToDate, product: Any) -> list[str]:
    if ytd.product_hash is None:
        return ["product_hash is missing: a record names the content hash of the product it was made under"]
    if ytd.product_hash != product.content_hash:
        return [f"it was made under another file with the id {product.id!r} (product_hash "
                f"{ytd.product_hash[:12]}… is not this file's {product.content_hash[:12]}…)"
                + ("; with a list supplied by the user (--list), another list file makes another product"
                   if "~" in product.id else "")]
    return []


def _key_problems(ytd: YearToDate, product: Any) -> list[str]:
    """Responsibilities, pools, combined caps and sub-limit keys the product does not have."""
    problems = []
    resp = product.responsibility_by_id
    for what, keys, known in (("responsibilities", ytd.responsibilities, set(resp)),
                              ("deductible_pools", ytd.deductible_pools, set(resp) | set(product.pool_by_id)),
                              ("combined_caps", ytd.combined_caps, {c.id for c in product.combined_caps})):
        unknown = sorted(set(keys) - known)
        if unknown:
            problems.append(f"{what} {', '.join(unknown)} are not in the product")
    subs = {f"{r.id}.{s.id}" for r in product.responsibilities for s in r.sub_limits}
    for key in (*ytd.sub_limits, *ytd.sub_limit_counts):
        if key.split("@")[0].split("#")[0] not in subs:
            problems.append(f"sub-limit key {key!r} names no sub-limit of the product")
            break
    return problems


def _figure_problems(ytd: YearToDate, product: Any) -> list[str]:
    """Figures that cannot have come from adjudication: a deductible above what was eligible,
    totals that are not the sum of their parts, pools that are not what their
    responsibilities took, more paid than the total cap."""
    problems = []
    resp = product.responsibility_by_id
    for rid, r in ytd.responsibilities.items():
        if r.deductible > r.eligible:
            problems.append(f"responsibilities.{rid}: deductible {r.deductible} is more than eligible {r.eligible}")
    if ytd.responsibilities or ytd.total_paid:
        paid = sum((r.paid for r in ytd.responsibilities.values()), ZERO)
        if paid != ytd.total_paid:
            problems.append(f"total_paid {ytd.total_paid} is not the sum of the responsibilities' paid ({paid})")
    used: dict[str, Decimal] = {}
    for rid, r in ytd.responsibilities.items():
        if rid in resp:
            pool = resp[rid].deductible_pool or rid
            used[pool] = used.get(pool, ZERO) + r.deductible
    for pool in set(resp) | set(product.pool_by_id):
        if ytd.deductible_pools.get(pool, ZERO) != used.get(pool, ZERO):
            problems.append(f"deductible_pools.{pool} {ytd.deductible_pools.get(pool, ZERO)} is not the deductible "
                            f"its responsibilities took ({used.get(pool, ZERO)})")
            break
    if product.total_cap is not None and ytd.total_paid > product.total_cap.amount:
        problems.append(f"total_paid {ytd.total_paid} is more than the product's total cap {product.total_cap.amount}")
    return problems


def _claim_problems(ytd: YearToDate) -> list[str]:
    """The claims counted and the encounters remembered must name each other."""
    problems = []
    counted = set(ytd.claims)
    stray = sorted({c for c in ytd.encounters.values() if c not in counted})
    if stray:
        problems.append(f"encounters are counted under claims {', '.join(stray)}, which claims does not list")
    if len(counted) != len(ytd.claims):
        problems.append("claims lists a claim more than once")
    remembered = set(ytd.encounters.values())
    bare = [c for c in ytd.claims if c not in remembered]
    if bare:
        problems.append(f"claims {', '.join(bare[:5])} have no encounter in encounters: every counted claim "
                        "counted at least one, and the record must remember it")
    return problems


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the computation: what it did (``kind`` and ``values``), to what
    (``subject``), and which clause of the product (a path in its file) and which source
    say so. :mod:`huiminbao_rules.render.explain` renders it for people."""

    kind: str
    subject: str
    clause: str
    source: str | None
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BandPiece:
    """The part of an eligible amount between ``start`` and ``end`` on the responsibility's
    yearly axis, paid at ``rate``; ``raw`` is ``(end - start) * rate`` before rounding."""

    start: Decimal
    end: Decimal
    rate: Decimal
    raw: Decimal

    @property
    def amount(self) -> Decimal:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Caveat:
    """Something a result rests on that the data does not know for sure: ``code`` is one of
    ``list_unknown``, ``unverified_term``, ``assumed_period``, ``user_list`` (see
    ``docs/result-json.md``); ``message`` in English, ``message_zh`` in Chinese; the rest
    say where, when relevant (``line`` is ``<encounter id>#<line number>``; ``amount`` is
    what a pended line holds; ``sha256`` the content hash of a list supplied by the user)."""

    code: str
    message: str
    message_zh: str
    responsibility: str | None = None
    line: str | None = None
    list: str | None = None
    clause: str | None = None
    amount: Decimal | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Exclusion:
    reason: str
    amount: Decimal
    clause: str = ""


class PortionResult:
    """One owed part of a fee line (see :data:`huiminbao_rules.rules.product.PORTIONS`).

    ``amount = sum(exclusions) + eligible``;
    ``eligible = deductible + sum(band amounts)``;
    ``payable = rounded - sum(cuts)``.

    Read-only once an :class:`Adjudication` hands it out.
    """

    __slots__ = ("part", "amount", "responsibility", "exclusions", "eligible", "deductible", "bands", "raw",
                 "rounded", "cuts", "payable")

    def __init__(self, part: str, amount: Decimal):
        self.part = part
        self.amount = amount
        self.responsibility: str | None = None
        self.exclusions: tuple[Exclusion, ...] = ()
        self.eligible = ZERO
        self.deductible = ZERO
        self.bands: tuple[BandPiece, ...] = ()
        self.raw = ZERO
        self.rounded = ZERO
        self.cuts: tuple[tuple[str, Decimal], ...] = ()
        self.payable = ZERO

    @property
    @exact
    def excluded(self) -> Decimal:
        return sum((e.amount for e in self.exclusions), ZERO)

    def __repr__(self) -> str:
        return (f"PortionResult({self.part!r}, amount={self.amount}, responsibility={self.responsibility!r}, "
                f"eligible={self.eligible}, payable={self.payable}, excluded={self.excluded})")


@dataclass(frozen=True, slots=True)
class LineResult:
    """A fee line: its amount, the part the public payers settled, and its owed portions."""

    encounter_id: str
    number: int
    feedetl_sn: str | None
    code: str
    name: str
    amount: Decimal
    public_paid: Decimal
    portions: tuple[PortionResult, ...]

    @property
    @exact
    def eligible(self) -> Decimal:
        return sum((p.eligible for p in self.portions), ZERO)

    @property
    @exact
    def payable(self) -> Decimal:
        return sum((p.payable for p in self.portions), ZERO)

    @property
    @exact
    def excluded(self) -> Decimal:
        return sum((p.excluded for p in self.portions), ZERO)

    @property
    def pending(self) -> Decimal:
        """The part held for review (its ``pending_review`` exclusions)."""
        return sum((e.amount for p in self.portions for e in p.exclusions if e.reason == "pending_review"), ZERO)

    @property
    def responsibilities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.responsibility for p in self.portions if p.responsibility))

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.reason for p in self.portions for e in p.exclusions))


class PortionFigures(NamedTuple):
    """A portion's figures as the engine computed them, money in integer fen (``raw``: the
    exact Decimal the bands pay before rounding; ``bands``: each band piece as (start, end,
    rate, raw), start and end in fen): what :class:`PortionResult` and the result JSON are
    made from."""

    part: str
    amount: int
    responsibility: str | None
    exclusions: tuple[Exclusion, ...]
    eligible: int
    deductible: int
    bands: tuple[tuple[int, int, Decimal, Decimal], ...]
    raw: Decimal
    rounded: int
    cuts: tuple[tuple[str, int], ...]
    payable: int


class LineFigures(NamedTuple):
    """A fee line's figures as the engine computed them (``public_paid`` in integer fen;
    ``amount`` the line's amount as read): what :class:`LineResult` and the result JSON
    are made from."""

    encounter_id: str
    number: int
    feedetl_sn: str | None
    code: str
    name: str
    amount: Decimal
    public_paid: int
    portions: tuple[PortionFigures, ...]


def _portion_result(p: PortionFigures) -> PortionResult:
    out = PortionResult(p.part, from_fen(p.amount))
    out.responsibility, out.exclusions, out.eligible, out.deductible = (
        p.responsibility, p.exclusions, from_fen(p.eligible), from_fen(p.deductible))
    out.bands = tuple(BandPiece(from_fen(a), from_fen(b), rate, raw) for a, b, rate, raw in p.bands)
    out.raw, out.rounded, out.payable = p.raw, from_fen(p.rounded), from_fen(p.payable)
    out.cuts = tuple((clause, from_fen(c)) for clause, c in p.cuts)
    return out


@exact
def _line_results(figures: tuple[LineFigures, ...]) -> tuple[LineResult, ...]:
    return tuple(_line_result(f) for f in figures)


def _line_result(f: LineFigures) -> LineResult:
    return LineResult(f.encounter_id, f.number, f.feedetl_sn, f.code, f.name, f.amount, from_fen(f.public_paid),
                      tuple(_portion_result(p) for p in f.portions))


LINE_COLUMNS = ("encounter_id", "number", "feedetl_sn", "code", "name", "amount", "public_paid", "eligible",
                "payable", "excluded", "responsibilities", "reasons")
"""The columns of :meth:`Adjudication.line_rows` and :meth:`Adjudication.to_frame`."""

PORTION_COLUMNS = ("encounter_id", "number", "code", "name", "part", "amount", "responsibility", "eligible",
                   "deductible", "raw", "rounded", "payable", "excluded", "reasons")
"""The columns of :meth:`Adjudication.portion_rows`."""


@dataclass(frozen=True, slots=True)
class ResponsibilityResult:
    """One responsibility's figures for this claim (``*_before``: year to date before it)."""

    id: str
    name_zh: str
    name_en: str
    bucket: str
    eligible: Decimal
    deductible_amount: Decimal
    deductible_before: Decimal
    deductible: Decimal
    bands: tuple[BandPiece, ...]
    raw: Decimal
    rounded: Decimal
    cuts: tuple[tuple[str, Decimal], ...]
    payable: Decimal
    eligible_before: Decimal
    paid_before: Decimal

    @property
    @exact
    def cap_cut(self) -> Decimal:
        """What the caps (sub-limits, the responsibility's cap, combined and total caps) cut."""
        return sum((c for clause, c in self.cuts if clause != "indemnity"), ZERO)

    @property
    @exact
    def indemnity_cut(self) -> Decimal:
        """What the indemnity principle cut (see ``Adjudication.indemnity_cut``)."""
        return sum((c for clause, c in self.cuts if clause == "indemnity"), ZERO)

    @property
    @exact
    def rounding(self) -> Decimal:
        """What rounding added (positive) or took away (negative)."""
        return self.rounded - self.raw


class Adjudication:
    """What the product pays on one claim, and why.

    The figures are computed when the adjudication is made; ``lines`` (per fee line) and
    ``steps`` (the ordered trace) are worked out from the same computation the first
    time they are read, so a caller that only needs the figures does not pay for them.
    """

    __slots__ = ("claim_id", "insured_id", "product_id", "policy_year", "service_on", "medical_total",
                 "public_paid", "owed", "other_insurance_paid", "indemnity_limit", "indemnity_cut", "payable",
                 "responsibilities", "year_to_date_before", "year_to_date", "_detail", "_figures", "_lines",
                 "_steps",
                 "pending_amount", "caveats", "unknown_lists")

    def __init__(self, *, claim_id: str, insured_id: str, product_id: str, policy_year: int, service_on: date,
                 medical_total: Decimal, public_paid: Decimal, owed: Decimal, other_insurance_paid: Decimal,
                 indemnity_limit: Decimal, indemnity_cut: Decimal, payable: Decimal,
                 responsibilities: tuple[ResponsibilityResult, ...], year_to_date_before: YearToDate,
                 year_to_date: YearToDate, detail: Any, pending_amount: Decimal = ZERO,
                 caveats: tuple[Caveat, ...] = (), unknown_lists: str = "pend"):
        self.claim_id = claim_id
        self.insured_id = insured_id
        self.product_id = product_id
        self.policy_year = policy_year
        self.service_on = service_on
        self.medical_total = medical_total
        self.public_paid = public_paid
        self.owed = owed
        self.other_insurance_paid = other_insurance_paid
        self.indemnity_limit = indemnity_limit
        self.indemnity_cut = indemnity_cut
        self.payable = payable
        self.responsibilities = responsibilities
        self.year_to_date_before = year_to_date_before
        self.year_to_date = year_to_date
        self._detail = detail
        #: the owed amount held for review (lines pended on lists that are not complete); not in ``payable``
        self.pending_amount = pending_amount
        self.caveats = caveats
        #: how unknown list membership was treated: ``pend``, ``member`` or ``non-member``
        self.unknown_lists = unknown_lists
        self._figures: tuple[LineFigures, ...] | None = None
        self._lines: tuple[LineResult, ...] | None = None
        self._steps: tuple[Step, ...] | None = None

    @property
    def line_figures(self) -> tuple[LineFigures, ...]:
        """Every fee line's figures in integer fen, as the engine computed them (worked out
        once, when first read): what :attr:`lines` and the result JSON are made from."""
        if self._figures is None:
            self._figures = self._detail.lines()
        return self._figures

    @property
    def lines(self) -> tuple[LineResult, ...]:
        """Every fee line, in encounter (service-date) order then line order."""
        if self._lines is None:
            self._lines = _line_results(self.line_figures)
        return self._lines

    @property
    def steps(self) -> tuple[Step, ...]:
        """The ordered trace: each step with its clause and source."""
        if self._steps is None:
            self._steps = self._detail.steps(self)
        return self._steps

    @property
    @exact
    def eligible(self) -> Decimal:
        return sum((r.eligible for r in self.responsibilities), ZERO)

    @property
    @exact
    def excluded(self) -> Decimal:
        return sum((line.excluded for line in self.lines), ZERO)

    def responsibility(self, rid: str) -> ResponsibilityResult:
        for r in self.responsibilities:
            if r.id == rid:
                return r
        raise KeyError(rid)

    def line_rows(self, lang: str = "zh") -> list[dict[str, Any]]:
        """One row per fee line, in claim order (the columns of :data:`LINE_COLUMNS`): what it
        cost, what the public payers paid, what counted, what the product pays, what it
        excludes, under which responsibilities (ids, ``;``-joined) and for which reasons
        (labels in ``lang``, ``;``-joined)."""
        return [{"encounter_id": line.encounter_id, "number": line.number, "feedetl_sn": line.feedetl_sn,
                 "code": line.code, "name": line.name, "amount": line.amount, "public_paid": line.public_paid,
                 "eligible": line.eligible, "payable": line.payable, "excluded": line.excluded,
                 "responsibilities": ";".join(line.responsibilities),
                 "reasons": ";".join(label(x, lang) for x in line.reasons)} for line in self.lines]

    def portion_rows(self, lang: str = "zh") -> list[dict[str, Any]]:
        """One row per owed portion of a fee line (the columns of :data:`PORTION_COLUMNS`):
        the responsibility that took it, its deductible, the exact amount at the ratios
        (``raw``), rounded, payable, and what was excluded and why."""
        return [{"encounter_id": line.encounter_id, "number": line.number, "code": line.code, "name": line.name,
                 "part": p.part, "amount": p.amount, "responsibility": p.responsibility, "eligible": p.eligible,
                 "deductible": p.deductible, "raw": p.raw, "rounded": p.rounded, "payable": p.payable,
                 "excluded": p.excluded, "reasons": ";".join(label(e.reason, lang) for e in p.exclusions)}
                for line in self.lines for p in line.portions]

    def to_frame(self, lang: str = "zh") -> Any:
        """The fee lines as a pandas DataFrame (:meth:`line_rows`), amounts exact Decimals.
        Needs pandas (the ``scenarios`` extra), imported only here."""
        import pandas as pd

        return pd.DataFrame(self.line_rows(lang), columns=list(LINE_COLUMNS))

    @exact
    def by_bucket(self) -> dict[str, tuple[Decimal, Decimal]]:
        """bucket -> (eligible, payable) summed over its responsibilities."""
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for r in self.responsibilities:
            e, p = out.get(r.bucket, (ZERO, ZERO))
            out[r.bucket] = (e + r.eligible, p + r.payable)
        return out

    def __repr__(self) -> str:
        return f"Adjudication(claim_id={self.claim_id!r}, product_id={self.product_id!r}, payable={self.payable})"
