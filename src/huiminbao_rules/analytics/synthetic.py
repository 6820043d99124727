"""Synthetic populations: a seeded, reproducible city-year of insured people and their
claims, as a :class:`~huiminbao_rules.analytics.population.Population`, for when real claims data
cannot be shared.

Needs the ``scenarios`` extra (numpy, pandas). The one entry point::

    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.synthetic import SyntheticParams, population

    pop = population(get_product("hangzhou-2022"), SyntheticParams(insured=50_000), seed=7)

Everything is drawn with numpy, column by column (no Python loop over people, claims,
encounters or fee lines), so a million claims of thirty lines each build in seconds. Money
is int64 fen from the start; every encounter satisfies every settlement identity of
:mod:`huiminbao_rules.claims.identities` by construction (each settlement total is split over its
lines exactly, in integers). The same seed and parameters give identical tables with the
same numpy version.

The defaults are order-of-magnitude choices, explained field by field in
:class:`SyntheticParams` and in ``docs/synthetic.md``: they are NOT fitted to any real
claims data and are not suitable for pricing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from huiminbao_rules.claims.models import Settlement
from huiminbao_rules.analytics.population import ENCOUNTER_MONEY, LINE_MONEY, Population
from huiminbao_rules.rules.product import Product
from huiminbao_rules.analytics.progress import bar

__all__ = ["KINDS", "ByKind", "Lognormal", "SyntheticParams", "population"]

T = TypeVar("T")

KINDS = ("inpatient", "outpatient_special", "outpatient", "pharmacy")
"""Encounter kinds, in the order of :class:`ByKind` and of the ``kind`` categories."""
_INPATIENT, _SPECIAL, _OUTPATIENT, _PHARMACY = range(4)


# ---- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ByKind(Generic[T]):
    """One value per encounter kind (see :data:`KINDS`)."""

    inpatient: T
    outpatient_special: T
    outpatient: T
    pharmacy: T

    def values(self) -> tuple[T, T, T, T]:
        """The four values in :data:`KINDS` order."""
        return (self.inpatient, self.outpatient_special, self.outpatient, self.pharmacy)


@dataclass(frozen=True)
class Lognormal:
    """An amount in yuan, lognormal: half the draws fall below ``median`` (= e^mu), ``sigma``
    is the standard deviation of its logarithm, and a draw above ``max`` is cut to ``max``.

    >>> round(Lognormal(1000, 1.0).mean)
    1649
    """

    median: float
    sigma: float
    max: float | None = None

    def __post_init__(self) -> None:
        if not self.median > 0:
            raise ValueError(f"Lognormal median must be > 0, got {self.median}")
        if not self.sigma >= 0:
            raise ValueError(f"Lognormal sigma must be >= 0, got {self.sigma}")
        if self.max is not None and not self.max >= self.median:
            raise ValueError(f"Lognormal max {self.max} is below its median {self.median}")

    @property
    def mean(self) -> float:
        """The mean before the cut at ``max``: median × e^(sigma²/2)."""
        return self.median * math.exp(self.sigma**2 / 2)


@dataclass(frozen=True)
class SyntheticParams:
    """Every distribution of the generator. Each field's default and what it is based on is
    given in its docstring (and in ``docs/synthetic.md``). "Assumption" means no published
    figure was used: the value is a round, plausible choice. None of the defaults is fitted
    to real claims data.

    Change fields with :func:`dataclasses.replace` or the constructor; :meth:`sized` sets
    the population size and the fee lines per claim together.
    """

    # -- who is insured, and who claims --------------------------------------------------
    insured: int = 100_000
    """Number of insured people (all of them are in the ``insured`` table). Default 100,000:
    a convenient size (real cities: Hangzhou 4.7 million enrolled in 2021)."""

    claim_share: float = 0.08
    """Share of the insured with at least one claim in the year (a claim paid nothing
    included). Default 0.08: chosen, with the amounts below, so that under the Hangzhou 2021
    product about 1% of the insured are paid something, the order of the published 56,000
    people paid of 4.7 million enrolled (1.2%) by the end of November 2021."""

    claims_per_claimant: float = 3.0
    """Mean claims per claimant (at least 1, geometric, so a few people claim many times).
    Default 3.0: an assumption, leaning on Hangzhou's 400,000 payments to 56,000 people by
    November 2021 (about 7 each): those who are paid claim often."""

    age_mean: float = 45.0
    """Mean age of the insured at the start of the period (normal, cut to 1–95). Default 45:
    an assumption (no age profile of enrollees was found)."""

    age_sd: float = 20.0
    """Standard deviation of the age. Default 20: an assumption."""

    age_claim_factor: float = 1.3
    """How much more likely a person ten years older is to claim. Default 1.3: an assumption."""

    employee_share: float = 0.4
    """Share of adults (18 and over) on the employee scheme (职工医保); children are always on
    the resident scheme. Default 0.4: an assumption (cities differ widely)."""

    pre_existing_share: float = 0.10
    """Share of the insured who declare a pre-existing condition (既往症). Default 0.10: an
    assumption. The condition is one of the product's own (``pre_existing.conditions``), or,
    for a product that names none, one of five generic ones."""

    pre_existing_claim_factor: float = 4.0
    """How much more likely a person with a pre-existing condition is to claim. Default 4: an
    assumption (chronic and serious conditions bring repeated treatment)."""

    related_diagnosis_share: float = 0.7
    """Share of a pre-existing person's encounters whose main diagnosis is their condition.
    Default 0.7: an assumption."""

    group_share: float = 0.03
    """Share of the insured in a special group (特殊人群). Default 0.03: an assumption of the
    order of the share of the population on minimum living allowance (低保)."""

    groups: tuple[str, ...] | None = None
    """The special groups drawn from (uniformly). Default None: the groups the product's
    conditions and premium subsidies name, or ``("minimum_living",)`` if it names none."""

    prior_year_share: float = 0.7
    """Chance that a person was enrolled in the year before (and, given that, in the one
    before that, and so on, back to the product's first year or ``max_prior_years``).
    Default 0.7: an assumption (renewal rates were not found)."""

    max_prior_years: int = 3
    """At most this many earlier years in a person's history (a product whose first year is
    unknown also gets up to this many). Default 3: an assumption."""

    prior_paid_share: float = 0.03
    """Chance that a person enrolled the year before was paid something that year (their
    history says ``paid = 1000.00``, a nominal figure). Default 0.03: an assumption of the
    order of the share paid (see ``claim_share``)."""

    # -- encounters ----------------------------------------------------------------------
    encounters_per_claim: float = 1.3
    """Mean encounters per claim (one plus a Poisson number). Default 1.3: an assumption."""

    kind_mix: ByKind[float] = ByKind(0.50, 0.25, 0.15, 0.10)
    """Relative frequency of the encounter kinds. The pharmacy weight is the special-drug
    use: each pharmacy encounter is a special-drug purchase at a designated pharmacy.
    Default 50% inpatient, 25% specified-disease outpatient, 15% outpatient, 10% pharmacy:
    an assumption (惠民保 pays mostly on stays and 门慢特)."""

    stay_days_mean: float = 9.0
    """Mean length of an inpatient stay in days (Poisson, longer for costlier stays).
    Default 9: an assumption of the order of Chinese hospitals' average stay."""

    not_settled_share: float = 0.02
    """Share of hospital encounters not settled through the city's basic insurance (the
    public payers paid nothing on them). Default 0.02: an assumption."""

    # -- fee lines -----------------------------------------------------------------------
    lines_per_encounter: ByKind[float] = ByKind(40.0, 12.0, 6.0, 1.5)
    """Mean fee lines per encounter, by kind (one plus a Poisson number, more for costlier
    encounters). Default 40 / 12 / 6 / 1.5, about 31 lines per claim with the other defaults:
    an assumption (no published figure); :meth:`sized` sets the lines per claim."""

    level_mix: tuple[float, float, float] = (0.5, 0.3, 0.2)
    """Relative frequency of hospital fee lines by catalogue class 甲 (01), 乙 (02), 丙 (03).
    Default 0.5 / 0.3 / 0.2: an assumption."""

    line_sigma: float = 1.0
    """Spread (sigma of the log) of line sizes within an encounter. Default 1.0: an
    assumption (a few large lines, many small ones)."""

    # -- amounts (yuan, per encounter) ---------------------------------------------------
    copay: ByKind[Lognormal | None] = ByKind(
        Lognormal(2500, 0.9, 1_500_000), Lognormal(750, 0.9, 500_000), Lognormal(100, 0.9, 20_000), None)
    """The in-scope co-pay left to the person after the public payers (起付线, co-payment,
    above the caps: ``inscp_scp_amt`` less the public payers), per encounter. Default medians
    2,500 / 750 / 100 yuan (inpatient / specified-disease outpatient / outpatient; none at
    pharmacies: must be None), sigma 0.9: an assumption, scaled with ``claim_share`` so that the
    share of the insured paid and the benefit per enrollee come out of the order of the
    published Hangzhou 2021 figures."""

    preselfpay: ByKind[Lognormal | None] = ByKind(
        Lognormal(500, 1.2, 300_000), Lognormal(150, 1.2, 100_000), Lognormal(20, 1.0, 5_000), None)
    """乙类 先行自付 (``preselfpay_amt``) per encounter. Default medians 500 / 150 / 20 yuan,
    sigma 1.2 / 1.2 / 1.0 (none at pharmacies: must be None): an assumption."""

    fulamt: ByKind[Lognormal | None] = ByKind(
        Lognormal(1200, 1.5, 2_000_000), Lognormal(250, 1.5, 500_000), Lognormal(60, 1.2, 20_000), None)
    """全自费 out-of-list amounts (``fulamt_ownpay_amt``) per hospital encounter, heavy-tailed
    (self-paid targeted drugs and materials). Default medians 1,200 / 250 / 60 yuan, sigma
    1.5 / 1.5 / 1.2 (none at pharmacies: must be None; see ``special_drug``): an assumption."""

    special_drug: Lognormal = Lognormal(12_000, 0.9, 600_000)
    """A special-drug purchase at a pharmacy (wholly self-paid, 丙类). Default median 12,000
    yuan, sigma 0.9: an assumption of the order of a month of an out-of-list cancer drug."""

    overlmt_share: float = 0.05
    """Share of hospital encounters with an amount above a price ceiling (超限价). Default
    0.05: an assumption."""

    overlmt: Lognormal = Lognormal(300, 1.0, 100_000)
    """That amount (``overlmt_selfpay``), on one in-list line. Default median 300 yuan: an
    assumption."""

    amount_correlation: float = 0.6
    """Correlation of the logarithms of an encounter's amounts (co-pay, 先行自付, 全自费, and the
    stay's length and line count): a costly stay is costly in every bucket. Default 0.6: an
    assumption."""

    public_share_employee: float = 0.80
    """Mean share of the in-scope amount the public payers pay for the employee scheme.
    Default 0.80: an assumption of the order of employee-scheme inpatient reimbursement."""

    public_share_resident: float = 0.65
    """The same for the resident scheme. Default 0.65: an assumption."""

    public_share_spread: float = 0.10
    """Each encounter's share is uniform within ± this of its scheme's mean (cut to 0–0.95).
    Default 0.10: an assumption."""

    other_insurance_share: float = 0.03
    """Share of claims on which another insurer or charity aid already paid. Default 0.03:
    an assumption."""

    other_insurance_fraction: tuple[float, float] = (0.1, 0.6)
    """What it paid, as a fraction of what the person owed after the public payers (uniform
    between the two). Default 0.1–0.6: an assumption."""

    # -- named lists ---------------------------------------------------------------------
    listed_share: float = 0.05
    """For a product with named lists: chance that a pharmacy purchase or a stay's self-paid
    drugs are a drug on the product's drug lists, that a stay has a line named on an item list,
    and that a hospital encounter is at an institution on an institution list. Default 0.05:
    an assumption."""

    on_indication_share: float = 0.9
    """Chance that an encounter with a listed drug that has indications is diagnosed with one
    of them. Default 0.9: an assumption."""

    # -- how the tables hold it -----------------------------------------------------------
    line_amounts: str = "int64"
    """The type of the fee lines' four amount columns (fen): ``"int64"``, or ``"int32"``
    (half the memory of the largest columns: 16 bytes less a line; the columnar engine reads
    them as they are). With ``"int32"`` the build refuses a line of ¥21,474,836.48 or
    more. A sum over many lines needs int64: Polars sums an Int32 column in Int32 and
    wraps past that figure (pandas and numpy sum it in int64). Default ``"int64"``."""

    def __post_init__(self) -> None:
        problems = []
        if self.insured < 0:
            problems.append("insured must be >= 0")
        if self.line_amounts not in ("int64", "int32"):
            problems.append(f"line_amounts must be 'int64' or 'int32', got {self.line_amounts!r}")
        for f in ("claim_share", "pre_existing_share", "related_diagnosis_share", "group_share", "prior_year_share",
                  "prior_paid_share", "not_settled_share", "overlmt_share", "amount_correlation",
                  "other_insurance_share", "listed_share", "on_indication_share"):
            if not 0 <= getattr(self, f) <= 1:
                problems.append(f"{f} must be between 0 and 1, got {getattr(self, f)}")
        for f in ("public_share_employee", "public_share_resident", "public_share_spread"):
            if not 0 <= getattr(self, f) < 1:
                problems.append(f"{f} must be in [0, 1), got {getattr(self, f)}")
        for f in ("claims_per_claimant", "encounters_per_claim"):
            if not getattr(self, f) >= 1:
                problems.append(f"{f} is a mean count and must be >= 1, got {getattr(self, f)}")
        if any(not v >= 1 for v in self.lines_per_encounter.values()):
            problems.append("lines_per_encounter must be >= 1 for every kind")
        for f in ("kind_mix", "level_mix"):
            vals = getattr(self, f).values() if f == "kind_mix" else getattr(self, f)
            if any(v < 0 for v in vals) or sum(vals) <= 0:
                problems.append(f"{f} weights must be >= 0 with a positive sum")
        for f in ("age_claim_factor", "pre_existing_claim_factor"):
            if not getattr(self, f) > 0:
                problems.append(f"{f} must be > 0")
        if self.age_sd < 0 or self.stay_days_mean < 0 or self.line_sigma < 0 or self.max_prior_years < 0:
            problems.append("age_sd, stay_days_mean, line_sigma and max_prior_years must be >= 0")
        lo, hi = self.other_insurance_fraction
        if not 0 <= lo <= hi <= 1:
            problems.append("other_insurance_fraction must be (low, high) with 0 <= low <= high <= 1")
        for f in ("copay", "preselfpay", "fulamt"):
            if getattr(self, f).pharmacy is not None:
                problems.append(f"{f}.pharmacy must be None: a pharmacy purchase is a special drug (see special_drug)")
        if self.groups is not None and not all(isinstance(g, str) and g for g in self.groups):
            problems.append("groups must be non-empty identifiers")
        if problems:
            raise ValueError("invalid SyntheticParams: " + "; ".join(problems))

    def expected_claims(self) -> float:
        """About how many claims :func:`population` makes with these parameters."""
        return self.insured * self.claim_share * self.claims_per_claimant

    def expected_lines_per_claim(self) -> float:
        """About how many fee lines a claim has on average."""
        mix = np.array(self.kind_mix.values(), dtype=float)
        lines = np.array(self.lines_per_encounter.values(), dtype=float)
        return float(self.encounters_per_claim * (mix * lines).sum() / mix.sum())

    def sized(self, *, claims: int | None = None, lines_per_claim: float | None = None) -> SyntheticParams:
        """These parameters with ``insured`` set for about ``claims`` claims and the lines per
        encounter scaled (every kind alike, at least one) for about ``lines_per_claim`` lines
        per claim.

        >>> p = SyntheticParams().sized(claims=1_000_000, lines_per_claim=30)
        >>> round(p.expected_claims(), -3), round(p.expected_lines_per_claim(), 1)
        (1000000.0, 30.0)
        """
        p = self
        if claims is not None:
            if self.claim_share * self.claims_per_claimant <= 0:
                raise ValueError("claim_share is 0: no size of population gives claims")
            p = replace(p, insured=max(1, round(claims / (self.claim_share * self.claims_per_claimant))))
        if lines_per_claim is not None:
            if lines_per_claim < self.encounters_per_claim:
                raise ValueError(f"lines_per_claim {lines_per_claim} is below encounters_per_claim "
                                 f"{self.encounters_per_claim} (every encounter has a line)")
            base = np.array(self.lines_per_encounter.values(), dtype=float)
            scale = lines_per_claim / p.expected_lines_per_claim()
            for _ in range(50):  # kinds held at one line make the scale inexact; a few rounds settle it
                lines = np.maximum(1.0, base * scale)
                got = replace(p, lines_per_encounter=ByKind(*map(float, lines))).expected_lines_per_claim()
                if abs(got - lines_per_claim) < 1e-9:
                    break
                scale *= lines_per_claim / got
            p = replace(p, lines_per_encounter=ByKind(*map(float, np.maximum(1.0, base * scale))))
        return p


