"""T-net, MT-net, M-net and the "-full" variants: masked meta-gradients, mask sampling, errors, checkpoints."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.checkpoint import load_into, save_checkpoint
from mlkit.learners import MLP, ConvNet
from mlkit.meta import MAML, METHODS
from mlkit.meta.masks import layer_of
from mlkit.meta.mtnet import MNet, MNetFull, MTNet, MTNetFull, TNet
from mlkit.recipes import build
from mlkit.tasks import SineTasks
from mlkit.tasks.batch import TaskBatch

MASKED = {"mtnet": MTNet, "mnet": MNet, "mtnet-full": MTNetFull, "mnet-full": MNetFull}


def mlp_for(cls, **kw) -> MLP:
    return MLP((1, 8, 8, 1), init_std=0.5, transform=cls.uses_transform, **kw).double()


def conv_for(cls) -> ConvNet:
    return ConvNet(in_channels=1, n_classes=3, hidden=4, image_size=8, blocks=2, transform=cls.uses_transform).double()


def sine_batch(n_tasks: int = 5) -> TaskBatch:
    return SineTasks(k_shot=6, q_query=7, meta_batch=n_tasks, seed=0).sample().to(torch.float64)


def conv_batch(n_tasks: int = 3) -> TaskBatch:
    x = torch.rand(n_tasks, 6, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.arange(3).repeat(2).expand(n_tasks, -1).contiguous()
    return TaskBatch(x[:, :3], y[:, :3], x[:, 3:], y[:, 3:])


def one_task_loss(learner, x, y, weights, task_type: str) -> torch.Tensor:
    out = learner(x, weights)[0]
    return ((out - y[0]) ** 2).mean() if task_type == "regression" else F.cross_entropy(out, y[0])


def per_task_meta_loss(meta, batch: TaskBatch, masks: dict | None) -> torch.Tensor:
    """W' = W − α·M_t ⊙ ∇L for each task t in a Python loop (plain autograd, second order)."""
    learner, names = meta.learner, meta.learner.adaptable
    total = 0.0
    for t in range(batch.n_tasks):
        w = {n: p.unsqueeze(0) for n, p in learner.named_parameters()}
        for _ in range(meta.steps):
            loss = one_task_loss(learner, batch.x_support[t : t + 1], batch.y_support[t : t + 1], w, meta.task_type)
            grads = torch.autograd.grad(loss, [w[n] for n in names], create_graph=True)
            w = {**w, **{n: w[n] - meta.alpha * (1 if masks is None else masks[n][t : t + 1]) * g
                         for n, g in zip(names, grads)}}
        total = total + one_task_loss(learner, batch.x_query[t : t + 1], batch.y_query[t : t + 1], w, meta.task_type)
    return total / batch.n_tasks


def check_against_per_task(meta, batch: TaskBatch) -> None:
    """Same sampled masks (kept in the graph, so ζ's straight-through gradient is compared too) on both sides."""
    torch.manual_seed(3)
    masks = meta.update_mask(batch.n_tasks) if isinstance(meta, MTNet) else None
    meta.update_mask = lambda n_tasks: masks  # the batched meta_loss reuses exactly these masks
    params = dict(meta.named_parameters())
    found = torch.autograd.grad(meta.meta_loss(batch), list(params.values()), retain_graph=True)
    expected = torch.autograd.grad(per_task_meta_loss(meta, batch, masks), list(params.values()))
    for name, a, b in zip(params, found, expected):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10, msg=lambda m: f"{name}: {m}")
    if masks is not None:
        assert all(params[f"masks.logits.{k}"].requires_grad for k in meta.masks.logits)


@pytest.mark.parametrize("name", ["tnet", *MASKED])
def test_mtnet_meta_gradient_matches_per_task_autograd(name):
    cls = METHODS[name]
    torch.manual_seed(0)
    meta = cls(mlp_for(cls), steps=2, alpha=0.05)
    check_against_per_task(meta, sine_batch())


@pytest.mark.parametrize("name", ["tnet", "mtnet", "mnet-full"])
def test_mtnet_meta_gradient_matches_per_task_autograd_on_conv(name):
    cls = METHODS[name]
    torch.manual_seed(0)
    meta = cls(conv_for(cls), task_type="classification", steps=2, alpha=0.1)
    check_against_per_task(meta, conv_batch())


