"""MAML, first-order MAML and Reptile meta-gradients: computed exactly, expanded to first order in α, checked.

Weng (2018), section "Reptile vs FOMAML", after Nichol, Achiam & Schulman (2018), §5.1. One trajectory of k
plain gradient steps from θ_0 = θ, step j on mini-batch (j) of the task, with g_j^(i) = ∇L^(i)(θ_j) and
H_j^(i) = ∇²L^(i)(θ_j):

    θ_{j+1} = θ_j − α g_j^(j),        j = 0 … k−1.

Its three meta-gradients (Nichol et al. write out k = 2):

    FOMAML   g = g_{k−1}^(k−1)                                  the last gradient, taken at θ_{k−1}
    MAML     g = dL^(k−1)(θ_{k−1})/dθ_0 = Π_{j<k−1}(I − α H_j^(j)) g_{k−1}^(k−1)     (chain rule)
    Reptile  g = (θ_0 − θ_k)/α = Σ_j g_j^(j)

So MAML and FOMAML take k − 1 inner steps and take the meta-gradient on the k-th batch; Reptile takes all k
steps. Expanding every g_j^(i) around θ_0 (θ_j − θ_0 = −α Σ_{i<j} g_0^(i) + O(α²)) gives, to first order,

    FOMAML   g_0^(k−1) − α Σ_{i<k−1} H_0^(k−1) g_0^(i)
    MAML     FOMAML's  − α Σ_{i<k−1} H_0^(i) g_0^(k−1)
    Reptile  Σ_j g_0^(j) − α Σ_{i<j} H_0^(j) g_0^(i)

(k = 2: the three lines of Nichol et al.). With independent mini-batches of one task, A = E[g_0^(i)] and
B = E[H_0^(j) g_0^(i)] (i ≠ j; every pair alike by symmetry) = ½E[∇(g_0^(i)·g_0^(j))], hence

    E[g_FOMAML] = A − (k−1)αB,   E[g_MAML] = A − 2(k−1)αB,   E[g_Reptile] = kA − ½k(k−1)αB     (+ O(α²)).

A *schedule* names the mini-batch of each step, so repeated batches are covered too: a pair of steps on the same
batch brings C = E[H_0^(i) g_0^(i)] = ½E[∇‖g_0^(i)‖²] instead of B (``coefficients``).

How the package's implementations map onto this (``implementation_schedule``): ``MAML``/``FOMAML(steps=s)``
adapt on the support set and differentiate the query loss: batches (support, query), schedule (0,)*s + (1,),
k = s + 1; their ``meta_loss`` is the mean over tasks, so its gradient is the task mean of g. ``Reptile(steps=s)``
takes s steps on the support set, schedule (0,)*s (k = s), or, with ``inner_batch``, one step on each mini-batch it
draws (pass those as the batches, schedule range(s)); the gradient of its ``meta_loss`` ½‖θ − θ'‖² is
θ − θ' = α·g_Reptile (times the task mean). Only plain-SGD inner steps are covered (not Reptile's Adam option).

Everything runs for all T tasks at once in float64 on any ``Learner``: θ gets a leading task dimension (one leaf
per task), exact meta-gradients go through the shared ``inner_loop``, and a Hessian-vector product is a double
backward pass, H v = ∇(g·v) with v held constant.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from mlkit.checks import check_choice, check_int, check_positive
from mlkit.learners import Learner
from mlkit.meta.inner import inner_loop
from mlkit.meta.losses import task_losses
from mlkit.tasks.batch import TaskBatch

METHODS = ("maml", "fomaml", "reptile")
TASK_TYPES = ("regression", "classification")
Batch = tuple[Tensor, Tensor]  # inputs [T, B, ...] and targets [T, B, 1] or labels [T, B]
Schedule = tuple[int, ...]


# -- set-up --------------------------------------------------------------------------------------------------
def make_schedule(n_batches: int, k: int | None = None, schedule: Sequence[int] | None = None) -> Schedule:
    """The batch index of each of the k steps: ``range(k)`` (all different) unless ``schedule`` is given."""
    if schedule is None:
        k = check_int("k", 2 if k is None else k, 1)
        if k > n_batches:
            raise ValueError(f"k must be <= {n_batches} (the number of batches given) with distinct batches, got {k}")
        return tuple(range(k))
    schedule = tuple(check_int(f"schedule[{j}]", s, 0, n_batches - 1) for j, s in enumerate(schedule))
    check_int("k (the length of schedule)", len(schedule), 1)
    if k is not None and k != len(schedule):
        raise ValueError(f"k must equal len(schedule) = {len(schedule)} when both are given, got {k}")
    return schedule


def implementation_schedule(method: str, steps: int) -> Schedule:
    """The schedule of the package's ``method`` with ``steps`` inner steps, on batches (support, query)."""
    check_choice("method", method, METHODS)
    if method == "reptile":
        return (0,) * check_int("steps", steps, 1)
    return (0,) * check_int("steps", steps, 0) + (1,)


