"""The drawing pad, driven by the canvas's own mouse and touch events (no browser): it records Omniglot-format
strokes, shows exactly ``render_strokes`` of them, keeps, saves and loads alphabets, and loses nothing on bad input."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mlkit.tasks import load_alphabet, render_strokes
from mlkit.widgets.drawing import PREVIEW_PX, DrawingPad


def event(pad: DrawingPad, kind: str, x: float | None = None, y: float | None = None, touches=None) -> None:
    """What the browser sends the canvas widget for a mouse or touch event."""
    content = {"event": kind, "x": x, "y": y} if touches is None else {
        "event": kind, "touches": [{"x": a, "y": b} for a, b in touches]}
    pad.canvas._handle_frontend_event(None, content, None)


def stroke(pad: DrawingPad, points: list[tuple[float, float]]) -> None:
    event(pad, "mouse_down", *points[0])
    for x, y in points[1:]:
        event(pad, "mouse_move", x, y)
    event(pad, "mouse_up", *points[-1])


def shown(pad: DrawingPad) -> np.ndarray:
    """The preview image the pad displays, back at the model's resolution: uint8 [size, size]."""
    image = Image.open(io.BytesIO(pad.preview.value))
    assert image.size == (PREVIEW_PX, PREVIEW_PX)
    step = PREVIEW_PX / pad.size
    centres = ((np.arange(pad.size) + 0.5) * step).astype(int)
    return np.asarray(image.convert("L"))[np.ix_(centres, centres)]


@pytest.fixture
def pad() -> DrawingPad:
    return DrawingPad(characters=3, canvas_px=210)


def test_mouse_strokes_are_recorded_in_omniglots_units(pad):
    stroke(pad, [(20, 20), (100, 20), (100, 180)])
    event(pad, "mouse_move", 150, 150)  # moving with the button up draws nothing
    stroke(pad, [(60, 60)])  # a dot
    assert "2 strokes on the canvas" in pad.status.value  # the status follows every stroke
    strokes = pad.strokes()
    assert [s.shape for s in strokes] == [(3, 3), (1, 3)]
    assert np.allclose(strokes[0][:, :2], [[9.5, -9.5], [49.5, -9.5], [49.5, -89.5]])  # 210 px -> 105 units
    assert strokes[0][0, 2] == 0.0 and np.all(np.diff(np.concatenate([s[:, 2] for s in strokes])) >= 0)


def test_what_the_pad_shows_is_exactly_what_the_model_is_given(pad):
    assert not shown(pad).any()  # an empty pad shows an empty image
    stroke(pad, [(30, 40), (170, 40), (100, 180), (30, 40)])
    stroke(pad, [(100, 90), (102, 120)])
    expected = np.round(render_strokes(pad.strokes())[0].numpy() * 255).astype(np.uint8)  # [28, 28]
    assert expected.max() == 255 and np.array_equal(shown(pad), expected)
    assert np.array_equal(pad.model_input(), expected)


def test_touch_events_draw_like_the_mouse(pad):
    event(pad, "touch_start", touches=[(20, 20), (200, 200)])  # a second finger is ignored
    event(pad, "touch_move", touches=[(60, 20)])
    event(pad, "touch_move", touches=[])  # an event without touches records nothing
    event(pad, "touch_end", touches=[])
    event(pad, "touch_start", touches=[(100, 100)])
    event(pad, "touch_cancel", touches=[])
    assert [len(s) for s in pad.strokes()] == [2, 1]


def test_leaving_the_canvas_ends_the_stroke(pad):
    event(pad, "mouse_down", 20, 20)
    event(pad, "mouse_move", 40, 20)
    event(pad, "mouse_out", 215, 20)
    event(pad, "mouse_move", 60, 60)  # back over the canvas with the button up: nothing
    assert [len(s) for s in pad.strokes()] == [2]


def test_undo_and_clear_buttons(pad):
    stroke(pad, [(20, 20), (60, 20)])
    stroke(pad, [(20, 60), (60, 60)])
    pad.buttons["undo stroke"].click()
    assert len(pad.strokes()) == 1 and "1 stroke on the canvas" in pad.status.value
    pad.buttons["clear"].click()
    assert pad.strokes() == [] and not shown(pad).any()
    pad.buttons["undo stroke"].click()  # nothing left to undo: no error
    assert pad.strokes() == []


