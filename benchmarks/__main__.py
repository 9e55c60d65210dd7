"""``python -m benchmarks``: runs every ``bench_*`` module of this package, each through its ``main()``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast


def bench_modules() -> list[str]:
    here = str(Path(__file__).parent)
    return sorted(f"benchmarks.{m.name}" for m in pkgutil.iter_modules([here]) if m.name.startswith("bench_"))


def main() -> int:
    worst = 0
    for name in bench_modules():
        print(f"== {name}", flush=True)
        run = cast(Callable[[list[str]], int], importlib.import_module(name).main)
        worst = max(worst, run([]))
    return worst


if __name__ == "__main__":
    sys.exit(main())