def _float64(batches: Sequence[Batch]) -> list[Batch]:
    """The batches in float64 (labels stay int64)."""
    if len(batches) == 0:
        raise ValueError("batches must hold at least one (x, y) pair, got none")
    cast = lambda t: t.to(torch.float64) if t.is_floating_point() else t  # noqa: E731
    return [(cast(x), cast(y)) for x, y in batches]


def _prepare(learner: Learner, task_type: str, batches: Sequence[Batch]) -> tuple[Learner, list[Batch]]:
    """A float64 copy of the learner, and the batches in float64."""
    check_choice("task_type", task_type, TASK_TYPES)
    return copy.deepcopy(learner).to(torch.float64), _float64(batches)


def _leaves(net: Learner, n_tasks: int) -> dict[str, Tensor]:
    """θ_0 repeated for every task as separate leaves {name: [T, *shape]}; only adaptable ones need gradients."""
    return {
        n: p.detach().unsqueeze(0).repeat(n_tasks, *([1] * p.dim())).requires_grad_(n in net.adaptable)
        for n, p in net.named_parameters()
    }


def _flat(tensors: Sequence[Tensor]) -> Tensor:
    """Per-task tensors [T, *shape] -> one flat vector per task [T, P]."""
    return torch.cat([t.reshape(t.shape[0], -1) for t in tensors], 1)


def _loss(net: Learner, task_type: str, weights: dict[str, Tensor], batch: Batch) -> Tensor:
    """Sum over tasks of each task's mean loss: tasks share no weights, so its gradient is per task."""
    x, y = batch
    return task_losses(net(x, weights), y, task_type).sum()


NO_SECOND_DERIVATIVE = (
    "{learner} has no second derivatives here: a double backward pass failed ({error}). MAML's meta-gradient "
    "and the Hessian terms of the expansion need Hessian-vector products; first-order MAML and Reptile do not."
)


def check_second_derivatives(net: Learner, task_type: str, batch: Batch) -> None:
    """Try one full double backward pass (every node run, as ``.backward()`` does) and raise ValueError if it fails.

    ``torch.autograd.grad(..., inputs=θ)`` alone is not enough: it skips graph nodes it thinks it does not need,
    so an op marked ``once_differentiable`` would silently drop its second-derivative terms instead of failing.
    """
    leaves = _leaves(net, batch[0].shape[0])
    try:
        grads = torch.autograd.grad(_loss(net, task_type, leaves, batch), [leaves[n] for n in net.adaptable],
                                    create_graph=True)
        dot = sum((g * g.detach()).sum() for g in grads)
        if not dot.requires_grad:
            raise RuntimeError("the gradient does not depend on θ")
        dot.backward()
    except RuntimeError as error:
        raise ValueError(NO_SECOND_DERIVATIVE.format(learner=type(net).__name__, error=error)) from error


