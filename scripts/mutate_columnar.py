"""Mutation testing of the columnar engine (analytics/columnar.py) with mutmut.

mutmut reads its settings from pyproject's [tool.mutmut], which mutates the kernel and the
reference engine; and it leaves decorated functions alone, so it would not mutate the
compiled passes. This script copies the project to a work folder (default
/tmp/huiminbao-mutcol), and there:

- removes the ``@numba.njit(...)`` lines of columnar.py: the run sets NUMBA_DISABLE_JIT=1,
  under which ``numba.njit(f)`` is ``f`` itself, so the copy computes what the original
  computes, in plain Python, and mutmut's trampolines work inside the passes;
- replaces [tool.mutmut] with the columnar settings below;
- runs ``nice -n 10 mutmut ARGS`` there, with NUMBA_DISABLE_JIT=1 and without PYTHONPATH.

    python scripts/mutate_columnar.py run                 # every function of columnar.py
    python scripts/mutate_columnar.py run "huiminbao_rules.analytics.columnar.x__caps_pass*"
    python scripts/mutate_columnar.py results             # the survivors
    python scripts/mutate_columnar.py show NAME           # one mutant's diff

The mutants' results stay in the work folder between runs (delete it to start again, and
after adding tests: mutmut remembers which tests reach which function).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("pyproject.toml", "src", "tests", "examples", "docs", "bench")
COLUMNAR = Path("src/huiminbao_rules/analytics/columnar.py")

# The fast tests that reach the columnar engine: hand cases and a small derandomised
# differential test (tests/test_columnar_cases.py), the columnar tests except the long
# property test and the two population-wide ones, and the benchmark baselines' comparisons.
SETTINGS = """[tool.mutmut]
source_paths = ["src/"]
only_mutate = ["src/huiminbao_rules/analytics/columnar.py"]
also_copy = ["examples/", "docs/", "bench/"]
pytest_add_cli_args_test_selection = [
    "tests/test_columnar_cases.py",
    "tests/test_columnar.py",
    "tests/test_baselines.py",
    "-k", "not agrees_with_the_reference_to_the_fen and not every_choice_for_unknown_lists and not every_bundled_product and not core_library_imports",
]
"""


def _copy(work: Path) -> None:
    """Copy the project's files to the work folder, keeping mutmut's mutants/ there."""
    work.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        source, target = ROOT / name, work / name
        if target.is_dir():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target)
    columnar = work / COLUMNAR
    text = columnar.read_text(encoding="utf-8")
    stripped, n = re.subn(r"(?m)^@numba\.njit\([^\n]*\)\n", "", text)
    if not n:
        raise SystemExit(f"{COLUMNAR}: no @numba.njit(...) line found to remove")
    columnar.write_text(stripped, encoding="utf-8")
    source = (ROOT / COLUMNAR).stat()
    os.utime(columnar, ns=(source.st_atime_ns, source.st_mtime_ns))  # mutmut compares times
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    replaced, n = re.subn(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", SETTINGS + "\n", text)
    if n != 1:
        raise SystemExit("pyproject.toml: no [tool.mutmut] table to replace")
    pyproject.write_text(replaced, encoding="utf-8")


def main(argv: list[str]) -> int:
    work = Path(os.environ.get("HUIMINBAO_MUTCOL_DIR", "/tmp/huiminbao-mutcol"))
    if not argv:
        print(__doc__)
        return 2
    if argv[0] == "run":
        _copy(work)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"NUMBA_DISABLE_JIT": "1"}
    return subprocess.call(["nice", "-n", "10", "mutmut", *argv], cwd=work, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
