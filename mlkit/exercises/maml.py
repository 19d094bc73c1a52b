"""Checks of notebook 01's exercises: MAML written by the student (Finn, Abbeel & Levine 2017).

- ``check_inner_step``: θ' = θ − α ∇_θ L_support(θ)  (eq. 1), kept differentiable;
- ``check_meta_gradient``: ∇_θ L_query(θ'), through the step, Hessian term included (§2.2, Algorithm 2);
- ``check_meta_train_step``: one outer step over a meta-batch, θ ← θ − β ∇_θ mean_T L_T(θ'_T)  (Algorithm 2,
  line 10; the mean over tasks as in the authors' code).

Each compares the student's function with mlkit's ``MAML`` (the 1-40-40-1 MLP of §5.1) on fixed small inputs, and
names the mistakes it recognises. The weights used by the checks are drawn larger than a fresh network's
(std 0.1), so that the second-order term is far from negligible and a first-order answer cannot pass.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int
from mlkit.exercises.feedback import Hint, call, close, expect_weights, largest_difference, student_function
from mlkit.exercises.race import Race, descend, race
from mlkit.learners import MLP
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch

Weights = dict[str, Tensor]  # {"w0": [1, 40], "b0": [40], "w1": [40, 40], "b1": [40], "w2": [40, 1], "b2": [1]}
ALPHA = 0.1  # the checks' step size: large enough for every term of the step to show
EQ1 = "θ' = θ − α ∇_θ L(θ) (Finn et al. 2017, eq. 1)"


@lru_cache(maxsize=1)
def _network() -> MLP:
    """mlkit's 1-40-40-1 MLP, built once without touching the notebook's random numbers (its own weights are never
    used: the checks pass θ explicitly)."""
    with torch.random.fork_rng(devices=[]):
        return MLP((1, 40, 40, 1))


def forward(x: Tensor, theta: Weights) -> Tensor:
    """mlkit's MLP on one task: x [n, 1] -> [n, 1] with weights θ (the notebook's ``mlp``)."""
    return _network()(x[None], {name: w[None] for name, w in theta.items()})[0]


def loss(x: Tensor, y: Tensor, theta: Weights) -> Tensor:
    """The task loss of Finn et al. §5.1: the mean squared error of the network's outputs on (x, y)."""
    return F.mse_loss(forward(x, theta), y)


def fixed_weights(seed: int = 0) -> Weights:
    """θ for the checks: leaves that require gradients, drawn from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    shapes = {"w0": (1, 40), "b0": (40,), "w1": (40, 40), "b1": (40,), "w2": (40, 1), "b2": (1,)}
    return {n: (0.1 * torch.randn(s, generator=generator)).requires_grad_(True) for n, s in shapes.items()}


def fixed_task(seed: int = 0, shots: int = 5) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One sine task: support x, y [shots, 1] and query x, y [10, 1]."""
    batch = SineTasks("thesis", k_shot=shots, meta_batch=1, seed=seed).sample()
    return batch.x_support[0], batch.y_support[0], batch.x_query[0], batch.y_query[0]


def step(theta: Weights, x: Tensor, y: Tensor, alpha: float, create_graph: bool = True, scale: float = 1.0) -> Weights:
    """mlkit's reference for eq. 1 (``scale`` multiplies the gradient: the checks' model of common mistakes)."""
    grads = torch.autograd.grad(loss(x, y, theta), list(theta.values()), create_graph=create_graph)
    return {n: w - scale * alpha * g for (n, w), g in zip(theta.items(), grads)}


def meta_gradient(theta: Weights, support: tuple[Tensor, Tensor], query: tuple[Tensor, Tensor], alpha: float,
                  create_graph: bool = True) -> list[Tensor]:
    """mlkit's reference: ∇_θ L_query(θ') with θ' one step from θ on the support set (first order without
    ``create_graph``)."""
    adapted = step(theta, *support, alpha, create_graph=create_graph)
    return list(torch.autograd.grad(loss(*query, adapted), list(theta.values())))


# --- exercise 1: the inner step ----------------------------------------------------------------------------