def _double_backward(output: Tensor, inputs: list[Tensor]) -> list[Tensor]:
    """∇ of a scalar that is itself built from gradients (zeros where it does not depend on an input)."""
    grads = torch.autograd.grad(output, inputs, retain_graph=True, allow_unused=True)
    return [torch.zeros_like(i) if g is None else g for g, i in zip(grads, inputs)]


# -- exact meta-gradients ------------------------------------------------------------------------------------
def _gradient_at(net: Learner, task_type: str, weights: dict[str, Tensor], batch: Batch) -> Tensor:
    """∇L(θ) of every task at the given point, as a constant [T, P]."""
    point = {n: w.detach().requires_grad_(n in net.adaptable) for n, w in weights.items()}
    return _flat(torch.autograd.grad(_loss(net, task_type, point, batch), [point[n] for n in net.adaptable]))


def _exact(net: Learner, task_type: str, batches: list[Batch], alpha: float, schedule: Schedule) -> dict[str, Tensor]:
    if len(schedule) > 1:
        check_second_derivatives(net, task_type, batches[schedule[0]])
    theta0 = _leaves(net, batches[0][0].shape[0])
    names = net.adaptable
    weights, walked = theta0, 0.0
    for j in schedule[:-1]:  # the k − 1 inner steps, graph kept for MAML
        walked = walked + _gradient_at(net, task_type, weights, batches[j])  # Σ g_j^(j), summed exactly
        x, y = batches[j]
        weights = inner_loop(net, weights, x, y, steps=1, alpha=alpha, task_type=task_type, names=names)
    loss = _loss(net, task_type, weights, batches[schedule[-1]])
    last, first = [weights[n] for n in names], [theta0[n] for n in names]
    fomaml = _flat(torch.autograd.grad(loss, last, retain_graph=True)).detach()  # ∇L^(k−1) at θ_{k−1}
    maml = fomaml if len(schedule) == 1 else _flat(_double_backward(loss, first)).detach()  # d/dθ_0, chain rule
    # Reptile's (θ_0 − θ_k)/α is the sum of its step gradients; summing them avoids the cancellation of θ_0 − θ_k
    return {"maml": maml, "fomaml": fomaml, "reptile": walked + fomaml}


def meta_gradients(
    learner: Learner, task_type: str, batches: Sequence[Batch], alpha: float,
    *, k: int | None = None, schedule: Sequence[int] | None = None,
) -> dict[str, Tensor]:
    """The exact meta-gradients {method: [T, P]} (float64) of each task after the k steps described above.

    P runs over ``learner.adaptable`` in that order (other parameters, e.g. T matrices, are held fixed).
    Reptile's is (θ_0 − θ_k)/α; multiply by α for the gradient of the implementation's ½‖θ − θ'‖².
    """
    alpha = check_positive("alpha", alpha)
    net, batches = _prepare(learner, task_type, batches)
    return _exact(net, task_type, batches, alpha, make_schedule(len(batches), k, schedule))


def compare_with_implementations(learner: Learner, task_type: str, batch: TaskBatch, alpha: float,
                                 steps: int = 1) -> dict[str, float]:
    """Largest |difference| between our exact meta-gradients and the gradients of the package's ``MAML``,
    ``FOMAML`` and ``Reptile`` (plain-SGD inner steps on the whole support set) ``meta_loss``: same θ, same batches,
    float64. The implementations average over tasks, and Reptile's gradient is θ − θ' = α·g_Reptile."""
    from mlkit.meta import FOMAML, MAML, Reptile

    alpha = check_positive("alpha", alpha)
    net, (support, query) = _prepare(learner, task_type, [(batch.x_support, batch.y_support),
                                                        (batch.x_query, batch.y_query)])
    tasks = TaskBatch(support[0], support[1], query[0], query[1])
    gaps = {}
    for method, cls in (("maml", MAML), ("fomaml", FOMAML), ("reptile", Reptile)):
        options = {"inner_optimizer": "sgd"} if method == "reptile" else {}
        meta = cls(net, task_type, steps=steps, alpha=alpha, **options)
        meta.zero_grad()
        meta.meta_loss(tasks).backward()
        theirs = torch.cat([net.get_parameter(n).grad.reshape(-1) for n in net.adaptable])  # [P]
        ours = _exact(net, task_type, [support, query], alpha, implementation_schedule(method, steps))[method]
        scale = alpha if method == "reptile" else 1.0
        gaps[method] = float((scale * ours.mean(0) - theirs).abs().max())
    return gaps


