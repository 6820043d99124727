"""Regulatory profiles as data: a jurisdiction's rules (``profiles/<id>.toml``), each of a
*kind* :mod:`huiminbao_rules.regulation` knows how to check, with its bound, whether it binds
only "in principle" (原则上), and the clause and source that state it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from huiminbao_rules.claims.models import problems_from_validation
from huiminbao_rules.core.errors import ProductError
from huiminbao_rules.core.fields import Bool, Day
from huiminbao_rules.core.money import Amount, Rate
from huiminbao_rules.rules.product import Source

__all__ = ["MAX_BOUND", "Profile", "Rule", "parse_profile"]

class Rule(BaseModel):
    """One rule of a profile."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: Literal["max_deductible", "min_ratio", "min_cap", "covers_buckets", "no_enrollment_preconditions",
                  "name_contains", "no_midyear_change"]
    name_zh: str
    name_en: str
    bound: Amount | None = None
    rate: Rate | None = None
    buckets: tuple[str, ...] = ()
    text: str = ""
    in_principle: Bool = False
    clause: str
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _sane(self) -> Rule:
        if self.bound is not None and self.bound > MAX_BOUND:
            raise ValueError(f"rule {self.id}: bound {self.bound} is above {MAX_BOUND}, more than any product pays")
        if self.kind == "min_ratio" and self.rate is not None and not self.rate > 0:
            raise ValueError(f"rule {self.id}: a minimum ratio is above 0, not {self.rate}")
        return self


MAX_BOUND = Decimal("1000000000.00")
"""The largest deductible or cap bound a profile may set (one billion yuan)."""


class Profile(BaseModel):
    """A jurisdiction's rules for 惠民保 products."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name_zh: str
    name_en: str
    issued: Day
    effective: Day
    status: str = Field(default="in force", description="e.g. 'in force', 'draft for comment'")
    cities: tuple[str, ...] = Field(description="cities it governs; ['*'] for every city")
    sources: dict[str, Source]
    rules: tuple[Rule, ...] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _refs(self) -> Profile:
        for r in self.rules:
            if r.source not in self.sources:
                raise ValueError(f"rule {r.id}: source {r.source!r} is not in [sources]")
            needs = {"max_deductible": "bound", "min_cap": "bound", "min_ratio": "rate", "name_contains": "text"}
            if r.kind in needs and getattr(r, needs[r.kind]) in (None, ""):
                raise ValueError(f"rule {r.id} of kind {r.kind} needs {needs[r.kind]}")
            if r.kind == "min_ratio" and not any(x.kind == "max_deductible" for x in self.rules):
                raise ValueError("a min_ratio rule is read with the profile's max_deductible rule; add one")
        return self

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def parse_profile(data: dict[str, Any], origin: str | None = None) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProductError("invalid profile: " + "; ".join(str(p) for p in problems_from_validation(exc)), origin) from None
