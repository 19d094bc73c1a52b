"""Koch et al.'s random affine distortions: the identity when no component is drawn, bounds, seeding."""
import math

import pytest
import torch

from mlkit.tasks.augment import AffineDistortion


def test_no_component_applied_leaves_images_unchanged():
    images = torch.rand(6, 1, 28, 28)
    assert torch.allclose(AffineDistortion(p=0.0)(images), images, atol=1e-4)  # up to the grid's rounding
    assert torch.equal(AffineDistortion(p=0.0).matrices(3), torch.eye(2, 3).expand(3, 2, 3))


def test_components_stay_in_koch_et_al_ranges_and_follow_the_generator():
    distortion = AffineDistortion(p=1.0)
    m = distortion.matrices(2000, torch.Generator().manual_seed(0))
    assert torch.equal(m, distortion.matrices(2000, torch.Generator().manual_seed(0)))
    determinant = torch.linalg.det(m[:, :, :2])  # scale_x * scale_y * (1 - shear_x * shear_y)
    assert float(determinant.min()) > 0.8 ** 2 * (1 - 0.3 ** 2) - 1e-5
    assert float(determinant.max()) < 1.2 ** 2 * (1 + 0.3 ** 2) + 1e-5
    assert float(m[:, :, 2].abs().max()) <= 2 * 2 / 105 + 1e-6  # shifts of at most 2 of 105 pixels
    assert float(m[:, :, 2].abs().max()) > 0.9 * 2 * 2 / 105
    rotation = AffineDistortion(shear=0, scale=0, translate=0, p=1.0).matrices(2000, torch.Generator().manual_seed(1))
    angles = torch.atan2(rotation[:, 1, 0], rotation[:, 0, 0])
    assert float(angles.abs().max()) <= math.radians(10) + 1e-6 and float(angles.abs().max()) > math.radians(9.5)


def test_each_component_is_drawn_with_probability_p():
    m = AffineDistortion(rotation=0, shear=0, scale=0, p=0.5).matrices(4000, torch.Generator().manual_seed(2))
    shifted = (m[:, :, 2] != 0).float().mean(0)  # [2]: how often t_x and t_y were drawn
    assert torch.allclose(shifted, torch.tensor([0.5, 0.5]), atol=0.03)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r"shear must be a finite number in \[0.0, 1.0\], got 2"):
        AffineDistortion(shear=2)
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0.0, 1.0\], got nan"):
        AffineDistortion(p=float("nan"))
