"""Pre-computed feature vectors, held like an image dataset so the episode sampler can draw tasks from them.

LEO (Rusu et al. 2019, §2.3.4 and §4.1) meta-learns on a fixed feature embedding rather than on pixels: every
image is replaced once by its D-dimensional feature vector. ``FeatureDataset`` keeps those vectors as a float
tensor ``images`` [classes, per_class, D]; ``EpisodeSampler`` indexes it exactly as it indexes uint8 images and
passes float data through unchanged, so an episode's inputs are [T, N·K, D].
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.checks import check_choice
from mlkit.tasks.images import SPLITS


class FeatureDataset:
    """The feature vectors of one split, ``images[c, i]`` being the features of example ``i`` of class ``c``.

    Args:
        features: float tensor [classes, per_class, D].
        class_names: one name per class.
        split: ``"train"``, ``"val"`` or ``"test"``.
        name: e.g. ``"glyphs-features"``, for messages.
    """

    def __init__(self, features: Tensor, class_names: list[str], split: str, name: str) -> None:
        check_choice("split", split, SPLITS)
        if not torch.is_floating_point(features) or features.dim() != 3:
            raise ValueError(
                f"features must be a float tensor [classes, per_class, D], got {features.dtype} {tuple(features.shape)}"
            )
        if len(class_names) != features.shape[0]:
            raise ValueError(f"class_names has {len(class_names)} names for {features.shape[0]} classes")
        self.images = features  # the name EpisodeSampler indexes
        self.class_names = list(class_names)
        self.split = split
        self.name = name

    @property
    def features(self) -> Tensor:
        return self.images

    @property
    def n_classes(self) -> int:
        return self.images.shape[0]

    @property
    def per_class(self) -> int:
        return self.images.shape[1]

    @property
    def feature_dim(self) -> int:
        return self.images.shape[2]

    @property
    def image_shape(self) -> tuple[int]:
        return (self.feature_dim,)

    def __repr__(self) -> str:
        return (
            f"FeatureDataset(name={self.name!r}, split={self.split!r}, classes={self.n_classes}, "
            f"per_class={self.per_class}, dim={self.feature_dim})"
        )
