"""The exact MAML / FOMAML / Reptile meta-gradients and their first-order expansion (seed 004, "Reptile vs FOMAML").

- exact meta-gradients equal the package's implementations (same θ, same batches) to 1e-10;
- the residual of each first-order expansion shrinks like α² (log-log slope in [1.8, 2.2] over [1e-3, 1e-1]);
- the expectation identities E[g] = a·A − α·b·B hold within their standard errors over many tasks;
- bad input (α <= 0, k < 1, a model without second derivatives) is refused with a clear message.
"""
from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mlkit.analysis import (
    METHODS, coefficients, expansion_terms, expectations, loglog_slope, meta_gradients, residuals, split_batches,
)
from mlkit.analysis.expansion import implementation_schedule
from mlkit.learners import MLP, ConvNet, Learner
from mlkit.live.reptile import demo_learner
from mlkit.meta import FOMAML, MAML, Reptile
from mlkit.meta.reptile import cycling_batches
from mlkit.tasks import EpisodeSampler, ImageDataset, SineTasks
from mlkit.tasks.batch import TaskBatch

ALPHAS = np.logspace(-3, -1, 5)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The machines running the tests are shared: one thread is faster than several fighting for the cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class TanhConvNet(Learner):
    """A small conv net with a smooth activation (3×3 conv, tanh, spatial mean, linear head), T tasks at once.

    The package's ConvNet uses ReLU: its loss is only piecewise smooth, so a Taylor expansion in α breaks down
    as soon as one unit changes side (see ``test_relu_kinks_break_the_expansion_of_the_package_convnet``).
    """

    def __init__(self, channels: int = 4, n_classes: int = 3) -> None:
        super().__init__()
        self.conv = nn.Parameter(torch.randn(channels, 1, 3, 3) * 0.5)
        self.fc_w = nn.Parameter(torch.randn(channels, n_classes) * 0.5)
        self.fc_b = nn.Parameter(torch.zeros(n_classes))
        self.adaptable = ("conv", "fc_w", "fc_b")

    def forward(self, x: torch.Tensor, weights: dict | None = None) -> torch.Tensor:
        p = self.task_weights(x.shape[0]) if weights is None else weights
        t, b = x.shape[:2]
        h = x.transpose(0, 1).reshape(b, t * x.shape[2], *x.shape[3:])  # [B, T*1, H, W]
        h = torch.tanh(F.conv2d(h, p["conv"].reshape(-1, 1, 3, 3), padding=1, groups=t))  # [B, T*C, H, W]
        h = h.reshape(b, t, -1, h.shape[-2] * h.shape[-1]).mean(-1).transpose(0, 1)  # [T, B, C]
        return torch.baddbmm(p["fc_b"].unsqueeze(1), h, p["fc_w"])  # [T, B, N]


