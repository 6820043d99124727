"""Regenerate the golden snapshots of every bundled product's results on the canonical
claims (tests/snapshots/<id>.json). Review the change as a diff before committing it:

    python scripts/regen_snapshots.py && git diff tests/snapshots

Every product also has a figure worked out by hand from its terms
(tests/test_snapshot_figures.py): a regenerated snapshot that disagrees with it fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from snapshot_claims import snapshot  # noqa: E402

from huiminbao_rules import bundled_products  # noqa: E402


def main() -> None:
    folder = ROOT / "tests" / "snapshots"
    folder.mkdir(exist_ok=True)
    keep = set()
    for product in bundled_products():
        path = folder / f"{product.id}.json"
        path.write_text(json.dumps(snapshot(product), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        keep.add(path.name)
    for stale in folder.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()
    print(f"wrote {len(keep)} snapshots to {folder.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
