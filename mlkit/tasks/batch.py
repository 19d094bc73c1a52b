"""TaskBatch: what every task sampler hands out.

A meta-batch of T tasks is held as four tensors with a leading task dimension, so that a meta-learner can
adapt to all T tasks at once (batched matrix products) instead of looping over them in Python.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class TaskBatch:
    """Support (training) and query (test) sets of ``n_tasks`` tasks.

    Shapes, with T tasks, S support and Q query examples per task:
        x_support  [T, S, *input_shape]    y_support  [T, S, 1] (regression) or [T, S] int64 labels
        x_query    [T, Q, *input_shape]    y_query    [T, Q, 1] or [T, Q]
    ``info`` holds per-task facts that are not inputs: sine amplitudes and phases, polynomial
    coefficients, or the dataset class ids behind episode labels (``info["classes"]``, [T, N]).
    """

    x_support: Tensor
    y_support: Tensor
    x_query: Tensor
    y_query: Tensor
    info: dict[str, Tensor] = field(default_factory=dict)

    @property
    def n_tasks(self) -> int:
        return self.x_support.shape[0]

    def to(self, device: torch.device | str) -> "TaskBatch":
        """The same batch on ``device`` (tensors in ``info`` too)."""
        move = lambda t: t.to(device, non_blocking=True)  # noqa: E731
        return TaskBatch(
            move(self.x_support), move(self.y_support), move(self.x_query), move(self.y_query),
            {k: move(v) for k, v in self.info.items()},
        )

    def __getitem__(self, tasks: slice | Tensor) -> "TaskBatch":
        """The sub-batch of the chosen tasks (a slice or an index tensor)."""
        return TaskBatch(
            self.x_support[tasks], self.y_support[tasks], self.x_query[tasks], self.y_query[tasks],
            {k: v[tasks] for k, v in self.info.items()},
        )
