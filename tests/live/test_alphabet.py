"""mlkit/live/alphabet.py: what notebook 09 says about the shipped model on the example alphabet holds (the only 1-shot
mistakes are P's taken for R's, far from their own prototype; five drawings fix them; pixels are far behind), the
example and bad alphabet files are read as the notebook says, and the pixel conversion and the turned stroke agree
with the renderer and with themselves."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch

from mlkit.cli import parser
from mlkit.live.alphabet import (AUGMENT_COMMAND, EXAMPLE_SOURCE, answer_drawing, example_alphabet, hardest,
                                 leave_one_out_scores, read_alphabet, round_support, score_alphabet, shipped_model,
                                 stroke_pixels, turn_stroke, usable_shots)
from mlkit.tasks import render_strokes, save_alphabet


@pytest.fixture(scope="module")
def model():
    return shipped_model()


@pytest.fixture(scope="module")
def example():
    return example_alphabet()


def test_the_example_alphabet_is_six_characters_of_ten_drawings_made_on_the_pad(example):
    assert example.names == [f"character{i:02d}" for i in range(1, 7)] and example.counts() == [10] * 6
    assert [len(d[0]) for d in example.drawings] == [1, 2, 1, 2, 3, 2]  # loop, cross, Z, P, R (P + leg), wave + dot
    assert len(example.drawings[5][0][1]) == 1  # the dot: a stroke of one point
    assert "scripted mouse moves, not by a person" in EXAMPLE_SOURCE


def test_the_notebooks_claims_about_the_example(model, example):
    one = score_alphabet(model, example, 1, 5, classify=None)
    assert (one.correct("ProtoNet"), one.asked("ProtoNet")) == (148, 150)
    assert one.confusions() == {(3, 4): 2}  # only P taken for R
    assert one.correct("pixels") == 47  # 31.3 %
    case = hardest(one)
    assert case.margin < 0 and case.character == 3 and case.drawing == 7
    answer = answer_drawing(model, round_support(example, one, case), example.drawings[3][7])
    own, rival = float(answer.distances[3]), float(answer.distances[4])
    assert answer.chosen == "character05" and round(own, 1) == 9.9 and round(rival, 1) == 7.3
    five = score_alphabet(model, example, 5, 5)
    assert five.correct("ProtoNet") == 30 and five.correct("pixels") == 17
    again = answer_drawing(model, example.support(5), example.drawings[3][7])
    assert again.chosen == "character04" and (round(float(again.distances[3]), 1), round(float(again.distances[4]), 1)) == (2.9, 4.6)
    assert leave_one_out_scores(model, example) == {"ProtoNet": 1.0, "pixels": 35 / 60}


def test_the_students_classifier_is_asked_on_the_same_embeddings(model, example):
    def farthest(support, y_support, query, n_way):
        prototypes = torch.stack([support[y_support == k].mean(0) for k in range(n_way)])
        d = torch.cdist(query, prototypes)
        return d.argmax(1), d

    scores = score_alphabet(model, example, 1, 5, classify=farthest)
    same, asked = scores.agreement("ProtoNet", "yours")
    assert asked == 150 and same == 0


def test_bad_alphabet_files_are_named_and_the_example_is_used(tmp_path):
    text = tmp_path / "notes.zip"
    text.write_text("not a zip")
    alphabet, notes = read_alphabet(text, 6)
    assert alphabet.source == EXAMPLE_SOURCE and notes[0].startswith("⚠ alphabet_file:") and "notes.zip" in notes[0]
    one = tmp_path / "one.zip"
    save_alphabet(one, {"character01": [[np.array([[50.0, -50.0, 0.0]])], [np.array([[40.0, -40.0, 0.0]])]]})
    assert "a classifier needs at least two" in read_alphabet(one, 6)[1][0]
    short = tmp_path / "short.zip"
    drawing = [np.array([[50.0, -50.0, 0.0], [60.0, -60.0, 5.0]])]
    save_alphabet(short, {"character01": [drawing, drawing], "character02": [drawing]})
    assert "character02 have fewer than 2 drawings" in read_alphabet(short, 6)[1][0]
    wrong = tmp_path / "layout.zip"
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr("a/b/c/d/e.txt", "START\n1,2,3\nBREAK\n")
    assert "not in Omniglot's stroke layout" in read_alphabet(wrong, 6)[1][0]
    mine, notes = read_alphabet(short.parent / "missing.zip", 3)
    assert len(mine) == 3 and "does not exist" in notes[0]


def test_too_many_characters_or_shots_are_lowered_with_a_note(example):
    alphabet, notes = read_alphabet("example", 20)
    assert len(alphabet) == 6 and "n_characters = 20" in notes[0]
    assert usable_shots(example, 5) == (5, [])
    shots, notes = usable_shots(example, 12)
    assert shots == 9 and "one must stay a test drawing" in notes[0]
    with pytest.raises(ValueError, match="n_characters"):
        read_alphabet("example", 1)


def test_a_dot_renders_where_stroke_pixels_puts_it():
    for x, y in ((10.0, -20.0), (52.0, -52.0), (90.0, -33.0), (61.0, -7.0)):
        image = render_strokes([np.array([[x, y, 0.0]])], 28, pen_width=9.0)[0].double()  # [28, 28]
        rows, columns = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
        centre = [float((image * rows).sum() / image.sum()), float((image * columns).sum() / image.sum())]
        assert np.allclose(centre, stroke_pixels(np.array([[x, y, 0.0]]), 28)[0], atol=0.1), (x, y, centre)
    assert np.allclose(stroke_pixels(np.array([[12.0, -40.0, 7.0]]), 105), [[40.0, 12.0]])


def test_turning_a_stroke_keeps_its_box_centre_and_its_times():
    stroke = np.array([[10.0, -10.0, 0.0], [40.0, -10.0, 5.0], [40.0, -30.0, 9.0]])
    turned = turn_stroke(stroke, 90, 1.0)
    assert np.allclose(turned[:, 2], stroke[:, 2])
    assert np.allclose((turned[:, :2].min(0) + turned[:, :2].max(0)) / 2, [25.0, -20.0])
    assert np.allclose(turn_stroke(turned, 90, 1.0), turn_stroke(stroke, 180, 1.0))
    assert np.allclose(turn_stroke(stroke, 360, 1.0), stroke)
    assert np.allclose(turn_stroke(stroke, 0, 2.0)[[0, 1], 0], [-5.0, 55.0])  # scaled about x = 25
    # counter-clockwise as seen: the right end of a horizontal stroke goes up (y grows upwards in the files)
    assert turn_stroke(np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 1.0]]), 30, 1.0)[1, 1] > 0


def test_the_augmentation_command_is_one_mlkit_accepts():
    command = AUGMENT_COMMAND.format(augment="strokes", steps=2000, checkpoint="runs/x/protonet.pt").split()
    args = parser().parse_args(command[3:])
    assert (args.method, args.augment, args.steps, args.n_way, args.within_alphabet) == ("protonet", "strokes", 2000,
                                                                                       20, True)
