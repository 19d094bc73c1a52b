"""Checks of notebook 09's exercises: pen strokes to pixels, the nearest prototype, the pixel baseline, a turned stroke.

- ``check_to_pixels``: ``to_pixels(stroke, size)``: Omniglot's (x, y) (105x105 pixel units, y negative downwards) ->
  (row, column) in a ``size`` x ``size`` image: row = (−y + 0.5)·size/105 − 0.5, column = (x + 0.5)·size/105 − 0.5
  (at 105x105: row −y, column x; resizing maps the pixel centre u + 0.5 to (u + 0.5)·size/105);
- ``check_nearest_prototype``: ``nearest_prototype(support, y_support, query, n_way)``: the class means c_k of the
  support embeddings (Snell, Swersky & Zemel 2017, eq. 1), the squared Euclidean distance of every query to every
  c_k (eq. 2) and the nearest one -> (labels [Q], distances [Q, N]);
- ``check_leave_one_out``: ``leave_one_out(images, labels)``: every image gets the label of the nearest OTHER image
  in Euclidean pixel distance (the pixel baseline of Lake, Salakhutdinov & Tenenbaum 2015, scored leave-one-out);
- ``check_rotate_stroke``: ``rotate_stroke(stroke, degrees, scale)``: one stroke turned counter-clockwise by
  ``degrees`` and scaled by ``scale`` about the centre of its box, in Omniglot's coordinates, t kept (one piece of
  the stroke perturbations of ``mlkit.tasks.stroke_augment``).

Each compares the student's function with mlkit's (``mlkit.live.alphabet``) on fixed inputs (from their own seeded
generators: the notebook's random numbers are not touched) and names the mistakes it recognises. The ``use_*``
functions then run the student's code on the notebook's drawings beside mlkit's and report the agreement in one line;
they never raise.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from mlkit.exercises.feedback import Hint, call, student_function
from mlkit.live.alphabet import (Alphabet, nearest_prototype as reference_classifier, pixel_leave_one_out,
                                 random_turns, render, stroke_pixels, turn_stroke)
from mlkit.tasks.stroke_files import Drawing

PIXELS = "row = (−y + 0.5)·size/105 − 0.5 and column = (x + 0.5)·size/105 − 0.5"
EQS = ("c_k = the mean of the support embeddings of class k (Snell et al. 2017, eq. 1), d_k = ‖q − c_k‖² (eq. 2), "
       "and the label of the smallest d_k")
TURN = ("move the stroke so that the centre of its box ((min + max) / 2 of x and of y) is at 0, multiply (x, y) by "
        "[[cos a, −sin a], [sin a, cos a]] with a in radians and by the scale, and move it back")


def _array(value: Any, what: str) -> np.ndarray:
    """``value`` (a numpy array, a tensor or nested lists of numbers) as float64 numpy, or a ``Hint``."""
    if value is None or value is Ellipsis:
        raise Hint(f"{what} is {'`...`' if value is Ellipsis else 'None'}: the function is still the stub")
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Hint(f"{what} should be an array of numbers, got a {type(value).__name__}") from None
    if not np.isfinite(array).all():
        raise Hint(f"{what} holds NaN or infinite values")
    return array


class _Stub(Exception):
    """The student's function returned the stub's None or ``...``."""


def _written(value: Any) -> Any:
    if value is None or value is Ellipsis:
        raise _Stub
    return value


def _why(name: str, error: Exception) -> str:
    """Why the student's ``name`` could not be used, in a few words."""
    if isinstance(error, _Stub):
        return f"your {name} is not written yet (it returns nothing)"
    message = str(error).splitlines()[0] if str(error) else ""
    return f"your {name} does not run yet ({type(error).__name__}{': ' + message[:100] if message else ''})"


# --- exercise 1: from stroke coordinates to pixels -------------------------------------------------------------

