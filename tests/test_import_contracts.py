"""The package's layers hold: each part imports only the parts below it (core, claims,
rules, adjudication, regulation and enrollment, render and catalog, then ledger, analytics
and testing, then the command line), nothing outside the analytics extra imports numpy,
pandas, numba, pyarrow or dask, and no module imports itself through others. The contracts
are in pyproject.toml ([tool.importlinter]); `lint-imports` checks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "huiminbao_rules"


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    command = str(exe) if exe.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed (the test extra has import-linter)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([command, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], cwd=src.parent,
                          env=env, capture_output=True, text=True, timeout=120)


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_package"] == "huiminbao_rules"
    return config["contracts"]


def test_the_import_contracts_are_kept() -> None:
    run = _lint_imports(SRC)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in run.stdout, run.stdout


def _layered() -> set[str]:
    layers = _contracts()[0]["layers"]
    return {name.strip() for layer in layers for name in layer.split("|")}


def test_every_part_of_the_package_is_in_a_layer() -> None:
    parts = {f"huiminbao_rules.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    parts |= {f"huiminbao_rules.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert _layered() == parts, f"put in a layer: {sorted(parts - _layered())}; gone: {sorted(_layered() - parts)}"
    extra_free = set(_contracts()[1]["source_modules"])
    assert extra_free == parts - {"huiminbao_rules.analytics"}


def _cycles(graph, modules: set[str]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(m: str) -> None:  # recursion depth is bounded by the package's ~60 modules
        index[m] = low[m] = len(index)
        stack.append(m)
        on.add(m)
        for n in graph.find_modules_directly_imported_by(m) & modules:
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in on:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            group = []
            while True:
                n = stack.pop()
                on.discard(n)
                group.append(n)
                if n == m:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in sorted(modules):
        if m not in index:
            visit(m)
    return found


def test_no_module_imports_itself_through_others() -> None:
    import grimp

    # Imports made only for type checkers (under `if TYPE_CHECKING:`) count too: a module's
    # types are part of what it depends on.
    graph = grimp.build_graph("huiminbao_rules", cache_dir=None)
    modules = {m for m in graph.modules if m.startswith("huiminbao_rules")}
    # A package's __init__ re-exporting its own modules is not a cycle of meaning.
    packages = {m.rsplit(".", 1)[0] for m in modules if m.count(".") >= 2}
    assert _cycles(graph, modules - packages) == []


def test_a_cycle_is_found() -> None:
    class Graph:
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, m: str) -> set[str]:
            return set(self.edges.get(m, ()))

    assert _cycles(Graph(), {"a", "b", "c", "d"}) == [["a", "b", "c"]]


def test_a_forbidden_import_breaks_the_contracts(tmp_path) -> None:
    """The same check on a copy of the package where the engine imports an analytics module
    and the command line's renderer: both contracts are broken, and lint-imports fails."""
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "huiminbao_rules", ignore=shutil.ignore_patterns("__pycache__"))
    engine = copy / "huiminbao_rules" / "adjudication" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\n\ndef _late() -> None:\n"
                      "    from huiminbao_rules.analytics import columnar  # noqa: F401\n"
                      "    from huiminbao_rules.render import explain  # noqa: F401\n", encoding="utf-8")
    run = _lint_imports(copy)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"Contracts: 0 kept, {len(_contracts())} broken." in run.stdout, run.stdout
    assert "huiminbao_rules.adjudication.engine -> huiminbao_rules.analytics.columnar" in run.stdout, run.stdout
