"""Progress bars for long work on populations (loading aside, which has its own): a tqdm
bar on standard error, shown only when asked for, or by default when the work is large
and standard error is a terminal. Nothing is written otherwise: the library does not print.

Needs tqdm (the ``scenarios`` extra), imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

__all__ = ["bar"]


class _NoBar:
    """Stands in for a bar that is not shown."""

    def update(self, n: int = 1) -> None:
        pass

    def set_description_str(self, desc: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        pass


def _terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def bar(progress: bool | None, *, large: bool = True, **kwargs: Any) -> Any:
    """A tqdm bar on stderr when ``progress`` is True, or when it is None and the work is
    ``large`` and stderr is a terminal; otherwise an object that shows nothing."""
    if not (progress is True or (progress is None and large and _terminal())):
        return _NoBar()
    from tqdm import tqdm

    return tqdm(file=sys.stderr, **kwargs)
