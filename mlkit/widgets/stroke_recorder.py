"""Pen events on a square canvas to strokes in Omniglot's format: the drawing pad's logic, without a browser.

Omniglot's drawings (Lake, Salakhutdinov & Tenenbaum 2015, Science, "Human-level concept learning through
probabilistic program induction") were recorded online as pen strokes; ``StrokeRecorder`` records a drawing the same
way from press / move / release events (mouse, pen or finger, in canvas pixels), so that the drawing pad
(``mlkit.widgets.drawing``) needs no logic of its own and everything here is tested without a browser.

Units: a canvas of ``canvas_px`` x ``canvas_px`` screen pixels stands for Omniglot's 105x105 image. The canvas point
(cx, cy) (from its top-left corner, y down) is the image point (u, v) = (cx, cy) * 105 / canvas_px, and the stroke
file's (x, y) = (u - 0.5, -(v - 0.5)): x and y in the image's pixel units, y negative downwards, as in the official
files (``mlkit.tasks.render`` draws them back at the same place). t is in milliseconds from the drawing's first point.

Bad input never loses a drawing: a point off the canvas or not a finite number is ignored, a move without a press
records nothing, ``undo`` on an empty pad does nothing.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np

from mlkit.checks import check_int
from mlkit.tasks.render import CANVAS
from mlkit.tasks.stroke_files import Drawing, check_drawing


def canvas_to_strokes(points: Sequence[tuple[float, float, float]], canvas_px: int) -> np.ndarray:
    """Canvas points (cx, cy, t) -> one stroke [n, 3] of Omniglot's (x, y, t)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    scale = CANVAS / canvas_px
    return np.stack([p[:, 0] * scale - 0.5, -(p[:, 1] * scale - 0.5), p[:, 2]], 1)


def strokes_to_canvas(stroke: np.ndarray, canvas_px: int) -> np.ndarray:
    """One stroke [n, 3] of Omniglot's (x, y, t) -> canvas points [n, 3] (cx, cy, t)."""
    scale = canvas_px / CANVAS
    return np.stack([(stroke[:, 0] + 0.5) * scale, (-stroke[:, 1] + 0.5) * scale, stroke[:, 2]], 1)


class StrokeRecorder:
    """One drawing being made on a canvas of ``canvas_px`` pixels: strokes in canvas pixels, with undo.

    Args:
        canvas_px: the canvas side in screen pixels, 32..2000.
        clock: seconds (default ``time.monotonic``); the recorded t is milliseconds since the drawing's first point.
    """

    def __init__(self, canvas_px: int = 280, clock: Callable[[], float] = time.monotonic) -> None:
        self.canvas_px = check_int("canvas_px", canvas_px, 32, 2000)
        self._clock = clock
        self._strokes: list[list[tuple[float, float, float]]] = []  # finished strokes, canvas (cx, cy, ms)
        self._current: list[tuple[float, float, float]] | None = None  # the stroke being drawn
        self._start: float | None = None  # clock at the drawing's first point

    def _point(self, x: float, y: float) -> tuple[float, float, float] | None:
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            return None
        if not (math.isfinite(x) and math.isfinite(y)) or not (0 <= x <= self.canvas_px and 0 <= y <= self.canvas_px):
            return None
        now = self._clock()
        if self._start is None:
            self._start = now
        return x, y, round((now - self._start) * 1000.0, 3)

    @property
    def drawing(self) -> bool:
        """True while the pen is down."""
        return self._current is not None

    def press(self, x: float, y: float) -> bool:
        """Pen down at canvas point (x, y): a new stroke (one in progress is finished first). False if ignored."""
        self.release()
        point = self._point(x, y)
        if point is None:
            return False
        self._current = [point]
        return True

    def move(self, x: float, y: float) -> bool:
        """The pen moved to (x, y): a new point of the stroke if the pen is down and the point new and on the canvas."""
        if self._current is None:
            return False
        point = self._point(x, y)
        if point is None or point[:2] == self._current[-1][:2]:
            return False
        self._current.append(point)
        return True

    def release(self) -> bool:
        """Pen up: the stroke in progress is finished. True if there was one."""
        if self._current is None:
            return False
        self._strokes.append(self._current)
        self._current = None
        return True

    def undo(self) -> bool:
        """Remove the last stroke (the one in progress, else the last finished). False if there was none."""
        if self._current is not None:
            self._current = None
        elif self._strokes:
            self._strokes.pop()
        else:
            return False
        if self.is_empty:
            self._start = None
        return True

    def clear(self) -> None:
        """Remove every stroke."""
        self._strokes, self._current, self._start = [], None, None

    @property
    def is_empty(self) -> bool:
        """True when nothing is drawn."""
        return not self._strokes and self._current is None

    def canvas_strokes(self) -> list[list[tuple[float, float, float]]]:
        """Every stroke (the one in progress last) as canvas points (cx, cy, ms): what the canvas shows."""
        return [list(s) for s in self._strokes] + ([list(self._current)] if self._current is not None else [])

    @property
    def strokes(self) -> Drawing:
        """The drawing in Omniglot's format: strokes [n, 3] of (x, y, t), the one in progress included."""
        return [canvas_to_strokes(s, self.canvas_px) for s in self.canvas_strokes()]

    def load(self, strokes: Sequence[np.ndarray]) -> None:
        """Replace the drawing by ``strokes`` (Omniglot's format), e.g. to show a stored drawing."""
        drawing = check_drawing(list(strokes), "strokes")
        self.clear()
        self._strokes = [[tuple(p) for p in strokes_to_canvas(s, self.canvas_px).tolist()] for s in drawing]
        self._start = self._clock() - max(float(s[:, 2].max()) for s in drawing) / 1000.0
