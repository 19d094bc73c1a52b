"""Reptile: its meta-gradient is θ − mean θ', with θ' from a per-task loop of plain SGD / Adam(β1=0) steps."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.learners import MLP, ConvNet
from mlkit.meta import METHODS, Reptile
from mlkit.meta.reptile import cycling_batches
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch


def one_task_loss(learner, x, y, weights, task_type: str) -> torch.Tensor:
    out = learner(x, weights)[0]
    return ((out - y[0]) ** 2).mean() if task_type == "regression" else F.cross_entropy(out, y[0])


def per_task_adapted(meta: Reptile, batch: TaskBatch, optimizer: str) -> list[dict]:
    """θ' of each task, one task at a time, with torch.optim (SGD, or Adam with betas=(0, 0.999))."""
    adapted = []
    for t in range(batch.n_tasks):
        w = {n: p.detach().clone().requires_grad_(True) for n, p in meta.learner.named_parameters()}
        step = (torch.optim.SGD(w.values(), lr=meta.alpha) if optimizer == "sgd" else
                torch.optim.Adam(w.values(), lr=meta.alpha, betas=(0.0, 0.999), eps=1e-8))
        for _ in range(meta.steps):
            step.zero_grad()
            one_task_loss(meta.learner, batch.x_support[t : t + 1], batch.y_support[t : t + 1],
                          {n: v.unsqueeze(0) for n, v in w.items()}, meta.task_type).backward()
            step.step()
        adapted.append({n: v.detach() for n, v in w.items()})
    return adapted


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_reptile_meta_gradient_is_theta_minus_mean_adapted_weights(optimizer):
    torch.manual_seed(0)
    meta = Reptile(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=4, alpha=0.02, inner_optimizer=optimizer)
    batch = SineTasks(k_shot=6, q_query=3, meta_batch=5, seed=0).sample().to(torch.float64)
    meta.meta_loss(batch).backward()
    adapted = per_task_adapted(meta, batch, optimizer)
    for name, p in meta.learner.named_parameters():
        expected = p.detach() - torch.stack([a[name] for a in adapted]).mean(0)
        torch.testing.assert_close(p.grad, expected, rtol=1e-10, atol=1e-10)
        assert expected.abs().max() > 1e-4  # the tasks really moved the weights


def test_reptile_meta_gradient_on_conv():
    torch.manual_seed(0)
    learner = ConvNet(in_channels=1, n_classes=3, hidden=4, image_size=8, blocks=2).double()
    meta = Reptile(learner, task_type="classification", steps=3, alpha=0.01)
    x = torch.rand(3, 6, 1, 8, 8, dtype=torch.float64)
    y = torch.arange(3).repeat(2).expand(3, -1).contiguous()
    batch = TaskBatch(x[:, :3], y[:, :3], x[:, 3:], y[:, 3:])
    meta.meta_loss(batch).backward()
    adapted = per_task_adapted(meta, batch, "adam")
    for name, p in meta.learner.named_parameters():
        expected = p.detach() - torch.stack([a[name] for a in adapted]).mean(0)
        torch.testing.assert_close(p.grad, expected, rtol=1e-10, atol=1e-10)


def test_inner_mini_batches_cycle_without_replacement():
    idx = cycling_batches(n_tasks=3, n_examples=10, batch_size=4, steps=5, generator=torch.Generator().manual_seed(0))
    assert idx.shape == (5, 3, 4)
    flat = idx.permute(1, 0, 2).reshape(3, 20)  # each task's stream of examples
    for stream in flat:  # two full reshuffles: every example exactly once in each block of 10
        assert sorted(stream[:10].tolist()) == list(range(10)) and sorted(stream[10:].tolist()) == list(range(10))
    assert not torch.equal(flat[0], flat[1])  # every task has its own order


def test_mini_batch_steps_match_a_per_task_loop_on_the_same_batches():
    torch.manual_seed(0)
    meta = Reptile(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=3, alpha=0.02, inner_optimizer="sgd", inner_batch=4)
    batch = SineTasks(k_shot=10, q_query=3, meta_batch=2, seed=0).sample().to(torch.float64)
    torch.manual_seed(7)
    found = meta.adapt(batch.x_support, batch.y_support).extras["weights"]
    torch.manual_seed(7)
    idx = cycling_batches(2, 10, 4, 3)
    for t in range(2):
        w = {n: p.detach().clone().requires_grad_(True) for n, p in meta.learner.named_parameters()}
        for i in range(3):
            rows = idx[i, t]
            loss = one_task_loss(meta.learner, batch.x_support[t : t + 1, rows], batch.y_support[t : t + 1, rows],
                                 {n: v.unsqueeze(0) for n, v in w.items()}, "regression")
            grads = torch.autograd.grad(loss, list(w.values()))
            w = {n: (v - 0.02 * g).detach().requires_grad_(True) for (n, v), g in zip(w.items(), grads)}
        for n in w:
            torch.testing.assert_close(found[n][t], w[n].detach(), rtol=1e-10, atol=1e-10)


def test_outer_step_is_sgd_annealed_linearly():
    meta = Reptile(MLP(), meta_step=1.0, meta_step_final=0.2)
    optimizer, schedule = meta.configure_optimizer(total_steps=4)
    rates = []
    for _ in range(4):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert isinstance(optimizer, torch.optim.SGD)
    assert rates == pytest.approx([1.0, 0.8, 0.6, 0.4])


def test_one_outer_step_with_step_one_lands_on_the_mean_adapted_weights():
    torch.manual_seed(0)
    meta = Reptile(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=2, alpha=0.02, inner_optimizer="sgd")
    batch = SineTasks(k_shot=6, meta_batch=4, seed=0).sample().to(torch.float64)
    mean_adapted = {n: w.mean(0) for n, w in meta.adapt(batch.x_support, batch.y_support).extras["weights"].items()}
    optimizer, _ = meta.configure_optimizer(100)
    meta.meta_loss(batch).backward()
    optimizer.step()
    for name, p in meta.learner.named_parameters():
        torch.testing.assert_close(p.detach(), mean_adapted[name], rtol=1e-10, atol=1e-10)


def test_bad_input_is_refused():
    assert METHODS["reptile"] is Reptile
    for alpha in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="alpha"):
            Reptile(MLP(), alpha=alpha)
    with pytest.raises(ValueError, match="steps"):
        Reptile(MLP(), steps=-1)
    with pytest.raises(ValueError, match="inner_optimizer"):
        Reptile(MLP(), inner_optimizer="rmsprop")
    with pytest.raises(ValueError, match="inner_batch"):
        Reptile(MLP(), inner_batch=0)
    with pytest.raises(ValueError, match="meta_step"):
        Reptile(MLP(), meta_step=0.0)
    batch = SineTasks(k_shot=5, meta_batch=2, seed=0).sample()
    with pytest.raises(ValueError, match="alpha"):
        Reptile(MLP()).adapt(batch.x_support, batch.y_support, alpha=math.nan)


def test_outer_adam_option_replaces_the_annealed_sgd():
    from mlkit.learners import MLP
    from mlkit.meta.reptile import Reptile

    meta = Reptile(MLP((1, 4, 1)), outer_optimizer="adam", meta_lr=0.005)
    optimizer, schedule = meta.configure_optimizer(10)
    assert isinstance(optimizer, torch.optim.Adam) and schedule is None
    assert optimizer.param_groups[0]["lr"] == 0.005
    with pytest.raises(ValueError, match="outer_optimizer must be one of 'sgd', 'adam'"):
        Reptile(MLP((1, 4, 1)), outer_optimizer="rmsprop")
