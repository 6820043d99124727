"""Exceptions raised for bad input. A declined fee line is *not* an exception: it is
an outcome with a reason code (see :mod:`huiminbao_rules.core.reasons`).

::

    HuiminbaoError                 base of everything this library raises on purpose
    ├── InputError                 a claim, year-to-date record or application is malformed
    │   ├── SettlementError        an encounter's settlement amounts do not add up
    │   └── FileError              a file cannot be read as the input it should be (not a regular
    │                              file, too large, not UTF-8, malformed or too deeply nested JSON …)
    ├── ProductError               a product file or definition is malformed
    │   └── UnknownProductError    no bundled product (or profile) has the requested id
    └── AdjudicationError          inputs are each valid but do not belong together
                                   (year-to-date of another product, claims of two people)

Every error keeps the values it talks about as attributes, so a caller can build its
own message; ``str(error)`` is a complete sentence for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "AdjudicationError",
    "FileError",
    "HuiminbaoError",
    "InputError",
    "Problem",
    "ProductError",
    "SettlementError",
    "UnknownProductError",
]


MAX_PROBLEMS = 20
"""An error's message lists at most this many problems (``problems`` holds them all)."""


class HuiminbaoError(Exception):
    """Base class of the errors this library raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted path), and what."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class InputError(HuiminbaoError, ValueError):
    """Input data is malformed; ``problems`` lists each field that is wrong."""

    def __init__(self, what: str, problems: Sequence[Problem]):
        self.what = what
        self.problems = tuple(problems)
        shown = self.problems[:MAX_PROBLEMS]
        lines = "; ".join(str(p) for p in shown)
        if len(self.problems) > len(shown):
            lines += f"; and {len(self.problems) - len(shown)} more problems"
        super().__init__(f"invalid {what}: {lines}")


class SettlementError(InputError):
    """An encounter's settlement breaks an identity; nothing is repaired.

    ``encounter`` is the encounter id, ``identity`` the identity's name, ``fields``
    the fields it involves and ``difference`` left side minus right side.
    """

    def __init__(self, encounter: str, identity: str, fields: Sequence[str], difference: Decimal, detail: str):
        self.encounter = encounter
        self.identity = identity
        self.fields = tuple(fields)
        self.difference = difference
        super().__init__("claim", [Problem(f"encounter {encounter}", detail)])


class FileError(InputError):
    """A whole file is refused before its fields are read; ``source`` names the file and
    ``str(error)`` starts with it."""

    def __init__(self, source: str, message: str):
        self.source = source
        self.what = "file"
        self.problems = (Problem("", message),)
        ValueError.__init__(self, f"{source}: {message}")


class ProductError(HuiminbaoError, ValueError):
    """A product definition is malformed; ``source`` names the file when there is one."""

    def __init__(self, message: str, source: str | None = None):
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class UnknownProductError(ProductError, LookupError):
    """No bundled product (or profile) has this id; ``known`` lists the ids that exist."""

    def __init__(self, product_id: str, known: Sequence[str], what: str = "product"):
        self.product_id = product_id
        self.known = tuple(known)
        super().__init__(f"no {what} {product_id!r}; known: {', '.join(self.known)}")


class AdjudicationError(HuiminbaoError, ValueError):
    """Inputs are each valid but do not belong together. ``claims`` names the claims
    involved and ``year_to_date`` whether the year-to-date record is, so a caller can name
    the files they came from."""

    def __init__(self, message: str, *, claims: Sequence[str] = (), year_to_date: bool = False):
        self.claims = tuple(claims)
        self.year_to_date = year_to_date
        super().__init__(message)
