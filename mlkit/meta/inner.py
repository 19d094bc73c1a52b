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

Two optional extensions, used by Reptile (Nichol et al. 2018, §3 and its code): ``rule`` turns each step's
gradients into update directions (``AdamDirection``: Adam with β1 = 0, moments kept per task), and ``batches``
makes step i use only the examples ``batches[i]`` of each task's support set (inner mini-batches, see
``cycling_batches``). Without them the loop is exactly the plain rule above on the whole support set.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int, check_positive

TaskWeights = dict[str, Tensor]
StepSize = float | Tensor | Mapping[str, Tensor]
StepRule = Callable[[dict[str, Tensor]], dict[str, Tensor]]  # this step's gradients -> update directions


def task_losses(outputs: Tensor, targets: Tensor, task_type: str) -> Tensor:
    """Mean loss of each task: outputs [T, B, out], targets [T, B, 1] or labels [T, B] -> [T].

    Regression: mean squared error. Classification: softmax cross-entropy.
    """
    if task_type == "regression":
        return ((outputs - targets) ** 2).mean(dim=tuple(range(1, outputs.dim())))
    t, b = targets.shape
    return F.cross_entropy(outputs.reshape(t * b, -1), targets.reshape(-1), reduction="none").view(t, b).mean(1)


def summed_task_loss(outputs: Tensor, targets: Tensor, task_type: str) -> Tensor:
    """``task_losses(...).sum()`` in one fused reduction (every task has the same number of examples).

    The inner loop differentiates this sum: tasks share no weights, so its gradient w.r.t. task t's weights
    is the gradient of task t's own mean loss.
    """
    t = outputs.shape[0]
    if task_type == "regression":
        return F.mse_loss(outputs, targets, reduction="sum") * (t / outputs.numel())
    return F.cross_entropy(outputs.reshape(targets.numel(), -1), targets.reshape(-1), reduction="sum") * (t / targets.numel())


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
    rule: StepRule | None = None,
    batches: Tensor | None = None,
) -> TaskWeights:
    """Adapt task weights by ``steps`` gradient steps on (x, y); returns the new weights dict.

    Args:
        forward: ``forward(x, weights) -> outputs`` (a learner).
        weights: {name: [T, *shape]}; only ``names`` are updated, the rest (e.g. T matrices) pass through.
        x, y: support inputs [T, S, ...] and targets.
        alpha: scalar, or a tensor broadcastable to each weight, or {name: tensor} (Meta-SGD).
        mask: {name: 0/1 tensor broadcastable to [T, *shape]} (MT-nets); missing names are not masked.
        rule: called once per step with {name: gradient [T, *shape]}, returns the directions to step along
            (default: the gradients themselves).
        batches: int64 indices [steps, T, B] into the support axis of x and y: step i fits each task on its
            own B examples ``batches[i]`` (default: all S examples at every step).
    """
    check_int("steps", steps, 0)
    alpha = check_step_size(alpha)
    if batches is not None:
        if batches.shape[0] < steps:
            raise ValueError(f"batches must hold indices for all {steps} steps, got {batches.shape[0]}")
        tasks = torch.arange(x.shape[0], device=x.device).unsqueeze(1)  # [T, 1], pairs each task with its indices
    for i in range(steps):
        if detach:
            weights = {n: (w.detach().requires_grad_(True) if n in names else w.detach()) for n, w in weights.items()}
        x_step, y_step = (x, y) if batches is None else (x[tasks, batches[i]], y[tasks, batches[i]])  # [T, B, ...]
        loss = summed_task_loss(forward(x_step, weights), y_step, task_type)
        grads = torch.autograd.grad(loss, [weights[n] for n in names], create_graph=create_graph)
        if rule is not None:
            directions = rule(dict(zip(names, grads)))
            grads = tuple(directions[n] for n in names)
        weights = dict(weights)
        for name, grad in zip(names, grads):
            step = alpha[name] if isinstance(alpha, Mapping) else alpha
            if mask is not None and name in mask:
                step = step * mask[name]
            if isinstance(step, float):  # one fused op (and one autograd node) instead of two
                weights[name] = torch.add(weights[name], grad, alpha=-step)
            else:
                weights[name] = weights[name] - step * grad
    if detach:
        weights = {n: w.detach() for n, w in weights.items()}
    return weights


class AdamDirection:
    """Adam's update direction with β1 = 0 (the inner optimiser of Reptile's code), for one set of tasks.

    With β1 = 0 the first moment is the current gradient g, so step t moves along g / (sqrt(v̂_t) + eps) with
    v_t = β2·v_{t−1} + (1 − β2)·g² and v̂_t = v_t / (1 − β2^t). The moments v carry the task dimension, so every
    task has its own Adam state; a fresh object starts every task from zero (call it once per adaptation).
    Gradients enter as constants (first-order), as Reptile needs.
    """

    def __init__(self, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.v: dict[str, Tensor] = {}

    def __call__(self, grads: dict[str, Tensor]) -> dict[str, Tensor]:
        self.t += 1
        correction = 1 - self.beta2 ** self.t
        directions = {}
        for name, g in grads.items():
            g = g.detach()
            v = self.v[name] * self.beta2 + (1 - self.beta2) * g * g if name in self.v else (1 - self.beta2) * g * g
            self.v[name] = v
            directions[name] = g / ((v / correction).sqrt() + self.eps)
        return directions


def cycling_batches(n_tasks: int, n_examples: int, batch_size: int, steps: int,
                    generator: torch.Generator | None = None, device: torch.device | str | None = None) -> Tensor:
    """Indices [steps, T, B] of inner mini-batches drawn without replacement, cycling through reshuffles.

    As in Reptile's code: each task's examples are shuffled and cut into consecutive batches of ``batch_size``;
    when they run out they are reshuffled and the cut goes on (a batch may straddle two shuffles). Every task
    gets its own shuffles.
    """
    check_int("batch_size", batch_size, 1)
    check_int("steps", steps, 0)
    rounds = -(-steps * batch_size // n_examples)  # ceil: shuffles needed
    order = torch.cat([torch.rand(n_tasks, n_examples, generator=generator).argsort(1) for _ in range(max(rounds, 1))], 1)
    order = order[:, : steps * batch_size].reshape(n_tasks, steps, batch_size)  # [T, steps, B]
    return order.transpose(0, 1).to(device)  # [steps, T, B]
