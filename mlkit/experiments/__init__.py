"""Reproductions of published tables and figures: ``python -m mlkit reproduce NAME [--quick] [--json]``.

An experiment module defines ``EXPERIMENTS = {"name": run}`` with
``run(quick: bool = False, as_json: bool = False, out_dir: str = "results", **options) -> dict``: it trains and
evaluates what the table needs, writes ``<out_dir>/<name>.json`` and ``<out_dir>/<name>.md`` (our numbers with 95%
intervals beside the paper's), prints the Markdown table (or the JSON) and returns the dict. Notebooks call the
same functions. Options an experiment may take: ``jobs`` (trainings run as that many processes) and ``device``
(where its networks train: "auto", "cpu", "cuda"...).
"""
from __future__ import annotations

import inspect
from typing import Callable

from mlkit.registry import merged


def experiments() -> dict[str, Callable[..., dict]]:
    """Every experiment by name. A new module must define ``EXPERIMENTS`` and be added to the import and tuple here
    (imported on call, not with the package: experiments load datasets, notebooks import one at a time)."""
    from mlkit.experiments import (leo, lstm_omniglot, maml_vs_reptile, mann, omniglot, polynomial, sine_table,
                                   step_size)

    return merged("EXPERIMENTS", (leo, lstm_omniglot, maml_vs_reptile, mann, omniglot, polynomial, sine_table,
                                  step_size))


def run_experiment(name: str, quick: bool = False, as_json: bool = False, out_dir: str = "results",
                   **options) -> dict:
    """Run experiment ``name``; ``options`` (``jobs``, ``device``) are refused by name if it does not take them."""
    found = experiments()
    if name not in found:
        raise ValueError(f"experiment must be one of {', '.join(sorted(found)) or '(none yet)'}, got {name!r}")
    accepted = inspect.signature(found[name]).parameters
    for option in options:
        if option not in accepted:
            takes = [o for o in ("jobs", "device") if o in accepted]
            raise ValueError(f"experiment {name!r} takes no {option} option (options it takes: "
                             f"{', '.join(takes) or 'none'})")
    return found[name](quick=quick, as_json=as_json, out_dir=out_dir, **options)
