"""mlkit/exercises/alphabet.py: notebook 09's checks accept the pixel conversion, the nearest-prototype classifier
(Snell et al. 2017, eqs. 1-2), the leave-one-out pixel baseline (Lake et al. 2015) and a stroke turned about its
centre in the forms students write them, and name each realistic mistake; the use_* helpers run the student's code
beside mlkit's and never raise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mlkit.exercises import Exercises, alphabet
from mlkit.exercises.feedback import Hint
from mlkit.live.alphabet import example_alphabet, stroke_pixels


# --- the teacher's solutions (as in the notebook) and other correct forms ------------------------------------------

def to_pixels(stroke, size):
    scale = size / 105
    rows = (-stroke[:, 1] + 0.5) * scale - 0.5
    columns = (stroke[:, 0] + 0.5) * scale - 0.5
    return np.stack([rows, columns], 1)


def to_pixels_in_torch(stroke, size):
    s = torch.as_tensor(stroke)
    return torch.stack([(0.5 - s[:, 1]) * size / 105 - 0.5, (s[:, 0] + 0.5) * size / 105 - 0.5], 1)


def nearest_prototype(support, y_support, query, n_way):
    prototypes = torch.stack([support[y_support == k].mean(0) for k in range(n_way)])
    distances = ((query[:, None, :] - prototypes[None, :, :]) ** 2).sum(-1)
    return distances.argmin(1), distances


def nearest_prototype_by_cdist(support, y_support, query, n_way):
    one_hot = torch.nn.functional.one_hot(y_support, n_way).float()
    prototypes = one_hot.T @ support / one_hot.sum(0)[:, None]
    distances = torch.cdist(query, prototypes) ** 2
    return torch.argmin(distances, dim=1), distances


def leave_one_out(images, labels):
    flat = images.flatten(1)
    distances = torch.cdist(flat, flat)
    distances.fill_diagonal_(float("inf"))
    return labels[distances.argmin(1)]


def leave_one_out_by_loop(images, labels):
    out = []
    for i in range(len(images)):
        d = ((images - images[i]) ** 2).flatten(1).sum(1)
        d[i] = float("inf")
        out.append(int(labels[d.argmin()]))
    return torch.tensor(out)


def rotate_stroke(stroke, degrees, scale):
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = (stroke[:, :2].min(0) + stroke[:, :2].max(0)) / 2
    xy = (stroke[:, :2] - centre) @ rotation.T * scale + centre
    return np.concatenate([xy, stroke[:, 2:]], 1)


def rotate_stroke_by_components(stroke, degrees, scale):
    a = np.deg2rad(degrees)
    cx = (stroke[:, 0].max() + stroke[:, 0].min()) / 2
    cy = (stroke[:, 1].max() + stroke[:, 1].min()) / 2
    dx, dy = stroke[:, 0] - cx, stroke[:, 1] - cy
    out = stroke.copy()
    out[:, 0] = cx + scale * (np.cos(a) * dx - np.sin(a) * dy)
    out[:, 1] = cy + scale * (np.sin(a) * dx + np.cos(a) * dy)
    return out


@pytest.mark.parametrize("function", [to_pixels, to_pixels_in_torch])
def test_the_pixel_conversion_passes(function):
    alphabet.check_to_pixels(function)


@pytest.mark.parametrize("function", [nearest_prototype, nearest_prototype_by_cdist])
def test_the_nearest_prototype_passes(function):
    alphabet.check_nearest_prototype(function)


@pytest.mark.parametrize("function", [leave_one_out, leave_one_out_by_loop])
def test_the_leave_one_out_baseline_passes(function):
    alphabet.check_leave_one_out(function)


@pytest.mark.parametrize("function", [rotate_stroke, rotate_stroke_by_components])
def test_the_turned_stroke_passes(function):
    alphabet.check_rotate_stroke(function)


def hint_of(check, function) -> str:
    with pytest.raises(Hint) as raised:
        check(function)
    return str(raised.value)


# --- exercise 1: to_pixels ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, words", [
    (lambda s, size: to_pixels(s, size)[:, ::-1], "rows and columns are swapped"),
    (lambda s, size: np.stack([(s[:, 1] + 0.5) * size / 105 - 0.5, (s[:, 0] + 0.5) * size / 105 - 0.5], 1),
     "upside down"),
    (lambda s, size: np.stack([-s[:, 1], s[:, 0]], 1), "scale them by size/105"),
    (lambda s, size: np.stack([-s[:, 1] * size / 105, s[:, 0] * size / 105], 1), "half a pixel"),
    (lambda s, size: np.stack([-s[:, 1] * (size - 1) / 104, s[:, 0] * (size - 1) / 104], 1), "stretched or shifted"),
    (lambda s, size: np.stack([(-s[:, 1] + 0.5) * size / 105 - 0.5, (s[:, 0] + 0.5) * size / 105 - 0.5, s[:, 2]], 1),
     "without the time t"),
    (lambda s, size: np.stack([(-s[:, 1] + 0.5) * size / 105 - 0.5, (s[:, 0] + 0.5) * size / 105 - 0.5], 0),
     "one row per point"),
    (lambda s, size: None, "still the stub"),
    (lambda s, size: 1 / 0, "raised ZeroDivisionError"),
])
def test_pixel_mistakes_are_named(wrong, words):
    assert words in hint_of(alphabet.check_to_pixels, wrong)


def test_a_conversion_with_swapped_axes_and_no_scale_is_still_called_swapped():
    assert "swapped" in hint_of(alphabet.check_to_pixels, lambda s, size: np.stack([s[:, 0], -s[:, 1]], 1))


# --- exercise 2: nearest_prototype ----------------------------------------------------------------------------------

def unsquared(support, y_support, query, n_way):
    labels, d = nearest_prototype(support, y_support, query, n_way)
    return labels, d.sqrt()


def farthest(support, y_support, query, n_way):
    _, d = nearest_prototype(support, y_support, query, n_way)
    return d.argmax(1), d


def first_example(support, y_support, query, n_way):
    prototypes = torch.stack([support[y_support == k][0] for k in range(n_way)])
    d = ((query[:, None] - prototypes[None]) ** 2).sum(-1)
    return d.argmin(1), d


def class_sums(support, y_support, query, n_way):
    prototypes = torch.stack([support[y_support == k].sum(0) for k in range(n_way)])
    d = ((query[:, None] - prototypes[None]) ** 2).sum(-1)
    return d.argmin(1), d


def sorted_by_position(support, y_support, query, n_way):
    prototypes = support.view(n_way, -1, support.shape[1]).mean(1)
    d = ((query[:, None] - prototypes[None]) ** 2).sum(-1)
    return d.argmin(1), d


def logits(support, y_support, query, n_way):
    labels, d = nearest_prototype(support, y_support, query, n_way)
    return labels, -d


def transposed(support, y_support, query, n_way):
    labels, d = nearest_prototype(support, y_support, query, n_way)
    return labels, d.T


def float_labels(support, y_support, query, n_way):
    labels, d = nearest_prototype(support, y_support, query, n_way)
    return labels.float(), d


def labels_only(support, y_support, query, n_way):
    return nearest_prototype(support, y_support, query, n_way)[0]


@pytest.mark.parametrize("wrong, words", [
    (unsquared, "not squared"),
    (farthest, "FARTHEST"),
    (first_example, "first support embedding of each class"),
    (class_sums, "sums of the 3 embeddings"),
    (sorted_by_position, "as if they were sorted by class"),
    (logits, "wrong sign"),
    (transposed, "transposed"),
    (float_labels, "class indices"),
    (labels_only, "should return two things"),
    (lambda support, y_support, query, n_way: ..., "still the stub"),
])
def test_classifier_mistakes_are_named(wrong, words):
    assert words in hint_of(alphabet.check_nearest_prototype, wrong)


# --- exercise 3: leave_one_out -----------------------------------------------------------------------------------

def with_itself(images, labels):
    flat = images.flatten(1)
    return labels[torch.cdist(flat, flat).argmin(1)]


def positions(images, labels):
    flat = images.flatten(1)
    d = torch.cdist(flat, flat)
    d.fill_diagonal_(float("inf"))
    return d.argmin(1)


def dot_products(images, labels):
    flat = images.flatten(1)
    s = flat @ flat.T
    s.fill_diagonal_(-float("inf"))
    return labels[s.argmax(1)]


def manhattan(images, labels):
    flat = images.flatten(1)
    d = torch.cdist(flat, flat, p=1)
    d.fill_diagonal_(float("inf"))
    return labels[d.argmin(1)]


def farthest_other(images, labels):
    flat = images.flatten(1)
    d = torch.cdist(flat, flat)
    return labels[d.argmax(1)]


@pytest.mark.parametrize("wrong, words", [
    (with_itself, "found ITSELF"),
    (positions, "positions of the nearest other images"),
    (dot_products, "largest dot product"),
    (manhattan, "Manhattan"),
    (farthest_other, "FARTHEST"),
    (lambda images, labels: labels.float(), "whole numbers"),
    (lambda images, labels: torch.zeros(len(labels), len(labels)), "one label per image"),
])
def test_baseline_mistakes_are_named(wrong, words):
    assert words in hint_of(alphabet.check_leave_one_out, wrong)


def test_the_fixed_images_tell_the_mistakes_apart():
    """On the two fixed sets, no mistake model gives the right answer on both, and no two models agree on both."""
    sets = [alphabet.fixed_images(seed) for seed in (0, 1)]
    models = [leave_one_out] + [model for model, _ in alphabet.LEAVE_ONE_OUT_MISTAKES]
    answers = [[model(images, labels) for images, labels in sets] for model in models]
    for i in range(len(models)):
        for j in range(i + 1, len(models)):
            assert not all(torch.equal(a, b) for a, b in zip(answers[i], answers[j])), (i, j)


# --- exercise 4: rotate_stroke ------------------------------------------------------------------------------------------

def about_origin(stroke, degrees, scale):
    a = math.radians(degrees)
    r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return np.concatenate([stroke[:, :2] @ r.T * scale, stroke[:, 2:]], 1)


def in_degrees(stroke, degrees, scale):
    return rotate_stroke(stroke, math.degrees(degrees), scale)


def clockwise(stroke, degrees, scale):
    return rotate_stroke(stroke, -degrees, scale)


def about_the_mean(stroke, degrees, scale):
    a = math.radians(degrees)
    r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    centre = stroke[:, :2].mean(0)
    return np.concatenate([(stroke[:, :2] - centre) @ r.T * scale + centre, stroke[:, 2:]], 1)


def in_place(stroke, degrees, scale):
    stroke[:] = rotate_stroke(stroke, degrees, scale)
    return stroke


def no_scale(stroke, degrees, scale):
    return rotate_stroke(stroke, degrees, 1.0)


def drops_time(stroke, degrees, scale):
    return rotate_stroke(stroke, degrees, scale)[:, :2]


@pytest.mark.parametrize("wrong, words", [
    (about_origin, "about the origin"),
    (in_degrees, "radians"),
    (clockwise, "clockwise"),
    (about_the_mean, "mean of its points"),
    (in_place, "changed the stroke it was given"),
    (no_scale, "not scaled"),
    (drops_time, "keep the time column"),
    (lambda s, d, f: None, "still the stub"),
])
def test_rotation_mistakes_are_named(wrong, words):
    assert words in hint_of(alphabet.check_rotate_stroke, wrong)


# --- the otter files, and the helpers that use the student's code ----------------------------------------------

def test_the_otter_checks_pass_the_solutions_and_fail_a_stub():
    exercises = Exercises("09_your_alphabet")
    solutions = {"to_pixels": to_pixels, "nearest_prototype": nearest_prototype, "leave_one_out": leave_one_out,
                 "rotate_stroke": rotate_stroke}
    assert exercises.names == sorted(solutions)
    for name in exercises.names:
        assert exercises.check(name, solutions).passed, name
        result = exercises.check(name, {})
        assert not result.passed and "not defined yet" in result.hints[0], name


def test_the_helpers_compare_the_students_code_and_never_raise():
    letters = example_alphabet(3)
    drawings = [letters.drawings[0][0], letters.drawings[1][0]]
    paths, line = alphabet.use_to_pixels(to_pixels, drawings)
    assert "the same positions" in line and np.allclose(paths[0][0], stroke_pixels(drawings[0][0]))
    assert alphabet.use_to_pixels(lambda s, size: None, drawings)[0] is None
    accuracy, line = alphabet.use_leave_one_out(leave_one_out, letters)
    assert accuracy is not None and "agrees with mlkit's on 30 of 30" in line
    assert alphabet.use_leave_one_out(lambda i, l: ..., letters)[0] is None
    yours, mlkit, line = alphabet.use_rotate_stroke(rotate_stroke, drawings[1], copies=3, seed=0)
    assert "the same strokes" in line and len(yours) == len(mlkit) == 3
    assert alphabet.use_rotate_stroke(about_origin, drawings[1], 3, 0)[2].startswith("your rotate_stroke and mlkit's")
    assert alphabet.use_rotate_stroke(lambda s, d, f: 1 / 0, drawings[1], 3, 0)[0] is None
    assert alphabet.use_classifier(nearest_prototype)[0] is nearest_prototype
    classify, line = alphabet.use_classifier(farthest)
    assert classify is None and "FARTHEST" in line
