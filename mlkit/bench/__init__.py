"""Benchmarks: ``python -m mlkit bench NAME [--json]``.

A benchmark module defines ``BENCHMARKS = {"name": run}`` with ``run(as_json: bool = False) -> dict``: it
measures, prints a table of rates *and ratios against a reference computed in the same run*, and returns what
it printed. Speed lives here, never in timed tests: the machines are shared and noisy.
"""
from __future__ import annotations

import sys


def benchmarks() -> dict:
    from mlkit.registry import collect

    return collect(sys.modules[__name__], "BENCHMARKS")


def run_benchmark(name: str, as_json: bool = False) -> dict:
    found = benchmarks()
    if name not in found:
        raise ValueError(f"benchmark must be one of {', '.join(sorted(found))}, got {name!r}")
    return found[name](as_json=as_json)
