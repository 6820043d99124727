"""The command line, ``huiminbao``: the only part of the package that prints."""

from huiminbao_rules.cli.main import main

__all__ = ["main"]
