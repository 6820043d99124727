"""huiminbao_rules: what a Chinese city's 惠民保 pays on a claim, exact to the fen and
explained line by line.

    >>> from huiminbao_rules import adjudicate, get_product, parse_claim
    >>> # adjudicate(parse_claim(data), get_product("shenzhen-2023")).payable

The whole public API is :data:`__all__`.
"""

from .catalog import bundled_ids, bundled_products, get_product, load_product, read_product, read_user_list, with_user_list
from .coverage import Cover, cover_of
from .engine import YearResult, adjudicate, fresh_year, replay
from .enrollment import Application, ApplicationDecision, Decision, enroll, parse_application
from .errors import (
    AdjudicationError,
    HuiminbaoError,
    InputError,
    Problem,
    ProductError,
    SettlementError,
    UnknownProductError,
)
from .explain import SCHEMA, statement, to_dict, trace
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
    "HuiminbaoError",
    "InputError",
    "Insured",
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
