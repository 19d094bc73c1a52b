"""Merging the name -> function tables of the benchmark and experiment modules into one, refusing duplicates.

- a benchmark module in ``mlkit/bench/`` defines ``BENCHMARKS = {"name": run}``, ``run(as_json) -> dict``;
- an experiment module in ``mlkit/experiments/`` defines ``EXPERIMENTS = {"name": run}``,
  ``run(quick, as_json, out_dir) -> dict``.
Each package lists its modules explicitly (``mlkit.bench.benchmarks``, ``mlkit.experiments.experiments``), so an
editor's go-to-definition follows every name; tests/test_registry.py checks that no module is left out.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any, Sequence


def merged(attribute: str, modules: Sequence[ModuleType]) -> dict[str, Any]:
    """Merge the ``attribute`` dicts of ``modules``; a name defined twice is an error."""
    found: dict[str, Any] = {}
    for module in modules:
        for name, value in getattr(module, attribute).items():
            if name in found:
                raise RuntimeError(f"{attribute} name {name!r} is defined twice (second time in {module.__name__})")
            found[name] = value
    return found