# ---- vocabularies -------------------------------------------------------------------------

# Fee types (national 医疗收费项目类别) and their relative frequency among the lines of an
# inpatient, a specified-disease outpatient and an ordinary outpatient encounter (assumption).
_FEE_TYPES: dict[str, tuple[str, tuple[float, float, float]]] = {
    "01": ("床位费", (0.06, 0.00, 0.00)),
    "02": ("诊察费", (0.02, 0.05, 0.10)),
    "03": ("检查费", (0.08, 0.10, 0.10)),
    "04": ("化验费", (0.15, 0.20, 0.20)),
    "05": ("治疗费", (0.12, 0.15, 0.05)),
    "06": ("手术费", (0.03, 0.00, 0.00)),
    "07": ("护理费", (0.06, 0.00, 0.00)),
    "08": ("卫生材料费", (0.10, 0.05, 0.02)),
    "09": ("西药费", (0.30, 0.35, 0.35)),
    "10": ("中药饮片费", (0.02, 0.03, 0.03)),
    "11": ("中成药费", (0.04, 0.07, 0.08)),
    "12": ("一般诊疗费", (0.00, 0.00, 0.04)),
    "13": ("挂号费", (0.00, 0.00, 0.03)),
    "14": ("其他费", (0.02, 0.00, 0.00)),
}
_DRUG_TYPES = ("09", "10", "11")
_LEVELS = ("01", "02", "03")
_LEVEL_ZH = ("甲类", "乙类", "丙类")
_PER_COMBINATION = 4  # catalogue entries per (fee type, class): a small vocabulary, so look-ups repeat
_PHARMACY_DRUGS = 12

