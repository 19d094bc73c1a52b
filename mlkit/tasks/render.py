"""Pen strokes to the image a character model reads: ``render_strokes``, one renderer for every drawing.

Omniglot's images are the drawings of its pen strokes (Lake, Salakhutdinov & Tenenbaum 2015, Science, "Human-level
concept learning through probabilistic program induction"). ``render_strokes`` draws strokes the way the published
105x105 PNGs were drawn and then takes exactly the loader's steps, so a drawing from any source -- an Omniglot stroke
file, a perturbed copy, a student's drawing on the pad -- reaches a model as a training image does:

1. **ink at 105x105**: the point (x, y) of a stroke file lies at pixel column x and row -y (the pixel centres of
   the image, which Omniglot's files place at (x + 0.5, -y + 0.5) in continuous image coordinates); a pixel is ink
   when its centre lies within ``pen_width / 2`` of the stroke's polyline (a round pen; a single point is a dot),
   the exact distance to each segment, computed for the pixels of the segment's box only.
   With the default width of 5 pixels the ink of every shipped drawing matches its published PNG with a mean
   intersection-over-union of 0.94;
2. **the loader's resize**: the black-and-white 105x105 ink goes through ``mlkit.tasks.image_files.ink_pixels``'s
   resize (bright ink on black, Pillow's BOX filter to ``size`` x ``size``), then to floats in [0, 1] as the
   episode sampler makes them.

Points off the canvas are clipped: ink that would fall outside the 105x105 image is not drawn, as the edge of the
paper cut it (the official files have a few points just past the edge). A drawing none of whose ink falls on the
canvas is refused. ``rotate_quarter`` turns strokes as ``torch.rot90`` turns images (the loader's rotated classes);
``strokes_until`` is a drawing as it stood at a moment of its making (to replay it stroke by stroke).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from mlkit.checks import check_int, check_range
from mlkit.tasks.image_files import RESAMPLE
from mlkit.tasks.stroke_files import Drawing, check_drawing

CANVAS = 105  # side of Omniglot's drawings, in pixels
PEN_WIDTH = 5.0  # the round pen's diameter in pixels that best reproduces the published PNGs


def _segments(strokes: Drawing) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every segment of every stroke, in pixel (column, row): [S, 2] each (a one-point stroke is a
    segment of length 0, a dot)."""
    starts, ends = [], []
    for stroke in strokes:
        p = np.stack([stroke[:, 0], -stroke[:, 1]], 1)  # [n, 2] (column, row)
        starts.append(p[:-1] if len(p) > 1 else p)
        ends.append(p[1:] if len(p) > 1 else p)
    return np.concatenate(starts), np.concatenate(ends)


