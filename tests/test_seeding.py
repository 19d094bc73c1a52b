"""Same seed, same model: ``build(..., seed=)`` then ``train(..., seed=)`` twice give bit-identical weights and
histories on the CPU, for every method; and two command-line runs with the same ``--seed`` give the same checkpoint."""
import pytest
import torch
import torch.nn.functional as F

from mlkit.checkpoint import read_checkpoint
from mlkit.cli import main
from mlkit.meta import METHODS
from mlkit.recipes import build
from mlkit.tasks import EpisodeSampler, ImageDataset, SineTasks
from mlkit.tasks.features import FeatureDataset
from mlkit.train import train

SMALL = {"lstm-meta": {"steps": 2}}  # fewer inner updates: the same code, a faster test


def _samplers():
    """A sine sampler, a tiny 28x28 image episode sampler (3-way 1-shot) and a tiny feature episode sampler."""
    g = torch.Generator().manual_seed(0)
    images = ImageDataset(torch.randint(0, 256, (6, 4, 1, 28, 28), dtype=torch.uint8, generator=g),
                          [f"c{i}" for i in range(6)], "train", "tiny")
    features = FeatureDataset(F.normalize(torch.randn(6, 4, 10, generator=g), dim=-1), [f"c{i}" for i in range(6)],
                              "train", "tiny")
    return (SineTasks(k_shot=5, q_query=5, meta_batch=2, seed=0),
            EpisodeSampler(images, n_way=3, k_shot=1, q_query=2, meta_batch=2, seed=0),
            EpisodeSampler(features, n_way=3, k_shot=1, q_query=2, meta_batch=2, seed=0))


def _run(method: str, sampler_index: int):
    sampler = _samplers()[sampler_index]
    meta = build(method, sampler, seed=7, **SMALL.get(method, {}))
    history = train(meta, sampler, 2, seed=7, log_every=1, progress=False, device="cpu")
    return meta.state_dict(), history


def _kind(method: str) -> int:
    """The first of sine, images, features that ``method`` can learn (tried with one adaptation)."""
    for index, sampler in enumerate(_samplers()):
        try:
            meta, batch = build(method, sampler, **SMALL.get(method, {})), sampler.sample()
            meta.adapt(batch.x_support, batch.y_support)
            return index
        except ValueError:
            continue
    raise AssertionError(f"no task kind for {method}")


@pytest.mark.parametrize("method", sorted(METHODS))
def test_same_seed_gives_bit_identical_weights_and_history(method):
    kind = _kind(method)
    first_weights, first_history = _run(method, kind)
    second_weights, second_history = _run(method, kind)
    assert first_weights.keys() == second_weights.keys()
    for name, weights in first_weights.items():
        assert torch.equal(weights, second_weights[name]), f"{method}: {name}"
    assert first_history.as_dict() == second_history.as_dict()
    assert len(first_history.train_loss) == 2


def test_same_seed_builds_the_same_model_and_another_seed_another():
    sampler = SineTasks(seed=0)
    a, b, c = (build("maml", sampler, seed=s).state_dict() for s in (3, 3, 4))
    assert all(torch.equal(a[k], b[k]) for k in a) and not all(torch.equal(a[k], c[k]) for k in a)


def test_the_command_line_with_the_same_seed_writes_the_same_model(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["train", "--method", "maml", "--steps", "10", "--val-every", "10", "--val-tasks", "5",
                     "--seed", "3", "--checkpoint", str(tmp_path / f"{name}.pt")]) == 0
    a, b = (read_checkpoint(tmp_path / f"{name}.pt") for name in ("a", "b"))
    for name, weights in a["model"].items():
        assert torch.equal(weights, b["model"][name]), name
    assert a["history"] == b["history"]