# Main diagnoses (ICD-10) by encounter kind, relative weights (an assumption: a plausible mix).
_DIAGNOSES: dict[int, dict[str, float]] = {
    _INPATIENT: {"J18.9": 8, "I63.9": 8, "I25.1": 6, "I21.9": 2, "I50.9": 3, "C34.9": 4, "C16.9": 2, "C18.9": 2,
                 "C22.0": 2, "C50.9": 2, "Z51.1": 4, "K80.1": 4, "K35.8": 3, "S72.0": 3, "M17.9": 3, "N18.5": 2,
                 "E11.9": 4, "I10": 4, "J44.1": 4, "O80": 5, "K92.2": 2, "N20.0": 3, "H25.9": 5, "J20.9": 3,
                 "A09": 2},
    _SPECIAL: {"N18.5": 12, "Z49.1": 5, "C34.9": 6, "C50.9": 5, "C16.9": 3, "C18.9": 3, "C22.0": 3, "E11.9": 15,
               "I10": 15, "I25.1": 6, "F20.9": 5, "I63.9": 5, "J44.1": 5, "Z94.0": 2, "D61.9": 1},
    _OUTPATIENT: {"J06.9": 20, "K29.7": 10, "I10": 15, "E11.9": 10, "M54.5": 10, "J20.9": 10, "L30.9": 5,
                  "H10.9": 5, "N39.0": 5, "K59.0": 5, "R51": 5},
    _PHARMACY: {"C34.9": 30, "C50.9": 15, "C16.9": 10, "C18.9": 10, "C22.0": 10, "C90.0": 5, "C61": 5, "C85.9": 5,
                "C92.0": 5, "E75.2": 5},
}
_COMORBIDITIES = ("I10", "E11.9", "I25.1", "E78.5", "K21.0", "N18.9", "J44.9", "I48.9")
_COMORBIDITY_SHARE = 0.4

# Pre-existing conditions for a product that names none (ids chosen by this module).
_GENERIC_CONDITIONS = (
    ("malignant_tumor", ("C",)),
    ("chronic_kidney_disease", ("N18",)),
    ("coronary_heart_disease", ("I25",)),
    ("diabetes", ("E10", "E11")),
    ("copd", ("J44",)),
)

_HOSPITALS = ("市第一人民医院", "市第二人民医院", "市中医院", "市中心医院", "医科大学附属第一医院",
              "医科大学附属第二医院", "市肿瘤医院", "市妇幼保健院", "市城区人民医院", "市社区卫生服务中心")
_HOSPITAL_WEIGHTS = np.array([
    (3, 2, 2, 3, 3, 2, 1, 1, 2, 0.5),   # inpatient
    (3, 2, 2, 3, 3, 2, 2, 1, 2, 2),     # specified-disease outpatient
    (2, 2, 2, 1, 1, 1, 0.5, 1, 3, 6),   # outpatient
], dtype=float)
_PHARMACIES = 5

_NOMINAL_PAID = "1000.00"  # what a history year with a payment records
_CRITICAL_ILLNESS_FROM = 5_000_000  # fen: in-scope amount of a stay above which 大病/大额 pays part
_CRITICAL_ILLNESS_PART = 0.25
_ASSISTANCE_PART = 0.10  # 医疗救助's part of the public payment for a special-group member


def _icd_for(prefix: str, known: list[str]) -> list[str]:
    """ICD-10 codes for a prefix: those of ``known`` that start with it, else the prefix made
    into a code ("C" -> "C00.9", "N18" -> "N18.9")."""
    hits = [c for c in known if c.startswith(prefix)]
    if hits:
        return hits
    head, _, tail = prefix.partition(".")
    head = head + "0" * (3 - len(head))
    return [f"{head}.{tail or '9'}"]


