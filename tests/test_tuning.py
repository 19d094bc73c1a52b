"""mlkit.tuning.select_sgd: the fine-tune baseline's step size and decay, chosen on validation episodes."""
import pytest
import torch

from mlkit.learners import ConvNet
from mlkit.meta.finetune import FineTune
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tuning import select_sgd
from random_episodes import noisy_dataset


def _meta():
    torch.manual_seed(0)
    return FineTune(ConvNet(n_classes=12, hidden=4, image_size=16, downsample="maxpool"), "classification")


def test_select_sgd_picks_the_best_pair_on_validation_episodes():
    meta = _meta()
    val = EpisodeSampler(noisy_dataset("val", seed=1), n_way=5, k_shot=1, q_query=3, meta_batch=1, seed=5)
    found = select_sgd(meta, val, lrs=(1e-4, 0.5), decays=(1.0, 0.5), n_tasks=6)
    assert len(found["grid"]) == 4
    best = max(found["grid"], key=lambda row: row["score"])
    assert (found["lr"], found["decay"]) == (best["lr"], best["decay"]) == (meta.lr, meta.decay)
    assert found["lr"] == 0.5  # a 1e-4 step barely moves the zero head: a real step wins
    tiny = next(row for row in found["grid"] if row["lr"] == 1e-4 and row["decay"] == 1.0)
    assert best["score"] > tiny["score"] + 0.2
    assert meta.hparams["lr"] == 0.5


def test_every_pair_is_scored_on_the_same_episodes_and_the_sampler_is_left_alone():
    meta = _meta()
    val = EpisodeSampler(noisy_dataset("val", seed=1), n_way=5, k_shot=1, q_query=3, meta_batch=1, seed=5)
    before = val.state_dict()["generator"].clone()
    found = select_sgd(meta, val, lrs=(0.5, 0.5), decays=(1.0,), n_tasks=4)
    assert found["grid"][0]["score"] == found["grid"][1]["score"]  # same pair, same episodes: same score
    assert torch.equal(val.state_dict()["generator"], before)  # it drew from reseeded copies


def test_bad_grid():
    with pytest.raises(ValueError, match="lrs and decays must each hold at least one value"):
        select_sgd(_meta(), EpisodeSampler(noisy_dataset("val"), 5, 1, 3, 1, 0), lrs=())


def test_a_diverging_step_size_scores_minus_infinity_and_is_never_chosen():
    meta = _meta()
    val = EpisodeSampler(noisy_dataset("val", seed=1), n_way=5, k_shot=1, q_query=3, meta_batch=1, seed=5)
    found = select_sgd(meta, val, lrs=(0.5, 1e30), decays=(1.0,), n_tasks=4)
    assert [row["score"] for row in found["grid"] if row["lr"] == 1e30] == [float("-inf")]
    assert found["lr"] == 0.5
    from mlkit.checks import Diverged

    with pytest.raises(Diverged):
        select_sgd(meta, val, lrs=(1e30,), decays=(1.0,), n_tasks=4)
