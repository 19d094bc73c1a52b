"""The feature embedding of LEO §2.3.4: pre-training, frozen batch norm, L2 normalisation, content-hash cache."""
import pytest
import torch

from mlkit import features as feats
from mlkit.features import FeatureExtractor, content_hash, extract, pretrain
from mlkit.tasks.images import ImageDataset


def images(classes=6, per_class=5, seed=0, split="train"):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(classes, per_class, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    return ImageDataset(x, [f"c{i}" for i in range(classes)], split, "toy")


@pytest.fixture(scope="module")
def extractor():
    torch.manual_seed(0)
    return pretrain(images(), epochs=2, batch_size=10, hidden=8, seed=0)


def test_pretraining_learns_and_only_on_the_meta_train_split(extractor):
    history = extractor.info["history"]
    assert len(history) == 2 and history[1]["loss"] < history[0]["loss"]
    assert extractor.dim == 8 * 3 * 3  # 3 blocks with 2x2 max-pooling: 28 -> 3
    with pytest.raises(ValueError, match="dataset must be the meta-train split"):
        pretrain(images(split="val"), epochs=1)


def test_features_are_l2_normalised_and_independent_of_the_batch(extractor):
    x = images().images.flatten(0, 1)  # [30, 1, 28, 28]
    f = extractor(x)
    torch.testing.assert_close(f.norm(dim=1), torch.ones(30))
    torch.testing.assert_close(extractor(x[3:4]), f[3:4], atol=1e-6, rtol=1e-5)  # frozen statistics


def test_frozen_statistics_reproduce_the_convnet_on_the_calibration_batch(extractor):
    x = images(seed=1).images.flatten(0, 1).float() / 255  # [30, 1, 28, 28]
    extractor.calibrate(x)
    with torch.no_grad():
        reference = extractor.net.embed(x.unsqueeze(0))[0]  # batch statistics of the same batch
    torch.testing.assert_close(extractor.body(x), reference, atol=2e-3, rtol=2e-2)  # unbiased vs biased variance


def test_cache_hit_by_content_hash(extractor, tmp_path, monkeypatch):
    monkeypatch.setenv("MLKIT_CACHE", str(tmp_path))
    data = images(split="test")
    first = extract(extractor, data)
    assert len(list(tmp_path.glob("features-*.pt"))) == 1

    def not_expected(self, x, chunk=1024):
        raise RuntimeError("the extractor ran")

    monkeypatch.setattr(FeatureExtractor, "__call__", not_expected)
    again = extract(extractor, data)  # served from disk: the extractor is not run
    assert torch.equal(again.features, first.features) and again.split == "test"
    changed = images(split="test")
    changed.images[0, 0, 0, 0, 0] ^= 1  # one pixel differs: another key, so a miss
    assert content_hash(changed.images) != content_hash(data.images)
    with pytest.raises(RuntimeError, match="the extractor ran"):  # a miss, not a stale hit
        extract(extractor, changed)


def test_weights_change_the_key_and_save_load_round_trip(extractor, tmp_path):
    path = extractor.save(tmp_path / "f.pt")
    loaded = FeatureExtractor.load(path)
    assert loaded.fingerprint() == extractor.fingerprint()
    x = images().images[0]
    torch.testing.assert_close(loaded(x), extractor(x))
    with torch.no_grad():
        loaded.net.conv0[0, 0, 0, 0] += 0.1
    assert loaded.fingerprint() != extractor.fingerprint()
    with pytest.raises(ValueError, match="feature extractor not found"):
        FeatureExtractor.load(tmp_path / "missing.pt")


def test_shipped_extractor_is_small():
    path = feats.default_extractor_path("glyphs")
    if not path.is_file():
        pytest.skip("no shipped extractor yet")
    assert path.stat().st_size < 1_000_000
    assert FeatureExtractor.load(path).dim == 576