def check_inner_step(inner_step: Any) -> None:
    """The student's ``inner_step(theta, x, y, alpha)`` returns eq. 1's θ', differentiable w.r.t. θ to second order."""
    inner_step = student_function(inner_step, "inner_step", ("theta", "x", "y", "alpha"))
    theta = fixed_weights()
    x, y, x_query, y_query = fixed_task()
    adapted = expect_weights(call(inner_step, "inner_step", theta, x, y, ALPHA), "inner_step's θ'", theta)
    got = list(adapted.values())
    known = {
        "uphill": (step(theta, x, y, ALPHA, scale=-1.0),
                   f"θ' moves uphill: you added the gradient. Gradient descent subtracts it: {EQ1}"),
        "no alpha": (step(theta, x, y, 1.0),
                     f"the step ignores α: θ' is θ − ∇L, it should be {EQ1}"),
        "sum": (step(theta, x, y, ALPHA, scale=float(len(x))),
                f"the step is {len(x)} times too large: your loss sums the squared errors of the {len(x)} points; "
                "L is their mean (F.mse_loss)"),
        "no step": (theta, "θ' equals θ: the step does not move the weights"),
    }
    if not close(got, list(step(theta, x, y, ALPHA).values())):
        for want, hint in known.values():
            if close(got, list(want.values())):
                raise Hint(hint)
        difference = largest_difference(got, list(step(theta, x, y, ALPHA).values()))
        raise Hint(f"θ' is not {EQ1} on the support points (largest difference {difference:.2g}): L is the mean "
                   "squared error of mlp(x, theta) against y; take its gradient with torch.autograd.grad and "
                   "subtract α times it from every tensor of θ")
    if not any(w.requires_grad for w in got):
        raise Hint("θ' is cut off from θ (.detach(), .data or torch.no_grad()): the meta-gradient must be able to "
                   "flow back through the step")
    through = torch.autograd.grad(loss(x_query, y_query, adapted), list(theta.values()), allow_unused=True)
    if any(g is None for g in through):
        raise Hint("some tensors of θ' are not computed from θ: build each as θ[name] − α · gradient")
    if not close(list(through), meta_gradient(theta, (x, y), (x_query, y_query), ALPHA)):
        if close(list(through), meta_gradient(theta, (x, y), (x_query, y_query), ALPHA, create_graph=False)):
            raise Hint("the step is right, but the gradient through it misses the second-order term: pass "
                       "create_graph=True to torch.autograd.grad, so that the step itself can be differentiated")
        raise Hint("the gradient through your step differs from MAML's: compute the step's gradient with "
                   "torch.autograd.grad(..., create_graph=True) and use it directly")


# --- exercise 2: the meta-gradient -------------------------------------------------------------------------

def _as_list(value: Any, theta: Weights, what: str) -> list[Tensor]:
    if isinstance(value, dict):
        value = [value.get(n) for n in theta]
    if not isinstance(value, (list, tuple)) or len(value) != len(theta):
        raise Hint(f"{what} should be one gradient per tensor of θ ({len(theta)} tensors, in θ's order), "
                   f"got {type(value).__name__}" + (f" of length {len(value)}" if hasattr(value, "__len__") else ""))
    for (name, w), g in zip(theta.items(), value):
        if not isinstance(g, Tensor) or g.shape != w.shape:
            shape = tuple(g.shape) if isinstance(g, Tensor) else type(g).__name__
            raise Hint(f"{what}: the gradient for {name!r} has shape {shape}, expected {tuple(w.shape)} like θ's")
    return list(value)


