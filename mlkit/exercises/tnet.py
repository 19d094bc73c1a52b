"""Checks of notebook 02's exercises: the T-net written by the student (Lee 2018, MSc thesis, §3.1 and §4.1).

A T-net cell applies a meta-learned square matrix T after the layer's weights: in the thesis's column-vector form
y = T W x (eq. 3.1); in mlkit's row-vector form, with the bias, h = (x W + b) T. The inner loop adapts W and b only,
never T (eq. 3.2, Algorithm 1). One step on W then moves the cell's product A = W T as a step on A preconditioned by
TᵀT (eq. 4.3; the thesis's column form reads A' = A − α T Tᵀ ∇_A L): T meta-learns the metric of the inner update,
and along an eigenvector of TᵀT with eigenvalue λ the step is α·λ.

- ``check_tnet_cell``: h = (x W + b) T, against mlkit's T-net learner (``MLP(transform=True)``);
- ``check_tnet_inner_step``: θ' = θ − α ∇_θ L(θ) for the W's and b's, T passed through, differentiable;
- ``check_effective_step``: ΔA = −α ∇_A L TᵀT, against the finite difference of the transformed layer, (W' − W) T,
  with W' one step of mlkit's T-net;
- ``check_step_multipliers``: the eigenvalues of TᵀT (the squared singular values of T);
- ``race_tnet``: the student's T-net (their cell inside the given network, their inner step) meta-trained beside
  mlkit's ``TNet`` from the same seed on the same meta-batches.

Fixed inputs come from seeded ``torch.Generator``s: the checks never touch the notebook's random numbers. The T
matrices of the checks are far from the identity and from symmetric, so that T, Tᵀ, TᵀT and T Tᵀ all differ.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_int, check_positive
from mlkit.exercises.feedback import (Hint, call, close, expect_tensor, expect_weights, largest_difference,
                                      student_function)
from mlkit.exercises.race import Race, descend, race
from mlkit.learners import MLP
from mlkit.meta.inner import inner_loop
from mlkit.tasks.batch import TaskBatch

Weights = dict[str, Tensor]  # {"w0": [1, 40], "b0": [40], "t0": [40, 40], "w1": ..., "t2": [1, 1]}
SIZES = (1, 40, 40, 1)  # the network of Finn et al. (2017), §5.1, with a T after every layer (Lee 2018, §6.1)
ALPHA = 0.1  # the checks' step size: large enough for every term of the step to show
CELL = "h = (x W + b) T (Lee 2018, eq. 3.1: y = T W x, written for rows x with a bias)"
STEP = "θ' = θ − α ∇_θ L(θ) for every W and b, T unchanged (Lee 2018, eq. 3.2 and Algorithm 1)"
METRIC = "ΔA = −α ∇_A L · TᵀT (Lee 2018, eq. 4.3, for rows: h = x A with A = W T)"
STUB = re.compile(r"still the stub|not written yet")  # what ``feedback.call`` says of a function left as given


# --- mlkit's T-net, used as the reference ------------------------------------------------------------------

@lru_cache(maxsize=None)
def _learner(sizes: tuple[int, ...]) -> MLP:
    """mlkit's T-net learner of ``sizes``, built without touching the notebook's random numbers (its own weights are
    never used: the checks pass every weight explicitly)."""
    with torch.random.fork_rng(devices=[]):
        return MLP(sizes, transform=True)


def forward(x: Tensor, theta: Weights, sizes: tuple[int, ...] = SIZES) -> Tensor:
    """mlkit's T-net on one task: x [n, in] -> [n, out] with weights θ (the notebook's ``tnet``)."""
    return _learner(sizes)(x[None], {name: w[None] for name, w in theta.items()})[0]


def cell(x: Tensor, W: Tensor, b: Tensor, T: Tensor) -> Tensor:
    """mlkit's T-net cell: a one-layer ``MLP(transform=True)``, h = (x W + b) T."""
    return forward(x, {"w0": W, "b0": b, "t0": T}, (W.shape[0], W.shape[1]))


