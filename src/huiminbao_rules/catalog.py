"""Finds and loads product files: the only module that reads files.

Bundled products live in ``huiminbao_rules/products/<city>/<version>.toml`` and have the
id ``<city>-<version>`` (``shenzhen/2023.toml`` is ``shenzhen-2023``). A user's own file
is loaded by path with :func:`read_product`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import get_args

from huiminbao_rules.core.errors import FileError, ProductError, UnknownProductError
from huiminbao_rules.core.fields import _text
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, Limits, check_tree, read_file, read_text
from huiminbao_rules.rules.product import ListItem, NamedList, Product, Source, parse_product
from huiminbao_rules.rules.profile import Profile, parse_profile

__all__ = [
    "bundled_ids",
    "bundled_list",
    "bundled_list_ids",
    "bundled_products",
    "bundled_profiles",
    "get_product",
    "get_profile",
    "load_product",
    "load_profile",
    "product_path",
    "read_product",
    "read_profile",
    "read_user_list",
    "with_user_list",
]

_APPROVAL = re.compile(r"(国药准字|进口药品注册证号|医药产品注册证号|注册证号)?[A-Z]{1,2}[0-9]{8}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{2,49}\*?")
_ICD = re.compile(r"[A-Z][0-9A-Z.]{0,7}")
_NAME_COLUMNS = ("name", "名称", "通用名")
_ID_COLUMNS = ("approval_number", "批准文号", "code", "national_code", "医保代码")
_IND_COLUMNS = ("indications", "适应症")
_LIST_KINDS: tuple[str, ...] = get_args(NamedList.model_fields["kind"].annotation)


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
    A list with ``bundled = "<id>"`` takes the members, completeness and sources of that
    bundled list.

    A file that is not the bundled file of its id may not take a bundled product's id: a
    variant declares its own (``shenzhen-2023~mine``; see :meth:`Product.with_changes`).
    """
    data = _read_toml(path, "product", limits)
    _resolve_bundled_lists(data, str(path))
    product = parse_product(data, str(path))
    bundled = _index().get(product.id)
    if bundled is not None and _same_file(bundled, Path(path)) is False:
        raise ProductError(f"id {product.id!r} is a bundled product's id; a file of your own declares its own id, "
                           f"e.g. {product.id + '~variant'!r}", str(path))
    return product


def _lists_root() -> Path:
    return _root("lists")


def bundled_list_ids() -> list[str]:
    """Ids of the bundled national lists (e.g. ``cn-commercial-innovative-drugs-2025``)."""
    return sorted(p.stem for p in _lists_root().glob("*.toml"))


@lru_cache(maxsize=None)
def _bundled_list_data(list_id: str) -> dict:  # type: ignore[type-arg]
    path = _lists_root() / f"{list_id}.toml"
    if not path.is_file():
        raise UnknownProductError(list_id, bundled_list_ids(), what="bundled list")
    return _read_toml(path, "list")


def bundled_list(list_id: str) -> tuple[NamedList, dict[str, Source]]:
    """A bundled national list and the sources it cites (see ``docs/product-format.md``)."""
    data = dict(_bundled_list_data(list_id))
    sources = {k: Source.model_validate(v) for k, v in data.pop("sources", {}).items()}
    for key in ("id", "valid_from", "valid_to"):
        data.pop(key, None)
    try:
        return NamedList.model_validate(data), sources
    except ValueError as exc:
        raise ProductError(f"invalid bundled list: {exc}", str(_lists_root() / f"{list_id}.toml")) from None


def _resolve_bundled_lists(data: dict, origin: str) -> None:  # type: ignore[type-arg]
    """Fill each list that names a bundled list: its members first, then the file's own;
    the bundled list's completeness, verification and source unless the file states them."""
    for lid, lst in (data.get("lists") or {}).items():
        if not isinstance(lst, dict) or not lst.get("bundled"):
            continue
        try:
            named, sources = bundled_list(str(lst["bundled"]))
        except UnknownProductError as exc:
            raise ProductError(f"list {lid}: {exc}", origin) from None
        data.setdefault("sources", {})
        for sid, src in sources.items():
            data["sources"].setdefault(sid, src.model_dump(mode="python"))
        own = list(lst.get("items", []))
        lst["items"] = [i.model_dump(mode="python") for i in named.items] + own
        lst.setdefault("completeness", named.completeness)
        lst.setdefault("verified", named.verified)
        lst.setdefault("source", named.source)
        lst.setdefault("name_zh", named.name_zh)
        lst.setdefault("name_en", named.name_en)


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


