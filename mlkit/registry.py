"""Discovery of the package's pluggable parts, so adding a method or an experiment touches one file only.

- a meta-learner is any ``MetaLearner`` subclass with a ``name``, in a module of ``mlkit/meta/``;
- a benchmark module in ``mlkit/bench/`` defines ``BENCHMARKS = {"name": run}``, ``run(as_json) -> dict``;
- an experiment module in ``mlkit/experiments/`` defines ``EXPERIMENTS = {"name": run}``,
  ``run(quick, as_json, out_dir) -> dict``.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any


def modules_of(package: ModuleType) -> list[ModuleType]:
    """Every public module of ``package``, imported, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


def collect(package: ModuleType, attribute: str) -> dict[str, Any]:
    """Merge the ``attribute`` dicts of every module of ``package``; a name defined twice is an error."""
    found: dict[str, Any] = {}
    for module in modules_of(package):
        for name, value in getattr(module, attribute, {}).items():
            if name in found:
                raise RuntimeError(f"{attribute} name {name!r} is defined twice (second time in {module.__name__})")
            found[name] = value
    return found
