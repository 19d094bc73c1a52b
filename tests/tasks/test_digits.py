"""Digits: scikit-learn's 8x8 digits split by digit, 6 / 2 / 2."""
from __future__ import annotations

import pytest
import torch

from mlkit.tasks.digits import Digits


def test_split_by_digit_disjoint_and_complete():
    splits = [Digits(s) for s in ("train", "val", "test")]
    assert [d.n_classes for d in splits] == [6, 2, 2]
    names = [set(d.class_names) for d in splits]
    assert set.union(*names) == {str(i) for i in range(10)} and sum(map(len, names)) == 10


def test_shape_dtype_range_and_truncation():
    d = Digits("train")
    assert d.images.shape == (6, 174, 1, 8, 8) and d.images.dtype == torch.uint8   # 174: the rarest digit
    assert int(d.images.min()) == 0 and int(d.images.max()) == 255
    assert Digits("test").per_class == Digits("val").per_class == 174


def test_seed_fixes_the_split():
    assert Digits("train", seed=0).class_names == Digits("train", seed=0).class_names
    assert Digits("train", seed=0).class_names != Digits("train", seed=1).class_names
    assert torch.equal(Digits("val", seed=2).images, Digits("val", seed=2).images)


def test_examples_of_a_digit_look_alike():
    d = Digits("train")
    x = d.images.float().flatten(2)                                   # [6, 174, 64]
    means = x.mean(1)                                                 # [6, 64]
    nearest = torch.cdist(x[:, :20].reshape(-1, 64), means).argmin(1)  # class of the nearest class mean
    assert (nearest == torch.arange(6).repeat_interleave(20)).float().mean() > 0.8


@pytest.mark.parametrize("kwargs, name", [(dict(split="dev"), "split"), (dict(seed=-3), "seed")])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Digits(**kwargs)
