"""Benchmarks: ``python -m mlkit bench NAME [--json]``.

A benchmark module defines ``BENCHMARKS = {"name": run}`` with ``run(as_json: bool = False) -> dict``: it
measures, prints a table of rates *and ratios against a reference computed in the same run*, and returns what
it printed. Speed lives here, never in timed tests: the machines are shared and noisy.
"""
from __future__ import annotations

from typing import Callable

from mlkit.registry import merged


def benchmarks() -> dict[str, Callable[..., dict]]:
    """Every benchmark by name. A new module must define ``BENCHMARKS`` and be added to the import and tuple here
    (imported on call, not with the package: benchmarks load what they measure)."""
    from mlkit.bench import fewshot, glyphs, lstm, maml_sine

    return merged("BENCHMARKS", (fewshot, glyphs, lstm, maml_sine))


def run_benchmark(name: str, as_json: bool = False) -> dict:
    """Run benchmark ``name``: it prints its table (or JSON) and returns it."""
    found = benchmarks()
    if name not in found:
        raise ValueError(f"benchmark must be one of {', '.join(sorted(found))}, got {name!r}")
    return found[name](as_json=as_json)
