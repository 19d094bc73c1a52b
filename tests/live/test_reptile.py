"""Notebook 05's claims hold in quick mode, checked with the functions the notebook calls (mlkit/live/reptile.py)
and the notebook's own default parameters: the residual slopes of the expansion, and one live training per method."""
from functools import lru_cache

import pytest
from notebook_parameters import parameters

from mlkit.live.reptile import ALPHA, QUICK_ITERATIONS, one_step_scores, residual_slopes, train_method
from mlkit.live.sine import paired_gap

NOTEBOOK = parameters("05_maml_vs_reptile.ipynb")


@lru_cache(maxsize=None)
def quick_runs(iterations: int, seed: int):
    runs = {m: train_method(m, iterations, seed, progress=False) for m in ("maml", "fomaml", "reptile")}
    return runs, one_step_scores(runs)


def test_the_notebooks_quick_mode_is_what_this_test_checks():
    assert NOTEBOOK["iterations"] == QUICK_ITERATIONS and NOTEBOOK["seed"] == 0
    assert NOTEBOOK["alpha"] == ALPHA and NOTEBOOK["k"] == 2 and NOTEBOOK["train_steps"] == 50


@pytest.mark.parametrize("k", [2, 3])
def test_the_fitted_residual_slope_is_two_for_every_method(k):
    _, found, slopes = residual_slopes(k, NOTEBOOK["train_steps"], NOTEBOOK["seed"])
    for method, slope in slopes.items():
        assert 1.9 <= slope <= 2.1, f"k = {k}, {method}: slope {slope:.3f}, residuals {found[method]}"


def test_after_the_same_iterations_maml_beats_first_order_maml_beats_reptile():
    runs, scores = quick_runs(QUICK_ITERATIONS, 0)
    for worse, better in (("fomaml", "maml"), ("reptile", "fomaml")):
        gap = paired_gap(scores[worse], scores[better])
        assert gap.mean - gap.ci95 > 0, f"{worse} - {better}, one step each, paired by task: {gap}"
    for run in runs.values():  # every run learned: its validation error fell
        assert run.history.val_metric[-1] < 0.9 * run.history.val_metric[0], (run.method, run.history.val_metric)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="method must be one of 'maml', 'fomaml', 'reptile', got 'tnet'"):
        train_method("tnet")
    with pytest.raises(ValueError, match="k must be an integer >= 2 and <= 5, got 1"):
        residual_slopes(1)
    with pytest.raises(ValueError, match="iterations must be an integer >= 10"):
        train_method("maml", iterations=5)
