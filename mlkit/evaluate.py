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

from mlkit.checks import check_int
from mlkit.meta.base import MetaLearner

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
        return {"mean": self.mean, "ci95": self.ci95, "n": self.n, "metric": self.metric}


def confidence_interval(values: np.ndarray | list[float], metric: str = "mse") -> Score:
    """Mean and 1.96·std/√n of per-task values."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("values must hold at least one task's metric, got none")
    return Score(float(values.mean()), float(1.96 * values.std() / math.sqrt(values.size)), values.size, metric, values)


def task_metrics(meta: MetaLearner, batch, **adapt_kwargs: Any) -> torch.Tensor:
    """Per-task metric [T] on a batch: query MSE (regression) or query accuracy (classification)."""
    predictor = meta.adapt(batch.x_support, batch.y_support, **adapt_kwargs)
    prediction = predictor.predict(batch.x_query)
    if meta.task_type == "regression":
        return ((prediction - batch.y_query) ** 2).flatten(1).mean(1)
    return (prediction == batch.y_query).float().mean(1)


def evaluate(meta: MetaLearner, sampler, n_tasks: int = 600, chunk: int = 100, device: str | torch.device | None = None,
             **adapt_kwargs: Any) -> Score:
    """Adapt to ``n_tasks`` tasks drawn from ``sampler`` (seeded by its constructor) and score the queries.

    Tasks are always drawn in blocks of ``DRAW_BLOCK`` (so the tasks, and the numbers, do not depend on
    ``chunk``) and adapted ``chunk`` at a time, batched. Extra keyword arguments go to ``meta.adapt``
    (e.g. ``steps=10, alpha=0.01``).
    """
    check_int("n_tasks", n_tasks, 1)
    check_int("chunk", chunk, 1)
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
    return confidence_interval(torch.cat(values).double().numpy(), metric)
