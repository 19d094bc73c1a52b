"""Checks of notebook 05's exercises: first-order MAML, Reptile and the expansion's A and B, written by the student.

- ``check_fomaml_gradient``: ``fomaml_gradient(theta, x_support, y_support, x_query, y_query, alpha)`` is the query
  gradient taken at θ' = θ − α ∇L_support(θ), the inner gradient held constant (Finn et al. 2017, §5.2; Nichol,
  Achiam & Schulman 2018, §2);
- ``check_reptile_update``: ``reptile_update(theta, x, y, alpha, k, epsilon)`` takes k plain SGD steps φ from θ on
  the task's points and returns θ + ε(φ − θ) (Nichol et al. 2018, Algorithm 1);
- ``check_a_and_b``: ``a_and_b(theta, tasks)`` estimates A = E[g(0)] and B = E[H(1) g(0)] = ½ E[∇(g(0)·g(1))] over
  tasks that each come as two mini-batches (Nichol et al. 2018, §5.1: AvgGrad and AvgGradInner), compared with
  mlkit's expansion (``mlkit.analysis.expansion``);
- ``race_reptile``: the student's update, averaged over a meta-batch (Algorithm 2), meta-trains beside mlkit's
  batched ``Reptile`` from the same weights on the same tasks;
- ``a_and_b_against_mlkit``: the student's A and B at a given θ beside mlkit's on the same tasks.

The network is notebook 01's 1-40-40-1 MLP with weights in a dict (``mlkit.exercises.maml.forward``); the checks'
weights are drawn larger than a fresh network's, so that every term shows.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
from torch import Tensor

from mlkit.checks import check_int, check_positive
from mlkit.exercises.feedback import Hint, call, close, expect_weights, largest_difference, student_function
from mlkit.exercises.maml import Weights, fixed_task, fixed_weights, loss, step
from mlkit.exercises.race import Race, race
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch

ALPHA = 0.1  # the checks' inner step size: large enough for every term to show
FOMAML = "g = ∇L_query(θ') with θ' = θ − α ∇L_support(θ), the inner gradient a constant (Finn et al. 2017, §5.2)"
ALGORITHM_1 = "θ ← θ + ε(φ − θ), φ after k SGD steps φ ← φ − α ∇L(φ) from φ = θ (Nichol et al. 2018, Algorithm 1)"
NO_GRAPH = "does not require grad"  # what autograd says when asked for a gradient of a tensor cut from the graph


def _call(function: Callable[..., Any], name: str, *args: Any) -> Any:
    """``call``, with autograd's complaint about a tensor cut off from the graph said in words."""
    try:
        return call(function, name, *args)
    except Hint as hint:
        if NO_GRAPH in str(hint) or "appears to not have been used in the graph" in str(hint):
            raise Hint(f"{hint}. torch.autograd.grad can only differentiate a loss computed from tensors that require "
                       "gradients: after .detach(), call .requires_grad_(); to differentiate a gradient again, "
                       "compute it with create_graph=True") from None
        raise


def gradients_like(value: Any, theta: Weights, what: str) -> list[Tensor]:
    """``value`` as one tensor per tensor of θ, in θ's order (a list, a tuple or a dict with θ's names)."""
    if isinstance(value, dict):
        missing = [n for n in theta if n not in value]
        if missing:
            raise Hint(f"{what} should have a tensor for every name of θ; missing {missing}")
        value = [value[n] for n in theta]
    if not isinstance(value, (list, tuple)) or len(value) != len(theta):
        length = f" of length {len(value)}" if hasattr(value, "__len__") else ""
        raise Hint(f"{what} should be one tensor per tensor of θ ({len(theta)} tensors, in θ's order), got "
                   f"{type(value).__name__}{length}")
    for (name, w), g in zip(theta.items(), value):
        if not isinstance(g, Tensor) or g.shape != w.shape:
            shape = tuple(g.shape) if isinstance(g, Tensor) else type(g).__name__
            raise Hint(f"{what}: the tensor for {name!r} has shape {shape}, expected {tuple(w.shape)} like θ's")
        if not torch.isfinite(g).all():
            raise Hint(f"{what}: the tensor for {name!r} holds NaN or infinite values")
    return list(value)


