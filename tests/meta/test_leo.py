"""LEO (seed 002 §2.3): encoder + relation network, std floor, KL, sampling, learned steps, regularisers, ablations."""
import math

import pytest
import torch
import torch.nn.functional as F

from mlkit.checkpoint import load_meta_learner, save_checkpoint
from mlkit.learners import MLP
from mlkit.meta import METHODS
from mlkit.meta.losses import task_losses
from mlkit.meta.leo import LEO, STD_FLOOR, gaussian_kl, positive_std
from mlkit.tasks import EpisodeSampler
from mlkit.tasks.features import FeatureDataset

D, N, NZ = 12, 3, 4


def model(k_shot=2, **kw):
    torch.manual_seed(0)
    return LEO(MLP((D, N)), k_shot=k_shot, latent_dim=NZ, **kw)


def support(t=2, k=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = F.normalize(torch.randn(t, N * k, D, generator=g), dim=-1)  # [T, N*K, D]
    y = torch.arange(N).repeat_interleave(k).expand(t, -1).clone()  # [T, N*K], label-major
    return x, y


def features(classes=20, per_class=10, seed=0):
    """Separable toy features: a unit prototype per class plus noise."""
    g = torch.Generator().manual_seed(seed)
    proto = torch.randn(classes, 1, D, generator=g)
    return FeatureDataset(F.normalize(proto + 0.5 * torch.randn(classes, per_class, D, generator=g), dim=-1),
                          [str(c) for c in range(classes)], "train", "toy")


def test_registered_and_shapes():
    assert METHODS["leo"] is LEO
    meta = model().eval()
    x, y = support()
    mean, std = meta.encode(x, y)
    assert mean.shape == std.shape == (2, N, NZ)
    predictor = meta.adapt(x, y)
    assert predictor.predict(torch.randn(2, 7, D)).shape == (2, 7)
    e = predictor.extras
    assert e["z"].shape == e["z_adapted"].shape == (2, N, NZ)
    assert e["z_path"].shape == (meta.latent_steps + 1, 2, N, NZ) and e["weights"].shape == (2, N, D)
    assert not torch.allclose(e["z"], e["z_adapted"])  # the latent steps moved the codes


def test_relation_network_means_over_partners_then_over_the_k_examples():
    meta = model(dropout=0.0).eval()
    x, y = support(k=2)
    x, y = x[:, [1, 4, 0, 3, 5, 2]], y[:, [1, 4, 0, 3, 5, 2]]  # shuffled: grouping must follow the labels
    mean, std = meta.encode(x, y)
    for t in range(2):
        codes = meta.encoder(x[t])  # [M, NZ]
        related = torch.stack([
            torch.stack([meta.relation(torch.cat([codes[i], codes[j]])) for j in range(len(codes))]).mean(0)
            for i in range(len(codes))
        ])  # [M, 2 NZ]
        for n in range(N):
            per_class = related[y[t] == n].mean(0)
            torch.testing.assert_close(mean[t, n], per_class[:NZ], atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(std[t, n], positive_std(per_class[NZ:]), atol=1e-6, rtol=1e-5)


def test_std_is_exp_minus_one_with_a_floor():
    raw = torch.tensor([-5.0, 0.0, math.log(2.0), math.log(3.0)])
    torch.testing.assert_close(positive_std(raw), torch.tensor([STD_FLOOR, STD_FLOOR, 1.0, 2.0]))
    torch.testing.assert_close(positive_std(torch.tensor([math.log(2.0)]), offset=0.25), torch.tensor([1.25]))


def test_kl_closed_form_matches_monte_carlo():
    torch.manual_seed(0)
    mean, std = torch.tensor([0.5, -1.0, 0.0]), torch.tensor([0.3, 1.5, 1.0])
    z = mean + std * torch.randn(400_000, 3)
    log_q = torch.distributions.Normal(mean, std).log_prob(z)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z)
    torch.testing.assert_close(gaussian_kl(mean, std), (log_q - log_p).mean(0), atol=0.01, rtol=0)
    assert gaussian_kl(torch.zeros(1), torch.ones(1)).item() == 0.0


def test_sampling_only_in_meta_training():
    meta = model(dropout=0.0)
    x, y = support()
    torch.manual_seed(1)
    trained = meta._adapt(x, y, 1, 1)
    assert not torch.allclose(trained.z, trained.mean)  # a sample of q(z|D)
    meta.eval()
    a, b = meta.adapt(x, y).extras, meta.adapt(x, y).extras
    torch.testing.assert_close(a["z"], a["mean"], rtol=0, atol=0)  # the mean
    torch.testing.assert_close(a["weights"], b["weights"], rtol=0, atol=0)


def test_latent_step_is_gradient_descent_on_the_codes():
    meta = model(dropout=0.0).eval()
    x, y = support()
    e = meta.adapt(x, y, latent_steps=1, finetune_steps=0).extras
    z = e["z"].clone().requires_grad_()
    w, _ = meta.decode(z)
    loss = task_losses(meta.classifier(x, {"w0": w.transpose(1, 2), "b0": torch.zeros(2, N)}), y, "classification")
    (grad,) = torch.autograd.grad(loss.sum(), z)
    torch.testing.assert_close(e["z_adapted"], z - meta.latent_lr.detach() * grad, atol=1e-6, rtol=1e-5)


def test_learned_step_sizes_receive_gradients_and_gradients_are_clipped():
    meta = model()
    sampler = EpisodeSampler(features(), N, 2, 3, meta_batch=4, seed=0)
    meta.meta_loss(sampler.sample()).backward()
    for p in (meta.latent_lr, meta.finetune_lr):
        assert p.grad is not None and p.grad.abs().sum() > 0
    assert max(p.grad.abs().max() for p in meta.parameters() if p.grad is not None) > 0.1  # raw: some are large
    meta.clip_gradients()  # what the training loop calls before each optimiser step
    for p in meta.parameters():
        if p.grad is not None:
            assert p.grad.abs().max() <= 0.1 + 1e-7 and p.grad.norm() <= 0.1 + 1e-6
    assert meta.learner.w0.grad is None  # the learner only fixes the classifier's shape


def test_orthogonality_penalty_zero_for_orthonormal_decoder_rows():
    meta = model()
    q, _ = torch.linalg.qr(torch.randn(2 * D, NZ))  # orthonormal columns [2D, NZ]
    with torch.no_grad():
        meta.decoder.weight.copy_(q)  # nn.Linear weight [2D, NZ]: its NZ latent rows are orthonormal
    assert meta.orthogonality().item() < 1e-10
    with torch.no_grad():
        meta.decoder.weight[:, 1] = meta.decoder.weight[:, 0]  # two latent dimensions write the same weights
    assert meta.orthogonality().item() == pytest.approx(2 / NZ**2, rel=1e-4)


def test_ablations_differ_as_specified():
    x, y = support()
    deterministic = model(dropout=0.0, stochastic=False)  # training mode, yet no sampling
    a, b = deterministic._adapt(x, y, 2, 2), deterministic._adapt(x, y, 2, 2)
    torch.testing.assert_close(a.z, a.mean, rtol=0, atol=0)
    torch.testing.assert_close(a.weights["w0"], b.weights["w0"], rtol=0, atol=0)

    random_prior = model(dropout=0.0, prior="random")
    torch.manual_seed(0)
    z1 = random_prior._adapt(x, y, 0, 0).z
    z2 = random_prior._adapt(x.flip(0), y, 0, 0).z
    assert z1.std().item() > 0.5 and not torch.allclose(z1, z2)  # N(0, I), whatever the inputs
    random_prior.eval()
    assert torch.equal(random_prior.adapt(x, y).extras["z"], torch.zeros(2, N, NZ))  # the prior's mean
    random_prior.train()
    sampler = EpisodeSampler(features(), N, 2, 3, meta_batch=4, seed=0)
    random_prior.meta_loss(sampler.sample()).backward()
    assert random_prior.last_terms["kl"] == 0.0 and random_prior.encoder.weight.grad is None


def test_meta_training_learns_toy_tasks_and_checkpoint_round_trip(tmp_path):
    meta = model(k_shot=1, meta_lr=3e-3)
    data = features(classes=30, per_class=10)
    sampler = EpisodeSampler(data, N, 1, 5, meta_batch=8, seed=0)
    optimizer, _ = meta.configure_optimizer(100)
    for _ in range(100):
        loss = meta.meta_loss(sampler.sample())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    meta.eval()
    batch = EpisodeSampler(data, N, 1, 5, meta_batch=50, seed=1).sample()
    accuracy = (meta.adapt(batch.x_support, batch.y_support).predict(batch.x_query) == batch.y_query).float().mean()
    assert accuracy > 0.8  # chance is 1/3
    path = save_checkpoint(tmp_path / "leo.pt", meta)
    again = load_meta_learner(path).eval()
    torch.testing.assert_close(again.adapt(batch.x_support, batch.y_support).outputs(batch.x_query),
                               meta.adapt(batch.x_support, batch.y_support).outputs(batch.x_query))


def test_bad_input_is_refused_with_the_parameter_name():
    meta = model(k_shot=2).eval()
    x, y = support(k=2)
    wrong_width = rf"x_support must be features \[tasks, examples, {D}\].*got shape \(2, 6, 5\)"
    with pytest.raises(ValueError, match=wrong_width):
        meta.adapt(x[..., :5], y)
    with pytest.raises(ValueError, match="k_shot: this LEO model was trained for 3-way 2-shot"):
        meta.adapt(*support(k=1))
    with pytest.raises(ValueError, match="n_way: this LEO model was trained for 3-way"):
        meta.adapt(x, y + 1)
    with pytest.raises(ValueError, match="x_query must be features"):
        meta.adapt(x, y).predict(torch.randn(2, 4, D + 1))
    with pytest.raises(ValueError, match="beta must be a finite number >= 0, got -0.1"):
        model(beta=-0.1)
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        meta.adapt(x, y, alpha=-1.0)
    wrong_alpha = rf"alpha must be a number > 0 or a positive tensor \[{NZ}\], got \({NZ + 1},\)"
    with pytest.raises(ValueError, match=wrong_alpha):
        meta.adapt(x, y, alpha=torch.ones(NZ + 1))
    with pytest.raises(ValueError, match=r"learner must be a linear classifier MLP\(\(D, N\)\)"):
        LEO(MLP((D, 8, N)))
    with pytest.raises(ValueError, match="task_type must be one of 'classification'"):
        LEO(MLP((D, N)), task_type="regression")
