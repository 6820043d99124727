"""No function in src/ is longer than 60 lines unless it says why.

A function is counted from its ``def`` line to its last line (docstring included). One
that must stay long carries a comment on the line above its ``def`` (or above its first
decorator) starting ``# long:`` and saying why.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "huiminbao_rules"
LIMIT = 60
MARK = "# long:"

BEING_SPLIT: set[tuple[str, str]] = set()
"""(file under src/huiminbao_rules, qualified function name) of long functions being split in
a change under way: empty. An entry is allowed only while its function is being split (the
test fails once a listed function is gone or short)."""


def functions(source: str) -> list[tuple[str, int, int, str | None]]:
    """(qualified name, first line, length, the ``# long:`` reason or None) of every function
    and method in ``source``, nested ones included."""
    lines = source.splitlines()
    out: list[tuple[str, int, int, str | None]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                top = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                above = lines[top - 2].strip() if top >= 2 else ""
                reason = above[len(MARK):].strip() if above.startswith(MARK) else None
                out.append((name, child.lineno, child.end_lineno - child.lineno + 1, reason))  # type: ignore[operator]
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return out


def too_long(source: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """The functions of ``source`` longer than :data:`LIMIT` lines with no reason given
    (other than those named in ``allowed``)."""
    return [f"{name} (line {line}, {length} lines)" for name, line, length, reason in functions(source)
            if length > LIMIT and not reason and name not in allowed]


def _sources() -> dict[str, str]:
    return {p.relative_to(SRC).as_posix(): p.read_text(encoding="utf-8") for p in sorted(SRC.rglob("*.py"))}


def test_no_function_is_longer_than_the_limit_without_saying_why() -> None:
    offenders = []
    for rel, source in _sources().items():
        allowed = {name for (f, name) in BEING_SPLIT if f == rel}
        offenders += [f"{rel}: {x}" for x in too_long(source, allowed)]
    assert not offenders, (f"functions longer than {LIMIT} lines: split them, or put a comment "
                           f"'{MARK} <why>' on the line above the def:\n" + "\n".join(offenders))


def test_every_reason_says_something() -> None:
    empty = [f"{rel}: {name}" for rel, source in _sources().items()
             for name, _, _, reason in functions(source) if reason is not None and len(reason) < 15]
    assert not empty, f"a '{MARK}' comment must say why the function is long: {empty}"


def test_the_list_of_functions_being_split_holds_only_long_ones() -> None:
    sources = _sources()
    stale = []
    for rel, name in sorted(BEING_SPLIT):
        found = [length for n, _, length, reason in functions(sources.get(rel, "")) if n == name and not reason]
        if not found or max(found) <= LIMIT:
            stale.append(f"{rel}: {name}")
    assert not stale, f"no longer long (or gone, or given a reason): remove from BEING_SPLIT: {stale}"


_BODY = "".join(f"    x{i} = {i}\n" for i in range(LIMIT - 2))


def test_the_check_counts_lines_and_reads_the_reason() -> None:
    at_limit = f"def f():\n    '''Doc.'''\n{_BODY}"
    over = f"def f():\n    '''Doc.'''\n{_BODY}    return 1\n"
    assert functions(at_limit)[0][2] == LIMIT and too_long(at_limit) == []
    assert too_long(over) == [f"f (line 1, {LIMIT + 1} lines)"]
    method = "class C:\n    @staticmethod\n" + "".join("    " + line + "\n" for line in over.splitlines())
    assert too_long(method) == [f"C.f (line 3, {LIMIT + 1} lines)"]
    nested = "def g():\n" + "".join("    " + line + "\n" for line in over.splitlines()) + "    return f\n"
    assert [x.split(" ")[0] for x in too_long(nested)] == ["g", "g.f"]
    assert too_long("# long: a table of statements, kept as written\n" + over) == []
    assert too_long("# long: a table\n@decorated\n" + over) == []
    assert too_long("# not long: nothing\n" + over) != []
    assert too_long(over, {"f"}) == []