def gradient(theta: Weights, x: Tensor, y: Tensor, create_graph: bool = False) -> list[Tensor]:
    """∇_θ L(θ) on (x, y), one tensor per tensor of θ."""
    return list(torch.autograd.grad(loss(x, y, theta), list(theta.values()), create_graph=create_graph))


# --- exercise 1: the first-order MAML gradient ---------------------------------------------------------------

def fomaml_reference(theta: Weights, support: tuple[Tensor, Tensor], query: tuple[Tensor, Tensor], alpha: float,
                     second_order: bool = False, scale: float = 1.0) -> list[Tensor]:
    """The query gradient after one inner step on ``support`` (``second_order``: MAML's, through the step;
    ``scale`` multiplies the inner gradient: the checks' model of common mistakes)."""
    adapted = step(theta, *support, alpha, create_graph=second_order, scale=scale)
    if second_order:
        return list(torch.autograd.grad(loss(*query, adapted), list(theta.values())))
    adapted = {n: w.detach().requires_grad_(True) for n, w in adapted.items()}
    return gradient(adapted, *query)


def check_fomaml_gradient(fomaml_gradient: Any) -> None:
    """The student's ``fomaml_gradient(theta, x_support, y_support, x_query, y_query, alpha)``: first-order MAML's
    meta-gradient of one task, compared with mlkit's on a fixed task and fixed weights."""
    function = student_function(fomaml_gradient, "fomaml_gradient",
                                ("theta", "x_support", "y_support", "x_query", "y_query", "alpha"))
    theta = fixed_weights(5)
    x, y, x_query, y_query = fixed_task(5)
    support, query = (x, y), (x_query, y_query)
    out = _call(function, "fomaml_gradient", theta, x, y, x_query, y_query, ALPHA)
    got = gradients_like(out, theta, "fomaml_gradient")
    want = fomaml_reference(theta, support, query, ALPHA)
    if close(got, want):
        return
    adapted = step(theta, x, y, ALPHA, create_graph=False)
    known = [
        (fomaml_reference(theta, support, query, ALPHA, second_order=True),
         "this is MAML's meta-gradient, Hessian term included: first-order MAML treats the inner gradient as a "
         "constant. Compute it without create_graph (or .detach() θ'), and take the query gradient with respect to "
         "θ' itself"),
        (gradient(theta, *query), "this is the gradient of the query loss at θ, before the step: take one inner "
                                  "step on the support set first, and measure the query loss at θ'"),
        (fomaml_reference(theta, query, support, ALPHA), "support and query are swapped: step on the support set, "
                                                         "then take the gradient of the query loss"),
        (fomaml_reference(theta, support, support, ALPHA), "this is the gradient of the support loss after the step: "
                                                           "the meta-gradient is of the query loss"),
        (fomaml_reference(theta, support, query, ALPHA, scale=-1.0), "the inner step went uphill: θ' = θ − α∇L, "
                                                                     "subtract the gradient"),
        (fomaml_reference(theta, support, query, 1.0), "the inner step ignores α: θ' = θ − α ∇L_support(θ)"),
        ([w.detach() for w in adapted.values()], "these are the adapted weights θ', not a gradient: return the "
                                                 "gradient of the query loss at θ'"),
    ]
    for wrong, hint in known:
        if close(got, wrong):
            raise Hint(hint)
    raise Hint(f"the gradient differs from first-order MAML's (largest difference {largest_difference(got, want):.2g}):"
               f" {FOMAML}")


# --- exercise 2: the Reptile update ----------------------------------------------------------------------------

def reptile_reference(theta: Weights, x: Tensor, y: Tensor, alpha: float, k: int, epsilon: float, *,
                      sign: float = 1.0, outer: float | None = None, inner_sign: float = 1.0, steps: int | None = None,
                      frozen: bool = False, scale: float = 1.0) -> Weights:
    """Algorithm 1 on one task, with the checks' models of common mistakes: ``sign`` of the outer step, ``outer``
    its step size (ε by default), ``inner_sign`` and ``scale`` of the inner gradients, ``steps`` inner steps (k by
    default), ``frozen``: every inner gradient taken at θ instead of at the current φ."""
    phi = {n: w.detach() for n, w in theta.items()}
    start = {n: w.detach().requires_grad_(True) for n, w in theta.items()}
    for _ in range(k if steps is None else steps):
        point = start if frozen else {n: w.requires_grad_(True) for n, w in phi.items()}
        grads = gradient(point, x, y)
        phi = {n: (w - inner_sign * scale * alpha * g).detach() for (n, w), g in zip(phi.items(), grads)}
    size = epsilon if outer is None else outer
    return {n: theta[n].detach() + sign * size * (phi[n] - theta[n].detach()) for n in theta}