# -- the first-order expansion -------------------------------------------------------------------------------
@dataclass
class Expansion:
    """The terms of the first-order expansion at θ_0, per task ([T, P] float64).

    ``gradients[i]`` is g_0^(i); ``products[(i, j)]`` is H_0^(j) g_0^(i); for each method
    g ≈ ``zeroth[m] − α · first[m]``.
    """

    schedule: Schedule
    gradients: dict[int, Tensor]
    products: dict[tuple[int, int], Tensor]
    zeroth: dict[str, Tensor]
    first: dict[str, Tensor]

    def predict(self, alpha: float) -> dict[str, Tensor]:
        """The first-order approximation of every method's meta-gradient at step size ``alpha``."""
        return {m: self.zeroth[m] - alpha * self.first[m] for m in METHODS}


def _pairs(schedule: Schedule) -> dict[str, list[tuple[int, int]]]:
    """For each method, the (i, j) of the products H_0^(j) g_0^(i) in its first-order term (batch ids)."""
    last, inner = schedule[-1], schedule[:-1]
    fomaml = [(i, last) for i in inner]
    return {
        "fomaml": fomaml,
        "maml": fomaml + [(last, i) for i in inner],
        "reptile": [(schedule[i], schedule[j]) for j in range(len(schedule)) for i in range(j)],
    }


def coefficients(schedule: Sequence[int]) -> dict[str, tuple[int, int, int]]:
    """(a, b, c) of E[g] = a·A − α(b·B + c·C) + O(α²) for each method: b counts pairs of different batches,
    c pairs of the same batch. Distinct batches, k steps: MAML (1, 2(k−1), 0), FOMAML (1, k−1, 0),
    Reptile (k, k(k−1)/2, 0)."""
    schedule = tuple(schedule)
    out = {}
    for method, pairs in _pairs(schedule).items():
        same = sum(i == j for i, j in pairs)
        out[method] = (len(schedule) if method == "reptile" else 1, len(pairs) - same, same)
    return out


def _terms(net: Learner, task_type: str, batches: list[Batch], schedule: Schedule,
           extra_pairs: Sequence[tuple[int, int]] = ()) -> Expansion:
    check_second_derivatives(net, task_type, batches[schedule[0]])
    theta0 = _leaves(net, batches[0][0].shape[0])
    leaves = [theta0[n] for n in net.adaptable]
    graphs = {  # g_0^(i) with its graph, for the Hessian-vector products
        i: torch.autograd.grad(_loss(net, task_type, theta0, batches[i]), leaves, create_graph=True)
        for i in sorted(set(schedule))
    }
    gradients = {i: _flat(g).detach() for i, g in graphs.items()}
    pairs = _pairs(schedule)
    needed = sorted({p for ps in pairs.values() for p in ps} | set(extra_pairs))
    products = {}
    for i, j in needed:  # H_0^(j) g_0^(i) = ∇(g_0^(j) · v) with v = g_0^(i) held constant
        dot = sum((g * v.detach()).sum() for g, v in zip(graphs[j], graphs[i]))
        products[(i, j)] = _flat(_double_backward(dot, leaves)).detach()
    zero = torch.zeros_like(gradients[schedule[-1]])
    first = {m: sum((products[p] for p in ps), zero) for m, ps in pairs.items()}
    zeroth = {
        "maml": gradients[schedule[-1]], "fomaml": gradients[schedule[-1]],
        "reptile": sum(gradients[i] for i in schedule),
    }
    return Expansion(schedule, gradients, products, zeroth, first)


