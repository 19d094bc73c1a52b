"""The one differentiable inner loop that every gradient-based meta-learner shares.

Finn et al. (2017), eq. 1, generalised as in Meta-SGD (Li et al. 2017, eq. 3) and MT-nets (Lee 2018, eq. 4.4):

    θ'  =  θ − α ⊙ M ⊙ ∇_θ L_support(θ)        repeated ``steps`` times,

with α a scalar or a learned tensor per parameter (Meta-SGD), and M an optional 0/1 mask (MT-nets). All T
tasks of a meta-batch are adapted at once: the task weights carry a leading task dimension, the per-task
losses are summed, and since tasks share no weights the gradient of the sum w.r.t. task t's weights is the
gradient of task t's own loss.

- ``create_graph=True`` keeps the graph of the gradients: second-order MAML (the Hessian terms).
- ``create_graph=False`` treats gradients as constants: first-order MAML, Reptile, fine-tuning.
- ``detach=True`` also cuts θ' from θ after every step: plain fine-tuning at test time, cheap in memory.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int, check_positive

TaskWeights = dict[str, Tensor]
StepSize = float | Tensor | Mapping[str, Tensor]


def task_losses(outputs: Tensor, targets: Tensor, task_type: str) -> Tensor:
    """Mean loss of each task: outputs [T, B, out], targets [T, B, 1] or labels [T, B] -> [T].

    Regression: mean squared error. Classification: softmax cross-entropy.
    """
    if task_type == "regression":
        return ((outputs - targets) ** 2).flatten(1).mean(1)
    t, b = targets.shape
    return F.cross_entropy(outputs.reshape(t * b, -1), targets.reshape(-1), reduction="none").view(t, b).mean(1)


def check_step_size(alpha: StepSize, name: str = "alpha") -> StepSize:
    """A scalar step size must be finite and > 0 (learned step-size tensors are left to the optimiser)."""
    if isinstance(alpha, (int, float)):
        return check_positive(name, alpha)
    return alpha


def inner_loop(
    forward: Callable[[Tensor, TaskWeights], Tensor],
    weights: TaskWeights,
    x: Tensor,
    y: Tensor,
    *,
    steps: int,
    alpha: StepSize,
    task_type: str,
    names: tuple[str, ...],
    mask: Mapping[str, Tensor] | None = None,
    create_graph: bool = True,
    detach: bool = False,
) -> TaskWeights:
    """Adapt task weights by ``steps`` gradient steps on (x, y); returns the new weights dict.

    Args:
        forward: ``forward(x, weights) -> outputs`` (a learner).
        weights: {name: [T, *shape]}; only ``names`` are updated, the rest (e.g. T matrices) pass through.
        x, y: support inputs [T, S, ...] and targets.
        alpha: scalar, or a tensor broadcastable to each weight, or {name: tensor} (Meta-SGD).
        mask: {name: 0/1 tensor broadcastable to [T, *shape]} (MT-nets); missing names are not masked.
    """
    check_int("steps", steps, 0)
    alpha = check_step_size(alpha)
    for _ in range(steps):
        if detach:
            weights = {n: (w.detach().requires_grad_(True) if n in names else w.detach()) for n, w in weights.items()}
        loss = task_losses(forward(x, weights), y, task_type).sum()
        grads = torch.autograd.grad(loss, [weights[n] for n in names], create_graph=create_graph)
        weights = dict(weights)
        for name, grad in zip(names, grads):
            step = alpha[name] if isinstance(alpha, Mapping) else alpha
            if mask is not None and name in mask:
                step = step * mask[name]
            weights[name] = weights[name] - step * grad
    if detach:
        weights = {n: w.detach() for n, w in weights.items()}
    return weights
