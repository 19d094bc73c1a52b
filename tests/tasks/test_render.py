"""One renderer for every drawing: pen strokes drawn as the published PNGs were and resized exactly as the loader
resizes images, so every shipped drawing's strokes give back its image; dots, the canvas's edge and bad input."""
from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import numpy as np
import pytest
import torch
from PIL import Image

from mlkit.tasks import Omniglot, Strokes, render_strokes
from mlkit.tasks.image_files import ink_pixels
from mlkit.tasks.omniglot import _index, shipped_root
from mlkit.tasks.render import CANVAS, ink_mask, render_drawings, resize_ink, rotate_quarter, strokes_until

DOT = [np.array([[52.0, -52.0, 0.0]])]
LINE = [np.array([[20.0, -30.0, 0.0], [80.0, -30.0, 100.0]])]


@pytest.fixture(scope="module")
def shipped() -> Strokes:
    return Strokes()


@pytest.fixture(scope="module")
def reproduction(shipped):
    """For every shipped drawing: the IoU of its rendered ink with its PNG's at 105x105, and the mean absolute
    difference of the rendered 28x28 input and the loader's."""
    ious, differences = [], []
    loaded = {}
    for split in ("train", "val", "test"):
        data = Omniglot(split=split)
        loaded.update({name: data.images[c] for c, name in enumerate(data.class_names)})  # [20, 1, 28, 28] uint8
    archives: dict = {}
    for name, files in sorted(_index(shipped_root()).items()):
        for i, (path, member) in enumerate(files):
            if path not in archives:
                archives[path] = zipfile.ZipFile(path)
            archive = archives[path]
            with Image.open(io.BytesIO(archive.read(member))) as png:
                published = np.asarray(png.convert("L")) < 128  # [105, 105] ink
            strokes = shipped.drawing(name, PurePosixPath(member).stem)
            ink = ink_mask(strokes)
            ious.append((ink & published).sum() / (ink | published).sum())
            rendered = resize_ink(ink).astype(np.float64) / 255  # [28, 28]: render_strokes(strokes)[0], see below
            differences.append(np.abs(rendered - loaded[name][i, 0].numpy() / 255).mean())
    for archive in archives.values():
        archive.close()
    return np.array(ious), np.array(differences)


def test_rendering_every_shipped_drawing_reproduces_its_published_image(reproduction):
    ious, differences = reproduction
    assert len(ious) == 4840
    assert ious.mean() >= 0.85  # measured: 0.924 (median 0.933)
    assert np.median(ious) > 0.9 and (ious < 0.5).mean() < 0.01  # a few drawings' strokes are offset by 2-5 px
    assert differences.mean() < 0.01  # measured: 0.0066 on the [0, 1] scale of the model's inputs


def test_the_image_has_the_loaders_form_and_its_resize_exactly(shipped):
    for name in shipped.class_names[::40]:
        strokes = shipped.drawings(name)[3]
        image = render_strokes(strokes)
        assert image.shape == (1, 28, 28) and image.dtype == torch.float32
        assert float(image.min()) == 0.0 and float(image.max()) == 1.0  # ink bright on black
        assert torch.equal(image * 255, (image * 255).round())  # whole grey levels, as uint8 images give
        paper = Image.fromarray(np.where(ink_mask(strokes), 0, 255).astype(np.uint8), "L")  # like a PNG: dark ink
        assert np.array_equal(resize_ink(ink_mask(strokes)), ink_pixels(paper))  # the loader's steps
        assert render_strokes(strokes, size=105).sum() == ink_mask(strokes).sum()
        assert np.array_equal(render_strokes(strokes)[0].numpy(), resize_ink(ink_mask(strokes)) / np.float32(255))


def test_a_single_point_is_a_round_dot_of_the_pen_width():
    ink = ink_mask(DOT)
    assert ink.sum() == 21 and ink[52, 52] and ink[52, 54] and not ink[52, 55] and ink[50, 52]  # radius 2.5
    assert ink_mask(DOT, pen_width=1.0).sum() == 1
    assert float(render_strokes(DOT).sum()) > 0


