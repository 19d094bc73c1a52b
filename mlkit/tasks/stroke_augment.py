"""Random perturbations of pen strokes: how one person's drawing of a character differs from another's.

Lake, Salakhutdinov & Tenenbaum (2015, Science, "Human-level concept learning through probabilistic program
induction") generate a new drawing of a known character by re-sampling each stroke's position, size and shape
around the character's own (their "token-level" variability) and then the pen's trajectory and ink. This module
perturbs the strokes of a recorded drawing in that spirit, each stroke on its own:

- an affine map about the stroke's centre: rotation within +-``rotation`` degrees, scale in [1 - ``scale``,
  1 + ``scale``], shear within +-``shear``, and a shift within +-``shift`` pixels in x and in y;
- smooth trajectory noise: the stroke's points displaced by a random smooth curve along the stroke (three sine and
  cosine modes of its arc length, the k-th of standard deviation ``noise`` / k pixels);
- a pen width drawn uniformly in ``pen_width`` (per drawing, by ``StrokeDistortion``).

The defaults (12 degrees, 0.85-1.15, 0.2, 2 px, 1 px, pen 4-6 px) follow the project's measurement that such
perturbations, rendered afresh for every training image of every episode, do not improve a Prototypical Network on
held-out alphabets (``StrokeDistortion`` is ``--augment strokes``). All random numbers come from the caller's
``torch.Generator``, so augmented runs are seeded and resume exactly.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from mlkit.checks import check_int, check_range
from mlkit.tasks.render import render_strokes
from mlkit.tasks.stroke_files import Drawing, check_drawing

MODES = 3  # sine/cosine modes of the trajectory noise


def _affine(u: np.ndarray, rotation: float, scale: float, shear: float) -> np.ndarray:
    """The 2x2 maps of one drawing's strokes from uniform numbers ``u`` [S, 3] in [-1, 1]: [S, 2, 2]."""
    theta = np.radians(rotation) * u[:, 0]
    s = 1 + scale * u[:, 1]
    rho = shear * u[:, 2]
    cos, sin = np.cos(theta), np.sin(theta)
    rotate = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # [S, 2, 2]
    shears = np.stack([np.stack([np.ones_like(rho), rho], -1), np.stack([np.zeros_like(rho), np.ones_like(rho)], -1)],
                      -2)  # [S, 2, 2]
    return rotate @ shears * s[:, None, None]


