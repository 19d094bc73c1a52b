"""Glyphs: a procedural alphabet of stroke-drawn characters, mlkit's embedded default dataset.

No download: every image is drawn from a seed. The recipe imitates how Omniglot was made (Lake, Salakhutdinov
& Tenenbaum 2015: characters of 50 alphabets, each drawn by 20 people):

- an *alphabet* has a style: how many strokes its characters use, how curvy they are, how often a stroke
  starts where the last one ended, and a coarse grid that stroke ends snap to;
- a *character* (one class) is 1-4 strokes, each a cubic Bezier curve given by 4 control points;
- an *example* is a redraw: control points jittered, then a small random affine map (rotation, scale, shear,
  translation) and a random pen width.

Rendering is vectorised over a whole batch: dense points along every curve are splatted with bilinear weights
into the pixel grid (``np.bincount``), each image is blurred with its own Gaussian (pen width) by two batched
matrix products, and ink is clamped to [0, 1]. Class ``c`` depends only on ``(seed, c)``, so a split's content
does not depend on which other splits were made, and only the classes of the requested split are drawn.
Random numbers come from numpy's PCG64 (``default_rng``), so a seed gives the same bytes on every run; across
CPUs a float32 blur may round a rare pixel differently by one level.
With the defaults, raw-pixel 1-nearest-neighbour scores about 69% on 5-way 1-shot test episodes (chance 20%):
hard enough to need learning, easy enough to learn.
"""
from __future__ import annotations

import numpy as np
import torch

from mlkit.checks import check_int
from mlkit.tasks.images import ImageDataset, split_names

SIZE = 28            # image side in pixels
MAX_STROKES = 4      # strokes per character, at most
SAMPLES = 24         # points sampled along each stroke
JITTER = 0.1         # control-point noise of a redraw (image half-width = 1)
ROTATION = 15.0      # degrees, at most
SHIFT = 0.2          # translation, at most (image half-width = 1)
OMNIGLOT_FRACTIONS = (1100 / 1623, 100 / 1623, 423 / 1623)

_DISTANCE = torch.arange(SIZE)[:, None].sub(torch.arange(SIZE)[None, :]).abs()   # [28, 28] of |i - j|
# Bernstein basis of a cubic Bezier at SAMPLES parameter values: [SAMPLES, 4]
_T = np.linspace(0.0, 1.0, SAMPLES)
_BERNSTEIN = np.stack([(1 - _T) ** 3, 3 * _T * (1 - _T) ** 2, 3 * _T ** 2 * (1 - _T), _T ** 3], axis=1)


def _alphabet_style(seed: int, alphabet: int) -> dict:
    """The drawing habits shared by every character of one alphabet."""
    rng = np.random.default_rng([seed, 0, alphabet])
    lo = int(rng.integers(1, 3))
    grid = int(rng.integers(3, 5))
    return {
        "strokes": (lo, int(rng.integers(lo + 1, MAX_STROKES + 1))),
        "curvature": float(rng.uniform(0.1, 0.7)),       # control-point bend, relative to stroke length
        "straight": float(rng.uniform(0.0, 0.8)),        # probability that a stroke is a straight line
        "connect": float(rng.uniform(0.2, 0.8)),         # probability that a stroke starts at the last end
        "anchors": np.stack(np.meshgrid(*[np.linspace(-0.75, 0.75, grid)] * 2), -1).reshape(-1, 2),
        "snap": float(rng.uniform(0.5, 1.0)),            # probability that an end point snaps to the grid
    }


