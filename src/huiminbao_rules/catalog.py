"""Finds and loads product files: the only module that reads files.

Bundled products live in ``huiminbao_rules/products/<city>/<version>.toml`` and have the
id ``<city>-<version>`` (``shenzhen/2023.toml`` is ``shenzhen-2023``). A user's own file
is loaded by path with :func:`read_product`.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import ProductError, UnknownProductError
from .product import Product, parse_product
from .regulation import Profile, parse_profile

__all__ = [
    "bundled_ids",
    "bundled_products",
    "bundled_profiles",
    "get_product",
    "get_profile",
    "load_product",
    "product_path",
    "read_product",
    "read_profile",
]


def _root(folder: str = "products") -> Path:
    return Path(str(resources.files("huiminbao_rules") / folder))


def _read_toml(path: str | Path, what: str) -> dict:  # type: ignore[type-arg]
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProductError(f"cannot read {what} file: {exc.strerror}", str(p)) from None
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProductError(f"not valid TOML: {exc}", str(p)) from None


def read_product(path: str | Path) -> Product:
    """Load a product from a TOML file (floats are read as ``Decimal``)."""
    return parse_product(_read_toml(path, "product"), str(path))


def read_profile(path: str | Path) -> Profile:
    """Load a regulatory profile from a TOML file."""
    return parse_profile(_read_toml(path, "profile"), str(path))


@lru_cache(maxsize=None)
def get_profile(profile_id: str) -> Profile:
    """A bundled regulatory profile by id."""
    path = _root("profiles") / f"{profile_id}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in _root("profiles").glob("*.toml"))
        raise UnknownProductError(profile_id, known, what="profile")
    return read_profile(path)


def bundled_profiles() -> list[Profile]:
    """Every bundled regulatory profile, by id."""
    return [get_profile(p.stem) for p in sorted(_root("profiles").glob("*.toml"))]


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


def load_product(id_or_path: str | Path) -> Product:
    """A bundled product by id, or a product file by path (anything ending in ``.toml``)."""
    text = str(id_or_path)
    if text.endswith(".toml") or Path(text).is_file():
        return read_product(text)
    return get_product(text)
