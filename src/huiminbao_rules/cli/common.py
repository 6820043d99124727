"""What the command line's verbs share: the bad-input error, reading a JSON file, loading a
product with user lists, and the language and --json flags."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from huiminbao_rules.catalog import load_product, with_user_list
from huiminbao_rules.core.errors import HuiminbaoError, InputError
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, Limits, read_json
from huiminbao_rules.rules.product import Product

__all__ = ["LANG_HELP", "Bad", "lang_of", "product_of", "read_json_file", "refuse_with_json"]

LANG_HELP = "output language: zh (Chinese, the default) or en (English); not with --json"


class Bad(Exception):
    """Bad input, already phrased for the user."""


def read_json_file(path: str, what: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    try:
        return read_json(path, what, limits)
    except InputError as exc:
        raise Bad(str(exc)) from None


def product_of(ref: str, limits: Limits = DEFAULT_LIMITS, lists: Sequence[str] | None = None) -> Product:
    try:
        product = load_product(ref, limits=limits)
        given: dict[str, str] = {}
        for spec in lists or ():
            name, sep, path = spec.partition("=")
            if not sep or not name or not path:
                raise Bad(f"--list {spec!r}: expected NAME=FILE.csv (a list name of the product, then its file)")
            if name in given:
                raise Bad(f"{given[name]}, {path}: --list {name} is given twice; a list is replaced by one file")
            given[name] = path
            product = with_user_list(product, name, path, limits=limits)
        return product
    except HuiminbaoError as exc:
        raise Bad(str(exc)) from None


def lang_of(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or "zh"


def refuse_with_json(args: argparse.Namespace, *flags: str) -> None:
    """JSON carries codes and figures, not a language or a layout: a flag that would change
    nothing with --json is refused rather than ignored."""
    if not getattr(args, "json", False):
        return
    used = [f for f in flags if getattr(args, f[2:].replace("-", "_"), None) not in (None, False)]
    if used:
        raise Bad(f"{' and '.join(used)} cannot be used with --json, which would print the same without "
                   f"{'it' if len(used) == 1 else 'them'} (JSON is language-neutral and complete): leave out one or the "
                   "other")
