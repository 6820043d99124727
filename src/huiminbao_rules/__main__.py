"""``python -m huiminbao_rules``: the ``huiminbao`` command."""

import sys

from .cli import main

sys.exit(main())