def _csv_rows(text: str, path: Path) -> list[list[str]]:
    """The rows of a CSV text, whatever its line ends (LF, CRLF or CR); a row the CSV
    reader cannot read is refused naming its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise ProductError(f"line {reader.line_num + 1}: not readable as CSV ({exc}); a cell holds at most "
                           f"{csv.field_size_limit()} characters", str(path)) from None
    return rows


def read_user_list(path: str | Path, kind: str = "drugs", *,
                   limits: Limits = DEFAULT_LIMITS) -> tuple[tuple[ListItem, ...], str]:
    """A list supplied by the user, from a UTF-8 CSV file with a header row, and the sha256
    of its bytes. Columns: ``name`` (required, the name a billed line starts with), then
    ``approval_number`` (批准文号: 国药准字H20183387, a 进口 registration number) and/or
    ``code`` (the national 医保 code, ``*`` at the end for a prefix), and optionally
    ``indications`` (ICD-10 prefixes separated by ``;``). Every row names the item and
    gives an approval number or a code, except in a list of ``institutions`` (matched by
    name: the name column alone will do). Raises :class:`ProductError` naming the file, the
    row and the field."""
    p = Path(path)
    if kind not in _LIST_KINDS:
        raise ProductError(f"list kind {kind!r}; accepted: {', '.join(_LIST_KINDS)}", str(p))
    try:
        raw = read_file(p, "list", limits)
    except FileError as exc:
        raise ProductError(exc.problems[0].message, str(p)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProductError("list file is not UTF-8 text (save the CSV as UTF-8)", str(p)) from None
    rows = _csv_rows(text, p)
    col, name_col = _list_columns(rows, kind, p)
    items = [_list_item(row, n, col, name_col, kind, p) for n, row in enumerate(rows[1:], start=2)
             if any(cell.strip() for cell in row)]
    if not items:
        raise ProductError("list file has a header but no items", str(p))
    return tuple(items), hashlib.sha256(raw).hexdigest()


def _list_columns(rows: list[list[str]], kind: str, p: Path) -> tuple[dict[str, int], int]:
    """A list file's columns from its header row: column -> index, and the name column's index."""
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ProductError("list file is empty: expected a header row name,approval_number,code,indications", str(p))
    header = [h.strip().lower() for h in rows[0]]
    known = set(_NAME_COLUMNS + _ID_COLUMNS + _IND_COLUMNS)
    odd = [h for h in header if h not in known]
    if odd:
        raise ProductError(f"list file header: unknown column {odd[0]!r}; accepted: name, approval_number, code, "
                           "indications", str(p))
    if len(set(header)) != len(header):
        raise ProductError("list file header: a column repeats", str(p))
    col = {h: i for i, h in enumerate(header)}
    name_col = next((col[h] for h in _NAME_COLUMNS if h in col), None)
    if name_col is None:
        raise ProductError("list file header has no 'name' column; accepted: name, approval_number, code, "
                           "indications", str(p))
    if kind != "institutions" and not any(h in col for h in _ID_COLUMNS):
        raise ProductError("list file header has neither 'approval_number' nor 'code': every item needs one", str(p))
    return col, name_col


def _list_item(row: list[str], n: int, col: dict[str, int], name_col: int, kind: str, p: Path) -> ListItem:
    """Row ``n`` of a list file as an item: its name, approval numbers or codes, indications."""
    if len(row) != len(col):
        raise ProductError(f"row {n}: {len(row)} fields, the header has {len(col)}", str(p))
    cell = {h: row[i].strip() for h, i in col.items()}
    name = row[name_col].strip()
    if not name:
        raise ProductError(f"row {n}: name is empty; every item is named as billed lines name it", str(p))
    try:
        _text(name)
    except ValueError as exc:
        raise ProductError(f"row {n}: name: {exc}; items are named as billed lines name them", str(p)) from None
    approvals, codes = _list_ids(cell, n, p)
    if kind != "institutions" and not approvals and not codes:
        raise ProductError(f"row {n}: {name!r} has neither an approval number nor a code", str(p))
    return ListItem(name=name, codes=tuple(codes), approval_numbers=tuple(approvals),
                    indications=tuple(_list_indications(cell, n, p)))


def _list_ids(cell: dict[str, str], n: int, p: Path) -> tuple[list[str], list[str]]:
    """The approval numbers and the national codes of row ``n``."""
    approvals, codes = [], []
    for h in _ID_COLUMNS:
        value = cell.get(h, "")
        if not value:
            continue
        if h in ("approval_number", "批准文号"):
            if not _APPROVAL.fullmatch(value):
                raise ProductError(f"row {n}: approval_number {value!r} is not an approval number; accepted: "
                                   "国药准字 followed by a letter and 8 digits (国药准字H20183387), or an import "
                                   "registration number such as H20150001", str(p))
            approvals.append(value)
        else:
            if not _CODE.fullmatch(value):
                raise ProductError(f"row {n}: code {value!r} is not a national code; accepted: letters and "
                                   "digits (e.g. XL01XX123A001010100001), '*' at the end for a prefix", str(p))
            codes.append(value)
    return approvals, codes


def _list_indications(cell: dict[str, str], n: int, p: Path) -> list[str]:
    """The ICD-10 prefixes of row ``n`` (separated by ``;``)."""
    indications: list[str] = []
    for h in _IND_COLUMNS:
        for part in re.split(r"[;；]", cell.get(h, "")):
            part = part.strip()
            if not part:
                continue
            if not _ICD.fullmatch(part):
                raise ProductError(f"row {n}: indication {part!r} is not an ICD-10 prefix (e.g. C34 or C83.3); "
                                   "separate several with ';'", str(p))
            indications.append(part)
    return indications


def with_user_list(product: Product, name: str, path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Product:
    """``product`` with its list ``name`` replaced by the list in the CSV file ``path``
    (see :func:`read_user_list` and :meth:`Product.with_list`)."""
    named = product.lists.get(name) if isinstance(name, str) else None
    if named is None:  # before the file is read: the name is what is wrong
        raise ProductError(f"product {product.id} has no list {name!r}; its lists: {', '.join(product.lists) or 'none'}")
    items, digest = read_user_list(path, named.kind, limits=limits)
    return product.with_list(name, items, file=Path(path).name, sha256=digest)