def ink_mask(strokes: Sequence[np.ndarray], pen_width: float = PEN_WIDTH, where: str = "strokes") -> np.ndarray:
    """The ink of a drawing at Omniglot's resolution: bool [105, 105], True where the round pen passed.

    ``strokes``: a list of arrays [n, 3] of (x, y, t) (or [n, 2]); ``where`` names the drawing in error messages."""
    drawing = check_drawing(strokes, where)
    radius = check_range("pen_width", pen_width, 1.0, 20.0) / 2
    a, b = _segments(drawing)  # [S, 2] each
    low = np.clip(np.ceil(np.minimum(a, b) - radius), 0, CANVAS).astype(np.int64)  # [S, 2]: each segment's box of
    high = np.clip(np.floor(np.maximum(a, b) + radius), -1, CANVAS - 1).astype(np.int64)  # pixels, on the canvas
    width = np.maximum(high[:, 0] - low[:, 0] + 1, 0)  # [S]
    count = width * np.maximum(high[:, 1] - low[:, 1] + 1, 0)  # [S] pixels to test per segment
    segment = np.repeat(np.arange(len(a)), count)  # [K]: the segment of each candidate pixel
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)  # [K] index inside its box
    col = low[segment, 0] + k % width[segment]  # [K]
    row = low[segment, 1] + k // width[segment]
    dx, dy = (b - a)[segment].T  # [K] each: the segment's direction
    ox, oy = col - a[segment, 0], row - a[segment, 1]  # [K] each: the pixel centre from the segment's start
    length2 = dx * dx + dy * dy
    along = np.clip((ox * dx + oy * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)  # [K]: nearest point
    hit = (ox - along * dx) ** 2 + (oy - along * dy) ** 2 <= radius ** 2  # [K]: within the pen's reach
    mask = np.zeros((CANVAS, CANVAS), bool)
    mask[row[hit], col[hit]] = True
    if not mask.any():
        xs = np.concatenate([s[:, 0] for s in drawing])
        ys = np.concatenate([s[:, 1] for s in drawing])
        raise ValueError(f"{where} lies entirely off the {CANVAS}x{CANVAS} canvas (x in [{xs.min():.1f}, "
                         f"{xs.max():.1f}], y in [{ys.min():.1f}, {ys.max():.1f}]; the canvas is x in [0, {CANVAS}), "
                         f"y in (-{CANVAS}, 0]): nothing to render")
    return mask


def resize_ink(mask: np.ndarray, size: int = 28) -> np.ndarray:
    """The loader's resize of bright ink: uint8 [size, size] from a bool or uint8 [105, 105] image."""
    pixels = np.where(mask, 255, 0).astype(np.uint8) if mask.dtype == np.bool_ else mask
    return np.array(Image.fromarray(pixels, "L").resize((size, size), RESAMPLE["box"]), dtype=np.uint8)


def render_strokes(strokes: Sequence[np.ndarray], size: int = 28, pen_width: float = PEN_WIDTH,
                   where: str = "strokes") -> Tensor:
    """One drawing as a model reads it: float32 [1, size, size] in [0, 1], ink bright (exactly the loader's form).

    Args:
        strokes: the drawing: a list of strokes, each an array [n, 3] of (x, y, t) in Omniglot's units (x, y in
            the 105x105 image's pixels, y negative downwards; t is not used). A stroke of one point is a dot.
        size: side of the image, 8..105 (28: the models' input).
        pen_width: the round pen's diameter in pixels of the 105x105 canvas, 1..20 (default 5).
        where: how error messages name the drawing.

    Raises ``ValueError`` (naming ``where`` or the parameter) for an empty drawing or stroke, NaN coordinates, a
    drawing entirely off the canvas or a ``size`` out of range.
    """
    size = check_int("size", size, 8, CANVAS)
    pixels = resize_ink(ink_mask(strokes, pen_width, where), size)  # [size, size] uint8
    return torch.from_numpy(pixels).float().div_(255.0).unsqueeze(0)  # [1, size, size]


def render_drawings(drawings: Sequence[Sequence[np.ndarray]], size: int = 28, pen_width: float = PEN_WIDTH) -> Tensor:
    """Several drawings at once: float32 [B, 1, size, size] (``render_strokes`` of each; errors name "drawing #i")."""
    if len(drawings) == 0:
        raise ValueError("drawings must hold at least one drawing, got none")
    return torch.stack([render_strokes(d, size, pen_width, f"drawing #{i}") for i, d in enumerate(drawings)])


def rotate_quarter(strokes: Sequence[np.ndarray], k: int) -> Drawing:
    """``strokes`` turned by k x 90 degrees counter-clockwise about the canvas centre, as ``torch.rot90(image, k,
    dims=(-2, -1))`` turns an image: rendering the turned strokes gives the turned image."""
    turned = []
    for stroke in strokes:
        x, y = stroke[:, 0], stroke[:, 1]
        for _ in range(k % 4):  # pixel (row, column) -> (104 - column, row): x' = -y, y' = x - 104
            x, y = -y, x - (CANVAS - 1)
        turned.append(np.stack([x, y, stroke[:, 2]], 1))
    return turned


def strokes_until(strokes: Sequence[np.ndarray], t: float) -> Drawing:
    """The part of a drawing made by time ``t`` (ms): its points up to the first one later than ``t``, stroke by
    stroke (a few official files have times that step back: a point counts from the latest time before it).
    Strokes not begun by then are left out, so the result may be empty (nothing drawn yet)."""
    out = []
    for stroke in check_drawing(strokes, "strokes"):
        shown = int(np.searchsorted(np.maximum.accumulate(stroke[:, 2]), t, side="right"))
        if shown:
            out.append(stroke[:shown])
    return out
