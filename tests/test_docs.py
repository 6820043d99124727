"""The documentation keeps up with the code: every key a user meets is documented, and
the examples in the docs are valid input."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from huiminbao_rules import REASONS, adjudicate, get_product, parse_claim, to_dict
from huiminbao_rules.rules import product as product_module
from huiminbao_rules.adjudication.result import YearToDate

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLE = DOCS.parent / "examples" / "claims" / "shenzhen-2023-s1.json"


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _documented(text: str) -> set[str]:
    return set(re.findall(r"`([a-zA-Z_][a-zA-Z0-9_]*)`", text))


def test_the_claim_examples_in_the_docs_are_valid_claims() -> None:
    blocks = re.findall(r"```json\n(.*?)```", _text("claim-format.md"), flags=re.S)
    claims = [b for b in blocks if '"claim_id"' in b]
    assert claims
    for block in claims:
        assert parse_claim(block).claim_id


def _keys(value: object, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if not re.match(r"^[a-z_]+$", k):
                continue
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def test_every_key_of_the_result_json_is_documented() -> None:
    product = get_product("shenzhen-2023")
    data = to_dict(adjudicate(parse_claim(EXAMPLE.read_text(encoding="utf-8")), product), product)
    for step in data["steps"]:
        step["values"] = {}  # step values are documented per kind, in a table of their own
    data["year_to_date"] = {}
    missing = _keys(data, set()) - _documented(_text("result-json.md"))
    assert not missing, f"undocumented result keys: {sorted(missing)}"
    assert not set(YearToDate.model_fields) - _documented(_text("result-json.md"))


def test_every_reason_code_is_documented() -> None:
    text = _text("result-json.md")
    assert not set(REASONS) - _documented(text)


def test_every_product_key_is_documented() -> None:
    documented = _documented(_text("product-format.md"))
    models = [v for v in vars(product_module).values()
              if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == product_module.__name__]
    missing = set()
    for model in models:
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key not in documented:
                missing.add(f"{model.__name__}.{key}")
    assert not missing, f"undocumented product keys: {sorted(missing)}"


def test_the_docs_link_to_files_that_exist() -> None:
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)\)", readme):
        assert (DOCS.parent / target).exists(), target
    json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_every_public_strategy_is_documented_with_its_arguments() -> None:
    import inspect

    from huiminbao_rules.testing import strategies

    text = _text("testing.md")
    for name in strategies.__all__:
        assert f"`{name}(" in text, name
        fn = getattr(strategies, name)
        params = inspect.signature(getattr(fn, "__wrapped__", fn)).parameters
        for p in params:
            if p != "draw":
                assert f"{p}=" in text, f"{name}: {p}"


def test_every_step_kind_the_engine_writes_is_documented() -> None:
    source = (Path(__file__).resolve().parent.parent / "src" / "huiminbao_rules" / "adjudication" / "engine.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r'Step\("([a-z_]+)"', source))
    text = _text("result-json.md")
    assert kinds and not {k for k in kinds if f"| `{k}` |" not in text}