def check_reptile_update(reptile_update: Any) -> None:
    """The student's ``reptile_update(theta, x, y, alpha, k, epsilon)``: θ + ε(φ − θ) after k SGD steps φ on one
    task, compared with mlkit's on fixed weights and a fixed task (α = 0.1, k = 3, ε = 0.3)."""
    function = student_function(reptile_update, "reptile_update", ("theta", "x", "y", "alpha", "k", "epsilon"))
    theta = fixed_weights(6)
    x, y, _, _ = fixed_task(6)
    k, epsilon = 3, 0.3
    before = {n: w.detach().clone() for n, w in theta.items()}
    out = _call(function, "reptile_update", theta, x, y, ALPHA, k, epsilon)
    if not all(torch.equal(theta[n].detach(), before[n]) for n in theta):
        raise Hint("reptile_update changed θ in place: build new tensors (φ = {name: w - alpha * g ...}) and leave "
                   "the θ it was given as it was")
    got = list(expect_weights(out, "reptile_update's new θ", theta).values())
    want = reptile_reference(theta, x, y, ALPHA, k, epsilon)
    if close(got, list(want.values())):
        return
    phi = reptile_reference(theta, x, y, ALPHA, k, 1.0)
    difference = {n: phi[n] - before[n] for n in theta}
    known = [
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, sign=-1.0),
         "the Reptile step has the wrong sign: θ moved away from the adapted weights φ. Algorithm 1 moves θ towards "
         "them: θ + ε(φ − θ)"),
        (phi, f"the Reptile step has the wrong scale: θ went all the way to φ (as if ε = 1); it moves the fraction "
              f"ε = {epsilon} of the way: θ + ε(φ − θ)"),
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, outer=ALPHA),
         "the Reptile step has the wrong scale: the outer step uses ε, not the inner step size α: θ + ε(φ − θ)"),
        ({n: epsilon * d for n, d in difference.items()},
         "you returned the step ε(φ − θ); return the new θ, θ + ε(φ − θ)"),
        (difference, "you returned φ − θ; return the new θ, θ + ε(φ − θ)"),
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, steps=1),
         f"φ took one SGD step; Algorithm 1 takes k = {k} steps, each from where the last one ended"),
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, steps=k + 1),
         f"φ took {k + 1} SGD steps; Algorithm 1 takes k = {k}"),
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, frozen=True),
         "every inner step used the gradient at θ: take each step's gradient at the current φ"),
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, inner_sign=-1.0),
         "the inner steps went uphill: φ ← φ − α ∇L(φ), subtract the gradient"),
        (reptile_reference(theta, x, y, ALPHA, k, epsilon, scale=float(len(x))),
         f"the inner steps are {len(x)} times too large: your loss sums the squared errors of the {len(x)} points; "
         "L is their mean (F.mse_loss)"),
    ]
    for wrong, hint in known:
        if close(got, list(wrong.values())):
            raise Hint(hint)
    raise Hint(f"the new θ differs from Reptile's (largest difference "
               f"{largest_difference(got, list(want.values())):.2g}): {ALGORITHM_1}")


# --- exercise 3: A and B --------------------------------------------------------------------------------------

Task = tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]  # two mini-batches (x, y) of one task


def fixed_tasks(n_tasks: int = 6, seed: int = 7) -> list[Task]:
    """``n_tasks`` sine tasks, each as two mini-batches of 10 points (its support and its query set)."""
    batch = SineTasks("thesis", k_shot=10, q_query=10, meta_batch=n_tasks, seed=seed).sample()
    return as_tasks(batch)


def as_tasks(batch: TaskBatch) -> list[Task]:
    """A ``TaskBatch`` as a list of tasks, each ((x_support, y_support), (x_query, y_query))."""
    return [((batch.x_support[t], batch.y_support[t]), (batch.x_query[t], batch.y_query[t]))
            for t in range(batch.n_tasks)]


