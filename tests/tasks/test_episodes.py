"""The episode sampler: N distinct classes, K+Q distinct images each, labels permuted per episode."""
import pytest
import torch

from mlkit.tasks import EpisodeSampler, ImageDataset


def toy_dataset(n_classes=12, per_class=6, split="train"):
    # every image is filled with its own (class, index) code so the test can read back what was drawn
    codes = torch.arange(n_classes * per_class, dtype=torch.uint8).view(n_classes, per_class, 1, 1, 1)
    images = codes.expand(n_classes, per_class, 1, 2, 2).contiguous()
    return ImageDataset(images, [f"c{i}" for i in range(n_classes)], split, "toy")


def test_episode_shapes_labels_and_contents():
    sampler = EpisodeSampler(toy_dataset(), n_way=5, k_shot=2, q_query=3, meta_batch=7, seed=0)
    batch = sampler.sample()
    assert batch.x_support.shape == (7, 10, 1, 2, 2) and batch.x_query.shape == (7, 15, 1, 2, 2)
    assert batch.y_support.tolist()[0] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    codes_s = (batch.x_support[..., 0, 0, 0] * 255).round().long()  # [T, N*K]
    codes_q = (batch.x_query[..., 0, 0, 0] * 255).round().long()
    classes = batch.info["classes"]  # [T, N]
    for t in range(7):
        assert len(set(classes[t].tolist())) == 5
        for label in range(5):
            drawn = codes_s[t][batch.y_support[t] == label].tolist() + codes_q[t][batch.y_query[t] == label].tolist()
            assert {c // 6 for c in drawn} == {classes[t, label].item()}  # every image from that class
            assert len(set(drawn)) == 5  # K + Q distinct images


def test_labels_are_permuted_between_episodes():
    batch = EpisodeSampler(toy_dataset(), n_way=5, k_shot=1, q_query=1, meta_batch=50, seed=0).sample()
    first_class = batch.info["classes"][:, 0]
    assert len(set(first_class.tolist())) > 5  # label 0 means different classes in different episodes


def test_seeded_and_resumable():
    a = EpisodeSampler(toy_dataset(), seed=5, q_query=2)
    b = EpisodeSampler(toy_dataset(), seed=5, q_query=2)
    assert torch.equal(a.sample().x_query, b.sample().x_query)
    state = a.state_dict()
    expected = a.sample().info["classes"]
    b.load_state_dict(state)
    assert torch.equal(b.sample().info["classes"], expected)


def test_more_ways_than_classes():
    with pytest.raises(ValueError, match=r"n_way must be an integer >= 1 and <= 12, got 20"):
        EpisodeSampler(toy_dataset(), n_way=20)


def test_more_shots_than_images():
    with pytest.raises(ValueError, match=r"k_shot \+ q_query must be <= 6 .*got 5 \+ 2 = 7"):
        EpisodeSampler(toy_dataset(), k_shot=5, q_query=2)


@pytest.mark.parametrize("name", ["k_shot", "q_query"])
def test_non_positive_shots(name):
    with pytest.raises(ValueError, match=f"{name} must be an integer >= 1, got 0"):
        EpisodeSampler(toy_dataset(), **{name: 0})


def test_unknown_split_name():
    with pytest.raises(ValueError, match="split must be one of 'train', 'val', 'test', got 'testing'"):
        toy_dataset(split="testing")


def alphabet_dataset():
    """Alphabets A (6 classes), B (3) and C (5) of 4 images each, named like Omniglot's "Alphabet/characterNN"."""
    sizes = {"A": 6, "B": 3, "C": 5}
    names = [f"{a}/character{i:02d}" for a, n in sizes.items() for i in range(n)]
    codes = torch.arange(len(names) * 4, dtype=torch.uint8).view(len(names), 4, 1, 1, 1)
    return ImageDataset(codes.expand(-1, -1, 1, 2, 2).contiguous(), names, "test", "toy")


def test_episodes_within_one_alphabet_use_only_large_enough_alphabets():
    data = alphabet_dataset()
    batch = EpisodeSampler(data, n_way=4, k_shot=1, q_query=1, meta_batch=200, seed=0, within_alphabet=True).sample()
    used = [{data.alphabets[c] for c in row.tolist()} for row in batch.info["classes"]]
    assert all(len(alphabets) == 1 for alphabets in used)  # every episode inside one alphabet
    assert {a for (a,) in used} == {"A", "C"}  # B has only 3 characters: never enough for 4-way
    across = EpisodeSampler(data, n_way=4, k_shot=1, q_query=1, meta_batch=200, seed=0).sample()
    assert any(len({data.alphabets[c] for c in row.tolist()}) > 1 for row in across.info["classes"])


def test_more_ways_than_an_alphabet_has_characters():
    with pytest.raises(ValueError, match=r"n_way must be <= 6 \(the most classes of one alphabet in toy test: A\) "
                                         r"for episodes within one alphabet, got 7"):
        EpisodeSampler(alphabet_dataset(), n_way=7, k_shot=1, q_query=1, within_alphabet=True)


def test_augmented_episodes_are_seeded_distorted_and_in_range():
    from mlkit.tasks.augment import AffineDistortion
    from mlkit.tasks.omniglot import Omniglot

    data = Omniglot(split="val")
    plain = EpisodeSampler(data, 5, 1, 2, 3, seed=4).sample()
    a = EpisodeSampler(data, 5, 1, 2, 3, seed=4, augment=AffineDistortion()).sample()
    b = EpisodeSampler(data, 5, 1, 2, 3, seed=4, augment=AffineDistortion()).sample()
    assert torch.equal(a.x_support, b.x_support) and torch.equal(a.info["classes"], plain.info["classes"])
    assert not torch.equal(a.x_support, plain.x_support)
    assert float(a.x_query.min()) >= 0 and float(a.x_query.max()) <= 1
    changed = (a.x_support - plain.x_support).abs().flatten(2).amax(-1)  # [T, N*K]: per image
    assert float((changed > 0.1).float().mean()) > 0.9  # nearly every image is distorted on its own...
    assert (a.x_support.sum((-1, -2)) - plain.x_support.sum((-1, -2))).abs().max() < 0.5 * plain.x_support.sum((-1, -2)).max()  # ...not destroyed
    with pytest.raises(ValueError, match="augment must be None, an AffineDistortion or a StrokeDistortion, got 'affine'"):
        EpisodeSampler(data, 5, 1, 2, augment="affine")
