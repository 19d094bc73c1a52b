"""Image datasets held in memory as class-indexed arrays, and the split of their classes.

Every few-shot image dataset in mlkit (Glyphs, Omniglot, MiniImageNet, Digits) ends up as one
``ImageDataset`` per split: a uint8 tensor ``images`` of shape [classes, examples_per_class, C, H, W].
The episode sampler (episodes.py) draws N-way K-shot tasks from it by indexing, with no Python loop.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from mlkit.checks import check_choice

SPLITS = ("train", "val", "test")


class ImageDataset:
    """The classes of one split, ``images[c, i]`` being example ``i`` of class ``c``.

    Args:
        images: uint8 tensor [classes, per_class, C, H, W]; pixel 255 is ink/brightness 1.0.
        class_names: one name per class (e.g. ``"Greek/character03"`` or ``"Greek/character03@rot90"``).
        split: ``"train"``, ``"val"`` or ``"test"``.
        name: the dataset's name, for messages.
    """

    def __init__(self, images: Tensor, class_names: list[str], split: str, name: str) -> None:
        check_choice("split", split, SPLITS)
        self.check_data(images)
        if len(class_names) != images.shape[0]:
            raise ValueError(f"class_names has {len(class_names)} names for {images.shape[0]} classes")
        self.images = images
        self.class_names = list(class_names)
        self.split = split
        self.name = name

    @staticmethod
    def check_data(images: Tensor) -> None:
        """Refuse anything but uint8 images [classes, per_class, C, H, W] (subclasses hold other data)."""
        if images.dtype != torch.uint8 or images.dim() != 5:
            raise ValueError(
                f"images must be a uint8 tensor [classes, per_class, C, H, W], got {images.dtype} {tuple(images.shape)}"
            )

    @property
    def n_classes(self) -> int:
        return self.images.shape[0]

    @property
    def per_class(self) -> int:
        return self.images.shape[1]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[2:])  # (C, H, W)

    @property
    def alphabets(self) -> list[str]:
        """The alphabet of each class: its name up to the first "/" (``"Greek/character03@rot90"`` -> ``"Greek"``;
        a name without "/" is its own alphabet). Episodes within one alphabet draw their classes from one of these."""
        return [name.split("/")[0] for name in self.class_names]

    def class_images(self, c: int) -> Tensor:
        """Float images of class ``c`` in [0, 1]: [per_class, C, H, W]."""
        return self.images[c].float() / 255.0

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        return (
            f"{type(self).__name__}(split={self.split!r}, classes={self.n_classes}, "
            f"per_class={self.per_class}, image={c}x{h}x{w})"
        )


def split_sizes(n: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    """Class counts per split: rounded fractions of ``n``, the test split taking the remainder."""
    n_train = int(round(n * fractions[0]))
    n_val = int(round(n * fractions[1]))
    return n_train, n_val, n - n_train - n_val


def split_names(names: list[str], split: str, seed: int, fractions: tuple[float, float, float]) -> list[int]:
    """Indices into sorted(``names``) of the classes in ``split``, shuffled once with ``seed``.

    The same names and seed give the same split on every machine (numpy's PCG64).
    """
    check_choice("split", split, SPLITS)
    order = np.random.default_rng(seed).permutation(len(names))
    n_train, n_val, _ = split_sizes(len(names), fractions)
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, len(names))}
    lo, hi = bounds[split]
    return sorted(order[lo:hi].tolist())