def fixed_stroke(seed: int = 0, n: int = 7) -> np.ndarray:
    """A stroke [n, 3] in Omniglot's units: x in 10..95, y in −95..−10 (negative downwards), t rising."""
    generator = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=generator, dtype=torch.float64) * 85 + 10
    t = torch.cumsum(torch.rand(n, generator=generator, dtype=torch.float64) * 40 + 10, 0).round()
    return np.stack([xy[:, 0].numpy(), -xy[:, 1].numpy(), t.numpy()], 1)


def _fit(values: np.ndarray, against: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and largest residual of ``values`` ≈ slope·against + intercept."""
    design = np.stack([against, np.ones_like(against)], 1)
    (slope, intercept), *_ = np.linalg.lstsq(design, values, rcond=None)
    return float(slope), float(intercept), float(np.abs(design @ [slope, intercept] - values).max())


def check_to_pixels(to_pixels: Any) -> None:
    """The student's ``to_pixels(stroke, size)``: (row, column) [n, 2] of every point, at sizes 28 and 105."""
    function = student_function(to_pixels, "to_pixels", ("stroke", "size"))
    stroke = fixed_stroke()
    n = len(stroke)
    for size in (28, 105):
        got = _array(call(function, "to_pixels", stroke.copy(), size), f"to_pixels(stroke, {size})")
        if got.shape == (n, 3):
            raise Hint(f"the result has shape {got.shape}: return only (row, column) for every point, shape ({n}, 2), "
                       "without the time t")
        if got.shape == (2, n):
            raise Hint(f"the result has shape {got.shape}: one row per point, shape ({n}, 2) "
                       "(np.stack([rows, columns], 1), not axis 0)")
        if got.shape != (n, 2):
            raise Hint(f"the result has shape {got.shape}, expected ({n}, 2): (row, column) for each of the {n} points")
        want = stroke_pixels(stroke, size)
        if np.allclose(got, want, atol=1e-6):
            continue
        x, y, scale = stroke[:, 0], stroke[:, 1], size / 105
        if np.allclose(got[:, ::-1], want, atol=1e-6):
            raise Hint("rows and columns are swapped: the first value is the row (from y), the second the column "
                       "(from x); an image is indexed image[row, column]")
        row_of_y = _fit(got[:, 0], y)
        row_of_x, col_of_y = _fit(got[:, 0], x), _fit(got[:, 1], y)
        if row_of_x[2] < 1e-6 and col_of_y[2] < 1e-6 and abs(row_of_x[1]) < 1e3:
            raise Hint("rows and columns are swapped: the row comes from y and the column from x (image[row, "
                       f"column]); {PIXELS}")
        col_of_x = _fit(got[:, 1], x)
        if row_of_y[2] < 1e-6 and row_of_y[0] > 0:
            raise Hint("the rows run the wrong way (the character comes out upside down): Omniglot's y is negative "
                       f"downwards while rows grow downwards, so the row comes from −y; {PIXELS}")
        if row_of_y[2] < 1e-6 and col_of_x[2] < 1e-6:
            if size != 105 and math.isclose(-row_of_y[0], 1.0, abs_tol=1e-6) and math.isclose(col_of_x[0], 1.0,
                                                                                              abs_tol=1e-6):
                raise Hint(f"at size {size} the positions are those of the 105x105 image: scale them by size/105 "
                           f"(= {scale:.3f}); {PIXELS}")
            if math.isclose(-row_of_y[0], scale, rel_tol=1e-6) and math.isclose(col_of_x[0], scale, rel_tol=1e-6):
                raise Hint(f"the scale is right but the positions are shifted (by {got[0, 1] - want[0, 1]:+.3f} "
                           "columns): a pixel's centre lies half a pixel from its edge. At 105x105 point x is at "
                           "column x, whose centre is at x + 0.5 from the image's edge; resizing multiplies that by "
                           f"size/105, and the new pixel's index is its centre − 0.5: {PIXELS}")
            raise Hint(f"your rows and columns are a stretched or shifted copy of the right ones (row = "
                       f"{row_of_y[0]:.3f}·y {row_of_y[1]:+.3f}, column = {col_of_x[0]:.3f}·x {col_of_x[1]:+.3f}): "
                       f"{PIXELS}")
        raise Hint(f"to_pixels(stroke, {size}) differs from {PIXELS} (first point: yours {np.round(got[0], 3)}, "
                   f"expected {np.round(want[0], 3)})")


def use_to_pixels(to_pixels: Any, drawings: Sequence[Drawing], size: int = 28) -> tuple[list[list[np.ndarray]] | None, str]:
    """The student's pixel positions of every stroke of ``drawings`` and one line comparing them with mlkit's."""
    try:
        paths = [[_array(_written(to_pixels(stroke.copy(), size)), "to_pixels") for stroke in d] for d in drawings]
        gap = max(float(np.abs(p - stroke_pixels(s, size)).max()) for d, ps in zip(drawings, paths)
                  for s, p in zip(d, ps))
    except Exception as error:  # the student's function: say so, go on
        return None, f"{_why('to_pixels', error)}: only mlkit's path is drawn"
    points = sum(len(s) for d in drawings for s in d)
    verdict = "the same positions" if gap < 1e-6 else "different positions"
    return paths, (f"your to_pixels and mlkit's on {points} pen positions: {verdict} (largest difference "
                   f"{gap:.2g} pixels)")


# --- exercise 2: the nearest prototype -------------------------------------------------------------------------------

def fixed_embeddings(seed: int, n_way: int, shots: int, queries: int = 5,
                     features: int = 8) -> tuple[Tensor, Tensor, Tensor]:
    """Support embeddings [N*K, F] with shuffled labels, queries [Q, F] scattered between the class centres."""
    generator = torch.Generator().manual_seed(seed)
    centres = 2.0 * torch.randn(n_way, features, generator=generator)
    y_support = torch.arange(n_way).repeat_interleave(shots)
    y_support = y_support[torch.randperm(len(y_support), generator=generator)]
    support = centres[y_support] + 1.2 * torch.randn(len(y_support), features, generator=generator)
    mix = torch.rand(queries, n_way, generator=generator) ** 3
    query = (mix / mix.sum(1, keepdim=True)) @ centres + 0.8 * torch.randn(queries, features, generator=generator)
    return support, y_support, query


def _distances_to(query: Tensor, centres: Tensor) -> Tensor:
    return (query.unsqueeze(1) - centres.unsqueeze(0)).pow(2).sum(-1)


def check_nearest_prototype(nearest_prototype: Any) -> None:
    """The student's ``nearest_prototype(support, y_support, query, n_way)`` -> (labels [Q], squared distances
    [Q, N]); tried on a 1-shot and a 3-shot episode of embeddings whose support labels are shuffled."""
    function = student_function(nearest_prototype, "nearest_prototype", ("support", "y_support", "query", "n_way"))
    for seed, n_way, shots in ((0, 3, 1), (1, 4, 3)):
        _check_classifier_on(function, *fixed_embeddings(seed, n_way, shots), n_way, shots)


def _check_classifier_on(function: Callable[..., Any], support: Tensor, y_support: Tensor, query: Tensor,
                         n_way: int, shots: int) -> None:
    out = call(function, "nearest_prototype", support.clone(), y_support.clone(), query.clone(), n_way)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        got = f"{len(out)} values" if isinstance(out, (tuple, list)) else f"a {type(out).__name__}"
        raise Hint(f"nearest_prototype should return two things, (labels, distances); got {got}")
    labels, distances = out
    q = len(query)
    if not isinstance(distances, Tensor):
        raise Hint(f"the distances should be a tensor [Q, N] = [{q}, {n_way}], got a {type(distances).__name__}")
    if tuple(distances.shape) == (n_way, q) and n_way != q:
        raise Hint(f"the distances have shape {tuple(distances.shape)}: one row per query, one column per class, "
                   f"({q}, {n_way}) (you transposed them)")
    if tuple(distances.shape) != (q, n_way):
        raise Hint(f"the distances have shape {tuple(distances.shape)}, expected ({q}, {n_way}): the distance of "
                   "every query to every prototype")
    distances = distances.detach().double()
    want_labels, want = reference_classifier(support.double(), y_support, query.double(), n_way)
    if not torch.allclose(distances, want, atol=1e-4, rtol=1e-5):
        means = torch.zeros(n_way, support.shape[1]).index_add_(0, y_support, support) / shots
        first = torch.stack([support[y_support == k][0] for k in range(n_way)])
        sums = means * shots
        by_position = support.view(n_way, shots, -1).mean(1)
        mistakes = [
            (want.sqrt(), "the distances are not squared: eq. 2 uses the squared Euclidean distance ‖q − c_k‖², the "
                          "sum of the squared differences (torch.cdist and .norm() give its square root)"),
            (-want, "the distances have the wrong sign: you returned −‖q − c_k‖² (the network's logits); return the "
                    "squared distances themselves, and choose the smallest"),
            (_distances_to(query, first).double(), f"the prototypes are not class means: you took the first support "
             f"embedding of each class; with {shots} shots the prototype is the mean of the class's {shots} embeddings "
             "(eq. 1)"),
            (_distances_to(query, sums).double(), f"the prototypes are not class means: they are sums of the {shots} "
             "embeddings of each class; divide by the number of the class's examples (eq. 1)"),
            (_distances_to(query, by_position).double(), "the prototypes are not class means: you grouped the support "
             "embeddings by their position, as if they were sorted by class. Average support[y_support == k] for "
             "every class k"),
            (_distances_to(query, support.mean(0, keepdim=True)).double().expand(q, n_way),
             "the prototypes are not class means: every prototype is the mean of the whole support set. Average "
             "only the embeddings of class k"),
        ]
        for model, hint in mistakes:
            if model.shape == distances.shape and torch.allclose(distances, model, atol=1e-4, rtol=1e-5):
                raise Hint(hint)
        gap = float((distances - want).abs().max())
        raise Hint(f"the distances differ from eq. 2's (largest difference {gap:.3g}): {EQS}")
    if not isinstance(labels, Tensor):
        raise Hint(f"the labels should be a tensor of {q} whole numbers, got a {type(labels).__name__}")
    if tuple(labels.shape) == (n_way,) and n_way != q:
        raise Hint(f"the labels have shape ({n_way},), one per class: choose along the other axis, one label per "
                   f"query (argmin over the classes, dim=1)")
    if tuple(labels.shape) != (q,):
        raise Hint(f"the labels have shape {tuple(labels.shape)}, expected ({q},): one label per query")
    if torch.is_floating_point(labels):
        raise Hint(f"the labels hold {labels.dtype} values: they are class indices (whole numbers), e.g. "
                   "distances.argmin(1)")
    labels = labels.long()
    if torch.equal(labels, want.argmax(1)):
        raise Hint("every query got the FARTHEST prototype: the nearest one has the smallest distance (argmin, not "
                   "argmax)")
    if not torch.equal(labels, want_labels):
        raise Hint(f"the labels are not those of the nearest prototypes: {EQS}")


def use_classifier(classify: Any) -> tuple[Any, str]:
    """The student's classifier to hand to mlkit's scoring, or None and why not (checked on the fixed episodes)."""
    try:
        check_nearest_prototype(classify)
    except Hint as hint:
        if "still the stub" in str(hint):
            return None, "your nearest_prototype is not written yet: only mlkit's answers are shown"
        return None, f"your nearest_prototype is not right yet ({hint}): only mlkit's answers are shown"
    except Exception as error:  # anything else the student's code raises
        return None, f"your nearest_prototype failed ({type(error).__name__}): only mlkit's answers are shown"
    return classify, "your nearest_prototype answers beside mlkit's"


# --- exercise 3: the pixel baseline, leave-one-out --------------------------------------------------------------------

def fixed_images(seed: int = 0, n_way: int = 4, per_class: int = 4, side: int = 6) -> tuple[Tensor, Tensor]:
    """Images [n, 1, side, side] of ``n_way`` classes (a random pattern each; noisy copies of different ink strength
    with a few specks of stray ink) and their labels, shuffled: the nearest OTHER image is sometimes of another
    class, and a dot product, the L1 distance or the farthest image each give other answers than the right one."""
    generator = torch.Generator().manual_seed(seed)
    patterns = (torch.rand(n_way, 1, side, side, generator=generator) > 0.6).double()
    labels = torch.arange(n_way).repeat_interleave(per_class)
    labels = labels[torch.randperm(len(labels), generator=generator)]
    strength = 0.4 + 1.2 * torch.rand(len(labels), 1, 1, 1, generator=generator, dtype=torch.float64)
    noise = 0.3 * torch.rand(len(labels), 1, side, side, generator=generator, dtype=torch.float64)
    specks = 1.5 * (torch.rand(len(labels), 1, side, side, generator=generator) < 0.06).double()  # stray ink
    return (patterns[labels] * strength + noise + specks).float(), labels


def _others(scores: Tensor, largest: bool) -> Tensor:
    """argmin (or argmax) of each row of ``scores`` [n, n] with the diagonal left out."""
    scores = scores.clone()
    scores.fill_diagonal_(-math.inf if largest else math.inf)
    return scores.argmax(1) if largest else scores.argmin(1)


def _manhattan_labels(images: Tensor, labels: Tensor) -> Tensor:
    flat = images.flatten(1).double()
    return labels[_others(torch.cdist(flat, flat, p=1), largest=False)]


def _dot_labels(images: Tensor, labels: Tensor) -> Tensor:
    flat = images.flatten(1).double()
    return labels[_others(flat @ flat.T, largest=True)]


def _euclidean(images: Tensor) -> Tensor:
    flat = images.flatten(1).double()
    return torch.cdist(flat, flat)


LEAVE_ONE_OUT_MISTAKES: list[tuple[Callable[[Tensor, Tensor], Tensor], str]] = [
    (lambda images, labels: labels,
     "every image got its own label: each image found ITSELF as its nearest neighbour (distance 0). Leave the image "
     "out of its own comparison, e.g. set the diagonal of the distance matrix to infinity "
     "(distances.fill_diagonal_(float('inf'))) before taking the smallest"),
    (lambda images, labels: _others(_euclidean(images), largest=False),
     "these are the positions of the nearest other images, not their labels: return labels at those positions"),
    (lambda images, labels: labels[_others(_euclidean(images), largest=True)],
     "every image took the label of the FARTHEST other image: the nearest has the smallest distance (argmin)"),
    (_dot_labels,
     "the nearest image is the one at the smallest Euclidean distance, not the one with the largest dot product (a "
     "dot product prefers images with much ink, whatever their shape): ‖a − b‖ = sqrt(Σ (a − b)²)"),
    (_manhattan_labels,
     "this is the sum of absolute differences (Manhattan, L1): Lake et al.'s pixel baseline uses the Euclidean "
     "distance ‖a − b‖ = sqrt(Σ (a − b)²)"),
]


def check_leave_one_out(leave_one_out: Any) -> None:
    """The student's ``leave_one_out(images, labels)`` -> labels [n]: each image's nearest other image's label, on
    two fixed sets of images; a mistake is named when the student's labels equal its model's on both."""
    function = student_function(leave_one_out, "leave_one_out", ("images", "labels"))
    sets = [fixed_images(seed) for seed in (0, 1)]
    answers = []
    for images, labels in sets:
        got = call(function, "leave_one_out", images.clone(), labels.clone())
        n = len(labels)
        if not isinstance(got, Tensor):
            raise Hint(f"leave_one_out should return a tensor of {n} labels, got a {type(got).__name__}")
        if tuple(got.shape) == (n, n):
            raise Hint(f"the result has shape ({n}, {n}), a score per pair of images: return one label per image, "
                       f"shape ({n},)")
        if tuple(got.shape) != (n,):
            raise Hint(f"the result has shape {tuple(got.shape)}, expected ({n},): one label per image")
        if torch.is_floating_point(got):
            raise Hint(f"the result holds {got.dtype} values: labels are whole numbers, taken from labels")
        answers.append(got.long())
    wants = [pixel_leave_one_out(images, labels) for images, labels in sets]
    if all(torch.equal(got, want) for got, want in zip(answers, wants)):
        return
    for model, hint in LEAVE_ONE_OUT_MISTAKES:
        if all(torch.equal(got, model(images, labels)) for got, (images, labels) in zip(answers, sets)):
            raise Hint(hint)
    got, want = next((g, w) for g, w in zip(answers, wants) if not torch.equal(g, w))
    raise Hint(f"{int((got != want).sum())} of {len(want)} images got another label than their nearest other "
               "image's: take the Euclidean distance between the pixels of every pair, leave each image out of its "
               "own comparison, and give each image the label of the closest")


def use_leave_one_out(leave_one_out: Any, alphabet: Alphabet) -> tuple[float | None, str]:
    """The student's leave-one-out accuracy on ``alphabet`` and one line comparing it with mlkit's, decision by
    decision."""
    images = render([d for ds in alphabet.drawings for d in ds])
    labels = torch.tensor([c for c, ds in enumerate(alphabet.drawings) for _ in ds])
    want = pixel_leave_one_out(images, labels)
    try:
        got = torch.as_tensor(_written(leave_one_out(images.clone(), labels.clone()))).long().reshape(-1)
        if got.shape != want.shape:
            raise ValueError(f"it returned {tuple(got.shape)} labels for {len(labels)} drawings")
    except Exception as error:  # the student's function
        return None, _why("leave_one_out", error)
    same = int((got == want).sum())
    accuracy = float((got == labels).double().mean())
    return accuracy, (f"your leave_one_out: {int((got == labels).sum())} of {len(labels)} drawings right "
                      f"({100 * accuracy:.1f} %); it agrees with mlkit's on {same} of {len(labels)}")


# --- exercise 4: a stroke turned and scaled about its centre -----------------------------------------------------------

def check_rotate_stroke(rotate_stroke: Any) -> None:
    """The student's ``rotate_stroke(stroke, degrees, scale)`` -> a new stroke [n, 3], on two turns of a fixed
    stroke whose box centre lies far from the origin and from the mean of its points."""
    function = student_function(rotate_stroke, "rotate_stroke", ("stroke", "degrees", "scale"))
    stroke = fixed_stroke(3, n=6)
    for degrees, scale in ((30.0, 1.2), (-50.0, 0.8)):
        given = stroke.copy()
        got = _array(call(function, "rotate_stroke", given, degrees, scale), "rotate_stroke's result")
        n = len(stroke)
        if not np.array_equal(given, stroke):
            raise Hint("rotate_stroke changed the stroke it was given: return a new array and leave the input as it "
                       "is (the same drawing is perturbed many times)")
        if got.shape == (n, 2):
            raise Hint(f"the result has shape {got.shape}: keep the time column t, shape ({n}, 3)")
        if got.shape != (n, 3):
            raise Hint(f"the result has shape {got.shape}, expected ({n}, 3): every point's (x, y, t)")
        want = turn_stroke(stroke, degrees, scale)
        if np.allclose(got, want, atol=1e-6):
            continue
        if np.allclose(got[:, :2], want[:, :2], atol=1e-6):
            raise Hint("x and y are right, but t changed: the time of each point stays as it was")
        box = (stroke[:, :2].min(0) + stroke[:, :2].max(0)) / 2
        mean = stroke[:, :2].mean(0)

        def turned(angle: float, factor: float, centre: np.ndarray) -> np.ndarray:
            a = math.radians(angle)
            rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
            return (stroke[:, :2] - centre) @ rotation.T * factor + centre

        def raw(angle_radians: float, factor: float, centre: np.ndarray) -> np.ndarray:
            rotation = np.array([[math.cos(angle_radians), -math.sin(angle_radians)],
                                 [math.sin(angle_radians), math.cos(angle_radians)]])
            return (stroke[:, :2] - centre) @ rotation.T * factor + centre

        mistakes = [
            (turned(degrees, scale, np.zeros(2)), "the stroke turned about the origin (0, 0), the top-left corner "
             "of the image, so it also moved across the page: turn it about the centre of its box; " + TURN),
            (raw(degrees, scale, box), f"the angle went into cos and sin in degrees: they take radians, "
             f"math.radians({degrees:g}) = {math.radians(degrees):.4f}"),
            (raw(degrees, scale, np.zeros(2)), "the stroke turned about the origin (0, 0), and the angle went into "
             f"cos and sin in degrees (they take radians); {TURN}"),
            (turned(-degrees, scale, box), "the stroke turned clockwise: in Omniglot's coordinates y points up (it is "
             "negative downwards), so the usual matrix [[cos a, −sin a], [sin a, cos a]] turns it counter-clockwise "
             "as seen, which is what is asked; yours has the signs of sin swapped"),
            (turned(degrees, 1.0, box), f"the stroke is turned but not scaled: multiply by scale ({scale:g}) too"),
            (turned(degrees, 1 / scale, box), "the stroke is scaled by 1/scale: multiply the offsets from the centre "
             "by scale"),
            (turned(degrees, scale, mean), "the stroke turned about the mean of its points: turn it about the "
             "centre of its box, (min + max) / 2 of x and of y, as the stroke perturbations of mlkit do"),
            (turned(degrees, 1.0, box) * scale, "the stroke turned about its centre, but the scaling was done about "
             "the origin, which moved it: scale the offsets from the centre, then move it back"),
            (turned(0.0, scale, box), "the stroke is scaled but not turned"),
        ]
        for model, hint in mistakes:
            if np.allclose(got[:, :2], model, atol=1e-6):
                raise Hint(hint)
        gap = float(np.abs(got[:, :2] - want[:, :2]).max())
        raise Hint(f"rotate_stroke(stroke, {degrees:g}, {scale:g}) differs from the turned stroke (largest difference "
                   f"{gap:.3g} pixels): {TURN}")


def use_rotate_stroke(rotate_stroke: Any, drawing: Drawing, copies: int, seed: int,
                      degrees: float = 15.0, scale: float = 0.15) -> tuple[list[Drawing] | None, list[Drawing], str]:
    """``copies`` perturbations of ``drawing``: every stroke turned and scaled at random (``random_turns``, seeded)
    by the student's ``rotate_stroke`` and by mlkit's, and one line comparing them."""
    generator = torch.Generator().manual_seed(seed)
    turns = [random_turns(len(drawing), generator, degrees, scale) for _ in range(copies)]
    mlkit = [[turn_stroke(s, a, f) for s, (a, f) in zip(drawing, t)] for t in turns]
    try:
        yours = [[_array(_written(rotate_stroke(s.copy(), a, f)), "rotate_stroke") for s, (a, f) in zip(drawing, t)]
                 for t in turns]
        gap = max(float(np.abs(y - m).max()) for ys, ms in zip(yours, mlkit) for y, m in zip(ys, ms))
    except Exception as error:  # the student's function
        return None, mlkit, f"{_why('rotate_stroke', error)}: mlkit's copies are drawn instead"
    verdict = "the same strokes" if gap < 1e-6 else "different strokes"
    return yours, mlkit, (f"your rotate_stroke and mlkit's on {copies} copies: {verdict} (largest difference {gap:.2g} "
                          "pixels)")
