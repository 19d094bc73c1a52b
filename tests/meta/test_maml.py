"""MAML and first-order MAML: batched meta-gradients equal a plain per-task autograd loop, adapt, errors, learning."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.evaluate import evaluate
from mlkit.learners import MLP, ConvNet
from mlkit.meta import FOMAML, MAML, METHODS
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch
from mlkit.train import train


def sine_batch(n_tasks: int = 5, k: int = 6, seed: int = 0) -> TaskBatch:
    return SineTasks(k_shot=k, q_query=7, meta_batch=n_tasks, seed=seed).sample().to(torch.float64)


def tiny_conv_batch(n_tasks: int = 3, n_way: int = 3, seed: int = 0) -> TaskBatch:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n_tasks, 2 * n_way, 1, 8, 8, generator=g, dtype=torch.float64)
    y = torch.arange(n_way).repeat(2).expand(n_tasks, -1).contiguous()  # [T, 2N] labels
    return TaskBatch(x[:, :n_way], y[:, :n_way], x[:, n_way:], y[:, n_way:])


def tiny_conv(transform: bool = False) -> ConvNet:
    return ConvNet(in_channels=1, n_classes=3, hidden=4, image_size=8, blocks=2, transform=transform).double()


def one_task_loss(learner, x, y, weights, task_type: str) -> torch.Tensor:
    """Loss of ONE task, inputs [1, B, ...]: the plain formulas, not the package's batched helper."""
    out = learner(x, weights)[0]
    return ((out - y[0]) ** 2).mean() if task_type == "regression" else F.cross_entropy(out, y[0])


def per_task_meta_gradient(meta, batch: TaskBatch, steps: int, alpha: float, first_order: bool) -> dict:
    """The MAML meta-gradient written the slow, obvious way: one task at a time, torch.autograd per task."""
    learner, names = meta.learner, meta.learner.adaptable
    params = dict(meta.named_parameters())
    total = 0.0
    for t in range(batch.n_tasks):
        w = {n: p.unsqueeze(0) for n, p in learner.named_parameters()}
        xs, ys = batch.x_support[t : t + 1], batch.y_support[t : t + 1]
        for _ in range(steps):
            loss = one_task_loss(learner, xs, ys, w, meta.task_type)
            grads = torch.autograd.grad(loss, [w[n] for n in names], create_graph=not first_order)
            w = {**w, **{n: w[n] - alpha * (g.detach() if first_order else g) for n, g in zip(names, grads)}}
        total = total + one_task_loss(learner, batch.x_query[t : t + 1], batch.y_query[t : t + 1], w, meta.task_type)
    grads = torch.autograd.grad(total / batch.n_tasks, list(params.values()))
    return dict(zip(params, grads))


def batched_meta_gradient(meta, batch: TaskBatch) -> dict:
    loss = meta.meta_loss(batch)
    return dict(zip(dict(meta.named_parameters()), torch.autograd.grad(loss, list(meta.parameters()))))


def assert_same_gradients(found: dict, expected: dict, tol: float = 1e-10) -> None:
    assert found.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(found[name], expected[name], rtol=tol, atol=tol, msg=lambda m: f"{name}: {m}")


@pytest.mark.parametrize("first_order", [False, True])
@pytest.mark.parametrize("steps", [1, 3])
def test_maml_meta_gradient_matches_per_task_autograd(first_order, steps):
    torch.manual_seed(0)
    meta = MAML(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=steps, alpha=0.05, first_order=first_order)
    batch = sine_batch()
    assert_same_gradients(batched_meta_gradient(meta, batch), per_task_meta_gradient(meta, batch, steps, 0.05, first_order))


def test_fomaml_meta_gradient_matches_per_task_autograd():
    torch.manual_seed(1)
    meta = FOMAML(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=2, alpha=0.05)
    batch = sine_batch(seed=1)
    assert_same_gradients(batched_meta_gradient(meta, batch), per_task_meta_gradient(meta, batch, 2, 0.05, True))


def test_second_order_terms_are_really_there():
    """The equality tests above would be vacuous if both orders gave the same gradient."""
    torch.manual_seed(0)
    batch = sine_batch()
    first = FOMAML(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=2, alpha=0.05)
    second = MAML(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=2, alpha=0.05)
    second.load_state_dict(first.state_dict())
    g1, g2 = batched_meta_gradient(first, batch), batched_meta_gradient(second, batch)
    assert max((g1[n] - g2[n]).abs().max().item() for n in g1) > 1e-4


