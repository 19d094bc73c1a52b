"""Random affine distortions of character images (Koch, Zemel & Salakhutdinov 2015, §4.1, "affine distortions").

Koch et al. enlarge their Omniglot training set by distorting each image with a random affine transformation
T = (θ, ρ_x, ρ_y, s_x, s_y, t_x, t_y): rotation θ ∈ [−10°, 10°], shears ρ ∈ [−0.3, 0.3], scales s ∈ [0.8, 1.2] and
translations t ∈ [−2, 2] pixels of their 105-pixel images, each component included with probability 1/2 (otherwise
the identity's value). Here the translation is a fraction of the image side (2/105 by default), so the same
distortion applies to 28×28 images. The sampling grid is built with ``affine_grid`` and read with bilinear
interpolation; pixels that come from outside the image are background (0).

``--augment strokes`` instead perturbs the pen strokes behind each image and draws it afresh
(``StrokeDistortion``, in ``mlkit.tasks.stroke_augment``); ``check_distortion`` accepts either.

All images of a batch are distorted at once, each with its own T, drawn from the caller's generator (the episode
sampler's), so augmented runs are seeded and resume exactly.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from mlkit.checks import check_range
from mlkit.tasks.stroke_augment import StrokeDistortion


class AffineDistortion:
    """Koch et al.'s random affine distortion of images [B, C, H, W] (values kept in [0, 1]).

    Args:
        rotation: largest rotation in degrees (10).
        shear: largest shear (0.3).
        scale: largest relative change of scale (0.2: scales in [0.8, 1.2]).
        translate: largest shift as a fraction of the image side (2/105).
        p: probability that each component is applied (0.5).
    """

    def __init__(self, rotation: float = 10.0, shear: float = 0.3, scale: float = 0.2, translate: float = 2 / 105,
                 p: float = 0.5) -> None:
        self.rotation = check_range("rotation", rotation, 0.0, 180.0)
        self.shear = check_range("shear", shear, 0.0, 1.0)
        self.scale = check_range("scale", scale, 0.0, 0.9)
        self.translate = check_range("translate", translate, 0.0, 0.5)
        self.p = check_range("p", p, 0.0, 1.0)

    def matrices(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` random affine matrices [n, 2, 3] in ``affine_grid``'s normalised coordinates."""
        u = torch.rand(n, 7, generator=generator) * 2 - 1  # [n, 7], uniform in [-1, 1]
        keep = (torch.rand(n, 7, generator=generator) < self.p).float()  # which components apply
        theta = u[:, 0] * keep[:, 0] * math.radians(self.rotation)
        shear_x, shear_y = (u[:, 1:3] * keep[:, 1:3] * self.shear).unbind(1)
        scale_x, scale_y = (1 + u[:, 3:5] * keep[:, 3:5] * self.scale).unbind(1)
        shift = u[:, 5:7] * keep[:, 5:7] * (2 * self.translate)  # [n, 2]; the image spans 2 normalised units
        cos, sin = theta.cos(), theta.sin()
        rotate = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # [n, 2, 2]
        shears = torch.stack([torch.stack([torch.ones_like(shear_x), shear_x], -1),
                              torch.stack([shear_y, torch.ones_like(shear_y)], -1)], -2)  # [n, 2, 2]
        linear = rotate @ shears @ torch.diag_embed(torch.stack([scale_x, scale_y], -1))  # [n, 2, 2]
        return torch.cat([linear, shift.unsqueeze(-1)], -1)  # [n, 2, 3]

    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Distorted copies of ``images`` [B, C, H, W] (float in [0, 1])."""
        matrices = self.matrices(images.shape[0], generator).to(images)
        grid = F.affine_grid(matrices, list(images.shape), align_corners=False)  # [B, H, W, 2]
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def config(self) -> dict[str, float]:
        return {"rotation": self.rotation, "shear": self.shear, "scale": self.scale, "translate": self.translate,
                "p": self.p}

    def __repr__(self) -> str:
        return "AffineDistortion(" + ", ".join(f"{k}={v:g}" for k, v in self.config().items()) + ")"


def check_distortion(augment: object) -> AffineDistortion | StrokeDistortion | None:
    """``augment`` must be None, an ``AffineDistortion`` (of the images) or a ``StrokeDistortion`` (of the pen
    strokes behind them, ``mlkit.tasks.stroke_augment``): the augmentations the episode sampler applies."""
    if augment is not None and not isinstance(augment, (AffineDistortion, StrokeDistortion)):
        raise ValueError(f"augment must be None, an AffineDistortion or a StrokeDistortion, got {augment!r}")
    return augment