def loss(x: Tensor, y: Tensor, theta: Weights, sizes: tuple[int, ...] = SIZES) -> Tensor:
    """The task loss of Finn et al. (2017), §5.1: the mean squared error of the network on (x, y)."""
    return F.mse_loss(forward(x, theta, sizes), y)


def adaptable(theta: Weights) -> tuple[str, ...]:
    """The weights the inner loop adapts: every W and b, never a T."""
    return tuple(n for n in theta if not n.startswith("t"))


def step(theta: Weights, x: Tensor, y: Tensor, alpha: float, create_graph: bool = True, scale: float = 1.0,
         names: tuple[str, ...] | None = None, sizes: tuple[int, ...] = SIZES) -> Weights:
    """One inner step of mlkit's T-net (``mlkit.meta.inner.inner_loop``, as ``TNet`` takes it) on one task.

    ``scale`` multiplies α and ``names`` replaces the adapted weights: the checks' models of common mistakes."""
    names = adaptable(theta) if names is None else names
    adapted = inner_loop(lambda xs, w: _learner(sizes)(xs, w), {n: w[None] for n, w in theta.items()}, x[None],
                         y[None], steps=1, alpha=alpha if scale == 1 else torch.tensor(scale * alpha),
                         task_type="regression", names=names,
                         create_graph=create_graph)
    return {n: w[0] for n, w in adapted.items()}


def fixed_weights(seed: int = 0, sizes: tuple[int, ...] = SIZES) -> Weights:
    """θ of a T-net for the checks: W and b of std 0.1, T = I + noise (neither the identity nor symmetric); leaves
    that require gradients."""
    generator = torch.Generator().manual_seed(seed)
    theta = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        theta[f"w{i}"] = 0.1 * torch.randn(n_in, n_out, generator=generator)
        theta[f"b{i}"] = 0.1 * torch.randn(n_out, generator=generator)
        theta[f"t{i}"] = torch.eye(n_out) + 0.5 * torch.randn(n_out, n_out, generator=generator) / n_out ** 0.5
    return {n: w.requires_grad_(True) for n, w in theta.items()}


def fixed_task(seed: int = 0, shots: int = 5) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One sine task of the thesis (Lee 2018, §6.1): support x, y [shots, 1] and query x, y [10, 1]."""
    from mlkit.tasks import SineTasks

    batch = SineTasks("thesis", k_shot=shots, meta_batch=1, seed=seed).sample()
    return batch.x_support[0], batch.y_support[0], batch.x_query[0], batch.y_query[0]


def fixed_cell(n_in: int, n_out: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> dict[str, Tensor]:
    """A random cell: inputs x [6, n_in], targets y [6, n_out], W [n_in, n_out], b [n_out] and a T [n_out, n_out]
    far from the identity and from symmetric."""
    generator = torch.Generator().manual_seed(seed)
    draw = lambda *shape: torch.randn(*shape, generator=generator, dtype=dtype)  # noqa: E731
    return {"x": draw(6, n_in), "y": draw(6, n_out), "W": draw(n_in, n_out), "b": draw(n_out),
            "T": torch.eye(n_out, dtype=dtype) + draw(n_out, n_out)}


# --- exercise 1: the T-net cell ----------------------------------------------------------------------------

def check_tnet_cell(tnet_cell: Any) -> None:
    """The student's ``tnet_cell(x, W, b, T)`` computes h = (x W + b) T for rows x [n, in]."""
    function = student_function(tnet_cell, "tnet_cell", ("x", "W", "b", "T"))
    for n_in, n_out, seed in ((4, 4, 0), (5, 3, 1)):  # a square cell first: a misplaced T still runs there
        c = fixed_cell(n_in, n_out, seed)
        x, W, b, T = c["x"], c["W"], c["b"], c["T"]
        got = expect_tensor(call(function, "tnet_cell", x, W, b, T), "tnet_cell's h", (len(x), n_out))
        if close(got, cell(x, W, b, T)):
            continue
        known = [
            ((x @ W + b) @ T.T, "you multiplied by Tᵀ: the cell is h = (x W + b) T, with T itself"),
            (x @ W @ T + b, "the bias is added after T: T transforms the layer's whole output, bias included: "
                            "h = (x W + b) T"),
            (x @ W @ T, "the bias b is missing: h = (x W + b) T"),
            (x @ W + b, "T is missing: the T-net puts T after the layer's weights, h = (x W + b) T"),
            (F.relu((x @ W + b) @ T), "the cell is linear: the ReLU comes after it, in the network (`tnet` below "
                                      "applies it), not inside tnet_cell"),
            ((x @ T) @ W + b if n_in == n_out else None,
             "T is applied before W: it comes after the layer's weights, h = (x W + b) T"),
            ((x @ W + b) @ (T.T @ T), "you applied TᵀT: the cell applies T once, h = (x W + b) T (TᵀT appears "
                                      "only in the step, section 3)"),
        ]
        for want, hint in known:
            if want is not None and close(got, want):
                raise Hint(hint)
        raise Hint(f"h differs from the T-net cell {CELL} (largest difference "
                   f"{largest_difference(got, cell(x, W, b, T)):.2g})")