@dataclass
class _Vocab:
    """The product-dependent vocabularies, built once per call (small Python lists)."""

    product: Product
    params: SyntheticParams
    # fee-line catalogue entries
    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    n_base: int = 0
    listed_drugs: list[int] = field(default_factory=list)   # entry index of each listed drug
    listed_drug_dx: list[list[int]] = field(default_factory=list)  # its indication codes (icd index)
    listed_items: list[int] = field(default_factory=list)
    listed_institutions: list[str] = field(default_factory=list)
    # diagnoses
    icd: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    condition_dx: list[list[int]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for type_code, (type_zh, _) in _FEE_TYPES.items():
            for lv in range(3):
                for i in range(1, _PER_COMBINATION + 1):
                    self._entry(f"S{type_code}{_LEVELS[lv]}{i:02d}", f"{type_zh}({_LEVEL_ZH[lv]}){i:02d}", lv, type_code)
        for i in range(1, _PHARMACY_DRUGS + 1):
            self._entry(f"S09P{i:02d}", f"特药(丙类){i:02d}", 2, "09")
        self.n_base = len(self.codes)

        for diag in _DIAGNOSES.values():
            for code in diag:
                self._icd(code)
        for code in _COMORBIDITIES:
            self._icd(code)

        for lst in self.product.lists.values():
            for item in lst.items:
                code = item.codes[0] if item.codes else ""
                code = code[:-1] + "01" if code.endswith("*") else code
                if lst.kind == "institutions":
                    self.listed_institutions.append(item.name)
                elif lst.kind == "drugs":
                    self.listed_drugs.append(self._entry(code, item.name, 2, "09"))
                    dx = [c for p in item.indications for c in _icd_for(p, self.icd)]
                    self.listed_drug_dx.append([self._icd(c) for c in dx])
                else:
                    self.listed_items.append(self._entry(code, item.name, -1, ""))

        defined = [(c.id, c.icd10) for c in self.product.pre_existing.conditions]
        for cid, prefixes in defined or _GENERIC_CONDITIONS:
            known = list(self.icd)
            dx = [c for p in prefixes for c in _icd_for(p, known)] or ["R69"]
            self.conditions.append(cid)
            self.condition_dx.append([self._icd(c) for c in dict.fromkeys(dx)])

        if self.params.groups is not None:
            self.groups = list(self.params.groups)
        else:
            events = {s.group for s in self.product.enrollment.special_cases}
            named: dict[str, None] = {}
            for r in self.product.responsibilities:
                for v in (*r.deductible, *r.ratio):
                    for g in v.when.groups_any or ():
                        named[g] = None
            for pool in self.product.deductible_pools:
                for v in pool.deductible:
                    for g in v.when.groups_any or ():
                        named[g] = None
            for s in self.product.enrollment.subsidies:
                for g in s.groups:
                    named[g] = None
            self.groups = [g for g in named if g not in events] or ["minimum_living"]

    def _entry(self, code: str, name: str, level: int, fee_type: str) -> int:
        self.codes.append(code)
        self.names.append(name)
        self.levels.append(level)
        self.types.append(fee_type)
        return len(self.codes) - 1

    def _icd(self, code: str) -> int:
        if code in self.icd:
            return self.icd.index(code)
        self.icd.append(code)
        return len(self.icd) - 1

    def line_cdf(self) -> np.ndarray:
        """Concatenated per-kind CDFs over the base entries, kind k's offset by k (see _pick)."""
        lv = np.array(self.levels[: self.n_base])
        level_mix = np.array(self.params.level_mix, dtype=float)
        out = []
        for k in range(4):
            w = np.zeros(self.n_base)
            if k == _PHARMACY:
                w[-_PHARMACY_DRUGS:] = 1.0
            else:
                ty = np.array([_FEE_TYPES[t][1][k] for t in self.types[: self.n_base]])
                w[: self.n_base - _PHARMACY_DRUGS] = (ty * level_mix[lv])[: self.n_base - _PHARMACY_DRUGS]
            out.append(_cdf(w) + k)
        return np.concatenate(out)

    def diagnosis_cdf(self) -> np.ndarray:
        out = []
        for k in range(4):
            w = np.zeros(len(self.icd))
            for code, weight in _DIAGNOSES[k].items():
                w[self.icd.index(code)] = weight
            out.append(_cdf(w) + k)
        return np.concatenate(out)


def _cdf(weights: np.ndarray) -> np.ndarray:
    c = np.cumsum(weights / weights.sum())
    c[c > 1.0] = 1.0
    c[np.flatnonzero(weights)[-1]:] = 1.0  # exactly 1 at the last drawable entry
    return c


_CHUNK = 1 << 21
"""Rows drawn or split per step where a population's temporaries would otherwise be the
size of its fee lines (the draws are the same: a stream read in steps reads the same numbers)."""


def _pick(rng: np.random.Generator, cdf: np.ndarray, group: np.ndarray, width: int,
          dtype: Any = np.int64) -> np.ndarray:
    """For each row, an entry index drawn from its group's CDF (``cdf`` holds one CDF per
    group, each of ``width`` entries, group g offset by g so the whole is sorted)."""
    out = np.empty(len(group), dtype)
    for lo in range(0, len(group), _CHUNK):
        g = group[lo:lo + _CHUNK]
        u = rng.random(len(g))
        u += g
        out[lo:lo + len(g)] = np.searchsorted(cdf, u, side="right") - g.astype(np.int64) * width
    return out


# ---- building blocks ----------------------------------------------------------------------


def _ids(prefix: str, index: np.ndarray, n: int) -> pd.Series:
    """Ids like "P00042" for rows ``index`` of ``n``: zero-padded to a width fixed by ``n``,
    built column-wise (pandas ``str``)."""
    width = max(5, len(str(max(n - 1, 0))))
    value = np.array(index, dtype=np.int64)
    size = len(prefix) + width
    text = np.empty((len(value), size), dtype=np.uint8)  # the ids' UTF-8 bytes, one row each
    text[:, :len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    for k in range(size - 1, len(prefix) - 1, -1):
        text[:, k] = 48 + value % 10
        value //= 10
    offsets = np.arange(0, (len(text) + 1) * size, size, dtype=np.int64)
    return pd.Series(pa.LargeStringArray.from_buffers(len(text), pa.py_buffer(offsets), pa.py_buffer(text)),
                     dtype="str")


def _starts(counts: np.ndarray) -> np.ndarray:
    """Index of each group's first row, for rows laid out group by group."""
    s = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=s[1:])
    return s


def _first_of_group(rows: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """The first of ``rows`` (sorted row numbers) in each group that has one.

    >>> _first_of_group(np.array([1, 2, 4, 5]), np.array([0, 0, 0, 1, 1, 2]))
    array([1, 4, 5])
    """
    groups = owner[rows]
    keep = np.ones(len(rows), dtype=bool)
    keep[1:] = groups[1:] != groups[:-1]
    return rows[keep]


def _allocate(totals: np.ndarray, weights: np.ndarray, owner: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Split each group's total (int64 fen) over its rows in proportion to integer weights,
    exactly: the parts are integers >= 0 that add up to the total, rows of weight 0 get 0, and
    when the total allows it every row of positive weight gets at least one fen.

    Rows are laid out group by group (``owner`` non-decreasing, ``starts`` the first row of
    each group; every group has a row). A group whose weights are all 0 must have total 0.

    >>> _allocate(np.array([1000, 7]), np.array([1, 1, 2, 0, 5]), np.array([0, 0, 0, 1, 1]), np.array([0, 3]))
    array([250, 250, 500,   0,   7])
    """
    if len(totals) == 0:
        return np.zeros(len(weights), dtype=np.int64)
    n = len(weights)
    if n <= _CHUNK:
        return _allocate_block(totals, weights, owner, starts)
    # groups in blocks of about _CHUNK rows (the split of a group depends on it alone)
    cuts = np.unique(np.concatenate(([0], np.searchsorted(starts, np.arange(_CHUNK, n, _CHUNK)), [len(starts)])))
    out = np.empty(n, dtype=np.int64)
    for g0, g1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        l0, l1 = int(starts[g0]), (int(starts[g1]) if g1 < len(starts) else n)
        out[l0:l1] = _allocate_block(totals[g0:g1], weights[l0:l1], owner[l0:l1] - g0, starts[g0:g1] - l0)
    return out


def _allocate_block(totals: np.ndarray, weights: np.ndarray, owner: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """:func:`_allocate` for groups whose rows are all of ``weights``."""
    eligible = weights > 0
    cum = np.cumsum(weights, dtype=np.int64)
    before = cum[starts] - weights[starts]
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1:] = len(weights) - 1
    wsum = cum[ends] - before
    count = np.add.reduceat(eligible.astype(np.int64), starts)
    floor = (totals >= count) & (count > 0)
    rest = totals - np.where(floor, count, 0)
    if len(rest) and int(rest.max()) * max(int(wsum.max()), 1) >= 2**62:
        raise ValueError("amounts too large to split exactly in int64; lower the Lognormal max values")
    cum -= before[owner]  # cumulative weight within the group
    bounds = rest[owner]
    bounds *= cum
    del cum
    bounds //= np.maximum(wsum, 1)[owner]
    out = np.diff(bounds, prepend=np.int64(0))
    out[starts] = bounds[starts]
    del bounds
    out += floor[owner] & eligible
    return out


def _lognormal(rng: np.random.Generator, dists: tuple[Lognormal | None, ...], kind: np.ndarray,
               shared: np.ndarray, rho: float) -> np.ndarray:
    """One amount in fen per row from its kind's distribution (0 where the kind has none); the
    log is correlated ``rho`` with ``shared`` (a standard normal per row)."""
    median = np.array([d.median if d else 0.0 for d in dists])
    sigma = np.array([d.sigma if d else 0.0 for d in dists])
    cap = np.array([(d.max if d and d.max is not None else np.inf) for d in dists])
    z = rho * shared + math.sqrt(1 - rho * rho) * rng.standard_normal(len(kind))
    yuan = np.minimum(median[kind] * np.exp(sigma[kind] * z), cap[kind])
    return np.rint(yuan * 100).astype(np.int64)


def _day_array(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def _categorical(codes: np.ndarray, categories: list[str] | pd.Index) -> pd.Categorical:
    cats = categories if isinstance(categories, pd.Index) else pd.Index(categories, dtype="str")
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats))


def _factorized(values: list[str], index: np.ndarray) -> pd.Categorical:
    """A categorical of ``values[index]`` (values may repeat: they are merged)."""
    uniq = list(dict.fromkeys(values))
    where = {v: i for i, v in enumerate(uniq)}
    remap = np.array([where[v] for v in values], dtype=_code_dtype(len(uniq)))
    return _categorical(remap[index], uniq)


def _code_dtype(n_categories: int) -> Any:
    """The integer type pandas keeps a categorical's codes in, for so many categories (codes
    made in it are not copied again)."""
    for t in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(t).max:
            return t
    return np.int64


# ---- the generator ------------------------------------------------------------------------

PROGRESS_MIN_INSURED = 500_000
"""With ``progress=None``, generating at least this many people shows a progress bar (on a terminal)."""
_STAGES = ("people", "claimants and claims", "encounters", "amounts per encounter", "fee lines",
           "other insurance per claim", "diagnoses", "institutions", "tables")


@dataclass(frozen=True)
class _Streams:
    """The generator's six random streams, one per subject, spawned from the seed (a stage
    draws from its own stream, so a change in one subject does not move the others)."""

    people: np.random.Generator
    claims: np.random.Generator
    enc: np.random.Generator
    amount: np.random.Generator
    lines: np.random.Generator
    lists: np.random.Generator

    @classmethod
    def of(cls, seed: int) -> _Streams:
        return cls(*(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)))


@dataclass
class _People:
    """One row per insured person (arrays of length ``n``)."""

    n: int
    age: np.ndarray
    birth: np.ndarray
    employee: np.ndarray
    pre: np.ndarray
    condition: np.ndarray
    in_group: np.ndarray
    group: np.ndarray
    histories: list[str]  # the distinct history texts
    history: np.ndarray  # each person's index into histories
    enrolled: np.ndarray


@dataclass
class _Encounters:
    """One row per encounter (arrays of length ``n``), with the claim each belongs to."""

    n: int
    claim: np.ndarray
    per_claim: np.ndarray
    starts: np.ndarray  # the first encounter of each claim
    no: np.ndarray  # 1, 2, … within the claim
    person: np.ndarray
    kind: np.ndarray
    severity: np.ndarray
    lift: np.ndarray | None  # mean 1: costlier encounters last longer, have more lines
    admitted: np.ndarray
    discharged: np.ndarray
    service: np.ndarray
    settled: np.ndarray

    @property
    def hospital(self) -> np.ndarray:
        return self.kind != _PHARMACY

    @property
    def inpatient(self) -> np.ndarray:
        return self.kind == _INPATIENT


@dataclass
class _Amounts:
    """Each encounter's amounts by class before they are split over its lines (int64 fen),
    and the basic scheme's share of the in-scope amount."""

    copay: np.ndarray
    presp: np.ndarray
    fulamt: np.ndarray
    over: np.ndarray
    share: np.ndarray


@dataclass
class _Lines:
    """One row per fee line (arrays of length ``n``)."""

    n: int
    enc: np.ndarray  # the encounter of each line
    starts: np.ndarray  # the first line of each encounter
    no: np.ndarray  # 1, 2, … within the encounter
    entry: np.ndarray  # the vocabulary entry (code, name, class, fee type)
    level: np.ndarray
    type: np.ndarray
    weight: np.ndarray  # relative size of the line within its class and encounter


def _prior_years(product: Product, p: SyntheticParams, r: np.random.Generator, n: int) -> tuple[int, np.ndarray]:
    """The most prior years anyone can have, and each person's run of enrolled years before this one."""
    if product.first_year is not None:
        max_prior = min(p.max_prior_years, max(product.policy_year - product.first_year, 0))
    else:
        max_prior = p.max_prior_years
    prior = np.zeros(n, dtype=np.int64)
    if max_prior and p.prior_year_share > 0:
        if p.prior_year_share >= 1:
            prior[:] = max_prior
        else:  # years in a row before this one, each kept with prior_year_share
            prior = np.minimum(r.geometric(1 - p.prior_year_share, n) - 1, max_prior)
    return max_prior, prior


def _histories(product: Product, max_prior: int) -> list[str]:
    """Every history a person can have, as JSON text: ``k`` enrolled years before this one,
    the last of them with a payment or not (index ``2k + paid``)."""
    histories = []
    for k in range(max_prior + 1):
        for paid in (False, True):
            years = [{"year": product.policy_year - j, "enrolled": True,
                      "paid": _NOMINAL_PAID if (paid and j == 1) else "0.00"} for j in range(k, 0, -1)]
            histories.append(json.dumps(years))
    return histories


def _enrolment_days(product: Product, start: np.datetime64) -> tuple[np.datetime64, int]:
    """The first day people enrol on and how many days they enrol over: the product's
    enrolment window before the period starts, else the 60 days before it."""
    window = product.enrollment.window
    lo, hi = start - 60, start - 1
    if window is not None:
        w_lo, w_hi = _day_array(window.start), min(_day_array(window.end), start - 1)
        if w_lo <= w_hi:
            lo, hi = w_lo, w_hi
    return lo, int((hi - lo).astype(np.int64)) + 1


def _people(product: Product, p: SyntheticParams, v: _Vocab, r: np.random.Generator,
            start: np.datetime64) -> _People:
    n = p.insured
    age = np.clip(np.rint(r.normal(p.age_mean, p.age_sd, n)), 1, 95).astype(np.int64)
    birth = start - (np.rint(age * 365.25).astype(np.int64) + r.integers(0, 365, n))
    employee = (age >= 18) & (r.random(n) < p.employee_share)
    pre = r.random(n) < p.pre_existing_share
    condition = r.integers(0, len(v.conditions), n)
    in_group = r.random(n) < p.group_share
    group = r.integers(0, len(v.groups), n)
    max_prior, prior = _prior_years(product, p, r, n)
    paid_before = (prior > 0) & (r.random(n) < p.prior_paid_share)
    lo, span = _enrolment_days(product, start)
    enrolled = np.maximum(lo + r.integers(0, span, n), birth)
    return _People(n=n, age=age, birth=birth, employee=employee, pre=pre, condition=condition, in_group=in_group,
                   group=group, histories=_histories(product, max_prior), history=prior * 2 + paid_before,
                   enrolled=enrolled)


def _claimants(p: SyntheticParams, people: _People, r: np.random.Generator) -> np.ndarray:
    """The person of each claim: who claims (older people and those with a pre-existing
    condition more often) and how many claims each makes."""
    weight = (p.age_claim_factor ** ((people.age - p.age_mean) / 10.0)
              * np.where(people.pre, p.pre_existing_claim_factor, 1.0))
    chance = np.minimum(1.0, p.claim_share * weight / weight.mean()) if people.n else weight
    claimant = r.random(people.n) < chance
    who = np.flatnonzero(claimant)
    per_person = r.geometric(1.0 / p.claims_per_claimant, len(who))
    return np.repeat(who, per_person)


def _encounters(p: SyntheticParams, claim_person: np.ndarray, r: np.random.Generator, start: np.datetime64,
                days: int) -> _Encounters:
    n_claims = len(claim_person)
    per_claim = 1 + r.poisson(p.encounters_per_claim - 1, n_claims)
    enc_claim = np.repeat(np.arange(n_claims, dtype=np.int64), per_claim)
    n_enc = len(enc_claim)
    enc_starts = _starts(per_claim)
    kind_cdf = _cdf(np.array(p.kind_mix.values(), dtype=float))
    kind = np.searchsorted(kind_cdf, r.random(n_enc), side="right").astype(np.int64)
    hospital = kind != _PHARMACY
    severity = r.standard_normal(n_enc)  # shared by an encounter's amounts, length and lines
    lift = np.exp(0.5 * severity - 0.125)
    stay = np.where(kind == _INPATIENT, r.poisson(p.stay_days_mean * lift), 0)
    stay = np.minimum(stay, days - 1)
    begin = start + (r.random(n_enc) * (days - stay)).astype(np.int64)
    nat = np.datetime64("NaT", "D")
    inpatient = kind == _INPATIENT
    return _Encounters(
        n=n_enc, claim=enc_claim, per_claim=per_claim, starts=enc_starts,
        no=np.arange(n_enc, dtype=np.int64) - enc_starts[enc_claim] + 1, person=claim_person[enc_claim],
        kind=kind, severity=severity, lift=lift, admitted=np.where(inpatient, begin, nat),
        discharged=np.where(inpatient, begin + stay, nat), service=np.where(inpatient, nat, begin),
        settled=~(hospital & (r.random(n_enc) < p.not_settled_share)))


def _amounts(p: SyntheticParams, people: _People, enc: _Encounters, r: np.random.Generator) -> _Amounts:
    rho = p.amount_correlation
    kind, severity = enc.kind, enc.severity
    copay = _lognormal(r, p.copay.values(), kind, severity, rho)
    presp = _lognormal(r, p.preselfpay.values(), kind, severity, rho)
    fulamt = _lognormal(r, (*p.fulamt.values()[:3], p.special_drug), kind, severity, rho)
    over = _lognormal(r, (p.overlmt,) * 3 + (None,), kind, severity, rho)
    over[~(enc.hospital & (r.random(enc.n) < p.overlmt_share))] = 0
    scheme_share = np.where(people.employee[enc.person], p.public_share_employee, p.public_share_resident)
    share = np.clip(scheme_share + p.public_share_spread * (2 * r.random(enc.n) - 1), 0.0, 0.95)
    return _Amounts(copay=copay, presp=presp, fulamt=fulamt, over=over, share=share)


def _fee_lines(p: SyntheticParams, v: _Vocab, enc: _Encounters, r: np.random.Generator) -> _Lines:
    """Each encounter's lines: how many (more for costlier encounters), their vocabulary
    entries by kind, and their relative sizes."""
    means = np.array(p.lines_per_encounter.values(), dtype=float)
    per_enc = 1 + r.poisson((means[enc.kind] - 1) * enc.lift)
    enc.lift = None
    line_enc = np.repeat(np.arange(enc.n, dtype=np.int32), per_enc)
    n_lines = len(line_enc)
    line_starts = _starts(per_enc)
    line_no = np.arange(1, n_lines + 1, dtype=np.int32)
    line_no -= line_starts.astype(np.int32)[line_enc]
    entry = _pick(r, v.line_cdf(), enc.kind.astype(np.int8)[line_enc], v.n_base, np.int32)
    levels = np.array(v.levels[: v.n_base], dtype=np.int8)
    weight = np.empty(n_lines, dtype=np.int32)
    for lo in range(0, n_lines, _CHUNK):
        raw = np.exp(p.line_sigma * r.standard_normal(min(_CHUNK, n_lines - lo))) * 256
        weight[lo:lo + len(raw)] = np.clip(np.rint(raw), 1, 65_535)
    type_codes = list(_FEE_TYPES)
    types = np.array([type_codes.index(t) for t in v.types[: v.n_base]], dtype=np.int8)
    return _Lines(n=n_lines, enc=line_enc, starts=line_starts, no=line_no, entry=entry, level=levels[entry],
                  type=types[entry], weight=weight)


def _listed_drugs(p: SyntheticParams, v: _Vocab, enc: _Encounters, lines: _Lines, r: np.random.Generator,
                  dx_override: np.ndarray) -> None:
    """Some encounters' 丙类 drug lines become drugs of the product's list (``lines.entry``),
    and the encounter is then diagnosed with one of the drug's indications, when it has
    any (``dx_override``)."""
    kind, line_enc = enc.kind, lines.enc
    takes_drugs = (kind == _PHARMACY) | (kind == _INPATIENT) | (kind == _SPECIAL)
    listed = takes_drugs & (r.random(enc.n) < p.listed_share)
    which = r.integers(0, len(v.listed_drugs), enc.n)
    on_line = listed[line_enc] & (lines.level == 2) & (lines.type == list(_FEE_TYPES).index("09"))
    lines.entry[on_line] = np.array(v.listed_drugs)[which[line_enc[on_line]]]
    has_line = np.zeros(enc.n, dtype=bool)
    has_line[line_enc[on_line]] = True
    lens = np.array([len(d) for d in v.listed_drug_dx])
    flat = np.array([c for d in v.listed_drug_dx for c in d], dtype=np.int64)
    offs = _starts(lens)
    pick = has_line & (lens[which] > 0) & (r.random(enc.n) < p.on_indication_share)
    k = (r.random(enc.n) * np.maximum(lens[which], 1)).astype(np.int64)
    dx_override[pick] = flat[(offs[which] + k)[pick]]


def _listed_items(p: SyntheticParams, v: _Vocab, enc: _Encounters, lines: _Lines, r: np.random.Generator) -> None:
    """Some hospital encounters get an item of the product's list, on their first non-drug
    line, a wholly self-paid (丙类) one where there is one (``lines.entry``)."""
    type_codes = list(_FEE_TYPES)
    line_enc = lines.enc
    listed = enc.hospital & (r.random(enc.n) < p.listed_share)
    which = r.integers(0, len(v.listed_items), enc.n)
    nondrug = listed[line_enc] & ~np.isin(lines.type, [type_codes.index(t) for t in _DRUG_TYPES])
    first = _first_of_group(np.flatnonzero(nondrug & (lines.level == 2)), line_enc)
    done = np.zeros(enc.n, dtype=bool)
    done[line_enc[first]] = True
    first = np.concatenate([first, _first_of_group(np.flatnonzero(nondrug & ~done[line_enc]), line_enc)])
    lines.entry[first] = np.array(v.listed_items)[which[line_enc[first]]]


def _on_lists(p: SyntheticParams, v: _Vocab, enc: _Encounters, lines: _Lines, r: np.random.Generator) -> np.ndarray:
    """Put some of the product's listed drugs and items on lines; return each encounter's
    main diagnosis forced by a listed drug's indication (-1: none)."""
    dx_override = np.full(enc.n, -1, dtype=np.int64)
    if v.listed_drugs:
        _listed_drugs(p, v, enc, lines, r, dx_override)
    if v.listed_items:
        _listed_items(p, v, enc, lines, r)
    return dx_override


def _has_class(enc: _Encounters, lines: _Lines, mask: np.ndarray) -> np.ndarray:
    """Whether each encounter has a line where ``mask`` holds."""
    has = np.zeros(enc.n, dtype=bool)
    has[lines.enc[mask]] = True
    return has


def _line_money(a: _Amounts, inscp: np.ndarray, lines: _Lines) -> dict[str, np.ndarray]:
    """Each class's amount of an encounter split exactly over its lines of that class (in
    proportion to their weights; the over-limit amount on the first in-list line)."""
    in_list, level, weight, line_enc = lines.level < 2, lines.level, lines.weight, lines.enc
    line_inscp = _allocate(inscp, np.where(in_list, weight, 0), line_enc, lines.starts)
    line_pre = _allocate(a.presp, np.where(level == 1, weight, 0), line_enc, lines.starts)
    line_ful = _allocate(a.fulamt, np.where(level == 2, weight, 0), line_enc, lines.starts)
    line_over = np.zeros(lines.n, dtype=np.int64)
    first_in = _first_of_group(np.flatnonzero(in_list), line_enc)
    line_over[first_in] = a.over[line_enc[first_in]]
    line_inscp += line_pre  # in place: the total of each line
    line_inscp += line_ful
    line_inscp += line_over
    line_money = {"det_item_fee_sumamt": line_inscp, "fulamt_ownpay_amt": line_ful,
                  "overlmt_amt": line_over, "preselfpay_amt": line_pre}
    assert tuple(line_money) == LINE_MONEY
    return line_money


def _settlement(people: _People, enc: _Encounters, a: _Amounts, inscp: np.ndarray,
                public: np.ndarray) -> dict[str, np.ndarray]:
    """Each encounter's settlement: the totals by class and the public payers (大病/大额 on
    a large stay, 医疗救助 for special groups, the pool the rest)."""
    critical = np.where(enc.inpatient & (inscp > _CRITICAL_ILLNESS_FROM),
                        np.floor(public * _CRITICAL_ILLNESS_PART).astype(np.int64), 0)
    assistance = np.where(people.in_group[enc.person], np.floor(public * _ASSISTANCE_PART).astype(np.int64), 0)
    emp = people.employee[enc.person]
    zero = np.zeros(enc.n, dtype=np.int64)
    money = {
        "medfee_sumamt": inscp + a.presp + a.fulamt + a.over,
        "fulamt_ownpay_amt": a.fulamt,
        "overlmt_selfpay": a.over,
        "preselfpay_amt": a.presp,
        "inscp_scp_amt": inscp,
        "hifp_pay": public - critical - assistance,
        "hifmi_pay": np.where(emp, 0, critical),
        "hifob_pay": np.where(emp, critical, 0),
        "cvlserv_pay": zero,
        "maf_pay": assistance,
        "hifes_pay": zero.copy(),
        "oth_pay": zero.copy(),
    }
    assert set(money) == set(ENCOUNTER_MONEY) and set(Settlement.PUBLIC_PAYERS) <= set(money)
    return money


def _money(people: _People, enc: _Encounters, a: _Amounts,
           lines: _Lines) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """The encounters' settlements, what the public payers paid in all, and the lines'
    amounts, consistent to the fen. A class's amount needs a line of that class to sit on:
    an encounter without one has none of it."""
    has_in_list = _has_class(enc, lines, lines.level < 2)
    a.copay[~has_in_list] = 0
    a.over[~has_in_list] = 0
    a.presp[~_has_class(enc, lines, lines.level == 1)] = 0
    a.fulamt[~_has_class(enc, lines, lines.level == 2)] = 0
    public = np.rint(a.copay * (a.share / (1 - a.share))).astype(np.int64)
    inscp = a.copay + public
    public[~enc.settled] = 0
    line_money = _line_money(a, inscp, lines)
    lines.weight = np.zeros(0, dtype=np.int64)  # not needed any more: free it
    return _settlement(people, enc, a, inscp, public), public, line_money


def _other_insurance(p: SyntheticParams, enc: _Encounters, owed_enc: np.ndarray, n_claims: int,
                     r: np.random.Generator) -> np.ndarray:
    """What other insurance paid on each claim: on some claims, a part of what was owed."""
    owed = np.add.reduceat(owed_enc, enc.starts) if n_claims else np.zeros(0, dtype=np.int64)
    lo_f, hi_f = p.other_insurance_fraction
    frac = lo_f + (hi_f - lo_f) * r.random(n_claims)
    return np.where(r.random(n_claims) < p.other_insurance_share, np.floor(owed * frac).astype(np.int64), 0)


def _diagnoses(p: SyntheticParams, v: _Vocab, people: _People, enc: _Encounters, dx_override: np.ndarray,
               r: np.random.Generator) -> pd.Categorical:
    """Each encounter's diagnoses (``main;comorbidity``): by kind, or related to the
    person's pre-existing condition, or a listed drug's indication."""
    n_icd, n_enc = len(v.icd), enc.n
    main = _pick(r, v.diagnosis_cdf(), enc.kind, n_icd)
    cond = people.condition[enc.person]
    related = people.pre[enc.person] & (r.random(n_enc) < p.related_diagnosis_share)
    lens = np.array([len(d) for d in v.condition_dx])
    flat = np.array([c for d in v.condition_dx for c in d], dtype=np.int64)
    k = (r.random(n_enc) * lens[cond]).astype(np.int64)
    main = np.where(related, flat[_starts(lens)[cond] + k], main)
    main = np.where(dx_override >= 0, dx_override, main)
    comorbid = np.array([v.icd.index(c) for c in _COMORBIDITIES])
    second = np.where(r.random(n_enc) < _COMORBIDITY_SHARE, comorbid[r.integers(0, len(comorbid), n_enc)], -1)
    second = np.where(second == main, -1, second)
    combo, uniq = pd.factorize(main * (n_icd + 1) + (second + 1), sort=True)
    dx_text = [v.icd[c // (n_icd + 1)] + (f";{v.icd[c % (n_icd + 1) - 1]}" if c % (n_icd + 1) else "")
               for c in uniq.tolist()]
    return _categorical(combo, dx_text)


def _institutions(product: Product, p: SyntheticParams, v: _Vocab, enc: _Encounters, r_enc: np.random.Generator,
                  r_lists: np.random.Generator) -> pd.Categorical:
    """Where each encounter happened: a city hospital by kind, a designated pharmacy, or an
    institution of the product's list."""
    kind, n_enc = enc.kind, enc.n
    places = [product.city_zh + h for h in _HOSPITALS]
    pharmacies = [f"{product.city_zh}特药定点药房{i}" for i in range(1, _PHARMACIES + 1)]
    inst_cdf = np.concatenate([_cdf(_HOSPITAL_WEIGHTS[k]) + k for k in range(3)])
    inst = _pick(r_enc, inst_cdf, np.minimum(kind, 2), len(_HOSPITALS))
    inst = np.where(kind == _PHARMACY, len(places) + r_enc.integers(0, _PHARMACIES, n_enc), inst)
    if v.listed_institutions:
        listed = (kind == _INPATIENT) | (kind == _SPECIAL)
        listed &= r_lists.random(n_enc) < p.listed_share
        chosen = len(places) + _PHARMACIES + r_lists.integers(0, len(v.listed_institutions), n_enc)
        inst = np.where(listed, chosen, inst)
    return _factorized(places + pharmacies + v.listed_institutions, inst)


def _insured_table(v: _Vocab, people: _People) -> pd.DataFrame:
    n = people.n
    return pd.DataFrame({
        "insured_id": _ids("P", np.arange(n), n),
        "birth_date": people.birth.astype("datetime64[s]"),
        "scheme": _categorical(np.where(people.employee, 0, 1), ["employee", "resident"]),
        "enrolled_on": people.enrolled.astype("datetime64[s]"),
        "pre_existing": _factorized([""] + v.conditions, np.where(people.pre, people.condition + 1, 0)),
        "groups": _factorized([""] + v.groups, np.where(people.in_group, people.group + 1, 0)),
        "history": _factorized(people.histories, people.history),
        "event_on": np.full(n, np.datetime64("NaT", "s")),
    }, copy=False)


_NONE = np.zeros(0, dtype=np.int32)


def _tables(v: _Vocab, people: _People, claim_person: np.ndarray, other: np.ndarray, enc: _Encounters,
            places: pd.Categorical, diagnoses: pd.Categorical, money: dict[str, np.ndarray], lines: _Lines,
            line_money: dict[str, np.ndarray], line_amounts: str) -> Population:
    n_claims = len(claim_person)
    claim_ids = _ids("C", np.arange(n_claims), n_claims)
    claim_cats = pd.CategoricalDtype(pd.Index(claim_ids))
    enc_cats = pd.CategoricalDtype(pd.Index([f"E{i}" for i in range(1, int(enc.per_claim.max(initial=0)) + 1)],
                                            dtype="str"))
    claims = pd.DataFrame({"claim_id": claim_ids, "insured_id": _ids("P", claim_person, people.n),
                           "other_insurance_paid": other}, copy=False)
    encounters = pd.DataFrame({
        "claim_id": pd.Categorical.from_codes(enc.claim, dtype=claim_cats),
        "encounter_id": pd.Categorical.from_codes(enc.no - 1, dtype=enc_cats),
        "kind": _categorical(enc.kind, list(KINDS)),
        "admitted_on": enc.admitted.astype("datetime64[s]"),
        "discharged_on": enc.discharged.astype("datetime64[s]"),
        "service_date": enc.service.astype("datetime64[s]"),
        "institution": places,
        "diagnoses": diagnoses,
        "settled_through_basic": enc.settled,
        **money,
    }, copy=False)
    # the lines' own arrays are let go as soon as the columns made from them are (the build's peak)
    line_claim = pd.Categorical.from_codes(enc.claim.astype(_code_dtype(n_claims))[lines.enc], dtype=claim_cats)
    line_enc = pd.Categorical.from_codes((enc.no - 1).astype(_code_dtype(len(enc_cats.categories)))[lines.enc],
                                         dtype=enc_cats)
    lines.enc = _NONE
    codes, names = _factorized(v.codes, lines.entry), _factorized(v.names, lines.entry)
    lines.entry = _NONE
    if line_amounts == "int32":  # column by column, each int64 array let go once narrowed
        for column, values in line_money.items():
            if values.max(initial=0) > np.iinfo(np.int32).max:
                raise ValueError(f"fee line amount {int(values.max())} fen ({column}) does not fit "
                                 "line_amounts='int32'; use 'int64' or lower the Lognormal max values")
            line_money[column] = values.astype(np.int32)
            del values
    fee_lines = pd.DataFrame({
        "claim_id": line_claim, "encounter_id": line_enc, "line_no": lines.no, "med_list_codg": codes, "name": names,
        "chrgitm_lv": _categorical(lines.level, list(_LEVELS)),
        "med_chrgitm_type": _categorical(lines.type, list(_FEE_TYPES)),
        **line_money,
    }, copy=False)
    return Population(insured=_insured_table(v, people), claims=claims, encounters=encounters, fee_lines=fee_lines)


def population(product: Product, params: SyntheticParams = SyntheticParams(), *, seed: int,
               progress: bool | None = None) -> Population:
    """A synthetic city-year under ``product``: ``params.insured`` people, some with claims,
    every encounter inside the product's period and every settlement consistent (see the
    module docstring). The same ``seed`` and ``params`` give identical tables.

    ID columns of the child tables (``claim_id``, ``encounter_id``) and the code-like text
    columns are pandas categoricals; money is int64 fen (the fee lines' amounts int32 with
    ``params.line_amounts="int32"``); ``encounter_id`` is unique within a
    claim ("E1", "E2" …), as in the claim format.

    ``progress``: a progress bar on stderr over the generation's stages (True: always;
    None: from ``PROGRESS_MIN_INSURED`` people, on a terminal; False: never).
    """
    shown = bar(progress, large=params.insured >= PROGRESS_MIN_INSURED, total=len(_STAGES), unit="stage",
                desc="generating")
    stages = iter(_STAGES)

    def stage() -> None:
        name = next(stages)
        if name != _STAGES[0]:
            shown.update(1)
        shown.set_description_str(f"generating: {name}")

    r = _Streams.of(seed)
    p, v = params, _Vocab(product, params)
    start, end = _day_array(product.period.start), _day_array(product.period.end)
    stage()
    people = _people(product, p, v, r.people, start)
    stage()
    claim_person = _claimants(p, people, r.claims)
    stage()
    enc = _encounters(p, claim_person, r.enc, start, int((end - start).astype(np.int64)) + 1)
    stage()
    amounts = _amounts(p, people, enc, r.amount)
    stage()
    lines = _fee_lines(p, v, enc, r.lines)
    dx_override = _on_lists(p, v, enc, lines, r.lists)
    money, public, line_money = _money(people, enc, amounts, lines)
    stage()
    other = _other_insurance(p, enc, money["medfee_sumamt"] - public, len(claim_person), r.claims)
    stage()
    diagnoses = _diagnoses(p, v, people, enc, dx_override, r.enc)
    stage()
    places = _institutions(product, p, v, enc, r.enc, r.lists)
    stage()
    out = _tables(v, people, claim_person, other, enc, places, diagnoses, money, lines, line_money, p.line_amounts)
    shown.update(1)
    shown.close()
    return out