def test_a_line_is_as_long_and_wide_as_the_pen_draws_it():
    ink = ink_mask(LINE)
    rows, cols = np.nonzero(ink)
    assert rows.min() == 28 and rows.max() == 32 and cols.min() == 18 and cols.max() == 82
    assert render_drawings([LINE, DOT]).shape == (2, 1, 28, 28)


def test_turned_strokes_render_as_the_turned_image(shipped):
    strokes = shipped.drawings("Korean/character05")[2]
    ink = ink_mask(strokes)
    for k in (1, 2, 3):
        assert np.array_equal(ink_mask(rotate_quarter(strokes, k)), np.rot90(ink, k))
    assert all(np.array_equal(a, b) for a, b in zip(rotate_quarter(strokes, 4), strokes))


def test_ink_off_the_canvas_is_clipped_and_a_drawing_entirely_off_it_refused():
    half = [np.array([[-40.0, -50.0, 0.0], [40.0, -50.0, 10.0]])]  # from far left of the canvas to its middle
    ink = ink_mask(half)
    assert ink[50, 0] and ink[50, 40] and not ink[50, 43] and ink.sum() == 5 * 41 + 5 + 3  # band, round end
    with pytest.raises(ValueError, match=r"drawing 'mine' lies entirely off the 105x105 canvas \(x in \[200.0, "
                                         r"210.0\], y in \[-50.0, -50.0\]; the canvas is x in \[0, 105\)"):
        render_strokes([np.array([[200.0, -50.0, 0.0], [210.0, -50.0, 5.0]])], where="drawing 'mine'")
    assert ink_mask([np.array([[CANVAS + 0.5, -50.0, 0.0]])]).sum() == 5 + 1  # a dot just past the edge inks it


@pytest.mark.parametrize("call, message", [
    (lambda: render_strokes(DOT, size=4), r"size must be an integer >= 8 and <= 105, got 4"),
    (lambda: render_strokes(DOT, size=200), r"size must be an integer >= 8 and <= 105, got 200"),
    (lambda: render_strokes([]), r"strokes is an empty drawing \(no stroke\)"),
    (lambda: render_strokes([np.zeros((0, 3))]), r"strokes\[0\] is an empty stroke \(no point\)"),
    (lambda: render_strokes([np.array([[np.nan, -5.0, 0.0]])]), r"strokes\[0\] holds NaN or infinite coordinates"),
    (lambda: render_strokes(np.zeros((3, 3))), r"strokes must be a list of strokes, each an array \[n, 3\]"),
    (lambda: render_strokes([np.zeros((3, 4))]), r"strokes\[0\] must be an array \[n, 3\] of \(x, y, t\), got shape"),
    (lambda: render_strokes([["a", "b", "c"]]), r"strokes\[0\] must be an array \[n, 3\] of numbers"),
    (lambda: render_strokes(DOT, pen_width=0.5), r"pen_width must be a finite number in \[1.0, 20.0\], got 0.5"),
    (lambda: render_drawings([]), r"drawings must hold at least one drawing"),
    (lambda: render_drawings([DOT, []]), r"drawing #1 is an empty drawing"),
])
def test_bad_input_is_refused_naming_the_parameter_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_strokes_of_x_y_only_render_like_x_y_t():
    assert torch.equal(render_strokes([LINE[0][:, :2]]), render_strokes(LINE))


def test_a_drawing_replays_point_by_point_in_time():
    drawing = [np.array([[1.0, -1.0, 0.0], [2.0, -1.0, 10.0], [3.0, -1.0, 30.0]]),
               np.array([[5.0, -5.0, 50.0], [6.0, -5.0, 45.0], [7.0, -5.0, 60.0]])]  # a time that steps back
    assert strokes_until(drawing, -1) == []
    assert [s.tolist() for s in strokes_until(drawing, 10)] == [[[1.0, -1.0, 0.0], [2.0, -1.0, 10.0]]]
    assert [len(s) for s in strokes_until(drawing, 50)] == [3, 2]  # the step back counts from time 50
    assert [len(s) for s in strokes_until(drawing, 1e9)] == [3, 3]
