"""Meta-SGD: learned per-weight step sizes; meta-gradients (θ and α) equal a per-task autograd loop."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mlkit.checkpoint import load_meta_learner, save_checkpoint
from mlkit.learners import MLP, ConvNet
from mlkit.meta import METHODS, MetaSGD
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch


def one_task_loss(learner, x, y, weights, task_type: str) -> torch.Tensor:
    out = learner(x, weights)[0]
    return ((out - y[0]) ** 2).mean() if task_type == "regression" else F.cross_entropy(out, y[0])


def per_task_meta_gradient(meta: MetaSGD, batch: TaskBatch, steps: int) -> dict:
    """θ' = θ − α ⊙ ∇L, one task at a time with plain autograd; gradient of the mean query loss."""
    learner, names = meta.learner, meta.learner.adaptable
    params = dict(meta.named_parameters())
    total = 0.0
    for t in range(batch.n_tasks):
        w = {n: p.unsqueeze(0) for n, p in learner.named_parameters()}
        for _ in range(steps):
            loss = one_task_loss(learner, batch.x_support[t : t + 1], batch.y_support[t : t + 1], w, meta.task_type)
            grads = torch.autograd.grad(loss, [w[n] for n in names], create_graph=True)
            w = {**w, **{n: w[n] - meta.alphas[n] * g for n, g in zip(names, grads)}}
        total = total + one_task_loss(learner, batch.x_query[t : t + 1], batch.y_query[t : t + 1], w, meta.task_type)
    return dict(zip(params, torch.autograd.grad(total / batch.n_tasks, list(params.values()))))


def randomise_alphas(meta: MetaSGD, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for a in meta.alphas.values():
            a.uniform_(0.01, 0.1, generator=g)


@pytest.mark.parametrize("steps", [1, 2])
def test_metasgd_meta_gradient_matches_per_task_autograd(steps):
    torch.manual_seed(0)
    meta = MetaSGD(MLP((1, 8, 8, 1), init_std=0.5).double(), steps=steps, alpha=0.05)
    randomise_alphas(meta)
    batch = SineTasks(k_shot=6, q_query=7, meta_batch=5, seed=0).sample().to(torch.float64)
    found = dict(zip(dict(meta.named_parameters()), torch.autograd.grad(meta.meta_loss(batch), list(meta.parameters()))))
    expected = per_task_meta_gradient(meta, batch, steps)
    assert found.keys() == expected.keys() and any(n.startswith("alphas.") for n in found)
    for name in expected:
        torch.testing.assert_close(found[name], expected[name], rtol=1e-10, atol=1e-10)


def test_metasgd_meta_gradient_matches_per_task_autograd_on_conv():
    torch.manual_seed(0)
    learner = ConvNet(in_channels=1, n_classes=3, hidden=4, image_size=8, blocks=2).double()
    meta = MetaSGD(learner, task_type="classification", steps=2, alpha=0.1)
    randomise_alphas(meta)
    x = torch.rand(3, 6, 1, 8, 8, dtype=torch.float64)
    y = torch.arange(3).repeat(2).expand(3, -1).contiguous()
    batch = TaskBatch(x[:, :3], y[:, :3], x[:, 3:], y[:, 3:])
    found = dict(zip(dict(meta.named_parameters()), torch.autograd.grad(meta.meta_loss(batch), list(meta.parameters()))))
    expected = per_task_meta_gradient(meta, batch, 2)
    for name in expected:
        torch.testing.assert_close(found[name], expected[name], rtol=1e-10, atol=1e-10)


def test_alpha_has_the_shape_of_theta_starts_at_alpha_and_gets_gradients():
    meta = MetaSGD(MLP((1, 40, 40, 1)), alpha=0.03)
    assert set(meta.alphas) == set(meta.learner.adaptable)
    for name, p in meta.learner.named_parameters():
        assert meta.alphas[name].shape == p.shape and torch.all(meta.alphas[name] == 0.03)
    meta.meta_loss(SineTasks(k_shot=10, meta_batch=4, seed=0).sample()).backward()
    assert all(a.grad is not None and a.grad.abs().sum() > 0 for a in meta.alphas.values())
    optimizer, _ = meta.configure_optimizer(10)
    before = meta.alphas["w1"].detach().clone()
    optimizer.step()
    assert not torch.equal(before, meta.alphas["w1"])  # the outer optimiser updates α with θ


def test_adapt_uses_the_learned_alpha_unless_a_number_is_given():
    meta = MetaSGD(MLP((1, 40, 40, 1)), alpha=0.03)
    batch = SineTasks(k_shot=10, meta_batch=3, seed=0).sample()
    with torch.no_grad():
        for a in meta.alphas.values():
            a.mul_(2.0)  # learned α now 0.06 everywhere
    learned = meta.adapt(batch.x_support, batch.y_support).predict(batch.x_query)
    as_maml = meta.adapt(batch.x_support, batch.y_support, alpha=0.06).predict(batch.x_query)
    torch.testing.assert_close(learned, as_maml)
    with pytest.raises(ValueError, match="alpha"):
        meta.adapt(batch.x_support, batch.y_support, alpha=-1.0)


def test_checkpoint_round_trip_keeps_learned_alpha(tmp_path):
    assert METHODS["metasgd"] is MetaSGD
    meta = MetaSGD(MLP((1, 40, 40, 1)), alpha=0.02)
    with torch.no_grad():
        meta.alphas["b0"].fill_(0.5)
    loaded = load_meta_learner(save_checkpoint(tmp_path / "m.pt", meta))
    assert isinstance(loaded, MetaSGD) and torch.all(loaded.alphas["b0"] == 0.5)
