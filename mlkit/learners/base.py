"""The learner: the network that adapts, with its weights held outside it, one copy per task.

A ``Learner`` owns the meta-parameters θ (its ``nn.Parameter``s, no task dimension). Its ``forward`` takes
inputs with a leading task dimension and, optionally, a dict of *task weights* {name: tensor [T, *shape]} —
θ after a few steps of adaptation to each of the T tasks. With batched matrix products (``torch.bmm``) and
grouped convolutions, one call evaluates T different networks on T tasks, so a meta-batch needs no Python
loop over tasks (the speed-up measured by ``python -m mlkit bench maml-sine``).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

TaskWeights = dict[str, Tensor]


class Learner(nn.Module):
    """Base class. Subclasses register their parameters and implement ``forward(x, weights)``.

    Attributes:
        adaptable: names of the parameters the inner loop updates. The T matrices of T-nets
            (Lee 2018, §4.1) are meta-learned only, so they are left out.
        unit_axis: for each adaptable parameter, the axis of its output units (the axis a per-unit
            MT-net mask M lives on) in the parameter's own shape, without the task dimension.
        head: names of the output layer's parameters (replaced by fine-tuning baselines).
    """

    adaptable: tuple[str, ...] = ()
    unit_axis: dict[str, int] = {}
    head: tuple[str, ...] = ()

    def task_weights(self, n_tasks: int) -> TaskWeights:
        """θ repeated for ``n_tasks`` tasks as views: {name: [T, *shape]} (gradients flow back to θ)."""
        return {name: p.expand(n_tasks, *p.shape) for name, p in self.named_parameters()}

    def config(self) -> dict[str, Any]:
        """Constructor arguments, enough to rebuild this learner with ``build_learner``."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.config().items() if k != "kind")


def truncated_normal_(tensor: Tensor, std: float) -> Tensor:
    """Normal(0, std) truncated at ±2 std, like TensorFlow's ``truncated_normal`` used by MAML and MT-net."""
    return nn.init.trunc_normal_(tensor, mean=0.0, std=std, a=-2 * std, b=2 * std)