def test_layers_group_each_bias_with_its_weights():
    assert [layer_of(n) for n in ("w0", "b0", "conv3", "gamma3", "beta3", "fc_w", "fc_b")] == \
        ["0", "0", "3", "3", "3", "fc", "fc"]
    conv = MTNet(conv_for(MTNet))
    assert conv.masks.layers == {"conv0": ["conv0", "gamma0", "beta0"], "conv1": ["conv1", "gamma1", "beta1"],
                                 "fc_w": ["fc_w", "fc_b"]}


def test_mask_shapes_per_unit_and_per_weight():
    mlp = MTNet(MLP((1, 40, 40, 1), transform=True))
    m = mlp.update_mask(4)
    assert {n: tuple(v.shape) for n, v in m.items()} == {
        "w0": (4, 1, 40), "b0": (4, 40), "w1": (4, 1, 40), "b1": (4, 40), "w2": (4, 1, 1), "b2": (4, 1)}
    assert {k: tuple(z.shape) for k, z in mlp.masks.logits.items()} == {"w0": (40,), "w1": (40,), "w2": (1,)}
    conv = MTNet(ConvNet(in_channels=1, n_classes=5, hidden=6, image_size=8, blocks=2, transform=True))
    m = conv.update_mask(3)
    assert tuple(m["conv1"].shape) == (3, 6, 1, 1, 1) and tuple(m["gamma1"].shape) == (3, 6)
    assert tuple(m["fc_w"].shape) == (3, 1, 5) and tuple(m["fc_b"].shape) == (3, 5)
    full = MNetFull(MLP((1, 40, 40, 1)))
    m = full.update_mask(2)
    assert all(m[n].shape == (2, *p.shape) for n, p in full.learner.named_parameters())
    assert all(set(v.unique().tolist()) <= {0.0, 1.0} for v in m.values())  # hard 0/1 values


def test_bias_shares_its_layers_mask():
    meta = MTNet(MLP((1, 40, 40, 1), transform=True))
    m = meta.update_mask(6)
    assert torch.equal(m["w1"][:, 0, :], m["b1"])


def test_one_mask_per_task_reused_for_every_inner_step_and_masked_units_stay_put():
    torch.manual_seed(0)
    meta = MNet(MLP((1, 40, 40, 1), init_std=0.2), steps=1, alpha=0.01)
    calls = []
    sample = meta.masks.sample
    meta.masks.sample = lambda *a, **k: calls.append(1) or sample(*a, **k)
    batch = SineTasks(k_shot=10, meta_batch=6, seed=0).sample()
    meta.meta_loss(batch)
    predictor = meta.adapt(batch.x_support, batch.y_support, steps=5)
    assert len(calls) == 2  # one draw for the 5 inner steps of adapt, one for meta_loss
    mask, adapted = predictor.extras["mask"], predictor.extras["weights"]
    for name in ("w1", "b1"):
        moved = (adapted[name] - getattr(meta.learner, name)).abs()  # [T, 40, 40] or [T, 40]
        moved = moved.amax(1) if name == "w1" else moved  # [T, 40]: largest change of each unit
        off = mask[name].reshape(6, 40) == 0
        assert off.any() and (~off).any()
        assert torch.all(moved[off] == 0)  # masked-out units never moved, in any of the 5 steps
        assert (moved[~off] > 0).double().mean() > 0.5  # the others did (but for units whose ReLU is dead)


def test_probability_of_an_update_is_sigmoid_of_the_logit():
    torch.manual_seed(0)
    meta = MTNet(MLP((1, 3, 1), transform=True))
    with torch.no_grad():
        meta.masks.logits["w0"].copy_(torch.tensor([-2.0, 0.0, 1.5]))
    frequency = meta.update_mask(20000)["b0"].mean(0)
    torch.testing.assert_close(frequency, torch.sigmoid(meta.masks.logits["w0"].detach()), atol=0.015, rtol=0)


def test_straight_through_gradient_reaches_zeta_and_depends_on_temperature():
    grads = {}
    for temperature in (1.0, 0.5):
        torch.manual_seed(0)
        meta = MTNet(MLP((1, 40, 40, 1), transform=True), steps=1, alpha=0.05, temperature=temperature)
        torch.manual_seed(1)
        meta.meta_loss(SineTasks(k_shot=10, meta_batch=8, seed=0).sample()).backward()
        for key, z in meta.masks.logits.items():
            assert z.grad is not None and z.grad.abs().sum() > 0, key
        grads[temperature] = meta.masks.logits["w1"].grad.clone()
    assert not torch.allclose(grads[1.0], grads[0.5])