def expansion_terms(
    learner: Learner, task_type: str, batches: Sequence[Batch],
    *, k: int | None = None, schedule: Sequence[int] | None = None,
) -> Expansion:
    """Every term of the first-order expansions at θ_0 = the learner's parameters (float64)."""
    net, batches = _prepare(learner, task_type, batches)
    return _terms(net, task_type, batches, make_schedule(len(batches), k, schedule))


def residuals(
    learner: Learner, task_type: str, batches: Sequence[Batch], alphas: Sequence[float],
    *, k: int | None = None, schedule: Sequence[int] | None = None,
) -> dict[str, np.ndarray]:
    """‖exact − first-order expansion‖ (over all tasks and parameters) of each method at each α: O(α²)."""
    alphas = [check_positive("alpha", a) for a in alphas]
    net, batches = _prepare(learner, task_type, batches)
    schedule = make_schedule(len(batches), k, schedule)
    terms = _terms(net, task_type, batches, schedule)
    out = {m: np.zeros(len(alphas)) for m in METHODS}
    for n, alpha in enumerate(alphas):
        exact, approx = _exact(net, task_type, batches, alpha, schedule), terms.predict(alpha)
        for m in METHODS:
            out[m][n] = float((exact[m] - approx[m]).norm())
    return out


def loglog_slope(alphas: Sequence[float], values: Sequence[float]) -> float:
    """Least-squares slope of log(value) against log(α): 2 for a residual that shrinks like α²."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or not np.all(values > 0):
        raise ValueError("values must be at least two positive numbers (a residual of exactly 0 has no slope, "
                         f"as with k = 1, where every method is the plain gradient), got {values.tolist()}")
    return float(np.polyfit(np.log(np.asarray(alphas, dtype=np.float64)), np.log(values), 1)[0])


# -- expectations over tasks and batches ---------------------------------------------------------------------
@dataclass
class Estimate:
    """Mean of a per-sample quantity and its standard error (std / √n), coordinate by coordinate."""

    mean: np.ndarray
    se: np.ndarray


class _Moments:
    """Running sums of per-sample vectors [n, P] -> Estimate."""

    def __init__(self) -> None:
        self.n, self.total, self.squares = 0, 0.0, 0.0

    def add(self, samples: Tensor) -> None:
        samples = samples.detach().double().cpu().numpy()
        self.n += samples.shape[0]
        self.total = self.total + samples.sum(0)
        self.squares = self.squares + (samples ** 2).sum(0)

    def estimate(self) -> Estimate:
        mean = self.total / self.n
        var = np.maximum(self.squares / self.n - mean ** 2, 0.0) * self.n / max(self.n - 1, 1)
        return Estimate(mean, np.sqrt(var / self.n))


@dataclass
class Expectations:
    """A, B, C and every method's expected meta-gradient, estimated over n sampled tasks (one batch set each).

    - ``A``: E[g_0^(i)]; ``B``: E[H_0^(j) g_0^(i)], i ≠ j; ``C``: E[H_0^(i) g_0^(i)] (all [P]).
    - ``mean[m]``: E[exact g_m]; ``predicted[m]``: a·A − α(b·B + c·C) with (a, b, c) = ``coefficients[m]``.
    - ``difference[m]``: E[g_m − (a·Â − α(b·B̂ + c·Ĉ))] with per-sample, batch-symmetrised Â, B̂, Ĉ: zero up to
      O(α²) if the expected-gradient identity holds, so ``z(m)`` should look like standard normal draws.
    - ``measured[m]``: the coefficients read off the exact gradients, (value, standard error) or None:
      A: ⟨zeroth term⟩·u_A / ⟨Â⟩·u_A, B: ⟨(zeroth − g_exact)/α⟩·u_B / ⟨B̂⟩·u_B, C likewise with u_C, where the
      directions u_A, u_B, u_C are estimated on a separate pilot set of tasks. B is None when the schedule has a
      single batch; B (C) is the coefficient of the method's first-order term only when all its pairs are
      different (the same) batches.
    """

    alpha: float
    schedule: Schedule
    n: int
    A: Estimate
    B: Estimate
    C: Estimate
    mean: dict[str, Estimate]
    predicted: dict[str, np.ndarray]
    difference: dict[str, Estimate]
    coefficients: dict[str, tuple[int, int, int]]
    measured: dict[str, dict[str, tuple[float, float] | None]] = field(default_factory=dict)

    def z(self, method: str) -> np.ndarray:
        """Per-coordinate z-scores of ``difference[method]`` (coordinates with zero spread left out)."""
        d = self.difference[method]
        keep = d.se > 0
        return d.mean[keep] / d.se[keep]

    def summary(self) -> dict[str, dict[str, float]]:
        """Per method: fraction of |z| < 1.96 (≈ 0.95 expected), max |z|, mean z² (≈ 1 expected)."""
        out = {}
        for m in METHODS:
            z = self.z(m)
            out[m] = {"within_1.96": float(np.mean(np.abs(z) < 1.96)), "max_abs_z": float(np.abs(z).max()),
                      "mean_z2": float(np.mean(z ** 2))}
        return out


class _Ratio:
    """Mean(x)/mean(y) of paired per-sample scalars with its delta-method standard error."""

    def __init__(self) -> None:
        self.x, self.y = [], []

    def add(self, x: Tensor, y: Tensor) -> None:
        self.x.append(x.detach().double().cpu().numpy())
        self.y.append(y.detach().double().cpu().numpy())

    def value(self) -> tuple[float, float]:
        x, y = np.concatenate(self.x), np.concatenate(self.y)
        ratio = x.mean() / y.mean()
        se = (x - ratio * y).std(ddof=1) / math.sqrt(len(x)) / abs(y.mean())
        return float(ratio), float(se)


def expectations(
    learner: Learner, task_type: str, sample: Callable[[int], Sequence[Batch]], alpha: float,
    *, n_tasks: int = 500, chunk: int = 100, k: int | None = None, schedule: Sequence[int] | None = None,
    pilot: int = 100,
) -> Expectations:
    """Estimate A, B, C and E[g] of each method at θ = the learner's parameters over ``n_tasks`` fresh tasks.

    ``sample(n)`` returns the mini-batches of n new tasks (a list of (x, y), each with leading dimension n), all
    independent draws of the same size so that they are interchangeable, e.g. ``split_batches(sampler.sample(n), k)``.
    ``pilot`` extra tasks, drawn first, fix the directions on which the coefficients are measured.
    """
    alpha = check_positive("alpha", alpha)
    n_tasks, chunk, pilot = check_int("n_tasks", n_tasks, 2), check_int("chunk", chunk, 1), check_int("pilot", pilot, 1)
    check_choice("task_type", task_type, TASK_TYPES)
    net = copy.deepcopy(learner).to(torch.float64)
    schedule = None if schedule is None else tuple(schedule)
    coeffs = None
    moments = {name: _Moments() for name in ("A", "B", "C", *METHODS, *(f"d_{m}" for m in METHODS))}
    ratios = {(m, term): _Ratio() for m in METHODS for term in ("A", "B", "C")}
    directions = None
    done = -pilot
    while done < n_tasks:
        size = min(chunk, pilot) if done < 0 else min(chunk, n_tasks - done)
        batches = _float64(sample(size))
        sched = make_schedule(len(batches), k, schedule)
        ids = sorted(set(sched))
        distinct = [(i, j) for i in ids for j in ids if i != j]
        terms = _terms(net, task_type, batches, sched, extra_pairs=distinct + [(i, i) for i in ids])
        exact = _exact(net, task_type, batches, alpha, sched)
        a_t = sum(terms.gradients[i] for i in ids) / len(ids)  # [n, P], unbiased for A
        b_t = sum(terms.products[p] for p in distinct) / len(distinct) if distinct else torch.zeros_like(a_t)
        c_t = sum(terms.products[(i, i)] for i in ids) / len(ids)
        if done < 0:  # pilot tasks: only the directions of A, B and C
            directions = (a_t.mean(0), b_t.mean(0), c_t.mean(0))
            done += size
            continue
        coeffs = coefficients(sched)
        for name, value in (("A", a_t), ("B", b_t), ("C", c_t)):
            moments[name].add(value)
        u_a, u_b, u_c = directions
        for m in METHODS:
            a, b, c = coeffs[m]
            moments[m].add(exact[m])
            moments[f"d_{m}"].add(exact[m] - (a * a_t - alpha * (b * b_t + c * c_t)))
            ratios[(m, "A")].add(terms.zeroth[m] @ u_a, a_t @ u_a)
            ratios[(m, "B")].add((terms.zeroth[m] - exact[m]) / alpha @ u_b, b_t @ u_b)
            ratios[(m, "C")].add((terms.zeroth[m] - exact[m]) / alpha @ u_c, c_t @ u_c)
        done += size
    est = {name: mom.estimate() for name, mom in moments.items()}
    predicted = {
        m: coeffs[m][0] * est["A"].mean - alpha * (coeffs[m][1] * est["B"].mean + coeffs[m][2] * est["C"].mean)
        for m in METHODS
    }
    return Expectations(
        alpha=alpha, schedule=sched, n=n_tasks, A=est["A"], B=est["B"], C=est["C"],
        mean={m: est[m] for m in METHODS}, predicted=predicted, difference={m: est[f"d_{m}"] for m in METHODS},
        coefficients=coeffs,
        measured={m: {t: ratios[(m, t)].value() if t != "B" or distinct else None for t in ("A", "B", "C")}
                  for m in METHODS},
    )


# -- batches from task samplers ------------------------------------------------------------------------------
def split_batches(batch: TaskBatch, n: int) -> list[Batch]:
    """Cut each task's support ∪ query examples into ``n`` equal, interchangeable mini-batches.

    Regression: consecutive slices of the (i.i.d.) examples. Classification (episodes ordered by label, as
    ``EpisodeSampler`` makes them): every mini-batch gets the same number of examples of each class.
    """
    n = check_int("n", n, 1)
    x = torch.cat([batch.x_support, batch.x_query], 1)  # [T, S+Q, ...]
    y = torch.cat([batch.y_support, batch.y_query], 1)
    t = x.shape[0]
    if y.is_floating_point():  # regression
        size = x.shape[1] // n
        if size < 1:
            raise ValueError(f"n must be <= {x.shape[1]} (the examples per task), got {n}")
        return [(x[:, i * size:(i + 1) * size], y[:, i * size:(i + 1) * size]) for i in range(n)]
    n_way = int(batch.y_support.max()) + 1
    per_class = x.shape[1] // n_way
    order = y.argsort(dim=1, stable=True)  # [T, N*(K+Q)], grouped by label
    x = x[torch.arange(t).unsqueeze(1), order].reshape(t, n_way, per_class, *x.shape[2:])
    y = y.gather(1, order).reshape(t, n_way, per_class)
    size = per_class // n
    if size < 1:
        raise ValueError(f"n must be <= {per_class} (the examples per class), got {n}")
    cut = lambda z, i: z[:, :, i * size:(i + 1) * size].reshape(t, n_way * size, *z.shape[3:])  # noqa: E731
    return [(cut(x, i), cut(y, i)) for i in range(n)]
