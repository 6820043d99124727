"""Reading input files and JSON text, bounded and strict.

Every file the library reads (claims, applications, year-to-date records, product and
profile files, JSONL lines) goes through here:

- only a regular file is read (a directory, a named pipe or a device is refused, never
  waited on); at most :attr:`Limits.max_bytes` bytes are read, and a larger file is refused
  naming the limit, without being read to the end;
- the bytes must be UTF-8 (a leading byte-order mark is allowed);
- JSON: duplicate object keys are refused naming the key; ``NaN`` and ``Infinity`` are
  refused; an integer has at most :data:`INT_DIGITS` digits; objects and arrays nest at
  most :attr:`Limits.max_depth` deep; no string may hold a lone surrogate (``"\\ud800"``);
  integers come back as :class:`~huiminbao_rules.core.fields.JsonInt`, so an amount written as
  a JSON number can be refused.

A problem with a whole file raises :class:`~huiminbao_rules.core.errors.FileError`, whose
message starts with the file's name.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from huiminbao_rules.core.errors import FileError
from huiminbao_rules.core.fields import JsonInt

__all__ = ["DEFAULT_LIMITS", "INT_DIGITS", "Limits", "check_tree", "open_regular", "parse_json", "read_file", "read_json",
           "read_text"]

INT_DIGITS = 30
"""The most digits a JSON integer may have (years and counts need four or five)."""


@dataclass(frozen=True)
class Limits:
    """How much one input may hold. The command line sets them with ``--max-bytes`` and
    ``--max-fee-lines``; the API takes them as a ``limits`` argument."""

    max_bytes: int = 16 * 2**20
    """Bytes per file (16 MiB: a claim of 20,000 fee lines takes about 8)."""
    max_fee_lines: int = 20_000
    """Fee lines per claim, over all its encounters."""
    max_depth: int = 64
    """How deep JSON objects and arrays (or TOML tables and arrays) may nest."""

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_fee_lines", "max_depth"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"limit {name} must be a whole number of at least 1, not {v!r}")


DEFAULT_LIMITS = Limits()


NOT_A_FILE_NAME = "not a file name (it holds a NUL character or a lone surrogate)"


def _open_fd(name: str, what: str) -> int:
    """A file descriptor for reading ``name``, opened without waiting on a pipe or a
    terminal; :class:`FileError` when it cannot be opened."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        return os.open(name, flags)
    except OSError as exc:
        raise FileError(name, f"cannot read {what} file: {exc.strerror or exc}") from None
    except ValueError:  # a NUL or a lone surrogate: no file can have this name
        raise FileError(name, f"cannot read {what} file: {NOT_A_FILE_NAME}") from None


def open_regular(path: str | os.PathLike[str], what: str) -> BinaryIO:
    """A regular file opened for reading in binary; :class:`FileError` for anything else
    (missing, a directory, a pipe, a device), without waiting on it."""
    name = str(path)
    fd = _open_fd(name, what)
    try:
        _regular(fd, name, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _regular(fd: int, name: str, what: str) -> os.stat_result:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a named pipe" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise FileError(name, f"cannot read {what} file: it is {kind}, not a regular file")
    return info


def read_file(path: str | os.PathLike[str], what: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file, refused when larger than ``limits.max_bytes``."""
    name = str(path)
    fd = _open_fd(name, what)
    try:
        info = _regular(fd, name, what)
        if info.st_size > limits.max_bytes:
            raise FileError(name, f"{what} file has {info.st_size} bytes, more than the limit of "
                                  f"{limits.max_bytes} bytes per file (--max-bytes)")
        chunks = []
        size = 0
        while True:
            try:
                chunk = os.read(fd, min(1 << 20, limits.max_bytes + 1 - size))
            except OSError as exc:
                raise FileError(name, f"cannot read {what} file: {exc.strerror or exc}") from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.max_bytes:
                raise FileError(name, f"{what} file has more than the limit of {limits.max_bytes} bytes "
                                      "per file (--max-bytes)")
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode(data: bytes, source: str, what: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped); :class:`FileError` otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(source, f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start} "
                                f"{exc.reason}); save it as UTF-8") from None
    return text.removeprefix("\ufeff")


def read_text(path: str | os.PathLike[str], what: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """A regular file's UTF-8 text, bounded by ``limits.max_bytes``."""
    return decode(read_file(path, what, limits), str(path), what)


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    for key, _ in pairs:  # name the first key that appears twice
        if key in seen:
            raise _Refused(f"the key {key!r} appears twice in one object; each key appears once")
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means a key appears twice")


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > INT_DIGITS:
        raise _Refused(f"an integer of {digits} digits is too large (at most {INT_DIGITS})")
    return JsonInt(int(text))


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a JSON number; write numbers as digits (amounts as quoted strings)")


def check_tree(data: Any, max_depth: int) -> str | None:
    """Why a parsed tree is refused (too deep; a lone surrogate in a string), or None."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if not _utf8(node):
                return f"the text {node[:30]!r} holds a lone surrogate (an escape like \\ud800), which is not a character"
        elif isinstance(node, (dict, list, tuple)):
            if depth > max_depth:
                return f"objects and arrays nest more than {max_depth} deep"
            if isinstance(node, Mapping):
                for k, v in node.items():
                    stack.append((k, depth))
                    stack.append((v, depth + 1))
            else:
                stack.extend((v, depth + 1) for v in node)
    return None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]").search


def _no_surrogates(text: str) -> bool:
    """Whether no string parsed from the JSON ``text`` can hold a lone surrogate: the text
    holds none and no escape of one (``\\ud800``-``\\udfff``; a pair of them makes one
    character, but any is enough to look closer)."""
    return (text.isascii() or _utf8(text)) and ("\\u" not in text or _SURROGATE_ESCAPE(text) is None)


def _too_deep(data: Any, max_depth: int) -> bool:
    """Whether the objects and arrays of a parsed JSON tree nest more than ``max_depth`` deep."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        for v in node.values() if type(node) is dict else node:
            if type(v) is dict or type(v) is list:
                stack.append((v, depth + 1))
    return False


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_json(text: str | bytes, source: str, what: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """JSON text parsed strictly (see the module docstring); :class:`FileError` naming
    ``source`` on any problem with the text as a whole."""
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), source, what)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise FileError(source, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except _Refused as exc:
        raise FileError(source, f"{what} refused: {exc}") from None
    except RecursionError:
        raise FileError(source, f"{what} refused: objects and arrays nest more than {limits.max_depth} deep") from None
    if type(data) is not dict and type(data) is not list:
        reason = check_tree(data, limits.max_depth)
    elif _no_surrogates(text):  # the quick look: only the depth to check
        # (no deeper than the text has brackets that open an object or an array)
        deep = text.count("{") + text.count("[") > limits.max_depth and _too_deep(data, limits.max_depth)
        reason = f"objects and arrays nest more than {limits.max_depth} deep" if deep else None
    else:
        reason = check_tree(data, limits.max_depth)
    if reason is not None:
        raise FileError(source, f"{what} refused: {reason}")
    return data


def read_json(path: str | os.PathLike[str], what: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """A regular file's strict JSON (bounded by ``limits``)."""
    return parse_json(read_text(path, what, limits), str(path), what, limits)


def is_file_path(ref: str | Path) -> bool:
    """Whether a reference names a file rather than a bundled id."""
    text = str(ref)
    return text.endswith(".toml") or os.sep in text or "/" in text
