"""The fine-tune baseline: joint classifier, SGD with a decaying step, step size chosen on validation episodes."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.finetune import FineTune, select_sgd
from mlkit.meta.inner import inner_loop
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.images import ImageDataset


def _dataset(split="train", classes=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    prototypes = torch.randint(0, 256, (classes, 1, 1, 16, 16), generator=g)
    noise = torch.randint(-30, 30, (classes, 8, 1, 16, 16), generator=g)
    images = (prototypes + noise).clamp(0, 255).to(torch.uint8)  # classes are noisy copies of a prototype
    return ImageDataset(images, [f"c{i}" for i in range(classes)], split, "noise")


def _meta(n_classes=12, **kw):
    torch.manual_seed(0)
    return FineTune(ConvNet(n_classes=n_classes, hidden=4, image_size=16, downsample="maxpool"), "classification", **kw)


def test_joint_loss_maps_episode_labels_to_dataset_classes():
    meta = _meta()
    batch = EpisodeSampler(_dataset(), n_way=5, k_shot=1, q_query=2, meta_batch=2, seed=0).sample()
    x = torch.cat([batch.x_support, batch.x_query], 1)
    y = batch.info["classes"].gather(1, torch.cat([batch.y_support, batch.y_query], 1))  # [T, 15] dataset ids
    torch.testing.assert_close(meta.meta_loss(batch), meta.loss(meta.learner(x), y).mean())


def test_decay_shrinks_each_step_by_the_factor():
    meta = _meta()
    batch = EpisodeSampler(_dataset(), n_way=5, k_shot=1, q_query=2, meta_batch=2, seed=0).sample()
    adapted = meta.adapt(batch.x_support, batch.y_support, steps=3, lr=0.1, decay=0.5).extras["weights"]
    weights = {n: w.detach().clone() for n, w in meta.learner.task_weights(2).items()}
    weights["fc_w"] = weights["fc_w"].new_zeros(2, weights["fc_w"].shape[1], 5)
    weights["fc_b"] = weights["fc_b"].new_zeros(2, 5)
    for size in (0.1, 0.05, 0.025):  # the same three steps by hand
        weights = inner_loop(meta.learner, weights, batch.x_support, batch.y_support, steps=1, alpha=size,
                             task_type="classification", names=meta.learner.adaptable, create_graph=False, detach=True)
    for name in adapted:
        torch.testing.assert_close(adapted[name], weights[name])
    constant = meta.adapt(batch.x_support, batch.y_support, steps=3, lr=0.1).extras["weights"]
    assert not torch.allclose(constant["conv0"], adapted["conv0"])


def test_select_sgd_picks_the_best_pair_on_validation_episodes():
    meta = _meta()
    val = EpisodeSampler(_dataset("val", seed=1), n_way=5, k_shot=1, q_query=3, meta_batch=1, seed=5)
    found = select_sgd(meta, val, lrs=(1e-4, 0.5), decays=(1.0, 0.5), n_tasks=6)
    assert len(found["grid"]) == 4
    best = max(found["grid"], key=lambda row: row["score"])
    assert (found["lr"], found["decay"]) == (best["lr"], best["decay"]) == (meta.lr, meta.decay)
    assert found["lr"] == 0.5  # a 1e-4 step barely moves the zero head: a real step wins
    tiny = next(row for row in found["grid"] if row["lr"] == 1e-4 and row["decay"] == 1.0)
    assert best["score"] > tiny["score"] + 0.2
    assert meta.hparams["lr"] == 0.5


def test_bad_input():
    with pytest.raises(ValueError, match=r"^decay must be a finite number in \[1e-06, 1.0\]"):
        _meta(decay=1.5)
    meta = _meta()
    x, y = torch.rand(1, 5, 1, 16, 16), torch.arange(5).view(1, 5)
    with pytest.raises(ValueError, match="^lr must be a finite number > 0"):
        meta.adapt(x, y, lr=0.0)
    with pytest.raises(ValueError, match="lrs and decays must each hold at least one value"):
        select_sgd(meta, EpisodeSampler(_dataset("val"), 5, 1, 3, 1, 0), lrs=())