class _NoSecondDerivative(torch.autograd.Function):
    """softplus whose backward cannot itself be differentiated."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return F.softplus(x)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sigmoid(x)


class OnceDifferentiableMLP(MLP):
    def forward(self, x, weights=None):
        return _NoSecondDerivative.apply(super().forward(x, weights))


@pytest.fixture(scope="module")
def sine_mlp() -> MLP:
    """The sine MLP 1-40-40-1 after 50 MAML steps, as in notebook 05 (at the initial θ all biases are 0 and every
    ReLU kink sits at x = 0, where the data are; a few steps move them apart)."""
    return demo_learner(train_steps=50, seed=0)


def image_episodes(n_tasks: int, k_shot: int = 2, q_query: int = 2, seed: int = 0) -> TaskBatch:
    torch.manual_seed(seed)
    images = (torch.rand(12, 8, 1, 8, 8) * 255).to(torch.uint8)
    dataset = ImageDataset(images, [f"c{i}" for i in range(12)], "train", "random")
    return EpisodeSampler(dataset, n_way=3, k_shot=k_shot, q_query=q_query, meta_batch=n_tasks, seed=seed).sample()


def float64(batch: TaskBatch) -> TaskBatch:
    """Inputs (and regression targets) in float64; class labels stay int64."""
    cast = lambda t: t.double() if t.is_floating_point() else t  # noqa: E731
    return TaskBatch(cast(batch.x_support), cast(batch.y_support), cast(batch.x_query), cast(batch.y_query))


def implementation_gradient(meta, batch: TaskBatch) -> torch.Tensor:
    meta.zero_grad()
    meta.meta_loss(batch).backward()
    return torch.cat([meta.learner.get_parameter(n).grad.reshape(-1) for n in meta.learner.adaptable])


# -- exact meta-gradients against the implementations --------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "conv"])
@pytest.mark.parametrize("steps", [1, 3])
def test_exact_meta_gradients_equal_the_implementations(kind, steps):
    torch.manual_seed(1)
    if kind == "mlp":
        learner, task_type, alpha = MLP((1, 40, 40, 1), init_std=0.3), "regression", 0.05
        batch = float64(SineTasks(k_shot=10, meta_batch=4, seed=2).sample())
    else:
        learner, task_type, alpha = ConvNet(1, 3, hidden=4, image_size=8, blocks=2), "classification", 0.2
        batch = float64(image_episodes(4))
    learner = learner.double()
    support, query = (batch.x_support, batch.y_support), (batch.x_query, batch.y_query)
    worst = 0.0
    for method, cls in (("maml", MAML), ("fomaml", FOMAML), ("reptile", Reptile)):
        kwargs = {"inner_optimizer": "sgd"} if method == "reptile" else {}
        meta = cls(learner, task_type, steps=steps, alpha=alpha, **kwargs)
        ours = meta_gradients(learner, task_type, [support, query], alpha,
                              schedule=implementation_schedule(method, steps))[method].mean(0)  # [P]
        if method == "reptile":
            ours = alpha * ours  # the implementation's ½‖θ − θ'‖² has gradient θ − θ' = α·g_Reptile
        theirs = implementation_gradient(meta, batch)
        assert theirs.abs().max() > 1e-3
        worst = max(worst, float((ours - theirs).abs().max()))
    assert worst < 1e-10


def test_exact_reptile_gradient_with_inner_mini_batches_equals_the_implementation():
    """Reptile(inner_batch=5, steps=2) on 10 support points = the seed's two steps on batches (0) and (1)."""
    torch.manual_seed(0)
    learner = MLP((1, 40, 40, 1), init_std=0.3).double()
    batch = float64(SineTasks(k_shot=10, meta_batch=3, seed=4).sample())
    meta = Reptile(learner, steps=2, alpha=0.03, inner_optimizer="sgd", inner_batch=5)
    torch.manual_seed(7)
    theirs = implementation_gradient(meta, batch)
    torch.manual_seed(7)
    index = cycling_batches(3, 10, 5, 2)  # [steps, T, B], the same draws the implementation made
    tasks = torch.arange(3).unsqueeze(1)
    batches = [(batch.x_support[tasks, i], batch.y_support[tasks, i]) for i in index]
    assert set(index[0, 0].tolist()).isdisjoint(index[1, 0].tolist())  # two different mini-batches
    ours = 0.03 * meta_gradients(learner, "regression", batches, 0.03, k=2)["reptile"].mean(0)
    assert float((ours - theirs).abs().max()) < 1e-10


def test_expansion_terms_are_the_seed_formulas_for_k_2():
    """k = 2: g_FOMAML ≈ g0(1) − αH(1)g(0); MAML adds − αH(0)g(1); Reptile g(0) + g(1) − αH(1)g(0); and
    H(1)g(0) + H(0)g(1) = ∇(g(0)·g(1)) exactly (the seed's B identity, sample by sample)."""
    torch.manual_seed(0)
    learner = MLP((1, 10, 10, 1), init_std=0.5).double()
    b = float64(SineTasks(k_shot=6, meta_batch=3, seed=0).sample())
    terms = expansion_terms(learner, "regression", [(b.x_support, b.y_support), (b.x_query, b.y_query)], k=2)
    g0, g1, h1g0, h0g1 = terms.gradients[0], terms.gradients[1], terms.products[(0, 1)], terms.products[(1, 0)]
    torch.testing.assert_close(terms.zeroth["reptile"], g0 + g1, rtol=0, atol=1e-12)
    torch.testing.assert_close(terms.first["fomaml"], h1g0, rtol=0, atol=1e-12)
    torch.testing.assert_close(terms.first["maml"], h1g0 + h0g1, rtol=0, atol=1e-12)
    torch.testing.assert_close(terms.first["reptile"], h1g0, rtol=0, atol=1e-12)
    w = {n: p.detach().unsqueeze(0).repeat(3, *[1] * p.dim()).requires_grad_() for n, p in learner.named_parameters()}
    leaves = [w[n] for n in learner.adaptable]
    grads = [torch.autograd.grad(((learner(x, w) - y) ** 2).mean((1, 2)).sum(), leaves, create_graph=True)
             for x, y in ((b.x_support, b.y_support), (b.x_query, b.y_query))]
    dot = sum((a * c).sum() for a, c in zip(*grads))
    direct = torch.cat([g.reshape(3, -1) for g in torch.autograd.grad(dot, leaves)], 1)
    torch.testing.assert_close(h1g0 + h0g1, direct, rtol=0, atol=1e-10)