@pytest.mark.parametrize("first_order", [False, True])
def test_maml_meta_gradient_matches_per_task_autograd_on_conv(first_order):
    torch.manual_seed(0)
    meta = MAML(tiny_conv(), task_type="classification", steps=2, alpha=0.1, first_order=first_order)
    batch = tiny_conv_batch()
    assert_same_gradients(batched_meta_gradient(meta, batch), per_task_meta_gradient(meta, batch, 2, 0.1, first_order))


def test_adapt_equals_inner_steps_and_is_detached():
    torch.manual_seed(0)
    meta = MAML(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=1, alpha=0.05)
    batch = sine_batch(n_tasks=2)
    predictor = meta.adapt(batch.x_support, batch.y_support, steps=3, alpha=0.02)
    w = {n: p.detach().clone().requires_grad_(True) for n, p in meta.learner.named_parameters()}
    for t in range(2):  # three plain gradient steps on task t
        wt = {n: v.unsqueeze(0) for n, v in w.items()}
        for _ in range(3):
            loss = one_task_loss(meta.learner, batch.x_support[t : t + 1], batch.y_support[t : t + 1], wt, "regression")
            grads = torch.autograd.grad(loss, list(wt.values()))
            wt = {n: v - 0.02 * g for (n, v), g in zip(wt.items(), grads)}
        expected = meta.learner(batch.x_query[t : t + 1], wt)[0]
        torch.testing.assert_close(predictor.predict(batch.x_query)[t], expected.detach(), rtol=1e-10, atol=1e-10)
    assert all(not w.requires_grad for w in predictor.extras["weights"].values())


def test_adapt_with_zero_steps_is_the_initial_network_and_works_under_no_grad():
    meta = MAML(MLP((1, 8, 8, 1)).double(), steps=1)
    batch = sine_batch()
    with torch.no_grad():
        before = meta.adapt(batch.x_support, batch.y_support, steps=0).predict(batch.x_query)
        after = meta.adapt(batch.x_support, batch.y_support, steps=2).predict(batch.x_query)
    torch.testing.assert_close(before, meta.learner(batch.x_query).detach())
    assert not torch.equal(before, after)


def test_conv_adapt_predicts_class_indices():
    meta = MAML(tiny_conv(), task_type="classification", steps=1, alpha=0.1)
    batch = tiny_conv_batch()
    prediction = meta.adapt(batch.x_support, batch.y_support, steps=2).predict(batch.x_query)
    assert prediction.shape == (3, 3) and prediction.dtype == torch.int64


@pytest.mark.parametrize("alpha", [0.0, -0.1, math.nan, math.inf])
def test_bad_alpha_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        MAML(MLP(), alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        FOMAML(MLP(), alpha=alpha)
    batch = sine_batch().to(torch.float32)
    with pytest.raises(ValueError, match="alpha"):
        MAML(MLP()).adapt(batch.x_support, batch.y_support, alpha=alpha)


def test_negative_steps_are_refused():
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        MAML(MLP(), steps=-1)
    batch = sine_batch().to(torch.float32)
    with pytest.raises(ValueError, match="steps"):
        MAML(MLP()).adapt(batch.x_support, batch.y_support, steps=-2)


def test_registered_and_rebuilt_from_config():
    assert METHODS["maml"] is MAML and METHODS["fomaml"] is FOMAML
    meta = FOMAML(MLP(), steps=3, alpha=0.02)
    rebuilt = FOMAML.from_config(meta.config())
    assert rebuilt.config() == meta.config() and rebuilt.first_order


def test_short_maml_sine_training_learns_to_adapt():
    """1000 meta-iterations (seed 0, ~2 s): one adaptation step must beat the unadapted network clearly.

    Measured: MSE 3.57 before, 2.16 after one step, on the same 200 held-out tasks.
    """
    torch.manual_seed(0)
    meta = MAML(MLP((1, 40, 40, 1)), steps=1, alpha=0.1, meta_lr=3e-3)
    train(meta, SineTasks(k_shot=10, meta_batch=10, seed=0), 1000, device="cpu", seed=0, progress=False)
    before = evaluate(meta, SineTasks(k_shot=10, seed=123), n_tasks=200, steps=0)
    after = evaluate(meta, SineTasks(k_shot=10, seed=123), n_tasks=200, steps=1)
    assert after.mean < 0.75 * before.mean, (before, after)
