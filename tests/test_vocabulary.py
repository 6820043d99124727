"""One owner per concept: the portions, the buckets and the public payers are written out
only in ``core.vocabulary``, fen conversion and yuan formatting only in ``core.money``;
every rounding in src/ names its mode."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules.core.money import format_percent, format_yuan, from_fen, to_fen
from huiminbao_rules.core.vocabulary import (BUCKET_LABELS, BUCKETS, PORTION_LABELS, PORTIONS, PUBLIC_PAYERS,
                                             bucket_label, portion_label)

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "huiminbao_rules"
OWNER = "core/vocabulary.py"

CONCEPTS = {"portions": set(PORTIONS), "buckets": set(BUCKETS), "public payers": set(PUBLIC_PAYERS)}

STILL_DUPLICATED: set[tuple[str, str]] = set()
"""(file under src/huiminbao_rules, what it writes out again) still to be replaced by an import:
empty, every concept has one owner. An entry is allowed only while a copy is being removed
(the test fails once a listed copy is gone)."""


def _strings(node: ast.AST) -> set[str] | None:
    """The strings of a tuple, list or set of string constants (None for anything else)."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return {e.value for e in node.elts}  # type: ignore[attr-defined]
    return None


def _is_fen_conversion(node: ast.AST) -> bool:
    """``int(x * 100)``, ``x * 100`` turned into an int, or a function named like a fen
    or yuan converter."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name in ("_fen", "_yuan", "_fen_to_yuan", "_to_fen", "_from_fen")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int" and node.args:
        arg = node.args[0]
        return (isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mult)
                and any(isinstance(x, ast.Constant) and x.value == 100 for x in (arg.left, arg.right)))
    return False


def _is_yuan_formatting(node: ast.AST) -> bool:
    """An f-string field formatted as yuan by hand (``{x:.2f}``, ``{x:,.2f}``, ``{x:+.2f}``)."""
    spec = node.format_spec if isinstance(node, ast.FormattedValue) else None
    return (isinstance(spec, ast.JoinedStr) and len(spec.values) == 1 and isinstance(spec.values[0], ast.Constant)
            and spec.values[0].value in (".2f", ",.2f", "+.2f", "+,.2f"))


def _is_unnamed_rounding(node: ast.AST) -> bool:
    """A ``.quantize(step)`` call that leaves the rounding mode to the decimal context."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "quantize"
            and len(node.args) < 2 and not any(k.arg == "rounding" for k in node.keywords))


def duplicates(source: str) -> set[str]:
    """What ``source`` writes out that has one owner elsewhere."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        values = _strings(node)
        if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
            values = {k.value for k in node.keys}  # type: ignore[union-attr]
        for concept, codes in CONCEPTS.items():
            if values is not None and values == codes:
                found.add(concept)
        if _is_fen_conversion(node):
            found.add("fen conversion")
        if _is_unnamed_rounding(node):
            found.add("rounding without a mode")
        if _is_yuan_formatting(node):
            found.add("yuan formatting")
    return found


def _found() -> dict[str, set[str]]:
    return {p.relative_to(SRC).as_posix(): duplicates(p.read_text(encoding="utf-8"))
            for p in sorted(SRC.rglob("*.py")) if p.relative_to(SRC).as_posix() not in (OWNER, "core/money.py")}


def test_each_concept_is_written_out_once() -> None:
    found = {(rel, what) for rel, whats in _found().items() for what in whats}
    assert not found - STILL_DUPLICATED, (
        "written out again; import it from core.vocabulary (portions, buckets, public payers) or core.money "
        "(to_fen, from_fen, format_yuan; quantize with rounding=...): " + ", ".join(sorted(map(str, found - STILL_DUPLICATED))))
    assert not STILL_DUPLICATED - found, (
        "no longer there: remove from STILL_DUPLICATED: " + ", ".join(sorted(map(str, STILL_DUPLICATED - found))))


def test_the_check_finds_each_kind_of_copy() -> None:
    assert duplicates('P = Literal["preselfpay", "inscp_copay", "fulamt", "overlmt"]') == {"portions"}
    assert duplicates('B = {"compliant": 1, "reasonable": 2, "special_drug": 3, "other": 4}') == {"buckets"}
    assert duplicates(f"X = {tuple(PUBLIC_PAYERS)!r}") == {"public payers"}
    assert duplicates('X = ("preselfpay", "inscp_copay")') == set()  # a selection is not the concept
    assert duplicates("def _fen(d):\n    return 1\n") == {"fen conversion"}
    assert duplicates("y = int(x * 100)") == {"fen conversion"} and duplicates("y = int(x * 10)") == set()
    assert duplicates("y = d.quantize(FEN)") == {"rounding without a mode"}
    assert duplicates("y = d.quantize(FEN, rounding=ROUND_DOWN)") == set()
    assert duplicates("y = quantize(d, FEN, 'ROUND_DOWN')") == set()
    assert duplicates('y = f"{d:,.2f} 元"') == {"yuan formatting"} and duplicates('y = f"{d:.4f}"') == set()


def test_every_code_has_a_label_in_both_languages() -> None:
    assert set(PORTION_LABELS) == set(PORTIONS) and set(BUCKET_LABELS) == set(BUCKETS)
    assert [portion_label(p) for p in PORTIONS] == ["乙类先行自付", "政策范围内个人自付", "全自费", "超限价"]
    assert bucket_label("special_drug", "en") == "special drugs outside the catalogue"
    assert portion_label("unknown") == "unknown"


@pytest.mark.parametrize("fen, yuan", [(0, "0.00"), (5, "0.05"), (-5, "-0.05"), (123456, "1234.56"),
                                       (10**16 + 1, "100000000000000.01")])
def test_fen_and_yuan_convert_exactly_both_ways(fen: int, yuan: str) -> None:
    assert from_fen(fen) == Decimal(yuan) and str(from_fen(fen)) == yuan
    assert to_fen(Decimal(yuan)) == fen and format_yuan(from_fen(fen)) == yuan


def test_a_part_of_a_fen_is_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="not a whole number of fen"):
        to_fen(Decimal("0.005"))
    with pytest.raises(ValueError, match="not a whole number of fen"):
        format_yuan(Decimal("1.005"))
    assert to_fen(Decimal("1.500")) == 150 and format_yuan(Decimal("1.500")) == "1.50"


def test_yuan_and_percentages_for_people() -> None:
    assert format_yuan(Decimal("1234567.8"), grouped=True) == "1,234,567.80"
    assert format_yuan(Decimal("-3"), signed=True) == "-3.00" and format_yuan(Decimal("3"), signed=True) == "+3.00"
    assert format_percent(Decimal("0.7")) == "70%" and format_percent(Decimal("0.655")) == "65.5%"
