"""Finds and loads product files: the only module that reads files.

Bundled products live in ``huiminbao_rules/products/<city>/<version>.toml`` and have the
id ``<city>-<version>`` (``shenzhen/2023.toml`` is ``shenzhen-2023``). A user's own file
is loaded by path with :func:`read_product`.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import FileError, ProductError, UnknownProductError
from .inputs import DEFAULT_LIMITS, Limits, check_tree, read_text
from .product import Product, parse_product
from .regulation import Profile, parse_profile

__all__ = [
    "bundled_ids",
    "bundled_products",
    "bundled_profiles",
    "get_product",
    "get_profile",
    "load_product",
    "load_profile",
    "product_path",
    "read_product",
    "read_profile",
]


def _root(folder: str = "products") -> Path:
    return Path(str(resources.files("huiminbao_rules") / folder))


_PLAIN_FLOAT = re.compile(r"-?[0-9]+\.[0-9]+")


class _NotPlain(ValueError):
    pass


def _decimal(text: str) -> Decimal:
    """A TOML float read exactly, as written: digits, a point, digits. Exponents,
    underscores, ``inf`` and ``nan`` are refused (a sign is left to the field to refuse)."""
    if not _PLAIN_FLOAT.fullmatch(text):
        raise _NotPlain(text)
    return Decimal(text)


def _read_toml(path: str | Path, what: str, limits: Limits = DEFAULT_LIMITS) -> dict:  # type: ignore[type-arg]
    p = Path(path)
    try:
        text = read_text(p, what, limits)
    except FileError as exc:
        raise ProductError(exc.problems[0].message, str(p)) from None
    try:
        data = tomllib.loads(text, parse_float=_decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProductError(f"not valid TOML: {exc}", str(p)) from None
    except _NotPlain as exc:
        raise ProductError(f"the number {exc} is not written as plain decimal digits (like 0.70 or 15000); "
                           "exponents, underscores, inf and nan are refused", str(p)) from None
    except RecursionError:
        raise ProductError(f"tables and arrays nest more than {limits.max_depth} deep", str(p)) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise ProductError(f"not valid TOML: {str(exc)[:200]}", str(p)) from None
    reason = check_tree(data, limits.max_depth)
    if reason is not None:
        raise ProductError(reason, str(p))
    return data


def read_product(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Product:
    """Load a product from a TOML file (floats are read as ``Decimal``, exactly as written).

    A file that is not the bundled file of its id may not take a bundled product's id: a
    variant declares its own (``shenzhen-2023~mine``; see :meth:`Product.with_changes`).
    """
    product = parse_product(_read_toml(path, "product", limits), str(path))
    bundled = _index().get(product.id)
    if bundled is not None and _same_file(bundled, Path(path)) is False:
        raise ProductError(f"id {product.id!r} is a bundled product's id; a file of your own declares its own id, "
                           f"e.g. {product.id + '~variant'!r}", str(path))
    return product


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def read_profile(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Profile:
    """Load a regulatory profile from a TOML file."""
    return parse_profile(_read_toml(path, "profile", limits), str(path))


@lru_cache(maxsize=1)
def _profile_index() -> dict[str, Path]:
    return {f.stem: f for f in sorted(_root("profiles").glob("*.toml"))}


@lru_cache(maxsize=None)
def get_profile(profile_id: str) -> Profile:
    """A bundled regulatory profile by id (only the bundled ids: nothing is joined onto a folder)."""
    path = _profile_index().get(profile_id)
    if path is None:
        raise UnknownProductError(profile_id, sorted(_profile_index()), what="profile")
    return read_profile(path)


def load_profile(id_or_path: str | Path) -> Profile:
    """A bundled profile by id, or a profile file by path (a name ending in ``.toml``)."""
    text = str(id_or_path)
    if text.endswith(".toml"):
        return read_profile(text)
    return get_profile(text)


def bundled_profiles() -> list[Profile]:
    """Every bundled regulatory profile, by id."""
    return [get_profile(i) for i in sorted(_profile_index())]


@lru_cache(maxsize=1)
def _index() -> dict[str, Path]:
    root = _root()
    return {f"{f.parent.name}-{f.stem}": f for f in sorted(root.glob("*/*.toml"))}


def bundled_ids() -> list[str]:
    """Ids of the bundled products, sorted."""
    return sorted(_index())


def product_path(product_id: str) -> Path:
    """The file a bundled product is read from."""
    try:
        return _index()[product_id]
    except KeyError:
        raise UnknownProductError(product_id, bundled_ids()) from None


@lru_cache(maxsize=None)
def get_product(product_id: str) -> Product:
    """A bundled product by id; :class:`UnknownProductError` lists the known ids."""
    path = product_path(product_id)
    product = read_product(path)
    if product.id != product_id:
        raise ProductError(f"file declares id {product.id!r} but its path makes it {product_id!r}", str(path))
    return product


def bundled_products() -> list[Product]:
    """Every bundled product, by id."""
    return [get_product(i) for i in bundled_ids()]


def load_product(id_or_path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Product:
    """A bundled product by id, or a product file by path (a name ending in ``.toml``, or
    one that names an existing file)."""
    text = str(id_or_path)
    if text in _index():
        return get_product(text)
    if text.endswith(".toml") or Path(text).exists():
        return read_product(text, limits=limits)
    return get_product(text)
