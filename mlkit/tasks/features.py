"""Pre-computed feature vectors, held like an image dataset so the episode sampler can draw tasks from them.

LEO (Rusu et al. 2019, §2.3.4 and §4.1) meta-learns on a fixed feature embedding rather than on pixels: every
image is replaced once by its D-dimensional feature vector. ``FeatureDataset`` keeps those vectors as a float
tensor ``images`` [classes, per_class, D]; ``EpisodeSampler`` indexes it exactly as it indexes uint8 images and
passes float data through unchanged, so an episode's inputs are [T, N·K, D].
"""
from __future__ import annotations

import torch
from torch import Tensor

from mlkit.tasks.images import ImageDataset


class FeatureDataset(ImageDataset):
    """The feature vectors of one split, ``images[c, i]`` being the features of example ``i`` of class ``c``.

    Args:
        features: float tensor [classes, per_class, D].
        class_names: one name per class.
        split: ``"train"``, ``"val"`` or ``"test"``.
        name: e.g. ``"glyphs-features"``, for messages.
    """

    def __init__(self, features: Tensor, class_names: list[str], split: str, name: str) -> None:
        super().__init__(features, class_names, split, name)  # stored as ``images``, the name EpisodeSampler indexes

    @staticmethod
    def check_data(images: Tensor) -> None:
        if not torch.is_floating_point(images) or images.dim() != 3:
            raise ValueError(
                f"features must be a float tensor [classes, per_class, D], got {images.dtype} {tuple(images.shape)}"
            )

    @property
    def features(self) -> Tensor:
        return self.images

    @property
    def feature_dim(self) -> int:
        return self.images.shape[2]

    def __repr__(self) -> str:
        return (
            f"FeatureDataset(name={self.name!r}, split={self.split!r}, classes={self.n_classes}, "
            f"per_class={self.per_class}, dim={self.feature_dim})"
        )