def _smooth_noise(xy: np.ndarray, starts: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """A smooth displacement [P, 2] of the points ``xy`` [P, 2] of strokes beginning at indices ``starts`` [S], from
    ``coefficients`` [S, 2, 2 * MODES] (pixels): modes of each stroke's arc length, scaled to [0, 1]."""
    steps = np.concatenate([[0.0], np.hypot(*np.diff(xy, axis=0).T)])  # [P]
    steps[starts] = 0.0  # a stroke's length starts at its first point
    arc = np.cumsum(steps)
    sizes = np.diff(np.append(starts, len(xy)))  # [S] points per stroke
    stroke = np.repeat(np.arange(len(starts)), sizes)  # [P]
    arc -= arc[starts][stroke]
    total = arc[np.append(starts[1:], len(xy)) - 1][stroke]  # [P]: the length of each point's stroke
    s = np.divide(arc, total, out=np.zeros_like(arc), where=total > 0)  # [P] in [0, 1]
    k = np.arange(1, MODES + 1)
    basis = np.concatenate([np.sin(math.pi * k * s[:, None]), np.cos(math.pi * k * s[:, None])], 1) / np.tile(k, 2)
    return np.einsum("pm,pcm->pc", basis, coefficients[stroke])  # [P, 2M] x [P, 2, 2M] -> [P, 2]


def _checked(rotation: float, scale: float, shear: float, shift: float, noise: float) -> dict[str, float]:
    return {"rotation": check_range("rotation", rotation, 0.0, 45.0), "scale": check_range("scale", scale, 0.0, 0.5),
            "shear": check_range("shear", shear, 0.0, 1.0), "shift": check_range("shift", shift, 0.0, 20.0),
            "noise": check_range("noise", noise, 0.0, 5.0)}


def perturb_strokes(strokes: Sequence[np.ndarray], generator: torch.Generator | None = None, *,
                    rotation: float = 12.0, scale: float = 0.15, shear: float = 0.2, shift: float = 2.0,
                    noise: float = 1.0) -> Drawing:
    """A randomly perturbed copy of a drawing (each stroke on its own; see the module), in the same units.

    Args:
        strokes: the drawing: strokes [n, 3] of (x, y, t) in Omniglot's units (105x105 pixels, y negative down).
        generator: the source of randomness (None: torch's global one).
        rotation: largest rotation of a stroke in degrees, 0..45 (12).
        scale: largest relative change of a stroke's size, 0..0.5 (0.15: sizes 0.85-1.15).
        shear: largest shear, 0..1 (0.2).
        shift: largest shift of a stroke in x and in y, pixels, 0..20 (2).
        noise: standard deviation of the trajectory noise's first mode in pixels, 0..5 (1).

    Times t are kept; the result is new arrays (the input is not changed).
    """
    drawing = check_drawing(strokes, "strokes")
    rotation, scale, shear, shift, noise = _checked(rotation, scale, shear, shift, noise).values()
    n = len(drawing)
    u = (torch.rand(n, 5, generator=generator, dtype=torch.float64) * 2 - 1).numpy()  # [S, 5] in [-1, 1]
    coefficients = torch.randn(n, 2, 2 * MODES, generator=generator, dtype=torch.float64).numpy() * noise
    maps = _affine(u[:, :3], rotation, scale, shear)  # [S, 2, 2]
    sizes = np.array([len(stroke) for stroke in drawing])  # [S]
    starts = np.cumsum(sizes) - sizes
    stroke = np.repeat(np.arange(n), sizes)  # [P]: the stroke of every point
    xy = np.concatenate([s[:, :2] for s in drawing])  # [P, 2]
    centre = (np.minimum.reduceat(xy, starts) + np.maximum.reduceat(xy, starts)) / 2  # [S, 2]: box centres
    moved = np.einsum("pij,pj->pi", maps[stroke], xy - centre[stroke]) + centre[stroke]  # [P, 2]
    moved += shift * u[stroke, 3:5] + _smooth_noise(xy, starts, coefficients)
    return [np.concatenate([m, s[:, 2:]], 1) for m, s in zip(np.split(moved, starts[1:]), drawing)]


class StrokeDistortion:
    """Training images drawn afresh from randomly perturbed strokes (``perturb_strokes``, pen width at random).

    The episode sampler's ``augment``: for every image of an episode it perturbs the strokes of the drawing behind
    it (the dataset's ``strokes(c)[i]``, so only Omniglot qualifies) and renders them with ``render_strokes``.

    Args:
        rotation, scale, shear, shift, noise: as ``perturb_strokes``.
        pen_width: (low, high): the pen's diameter in pixels at 105x105, drawn uniformly per drawing ((4, 6)).
    """

    def __init__(self, rotation: float = 12.0, scale: float = 0.15, shear: float = 0.2, shift: float = 2.0,
                 noise: float = 1.0, pen_width: tuple[float, float] = (4.0, 6.0)) -> None:
        self.perturbation = _checked(rotation, scale, shear, shift, noise)
        if not isinstance(pen_width, (tuple, list)) or len(pen_width) != 2:
            raise ValueError(f"pen_width must be (low, high) in pixels, got {pen_width!r}")
        low = check_range("pen_width[0]", pen_width[0], 1.0, 20.0)
        self.pen_width = (low, check_range("pen_width[1]", pen_width[1], low, 20.0))

    def render(self, strokes: Sequence[np.ndarray], generator: torch.Generator | None = None, size: int = 28,
               where: str = "strokes") -> Tensor:
        """One perturbed rendering of a drawing: float32 [1, size, size] in [0, 1], ink bright."""
        low, high = self.pen_width
        width = low + (high - low) * float(torch.rand(1, generator=generator, dtype=torch.float64))
        return render_strokes(perturb_strokes(strokes, generator, **self.perturbation), size, width, where)

    def __call__(self, drawings: Sequence[Sequence[np.ndarray]], generator: torch.Generator | None = None,
                 size: int = 28) -> Tensor:
        """Perturbed renderings of several drawings: float32 [B, 1, size, size]."""
        size = check_int("size", size, 8, 105)
        return torch.stack([self.render(d, generator, size, f"drawing #{i}") for i, d in enumerate(drawings)])

    def episodes(self, dataset: Any, classes: Tensor, examples: Tensor, generator: torch.Generator) -> Tensor:
        """The images of a meta-batch, each drawn from its perturbed strokes: classes [T, N] and example indices
        [T, N, E] of ``dataset`` -> float32 [T, N, E, 1, S, S] (S: the dataset's image side)."""
        size = dataset.image_shape[-1]
        t, n, e = examples.shape
        rows = classes.unsqueeze(-1).expand(t, n, e).reshape(-1).tolist()
        drawings = [dataset.strokes(c)[i] for c, i in zip(rows, examples.reshape(-1).tolist())]
        return self(drawings, generator, size).view(t, n, e, 1, size, size)

    def config(self) -> dict[str, Any]:
        """The settings, for checkpoints and messages."""
        return {**self.perturbation, "pen_width": self.pen_width}

    def __repr__(self) -> str:
        return "StrokeDistortion(" + ", ".join(f"{k}={v}" for k, v in self.config().items()) + ")"


def check_strokes_dataset(dataset: Any) -> None:
    """A ``StrokeDistortion`` needs a dataset with pen strokes (``strokes(c)``) and one-channel square images."""
    if not callable(getattr(dataset, "strokes", None)):
        raise ValueError(f"augment StrokeDistortion needs a dataset with pen strokes (Omniglot); "
                         f"{getattr(dataset, 'name', type(dataset).__name__)} has none")
    if len(dataset.image_shape) != 3 or dataset.image_shape[0] != 1:
        raise ValueError(f"augment StrokeDistortion renders one-channel images, not {dataset.image_shape}")
