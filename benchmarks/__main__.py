"""Run every benchmark module in this folder, one after another:
``python -m benchmarks [name ...]``.
"""

import importlib
import pkgutil
import sys
from pathlib import Path

names = sys.argv[1:] or sorted(
    m.name
    for m in pkgutil.iter_modules([str(Path(__file__).parent)])
    if m.name.startswith("bench_")
)
for name in names:
    print(f"=== {name}", flush=True)
    importlib.import_module(f"benchmarks.{name}").main()
