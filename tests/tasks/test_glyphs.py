"""Glyphs: determinism, disjoint splits, shapes, and a few-shot difficulty band measured with raw-pixel 1-NN."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mlkit.tasks.glyphs import Glyphs, draw_classes
from mlkit.tasks.images import split_sizes

SMALL = dict(n_alphabets=4, chars_per_alphabet=10, per_class=6)


@pytest.fixture(scope="module")
def test_split() -> Glyphs:
    return Glyphs("test")


def test_same_seed_same_bytes_other_seed_other_bytes():
    a, b, c = Glyphs("val", seed=3, **SMALL), Glyphs("val", seed=3, **SMALL), Glyphs("val", seed=4, **SMALL)
    assert a.images.numpy().tobytes() == b.images.numpy().tobytes()
    assert a.class_names == b.class_names
    assert a.images.numpy().tobytes() != c.images.numpy().tobytes()
    # characters drawn with another seed differ even for the same class index
    assert not np.array_equal(draw_classes(3, [5], 10, 6), draw_classes(4, [5], 10, 6))


def test_splits_are_disjoint_and_cover_all_classes():
    splits = {s: Glyphs(s, **SMALL) for s in ("train", "val", "test")}
    names = [set(d.class_names) for d in splits.values()]
    assert sum(len(n) for n in names) == 40
    assert len(set.union(*names)) == 40
    assert [d.n_classes for d in splits.values()] == list(split_sizes(40, (1100 / 1623, 100 / 1623, 423 / 1623)))


def test_a_class_does_not_depend_on_the_other_splits():
    d = Glyphs("train", **SMALL)
    alphabet, char = d.class_names[2].split("/")                            # "alpha01/char07"
    index = int(alphabet[5:]) * 10 + int(char[4:])
    alone = draw_classes(0, [index], 10, 6)                                  # [1, 6, 28, 28]
    assert np.array_equal(d.images[2, :, 0].numpy(), alone[0])


def test_default_size_shape_and_value_range(test_split: Glyphs):
    d = test_split
    assert d.n_classes == 2000 - round(2000 * 1100 / 1623) - round(2000 * 100 / 1623) == 521
    assert d.images.shape == (521, 20, 1, 28, 28) and d.images.dtype == torch.uint8
    assert int(d.images.min()) == 0 and int(d.images.max()) == 255
    assert 10 < d.images.float().mean() < 60                                 # white strokes on black
    assert d.class_names[0].startswith("alpha") and "/char" in d.class_names[0]
    assert (d.images.flatten(2).amax(-1) == 255).all()                       # no blank drawing


def test_raw_pixel_nearest_neighbour_is_between_chance_and_perfect(test_split: Glyphs):
    x = test_split.images.float().flatten(2) / 255                          # [classes, per_class, 784]
    g = torch.Generator().manual_seed(0)
    episodes, n_way = 200, 5
    classes = torch.rand(episodes, x.shape[0], generator=g).topk(n_way, -1).indices            # [E, 5]
    pick = torch.rand(episodes, n_way, x.shape[1], generator=g).topk(2, -1).indices           # [E, 5, 2]
    support = x[classes, pick[..., 0]]                                      # [E, 5, 784]
    query = x[classes, pick[..., 1]]                                        # [E, 5, 784]
    predicted = torch.cdist(query, support).argmin(-1)                      # [E, 5]
    accuracy = (predicted == torch.arange(n_way)).float().mean().item()
    assert 0.45 < accuracy < 0.85, accuracy


@pytest.mark.parametrize("kwargs, name", [
    (dict(per_class=0), "per_class"), (dict(n_alphabets=0), "n_alphabets"),
    (dict(split="dev"), "split"), (dict(fractions=(0.5, 0.5, 0.5)), "fractions"), (dict(seed=-1), "seed"),
])
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Glyphs(**{**SMALL, **kwargs})