def test_keeping_drawings_fills_the_characters_in_turn(pad):
    for x in (40, 80, 120, 160):
        stroke(pad, [(x, 30), (x, 180)])
        pad.buttons["keep"].click()
    alphabet = pad.alphabet()
    assert [len(d) for d in alphabet.values()] == [2, 1, 1] and list(alphabet) == ["character01", "character02",
                                                                                     "character03"]
    assert pad.character.value == "character02" and pad.strokes() == []
    assert np.allclose(alphabet["character01"][1][0][0, :2], [160 / 2 - 0.5, -(30 / 2 - 0.5)])


def test_keeping_an_empty_drawing_is_refused_on_the_status_line(pad):
    pad.buttons["keep"].click()
    assert "nothing is drawn: draw the character before keeping it" in pad.status.value
    assert all(not d for d in pad.alphabet().values())
    with pytest.raises(ValueError, match="character must be one of character01, character02, character03"):
        pad.keep("character09")


def test_an_alphabet_saved_by_the_pad_loads_in_the_pad_and_without_a_browser(pad, tmp_path):
    for x in (40, 120, 160):
        stroke(pad, [(x, 30), (x + 20, 180)])
        pad.keep()
    path = tmp_path / "class_alphabet.zip"
    pad.file.value = str(path)
    pad.buttons["save"].click()
    assert "saved 3 drawings of 3 characters" in pad.status.value
    headless = load_alphabet(path)  # the plain function a notebook run without a browser uses
    assert list(headless) == list(pad.alphabet())
    for mine, stored in zip(pad.alphabet().values(), headless.values()):
        assert all(np.abs(a - b).max() < 0.5 for a, b in zip(mine[0], stored[0]))  # t rounded to whole ms
    other = DrawingPad(characters=2)
    stroke(other, [(10, 10), (30, 30)])
    other.load(path)
    assert [len(d) for d in other.alphabet().values()] == [1, 1, 1] and len(other.strokes()) == 1  # canvas kept
    assert other.character.options == ("character01", "character02", "character03")


def test_bad_files_leave_the_pad_as_it_was(pad, tmp_path):
    stroke(pad, [(20, 20), (60, 20)])
    pad.keep()
    stroke(pad, [(30, 30), (90, 90)])
    before, canvas = pad.alphabet(), pad.strokes()
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("hello")
    for bad in (not_a_zip, tmp_path / "missing.zip"):
        pad.file.value = str(bad)
        pad.buttons["load"].click()
        assert "⚠" in pad.status.value and str(bad) in pad.status.value
    pad.file.value = str(tmp_path / "no_folder" / "a.zip")
    pad.buttons["save"].click()
    assert "⚠ cannot write the alphabet to" in pad.status.value
    assert [len(d) for d in pad.alphabet().values()] == [len(d) for d in before.values()]
    assert all(np.array_equal(a, b) for a, b in zip(pad.strokes(), canvas))


def test_saving_before_keeping_anything_is_refused(pad, tmp_path):
    pad.file.value = str(tmp_path / "empty.zip")
    pad.buttons["save"].click()
    assert "no drawing is kept yet" in pad.status.value and not (tmp_path / "empty.zip").exists()


def test_callbacks_hear_every_stroke_and_a_failing_one_breaks_nothing(pad):
    heard = []
    pad.on_drawn(lambda strokes: heard.append(len(strokes)))
    stroke(pad, [(20, 20), (60, 20)])
    stroke(pad, [(20, 60)])
    pad.undo()
    assert heard == [1, 2, 1]
    pad.on_drawn(lambda strokes: 1 / 0)
    stroke(pad, [(90, 90), (120, 120)])
    assert "the callback failed: ZeroDivisionError" in pad.status.value and len(pad.strokes()) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"characters": 0}, r"characters must be a count in 1..99 or a list of names, got 0"),
    ({"characters": ["a", "a"]}, r"characters must name at least one character, each once"),
    ({"size": 4}, r"size must be an integer >= 8 and <= 105, got 4"),
    ({"pen_width": 0.0}, r"pen_width must be a finite number in \[1.0, 20.0\], got 0.0"),
    ({"canvas_px": 10}, r"canvas_px must be an integer >= 32 and <= 2000, got 10"),
])
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DrawingPad(**kwargs)
