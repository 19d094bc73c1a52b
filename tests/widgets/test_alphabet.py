"""mlkit/widgets/alphabet.py: the live answer beside the drawing pad, driven by the canvas's own mouse events (no
browser): it answers after every stroke with the support the student kept (or the example's while too few are kept),
shows the student's classifier beside the model, and turns bad input into a sentence; the plain twins print."""
from __future__ import annotations

import re

import numpy as np
import pytest

from mlkit.live.alphabet import example_alphabet, nearest_prototype, shipped_model
from mlkit.widgets.alphabet import LiveAnswer, drawn_or_stored, replay_explorer, replay_numbers, show_answer
from draw_example import TEMPLATES, human_drawing
from mlkit.widgets.drawing import DrawingPad

CANVAS_PX = 280


def event(pad: DrawingPad, kind: str, x: float, y: float) -> None:
    pad.canvas._handle_frontend_event(None, {"event": kind, "x": x, "y": y}, None)


def draw(pad: DrawingPad, strokes) -> None:
    """Each stroke (canvas pixels [n, 2]) as the browser sends it: down, moves, up."""
    for stroke in strokes:
        event(pad, "mouse_down", *stroke[0])
        for x, y in stroke[1:]:
            event(pad, "mouse_move", x, y)
        event(pad, "mouse_up", *stroke[-1])


def answer_of(live: LiveAnswer) -> str:
    found = re.search(r"class='mlkit-alphabet-answer'>([^<]*)<", live.panel.value)
    return found.group(1) if found else ""


@pytest.fixture(scope="module")
def model():
    return shipped_model()


@pytest.fixture(scope="module")
def stored():
    return example_alphabet()


@pytest.fixture
def pad() -> DrawingPad:
    return DrawingPad(characters=3, canvas_px=CANVAS_PX)


def test_an_empty_pad_asks_for_a_drawing_and_says_where_the_prototypes_come_from(pad, model, stored):
    live = LiveAnswer(pad, model, stored)
    assert "Draw something first" in live.panel.value and "example alphabet" in live.panel.value
    assert answer_of(live) == ""


def test_three_kept_shapes_and_a_test_drawing_are_answered_after_every_stroke(pad, model, stored):
    rng = np.random.default_rng(5)
    live = LiveAnswer(pad, model, stored, classify=nearest_prototype)
    for name in ("character01", "character02", "character03"):  # a loop, a cross, a zigzag: one kept of each
        draw(pad, human_drawing(TEMPLATES[name], rng, CANVAS_PX))
        pad.keep()
        assert "Draw something first" in live.panel.value  # keeping empties the canvas, and the panel follows
    cross = human_drawing(TEMPLATES["character02"], rng, CANVAS_PX)
    draw(pad, cross[:1])
    assert "After 1 stroke the model answers" in live.panel.value
    draw(pad, cross[1:])
    assert "After 2 strokes" in live.panel.value and answer_of(live) == "character02"
    assert "your nearest_prototype: <b>character02</b> (agrees)" in live.panel.value
    assert "means of the drawings you kept" in live.panel.value
    assert live.last.names == ["character01", "character02", "character03"] and live.last.shots() == [1, 1, 1]
    assert len(live.seconds) == 6 and max(live.seconds) < 5  # one per stroke (milliseconds in fact)
    pad.undo()
    assert "After 1 stroke" in live.panel.value


def test_with_too_few_kept_the_example_alphabet_answers(pad, model, stored):
    live = LiveAnswer(pad, model, stored)
    rng = np.random.default_rng(0)
    draw(pad, human_drawing(TEMPLATES["character01"], rng, CANVAS_PX))
    pad.keep()  # one character kept: not enough to choose between
    draw(pad, human_drawing(TEMPLATES["character03"], rng, CANVAS_PX))
    assert answer_of(live) == "character03" and "first drawing of each character of the shipped" in live.panel.value


def test_a_single_dot_is_answered_and_a_broken_classifier_is_a_sentence(pad, model, stored):
    def broken(support, y_support, query, n_way):
        raise RuntimeError("oops")

    live = LiveAnswer(pad, model, stored, classify=broken)
    draw(pad, [np.array([[140.0, 140.0]])])
    assert answer_of(live) in stored.names
    assert "your classifier failed (RuntimeError: oops)" in live.panel.value
    stub = LiveAnswer(pad, model, stored, classify=lambda support, y_support, query, n_way: None)
    draw(pad, [np.array([[100.0, 100.0], [180.0, 100.0]])])
    assert "your classifier is not written yet" in stub.panel.value


def test_the_plain_twin_prints_the_distances_and_refuses_an_empty_drawing(model, stored, capsys):
    answer = show_answer(model, stored.support(1), stored.drawings[1][7], nearest_prototype, label="a cross")
    out = capsys.readouterr().out
    assert answer.chosen == "character02" and "a cross, against 6 characters (1 drawing each)" in out
    assert out.count("‖f(query) − c‖²") == 6 and "your nearest_prototype answers character02 (the same)" in out
    assert show_answer(model, stored.support(1), []) is None
    assert "draw something first" in capsys.readouterr().out


def test_drawn_or_stored_uses_the_pad_only_with_enough_drawings(pad, stored, capsys):
    rng = np.random.default_rng(1)
    assert drawn_or_stored(pad, stored) is stored
    assert "To use yours" in capsys.readouterr().out
    for _ in range(2):
        for name in ("character01", "character02"):
            draw(pad, human_drawing(TEMPLATES[name], rng, CANVAS_PX))
            pad.keep(name)
    mine = drawn_or_stored(pad, stored)
    assert mine.names == ["character01", "character02"] and mine.counts() == [2, 2]
    assert "your drawings on the pad" in capsys.readouterr().out


def test_keeping_and_loading_tell_the_callbacks(pad, tmp_path):
    heard = []
    pad.on_drawn(lambda strokes: heard.append((len(strokes), sum(map(len, pad.alphabet().values())))))
    draw(pad, [np.array([[50.0, 50.0], [200.0, 200.0]])])
    pad.keep()
    pad.save(tmp_path / "a.zip")
    pad.load(tmp_path / "a.zip")
    assert heard == [(1, 0), (0, 1), (0, 1)]


def test_the_replay_twin_prints_and_the_explorer_has_a_time_slider(stored, capsys, monkeypatch):
    drawing = stored.drawings[4][0]  # an R: three strokes
    replay_numbers(drawing, "R")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("R: 3 strokes") and len(lines) == 6 and "3 strokes begun" in lines[-1]
    monkeypatch.delenv("MLKIT_HEADLESS", raising=False)
    box = replay_explorer(drawing, "R")
    slider = box.children[0]
    assert slider.description == "time t (s)" and slider.max >= float(max(s[:, 2].max() for s in drawing)) / 1000


def test_a_drawing_off_the_canvas_is_a_sentence_in_the_panel(pad, model, stored):
    live = LiveAnswer(pad, model, stored)
    live.update([np.array([[500.0, -500.0, 0.0], [520.0, -510.0, 9.0]])])  # e.g. strokes loaded from elsewhere
    assert "⚠" in live.panel.value and "entirely off the 105x105 canvas" in live.panel.value
    assert answer_of(live) == ""
