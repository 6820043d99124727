"""The package's one boundary holds: the core (everything a claim needs, pydantic only)
never imports the analytics modules, and the engine and the claim models never import the
command line or the renderers. The contracts are in pyproject.toml ([tool.importlinter]);
`lint-imports` checks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def test_every_module_is_either_core_or_analytics() -> None:
    boundary = _contracts()[0]
    core, analytics = set(boundary["source_modules"]), set(boundary["forbidden_modules"])
    assert not core & analytics
    modules = {f"huiminbao_rules.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules |= {f"huiminbao_rules.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert core | analytics == modules, f"classify as core or analytics: {sorted(modules ^ (core | analytics))}"


def test_a_forbidden_import_breaks_the_contracts(tmp_path) -> None:
    """The same check on a copy of the package where the engine imports an analytics module
    and the command line's renderer: both contracts are broken, and lint-imports fails."""
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "huiminbao_rules", ignore=shutil.ignore_patterns("__pycache__"))
    engine = copy / "huiminbao_rules" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\n\ndef _late() -> None:\n"
                      "    from . import columnar, explain  # noqa: F401\n", encoding="utf-8")
    run = _lint_imports(copy)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"Contracts: 0 kept, {len(_contracts())} broken." in run.stdout, run.stdout
    assert "huiminbao_rules.engine -> huiminbao_rules.columnar" in run.stdout, run.stdout
