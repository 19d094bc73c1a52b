"""Digits: scikit-learn's bundled 8x8 handwritten digits (UCI optdigits, Alpaydin & Kaynak 1998), no download.

A tiny image dataset for quick few-shot experiments: the 10 digits are the classes, split by digit with
``split_names`` (6 train / 2 val / 2 test). Pixels 0..16 are scaled to 0..255 uint8 (ink bright).
Digit classes hold 174 to 183 images; every class is truncated to the smallest count over all ten digits
(174), whatever the split, so ``per_class`` is the same in every split.
"""
from __future__ import annotations

import numpy as np
import torch

from mlkit.checks import check_int
from mlkit.tasks.images import ImageDataset, split_names

FRACTIONS = (0.6, 0.2, 0.2)


class Digits(ImageDataset):
    """One split of the 8x8 digits: images [classes, per_class, 1, 8, 8] uint8.

    Args:
        split: ``"train"`` (6 digits), ``"val"`` (2) or ``"test"`` (2).
        seed: seed of the split of the digits.
    """

    def __init__(self, split: str = "train", seed: int = 0) -> None:
        from sklearn.datasets import load_digits

        seed = check_int("seed", seed, 0)
        data = load_digits()
        pixels = np.round(data.images * (255.0 / 16.0)).astype(np.uint8)                # [1797, 8, 8]
        names = [str(d) for d in range(10)]
        chosen = split_names(names, split, seed, FRACTIONS)
        per_class = int(np.bincount(data.target, minlength=10).min())
        images = np.stack([pixels[data.target == d][:per_class] for d in chosen])       # [classes, per_class, 8, 8]
        images = torch.from_numpy(images).unsqueeze(2)                                   # [classes, per_class, 1, 8, 8]
        super().__init__(images, [names[d] for d in chosen], split, "digits")
