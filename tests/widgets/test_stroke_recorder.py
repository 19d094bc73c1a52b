"""The drawing pad's logic without a browser: pen events to Omniglot-format strokes, undo, clear, bad points."""
from __future__ import annotations

import numpy as np
import pytest

from mlkit.tasks import render_strokes
from mlkit.widgets.stroke_recorder import StrokeRecorder, canvas_to_strokes, strokes_to_canvas


class Clock:
    """A clock the test moves by hand: seconds."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def tick(self, ms: float) -> None:
        self.now += ms / 1000


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_canvas_pixels_map_onto_omniglots_105_pixel_units():
    centre = canvas_to_strokes([(140.0, 140.0, 0.0)], 280)
    assert centre.tolist() == [[52.0, -52.0, 0.0]]  # the middle pixel of the 105x105 image
    corners = canvas_to_strokes([(0.0, 0.0, 5.0), (280.0, 280.0, 9.0)], 280)
    assert corners.tolist() == [[-0.5, 0.5, 5.0], [104.5, -104.5, 9.0]]  # the image's outer edges
    points = np.array([[3.25, -77.5, 1.0], [90.0, -10.0, 2.0]])
    assert np.allclose(canvas_to_strokes(strokes_to_canvas(points, 315), 315), points)


def test_press_move_release_records_strokes_with_times_from_the_first_point(clock):
    pad = StrokeRecorder(210, clock)
    assert pad.press(21, 21) and not pad.is_empty and pad.drawing
    clock.tick(16)
    assert pad.move(42, 21)
    clock.tick(16)
    assert pad.release() and not pad.drawing
    clock.tick(500)
    assert pad.press(105, 105) and pad.release()  # a dot
    strokes = pad.strokes
    assert [s.shape for s in strokes] == [(2, 3), (1, 3)]
    assert strokes[0].tolist() == [[10.0, -10.0, 0.0], [20.5, -10.0, 16.0]]
    assert strokes[1].tolist() == [[52.0, -52.0, 532.0]]


def test_moves_without_a_press_repeats_and_bad_points_record_nothing(clock):
    pad = StrokeRecorder(100, clock)
    assert not pad.move(10, 10) and pad.is_empty and not pad.release()
    assert not pad.press(float("nan"), 3) and not pad.press(-1, 5) and not pad.press(5, 101) and pad.is_empty
    assert not pad.press("x", 5) and pad.is_empty
    pad.press(10, 10)
    assert not pad.move(10, 10)  # the same point again
    assert not pad.move(500, 10) and not pad.move(10, float("inf"))  # off the canvas, not a number
    assert pad.move(20, 10) and pad.release()
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) == 2


def test_a_press_while_drawing_finishes_the_stroke_first(clock):
    pad = StrokeRecorder(100, clock)
    pad.press(10, 10)
    pad.move(20, 20)
    pad.press(50, 50)  # a lost pen-up (e.g. released outside the page)
    pad.move(60, 50)
    assert [len(s) for s in pad.strokes] == [2, 2]  # the stroke in progress is part of the drawing


def test_undo_removes_the_last_stroke_and_clear_everything(clock):
    pad = StrokeRecorder(100, clock)
    for x in (10, 30, 50):
        pad.press(x, 10)
        pad.move(x, 40)
        pad.release()
    assert pad.undo() and [s[0, 0] for s in pad.strokes] == pytest.approx([10 * 1.05 - 0.5, 30 * 1.05 - 0.5])
    pad.press(70, 10)
    assert pad.undo() and len(pad.strokes) == 2 and not pad.drawing  # undo during a stroke drops that stroke
    pad.clear()
    assert pad.is_empty and pad.strokes == [] and not pad.undo()
    clock.tick(1000)
    pad.press(5, 5)
    assert pad.strokes[0][0, 2] == 0.0  # times start again from the new first point


def test_a_stored_drawing_loads_and_gives_the_same_strokes_back(clock):
    drawing = [np.array([[10.0, -20.0, 0.0], [30.0, -25.0, 40.0]]), np.array([[50.0, -50.0, 300.0]])]
    pad = StrokeRecorder(280, clock)
    pad.load(drawing)
    assert all(np.allclose(a, b) for a, b in zip(pad.strokes, drawing))
    clock.tick(100)
    pad.press(10, 10)
    assert pad.strokes[-1][0, 2] == pytest.approx(400.0)  # continues after the loaded drawing's last time
    with pytest.raises(ValueError, match="strokes is an empty drawing"):
        pad.load([])
    assert len(pad.strokes) == 3  # a refused load changes nothing


def test_what_the_recorder_holds_renders_where_it_was_drawn(clock):
    pad = StrokeRecorder(105, clock)  # one canvas pixel per image pixel
    pad.press(30.5, 60.5)
    pad.move(70.5, 60.5)
    pad.release()
    ink = render_strokes(pad.strokes, size=105)[0] > 0  # [105, 105]
    rows, cols = np.nonzero(ink.numpy())
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (58, 62, 28, 72)  # pixel row 60, columns 30..70
    with pytest.raises(ValueError, match="canvas_px must be an integer >= 32 and <= 2000, got 8"):
        StrokeRecorder(8)
