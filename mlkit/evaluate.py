"""Evaluation over many held-out tasks: the mean and its 95% confidence interval, as the papers report it.

The interval is 1.96·σ/√n with σ the (population) standard deviation of the per-task metric over n tasks,
exactly as in the MAML and MT-net evaluation code (``np.std``, 600 tasks).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from mlkit.checks import Diverged, check_int
from mlkit.meta.adapt_inputs import check_model_fits_tasks
from mlkit.meta.base import MetaLearner
from mlkit.recipes import check_adapt_options
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.sampler import Sampler

DRAW_BLOCK = 100  # tasks drawn from the sampler at a time during evaluation


@dataclass
class Score:
    """Mean of a per-task metric with its 95% interval. ``str(score)`` gives ``"0.712 ± 0.043"``."""

    mean: float
    ci95: float
    n: int
    metric: str
    values: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def __str__(self) -> str:
        if self.metric == "accuracy":
            return f"{100 * self.mean:.2f} ± {100 * self.ci95:.2f} %"
        return f"{self.mean:.3f} ± {self.ci95:.3f}"

    def as_dict(self) -> dict[str, Any]:
        """``{"mean", "ci95", "n", "metric"}`` (the per-task values left out), for JSON."""
        return {"mean": self.mean, "ci95": self.ci95, "n": self.n, "metric": self.metric}


def confidence_interval(values: np.ndarray | list[float], metric: str = "mse") -> Score:
    """Mean and 1.96·std/√n of per-task values."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("values must hold at least one task's metric, got none")
    return Score(float(values.mean()), float(1.96 * values.std() / math.sqrt(values.size)), values.size, metric, values)


def task_metrics(meta: MetaLearner, batch: TaskBatch, **adapt_kwargs: Any) -> torch.Tensor:
    """Per-task metric [T] on a batch: query MSE (regression) or query accuracy (classification); NaN for a task
    whose predictions are not finite (a diverged adaptation)."""
    predictor = meta.adapt(batch.x_support, batch.y_support, **adapt_kwargs)
    outputs = predictor.outputs(batch.x_query)  # [T, Q, out]
    if meta.task_type == "regression":
        metric = ((outputs - batch.y_query) ** 2).flatten(1).mean(1)
    else:
        metric = (outputs.argmax(-1) == batch.y_query).float().mean(1)
    return metric.masked_fill(~torch.isfinite(outputs).flatten(1).all(1), float("nan"))


def evaluate(meta: MetaLearner, sampler: Sampler, n_tasks: int = 600, chunk: int = 100,
             device: str | torch.device | None = None, **adapt_kwargs: Any) -> Score:
    """Adapt to ``n_tasks`` tasks drawn from ``sampler`` and score the queries.

    The tasks are the next ones of the sampler's stream: pass ``sampler.reseeded()`` to score the same tasks on
    every call.

    Tasks are always drawn in blocks of ``DRAW_BLOCK`` (so the tasks, and the numbers, do not depend on
    ``chunk``) and adapted ``chunk`` at a time, batched. Extra keyword arguments go to ``meta.adapt``
    (e.g. ``steps=10, alpha=0.01``).
    """
    check_int("n_tasks", n_tasks, 1)
    check_int("chunk", chunk, 1)
    check_model_fits_tasks(meta, sampler)
    check_adapt_options(meta, adapt_kwargs)
    device = device or next(meta.parameters()).device
    was_training = meta.training
    meta.eval()
    values = []
    try:
        for start in range(0, n_tasks, DRAW_BLOCK):
            block = sampler.sample(min(DRAW_BLOCK, n_tasks - start))
            for first in range(0, block.n_tasks, chunk):
                batch = block[first : first + chunk].to(device)
                values.append(task_metrics(meta, batch, **adapt_kwargs).detach().cpu())
    finally:
        meta.train(was_training)
    metric = "mse" if meta.task_type == "regression" else "accuracy"
    scores = torch.cat(values).double()
    if not bool(torch.isfinite(scores).all()):
        options = f" with {', '.join(f'{k}={v!r}' for k, v in adapt_kwargs.items())}" if adapt_kwargs else ""
        raise Diverged(f"the adaptation diverged: {int((~torch.isfinite(scores)).sum())} of {len(scores)} tasks "
                       f"gave non-finite predictions ({meta.name}{options}); try a smaller step size or fewer steps")
    return confidence_interval(scores.numpy(), metric)