# --- exercise 2: the T-net's inner step --------------------------------------------------------------------

def _cell_is_right(tnet_cell: Any, tnet: Any = None) -> None:
    """A wrong cell would make every later check fail for the wrong reason: say so first."""
    try:
        check_tnet_cell(tnet_cell)
    except Hint:
        raise Hint("`tnet_cell` is not right yet, and your step runs the network through it: make its check above "
                   "pass first") from None
    if tnet is not None:
        theta = fixed_weights(5)
        x = fixed_task(5)[0]
        try:
            same = close(tnet(x, theta), forward(x, theta))
        except Exception:  # noqa: BLE001 -- the given network redefined badly: said below
            same = False
        if not same:
            raise Hint("`tnet` no longer computes the T-net (1-40-40-1, ReLU after the hidden cells): run its cell "
                       "again as it was given")


def check_tnet_inner_step(tnet_inner_step: Any, tnet_cell: Any = None, tnet: Any = None) -> None:
    """The student's ``tnet_inner_step(theta, x, y, alpha)``: one step on every W and b (T unchanged, passed
    through), differentiable w.r.t. θ to second order."""
    function = student_function(tnet_inner_step, "tnet_inner_step", ("theta", "x", "y", "alpha"))
    cell_problem = None
    if tnet_cell is not None:
        try:
            _cell_is_right(tnet_cell, tnet)
        except Hint as hint:
            cell_problem = hint
    theta = fixed_weights()
    x, y, x_query, y_query = fixed_task()
    try:
        adapted = call(function, "tnet_inner_step", theta, x, y, ALPHA)
    except Hint as hint:  # a step still a stub says so first; any other failure may come from a wrong cell
        if cell_problem is not None and not STUB.search(str(hint)):
            raise cell_problem from None
        raise
    if cell_problem is not None:
        raise cell_problem
    if isinstance(adapted, dict) and set(adaptable(theta)) <= set(adapted) and not any(n in adapted for n in theta
                                                                                       if n.startswith("t")):
        raise Hint("θ' has no T matrices: return every tensor of θ, the T's unchanged (the network needs them to "
                   "run, and the meta-gradient reaches T through them)")
    if isinstance(adapted, dict) and set(adapted) == set(theta):
        adapted = {n: adapted[n] for n in theta}  # any order of the names will do
    adapted = expect_weights(adapted, "tnet_inner_step's θ'", theta)
    got, want = list(adapted.values()), list(step(theta, x, y, ALPHA).values())
    moved_t = [n for n in theta if n.startswith("t") and not torch.equal(adapted[n].detach(), theta[n].detach())]
    if moved_t:
        if close(got, list(step(theta, x, y, ALPHA, names=tuple(theta)).values())):
            raise Hint("T moved: the inner loop adapts W and b only; T is meta-learned, never adapted to a task "
                       f"(Lee 2018, Algorithm 1). {STEP}")
        raise Hint(f"{', '.join(moved_t)} changed: pass every T through as it is. {STEP}")
    if not close(got, want):
        known = [
            (step(theta, x, y, ALPHA, scale=-1.0), f"θ' moves uphill: you added the gradient. {STEP}"),
            (step(theta, x, y, 1.0), f"the step ignores α: θ' is θ − ∇L, it should be {STEP}"),
            (step(theta, x, y, ALPHA, scale=float(len(x))),
             f"the step is {len(x)} times too large: your loss sums the squared errors of the {len(x)} points; L is "
             "their mean (F.mse_loss)"),
            (theta, "θ' equals θ: the step does not move the weights"),
            (step(theta, x, y, ALPHA, names=tuple(n for n in theta if n.startswith("w"))),
             "the biases did not move: the inner loop adapts every W and every b"),
        ]
        for reference, hint in known:
            if close(got, list(reference.values())):
                raise Hint(hint)
        raise Hint(f"θ' is not {STEP} (largest difference {largest_difference(got, want):.2g}): L is the mean squared "
                   "error of tnet(x, theta) against y; take its gradient with respect to the W's and b's and subtract "
                   "α times it")
    if not any(adapted[n].requires_grad for n in adaptable(theta)):
        raise Hint("θ' is cut off from θ (.detach(), .data or torch.no_grad()): the meta-gradient must be able to "
                   "flow back through the step")
    through = torch.autograd.grad(loss(x_query, y_query, adapted), list(theta.values()), allow_unused=True)
    cut = [n for n, g in zip(theta, through) if g is None]
    if any(n.startswith("t") for n in cut):
        raise Hint("the T's of θ' are not θ's own T (a copy cut from the graph?): put theta[name] itself into θ', so "
                   "that meta-training can learn T")
    if cut:
        raise Hint(f"{', '.join(cut)} of θ' are not computed from θ: build each as θ[name] − α · gradient")
    reference = torch.autograd.grad(loss(x_query, y_query, step(theta, x, y, ALPHA)), list(theta.values()))
    if not close(list(through), list(reference)):
        first_order = step(theta, x, y, ALPHA, create_graph=False)
        if close(list(through), list(torch.autograd.grad(loss(x_query, y_query, first_order), list(theta.values())))):
            raise Hint("the step is right, but the gradient through it misses the second-order term: pass "
                       "create_graph=True to torch.autograd.grad, so that the step itself can be differentiated")
        copied_t = {n: (w.detach() if n.startswith("t") else w) for n, w in step(theta, x, y, ALPHA).items()}
        if close(list(through), list(torch.autograd.grad(loss(x_query, y_query, copied_t), list(theta.values())))):
            raise Hint("the T's of θ' are not θ's own T (a copy cut from the graph?): put theta[name] itself into θ', "
                       "so that meta-training can learn T")
        raise Hint("the gradient through your step differs from the T-net's: compute the step's gradient with "
                   "torch.autograd.grad(..., create_graph=True) and use it directly")


