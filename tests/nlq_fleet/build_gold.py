"""Compute the fleet question set's gold answers with DuckDB (as ``../nlq_shop/build_gold.py``).

    python tests/nlq_fleet/build_gold.py [--check]

Reuses the shop set's gold builder on this folder, so both sets are judged alike.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    spec = importlib.util.spec_from_file_location(
        "shop_gold", HERE.parent / "nlq_shop" / "build_gold.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = HERE
    sys.exit(module.main())
