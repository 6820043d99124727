"""huiminbao_rules: what a Chinese city's 惠民保 pays on a claim, exact to the fen and
explained line by line.

    >>> from huiminbao_rules import adjudicate, get_product, parse_claim
    >>> # adjudicate(parse_claim(data), get_product("shenzhen-2023")).payable

The whole public API is :data:`__all__`.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:  # what type checkers and IDEs see; at run time names load on first use
    from huiminbao_rules.catalog import (
        bundled_ids,
        bundled_products,
        get_product,
        load_product,
        read_product,
        read_user_list,
        with_user_list,
    )
    from huiminbao_rules.adjudication.coverage import Cover, cover_of
    from huiminbao_rules.adjudication.engine import YearResult, adjudicate, fresh_year, replay
    from huiminbao_rules.enrollment.application import Application, ApplicationDecision, Decision, enroll, parse_application
    from huiminbao_rules.core.errors import (
        AdjudicationError,
        FileError,
        HuiminbaoError,
        InputError,
        Problem,
        ProductError,
        SettlementError,
        UnknownProductError,
    )
    from huiminbao_rules.render.explain import SCHEMA, statement, to_dict, trace
    from huiminbao_rules.core.inputs import Limits
    from huiminbao_rules.claims.models import Claim, Encounter, EnrollmentYear, FeeLine, Insured, Settlement, parse_claim
    from huiminbao_rules.core.money import allocate, parse_amount, parse_rate, round_fen
    from huiminbao_rules.rules.product import Product, parse_product
    from huiminbao_rules.core.reasons import REASONS
    from huiminbao_rules.adjudication.result import (
        Adjudication,
        BandPiece,
        Caveat,
        Exclusion,
        LineResult,
        PortionResult,
        ResponsibilityResult,
        ResponsibilityToDate,
        Step,
        YearToDate,
    )

# Importing the package loads nothing heavy: each public name is imported from its module
# the first time it is used (PEP 562), so ``import huiminbao_rules`` and the command line
# do not pay for pydantic models they never touch.
_WHERE: dict[str, str] = {
    "bundled_ids": "catalog",
    "bundled_products": "catalog",
    "get_product": "catalog",
    "load_product": "catalog",
    "read_product": "catalog",
    "read_user_list": "catalog",
    "with_user_list": "catalog",
    "Cover": "adjudication.coverage",
    "cover_of": "adjudication.coverage",
    "YearResult": "adjudication.engine",
    "adjudicate": "adjudication.engine",
    "fresh_year": "adjudication.engine",
    "replay": "adjudication.engine",
    "Application": "enrollment.application",
    "ApplicationDecision": "enrollment.application",
    "Decision": "enrollment.application",
    "enroll": "enrollment.application",
    "parse_application": "enrollment.application",
    "AdjudicationError": "core.errors",
    "FileError": "core.errors",
    "HuiminbaoError": "core.errors",
    "InputError": "core.errors",
    "Problem": "core.errors",
    "ProductError": "core.errors",
    "SettlementError": "core.errors",
    "UnknownProductError": "core.errors",
    "SCHEMA": "render.explain",
    "statement": "render.explain",
    "to_dict": "render.explain",
    "trace": "render.explain",
    "Limits": "core.inputs",
    "Claim": "claims.models",
    "Encounter": "claims.models",
    "EnrollmentYear": "claims.models",
    "FeeLine": "claims.models",
    "Insured": "claims.models",
    "Settlement": "claims.models",
    "parse_claim": "claims.models",
    "allocate": "core.money",
    "parse_amount": "core.money",
    "parse_rate": "core.money",
    "round_fen": "core.money",
    "Product": "rules.product",
    "parse_product": "rules.product",
    "REASONS": "core.reasons",
    "Adjudication": "adjudication.result",
    "BandPiece": "adjudication.result",
    "Caveat": "adjudication.result",
    "Exclusion": "adjudication.result",
    "LineResult": "adjudication.result",
    "PortionResult": "adjudication.result",
    "ResponsibilityResult": "adjudication.result",
    "ResponsibilityToDate": "adjudication.result",
    "Step": "adjudication.result",
    "YearToDate": "adjudication.result",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.1.0"

__all__ = [
    "REASONS",
    "SCHEMA",
    "Adjudication",
    "AdjudicationError",
    "Application",
    "ApplicationDecision",
    "BandPiece",
    "Caveat",
    "Claim",
    "Cover",
    "Decision",
    "Encounter",
    "EnrollmentYear",
    "Exclusion",
    "FeeLine",
    "FileError",
    "HuiminbaoError",
    "InputError",
    "Insured",
    "Limits",
    "LineResult",
    "PortionResult",
    "Problem",
    "Product",
    "ProductError",
    "ResponsibilityResult",
    "ResponsibilityToDate",
    "Settlement",
    "SettlementError",
    "Step",
    "UnknownProductError",
    "YearResult",
    "YearToDate",
    "adjudicate",
    "allocate",
    "bundled_ids",
    "bundled_products",
    "cover_of",
    "enroll",
    "fresh_year",
    "get_product",
    "load_product",
    "parse_amount",
    "parse_application",
    "parse_claim",
    "parse_product",
    "parse_rate",
    "read_product",
    "read_user_list",
    "replay",
    "round_fen",
    "statement",
    "to_dict",
    "trace",
    "with_user_list",
]
