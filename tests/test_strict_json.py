"""The strict JSON reader refuses the same texts with the same messages whichever way it
looks at them: the quick look (no string can hold a lone surrogate, so only the nesting
depth is checked) and the full walk over every string."""

from __future__ import annotations

import json

import pytest

from huiminbao_rules.core.errors import FileError
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, Limits, check_tree, parse_json


def _refusal(text: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    try:
        parse_json(text, "t.json", "claim", limits)
    except FileError as exc:
        return exc.problems[0].message
    return None


@pytest.mark.parametrize("depth", [63, 64, 65, 66, 200])
@pytest.mark.parametrize("string", ['"plain"', '"名称"', '"\\ud83d\\ude00"', '"\\\\ud800"'])
def test_nesting_just_past_the_limit_is_refused_with_or_without_escapes(depth, string) -> None:
    """Nesting under Python's own recursion limit, at and around the 64 allowed; strings
    that are ASCII, not ASCII, a surrogate pair escaped, and an escaped backslash."""
    for text in ("[" * (depth - 1) + "{\"k\": " + string + "}" + "]" * (depth - 1),
                 "{\"a\": " * (depth - 1) + "[" + string + "]" + "}" * (depth - 1)):
        got = _refusal(text)
        if depth > 64:
            assert got is not None and got.endswith("objects and arrays nest more than 64 deep"), got
        else:
            assert got is None
        assert check_tree(json.loads(text), 64) == (None if depth <= 64 else
                                                    "objects and arrays nest more than 64 deep")


def test_a_lone_surrogate_is_found_however_the_text_is_written() -> None:
    for text in ('{"a": "\\ud800"}', '{"a": "\\uDC00", "名": 1}', '["x", ["\\udfff"]]', '{"a": "\ud800"}'):
        got = _refusal(text)
        assert got is not None and "lone surrogate" in got, (text, got)
    assert _refusal('{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}') is None


def test_a_duplicate_key_is_named_first_in_the_text_innermost_first() -> None:
    got = _refusal('{"b": {"x": 1, "y": 2, "y": 3, "x": 4}, "b": 5}')
    assert got is not None and got.endswith("the key 'y' appears twice in one object; each key appears once"), got
    assert _refusal('{"a": 1, "A": 2}') is None