def _character(seed: int, index: int, style: dict) -> tuple[np.ndarray, np.ndarray]:
    """Control points [MAX_STROKES, 4, 2] in [-1, 1] and stroke mask [MAX_STROKES] of class ``index``."""
    rng = np.random.default_rng([seed, 1, index])
    anchors = style["anchors"]

    def end_point() -> np.ndarray:
        if rng.random() < style["snap"]:
            return anchors[rng.integers(len(anchors))] + rng.normal(0, 0.05, 2)
        return rng.uniform(-0.8, 0.8, 2)

    n = int(rng.integers(style["strokes"][0], style["strokes"][1] + 1))
    ctrl = np.zeros((MAX_STROKES, 4, 2))
    start = end_point()
    for s in range(n):
        if s > 0 and rng.random() >= style["connect"]:
            start = end_point()
        end = end_point()
        while np.linalg.norm(end - start) < 0.5:
            end = end_point()
        along, normal = end - start, np.array([start[1] - end[1], end[0] - start[0]])
        bend = np.zeros(2) if rng.random() < style["straight"] else rng.normal(0, style["curvature"], 2)
        ctrl[s] = [start, start + along / 3 + bend[0] * normal, start + 2 * along / 3 + bend[1] * normal, end]
        start = end
    mask = (np.arange(MAX_STROKES) < n).astype(np.float64)
    return np.clip(ctrl, -1.2, 1.2), mask


