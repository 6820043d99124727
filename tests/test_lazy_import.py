"""Importing the package is cheap: its public names load from their modules on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import huiminbao_rules


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_importing_the_package_loads_no_pydantic_model() -> None:
    code = ("import sys, huiminbao_rules; "
            "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'huiminbao_rules.'))))")
    assert _run(code) == "[]"


def test_every_public_name_is_the_object_of_its_module() -> None:
    code = "import huiminbao_rules as h; print(h.adjudicate.__module__, h.Product.__module__, h.REASONS is not None)"
    assert _run(code) == "huiminbao_rules.adjudication.engine huiminbao_rules.rules.product True"
    from huiminbao_rules.adjudication import engine
    from huiminbao_rules.core import errors
    from huiminbao_rules.claims import models
    assert huiminbao_rules.replay is engine.replay
    assert huiminbao_rules.InputError is errors.InputError
    assert huiminbao_rules.parse_claim is models.parse_claim


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="adjudicate_everything"):
        huiminbao_rules.adjudicate_everything  # noqa: B018
