"""The shipped 20-way model scores the same on test drawings rendered from their strokes as on the published PNGs,
paired by episode (the README's full comparison: ``python -m mlkit.experiments.strokes rendered --episodes 600``)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mlkit.evaluate import Score
from mlkit.experiments.strokes import compare_rendered, paired, rendered_dataset
from mlkit.tasks import Omniglot, render_strokes


def test_the_rendered_dataset_is_the_split_drawn_from_its_strokes():
    test = Omniglot(split="test", alphabets=["Latin"])
    drawn = rendered_dataset(test)
    assert drawn.images.shape == test.images.shape == (26, 20, 1, 28, 28) and drawn.images.dtype == torch.uint8
    assert drawn.class_names == test.class_names and drawn.alphabets == ["Latin"] * 26
    assert torch.equal(drawn.images[3, 5].float() / 255, render_strokes(test.strokes(3)[5]))
    assert float((drawn.images.float() - test.images.float()).abs().mean()) / 255 < 0.01


def test_the_shipped_model_scores_the_same_on_rendered_drawings_as_on_pngs():
    result = compare_rendered(n_episodes=200)  # the same 200 episodes for both, 20-way 1-shot, Latin and Balinese
    png, drawn, difference = result["png"], result["rendered"], result["difference"]
    assert png.n == drawn.n == difference.n == 200
    assert 0.55 < png.mean < 0.8  # the model's level (67.2 % over 600 episodes)
    assert abs(difference.mean) <= difference.ci95  # measured: +0.00 +- 0.35 points here, +0.08 +- 0.19 over 600
    assert difference.ci95 < 0.01  # and the interval is tight: the two inputs are nearly the same images


def test_paired_scores_need_the_same_episodes():
    a = Score(0.5, 0.1, 3, "accuracy", np.array([1.0, 0.5, 0.0]))
    b = Score(0.4, 0.1, 3, "accuracy", np.array([0.5, 0.5, 0.2]))
    assert paired(a, b).mean == pytest.approx(0.1) and paired(a, b).n == 3
    with pytest.raises(ValueError, match="paired scores need the same episodes, got 3 and 2"):
        paired(a, Score(0.4, 0.1, 2, "accuracy", np.array([0.5, 0.5])))