def _redraws(seed: int, index: int, ctrl: np.ndarray, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Jittered, affinely mapped control points in pixels [per_class, MAX_STROKES, 4, 2] and pen widths."""
    rng = np.random.default_rng([seed, 2, index])
    pts = ctrl[None] + rng.normal(0, JITTER, (per_class, MAX_STROKES, 4, 2))
    angle = np.deg2rad(rng.uniform(-ROTATION, ROTATION, per_class))
    scale = rng.uniform(0.85, 1.1, (per_class, 2))
    shear = rng.uniform(-0.15, 0.15, per_class)
    cos, sin = np.cos(angle), np.sin(angle)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)          # [per_class, 2, 2]
    shr = np.zeros((per_class, 2, 2))
    shr[:, 0, 0] = shr[:, 1, 1] = 1.0
    shr[:, 0, 1] = shear
    affine = rot @ shr * scale[:, None, :]                                                # [per_class, 2, 2]
    shift = rng.uniform(-SHIFT, SHIFT, (per_class, 1, 1, 2))
    pts = pts @ affine.transpose(0, 2, 1)[:, None] + shift                              # [per_class, S, 4, 2]
    width = rng.uniform(0.55, 1.0, per_class)          # Gaussian pen sigma in pixels
    return (pts * (SIZE * 0.4) + (SIZE - 1) / 2), width


def render(ctrl: np.ndarray, mask: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Draw a batch of characters.

    Args:
        ctrl: control points in pixel coordinates [B, MAX_STROKES, 4, 2] (x, y).
        mask: 1 for strokes that exist, 0 otherwise [B, MAX_STROKES].
        width: Gaussian pen sigma in pixels [B].
    Returns:
        uint8 images [B, SIZE, SIZE], strokes 255 on 0.
    """
    b = ctrl.shape[0]
    pts = np.moveaxis(np.tensordot(_BERNSTEIN, ctrl, axes=([1], [2])), 0, 2)           # [B, S, T, 2]
    length = np.linalg.norm(np.diff(pts, axis=2), axis=-1).sum(-1)                      # [B, S]
    weight = np.broadcast_to((length * mask / SAMPLES)[..., None], pts.shape[:3])       # ink per point
    x, y = pts[..., 0].ravel(), pts[..., 1].ravel()
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    image = np.repeat(np.arange(b), MAX_STROKES * SAMPLES) * (SIZE * SIZE)
    w = weight.ravel()
    idx, val = [], []
    for dx, dy, wc in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        cx, cy = x0 + dx, y0 + dy
        inside = (cx >= 0) & (cx < SIZE) & (cy >= 0) & (cy < SIZE)
        idx.append(np.where(inside, image + cy * SIZE + cx, 0).astype(np.int64))
        val.append(np.where(inside, w * wc, 0.0))
    ink = np.bincount(np.concatenate(idx), np.concatenate(val), b * SIZE * SIZE)
    ink = torch.from_numpy(ink.reshape(b, SIZE, SIZE).astype(np.float32))            # [B, 28, 28]
    # separable Gaussian blur with a per-image sigma (pen width): K_b @ ink_b @ K_b^T
    sigma = torch.from_numpy(width.astype(np.float32))[:, None]                        # [B, 1]
    profile = torch.exp(-torch.arange(SIZE, dtype=torch.float32) ** 2 / (2 * sigma ** 2))  # [B, 28]
    kernel = profile[:, _DISTANCE] / (sigma[..., None] * np.sqrt(2 * np.pi))          # [B, 28, 28]
    blurred = kernel @ ink @ kernel.transpose(1, 2)
    gain = sigma[..., None] * np.sqrt(2 * np.pi) * 1.6        # line centre ~1.6 before clamping: a solid core
    out = (blurred * gain).clamp_(0, 1).mul_(255).round_()
    return out.to(torch.uint8).numpy()


def draw_classes(
    seed: int, classes: list[int], chars_per_alphabet: int, per_class: int, chunk: int = 4096
) -> np.ndarray:
    """uint8 images [len(classes), per_class, SIZE, SIZE] of the given global class indices."""
    ctrl, mask, width = [], [], []
    styles: dict[int, dict] = {}
    for c in classes:
        a = c // chars_per_alphabet
        if a not in styles:
            styles[a] = _alphabet_style(seed, a)
        style = styles[a]
        shape, m = _character(seed, c, style)
        pts, w = _redraws(seed, c, shape, per_class)
        ctrl.append(pts)
        mask.append(np.broadcast_to(m, (per_class, MAX_STROKES)))
        width.append(w)
    out = np.zeros((len(classes) * per_class, SIZE, SIZE), np.uint8)
    if classes:
        ctrl_all, mask_all, width_all = np.concatenate(ctrl), np.concatenate(mask), np.concatenate(width)
        for i in range(0, len(out), chunk):
            out[i:i + chunk] = render(ctrl_all[i:i + chunk], mask_all[i:i + chunk], width_all[i:i + chunk])
    return out.reshape(len(classes), per_class, SIZE, SIZE)


class Glyphs(ImageDataset):
    """One split of a procedural alphabet, drawn on construction: images [classes, per_class, 1, 28, 28].

    Classes are named ``"alphaAA/charCC"`` and split by character (like Omniglot), with ``split_names`` and
    ``seed``; the default 50 alphabets x 40 characters = 2000 classes give 1356 / 123 / 521.

    Args:
        split: ``"train"``, ``"val"`` or ``"test"``.
        n_alphabets: alphabets (drawing styles), 1..1000.
        chars_per_alphabet: characters per alphabet, 1..1000.
        per_class: redraws of each character, 1..1000 (20 like Omniglot's drawers).
        seed: the whole dataset follows from it (alphabets, characters, redraws, split).
        fractions: fractions of classes for train / val / test (Omniglot's 1100 / 100 / 423 of 1623).
    """

    def __init__(
        self, split: str = "train", n_alphabets: int = 50, chars_per_alphabet: int = 40, per_class: int = 20,
        seed: int = 0, fractions: tuple[float, float, float] = OMNIGLOT_FRACTIONS,
    ) -> None:
        n_alphabets = check_int("n_alphabets", n_alphabets, 1, 1000)
        chars_per_alphabet = check_int("chars_per_alphabet", chars_per_alphabet, 1, 1000)
        per_class = check_int("per_class", per_class, 1, 1000)
        seed = check_int("seed", seed, 0)
        if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"fractions must be 3 numbers >= 0 (train, val, test) summing to 1, got {fractions!r}")
        wa, wc = max(2, len(str(n_alphabets - 1))), max(2, len(str(chars_per_alphabet - 1)))
        names = [f"alpha{a:0{wa}d}/char{c:0{wc}d}" for a in range(n_alphabets) for c in range(chars_per_alphabet)]
        chosen = split_names(names, split, seed, tuple(fractions))  # names are already sorted
        images = draw_classes(seed, chosen, chars_per_alphabet, per_class)
        images = torch.from_numpy(images).unsqueeze(2)  # [classes, per_class, 1, 28, 28]
        super().__init__(images, [names[i] for i in chosen], split, "glyphs")
        self.seed = seed