# --- exercise 3: the effective step, eq. 4.3 ---------------------------------------------------------------

def finite_difference(c: dict[str, Tensor], alpha: float) -> tuple[Tensor, Tensor]:
    """∇_A L at A = W T, and the change (W' − W) T of the cell's product after one step of mlkit's T-net on W and b
    (the finite difference of the transformed layer: the cell at W' minus the cell at W, per unit input)."""
    x, y, W, b, T = c["x"], c["y"], c["W"], c["b"], c["T"]
    theta = {"w0": W.clone().requires_grad_(True), "b0": b.clone().requires_grad_(True), "t0": T.clone()}
    sizes = (W.shape[0], W.shape[1])
    adapted = step(theta, x, y, alpha, create_graph=False, sizes=sizes)
    A = (W @ T).requires_grad_(True)
    (grad_A,) = torch.autograd.grad(F.mse_loss(x @ A + b @ T, y), A)
    return grad_A, (adapted["w0"].detach() - W) @ T


def check_effective_step(effective_step: Any) -> None:
    """The student's ``effective_step(grad_A, T, alpha)`` returns ΔA = −α ∇_A L TᵀT, the change of the cell's
    product A = W T that one step on W makes; checked against mlkit's T-net step on W, (W' − W) T."""
    function = student_function(effective_step, "effective_step", ("grad_A", "T", "alpha"))
    for n_in, n_out, seed in ((4, 4, 2), (5, 3, 3)):  # a square cell first: a transposed product still runs there
        c = fixed_cell(n_in, n_out, seed, dtype=torch.float64)
        grad_A, moved = finite_difference(c, ALPHA)
        T = c["T"]
        got = expect_tensor(call(function, "effective_step", grad_A.clone(), T.clone(), ALPHA), "effective_step's ΔA",
                            (n_in, n_out))
        if close(got, moved, atol=1e-9, rtol=1e-7):
            continue
        square = n_in == n_out
        known = [
            (ALPHA * grad_A @ T.T @ T, "ΔA has the wrong sign: a gradient step goes downhill, " + METRIC),
            (-grad_A @ T.T @ T, "ΔA ignores α: " + METRIC),
            (-ALPHA * grad_A, "this is MAML's step on A, −α ∇_A L: the T-net steps on W, and A = W T moves by "
                              "−α ∇_A L · TᵀT: T enters twice, once through ∇_W L = ∇_A L Tᵀ, once through A' = W' T"),
            (-ALPHA * grad_A @ T @ T.T, "you used T Tᵀ: that is the thesis's column-vector form (y = T W x). With "
                                       "rows, h = x W T, the step on W moves A = W T by −α ∇_A L · TᵀT: Tᵀ first, "
                                       "then T"),
            (-ALPHA * T.T @ T @ grad_A if square else None,
             "TᵀT multiplies from the wrong side: it acts on the outputs of the cell, so it comes after ∇_A L: "
             + METRIC),
            (-ALPHA * T @ T.T @ grad_A if square else None,
             "T Tᵀ on the left is the thesis's column-vector form (y = T W x); with rows, h = x W T: " + METRIC),
            (-ALPHA * grad_A @ T, "T appears once; it enters twice: ∇_W L = ∇_A L Tᵀ, and A' = W' T. " + METRIC),
            (-ALPHA * grad_A @ T.T, "Tᵀ appears once; T enters twice: ∇_W L = ∇_A L Tᵀ, and A' = W' T. " + METRIC),
        ]
        for want, hint in known:
            if want is not None and close(got, want, atol=1e-9, rtol=1e-7):
                raise Hint(hint)
        raise Hint(f"ΔA differs from the change one step on W makes, (W' − W) T (largest difference "
                   f"{largest_difference(got, moved):.2g}): {METRIC}")


