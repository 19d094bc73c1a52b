"""Stroke perturbations: seeded, within their ranges, each stroke on its own, and wired as ``--augment strokes`` from
the command line through the episode sampler into the checkpoint's run settings."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mlkit.tasks import EpisodeSampler, Glyphs, Omniglot, StrokeDistortion, Strokes, perturb_strokes, render_strokes

QUIET = {"rotation": 0.0, "scale": 0.0, "shear": 0.0, "shift": 0.0, "noise": 0.0}


@pytest.fixture(scope="module")
def drawing() -> list[np.ndarray]:
    return Strokes().drawings("Latin/character05")[0]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_same_seed_gives_the_same_perturbation_and_another_seed_another(drawing):
    a, b = perturb_strokes(drawing, _generator(3)), perturb_strokes(drawing, _generator(3))
    c = perturb_strokes(drawing, _generator(4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.allclose(x, y) for x, y in zip(a, c))


def test_no_perturbation_gives_the_drawing_back_and_keeps_times(drawing):
    same = perturb_strokes(drawing, _generator(0), **QUIET)
    assert all(np.allclose(x, y, atol=1e-9) for x, y in zip(same, drawing))
    moved = perturb_strokes(drawing, _generator(0))
    assert [s.shape for s in moved] == [s.shape for s in drawing]
    assert all(np.array_equal(x[:, 2], y[:, 2]) for x, y in zip(moved, drawing))
    assert not moved[0].base is drawing[0] and drawing[0].flags.writeable is False  # a copy; the data untouched


def test_a_shift_alone_moves_each_stroke_rigidly_within_its_range(drawing):
    for seed in range(20):
        moved = perturb_strokes(drawing, _generator(seed), **{**QUIET, "shift": 3.0})
        offsets = [m[:, :2] - s[:, :2] for m, s in zip(moved, drawing)]
        assert all(np.allclose(o, o[0]) and np.abs(o[0]).max() <= 3.0 for o in offsets)  # rigid, at most 3 px


def test_rotation_and_scale_keep_each_strokes_centre_and_bound_its_size(drawing):
    for seed in range(20):
        moved = perturb_strokes(drawing, _generator(seed), **{**QUIET, "rotation": 12.0, "scale": 0.15})
        for m, s in zip(moved, drawing):
            centre = (s[:, :2].min(0) + s[:, :2].max(0)) / 2
            radius = np.linalg.norm(s[:, :2] - centre, axis=1)
            ratio = np.linalg.norm(m[:, :2] - centre, axis=1)[radius > 1] / radius[radius > 1]
            assert ratio.min() >= 0.85 - 1e-9 and ratio.max() <= 1.15 + 1e-9 and np.ptp(ratio) < 1e-9


def test_trajectory_noise_is_smooth_and_about_its_size(drawing):
    long = max(drawing, key=len)
    shifts = []
    for seed in range(50):
        moved = perturb_strokes([long], _generator(seed), **{**QUIET, "noise": 1.0})[0]
        displacement = moved[:, :2] - long[:, :2]  # [n, 2]
        shifts.append(displacement.std())
        steps = np.linalg.norm(np.diff(displacement, axis=0), axis=1)
        assert steps.mean() < 0.25 * displacement.std()  # neighbours move together: smooth, not jitter
    assert 0.3 < np.mean(shifts) < 2.0  # a pixel or so


def test_perturbed_drawings_still_look_like_their_character(drawing):
    data = Omniglot(split="test", alphabets=["Latin"])
    c = data.class_names.index("Latin/character05")
    distortion = StrokeDistortion()
    own = distortion(data.strokes(c)[:1] * 8, _generator(1))  # [8, 1, 28, 28]
    assert own.shape == (8, 1, 28, 28) and float(own.min()) >= 0 and float(own.max()) <= 1
    plain = render_strokes(drawing)
    other = data.images[(c + 1) % data.n_classes, 0].float() / 255
    distance_own = (own - plain).abs().mean((1, 2, 3))  # [8]
    assert float(distance_own.max()) < float((other - plain).abs().mean()) * 1.5 and float(distance_own.min()) > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"rotation": 90.0}, r"rotation must be a finite number in \[0.0, 45.0\], got 90.0"),
    ({"scale": -0.1}, r"scale must be a finite number in \[0.0, 0.5\], got -0.1"),
    ({"shear": float("nan")}, r"shear must be a finite number in \[0.0, 1.0\], got nan"),
    ({"shift": 50.0}, r"shift must be a finite number in \[0.0, 20.0\], got 50.0"),
    ({"noise": 9.0}, r"noise must be a finite number in \[0.0, 5.0\], got 9.0"),
])
def test_parameters_out_of_range_are_refused_by_name(drawing, kwargs, message):
    with pytest.raises(ValueError, match=message):
        perturb_strokes(drawing, **kwargs)
    with pytest.raises(ValueError, match=message):
        StrokeDistortion(**kwargs)


def test_pen_widths_are_checked_and_drawn_within_their_range(drawing):
    with pytest.raises(ValueError, match=r"pen_width must be \(low, high\) in pixels, got 5"):
        StrokeDistortion(pen_width=5)
    with pytest.raises(ValueError, match=r"pen_width\[1\] must be a finite number in \[6.0, 20.0\], got 4.0"):
        StrokeDistortion(pen_width=(6.0, 4.0))
    thin = StrokeDistortion(**QUIET, pen_width=(2.0, 2.0)).render(drawing, _generator(0))
    thick = StrokeDistortion(**QUIET, pen_width=(8.0, 8.0)).render(drawing, _generator(0))
    assert float(thin.sum()) < float(render_strokes(drawing).sum()) < float(thick.sum())


def test_stroke_augmented_episodes_are_seeded_and_drawn_from_perturbed_strokes():
    data = Omniglot(split="val")
    plain = EpisodeSampler(data, 5, 1, 2, 3, seed=4).sample()
    a = EpisodeSampler(data, 5, 1, 2, 3, seed=4, augment=StrokeDistortion()).sample()
    b = EpisodeSampler(data, 5, 1, 2, 3, seed=4, augment=StrokeDistortion()).sample()
    assert torch.equal(a.x_support, b.x_support) and torch.equal(a.x_query, b.x_query)
    assert torch.equal(a.info["classes"], plain.info["classes"]) and torch.equal(a.y_query, plain.y_query)
    assert a.x_support.shape == plain.x_support.shape and a.x_support.dtype == torch.float32
    changed = (a.x_support - plain.x_support).abs().flatten(2).amax(-1)  # [T, N*K]: every image drawn afresh
    assert float((changed > 0.1).float().mean()) > 0.9
    quiet = EpisodeSampler(data, 5, 1, 2, 3, seed=4, augment=StrokeDistortion(**QUIET, pen_width=(5.0, 5.0)))
    close = (quiet.sample().x_support - plain.x_support).abs().mean()
    assert float(close) < 0.02  # unperturbed strokes at the usual pen: the images themselves, nearly


def test_the_stroke_augment_needs_a_dataset_with_strokes():
    with pytest.raises(ValueError, match="augment StrokeDistortion needs a dataset with pen strokes \\(Omniglot\\); "
                                         "glyphs has none"):
        EpisodeSampler(Glyphs(split="val"), 5, 1, 2, augment=StrokeDistortion())


def test_augment_strokes_on_the_command_line_reaches_the_sampler_and_the_checkpoint(tmp_path, capsys):
    from mlkit.checkpoint import read_checkpoint
    from mlkit.cli import _sampler, main, parser

    args = parser().parse_args(["train", "--tasks", "omniglot", "--n-way", "5", "--k-shot", "1", "--rotations",
                                "--augment", "strokes", "--within-alphabet"])
    train = _sampler(args, "train", 2, 0)
    assert isinstance(train.augment, StrokeDistortion) and train.dataset.n_classes == 680
    assert _sampler(args, "val", 2, 1).augment is None
    checkpoint = tmp_path / "run.pt"
    assert main(["train", "--method", "protonet", "--tasks", "omniglot", "--n-way", "5", "--k-shot", "1",
                 "--q-query", "2", "--augment", "strokes", "--steps", "2", "--val-every", "2", "--val-tasks", "2",
                 "--meta-batch", "1", "--checkpoint", str(checkpoint)]) == 0
    assert read_checkpoint(checkpoint)["settings"]["tasks"]["augment"] == "StrokeDistortion"
    code = main(["train", "--method", "protonet", "--tasks", "omniglot", "--n-way", "5", "--k-shot", "1",
                 "--q-query", "2", "--augment", "affine", "--steps", "3", "--val-every", "2", "--val-tasks", "2",
                 "--meta-batch", "1", "--checkpoint", str(checkpoint)])
    assert code == 2 and "tasks.augment 'StrokeDistortion' -> 'AffineDistortion'" in capsys.readouterr().err


def test_augment_strokes_is_refused_for_tasks_without_strokes(capsys, tmp_path):
    from mlkit.cli import main

    assert main(["train", "--tasks", "glyphs", "--augment", "strokes", "--checkpoint", str(tmp_path / "m.pt")]) == 2
    assert capsys.readouterr().err.strip() == ("error: --augment strokes needs pen strokes, which only omniglot has, "
                                               "not glyphs (use --augment affine)")