# -- the α² law of the residuals -------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3])
def test_residuals_of_the_sine_mlp_shrink_like_alpha_squared(sine_mlp, k):
    """Median over 8 tasks of the per-task log-log slope: ReLU kinks crossed by a step spoil a few tasks."""
    batch = SineTasks(k_shot=10, q_query=20, meta_batch=8, seed=3).sample()
    slopes = {m: [] for m in METHODS}
    for t in range(8):
        batches = [(x[t:t + 1], y[t:t + 1]) for x, y in split_batches(batch, k)]
        found = residuals(sine_mlp, "regression", batches, ALPHAS, k=k)
        for m in METHODS:
            slopes[m].append(loglog_slope(ALPHAS, found[m]))
    for m in METHODS:
        assert 1.8 <= np.median(slopes[m]) <= 2.2, (m, slopes[m])


def test_residuals_of_a_smooth_conv_net_shrink_like_alpha_squared():
    torch.manual_seed(0)
    batches = split_batches(image_episodes(6), 2)
    found = residuals(TanhConvNet(), "classification", batches, ALPHAS, k=2)
    for m in METHODS:
        assert 1.8 <= loglog_slope(ALPHAS, found[m]) <= 2.2, m


def test_relu_kinks_break_the_expansion_of_the_package_convnet():
    """ReLU + batch norm is only piecewise smooth: once a step makes some unit change side the residual stops
    shrinking like α² (here already within [1e-3, 1e-1]); for small enough α no unit moves and α² is back."""
    torch.manual_seed(0)
    batches = [(x[:1], y[:1]) for x, y in split_batches(image_episodes(6), 2)]
    convnet = ConvNet(1, 3, hidden=8, image_size=8, blocks=2)
    tiny = np.logspace(-7, -5, 3)
    smooth, kinked = (residuals(convnet, "classification", batches, a, k=2)["maml"] for a in (tiny, ALPHAS))
    assert 1.8 <= loglog_slope(tiny, smooth) <= 2.2
    assert loglog_slope(ALPHAS, kinked) < 1.5


# -- expectations ----------------------------------------------------------------------------------------------
def test_coefficients_of_the_expected_gradients():
    assert coefficients((0, 1)) == {"maml": (1, 2, 0), "fomaml": (1, 1, 0), "reptile": (2, 1, 0)}  # the seed
    assert coefficients((0, 1, 2)) == {"maml": (1, 4, 0), "fomaml": (1, 2, 0), "reptile": (3, 3, 0)}
    assert coefficients((0, 0)) == {"maml": (1, 0, 2), "fomaml": (1, 0, 1), "reptile": (2, 0, 1)}  # same batch
    assert coefficients((0, 0, 1)) == {"maml": (1, 4, 0), "fomaml": (1, 2, 0), "reptile": (3, 2, 1)}  # MAML(steps=2)