# --- exercise 4: the step multipliers ----------------------------------------------------------------------

def check_step_multipliers(step_multipliers: Any) -> None:
    """The student's ``step_multipliers(T)`` returns the eigenvalues λ of TᵀT in ascending order: along their
    eigenvectors the T-net's step is α·λ."""
    function = student_function(step_multipliers, "step_multipliers", ("T",))
    T = fixed_cell(5, 5, seed=4)["T"]
    want = torch.linalg.eigvalsh(T.T @ T)
    result = call(function, "step_multipliers", T.clone())
    if isinstance(result, (tuple, list)):
        if len(result) == 2 and all(isinstance(r, Tensor) and r.dim() > 0 for r in result):
            raise Hint("step_multipliers returned two tensors (eigenvalues and eigenvectors?): return the eigenvalues "
                       "only, e.g. torch.linalg.eigvalsh(T.T @ T)")
        try:
            result = torch.as_tensor([float(r) for r in result])
        except (TypeError, ValueError, RuntimeError):
            raise Hint("step_multipliers should return the eigenvalues as one tensor of shape "
                       f"({len(T)},)") from None
    if isinstance(result, Tensor) and result.is_complex():
        if close(torch.sort(result.real).values, torch.sort(torch.linalg.eigvals(T).real).values) and \
                result.imag.abs().max() > 1e-6:
            raise Hint("these are the eigenvalues of T itself (complex: T is not symmetric). The step multipliers are "
                       "the eigenvalues of the symmetric TᵀT, real and >= 0: torch.linalg.eigvalsh(T.T @ T)")
        if result.imag.abs().max() > 1e-5:
            raise Hint("the multipliers should be real numbers >= 0: the eigenvalues of the symmetric TᵀT "
                       "(torch.linalg.eigvalsh)")
        result = result.real
    got = expect_tensor(result, "step_multipliers' λ", (len(T),))
    if close(got, want):
        return
    if close(torch.sort(got).values, want):
        raise Hint("the right values in the wrong order: return them in ascending order (torch.linalg.eigvalsh does)")
    singular = torch.linalg.svdvals(T)
    if close(torch.sort(got).values, torch.sort(singular).values):
        raise Hint("these are the singular values σ of T: the step along a direction is multiplied by σ², the "
                   "eigenvalues of TᵀT (T enters the step twice)")
    if close(torch.sort(got).values, torch.sort(torch.linalg.eigvals(T).real).values):
        raise Hint("these are (the real parts of) the eigenvalues of T itself: the multipliers are the eigenvalues "
                   "of TᵀT")
    raise Hint(f"λ differs from the eigenvalues of TᵀT (largest difference {largest_difference(got, want):.2g}): "
               "torch.linalg.eigvalsh(T.T @ T) gives them, ascending")


