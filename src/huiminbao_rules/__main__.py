"""``python -m huiminbao_rules``: the ``huiminbao`` command."""

import sys

from huiminbao_rules.cli.main import main

sys.exit(main())