def test_expectation_identities_hold_within_standard_errors(sine_mlp, k=2):
    """E[g] = a·A − α·b·B over 1000 sine tasks at α = 1e-3 (where the O(α²) remainder is negligible): the A and B
    coefficients read off the exact gradients match (a, b) within 4 standard errors (+ 2 % for the O(α) part).
    k = 3 is checked by the lesson's solution (``test_solution_k3_matches_the_hand_derivation``)."""
    tasks = SineTasks(k_shot=10, q_query=10 * (k - 1), meta_batch=10, seed=11)
    found = expectations(sine_mlp, "regression", lambda n: split_batches(tasks.sample(n), k), 1e-3,
                         n_tasks=1000, chunk=500, k=k, pilot=200)
    for m in METHODS:
        a, b, c = found.coefficients[m]
        (a_hat, a_se), (b_hat, b_se) = found.measured[m]["A"], found.measured[m]["B"]
        assert c == 0 and abs(a_hat - a) < 4 * a_se + 1e-9, (m, a_hat, a_se)
        assert abs(b_hat - b) < 4 * b_se + 0.02 * b, (m, b_hat, b_se)
        assert found.summary()[m]["max_abs_z"] < 5, (m, found.summary()[m])
    assert np.linalg.norm(found.B.mean) > 5 * np.linalg.norm(found.B.se)  # B is really there, not noise


# -- the lesson's code solutions ------------------------------------------------------------------------------
def run_solution(name: str) -> dict:
    path = Path(__file__).resolve().parents[2] / "lessons" / "solutions" / name
    return runpy.run_path(str(path))["main"]()


def test_solution_k3_matches_the_hand_derivation():
    out = run_solution("05_k3.py")
    for m, (a, b) in {"fomaml": (1, 2), "maml": (1, 4), "reptile": (3, 3)}.items():
        assert out[m]["coefficients"] == (a, b, 0)
        (a_hat, a_se), (b_hat, b_se) = out[m]["A"], out[m]["B"]
        assert abs(a_hat - a) < 4 * a_se + 1e-9 and abs(b_hat - b) < 4 * b_se + 0.02 * b, (m, out[m])


def test_solution_same_batch_gives_c_instead_of_b():
    out = run_solution("05_same_batch.py")
    assert out["C_norm"] > 1.5 * out["B_norm"] and out["cos_B_C"] < 0.95  # C is not B
    for m, c in {"fomaml": 1, "maml": 2, "reptile": 1}.items():
        value, se = out[m]["measured"]
        assert out[m]["derived"] == c and abs(value - c) < 4 * se + 0.02 * c, (m, out[m])


def test_solution_kinks_first_sign_flip_is_where_the_alpha_squared_law_ends():
    out = run_solution("05_kinks.py")
    assert out["first_flip"] is not None and out["ratio_moves"] is not None
    assert 0.8 < out["ratio_moves"] / out["first_flip"] < 1.25


# -- bad input ---------------------------------------------------------------------------------------------------
def test_bad_input_is_refused_with_a_clear_message():
    learner = MLP((1, 5, 1)).double()
    b = SineTasks(k_shot=4, meta_batch=2, seed=0).sample()
    batches = [(b.x_support, b.y_support), (b.x_query, b.y_query)]
    with pytest.raises(ValueError, match=r"alpha must be a finite number > 0, got 0"):
        meta_gradients(learner, "regression", batches, 0.0)
    with pytest.raises(ValueError, match=r"alpha must be a finite number > 0, got -0.1"):
        residuals(learner, "regression", batches, [0.01, -0.1])
    with pytest.raises(ValueError, match=r"k must be an integer >= 1, got 0"):
        expansion_terms(learner, "regression", batches, k=0)
    with pytest.raises(ValueError, match=r"k must be <= 2"):
        expansion_terms(learner, "regression", batches, k=3)
    with pytest.raises(ValueError, match=r"task_type must be one of"):
        meta_gradients(learner, "ranking", batches, 0.1)
    with pytest.raises(ValueError, match=r"no second derivatives.*double backward"):
        meta_gradients(OnceDifferentiableMLP((1, 5, 1)), "regression", batches, 0.1)
    with pytest.raises(ValueError, match=r"no second derivatives.*first-order MAML and Reptile do not"):
        expansion_terms(OnceDifferentiableMLP((1, 5, 1)), "regression", batches)
    with pytest.raises(ValueError, match=r"residual of exactly 0"):
        loglog_slope(ALPHAS, residuals(learner, "regression", batches, ALPHAS, k=1)["maml"])