def check_meta_gradient(meta_gradient_of: Any) -> None:
    """The student's ``meta_gradient(theta, x_support, y_support, x_query, y_query, alpha)``: ∇_θ L_query(θ')."""
    function = student_function(meta_gradient_of, "meta_gradient",
                                ("theta", "x_support", "y_support", "x_query", "y_query", "alpha"))
    theta = fixed_weights(1)
    x, y, x_query, y_query = fixed_task(1)
    got = _as_list(call(function, "meta_gradient", theta, x, y, x_query, y_query, ALPHA), theta, "meta_gradient")
    support, query = (x, y), (x_query, y_query)
    if close(got, meta_gradient(theta, support, query, ALPHA)):
        return
    at_theta = torch.autograd.grad(loss(*query, theta), list(theta.values()))
    known = [
        (meta_gradient(theta, support, query, ALPHA, create_graph=False),
         "this is first-order MAML's gradient: the second-order term is missing. Your inner_step must call "
         "torch.autograd.grad with create_graph=True"),
        (meta_gradient(theta, query, support, ALPHA),
         "support and query are swapped: take the step on the support set, then measure the loss on the query set"),
        (list(at_theta), "this is the gradient of the query loss at θ, before the step: measure the query loss at θ' "
                         "(the adapted weights), then differentiate it with respect to θ"),
        (meta_gradient(theta, support, support, ALPHA),
         "this is the gradient of the support loss after the step: the meta-gradient is of the query loss"),
    ]
    for want, hint in known:
        if close(got, list(want)):
            raise Hint(hint)
    raise Hint(f"the gradient differs from MAML's (largest difference "
               f"{largest_difference(got, meta_gradient(theta, support, query, ALPHA)):.2g}): θ' = inner_step(theta, "
               "x_support, y_support, alpha), then torch.autograd.grad of the query loss at θ' with respect to "
               "the tensors of θ")


# --- exercise 3: one outer step over a meta-batch ----------------------------------------------------------

def reference_meta_loss(theta: Weights, batch: TaskBatch, alpha: float, create_graph: bool = True,
                        swapped: bool = False, tasks: int | None = None) -> Tensor:
    """mean_T L_query(θ'_T), the meta-loss of Algorithm 2 as the authors' code averages it (``swapped``: support and
    query exchanged; ``tasks``: only the first ones; the checks' models of common mistakes)."""
    losses = []
    for t in range(batch.n_tasks if tasks is None else tasks):
        support, query = (batch.x_support[t], batch.y_support[t]), (batch.x_query[t], batch.y_query[t])
        if swapped:
            support, query = query, support
        losses.append(loss(*query, step(theta, *support, alpha, create_graph=create_graph)))
    return torch.stack(losses).mean()


def _after_sgd(theta: Weights, meta_losses: list[Callable[[Weights], Tensor]], lr: float,
               accumulate: bool = False) -> Weights:
    """θ after one plain SGD step per meta-loss, each step's gradient at the current θ (``accumulate``: the
    gradients of earlier steps are added in, as when ``zero_grad`` is forgotten)."""
    current = {n: w.detach().clone().requires_grad_(True) for n, w in theta.items()}
    total: list[Tensor] | None = None
    for meta_loss in meta_losses:
        grads = list(torch.autograd.grad(meta_loss(current), list(current.values())))
        total = grads if total is None or not accumulate else [a + g for a, g in zip(total, grads)]
        with torch.no_grad():
            current = {n: (w - lr * g) for (n, w), g in zip(current.items(), total)}
        current = {n: w.requires_grad_(True) for n, w in current.items()}
    return current


