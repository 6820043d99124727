"""The columnar engine on cases built to reach each of its money stages: a small, fixed
(derandomised) run of the differential test, and hand-checked figures. These are the fast
tests the columnar engine's mutation run uses (scripts/mutate_columnar.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings


def _differential():  # type: ignore[no-untyped-def]
    """tests/test_columnar.py, for its strategy of populations and its comparison."""
    path = Path(__file__).resolve().parent / "test_columnar.py"
    spec = importlib.util.spec_from_file_location("_columnar_differential", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _differential()


@settings(max_examples=25, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(D.populations())
def test_a_fixed_sample_of_populations_agrees_with_the_reference_engine(case) -> None:  # type: ignore[no-untyped-def]
    product, population, mode = case
    D._same(product, population, mode)