def learner_with(theta: Weights):
    """mlkit's MLP holding the weights θ (built without touching the notebook's random numbers)."""
    from mlkit.learners import MLP

    sizes = (theta["w0"].shape[0], *(theta[f"w{i}"].shape[1] for i in range(len(theta) // 2)))
    with torch.random.fork_rng(devices=[]):
        learner = MLP(sizes)
    with torch.no_grad():
        for name, w in theta.items():
            learner.get_parameter(name).copy_(w.detach())
    return learner


def mlkit_a_and_b(theta: Weights, tasks: Sequence[Task]) -> tuple[Tensor, Tensor]:
    """A and B over ``tasks`` from mlkit's expansion (``expansion_terms``, float64): the task means of
    ½(g(0) + g(1)) and ½(H(1) g(0) + H(0) g(1)), flat [P]."""
    from mlkit.analysis.expansion import expansion_terms

    batches = [tuple(torch.stack([task[b][i] for task in tasks]) for i in range(2)) for b in range(2)]
    terms = expansion_terms(learner_with(theta), "regression", batches, k=2)
    a = 0.5 * (terms.gradients[0] + terms.gradients[1])
    b = 0.5 * (terms.products[(0, 1)] + terms.products[(1, 0)])
    return a.mean(0), b.mean(0)


def _flat(tensors: Sequence[Tensor]) -> Tensor:
    return torch.cat([t.detach().reshape(-1).double() for t in tensors])


def products(theta: Weights, task: Task) -> dict[str, Tensor]:
    """The pieces of one task at θ (flat, float64): g0, g1, and the Hessian-vector products H(j) g(i) as "HjGi"."""
    g = [gradient(theta, *batch, create_graph=True) for batch in task]
    out = {"g0": _flat(g[0]), "g1": _flat(g[1])}
    for i in range(2):
        for j in range(2):
            dot = sum((a * b.detach()).sum() for a, b in zip(g[j], g[i]))
            out[f"H{j}g{i}"] = _flat(torch.autograd.grad(dot, list(theta.values()), retain_graph=True))
    return out


def check_a_and_b(a_and_b: Any) -> None:
    """The student's ``a_and_b(theta, tasks)`` -> (A, B), each one tensor per tensor of θ: the averages over the
    tasks of ½(g(0) + g(1)) and of ½(H(1) g(0) + H(0) g(1)), compared with mlkit's expansion on 6 fixed tasks."""
    function = student_function(a_and_b, "a_and_b", ("theta", "tasks"))
    theta, tasks = fixed_weights(7), fixed_tasks()
    out = _call(function, "a_and_b", theta, tasks)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Hint(f"a_and_b should return two things, A and B (each one tensor per tensor of θ); got "
                   f"{type(out).__name__}" + (f" of length {len(out)}" if hasattr(out, "__len__") else ""))
    got_a, got_b = (_flat(gradients_like(v, theta, what)) for v, what in zip(out, ("A", "B")))
    want_a, want_b = mlkit_a_and_b(theta, tasks)
    ok = lambda got, want: bool(torch.allclose(got, want, rtol=1e-3, atol=1e-5 * float(want.abs().max())))  # noqa: E731
    pieces = [products(theta, task) for task in tasks]
    mean = lambda key: torch.stack([p[key] for p in pieces]).mean(0)  # noqa: E731
    n = len(tasks)
    if ok(got_a, want_b) and ok(got_b, want_a):
        raise Hint("A and B are swapped: return (A, B), A the average gradient and B the average Hessian-vector "
                   "product")
    if not ok(got_a, want_a):
        for wrong, hint in ((mean("g0"), "A uses the gradient of batch 0 only: average the gradients of both "
                                         "batches, ½(g(0) + g(1))"),
                            (mean("g1"), "A uses the gradient of batch 1 only: average the gradients of both "
                                         "batches, ½(g(0) + g(1))"),
                            (n * want_a, f"A is {n} times too large: average over the tasks, do not sum"),
                            (2 * want_a, "A is twice too large: A is the mean of the two batches' gradients, "
                                         "½(g(0) + g(1))")):
            if ok(got_a, wrong):
                raise Hint(hint)
        raise Hint("A differs from the average gradient (AvgGrad, Nichol et al. 2018, §5.1): for every task, the "
                   "gradient of the loss of each of its two batches at θ; A is the mean over batches and tasks")
    if ok(got_b, want_b):
        return
    for wrong, hint in (
        (2 * want_b, "B is twice too large: ∇(g(0)·g(1)) = H(1)g(0) + H(0)g(1) holds both products; B is half of it"),
        (-want_b, "B has the wrong sign: B = +½ ∇(g(0)·g(1)), the direction in which the two batches' gradients "
                  "agree more"),
        (mean("H1g0"), "B uses only H(1)g(0): average both orders, ½(H(1)g(0) + H(0)g(1)) = ½ ∇(g(0)·g(1))"),
        (mean("H0g1"), "B uses only H(0)g(1): average both orders, ½(H(1)g(0) + H(0)g(1)) = ½ ∇(g(0)·g(1))"),
        (0.5 * (mean("H0g0") + mean("H1g1")), "B pairs every batch with itself: H(0)g(0) averages to C = ½∇‖g‖², "
                                              "not B. B pairs the two different batches: ½ ∇(g(0)·g(1))"),
        (mean("H0g0"), "B pairs batch 0 with itself: H(0)g(0) averages to C = ½∇‖g‖², not B. B pairs the two "
                       "different batches: ½ ∇(g(0)·g(1))"),
        (n * want_b, f"B is {n} times too large: average over the tasks, do not sum"),
    ):
        if ok(got_b, wrong):
            raise Hint(hint)
    raise Hint("B differs from AvgGradInner (Nichol et al. 2018, §5.1): per task, the gradient of g(0)·g(1) with "
               "respect to θ (compute both gradients with create_graph=True), halved; then the mean over tasks")


# --- the student's Reptile, trained --------------------------------------------------------------------------

def race_reptile(reptile_update: Any, iterations: int = 200, seed: int = 0, meta_batch: int = 10, k: int = 5,
                 alpha: float = 0.04, epsilon: float = 1.0, progress: bool = True) -> Race:
    """Meta-train the student's Reptile and mlkit's ``Reptile`` from the same weights on the same ``iterations``
    meta-batches of sine tasks (seed ``seed``): ``k`` plain SGD steps of ``alpha`` on each task's 10 support points,
    then θ ← θ + ε·mean_T(φ_T − θ) (Nichol et al. 2018, Algorithm 2), which is the mean over the tasks of the
    student's one-task update (Algorithm 1). mlkit adapts all tasks at once and takes the same outer step as SGD
    with learning rate ε on its meta-loss ½·mean_T ‖θ − φ_T‖². The loss each run reports per meta-iteration is the
    query MSE of the tasks' adapted weights φ_T (the student's recovered from their updates, θ + ε(φ_T − θ)): how well
    k steps from θ fit each task of the meta-batch. Both run in float64: in float32 the rounding differences of two
    correct implementations can, over a few hundred iterations, tip a ReLU unit to the other side of its kink for one
    point, after which the two runs part for good."""
    from mlkit.learners import MLP
    from mlkit.meta import Reptile

    iterations = check_int("iterations", iterations, 1)
    meta_batch, k = check_int("meta_batch", meta_batch, 1), check_int("k", k, 1)
    alpha, epsilon = check_positive("alpha", alpha), check_positive("epsilon", epsilon)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int("seed", seed, 0))
        learner = MLP((1, 40, 40, 1)).double()
    meta = Reptile(learner, "regression", steps=k, alpha=alpha, inner_optimizer="sgd", meta_step=epsilon,
                   meta_step_final=epsilon)
    optimizer = torch.optim.SGD(meta.parameters(), lr=epsilon)
    theta = {n: p.detach().clone().requires_grad_(True) for n, p in learner.named_parameters()}
    tasks = SineTasks("thesis", k_shot=10, q_query=10, meta_batch=meta_batch, seed=seed)
    batches = [TaskBatch(*(t.double() for t in (b.x_support, b.y_support, b.x_query, b.y_query)))
               for b in (tasks.sample() for _ in range(iterations))]
    function = None if reptile_update is None else student_function(
        reptile_update, "reptile_update", ("theta", "x", "y", "alpha", "k", "epsilon"))

    def adapted_error(adapted: Weights, batch: TaskBatch) -> float:
        """The mean query MSE of the tasks' adapted weights φ_T: how well k steps from θ fit each task."""
        with torch.no_grad():
            return float(((learner(batch.x_query, adapted) - batch.y_query) ** 2).mean())

    def student_step(batch: TaskBatch) -> float:
        nonlocal theta
        if function is None:
            raise Hint("`reptile_update` is not defined yet: run the cell that defines it")
        updates = [expect_weights(_call(function, "reptile_update", theta, batch.x_support[t], batch.y_support[t],
                                        alpha, k, epsilon), "reptile_update's new θ", theta)
                   for t in range(batch.n_tasks)]
        moves = {n: torch.stack([u[n].detach() for u in updates]) - theta[n].detach() for n in theta}  # ε(φ_T − θ)
        adapted = {n: theta[n].detach() + moves[n] / epsilon for n in theta}  # φ_T, [T, *shape]
        value = adapted_error(adapted, batch)
        theta = {n: (theta[n].detach() + moves[n].mean(0)).requires_grad_(True) for n in theta}
        return value

    def mlkit_step(batch: TaskBatch) -> float:
        adapted = meta.adapted_weights(batch.x_support, batch.y_support, k, alpha)  # φ_T of all tasks at once
        value = adapted_error(adapted, batch)
        weights = dict(learner.named_parameters())
        meta_loss = 0.5 * sum(((weights[n] - adapted[n]) ** 2).flatten(1).sum(1) for n in adapted).mean()
        optimizer.zero_grad()
        meta_loss.backward()  # θ − mean_T φ_T: Reptile.meta_loss, written out to keep φ_T for the error above
        optimizer.step()
        return value

    return race("Reptile", student_step, mlkit_step, batches, progress=progress)


# --- the student's A and B beside mlkit's -------------------------------------------------------------------------

@dataclass
class Measured:
    """‖A‖ and ‖B‖ from the student's ``a_and_b`` and from mlkit's expansion, on the same tasks at the same θ."""

    n: int
    mlkit: tuple[float, float]
    student: tuple[float, float] | None = None
    agree: bool = False
    error: str | None = None

    def report(self) -> str:
        mlkit = f"‖A‖ ≈{self.mlkit[0]:.3f}, ‖B‖ ≈{self.mlkit[1]:.3f}"
        if self.student is None:
            return (f"your a_and_b stopped: {self.error}\nmlkit's expansion on the same {self.n} tasks: {mlkit}; "
                    "fix the exercise above (its check says more) and run this cell again")
        return (f"your a_and_b on {self.n} tasks: ‖A‖ ≈{self.student[0]:.3f}, ‖B‖ ≈{self.student[1]:.3f}\n"
                f"mlkit's expansion on the same tasks: {mlkit}\n"
                f"the same vectors (within a relative 1e-3): {self.agree}")


def a_and_b_against_mlkit(a_and_b: Any, learner: Any, n_tasks: int = 200, seed: int = 0) -> Measured:
    """The student's ``a_and_b`` at the weights of ``learner`` (an MLP) on ``n_tasks`` sine tasks (seed ``seed``,
    support and query as the two batches), beside mlkit's expansion on the same tasks. Never raises for a mistake
    in the student's code."""
    theta = {n: p.detach().clone().requires_grad_(True) for n, p in learner.named_parameters()}
    tasks = as_tasks(SineTasks("thesis", k_shot=10, q_query=10, meta_batch=check_int("n_tasks", n_tasks, 2),
                               seed=seed).sample())
    want_a, want_b = mlkit_a_and_b(theta, tasks)
    result = Measured(n_tasks, (float(want_a.norm()), float(want_b.norm())))
    try:
        function = student_function(a_and_b, "a_and_b", ("theta", "tasks"))
        out = _call(function, "a_and_b", theta, tasks)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Hint("it should return A and B")
        got_a, got_b = (_flat(gradients_like(v, theta, what)) for v, what in zip(out, ("A", "B")))
    except Hint as hint:
        result.error = str(hint)
        return result
    result.student = (float(got_a.norm()), float(got_b.norm()))
    result.agree = all(bool(torch.allclose(g, w, rtol=1e-3, atol=1e-5 * float(w.abs().max())))
                       for g, w in ((got_a, want_a), (got_b, want_b)))
    return result