def check_meta_train_step(meta_train_step: Any) -> None:
    """The student's ``meta_train_step(theta, optimizer, batch, alpha)``: one outer step on the mean query loss of
    every task's adapted weights; returns that loss as a number. Checked with plain SGD (lr 0.01), twice in a row."""
    function = student_function(meta_train_step, "meta_train_step", ("theta", "optimizer", "batch", "alpha"))
    theta = fixed_weights(2)
    batches = [SineTasks("thesis", k_shot=5, meta_batch=3, seed=seed).sample() for seed in (2, 3)]
    lr, start = 0.01, {n: w.detach().clone() for n, w in theta.items()}
    optimizer = torch.optim.SGD(list(theta.values()), lr=lr)
    returned = call(function, "meta_train_step", theta, optimizer, batches[0], ALPHA)
    try:
        value = float(returned.detach()) if isinstance(returned, Tensor) else float(returned)
    except (TypeError, ValueError, RuntimeError):
        raise Hint(f"meta_train_step should return the meta-loss as a number (loss.item()), got "
                   f"{type(returned).__name__}") from None
    one = lambda batch, **kw: (lambda w: reference_meta_loss(w, batch, ALPHA, **kw))  # noqa: E731
    got = [theta[n].detach() for n in start]
    if close(got, list(start.values()), atol=0, rtol=0):
        raise Hint("θ did not move: call loss.backward() and then optimizer.step()")
    mistakes = [
        (_after_sgd(start, [one(batches[0], create_graph=False)], lr),
         "θ moved along first-order MAML's gradient: the second-order term is missing (create_graph=True in "
         "inner_step)"),
        (_after_sgd(start, [one(batches[0], swapped=True)], lr),
         "support and query are swapped: adapt on batch.x_support / y_support, score on x_query / y_query"),
        (_after_sgd(start, [one(batches[0], tasks=1)], lr),
         f"only the first task moved θ: loop over all {batches[0].n_tasks} tasks of the meta-batch"),
        (_after_sgd(start, [lambda w: batches[0].n_tasks * one(batches[0])(w)], lr),
         "θ moved as if the meta-loss were the sum over the tasks: differentiate their mean"),
    ]
    if not close(got, list(_after_sgd(start, [one(batches[0])], lr).values())):
        for want, hint in mistakes:
            if close(got, list(want.values())):
                raise Hint(hint)
        raise Hint("θ after one step differs from MAML's outer step (Finn et al. 2017, Algorithm 2): the meta-loss "
                   "is the mean over tasks of the query loss at each task's θ' (from inner_step on its support set); "
                   "optimizer.zero_grad(), loss.backward(), optimizer.step()")
    want_loss = float(reference_meta_loss(start_copy(start), batches[0], ALPHA).detach())
    if abs(value - want_loss) > 1e-4 * max(1.0, abs(want_loss)):
        if abs(value - want_loss * batches[0].n_tasks) <= 1e-4 * max(1.0, abs(want_loss * batches[0].n_tasks)):
            raise Hint("the returned meta-loss is the sum over the tasks: average it (mean over the meta-batch)")
        raise Hint(f"θ moved correctly, but the returned meta-loss is {value:.4g} while the mean query loss of the "
                   f"adapted weights is {want_loss:.4g}: return the loss you differentiated (loss.item())")
    call(function, "meta_train_step", theta, optimizer, batches[1], ALPHA)
    got = [theta[n].detach() for n in start]
    if not close(got, list(_after_sgd(start, [one(batches[0]), one(batches[1])], lr).values())):
        if close(got, list(_after_sgd(start, [one(batches[0]), one(batches[1])], lr, accumulate=True).values())):
            raise Hint("the second call added the first call's gradients to its own: call optimizer.zero_grad() "
                       "before loss.backward()")
        raise Hint("the first outer step was right, the second was not: does meta_train_step keep something from "
                   "one call to the next?")


def start_copy(weights: Weights) -> Weights:
    return {n: w.clone().requires_grad_(True) for n, w in weights.items()}


# --- the student's MAML, trained ---------------------------------------------------------------------------

def race_maml(meta_train_step: Any, shots: int = 10, alpha: float = 0.01, iterations: int = 800, seed: int = 0,
              progress: bool = True) -> Race:
    """Meta-train the student's MAML (``meta_train_step`` over their ``inner_step``) and mlkit's ``MAML`` from the
    same initial weights (``build_sine("maml", seed=seed)``), on the same ``iterations`` meta-batches of 25 sine
    tasks (seed ``seed``), each with Adam (β = 1e-3, Finn et al. §5.1)."""
    from mlkit.live.sine import META_BATCH, build_sine, sine_tasks

    iterations = check_int("iterations", iterations, 1)
    meta = build_sine("maml", shots=shots, alpha=alpha, seed=seed)
    theta = {n: p.detach().clone().requires_grad_(True) for n, p in meta.learner.named_parameters()}
    student_optimizer = torch.optim.Adam(list(theta.values()), lr=1e-3)
    mlkit_optimizer = torch.optim.Adam(meta.parameters(), lr=1e-3)
    tasks = sine_tasks(shots, seed, meta_batch=META_BATCH)
    batches = [tasks.sample() for _ in range(iterations)]
    function = student_function(meta_train_step, "meta_train_step", ("theta", "optimizer", "batch", "alpha")) \
        if meta_train_step is not None else None

    def student_step(batch: TaskBatch) -> float:
        if function is None:
            raise Hint("`meta_train_step` is not defined yet: run the cell that defines it")
        return call(function, "meta_train_step", theta, student_optimizer, batch, alpha)

    def mlkit_step(batch: TaskBatch) -> float:
        return descend(meta.meta_loss(batch), mlkit_optimizer)

    return race("MAML", student_step, mlkit_step, batches, progress=progress)
