"""huiminbao_rules: what a Chinese city's 惠民保 pays on a claim, exact to the fen and
explained line by line.

    >>> from huiminbao_rules import adjudicate, get_product, parse_claim
    >>> # adjudicate(parse_claim(data), get_product("shenzhen-2023")).payable

The whole public API is :data:`__all__`.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:  # what type checkers and IDEs see; at run time names load on first use
    from .catalog import (
        bundled_ids,
        bundled_products,
        get_product,
        load_product,
        read_product,
        read_user_list,
        with_user_list,
    )
    from .coverage import Cover, cover_of
    from .engine import YearResult, adjudicate, fresh_year, replay
    from .enrollment import Application, ApplicationDecision, Decision, enroll, parse_application
    from .errors import (
        AdjudicationError,
        FileError,
        HuiminbaoError,
        InputError,
        Problem,
        ProductError,
        SettlementError,
        UnknownProductError,
    )
    from .explain import SCHEMA, statement, to_dict, trace
    from .inputs import Limits
    from .models import Claim, Encounter, EnrollmentYear, FeeLine, Insured, Settlement, parse_claim
    from .money import allocate, parse_amount, parse_rate, round_fen
    from .product import Product, parse_product
    from .reasons import REASONS
    from .result import (
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
    "Cover": "coverage",
    "cover_of": "coverage",
    "YearResult": "engine",
    "adjudicate": "engine",
    "fresh_year": "engine",
    "replay": "engine",
    "Application": "enrollment",
    "ApplicationDecision": "enrollment",
    "Decision": "enrollment",
    "enroll": "enrollment",
    "parse_application": "enrollment",
    "AdjudicationError": "errors",
    "FileError": "errors",
    "HuiminbaoError": "errors",
    "InputError": "errors",
    "Problem": "errors",
    "ProductError": "errors",
    "SettlementError": "errors",
    "UnknownProductError": "errors",
    "SCHEMA": "explain",
    "statement": "explain",
    "to_dict": "explain",
    "trace": "explain",
    "Limits": "inputs",
    "Claim": "models",
    "Encounter": "models",
    "EnrollmentYear": "models",
    "FeeLine": "models",
    "Insured": "models",
    "Settlement": "models",
    "parse_claim": "models",
    "allocate": "money",
    "parse_amount": "money",
    "parse_rate": "money",
    "round_fen": "money",
    "Product": "product",
    "parse_product": "product",
    "REASONS": "reasons",
    "Adjudication": "result",
    "BandPiece": "result",
    "Caveat": "result",
    "Exclusion": "result",
    "LineResult": "result",
    "PortionResult": "result",
    "ResponsibilityResult": "result",
    "ResponsibilityToDate": "result",
    "Step": "result",
    "YearToDate": "result",
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
