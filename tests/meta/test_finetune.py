"""The fine-tune baseline: joint classifier, SGD with a decaying step (its step size search: tests/test_tuning.py)."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.finetune import FineTune
from mlkit.meta.inner import inner_loop
from mlkit.tasks.episodes import EpisodeSampler
from random_episodes import noisy_dataset as _dataset


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


def test_bad_input():
    with pytest.raises(ValueError, match=r"^decay must be a finite number in \[1e-06, 1.0\]"):
        _meta(decay=1.5)
    meta = _meta()
    x, y = torch.rand(1, 5, 1, 16, 16), torch.arange(5).view(1, 5)
    with pytest.raises(ValueError, match="^lr must be a finite number > 0"):
        meta.adapt(x, y, lr=0.0)
