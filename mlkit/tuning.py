"""Choosing a method's test-time settings on validation tasks, a level above the methods (it uses ``evaluate``).

``select_sgd``: the fine-tune baseline's learning rate and decay, picked by a grid search on validation episodes
as Ravi & Larochelle (2017) §5.1 do ("search over the learning rate and learning rate decay", a fixed number of
updates). It lives here, beside evaluation, so that no method imports the loop's level.
"""
from __future__ import annotations

from itertools import product
from typing import Any, Sequence

from mlkit.checks import Diverged, check_int
from mlkit.evaluate import evaluate
from mlkit.meta.finetune import FineTune
from mlkit.tasks.sampler import Sampler


def select_sgd(
    meta: FineTune, val_sampler: Sampler, lrs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0),
    decays: Sequence[float] = (1.0, 0.9, 0.7), n_tasks: int = 100, chunk: int = 50,
) -> dict[str, Any]:
    """Grid search of the fine-tuning step size and decay on validation episodes (Ravi & Larochelle 2017, §5.1).

    Every (lr, decay) pair is scored on the same ``n_tasks`` episodes (``val_sampler.reseeded()`` each time); the
    best pair is stored in ``meta.lr`` / ``meta.decay`` (and its hparams). Returns ``{"lr", "decay", "grid"}``
    with ``grid`` a list of ``{"lr", "decay", "score"}`` (mean validation accuracy, or minus MSE for regression; a
    pair whose fine-tuning diverges scores ``-inf`` and is never chosen, unless every pair diverges: then the error).
    """
    check_int("n_tasks", n_tasks, 1)
    if not lrs or not decays:
        raise ValueError(f"lrs and decays must each hold at least one value, got {list(lrs)} and {list(decays)}")
    grid: list[dict[str, float]] = []
    diverged: Diverged | None = None
    for lr, decay in product(lrs, decays):
        try:
            score = evaluate(meta, val_sampler.reseeded(), n_tasks=n_tasks, chunk=chunk, lr=lr, decay=decay)
        except Diverged as error:  # this step size is too large for these tasks
            diverged = error
            grid.append({"lr": lr, "decay": decay, "score": float("-inf")})
            continue
        grid.append({"lr": lr, "decay": decay, "score": score.mean if score.metric == "accuracy" else -score.mean})
    best = max(grid, key=lambda row: row["score"])
    if diverged is not None and best["score"] == float("-inf"):
        raise diverged
    meta.lr, meta.decay = best["lr"], best["decay"]
    meta.hparams.update(lr=meta.lr, decay=meta.decay)
    return {"lr": best["lr"], "decay": best["decay"], "grid": grid}
