"""FeatureDataset: pre-computed features drawn into episodes exactly like images."""
import pytest
import torch

from mlkit.tasks import EpisodeSampler
from mlkit.tasks.features import FeatureDataset


def dataset():
    features = torch.arange(6 * 4 * 3, dtype=torch.float32).view(6, 4, 3)  # [classes, per_class, D]
    return FeatureDataset(features, [f"c{i}" for i in range(6)], "val", "toy-features")


def test_shape_properties():
    data = dataset()
    assert (data.n_classes, data.per_class, data.feature_dim, data.image_shape) == (6, 4, 3, (3,))
    assert repr(data) == "FeatureDataset(name='toy-features', split='val', classes=6, per_class=4, dim=3)"


def test_episode_sampler_passes_features_through_unchanged():
    data = dataset()
    batch = EpisodeSampler(data, n_way=3, k_shot=2, q_query=2, meta_batch=5, seed=0).sample()
    assert batch.x_support.shape == (5, 6, 3) and batch.x_query.shape == (5, 6, 3)
    assert batch.x_support.dtype == torch.float32
    for t in range(5):
        for label in range(3):
            rows = batch.x_support[t][batch.y_support[t] == label]  # [K, D]
            cls = batch.info["classes"][t, label]
            # every support vector is one of that class's stored vectors, untouched (no /255)
            assert all(any(torch.equal(r, v) for v in data.features[cls]) for r in rows)


def test_bad_input():
    with pytest.raises(ValueError, match=r"features must be a float tensor \[classes, per_class, D\], got torch.uint8"):
        FeatureDataset(torch.zeros(2, 3, 4, dtype=torch.uint8), ["a", "b"], "train", "x")
    with pytest.raises(ValueError, match="class_names has 1 names for 2 classes"):
        FeatureDataset(torch.zeros(2, 3, 4), ["a"], "train", "x")
    with pytest.raises(ValueError, match="split must be one of"):
        FeatureDataset(torch.zeros(2, 3, 4), ["a", "b"], "dev", "x")