# --- the student's T-net, trained --------------------------------------------------------------------------

def in_precision(batch: TaskBatch, dtype: torch.dtype) -> TaskBatch:
    """The batch's inputs and targets in ``dtype``."""
    return TaskBatch(batch.x_support.to(dtype), batch.y_support.to(dtype), batch.x_query.to(dtype),
                     batch.y_query.to(dtype), batch.info)


def race_tnet(tnet: Any, tnet_inner_step: Any, shots: int = 10, alpha: float = 0.01, iterations: int = 200,
              seed: int = 0, progress: bool = True, dtype: torch.dtype = torch.float64) -> Race:
    """Meta-train the student's T-net (the network ``tnet`` over their ``tnet_cell``, adapted by their
    ``tnet_inner_step``) and mlkit's ``TNet`` from the same initial weights (``build("tnet", seed=seed)``: every T
    the identity), on the same ``iterations`` meta-batches of 25 sine tasks (seed ``seed``), each with Adam
    (β = 1e-3, Lee 2018, §6.1) on every W, b and T; the meta-loss is the mean query MSE after one step.

    Both run in ``dtype``, double precision by default: in single precision the rounding differences between a
    loop over tasks and batched products (about 1e-7) stay put for a while, then grow once Adam rescales the tiny
    gradients of some weights (Adam divides each gradient by its own running size, so noise in a near-zero gradient
    becomes a full step); the two runs then drift apart after one to three hundred meta-iterations, depending on the
    seed and the CPU's kernels. In double precision they agree to about 1e-15 over at least 500."""
    from mlkit.live.sine import META_BATCH, sine_tasks
    from mlkit.recipes import build

    iterations = check_int("iterations", iterations, 1)
    alpha = check_positive("alpha", alpha)
    meta = build("tnet", sine_tasks(shots, seed), seed=seed, alpha=alpha).to(dtype)
    theta = {n: p.detach().clone().requires_grad_(True) for n, p in meta.learner.named_parameters()}
    student_optimizer = torch.optim.Adam(list(theta.values()), lr=meta.meta_lr)
    mlkit_optimizer = torch.optim.Adam(meta.parameters(), lr=meta.meta_lr)
    tasks = sine_tasks(shots, seed, meta_batch=META_BATCH)
    batches = [in_precision(tasks.sample(), dtype) for _ in range(iterations)]
    try:
        step_ = student_function(tnet_inner_step, "tnet_inner_step", ("theta", "x", "y", "alpha"))
        network = student_function(tnet, "tnet", ("x", "theta"))
        unusable = None
    except Hint as hint:  # reported by the race in one line; mlkit's run goes on
        unusable = str(hint)

    def student_step(batch: TaskBatch) -> float:
        if unusable is not None:
            raise Hint(unusable)
        losses = []
        for t in range(batch.n_tasks):
            adapted = call(step_, "tnet_inner_step", theta, batch.x_support[t], batch.y_support[t], alpha)
            losses.append(F.mse_loss(call(network, "tnet", batch.x_query[t], adapted), batch.y_query[t]))
        return descend(torch.stack(losses).mean(), student_optimizer)

    def mlkit_step(batch: TaskBatch) -> float:
        return descend(meta.meta_loss(batch), mlkit_optimizer)

    return race("T-net", student_step, mlkit_step, batches, progress=progress)