def test_update_fraction_at_initialisation_is_one_half():
    assert MTNet(MLP(transform=True)).update_fraction() == {"w0": 0.5, "w1": 0.5, "w2": 0.5}
    assert MNet(ConvNet(hidden=4, image_size=8, blocks=2)).update_fraction() == \
        {"conv0": 0.5, "conv1": 0.5, "fc_w": 0.5}
    torch.manual_seed(0)
    full = MTNetFull(MLP(transform=True)).update_fraction()
    assert full.keys() == {"w0", "w1", "w2"} and all(abs(v - 0.5) < 0.02 for v in full.values())
    zeta = MNetFull(MLP()).masks.logits["w1"]
    assert 0.08 < zeta.std().item() < 0.1 and zeta.abs().max().item() <= 0.2  # truncated normal, std 0.1
    conv_zeta = MNetFull(ConvNet(hidden=4, image_size=8, blocks=2)).masks.logits["conv1"]
    assert conv_zeta.abs().max().item() <= 0.02


def test_mask_modes_at_adaptation():
    torch.manual_seed(0)
    learner = MLP((1, 40, 40, 1), init_std=0.5)
    maml, mnet = MAML(learner, alpha=0.05), MNet(learner, alpha=0.05)
    batch = SineTasks(k_shot=10, meta_batch=3, seed=0).sample()
    with torch.no_grad():
        for z in mnet.masks.logits.values():
            z.fill_(3.0)  # every unit more likely on than off
    expected = maml.adapt(batch.x_support, batch.y_support, steps=2).predict(batch.x_query)
    hard = mnet.adapt(batch.x_support, batch.y_support, steps=2, mask_mode="hard")
    torch.testing.assert_close(hard.predict(batch.x_query), expected)
    soft = mnet.adapt(batch.x_support, batch.y_support, steps=1, mask_mode="expected")
    assert torch.allclose(soft.extras["mask"]["b0"], torch.sigmoid(torch.tensor(3.0)).expand(3, 40))
    with pytest.raises(ValueError, match="mask_mode"):
        mnet.adapt(batch.x_support, batch.y_support, mask_mode="mean")


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf])
def test_bad_temperature_is_refused(temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        MTNet(MLP(transform=True), temperature=temperature)


@pytest.mark.parametrize("cls", [TNet, MTNet, MNet, MTNetFull, MNetFull])
def test_bad_alpha_steps_and_learner_are_refused(cls):
    learner = MLP(transform=cls.uses_transform)
    with pytest.raises(ValueError, match="alpha"):
        cls(learner, alpha=0.0)
    with pytest.raises(ValueError, match="steps"):
        cls(learner, steps=-1)
    with pytest.raises(ValueError, match="transform"):
        cls(MLP(transform=not cls.uses_transform))


def test_recipes_build_the_right_learner_and_configs_round_trip():
    sampler = SineTasks(k_shot=10, meta_batch=4, seed=0)
    for name in ("tnet", *MASKED):
        meta = build(name, sampler, temperature=0.5) if name != "tnet" else build(name, sampler)
        assert meta.learner.transform == METHODS[name].uses_transform
        assert type(meta).from_config(meta.config()).config() == meta.config()


def test_checkpoint_from_another_model_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "maml.pt", MAML(MLP()))
    with pytest.raises(ValueError, match="'maml' model"):
        load_into(path, MTNet(MLP(transform=True)))
    path = save_checkpoint(tmp_path / "mtnet.pt", MTNet(MLP(transform=True)))
    with pytest.raises(ValueError, match="'mtnet' model"):
        load_into(path, MTNetFull(MLP(transform=True)))
    fresh = MTNet(MLP(transform=True))
    load_into(path, fresh)  # the same model loads


def test_same_seed_same_mtnet():
    """Mask sampling draws from torch's seeded generator: two runs with one seed end with identical weights."""
    from mlkit.train import train

    states = []
    for _ in range(2):
        torch.manual_seed(0)  # the initial weights
        meta = build("mtnet", SineTasks(k_shot=10, meta_batch=4, seed=0))
        train(meta, SineTasks(k_shot=10, meta_batch=4, seed=0), 20, device="cpu", seed=5, progress=False)
        states.append(meta.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
