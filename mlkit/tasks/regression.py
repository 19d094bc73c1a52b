"""Regression task families: sine waves (two published variants) and polynomials.

- ``SineTasks(variant="thesis")``: Lee (2018) thesis §6.1 / Meta-SGD (Li et al. 2017) §4.1:
  y = A·sin(w·x − b), A ~ U[0.1, 5], w ~ U[0.8, 1.2], b ~ U[0, π], x ~ U[−5, 5]; K support + 10 query.
- ``SineTasks(variant="maml")``: Finn et al. (2017) §5.1: the same without frequency (w = 1); K + K points.
- ``PolynomialTasks(order=n)``: thesis §6.1 (Figure 6.1): y = Σ_i c_i x^i, c_i ~ U[−1, 1] / 2^i, x ~ U[−2, 2].
(Facts from the papers and the authors' code: yoonholee/MT-net, cbfinn/maml.)
Sampling uses a private ``torch.Generator``, so the same seed gives the same tasks on every machine and the
sampler's state can be checkpointed and resumed exactly.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from mlkit.checks import check_choice, check_int
from mlkit.resources import check_batch_memory
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.sampler import SeededStream


class RegressionTasks(SeededStream):
    """Base: draws per-task parameters, then i.i.d. inputs, and splits each task into support and query.

    A ``Sampler`` (mlkit/tasks/sampler.py): ``sample``, ``reseeded``, ``state_dict``, ``load_state_dict``.
    """

    task_type = "regression"
    input_shape = (1,)
    x_range: tuple[float, float] = (-5.0, 5.0)

    def __init__(self, k_shot: int, q_query: int, meta_batch: int, seed: int) -> None:
        self.k_shot = check_int("k_shot", k_shot, 1)
        self.q_query = check_int("q_query", q_query, 1)
        self.meta_batch = check_int("meta_batch", meta_batch, 1)
        self._start_stream(seed)
        check_batch_memory(self)

    def _uniform(self, shape: tuple[int, ...], low: float, high: float) -> Tensor:
        return low + (high - low) * torch.rand(shape, generator=self.generator)

    def draw(self, n_tasks: int) -> dict[str, Tensor]:
        """The parameters of ``n_tasks`` new tasks (each tensor has a leading task dimension)."""
        raise NotImplementedError

    def function(self, info: dict[str, Tensor], x: Tensor) -> Tensor:
        """True outputs of the tasks described by ``info`` at inputs ``x`` [T, n, 1] -> [T, n, 1]."""
        raise NotImplementedError

    def sample(self, n_tasks: int | None = None) -> TaskBatch:
        """A meta-batch of ``n_tasks`` tasks (default ``meta_batch``)."""
        n = self.meta_batch if n_tasks is None else check_int("n_tasks", n_tasks, 1)
        if n > self.meta_batch:
            check_batch_memory(self, n, "n_tasks")
        info = self.draw(n)
        x = self._uniform((n, self.k_shot + self.q_query, 1), *self.x_range)  # [T, K+Q, 1]
        y = self.function(info, x)
        k = self.k_shot
        return TaskBatch(x[:, :k], y[:, :k], x[:, k:], y[:, k:], info)


class SineTasks(RegressionTasks):
    """Sine-wave regression, ``variant="thesis"`` (with frequency, K+10 points) or ``"maml"`` (K+K points).

    Example:
        >>> tasks = SineTasks(k_shot=10, meta_batch=4, seed=0)
        >>> batch = tasks.sample()
        >>> batch.x_support.shape, batch.x_query.shape
        (torch.Size([4, 10, 1]), torch.Size([4, 10, 1]))
    """

    amplitude_range = (0.1, 5.0)
    phase_range = (0.0, math.pi)

    def __init__(
        self, variant: str = "thesis", k_shot: int = 10, q_query: int | None = None,
        meta_batch: int = 4, seed: int = 0,
    ) -> None:
        self.variant = check_choice("variant", variant, ("thesis", "maml"))
        if q_query is None:
            q_query = 10 if variant == "thesis" else k_shot
        self.frequency_range = (0.8, 1.2) if variant == "thesis" else (1.0, 1.0)
        super().__init__(k_shot, q_query, meta_batch, seed)

    def draw(self, n_tasks: int) -> dict[str, Tensor]:
        return {
            "amplitude": self._uniform((n_tasks,), *self.amplitude_range),
            "frequency": self._uniform((n_tasks,), *self.frequency_range),
            "phase": self._uniform((n_tasks,), *self.phase_range),
        }

    def function(self, info: dict[str, Tensor], x: Tensor) -> Tensor:
        a, w, b = (info[k].view(-1, 1, 1) for k in ("amplitude", "frequency", "phase"))
        return a * torch.sin(w * x - b)  # minus phase, as in the thesis code


class PolynomialTasks(RegressionTasks):
    """Polynomials of a fixed ``order`` with shrinking coefficients c_i ~ U[-1, 1] / 2^i on x ~ U[-2, 2]."""

    x_range = (-2.0, 2.0)

    def __init__(
        self, order: int = 1, k_shot: int = 10, q_query: int = 10, meta_batch: int = 4, seed: int = 0
    ) -> None:
        self.order = check_int("order", order, 0)
        super().__init__(k_shot, q_query, meta_batch, seed)

    def draw(self, n_tasks: int) -> dict[str, Tensor]:
        scale = 2.0 ** -torch.arange(self.order + 1, dtype=torch.float32)  # [order+1]
        return {"coefficients": self._uniform((n_tasks, self.order + 1), -1.0, 1.0) * scale}

    def function(self, info: dict[str, Tensor], x: Tensor) -> Tensor:
        c = info["coefficients"]  # [T, order+1], c[:, i] multiplies x^i
        powers = x ** torch.arange(c.shape[1], dtype=x.dtype)  # [T, n, order+1]
        return (powers * c.unsqueeze(1)).sum(-1, keepdim=True)  # [T, n, 1]
